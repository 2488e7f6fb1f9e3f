/* fuzz-jwt: JWT parsing and verification (lib/auth.c, ab_auth_verify)
 * against an in-memory database holding one HS256 key and one user.
 * The first byte picks the mode: even, the rest is the token as given;
 * odd, the rest is "HEADER\nCLAIMS" JSON which the harness encodes and
 * signs with the key, so the claims checks behind the signature are reached
 * too. Checks: no crash; every outcome is 0 or 77 with a reason; a token
 * the harness did not sign is never accepted. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "err.h"

static struct ab_db *db;
static struct ab_auth_key key;

static void
setup(void)
{
	sqlite3_stmt *st;

	setenv("AB_NOW", "2023-11-14T22:13:20Z", 1);
	if (ab_db_open(":memory:", &db))
		abort();
	memset(&key, 0, sizeof key);
	snprintf(key.kid, sizeof key.kid, "k1");
	snprintf(key.alg, sizeof key.alg, "HS256");
	snprintf(key.status, sizeof key.status, "active");
	memset(key.secret, 0x5a, 32);
	key.seclen = 32;
	if (ab_db_prepare(db, "INSERT INTO keys (kid, alg, status, public, secret, created) "
			      "VALUES ('k1', 'HS256', 'active', NULL, ?, 0)", &st))
		abort();
	sqlite3_bind_blob(st, 1, key.secret, 32, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		abort();
	sqlite3_finalize(st);
	if (ab_db_exec(db, "INSERT INTO users (name, role, pwhash, locked, token_version, created, updated) "
			   "SELECT 'alice', name, 'x', 0, 1, 0, 0 FROM roles LIMIT 1"))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ab_auth_claims c;
	char why[256], *token;
	int mode, code;

	if (!db)
		setup();
	if (size < 1)
		return 0;
	mode = data[0] & 1;
	data++, size--;
	if (mode == 0) {
		token = strndup((const char *)data, size);
	} else {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t hn = nl ? (size_t)(nl - data) : size;
		char *h = ab_crypto_base64url_encode(data, hn);
		char *p = ab_crypto_base64url_encode(nl ? nl + 1 : data, nl ? size - hn - 1 : 0);
		size_t n = strlen(h) + strlen(p) + 2;
		char *input = malloc(n);
		snprintf(input, n, "%s.%s", h, p);
		char *sig = ab_auth_jws_sign(&key, input, strlen(input));
		n += strlen(sig) + 1;
		token = malloc(n);
		snprintf(token, n, "%s.%s", input, sig);
		free(h);
		free(p);
		free(input);
		free(sig);
	}
	why[0] = '\0';
	code = ab_auth_verify(db, token, NULL, 0, &c, why, sizeof why);
	if (code == 0) {
		if (mode == 0)
			abort(); /* accepted a token signed by someone else */
		if (!c.sub || strcmp(c.sub, "alice") != 0 || !c.aud || !c.jti)
			abort();
		ab_auth_has_perm(&c, "order:live");
		ab_auth_claims_free(&c);
	} else if (code != AB_ENOPERM || !why[0]) {
		abort();
	}
	free(token);
	return 0;
}
