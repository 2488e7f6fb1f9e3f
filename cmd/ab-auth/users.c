/* users.c: user and role administration. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "authcmd.h"
#include "err.h"
#include "timefmt.h"

static int
step_done(struct ab_db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ab_db_fail(db, rc, what);
}

/* Runs sql with text parameters (NULL-terminated list); *changes gets the rows changed. */
static int
exec_text(struct ab_db *db, const char *sql, int *changes, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	const char *s;
	int i = 1, code;

	if ((code = ab_db_prepare(db, sql, &st)))
		return code;
	va_start(ap, changes);
	while ((s = va_arg(ap, const char *)))
		sqlite3_bind_text(st, i++, s, -1, SQLITE_TRANSIENT);
	va_end(ap);
	if ((code = step_done(db, st, "write")))
		return code;
	if (changes)
		*changes = sqlite3_changes(db->h);
	return 0;
}

static int
role_exists(struct ab_db *db, const char *role, int *yes)
{
	sqlite3_stmt *st;
	int rc, code;

	if ((code = ab_db_prepare(db, "SELECT 1 FROM roles WHERE name = ?", &st)))
		return code;
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ab_db_fail(db, rc, "read roles");
	*yes = rc == SQLITE_ROW;
	return 0;
}

static void
out_perms(struct authcmd *a, const char *role)
{
	sqlite3_stmt *st;

	ab_out_key(&a->out, "perms");
	ab_out_raw(&a->out, "[", 1);
	if (ab_db_prepare(a->db, "SELECT perm FROM role_perms WHERE role = ? ORDER BY perm", &st) == 0) {
		int first = 1;
		sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *p = (const char *)sqlite3_column_text(st, 0);
			if (!first)
				ab_out_raw(&a->out, ",", 1);
			ab_out_str(&a->out, p, strlen(p));
			first = 0;
		}
		sqlite3_finalize(st);
	}
	ab_out_raw(&a->out, "]", 1);
}

static int
print_users(struct authcmd *a, const char *name)
{
	sqlite3_stmt *st;
	int rc, code, n = 0;

	if ((code = ab_db_prepare(a->db, name ?
		"SELECT name, role, locked, token_version, created, updated FROM users WHERE name = ?" :
		"SELECT name, role, locked, token_version, created, updated FROM users ORDER BY name", &st)))
		return code;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *role = (const char *)sqlite3_column_text(st, 1);
		ab_out_begin(&a->out);
		ab_out_kstr(&a->out, "type", "user");
		ab_out_kstr(&a->out, "name", (const char *)sqlite3_column_text(st, 0));
		ab_out_kstr(&a->out, "role", role);
		ab_out_kbool(&a->out, "locked", sqlite3_column_int(st, 2));
		ab_out_kint(&a->out, "token_version", sqlite3_column_int64(st, 3));
		ab_out_ktime(&a->out, "created", sqlite3_column_int64(st, 4));
		ab_out_ktime(&a->out, "updated", sqlite3_column_int64(st, 5));
		if (name)
			out_perms(a, role);
		ab_out_end(&a->out);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ab_db_fail(a->db, rc, "read users");
	if (name && n == 0)
		return ab_err(AB_ENOINPUT, "no user \"%s\"", name);
	return 0;
}

/* Reads a new password (twice on a terminal), checks the policy, hashes it;
 * the plaintext is wiped whatever happens. */
static int
new_password_hash(const char *prompt, const char *name, char hash[crypto_pwhash_STRBYTES])
{
	char *pw = NULL;
	size_t len;
	int code;

	if ((code = authcmd_read_password(prompt, 1, &pw, &len)))
		return code;
	if ((code = authcmd_password_policy(name, pw, len)) == 0)
		code = ab_auth_pwhash(hash, pw, len);
	authcmd_free_secret(pw);
	return code;
}

static int
user_add(struct authcmd *a, const char *actor, const char *name)
{
	char hash[crypto_pwhash_STRBYTES], *detail;
	int code, yes, n;
	char now[32];

	if (!a->role)
		return ab_err(AB_EUSAGE, "user add: give --role ROLE");
	if ((code = role_exists(a->db, a->role, &yes)))
		return code;
	if (!yes)
		return ab_err(AB_EUSAGE, "no role \"%s\" (see ab-auth role list)", a->role);
	if ((code = new_password_hash("password: ", name, hash)))
		return code;
	snprintf(now, sizeof now, "%lld", (long long)ab_now_ms());
	if ((code = ab_db_begin(a->db)))
		return code;
	code = exec_text(a->db, "INSERT INTO users(name, role, pwhash, created, updated)"
			 " VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT(name) DO NOTHING", &n,
			 name, a->role, hash, now, NULL);
	sodium_memzero(hash, sizeof hash);
	if (!code && n == 0)
		code = ab_err(AB_EDATA, "user \"%s\" exists", name);
	if (!code) {
		detail = authcmd_detail("role", a->role, NULL);
		code = ab_auth_audit(a->db, actor, "user.add", name, detail);
		free(detail);
	}
	if (code) {
		ab_db_rollback(a->db);
		return code;
	}
	if ((code = ab_db_commit(a->db)))
		return code;
	return print_users(a, name);
}

