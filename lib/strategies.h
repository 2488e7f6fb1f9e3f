/* strategies: the built-in strategies (sma-cross, ...), deciding buy or sell
 * from indicator values (indicators.h). Shared by ab-signal, which annotates
 * candle streams, and ab-order's optimiser, which sweeps their parameters;
 * both call ab_strat_decide, so a signal cannot differ between them.
 * ab_strat_setup prints its usage errors and returns 64.
 */
#ifndef AB_STRATEGIES_H
#define AB_STRATEGIES_H

#include "indicators.h"

enum ab_strat_kind { AB_ST_NONE, AB_ST_SMA_CROSS, AB_ST_EMA_CROSS, AB_ST_MACD_CROSS, AB_ST_RSI_REVERT,
		  AB_ST_BBANDS_REVERT, AB_ST_DONCHIAN_BREAKOUT };

/* Options given after `strategy NAME`; 0 / NAN when not given. */
struct ab_strat_opts {
	long fast, slow, signal, period, n;
	double low, high, k;
	int given; /* bit mask of AB_STO_* */
};
enum { AB_STO_FAST = 1, AB_STO_SLOW = 2, AB_STO_SIGNAL = 4, AB_STO_PERIOD = 8, AB_STO_N = 16,
       AB_STO_LOW = 32, AB_STO_HIGH = 64, AB_STO_K = 128 };

struct ab_strategy {
	enum ab_strat_kind kind;
	char label[96];     /* the name stored with its signals */
	struct ab_ind need[2]; /* the indicators it reads */
	int nneed;
	int a, b;           /* value indexes it compares (set by the caller) */
	double low, high;
};

/* The built-in named name, or AB_ST_NONE. */
enum ab_strat_kind ab_strat_lookup(const char *name);
/* Checks the options against the strategy and fills s (label, need[]);
 * 0 or 64 after a message. */
int ab_strat_setup(struct ab_strategy *s, enum ab_strat_kind kind, const struct ab_strat_opts *o);
/* The same without printing: 0, or -1 with the message in msg. */
int ab_strat_check(struct ab_strategy *s, enum ab_strat_kind kind, const struct ab_strat_opts *o,
		   char *msg, size_t n);
/* The built-in names, NULL-terminated. */
extern const char *const ab_strat_names[];
/* Sets the value indexes a and b once need[i]'s first value sits at slot[i]
 * of the row. */
void ab_strat_slots(struct ab_strategy *s, const int *slot);
/* +1 buy, -1 sell, 0 nothing, from this row's values, the previous row's, this
 * close and the previous close; *last is the strategy's last signal on the
 * series (donchian-breakout does not repeat itself). */
int ab_strat_decide(const struct ab_strategy *s, const double *v, const double *pv, double close,
		 double prevclose, int have_prev, int *last);

/* ab_strat_decide over a whole series at once, for sweeps: need[i]'s values
 * are cols[i], row-major with need[i].nout values a row, and the slots are
 * those ab_strat_slots set for slot[i] = the sum of the earlier nouts. The
 * same decisions, row by row, kept sparse: returns how many rows signal, with
 * their numbers in at[] and +1 / -1 in sig[] (both with room for n). */
long ab_strat_series(const struct ab_strategy *s, const double *const *cols, const double *close,
		     long n, int *at, signed char *sig);

#endif
