/* runs: one row in the `runs` table per program invocation (the monitoring feed).
 *
 * ab_runs_start inserts the row (program, $AB_JOB, masked arguments, pid,
 * start) in its own short transaction, so a run that is killed still shows as
 * started and never finished; ab_runs_finish fills in end, record counts and
 * exit status. ab_runs_start never waits for the write lock (a program
 * upstream in the pipeline may hold it while writing to us): when the file is
 * busy the whole row is written by ab_runs_finish instead. Programs hold the
 * write lock only briefly or after their input has ended, never while
 * waiting on a pipe. Neither fails the program: a problem is reported once on stderr.
 * Arguments are masked where they are secrets: the value of any option whose
 * name mentions password, passphrase, secret, token or key, and anything that
 * looks like a JWT.
 */
#ifndef AB_RUNS_H
#define AB_RUNS_H

#include <stdint.h>

#include "db.h"

struct ab_run {
	struct ab_db *db;
	int64_t id;          /* 0 until the row exists */
	long long records_in, records_out;
	int64_t started;
	const char *deferred_prog; /* set when the start could not be written */
	char *deferred_args;
};

void ab_runs_start(struct ab_run *run, struct ab_db *db, const char *prog, int argc, char **argv);
void ab_runs_finish(struct ab_run *run, int status);
/* The JSON array text of argv[1..] with secrets masked (caller frees). */
char *ab_runs_mask_args(int argc, char **argv);

#endif
