/* engine.c: the one fill and risk engine behind backtest, paper and live. */
#include <math.h>
#include <string.h>

#include "order.h"

void
eng_init(struct engine *e, const struct eng_cfg *cfg, struct account *a)
{
	memset(e, 0, sizeof *e);
	e->cfg = cfg;
	e->acct = a;
	e->next = a->engines;
	a->engines = e;
}

/* Decimals of a lot or tick like 0.001 (none for 1, 5, 0.25 has 2). */
static int
decimals(double step)
{
	for (int d = 0; d <= 12; d++) {
		double s = step * pow(10, d);
		if (fabs(s - nearbyint(s)) < 1e-9 * (s > 1 ? s : 1))
			return d;
	}
	return -1;
}

static double
snap(double v, double step)
{
	int d = decimals(step);
	if (d < 0)
		return v;
	double m = pow(10, d);
	return nearbyint(v * m) / m;
}

double
eng_round_lot(const struct eng_cfg *cfg, double qty)
{
	if (!(qty > 0))
		return 0;
	if (cfg->lot <= 0)
		return qty;
	/* A tiny tolerance so 0.3/0.1 = 2.9999999999999996 counts as 3 lots. */
	double n = floor(qty / cfg->lot + 1e-9);
	return n <= 0 ? 0 : snap(n * cfg->lot, cfg->lot);
}

double
eng_round_tick(const struct eng_cfg *cfg, double price, int side)
{
	if (cfg->tick <= 0)
		return price;
	/* Against the trader: a buy pays the tick above, a sell gets the one below. */
	double n = price / cfg->tick;
	n = side == SIDE_BUY ? ceil(n - 1e-9) : floor(n + 1e-9);
	return snap(n * cfg->tick, cfg->tick);
}

double
eng_slipped(const struct engine *e, double price, int side)
{
	return side == SIDE_BUY ? price * (1 + e->cfg->slip) : price * (1 - e->cfg->slip);
}

static void
set_mark(struct engine *e, double pos, double close)
{
	e->pos = pos;
	e->last_close = close;
}

static const char *
entry_limits(struct engine *e, double qty, double price)
{
	const struct eng_cfg *c = e->cfg;
	const struct account *a = e->acct;

	if (a->halted)
		return "halted";
	if (a->reduce_only)
		return "max drawdown reached";
	if (c->max_daily_loss > 0 && a->day_start - acct_equity(a) >= c->max_daily_loss)
		return "max daily loss reached";
	if (!(qty > 0))
		return "quantity rounds down to zero";
	if (c->min_qty > 0 && qty < c->min_qty)
		return "below minimum quantity";
	if (c->min_notional > 0 && qty * price < c->min_notional)
		return "below minimum notional";
	if (c->max_position > 0 && fabs(e->pos) + qty > c->max_position * (1 + 1e-12))
		return "max position exceeded";
	if (c->max_order_notional > 0 && qty * price > c->max_order_notional)
		return "max order notional exceeded";
	if (c->max_open_orders > 0 && a->open_orders >= c->max_open_orders)
		return "max open orders reached";
	return NULL;
}

int
eng_decide(struct engine *e, const struct ab_candle *c, int side, double atr,
	   struct eng_order *o)
{
	const struct eng_cfg *cfg = e->cfg;
	double qty = 0;

	memset(o, 0, sizeof *o);
	o->side = side;
	o->signal_ts = c->ts;
	if ((side == SIDE_BUY && e->pos > 0) || (side == SIDE_SELL && e->pos < 0))
		return 0;
	if (side == SIDE_SELL && e->pos == 0 && !cfg->allow_short)
		return 0;
	if (e->pos != 0) {
		/* An exit closes the whole position; only the kill switch stops it. */
		o->qty = fabs(e->pos);
		o->entry = 0;
		if (e->acct->halted)
			o->reject = "halted";
		return 1;
	}
	o->entry = 1;
	switch (cfg->size) {
	case SIZE_FRACTION: qty = e->acct->cash / c->close * cfg->size_a; break;
	case SIZE_QTY: qty = cfg->size_a; break;
	case SIZE_NOTIONAL: qty = cfg->size_a / c->close; break;
	case SIZE_RISK:
		if (!(atr > 0)) {
			o->reject = "no ATR on the signal candle";
			return 1;
		}
		o->stop_dist = cfg->size_k * atr;
		qty = cfg->size_a * acct_equity(e->acct) / o->stop_dist;
		break;
	}
	o->qty = eng_round_lot(cfg, qty);
	o->reject = entry_limits(e, o->qty, c->close);
	return 1;
}

const char *
eng_check_fill(struct engine *e, const struct eng_order *o, double price)
{
	const struct eng_cfg *c = e->cfg;

	if (e->acct->halted)
		return "halted";
	if (!o->entry)
		return NULL;
	if (c->max_order_notional > 0 && o->qty * price > c->max_order_notional)
		return "max order notional exceeded";
	if (c->max_position > 0 && fabs(e->pos) + o->qty > c->max_position * (1 + 1e-12))
		return "max position exceeded";
	/* Like a broker's margin check: the cash must cover value and fee. */
	if (o->side == SIDE_BUY && e->acct->cash - o->qty * price - o->qty * price * c->fee < 0)
		return "insufficient cash";
	if (o->side == SIDE_SELL && acct_equity(e->acct) <= 0)
		return "insufficient equity";
	return NULL;
}

