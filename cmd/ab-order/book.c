/* book.c: a paper or live portfolio's state in the database (balances, positions, orders). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book.h"
#include "err.h"
#include "timefmt.h"

static int
step_done(struct book *b, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return ab_db_fail(b->db, rc, what);
	return 0;
}

static struct account *
account_for(struct book *b, const char *symbol, int create)
{
	const char *q = strchr(symbol, '/');
	q = q ? q + 1 : symbol;
	for (int i = 0; i < b->nacct; i++)
		if (strcmp(b->assets[i], q) == 0)
			return &b->accts[i];
	if (!create || b->nacct == BOOK_MAX_ACCOUNTS)
		return NULL;
	struct account *a = &b->accts[b->nacct];
	snprintf(b->assets[b->nacct++], sizeof b->assets[0], "%s", q);
	memset(a, 0, sizeof *a);
	a->cash = a->peak = a->marked = b->cfg->cash;
	a->day = INT64_MIN;
	a->halted = b->halted;
	return a;
}

static void
market_rules(struct book *b, struct slot *s)
{
	sqlite3_stmt *st;

	if (ab_db_prepare(b->db, "SELECT tick_size, lot_size, min_qty, min_notional FROM markets "
			  "WHERE exchange = ? AND symbol = ?", &st))
		return;
	sqlite3_bind_text(st, 1, s->e.exchange, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->e.symbol, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		double *dst[] = {&s->cfg.tick, &s->cfg.lot, &s->cfg.min_qty, &s->cfg.min_notional};
		for (int i = 0; i < 4; i++)
			if (sqlite3_column_type(st, i) != SQLITE_NULL && sqlite3_column_double(st, i) > 0)
				*dst[i] = sqlite3_column_double(st, i);
	}
	sqlite3_finalize(st);
}

struct slot *
book_slot(struct book *b, const char *exchange, const char *symbol)
{
	for (int i = 0; i < b->nslot; i++)
		if (strcmp(b->slots[i]->e.exchange, exchange) == 0 &&
		    strcmp(b->slots[i]->e.symbol, symbol) == 0)
			return b->slots[i];
	if (b->nslot == BOOK_MAX_SLOTS)
		return NULL;
	struct account *a = account_for(b, symbol, 1);
	if (!a)
		return NULL;
	struct slot *s = ab_calloc(1, sizeof *s);
	s->cfg = *b->cfg;
	eng_init(&s->e, &s->cfg, a);
	snprintf(s->e.exchange, sizeof s->e.exchange, "%s", exchange);
	snprintf(s->e.symbol, sizeof s->e.symbol, "%s", symbol);
	s->e.last_ts = INT64_MIN;
	market_rules(b, s);
	b->slots[b->nslot++] = s;
	return s;
}

int
book_load(struct book *b)
{
	sqlite3_stmt *st;
	int code, rc;

	if ((code = ab_db_prepare(b->db, "SELECT count(*) FROM halts WHERE portfolio IN (?, '*')", &st)))
		return code;
	sqlite3_bind_text(st, 1, b->portfolio, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		b->halted = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);

	if ((code = ab_db_prepare(b->db, "SELECT asset, cash, fees, peak, day, day_start, reduce_only, marked "
				  "FROM balances WHERE mode = ? AND portfolio = ?", &st)))
		return code;
	sqlite3_bind_text(st, 1, b->mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->portfolio, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && b->nacct < BOOK_MAX_ACCOUNTS) {
		char sym[40];
		snprintf(sym, sizeof sym, "X/%s", (const char *)sqlite3_column_text(st, 0));
		struct account *a = account_for(b, sym, 1);
		a->cash = sqlite3_column_double(st, 1);
		a->fees = sqlite3_column_double(st, 2);
		a->peak = sqlite3_column_double(st, 3);
		a->day = sqlite3_column_int64(st, 4);
		a->day_start = sqlite3_column_double(st, 5);
		a->reduce_only = sqlite3_column_int(st, 6);
		a->marked = sqlite3_column_double(st, 7);
	}
	sqlite3_finalize(st);

	if ((code = ab_db_prepare(b->db, "SELECT exchange, symbol, qty, avg_price, realized_pnl, last_price, "
				  "last_ts, stop, take, extreme, trade_pnl FROM positions WHERE mode = ? AND portfolio = ?", &st)))
		return code;
	sqlite3_bind_text(st, 1, b->mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->portfolio, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct slot *s = book_slot(b, (const char *)sqlite3_column_text(st, 0),
					   (const char *)sqlite3_column_text(st, 1));
		if (!s)
			break;
		s->e.pos = sqlite3_column_double(st, 2);
		s->e.avg = sqlite3_column_double(st, 3);
		s->e.realized = sqlite3_column_double(st, 4);
		s->e.last_close = sqlite3_column_double(st, 5);
		s->e.last_ts = sqlite3_column_type(st, 6) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, 6);
		s->e.stop = sqlite3_column_double(st, 7);
		s->e.take = sqlite3_column_double(st, 8);
		s->e.extreme = sqlite3_column_double(st, 9);
		s->e.trade_pnl = sqlite3_column_double(st, 10);
	}
	sqlite3_finalize(st);

	/* Orders decided by an earlier run and not yet done. */
	if ((code = ab_db_prepare(b->db, "SELECT id, client_id, exchange, symbol, side, qty, signal_ts, entry, "
				  "stop_dist, status FROM orders WHERE mode = ? AND portfolio = ? AND status IN "
				  "('new', 'open', 'partially_filled', 'unknown') ORDER BY id", &st)))
		return code;
	sqlite3_bind_text(st, 1, b->mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->portfolio, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct slot *s = book_slot(b, (const char *)sqlite3_column_text(st, 2),
					   (const char *)sqlite3_column_text(st, 3));
		if (!s)
			break;
		s->e.acct->open_orders++;
		if (strcmp((const char *)sqlite3_column_text(st, 9), "new") || s->e.has_pending)
			continue;
		s->order_id = sqlite3_column_int64(st, 0);
		snprintf(s->client_id, sizeof s->client_id, "%s", (const char *)sqlite3_column_text(st, 1));
		s->e.pending.side = strcmp((const char *)sqlite3_column_text(st, 4), "buy") == 0 ? SIDE_BUY : SIDE_SELL;
		s->e.pending.qty = sqlite3_column_double(st, 5);
		s->e.pending.signal_ts = sqlite3_column_int64(st, 6);
		s->e.pending.entry = sqlite3_column_int(st, 7);
		s->e.pending.stop_dist = sqlite3_column_double(st, 8);
		s->e.has_pending = 1;
	}
	sqlite3_finalize(st);
	for (int i = 0; i < b->nacct; i++)
		b->accts[i].halted = b->halted;
	return 0;
}