static int
user_passwd(struct authcmd *a, const char *actor, const char *name)
{
	char hash[crypto_pwhash_STRBYTES], now[32];
	int code, n;

	if ((code = new_password_hash("new password: ", name, hash)))
		return code;
	snprintf(now, sizeof now, "%lld", (long long)ab_now_ms());
	if ((code = ab_db_begin(a->db)))
		return code;
	/* A new password ends every session of the old one. */
	code = exec_text(a->db, "UPDATE users SET pwhash = ?1, token_version = token_version + 1, updated = ?2"
			 " WHERE name = ?3", &n, hash, now, name, NULL);
	sodium_memzero(hash, sizeof hash);
	if (!code && n == 0)
		code = ab_err(AB_ENOINPUT, "no user \"%s\"", name);
	if (!code)
		code = ab_auth_audit(a->db, actor, "user.passwd", name, NULL);
	if (code) {
		ab_db_rollback(a->db);
		return code;
	}
	return ab_db_commit(a->db);
}

/* Changes one user row (sql has ?1 = name, ?2 = now, ?3 = extra) and audits. */
static int
user_change(struct authcmd *a, const char *actor, const char *name, const char *sql,
	    const char *extra, const char *action, const char *detail)
{
	char now[32];
	int code, n;

	snprintf(now, sizeof now, "%lld", (long long)ab_now_ms());
	if ((code = ab_db_begin(a->db)))
		return code;
	code = exec_text(a->db, sql, &n, name, now, extra, NULL);
	if (!code && n == 0)
		code = ab_err(AB_ENOINPUT, "no user \"%s\"", name);
	if (!code)
		code = ab_auth_audit(a->db, actor, action, name, detail);
	if (code) {
		ab_db_rollback(a->db);
		return code;
	}
	if ((code = ab_db_commit(a->db)))
		return code;
	return print_users(a, name);
}

/* Deleting a user revokes the tokens issued to it, so a later user of the
 * same name does not inherit them. */
static int
user_del(struct authcmd *a, const char *actor, const char *name)
{
	char now[32];
	int code, n;

	snprintf(now, sizeof now, "%lld", (long long)ab_now_ms());
	if ((code = ab_db_begin(a->db)))
		return code;
	code = exec_text(a->db, "INSERT OR IGNORE INTO revoked(jti, exp_s, revoked)"
			 " SELECT jti, exp_s, ?2 FROM tokens WHERE sub = ?1", NULL, name, now, NULL);
	if (!code)
		code = exec_text(a->db, "DELETE FROM users WHERE name = ?", &n, name, NULL);
	if (!code && n == 0)
		code = ab_err(AB_ENOINPUT, "no user \"%s\"", name);
	if (!code)
		code = exec_text(a->db, "DELETE FROM tokens WHERE sub = ?", NULL, name, NULL);
	if (!code)
		code = ab_auth_audit(a->db, actor, "user.del", name, NULL);
	if (code) {
		ab_db_rollback(a->db);
		return code;
	}
	return ab_db_commit(a->db);
}

int
cmd_user(struct authcmd *a)
{
	const char *sub = a->nargs > 0 ? a->args[0] : NULL, *name = a->nargs > 1 ? a->args[1] : NULL;
	char *actor = NULL, *detail = NULL;
	int code, yes, want = 2;

	if (!sub)
		return ab_err(AB_EUSAGE, "user: give add, list, show, del, passwd, role, lock or unlock");
	if (strcmp(sub, "list") == 0)
		want = 1;
	else if (strcmp(sub, "role") == 0)
		want = 3;
	if (a->nargs != want)
		return ab_err(AB_EUSAGE, "user %s: expected %d argument%s", sub, want - 1, want == 2 ? "" : "s");
	if (name && (code = authcmd_valid_name("user", name)))
		return code;
	if ((code = authcmd_gate(a, AB_PERM_USER_ADMIN, &actor)))
		return code;
	if (strcmp(sub, "list") == 0) {
		code = print_users(a, NULL);
	} else if (strcmp(sub, "show") == 0) {
		code = print_users(a, name);
	} else if (strcmp(sub, "add") == 0) {
		code = user_add(a, actor, name);
	} else if (strcmp(sub, "passwd") == 0) {
		code = user_passwd(a, actor, name);
	} else if (strcmp(sub, "del") == 0) {
		code = user_del(a, actor, name);
	} else if (strcmp(sub, "lock") == 0) {
		code = user_change(a, actor, name, "UPDATE users SET locked = 1, token_version = token_version + 1,"
				   " updated = ?2 WHERE name = ?1 AND ?3 IS NULL", NULL, "user.lock", NULL);
	} else if (strcmp(sub, "unlock") == 0) {
		code = user_change(a, actor, name, "UPDATE users SET locked = 0, updated = ?2"
				   " WHERE name = ?1 AND ?3 IS NULL", NULL, "user.unlock", NULL);
	} else if (strcmp(sub, "role") == 0) {
		const char *role = a->args[2];
		if (!(code = role_exists(a->db, role, &yes)) && !yes)
			code = ab_err(AB_EUSAGE, "no role \"%s\" (see ab-auth role list)", role);
		if (!code) {
			detail = authcmd_detail("role", role, NULL);
			code = user_change(a, actor, name, "UPDATE users SET role = ?3, token_version = token_version + 1,"
					   " updated = ?2 WHERE name = ?1", role, "user.role", detail);
		}
	} else {
		code = ab_err(AB_EUSAGE, "user: unknown subcommand \"%s\"", sub);
	}
	free(detail);
	free(actor);
	return code;
}

