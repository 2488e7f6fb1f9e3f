/* strategies: the built-in strategies. Each fires on a crossing decided from
 * this closed candle and the one before it, never from a later one. */
#include <math.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "strategies.h"

const char *const ab_strat_names[] = {"sma-cross", "ema-cross", "macd-cross", "rsi-revert",
				   "bbands-revert", "donchian-breakout", NULL};

enum ab_strat_kind
ab_strat_lookup(const char *name)
{
	for (int i = 0; ab_strat_names[i]; i++)
		if (strcmp(name, ab_strat_names[i]) == 0)
			return (enum ab_strat_kind)(i + 1);
	return AB_ST_NONE;
}

static int
only(const char *name, const struct ab_strat_opts *o, int allowed, char *msg, size_t n)
{
	static const char *const optname[] = {"fast", "slow", "signal", "period", "n", "low", "high", "k"};

	for (int i = 0; i < 8; i++)
		if ((o->given & (1 << i)) && !(allowed & (1 << i)))
			return snprintf(msg, n, "--%s does not apply to strategy %s", optname[i], name), -1;
	return 0;
}

static void
need(struct ab_strategy *s, enum ab_ind_kind kind, int p0, int p1, int p2, double d0)
{
	struct ab_ind *i = &s->need[s->nneed++];

	memset(i, 0, sizeof *i);
	i->kind = kind;
	i->p[0] = p0;
	i->p[1] = p1;
	i->p[2] = p2;
	i->d[0] = d0;
	i->nout = ab_ind_nout(kind);
}

int
ab_strat_setup(struct ab_strategy *s, enum ab_strat_kind kind, const struct ab_strat_opts *o)
{
	char msg[256];

	if (ab_strat_check(s, kind, o, msg, sizeof msg))
		return ab_err(AB_EUSAGE, "%s", msg);
	return 0;
}