int
book_save(struct book *b)
{
	sqlite3_stmt *st;
	int code;
	int64_t now = ab_now_ms();

	if ((code = ab_db_prepare(b->db, "INSERT INTO positions(mode, portfolio, exchange, symbol, qty, avg_price, "
				  "realized_pnl, last_price, last_ts, stop, take, extreme, trade_pnl, updated) "
				  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
				  "qty = excluded.qty, avg_price = excluded.avg_price, realized_pnl = excluded.realized_pnl, "
				  "last_price = excluded.last_price, last_ts = excluded.last_ts, stop = excluded.stop, "
				  "take = excluded.take, extreme = excluded.extreme, trade_pnl = excluded.trade_pnl, "
				  "updated = excluded.updated", &st)))
		return code;
	for (int i = 0; i < b->nslot && !code; i++) {
		struct engine *e = &b->slots[i]->e;
		sqlite3_bind_text(st, 1, b->mode, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, b->portfolio, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, e->exchange, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, e->symbol, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 5, e->pos);
		sqlite3_bind_double(st, 6, e->avg);
		sqlite3_bind_double(st, 7, e->realized);
		sqlite3_bind_double(st, 8, e->last_close);
		if (e->last_ts == INT64_MIN)
			sqlite3_bind_null(st, 9);
		else
			sqlite3_bind_int64(st, 9, e->last_ts);
		sqlite3_bind_double(st, 10, e->stop);
		sqlite3_bind_double(st, 11, e->take);
		sqlite3_bind_double(st, 12, e->extreme);
		sqlite3_bind_double(st, 13, e->trade_pnl);
		sqlite3_bind_int64(st, 14, now);
		code = step_done(b, st, "saving a position");
	}
	sqlite3_finalize(st);
	if (code || (code = ab_db_prepare(b->db, "INSERT INTO balances(mode, portfolio, asset, cash, fees, peak, day, "
					  "day_start, reduce_only, marked, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
					  "ON CONFLICT DO UPDATE SET cash = excluded.cash, fees = excluded.fees, "
					  "peak = excluded.peak, day = excluded.day, day_start = excluded.day_start, "
					  "reduce_only = excluded.reduce_only, marked = excluded.marked, "
					  "updated = excluded.updated", &st)))
		return code;
	for (int i = 0; i < b->nacct && !code; i++) {
		struct account *a = &b->accts[i];
		sqlite3_bind_text(st, 1, b->mode, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, b->portfolio, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, b->assets[i], -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, a->cash);
		sqlite3_bind_double(st, 5, a->fees);
		sqlite3_bind_double(st, 6, a->peak);
		sqlite3_bind_int64(st, 7, a->day == INT64_MIN ? 0 : a->day);
		sqlite3_bind_double(st, 8, a->day_start);
		sqlite3_bind_int(st, 9, a->reduce_only);
		sqlite3_bind_double(st, 10, a->marked);
		sqlite3_bind_int64(st, 11, now);
		code = step_done(b, st, "saving a balance");
	}
	sqlite3_finalize(st);
	return code;
}

