/* indicators: TA-Lib's indicators, computed one candle at a time.
 *
 * Each update follows TA-Lib's C source (ta_func/ta_*.c, default
 * compatibility, unstable periods 0) operation by operation, so the values
 * match its batch functions to the last bit, not just within a tolerance:
 * seed sums are accumulated left to right, running sums add the newest value
 * before subtracting the oldest, CCI sums its ring in slot order, and
 * divisions are written the way TA-Lib writes them ((HH-LL)/100, not a
 * multiplication). TA_EPSILON is 1e-14, as in TA-Lib's trunk.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "numfmt.h"
#include "indicators.h"

#define TA_EPSILON 0.00000000000001
#define TA_IS_ZERO(v) ((-TA_EPSILON) < (v) && (v) < TA_EPSILON)
#define TA_IS_ZERO_OR_NEG(v) ((v) < TA_EPSILON)
#define PER_TO_K(per) ((double)2.0 / ((double)((per) + 1)))

const struct ab_ind_kind_info ab_ind_kinds[AB_IND_NKINDS] = {
	[AB_IND_SMA] = {"sma", 1, 0, {2}, "N", "simple moving average of close (sma_N)"},
	[AB_IND_EMA] = {"ema", 1, 0, {2}, "N", "exponential moving average of close (ema_N)"},
	[AB_IND_WMA] = {"wma", 1, 0, {2}, "N", "linearly weighted moving average of close (wma_N)"},
	[AB_IND_RSI] = {"rsi", 1, 0, {2}, "N", "Wilder's relative strength index (rsi_N)"},
	[AB_IND_MACD] = {"macd", 3, 0, {2, 2, 2}, "F,S,G", "MACD (macd, macd_signal, macd_hist)"},
	[AB_IND_BBANDS] = {"bbands", 1, 1, {2}, "N,K", "Bollinger bands (bb_upper, bb_middle, bb_lower)"},
	[AB_IND_ATR] = {"atr", 1, 0, {1}, "N", "average true range (atr_N)"},
	[AB_IND_ADX] = {"adx", 1, 0, {2}, "N", "average directional index (adx_N)"},
	[AB_IND_CCI] = {"cci", 1, 0, {2}, "N", "commodity channel index (cci_N)"},
	[AB_IND_WILLR] = {"willr", 1, 0, {2}, "N", "Williams' %R (willr_N)"},
	[AB_IND_ROC] = {"roc", 1, 0, {1}, "N", "rate of change in percent (roc_N)"},
	[AB_IND_MFI] = {"mfi", 1, 0, {2}, "N", "money flow index (mfi_N)"},
	[AB_IND_STOCH] = {"stoch", 3, 0, {1, 1, 1}, "K,KS,D", "slow stochastic (stoch_k, stoch_d)"},
	[AB_IND_OBV] = {"obv", 0, 0, {0}, NULL, "on-balance volume (obv)"},
	[AB_IND_SAR] = {"sar", 0, 2, {0}, "STEP,MAX", "parabolic SAR (sar)"},
	[AB_IND_VWAP] = {"vwap", 0, 0, {0}, NULL, "volume-weighted average price, per UTC day (vwap)"},
	[AB_IND_DONCHIAN] = {"donchian", 1, 0, {1}, "N", "Donchian channel (donchian_upper, donchian_lower)"},
	[AB_IND_KELTNER] = {"keltner", 1, 1, {2}, "N,K", "Keltner channel (keltner_upper, keltner_middle, keltner_lower)"},
};

#define PERIOD_MAX 100000

int
ab_ind_parse(struct ab_ind *ind, enum ab_ind_kind kind, const char *arg, char *msg, size_t n)
{
	const struct ab_ind_kind_info *k = &ab_ind_kinds[kind];
	int want = k->nint + k->nreal, got = 0;
	const char *p = arg;

	memset(ind, 0, sizeof *ind);
	ind->kind = kind;
	if (want == 0)
		return 0;
	while (got < want) {
		char *end;
		if (got < k->nint) {
			long v = strtol(p, &end, 10);
			if (end == p || (*end && *end != ',') || v < k->min[got] || v > PERIOD_MAX)
				goto bad;
			ind->p[got] = (int)v;
		} else {
			double v = strtod(p, &end);
			if (end == p || (*end && *end != ',') || !isfinite(v) || v < 0 || v > 1e6)
				goto bad;
			ind->d[got - k->nint] = v;
		}
		got++;
		if (*end == ',' && got < want)
			p = end + 1;
		else if (*end == '\0' && got == want)
			return 0;
		else
			goto bad;
	}
bad:
	snprintf(msg, n, "--%s: \"%s\" is not %s (integer periods at least %d and at most %d%s)",
		 k->option, arg, k->args, k->min[0], PERIOD_MAX,
		 k->nreal ? ", non-negative reals" : "");
	return -1;
}

int
ab_ind_nout(enum ab_ind_kind kind)
{
	switch (kind) {
	case AB_IND_MACD: case AB_IND_BBANDS: case AB_IND_KELTNER: return 3;
	case AB_IND_STOCH: case AB_IND_DONCHIAN: return 2;
	default: return 1;
	}
}

int
ab_ind_same(const struct ab_ind *a, const struct ab_ind *b)
{
	return a->kind == b->kind && memcmp(a->p, b->p, sizeof a->p) == 0 &&
	       memcmp(a->d, b->d, sizeof a->d) == 0;
}

static char *
mkname(const char *base, const struct ab_ind *ind, int with_params)
{
	const struct ab_ind_kind_info *k = &ab_ind_kinds[ind->kind];
	char buf[160], num[AB_FMT_DOUBLE_MAX];
	size_t len = (size_t)snprintf(buf, sizeof buf, "%s", base);

	if (!with_params)
		return ab_strdup(buf);
	for (int i = 0; i < k->nint; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "_%d", ind->p[i]);
	for (int i = 0; i < k->nreal; i++) {
		ab_fmt_double(ind->d[i], num);
		len += (size_t)snprintf(buf + len, sizeof buf - len, "_%s", num);
	}
	return ab_strdup(buf);
}

void
ab_ind_name(struct ab_ind *ind, int later)
{
	static const char *const fixed[AB_IND_NKINDS][3] = {
		[AB_IND_MACD] = {"macd", "macd_signal", "macd_hist"},
		[AB_IND_BBANDS] = {"bb_upper", "bb_middle", "bb_lower"},
		[AB_IND_STOCH] = {"stoch_k", "stoch_d"},
		[AB_IND_OBV] = {"obv"},
		[AB_IND_SAR] = {"sar"},
		[AB_IND_VWAP] = {"vwap"},
		[AB_IND_DONCHIAN] = {"donchian_upper", "donchian_lower"},
		[AB_IND_KELTNER] = {"keltner_upper", "keltner_middle", "keltner_lower"},
	};

	if (fixed[ind->kind][0]) {
		ind->nout = 0;
		for (int i = 0; i < 3 && fixed[ind->kind][i]; i++)
			ind->name[ind->nout++] = mkname(fixed[ind->kind][i], ind, later);
	} else {
		/* sma_N and friends carry their period already. */
		ind->nout = 1;
		ind->name[0] = mkname(ab_ind_kinds[ind->kind].option, ind, 1);
	}
}

