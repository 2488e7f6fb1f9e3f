/* keys.c: init, key export, import and rotate (JWK, RFC 7517 / RFC 8037). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>
#include <sodium.h>

#include "authcmd.h"
#include "crypto.h"
#include "err.h"
#include "jsonl.h"
#include "timefmt.h"

static void
out_key(struct authcmd *a, const struct ab_auth_key *k)
{
	ab_out_begin(&a->out);
	ab_out_kstr(&a->out, "type", "key");
	ab_out_kstr(&a->out, "kid", k->kid);
	ab_out_kstr(&a->out, "alg", k->alg);
	ab_out_kstr(&a->out, "status", k->status);
	ab_out_kbool(&a->out, "private", k->seclen > 0);
	ab_out_ktime(&a->out, "created", k->created);
	ab_out_end(&a->out);
}

static int
insert_key(struct ab_db *db, const struct ab_auth_key *k)
{
	sqlite3_stmt *st;
	int rc, code;

	if ((code = ab_db_prepare(db, "INSERT INTO keys(kid, alg, status, public, secret, created)"
				      " VALUES (?,?,?,?,?,?)", &st)))
		return code;
	sqlite3_bind_text(st, 1, k->kid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->alg, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, k->status, -1, SQLITE_STATIC);
	if (k->has_pub)
		sqlite3_bind_blob(st, 4, k->pub, 32, SQLITE_STATIC);
	if (k->seclen)
		sqlite3_bind_blob(st, 5, k->secret, (int)k->seclen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, k->created);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return ab_err(AB_EDATA, "key \"%s\" exists", k->kid);
	return rc == SQLITE_DONE ? 0 : ab_db_fail(db, rc, "write keys");
}

static int
retire(struct ab_db *db, const char *alg)
{
	sqlite3_stmt *st;
	int rc, code;

	if ((code = ab_db_prepare(db, "UPDATE keys SET status = 'retired' WHERE alg = ? AND status = 'active'", &st)))
		return code;
	sqlite3_bind_text(st, 1, alg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ab_db_fail(db, rc, "write keys");
}

static void
generate(const char *alg, struct ab_auth_key *k)
{
	memset(k, 0, sizeof *k);
	snprintf(k->alg, sizeof k->alg, "%s", alg);
	snprintf(k->status, sizeof k->status, "active");
	if (strcmp(alg, "EdDSA") == 0) {
		unsigned char sk[crypto_sign_SECRETKEYBYTES];
		ab_crypto_random(k->secret, 32); /* also initialises libsodium */
		crypto_sign_seed_keypair(k->pub, sk, k->secret);
		sodium_memzero(sk, sizeof sk);
		k->has_pub = 1;
		k->seclen = 32;
	} else {
		ab_crypto_random(k->secret, 32); /* RFC 7518 3.2: as long as the hash */
		k->seclen = 32;
	}
	k->created = ab_now_ms();
	ab_auth_key_thumbprint(k, k->kid);
}

/* Makes a new active key for each alg asked for (all when alg is NULL);
 * with only_missing, just for algs that have none. */
static int
new_keys(struct authcmd *a, int only_missing, const char *action)
{
	static const char *const algs[] = {"EdDSA", "HS256"};
	struct ab_auth_key k;
	char *actor = NULL, *detail;
	int code;

	if ((code = authcmd_gate(a, AB_PERM_USER_ADMIN, &actor)))
		return code;
	if ((code = ab_db_begin(a->db))) {
		free(actor);
		return code;
	}
	for (int i = 0; i < 2 && !code; i++) {
		if (a->alg && strcmp(a->alg, algs[i]) != 0)
			continue;
		if (only_missing) {
			sqlite3_stmt *st;
			int rc;
			if ((code = ab_db_prepare(a->db, "SELECT kid, created FROM keys WHERE alg = ? AND status = 'active'"
							 " AND secret IS NOT NULL", &st)))
				break;
			sqlite3_bind_text(st, 1, algs[i], -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW) {
				memset(&k, 0, sizeof k);
				snprintf(k.kid, sizeof k.kid, "%s", (const char *)sqlite3_column_text(st, 0));
				snprintf(k.alg, sizeof k.alg, "%s", algs[i]);
				snprintf(k.status, sizeof k.status, "active");
				k.seclen = 1;
				k.created = sqlite3_column_int64(st, 1);
				out_key(a, &k);
			}
			sqlite3_finalize(st);
			if (rc == SQLITE_ROW)
				continue;
			if (rc != SQLITE_DONE) {
				code = ab_db_fail(a->db, rc, "read keys");
				break;
			}
		} else if ((code = retire(a->db, algs[i]))) {
			break;
		}
		generate(algs[i], &k);
		if (!(code = insert_key(a->db, &k))) {
			detail = authcmd_detail("alg", algs[i], NULL);
			code = ab_auth_audit(a->db, actor, action, k.kid, detail);
			free(detail);
			out_key(a, &k);
		}
		ab_auth_key_wipe(&k);
	}
	free(actor);
	if (code) {
		ab_db_rollback(a->db);
		return code;
	}
	return ab_db_commit(a->db);
}

