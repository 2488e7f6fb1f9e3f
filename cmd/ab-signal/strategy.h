/* strategy.h: built-in strategies and strategy files (see strategies.c). */
#ifndef AB_STRATEGY_H
#define AB_STRATEGY_H

#include "signal.h"

enum strat_kind { ST_NONE, ST_SMA_CROSS, ST_EMA_CROSS, ST_MACD_CROSS, ST_RSI_REVERT,
		  ST_BBANDS_REVERT, ST_DONCHIAN_BREAKOUT };

/* Options given after `strategy NAME`; 0 / NAN when not given. */
struct strat_opts {
	long fast, slow, signal, period, n;
	double low, high, k;
	int given; /* bit mask of STO_* */
};
enum { STO_FAST = 1, STO_SLOW = 2, STO_SIGNAL = 4, STO_PERIOD = 8, STO_N = 16,
       STO_LOW = 32, STO_HIGH = 64, STO_K = 128 };

struct strategy {
	enum strat_kind kind;
	char label[96];     /* the name stored with its signals */
	struct ind need[2]; /* the indicators it reads */
	int nneed;
	int a, b;           /* value indexes it compares (set by the caller) */
	double low, high;
};

/* The built-in named name, or ST_NONE. */
enum strat_kind strat_lookup(const char *name);
/* Checks the options against the strategy and fills s (label, need[]);
 * 0 or 64 after a message. */
int strat_setup(struct strategy *s, enum strat_kind kind, const struct strat_opts *o);
/* The built-in names, NULL-terminated. */
extern const char *const strat_names[];
/* +1 buy, -1 sell, 0 nothing, from this row's values, the previous row's, this
 * close and the previous close; *last is the strategy's last signal on the
 * series (donchian-breakout does not repeat itself). */
int strat_decide(const struct strategy *s, const double *v, const double *pv, double close,
		 double prevclose, int have_prev, int *last);

#endif