void
ab_ind_free(struct ab_ind *ind)
{
	for (int i = 0; i < 3; i++)
		free(ind->name[i]);
}

/* ---- building blocks ---- */

/* TA-Lib's INT_SMA as a stream: add the newest, emit, subtract the oldest. */
struct sma {
	int n, pos;
	long cnt;
	double sum;
	double *ring;
};

static void
sma_init(struct sma *s, int n, double *ring)
{
	s->n = n;
	s->ring = ring;
}

static double
sma_push(struct sma *s, double x)
{
	double out = NAN;

	s->sum += x;
	s->ring[s->pos] = x;
	if (++s->pos == s->n)
		s->pos = 0;
	if (s->cnt >= s->n - 1) {
		out = s->sum / s->n;
		s->sum -= s->ring[s->pos]; /* the oldest of the window */
	}
	s->cnt++;
	return out;
}

/* sma_push over a whole series of closes, for sweeps: the same running sum,
 * the same additions and subtractions in the same order, so each value is
 * bit for bit the one sma_push gives; the window's oldest value is read from
 * x itself instead of a ring. */
static void
sma_series(int n, const double *x, long rows, double *out)
{
	double sum = 0;
	long r = 0;

	for (; r < rows && r < n - 1; r++) {
		sum += x[r];
		out[r] = NAN;
	}
	for (; r < rows; r++) {
		sum += x[r];
		out[r] = sum / n;
		sum -= x[r - n + 1];
	}
}

