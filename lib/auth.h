/* auth: permissions, tokens, rate limits and the audit log, for every program.
 *
 * Contract (stable: other programs code against it):
 * - ab_auth_require is the one call a program makes before a guarded action:
 *   it reads the token from $AB_TOKEN, verifies it against the keys in the
 *   database (algorithm pinned to the key, exp/nbf/iat/iss/aud checked with
 *   at most AB_AUTH_LEEWAY_S leeway, revocation by jti and per-user token
 *   version, user not locked) and checks the permission. It returns 0, or 77
 *   after printing "prog: permission denied: ..." naming the missing
 *   permission (and audits the denial), or another exit code (db error).
 * - Every other function returning int returns 0 or an exit code (err.h)
 *   after printing a message, unless stated otherwise.
 * - Functions that write (audit, rate limit, login) join the caller's
 *   transaction when db->in_tx is set, else run their own BEGIN IMMEDIATE
 *   transaction; a caller that rolls back loses its audit rows with it.
 * - Strings in struct ab_auth_claims are owned by it: ab_auth_claims_free.
 * - Secrets (passwords, token keys, decrypted values) are wiped with
 *   sodium_memzero before their memory is freed.
 */
#ifndef AB_AUTH_H
#define AB_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define AB_AUTH_TOKEN_MAX 8192        /* longer tokens are rejected unparsed */
#define AB_AUTH_LEEWAY_S 60           /* the most clock skew ever tolerated */
#define AB_AUTH_MAX_TTL_S 86400       /* exp - iat may not exceed this */
#define AB_AUTH_ISSUER "autobot"      /* iss of every token we make and accept */
#define AB_AUTH_AUDIENCE "autobot"    /* default aud, and the one require wants */
#define AB_AUTH_TYP "at+jwt"          /* the JOSE header typ (RFC 9068) */

/* Permissions the built-in roles use (any "word:word" may be granted). */
#define AB_PERM_ORDER_LIVE "order:live"
#define AB_PERM_ORDER_PAPER "order:paper"
#define AB_PERM_PRICE_APPLY "price:apply"
#define AB_PERM_STRATEGY_APPLY "strategy:apply"
#define AB_PERM_INVENTORY_WRITE "inventory:write"
#define AB_PERM_REPORT_VIEW "report:view"
#define AB_PERM_USER_ADMIN "user:admin"
#define AB_PERM_SECRET_READ "secret:read"
#define AB_PERM_SECRET_WRITE "secret:write"
#define AB_PERM_AUDIT_VIEW "audit:view"

struct ab_auth_claims {
	char *alg, *kid, *typ;       /* from the protected header */
	char *iss, *sub, *aud, *jti; /* aud: the audience that matched */
	char *role;
	char **perms;
	int nperms;
	int64_t iat, exp, nbf;       /* seconds since the epoch; nbf 0 if absent */
	int64_t ver;                 /* the user's token version at issue */
};

/* Requires `perm` of the token in $AB_TOKEN (see above). On success and when
 * `who` is not NULL, *who gets the token's subject (caller frees). */
int ab_auth_require(struct ab_db *db, const char *perm, char **who);

/* Verifies a compact JWS token for audience `aud` (NULL: AB_AUTH_AUDIENCE)
 * with `leeway_s` (clamped to 0..AB_AUTH_LEEWAY_S). 0 and *c filled, or 77
 * with a message saying why it was rejected, or a db error code. When why
 * is not NULL, the reason goes to why[whylen] instead of stderr. */
int ab_auth_verify(struct ab_db *db, const char *token, const char *aud,
		   int leeway_s, struct ab_auth_claims *c,
		   char *why, size_t whylen);
void ab_auth_claims_free(struct ab_auth_claims *c);
/* 1 if the claims carry perm, else 0. */
int ab_auth_has_perm(const struct ab_auth_claims *c, const char *perm);

/* Checks name and password (wiped by the caller), counting the attempt in
 * the rate limiter under "login:user:NAME" and "login:src:SOURCE" first;
 * on success issues a token (caller frees *token). alg: "EdDSA" (NULL) or
 * "HS256"; aud NULL: AB_AUTH_AUDIENCE. Returns 0, 77 (bad name or password,
 * or user locked: the message does not say which of name or password was
 * wrong), 75 (rate limited) or another code. Every outcome is audited. */
struct ab_auth_login {
	const char *name, *source, *aud, *alg;
	int64_t ttl_s; /* 0: 15 minutes */
};
int ab_auth_login(struct ab_db *db, const struct ab_auth_login *l,
		  const char *password, size_t pwlen, char **token);