int
ab_strat_check(struct ab_strategy *s, enum ab_strat_kind kind, const struct ab_strat_opts *o,
	       char *msg, size_t n)
{
	const char *name;
	long fast, slow;

	memset(s, 0, sizeof *s);
	if (kind <= AB_ST_NONE || kind > AB_ST_DONCHIAN_BREAKOUT)
		return snprintf(msg, n, "no such strategy"), -1;
	name = ab_strat_names[kind - 1];
	s->kind = kind;
	switch (kind) {
	case AB_ST_SMA_CROSS:
	case AB_ST_EMA_CROSS:
	case AB_ST_MACD_CROSS:
		if (only(name, o, AB_STO_FAST | AB_STO_SLOW | (kind == AB_ST_MACD_CROSS ? AB_STO_SIGNAL : 0), msg, n))
			return -1;
		fast = o->given & AB_STO_FAST ? o->fast : kind == AB_ST_SMA_CROSS ? 10 : 12;
		slow = o->given & AB_STO_SLOW ? o->slow : kind == AB_ST_SMA_CROSS ? 30 : 26;
		if (fast < 2 || slow < 2 || fast >= slow || slow > 100000)
			return snprintf(msg, n, "strategy %s: need 2 <= --fast < --slow <= 100000 (got %ld and %ld)",
				      name, fast, slow), -1;
		if (kind == AB_ST_MACD_CROSS) {
			long sig = o->given & AB_STO_SIGNAL ? o->signal : 9;
			if (sig < 2 || sig > 100000)
				return snprintf(msg, n, "strategy %s: --signal must be in [2, 100000]", name), -1;
			need(s, AB_IND_MACD, (int)fast, (int)slow, (int)sig, 0);
			snprintf(s->label, sizeof s->label, "%s --fast %ld --slow %ld --signal %ld", name,
				 fast, slow, sig);
		} else {
			enum ab_ind_kind k = kind == AB_ST_SMA_CROSS ? AB_IND_SMA : AB_IND_EMA;
			need(s, k, (int)fast, 0, 0, 0);
			need(s, k, (int)slow, 0, 0, 0);
			snprintf(s->label, sizeof s->label, "%s --fast %ld --slow %ld", name, fast, slow);
		}
		return 0;
	case AB_ST_RSI_REVERT: {
		if (only(name, o, AB_STO_PERIOD | AB_STO_LOW | AB_STO_HIGH, msg, n))
			return -1;
		long p = o->given & AB_STO_PERIOD ? o->period : 14;
		s->low = o->given & AB_STO_LOW ? o->low : 30;
		s->high = o->given & AB_STO_HIGH ? o->high : 70;
		if (p < 2 || p > 100000 || !(s->low < s->high) || s->low < 0 || s->high > 100)
			return snprintf(msg, n, "strategy %s: need --period >= 2 and 0 <= --low < --high <= 100",
				      name), -1;
		need(s, AB_IND_RSI, (int)p, 0, 0, 0);
		snprintf(s->label, sizeof s->label, "%s --period %ld --low %g --high %g", name, p, s->low,
			 s->high);
		return 0;
	}
	case AB_ST_BBANDS_REVERT: {
		if (only(name, o, AB_STO_PERIOD | AB_STO_K, msg, n))
			return -1;
		long p = o->given & AB_STO_PERIOD ? o->period : 20;
		double k = o->given & AB_STO_K ? o->k : 2;
		if (p < 2 || p > 100000 || !(k > 0))
			return snprintf(msg, n, "strategy %s: need --period >= 2 and --k > 0", name), -1;
		need(s, AB_IND_BBANDS, (int)p, 0, 0, k);
		snprintf(s->label, sizeof s->label, "%s --period %ld --k %g", name, p, k);
		return 0;
	}
	case AB_ST_DONCHIAN_BREAKOUT: {
		if (only(name, o, AB_STO_N, msg, n))
			return -1;
		long len = o->given & AB_STO_N ? o->n : 20;
		if (len < 1 || len > 100000)
			return snprintf(msg, n, "strategy %s: --n must be in [1, 100000]", name), -1;
		need(s, AB_IND_DONCHIAN, (int)len, 0, 0, 0);
		snprintf(s->label, sizeof s->label, "%s --n %ld", name, len);
		return 0;
	}
	case AB_ST_NONE: break;
	}
	return snprintf(msg, n, "no such strategy"), -1;
}

/* a crosses above b between the previous row and this one: +1; below: -1.
 * A NaN (the lookback) fails every comparison, so it never crosses; written
 * without branches so ab_strat_series' loop vectorises. */
static inline int
cross(double a0, double b0, double a1, double b1)
{
	return ((a0 <= b0) & (a1 > b1)) - ((a0 >= b0) & (a1 < b1));
}

void
ab_strat_slots(struct ab_strategy *s, const int *slot)
{
	s->a = slot[0];
	if (s->nneed > 1)
		s->b = slot[1];
	if (s->kind == AB_ST_MACD_CROSS)
		s->b = s->a + 1;
	else if (s->kind == AB_ST_BBANDS_REVERT)
		s->b = s->a + 2;
	else if (s->kind == AB_ST_DONCHIAN_BREAKOUT)
		s->b = s->a + 1;
}