/* TA-Lib's INT_EMA: seeded with the mean of the first n values. */
struct ema {
	int n;
	long cnt;
	double k, sum, e;
};

static void
ema_init(struct ema *s, int n, double k)
{
	s->n = n;
	s->k = k;
}

static double
ema_push(struct ema *s, double x)
{
	if (s->cnt < s->n) {
		s->sum += x;
		if (++s->cnt < s->n)
			return NAN;
		s->e = s->sum / s->n;
		return s->e;
	}
	s->e = ((x - s->e) * s->k) + s->e;
	return s->e;
}

/* Highest high and lowest low of the last n rows, with TA-Lib's bookkeeping
 * (WILLR, STOCH, MAX, MIN): rescan only when the extreme leaves the window. */
struct win {
	int n, pos;
	long hidx, lidx;
	double hh, ll;
	double *h, *l;
};

static void
win_init(struct win *w, int n, double *mem)
{
	w->n = n;
	w->h = mem;
	w->l = mem + n;
	w->hidx = w->lidx = -1;
}

/* Stores row i; returns 1 once the window is full, with hh and ll set. */
static int
win_push(struct win *w, long i, double h, double l)
{
	long trailing = i - w->n + 1;

	w->h[w->pos] = h;
	w->l[w->pos] = l;
	if (++w->pos == w->n)
		w->pos = 0;
	if (trailing < 0)
		return 0;
	if (w->lidx < trailing) {
		w->lidx = trailing;
		w->ll = w->l[trailing % w->n];
		for (long j = trailing + 1; j <= i; j++)
			if (w->l[j % w->n] < w->ll) {
				w->lidx = j;
				w->ll = w->l[j % w->n];
			}
	} else if (l <= w->ll) {
		w->lidx = i;
		w->ll = l;
	}
	if (w->hidx < trailing) {
		w->hidx = trailing;
		w->hh = w->h[trailing % w->n];
		for (long j = trailing + 1; j <= i; j++)
			if (w->h[j % w->n] > w->hh) {
				w->hidx = j;
				w->hh = w->h[j % w->n];
			}
	} else if (h >= w->hh) {
		w->hidx = i;
		w->hh = h;
	}
	return 1;
}

/* TA-Lib's TRANGE / TRUE_RANGE with yesterday's close yc. */
static inline double
true_range(double h, double l, double yc)
{
	double out = h - l, t = fabs(h - yc);

	if (t > out)
		out = t;
	t = fabs(l - yc);
	if (t > out)
		out = t;
	return out;
}

/* Wilder's ATR: the mean of TR over rows 1..n, then (ATR(n-1)+TR)/n. */
struct atr {
	int n;
	double prevc, sum, atr;
};

static double
atr_push(struct atr *s, long row, const struct ab_bar *b)
{
	double tr;

	if (row == 0) {
		s->prevc = b->c;
		return NAN;
	}
	tr = true_range(b->h, b->l, s->prevc);
	s->prevc = b->c;
	if (row < s->n) {
		s->sum += tr;
		return NAN;
	}
	if (row == s->n) {
		s->sum += tr;
		s->atr = s->sum / s->n;
		return s->atr;
	}
	s->atr *= s->n - 1;
	s->atr += tr;
	s->atr /= s->n;
	return s->atr;
}

