/* test-sweep-fastpaths: the faster loops ab-order optimize reads and computes
 * with give exactly what the general code gives: ab_ind_series_close against
 * ab_ind_update, ab_candle_parse_line against ab_jrec_parse +
 * ab_candle_from_jrec. */
#include <stdint.h>
#include <stdlib.h>

#include "candle.h"
#include "indicators.h"
#include "jsonl.h"
#include "tap.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double
unit(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (double)((rng * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

static void
test_sma(void)
{
	enum { N = 5000 };
	static double close[N], fast[N], slow[N];
	static const int periods[] = {1, 2, 3, 10, 199, 1200, N, N + 7};

	for (int i = 0; i < N; i++)
		close[i] = 40000 * (1 + (unit() - 0.5) * 0.1) + (i % 7) * 0.01;
	for (size_t k = 0; k < sizeof periods / sizeof *periods; k++) {
		struct ab_ind ind;
		memset(&ind, 0, sizeof ind);
		ind.kind = AB_IND_SMA;
		ind.p[0] = periods[k];
		ind.nout = 1;
		void *st = calloc(1, ab_ind_state_size(&ind) + 16);
		ab_ind_state_init(&ind, st);
		for (long r = 0; r < N; r++) {
			struct ab_bar b = {close[r], close[r], close[r], close[r], 1, r};
			ab_ind_update(&ind, st, &b, r, &slow[r]);
		}
		free(st);
		ok(ab_ind_series_close(&ind, close, N, fast) == 0, "sma %d: computed as a series", periods[k]);
		long bad = -1;
		for (long r = 0; r < N && bad < 0; r++)
			if (!(same_bits(fast[r], slow[r]) || (isnan(fast[r]) && isnan(slow[r]))))
				bad = r;
		ok(bad < 0, "sma %d: every row bit for bit as ab_ind_update (first difference: row %ld)",
		   periods[k], bad);
	}
	struct ab_ind ema;
	memset(&ema, 0, sizeof ema);
	ema.kind = AB_IND_EMA;
	ema.p[0] = 10;
	ok(ab_ind_series_close(&ema, close, N, fast) == -1, "ema: left to ab_ind_update");
}

static int
same_candle(const struct ab_candle *a, const struct ab_candle *b)
{
	return a->exchange_len == b->exchange_len && memcmp(a->exchange, b->exchange, a->exchange_len) == 0 &&
	       a->symbol_len == b->symbol_len && memcmp(a->symbol, b->symbol, a->symbol_len) == 0 &&
	       a->tf_len == b->tf_len && memcmp(a->tf, b->tf, a->tf_len) == 0 && a->ts == b->ts &&
	       same_bits(a->open, b->open) && same_bits(a->high, b->high) && same_bits(a->low, b->low) &&
	       same_bits(a->close, b->close) && same_bits(a->volume, b->volume);
}

static void
test_candle(void)
{
	static const struct {
		const char *line;
		int fast; /* 0: the fast path takes it, -1: it leaves it to the general one */
	} cases[] = {
		{"{\"type\":\"candle\",\"exchange\":\"binance\",\"symbol\":\"BTC/USDT\",\"tf\":\"1h\","
		 "\"ts\":\"2024-01-01T00:00:00Z\",\"open\":42283.58,\"high\":42554.57,\"low\":42261.02,"
		 "\"close\":42475.23,\"volume\":1271.68108}", 0},
		{"{\"type\":\"candle\",\"exchange\":\"x\",\"symbol\":\"A/B\",\"tf\":\"1d\","
		 "\"ts\":\"2024-02-29T00:00:00.123Z\",\"open\":1e-7,\"high\":0.1000000000000000055511151231257827,"
		 "\"low\":0,\"close\":0.05,\"volume\":0}", 0},
		/* spaces, another order, an escape, a number ts, a broken candle: general path */
		{"{\"type\": \"candle\",\"exchange\":\"x\",\"symbol\":\"A/B\",\"tf\":\"1d\","
		 "\"ts\":\"2024-01-01T00:00:00Z\",\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"volume\":0}", -1},
		{"{\"exchange\":\"x\",\"type\":\"candle\",\"symbol\":\"A/B\",\"tf\":\"1d\","
		 "\"ts\":\"2024-01-01T00:00:00Z\",\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"volume\":0}", -1},
		{"{\"type\":\"candle\",\"exchange\":\"x\\u0041\",\"symbol\":\"A/B\",\"tf\":\"1d\","
		 "\"ts\":\"2024-01-01T00:00:00Z\",\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"volume\":0}", -1},
		{"{\"type\":\"candle\",\"exchange\":\"x\",\"symbol\":\"A/B\",\"tf\":\"1d\","
		 "\"ts\":1704067200000,\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"volume\":0}", -1},
		{"{\"type\":\"candle\",\"exchange\":\"x\",\"symbol\":\"A/B\",\"tf\":\"1d\","
		 "\"ts\":\"2024-01-01T00:00:00Z\",\"open\":1,\"high\":1,\"low\":2,\"close\":1,\"volume\":0}", -1},
		{"{\"type\":\"candle\",\"exchange\":\"x\",\"symbol\":\"A/B\",\"tf\":\"1d\","
		 "\"ts\":\"2024-01-01T00:00:00Z\",\"open\":01,\"high\":1,\"low\":1,\"close\":1,\"volume\":0}", -1},
		{"{\"type\":\"candle\",\"exchange\":\"x\",\"symbol\":\"A/B\",\"tf\":\"1d\","
		 "\"ts\":\"2024-01-01T00:00:00Z\",\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"volume\":0,\"n\":1}", -1},
		{"{\"type\":\"candle\",\"exchange\":\"x\",\"symbol\":\"A/B\",\"tf\":\"1d\","
		 "\"ts\":\"2024-01-01T00:00:00Z\",\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"volume\":0} ", -1},
	};
	struct ab_jrec rec;
	char msg[256];

	ab_jrec_init(&rec);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct ab_candle f, g;
		size_t len = strlen(cases[i].line);
		int r = ab_candle_parse_line(cases[i].line, len, &f);
		is_int(r, cases[i].fast, "case %zu: the fast path %s", i, cases[i].fast ? "declines" : "reads it");
		if (r == 0) {
			int gr = ab_jrec_parse(&rec, cases[i].line, len) == 0 ? ab_candle_from_jrec(&rec, &g, msg, sizeof msg) : -2;
			ok(gr == 0 && same_candle(&f, &g), "case %zu: the same candle as the general path", i);
		}
	}
	ab_jrec_free(&rec);
}

int
main(void)
{
	test_sma();
	test_candle();
	return tap_done();
}
