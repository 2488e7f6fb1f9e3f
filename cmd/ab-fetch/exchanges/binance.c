/* binance.c: Binance spot (api.binance.com, REST API v3). */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candle.h"
#include "err.h"
#include "http.h"
#include "../exchange.h"
#include "numfmt.h"
#include "timefmt.h"

static const char *const binance_tfs[] = {"1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h",
	"8h", "12h", "1d", "3d", "1w", "1M", NULL};

static void
binance_symbol(struct xq *q)
{
	snprintf(q->id, sizeof q->id, "%s%s", q->base, q->quote);
}

/* startTime gives the oldest rows at or after it; endTime is inclusive. */
static void
binance_candles_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/api/v3/klines?symbol=%s&interval=%s&startTime=%lld&endTime=%lld&limit=%d",
		  q->id, q->xtf, (long long)q->start, (long long)q->end - 1, q->limit);
}

static void
binance_ticker_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/api/v3/ticker/24hr?symbol=%s", q->id);
}

/* Depth takes only some limits (weight grows with them): ask the smallest
 * one that covers the request. */
static void
binance_book_path(struct sbuf *b, const struct xq *q)
{
	static const int ok[] = {5, 10, 20, 50, 100, 500, 1000, 5000};
	int n = 5000;

	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (ok[i] >= q->limit) {
			n = ok[i];
			break;
		}
	sb_printf(b, "/api/v3/depth?symbol=%s&limit=%d", q->id, n);
}

/* Aggregate trades (ccxt's default for Binance spot: weight 4, not 25, and
 * they page): the most recent ones; from --since a window of startTime and
 * endTime, both inclusive and less than an hour apart; then fromId, the
 * first aggregate ID wanted (inclusive), the two never combined. */
static void
binance_trades_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/api/v3/aggTrades?symbol=%s&limit=%d", q->id, q->limit > 1000 ? 1000 : q->limit);
	if (q->cursor)
		sb_printf(b, "&fromId=%s", q->cursor);
	else if (q->since >= 0)
		sb_printf(b, "&startTime=%lld&endTime=%lld", (long long)q->start, (long long)q->end - 1);
}

static void
binance_markets_path(struct sbuf *b, const struct xq *q)
{
	(void)q;
	sb_printf(b, "/api/v3/exchangeInfo");
}

/* Errors are {"code":-1121,"msg":"Invalid symbol."} with a 4xx status; the
 * same object with a 200 (as ccxt allows for) is an error too. */
static int
binance_error(const struct jdoc *d, long status, char *msg, size_t n)
{
	double code = 0;
	char text[160] = "";

	if (status < 400 && (j_type(d, 0) != J_OBJ || j_type(d, j_get(d, 0, "msg")) != J_STR
			     || j_num(d, j_get(d, 0, "code"), &code) || code == 0))
		return X_OK;
	j_num(d, j_get(d, 0, "code"), &code);
	j_str(d, j_get(d, 0, "msg"), text, sizeof text);
	if (text[0])
		x_msg(msg, n, "%.0f %s", code, text);
	if (code == -1121 || code == -1100)
		return X_SYMBOL;
	return X_FAIL;
}

static int
binance_candles(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	static const int idx[6] = {0, 1, 2, 3, 4, 5};

	(void)q;
	if (j_type(d, 0) != J_ARR)
		return x_bad(r, "klines: not an array");
	for (int row = j_first(d, 0); row >= 0; row = j_next(d, 0, row))
		if (x_candle_row(d, row, 1, idx, r))
			return -1;
	return 0;
}

static int
binance_ticker(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	struct xticker *t = &r->ticker;

	(void)q;
	if (j_time(d, j_get(d, 0, "closeTime"), 1, &t->ts))
		return x_bad(r, "ticker: no closeTime");
	t->bid = x_num(d, j_get(d, 0, "bidPrice"));
	t->ask = x_num(d, j_get(d, 0, "askPrice"));
	t->last = x_num(d, j_get(d, 0, "lastPrice"));
	t->high = x_num(d, j_get(d, 0, "highPrice"));
	t->low = x_num(d, j_get(d, 0, "lowPrice"));
	t->open = x_num(d, j_get(d, 0, "openPrice"));
	t->base_volume = x_num(d, j_get(d, 0, "volume"));
	t->quote_volume = x_num(d, j_get(d, 0, "quoteVolume"));
	return 0;
}

static int
binance_book(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	(void)q;
	r->ts = -1;
	return x_levels(d, j_get(d, 0, "bids"), r, 0) || x_levels(d, j_get(d, 0, "asks"), r, 1);
}

