/* bench signal-compute: the pure indicator cost per candle of ab-signal's
 * fifteen TA-Lib indicators (no parsing, no printing), and with -DWITH_TALIB
 * the same fifteen through TA-Lib's own batch functions on the same candles.
 * Built and run by scripts/bench-ab-signal:
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -Ilib \
 *      tests/bench/signal-compute.c lib/indicators.c lib/numfmt.c lib/err.c -lm
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "indicators.h"
#ifdef WITH_TALIB
#include "ta_libc.h"
#endif

static uint64_t rng = 88172645463325252ull;

static double
unit(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static double
now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *const specs[][2] = {
	{"sma", "20"}, {"ema", "20"}, {"wma", "20"}, {"rsi", "14"}, {"macd", "12,26,9"},
	{"bbands", "20,2"}, {"atr", "14"}, {"adx", "14"}, {"cci", "20"}, {"willr", "14"},
	{"roc", "10"}, {"mfi", "14"}, {"stoch", "14,3,3"}, {"obv", ""}, {"sar", "0.02,0.2"},
};

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	int rounds = 5, nind = 15, nvals = 0;
	struct ab_bar *b = ab_malloc((size_t)n * sizeof *b);
	struct ab_ind inds[15];
	size_t size = 0;
	double p = 40000, best = 1e9, sink = 0;
	char msg[200];

	for (long i = 0; i < n; i++) {
		double o = p, c = o * exp((unit() - 0.5) * 0.01 + 0.002 * log(40000 / o));
		b[i].o = o;
		b[i].c = c;
		b[i].h = (o > c ? o : c) * (1 + unit() * 0.003);
		b[i].l = (o < c ? o : c) * (1 - unit() * 0.003);
		b[i].v = unit() * 100;
		b[i].ts = 1500000000000 + i * 60000;
		p = c;
	}
	for (int k = 0; k < nind; k++) {
		int kind;
		for (kind = 0; strcmp(ab_ind_kinds[kind].option, specs[k][0]); kind++)
			;
		if (ab_ind_parse(&inds[k], (enum ab_ind_kind)kind, specs[k][1], msg, sizeof msg))
			return fprintf(stderr, "%s\n", msg), 1;
		ab_ind_name(&inds[k], 0);
		inds[k].slot = nvals;
		nvals += inds[k].nout;
		inds[k].off = size;
		size += (ab_ind_state_size(&inds[k]) + 15) & ~(size_t)15;
	}
	double *vals = ab_malloc((size_t)nvals * sizeof *vals);
	char *state = ab_malloc(size);
	for (int r = 0; r < rounds; r++) {
		memset(state, 0, size);
		for (int k = 0; k < nind; k++)
			ab_ind_state_init(&inds[k], state + inds[k].off);
		double t0 = now();
		for (long i = 0; i < n; i++) {
			for (int k = 0; k < nind; k++)
				ab_ind_update(&inds[k], state + inds[k].off, &b[i], i, vals + inds[k].slot);
			sink += vals[0];
		}
		double t = now() - t0;
		if (t < best)
			best = t;
	}
	printf("ab-signal indicators: %.1f ns per candle for all 15 (best of %d, %ld candles)\n",
	       best / (double)n * 1e9, rounds, n);
#ifdef WITH_TALIB
	{
		double *o = ab_malloc((size_t)n * 8), *h = ab_malloc((size_t)n * 8), *l = ab_malloc((size_t)n * 8),
		       *c = ab_malloc((size_t)n * 8), *v = ab_malloc((size_t)n * 8);
		double *x[3];
		int beg, nb;
		for (int j = 0; j < 3; j++)
			x[j] = ab_malloc((size_t)n * 8);
		for (long i = 0; i < n; i++)
			o[i] = b[i].o, h[i] = b[i].h, l[i] = b[i].l, c[i] = b[i].c, v[i] = b[i].v;
		TA_Initialize();
		double tbest = 1e9;
		int e = (int)n - 1;
		for (int r = 0; r < rounds; r++) {
			double t0 = now();
			TA_SMA(0, e, c, 20, &beg, &nb, x[0]);
			TA_EMA(0, e, c, 20, &beg, &nb, x[0]);
			TA_WMA(0, e, c, 20, &beg, &nb, x[0]);
			TA_RSI(0, e, c, 14, &beg, &nb, x[0]);
			TA_MACD(0, e, c, 12, 26, 9, &beg, &nb, x[0], x[1], x[2]);
			TA_BBANDS(0, e, c, 20, 2, 2, TA_MAType_SMA, &beg, &nb, x[0], x[1], x[2]);
			TA_ATR(0, e, h, l, c, 14, &beg, &nb, x[0]);
			TA_ADX(0, e, h, l, c, 14, &beg, &nb, x[0]);
			TA_CCI(0, e, h, l, c, 20, &beg, &nb, x[0]);
			TA_WILLR(0, e, h, l, c, 14, &beg, &nb, x[0]);
			TA_ROC(0, e, c, 10, &beg, &nb, x[0]);
			TA_MFI(0, e, h, l, c, v, 14, &beg, &nb, x[0]);
			TA_STOCH(0, e, h, l, c, 14, 3, TA_MAType_SMA, 3, TA_MAType_SMA, &beg, &nb, x[0], x[1]);
			TA_OBV(0, e, c, v, &beg, &nb, x[0]);
			TA_SAR(0, e, h, l, 0.02, 0.2, &beg, &nb, x[0]);
			double t = now() - t0;
			sink += x[0][nb - 1];
			if (t < tbest)
				tbest = t;
		}
		printf("TA-Lib batch functions: %.1f ns per candle for the same 15 (best of %d)\n",
		       tbest / (double)n * 1e9, rounds);
		printf("ab-signal / TA-Lib: %.2f (target <= 2)\n", best / tbest);
		TA_Shutdown();
		free(o), free(h), free(l), free(c), free(v);
		for (int j = 0; j < 3; j++)
			free(x[j]);
	}
#endif
	for (int k = 0; k < nind; k++)
		ab_ind_free(&inds[k]);
	free(vals);
	free(state);
	free(b);
	return sink == 12345.678 ? 2 : 0;
}
