/* db: open, migrate and wrap transactions on the shared SQLite file. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db.h"
#include "err.h"

extern const char *const ab_migrations[];
extern const int ab_migrations_count;

int
ab_db_schema_version(void)
{
	return ab_migrations_count;
}

int
ab_db_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return AB_OK;
	case SQLITE_BUSY: case SQLITE_LOCKED: return AB_ETEMPFAIL;
	case SQLITE_FULL: case SQLITE_IOERR: return AB_EIO;
	case SQLITE_CANTOPEN: case SQLITE_READONLY: case SQLITE_PERM: return AB_ECANTCREAT;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: return AB_EDATA;
	case SQLITE_CONSTRAINT: return AB_EDATA;
	default: return AB_ESOFTWARE;
	}
}

int
ab_db_fail(struct ab_db *db, int rc, const char *what)
{
	const char *msg = db && db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);

	return ab_err(ab_db_code(rc), "%s: %s: %s", db && db->path ? db->path : "database",
		      what, msg);
}

static int
mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

int
ab_db_resolve_path(const char *path, char *buf, size_t n)
{
	const char *env = getenv("AB_DB"), *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int len;

	if (path && *path)
		len = snprintf(buf, n, "%s", path);
	else if (env && *env)
		len = snprintf(buf, n, "%s", env);
	else if (xdg && *xdg)
		len = snprintf(buf, n, "%s/autobot/autobot.db", xdg);
	else if (home && *home)
		len = snprintf(buf, n, "%s/.local/share/autobot/autobot.db", home);
	else
		return ab_err(AB_ECANTCREAT, "no database: give --db or set AB_DB or HOME");
	if (len < 0 || (size_t)len >= n)
		return ab_err(AB_ECANTCREAT, "database path too long");
	return 0;
}

/* Some statements get SQLITE_BUSY without the busy handler being called
 * (switching to WAL while another process migrates a new file, WAL
 * recovery): retry those for up to the busy timeout. */
static int
exec_patiently(struct ab_db *db, const char *sql, int timeout_ms)
{
	int rc, waited = 0;

	while ((rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL)) == SQLITE_BUSY && waited < timeout_ms) {
		sqlite3_sleep(10);
		waited += 10;
	}
	return rc;
}

int
ab_db_exec(struct ab_db *db, const char *sql)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : ab_db_fail(db, rc, "exec");
}

int
ab_db_prepare(struct ab_db *db, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db->h, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : ab_db_fail(db, rc, "prepare");
}

int
ab_db_begin(struct ab_db *db)
{
	int rc = sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return ab_db_fail(db, rc, "begin transaction");
	db->in_tx = 1;
	return 0;
}

int
ab_db_commit(struct ab_db *db)
{
	int rc = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		int code = ab_db_fail(db, rc, "commit");
		ab_db_rollback(db);
		return code;
	}
	db->in_tx = 0;
	return 0;
}

void
ab_db_rollback(struct ab_db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = 0;
}

int
ab_db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static int
user_version(struct ab_db *db, int *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return ab_db_fail(db, rc, "read schema version");
	for (int waited = 0; (rc = sqlite3_step(st)) == SQLITE_BUSY && waited < db->busy_ms; waited += 10) {
		sqlite3_reset(st);
		sqlite3_sleep(10);
	}
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : ab_db_fail(db, rc, "read schema version");
}

static int
too_new(struct ab_db *db, int v)
{
	return ab_err(AB_ECONFIG, "%s: schema version %d is newer than this program's %d: upgrade autobot",
		      db->path, v, ab_migrations_count);
}

/* Applies the missing migrations in one exclusive transaction, so two
 * programs opening a new file at once cannot both migrate it. */
static int
migrate(struct ab_db *db)
{
	int v, rc, code;

	/* Take the lock without the busy handler and look at the version again
	 * between tries: once another process has migrated the file we need no
	 * lock at all, and waiting for one could stall behind a writer that is
	 * itself waiting for us to read its output. */
	for (int waited = 0;; waited += 10) {
		if ((code = user_version(db, &v)))
			return code;
		if (v == ab_migrations_count)
			return 0;
		if (v > ab_migrations_count)
			return too_new(db, v);
		sqlite3_busy_timeout(db->h, 0);
		rc = sqlite3_exec(db->h, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
		sqlite3_busy_timeout(db->h, db->busy_ms);
		if (rc == SQLITE_OK)
			break;
		if (rc != SQLITE_BUSY || waited >= db->busy_ms)
			return ab_db_fail(db, rc, "lock for migration");
		sqlite3_sleep(10);
	}
	if ((code = user_version(db, &v)))
		goto fail;
	if (v > ab_migrations_count) {
		code = too_new(db, v);
		goto fail;
	}
	for (; v < ab_migrations_count; v++) {
		char *msg = NULL, pragma[64];
		rc = sqlite3_exec(db->h, ab_migrations[v], NULL, NULL, &msg);
		if (rc != SQLITE_OK) {
			code = ab_err(AB_ESOFTWARE, "%s: migration %d: %s", db->path, v + 1,
				      msg ? msg : sqlite3_errstr(rc));
			sqlite3_free(msg);
			goto fail;
		}
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
		if ((rc = sqlite3_exec(db->h, pragma, NULL, NULL, NULL)) != SQLITE_OK) {
			code = ab_db_fail(db, rc, "set schema version");
			goto fail;
		}
	}
	rc = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		code = ab_db_fail(db, rc, "commit migration");
		goto fail;
	}
	return 0;
fail:
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return code;
}

int
ab_db_open(const char *path, struct ab_db **out)
{
	char buf[PATH_MAX];
	struct ab_db *db;
	const char *bt = getenv("AB_BUSY_TIMEOUT");
	int rc, code;

	*out = NULL;
	if ((code = ab_db_resolve_path(path, buf, sizeof buf)))
		return code;
	if (!(path && *path) && !(getenv("AB_DB") && *getenv("AB_DB")) && mkdirs(buf) != 0)
		return ab_err(AB_ECANTCREAT, "%s: cannot create its folder: %s", buf, strerror(errno));
	db = ab_calloc(1, sizeof *db);
	db->path = ab_strdup(buf);
	rc = sqlite3_open_v2(buf, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		code = ab_db_fail(db, rc, "open");
		goto fail;
	}
	int timeout = bt && atoi(bt) > 0 ? atoi(bt) : 60000;
	db->busy_ms = timeout;
	sqlite3_extended_result_codes(db->h, 0);
	sqlite3_busy_timeout(db->h, timeout);
	/* WAL lets readers and one writer work at once; NORMAL sync is durable
	 * across application crashes, which is what cron jobs need. */
	rc = exec_patiently(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			    "PRAGMA foreign_keys=ON;", timeout);
	if (rc != SQLITE_OK) {
		code = ab_db_fail(db, rc, "set WAL mode");
		goto fail;
	}
	if ((code = migrate(db)))
		goto fail;
	*out = db;
	return 0;
fail:
	ab_db_close(db);
	return code;
}

void
ab_db_close(struct ab_db *db)
{
	if (!db)
		return;
	if (db->h) {
		if (!sqlite3_get_autocommit(db->h))
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(db->h);
	}
	free(db->path);
	free(db);
}
