/* auth: JWS tokens on libsodium, permission checks, GCRA limits, the audit chain, secrets. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jv.h>
#include <sodium.h>

#include "auth.h"
#include "crypto.h"
#include "err.h"
#include "jsonl.h"
#include "timefmt.h"

static const struct ab_rate login_user_rate = {4, 1, 60000};  /* 5, then 1 a minute */
static const struct ab_rate login_src_rate = {19, 1, 6000};   /* 20, then 1 every 6 s */

static int
init_sodium(void)
{
	static int done;

	if (!done) {
		unsigned char b;
		ab_crypto_random(&b, 1); /* initialises libsodium (aborts if it cannot) */
		done = 1;
	}
	return 0;
}

/* ---- helpers ---- */

static int64_t
now_s(void)
{
	int64_t ms = ab_now_ms();

	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

static int64_t
now_ns(void)
{
	const char *e = getenv("AB_NOW");
	struct timespec ts;

	if (e && *e)
		return ab_now_ms() * 1000000;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
own_begin(struct ab_db *db, int *own)
{
	*own = !db->in_tx;
	return *own ? ab_db_begin(db) : 0;
}

static int
own_end(struct ab_db *db, int own, int code)
{
	if (!own)
		return code;
	if (code) {
		ab_db_rollback(db);
		return code;
	}
	return ab_db_commit(db);
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? ab_strdup((const char *)s) : NULL;
}

/* A JSON object with unique member names (RFC 7515 4: reject duplicates,
 * whatever escapes spell them), strict RFC 8259 and UTF-8; parsed into *out. */
static int
json_object(const char *s, size_t n, jv *out, const char **why)
{
	struct ab_jrec rec;
	char **keys;
	size_t *lens;
	int bad = 0;

	*out = jv_invalid();
	ab_jrec_init(&rec);
	if (ab_jrec_parse(&rec, s, n)) {
		ab_jrec_free(&rec);
		*why = "not a JSON object";
		return -1;
	}
	keys = ab_calloc((size_t)rec.n + 1, sizeof *keys);
	lens = ab_calloc((size_t)rec.n + 1, sizeof *lens);
	for (int i = 0; i < rec.n; i++) {
		keys[i] = ab_malloc(rec.f[i].klen + 1);
		lens[i] = ab_json_unescape(rec.f[i].key, rec.f[i].klen, keys[i]);
		for (int j = 0; j < i && !bad; j++)
			if (lens[j] == lens[i] && memcmp(keys[j], keys[i], lens[i]) == 0)
				bad = 1;
	}
	for (int i = 0; i < rec.n; i++)
		free(keys[i]);
	free(keys);
	free(lens);
	ab_jrec_free(&rec);
	if (bad) {
		*why = "duplicate member name";
		return -1;
	}
	*out = jv_parse_sized(s, (int)n);
	if (jv_get_kind(*out) != JV_KIND_OBJECT) {
		jv_free(*out);
		*out = jv_invalid();
		*why = "not a JSON object";
		return -1;
	}
	return 0;
}

/* obj[key] as a new string, NULL if absent; *bad when present but not a string. */
static char *
jv_str(jv obj, const char *key, int *bad)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	char *s = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING)
		s = ab_strdup(jv_string_value(v));
	else if (jv_get_kind(v) != JV_KIND_INVALID && bad)
		*bad = 1;
	jv_free(v);
	return s;
}

/* obj[key] as an integer number of seconds: 1 present, 0 absent, -1 not a number. */
static int
jv_secs(jv obj, const char *key, int64_t *out)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	int r = 0;

	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);
		if (d == d && d > -1e15 && d < 1e15) {
			*out = (int64_t)d;
			r = 1;
		} else {
			r = -1;
		}
	} else if (jv_get_kind(v) != JV_KIND_INVALID) {
		r = -1;
	}
	jv_free(v);
	return r;
}

static int
jv_member(jv obj, const char *key)
{
	return jv_object_has(jv_copy(obj), jv_string(key));
}

/* ---- keys ---- */

void
ab_auth_key_wipe(struct ab_auth_key *k)
{
	sodium_memzero(k, sizeof *k);
}

