/* db: the shared SQLite file.
 *
 * ab_db_open resolves the path (--db, else $AB_DB, else
 * ${XDG_DATA_HOME:-$HOME/.local/share}/autobot/autobot.db, creating that
 * folder), opens it in WAL mode with a busy timeout ($AB_BUSY_TIMEOUT ms,
 * default 60000) and foreign keys on, and applies the numbered migrations
 * (share/autobot/migrations, embedded at build time) under an exclusive lock.
 * A database whose user_version is newer than this binary is refused (78).
 * Every function here that fails prints "prog: PATH: what" and returns an
 * exit code (ab_db_code maps SQLite's result codes); the caller owns *out and
 * closes it with ab_db_close.
 */
#ifndef AB_DB_H
#define AB_DB_H

#include <sqlite3.h>
#include <stddef.h>

struct ab_db {
	sqlite3 *h;
	char *path;
	int in_tx;
	int busy_ms;    /* the busy timeout */
};

int ab_db_open(const char *path, struct ab_db **out);
void ab_db_close(struct ab_db *db);
/* The path ab_db_open would use for `path` (NULL: the environment/default). */
int ab_db_resolve_path(const char *path, char *buf, size_t n);
/* The schema version this binary knows. */
int ab_db_schema_version(void);

/* SQLite result code to exit code: BUSY/LOCKED 75, FULL/IOERR 74,
 * CANTOPEN/READONLY 73, CORRUPT/NOTADB 65, others 70. */
int ab_db_code(int rc);
/* Reports the connection's last error with `what` and returns ab_db_code. */
int ab_db_fail(struct ab_db *db, int rc, const char *what);

int ab_db_exec(struct ab_db *db, const char *sql);
int ab_db_prepare(struct ab_db *db, const char *sql, sqlite3_stmt **st);
/* BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy timeout),
 * COMMIT, ROLLBACK (rollback never reports; it is the error path). */
int ab_db_begin(struct ab_db *db);
int ab_db_commit(struct ab_db *db);
void ab_db_rollback(struct ab_db *db);

/* Binds text or NULL (s == NULL). */
int ab_db_bind_text(sqlite3_stmt *st, int i, const char *s);

#endif
