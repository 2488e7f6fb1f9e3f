/* indicators: TA-Lib's indicators computed one candle at a time (ab-signal's
 * annotations, ab-order's optimiser).
 *
 * An indicator (struct ab_ind) is a kind plus parameters; it writes ind->nout
 * values per candle into the row's value array from ind->slot, NaN standing
 * for null (the lookback). Its state lives in a block the caller allocates
 * (ab_ind_state_size bytes, zeroed) and ab_ind_state_init prepares once per series.
 * Every update is O(1) or O(period) and looks at no later candle.
 */
#ifndef AB_INDICATORS_H
#define AB_INDICATORS_H

#include <stddef.h>
#include <stdint.h>

enum ab_ind_kind {
	AB_IND_SMA, AB_IND_EMA, AB_IND_WMA, AB_IND_RSI, AB_IND_MACD, AB_IND_BBANDS, AB_IND_ATR, AB_IND_ADX,
	AB_IND_CCI, AB_IND_WILLR, AB_IND_ROC, AB_IND_MFI, AB_IND_STOCH, AB_IND_OBV, AB_IND_SAR,
	AB_IND_VWAP, AB_IND_DONCHIAN, AB_IND_KELTNER, AB_IND_NKINDS
};

struct ab_bar {
	double o, h, l, c, v;
	int64_t ts;
};

struct ab_ind {
	enum ab_ind_kind kind;
	int p[3];       /* integer parameters, as given */
	double d[2];    /* real parameters */
	int nout;
	char *name[3];  /* output field names (owned) */
	int slot;       /* first value's index in the row */
	size_t off;     /* its state's offset in a series' block */
};

struct ab_ind_kind_info {
	const char *option;   /* "sma" */
	int nint, nreal;      /* parameters: integers first, then reals */
	int min[3];           /* smallest allowed integer parameters (TA-Lib's) */
	const char *args;     /* "N", "F,S,G" */
	const char *help;
};
extern const struct ab_ind_kind_info ab_ind_kinds[AB_IND_NKINDS];

/* Parses an option's argument ("12,26,9") into ind's parameters; 0 or -1
 * with a message in msg. */
int ab_ind_parse(struct ab_ind *ind, enum ab_ind_kind kind, const char *arg, char *msg, size_t n);
/* How many values an indicator of this kind writes a row. */
int ab_ind_nout(enum ab_ind_kind kind);
/* Same kind and parameters. */
int ab_ind_same(const struct ab_ind *a, const struct ab_ind *b);
/* Sets ind->name[] and nout; `later` is nonzero for the second and later
 * instances of a kind whose names carry no parameters. */
void ab_ind_name(struct ab_ind *ind, int later);
void ab_ind_free(struct ab_ind *ind);
size_t ab_ind_state_size(const struct ab_ind *ind);
void ab_ind_state_init(const struct ab_ind *ind, void *st);
/* Folds candle number `row` (0 for the series' first) into the state and
 * writes the outputs to out[0..nout). */
void ab_ind_update(const struct ab_ind *ind, void *st, const struct ab_bar *b, long row, double *out);
/* The whole series of an indicator of the close alone, row by row the values
 * ab_ind_update writes (a faster loop for sweeps): 0, or -1 when ind is not
 * one it computes this way (then use ab_ind_update). Only SMA today. */
int ab_ind_series_close(const struct ab_ind *ind, const double *close, long rows, double *out);

#endif