/* {a: aggregate ID, p, q, f, l: first and last trade IDs, T: ms,
 * m: the buyer made the book, M}; the cursor is the next ID after them. */
static int
binance_trades(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	long long next = -1;

	(void)q;
	if (j_type(d, 0) != J_ARR)
		return x_bad(r, "aggTrades: not an array");
	for (int c = j_first(d, 0); c >= 0; c = j_next(d, 0, c)) {
		struct xtrade *t = x_push_trade(r);
		int maker = j_get(d, c, "m");
		char *end;
		if (j_type(d, j_get(d, c, "a")) != J_NUM
		    || j_str(d, j_get(d, c, "a"), t->id, sizeof t->id)
		    || j_time(d, j_get(d, c, "T"), 1, &t->ts)
		    || j_num(d, j_get(d, c, "p"), &t->price)
		    || j_num(d, j_get(d, c, "q"), &t->amount))
			return x_bad(r, "aggregate trade %zu lacks a, T, p or q", r->ntrades);
		long long a = strtoll(t->id, &end, 10);
		if (*end || a < 0 || a == LLONG_MAX)
			return x_bad(r, "aggregate trade %zu: \"a\" is not an ID", r->ntrades);
		if (a + 1 > next)
			next = a + 1;
		/* The buyer made the book: the taker sold. */
		if (j_type(d, maker) == J_TRUE || j_type(d, maker) == J_FALSE)
			strcpy(t->side, j_type(d, maker) == J_TRUE ? "sell" : "buy");
	}
	if (next >= 0)
		snprintf(r->cursor, sizeof r->cursor, "%lld", next);
	return 0;
}

static int
binance_markets(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	int syms = j_get(d, 0, "symbols");

	(void)q;
	if (j_type(d, syms) != J_ARR)
		return x_bad(r, "exchangeInfo: no symbols array");
	for (int s = j_first(d, syms); s >= 0; s = j_next(d, syms, s)) {
		struct xmarket *m = x_push_market(r);
		int filters = j_get(d, s, "filters");
		if (j_str(d, j_get(d, s, "symbol"), m->id, sizeof m->id)
		    || j_str(d, j_get(d, s, "baseAsset"), m->base, sizeof m->base)
		    || j_str(d, j_get(d, s, "quoteAsset"), m->quote, sizeof m->quote)) {
			r->nmarkets--;
			continue;
		}
		m->active = j_streq(d, j_get(d, s, "status"), "TRADING");
		m->tick_size = m->lot_size = m->min_qty = m->min_notional = NAN;
		for (int f = j_first(d, filters); f >= 0; f = j_next(d, filters, f)) {
			int type = j_get(d, f, "filterType");
			if (j_streq(d, type, "PRICE_FILTER")) {
				m->tick_size = x_num(d, j_get(d, f, "tickSize"));
			} else if (j_streq(d, type, "LOT_SIZE")) {
				m->lot_size = x_num(d, j_get(d, f, "stepSize"));
				m->min_qty = x_num(d, j_get(d, f, "minQty"));
			} else if (j_streq(d, type, "NOTIONAL") || j_streq(d, type, "MIN_NOTIONAL")) {
				m->min_notional = x_num(d, j_get(d, f, "minNotional"));
			}
		}
		if (x_market_symbol(m))
			r->nmarkets--;
	}
	return 0;
}

/* REQUEST_WEIGHT is 6000 a minute per IP; klines weigh 2, aggTrades 4.
 * Keep to a third, leaving room for other programs on the same address;
 * X-MBX-USED-WEIGHT-1M says what the whole address has used. */
const struct exchange x_binance = {
	.name = "binance",
	.url = "https://api.binance.com",
	.doc = "Binance spot, REST API v3",
	.rate = 16, .burst = 40,
	.candle_limit = 1000,
	.paging = PAGE_FORWARD,
	.trade_paging = TRADES_FORWARD,
	.trade_limit = 1000,
	.trade_window = 3600000,
	.weight_header = "X-MBX-USED-WEIGHT-1M",
	.weight_limit = 6000,
	.weight_window = 60000,
	.tfs = binance_tfs, .xtfs = binance_tfs,
	.symbol_id = binance_symbol,
	.candles_path = binance_candles_path,
	.ticker_path = binance_ticker_path,
	.book_path = binance_book_path,
	.trades_path = binance_trades_path,
	.markets_path = binance_markets_path,
	.error = binance_error,
	.candles = binance_candles,
	.ticker = binance_ticker,
	.book = binance_book,
	.trades = binance_trades,
	.markets = binance_markets,
};
