/* crypto: libsodium wrappers for hashing, MACs, encodings and randomness. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "err.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init_sodium(void)
{
	/* Without sodium_init there is no safe randomness; nothing to fall
	 * back to. */
	if (sodium_init() < 0) {
		fprintf(stderr, "%s: libsodium: cannot initialise\n",
			ab_err_prog);
		abort();
	}
}

static void
init(void)
{
	pthread_once(&init_once, init_sodium);
}

void
ab_crypto_sha256(unsigned char out[AB_CRYPTO_SHA256_LEN], const void *msg,
	size_t len)
{
	init();
	crypto_hash_sha256(out, msg, len);
}

void
ab_crypto_sha512(unsigned char out[AB_CRYPTO_SHA512_LEN], const void *msg,
	size_t len)
{
	init();
	crypto_hash_sha512(out, msg, len);
}

/* The _init/_update/_final API, unlike crypto_auth_hmacsha256(), takes keys
 * of any length, which exchange secrets need. */
void
ab_crypto_hmac_sha256(unsigned char out[AB_CRYPTO_SHA256_LEN],
	const void *key, size_t keylen, const void *msg, size_t len)
{
	crypto_auth_hmacsha256_state st;

	init();
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, msg, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

void
ab_crypto_hmac_sha512(unsigned char out[AB_CRYPTO_SHA512_LEN],
	const void *key, size_t keylen, const void *msg, size_t len)
{
	crypto_auth_hmacsha512_state st;

	init();
	crypto_auth_hmacsha512_init(&st, key, keylen);
	crypto_auth_hmacsha512_update(&st, msg, len);
	crypto_auth_hmacsha512_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

char *
ab_crypto_hex_encode(const void *bin, size_t len)
{
	char *s = ab_malloc(len * 2 + 1);

	init();
	sodium_bin2hex(s, len * 2 + 1, bin, len);
	return s;
}

unsigned char *
ab_crypto_hex_decode(const char *hex, size_t hexlen, size_t *len)
{
	unsigned char *bin = ab_malloc(hexlen / 2 + 1);
	size_t n = 0;

	init();
	/* With no end pointer, libsodium fails on odd length or any
	 * non-hex character instead of stopping there. */
	if (sodium_hex2bin(bin, hexlen / 2, hex, hexlen, NULL, &n, NULL) != 0
	    || n * 2 != hexlen) {
		free(bin);
		return NULL;
	}
	bin[n] = '\0';
	*len = n;
	return bin;
}

static char *
b64_encode(const void *bin, size_t len, int variant)
{
	size_t size = sodium_base64_ENCODED_LEN(len, variant);
	char *s = ab_malloc(size);

	init();
	sodium_bin2base64(s, size, bin, len, variant);
	return s;
}

/* libsodium is already strict when given no ignore set and no end pointer:
 * it rejects stray characters, wrong padding for the variant, and non-zero
 * leftover bits. The re-encode comparison is a cheap belt to those braces,
 * so a future libsodium change cannot quietly make us lenient. */
static unsigned char *
b64_decode(const char *b64, size_t b64len, size_t *len, int variant)
{
	size_t max = b64len / 4 * 3 + 3, n = 0;
	unsigned char *bin = ab_malloc(max + 1);
	char *again;
	int canonical;

	init();
	if (sodium_base642bin(bin, max, b64, b64len, NULL, &n, NULL,
	    variant) != 0) {
		free(bin);
		return NULL;
	}
	again = b64_encode(bin, n, variant);
	canonical = strlen(again) == b64len
		&& memcmp(again, b64, b64len) == 0;
	free(again);
	if (!canonical) {
		free(bin);
		return NULL;
	}
	bin[n] = '\0';
	*len = n;
	return bin;
}

char *
ab_crypto_base64_encode(const void *bin, size_t len)
{
	return b64_encode(bin, len, sodium_base64_VARIANT_ORIGINAL);
}

unsigned char *
ab_crypto_base64_decode(const char *b64, size_t b64len, size_t *len)
{
	return b64_decode(b64, b64len, len, sodium_base64_VARIANT_ORIGINAL);
}

char *
ab_crypto_base64url_encode(const void *bin, size_t len)
{
	return b64_encode(bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

unsigned char *
ab_crypto_base64url_decode(const char *b64, size_t b64len, size_t *len)
{
	return b64_decode(b64, b64len, len,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void
ab_crypto_random(void *buf, size_t n)
{
	init();
	randombytes_buf(buf, n);
}

int
ab_crypto_equal(const void *a, const void *b, size_t n)
{
	init();
	return sodium_memcmp(a, b, n) == 0;
}

void
ab_crypto_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

char *
ab_crypto_kraken_sign(const char *secret_b64, const char *path,
	const char *nonce, const char *postdata)
{
	crypto_hash_sha256_state h;
	crypto_auth_hmacsha512_state m;
	unsigned char inner[AB_CRYPTO_SHA256_LEN], mac[AB_CRYPTO_SHA512_LEN];
	unsigned char *key;
	size_t keylen;
	char *sig;

	init();
	key = ab_crypto_base64_decode(secret_b64, strlen(secret_b64), &keylen);
	if (!key)
		return NULL;
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)nonce,
		strlen(nonce));
	crypto_hash_sha256_update(&h, (const unsigned char *)postdata,
		strlen(postdata));
	crypto_hash_sha256_final(&h, inner);
	crypto_auth_hmacsha512_init(&m, key, keylen);
	crypto_auth_hmacsha512_update(&m, (const unsigned char *)path,
		strlen(path));
	crypto_auth_hmacsha512_update(&m, inner, sizeof inner);
	crypto_auth_hmacsha512_final(&m, mac);
	sig = ab_crypto_base64_encode(mac, sizeof mac);
	sodium_memzero(key, keylen);
	sodium_memzero(&m, sizeof m);
	free(key);
	return sig;
}
