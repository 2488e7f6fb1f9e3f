/* test-auth: RFC 7515 A.1 and RFC 8037 A.4 signatures, RFC 7638 thumbprint, GCRA vectors, audit hash. */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "crypto.h"
#include "tap.h"

static void
rfc7515_a1(void)
{
	static const char k[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
	static const char input[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
		"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
	static const char want[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	struct ab_auth_key key = {.alg = "HS256"};
	unsigned char *raw, *sig;
	size_t n, siglen;
	char *got;

	raw = ab_crypto_base64url_decode(k, strlen(k), &n);
	ok(raw && n == 64, "RFC 7515 A.1: the JWK's k is a 64-byte key");
	memcpy(key.secret, raw, n);
	key.seclen = n;
	got = ab_auth_jws_sign(&key, input, strlen(input));
	is_str(got, want, "RFC 7515 A.1: HS256 signature reproduced");
	sig = ab_crypto_base64url_decode(want, strlen(want), &siglen);
	ok(ab_auth_jws_check(&key, input, strlen(input), sig, siglen), "RFC 7515 A.1: signature verifies");
	sig[0] ^= 1;
	ok(!ab_auth_jws_check(&key, input, strlen(input), sig, siglen), "RFC 7515 A.1: a flipped bit does not");
	sig[0] ^= 1;
	ok(!ab_auth_jws_check(&key, input, strlen(input) - 1, sig, siglen), "RFC 7515 A.1: a changed input does not");
	key.seclen = 16;
	ok(ab_auth_jws_sign(&key, input, strlen(input)) == NULL, "HS256 refuses a key shorter than 32 bytes");
	ok(!ab_auth_jws_check(&key, input, strlen(input), sig, siglen), "HS256 check refuses a short key");
	free(raw);
	free(sig);
	free(got);
}

static void
rfc8037_a4(void)
{
	static const char d[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
	static const char x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
	static const char input[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
	static const char want[] = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
	struct ab_auth_key key = {.alg = "EdDSA"};
	unsigned char *seed, *pub, *sig;
	size_t n, pn, siglen;
	char *got, tp[64];

	seed = ab_crypto_base64url_decode(d, strlen(d), &n);
	pub = ab_crypto_base64url_decode(x, strlen(x), &pn);
	memcpy(key.secret, seed, 32);
	key.seclen = 32;
	memcpy(key.pub, pub, 32);
	key.has_pub = 1;
	got = ab_auth_jws_sign(&key, input, strlen(input));
	is_str(got, want, "RFC 8037 A.4: Ed25519 signature reproduced");
	sig = ab_crypto_base64url_decode(want, strlen(want), &siglen);
	ok(ab_auth_jws_check(&key, input, strlen(input), sig, siglen), "RFC 8037 A.5: signature verifies");
	sig[10] ^= 0x80;
	ok(!ab_auth_jws_check(&key, input, strlen(input), sig, siglen), "RFC 8037: a flipped bit does not");
	ab_auth_key_thumbprint(&key, tp);
	is_str(tp, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", "RFC 8037 A.3: RFC 7638 thumbprint");
	/* ...KAh differs only in unused bits: the strict decoder refuses it. */
	char nc[sizeof want];
	memcpy(nc, want, sizeof want);
	nc[strlen(nc) - 1] = 'h';
	size_t ncl;
	unsigned char *ncd = ab_crypto_base64url_decode(nc, strlen(nc), &ncl);
	ok(ncd == NULL, "non-canonical base64url (...KAh) is refused");
	free(ncd);
	free(seed);
	free(pub);
	free(sig);
	free(got);
}

static void
gcra(void)
{
	struct ab_rate r = {15, 30, 60000};
	struct ab_rate_result o;
	int64_t tat = 0, t0 = 1700000000LL * 1000000000LL, s = 1000000000LL;

	ab_auth_gcra(&tat, t0, &r, 1, &o);
	ok(!o.limited && o.limit == 16 && o.remaining == 15 && o.retry_after_ms == -1 &&
	   o.reset_after_ms == 2000, "redis-cell README: CL.THROTTLE user123 15 30 60 1 -> [0 16 15 -1 2]");

	struct ab_rate b = {4, 1, 1000};
	tat = 0;
	int64_t want[] = {4, 3, 2, 1, 0};
	int good = 1;
	for (int i = 0; i < 5; i++) {
		ab_auth_gcra(&tat, t0, &b, 1, &o);
		good &= !o.limited && o.remaining == want[i];
	}
	ok(good, "burst 4, 1/s: five calls at t0 allowed, remaining 4 3 2 1 0");
	ab_auth_gcra(&tat, t0, &b, 1, &o);
	ok(o.limited && o.retry_after_ms == 1000, "the sixth is limited, retry after 1 s");
	ab_auth_gcra(&tat, t0 + 3 * s, &b, 1, &o);
	ok(!o.limited && o.remaining == 2, "a call at t0+3 s is allowed with 2 remaining");
}

static void
audit_hash(void)
{
	unsigned char z[32] = {0}, a[32], b[32];

	ab_auth_audit_hash(a, z, 1, 0, "ab", "c", "", "{}");
	ab_auth_audit_hash(b, z, 1, 0, "a", "bc", "", "{}");
	ok(memcmp(a, b, 32) != 0, "audit hash: length prefixes keep field boundaries");
	ab_auth_audit_hash(b, z, 1, 0, "ab", "c", "", "{}");
	ok(memcmp(a, b, 32) == 0, "audit hash: deterministic");
	ab_auth_audit_hash(b, a, 1, 0, "ab", "c", "", "{}");
	ok(memcmp(a, b, 32) != 0, "audit hash: covers the previous hash");
}

static void
pwlimits(void)
{
	unsetenv("AB_PWHASH_LIMITS");
	ok(ab_auth_pw_weaker("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA"), "min-limit hash is weaker than the default");
	ok(!ab_auth_pw_weaker("$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA"), "interactive hash is not weaker");
	ok(!ab_auth_pw_weaker("$argon2id$v=19$m=262144,t=3,p=1$c2FsdA$aGFzaA"), "a stronger hash is never downgraded");
	ok(ab_auth_pw_weaker("$argon2i$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA"), "argon2i is upgraded to argon2id");
}

int
main(void)
{
	rfc7515_a1();
	rfc8037_a4();
	gcra();
	audit_hash();
	pwlimits();
	return tap_done();
}
