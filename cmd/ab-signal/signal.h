/* signal.h: ab-signal's parts: incremental indicators, built-in strategies,
 * jq rules, and the per-series state that ties them together.
 *
 * An indicator (struct ind) is a kind plus parameters; it writes ind->nout
 * values per candle into the row's value array from ind->slot, NaN standing
 * for null (the lookback). Its state lives in a block the caller allocates
 * (ind_state_size bytes, zeroed) and ind_state_init prepares once per series.
 * Every update is O(1) or O(period) and looks at no later candle.
 */
#ifndef AB_SIGNAL_H
#define AB_SIGNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jq.h>
#include <jv.h>

enum ind_kind {
	IND_SMA, IND_EMA, IND_WMA, IND_RSI, IND_MACD, IND_BBANDS, IND_ATR, IND_ADX,
	IND_CCI, IND_WILLR, IND_ROC, IND_MFI, IND_STOCH, IND_OBV, IND_SAR,
	IND_VWAP, IND_DONCHIAN, IND_KELTNER, IND_NKINDS
};

struct bar {
	double o, h, l, c, v;
	int64_t ts;
};

struct ind {
	enum ind_kind kind;
	int p[3];       /* integer parameters, as given */
	double d[2];    /* real parameters */
	int nout;
	char *name[3];  /* output field names (owned) */
	int slot;       /* first value's index in the row */
	size_t off;     /* its state's offset in a series' block */
};

struct ind_kind_info {
	const char *option;   /* "sma" */
	int nint, nreal;      /* parameters: integers first, then reals */
	int min[3];           /* smallest allowed integer parameters (TA-Lib's) */
	const char *args;     /* "N", "F,S,G" */
	const char *help;
};
extern const struct ind_kind_info ind_kinds[IND_NKINDS];

/* Parses an option's argument ("12,26,9") into ind's parameters; 0 or -1
 * with a message in msg. */
int ind_parse(struct ind *ind, enum ind_kind kind, const char *arg, char *msg, size_t n);
/* Same kind and parameters. */
int ind_same(const struct ind *a, const struct ind *b);
/* Sets ind->name[] and nout; `later` is nonzero for the second and later
 * instances of a kind whose names carry no parameters. */
void ind_name(struct ind *ind, int later);
void ind_free(struct ind *ind);
size_t ind_state_size(const struct ind *ind);
void ind_state_init(const struct ind *ind, void *st);
/* Folds candle number `row` (0 for the series' first) into the state and
 * writes the outputs to out[0..nout). */
void ind_update(const struct ind *ind, void *st, const struct bar *b, long row, double *out);

/* A user rule: a compiled jq program returning a truthy value to fire. */
struct rule {
	jq_state *jq;
	const char *what;  /* "--buy", "FILE buy" for messages */
};
/* Compiles text (with $prev bound) for a rule; prints jq's own messages and
 * returns 64 on a compile error. */
int rule_compile(struct rule *r, const char *what, const char *text);
/* 1 if the rule fires on cur (with $prev), 0 if not, -1 on a jq runtime
 * error with the message in msg. Consumes nothing. */
int rule_eval(struct rule *r, jv cur, jv prev, char *msg, size_t n);
void rule_free(struct rule *r);

#endif
