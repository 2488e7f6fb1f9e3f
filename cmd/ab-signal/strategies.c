/* strategies: the built-in strategies. Each fires on a crossing decided from
 * this closed candle and the one before it, never from a later one. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "strategy.h"

const char *const strat_names[] = {"sma-cross", "ema-cross", "macd-cross", "rsi-revert",
				   "bbands-revert", "donchian-breakout", NULL};

enum strat_kind
strat_lookup(const char *name)
{
	for (int i = 0; strat_names[i]; i++)
		if (strcmp(name, strat_names[i]) == 0)
			return (enum strat_kind)(i + 1);
	return ST_NONE;
}

static int
only(const char *name, const struct strat_opts *o, int allowed)
{
	static const char *const optname[] = {"fast", "slow", "signal", "period", "n", "low", "high", "k"};

	for (int i = 0; i < 8; i++)
		if ((o->given & (1 << i)) && !(allowed & (1 << i)))
			return ab_err(AB_EUSAGE, "--%s does not apply to strategy %s", optname[i], name);
	return 0;
}

static void
need(struct strategy *s, enum ind_kind kind, int p0, int p1, int p2, double d0)
{
	struct ind *i = &s->need[s->nneed++];

	memset(i, 0, sizeof *i);
	i->kind = kind;
	i->p[0] = p0;
	i->p[1] = p1;
	i->p[2] = p2;
	i->d[0] = d0;
}

int
strat_setup(struct strategy *s, enum strat_kind kind, const struct strat_opts *o)
{
	const char *name = strat_names[kind - 1];
	long fast, slow;

	memset(s, 0, sizeof *s);
	s->kind = kind;
	switch (kind) {
	case ST_SMA_CROSS:
	case ST_EMA_CROSS:
	case ST_MACD_CROSS:
		if (only(name, o, STO_FAST | STO_SLOW | (kind == ST_MACD_CROSS ? STO_SIGNAL : 0)))
			return AB_EUSAGE;
		fast = o->given & STO_FAST ? o->fast : kind == ST_SMA_CROSS ? 10 : 12;
		slow = o->given & STO_SLOW ? o->slow : kind == ST_SMA_CROSS ? 30 : 26;
		if (fast < 2 || slow < 2 || fast >= slow || slow > 100000)
			return ab_err(AB_EUSAGE, "strategy %s: need 2 <= --fast < --slow <= 100000 (got %ld and %ld)",
				      name, fast, slow);
		if (kind == ST_MACD_CROSS) {
			long sig = o->given & STO_SIGNAL ? o->signal : 9;
			if (sig < 2 || sig > 100000)
				return ab_err(AB_EUSAGE, "strategy %s: --signal must be in [2, 100000]", name);
			need(s, IND_MACD, (int)fast, (int)slow, (int)sig, 0);
			snprintf(s->label, sizeof s->label, "%s --fast %ld --slow %ld --signal %ld", name,
				 fast, slow, sig);
		} else {
			enum ind_kind k = kind == ST_SMA_CROSS ? IND_SMA : IND_EMA;
			need(s, k, (int)fast, 0, 0, 0);
			need(s, k, (int)slow, 0, 0, 0);
			snprintf(s->label, sizeof s->label, "%s --fast %ld --slow %ld", name, fast, slow);
		}
		return 0;
	case ST_RSI_REVERT: {
		if (only(name, o, STO_PERIOD | STO_LOW | STO_HIGH))
			return AB_EUSAGE;
		long p = o->given & STO_PERIOD ? o->period : 14;
		s->low = o->given & STO_LOW ? o->low : 30;
		s->high = o->given & STO_HIGH ? o->high : 70;
		if (p < 2 || p > 100000 || !(s->low < s->high) || s->low < 0 || s->high > 100)
			return ab_err(AB_EUSAGE, "strategy %s: need --period >= 2 and 0 <= --low < --high <= 100",
				      name);
		need(s, IND_RSI, (int)p, 0, 0, 0);
		snprintf(s->label, sizeof s->label, "%s --period %ld --low %g --high %g", name, p, s->low,
			 s->high);
		return 0;
	}
	case ST_BBANDS_REVERT: {
		if (only(name, o, STO_PERIOD | STO_K))
			return AB_EUSAGE;
		long p = o->given & STO_PERIOD ? o->period : 20;
		double k = o->given & STO_K ? o->k : 2;
		if (p < 2 || p > 100000 || !(k > 0))
			return ab_err(AB_EUSAGE, "strategy %s: need --period >= 2 and --k > 0", name);
		need(s, IND_BBANDS, (int)p, 0, 0, k);
		snprintf(s->label, sizeof s->label, "%s --period %ld --k %g", name, p, k);
		return 0;
	}
	case ST_DONCHIAN_BREAKOUT: {
		if (only(name, o, STO_N))
			return AB_EUSAGE;
		long n = o->given & STO_N ? o->n : 20;
		if (n < 1 || n > 100000)
			return ab_err(AB_EUSAGE, "strategy %s: --n must be in [1, 100000]", name);
		need(s, IND_DONCHIAN, (int)n, 0, 0, 0);
		snprintf(s->label, sizeof s->label, "%s --n %ld", name, n);
		return 0;
	}
	case ST_NONE: break;
	}
	return AB_ESOFTWARE;
}

/* a crosses above b between the previous row and this one: +1; below: -1. */
static int
cross(double a0, double b0, double a1, double b1)
{
	if (isnan(a0) || isnan(b0) || isnan(a1) || isnan(b1))
		return 0;
	if (a0 <= b0 && a1 > b1)
		return 1;
	if (a0 >= b0 && a1 < b1)
		return -1;
	return 0;
}

int
strat_decide(const struct strategy *s, const double *v, const double *pv, double close,
	     double prevclose, int have_prev, int *last)
{
	int sig = 0;

	if (!have_prev)
		return 0;
	switch (s->kind) {
	case ST_SMA_CROSS:
	case ST_EMA_CROSS:
		/* fast crosses slow */
		return cross(pv[s->a], pv[s->b], v[s->a], v[s->b]);
	case ST_MACD_CROSS:
		/* macd (a) crosses its signal line (b) */
		return cross(pv[s->a], pv[s->b], v[s->a], v[s->b]);
	case ST_RSI_REVERT: {
		double r0 = pv[s->a], r1 = v[s->a];
		if (isnan(r0) || isnan(r1))
			return 0;
		if (r0 >= s->low && r1 < s->low)
			return 1;  /* enters oversold */
		if (r0 <= s->high && r1 > s->high)
			return -1; /* enters overbought */
		return 0;
	}
	case ST_BBANDS_REVERT: {
		/* a: upper band, b: lower band */
		if (isnan(pv[s->b]) || isnan(v[s->b]))
			return 0;
		if (prevclose >= pv[s->b] && close < v[s->b])
			return 1;
		if (prevclose <= pv[s->a] && close > v[s->a])
			return -1;
		return 0;
	}
	case ST_DONCHIAN_BREAKOUT:
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
	case ST_NONE: break;
	}
	return 0;
}
