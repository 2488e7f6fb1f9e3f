/* okx.c: OKX (www.okx.com), REST API v5, public market data, spot. */
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

static const char *const okx_tfs[] = {"1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h",
	"1d", "3d", "1w", "1M", NULL};
/* From 6h up the plain names are Hong Kong time; the utc ones are UTC. */
static const char *const okx_xtfs[] = {"1m", "3m", "5m", "15m", "30m", "1H", "2H", "4H", "6Hutc",
	"12Hutc", "1Dutc", "3Dutc", "1Wutc", "1Mutc", NULL};

static void
okx_symbol(struct xq *q)
{
	snprintf(q->id, sizeof q->id, "%s-%s", q->base, q->quote);
}

/* Newest first; `after` gives rows older than it, `before` newer, both
 * exclusive. /market/candles keeps only the last 1440 rows, older ones are
 * at /market/history-candles; both take up to 100 rows here. */
static void
okx_candles_path(struct sbuf *b, const struct xq *q)
{
	int64_t recent = q->tf_ms > 0 ? q->now - 1400 * q->tf_ms : q->now;
	const char *ep = q->start < recent ? "history-candles" : "candles";

	sb_printf(b, "/api/v5/market/%s?instId=%s&bar=%s&before=%lld&after=%lld&limit=%d", ep, q->id,
		  q->xtf, (long long)q->start - 1, (long long)q->end, q->limit);
}

static void
okx_ticker_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/api/v5/market/ticker?instId=%s", q->id);
}

static void
okx_book_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/api/v5/market/books?instId=%s&sz=%d", q->id, q->limit > 400 ? 400 : q->limit);
}

/* history-trades: the last three months, newest first, 100 a page. `after`
 * asks for trades older than a trade ID (type=1) or a time in ms (type=2),
 * exclusive; without it, the newest. */
static void
okx_trades_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/api/v5/market/history-trades?instId=%s&limit=%d", q->id,
		  q->limit > 100 ? 100 : q->limit);
	if (q->cursor)
		sb_printf(b, "&type=1&after=%s", q->cursor);
	else if (q->end > 0)
		sb_printf(b, "&type=2&after=%lld", (long long)q->end);
}

static void
okx_markets_path(struct sbuf *b, const struct xq *q)
{
	(void)q;
	sb_printf(b, "/api/v5/public/instruments?instType=SPOT");
}

/* {"code":"51001","msg":"Instrument ID does not exist","data":[]}, often
 * with status 200; "0" is success. */
static int
okx_error(const struct jdoc *d, long status, char *msg, size_t n)
{
	char code[16] = "", text[160] = "";

	j_str(d, j_get(d, 0, "code"), code, sizeof code);
	j_str(d, j_get(d, 0, "msg"), text, sizeof text);
	if (status < 400 && strcmp(code, "0") == 0)
		return X_OK;
	if (code[0])
		x_msg(msg, n, "%s %s", code, text);
	if (strcmp(code, "51001") == 0 || strcmp(code, "51000") == 0)
		return X_SYMBOL;
	if (strcmp(code, "50011") == 0 || strcmp(code, "50001") == 0 || strcmp(code, "50004") == 0)
		return X_RETRY;
	return X_FAIL;
}

static int
okx_data0(const struct jdoc *d, struct xres *r)
{
	int row = j_at(d, j_get(d, 0, "data"), 0);

	return row >= 0 ? row : x_bad(r, "empty data");
}

/* [ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]; confirm "0" is open. */
static int
okx_candles(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	static const int idx[6] = {0, 1, 2, 3, 4, 5};
	int rows = j_get(d, 0, "data");

	(void)q;
	if (j_type(d, rows) != J_ARR)
		return x_bad(r, "candles: no data array");
	for (int row = j_first(d, rows); row >= 0; row = j_next(d, rows, row)) {
		if (x_candle_row(d, row, 1, idx, r))
			return -1;
		r->candles[r->ncandles - 1].open_flag = j_streq(d, j_at(d, row, 8), "0");
	}
	return 0;
}