/* ---- the indicators' states ---- */

struct st_sma { struct sma s; double ring[]; };
struct st_ema { struct ema e; };
struct st_wma { int n, pos; double sub, sum, trailing; double ring[]; };
struct st_rsi { int n; double prev, gain, loss; };
struct st_macd {
	int f, s, pos;
	double kf, fast;
	struct ema slow, sig;
	double ring[]; /* the last f closes, for the fast EMA's seed */
};
struct st_bbands { struct sma m; double sum2; double ring[]; };
struct st_adx { int n; double ph, pl, pc, pdm, mdm, tr, sumdx, adx; };
struct st_cci { int n, pos; double ring[]; };
struct st_win { struct win w; double mem[]; };
struct st_roc { int n, pos; double ring[]; };
struct st_mfi { int n, pos; double prevtp, possum, negsum; double mem[]; };
struct st_stoch { struct win w; struct sma k, d; double mem[]; };
struct st_obv { double prevc, obv; };
struct st_sar { int is_long; double acc, max, af, ep, sar, hi, lo, h0, l0; };
struct st_vwap { int64_t day; double pv, v; };
struct st_keltner { struct ema e; struct atr a; };

size_t
ab_ind_state_size(const struct ab_ind *ind)
{
	size_t d = sizeof(double);
	int n = ind->p[0];

	switch (ind->kind) {
	case AB_IND_SMA: return sizeof(struct st_sma) + (size_t)n * d;
	case AB_IND_EMA: return sizeof(struct st_ema);
	case AB_IND_WMA: return sizeof(struct st_wma) + (size_t)n * d;
	case AB_IND_RSI: return sizeof(struct st_rsi);
	case AB_IND_MACD: {
		int f = ind->p[0] < ind->p[1] ? ind->p[0] : ind->p[1];
		return sizeof(struct st_macd) + (size_t)f * d;
	}
	case AB_IND_BBANDS: return sizeof(struct st_bbands) + (size_t)n * d;
	case AB_IND_ATR: return sizeof(struct atr);
	case AB_IND_ADX: return sizeof(struct st_adx);
	case AB_IND_CCI: return sizeof(struct st_cci) + (size_t)n * d;
	case AB_IND_WILLR: case AB_IND_DONCHIAN: return sizeof(struct st_win) + 2 * (size_t)n * d;
	case AB_IND_ROC: return sizeof(struct st_roc) + (size_t)n * d;
	case AB_IND_MFI: return sizeof(struct st_mfi) + 2 * (size_t)n * d;
	case AB_IND_STOCH:
		return sizeof(struct st_stoch) + (2 * (size_t)n + (size_t)ind->p[1] + (size_t)ind->p[2]) * d;
	case AB_IND_OBV: return sizeof(struct st_obv);
	case AB_IND_SAR: return sizeof(struct st_sar);
	case AB_IND_VWAP: return sizeof(struct st_vwap);
	case AB_IND_KELTNER: return sizeof(struct st_keltner);
	case AB_IND_NKINDS: break;
	}
	return 0;
}

