/* kraken.c: Kraken spot (api.kraken.com), public REST API. */
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

static const char *const kraken_tfs[] = {"1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", NULL};
static const char *const kraken_xtfs[] = {"1", "5", "15", "30", "60", "240", "1440", "10080", NULL};

/* Kraken's names for currencies that differ from everyone else's. */
static const char *const kraken_alias[][2] = {{"BTC", "XBT"}, {"DOGE", "XDG"}};

static const char *
kraken_code(const char *unified, int to_kraken)
{
	for (size_t i = 0; i < sizeof kraken_alias / sizeof *kraken_alias; i++)
		if (strcmp(unified, kraken_alias[i][!to_kraken]) == 0)
			return kraken_alias[i][to_kraken];
	return unified;
}

static void
kraken_symbol(struct xq *q)
{
	snprintf(q->id, sizeof q->id, "%s%s", kraken_code(q->base, 1), kraken_code(q->quote, 1));
}

/* `since` is exclusive, in seconds; only the last 720 candles exist. */
static void
kraken_candles_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/0/public/OHLC?pair=%s&interval=%s&since=%lld", q->id, q->xtf,
		  (long long)(q->start / 1000 - 1));
}

static void
kraken_ticker_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/0/public/Ticker?pair=%s", q->id);
}

static void
kraken_book_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/0/public/Depth?pair=%s&count=%d", q->id, q->limit > 500 ? 500 : q->limit);
}

/* `since` and the `last` cursor are nanoseconds. */
static void
kraken_trades_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/0/public/Trades?pair=%s&count=1000", q->id);
	if (q->cursor)
		sb_printf(b, "&since=%s", q->cursor);
	else if (q->since >= 0)
		sb_printf(b, "&since=%lld", (long long)q->since * 1000000);
}

static void
kraken_markets_path(struct sbuf *b, const struct xq *q)
{
	(void)q;
	sb_printf(b, "/0/public/AssetPairs");
}

/* Errors come in "error": ["EQuery:Unknown asset pair"], usually with 200. */
static int
kraken_error(const struct jdoc *d, long status, char *msg, size_t n)
{
	int errs = j_get(d, 0, "error");
	char text[160] = "";

	if (j_len(d, errs) > 0)
		j_str(d, j_at(d, errs, 0), text, sizeof text);
	if (!text[0])
		return status < 400 ? X_OK : X_FAIL;
	x_msg(msg, n, "%s", text);
	if (strstr(text, "Unknown asset pair") || strstr(text, "Invalid asset pair"))
		return X_SYMBOL;
	if (strstr(text, "Rate limit") || strstr(text, "Too many requests") || strstr(text, "EService:Busy"))
		return X_RETRY;
	return X_FAIL;
}

/* result holds one pair under Kraken's own id (XXBTZUSD), plus "last". */
static int
kraken_pair(const struct jdoc *d, struct xres *r, int *last)
{
	int res = j_get(d, 0, "result"), pair = -1;

	*last = -1;
	for (int k = j_first(d, res); k >= 0; k = j_next(d, res, k)) {
		if (j_streq(d, k, "last"))
			*last = k + 1;
		else if (pair < 0)
			pair = k + 1;
	}
	return pair >= 0 ? pair : x_bad(r, "no pair in result");
}

static int
kraken_candles(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	/* [time, open, high, low, close, vwap, volume, count]: not vwap. */
	static const int idx[6] = {0, 1, 2, 3, 4, 6};
	int last, rows = kraken_pair(d, r, &last);

	(void)q;
	if (rows < 0 || j_type(d, rows) != J_ARR)
		return x_bad(r, "OHLC: no rows");
	for (int row = j_first(d, rows); row >= 0; row = j_next(d, rows, row))
		if (x_candle_row(d, row, 1000, idx, r))
			return -1;
	return 0;
}

static int
kraken_ticker(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	struct xticker *t = &r->ticker;
	int last, p = kraken_pair(d, r, &last);
	double vwap;

	(void)q;
	if (p < 0)
		return -1;
	t->ts = -1;
	t->ask = x_num(d, j_at(d, j_get(d, p, "a"), 0));
	t->bid = x_num(d, j_at(d, j_get(d, p, "b"), 0));
	t->last = x_num(d, j_at(d, j_get(d, p, "c"), 0));
	/* Index 1 of h, l, v, p is the last 24 hours; o is today's open. */
	t->high = x_num(d, j_at(d, j_get(d, p, "h"), 1));
	t->low = x_num(d, j_at(d, j_get(d, p, "l"), 1));
	t->open = x_num(d, j_get(d, p, "o"));
	t->base_volume = x_num(d, j_at(d, j_get(d, p, "v"), 1));
	vwap = x_num(d, j_at(d, j_get(d, p, "p"), 1));
	t->quote_volume = t->base_volume * vwap;
	if (isnan(t->last))
		return x_bad(r, "ticker: no last trade \"c\"");
	return 0;
}