static int
okx_ticker(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	struct xticker *t = &r->ticker;
	int p = okx_data0(d, r);

	(void)q;
	if (p < 0)
		return -1;
	if (j_time(d, j_get(d, p, "ts"), 1, &t->ts))
		return x_bad(r, "ticker: no ts");
	t->bid = x_num(d, j_get(d, p, "bidPx"));
	t->ask = x_num(d, j_get(d, p, "askPx"));
	t->last = x_num(d, j_get(d, p, "last"));
	t->high = x_num(d, j_get(d, p, "high24h"));
	t->low = x_num(d, j_get(d, p, "low24h"));
	t->open = x_num(d, j_get(d, p, "open24h"));
	/* For spot, vol24h is in the base currency and volCcy24h in the quote. */
	t->base_volume = x_num(d, j_get(d, p, "vol24h"));
	t->quote_volume = x_num(d, j_get(d, p, "volCcy24h"));
	return 0;
}

static int
okx_book(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	int p = okx_data0(d, r);

	(void)q;
	if (p < 0)
		return -1;
	if (j_time(d, j_get(d, p, "ts"), 1, &r->ts))
		r->ts = -1;
	return x_levels(d, j_get(d, p, "bids"), r, 0) || x_levels(d, j_get(d, p, "asks"), r, 1);
}

static int
okx_trades(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	int rows = j_get(d, 0, "data");

	(void)q;
	if (j_type(d, rows) != J_ARR)
		return x_bad(r, "trades: no data array");
	for (int c = j_first(d, rows); c >= 0; c = j_next(d, rows, c)) {
		struct xtrade *t = x_push_trade(r);
		if (j_str(d, j_get(d, c, "tradeId"), t->id, sizeof t->id)
		    || j_time(d, j_get(d, c, "ts"), 1, &t->ts)
		    || j_num(d, j_get(d, c, "px"), &t->price)
		    || j_num(d, j_get(d, c, "sz"), &t->amount))
			return x_bad(r, "trade %zu lacks tradeId, ts, px or sz", r->ntrades);
		int side = j_get(d, c, "side");
		if (j_streq(d, side, "buy") || j_streq(d, side, "sell"))
			j_str(d, side, t->side, sizeof t->side);
	}
	/* The next page is older than the last (oldest) trade. */
	if (r->ntrades)
		snprintf(r->cursor, sizeof r->cursor, "%s", r->trades[r->ntrades - 1].id);
	return 0;
}

static int
okx_markets(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	int rows = j_get(d, 0, "data");

	(void)q;
	if (j_type(d, rows) != J_ARR)
		return x_bad(r, "instruments: no data array");
	for (int p = j_first(d, rows); p >= 0; p = j_next(d, rows, p)) {
		struct xmarket *m = x_push_market(r);
		if (j_str(d, j_get(d, p, "instId"), m->id, sizeof m->id)
		    || j_str(d, j_get(d, p, "baseCcy"), m->base, sizeof m->base)
		    || j_str(d, j_get(d, p, "quoteCcy"), m->quote, sizeof m->quote)
		    || x_market_symbol(m)) {
			r->nmarkets--;
			continue;
		}
		m->active = j_streq(d, j_get(d, p, "state"), "live");
		m->tick_size = x_num(d, j_get(d, p, "tickSz"));
		m->lot_size = x_num(d, j_get(d, p, "lotSz"));
		m->min_qty = x_num(d, j_get(d, p, "minSz"));
		m->min_notional = NAN;
	}
	return 0;
}

/* history-candles and history-trades allow 20 requests in 2 s, candles 40. */
const struct exchange x_okx = {
	.name = "okx",
	.url = "https://www.okx.com",
	.doc = "OKX, REST API v5, spot",
	.rate = 8, .burst = 10,
	.candle_limit = 100,
	.paging = PAGE_WINDOW,
	.trade_paging = TRADES_BACKWARD,
	.trade_limit = 100,
	.trade_window = 60000,
	.tfs = okx_tfs, .xtfs = okx_xtfs,
	.symbol_id = okx_symbol,
	.candles_path = okx_candles_path,
	.ticker_path = okx_ticker_path,
	.book_path = okx_book_path,
	.trades_path = okx_trades_path,
	.markets_path = okx_markets_path,
	.error = okx_error,
	.candles = okx_candles,
	.ticker = okx_ticker,
	.book = okx_book,
	.trades = okx_trades,
	.markets = okx_markets,
};