void
ab_ind_state_init(const struct ab_ind *ind, void *st)
{
	int n = ind->p[0];

	switch (ind->kind) {
	case AB_IND_SMA: { struct st_sma *s = st; sma_init(&s->s, n, s->ring); break; }
	case AB_IND_EMA: { struct st_ema *s = st; ema_init(&s->e, n, PER_TO_K(n)); break; }
	case AB_IND_WMA: { struct st_wma *s = st; s->n = n; break; }
	case AB_IND_RSI: { struct st_rsi *s = st; s->n = n; break; }
	case AB_IND_MACD: {
		struct st_macd *s = st;
		int f = ind->p[0], sl = ind->p[1];
		if (sl < f) { /* TA-Lib swaps them */
			int t = sl;
			sl = f;
			f = t;
		}
		s->f = f;
		s->s = sl;
		s->kf = PER_TO_K(f);
		ema_init(&s->slow, sl, PER_TO_K(sl));
		ema_init(&s->sig, ind->p[2], PER_TO_K(ind->p[2]));
		break;
	}
	case AB_IND_BBANDS: { struct st_bbands *s = st; sma_init(&s->m, n, s->ring); break; }
	case AB_IND_ATR: { struct atr *s = st; s->n = n; break; }
	case AB_IND_ADX: { struct st_adx *s = st; s->n = n; break; }
	case AB_IND_CCI: { struct st_cci *s = st; s->n = n; break; }
	case AB_IND_WILLR: case AB_IND_DONCHIAN: { struct st_win *s = st; win_init(&s->w, n, s->mem); break; }
	case AB_IND_ROC: { struct st_roc *s = st; s->n = n; break; }
	case AB_IND_MFI: { struct st_mfi *s = st; s->n = n; break; }
	case AB_IND_STOCH: {
		struct st_stoch *s = st;
		win_init(&s->w, n, s->mem);
		sma_init(&s->k, ind->p[1], s->mem + 2 * n);
		sma_init(&s->d, ind->p[2], s->mem + 2 * n + ind->p[1]);
		break;
	}
	case AB_IND_OBV: break;
	case AB_IND_SAR: {
		struct st_sar *s = st;
		s->acc = ind->d[0];
		s->max = ind->d[1];
		if (s->acc > s->max)
			s->acc = s->max;
		break;
	}
	case AB_IND_VWAP: break;
	case AB_IND_KELTNER: {
		struct st_keltner *s = st;
		ema_init(&s->e, n, PER_TO_K(n));
		s->a.n = n;
		break;
	}
	case AB_IND_NKINDS: break;
	}
}

static double
wma_push(struct st_wma *s, long row, double x)
{
	double out = NAN;
	int n = s->n;

	if (row < n - 1) { /* TA-Lib's prologue: weights 1..n-1 */
		s->sub += x;
		s->sum += x * (double)(row + 1);
	} else {
		s->sub += x;
		s->sub -= s->trailing;
		s->sum += x * n;
		s->trailing = s->ring[(s->pos + 1) % n]; /* row - n + 1 */
		out = s->sum / ((n * (n + 1)) >> 1);
		s->sum -= s->sub;
	}
	s->ring[s->pos] = x;
	if (++s->pos == n)
		s->pos = 0;
	return out;
}

static double
rsi_push(struct st_rsi *s, long row, double x)
{
	double d, t;
	int n = s->n;

	if (row == 0) {
		s->prev = x;
		return NAN;
	}
	d = x - s->prev;
	s->prev = x;
	if (row <= n) {
		if (d < 0)
			s->loss -= d;
		else
			s->gain += d;
		if (row < n)
			return NAN;
		s->loss /= n;
		s->gain /= n;
	} else {
		s->loss *= (n - 1);
		s->gain *= (n - 1);
		if (d < 0)
			s->loss -= d;
		else
			s->gain += d;
		s->loss /= n;
		s->gain /= n;
	}
	t = s->gain + s->loss;
	return !TA_IS_ZERO(t) ? 100.0 * (s->gain / t) : 0.0;
}

static void
macd_push(struct st_macd *s, long row, double x, double *out)
{
	double slow, macd, sig;

	out[0] = out[1] = out[2] = NAN;
	slow = ema_push(&s->slow, x);
	if (row < s->s) {
		s->ring[s->pos] = x;
		if (++s->pos == s->f)
			s->pos = 0;
	}
	if (row < s->s - 1)
		return;
	if (row == s->s - 1) {
		/* The fast EMA starts where the slow one does, seeded with the
		 * mean of the f closes up to here (rows s-f .. s-1). */
		double sum = 0.0;
		for (long j = s->s - s->f; j <= row; j++)
			sum += s->ring[j % s->f];
		s->fast = sum / s->f;
	} else {
		s->fast = ((x - s->fast) * s->kf) + s->fast;
	}
	macd = s->fast - slow;
	sig = ema_push(&s->sig, macd);
	if (isnan(sig))
		return;
	out[0] = macd;
	out[1] = sig;
	out[2] = macd - sig;
}

