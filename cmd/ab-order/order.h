/* order.h: what ab-order's commands share: options, the fill/risk engine, output.
 *
 * The engine (engine.c) is the one place where sizing, fees, slippage, stops
 * and risk limits are decided; backtest, paper and live all drive it, so the
 * rules cannot differ between them. Times are int64 ms since the epoch.
 */
#ifndef AB_ORDER_H
#define AB_ORDER_H

#include <stdint.h>

#include "candle.h"
#include "db.h"
#include "jsonl.h"
#include "runs.h"

enum size_kind { SIZE_FRACTION, SIZE_QTY, SIZE_NOTIONAL, SIZE_RISK };

struct eng_cfg {
	double cash;             /* starting cash (quote currency) */
	double fee;              /* fee rate per fill, on notional */
	double slip;             /* slippage as a fraction (bps / 1e4) */
	enum size_kind size;
	double size_a;           /* F, Q, N or R */
	double size_k;           /* risk: stop distance in ATRs */
	char atr_field[32];      /* risk: the candle field holding the ATR */
	double lot;              /* units are a multiple of this (0: any) */
	double tick;             /* paper/live: prices rounded to this (0: none) */
	double min_qty, min_notional;
	int allow_short;
	double stop_loss, take_profit, trailing; /* percent, 0: off */
	/* risk limits; 0: off */
	double max_position;       /* units */
	double max_order_notional; /* quote currency */
	int max_open_orders;
	double max_daily_loss;     /* quote currency */
	double max_drawdown;       /* fraction of peak equity */
};

/* One cash balance shared by the engines that trade against it. */
struct engine;
struct account {
	double cash, fees;
	double peak;            /* highest marked equity */
	double marked;          /* equity at the last close marked */
	int64_t day;            /* UTC day of the last mark */
	double day_start;       /* equity at the start of that day */
	int halted;             /* kill switch: no orders at all */
	int reduce_only;        /* drawdown limit hit: exits only */
	int open_orders;        /* orders placed and not yet done */
	struct engine *engines; /* the positions it holds, marked at last close */
};

enum { SIDE_BUY = 1, SIDE_SELL = -1 };

/* An order the engine decided on: what to send, or why it was refused. */
struct eng_order {
	int side;
	double qty;
	int64_t signal_ts;      /* the candle whose close decided it */
	int entry;              /* increases exposure */
	double stop_dist;       /* risk sizing: stop distance in price */
	const char *reject;     /* NULL, or why it is refused */
};

/* A fill the engine applied, for output and storage. */
struct eng_fill {
	int64_t ts;
	int side;
	double qty, price, fee, cash_after, position_after, pnl;
	const char *reason;     /* signal, stop-loss, take-profit, trailing-stop */
};

struct engine {
	const struct eng_cfg *cfg;
	struct account *acct;
	struct engine *next;    /* the account's next engine */
	char exchange[32], symbol[40], tf[8];
	double pos;             /* signed units */
	double avg;             /* average entry price */
	double stop, take;      /* levels, 0: none */
	double extreme;         /* best price since entry, for the trailing stop */
	double last_close;
	int64_t last_ts;
	struct eng_order pending; /* decided, fills at the next open (qty 0: none) */
	int has_pending;
	/* round trips */
	double trade_pnl;       /* net PnL of the open trade so far (fees included) */
	long long trades, wins;
	double gross_profit, gross_loss, realized;
};

/* cash plus every engine's position at its last close */
static inline double
acct_equity(const struct account *a)
{
	double eq = a->cash;
	for (const struct engine *e = a->engines; e; e = e->next)
		eq += e->pos * e->last_close;
	return eq;
}

void eng_init(struct engine *e, const struct eng_cfg *cfg, struct account *a);
/* Rounds qty down to the lot (and to its decimals). */
double eng_round_lot(const struct eng_cfg *cfg, double qty);
double eng_round_tick(const struct eng_cfg *cfg, double price, int side);
/* Decides the order for a signal ("buy"/"sell") at candle c's close. Returns 0
 * when the signal asks for nothing (buy when long, ...), 1 with *o filled
 * (o->reject set when a rule refuses it). atr is the candle's ATR (or NaN). */
int eng_decide(struct engine *e, const struct ab_candle *c, int side, double atr,
	       struct eng_order *o);
