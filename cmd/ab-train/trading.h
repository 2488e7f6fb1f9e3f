/* trading.h: the trading environment, its features and the fill simulator.
 *
 * The simulator follows ab-order's backtest engine exactly: the position
 * chosen at candle t's close is an order that fills at candle t+1's open,
 * the price moved by the slippage against the trader, a fee charged on the
 * notional; an entry buys fraction * cash / close(t) units (ab-order's
 * --size fraction=F), an exit closes the whole position, so a reversal goes
 * through flat; a buy the cash cannot cover (value plus fee) is rejected.
 * Equity (cash + units * close) is marked at each close.
 *
 * Features are normalised with rolling statistics of the last norm_window
 * values up to and including t, never later ones.
 */
#ifndef AB_TRAIN_TRADING_H
#define AB_TRAIN_TRADING_H

#include <stdint.h>

#include "env.h"
#include "jsonl.h"

#define FEAT_MAX 32

struct feat_spec {
	int n;
	char name[FEAT_MAX][48];
	int window;       /* candles of features in one observation */
	int norm_window;  /* rolling normalisation length */
};

struct trade_rules {
	double fee, slip, fraction;
	int shorting;     /* actions short/flat/long, else flat/long */
	int continuous;   /* one continuous target in [-1, 1] */
};

struct sim {
	const struct trade_rules *r;
	double cash, units;
	int pend_side;        /* +1 buy, -1 sell, 0 none */
	double pend_qty;
	int pend_entry;
	double traded;        /* notional filled so far */
	long fills;
};

void sim_init(struct sim *s, const struct trade_rules *r, double cash);
static inline int sim_pos(const struct sim *s) { return s->units > 0 ? 1 : s->units < 0 ? -1 : 0; }
/* The target position (-1, 0, 1) decided at a close: 0 no order, else the
 * order's side (also kept as the pending order). */
int sim_decide(struct sim *s, int target, double close);
/* Fills the pending order at this open; returns 1 filled, -1 rejected, 0 none. */
int sim_fill(struct sim *s, double open);
double sim_equity(const struct sim *s, double close);
/* The target position for an action (discrete index or continuous value). */
int trade_target(const struct trade_rules *r, double action);

/* Streaming feature state: one per pass over candles. */
struct feat_state {
	const struct feat_spec *spec;
	double prev_close;
	int have_prev;
	double last[FEAT_MAX];   /* last raw value, carried over nulls */
	int seen[FEAT_MAX];
	double *ring;            /* n x norm_window raw values */
	double sum[FEAT_MAX], sumsq[FEAT_MAX];
	long count;
	int pos;
};
void feat_init(struct feat_state *f, const struct feat_spec *spec);
void feat_free(struct feat_state *f);
/* Pushes one candle (rec: its record, for named fields, may be NULL when every
 * feature is built in); writes the normalised features to z and returns 1 when
 * they are ready (every feature seen, 2+ values), else 0. Returns -1 when a
 * field is present but not a number (msg set). */
int feat_push(struct feat_state *f, struct ab_jrec *rec, int64_t ts, double open, double high,
	      double low, double close, double volume, double *z, char *msg, size_t msglen);
int feat_is_builtin(const char *name);

/* A market history with its normalised features. */
struct market {
	int n;
	int64_t *ts;
	double *open, *close;
	double *z;        /* n x spec.n */
	char *ready;      /* features ready at t */
	int64_t tf_ms;    /* median spacing */
};
void market_free(struct market *m);

struct reward_cfg {
	int kind;        /* REWARD_* */
	double scale, eta;
	int warmup;
};
enum { REWARD_PNL, REWARD_LOGRET, REWARD_DSR, REWARD_SORTINO };
int reward_parse(const char *s);
const char *reward_name(int kind);

/* Makes a trading env over market indexes [lo, hi) (decisions at t < hi-1). */
void trading_env(struct env *e, const struct market *m, const struct feat_spec *spec,
		 const struct trade_rules *r, const struct reward_cfg *rw, int lo, int hi,
		 int episode_len);
/* The observation at t with position pos (obs_dim = spec.n * window + 1);
 * returns 0 when t lacks window ready candles. */
int trading_obs(const struct market *m, const struct feat_spec *spec, int t, int pos, double *obs);
int trading_obs_dim(const struct feat_spec *spec);

struct eval_result {
	long candles, fills;
	int64_t from, to;
	double ret, sharpe, max_dd, turnover, final_equity;
};
/* Runs a policy over [lo, hi): decide at t's close, fill at t+1's open.
 * policy(ctx, obs) returns the target position. */
typedef int (*policy_fn)(void *ctx, const double *obs);
void trading_eval(const struct market *m, const struct feat_spec *spec, const struct trade_rules *r,
		  int lo, int hi, policy_fn policy, void *ctx, struct eval_result *out);

#endif