static void
bbands_push(struct st_bbands *s, double k, double x, double *out)
{
	double mean = sma_push(&s->m, x), t;

	t = x;
	t *= t;
	s->sum2 += t;
	if (isnan(mean)) {
		out[0] = out[1] = out[2] = NAN;
		return;
	}
	double mean2 = s->sum2 / s->m.n, old = s->m.ring[s->m.pos], sd;
	old *= old;
	s->sum2 -= old;
	t = mean;
	t *= t;
	mean2 -= t;
	sd = !TA_IS_ZERO_OR_NEG(mean2) ? sqrt(mean2) : 0.0;
	t = sd * k;
	out[0] = mean + t;
	out[1] = mean;
	out[2] = mean - t;
}

static double
adx_push(struct st_adx *s, long row, const struct ab_bar *b)
{
	int n = s->n;
	double dp, dm, tr;

	if (row == 0) {
		s->ph = b->h;
		s->pl = b->l;
		s->pc = b->c;
		return NAN;
	}
	dp = b->h - s->ph;
	s->ph = b->h;
	dm = s->pl - b->l;
	s->pl = b->l;
	if (row >= n) {
		s->mdm -= s->mdm / n;
		s->pdm -= s->pdm / n;
	}
	if (dm > 0 && dp < dm)
		s->mdm += dm;
	else if (dp > 0 && dp > dm)
		s->pdm += dp;
	tr = true_range(s->ph, s->pl, s->pc);
	s->pc = b->c;
	if (row < n) {
		s->tr += tr;
		return NAN;
	}
	s->tr = s->tr - (s->tr / n) + tr;
	int have = 0;
	double dx = 0;
	if (!TA_IS_ZERO(s->tr)) {
		double minus = 100.0 * (s->mdm / s->tr), plus = 100.0 * (s->pdm / s->tr);
		double sum = minus + plus;
		if (!TA_IS_ZERO(sum)) {
			dx = 100.0 * (fabs(minus - plus) / sum);
			have = 1;
		}
	}
	if (row < 2L * n - 1) {
		if (have)
			s->sumdx += dx;
		return NAN;
	}
	if (row == 2L * n - 1) {
		if (have)
			s->sumdx += dx;
		s->adx = s->sumdx / n;
		return s->adx;
	}
	if (have)
		s->adx = ((s->adx * (n - 1)) + dx) / n;
	return s->adx;
}

static double
cci_push(struct st_cci *s, long row, const struct ab_bar *b)
{
	int n = s->n;
	double tp = (b->h + b->l + b->c) / 3, avg = 0, md = 0, t;

	s->ring[s->pos] = tp;
	if (++s->pos == n)
		s->pos = 0;
	if (row < n - 1)
		return NAN;
	for (int j = 0; j < n; j++)
		avg += s->ring[j];
	avg /= n;
	for (int j = 0; j < n; j++)
		md += fabs(s->ring[j] - avg);
	t = tp - avg;
	if (t != 0.0 && md != 0.0)
		return t / (0.015 * (md / n));
	return 0.0;
}

static double
roc_push(struct st_roc *s, long row, double x)
{
	double out = NAN, old = s->ring[s->pos];

	if (row >= s->n)
		out = old != 0.0 ? ((x / old) - 1.0) * 100.0 : 0.0;
	s->ring[s->pos] = x;
	if (++s->pos == s->n)
		s->pos = 0;
	return out;
}