static int
print_roles(struct authcmd *a, const char *name)
{
	sqlite3_stmt *st;
	int rc, code, n = 0;

	if ((code = ab_db_prepare(a->db, name ? "SELECT name, builtin FROM roles WHERE name = ?"
					       : "SELECT name, builtin FROM roles ORDER BY name", &st)))
		return code;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		ab_out_begin(&a->out);
		ab_out_kstr(&a->out, "type", "role");
		ab_out_kstr(&a->out, "name", r);
		ab_out_kbool(&a->out, "builtin", sqlite3_column_int(st, 1));
		out_perms(a, r);
		ab_out_end(&a->out);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ab_db_fail(a->db, rc, "read roles");
	if (name && n == 0)
		return ab_err(AB_ENOINPUT, "no role \"%s\"", name);
	return 0;
}

int
cmd_role(struct authcmd *a)
{
	const char *sub = a->nargs > 0 ? a->args[0] : NULL;
	char *actor = NULL, *detail;
	int code, n, want;

	if (!sub)
		return ab_err(AB_EUSAGE, "role: give list, show, grant or revoke");
	want = strcmp(sub, "list") == 0 ? 1 : strcmp(sub, "show") == 0 ? 2 : 3;
	if (a->nargs != want)
		return ab_err(AB_EUSAGE, "role %s: expected %d argument%s", sub, want - 1, want == 2 ? "" : "s");
	if (strcmp(sub, "list") == 0)
		return print_roles(a, NULL);
	if (strcmp(sub, "show") == 0)
		return print_roles(a, a->args[1]);
	if (strcmp(sub, "grant") != 0 && strcmp(sub, "revoke") != 0)
		return ab_err(AB_EUSAGE, "role: unknown subcommand \"%s\"", sub);
	const char *role = a->args[1], *perm = a->args[2];
	if ((code = authcmd_valid_name("role", role)) || (code = authcmd_valid_perm(perm)))
		return code;
	if ((code = authcmd_gate(a, AB_PERM_USER_ADMIN, &actor)))
		return code;
	if ((code = ab_db_begin(a->db))) {
		free(actor);
		return code;
	}
	if (strcmp(sub, "grant") == 0) {
		/* Granting to a new name creates that role. */
		code = exec_text(a->db, "INSERT OR IGNORE INTO roles(name) VALUES (?)", NULL, role, NULL);
		if (!code)
			code = exec_text(a->db, "INSERT OR IGNORE INTO role_perms(role, perm) VALUES (?, ?)", &n,
					 role, perm, NULL);
	} else {
		code = exec_text(a->db, "DELETE FROM role_perms WHERE role = ? AND perm = ?", &n, role, perm, NULL);
		if (!code && n == 0)
			code = ab_err(AB_ENOINPUT, "role \"%s\" does not have \"%s\"", role, perm);
		/* Tokens carry their permissions: end those of the role's users. */
		if (!code)
			code = exec_text(a->db, "UPDATE users SET token_version = token_version + 1 WHERE role = ?",
					 NULL, role, NULL);
	}
	if (!code) {
		detail = authcmd_detail("perm", perm, NULL);
		code = ab_auth_audit(a->db, actor, strcmp(sub, "grant") == 0 ? "role.grant" : "role.revoke",
				     role, detail);
		free(detail);
	}
	free(actor);
	if (code) {
		ab_db_rollback(a->db);
		return code;
	}
	if ((code = ab_db_commit(a->db)))
		return code;
	return print_roles(a, role);
}
