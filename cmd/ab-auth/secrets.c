/* secrets.c: exchange keys and shop tokens sealed with crypto_secretbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "authcmd.h"
#include "crypto.h"
#include "err.h"
#include "timefmt.h"

static int
secret_set(struct authcmd *a, const char *name)
{
	unsigned char key[32], nonce[crypto_secretbox_NONCEBYTES], *plain, *box;
	size_t nlen = strlen(name), len, plen, boxlen;
	char *val = NULL, *actor = NULL;
	sqlite3_stmt *st;
	int rc, code;

	if ((code = authcmd_gate(a, AB_PERM_SECRET_WRITE, &actor)))
		return code;
	if ((code = authcmd_read_stdin(&val, &len))) {
		free(actor);
		return code;
	}
	if (len == 0) {
		authcmd_free_secret(val);
		free(actor);
		return ab_err(AB_EDATA, "secret set: empty value on stdin");
	}
	if ((code = ab_db_begin(a->db))) {
		authcmd_free_secret(val);
		free(actor);
		return code;
	}
	if ((code = ab_auth_master_key(a->db, key, 1))) {
		authcmd_free_secret(val);
		goto fail;
	}
	/* The box holds "NAME\0VALUE", so it only opens under its own name. */
	plen = nlen + 1 + len;
	if (!(plain = sodium_malloc(plen)))
		ab_oom();
	memcpy(plain, name, nlen + 1);
	memcpy(plain + nlen + 1, val, len);
	authcmd_free_secret(val);
	boxlen = plen + crypto_secretbox_MACBYTES;
	box = ab_malloc(boxlen);
	ab_crypto_random(nonce, sizeof nonce);
	crypto_secretbox_easy(box, plain, plen, nonce, key);
	sodium_free(plain);
	sodium_memzero(key, sizeof key);
	if ((code = ab_db_prepare(a->db, "INSERT INTO secrets(name, nonce, box, created, updated) VALUES (?1,?2,?3,?4,?4)"
					 " ON CONFLICT(name) DO UPDATE SET nonce = excluded.nonce, box = excluded.box,"
					 " updated = excluded.updated", &st))) {
		free(box);
		goto fail;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, nonce, sizeof nonce, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, box, (int)boxlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, ab_now_ms());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(box);
	if (rc != SQLITE_DONE) {
		code = ab_db_fail(a->db, rc, "write secrets");
		goto fail;
	}
	if ((code = ab_auth_audit(a->db, actor, "secret.set", name, NULL)))
		goto fail;
	free(actor);
	if ((code = ab_db_commit(a->db)))
		return code;
	ab_out_begin(&a->out);
	ab_out_kstr(&a->out, "type", "secret");
	ab_out_kstr(&a->out, "name", name);
	ab_out_ktime(&a->out, "updated", ab_now_ms());
	ab_out_end(&a->out);
	return 0;
fail:
	free(actor);
	ab_db_rollback(a->db);
	return code;
}

static int
secret_get(struct authcmd *a, const char *name)
{
	char *val;
	size_t len;
	int code;

	if ((code = ab_auth_secret_get(a->db, name, &val, &len)))
		return code;
	/* Straight to the descriptor: no copy left in the output buffer. */
	ab_out_flush(&a->out);
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(1, val + off, len - off);
		if (w <= 0) {
			ab_auth_secret_free(val, len);
			return ab_err(AB_EIO, "stdout: write failed");
		}
		off += (size_t)w;
	}
	ab_auth_secret_free(val, len);
	if (write(1, "\n", 1) != 1)
		return ab_err(AB_EIO, "stdout: write failed");
	return 0;
}

static int
secret_list(struct authcmd *a)
{
	sqlite3_stmt *st;
	char *actor = NULL;
	int rc, code;

	if ((code = authcmd_gate(a, AB_PERM_SECRET_READ, &actor)))
		return code;
	free(actor);
	if ((code = ab_db_prepare(a->db, "SELECT name, created, updated FROM secrets ORDER BY name", &st)))
		return code;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ab_out_begin(&a->out);
		ab_out_kstr(&a->out, "type", "secret");
		ab_out_kstr(&a->out, "name", (const char *)sqlite3_column_text(st, 0));
		ab_out_ktime(&a->out, "created", sqlite3_column_int64(st, 1));
		ab_out_ktime(&a->out, "updated", sqlite3_column_int64(st, 2));
		ab_out_end(&a->out);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ab_db_fail(a->db, rc, "read secrets");
}

static int
secret_del(struct authcmd *a, const char *name)
{
	sqlite3_stmt *st;
	char *actor = NULL;
	int rc, code;

	if ((code = authcmd_gate(a, AB_PERM_SECRET_WRITE, &actor)))
		return code;
	if ((code = ab_db_begin(a->db)))
		goto out;
	if ((code = ab_db_prepare(a->db, "DELETE FROM secrets WHERE name = ?", &st)))
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		code = ab_db_fail(a->db, rc, "write secrets");
	else if (sqlite3_changes(a->db->h) == 0)
		code = ab_err(AB_ENOINPUT, "no secret \"%s\"", name);
	if (!code)
		code = ab_auth_audit(a->db, actor, "secret.del", name, NULL);
	if (!code)
		code = ab_db_commit(a->db);
out:
	if (code)
		ab_db_rollback(a->db);
	free(actor);
	return code;
}

int
cmd_secret(struct authcmd *a)
{
	const char *sub = a->nargs ? a->args[0] : NULL;
	int code;

	if (sub && strcmp(sub, "list") == 0 && a->nargs == 1)
		return secret_list(a);
	if (!sub || a->nargs != 2)
		return ab_err(AB_EUSAGE, "secret: give set NAME, get NAME, list or del NAME (values come on stdin)");
	if ((code = authcmd_valid_name("secret", a->args[1])))
		return code;
	if (strcmp(sub, "set") == 0)
		return secret_set(a, a->args[1]);
	if (strcmp(sub, "get") == 0)
		return secret_get(a, a->args[1]);
	if (strcmp(sub, "del") == 0)
		return secret_del(a, a->args[1]);
	return ab_err(AB_EUSAGE, "secret: unknown subcommand \"%s\"", sub);
}