static int
kraken_book(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	int last, p = kraken_pair(d, r, &last);

	(void)q;
	if (p < 0)
		return -1;
	r->ts = -1;
	return x_levels(d, j_get(d, p, "bids"), r, 0) || x_levels(d, j_get(d, p, "asks"), r, 1);
}

/* [price, volume, time (s, fraction), "b"|"s", "m"|"l", misc, trade_id] */
static int
kraken_trades(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	int last, rows = kraken_pair(d, r, &last);

	(void)q;
	if (rows < 0 || j_type(d, rows) != J_ARR)
		return x_bad(r, "Trades: no rows");
	for (int c = j_first(d, rows); c >= 0; c = j_next(d, rows, c)) {
		struct xtrade *t = x_push_trade(r);
		if (j_num(d, j_at(d, c, 0), &t->price) || j_num(d, j_at(d, c, 1), &t->amount)
		    || j_time(d, j_at(d, c, 2), 1000, &t->ts))
			return x_bad(r, "trade %zu is not [price, volume, time, ...]", r->ntrades);
		if (j_str(d, j_at(d, c, 6), t->id, sizeof t->id))
			return x_bad(r, "trade %zu has no trade_id", r->ntrades);
		if (j_streq(d, j_at(d, c, 3), "b"))
			strcpy(t->side, "buy");
		else if (j_streq(d, j_at(d, c, 3), "s"))
			strcpy(t->side, "sell");
	}
	j_str(d, last, r->cursor, sizeof r->cursor);
	return 0;
}

static int
kraken_markets(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	int res = j_get(d, 0, "result");

	(void)q;
	if (j_type(d, res) != J_OBJ)
		return x_bad(r, "AssetPairs: no result");
	for (int k = j_first(d, res); k >= 0; k = j_next(d, res, k)) {
		int p = k + 1;
		char ws[64], *slash;
		double dec;
		struct xmarket *m = x_push_market(r);

		/* wsname "XBT/USD" has the plain codes; ".d" pairs are dark pools. */
		if (j_str(d, j_get(d, p, "altname"), m->id, sizeof m->id)
		    || j_str(d, j_get(d, p, "wsname"), ws, sizeof ws) || !(slash = strchr(ws, '/'))
		    || strstr(m->id, ".d")) {
			r->nmarkets--;
			continue;
		}
		*slash = '\0';
		snprintf(m->base, sizeof m->base, "%.23s", kraken_code(ws, 0));
		snprintf(m->quote, sizeof m->quote, "%.23s", kraken_code(slash + 1, 0));
		if (x_market_symbol(m)) {
			r->nmarkets--;
			continue;
		}
		int st = j_get(d, p, "status");
		m->active = st < 0 || j_streq(d, st, "online");
		m->tick_size = x_num(d, j_get(d, p, "tick_size"));
		if (isnan(m->tick_size) && !j_num(d, j_get(d, p, "pair_decimals"), &dec))
			m->tick_size = x_decimals((int)dec);
		m->lot_size = j_num(d, j_get(d, p, "lot_decimals"), &dec) ? NAN : x_decimals((int)dec);
		m->min_qty = x_num(d, j_get(d, p, "ordermin"));
		m->min_notional = x_num(d, j_get(d, p, "costmin"));
	}
	return 0;
}

/* Public calls: about one a second is safe, with a small burst. */
const struct exchange x_kraken = {
	.name = "kraken",
	.url = "https://api.kraken.com",
	.doc = "Kraken spot, public REST API (OHLC: the last 720 candles only)",
	.rate = 1, .burst = 5,
	.candle_limit = 720,
	.candle_history = 720,
	.paging = PAGE_FORWARD,
	.trade_paging = TRADES_FORWARD,
	.trade_limit = 1000,
	.tfs = kraken_tfs, .xtfs = kraken_xtfs,
	.symbol_id = kraken_symbol,
	.candles_path = kraken_candles_path,
	.ticker_path = kraken_ticker_path,
	.book_path = kraken_book_path,
	.trades_path = kraken_trades_path,
	.markets_path = kraken_markets_path,
	.error = kraken_error,
	.candles = kraken_candles,
	.ticker = kraken_ticker,
	.book = kraken_book,
	.trades = kraken_trades,
	.markets = kraken_markets,
};
