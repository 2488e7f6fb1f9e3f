/* monitor.c: the monitoring page (the runs table) and the job-health summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "serve.h"
#include "timefmt.h"

#define DAY_MS 86400000LL

static void
duration(struct sbuf *o, long long ms)
{
	long long s = ms / 1000;

	if (ms < 0)
		sb_puts(o, "");
	else if (ms < 10000)
		sb_printf(o, "%.2fs", ms / 1000.0);
	else if (s < 3600)
		sb_printf(o, "%lldm %llds", s / 60, s % 60);
	else if (s < 86400)
		sb_printf(o, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else
		sb_printf(o, "%lldd %lldh", s / 86400, s % 86400 / 3600);
}

static void
tcell(struct sbuf *o, sqlite3_stmt *st, int i)
{
	char t[AB_TIME_MAX];

	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		sb_puts(o, "<td class=\"null\">never</td>");
		return;
	}
	ab_time_format(sqlite3_column_int64(st, i), t);
	sb_printf(o, "<td class=\"time\">%s</td>", t);
}

int
monitor_jobs_table(struct build *b, struct page *pg, int *stale, int *failing, int *ok)
{
	static const char sql[] =
		"SELECT coalesce(job, program) AS k, max(job IS NOT NULL), count(*), "
		"sum(status <> 0), sum(status IS NULL), min(started), max(started), "
		"max(CASE WHEN status = 0 THEN coalesce(ended, started) END), "
		"avg(CASE WHEN ended IS NOT NULL THEN ended - started END), "
		"(SELECT status FROM runs r2 WHERE coalesce(r2.job, r2.program) = coalesce(r.job, r.program) "
		" ORDER BY started DESC LIMIT 1) "
		"FROM runs r WHERE started >= ?1 GROUP BY k ORDER BY max(job IS NOT NULL) DESC, k";
	struct sbuf *o = &pg->body;
	sqlite3_stmt *st;
	int rc, rows = 0, code;

	*stale = *failing = *ok = 0;
	if ((code = ab_db_prepare(b->db, sql, &st)))
		return code;
	stmt_bind_since(st, 1, b);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		int scheduled = sqlite3_column_int(st, 1);
		long long n = sqlite3_column_int64(st, 2), fails = sqlite3_column_int64(st, 3);
		long long running = sqlite3_column_int64(st, 4);
		long long first = sqlite3_column_int64(st, 5), last = sqlite3_column_int64(st, 6);
		int has_ok = sqlite3_column_type(st, 7) != SQLITE_NULL;
		long long last_ok = sqlite3_column_int64(st, 7);
		int last_status_null = sqlite3_column_type(st, 9) == SQLITE_NULL;
		int last_status = sqlite3_column_int(st, 9);
		const char *state = "ok";

		if (scheduled) {
			/* a job is stale when it has not succeeded for twice its usual interval */
			long long interval = n > 1 ? (last - first) / (n - 1) : DAY_MS / 2;
			long long allowed = 2 * interval + 60000;
			if (!has_ok || b->now - last_ok > allowed)
				state = "stale";
		}
		if (!last_status_null && last_status != 0 && strcmp(state, "stale") != 0)
			state = "failing";
		if (!last_status_null && last_status != 0 && !scheduled)
			state = "failing";
		if (strcmp(state, "stale") == 0)
			(*stale)++;
		else if (strcmp(state, "failing") == 0)
			(*failing)++;
		else
			(*ok)++;
		if (rows++ == 0)
			sb_puts(o, "<div class=\"table\"><table class=\"jobs\">\n<thead><tr><th>job or program</th>"
				   "<th>kind</th><th>runs</th><th>failed</th><th>running</th><th>last run</th>"
				   "<th>last success</th><th>since success</th><th>mean duration</th>"
				   "<th>last status</th><th>state</th></tr></thead>\n<tbody>\n");
		sb_printf(o, "<tr class=\"%s\"><td>", state);
		sb_html(o, k);
		sb_printf(o, "</td><td>%s</td><td class=\"num\">%lld</td><td class=\"num%s\">%lld</td>"
			     "<td class=\"num\">%lld</td>",
			  scheduled ? "scheduled" : "ad hoc", n, fails ? " bad" : "", fails, running);
		tcell(o, st, 6);
		tcell(o, st, 7);
		sb_puts(o, "<td class=\"num\">");
		if (has_ok)
			duration(o, b->now - last_ok);
		sb_puts(o, "</td><td class=\"num\">");
		if (sqlite3_column_type(st, 8) != SQLITE_NULL)
			duration(o, (long long)sqlite3_column_double(st, 8));
		sb_puts(o, "</td>");
		if (last_status_null)
			sb_puts(o, "<td class=\"null\">running</td>");
		else
			sb_printf(o, "<td class=\"num%s\">%d</td>", last_status ? " bad" : "", last_status);
		sb_printf(o, "<td class=\"state\">%s</td></tr>\n", state);
	}
	if (rc != SQLITE_DONE)
		code = ab_db_fail(b->db, rc, "runs");
	sqlite3_finalize(st);
	if (rows)
		sb_puts(o, "</tbody></table></div>\n");
	else
		no_data(pg, "program runs", "no autobot program");
	return code;
}

