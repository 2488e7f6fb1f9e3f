/* test-crypto: RFC 4231, FIPS 180, RFC 4648 and exchange signing vectors. */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "tap.h"

/* S with newlines shown as \n, for test names (static buffer). */
static const char *
vis(const char *s)
{
	static char buf[64];
	size_t o = 0;

	for (; *s && o < sizeof buf - 3; s++) {
		if (*s == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

static char *
hmac256_hex(const void *key, size_t keylen, const char *msg, size_t len)
{
	unsigned char mac[AB_CRYPTO_SHA256_LEN];

	ab_crypto_hmac_sha256(mac, key, keylen, msg, len);
	return ab_crypto_hex_encode(mac, sizeof mac);
}

static char *
hmac512_hex(const void *key, size_t keylen, const char *msg, size_t len)
{
	unsigned char mac[AB_CRYPTO_SHA512_LEN];

	ab_crypto_hmac_sha512(mac, key, keylen, msg, len);
	return ab_crypto_hex_encode(mac, sizeof mac);
}

static void
test_rfc4231(void)
{
	static const struct {
		const char *name;
		const char *key;	/* NULL: keylen bytes of fill */
		unsigned char fill;
		size_t keylen;
		const char *data;
		size_t datalen;
		const char *sha256, *sha512;
	} tc[] = {
		{ "1", NULL, 0x0b, 20, "Hi There", 8,
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
		  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
		{ "2", "Jefe", 0, 4, "what do ya want for nothing?", 28,
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
		{ "3", NULL, 0xaa, 20, NULL, 50,
		  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
		  "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
		  "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb" },
		{ "4", "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d"
		  "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19", 0, 25, NULL, 50,
		  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
		  "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
		  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd" },
		{ "6 (131-byte key)", NULL, 0xaa, 131,
		  "Test Using Larger Than Block-Size Key - Hash Key First", 54,
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
		  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
		{ "7 (131-byte key, long data)", NULL, 0xaa, 131,
		  "This is a test using a larger than block-size key and a larger "
		  "than block-size data. The key needs to be hashed before being "
		  "used by the HMAC algorithm.", 152,
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
		  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
		  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
	};
	unsigned char keybuf[131];
	char data[50];

	for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++) {
		const void *key = tc[i].key;
		const char *d = tc[i].data;
		char *h;

		if (!key) {
			memset(keybuf, tc[i].fill, tc[i].keylen);
			key = keybuf;
		}
		/* Cases 3 and 4 are 50 repeated bytes: 0xdd, then 0xcd. */
		if (!d) {
			memset(data, i == 2 ? 0xdd : 0xcd, sizeof data);
			d = data;
		}
		h = hmac256_hex(key, tc[i].keylen, d, tc[i].datalen);
		is_str(h, tc[i].sha256, "RFC 4231 case %s HMAC-SHA256", tc[i].name);
		free(h);
		h = hmac512_hex(key, tc[i].keylen, d, tc[i].datalen);
		is_str(h, tc[i].sha512, "RFC 4231 case %s HMAC-SHA512", tc[i].name);
		free(h);
	}
}

static void
test_sha(void)
{
	unsigned char d256[AB_CRYPTO_SHA256_LEN], d512[AB_CRYPTO_SHA512_LEN];
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *h;

	ab_crypto_sha256(d256, "abc", 3);
	h = ab_crypto_hex_encode(d256, sizeof d256);
	is_str(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"FIPS 180 SHA-256 \"abc\"");
	free(h);
	ab_crypto_sha256(d256, two, strlen(two));
	h = ab_crypto_hex_encode(d256, sizeof d256);
	is_str(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
		"FIPS 180 SHA-256 two-block message");
	free(h);
	ab_crypto_sha512(d512, "abc", 3);
	h = ab_crypto_hex_encode(d512, sizeof d512);
	is_str(h, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
		"FIPS 180 SHA-512 \"abc\"");
	free(h);
}

static void
test_hex(void)
{
	unsigned char *b;
	size_t n = 99;
	char *h;

	h = ab_crypto_hex_encode("foobar", 6);
	is_str(h, "666f6f626172", "hex encodes lower case");
	free(h);
	b = ab_crypto_hex_decode("666F6F626172", 12, &n);
	ok(b && n == 6 && memcmp(b, "foobar", 6) == 0 && b[6] == '\0',
		"hex decodes upper case (RFC 4648 base16)");
	free(b);
	b = ab_crypto_hex_decode("", 0, &n);
	ok(b && n == 0, "hex decodes the empty string");
	free(b);
	ok(!ab_crypto_hex_decode("666", 3, &n), "hex rejects odd length");
	ok(!ab_crypto_hex_decode("66 6f", 5, &n), "hex rejects a space");
	ok(!ab_crypto_hex_decode("6g", 2, &n), "hex rejects a non-hex digit");
}

static void
test_base64(void)
{
	static const char *v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	static const char *bad[] = {
		"Zg", "Zg=", "Zg===", "Zh==", "Zm9=", "Zm9v=", "Zm9v\n", " Zm9v",
		"Zm 9v", "Zm9-", "Zm9_", "Z", "Zm9vY", "=Zm9v",
	};
	unsigned char *b;
	size_t n;
	char *s;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t len = strlen(v[i][0]);

		s = ab_crypto_base64_encode(v[i][0], len);
		is_str(s, v[i][1], "RFC 4648 BASE64(\"%s\")", v[i][0]);
		free(s);
		b = ab_crypto_base64_decode(v[i][1], strlen(v[i][1]), &n);
		ok(b && n == len && memcmp(b, v[i][0], len) == 0 && b[n] == '\0',
			"RFC 4648 decode \"%s\"", v[i][1]);
		free(b);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		b = ab_crypto_base64_decode(bad[i], strlen(bad[i]), &n);
		ok(!b, "base64 rejects non-canonical \"%s\"", vis(bad[i]));
		free(b);
	}
}

static void
test_base64url(void)
{
	static const unsigned char odd[] = { 0xfb, 0xff, 0xbf };
	static const char *bad[] = {
		"Zg==", "Zm8=", "-_-=", "+/+/", "Zh", "Z", "Zm9v\n", "Zm 9", "Zm9v.",
	};
	unsigned char buf[100], *b;
	size_t n;
	char *s;
	int good = 1;

	s = ab_crypto_base64url_encode(odd, sizeof odd);
	is_str(s, "-_-_", "base64url uses - and _");
	free(s);
	s = ab_crypto_base64_encode(odd, sizeof odd);
	is_str(s, "+/+/", "base64 uses + and /");
	free(s);
	s = ab_crypto_base64url_encode("f", 1);
	is_str(s, "Zg", "base64url has no padding");
	free(s);
	b = ab_crypto_base64url_decode("Zm8", 3, &n);
	ok(b && n == 2 && memcmp(b, "fo", 2) == 0, "base64url decodes \"Zm8\"");
	free(b);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		b = ab_crypto_base64url_decode(bad[i], strlen(bad[i]), &n);
		ok(!b, "base64url rejects \"%s\"", vis(bad[i]));
		free(b);
	}
	/* Round trips over every length up to 100, random content. */
	for (size_t len = 0; len <= sizeof buf; len++) {
		ab_crypto_random(buf, len);
		s = ab_crypto_base64url_encode(buf, len);
		b = ab_crypto_base64url_decode(s, strlen(s), &n);
		if (!b || n != len || memcmp(b, buf, len) != 0 || strchr(s, '='))
			good = 0;
		free(b);
		free(s);
		s = ab_crypto_base64_encode(buf, len);
		b = ab_crypto_base64_decode(s, strlen(s), &n);
		if (!b || n != len || memcmp(b, buf, len) != 0)
			good = 0;
		free(b);
		free(s);
	}
	ok(good, "base64 and base64url round-trip lengths 0..100");
}

static void
test_misc(void)
{
	unsigned char a[32], b[32], z[32] = { 0 };

	ab_crypto_random(a, sizeof a);
	ab_crypto_random(b, sizeof b);
	ok(!ab_crypto_equal(a, b, sizeof a), "two random draws differ");
	memcpy(b, a, sizeof a);
	ok(ab_crypto_equal(a, b, sizeof a), "equal compares equal");
	b[31] ^= 1;
	ok(!ab_crypto_equal(a, b, sizeof a), "equal sees the last byte");
	ab_crypto_wipe(a, sizeof a);
	ok(memcmp(a, z, sizeof a) == 0, "wipe zeroes");
}

static void
test_exchanges(void)
{
	/* Binance and Kraken: the official vectors in reference/exchanges.md. */
	static const char *secret =
		"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
	static const char *q = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
		"&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
	static const char *q2 = "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95"
		"%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC"
		"&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
	static const char *qb = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
		"quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
	unsigned char mac[AB_CRYPTO_SHA256_LEN], *key;
	size_t keylen;
	char *h;

	h = hmac256_hex(secret, strlen(secret), q, strlen(q));
	is_str(h, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
		"Binance signature, query string");
	free(h);
	h = hmac256_hex(secret, strlen(secret), q2, strlen(q2));
	is_str(h, "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3",
		"Binance signature, percent-encoded symbol");
	free(h);
	h = hmac256_hex(secret, strlen(secret), qb, strlen(qb));
	is_str(h, "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77",
		"Binance signature, query plus body");
	free(h);

	h = ab_crypto_kraken_sign("kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWx"
		"nyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==", "/0/private/AddOrder",
		"1616492376594", "nonce=1616492376594&ordertype=limit&pair=XBTUSD"
		"&price=37500&type=buy&volume=1.25");
	is_str(h, "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp"
		"32bAb0nmbRn6H8ndwLUQ==", "Kraken API-Sign");
	free(h);
	ok(!ab_crypto_kraken_sign("not base64!", "/0/private/Balance", "1",
		"nonce=1"), "Kraken signing rejects a secret that is not base64");

	/* No official vectors exist for these two; the expected values were
	 * checked by hand with `openssl dgst -sha256 -hmac ... -binary | base64`. */
	ab_crypto_hmac_sha256(mac, "22582BD0CFF14C41EDBF1AB98506286D", 32,
		"2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC", 58);
	h = ab_crypto_base64_encode(mac, sizeof mac);
	is_str(h, "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=",
		"OKX signature (openssl-checked)");
	free(h);
	key = ab_crypto_base64_decode("c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seQ==", 36,
		&keylen);
	h = NULL;
	if (key) {
		const char *m = "1700000000POST/orders{\"size\":\"0.01\","
			"\"price\":\"100.0\",\"side\":\"buy\",\"product_id\":\"BTC-USD\"}";

		ab_crypto_hmac_sha256(mac, key, keylen, m, strlen(m));
		h = ab_crypto_base64_encode(mac, sizeof mac);
	}
	is_str(h, "FP8eK4xB5Ia+V4Rk/XUf6cPibP3BcyPj/9lffJqCIsE=",
		"Coinbase signature (openssl-checked)");
	free(h);
	free(key);
}

int
main(void)
{
	test_rfc4231();
	test_sha();
	test_hex();
	test_base64();
	test_base64url();
	test_misc();
	test_exchanges();
	return tap_done();
}