static double
mfi_push(struct st_mfi *s, long row, const struct ab_bar *b)
{
	int n = s->n;
	double *pos = s->mem, *neg = s->mem + n;
	double tp = (b->h + b->l + b->c) / 3.0, d, f, t;

	if (row == 0) {
		s->prevtp = tp;
		return NAN;
	}
	if (row > n) {
		s->possum -= pos[s->pos];
		s->negsum -= neg[s->pos];
	}
	d = tp - s->prevtp;
	s->prevtp = tp;
	f = tp;
	f *= b->v;
	if (d < 0) {
		neg[s->pos] = f;
		s->negsum += f;
		pos[s->pos] = 0.0;
	} else if (d > 0) {
		pos[s->pos] = f;
		s->possum += f;
		neg[s->pos] = 0.0;
	} else {
		pos[s->pos] = neg[s->pos] = 0.0;
	}
	if (++s->pos == n)
		s->pos = 0;
	if (row < n)
		return NAN;
	t = s->possum + s->negsum;
	return t < 1.0 ? 0.0 : 100.0 * (s->possum / t);
}

static void
stoch_push(struct st_stoch *s, long row, const struct ab_bar *b, double *out)
{
	double diff, k, slowk, slowd;

	out[0] = out[1] = NAN;
	if (!win_push(&s->w, row, b->h, b->l))
		return;
	diff = (s->w.hh - s->w.ll) / 100.0;
	k = diff != 0.0 ? (b->c - s->w.ll) / diff : 0.0;
	slowk = sma_push(&s->k, k);
	if (isnan(slowk))
		return;
	slowd = sma_push(&s->d, slowk);
	if (isnan(slowd))
		return;
	out[0] = slowk;
	out[1] = slowd;
}

static double
obv_push(struct st_obv *s, long row, const struct ab_bar *b)
{
	if (row == 0)
		s->obv = b->v;
	else if (b->c > s->prevc)
		s->obv += b->v;
	else if (b->c < s->prevc)
		s->obv -= b->v;
	s->prevc = b->c;
	return s->obv;
}

static double
sar_push(struct st_sar *s, long row, const struct ab_bar *b)
{
	double ph, pl, nh = b->h, nl = b->l, out;

	if (row == 0) {
		s->h0 = b->h;
		s->l0 = b->l;
		return NAN;
	}
	if (row == 1) {
		/* Short when row 1 has a positive -DM, as TA-Lib decides. */
		double dp = b->h - s->h0, dm = s->l0 - b->l;
		s->is_long = !(dm > 0 && dp < dm);
		s->af = s->acc;
		if (s->is_long) {
			s->ep = b->h;
			s->sar = s->l0;
		} else {
			s->ep = b->l;
			s->sar = s->h0;
		}
		s->hi = b->h;
		s->lo = b->l;
	}
	ph = s->hi;
	pl = s->lo;
	s->hi = nh;
	s->lo = nl;
	if (s->is_long) {
		if (nl <= s->sar) {
			s->is_long = 0;
			s->sar = s->ep;
			if (s->sar < ph)
				s->sar = ph;
			if (s->sar < nh)
				s->sar = nh;
			out = s->sar;
			s->af = s->acc;
			s->ep = nl;
			s->sar = s->sar + s->af * (s->ep - s->sar);
			if (s->sar < ph)
				s->sar = ph;
			if (s->sar < nh)
				s->sar = nh;
		} else {
			out = s->sar;
			if (nh > s->ep) {
				s->ep = nh;
				s->af += s->acc;
				if (s->af > s->max)
					s->af = s->max;
			}
			s->sar = s->sar + s->af * (s->ep - s->sar);
			if (s->sar > pl)
				s->sar = pl;
			if (s->sar > nl)
				s->sar = nl;
		}
	} else {
		if (nh >= s->sar) {
			s->is_long = 1;
			s->sar = s->ep;
			if (s->sar > pl)
				s->sar = pl;
			if (s->sar > nl)
				s->sar = nl;
			out = s->sar;
			s->af = s->acc;
			s->ep = nh;
			s->sar = s->sar + s->af * (s->ep - s->sar);
			if (s->sar > pl)
				s->sar = pl;
			if (s->sar > nl)
				s->sar = nl;
		} else {
			out = s->sar;
			if (nl < s->ep) {
				s->ep = nl;
				s->af += s->acc;
				if (s->af > s->max)
					s->af = s->max;
			}
			s->sar = s->sar + s->af * (s->ep - s->sar);
			if (s->sar < ph)
				s->sar = ph;
			if (s->sar < nh)
				s->sar = nh;
		}
	}
	return out;
}

