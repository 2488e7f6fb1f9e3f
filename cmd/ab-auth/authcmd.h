/* authcmd: what the ab-auth commands share (context, gate, input helpers). */
#ifndef AB_AUTHCMD_H
#define AB_AUTHCMD_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "db.h"
#include "jsonl.h"
#include "runs.h"

struct authcmd {
	int argc;
	char **argv;
	const char *db_path;
	struct ab_db *db;
	struct ab_run run;
	struct ab_out out;
	char **args;        /* positionals after the command (and subcommand) */
	int nargs;
	const char *role, *aud, *alg, *source, *anchor, *user, *jti, *kid;
	int64_t ttl_s, since_ms;
	int has_since, leeway, public_only, jwk, sign;
};

/* Opens the database and starts the run row. */
int authcmd_open(struct authcmd *a);
/* Administrative commands: with $AB_TOKEN set it must carry perm; without
 * one the caller is the local operator who can write the database file.
 * *actor gets the name to audit (caller frees). */
int authcmd_gate(struct authcmd *a, const char *perm, char **actor);
/* A password from the terminal (no echo; twice when confirm) or one line of
 * stdin, in sodium_malloc'd memory: free with authcmd_free_secret. */
int authcmd_read_password(const char *prompt, int confirm, char **pw, size_t *len);
/* All of stdin (at most 64 KiB, one trailing newline dropped), likewise. */
int authcmd_read_stdin(char **buf, size_t *len);
void authcmd_free_secret(char *p);
/* 0 if the password is acceptable for user name, else 65 with the reason. */
int authcmd_password_policy(const char *name, const char *pw, size_t len);
int authcmd_valid_name(const char *kind, const char *s);
int authcmd_valid_perm(const char *s);
/* {"k":"v",...} from NULL-terminated key/value pairs (values may be NULL: skipped). */
char *authcmd_detail(const char *k, ...);

int cmd_init(struct authcmd *a);
int cmd_user(struct authcmd *a);
int cmd_role(struct authcmd *a);
int cmd_login(struct authcmd *a);
int cmd_verify(struct authcmd *a);
int cmd_check(struct authcmd *a);
int cmd_revoke(struct authcmd *a);
int cmd_key(struct authcmd *a);
int cmd_audit(struct authcmd *a);
int cmd_secret(struct authcmd *a);

#endif