int
cmd_init(struct authcmd *a)
{
	if (a->nargs)
		return ab_err(AB_EUSAGE, "init: no arguments");
	return new_keys(a, 1, "key.init");
}

static jv
jwk_of(const struct ab_auth_key *k, int public_only)
{
	jv o = jv_object();
	char *b;

	if (strcmp(k->alg, "EdDSA") == 0) {
		o = jv_object_set(o, jv_string("kty"), jv_string("OKP"));
		o = jv_object_set(o, jv_string("crv"), jv_string("Ed25519"));
		b = ab_crypto_base64url_encode(k->pub, 32);
		o = jv_object_set(o, jv_string("x"), jv_string(b));
		free(b);
		if (!public_only && k->seclen == 32) {
			b = ab_crypto_base64url_encode(k->secret, 32);
			o = jv_object_set(o, jv_string("d"), jv_string(b));
			sodium_memzero(b, strlen(b));
			free(b);
		}
	} else {
		o = jv_object_set(o, jv_string("kty"), jv_string("oct"));
		b = ab_crypto_base64url_encode(k->secret, k->seclen);
		o = jv_object_set(o, jv_string("k"), jv_string(b));
		sodium_memzero(b, strlen(b));
		free(b);
	}
	o = jv_object_set(o, jv_string("kid"), jv_string(k->kid));
	o = jv_object_set(o, jv_string("alg"), jv_string(k->alg));
	o = jv_object_set(o, jv_string("use"), jv_string("sig"));
	return o;
}