void
book_free(struct book *b)
{
	for (int i = 0; i < b->nslot; i++)
		free(b->slots[i]);
	b->nslot = 0;
}

int
book_insert_order(struct book *b, struct slot *s, const struct eng_order *o, const char *client_id,
		  const char *status, const char *reason, int64_t *id)
{
	sqlite3_stmt *st;
	int code, rc;
	int64_t now = ab_now_ms();

	if ((code = ab_db_prepare(b->db, "INSERT INTO orders(client_id, mode, portfolio, exchange, symbol, side, "
				  "qty, status, reason, signal_ts, entry, stop_dist, created, updated) "
				  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", &st)))
		return code;
	sqlite3_bind_text(st, 1, client_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->portfolio, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, s->e.exchange, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, s->e.symbol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, order_side_name(o->side), -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, o->qty);
	sqlite3_bind_text(st, 8, status, -1, SQLITE_STATIC);
	ab_db_bind_text(st, 9, reason);
	sqlite3_bind_int64(st, 10, o->signal_ts);
	sqlite3_bind_int(st, 11, o->entry);
	sqlite3_bind_double(st, 12, o->stop_dist);
	sqlite3_bind_int64(st, 13, now);
	sqlite3_bind_int64(st, 14, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ab_db_fail(b->db, rc, "storing an order");
	*id = sqlite3_changes(b->db->h) ? sqlite3_last_insert_rowid(b->db->h) : 0;
	return 0;
}

int
book_update_order(struct book *b, int64_t id, const char *status, const char *reason,
		  double filled, double avg_price, const char *exchange_id)
{
	sqlite3_stmt *st;
	int code;

	if ((code = ab_db_prepare(b->db, "UPDATE orders SET status = ?, reason = coalesce(?, reason), "
				  "filled = ?, avg_price = ?, exchange_id = coalesce(?, exchange_id), updated = ? "
				  "WHERE id = ?", &st)))
		return code;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	ab_db_bind_text(st, 2, reason);
	sqlite3_bind_double(st, 3, filled);
	if (avg_price > 0)
		sqlite3_bind_double(st, 4, avg_price);
	ab_db_bind_text(st, 5, exchange_id);
	sqlite3_bind_int64(st, 6, ab_now_ms());
	sqlite3_bind_int64(st, 7, id);
	code = step_done(b, st, "updating an order");
	sqlite3_finalize(st);
	return code;
}

int
book_insert_fill(struct book *b, struct slot *s, int64_t order_id, const struct eng_fill *f,
		 const char *trade_id)
{
	sqlite3_stmt *st;
	int code;

	if ((code = ab_db_prepare(b->db, "INSERT INTO fills(order_id, mode, portfolio, exchange, symbol, ts, side, "
				  "qty, price, fee, cash_after, position_after, pnl, reason, trade_id) "
				  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st)))
		return code;
	if (order_id > 0)
		sqlite3_bind_int64(st, 1, order_id);
	sqlite3_bind_text(st, 2, b->mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->portfolio, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, s->e.exchange, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, s->e.symbol, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, f->ts);
	sqlite3_bind_text(st, 7, order_side_name(f->side), -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 8, f->qty);
	sqlite3_bind_double(st, 9, f->price);
	sqlite3_bind_double(st, 10, f->fee);
	sqlite3_bind_double(st, 11, f->cash_after);
	sqlite3_bind_double(st, 12, f->position_after);
	sqlite3_bind_double(st, 13, f->pnl);
	ab_db_bind_text(st, 14, f->reason);
	ab_db_bind_text(st, 15, trade_id);
	code = step_done(b, st, "storing a fill");
	sqlite3_finalize(st);
	return code;
}

void
book_out_order(struct ab_out *o, const struct slot *s, const struct eng_order *ord,
	       const char *client_id, const char *status, const char *reason, int64_t ts)
{
	ab_out_begin(o);
	ab_out_kstr(o, "type", "order");
	ab_out_ktime(o, "ts", ts);
	ab_out_kstr(o, "exchange", s->e.exchange);
	ab_out_kstr(o, "symbol", s->e.symbol);
	ab_out_kstr(o, "side", order_side_name(ord->side));
	ab_out_knum(o, "qty", ord->qty);
	ab_out_kstr(o, "status", status);
	if (reason)
		ab_out_kstr(o, "reason", reason);
	ab_out_ktime(o, "signal_ts", ord->signal_ts);
	ab_out_kstr(o, "client_id", client_id);
	ab_out_end(o);
}
