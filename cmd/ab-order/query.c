/* query.c: orders, fills, positions, pnl, cancel, halt, resume. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "err.h"
#include "order.h"
#include "timefmt.h"

static void
col_out(struct ab_out *o, sqlite3_stmt *st, int i, const char *key, int is_time)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL: ab_out_knull(o, key); break;
	case SQLITE_INTEGER:
		if (is_time)
			ab_out_ktime(o, key, sqlite3_column_int64(st, i));
		else
			ab_out_kint(o, key, sqlite3_column_int64(st, i));
		break;
	case SQLITE_FLOAT: ab_out_knum(o, key, sqlite3_column_double(st, i)); break;
	default: ab_out_kstr(o, key, (const char *)sqlite3_column_text(st, i)); break;
	}
}

/* Runs sql (binding text args) and prints one record of `type` per row; column
 * names ending in "ts", "created" or "updated" are times. */
static int
dump(struct order_ctx *x, const char *type, const char *sql, const char *const *args, int nargs)
{
	sqlite3_stmt *st;
	int code, rc;

	if ((code = ab_db_prepare(x->db, sql, &st)))
		return code;
	for (int i = 0; i < nargs; i++)
		ab_db_bind_text(st, i + 1, args[i]);
	int n = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ab_out_begin(&x->out);
		ab_out_kstr(&x->out, "type", type);
		for (int i = 0; i < n; i++) {
			const char *k = sqlite3_column_name(st, i);
			size_t kl = strlen(k);
			int t = (kl >= 2 && strcmp(k + kl - 2, "ts") == 0) || strcmp(k, "created") == 0 ||
				strcmp(k, "updated") == 0 || strcmp(k, "since") == 0;
			col_out(&x->out, st, i, k, t);
		}
		ab_out_end(&x->out);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ab_db_fail(x->db, rc, "reading");
}

static int
since_arg(struct order_ctx *x, char *buf)
{
	int64_t ms = 0;
	if (x->since && ab_time_parse_str(x->since, &ms))
		return ab_err(AB_EUSAGE, "--since: \"%s\" is not a time", x->since);
	snprintf(buf, 32, "%lld", (long long)ms);
	return 0;
}

int
cmd_orders(struct order_ctx *x)
{
	int code;
	if ((code = order_open_db(x, 1)))
		return code;
	const char *args[] = {x->name};
	return dump(x, "order",
		    x->open_only
		    ? "SELECT id, client_id, mode, portfolio, exchange, symbol, side, type AS order_type, qty, price, status, reason, "
		      "filled, avg_price, exchange_id, signal_ts, created, updated FROM orders "
		      "WHERE (?1 IS NULL OR portfolio = ?1) AND status IN ('new', 'open', 'partially_filled', 'unknown') ORDER BY id"
		    : "SELECT id, client_id, mode, portfolio, exchange, symbol, side, type AS order_type, qty, price, status, reason, "
		      "filled, avg_price, exchange_id, signal_ts, created, updated FROM orders "
		      "WHERE (?1 IS NULL OR portfolio = ?1) ORDER BY id", args, 1);
}

int
cmd_fills(struct order_ctx *x)
{
	char since[32];
	int code;
	if ((code = since_arg(x, since)) || (code = order_open_db(x, 1)))
		return code;
	const char *args[] = {x->name, since};
	return dump(x, "fill",
		    "SELECT f.ts, f.mode, f.portfolio, f.exchange, f.symbol, f.side, f.qty, f.price, f.fee, "
		    "f.cash_after, f.position_after, f.pnl, f.reason, o.client_id, f.trade_id FROM fills f "
		    "LEFT JOIN orders o ON o.id = f.order_id WHERE f.mode != 'backtest' "
		    "AND (?1 IS NULL OR f.portfolio = ?1) AND f.ts >= CAST(?2 AS INTEGER) ORDER BY f.ts, f.id", args, 2);
}

int
cmd_positions(struct order_ctx *x)
{
	int code;
	if ((code = order_open_db(x, 1)))
		return code;
	const char *args[] = {x->name};
	return dump(x, "position",
		    "SELECT mode, portfolio, exchange, symbol, qty, avg_price, realized_pnl, "
		    "CASE WHEN qty != 0 THEN qty * (last_price - avg_price) ELSE 0 END AS unrealized_pnl, "
		    "last_price, last_ts FROM positions WHERE (?1 IS NULL OR portfolio = ?1) "
		    "ORDER BY mode, portfolio, exchange, symbol", args, 1);
}

int
cmd_pnl(struct order_ctx *x)
{
	char since[32];
	int code;
	if ((code = since_arg(x, since)) || (code = order_open_db(x, 1)))
		return code;
	const char *args[] = {x->name, since};
	return dump(x, "pnl",
		    "WITH f AS (SELECT mode, portfolio, sum(pnl) AS realized, sum(fee) AS fees FROM fills "
		    "  WHERE mode != 'backtest' AND ts >= CAST(?2 AS INTEGER) GROUP BY mode, portfolio), "
		    "p AS (SELECT mode, portfolio, sum(CASE WHEN qty != 0 THEN qty * (last_price - avg_price) ELSE 0 END) "
		    "  AS unrealized FROM positions GROUP BY mode, portfolio) "
		    "SELECT p.mode, p.portfolio, CAST(?2 AS INTEGER) AS since, coalesce(f.realized, 0) AS realized, "
		    "coalesce(f.fees, 0) AS fees, p.unrealized, "
		    "coalesce(f.realized, 0) - coalesce(f.fees, 0) + p.unrealized AS net "
		    "FROM p LEFT JOIN f USING (mode, portfolio) WHERE (?1 IS NULL OR p.portfolio = ?1) "
		    "ORDER BY p.mode, p.portfolio", args, 2);
}

