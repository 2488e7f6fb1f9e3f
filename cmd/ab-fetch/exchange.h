/* exchange.h: the adapter interface; one file per exchange in exchanges/.
 *
 * An adapter knows one exchange's public REST API: its host, how it names
 * symbols and timeframes, the request paths, how its answers and its errors
 * look, how candles page, and its rate limit. It only builds paths and parses
 * documents; market.c does the HTTP, the limiter, retries, paging, ordering,
 * de-duplication, printing and storage. Adapters print nothing: a parser
 * returns 0, or -1 with a reason in r->err (a response that does not have
 * the documented shape). To add an exchange, write exchanges/NAME.c defining
 * `const struct exchange x_NAME` and list it in exchanges.c.
 */
#ifndef AB_FETCH_EXCHANGE_H
#define AB_FETCH_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* What one request asks for. */
struct xq {
	const char *symbol;     /* unified BASE/QUOTE */
	char base[24], quote[24];
	char id[64];            /* the exchange's name for the symbol */
	const char *tf;         /* unified timeframe, e.g. "1h" */
	const char *xtf;        /* the exchange's name for it */
	int64_t tf_ms;          /* AB_MS_MONTH for 1M */
	int64_t start, end;     /* candles: open times in [start, end), ms;
				 * trades: the time window asked for, end 0
				 * when it is open (up to the newest) */
	int64_t since;          /* trades: ms, or -1 */
	int64_t now;            /* ms */
	int limit;              /* rows asked for */
	const char *cursor;     /* paging cursor from the last page, or NULL */
};

struct xcandle {
	int64_t ts;
	double open, high, low, close, volume;
	int open_flag;          /* the exchange marks it still open */
};

struct xtrade {
	int64_t ts;
	char id[48];
	char side[8];           /* "buy", "sell" or "" */
	double price, amount;
};

struct xlevel {
	double price, qty;
};

struct xticker {                /* NAN where the exchange gives nothing */
	int64_t ts;
	double bid, ask, last, high, low, open, base_volume, quote_volume;
};

struct xmarket {
	char symbol[64], id[64], base[24], quote[24];
	int active;
	double tick_size, lot_size, min_qty, min_notional; /* NAN if unknown */
};

/* What a parser fills; the vectors grow with x_push. */
struct xres {
	struct xcandle *candles;
	struct xtrade *trades;
	struct xmarket *markets;
	struct xlevel *bids, *asks;
	size_t ncandles, ntrades, nmarkets, nbids, nasks;
	size_t ccandles, ctrades, cmarkets, cbids, casks;
	struct xticker ticker;
	int64_t ts;             /* book: the snapshot's time, or -1 */
	char cursor[64];        /* the next page's cursor, "" for none */
	char err[160];
};

/* How an answer went, from the adapter's error(). */
enum { X_OK, X_RETRY, X_SYMBOL, X_FAIL };

enum { PAGE_FORWARD, PAGE_WINDOW };

/* How an exchange's public trades page (see fetch_trades in market.c).
 * TRADES_RECENT: one request, the newest trades only (no history).
 * TRADES_FORWARD: from --since forward: the first request asks for the
 * time window [start, end) (end 0: unbounded), each page's cursor (r->cursor,
 * set by the parser) asks for the trades after it; an empty window with no
 * cursor moves on to the next window.
 * TRADES_BACKWARD: pages come newest first and the cursor asks for older
 * ones; from --since, windows [start, end) are walked back from `end` to
 * `start` in turn (one open window [since, newest) when trade_window is 0). */
enum { TRADES_RECENT, TRADES_FORWARD, TRADES_BACKWARD };

struct sbuf;