void
eng_apply(struct engine *e, int side, double qty, double price, int64_t ts,
	  const char *reason, double stop_dist, struct eng_fill *f)
{
	const struct eng_cfg *c = e->cfg;
	struct account *a = e->acct;
	double value = qty * price, fee = value * c->fee, old = e->pos;
	double pos = old + side * qty, pnl = 0;

	a->cash -= side * value;
	a->cash -= fee;
	a->fees += fee;
	if (old == 0 || (old > 0) == (side > 0)) {
		e->avg = (fabs(old) * e->avg + value) / (fabs(old) + qty);
		e->trade_pnl -= fee;
		if (old == 0) {
			double d = side;
			e->stop = c->stop_loss > 0 ? price * (100 - d * c->stop_loss) / 100 : 0;
			if (stop_dist > 0) {
				double s = price - d * stop_dist;
				if (e->stop == 0 || (side > 0 ? s > e->stop : s < e->stop))
					e->stop = s;
			}
			e->take = c->take_profit > 0 ? price * (100 + d * c->take_profit) / 100 : 0;
			e->extreme = price;
		}
	} else {
		double closed = qty < fabs(old) ? qty : fabs(old);
		pnl = closed * (price - e->avg) * (old > 0 ? 1 : -1);
		e->realized += pnl;
		e->trade_pnl += pnl - fee;
		if (fabs(pos) < 1e-12 * (fabs(old) > 1 ? fabs(old) : 1)) {
			pos = 0;
			e->trades++;
			if (e->trade_pnl > 0) {
				e->wins++;
				e->gross_profit += e->trade_pnl;
			} else {
				e->gross_loss -= e->trade_pnl;
			}
			e->trade_pnl = 0;
			e->avg = 0;
			e->stop = e->take = e->extreme = 0;
		}
	}
	set_mark(e, pos, e->last_close);
	if (f) {
		f->ts = ts;
		f->side = side;
		f->qty = qty;
		f->price = price;
		f->fee = fee;
		f->cash_after = a->cash;
		f->position_after = pos;
		f->pnl = pnl;
		f->reason = reason;
	}
}

int
eng_stops(struct engine *e, const struct ab_candle *c, int *side, double *qty,
	  double *price, const char **reason)
{
	const struct eng_cfg *cfg = e->cfg;

	if (e->pos == 0 || (e->stop == 0 && e->take == 0 && cfg->trailing == 0))
		return 0;
	*qty = fabs(e->pos);
	if (e->pos > 0) {
		/* The open comes first: the trailing mark may use it, never this
		 * candle's high, which may have come after its low. */
		double ext = c->open > e->extreme ? c->open : e->extreme, s = e->stop;
		const char *why = "stop-loss";
		if (cfg->trailing > 0 && ext * (100 - cfg->trailing) / 100 > s) {
			s = ext * (100 - cfg->trailing) / 100;
			why = "trailing-stop";
		}
		*side = SIDE_SELL;
		*reason = why;
		if (s > 0 && c->open <= s) {
			*price = eng_slipped(e, c->open, SIDE_SELL);
			return 1;
		}
		if (e->take > 0 && c->open >= e->take) {
			*price = c->open;
			*reason = "take-profit";
			return 1;
		}
		if (s > 0 && c->low <= s) {
			*price = eng_slipped(e, s, SIDE_SELL);
			return 1;
		}
		if (e->take > 0 && c->high >= e->take) {
			*price = e->take;
			*reason = "take-profit";
			return 1;
		}
		e->extreme = c->high > ext ? c->high : ext;
	} else {
		double ext = c->open < e->extreme ? c->open : e->extreme, s = e->stop;
		const char *why = "stop-loss";
		if (cfg->trailing > 0 && (s == 0 || ext * (100 + cfg->trailing) / 100 < s)) {
			s = ext * (100 + cfg->trailing) / 100;
			why = "trailing-stop";
		}
		*side = SIDE_BUY;
		*reason = why;
		if (s > 0 && c->open >= s) {
			*price = eng_slipped(e, c->open, SIDE_BUY);
			return 1;
		}
		if (e->take > 0 && c->open <= e->take) {
			*price = c->open;
			*reason = "take-profit";
			return 1;
		}
		if (s > 0 && c->high >= s) {
			*price = eng_slipped(e, s, SIDE_BUY);
			return 1;
		}
		if (e->take > 0 && c->low <= e->take) {
			*price = e->take;
			*reason = "take-profit";
			return 1;
		}
		e->extreme = c->low < ext ? c->low : ext;
	}
	return 0;
}

void
eng_candle(struct engine *e, const struct ab_candle *c, int sig, double atr, struct eng_step *r)
{
	int side;
	double qty, px;
	const char *why;

	/* Only the flagged parts of *r are read: no need to clear the rest. */
	r->has_done = r->decided = r->nfills = 0;
	/* 1. The order decided at the last close fills at this open. */
	if (e->has_pending) {
		r->done = e->pending;
		px = eng_slipped(e, c->open, r->done.side);
		r->done.reject = eng_check_fill(e, &r->done, px);
		if (!r->done.reject)
			eng_apply(e, r->done.side, r->done.qty, px, c->ts, "signal", r->done.stop_dist,
				  &r->fills[r->nfills++]);
		r->has_done = 1;
		e->has_pending = 0;
		if (e->acct->open_orders > 0)
			e->acct->open_orders--;
	}
	/* 2. Stops and take-profits inside this candle. */
	if (eng_stops(e, c, &side, &qty, &px, &why))
		eng_apply(e, side, qty, px, c->ts, why, 0, &r->fills[r->nfills++]);
	/* 3. The close marks the account. */
	eng_mark(e, c);
	/* 4. A signal at this close becomes an order for the next open. */
	if (sig && eng_decide(e, c, sig, atr, &r->decision)) {
		r->decided = 1;
		if (!r->decision.reject) {
			e->pending = r->decision;
			e->has_pending = 1;
			e->acct->open_orders++;
		}
	}
}
