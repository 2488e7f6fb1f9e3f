/* bench numfmt: ns per number for ab_fmt_double and ab_parse_json_number
 * against snprintf and strtod, on values shaped like our records.
 *
 *   gcc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -Ilib \
 *       tests/bench/numfmt.c lib/numfmt.c lib/err.c -o /tmp/bench-numfmt -lm
 *   /tmp/bench-numfmt
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "numfmt.h"

#define N 200000
#define ROUNDS 5

static uint64_t rng = 88172645463325252ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The usual shortest-printf trick: 15 digits if they read back, else 17. */
static int
fmt_printf_shortest(double x, char *buf)
{
	int n = snprintf(buf, 32, "%.15g", x);
	if (strtod(buf, NULL) != x)
		n = snprintf(buf, 32, "%.17g", x);
	return n;
}

static char text[N][32];
static size_t textlen[N];

static void
bench(const char *name, const double *v)
{
	char buf[32];
	size_t sink = 0;
	double best[4] = { 1e18, 1e18, 1e18, 1e18 };
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now();
		for (int i = 0; i < N; i++)
			sink += ab_fmt_double(v[i], buf);
		double t1 = now();
		for (int i = 0; i < N; i++)
			sink += (size_t)snprintf(buf, sizeof buf, "%.17g", v[i]);
		double t2 = now();
		for (int i = 0; i < N; i++)
			sink += (size_t)fmt_printf_shortest(v[i], buf);
		double t3 = now();
		double t[3] = { t1 - t0, t2 - t1, t3 - t2 };
		for (int k = 0; k < 3; k++)
			if (t[k] < best[k])
				best[k] = t[k];
	}
	for (int i = 0; i < N; i++)
		textlen[i] = ab_fmt_double(v[i], text[i]);
	double pbest[2] = { 1e18, 1e18 };
	double sum = 0;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now();
		for (int i = 0; i < N; i++) {
			double d;
			ab_parse_json_number(text[i], textlen[i], &d);
			sum += d;
		}
		double t1 = now();
		for (int i = 0; i < N; i++)
			sum += strtod(text[i], NULL);
		double t2 = now();
		if (t1 - t0 < pbest[0])
			pbest[0] = t1 - t0;
		if (t2 - t1 < pbest[1])
			pbest[1] = t2 - t1;
	}
	printf("%-22s fmt %6.1f  %%.17g %6.1f  %%.15g+check %6.1f | parse %6.1f  strtod %6.1f  (e.g. %s)\n",
	    name, best[0] / N, best[1] / N, best[2] / N, pbest[0] / N, pbest[1] / N, text[0]);
	if (sink == 42 || sum == 42.0)
		puts("");
}

int
main(void)
{
	static double v[N];
	printf("ns per number, best of %d rounds of %d\n", ROUNDS, N);
	for (int i = 0; i < N; i++) /* prices with cents: 43519.34 */
		v[i] = (double)(next() % 10000000 + 100) / 100;
	bench("prices (2 decimals)", v);
	for (int i = 0; i < N; i++) /* indicator values: 57.12345678901234 */
		v[i] = (double)(next() >> 11) / 9007199254740992.0 * 100;
	bench("indicators [0,100)", v);
	for (int i = 0; i < N; i++) /* volumes and counts */
		v[i] = (double)(next() % 100000000);
	bench("integers", v);
	for (int i = 0; i < N; i++) /* small quantities: 0.00012345 */
		v[i] = (double)(next() % 100000 + 1) / 1e8;
	bench("small (8 decimals)", v);
	for (int i = 0; i < N; i++) {
		uint64_t b;
		do
			b = next();
		while (((b >> 52) & 0x7ff) == 0x7ff);
		memcpy(&v[i], &b, sizeof b);
	}
	bench("random bit patterns", v);
	return 0;
}
