/* bitstamp.c: Bitstamp (www.bitstamp.net), HTTP API v2, public endpoints. */
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

static const char *const bitstamp_tfs[] = {"1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h",
	"12h", "1d", "3d", NULL};
static const char *const bitstamp_xtfs[] = {"60", "180", "300", "900", "1800", "3600", "7200",
	"14400", "21600", "43200", "86400", "259200", NULL};

static void
bitstamp_symbol(struct xq *q)
{
	snprintf(q->id, sizeof q->id, "%s%s", q->base, q->quote);
	x_lower(q->id);
}

/* start and end are seconds, both inclusive. */
static void
bitstamp_candles_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/api/v2/ohlc/%s/?step=%s&limit=%d&start=%lld&end=%lld", q->id, q->xtf, q->limit,
		  (long long)(q->start / 1000), (long long)((q->end - 1) / 1000));
}

static void
bitstamp_ticker_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/api/v2/ticker/%s/", q->id);
}

static void
bitstamp_book_path(struct sbuf *b, const struct xq *q)
{
	sb_printf(b, "/api/v2/order_book/%s/", q->id);
}

/* Transactions of the last minute, hour (the default) or day, newest
 * first, with no other paging: the smallest span covering --since. */
static void
bitstamp_trades_path(struct sbuf *b, const struct xq *q)
{
	const char *span = q->since < 0 ? "hour" : q->now - q->since <= 60000 ? "minute"
		: q->now - q->since <= 3600000 ? "hour" : "day";

	sb_printf(b, "/api/v2/transactions/%s/?time=%s", q->id, span);
}

static void
bitstamp_markets_path(struct sbuf *b, const struct xq *q)
{
	(void)q;
	sb_printf(b, "/api/v2/trading-pairs-info/");
}

/* An unknown pair is a 404 (the pair is in the path); other errors are
 * {"status":"error","reason":...,"code":...} or carry a response_code,
 * 400.002 being the rate limit. */
static int
bitstamp_error(const struct jdoc *d, long status, char *msg, size_t n)
{
	char code[32] = "", text[160] = "";

	j_str(d, j_get(d, 0, "response_code"), code, sizeof code);
	if (!code[0])
		j_str(d, j_get(d, 0, "code"), code, sizeof code);
	if (j_str(d, j_get(d, 0, "reason"), text, sizeof text))
		j_str(d, j_get(d, 0, "response_explanation"), text, sizeof text);
	if (strcmp(code, "400.002") == 0) {
		x_msg(msg, n, "%s %s", code, text);
		return X_RETRY;
	}
	if (status < 400 && !j_streq(d, j_get(d, 0, "status"), "error"))
		return X_OK;
	if (code[0] || text[0])
		x_msg(msg, n, "%s%s%s", code, code[0] && text[0] ? " " : "", text);
	return status == 404 ? X_SYMBOL : X_FAIL;
}

static int
bitstamp_candles(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	int rows = j_get(d, j_get(d, 0, "data"), "ohlc");

	(void)q;
	if (j_type(d, rows) != J_ARR)
		return x_bad(r, "ohlc: no data.ohlc array");
	for (int c = j_first(d, rows); c >= 0; c = j_next(d, rows, c)) {
		struct xcandle *k = x_push_candle(r);
		if (j_time(d, j_get(d, c, "timestamp"), 1000, &k->ts)
		    || j_num(d, j_get(d, c, "open"), &k->open) || j_num(d, j_get(d, c, "high"), &k->high)
		    || j_num(d, j_get(d, c, "low"), &k->low) || j_num(d, j_get(d, c, "close"), &k->close)
		    || j_num(d, j_get(d, c, "volume"), &k->volume))
			return x_bad(r, "ohlc row %zu lacks timestamp, open, high, low, close or volume",
				     r->ncandles);
	}
	return 0;
}

static int
bitstamp_ticker(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	struct xticker *t = &r->ticker;

	(void)q;
	if (j_time(d, j_get(d, 0, "timestamp"), 1000, &t->ts))
		return x_bad(r, "ticker: no timestamp");
	t->bid = x_num(d, j_get(d, 0, "bid"));
	t->ask = x_num(d, j_get(d, 0, "ask"));
	t->last = x_num(d, j_get(d, 0, "last"));
	t->high = x_num(d, j_get(d, 0, "high"));
	t->low = x_num(d, j_get(d, 0, "low"));
	t->open = x_num(d, j_get(d, 0, "open"));
	t->base_volume = x_num(d, j_get(d, 0, "volume"));
	t->quote_volume = t->base_volume * x_num(d, j_get(d, 0, "vwap"));
	return 0;
}

