/* fuzz-exchanges: ab-fetch's JSON document parser and every exchange's
 * response parsers (error, candles, ticker, book, trades, markets) on
 * arbitrary bodies. The first byte picks the exchange and the parser; the
 * rest is the body. Checks: no crash; a parsed document's tape is well
 * formed (every subtree ends inside the tape, after its node); decoded
 * strings fit their buffer; a parser either succeeds or leaves a reason. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/ab-fetch/json.c"
#include "../../cmd/ab-fetch/exchanges.c"
#include "../../cmd/ab-fetch/exchanges/binance.c"
#include "../../cmd/ab-fetch/exchanges/bitstamp.c"
#include "../../cmd/ab-fetch/exchanges/bybit.c"
#include "../../cmd/ab-fetch/exchanges/coinbase.c"
#include "../../cmd/ab-fetch/exchanges/kraken.c"
#include "../../cmd/ab-fetch/exchanges/okx.c"

static void
check_tape(const struct jdoc *d)
{
	char buf[64];
	double v;
	int64_t ms;

	for (int i = 0; i < d->n; i++) {
		if (d->t[i].end <= i || d->t[i].end > d->n)
			abort();
		if (j_str(d, i, buf, sizeof buf) == 0 && strlen(buf) >= sizeof buf)
			abort();
		j_num(d, i, &v);
		j_time(d, i, 1000, &ms);
		j_len(d, i);
		for (int c = j_first(d, i); c >= 0; c = j_next(d, i, c))
			if (c <= i || c >= d->t[i].end)
				abort();
	}
	j_get(d, 0, "result");
	j_at(d, 0, 3);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jdoc d;
	struct xres r;
	struct xq q;
	const struct exchange *x;
	char msg[256];
	int which, rc;

	if (size < 1)
		return 0;
	x = x_all[data[0] % 6];
	which = (data[0] / 6) % 6;
	data++, size--;
	/* A copy of exactly size bytes, so reading past the end is caught. */
	char *body = malloc(size ? size : 1);
	memcpy(body, data, size);

	memset(&q, 0, sizeof q);
	q.symbol = "BTC/USDT";
	snprintf(q.base, sizeof q.base, "BTC");
	snprintf(q.quote, sizeof q.quote, "USDT");
	x->symbol_id(&q);
	q.tf = "1h";
	q.xtf = x_tf(x, "1h");
	q.tf_ms = 3600000;
	q.start = 1700000000000LL;
	q.end = 1700000000000LL + 1000LL * 3600000;
	q.since = -1;
	q.now = 1800000000000LL;
	q.limit = x->candle_limit;

	memset(&r, 0, sizeof r);
	r.ts = -1;
	if (jdoc_parse(&d, body, size) != 0) {
		if (!d.err[0])
			abort();
		d.n = 0;
		msg[0] = '\0';
		x->error(&d, 200, msg, sizeof msg);
		goto out;
	}
	check_tape(&d);
	msg[0] = '\0';
	rc = x->error(&d, which == 0 ? 400 : 200, msg, sizeof msg);
	if (rc < X_OK || rc > X_FAIL || strlen(msg) >= sizeof msg)
		abort();
	switch (which) {
	case 0: rc = x->candles(&d, &q, &r); break;
	case 1: rc = x->candles(&d, &q, &r); break;
	case 2: rc = x->ticker(&d, &q, &r); break;
	case 3: rc = x->book(&d, &q, &r); break;
	case 4: rc = x->trades(&d, &q, &r); break;
	default: rc = x->markets(&d, &q, &r); break;
	}
	if (rc != 0 && !r.err[0])
		abort();
	if (strlen(r.cursor) >= sizeof r.cursor)
		abort();
	for (size_t i = 0; i < r.nmarkets; i++)
		if (strlen(r.markets[i].symbol) >= sizeof r.markets[i].symbol)
			abort();
out:
	free(r.candles);
	free(r.trades);
	free(r.markets);
	free(r.bids);
	free(r.asks);
	free(body);
	return 0;
}