static int
key_export(struct authcmd *a)
{
	sqlite3_stmt *st;
	struct ab_auth_key k;
	char *actor = NULL, *detail;
	int rc, code, n = 0;

	/* Private keys mint tokens: exporting them is an administrative act. */
	if (!a->public_only && (code = authcmd_gate(a, AB_PERM_USER_ADMIN, &actor)))
		return code;
	if ((code = ab_db_prepare(a->db, "SELECT kid, alg, status, public, secret, created FROM keys"
					 " WHERE (?1 IS NULL OR alg = ?1) AND (?2 IS NULL OR kid = ?2)"
					 " ORDER BY alg, created", &st))) {
		free(actor);
		return code;
	}
	ab_db_bind_text(st, 1, a->alg);
	ab_db_bind_text(st, 2, a->kid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&k, 0, sizeof k);
		snprintf(k.kid, sizeof k.kid, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(k.alg, sizeof k.alg, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(k.status, sizeof k.status, "%s", (const char *)sqlite3_column_text(st, 2));
		if (sqlite3_column_bytes(st, 3) == 32) {
			memcpy(k.pub, sqlite3_column_blob(st, 3), 32);
			k.has_pub = 1;
		}
		int sl = sqlite3_column_bytes(st, 4);
		if (sl > 0 && (size_t)sl <= sizeof k.secret) {
			memcpy(k.secret, sqlite3_column_blob(st, 4), (size_t)sl);
			k.seclen = (size_t)sl;
		}
		k.created = sqlite3_column_int64(st, 5);
		/* A symmetric key has no public half; an OKP key without one is bad data. */
		if ((a->public_only && strcmp(k.alg, "HS256") == 0) || (strcmp(k.alg, "EdDSA") == 0 && !k.has_pub) ||
		    (strcmp(k.alg, "HS256") == 0 && !k.seclen)) {
			ab_auth_key_wipe(&k);
			continue;
		}
		jv j = jwk_of(&k, a->public_only);
		jv d = jv_dump_string(j, 0);
		const char *s = jv_string_value(d);
		if (a->jwk) {
			ab_out_raw(&a->out, s, strlen(s));
			ab_out_raw(&a->out, "\n", 1);
			a->out.records++;
		} else {
			ab_out_begin(&a->out);
			ab_out_kstr(&a->out, "type", "key");
			ab_out_kstr(&a->out, "kid", k.kid);
			ab_out_kstr(&a->out, "alg", k.alg);
			ab_out_kstr(&a->out, "status", k.status);
			ab_out_ktime(&a->out, "created", k.created);
			ab_out_kraw(&a->out, "jwk", s, strlen(s));
			ab_out_end(&a->out);
		}
		sodium_memzero((char *)s, strlen(s));
		jv_free(d);
		if (!a->public_only) {
			detail = authcmd_detail("alg", k.alg, "part", "private", NULL);
			code = ab_auth_audit(a->db, actor, "key.export", k.kid, detail);
			free(detail);
		}
		ab_auth_key_wipe(&k);
		n++;
		if (code)
			break;
	}
	sqlite3_finalize(st);
	free(actor);
	if (code)
		return code;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return ab_db_fail(a->db, rc, "read keys");
	if (n == 0)
		return ab_err(AB_ENOINPUT, "no key to export (run \"ab-auth init\")");
	return 0;
}

/* A base64url member of exactly n bytes (or, when n is 0, 32 to 128 bytes). */
static int
b64_member(jv j, const char *name, unsigned char *out, size_t n, size_t *got, const char *file)
{
	jv v = jv_object_get(jv_copy(j), jv_string(name));
	unsigned char *raw;
	size_t len;
	int code = 0;

	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return ab_err(AB_EDATA, "%s: JWK \"%s\" missing or not a string", file, name);
	}
	raw = ab_crypto_base64url_decode(jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), &len);
	jv_free(v);
	if (!raw)
		return ab_err(AB_EDATA, "%s: JWK \"%s\" is not canonical base64url", file, name);
	if (n ? len != n : (len < AB_AUTH_HMAC_MIN || len > 128))
		code = n ? ab_err(AB_EDATA, "%s: JWK \"%s\" must be %zu bytes", file, name, n)
			 : ab_err(AB_EDATA, "%s: JWK \"%s\" must be %d to 128 bytes (RFC 7518 3.2)", file, name,
				  AB_AUTH_HMAC_MIN);
	else
		memcpy(out, raw, len);
	if (got)
		*got = len;
	sodium_memzero(raw, len);
	free(raw);
	return code;
}

static const char *
jv_s(jv j, const char *name, char *buf, size_t n)
{
	jv v = jv_object_get(jv_copy(j), jv_string(name));
	const char *r = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		snprintf(buf, n, "%s", jv_string_value(v));
		r = buf;
	}
	jv_free(v);
	return r;
}

