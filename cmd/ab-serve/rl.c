/* rl.c: the RL training page: learning curves per training run, model
 * versions with their metrics, evaluations against buy-and-hold. The
 * metrics table may be long (run, step, name, value) or wide (run, step,
 * one column per metric): both are read by column name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "serve.h"

#define MAX_RUNS 10
#define MAX_METRICS 12

struct names {
	char *v[MAX_METRICS];
	int n;
};

static void
names_free(struct names *m)
{
	for (int i = 0; i < m->n; i++)
		free(m->v[i]);
	m->n = 0;
}

/* one chart per metric, one series per run */
static int
curves(struct build *b, struct page *pg, const char *key, const char *step, const char *name_col,
       const char *val_col, struct names *metrics)
{
	struct sbuf q = {0};
	sqlite3_stmt *runs, *st;
	int code = 0;

	sb_printf(&q, "SELECT \"%s\" FROM train_metrics WHERE \"%s\" IS NOT NULL AND ?1 = ?1 GROUP BY 1 ORDER BY 1 DESC LIMIT %d",
		  key, key, MAX_RUNS);
	if ((code = ab_db_prepare(b->db, q.p, &runs)))
		goto out;
	stmt_bind_since(runs, 1, b);
	for (int m = 0; m < metrics->n; m++) {
		q.n = 0;
		if (name_col)
			sb_printf(&q, "SELECT \"%s\", \"%s\" FROM train_metrics WHERE \"%s\" = ?1 AND \"%s\" = ?2 ORDER BY 1",
				  step, val_col, key, name_col);
		else
			sb_printf(&q, "SELECT \"%s\", \"%s\" FROM train_metrics WHERE \"%s\" = ?1 AND ?2 = ?2 ORDER BY 1",
				  step, metrics->v[m], key);
		if ((code = ab_db_prepare(b->db, q.p, &st)))
			break;
		char title[160];
		snprintf(title, sizeof title, "%s by %s", metrics->v[m], step);
		chart_begin(pg, "line", title);
		sb_puts(&pg->data, ",\"x\":\"linear\",\"series\":[");
		sqlite3_reset(runs);
		int k = 0;
		while (sqlite3_step(runs) == SQLITE_ROW) {
			const char *r = (const char *)sqlite3_column_text(runs, 0);
			char label[96];
			snprintf(label, sizeof label, "run %s", r ? r : "");
			sb_puts(&pg->data, k++ ? ",{\"name\":" : "{\"name\":");
			sb_jstr(&pg->data, label);
			sb_puts(&pg->data, ",\"points\":");
			sqlite3_reset(st);
			sqlite3_bind_value(st, 1, sqlite3_column_value(runs, 0));
			sqlite3_bind_text(st, 2, metrics->v[m], -1, SQLITE_STATIC);
			sql_series(b, &pg->data, st, b->max_points / MAX_RUNS > 100 ? b->max_points / MAX_RUNS : 100);
			sb_puts(&pg->data, "}");
		}
		sb_puts(&pg->data, "]");
		chart_end(pg);
		sqlite3_finalize(st);
	}
	sqlite3_finalize(runs);
out:
	sb_free(&q);
	return code;
}

/* 1 when the wide metrics column holds any value (NULL columns get no chart) */
static int
has_values(struct build *b, const char *col)
{
	char sql[200];
	sqlite3_stmt *st;
	int found = 0;

	snprintf(sql, sizeof sql, "SELECT 1 FROM train_metrics WHERE \"%s\" IS NOT NULL LIMIT 1", col);
	if (sqlite3_prepare_v2(b->db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static int
learning_curves(struct build *b, struct page *pg)
{
	char key[64], step[64], name_col[64], val_col[64];
	const char *c;
	struct names metrics = {0};
	sqlite3_stmt *st;
	struct sbuf q = {0};
	int code = 0, is_long;

	if (!(c = pick_column(b, "train_metrics", "train_run_id,run_id,train_run,run,model_id,model")))
		return 0;
	snprintf(key, sizeof key, "%s", c);
	if (!(c = pick_column(b, "train_metrics", "step,steps,global_step,update,iteration,epoch,ts")))
		return 0;
	snprintf(step, sizeof step, "%s", c);
	is_long = (c = pick_column(b, "train_metrics", "name,metric,key")) != NULL;
	if (is_long) {
		snprintf(name_col, sizeof name_col, "%s", c);
		if (!(c = pick_column(b, "train_metrics", "value,val")))
			return 0;
		snprintf(val_col, sizeof val_col, "%s", c);
		sb_printf(&q, "SELECT DISTINCT \"%s\" FROM train_metrics ORDER BY 1 LIMIT %d", name_col, MAX_METRICS);
	} else {
		/* every numeric column but the keys is a metric */
		sb_printf(&q, "SELECT name FROM pragma_table_info('train_metrics') WHERE name NOT IN "
			      "('%s', '%s', 'id', 'ts', 'created', 'update_no', 'episodes') AND upper(type) IN ('REAL', 'INTEGER', 'NUMERIC', 'FLOAT', 'DOUBLE') "
			      "ORDER BY cid LIMIT %d", key, step, MAX_METRICS);
	}
	if ((code = ab_db_prepare(b->db, q.p, &st)))
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW && metrics.n < MAX_METRICS) {
		const char *m = (const char *)sqlite3_column_text(st, 0);
		if (m && (is_long || has_values(b, m)))
			metrics.v[metrics.n++] = ab_strdup(m);
	}
	sqlite3_finalize(st);
	sb_puts(&pg->body, "<div class=\"charts\">\n");
	code = curves(b, pg, key, step, is_long ? name_col : NULL, is_long ? val_col : NULL, &metrics);
	sb_puts(&pg->body, "</div>\n");
out:
	names_free(&metrics);
	sb_free(&q);
	return code;
}

int
page_rl(struct build *b, struct page *pg)
{
	int code;

	sb_puts(&pg->body, "<h2>Learning curves</h2>\n");
	if (!table_exists(b, "train_metrics") || !table_has_rows(b, "train_metrics"))
		no_data(pg, "training metrics", "ab-train");
	else if ((code = learning_curves(b, pg)))
		return code;
	sb_puts(&pg->body, "<h2>Training runs</h2>\n");
	table_latest(b, pg, "train_runs", "started,created,ts,id", 50, "training runs", "ab-train");
	sb_puts(&pg->body, "<h2>Models</h2>\n");
	if (table_has_rows(b, "models") && column_exists(b, "models", "valid_metrics") && column_exists(b, "models", "version"))
		/* the weights stay out: only what people compare */
		sql_table(b, pg, "SELECT id, name, version, created, env, train_metrics, valid_metrics, sha256 FROM models "
				 "WHERE created >= ?1 ORDER BY created DESC, id DESC LIMIT 50", "No models yet.");
	else
		table_latest(b, pg, "models", "created,updated,ts,id", 50, "models", "ab-train");
	if (table_exists(b, "evaluations") || table_exists(b, "model_evals")) {
		sb_puts(&pg->body, "<h2>Evaluations against buy-and-hold</h2>\n");
		table_latest(b, pg, table_exists(b, "evaluations") ? "evaluations" : "model_evals", "created,ts,id", 50,
			     "evaluations", "ab-train eval");
	}
	return 0;
}