/* Re-checks an order against the limits at its fill price; NULL or why not. */
const char *eng_check_fill(struct engine *e, const struct eng_order *o, double price);
/* Applies a fill of qty at price (fee charged here); sets stops on entries. */
void eng_apply(struct engine *e, int side, double qty, double price, int64_t ts,
	       const char *reason, double stop_dist, struct eng_fill *f);
/* The price a market order of side fills at from a reference price. */
double eng_slipped(const struct engine *e, double price, int side);
/* Stops inside candle c: 1 with the exit's side/qty/price/reason when one
 * triggers, else 0. Call after the open's fills; updates the trailing mark. */
int eng_stops(struct engine *e, const struct ab_candle *c, int *side, double *qty,
	      double *price, const char **reason);
/* Marks the account at candle c's close (equity, peak, day, limits). Inline:
 * a sweep runs it for every candle a position is open. */
static inline void
eng_mark(struct engine *e, const struct ab_candle *c)
{
	const int64_t day_ms = 86400000LL;
	struct account *a = e->acct;
	int64_t day = c->ts >= 0 ? c->ts / day_ms : (c->ts - day_ms + 1) / day_ms;

	if (day != a->day) {
		/* The day's loss is measured from the last equity of the day before. */
		a->day = day;
		a->day_start = a->marked;
	}
	e->last_close = c->close;
	e->last_ts = c->ts;
	double eq = acct_equity(a);
	a->marked = eq;
	if (eq > a->peak)
		a->peak = eq;
	if (e->cfg->max_drawdown > 0 && a->peak > 0 &&
	    (a->peak - eq) / a->peak >= e->cfg->max_drawdown)
		a->reduce_only = 1;
}

/* What one candle did: the pending order's fate, fills, the new decision. */
struct eng_step {
	int has_done;            /* the pending order was filled or refused at the open */
	struct eng_order done;
	int nfills;
	struct eng_fill fills[2];
	int decided;             /* the signal made an order (maybe refused) */
	struct eng_order decision;
};
/* One candle through the engine, in the order the man page states: the
 * pending order fills at the open, stops trigger inside the candle, the close
 * marks the account, and a signal at the close becomes the next pending order. */
void eng_candle(struct engine *e, const struct ab_candle *c, int sig, double atr, struct eng_step *r);
/* True when, for a candle without a signal, eng_candle would do nothing but
 * eng_mark: no order pending, and flat or with no stop, take-profit or
 * trailing stop to check. A sweep calls eng_mark alone for such candles. */
static inline int
eng_quiet(const struct engine *e)
{
	return !e->has_pending &&
	       (e->pos == 0 || (e->stop == 0 && e->take == 0 && e->cfg->trailing == 0));
}

/* Backtest statistics, from the equity marked at each close (backtest.c).
 * backtest and optimize both feed every candle through bt_candle, so their
 * numbers cannot differ. */
struct bt_stats {
	long long n;            /* per-candle returns */
	double sum, sumsq, downsq;
	double sum3, sum4;      /* for the skewness and kurtosis */
	double prev, peak, maxdd;
	long long exposed;
};
enum { BT_FINAL, BT_RETURN, BT_CAGR, BT_SHARPE, BT_SORTINO, BT_MAXDD, BT_WIN_RATE,
       BT_PROFIT_FACTOR, BT_EXPOSURE, BT_FEES, BT_NSTATS };
/* "final_equity", "total_return", ...: the backtest record's field names. */
extern const char *const bt_stat_names[BT_NSTATS];

static inline void
bt_stats_init(struct bt_stats *st, double cash)
{
	*st = (struct bt_stats){0};
	st->prev = st->peak = cash;
}

/* Adds the close's equity eq; exposed: a position is open. */
static inline void
bt_stats_add(struct bt_stats *st, double eq, int exposed)
{
	double ret = st->prev != 0 ? eq / st->prev - 1 : 0;
	st->n++;
	st->sum += ret;
	double r2 = ret * ret;
	st->sumsq += r2;
	st->sum3 += r2 * ret;
	st->sum4 += r2 * r2;
	if (ret < 0)
		st->downsq += r2;
	st->prev = eq;
	if (eq > st->peak)
		st->peak = eq;
	/* Is (peak - eq) / peak > maxdd? The division only when the answer
	 * may be yes: well below the record drawdown it cannot be. */
	double dd = st->peak - eq;
	if (st->peak > 0 && dd > 0 && !(dd < st->maxdd * st->peak * (1 - 1e-12)) &&
	    dd / st->peak > st->maxdd)
		st->maxdd = dd / st->peak;
	if (exposed)
		st->exposed++;
}