static int
import_one(struct authcmd *a, jv j, const char *file, const char *actor)
{
	struct ab_auth_key k = {0};
	char kty[16], crv[16], alg[16], kid[sizeof k.kid], *detail;
	int code;

	if (jv_get_kind(j) != JV_KIND_OBJECT)
		return ab_err(AB_EDATA, "%s: not a JWK object", file);
	if (!jv_s(j, "kty", kty, sizeof kty))
		return ab_err(AB_EDATA, "%s: JWK without \"kty\"", file);
	if (jv_s(j, "alg", alg, sizeof alg) == NULL)
		alg[0] = '\0';
	if (strcmp(kty, "OKP") == 0) {
		if (!jv_s(j, "crv", crv, sizeof crv) || strcmp(crv, "Ed25519") != 0)
			return ab_err(AB_EDATA, "%s: OKP key must have crv Ed25519", file);
		if (alg[0] && strcmp(alg, "EdDSA") != 0)
			return ab_err(AB_EDATA, "%s: Ed25519 key with alg \"%s\" (want EdDSA)", file, alg);
		snprintf(k.alg, sizeof k.alg, "EdDSA");
		if ((code = b64_member(j, "x", k.pub, 32, NULL, file)))
			return code;
		k.has_pub = 1;
		if (jv_object_has(jv_copy(j), jv_string("d"))) {
			unsigned char pk[32], sk[64];
			if ((code = b64_member(j, "d", k.secret, 32, NULL, file)))
				return code;
			k.seclen = 32;
			crypto_sign_seed_keypair(pk, sk, k.secret);
			sodium_memzero(sk, sizeof sk);
			if (sodium_memcmp(pk, k.pub, 32) != 0) {
				ab_auth_key_wipe(&k);
				return ab_err(AB_EDATA, "%s: \"d\" does not belong to \"x\"", file);
			}
		}
	} else if (strcmp(kty, "oct") == 0) {
		if (alg[0] && strcmp(alg, "HS256") != 0)
			return ab_err(AB_EDATA, "%s: oct key with alg \"%s\" (want HS256)", file, alg);
		snprintf(k.alg, sizeof k.alg, "HS256");
		if ((code = b64_member(j, "k", k.secret, 0, &k.seclen, file)))
			return code;
	} else {
		return ab_err(AB_EDATA, "%s: kty \"%s\" is not supported (OKP Ed25519 or oct)", file, kty);
	}
	if (jv_s(j, "kid", kid, sizeof kid)) {
		if ((code = authcmd_valid_name("key", kid)) != 0) {
			ab_auth_key_wipe(&k);
			return AB_EDATA;
		}
		snprintf(k.kid, sizeof k.kid, "%s", kid);
	} else {
		ab_auth_key_thumbprint(&k, k.kid);
	}
	k.created = ab_now_ms();
	snprintf(k.status, sizeof k.status, a->sign && k.seclen ? "active" : "verify");
	if (a->sign && !k.seclen) {
		ab_auth_key_wipe(&k);
		return ab_err(AB_EUSAGE, "%s: --sign needs a private key", file);
	}
	if (a->sign && (code = retire(a->db, k.alg))) {
		ab_auth_key_wipe(&k);
		return code;
	}
	if (!(code = insert_key(a->db, &k))) {
		detail = authcmd_detail("alg", k.alg, "status", k.status, NULL);
		code = ab_auth_audit(a->db, actor, "key.import", k.kid, detail);
		free(detail);
		out_key(a, &k);
	}
	ab_auth_key_wipe(&k);
	return code;
}

static int
key_import(struct authcmd *a)
{
	const char *file = a->nargs == 2 ? a->args[1] : NULL;
	char *actor = NULL, *text = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	jv j, keys;
	int code = 0;

	if (!file || !a->jwk)
		return ab_err(AB_EUSAGE, "key import: give --jwk FILE (\"-\" for stdin)");
	if ((code = authcmd_gate(a, AB_PERM_USER_ADMIN, &actor)))
		return code;
	f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (!f) {
		free(actor);
		return ab_err(AB_ENOINPUT, "%s: %s", file, strerror(errno));
	}
	for (;;) {
		if (len + 4096 > cap)
			text = ab_realloc(text, cap = cap * 2 + 8192);
		size_t r = fread(text + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0 || len > (1u << 20))
			break;
	}
	if (f != stdin)
		fclose(f);
	text[len] = '\0';
	/* checked first: libjq 1.6 leaks when its parser fails */
	j = ab_json_valid(text, len, NULL, 0) ? jv_invalid() : jv_parse_sized(text, (int)len);
	sodium_memzero(text, len);
	free(text);
	if (!jv_is_valid(j)) {
		jv_free(j);
		free(actor);
		return ab_err(AB_EDATA, "%s: not JSON", file);
	}
	if ((code = ab_db_begin(a->db))) {
		jv_free(j);
		free(actor);
		return code;
	}
	keys = jv_get_kind(j) == JV_KIND_OBJECT ? jv_object_get(jv_copy(j), jv_string("keys")) : jv_invalid();
	if (jv_get_kind(keys) == JV_KIND_ARRAY) {
		jv_array_foreach(keys, i, e) {
			if (!code)
				code = import_one(a, e, file, actor);
			jv_free(e);
		}
	} else {
		code = import_one(a, j, file, actor);
	}
	jv_free(keys);
	jv_free(j);
	free(actor);
	if (code) {
		ab_db_rollback(a->db);
		return code;
	}
	return ab_db_commit(a->db);
}

int
cmd_key(struct authcmd *a)
{
	const char *sub = a->nargs ? a->args[0] : NULL;

	if (!sub)
		return ab_err(AB_EUSAGE, "key: give export, import or rotate");
	if (strcmp(sub, "export") == 0 && a->nargs == 1)
		return key_export(a);
	if (strcmp(sub, "import") == 0)
		return key_import(a);
	if (strcmp(sub, "rotate") == 0 && a->nargs == 1)
		return new_keys(a, 0, "key.rotate");
	return ab_err(AB_EUSAGE, "key: unknown subcommand or extra arguments");
}