static double
vwap_push(struct st_vwap *s, long row, const struct ab_bar *b)
{
	int64_t day = b->ts / 86400000;
	double tp = (b->h + b->l + b->c) / 3;

	if (b->ts % 86400000 < 0)
		day--;
	if (row == 0 || day != s->day) {
		s->day = day;
		s->pv = s->v = 0;
	}
	s->pv += tp * b->v;
	s->v += b->v;
	return s->v > 0 ? s->pv / s->v : tp;
}

void
ab_ind_update(const struct ab_ind *ind, void *st, const struct ab_bar *b, long row, double *out)
{
	switch (ind->kind) {
	case AB_IND_SMA: out[0] = sma_push(&((struct st_sma *)st)->s, b->c); break;
	case AB_IND_EMA: out[0] = ema_push(&((struct st_ema *)st)->e, b->c); break;
	case AB_IND_WMA: out[0] = wma_push(st, row, b->c); break;
	case AB_IND_RSI: out[0] = rsi_push(st, row, b->c); break;
	case AB_IND_MACD: macd_push(st, row, b->c, out); break;
	case AB_IND_BBANDS: bbands_push(st, ind->d[0], b->c, out); break;
	case AB_IND_ATR: out[0] = atr_push(st, row, b); break;
	case AB_IND_ADX: out[0] = adx_push(st, row, b); break;
	case AB_IND_CCI: out[0] = cci_push(st, row, b); break;
	case AB_IND_WILLR: {
		struct st_win *s = st;
		out[0] = NAN;
		if (win_push(&s->w, row, b->h, b->l)) {
			double diff = (s->w.hh - s->w.ll) / (-100.0);
			out[0] = diff != 0.0 ? (s->w.hh - b->c) / diff : 0.0;
		}
		break;
	}
	case AB_IND_ROC: out[0] = roc_push(st, row, b->c); break;
	case AB_IND_MFI: out[0] = mfi_push(st, row, b); break;
	case AB_IND_STOCH: stoch_push(st, row, b, out); break;
	case AB_IND_OBV: out[0] = obv_push(st, row, b); break;
	case AB_IND_SAR: out[0] = sar_push(st, row, b); break;
	case AB_IND_VWAP: out[0] = vwap_push(st, row, b); break;
	case AB_IND_DONCHIAN: {
		struct st_win *s = st;
		if (win_push(&s->w, row, b->h, b->l)) {
			out[0] = s->w.hh;
			out[1] = s->w.ll;
		} else {
			out[0] = out[1] = NAN;
		}
		break;
	}
	case AB_IND_KELTNER: {
		struct st_keltner *s = st;
		double m = ema_push(&s->e, b->c), a = atr_push(&s->a, row, b);
		if (isnan(m) || isnan(a)) {
			out[0] = out[1] = out[2] = NAN;
		} else {
			out[0] = m + ind->d[0] * a;
			out[1] = m;
			out[2] = m - ind->d[0] * a;
		}
		break;
	}
	case AB_IND_NKINDS: break;
	}
}

int
ab_ind_series_close(const struct ab_ind *ind, const double *close, long rows, double *out)
{
	if (ind->kind != AB_IND_SMA || ind->p[0] < 1)
		return -1;
	sma_series(ind->p[0], close, rows, out);
	return 0;
}
