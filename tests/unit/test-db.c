/* test-db: path resolution, migrations, concurrent first opens, version refusal. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "runs.h"
#include "tap.h"

static int
scalar(struct ab_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
main(void)
{
	char dir[] = "/tmp/test-db-XXXXXX", path[256], buf[512];
	struct ab_db *db;

	if (!mkdtemp(dir))
		return 1;
	unsetenv("AB_DB");
	setenv("HOME", dir, 1);
	unsetenv("XDG_DATA_HOME");
	ok(ab_db_resolve_path(NULL, buf, sizeof buf) == 0, "default path resolves");
	snprintf(path, sizeof path, "%s/.local/share/autobot/autobot.db", dir);
	is_str(buf, path, "default is under ~/.local/share");
	setenv("XDG_DATA_HOME", "/xdg", 1);
	ab_db_resolve_path(NULL, buf, sizeof buf);
	is_str(buf, "/xdg/autobot/autobot.db", "XDG_DATA_HOME wins over HOME");
	setenv("AB_DB", "/env.db", 1);
	ab_db_resolve_path(NULL, buf, sizeof buf);
	is_str(buf, "/env.db", "AB_DB wins over XDG");
	ab_db_resolve_path("/flag.db", buf, sizeof buf);
	is_str(buf, "/flag.db", "--db wins over AB_DB");
	unsetenv("AB_DB");
	unsetenv("XDG_DATA_HOME");

	ok(ab_db_open(NULL, &db) == 0, "default database opens, creating its folder");
	ok(access(path, F_OK) == 0, "file created at the default path");
	is_int(scalar(db, "PRAGMA user_version"), ab_db_schema_version(), "all migrations applied");
	is_int(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'candles'"), 1, "candles table");
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db->h, "PRAGMA journal_mode", -1, &st, NULL);
	sqlite3_step(st);
	is_str((const char *)sqlite3_column_text(st, 0), "wal", "WAL mode");
	sqlite3_finalize(st);
	is_int(scalar(db, "PRAGMA foreign_keys"), 1, "foreign keys on");

	char *argv[] = {"ab-x", "--password", "hunter2", "--api-key=abc", "eyJhbGciOi.eyJzdWIi.sig", "--db", "x.db"};
	char *masked = ab_runs_mask_args(7, argv);
	is_str(masked, "[\"--password\",\"***\",\"--api-key=***\",\"***\",\"--db\",\"x.db\"]", "secrets masked");
	free(masked);
	struct ab_run run;
	ab_runs_start(&run, db, "ab-x", 7, argv);
	run.records_in = 3;
	ab_runs_finish(&run, 65);
	is_int(scalar(db, "SELECT status * 1000 + records_in FROM runs WHERE program = 'ab-x'"), 65003, "run recorded");
	ok(scalar(db, "SELECT instr(args, 'hunter2') FROM runs") == 0, "no secret in runs");

	ok(ab_db_begin(db) == 0, "begin");
	ab_db_exec(db, "INSERT INTO candles VALUES ('x','A/B','1h',0,1,1,1,1,1)");
	ab_db_rollback(db);
	is_int(scalar(db, "SELECT count(*) FROM candles"), 0, "rollback keeps nothing");
	ab_db_close(db);

	/* Eight processes open a new file at once: one migrates, all succeed. */
	snprintf(path, sizeof path, "%s/race.db", dir);
	int fails = 0;
	for (int i = 0; i < 8; i++)
		if (fork() == 0) {
			struct ab_db *d;
			int code = ab_db_open(path, &d);
			ab_db_close(d);
			_exit(code);
		}
	for (int i = 0; i < 8; i++) {
		int status;
		wait(&status);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fails++;
	}
	is_int(fails, 0, "concurrent first opens all succeed");
	ok(ab_db_open(path, &db) == 0, "reopen");
	is_int(scalar(db, "PRAGMA user_version"), ab_db_schema_version(), "migrated exactly once");
	ab_db_exec(db, "PRAGMA user_version = 9999");
	ab_db_close(db);
	freopen("/dev/null", "w", stderr);
	is_int(ab_db_open(path, &db), AB_ECONFIG, "a newer database is refused with 78");

	snprintf(buf, sizeof buf, "rm -rf '%s'", dir);
	if (system(buf))
		return 1;
	return tap_done();
}
