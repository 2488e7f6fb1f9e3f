/* trading.c: the trading page: candles with indicators and signal/fill
 * markers per symbol, signals, orders, fills, positions and backtests. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "serve.h"
#include "timefmt.h"

#define MAX_MARKERS 400

long
table_latest(struct build *b, struct page *pg, const char *table, const char *order,
	     int limit, const char *what, const char *program)
{
	struct sbuf q = {0};
	const char *col;
	long rows;

	if (!table_exists(b, table)) {
		no_data(pg, what, program);
		return 0;
	}
	col = pick_column(b, table, order);
	sb_printf(&q, "SELECT * FROM \"%s\"", table);
	if (col && strcmp(col, "id") != 0 && strcmp(col, "seq") != 0)
		sb_printf(&q, " WHERE \"%s\" >= ?1", col);
	if (col)
		sb_printf(&q, " ORDER BY \"%s\" DESC", col);
	sb_printf(&q, " LIMIT %d", limit);
	rows = sql_table(b, pg, q.p, NULL);
	sb_free(&q);
	if (rows == 0)
		no_data(pg, what, program);
	return rows;
}

struct ind {
	char kind[8]; /* sma, ema */
	int n;
};

static int
parse_indicators(const char *s, struct ind *out, int max)
{
	int k = 0;

	while (s && *s && k < max) {
		size_t len = strcspn(s, ",");
		char name[8] = {0};
		int n = 0;
		if (sscanf(s, "%3[a-z]%d", name, &n) == 2 && n > 1 && n < 10000 &&
		    (strcmp(name, "sma") == 0 || strcmp(name, "ema") == 0)) {
			memcpy(out[k].kind, name, sizeof name < sizeof out[k].kind ? sizeof name : sizeof out[k].kind);
			out[k].n = n;
			k++;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return k;
}

/* indicator values over the full series, NaN during warm-up */
static void
indicator(const struct ind *in, const double *c, size_t n, double *v)
{
	double sum = 0, ema = 0, k = 2.0 / (in->n + 1);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(in->kind, "sma") == 0) {
			sum += c[i];
			if (i >= (size_t)in->n)
				sum -= c[i - (size_t)in->n];
			v[i] = i + 1 >= (size_t)in->n ? sum / in->n : NAN;
		} else {
			/* seeded with the SMA of the first n closes, as TA-Lib does */
			if (i < (size_t)in->n) {
				sum += c[i];
				ema = sum / (double)(i + 1);
				v[i] = i + 1 == (size_t)in->n ? ema : NAN;
			} else {
				ema = (c[i] - ema) * k + ema;
				v[i] = ema;
			}
		}
	}
}

static void
markers(struct build *b, struct page *pg, const char *sql, const char *ex, const char *sym,
	const char *tf, int64_t from, int64_t to, const char *label, int *first)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(b->db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		ab_err(0, "warning: markers: %s", sqlite3_errmsg(b->db->h));
		return;
	}
	for (int side = 0; side < 2; side++) {
		const char *s = side ? "sell" : "buy";
		int n = 0;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, ex, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, sym, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, tf, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, from);
		sqlite3_bind_int64(st, 5, to);
		sqlite3_bind_text(st, 6, s, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 7, MAX_MARKERS);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n++ == 0) {
				sb_printf(&pg->data, "%s{\"name\":\"%s %s\",\"side\":\"%s\",\"points\":[", *first ? "" : ",",
					  s, label, s);
				*first = 0;
			} else {
				sb_puts(&pg->data, ",");
			}
			sb_puts(&pg->data, "[");
			sb_jnum(&pg->data, sqlite3_column_double(st, 0));
			sb_puts(&pg->data, ",");
			sb_jnum(&pg->data, sqlite3_column_double(st, 1));
			sb_puts(&pg->data, "]");
		}
		if (n)
			sb_puts(&pg->data, "]}");
	}
	sqlite3_finalize(st);
}