static int
bitstamp_book(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	(void)q;
	if (j_time(d, j_get(d, 0, "microtimestamp"), 1, &r->ts) == 0)
		r->ts /= 1000;
	else if (j_time(d, j_get(d, 0, "timestamp"), 1000, &r->ts))
		r->ts = -1;
	return x_levels(d, j_get(d, 0, "bids"), r, 0) || x_levels(d, j_get(d, 0, "asks"), r, 1);
}

static int
bitstamp_trades(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	(void)q;
	if (j_type(d, 0) != J_ARR)
		return x_bad(r, "transactions: not an array");
	for (int c = j_first(d, 0); c >= 0; c = j_next(d, 0, c)) {
		struct xtrade *t = x_push_trade(r);
		if (j_str(d, j_get(d, c, "tid"), t->id, sizeof t->id)
		    || j_time(d, j_get(d, c, "date"), 1000, &t->ts)
		    || j_num(d, j_get(d, c, "price"), &t->price)
		    || j_num(d, j_get(d, c, "amount"), &t->amount))
			return x_bad(r, "transaction %zu lacks tid, date, price or amount", r->ntrades);
		/* type 0 is a buy, 1 a sell (the taker's side). */
		int type = j_get(d, c, "type");
		if (j_streq(d, type, "0") || (j_type(d, type) == J_NUM && d->t[type].p[0] == '0'))
			strcpy(t->side, "buy");
		else if (j_streq(d, type, "1") || (j_type(d, type) == J_NUM && d->t[type].p[0] == '1'))
			strcpy(t->side, "sell");
	}
	return 0;
}

static int
bitstamp_markets(const struct jdoc *d, const struct xq *q, struct xres *r)
{
	(void)q;
	if (j_type(d, 0) != J_ARR)
		return x_bad(r, "trading-pairs-info: not an array");
	for (int p = j_first(d, 0); p >= 0; p = j_next(d, 0, p)) {
		struct xmarket *m = x_push_market(r);
		char name[64], min[64], *slash;
		double dec;
		if (j_str(d, j_get(d, p, "url_symbol"), m->id, sizeof m->id)
		    || j_str(d, j_get(d, p, "name"), name, sizeof name) || !(slash = strchr(name, '/'))) {
			r->nmarkets--;
			continue;
		}
		*slash = '\0';
		snprintf(m->base, sizeof m->base, "%.23s", name);
		snprintf(m->quote, sizeof m->quote, "%.23s", slash + 1);
		if (x_market_symbol(m)) {
			r->nmarkets--;
			continue;
		}
		m->active = j_streq(d, j_get(d, p, "trading"), "Enabled");
		m->tick_size = j_num(d, j_get(d, p, "counter_decimals"), &dec) ? NAN : x_decimals((int)dec);
		m->lot_size = j_num(d, j_get(d, p, "base_decimals"), &dec) ? NAN : x_decimals((int)dec);
		m->min_qty = NAN;
		/* minimum_order is "10.00000000 USD": a notional in the quote. */
		m->min_notional = NAN;
		if (!j_str(d, j_get(d, p, "minimum_order"), min, sizeof min)) {
			char *sp = strchr(min, ' ');
			if (sp)
				*sp = '\0';
			if (ab_parse_json_number(min, strlen(min), &dec) == 0)
				m->min_notional = dec;
		}
	}
	return 0;
}

/* The default threshold is 10,000 requests in 10 minutes. */
const struct exchange x_bitstamp = {
	.name = "bitstamp",
	.url = "https://www.bitstamp.net",
	.doc = "Bitstamp, HTTP API v2",
	.rate = 8, .burst = 10,
	.candle_limit = 1000,
	.paging = PAGE_WINDOW,
	.trade_paging = TRADES_RECENT,
	.trade_span = 86400000,
	.tfs = bitstamp_tfs, .xtfs = bitstamp_xtfs,
	.symbol_id = bitstamp_symbol,
	.candles_path = bitstamp_candles_path,
	.ticker_path = bitstamp_ticker_path,
	.book_path = bitstamp_book_path,
	.trades_path = bitstamp_trades_path,
	.markets_path = bitstamp_markets_path,
	.error = bitstamp_error,
	.candles = bitstamp_candles,
	.ticker = bitstamp_ticker,
	.book = bitstamp_book,
	.trades = bitstamp_trades,
	.markets = bitstamp_markets,
};
