/* runs: record each invocation in the `runs` table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "jsonl.h"
#include "runs.h"
#include "timefmt.h"

static int
secret_option(const char *a)
{
	static const char *const words[] = {"password", "passphrase", "secret", "token", "key"};

	if (a[0] != '-')
		return 0;
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strstr(a, words[i]))
			return 1;
	return 0;
}

static int
looks_like_jwt(const char *a)
{
	const char *dot = strchr(a, '.');

	return strncmp(a, "eyJ", 3) == 0 && dot && strchr(dot + 1, '.');
}

char *
ab_runs_mask_args(int argc, char **argv)
{
	struct ab_out o;
	char *text;
	int mask_next = 0;

	/* Build into an ab_out buffer that never flushes (fd -1, large enough). */
	size_t need = 16;
	for (int i = 1; i < argc; i++)
		need += strlen(argv[i]) * 6 + 4;
	ab_out_init(&o, -1, "args");
	if (need > o.cap) {
		o.buf = ab_realloc(o.buf, need);
		o.cap = need;
	}
	ab_out_raw(&o, "[", 1);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		if (i > 1)
			ab_out_raw(&o, ",", 1);
		if (mask_next || looks_like_jwt(a)) {
			ab_out_str(&o, "***", 3);
			mask_next = 0;
		} else if (secret_option(a) && eq) {
			size_t n = (size_t)(eq - a) + 1;
			char *m = ab_malloc(n + 4);
			memcpy(m, a, n);
			memcpy(m + n, "***", 4);
			ab_out_str(&o, m, strlen(m));
			free(m);
		} else {
			ab_out_str(&o, a, strlen(a));
			mask_next = secret_option(a) && strncmp(a, "--", 2) == 0;
		}
	}
	ab_out_raw(&o, "]", 1);
	text = ab_strndup(o.buf, o.len);
	free(o.buf);
	return text;
}

static void
warn_once(struct ab_run *run, int rc, const char *what)
{
	static int warned;

	if (!warned++)
		ab_db_fail(run->db, rc, what);
}

void
ab_runs_start(struct ab_run *run, struct ab_db *db, const char *prog, int argc, char **argv)
{
	sqlite3_stmt *st;
	char *args = ab_runs_mask_args(argc, argv);
	const char *job = getenv("AB_JOB");
	int rc;

	memset(run, 0, sizeof *run);
	run->db = db;
	run->started = ab_now_ms();
	rc = sqlite3_prepare_v2(db->h, "INSERT INTO runs(program, job, args, pid, started) "
				       "VALUES (?, ?, ?, ?, ?)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, prog, -1, SQLITE_STATIC);
		ab_db_bind_text(st, 2, job && *job ? job : NULL);
		sqlite3_bind_text(st, 3, args, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, getpid());
		sqlite3_bind_int64(st, 5, run->started);
		/* Never wait here: the program upstream in a pipeline may hold the
		 * write lock while it writes to us, and waiting would stop us reading
		 * it. When the file is busy, the row is written at the end instead. */
		sqlite3_busy_timeout(db->h, 0);
		rc = sqlite3_step(st);
		sqlite3_busy_timeout(db->h, db->busy_ms);
		sqlite3_finalize(st);
	}
	if (rc == SQLITE_DONE) {
		run->id = sqlite3_last_insert_rowid(db->h);
		free(args);
	} else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		run->deferred_prog = prog;
		run->deferred_args = args;
	} else {
		warn_once(run, rc, "record run");
		free(args);
	}
}

void
ab_runs_finish(struct ab_run *run, int status)
{
	sqlite3_stmt *st;
	int rc;

	if (!run->db || (!run->id && !run->deferred_args))
		return;
	if (run->db->in_tx)
		ab_db_rollback(run->db);
	if (run->deferred_args) {
		const char *job = getenv("AB_JOB");
		rc = sqlite3_prepare_v2(run->db->h, "INSERT INTO runs(program, job, args, pid, started, "
					"ended, records_in, records_out, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
					-1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, run->deferred_prog, -1, SQLITE_STATIC);
			ab_db_bind_text(st, 2, job && *job ? job : NULL);
			sqlite3_bind_text(st, 3, run->deferred_args, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, getpid());
			sqlite3_bind_int64(st, 5, run->started);
			sqlite3_bind_int64(st, 6, ab_now_ms());
			sqlite3_bind_int64(st, 7, run->records_in);
			sqlite3_bind_int64(st, 8, run->records_out);
			sqlite3_bind_int(st, 9, status);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
		}
		free(run->deferred_args);
		run->deferred_args = NULL;
	} else {
		rc = sqlite3_prepare_v2(run->db->h, "UPDATE runs SET ended = ?, records_in = ?, "
					"records_out = ?, status = ? WHERE id = ?", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, ab_now_ms());
			sqlite3_bind_int64(st, 2, run->records_in);
			sqlite3_bind_int64(st, 3, run->records_out);
			sqlite3_bind_int(st, 4, status);
			sqlite3_bind_int64(st, 5, run->id);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
		}
	}
	if (rc != SQLITE_DONE)
		warn_once(run, rc, "record run end");
}