/* One candle of a backtest: the engine, then the statistics. */
static inline void
bt_candle(struct engine *e, struct bt_stats *st, const struct ab_candle *c, int sig, double atr,
	  struct eng_step *step)
{
	eng_candle(e, c, sig, atr, step);
	bt_stats_add(st, acct_equity(e->acct), e->pos != 0);
}

/* The candle length for annualising: tf's length (a month is a twelfth of
 * 365 days), else the gap between the first two candles (gap), else 0. */
int64_t bt_tf_ms(const char *tf, int64_t gap);
/* The statistics of a finished backtest into v[BT_NSTATS] (NaN: undefined). */
void bt_stats_finish(const struct bt_stats *st, const struct engine *e, double cash,
		     long long candles, int64_t tf_ms, double *v);
/* The per-candle Sharpe ratio (mean over sample deviation, not annualised;
 * NaN when undefined), and the returns' skewness and kurtosis (3 for a
 * normal distribution; NaN when undefined). */
double bt_stats_sr(const struct bt_stats *st);
void bt_stats_moments(const struct bt_stats *st, double *skew, double *kurt);

/* The deflated Sharpe ratio (dsr.c), per-candle Sharpe ratios: the best
 * Sharpe ratio expected of n skill-less trials whose ratios vary with
 * variance var (0 for n <= 1), the probabilistic Sharpe ratio of sr against
 * sr0 over t returns, and the two together. NaN when undefined. */
double opt_expected_max_sr(double n, double var);
double opt_psr(double sr, double sr0, double t, double skew, double kurt);
double opt_dsr(double sr, double n, double var, double t, double skew, double kurt);

/* optimize's options (optimize.c). */
struct opt_args {
	char *grid;                 /* the --grid texts, joined by spaces */
	char *constraint;           /* the --constraint texts, joined with "and" */
	const char *objective, *train_until, *walk_forward, *shard, *apply, *as;
	const char *strategy_file, *buy, *sell; /* a jq-rule strategy */
	char *indicators;           /* the --indicators texts, joined by spaces */
	const char *from_db[3];     /* EXCHANGE SYMBOL TF */
	int merge, top;
};

/* Options shared by the commands. */
struct order_ctx {
	struct opt_args opt;
	const char *db_path, *name, *exchange, *base_url, *since;
	int equity_out, open_only;
	struct eng_cfg cfg;
	char **args;
	int nargs;
	struct ab_out out;
	struct ab_db *db;
	struct ab_run run;
	int argc;
	char **argv;
};

int order_open_db(struct order_ctx *x, int required);
/* "fraction=F", "qty=Q", "notional=N", "risk=R,atr=N[,k=K]" into cfg. */
int order_parse_size(struct eng_cfg *cfg, const char *spec);
/* The signal in a candle record: SIDE_BUY, SIDE_SELL or 0. */
int order_signal(struct ab_jrec *rec);
void order_out_fill(struct ab_out *o, const struct engine *e, const struct eng_fill *f,
		    const char *client_id);
void order_out_reject(struct ab_out *o, const struct engine *e, int64_t ts,
		      const struct eng_order *ord, const char *client_id);
/* Deterministic client order id for (portfolio, exchange, symbol, signal ts, side). */
void order_client_id(char out[40], const char *portfolio, const char *exchange,
		     const char *symbol, int64_t ts, int side);
const char *order_side_name(int side);

int cmd_backtest(struct order_ctx *x);
int cmd_optimize(struct order_ctx *x);
int cmd_paper(struct order_ctx *x);
int cmd_live(struct order_ctx *x);
int cmd_sync(struct order_ctx *x);
int cmd_orders(struct order_ctx *x);
int cmd_fills(struct order_ctx *x);
int cmd_positions(struct order_ctx *x);
int cmd_pnl(struct order_ctx *x);
int cmd_cancel(struct order_ctx *x);
int cmd_halt(struct order_ctx *x);
int cmd_resume(struct order_ctx *x);
int cmd_sign(struct order_ctx *x);
char *order_sign_binance(const char *secret, const char *payload);
char *order_sign_kraken(const char *secret_b64, const char *path, const char *nonce, const char *post);

#endif