/* Appends one row to the hash-chained audit table. detail_json: a JSON
 * object's text, or NULL. Never fails silently: returns a db error code. */
int ab_auth_audit(struct ab_db *db, const char *actor, const char *action,
		  const char *object, const char *detail_json);
/* The actor for audit rows of this process: the subject of a valid
 * $AB_TOKEN, else "local:USER". Caller frees. */
char *ab_auth_actor(struct ab_db *db);

/* GCRA rate limiting (redis-cell semantics): `count` actions per `period_ms`
 * with bursts of up to burst+1. */
struct ab_rate {
	int64_t burst, count, period_ms;
};
struct ab_rate_result {
	int limited;
	int64_t limit, remaining;
	int64_t retry_after_ms; /* -1 when allowed */
	int64_t reset_after_ms;
};
/* The pure step: updates *tat_ns (0 for a fresh key) for qty actions at now_ns. */
void ab_auth_gcra(int64_t *tat_ns, int64_t now_ns, const struct ab_rate *r,
		  int64_t qty, struct ab_rate_result *out);
/* The same on the row `key` of rate_limits, atomically across processes.
 * Returns 0 (see out->limited: nothing is printed when limited) or a db error. */
int ab_auth_rate(struct ab_db *db, const char *key, const struct ab_rate *r,
		 int64_t qty, struct ab_rate_result *out);

/* Decrypts the stored secret `name` into *val (NUL-terminated, *len bytes;
 * free with ab_auth_secret_free) after ab_auth_require(AB_PERM_SECRET_READ).
 * The key comes from $AB_MASTER_KEY_FILE (mode 0600) or $AB_MASTER_KEY.
 * The access is audited. 66 if there is no such secret. */
int ab_auth_secret_get(struct ab_db *db, const char *name, char **val, size_t *len);
void ab_auth_secret_free(char *val, size_t len);

/* ---- Below: the parts ab-auth itself (and ab-serve) build on. ---- */

/* A key from the keys table; alg is bound to it. */
struct ab_auth_key {
	char kid[96];
	char alg[8];                  /* "EdDSA" or "HS256" */
	char status[8];               /* active, retired, verify */
	unsigned char pub[32];        /* Ed25519 public key when has_pub */
	int has_pub;
	unsigned char secret[128];    /* Ed25519 seed (32) or HMAC key */
	size_t seclen;                /* 0: verify-only */
	int64_t created;
};
#define AB_AUTH_HMAC_MIN 32           /* RFC 7518 3.2: key >= hash size */

/* The active signing key for alg (66 if none: run `ab-auth init`). */
int ab_auth_key_active(struct ab_db *db, const char *alg, struct ab_auth_key *k);
void ab_auth_key_wipe(struct ab_auth_key *k);
/* RFC 7638 thumbprint of the key's JWK (base64url), the kid we give keys. */
void ab_auth_key_thumbprint(const struct ab_auth_key *k, char out[64]);
/* The JWS signature of input (base64url text, caller frees), and its check
 * (1 valid, 0 not): Ed25519 or HMAC-SHA-256 by the key's alg, constant time. */
char *ab_auth_jws_sign(const struct ab_auth_key *k, const char *input, size_t n);
int ab_auth_jws_check(const struct ab_auth_key *k, const char *input, size_t n,
		      const unsigned char *sig, size_t siglen);
/* Issues a token for user `sub` (role, perms and token version read from the
 * database) and records its jti; joins or opens a transaction. */
int ab_auth_issue(struct ab_db *db, const char *sub, const char *aud,
		  const char *alg, int64_t ttl_s, char **token);

/* Argon2id limits for new password hashes: libsodium's interactive limits,
 * or $AB_PWHASH_LIMITS ("min" for tests only, "interactive", "moderate"). */
void ab_auth_pwlimits(unsigned long long *ops, size_t *mem);
/* crypto_pwhash_str at those limits; 0 or 70 (out of memory). */
int ab_auth_pwhash(char out[128], const char *pw, size_t len);
/* 1 when the stored hash is weaker than the current limits (or not Argon2id). */
int ab_auth_pw_weaker(const char *stored);

/* The audit row hash: SHA-256(prev || each field length-prefixed). */
void ab_auth_audit_hash(unsigned char out[32], const unsigned char prev[32],
			int64_t seq, int64_t ts, const char *actor, const char *action,
			const char *object, const char *detail);

/* The 32-byte secrets key derived (Argon2id) from the master key; with
 * create, sets up the derivation parameters on first use. 77 when the
 * master key is missing or wrong, 66 when none was ever set up. */
int ab_auth_master_key(struct ab_db *db, unsigned char key[32], int create);

#endif
