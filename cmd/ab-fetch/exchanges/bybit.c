/* bybit.c: Bybit (api.bybit.com), REST API v5, category spot. */
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

static const char *const bybit_tfs[] = {"1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h",
	"1d", "1w", "1M", NULL};
static const char *const bybit_xtfs[] = {"1", "3", "5", "15", "30", "60", "120", "240", "360", "720",
	"D", "W", "M", NULL};

static void
bybit_symbol(struct xq *q)
{
	snprintf(q->id, sizeof q->id, "%s%s", q->base, q->quote);
}

/* start and end (inclusive) in ms; rows come newest first, so a window
 * must hold no more than `limit` candles or its oldest would be cut. */
static void
bybit_candles_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/v5/market/kline?category=spot&symbol=%s&interval=%s&start=%lld&end=%lld&limit=%d",
		  q->id, q->xtf, (long long)q->start, (long long)q->end - 1, q->limit);
}

static void
bybit_ticker_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/v5/market/tickers?category=spot&symbol=%s", q->id);
}

static void
bybit_book_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/v5/market/orderbook?category=spot&symbol=%s&limit=%d", q->id,
		  q->limit > 200 ? 200 : q->limit);
}

/* recent-trade has no history and no paging: spot gives the last 60. */
static void
bybit_trades_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/v5/market/recent-trade?category=spot&symbol=%s&limit=%d", q->id,
		  q->limit > 60 ? 60 : q->limit);
}

static void
bybit_markets_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/v5/market/instruments-info?category=spot&limit=1000");
	if (q->cursor) {
		char *c = ab_http_url_escape(q->cursor);
		sb_printf(b, "&cursor=%s", c);
		free(c);
	}
}

/* {"retCode":10001,"retMsg":"Not supported symbols",...} with status 200;
 * 10006 is "Too many visits!", per-UID rate limiting. */
static int
bybit_error(const struct jdoc *d, long status, char *msg, size_t n)
{
	double code = -1;
	char text[160] = "";

	j_num(d, j_get(d, 0, "retCode"), &code);
	j_str(d, j_get(d, 0, "retMsg"), text, sizeof text);
	if (status < 400 && code == 0)
		return X_OK;
	if (code >= 0)
		x_msg(msg, n, "%.0f %s", code, text);
	if (code == 10001 && strstr(text, "symbol"))
		return X_SYMBOL;
	if (code == 10006 || code == 10018)
		return X_RETRY;
	return X_FAIL;
}

static int
bybit_list(const struct jdoc *d, struct xres *r)
{
	int list = j_get(d, j_get(d, 0, "result"), "list");

	return j_type(d, list) == J_ARR ? list : x_bad(r, "no result.list array");
}

/* [start, o, h, l, c, volume, turnover], strings, newest first. */
static int
bybit_candles(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	static const int idx[6] = {0, 1, 2, 3, 4, 5};
	int rows = bybit_list(d, r);

	(void)q;
	if (rows < 0)
		return -1;
	for (int row = j_first(d, rows); row >= 0; row = j_next(d, rows, row))
		if (x_candle_row(d, row, 1, idx, r))
			return -1;
	return 0;
}

static int
bybit_ticker(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	struct xticker *t = &r->ticker;
	int list = bybit_list(d, r), p = j_at(d, list, 0);

	(void)q;
	if (p < 0)
		return list < 0 ? -1 : x_bad(r, "tickers: empty list");
	if (j_time(d, j_get(d, 0, "time"), 1, &t->ts))
		t->ts = -1;
	t->bid = x_num(d, j_get(d, p, "bid1Price"));
	t->ask = x_num(d, j_get(d, p, "ask1Price"));
	t->last = x_num(d, j_get(d, p, "lastPrice"));
	t->high = x_num(d, j_get(d, p, "highPrice24h"));
	t->low = x_num(d, j_get(d, p, "lowPrice24h"));
	t->open = x_num(d, j_get(d, p, "prevPrice24h"));
	t->base_volume = x_num(d, j_get(d, p, "volume24h"));
	t->quote_volume = x_num(d, j_get(d, p, "turnover24h"));
	return 0;
}

static int
bybit_book(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	int res = j_get(d, 0, "result");

	(void)q;
	if (j_time(d, j_get(d, res, "ts"), 1, &r->ts))
		r->ts = -1;
	return x_levels(d, j_get(d, res, "b"), r, 0) || x_levels(d, j_get(d, res, "a"), r, 1);
}

static int
bybit_trades(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	int rows = bybit_list(d, r);

	(void)q;
	if (rows < 0)
		return -1;
	for (int c = j_first(d, rows); c >= 0; c = j_next(d, rows, c)) {
		struct xtrade *t = x_push_trade(r);
		if (j_str(d, j_get(d, c, "execId"), t->id, sizeof t->id)
		    || j_time(d, j_get(d, c, "time"), 1, &t->ts)
		    || j_num(d, j_get(d, c, "price"), &t->price)
		    || j_num(d, j_get(d, c, "size"), &t->amount))
			return x_bad(r, "trade %zu lacks execId, time, price or size", r->ntrades);
		int side = j_get(d, c, "side");
		if (j_streq(d, side, "Buy"))
			strcpy(t->side, "buy");
		else if (j_streq(d, side, "Sell"))
			strcpy(t->side, "sell");
	}
	return 0;
}

static int
bybit_markets(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	int rows = bybit_list(d, r);

	(void)q;
	if (rows < 0)
		return -1;
	for (int p = j_first(d, rows); p >= 0; p = j_next(d, rows, p)) {
		struct xmarket *m = x_push_market(r);
		int lot = j_get(d, p, "lotSizeFilter");
		if (j_str(d, j_get(d, p, "symbol"), m->id, sizeof m->id)
		    || j_str(d, j_get(d, p, "baseCoin"), m->base, sizeof m->base)
		    || j_str(d, j_get(d, p, "quoteCoin"), m->quote, sizeof m->quote)
		    || x_market_symbol(m)) {
			r->nmarkets--;
			continue;
		}
		m->active = j_streq(d, j_get(d, p, "status"), "Trading");
		m->tick_size = x_num(d, j_get(d, j_get(d, p, "priceFilter"), "tickSize"));
		m->lot_size = x_num(d, j_get(d, lot, "basePrecision"));
		m->min_qty = x_num(d, j_get(d, lot, "minOrderQty"));
		m->min_notional = x_num(d, j_get(d, lot, "minOrderAmt"));
	}
	j_str(d, j_get(d, j_get(d, 0, "result"), "nextPageCursor"), r->cursor, sizeof r->cursor);
	return 0;
}

/* 600 requests in 5 s per IP; a 403 means stop for ten minutes. */
const struct exchange x_bybit = {
	.name = "bybit",
	.url = "https://api.bybit.com",
	.doc = "Bybit, REST API v5, spot",
	.rate = 20, .burst = 40,
	.candle_limit = 1000,
	.paging = PAGE_WINDOW,
	.trade_paging = TRADES_RECENT,
	.trade_limit = 60,
	.tfs = bybit_tfs, .xtfs = bybit_xtfs,
	.symbol_id = bybit_symbol,
	.candles_path = bybit_candles_path,
	.ticker_path = bybit_ticker_path,
	.book_path = bybit_book_path,
	.trades_path = bybit_trades_path,
	.markets_path = bybit_markets_path,
	.error = bybit_error,
	.candles = bybit_candles,
	.ticker = bybit_ticker,
	.book = bybit_book,
	.trades = bybit_trades,
	.markets = bybit_markets,
};
