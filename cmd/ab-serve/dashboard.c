/* dashboard.c: the front page: equity and PnL, positions, latest signals and
 * orders, revenue today and this week, unsold stock, job health. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "serve.h"
#include "timefmt.h"

#define DAY_MS 86400000LL

/* The first row of a query as text (caller frees), or NULL. ?1 since, ?2 now, ?3 extra. */
static char *
scalar(struct build *b, const char *sql, int64_t extra)
{
	sqlite3_stmt *st;
	char *v = NULL;

	if (sqlite3_prepare_v2(b->db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		ab_err(0, "warning: dashboard: %s", sqlite3_errmsg(b->db->h));
		return NULL;
	}
	int np = sqlite3_bind_parameter_count(st);
	if (np >= 1)
		stmt_bind_since(st, 1, b);
	if (np >= 2)
		sqlite3_bind_int64(st, 2, b->now);
	if (np >= 3)
		sqlite3_bind_int64(st, 3, extra);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = ab_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static void
card(struct page *pg, const char *title, const char *big, const char *detail, const char *cls)
{
	sb_printf(&pg->body, "<section class=\"card%s%s\"><h2>", cls ? " " : "", cls ? cls : "");
	sb_html(&pg->body, title);
	sb_puts(&pg->body, "</h2><p class=\"big\">");
	sb_html(&pg->body, big ? big : "—");
	sb_puts(&pg->body, "</p><p>");
	sb_html(&pg->body, detail ? detail : "");
	sb_puts(&pg->body, "</p></section>\n");
}

static void
cards(struct build *b, struct page *pg, int stale, int failing, int ok)
{
	char *big = NULL, *detail = NULL;
	int have_positions = table_exists(b, "positions"), have_balances = table_exists(b, "balances");

	/* portfolio equity: cash plus positions at their last price */
	if (have_balances && have_positions)
		big = scalar(b, "SELECT printf('%.2f', (SELECT sum(cash) FROM balances WHERE mode <> 'backtest') + "
				"coalesce((SELECT sum(qty * coalesce(last_price, avg_price)) FROM positions WHERE mode <> 'backtest'), 0)) "
				"WHERE EXISTS (SELECT 1 FROM balances WHERE mode <> 'backtest')", 0);
	if (big) {
		detail = scalar(b, "SELECT 'PnL ' || printf('%.2f', coalesce(sum(realized_pnl), 0)) || ' realised, ' || "
				   "printf('%.2f', coalesce(sum(qty * (coalesce(last_price, avg_price) - avg_price)), 0)) || ' open' "
				   "FROM positions WHERE mode <> 'backtest'", 0);
		card(pg, "Equity (paper and live)", big, detail, NULL);
	} else if (table_exists(b, "backtests") &&
		   (big = scalar(b, "SELECT printf('%.2f', final_equity) FROM backtests WHERE final_equity IS NOT NULL "
				    "ORDER BY created DESC, id DESC LIMIT 1", 0))) {
		detail = scalar(b, "SELECT name || ': return ' || printf('%.2f%%', 100 * coalesce(total_return, 0)) || "
				   "', max drawdown ' || printf('%.2f%%', 100 * coalesce(max_drawdown, 0)) FROM backtests "
				   "WHERE final_equity IS NOT NULL ORDER BY created DESC, id DESC LIMIT 1", 0);
		card(pg, "Equity (latest backtest)", big, detail, NULL);
	} else {
		card(pg, "Equity", NULL, "no portfolio or backtest yet (ab-order)", "muted");
	}
	free(big);
	free(detail);
	big = detail = NULL;

	if (have_positions && (table_has_rows(b, "positions") || table_has_rows(b, "orders"))) {
		big = scalar(b, "SELECT count(*) FROM positions WHERE qty <> 0 AND mode <> 'backtest'", 0);
		card(pg, "Open positions", big, "paper and live", NULL);
	} else {
		card(pg, "Open positions", NULL, "no positions yet (ab-order)", "muted");
	}
	free(big);
	big = NULL;

	if (table_exists(b, "signals") && table_has_rows(b, "signals")) {
		big = scalar(b, "SELECT count(*) FROM signals WHERE ts >= ?2 - ?3", DAY_MS);
		detail = scalar(b, "SELECT 'latest: ' || signal || ' ' || symbol || ' ' || iso(ts) FROM signals "
				   "ORDER BY ts DESC LIMIT 1", 0);
		card(pg, "Signals in the last 24 h", big, detail ? detail : "none yet", NULL);
	} else {
		card(pg, "Signals", NULL, "no signals yet (ab-signal)", "muted");
	}
	free(big);
	free(detail);
	big = detail = NULL;

	if (table_exists(b, "shop_orders") && table_has_rows(b, "products")) {
		int64_t day = ab_tf_floor(DAY_MS, b->now), week = ab_tf_floor(7 * DAY_MS, b->now);
		char *w;
		big = scalar(b, "SELECT coalesce(group_concat(m, ', '), '0') FROM (SELECT money(sum(total), currency) "
				"|| ' ' || currency AS m FROM shop_orders WHERE status IN ('paid', 'fulfilled') AND ts >= ?3 "
				"GROUP BY currency)", day);
		w = scalar(b, "SELECT coalesce(group_concat(m, ', '), '0') FROM (SELECT money(sum(total), currency) "
			      "|| ' ' || currency AS m FROM shop_orders WHERE status IN ('paid', 'fulfilled') AND ts >= ?3 "
			      "GROUP BY currency)", week);
		detail = ab_malloc(strlen(w) + 32);
		sprintf(detail, "this week: %s", w);
		free(w);
		card(pg, "Revenue today", big, detail, NULL);
		free(big);
		free(detail);
		big = scalar(b, "WITH st AS (SELECT sku FROM stock GROUP BY sku HAVING sum(on_hand) > 0) "
				"SELECT count(*) FROM st WHERE NOT EXISTS (SELECT 1 FROM stock_moves m WHERE m.sku = st.sku "
				"AND m.kind = 'sale' AND m.ts >= ?2 - ?3)", 90 * DAY_MS);
		card(pg, "Unsold stock", big, "SKUs in stock with no sale in 90 days", big && strcmp(big, "0") ? "warn" : NULL);
		free(big);
		big = NULL;
	} else {
		card(pg, "Revenue", NULL, "no shop data yet (ab-inventory)", "muted");
	}
	{
		char j[64], d[96];
		snprintf(j, sizeof j, "%d ok", ok);
		snprintf(d, sizeof d, "%d stale, %d failing", stale, failing);
		card(pg, "Scheduled jobs and programs", j, d, stale || failing ? "warn" : NULL);
	}
}

int
page_dashboard(struct build *b, struct page *pg)
{
	struct page jobs = {0};
	int stale, failing, ok, code;

	/* the job table is built first: its counts go into a card */
	jobs.ncharts = 0;
	if ((code = monitor_jobs_table(b, &jobs, &stale, &failing, &ok))) {
		sb_free(&jobs.body);
		return code;
	}
	sb_puts(&pg->body, "<div class=\"cards\">\n");
	cards(b, pg, stale, failing, ok);
	sb_puts(&pg->body, "</div>\n");

	if (table_exists(b, "equity") && table_exists(b, "backtests")) {
		sqlite3_stmt *st;
		char *id = scalar(b, "SELECT id FROM backtests WHERE EXISTS (SELECT 1 FROM equity e WHERE e.backtest_id = backtests.id) "
				     "ORDER BY created DESC, id DESC LIMIT 1", 0);
		if (id && ab_db_prepare(b->db, "SELECT ts, equity FROM equity WHERE backtest_id = ?1 ORDER BY ts", &st) == 0) {
			char *name = scalar(b, "SELECT 'Equity: backtest ' || id || ' ' || name FROM backtests "
					       "WHERE id = ?3", atoll(id));
			sb_puts(&pg->body, "<div class=\"charts\">\n");
			chart_begin(pg, "line", name ? name : "Equity");
			sb_puts(&pg->data, ",\"x\":\"time\",\"series\":[{\"name\":\"equity\",\"points\":");
			sqlite3_bind_int64(st, 1, atoll(id));
			sql_series(b, &pg->data, st, b->max_points);
			sb_puts(&pg->data, "}]");
			chart_end(pg);
			sb_puts(&pg->body, "</div>\n");
			sqlite3_finalize(st);
			free(name);
		}
		free(id);
	}

	sb_puts(&pg->body, "<h2>Open positions</h2>\n");
	if (table_exists(b, "positions"))
		sql_table(b, pg, "SELECT mode, portfolio, exchange, symbol, qty, avg_price, last_price, "
				 "qty * (coalesce(last_price, avg_price) - avg_price) AS open_pnl, realized_pnl, updated "
				 "FROM positions WHERE qty <> 0 AND mode <> 'backtest' AND ?1 = ?1 ORDER BY updated DESC LIMIT 20",
			  "No open positions.");
	else
		no_data(pg, "positions", "ab-order");
	sb_puts(&pg->body, "<h2>Latest signals</h2>\n");
	if (!table_exists(b, "signals") ||
	    sql_table(b, pg, "SELECT ts, exchange, symbol, tf, strategy, signal, price FROM signals "
			     "WHERE ts >= ?1 ORDER BY ts DESC LIMIT 10", NULL) == 0)
		no_data(pg, "signals", "ab-signal");
	sb_puts(&pg->body, "<h2>Latest orders</h2>\n");
	if (table_exists(b, "orders")) {
		if (sql_table(b, pg, "SELECT created, mode, portfolio, exchange, symbol, side, type, qty, price, status, "
				     "filled, avg_price, reason FROM orders WHERE created >= ?1 ORDER BY created DESC, id DESC LIMIT 10",
			      NULL) == 0)
			no_data(pg, "orders", "ab-order");
	} else {
		no_data(pg, "orders", "ab-order");
	}
	sb_puts(&pg->body, "<h2>Job health</h2>\n");
	sb_put(&pg->body, jobs.body.p ? jobs.body.p : "", jobs.body.n);
	sb_free(&jobs.body);
	sb_free(&jobs.data);
	return 0;
}
