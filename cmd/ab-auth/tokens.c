/* tokens.c: login, verify, check and revoke. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authcmd.h"
#include "err.h"
#include "timefmt.h"

int
cmd_login(struct authcmd *a)
{
	struct ab_auth_login l = {0};
	char *pw = NULL, *token = NULL;
	size_t len;
	int code;

	if (a->nargs != 1)
		return ab_err(AB_EUSAGE, "login: give the user NAME (the password comes on stdin)");
	if ((code = authcmd_valid_name("user", a->args[0])))
		return code;
	if (a->aud && !*a->aud)
		return ab_err(AB_EUSAGE, "--aud: empty");
	l.name = a->args[0];
	l.source = a->source;
	l.aud = a->aud;
	l.alg = a->alg;
	l.ttl_s = a->ttl_s;
	if ((code = authcmd_read_password("password: ", 0, &pw, &len)))
		return code;
	code = ab_auth_login(a->db, &l, pw, len, &token);
	authcmd_free_secret(pw);
	if (code)
		return code;
	ab_out_raw(&a->out, token, strlen(token));
	ab_out_raw(&a->out, "\n", 1);
	free(token);
	return 0;
}

/* The token from the argument, else the first line of stdin. */
static int
token_arg(struct authcmd *a, int i, char **tok)
{
	char buf[AB_AUTH_TOKEN_MAX + 2];
	size_t n;

	if (a->nargs > i) {
		*tok = ab_strdup(a->args[i]);
		return 0;
	}
	if (!fgets(buf, sizeof buf, stdin))
		return ab_err(AB_ENOINPUT, "no token on stdin");
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	*tok = ab_strdup(buf);
	return 0;
}

static void
out_claims(struct authcmd *a, const struct ab_auth_claims *c)
{
	ab_out_begin(&a->out);
	ab_out_kstr(&a->out, "type", "claims");
	ab_out_kstr(&a->out, "sub", c->sub);
	if (c->role)
		ab_out_kstr(&a->out, "role", c->role);
	ab_out_key(&a->out, "perms");
	ab_out_raw(&a->out, "[", 1);
	for (int i = 0; i < c->nperms; i++) {
		if (i)
			ab_out_raw(&a->out, ",", 1);
		ab_out_str(&a->out, c->perms[i], strlen(c->perms[i]));
	}
	ab_out_raw(&a->out, "]", 1);
	ab_out_kstr(&a->out, "iss", c->iss);
	ab_out_kstr(&a->out, "aud", c->aud);
	ab_out_ktime(&a->out, "iat", c->iat * 1000);
	if (c->nbf)
		ab_out_ktime(&a->out, "nbf", c->nbf * 1000);
	ab_out_ktime(&a->out, "exp", c->exp * 1000);
	ab_out_kstr(&a->out, "jti", c->jti);
	ab_out_kint(&a->out, "ver", c->ver);
	ab_out_kstr(&a->out, "alg", c->alg);
	ab_out_kstr(&a->out, "kid", c->kid);
	ab_out_kstr(&a->out, "typ", c->typ);
	ab_out_end(&a->out);
}

int
cmd_verify(struct authcmd *a)
{
	struct ab_auth_claims c;
	char *tok;
	int code;

	if (a->nargs > 1)
		return ab_err(AB_EUSAGE, "verify: at most one TOKEN");
	if ((code = token_arg(a, 0, &tok)))
		return code;
	code = ab_auth_verify(a->db, tok, a->aud, a->leeway, &c, NULL, 0);
	free(tok);
	if (code)
		return code;
	out_claims(a, &c);
	ab_auth_claims_free(&c);
	return 0;
}

int
cmd_check(struct authcmd *a)
{
	char *who = NULL;
	int code;

	if (a->nargs < 1 || a->nargs > 2)
		return ab_err(AB_EUSAGE, "check: give PERM [TOKEN]");
	if ((code = authcmd_valid_perm(a->args[0])))
		return code;
	if (a->nargs == 2 && setenv("AB_TOKEN", a->args[1], 1) != 0)
		return ab_err(AB_ESOFTWARE, "setenv failed");
	code = ab_auth_require(a->db, a->args[0], &who);
	free(who);
	return code;
}

static int
revoke_jti(struct authcmd *a, const char *actor, const char *jti, int64_t exp_s)
{
	sqlite3_stmt *st;
	int rc, code;

	if ((code = ab_db_prepare(a->db, "INSERT INTO revoked(jti, exp_s, revoked) VALUES (?, ?, ?)"
					 " ON CONFLICT(jti) DO NOTHING", &st)))
		return code;
	sqlite3_bind_text(st, 1, jti, -1, SQLITE_STATIC);
	if (exp_s)
		sqlite3_bind_int64(st, 2, exp_s);
	sqlite3_bind_int64(st, 3, ab_now_ms());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ab_db_fail(a->db, rc, "write revoked");
	return ab_auth_audit(a->db, actor, "token.revoke", jti, NULL);
}

int
cmd_revoke(struct authcmd *a)
{
	char *actor = NULL, *tok = NULL, *detail;
	struct ab_auth_claims c;
	sqlite3_stmt *st;
	int code, rc, n;

	if ((a->user != NULL) + (a->jti != NULL) + (a->nargs > 0) != 1 || a->nargs > 1)
		return ab_err(AB_EUSAGE, "revoke: give one of TOKEN, --jti JTI or --user NAME");
	if (a->nargs == 1) {
		/* Whoever holds a valid token may revoke it (log out). */
		tok = a->args[0];
		if ((code = ab_auth_verify(a->db, tok, a->aud, a->leeway, &c, NULL, 0)))
			return code;
		if ((code = ab_db_begin(a->db)) == 0) {
			code = revoke_jti(a, c.sub, c.jti, c.exp);
			code = code ? (ab_db_rollback(a->db), code) : ab_db_commit(a->db);
		}
		ab_auth_claims_free(&c);
		return code;
	}
	if ((code = authcmd_gate(a, AB_PERM_USER_ADMIN, &actor)))
		return code;
	if ((code = ab_db_begin(a->db))) {
		free(actor);
		return code;
	}
	if (a->jti) {
		code = revoke_jti(a, actor, a->jti, 0);
	} else if (!(code = ab_db_prepare(a->db, "UPDATE users SET token_version = token_version + 1,"
						 " updated = ? WHERE name = ?", &st))) {
		sqlite3_bind_int64(st, 1, ab_now_ms());
		sqlite3_bind_text(st, 2, a->user, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		n = sqlite3_changes(a->db->h);
		if (rc != SQLITE_DONE)
			code = ab_db_fail(a->db, rc, "write users");
		else if (n == 0)
			code = ab_err(AB_ENOINPUT, "no user \"%s\"", a->user);
		if (!code && !(code = ab_db_prepare(a->db, "INSERT OR IGNORE INTO revoked(jti, exp_s, revoked)"
							   " SELECT jti, exp_s, ? FROM tokens WHERE sub = ?", &st))) {
			sqlite3_bind_int64(st, 1, ab_now_ms());
			sqlite3_bind_text(st, 2, a->user, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			if (rc != SQLITE_DONE)
				code = ab_db_fail(a->db, rc, "write revoked");
		}
		if (!code) {
			detail = authcmd_detail("scope", "all tokens", NULL);
			code = ab_auth_audit(a->db, actor, "token.revoke_user", a->user, detail);
			free(detail);
		}
	}
	free(actor);
	if (code) {
		ab_db_rollback(a->db);
		return code;
	}
	return ab_db_commit(a->db);
}