struct exchange {
	const char *name;
	const char *url;        /* default base URL; --base-url replaces it */
	const char *doc;        /* one line for `ab-fetch exchanges` */
	double rate, burst;     /* client-side limit: requests/s, bucket size */
	int candle_limit;       /* candles per request */
	/* PAGE_FORWARD: ask from `start`, continue after the last row until a
	 * short page; PAGE_WINDOW: ask for fixed windows [start, start +
	 * limit*tf) in turn, an empty window being a gap. */
	int paging;
	int candle_history;     /* only the last N candles exist (Kraken), or 0 */
	int trade_paging;       /* TRADES_RECENT, _FORWARD or _BACKWARD */
	int trade_limit;        /* trades per request, at most */
	int64_t trade_window;   /* ms: FORWARD: the longest time window the
				 * exchange takes (Binance: under an hour);
				 * BACKWARD: the first window, adapted to the
				 * trade rate; 0 for none */
	int64_t trade_span;     /* RECENT: how far back it serves, ms, or 0 */
	/* The next trades page's cursor is in this response header (Coinbase's
	 * CB-AFTER) rather than in the body. */
	const char *cursor_header;
	/* A used-weight header (Binance's X-MBX-USED-WEIGHT-1M) and the limit
	 * it counts against in each weight_window (ms): near the limit the
	 * client waits for the next window. */
	const char *weight_header;
	double weight_limit;
	int64_t weight_window;
	const char *const *tfs; /* unified timeframes, NULL-terminated ... */
	const char *const *xtfs;/* ... and the exchange's names for them */
	/* Unified BASE, QUOTE to the exchange's symbol. */
	void (*symbol_id)(struct xq *q);
	/* Paths with their query strings, appended to the base URL. */
	void (*candles_path)(struct sbuf *b, const struct xq *q);
	void (*ticker_path)(struct sbuf *b, const struct xq *q);
	void (*book_path)(struct sbuf *b, const struct xq *q);
	void (*trades_path)(struct sbuf *b, const struct xq *q);
	void (*markets_path)(struct sbuf *b, const struct xq *q);
	/* Classifies an answer by its status and body (d->n is 0 when the
	 * body is not JSON), writing the exchange's own error text into msg
	 * (left empty, the body itself is quoted). */
	int (*error)(const struct jdoc *d, long status, char *msg, size_t n);
	int (*candles)(const struct jdoc *d, const struct xq *q, struct xres *r);
	int (*ticker)(const struct jdoc *d, const struct xq *q, struct xres *r);
	int (*book)(const struct jdoc *d, const struct xq *q, struct xres *r);
	int (*trades)(const struct jdoc *d, const struct xq *q, struct xres *r);
	int (*markets)(const struct jdoc *d, const struct xq *q, struct xres *r);
};

/* The registry (exchanges.c). */
extern const struct exchange *const x_all[];
const struct exchange *x_find(const char *name);
/* The exchange's name for a unified timeframe, or NULL. */
const char *x_tf(const struct exchange *x, const char *tf);

/* A growing string for paths. */
struct sbuf {
	char *p;
	size_t len, cap;
};
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct sbuf *b);

/* Helpers for adapters. */
struct xcandle *x_push_candle(struct xres *r);
struct xtrade *x_push_trade(struct xres *r);
struct xmarket *x_push_market(struct xres *r);
struct xlevel *x_push_level(struct xres *r, int ask);
int x_bad(struct xres *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads a row of [price, qty, ...] levels into bids or asks. */
int x_levels(const struct jdoc *d, int arr, struct xres *r, int ask);
/* A number (or numeric string) or NAN when absent/empty. */
double x_num(const struct jdoc *d, int i);
/* Candle row [ts, o, h, l, c, v] with the given indexes and time unit. */
int x_candle_row(const struct jdoc *d, int row, int64_t unit, const int idx[6], struct xres *r);
/* Lower-cases s in place. */
void x_lower(char *s);
/* The quotient of a decimal-places count: 10^-n. */
double x_decimals(int n);
/* Fills a market's symbol from base and quote; -1 if not BASE/QUOTE. */
int x_market_symbol(struct xmarket *m);
/* An error text "CODE MSG" from an error body, for error(). */
void x_msg(char *msg, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