static void
jarr(struct sbuf *o, const char *name, const double *v, size_t n)
{
	int exact = strcmp(name, "t") == 0;

	sb_printf(o, ",\"%s\":[", name);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_puts(o, ",");
		if (exact)
			sb_jnum(o, v[i]);
		else
			sb_jnum_short(o, v[i]);
	}
	sb_puts(o, "]");
}

static int
candle_chart(struct build *b, struct page *pg, const char *ex, const char *sym, const char *tf)
{
	sqlite3_stmt *st;
	double *t = NULL, *o = NULL, *h = NULL, *l = NULL, *c = NULL;
	size_t n = 0, cap = 0;
	int rc, code;
	struct ind ind[8];
	int nind = parse_indicators(b->indicators, ind, 8);
	char title[256];

	if ((code = ab_db_prepare(b->db, "SELECT ts, open, high, low, close FROM candles WHERE exchange = ?1 "
					 "AND symbol = ?2 AND tf = ?3 AND ts >= ?4 ORDER BY ts", &st)))
		return code;
	sqlite3_bind_text(st, 1, ex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sym, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, tf, -1, SQLITE_STATIC);
	stmt_bind_since(st, 4, b);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			t = ab_realloc(t, cap * sizeof *t);
			o = ab_realloc(o, cap * sizeof *o);
			h = ab_realloc(h, cap * sizeof *h);
			l = ab_realloc(l, cap * sizeof *l);
			c = ab_realloc(c, cap * sizeof *c);
		}
		t[n] = sqlite3_column_double(st, 0);
		o[n] = sqlite3_column_double(st, 1);
		h[n] = sqlite3_column_double(st, 2);
		l[n] = sqlite3_column_double(st, 3);
		c[n] = sqlite3_column_double(st, 4);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		code = ab_db_fail(b->db, rc, "candles");
	if (n == 0 || code)
		goto out;

	/* merge candles into at most max_points/16 bars: a year of hours stays light */
	size_t bars = (size_t)(b->max_points / 16 > 20 ? b->max_points / 16 : 20);
	size_t per = (n + bars - 1) / bars, m = (n + per - 1) / per;
	double *bt = ab_malloc(m * sizeof *bt), *bo = ab_malloc(m * sizeof *bo), *bh = ab_malloc(m * sizeof *bh),
	       *bl = ab_malloc(m * sizeof *bl), *bc = ab_malloc(m * sizeof *bc), *v = ab_malloc(n * sizeof *v),
	       *bv = ab_malloc(m * sizeof *bv);
	for (size_t k = 0; k < m; k++) {
		size_t lo = k * per, hi = lo + per < n ? lo + per : n;
		bt[k] = t[lo];
		bo[k] = o[lo];
		bc[k] = c[hi - 1];
		bh[k] = h[lo];
		bl[k] = l[lo];
		for (size_t i = lo; i < hi; i++) {
			if (h[i] > bh[k])
				bh[k] = h[i];
			if (l[i] < bl[k])
				bl[k] = l[i];
		}
	}
	snprintf(title, sizeof title, "%s %s %s%s", ex, sym, tf, per > 1 ? " (merged bars)" : "");
	chart_begin(pg, "candles", title);
	if (per > 1)
		sb_printf(&pg->data, ",\"merged\":%zu", per);
	jarr(&pg->data, "t", bt, m);
	jarr(&pg->data, "o", bo, m);
	jarr(&pg->data, "h", bh, m);
	jarr(&pg->data, "l", bl, m);
	jarr(&pg->data, "c", bc, m);
	sb_puts(&pg->data, ",\"lines\":[");
	for (int i = 0; i < nind; i++) {
		indicator(&ind[i], c, n, v);
		for (size_t k = 0; k < m; k++) {
			size_t hi = (k + 1) * per < n ? (k + 1) * per : n;
			bv[k] = v[hi - 1];
		}
		sb_printf(&pg->data, "%s{\"name\":\"%s %d\"", i ? "," : "", strcmp(ind[i].kind, "sma") == 0 ? "SMA" : "EMA",
			  ind[i].n);
		jarr(&pg->data, "values", bv, m);
		sb_puts(&pg->data, "}");
	}
	sb_puts(&pg->data, "],\"markers\":[");
	int first = 1;
	if (table_exists(b, "signals"))
		markers(b, pg, "SELECT ts, price FROM (SELECT ts, price FROM signals WHERE exchange = ?1 AND symbol = ?2 "
			       "AND tf = ?3 AND ts >= ?4 AND ts <= ?5 AND signal = ?6 ORDER BY ts DESC LIMIT ?7) ORDER BY ts",
			ex, sym, tf, (int64_t)t[0], (int64_t)t[n - 1], "signals", &first);
	if (table_exists(b, "fills") && column_exists(b, "fills", "symbol") && column_exists(b, "fills", "side") &&
	    column_exists(b, "fills", "price") && column_exists(b, "fills", "ts")) {
		/* fills are matched by symbol (and exchange when the table has one) */
		const char *q = column_exists(b, "fills", "exchange")
			? "SELECT ts, price FROM (SELECT ts, price FROM fills WHERE exchange = ?1 AND symbol = ?2 AND ?3 = ?3 "
			  "AND ts >= ?4 AND ts <= ?5 AND side = ?6 ORDER BY ts DESC LIMIT ?7) ORDER BY ts"
			: "SELECT ts, price FROM (SELECT ts, price FROM fills WHERE ?1 = ?1 AND symbol = ?2 AND ?3 = ?3 "
			  "AND ts >= ?4 AND ts <= ?5 AND side = ?6 ORDER BY ts DESC LIMIT ?7) ORDER BY ts";
		markers(b, pg, q, ex, sym, tf, (int64_t)t[0], (int64_t)t[n - 1] + 1, "fills", &first);
	}
	sb_puts(&pg->data, "]");
	chart_end(pg);
	free(bt); free(bo); free(bh); free(bl); free(bc); free(v); free(bv);
