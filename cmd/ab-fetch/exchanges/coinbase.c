/* coinbase.c: Coinbase Exchange (api.exchange.coinbase.com), public REST. */
#include <ctype.h>
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

static const char *const coinbase_tfs[] = {"1m", "5m", "15m", "1h", "6h", "1d", NULL};
static const char *const coinbase_xtfs[] = {"60", "300", "900", "3600", "21600", "86400", NULL};

static void
coinbase_symbol(struct xq *q)
{
	snprintf(q->id, sizeof q->id, "%s-%s", q->base, q->quote);
}

/* A range over 300 candles is rejected; end is inclusive. */
static void
coinbase_candles_path(struct sbuf *b, const struct xq *q)
{
	char s[AB_TIME_MAX], e[AB_TIME_MAX];

	ab_time_format(q->start, s);
	ab_time_format(q->end - 1, e);
	sb_printf(b, "/products/%s/candles?granularity=%s&start=%s&end=%s", q->id, q->xtf, s, e);
}

static void
coinbase_ticker_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/products/%s/ticker", q->id);
}

static void
coinbase_book_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/products/%s/book?level=2", q->id);
}

/* Newest first, and no time parameter: pages go back with `after`, the
 * CB-AFTER header of the page before (the oldest trade ID on it). */
static void
coinbase_trades_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/products/%s/trades?limit=%d", q->id, q->limit > 1000 ? 1000 : q->limit);
	if (q->cursor)
		sb_printf(b, "&after=%s", q->cursor);
}

static void
coinbase_markets_path(struct sbuf *b, const struct xq *q)
{
	(void)q;
	sb_printf(b, "/products");
}

/* Errors are {"message":"NotFound"}; an unknown product is a 404. The same
 * object with a 200 is an error too. */
static int
coinbase_error(const struct jdoc *d, long status, char *msg, size_t n)
{
	char text[160] = "";

	if (status < 400 && (j_type(d, 0) != J_OBJ || j_type(d, j_get(d, 0, "message")) != J_STR))
		return X_OK;
	if (!j_str(d, j_get(d, 0, "message"), text, sizeof text))
		x_msg(msg, n, "%s", text);
	if (status == 404 || strstr(text, "product_id") || strstr(text, "Invalid product"))
		return X_SYMBOL;
	return X_FAIL;
}

static int
coinbase_time(const struct jdoc *d, int i, int64_t *ms)
{
	char buf[64];

	return j_str(d, i, buf, sizeof buf) || ab_time_parse_str(buf, ms) ? -1 : 0;
}

/* Rows are [time, low, high, open, close, volume], newest first, seconds. */
static int
coinbase_candles(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	static const int idx[6] = {0, 3, 2, 1, 4, 5};

	(void)q;
	if (j_type(d, 0) != J_ARR)
		return x_bad(r, "candles: not an array");
	for (int row = j_first(d, 0); row >= 0; row = j_next(d, 0, row))
		if (x_candle_row(d, row, 1000, idx, r))
			return -1;
	return 0;
}

static int
coinbase_ticker(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	struct xticker *t = &r->ticker;

	(void)q;
	if (coinbase_time(d, j_get(d, 0, "time"), &t->ts))
		return x_bad(r, "ticker: no time");
	t->bid = x_num(d, j_get(d, 0, "bid"));
	t->ask = x_num(d, j_get(d, 0, "ask"));
	t->last = x_num(d, j_get(d, 0, "price"));
	t->base_volume = x_num(d, j_get(d, 0, "volume"));
	return 0;
}

static int
coinbase_book(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	(void)q;
	if (coinbase_time(d, j_get(d, 0, "time"), &r->ts))
		r->ts = -1;
	return x_levels(d, j_get(d, 0, "bids"), r, 0) || x_levels(d, j_get(d, 0, "asks"), r, 1);
}

static int
coinbase_trades(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	(void)q;
	if (j_type(d, 0) != J_ARR)
		return x_bad(r, "trades: not an array");
	for (int c = j_first(d, 0); c >= 0; c = j_next(d, 0, c)) {
		struct xtrade *t = x_push_trade(r);
		if (j_str(d, j_get(d, c, "trade_id"), t->id, sizeof t->id)
		    || coinbase_time(d, j_get(d, c, "time"), &t->ts)
		    || j_num(d, j_get(d, c, "price"), &t->price)
		    || j_num(d, j_get(d, c, "size"), &t->amount))
			return x_bad(r, "trade %zu lacks trade_id, time, price or size", r->ntrades);
		/* `side` is the maker's order; the taker did the opposite. */
		int side = j_get(d, c, "side");
		if (j_streq(d, side, "buy"))
			strcpy(t->side, "sell");
		else if (j_streq(d, side, "sell"))
			strcpy(t->side, "buy");
	}
	return 0;
}

static int
coinbase_markets(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	(void)q;
	if (j_type(d, 0) != J_ARR)
		return x_bad(r, "products: not an array");
	for (int p = j_first(d, 0); p >= 0; p = j_next(d, 0, p)) {
		struct xmarket *m = x_push_market(r);
		if (j_str(d, j_get(d, p, "id"), m->id, sizeof m->id)
		    || j_str(d, j_get(d, p, "base_currency"), m->base, sizeof m->base)
		    || j_str(d, j_get(d, p, "quote_currency"), m->quote, sizeof m->quote)
		    || x_market_symbol(m)) {
			r->nmarkets--;
			continue;
		}
		m->active = j_streq(d, j_get(d, p, "status"), "online")
			&& j_type(d, j_get(d, p, "trading_disabled")) != J_TRUE;
		m->tick_size = x_num(d, j_get(d, p, "quote_increment"));
		m->lot_size = x_num(d, j_get(d, p, "base_increment"));
		m->min_qty = x_num(d, j_get(d, p, "base_min_size"));
		m->min_notional = x_num(d, j_get(d, p, "min_market_funds"));
	}
	return 0;
}

/* Public endpoints: 10 requests/s per IP, bursts of 15. */
const struct exchange x_coinbase = {
	.name = "coinbase",
	.url = "https://api.exchange.coinbase.com",
	.doc = "Coinbase Exchange, public REST API",
	.rate = 6, .burst = 10,
	.candle_limit = 300,
	.paging = PAGE_WINDOW,
	.trade_paging = TRADES_BACKWARD,
	.trade_limit = 1000,
	.cursor_header = "CB-AFTER",
	.tfs = coinbase_tfs, .xtfs = coinbase_xtfs,
	.symbol_id = coinbase_symbol,
	.candles_path = coinbase_candles_path,
	.ticker_path = coinbase_ticker_path,
	.book_path = coinbase_book_path,
	.trades_path = coinbase_trades_path,
	.markets_path = coinbase_markets_path,
	.error = coinbase_error,
	.candles = coinbase_candles,
	.ticker = coinbase_ticker,
	.book = coinbase_book,
	.trades = coinbase_trades,
	.markets = coinbase_markets,
};
