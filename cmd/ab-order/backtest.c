/* backtest.c: one portfolio simulated over annotated candles, with statistics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "order.h"
#include "timefmt.h"

#define YEAR_MS (365.0 * 86400000.0)

const char *const bt_stat_names[BT_NSTATS] = {"final_equity", "total_return", "cagr", "sharpe",
	"sortino", "max_drawdown", "win_rate", "profit_factor", "exposure", "fees"};

int64_t
bt_tf_ms(const char *tf, int64_t gap)
{
	int64_t ms;

	if (ab_tf_parse(tf, &ms))
		return gap > 0 ? gap : 0;
	return ms == AB_MS_MONTH ? (int64_t)(YEAR_MS / 12) : ms;
}

void
bt_stats_finish(const struct bt_stats *st, const struct engine *e, double cash,
		long long candles, int64_t tf_ms, double *v)
{
	double final = acct_equity(e->acct);
	double years = tf_ms > 0 ? (double)candles * (double)tf_ms / YEAR_MS : 0;
	double per_year = tf_ms > 0 ? YEAR_MS / (double)tf_ms : NAN;
	double mean = st->n ? st->sum / st->n : 0;
	double var = st->n > 1 ? (st->sumsq - st->n * mean * mean) / (st->n - 1) : 0;
	double sd = var > 0 ? sqrt(var) : 0;
	double dd = st->n ? sqrt(st->downsq / st->n) : 0;

	v[BT_FINAL] = final;
	v[BT_RETURN] = final / cash - 1;
	v[BT_CAGR] = years > 0 ? (final > 0 ? pow(final / cash, 1 / years) - 1 : -1) : NAN;
	v[BT_SHARPE] = sd > 0 ? mean / sd * sqrt(per_year) : NAN;
	v[BT_SORTINO] = dd > 0 ? mean / dd * sqrt(per_year) : NAN;
	v[BT_MAXDD] = st->maxdd;
	v[BT_WIN_RATE] = e->trades ? (double)e->wins / e->trades : NAN;
	v[BT_PROFIT_FACTOR] = e->gross_loss > 0 ? e->gross_profit / e->gross_loss : NAN;
	v[BT_EXPOSURE] = candles ? (double)st->exposed / candles : NAN;
	v[BT_FEES] = e->acct->fees;
}

double
bt_stats_sr(const struct bt_stats *st)
{
	double mean = st->n ? st->sum / st->n : 0;
	double var = st->n > 1 ? (st->sumsq - st->n * mean * mean) / (st->n - 1) : 0;
	return var > 0 ? mean / sqrt(var) : NAN;
}

void
bt_stats_moments(const struct bt_stats *st, double *skew, double *kurt)
{
	double n = (double)st->n, mu, m2, m3, m4;

	*skew = *kurt = NAN;
	if (st->n < 2)
		return;
	mu = st->sum / n;
	m2 = st->sumsq / n - mu * mu;
	if (!(m2 > 0))
		return;
	m3 = st->sum3 / n - 3 * mu * st->sumsq / n + 2 * mu * mu * mu;
	m4 = st->sum4 / n - 4 * mu * st->sum3 / n + 6 * mu * mu * st->sumsq / n - 3 * mu * mu * mu * mu;
	*skew = m3 / pow(m2, 1.5);
	*kurt = m4 / (m2 * m2);
}

struct store {
	sqlite3_stmt *fill, *equity;
	int64_t id;
};

/* Fills and the equity curve go to temporary tables while the candles
 * stream in, and into the database's own tables in one short transaction at
 * the end: the write lock is never held while this program waits for its
 * input, so a writer upstream in the same pipeline never stalls. */
