/* fuzz-candle: candle records (lib/candle.c) as every filter reads them:
 * a JSON line to struct ab_candle, the soundness check, the record written
 * back, and the upsert into an in-memory database. Checks: no crash; a
 * candle that parsed and passed its check writes a record that parses back
 * to the same candle and stores without error. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "candle.h"
#include "db.h"
#include "err.h"

static int
same(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ab_jrec rec, again;
	static struct ab_out out;
	static struct ab_db *db;
	static struct ab_candle_store store;
	static int init;
	struct ab_candle c, d;
	char msg[256], *line;

	if (!init) {
		ab_jrec_init(&rec);
		ab_jrec_init(&again);
		ab_out_init(&out, -1, "fuzz");
		if (ab_db_open(":memory:", &db) || ab_candle_store_open(&store, db))
			abort();
		init = 1;
	}
	line = malloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\0';
	if (ab_jrec_parse(&rec, line, size) == 0 &&
	    ab_candle_from_jrec(&rec, &c, msg, sizeof msg) == 0 &&
	    !ab_candle_check(&c, msg, sizeof msg)) {
		out.len = 0;
		ab_candle_out(&out, &c);
		if (ab_jrec_parse(&again, out.buf, out.len - 1) != 0 ||
		    ab_candle_from_jrec(&again, &d, msg, sizeof msg) != 0)
			abort();
		if (d.ts != c.ts || !same(d.open, c.open) || !same(d.high, c.high) ||
		    !same(d.low, c.low) || !same(d.close, c.close) || !same(d.volume, c.volume) ||
		    d.symbol_len != c.symbol_len || memcmp(d.symbol, c.symbol, c.symbol_len))
			abort();
		if (ab_candle_store_put(&store, &c))
			abort();
		out.len = 0;
	}
	free(line);
	return 0;
}