int
cmd_cancel(struct order_ctx *x)
{
	sqlite3_stmt *st;
	int code, rc;

	if (x->nargs != 1)
		return ab_err(AB_EUSAGE, "cancel takes one order id or client id");
	if ((code = order_open_db(x, 1)) || (code = ab_db_begin(x->db)))
		return code;
	if ((code = ab_db_prepare(x->db, "SELECT id, mode, status FROM orders WHERE client_id = ?1 OR "
				  "CAST(id AS TEXT) = ?1", &st)))
		goto out;
	sqlite3_bind_text(st, 1, x->args[0], -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		code = ab_err(AB_ENOINPUT, "cancel: no order \"%s\"", x->args[0]);
		goto out;
	}
	int64_t id = sqlite3_column_int64(st, 0);
	int live = strcmp((const char *)sqlite3_column_text(st, 1), "live") == 0;
	char status[24];
	snprintf(status, sizeof status, "%s", (const char *)sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	if (strcmp(status, "new") && strcmp(status, "open") && strcmp(status, "partially_filled")) {
		code = ab_err(AB_EDATA, "cancel: order \"%s\" is %s", x->args[0], status);
		goto out;
	}
	if (live) {
		code = ab_err(AB_EUSAGE, "cancel: order \"%s\" is live: cancel it with `ab-order live --exchange NAME` "
			      "tools or on the exchange, then run `ab-order sync`", x->args[0]);
		goto out;
	}
	if ((code = ab_db_prepare(x->db, "UPDATE orders SET status = 'canceled', reason = 'canceled by user', "
				  "updated = ? WHERE id = ?", &st)))
		goto out;
	sqlite3_bind_int64(st, 1, ab_now_ms());
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		code = ab_db_fail(x->db, rc, "canceling");
		goto out;
	}
	const char *args[] = {x->args[0]};
	code = dump(x, "order", "SELECT id, client_id, mode, portfolio, exchange, symbol, side, qty, status, reason "
		    "FROM orders WHERE client_id = ?1 OR CAST(id AS TEXT) = ?1", args, 1);
out:
	if (code)
		ab_db_rollback(x->db);
	else
		code = ab_db_commit(x->db);
	return code;
}

/* halt: the kill switch. resume: lifts it, and clears a tripped
 * --max-drawdown stop, restarting the peak at the last marked equity so the
 * limit counts from there. Both are audited. */
static int
set_halt(struct order_ctx *x, int on)
{
	sqlite3_stmt *st;
	int code, rc, cleared = 0;
	const char *p = x->name ? x->name : "*";

	if ((code = order_open_db(x, 1)) || (code = ab_db_begin(x->db)))
		return code;
	code = ab_db_prepare(x->db, on ? "INSERT OR REPLACE INTO halts(portfolio, reason, actor, ts) VALUES (?, ?, ?, ?)"
			     : "DELETE FROM halts WHERE portfolio = ?", &st);
	if (!code) {
		const char *user = getenv("USER");
		sqlite3_bind_text(st, 1, p, -1, SQLITE_STATIC);
		if (on) {
			ab_db_bind_text(st, 2, x->nargs ? x->args[0] : "kill switch");
			ab_db_bind_text(st, 3, user ? user : "unknown");
			sqlite3_bind_int64(st, 4, ab_now_ms());
		}
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			code = ab_db_fail(x->db, rc, "setting the kill switch");
	}
	if (!code && !on &&
	    !(code = ab_db_prepare(x->db, "UPDATE balances SET reduce_only = 0, peak = marked, updated = ? "
				   "WHERE reduce_only != 0 AND (?2 = '*' OR portfolio = ?2)", &st))) {
		sqlite3_bind_int64(st, 1, ab_now_ms());
		sqlite3_bind_text(st, 2, p, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		cleared = sqlite3_changes(x->db->h);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			code = ab_db_fail(x->db, rc, "clearing the drawdown stop");
	}
	if (!code) {
		char *actor = ab_auth_actor(x->db), detail[64];
		snprintf(detail, sizeof detail, "{\"drawdown_cleared\":%d}", cleared);
		code = ab_auth_audit(x->db, actor, on ? "order.halt" : "order.resume", p, on ? NULL : detail);
		free(actor);
	}
	if (!code) {
		ab_out_begin(&x->out);
		ab_out_kstr(&x->out, "type", on ? "halt" : "resume");
		ab_out_kstr(&x->out, "portfolio", p);
		ab_out_ktime(&x->out, "ts", ab_now_ms());
		if (!on)
			ab_out_knum(&x->out, "drawdown_cleared", cleared);
		ab_out_end(&x->out);
	}
	if (code)
		ab_db_rollback(x->db);
	else
		code = ab_db_commit(x->db);
	return code;
}

int cmd_halt(struct order_ctx *x) { return set_halt(x, 1); }
int cmd_resume(struct order_ctx *x) { return set_halt(x, 0); }