static int
store_open(struct order_ctx *x, struct store *s)
{
	int code;

	s->id = 0;
	if ((code = ab_db_exec(x->db,
			"CREATE TEMP TABLE IF NOT EXISTS bt_fills AS SELECT * FROM fills WHERE 0;"
			"CREATE TEMP TABLE IF NOT EXISTS bt_equity AS SELECT * FROM equity WHERE 0;"
			"BEGIN")))
		return code;
	if ((code = ab_db_prepare(x->db, "INSERT INTO temp.bt_fills(backtest_id, mode, portfolio, exchange, "
				  "symbol, ts, side, qty, price, fee, cash_after, position_after, pnl, reason) "
				  "VALUES (?, 'backtest', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &s->fill)) ||
	    (code = ab_db_prepare(x->db, "INSERT INTO temp.bt_equity(backtest_id, ts, equity, cash, "
				  "position, close) VALUES (?, ?, ?, ?, ?, ?)", &s->equity)))
		return code;
	return 0;
}

static int
store_fill(struct order_ctx *x, struct store *s, const struct engine *e, const struct eng_fill *f)
{
	sqlite3_stmt *st = s->fill;
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, s->id);
	sqlite3_bind_text(st, 2, x->name ? x->name : "backtest", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->exchange, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->symbol, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, f->ts);
	sqlite3_bind_text(st, 6, order_side_name(f->side), -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, f->qty);
	sqlite3_bind_double(st, 8, f->price);
	sqlite3_bind_double(st, 9, f->fee);
	sqlite3_bind_double(st, 10, f->cash_after);
	sqlite3_bind_double(st, 11, f->position_after);
	sqlite3_bind_double(st, 12, f->pnl);
	sqlite3_bind_text(st, 13, f->reason, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return ab_db_fail(x->db, rc, "storing a fill");
	return 0;
}

static void
fill_out(struct order_ctx *x, struct store *s, struct engine *e, struct eng_fill *f, int *code)
{
	order_out_fill(&x->out, e, f, NULL);
	if (x->db && !*code)
		*code = store_fill(x, s, e, f);
}

static void
put_stat(struct ab_out *o, const char *k, double v, int defined)
{
	if (defined && isfinite(v))
		ab_out_knum(o, k, v);
	else
		ab_out_knull(o, k);
}

static int
store_finish(struct order_ctx *x, struct store *s, const struct engine *e, int64_t start,
	     int64_t end, long long candles, const double *v)
{
	sqlite3_stmt *st;
	char *params = ab_runs_mask_args(x->argc, x->argv), sql[512];
	int rc, code;

	/* End the temporary tables' transaction, then take the write lock. */
	if ((code = ab_db_exec(x->db, "COMMIT")) || (code = ab_db_begin(x->db)))
		goto out;
	if ((code = ab_db_prepare(x->db, "INSERT INTO backtests(name, run_id, cash, params, created, "
				  "exchange, symbol, tf, start, end, candles, trades, final_equity, "
				  "total_return, cagr, sharpe, sortino, max_drawdown, win_rate, "
				  "profit_factor, exposure, fees) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
				  "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st)))
		goto out;
	sqlite3_bind_text(st, 1, x->name ? x->name : "backtest", -1, SQLITE_STATIC);
	if (x->run.id > 0)
		sqlite3_bind_int64(st, 2, x->run.id);
	sqlite3_bind_double(st, 3, x->cfg.cash);
	sqlite3_bind_text(st, 4, params, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, ab_now_ms());
	sqlite3_bind_text(st, 6, e->exchange, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, e->symbol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, e->tf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, start);
	sqlite3_bind_int64(st, 10, end);
	sqlite3_bind_int64(st, 11, candles);
	sqlite3_bind_int64(st, 12, e->trades);
	for (int i = 0; i < 10; i++)
		if (isfinite(v[i]))
			sqlite3_bind_double(st, 13 + i, v[i]);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		code = ab_db_fail(x->db, rc, "storing the backtest");
		goto out;
	}
	s->id = sqlite3_last_insert_rowid(x->db->h);
	snprintf(sql, sizeof sql,
		 "INSERT INTO fills(backtest_id, mode, portfolio, exchange, symbol, ts, side, qty, price, "
		 "fee, cash_after, position_after, pnl, reason) SELECT %lld, mode, portfolio, exchange, "
		 "symbol, ts, side, qty, price, fee, cash_after, position_after, pnl, reason "
		 "FROM temp.bt_fills ORDER BY rowid;"
		 "INSERT INTO equity(backtest_id, ts, equity, cash, position, close) SELECT %lld, ts, "
		 "equity, cash, position, close FROM temp.bt_equity ORDER BY rowid;"
		 "DELETE FROM temp.bt_fills; DELETE FROM temp.bt_equity;",
		 (long long)s->id, (long long)s->id);
	code = ab_db_exec(x->db, sql);
out:
	free(params);
	return code;
}

static void
copy_view(char *dst, size_t n, const char *s, size_t len)
{
	if (len >= n)
		len = n - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

int
cmd_backtest(struct order_ctx *x)
{
	struct ab_lines in;
	struct ab_jrec rec;
	struct ab_candle c;
	struct account acct = {0};
	struct engine e;
	struct bt_stats st;
	struct store s = {0};
	const char *line;
	size_t len;
	char msg[256];
	int r, code = 0;
	long long candles = 0;
	int64_t start = 0, end = 0, prev_ts = 0, tf_ms = 0;
	int tf_known = 0;

	if ((code = order_open_db(x, 0)))
		return code;
	if (x->db && (code = store_open(x, &s)))
		goto done;
	acct.cash = x->cfg.cash;
	acct.peak = acct.marked = x->cfg.cash;
	acct.day = INT64_MIN;
	eng_init(&e, &x->cfg, &acct);
	bt_stats_init(&st, x->cfg.cash);
	ab_jrec_init(&rec);
	ab_lines_init(&in, x->args, x->nargs);
	while ((r = ab_lines_next(&in, &line, &len)) == 1) {
		if (len == 0)
			continue;
		if (ab_jrec_parse(&rec, line, len)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", rec.err);
			break;
		}
		int cr = ab_candle_from_jrec(&rec, &c, msg, sizeof msg);
		if (cr < 0) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", msg);
			break;
		}
		if (cr == 1) {
			ab_out_jrec(&x->out, &rec);
			continue;
		}
		x->run.records_in++;
		if (candles == 0) {
			copy_view(e.exchange, sizeof e.exchange, c.exchange, c.exchange_len);
			copy_view(e.symbol, sizeof e.symbol, c.symbol, c.symbol_len);
			copy_view(e.tf, sizeof e.tf, c.tf, c.tf_len);
			tf_ms = bt_tf_ms(e.tf, 0);
			tf_known = tf_ms > 0;
			start = c.ts;
		} else {
			if (strlen(e.symbol) != c.symbol_len || memcmp(e.symbol, c.symbol, c.symbol_len) ||
			    strlen(e.exchange) != c.exchange_len ||
			    memcmp(e.exchange, c.exchange, c.exchange_len)) {
				code = ab_err_at(AB_EDATA, in.name, in.lineno,
						 "a backtest takes one market: \"%.*s\" after \"%s\"",
						 (int)c.symbol_len, c.symbol, e.symbol);
				break;
			}
			if (c.ts <= prev_ts) {
				code = ab_err_at(AB_EDATA, in.name, in.lineno,
						 "candles out of order: time does not increase");
				break;
			}
			if (candles == 1 && !tf_known)
				tf_ms = bt_tf_ms(e.tf, c.ts - prev_ts);
		}
		candles++;
		prev_ts = end = c.ts;

		int sig = order_signal(&rec);
		double atr = NAN;
		if (sig && x->cfg.size == SIZE_RISK &&
		    ab_jfield_num(ab_jrec_get(&rec, x->cfg.atr_field), &atr))
			atr = NAN;
		struct eng_step step;
		bt_candle(&e, &st, &c, sig, atr, &step);
		if (step.has_done && step.done.reject)
			order_out_reject(&x->out, &e, c.ts, &step.done, NULL);
		for (int i = 0; i < step.nfills; i++)
			fill_out(x, &s, &e, &step.fills[i], &code);
		if (step.decided && step.decision.reject)
			order_out_reject(&x->out, &e, c.ts, &step.decision, NULL);
		double eq = st.prev;
		if (x->equity_out) {
			ab_out_begin(&x->out);
			ab_out_kstr(&x->out, "type", "equity");
			ab_out_ktime(&x->out, "ts", c.ts);
			ab_out_knum(&x->out, "equity", eq);
			ab_out_knum(&x->out, "cash", acct.cash);
			ab_out_knum(&x->out, "position", e.pos);
			ab_out_knum(&x->out, "close", c.close);
			ab_out_knum(&x->out, "drawdown", st.peak > 0 ? (st.peak - eq) / st.peak : 0);
			ab_out_end(&x->out);
		}
		if (x->db && !code) {
			sqlite3_stmt *q = s.equity;
			sqlite3_reset(q);
			sqlite3_bind_int64(q, 1, s.id);
			sqlite3_bind_int64(q, 2, c.ts);
			sqlite3_bind_double(q, 3, eq);
			sqlite3_bind_double(q, 4, acct.cash);
			sqlite3_bind_double(q, 5, e.pos);
			sqlite3_bind_double(q, 6, c.close);
			int rc = sqlite3_step(q);
			if (rc != SQLITE_DONE)
				code = ab_db_fail(x->db, rc, "storing the equity curve");
		}
		if (code || ab_out_failed(&x->out))
			break;
	}
	if (r < 0)
		code = in.status;
	if (!code && e.has_pending) {
		struct eng_order ord = e.pending;
		/* A signal on the last candle has no next open to fill at. */
		ab_out_begin(&x->out);
		ab_out_kstr(&x->out, "type", "order");
		ab_out_ktime(&x->out, "ts", end);
		ab_out_kstr(&x->out, "exchange", e.exchange);
		ab_out_kstr(&x->out, "symbol", e.symbol);
		ab_out_kstr(&x->out, "side", order_side_name(ord.side));
		ab_out_knum(&x->out, "qty", ord.qty);
		ab_out_kstr(&x->out, "status", "expired");
		ab_out_kstr(&x->out, "reason", "no candle after the signal");
		ab_out_ktime(&x->out, "signal_ts", ord.signal_ts);
		ab_out_end(&x->out);
	}
	if (!code && candles == 0)
		code = ab_err(AB_EDATA, "no candles in the input");
	if (!code) {
		double v[BT_NSTATS];
		bt_stats_finish(&st, &e, x->cfg.cash, candles, tf_ms, v);
		struct ab_out *o = &x->out;
		ab_out_begin(o);
		ab_out_kstr(o, "type", "backtest");
		ab_out_kstr(o, "name", x->name ? x->name : "backtest");
		ab_out_kstr(o, "exchange", e.exchange);
		ab_out_kstr(o, "symbol", e.symbol);
		ab_out_ktime(o, "start", start);
		ab_out_ktime(o, "end", end);
		ab_out_kint(o, "candles", candles);
		ab_out_kint(o, "trades", e.trades);
		for (int i = 0; i < BT_NSTATS; i++)
			put_stat(o, bt_stat_names[i], v[i], 1);
		ab_out_end(o);
		if (x->db)
			code = store_finish(x, &s, &e, start, end, candles, v);
	}
	ab_lines_free(&in);
	ab_jrec_free(&rec);
done:
	if (x->db) {
		sqlite3_finalize(s.fill);
		sqlite3_finalize(s.equity);
		if (code || ab_out_failed(&x->out))
			ab_db_rollback(x->db);
		else
			code = ab_db_commit(x->db);
	}
	return code;
}