static inline int
decide(const struct ab_strategy *s, const double *v, const double *pv, double close,
       double prevclose, int have_prev, int *last)
{
	int sig = 0;

	if (!have_prev)
		return 0;
	switch (s->kind) {
	case AB_ST_SMA_CROSS:
	case AB_ST_EMA_CROSS:
		/* fast crosses slow */
		return cross(pv[s->a], pv[s->b], v[s->a], v[s->b]);
	case AB_ST_MACD_CROSS:
		/* macd (a) crosses its signal line (b) */
		return cross(pv[s->a], pv[s->b], v[s->a], v[s->b]);
	case AB_ST_RSI_REVERT: {
		double r0 = pv[s->a], r1 = v[s->a];
		if (isnan(r0) || isnan(r1))
			return 0;
		if (r0 >= s->low && r1 < s->low)
			return 1;  /* enters oversold */
		if (r0 <= s->high && r1 > s->high)
			return -1; /* enters overbought */
		return 0;
	}
	case AB_ST_BBANDS_REVERT: {
		/* a: upper band, b: lower band */
		if (isnan(pv[s->b]) || isnan(v[s->b]))
			return 0;
		if (prevclose >= pv[s->b] && close < v[s->b])
			return 1;
		if (prevclose <= pv[s->a] && close > v[s->a])
			return -1;
		return 0;
	}
	case AB_ST_DONCHIAN_BREAKOUT:
		/* The previous row's channel is the N candles before this one. */
		if (isnan(pv[s->a]))
			return 0;
		if (close > pv[s->a])
			sig = 1;
		else if (close < pv[s->b])
			sig = -1;
		if (sig == *last)
			return 0;
		if (sig)
			*last = sig;
		return sig;
	case AB_ST_NONE: break;
	}
	return 0;
}

int
ab_strat_decide(const struct ab_strategy *s, const double *v, const double *pv, double close,
		double prevclose, int have_prev, int *last)
{
	return decide(s, v, pv, close, prevclose, have_prev, last);
}

long
ab_strat_series(const struct ab_strategy *s, const double *const *cols, const double *close,
		long n, int *at, signed char *sig)
{
	double rows[2][8];
	int w[2] = {0, 0}, last = 0;
	long k = 0;

	if (n <= 1)
		return 0;
	if (s->kind == AB_ST_SMA_CROSS || s->kind == AB_ST_EMA_CROSS) {
		/* decide() for these two, column-wise: fast crosses slow. */
		const double *f = cols[0], *sl = cols[1];
		long r = 1;
#ifdef __SSE2__
		/* Two rows at a time: cross()'s comparisons as SSE2 masks,
		 * gathered into bit sets of 64 rows, and only their set bits
		 * visited. */
		while (r + 1 < n) {
			uint64_t up = 0, dn = 0;
			long base = r;
			for (int j = 0; j < 64 && r + 1 < n; j += 2, r += 2) {
				__m128d a0 = _mm_loadu_pd(f + r - 1), b0 = _mm_loadu_pd(sl + r - 1);
				__m128d a1 = _mm_loadu_pd(f + r), b1 = _mm_loadu_pd(sl + r);
				__m128d u = _mm_and_pd(_mm_cmple_pd(a0, b0), _mm_cmpgt_pd(a1, b1));
				__m128d d = _mm_and_pd(_mm_cmpge_pd(a0, b0), _mm_cmplt_pd(a1, b1));
				up |= (uint64_t)_mm_movemask_pd(u) << j;
				dn |= (uint64_t)_mm_movemask_pd(d) << j;
			}
			for (uint64_t m = up | dn; m; m &= m - 1) {
				int b = __builtin_ctzll(m);
				at[k] = (int)(base + b);
				sig[k++] = (signed char)(up >> b & 1 ? 1 : -1);
			}
		}
#endif
		for (; r < n; r++) {
			int c = cross(f[r - 1], sl[r - 1], f[r], sl[r]);
			if (c) {
				at[k] = (int)r;
				sig[k++] = (signed char)c;
			}
		}
		return k;
	}
	for (int i = 0; i < s->nneed; i++)
		w[i] = s->need[i].nout;
	for (long r = 0; r < n; r++) {
		double *v = rows[r & 1], *pv = rows[(r & 1) ^ 1];
		for (int i = 0, o = 0; i < s->nneed; o += w[i], i++)
			for (int j = 0; j < w[i]; j++)
				v[o + j] = cols[i][r * w[i] + j];
		int c = decide(s, v, pv, close[r], r > 0 ? close[r - 1] : 0, r > 0, &last);
		if (c) {
			at[k] = (int)r;
			sig[k++] = (signed char)c;
		}
	}
	return k;
}