static void
key_from_row(sqlite3_stmt *st, struct ab_auth_key *k)
{
	const void *p;
	int n;

	memset(k, 0, sizeof *k);
	snprintf(k->kid, sizeof k->kid, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(k->alg, sizeof k->alg, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(k->status, sizeof k->status, "%s", (const char *)sqlite3_column_text(st, 2));
	p = sqlite3_column_blob(st, 3);
	n = sqlite3_column_bytes(st, 3);
	if (p && n == 32) {
		memcpy(k->pub, p, 32);
		k->has_pub = 1;
	}
	p = sqlite3_column_blob(st, 4);
	n = sqlite3_column_bytes(st, 4);
	if (p && n > 0 && (size_t)n <= sizeof k->secret) {
		memcpy(k->secret, p, (size_t)n);
		k->seclen = (size_t)n;
	}
	k->created = sqlite3_column_int64(st, 5);
}

#define KEY_COLS "kid, alg, status, public, secret, created"

int
ab_auth_key_active(struct ab_db *db, const char *alg, struct ab_auth_key *k)
{
	sqlite3_stmt *st;
	int rc, code;

	if ((code = ab_db_prepare(db, "SELECT " KEY_COLS " FROM keys WHERE alg = ? AND status = 'active'"
				      " AND secret IS NOT NULL ORDER BY created DESC LIMIT 1", &st)))
		return code;
	sqlite3_bind_text(st, 1, alg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		key_from_row(st, k);
		code = 0;
	} else if (rc == SQLITE_DONE) {
		code = ab_err(AB_ENOINPUT, "no active %s signing key: run \"ab-auth init\"", alg);
	} else {
		code = ab_db_fail(db, rc, "read keys");
	}
	sqlite3_finalize(st);
	return code;
}

void
ab_auth_key_thumbprint(const struct ab_auth_key *k, char out[64])
{
	unsigned char d[32];
	char *json, *b, *t;

	if (strcmp(k->alg, "EdDSA") == 0) {
		b = ab_crypto_base64url_encode(k->pub, 32);
		json = ab_malloc(strlen(b) + 64);
		sprintf(json, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", b);
	} else {
		b = ab_crypto_base64url_encode(k->secret, k->seclen);
		json = ab_malloc(strlen(b) + 64);
		sprintf(json, "{\"k\":\"%s\",\"kty\":\"oct\"}", b);
	}
	ab_crypto_sha256(d, json, strlen(json));
	t = ab_crypto_base64url_encode(d, sizeof d);
	snprintf(out, 64, "%s", t);
	sodium_memzero(b, strlen(b));
	sodium_memzero(json, strlen(json));
	free(b);
	free(json);
	free(t);
}

char *
ab_auth_jws_sign(const struct ab_auth_key *k, const char *input, size_t n)
{
	unsigned char sig[64];
	size_t len;

	init_sodium();
	if (strcmp(k->alg, "EdDSA") == 0) {
		unsigned char pk[32], sk[64];
		if (k->seclen != 32)
			return NULL;
		crypto_sign_seed_keypair(pk, sk, k->secret);
		crypto_sign_detached(sig, NULL, (const unsigned char *)input, n, sk);
		sodium_memzero(sk, sizeof sk);
		len = 64;
	} else if (strcmp(k->alg, "HS256") == 0) {
		if (k->seclen < AB_AUTH_HMAC_MIN)
			return NULL;
		ab_crypto_hmac_sha256(sig, k->secret, k->seclen, input, n);
		len = 32;
	} else {
		return NULL;
	}
	return ab_crypto_base64url_encode(sig, len);
}

int
ab_auth_jws_check(const struct ab_auth_key *k, const char *input, size_t n,
		  const unsigned char *sig, size_t siglen)
{
	init_sodium();
	if (strcmp(k->alg, "EdDSA") == 0) {
		if (!k->has_pub || siglen != crypto_sign_BYTES)
			return 0;
		return crypto_sign_verify_detached(sig, (const unsigned char *)input, n, k->pub) == 0;
	}
	if (strcmp(k->alg, "HS256") == 0) {
		unsigned char mac[32];
		int ok;
		if (k->seclen < AB_AUTH_HMAC_MIN || siglen != sizeof mac)
			return 0;
		ab_crypto_hmac_sha256(mac, k->secret, k->seclen, input, n);
		ok = sodium_memcmp(mac, sig, sizeof mac) == 0;
		sodium_memzero(mac, sizeof mac);
		return ok;
	}
	return 0;
}

/* ---- verification ---- */

void
ab_auth_claims_free(struct ab_auth_claims *c)
{
	if (!c)
		return;
	free(c->alg);
	free(c->kid);
	free(c->typ);
	free(c->iss);
	free(c->sub);
	free(c->aud);
	free(c->jti);
	free(c->role);
	for (int i = 0; i < c->nperms; i++)
		free(c->perms[i]);
	free(c->perms);
	memset(c, 0, sizeof *c);
}

int
ab_auth_has_perm(const struct ab_auth_claims *c, const char *perm)
{
	for (int i = 0; i < c->nperms; i++)
		if (strcmp(c->perms[i], perm) == 0)
			return 1;
	return 0;
}

static int
reject(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
reject(char *why, size_t whylen, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (why) {
		snprintf(why, whylen, "%s", buf);
		return AB_ENOPERM;
	}
	return ab_err(AB_ENOPERM, "token rejected: %s", buf);
}

static int
typ_ok(const char *t)
{
	if (strncasecmp(t, "application/", 12) == 0)
		t += 12;
	return strcasecmp(t, AB_AUTH_TYP) == 0;
}

/* The keys a token may be checked with: the one named by kid (which must
 * carry the header's alg), or every key of that alg. kid is an opaque map
 * key: bound as a parameter, never a path or a URL. */
static int
candidate_keys(struct ab_db *db, const char *alg, const char *kid,
	       struct ab_auth_key **out, int *n, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int rc, code, cap = 4;

	*out = ab_calloc((size_t)cap, sizeof **out);
	*n = 0;
	if ((code = ab_db_prepare(db, kid ? "SELECT " KEY_COLS " FROM keys WHERE kid = ?"
					  : "SELECT " KEY_COLS " FROM keys WHERE alg = ?", &st)))
		return code;
	sqlite3_bind_text(st, 1, kid ? kid : alg, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			*out = ab_realloc(*out, (size_t)(cap *= 2) * sizeof **out);
		}
		key_from_row(st, &(*out)[(*n)++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ab_db_fail(db, rc, "read keys");
	if (*n == 0)
		return kid ? reject(why, whylen, "unknown key id") :
			     reject(why, whylen, "no %s key to verify with", alg);
	if (kid && strcmp((*out)[0].alg, alg) != 0)
		return reject(why, whylen, "alg \"%s\" does not match key \"%s\" (%s)", alg, kid,
			      (*out)[0].alg);
	return 0;
}

static void
wipe_keys(struct ab_auth_key *k, int n)
{
	if (k)
		sodium_memzero(k, (size_t)n * sizeof *k);
	free(k);
}

static int
check_claims(struct ab_db *db, jv cl, const char *aud, int leeway, struct ab_auth_claims *c,
	     char *why, size_t whylen)
{
	int bad = 0, r;
	int64_t now = now_s(), exp, iat, nbf;
	sqlite3_stmt *st;
	int rc, code;
	char t[AB_TIME_MAX];

	c->iss = jv_str(cl, "iss", &bad);
	c->sub = jv_str(cl, "sub", &bad);
	c->jti = jv_str(cl, "jti", &bad);
	c->role = jv_str(cl, "role", &bad);
	if (bad)
		return reject(why, whylen, "iss, sub, jti and role must be strings");
	if (!c->iss)
		return reject(why, whylen, "no \"iss\" claim");
	if (strcmp(c->iss, AB_AUTH_ISSUER) != 0)
		return reject(why, whylen, "issuer \"%s\" is not \"%s\"", c->iss, AB_AUTH_ISSUER);
	if (!c->sub || !*c->sub)
		return reject(why, whylen, "no \"sub\" claim");
	if (!c->jti || !*c->jti)
		return reject(why, whylen, "no \"jti\" claim");

	/* aud: a string or an array of strings, one of which must be ours. */
	jv a = jv_object_get(jv_copy(cl), jv_string("aud"));
	if (jv_get_kind(a) == JV_KIND_STRING) {
		if (strcmp(jv_string_value(a), aud) == 0)
			c->aud = ab_strdup(aud);
	} else if (jv_get_kind(a) == JV_KIND_ARRAY) {
		jv_array_foreach(a, i, e) {
			if (jv_get_kind(e) != JV_KIND_STRING)
				bad = 1;
			else if (!c->aud && strcmp(jv_string_value(e), aud) == 0)
				c->aud = ab_strdup(aud);
			jv_free(e);
		}
	} else if (jv_get_kind(a) != JV_KIND_INVALID) {
		bad = 1;
	}
	int has_aud = jv_get_kind(a) != JV_KIND_INVALID;
	jv_free(a);
	if (bad)
		return reject(why, whylen, "\"aud\" must be a string or an array of strings");
	if (!has_aud)
		return reject(why, whylen, "no \"aud\" claim");
	if (!c->aud)
		return reject(why, whylen, "audience \"%s\" not in \"aud\"", aud);

	if ((r = jv_secs(cl, "exp", &exp)) <= 0)
		return reject(why, whylen, r ? "\"exp\" is not a number" : "no \"exp\" claim");
	if ((r = jv_secs(cl, "iat", &iat)) <= 0)
		return reject(why, whylen, r ? "\"iat\" is not a number" : "no \"iat\" claim");
	if ((r = jv_secs(cl, "nbf", &nbf)) < 0)
		return reject(why, whylen, "\"nbf\" is not a number");
	if (r == 0)
		nbf = 0;
	c->exp = exp;
	c->iat = iat;
	c->nbf = nbf;
	if (now >= exp + leeway) {
		ab_time_format(exp * 1000, t);
		return reject(why, whylen, "expired at %s", t);
	}
	if (nbf && now + leeway < nbf) {
		ab_time_format(nbf * 1000, t);
		return reject(why, whylen, "not valid before %s", t);
	}
	if (iat > now + leeway) {
		ab_time_format(iat * 1000, t);
		return reject(why, whylen, "issued in the future (%s)", t);
	}
	if (exp <= iat || exp - iat > AB_AUTH_MAX_TTL_S)
		return reject(why, whylen, "lifetime exp - iat of %lld s is not within 1..%d s",
			      (long long)(exp - iat), AB_AUTH_MAX_TTL_S);
	if ((r = jv_secs(cl, "ver", &c->ver)) <= 0)
		return reject(why, whylen, r ? "\"ver\" is not a number" : "no \"ver\" claim");

	jv p = jv_object_get(jv_copy(cl), jv_string("perms"));
	if (jv_get_kind(p) == JV_KIND_ARRAY) {
		c->perms = ab_calloc((size_t)jv_array_length(jv_copy(p)) + 1, sizeof *c->perms);
		jv_array_foreach(p, i, e) {
			if (jv_get_kind(e) == JV_KIND_STRING)
				c->perms[c->nperms++] = ab_strdup(jv_string_value(e));
			else
				bad = 1;
			jv_free(e);
		}
	} else if (jv_get_kind(p) != JV_KIND_INVALID) {
		bad = 1;
	}
	jv_free(p);
	if (bad)
		return reject(why, whylen, "\"perms\" must be an array of strings");

	/* Revocation: by jti, and by the user's token version. */
	if ((code = ab_db_prepare(db, "SELECT 1 FROM revoked WHERE jti = ?", &st)))
		return code;
	sqlite3_bind_text(st, 1, c->jti, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return reject(why, whylen, "revoked (jti %s)", c->jti);
	if (rc != SQLITE_DONE)
		return ab_db_fail(db, rc, "read revoked");
	if ((code = ab_db_prepare(db, "SELECT token_version, locked FROM users WHERE name = ?", &st)))
		return code;
	sqlite3_bind_text(st, 1, c->sub, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(st, 0);
		int locked = sqlite3_column_int(st, 1);
		sqlite3_finalize(st);
		if (locked)
			return reject(why, whylen, "user \"%s\" is locked", c->sub);
		if (v != c->ver)
			return reject(why, whylen, "revoked (every token of \"%s\" before version %lld)",
				      c->sub, (long long)v);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ab_db_fail(db, rc, "read users");
	return reject(why, whylen, "unknown user \"%s\"", c->sub);
}

int
ab_auth_verify(struct ab_db *db, const char *token, const char *aud, int leeway_s,
	       struct ab_auth_claims *c, char *why, size_t whylen)
{
	size_t len = strlen(token), hlen, plen, slen;
	const char *d1, *d2, *jwhy = NULL;
	unsigned char *hdr = NULL, *pay = NULL, *sig = NULL;
	struct ab_auth_key *keys = NULL;
	int nkeys = 0, code, bad = 0, ok = 0;
	jv h = jv_invalid(), cl = jv_invalid();

	memset(c, 0, sizeof *c);
	if (!aud)
		aud = AB_AUTH_AUDIENCE;
	if (leeway_s < 0)
		leeway_s = 0;
	if (leeway_s > AB_AUTH_LEEWAY_S)
		leeway_s = AB_AUTH_LEEWAY_S;
	if (len > AB_AUTH_TOKEN_MAX)
		return reject(why, whylen, "longer than %d bytes", AB_AUTH_TOKEN_MAX);
	d1 = strchr(token, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return reject(why, whylen, "not three dot-separated parts");
	if (d1 == token || d2 == d1 + 1 || !d2[1])
		return reject(why, whylen, "an empty part");
	if (!(hdr = ab_crypto_base64url_decode(token, (size_t)(d1 - token), &hlen)) ||
	    !(pay = ab_crypto_base64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &plen)) ||
	    !(sig = ab_crypto_base64url_decode(d2 + 1, strlen(d2 + 1), &slen))) {
		code = reject(why, whylen, "a part is not canonical base64url");
		goto done;
	}
	if (json_object((const char *)hdr, hlen, &h, &jwhy)) {
		code = reject(why, whylen, "header: %s", jwhy);
		goto done;
	}
	c->alg = jv_str(h, "alg", &bad);
	c->typ = jv_str(h, "typ", &bad);
	c->kid = jv_str(h, "kid", &bad);
	if (bad || !c->alg) {
		code = reject(why, whylen, "header: \"alg\", \"typ\" and \"kid\" must be strings");
		goto done;
	}
	if (strcmp(c->alg, "EdDSA") != 0 && strcmp(c->alg, "HS256") != 0) {
		code = reject(why, whylen, "alg \"%s\" is not accepted", c->alg);
		goto done;
	}
	/* We implement no extension, so any crit is unknown (RFC 7515 4.1.11);
	 * b64 only has meaning under crit (RFC 7797). */
	if (jv_member(h, "crit") || jv_member(h, "b64")) {
		code = reject(why, whylen, "header: unsupported \"%s\"", jv_member(h, "crit") ? "crit" : "b64");
		goto done;
	}
	if (c->kid && (strlen(c->kid) == 0 || strlen(c->kid) > 90)) {
		code = reject(why, whylen, "header: bad \"kid\"");
		goto done;
	}
	if ((code = candidate_keys(db, c->alg, c->kid, &keys, &nkeys, why, whylen)))
		goto done;
	for (int i = 0; i < nkeys && !ok; i++)
		if (ab_auth_jws_check(&keys[i], token, (size_t)(d2 - token), sig, slen)) {
			ok = 1;
			if (!c->kid)
				c->kid = ab_strdup(keys[i].kid);
		}
	if (!ok) {
		code = reject(why, whylen, "bad signature");
		goto done;
	}
	/* Explicit typing (RFC 8725 3.11): only access tokens are accepted. */
	if (!c->typ || !typ_ok(c->typ)) {
		code = reject(why, whylen, "header: typ must be \"%s\"", AB_AUTH_TYP);
		goto done;
	}
	if (json_object((const char *)pay, plen, &cl, &jwhy)) {
		code = reject(why, whylen, "claims: %s", jwhy);
		goto done;
	}
	code = check_claims(db, cl, aud, leeway_s, c, why, whylen);
done:
	jv_free(h);
	jv_free(cl);
	wipe_keys(keys, nkeys);
	free(hdr);
	free(pay);
	free(sig);
	if (code)
		ab_auth_claims_free(c);
	return code;
}

/* ---- require ---- */

char *
ab_auth_actor(struct ab_db *db)
{
	const char *tok = getenv("AB_TOKEN");
	const char *user = getenv("USER");
	char why[256], *s;

	if (tok && *tok) {
		struct ab_auth_claims c;
		if (ab_auth_verify(db, tok, NULL, AB_AUTH_LEEWAY_S, &c, why, sizeof why) == 0) {
			s = ab_strdup(c.sub);
			ab_auth_claims_free(&c);
			return s;
		}
	}
	if (!user || !*user) {
		struct passwd *pw = getpwuid(getuid());
		user = pw ? pw->pw_name : "unknown";
	}
	s = ab_malloc(strlen(user) + 7);
	sprintf(s, "local:%s", user);
	return s;
}

static char *
detail_kv(const char *k1, const char *v1, const char *k2, const char *v2)
{
	jv o = jv_object();
	jv d;
	char *s;

	if (k1 && v1)
		o = jv_object_set(o, jv_string(k1), jv_string(v1));
	if (k2 && v2)
		o = jv_object_set(o, jv_string(k2), jv_string(v2));
	d = jv_dump_string(o, 0);
	s = ab_strdup(jv_string_value(d));
	jv_free(d);
	return s;
}

int
ab_auth_require(struct ab_db *db, const char *perm, char **who)
{
	const char *tok = getenv("AB_TOKEN");
	struct ab_auth_claims c;
	char why[512], *detail;
	int code;

	if (who)
		*who = NULL;
	if (!tok || !*tok) {
		detail = detail_kv("perm", perm, "why", "no token");
		ab_auth_audit(db, "anonymous", "perm.denied", perm, detail);
		free(detail);
		return ab_err(AB_ENOPERM, "permission denied: \"%s\" needs a token in AB_TOKEN "
			      "(ab-auth login NAME)", perm);
	}
	code = ab_auth_verify(db, tok, NULL, AB_AUTH_LEEWAY_S, &c, why, sizeof why);
	if (code == AB_ENOPERM) {
		detail = detail_kv("perm", perm, "why", why);
		ab_auth_audit(db, "anonymous", "perm.denied", perm, detail);
		free(detail);
		return ab_err(AB_ENOPERM, "permission denied: \"%s\": AB_TOKEN rejected: %s", perm, why);
	}
	if (code)
		return code;
	if (!ab_auth_has_perm(&c, perm)) {
		detail = detail_kv("perm", perm, "role", c.role);
		ab_auth_audit(db, c.sub, "perm.denied", perm, detail);
		free(detail);
		code = ab_err(AB_ENOPERM, "permission denied: \"%s\" is not granted to \"%s\" (role %s)",
			      perm, c.sub, c.role ? c.role : "none");
		ab_auth_claims_free(&c);
		return code;
	}
	if (who)
		*who = ab_strdup(c.sub);
	ab_auth_claims_free(&c);
	return 0;
}

/* ---- issuing ---- */

int
ab_auth_issue(struct ab_db *db, const char *sub, const char *aud, const char *alg,
	      int64_t ttl_s, char **token)
{
	struct ab_auth_key k;
	sqlite3_stmt *st;
	unsigned char rnd[16];
	char *jti, *hb, *pb, *sig, *input;
	jv hdr, pay, perms, d;
	int64_t now = now_s(), ver;
	char *role;
	int rc, code, own;

	*token = NULL;
	if (!alg)
		alg = "EdDSA";
	if (!aud)
		aud = AB_AUTH_AUDIENCE;
	if (ttl_s <= 0)
		ttl_s = 900;
	if (ttl_s > AB_AUTH_MAX_TTL_S)
		return ab_err(AB_EUSAGE, "a token may live at most %d s", AB_AUTH_MAX_TTL_S);
	if ((code = own_begin(db, &own)))
		return code;
	if ((code = ab_auth_key_active(db, alg, &k)))
		return own_end(db, own, code);
	if ((code = ab_db_prepare(db, "SELECT role, token_version FROM users WHERE name = ?", &st)))
		goto out;
	sqlite3_bind_text(st, 1, sub, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		code = rc == SQLITE_DONE ? ab_err(AB_ENOINPUT, "no user \"%s\"", sub)
					 : ab_db_fail(db, rc, "read users");
		goto out;
	}
	role = col_dup(st, 0);
	ver = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	if ((code = ab_db_prepare(db, "SELECT perm FROM role_perms WHERE role = ? ORDER BY perm", &st))) {
		free(role);
		goto out;
	}
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	perms = jv_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		perms = jv_array_append(perms, jv_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);

	ab_crypto_random(rnd, sizeof rnd);
	jti = ab_crypto_base64url_encode(rnd, sizeof rnd);
	hdr = jv_object_set(jv_object(), jv_string("alg"), jv_string(alg));
	hdr = jv_object_set(hdr, jv_string("typ"), jv_string(AB_AUTH_TYP));
	hdr = jv_object_set(hdr, jv_string("kid"), jv_string(k.kid));
	pay = jv_object_set(jv_object(), jv_string("iss"), jv_string(AB_AUTH_ISSUER));
	pay = jv_object_set(pay, jv_string("sub"), jv_string(sub));
	pay = jv_object_set(pay, jv_string("aud"), jv_string(aud));
	pay = jv_object_set(pay, jv_string("iat"), jv_number((double)now));
	pay = jv_object_set(pay, jv_string("exp"), jv_number((double)(now + ttl_s)));
	pay = jv_object_set(pay, jv_string("jti"), jv_string(jti));
	pay = jv_object_set(pay, jv_string("role"), jv_string(role));
	pay = jv_object_set(pay, jv_string("perms"), perms);
	pay = jv_object_set(pay, jv_string("ver"), jv_number((double)ver));
	free(role);
	d = jv_dump_string(hdr, 0);
	hb = ab_crypto_base64url_encode(jv_string_value(d), (size_t)jv_string_length_bytes(jv_copy(d)));
	jv_free(d);
	d = jv_dump_string(pay, 0);
	pb = ab_crypto_base64url_encode(jv_string_value(d), (size_t)jv_string_length_bytes(jv_copy(d)));
	jv_free(d);
	size_t ilen = strlen(hb) + strlen(pb) + 2;
	input = ab_malloc(ilen);
	snprintf(input, ilen, "%s.%s", hb, pb);
	free(hb);
	free(pb);
	sig = ab_auth_jws_sign(&k, input, strlen(input));
	if (!sig) {
		code = ab_err(AB_ESOFTWARE, "key \"%s\" cannot sign", k.kid);
		free(input);
		free(jti);
		goto out;
	}
	*token = ab_malloc(strlen(input) + strlen(sig) + 2);
	sprintf(*token, "%s.%s", input, sig);
	free(input);
	free(sig);
	if (!(code = ab_db_prepare(db, "INSERT INTO tokens(jti, sub, kid, iat_s, exp_s) VALUES (?,?,?,?,?)", &st))) {
		sqlite3_bind_text(st, 1, jti, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, sub, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, k.kid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, now);
		sqlite3_bind_int64(st, 5, now + ttl_s);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			code = ab_db_fail(db, rc, "record token");
	}
	free(jti);
out:
	ab_auth_key_wipe(&k);
	if (code) {
		free(*token);
		*token = NULL;
	}
	return own_end(db, own, code);
}

/* ---- passwords ---- */

void
ab_auth_pwlimits(unsigned long long *ops, size_t *mem)
{
	const char *e = getenv("AB_PWHASH_LIMITS");

	if (e && strcmp(e, "min") == 0) {
		*ops = crypto_pwhash_OPSLIMIT_MIN;
		*mem = crypto_pwhash_MEMLIMIT_MIN;
	} else if (e && strcmp(e, "moderate") == 0) {
		*ops = crypto_pwhash_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_MEMLIMIT_MODERATE;
	} else {
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	}
}

int
ab_auth_pwhash(char out[128], const char *pw, size_t len)
{
	unsigned long long ops;
	size_t mem;

	init_sodium();
	ab_auth_pwlimits(&ops, &mem);
	if (crypto_pwhash_str(out, pw, len, ops, mem) != 0)
		return ab_err(AB_ESOFTWARE, "password hashing failed (out of memory?)");
	return 0;
}

int
ab_auth_pw_weaker(const char *stored)
{
	unsigned long long ops, m, t;
	size_t mem;
	const char *p;

	ab_auth_pwlimits(&ops, &mem);
	if (strncmp(stored, "$argon2id$v=19$", 15) != 0)
		return 1;
	p = stored + 15;
	if (sscanf(p, "m=%llu,t=%llu,", &m, &t) != 2)
		return 1;
	return m * 1024 < mem || t < ops;
}

/* A hash to verify against when the user does not exist, so that the time
 * taken does not tell which names exist. */
static const char *
dummy_hash(void)
{
	static char h[crypto_pwhash_STRBYTES];

	if (!h[0] && ab_auth_pwhash(h, "not a password", 14) != 0)
		return NULL;
	return h;
}

/* ---- login ---- */

static int
rate_step(struct ab_db *db, const char *key, const struct ab_rate *r, int64_t qty,
	  struct ab_rate_result *out)
{
	sqlite3_stmt *st;
	int64_t tat = 0, now = now_ns();
	int rc, code;

	if ((code = ab_db_prepare(db, "SELECT tat_ns FROM rate_limits WHERE key = ?", &st)))
		return code;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		tat = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ab_db_fail(db, rc, "read rate_limits");
	ab_auth_gcra(&tat, now, r, qty, out);
	if (out->limited)
		return 0;
	if ((code = ab_db_prepare(db, "INSERT INTO rate_limits(key, tat_ns) VALUES (?, ?)"
				      " ON CONFLICT(key) DO UPDATE SET tat_ns = excluded.tat_ns", &st)))
		return code;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, tat);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ab_db_fail(db, rc, "write rate_limits");
}

int
ab_auth_rate(struct ab_db *db, const char *key, const struct ab_rate *r, int64_t qty,
	     struct ab_rate_result *out)
{
	int own, code;

	if ((code = own_begin(db, &own)))
		return code;
	code = rate_step(db, key, r, qty, out);
	return own_end(db, own, code);
}

void
ab_auth_gcra(int64_t *tat_ns, int64_t now, const struct ab_rate *r, int64_t qty,
	     struct ab_rate_result *out)
{
	int64_t T = r->period_ms * 1000000 / (r->count > 0 ? r->count : 1);

	if (T <= 0)
		T = 1;
	int64_t tau = T * (r->burst + 1);
	int64_t tat = *tat_ns > now ? *tat_ns : now;
	int64_t new_tat = tat + qty * T, allow_at = new_tat - tau;

	out->limit = r->burst + 1;
	if (now < allow_at) {
		out->limited = 1;
		out->remaining = 0;
		out->retry_after_ms = (allow_at - now + 999999) / 1000000;
		out->reset_after_ms = (tat - now + 999999) / 1000000;
		return;
	}
	*tat_ns = new_tat;
	out->limited = 0;
	out->remaining = (tau - (new_tat - now)) / T;
	out->retry_after_ms = -1;
	out->reset_after_ms = (new_tat - now + 999999) / 1000000;
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.' || *s == '@'))
			return 0;
	return 1;
}

int
ab_auth_login(struct ab_db *db, const struct ab_auth_login *l, const char *password,
	      size_t pwlen, char **token)
{
	const char *source = l->source && *l->source ? l->source : "local";
	struct ab_rate_result ru = {0}, rs = {0};
	char key[256], *stored = NULL, *detail, newhash[crypto_pwhash_STRBYTES] = "";
	const char *against;
	sqlite3_stmt *st;
	int code, rc, locked = 0, ok;

	*token = NULL;
	if (!valid_name(l->name))
		return ab_err(AB_EUSAGE, "bad user name \"%s\"", l->name);
	if (strlen(source) > 128)
		return ab_err(AB_EUSAGE, "source too long");
	if (l->ttl_s < 0 || l->ttl_s > AB_AUTH_MAX_TTL_S)
		return ab_err(AB_EUSAGE, "a token may live at most %d s", AB_AUTH_MAX_TTL_S);
	if (db->in_tx)
		return ab_err(AB_ESOFTWARE, "login inside a transaction");

	/* Count the attempt before checking it, in one write transaction, so
	 * parallel processes cannot together make more attempts than allowed. */
	if ((code = ab_db_begin(db)))
		return code;
	snprintf(key, sizeof key, "login:user:%s", l->name);
	if ((code = rate_step(db, key, &login_user_rate, 1, &ru)))
		goto fail;
	if (!ru.limited) {
		snprintf(key, sizeof key, "login:src:%s", source);
		if ((code = rate_step(db, key, &login_src_rate, 1, &rs)))
			goto fail;
	}
	if (ru.limited || rs.limited) {
		int64_t ms = ru.limited ? ru.retry_after_ms : rs.retry_after_ms;
		char after[32];
		snprintf(after, sizeof after, "%lld", (long long)((ms + 999) / 1000));
		detail = detail_kv("source", source, "retry_after_s", after);
		code = ab_auth_audit(db, l->name, "login.limited", l->name, detail);
		free(detail);
		if (code || (code = ab_db_commit(db)))
			goto fail;
		return ab_err(AB_ETEMPFAIL, "login: too many attempts for \"%s\" from %s: retry in %s s",
			      ru.limited ? l->name : source, source, after);
	}
	if ((code = ab_db_prepare(db, "SELECT pwhash, locked FROM users WHERE name = ?", &st)))
		goto fail;
	sqlite3_bind_text(st, 1, l->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		stored = col_dup(st, 0);
		locked = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		code = ab_db_fail(db, rc, "read users");
		goto fail;
	}
	if ((code = ab_db_commit(db)))
		goto out;

	/* The slow part runs outside the lock. */
	against = stored ? stored : dummy_hash();
	ok = against && crypto_pwhash_str_verify(against, password, pwlen) == 0 && stored;
	if (ok && ab_auth_pw_weaker(stored) && (code = ab_auth_pwhash(newhash, password, pwlen)))
		goto out;

	if ((code = ab_db_begin(db)))
		goto out;
	if (!ok || locked) {
		detail = detail_kv("source", source, "why", !ok ? "bad name or password" : "locked");
		code = ab_auth_audit(db, l->name, !ok ? "login.fail" : "login.locked", l->name, detail);
		free(detail);
		if (code || (code = ab_db_commit(db)))
			goto fail;
		code = ab_err(AB_ENOPERM, !ok ? "login: bad user name or password"
					      : "login: user \"%s\" is locked", l->name);
		goto out;
	}
	if (newhash[0]) {
		if ((code = ab_db_prepare(db, "UPDATE users SET pwhash = ?, updated = ? WHERE name = ? AND pwhash = ?", &st)))
			goto fail;
		sqlite3_bind_text(st, 1, newhash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, ab_now_ms());
		sqlite3_bind_text(st, 3, l->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, stored, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			code = ab_db_fail(db, rc, "update password hash");
			goto fail;
		}
	}
	/* A successful login clears the user's failure count (not the source's). */
	snprintf(key, sizeof key, "login:user:%s", l->name);
	if ((code = ab_db_prepare(db, "DELETE FROM rate_limits WHERE key = ?", &st)))
		goto fail;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		code = ab_db_fail(db, rc, "write rate_limits");
		goto fail;
	}
	if ((code = ab_auth_issue(db, l->name, l->aud, l->alg, l->ttl_s, token)))
		goto fail;
	detail = detail_kv("source", source, newhash[0] ? "rehashed" : NULL, "argon2id");
	code = ab_auth_audit(db, l->name, "login.ok", l->name, detail);
	free(detail);
	if (code || (code = ab_db_commit(db)))
		goto fail;
	goto out;
fail:
	ab_db_rollback(db);
	free(*token);
	*token = NULL;
out:
	sodium_memzero(newhash, sizeof newhash);
	free(stored);
	return code;
}

/* ---- audit ---- */

static void
hash_field(crypto_hash_sha256_state *h, const char *s, size_t n)
{
	unsigned char len[8];

	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	crypto_hash_sha256_update(h, len, 8);
	crypto_hash_sha256_update(h, (const unsigned char *)s, n);
}

void
ab_auth_audit_hash(unsigned char out[32], const unsigned char prev[32], int64_t seq, int64_t ts,
		   const char *actor, const char *action, const char *object, const char *detail)
{
	crypto_hash_sha256_state h;
	char num[32];

	init_sodium();
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, prev, 32);
	snprintf(num, sizeof num, "%lld", (long long)seq);
	hash_field(&h, num, strlen(num));
	snprintf(num, sizeof num, "%lld", (long long)ts);
	hash_field(&h, num, strlen(num));
	hash_field(&h, actor, strlen(actor));
	hash_field(&h, action, strlen(action));
	hash_field(&h, object, strlen(object));
	hash_field(&h, detail, strlen(detail));
	crypto_hash_sha256_final(&h, out);
}

int
ab_auth_audit(struct ab_db *db, const char *actor, const char *action, const char *object,
	      const char *detail)
{
	unsigned char prev[32] = {0}, hash[32];
	sqlite3_stmt *st;
	int64_t seq = 1, ts = ab_now_ms();
	int rc, code, own;

	if (!object)
		object = "";
	if (!detail || !*detail)
		detail = "{}";
	if ((code = own_begin(db, &own)))
		return code;
	if ((code = ab_db_prepare(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &st)))
		return own_end(db, own, code);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0) + 1;
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(prev, sqlite3_column_blob(st, 1), 32);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return own_end(db, own, ab_db_fail(db, rc, "read audit"));
	ab_auth_audit_hash(hash, prev, seq, ts, actor, action, object, detail);
	if ((code = ab_db_prepare(db, "INSERT INTO audit(seq, ts, actor, action, object, detail, prev, hash)"
				      " VALUES (?,?,?,?,?,?,?,?)", &st)))
		return own_end(db, own, code);
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, object, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, detail, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	code = rc == SQLITE_DONE ? 0 : ab_db_fail(db, rc, "append audit");
	return own_end(db, own, code);
}

/* ---- secrets ---- */

static const char check_text[] = "autobot secrets key check";

/* The master key's bytes, from the key file (mode 0600 or stricter) or the
 * environment. */
static int
master_bytes(unsigned char **out, size_t *len)
{
	const char *file = getenv("AB_MASTER_KEY_FILE"), *env = getenv("AB_MASTER_KEY");

	*out = NULL;
	if (file && *file) {
		struct stat sb;
		int fd = open(file, O_RDONLY | O_NOFOLLOW);
		if (fd < 0)
			return ab_err(AB_ENOPERM, "%s: %s", file, strerror(errno));
		if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			close(fd);
			return ab_err(AB_ENOPERM, "%s: not a regular file", file);
		}
		if (sb.st_mode & 077) {
			close(fd);
			return ab_err(AB_ENOPERM, "%s: key file is accessible to others (mode %03o): chmod 600 it",
				      file, (unsigned)(sb.st_mode & 0777));
		}
		if (sb.st_size <= 0 || sb.st_size > 4096) {
			close(fd);
			return ab_err(AB_ENOPERM, "%s: key file must hold 1 to 4096 bytes", file);
		}
		*out = sodium_malloc((size_t)sb.st_size);
		ssize_t n = read(fd, *out, (size_t)sb.st_size);
		close(fd);
		if (n != sb.st_size) {
			sodium_free(*out);
			*out = NULL;
			return ab_err(AB_EIO, "%s: short read", file);
		}
		*len = (size_t)n;
		while (*len > 0 && ((*out)[*len - 1] == '\n' || (*out)[*len - 1] == '\r'))
			(*len)--;
		return 0;
	}
	if (env && *env) {
		*len = strlen(env);
		*out = sodium_malloc(*len + 1);
		memcpy(*out, env, *len);
		return 0;
	}
	return ab_err(AB_ENOPERM, "no master key: set AB_MASTER_KEY_FILE (mode 0600) or AB_MASTER_KEY");
}

int
ab_auth_master_key(struct ab_db *db, unsigned char key[32], int create)
{
	unsigned char salt[crypto_pwhash_SALTBYTES], *mk = NULL, nonce[crypto_secretbox_NONCEBYTES];
	unsigned char cbox[sizeof check_text - 1 + crypto_secretbox_MACBYTES], plain[sizeof check_text];
	unsigned long long ops;
	size_t mem, mklen = 0;
	sqlite3_stmt *st;
	int rc, code, have = 0;

	init_sodium();
	if ((code = ab_db_prepare(db, "SELECT salt, opslimit, memlimit, check_nonce, check_box FROM secret_kdf WHERE id = 1", &st)))
		return code;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == sizeof salt &&
	    sqlite3_column_bytes(st, 3) == sizeof nonce && sqlite3_column_bytes(st, 4) == sizeof cbox) {
		memcpy(salt, sqlite3_column_blob(st, 0), sizeof salt);
		ops = (unsigned long long)sqlite3_column_int64(st, 1);
		mem = (size_t)sqlite3_column_int64(st, 2);
		memcpy(nonce, sqlite3_column_blob(st, 3), sizeof nonce);
		memcpy(cbox, sqlite3_column_blob(st, 4), sizeof cbox);
		have = 1;
	} else if (rc == SQLITE_ROW) {
		sqlite3_finalize(st);
		return ab_err(AB_EDATA, "secret_kdf: damaged row");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ab_db_fail(db, rc, "read secret_kdf");
	if (!have && !create)
		return ab_err(AB_ENOINPUT, "no secrets stored yet");
	if ((code = master_bytes(&mk, &mklen)))
		return code;
	if (!have) {
		ab_crypto_random(salt, sizeof salt);
		ab_auth_pwlimits(&ops, &mem);
	}
	if (crypto_pwhash(key, 32, (const char *)mk, mklen, salt, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_free(mk);
		return ab_err(AB_ESOFTWARE, "key derivation failed (out of memory?)");
	}
	sodium_free(mk);
	if (have) {
		int ok = crypto_secretbox_open_easy(plain, cbox, sizeof cbox, nonce, key) == 0;
		if (!ok) {
			sodium_memzero(key, 32);
			return ab_err(AB_ENOPERM, "wrong master key");
		}
		return 0;
	}
	ab_crypto_random(nonce, sizeof nonce);
	crypto_secretbox_easy(cbox, (const unsigned char *)check_text, sizeof check_text - 1, nonce, key);
	if ((code = ab_db_prepare(db, "INSERT INTO secret_kdf(id, salt, opslimit, memlimit, check_nonce, check_box)"
				      " VALUES (1, ?, ?, ?, ?, ?)", &st))) {
		sodium_memzero(key, 32);
		return code;
	}
	sqlite3_bind_blob(st, 1, salt, sizeof salt, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ops);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)mem);
	sqlite3_bind_blob(st, 4, nonce, sizeof nonce, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, cbox, sizeof cbox, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		sodium_memzero(key, 32);
		return ab_db_fail(db, rc, "write secret_kdf");
	}
	return 0;
}

void
ab_auth_secret_free(char *val, size_t len)
{
	if (val) {
		sodium_memzero(val, len);
		free(val);
	}
}

int
ab_auth_secret_get(struct ab_db *db, const char *name, char **val, size_t *len)
{
	unsigned char key[32], nonce[crypto_secretbox_NONCEBYTES], *box = NULL, *plain = NULL;
	size_t boxlen = 0, nlen = strlen(name);
	sqlite3_stmt *st;
	char *who = NULL;
	int rc, code;

	*val = NULL;
	*len = 0;
	if ((code = ab_auth_require(db, AB_PERM_SECRET_READ, &who)))
		return code;
	if ((code = ab_db_prepare(db, "SELECT nonce, box FROM secrets WHERE name = ?", &st)))
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == sizeof nonce &&
	    sqlite3_column_bytes(st, 1) >= (int)crypto_secretbox_MACBYTES) {
		memcpy(nonce, sqlite3_column_blob(st, 0), sizeof nonce);
		boxlen = (size_t)sqlite3_column_bytes(st, 1);
		box = ab_malloc(boxlen);
		memcpy(box, sqlite3_column_blob(st, 1), boxlen);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE) {
		code = ab_err(AB_ENOINPUT, "no secret \"%s\"", name);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		code = ab_db_fail(db, rc, "read secrets");
		goto out;
	}
	if (!box) {
		code = ab_err(AB_EDATA, "secret \"%s\": damaged row", name);
		goto out;
	}
	if ((code = ab_auth_master_key(db, key, 0)))
		goto out;
	plain = sodium_malloc(boxlen);
	rc = crypto_secretbox_open_easy(plain, box, boxlen, nonce, key);
	sodium_memzero(key, sizeof key);
	size_t plen = boxlen - crypto_secretbox_MACBYTES;
	/* The box holds "NAME\0VALUE", so a box moved to another name fails. */
	if (rc != 0 || plen < nlen + 1 || memcmp(plain, name, nlen) != 0 || plain[nlen] != 0) {
		code = ab_err(AB_EDATA, "secret \"%s\": does not decrypt (damaged or moved)", name);
		goto out;
	}
	*len = plen - nlen - 1;
	*val = ab_malloc(*len + 1);
	memcpy(*val, plain + nlen + 1, *len);
	(*val)[*len] = '\0';
	code = ab_auth_audit(db, who, "secret.get", name, NULL);
	if (code) {
		ab_auth_secret_free(*val, *len);
		*val = NULL;
		*len = 0;
	}
out:
	if (plain) {
		sodium_memzero(plain, boxlen);
		sodium_free(plain);
	}
	free(box);
	free(who);
	return code;
}