out:
	free(t); free(o); free(h); free(l); free(c);
	return code;
}

static int
equity_curves(struct build *b, struct page *pg)
{
	const char *key, *val, *ts;
	char keyc[64], valc[64], tsc[64];
	struct sbuf q = {0};
	sqlite3_stmt *ids, *st;
	int rc, code, k = 0;

	if (!table_exists(b, "equity"))
		return 0;
	if (!(key = pick_column(b, "equity", "backtest_id,backtest,run_id,run,account,name")))
		return 0;
	snprintf(keyc, sizeof keyc, "%s", key);
	if (!(val = pick_column(b, "equity", "equity,value,balance,total")))
		return 0;
	snprintf(valc, sizeof valc, "%s", val);
	if (!(ts = pick_column(b, "equity", "ts,time")))
		return 0;
	snprintf(tsc, sizeof tsc, "%s", ts);
	sb_printf(&q, "SELECT \"%s\" FROM equity WHERE \"%s\" IS NOT NULL AND \"%s\" >= ?1 GROUP BY 1 "
		      "ORDER BY max(rowid) DESC LIMIT 10", keyc, keyc, tsc);
	if (sqlite3_prepare_v2(b->db->h, q.p, -1, &ids, NULL) != SQLITE_OK) {
		/* WITHOUT ROWID: order by the key instead */
		q.n = 0;
		sb_printf(&q, "SELECT \"%s\" FROM equity WHERE \"%s\" IS NOT NULL AND \"%s\" >= ?1 GROUP BY 1 "
			      "ORDER BY 1 DESC LIMIT 10", keyc, keyc, tsc);
		if ((code = ab_db_prepare(b->db, q.p, &ids))) {
			sb_free(&q);
			return code;
		}
	}
	stmt_bind_since(ids, 1, b);
	q.n = 0;
	sb_printf(&q, "SELECT \"%s\", \"%s\" FROM equity WHERE \"%s\" = ?2 AND \"%s\" >= ?1 ORDER BY \"%s\"",
		  tsc, valc, keyc, tsc, tsc);
	if ((code = ab_db_prepare(b->db, q.p, &st))) {
		sqlite3_finalize(ids);
		sb_free(&q);
		return code;
	}
	while ((rc = sqlite3_step(ids)) == SQLITE_ROW) {
		if (k++ == 0) {
			chart_begin(pg, "line", "Equity curves (latest 10)");
			sb_puts(&pg->data, ",\"x\":\"time\",\"series\":[");
		} else {
			sb_puts(&pg->data, ",");
		}
		sb_puts(&pg->data, "{\"name\":");
		sb_jstr(&pg->data, (const char *)sqlite3_column_text(ids, 0));
		sb_puts(&pg->data, ",\"points\":");
		sqlite3_reset(st);
		stmt_bind_since(st, 1, b);
		sqlite3_bind_value(st, 2, sqlite3_column_value(ids, 0));
		/* ten curves on one chart: a quarter of the points each is plenty */
		sql_series(b, &pg->data, st, b->max_points / 4);
		sb_puts(&pg->data, "}");
	}
	if (k) {
		sb_puts(&pg->data, "]");
		chart_end(pg);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(ids);
	sb_free(&q);
	return 0;
}

int
page_trading(struct build *b, struct page *pg)
{
	sqlite3_stmt *st;
	int rc, code, n = 0;

	sb_puts(&pg->body, "<h2>Markets</h2>\n");
	if (sql_table(b, pg, "SELECT exchange, symbol, tf, count(*) AS candles, min(ts) AS first, max(ts) AS last, "
			     "(SELECT close FROM candles c2 WHERE c2.exchange = c.exchange AND c2.symbol = c.symbol "
			     " AND c2.tf = c.tf ORDER BY ts DESC LIMIT 1) AS last_close, max(high) AS high, min(low) AS low "
			     "FROM candles c WHERE ts >= ?1 GROUP BY exchange, symbol, tf ORDER BY exchange, symbol, tf LIMIT 50",
		      NULL) == 0)
		no_data(pg, "candles", "ab-fetch");
	sb_puts(&pg->body, "<div class=\"charts\">\n");
	if ((code = ab_db_prepare(b->db, "SELECT exchange, symbol, tf FROM candles WHERE ts >= ?1 "
					 "GROUP BY exchange, symbol, tf ORDER BY exchange, symbol, tf LIMIT 20", &st)))
		return code;
	stmt_bind_since(st, 1, b);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !code) {
		code = candle_chart(b, pg, (const char *)sqlite3_column_text(st, 0),
				    (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2));
		n++;
	}
	sqlite3_finalize(st);
	if (code)
		return code;
	sb_puts(&pg->body, "</div>\n<h2>Signals</h2>\n");
	if (table_exists(b, "signals")) {
		if (sql_table(b, pg, "SELECT ts, exchange, symbol, tf, strategy, signal, price FROM signals "
				     "WHERE ts >= ?1 ORDER BY ts DESC LIMIT 50", NULL) == 0)
			no_data(pg, "signals", "ab-signal");
	} else {
		no_data(pg, "signals", "ab-signal");
	}
	sb_puts(&pg->body, "<h2>Positions</h2>\n");
	table_latest(b, pg, "positions", "updated,ts,opened,created", 50, "positions", "ab-order");
	sb_puts(&pg->body, "<h2>Orders</h2>\n");
	table_latest(b, pg, "orders", "ts,created,updated,id", 50, "orders", "ab-order");
	sb_puts(&pg->body, "<h2>Fills</h2>\n");
	table_latest(b, pg, "fills", "ts,created,id", 50, "fills", "ab-order");
	sb_puts(&pg->body, "<h2>Backtests</h2>\n<div class=\"charts\">\n");
	if ((code = equity_curves(b, pg)))
		return code;
	sb_puts(&pg->body, "</div>\n");
	table_latest(b, pg, "backtests", "created,started,ts,id", 100, "backtests", "ab-order backtest");
	return 0;
}