static int
durations_chart(struct build *b, struct page *pg)
{
	sqlite3_stmt *progs, *st;
	int rc, code, nseries = 0;

	if ((code = ab_db_prepare(b->db, "SELECT program FROM runs WHERE started >= ?1 AND ended IS NOT NULL "
					 "GROUP BY program ORDER BY count(*) DESC LIMIT 10", &progs)))
		return code;
	stmt_bind_since(progs, 1, b);
	if ((code = ab_db_prepare(b->db, "SELECT started, (ended - started) / 1000.0 FROM runs "
					 "WHERE program = ?2 AND started >= ?1 AND ended IS NOT NULL ORDER BY started", &st))) {
		sqlite3_finalize(progs);
		return code;
	}
	while ((rc = sqlite3_step(progs)) == SQLITE_ROW) {
		if (nseries++ == 0) {
			chart_begin(pg, "line", "Run durations (seconds)");
			sb_puts(&pg->data, ",\"x\":\"time\",\"series\":[");
		} else {
			sb_puts(&pg->data, ",");
		}
		sb_puts(&pg->data, "{\"name\":");
		sb_jstr(&pg->data, (const char *)sqlite3_column_text(progs, 0));
		sb_puts(&pg->data, ",\"points\":");
		sqlite3_reset(st);
		stmt_bind_since(st, 1, b);
		sqlite3_bind_text(st, 2, (const char *)sqlite3_column_text(progs, 0), -1, SQLITE_TRANSIENT);
		sql_series(b, &pg->data, st, b->max_points);
		sb_puts(&pg->data, "}");
	}
	if (nseries) {
		sb_puts(&pg->data, "]");
		chart_end(pg);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(progs);
	return 0;
}

static int
per_day_chart(struct build *b, struct page *pg)
{
	sqlite3_stmt *st;
	struct sbuf labels = {0}, okv = {0}, failv = {0};
	int rc, code, n = 0;
	char t[AB_TIME_MAX];

	if ((code = ab_db_prepare(b->db, "SELECT started / 86400000 * 86400000 AS d, sum(status = 0), sum(status <> 0) "
					 "FROM runs WHERE started >= max(?1, ?2 - 60 * 86400000) GROUP BY d ORDER BY d", &st)))
		return code;
	stmt_bind_since(st, 1, b);
	sqlite3_bind_int64(st, 2, b->now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ab_time_format(sqlite3_column_int64(st, 0), t);
		t[10] = 0;
		sb_puts(&labels, n ? "," : "");
		sb_jstr(&labels, t);
		sb_printf(&okv, "%s%lld", n ? "," : "", (long long)sqlite3_column_int64(st, 1));
		sb_printf(&failv, "%s%lld", n ? "," : "", (long long)sqlite3_column_int64(st, 2));
		n++;
	}
	sqlite3_finalize(st);
	if (n) {
		chart_begin(pg, "bar", "Runs per day (last 60 days)");
		sb_printf(&pg->data, ",\"stacked\":true,\"labels\":[%s],\"series\":[{\"name\":\"ok\",\"color\":\"ok\",\"values\":[%s]},"
				     "{\"name\":\"failed\",\"color\":\"bad\",\"values\":[%s]}]",
			  labels.p, okv.p, failv.p);
		chart_end(pg);
	}
	sb_free(&labels);
	sb_free(&okv);
	sb_free(&failv);
	return 0;
}

int
page_monitor(struct build *b, struct page *pg)
{
	int stale, failing, ok, code;

	sb_puts(&pg->body, "<p class=\"lead\">Every program run recorded in the <code>runs</code> table. "
			   "A scheduled job is <em>stale</em> when it has not succeeded for twice its usual interval.</p>\n"
			   "<h2>Jobs and programs</h2>\n");
	if ((code = monitor_jobs_table(b, pg, &stale, &failing, &ok)))
		return code;
	sb_printf(&pg->body, "<p class=\"summary\">%d ok, %d stale, %d failing.</p>\n", ok, stale, failing);
	sb_puts(&pg->body, "<div class=\"charts\">\n");
	if ((code = durations_chart(b, pg)) || (code = per_day_chart(b, pg)))
		return code;
	sb_puts(&pg->body, "</div>\n<h2>Failures</h2>\n");
	if (sql_table(b, pg, "SELECT id, program, job, started, ended, status, records_in, records_out, args "
			     "FROM runs WHERE started >= ?1 AND status <> 0 ORDER BY started DESC LIMIT 50",
		      "No failed runs.") < 0)
		return AB_ESOFTWARE;
	sb_puts(&pg->body, "<h2>Latest runs</h2>\n");
	if (sql_table(b, pg, "SELECT id, program, job, started, "
			     "CASE WHEN ended IS NOT NULL THEN printf('%.3f', (ended - started) / 1000.0) END AS seconds, "
			     "records_in, records_out, status, args "
			     "FROM runs WHERE started >= ?1 ORDER BY started DESC, id DESC LIMIT 200",
		      "No runs recorded yet.") < 0)
		return AB_ESOFTWARE;
	return 0;
}
