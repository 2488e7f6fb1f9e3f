/* market.c: ab-fetch candles, ticker, book, trades, markets and exchanges:
 * HTTP with a client-side rate limit, paging, ordering, de-duplication,
 * records and storage, the same for every exchange adapter. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "candle.h"
#include "err.h"
#include "exchange.h"
#include "fetch.h"
#include "http.h"
#include "numfmt.h"
#include "timefmt.h"

/* Answers that say "slow down" in their body are retried this many times. */
#define BODY_RETRIES 4
/* A runaway paging loop (a server that never says "done") stops here. */
#define MAX_PAGES 100000
/* Past this share of the exchange's used-weight limit, wait for the next
 * window (the limit counts every client on the address, not just us). */
#define WEIGHT_SHARE 0.8

struct client {
	const struct exchange *x;
	struct ab_http http;
	const char *base;
	double tokens, last;
	struct jdoc doc;
	struct ab_http_response resp;
	struct sbuf path;
	char *url;
	long long requests;
	double pause_until;     /* mono(): no request before it (used weight) */
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Token bucket: bursts up to x->burst requests, then x->rate a second. */
static void
limit(struct client *c)
{
	double now = mono();

	if (c->pause_until > now) {
		sleep_s(c->pause_until - now);
		now = mono();
	}

	c->tokens += (now - c->last) * c->x->rate;
	if (c->tokens > c->x->burst)
		c->tokens = c->x->burst;
	c->last = now;
	if (c->tokens < 1) {
		double wait = (1 - c->tokens) / c->x->rate;
		sleep_s(wait);
		c->tokens = 1;
		c->last = mono();
	}
	c->tokens -= 1;
}

static int
client_open(struct client *c, const struct exchange *x, const char *base)
{
	int code;

	memset(c, 0, sizeof *c);
	c->x = x;
	c->base = base ? base : x->url;
	c->tokens = x->burst;
	c->last = mono();
	if ((code = ab_http_init(&c->http)))
		return code;
	return 0;
}

static void
client_close(struct client *c)
{
	ab_http_response_free(&c->resp);
	ab_http_cleanup(&c->http);
	jdoc_free(&c->doc);
	sb_free(&c->path);
	free(c->url);
}

/* One line of a body that is not JSON, for messages. */
static void
body_text(const char *s, size_t len, char *out, size_t n)
{
	size_t o = 0;
	int space = 0;

	for (size_t i = 0; i < len && o + 4 < n && o < 200; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch <= ' ') {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
}

/* The exchange's used-weight header (Binance: X-MBX-USED-WEIGHT-1M, what the
 * whole address has used this minute): near the limit, hold the next
 * request until the window turns, by the server's clock (its Date header,
 * whole seconds, so never early) or else ours. */
static void
weight_check(struct client *c)
{
	const struct exchange *x = c->x;
	char *v, *end;
	double used;
	time_t t = -1;

	if (!x->weight_header || !(v = ab_http_response_header(&c->resp, x->weight_header)))
		return;
	used = strtod(v, &end);
	if (end == v || *end)
		used = 0;
	free(v);
	if (!(used >= WEIGHT_SHARE * x->weight_limit) || x->weight_window <= 0)
		return;
	if ((v = ab_http_response_header(&c->resp, "Date"))) {
		t = curl_getdate(v, NULL);
		free(v);
	}
	if (t == -1)
		t = time(NULL);
	int64_t into = ((int64_t)t * 1000) % x->weight_window;
	double wait = (double)(x->weight_window - into) / 1000;
	c->pause_until = mono() + wait;
	if (c->http.trace)
		fprintf(stderr, "%s: %s: used weight %.0f of %.0f: waiting %.3f s for the next window\n",
			ab_err_prog, x->name, used, x->weight_limit, wait);
}

/* GETs base + c->path and parses the answer into c->doc. Returns 0 or an
 * exit code, reported: the exchange's own error text is quoted. */
static int
client_get(struct client *c)
{
	char msg[256];
	int code, kind;
	size_t blen = strlen(c->base);

	if (blen && c->base[blen - 1] == '/')
		blen--;
	free(c->url);
	c->url = ab_malloc(blen + c->path.len + 1);
	memcpy(c->url, c->base, blen);
	memcpy(c->url + blen, c->path.p, c->path.len + 1);
	for (int attempt = 0;; attempt++) {
		limit(c);
		ab_http_response_free(&c->resp);
		c->requests++;
		code = ab_http_request(&c->http, "GET", c->url, NULL, NULL, &c->resp);
		weight_check(c);
		if (code)
			return code;
		if (jdoc_parse(&c->doc, c->resp.body, c->resp.len))
			c->doc.n = 0;
		msg[0] = '\0';
		kind = c->x->error(&c->doc, c->resp.status, msg, sizeof msg);
		if (kind == X_OK && c->resp.status >= 300)
			kind = X_FAIL;
		if (kind == X_OK && c->doc.n == 0) {
			kind = X_FAIL;
			snprintf(msg, sizeof msg, "response is not JSON: %s", c->doc.err);
		}
		if (kind == X_OK)
			return 0;
		if (!msg[0])
			body_text(c->resp.body, c->resp.len, msg, sizeof msg);
		if (kind == X_RETRY && attempt < BODY_RETRIES) {
			double w = c->resp.retry_after >= 0 ? c->resp.retry_after : (double)(1 << attempt);
			if (c->http.trace)
				fprintf(stderr, "%s: http: %s: retrying in %.3f s\n", ab_err_prog, msg, w);
			sleep_s(w);
			continue;
		}
		switch (kind) {
		case X_RETRY:
			return ab_err(AB_ETEMPFAIL, "%s: GET %s: %s (%d attempts)", c->x->name, c->url,
				      msg, attempt + 1);
		case X_SYMBOL:
			return ab_err(AB_EUSAGE, "%s: GET %s: unknown symbol: %s", c->x->name, c->url, msg);
		default:
			return ab_err(AB_EUNAVAILABLE, "%s: GET %s: HTTP %ld: %s", c->x->name, c->url,
				      c->resp.status, msg);
		}
	}
}

static int
bad_response(struct client *c, struct xres *r)
{
	return ab_err(AB_EUNAVAILABLE, "%s: GET %s: unexpected response: %s", c->x->name, c->url,
		      r->err);
}

static void
xres_reset(struct xres *r)
{
	r->ncandles = r->ntrades = r->nmarkets = r->nbids = r->nasks = 0;
	r->cursor[0] = r->err[0] = '\0';
	r->ts = -1;
	r->ticker = (struct xticker){0, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
}

static void
xres_free(struct xres *r)
{
	free(r->candles);
	free(r->trades);
	free(r->markets);
	free(r->bids);
	free(r->asks);
}

/* Common start: the exchange, then each symbol. */
static int
get_exchange(const char *name, const struct exchange **x)
{
	if (!name)
		return ab_err(AB_EUSAGE, "no exchange given (see: ab-fetch exchanges)");
	if (!(*x = x_find(name)))
		return ab_err(AB_EUSAGE, "unknown exchange \"%s\" (see: ab-fetch exchanges)", name);
	return 0;
}

static int
set_symbol(const struct exchange *x, struct xq *q, const char *symbol)
{
	const char *slash;

	if (!ab_symbol_valid(symbol))
		return ab_err(AB_EUSAGE, "\"%s\" is not a symbol BASE/QUOTE in capitals", symbol);
	slash = strchr(symbol, '/');
	if ((size_t)(slash - symbol) >= sizeof q->base || strlen(slash + 1) >= sizeof q->quote)
		return ab_err(AB_EUSAGE, "\"%s\" is too long for a symbol", symbol);
	q->symbol = symbol;
	snprintf(q->base, sizeof q->base, "%.*s", (int)(slash - symbol), symbol);
	snprintf(q->quote, sizeof q->quote, "%s", slash + 1);
	x->symbol_id(q);
	return 0;
}

static void
fmt_num(struct sbuf *b, double v)
{
	char buf[AB_FMT_DOUBLE_MAX];

	ab_fmt_double(v, buf);
	sb_printf(b, "%s", buf);
}

static void
bind_num(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

static int
finish_db(struct fetch *f, int code)
{
	if (f->db && f->db->in_tx) {
		if (code)
			ab_db_rollback(f->db);
		else
			code = ab_db_commit(f->db);
	}
	return code;
}

/* ---- candles ---- */

static int
cmp_candle(const void *a, const void *b)
{
	int64_t x = ((const struct xcandle *)a)->ts, y = ((const struct xcandle *)b)->ts;

	return (x > y) - (x < y);
}

/* t plus k timeframes (k may be negative), months by the calendar. */
static int64_t
tf_add(int64_t tf, int64_t t, int64_t k)
{
	if (tf != AB_MS_MONTH)
		return t + k * tf;
	int64_t y;
	unsigned m, d;
	ab_civil_from_days(t >= 0 ? t / 86400000 : -((-t + 86399999) / 86400000), &y, &m, &d);
	int64_t mm = y * 12 + (m - 1) + k;
	int64_t ny = mm >= 0 ? mm / 12 : -((-mm + 11) / 12);
	return ab_days_from_civil(ny, (unsigned)(mm - ny * 12) + 1, 1) * 86400000;
}

static int
stored_max(struct fetch *f, const struct xq *q, int64_t *ts)
{
	sqlite3_stmt *st;
	int code, rc;

	if ((code = ab_db_prepare(f->db, "SELECT max(ts) FROM candles WHERE exchange = ?1 "
				  "AND symbol = ?2 AND tf = ?3", &st)))
		return code;
	sqlite3_bind_text(st, 1, f->exchange_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, q->symbol, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->tf, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*ts = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_ROW)
		code = ab_db_fail(f->db, rc, "read the newest candle");
	sqlite3_finalize(st);
	return code;
}

int
fetch_candles(struct fetch *f)
{
	const struct exchange *x;
	struct client c;
	struct xq q = {0};
	struct xres r = {0};
	struct ab_candle_store store = {0};
	struct ab_candle out = {0};
	int64_t now, until, since, start, last = INT64_MIN, resumed = INT64_MIN;
	long long emitted = 0, received = 0;
	int code;
	char msg[160], tbuf[AB_TIME_MAX];

	if (f->nargs != 2 || !f->tf)
		return ab_err(AB_EUSAGE, "usage: ab-fetch candles EXCHANGE SYMBOL -t TF [--since T] "
			      "[--until T] [--limit N] [--resume] [--partial]");
	f->exchange_name = f->args[0];
	if ((code = get_exchange(f->args[0], &x)) || (code = set_symbol(x, &q, f->args[1])))
		return code;
	if (ab_tf_parse(f->tf, &q.tf_ms))
		return ab_err(AB_EUSAGE, "-t: \"%s\" is not a timeframe", f->tf);
	q.tf = f->tf;
	if (!(q.xtf = x_tf(x, f->tf))) {
		char list[256] = "";
		for (int i = 0; x->tfs[i]; i++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? " " : "", x->tfs[i]);
		return ab_err(AB_EUSAGE, "%s has no %s candles (it has %s)", x->name, f->tf, list);
	}
	if (f->resume && !f->db_path && !getenv("AB_DB"))
		return ab_err(AB_EUSAGE, "--resume needs a database (--db or $AB_DB)");
	now = q.now = ab_now_ms();
	until = f->has_until ? f->until : now;
	if ((code = fetch_open_db(f, 0)))
		return code;
	if (f->resume && (code = stored_max(f, &q, &resumed)))
		return code;
	/* Where to start: after the newest stored candle, else --since, else
	 * the last --limit (default 100) closed candles. */
	if (resumed != INT64_MIN)
		since = ab_tf_next(q.tf_ms, resumed);
	else if (f->has_since)
		since = f->since;
	else
		since = tf_add(q.tf_ms, ab_tf_floor(q.tf_ms, until), -(f->limit > 0 ? f->limit : 100));
	start = ab_tf_floor(q.tf_ms, since);
	if (start < since)
		start = ab_tf_next(q.tf_ms, start);
	if (x->candle_history) {
		int64_t oldest = tf_add(q.tf_ms, ab_tf_floor(q.tf_ms, now), -(x->candle_history - 1));
		if (start < oldest && until > oldest) {
			ab_time_format(oldest, tbuf);
			fprintf(stderr, "%s: %s serves only its last %d candles: nothing before %s\n",
				ab_err_prog, x->name, x->candle_history, tbuf);
		}
	}
	if ((code = client_open(&c, x, f->base_url)))
		return code;
	if (f->db && (code = ab_candle_store_open(&store, f->db)))
		goto out;
	out.exchange = x->name;
	out.exchange_len = strlen(x->name);
	out.symbol = q.symbol;
	out.symbol_len = strlen(q.symbol);
	out.tf = q.tf;
	out.tf_len = strlen(q.tf);

	int64_t s = start;
	for (int page = 0; s < until && page < MAX_PAGES; page++) {
		int done = 0;
		size_t fresh = 0;

		q.start = s;
		q.limit = x->candle_limit;
		q.end = x->paging == PAGE_WINDOW ? tf_add(q.tf_ms, s, x->candle_limit) : until;
		if (q.end > until)
			q.end = until;
		c.path.len = 0;
		x->candles_path(&c.path, &q);
		if ((code = client_get(&c)))
			goto out;
		xres_reset(&r);
		if (x->candles(&c.doc, &q, &r)) {
			code = bad_response(&c, &r);
			goto out;
		}
		received += (long long)r.ncandles;
		if (r.ncandles > 1)
			qsort(r.candles, r.ncandles, sizeof *r.candles, cmp_candle);
		if (f->db && (code = ab_db_begin(f->db)))
			goto out;
		for (size_t i = 0; i < r.ncandles && !done; i++) {
			struct xcandle *k = &r.candles[i];
			int open;

			if (k->ts < q.start || k->ts >= q.end || k->ts <= last)
				continue;
			if (ab_tf_floor(q.tf_ms, k->ts) != k->ts) {
				ab_time_format(k->ts, tbuf);
				code = ab_err(AB_EUNAVAILABLE, "%s: GET %s: candle time %s is not the start of a %s candle",
					      x->name, c.url, tbuf, q.tf);
				goto out;
			}
			fresh++;
			open = k->open_flag || ab_tf_next(q.tf_ms, k->ts) > now;
			/* Nothing follows the open candle. */
			if (open)
				done = 1;
			if (open && !f->partial)
				continue;
			out.ts = k->ts;
			out.open = k->open;
			out.high = k->high;
			out.low = k->low;
			out.close = k->close;
			out.volume = k->volume;
			if (ab_candle_check(&out, msg, sizeof msg)) {
				ab_time_format(k->ts, tbuf);
				code = ab_err(AB_EDATA, "%s: GET %s: candle %s: %s", x->name, c.url, tbuf, msg);
				goto out;
			}
			last = k->ts;
			/* An open candle is shown, never stored: the database holds
			 * final candles only, so --resume can start after the newest. */
			if (f->db && !open && (code = ab_candle_store_put(&store, &out)))
				goto out;
			if (!f->quiet) {
				ab_candle_out(&f->out, &out);
				if (ab_out_failed(&f->out)) {
					done = 1;
					break;
				}
			}
			if (f->limit > 0 && ++emitted >= f->limit) {
				done = 1;
				break;
			}
		}
		if ((code = finish_db(f, 0)))
			goto out;
		if (done)
			break;
		if (x->paging == PAGE_WINDOW) {
			s = q.end;
		} else {
			/* A short page, or one with nothing new, is the end. */
			if (fresh == 0 || r.ncandles < (size_t)q.limit)
				break;
			s = ab_tf_next(q.tf_ms, r.candles[r.ncandles - 1].ts);
		}
	}
out:
	code = finish_db(f, code);
	f->run.records_in = received;
	f->run.records_out = f->out.records;
	if (f->db)
		ab_candle_store_close(&store);
	xres_free(&r);
	client_close(&c);
	return code;
}

/* ---- ticker ---- */

int
fetch_ticker(struct fetch *f)
{
	const struct exchange *x;
	struct client c;
	struct xres r = {0};
	sqlite3_stmt *st = NULL;
	int code;

	if (f->nargs < 2)
		return ab_err(AB_EUSAGE, "usage: ab-fetch ticker EXCHANGE SYMBOL...");
	if ((code = get_exchange(f->args[0], &x)))
		return code;
	for (int i = 1; i < f->nargs; i++) {
		struct xq q = {0};
		if ((code = set_symbol(x, &q, f->args[i])))
			return code;
	}
	if ((code = fetch_open_db(f, 0)))
		return code;
	if ((code = client_open(&c, x, f->base_url)))
		return code;
	if (f->db && ((code = ab_db_prepare(f->db, "INSERT INTO tickers(exchange, symbol, ts, bid, "
			"ask, last, high, low, open, base_volume, quote_volume) VALUES (?1, ?2, ?3, ?4, ?5, "
			"?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(exchange, symbol, ts) DO UPDATE SET "
			"bid = excluded.bid, ask = excluded.ask, last = excluded.last, high = excluded.high, "
			"low = excluded.low, open = excluded.open, base_volume = excluded.base_volume, "
			"quote_volume = excluded.quote_volume", &st))
		    || (code = ab_db_begin(f->db))))
		goto out;
	for (int i = 1; i < f->nargs; i++) {
		struct xq q = {0};
		set_symbol(x, &q, f->args[i]);
		q.now = ab_now_ms();
		c.path.len = 0;
		x->ticker_path(&c.path, &q);
		if ((code = client_get(&c)))
			goto out;
		xres_reset(&r);
		if (x->ticker(&c.doc, &q, &r)) {
			code = bad_response(&c, &r);
			goto out;
		}
		struct xticker *t = &r.ticker;
		if (t->ts <= 0)
			t->ts = q.now;
		f->run.records_in++;
		if (st) {
			const double v[] = {t->bid, t->ask, t->last, t->high, t->low, t->open,
				t->base_volume, t->quote_volume};
			sqlite3_bind_text(st, 1, x->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, q.symbol, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, t->ts);
			for (int k = 0; k < 8; k++)
				bind_num(st, 4 + k, v[k]);
			int rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE) {
				code = ab_db_fail(f->db, rc, "store ticker");
				goto out;
			}
		}
		if (f->quiet)
			continue;
		ab_out_begin(&f->out);
		ab_out_kraw(&f->out, "type", "\"ticker\"", 8);
		ab_out_kstr(&f->out, "exchange", x->name);
		ab_out_kstr(&f->out, "symbol", q.symbol);
		ab_out_ktime(&f->out, "ts", t->ts);
		ab_out_knum(&f->out, "bid", t->bid);
		ab_out_knum(&f->out, "ask", t->ask);
		ab_out_knum(&f->out, "last", t->last);
		ab_out_knum(&f->out, "high", t->high);
		ab_out_knum(&f->out, "low", t->low);
		ab_out_knum(&f->out, "open", t->open);
		ab_out_knum(&f->out, "base_volume", t->base_volume);
		ab_out_knum(&f->out, "quote_volume", t->quote_volume);
		ab_out_end(&f->out);
	}
out:
	code = finish_db(f, code);
	sqlite3_finalize(st);
	f->run.records_out = f->out.records;
	xres_free(&r);
	client_close(&c);
	return code;
}

/* ---- book ---- */

static int
cmp_bid(const void *a, const void *b)
{
	double x = ((const struct xlevel *)a)->price, y = ((const struct xlevel *)b)->price;

	return (x < y) - (x > y);
}

static int
cmp_ask(const void *a, const void *b)
{
	return cmp_bid(b, a);
}

static void
levels_json(struct sbuf *b, const struct xlevel *l, size_t n)
{
	sb_printf(b, "[");
	for (size_t i = 0; i < n; i++) {
		sb_printf(b, "%s[", i ? "," : "");
		fmt_num(b, l[i].price);
		sb_printf(b, ",");
		fmt_num(b, l[i].qty);
		sb_printf(b, "]");
	}
	sb_printf(b, "]");
}

int
fetch_book(struct fetch *f)
{
	const struct exchange *x;
	struct client c;
	struct xq q = {0};
	struct xres r = {0};
	struct sbuf bids = {0}, asks = {0};
	int code;

	if (f->nargs != 2)
		return ab_err(AB_EUSAGE, "usage: ab-fetch book EXCHANGE SYMBOL [--depth N]");
	if ((code = get_exchange(f->args[0], &x)) || (code = set_symbol(x, &q, f->args[1])))
		return code;
	if ((code = fetch_open_db(f, 0)))
		return code;
	if ((code = client_open(&c, x, f->base_url)))
		return code;
	q.now = ab_now_ms();
	q.limit = f->depth > 0 ? f->depth : 100;
	x->book_path(&c.path, &q);
	if ((code = client_get(&c)))
		goto out;
	xres_reset(&r);
	if (x->book(&c.doc, &q, &r)) {
		code = bad_response(&c, &r);
		goto out;
	}
	f->run.records_in = 1;
	if (r.nbids > 1)
		qsort(r.bids, r.nbids, sizeof *r.bids, cmp_bid);
	if (r.nasks > 1)
		qsort(r.asks, r.nasks, sizeof *r.asks, cmp_ask);
	if (r.nbids > (size_t)q.limit)
		r.nbids = (size_t)q.limit;
	if (r.nasks > (size_t)q.limit)
		r.nasks = (size_t)q.limit;
	if (r.ts <= 0)
		r.ts = q.now;
	levels_json(&bids, r.bids, r.nbids);
	levels_json(&asks, r.asks, r.nasks);
	if (f->db) {
		sqlite3_stmt *st;
		if ((code = ab_db_prepare(f->db, "INSERT INTO books(exchange, symbol, ts, bids, asks) "
				"VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(exchange, symbol, ts) DO UPDATE SET "
				"bids = excluded.bids, asks = excluded.asks", &st)))
			goto out;
		sqlite3_bind_text(st, 1, x->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, q.symbol, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r.ts);
		sqlite3_bind_text(st, 4, bids.p, (int)bids.len, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, asks.p, (int)asks.len, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			code = ab_db_fail(f->db, rc, "store book");
			goto out;
		}
	}
	if (!f->quiet) {
		ab_out_begin(&f->out);
		ab_out_kraw(&f->out, "type", "\"book\"", 6);
		ab_out_kstr(&f->out, "exchange", x->name);
		ab_out_kstr(&f->out, "symbol", q.symbol);
		ab_out_ktime(&f->out, "ts", r.ts);
		ab_out_kraw(&f->out, "bids", bids.p, bids.len);
		ab_out_kraw(&f->out, "asks", asks.p, asks.len);
		ab_out_end(&f->out);
	}
out:
	f->run.records_out = f->out.records;
	sb_free(&bids);
	sb_free(&asks);
	xres_free(&r);
	client_close(&c);
	return code;
}

/* ---- trades ---- */

static int
cmp_trade(const void *a, const void *b)
{
	const struct xtrade *x = a, *y = b;
	size_t lx = strlen(x->id), ly = strlen(y->id);

	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	/* Numeric IDs compare by length first, then as text. */
	if (lx != ly)
		return (lx > ly) - (lx < ly);
	return strcmp(x->id, y->id);
}

/* Sorts the trades ascending and keeps each ID once; returns how many. */
static size_t
trades_unique(struct xres *all)
{
	size_t n = 0;

	if (all->ntrades > 1)
		qsort(all->trades, all->ntrades, sizeof *all->trades, cmp_trade);
	for (size_t i = 0; i < all->ntrades; i++)
		if (n == 0 || strcmp(all->trades[n - 1].id, all->trades[i].id) != 0)
			all->trades[n++] = all->trades[i];
	return all->ntrades = n;
}

/* Keeps the page's trades with lo <= ts (lo -1: any) and ts < hi (hi 0:
 * any); returns how many. */
static size_t
trades_take(struct xres *all, const struct xres *r, int64_t lo, int64_t hi)
{
	size_t n = 0;

	for (size_t i = 0; i < r->ntrades; i++) {
		const struct xtrade *t = &r->trades[i];
		if ((lo >= 0 && t->ts < lo) || (hi > 0 && t->ts >= hi))
			continue;
		*x_push_trade(all) = *t;
		n++;
	}
	return n;
}

static int64_t
trades_oldest(const struct xres *r)
{
	int64_t m = INT64_MAX;

	for (size_t i = 0; i < r->ntrades; i++)
		if (r->trades[i].ts < m)
			m = r->trades[i].ts;
	return m;
}

static int64_t
trades_newest(const struct xres *r)
{
	int64_t m = INT64_MIN;

	for (size_t i = 0; i < r->ntrades; i++)
		if (r->trades[i].ts > m)
			m = r->trades[i].ts;
	return m;
}

struct tpager {
	struct client *c;
	struct fetch *f;
	struct xq *q;
	struct xres *r, *all;
	size_t want;            /* --limit, or 100 */
	long pages;
	char cursor[64];        /* q->cursor points here when set */
};

/* One page: GET, parse, and the cursor for the next (from the header when
 * the exchange sends it there). A cursor goes into the next URL as it is,
 * so it must be plain: RFC 3986 unreserved characters only. */
static int
trades_page(struct tpager *p)
{
	const struct exchange *x = p->c->x;
	struct xres *r = p->r;
	int code;

	if (++p->pages > MAX_PAGES)
		return ab_err(AB_EUNAVAILABLE, "%s: GET %s: more than %d pages", x->name, p->c->url,
			      MAX_PAGES);
	p->c->path.len = 0;
	x->trades_path(&p->c->path, p->q);
	if ((code = client_get(p->c)))
		return code;
	xres_reset(r);
	if (x->trades(&p->c->doc, p->q, r))
		return bad_response(p->c, r);
	if (x->cursor_header) {
		char *v = ab_http_response_header(&p->c->resp, x->cursor_header);
		if (v && strlen(v) >= sizeof r->cursor) {
			free(v);
			x_bad(r, "%s: longer than %zu bytes", x->cursor_header, sizeof r->cursor - 1);
			return bad_response(p->c, r);
		}
		snprintf(r->cursor, sizeof r->cursor, "%s", v ? v : "");
		free(v);
	}
	if (strspn(r->cursor, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
	    != strlen(r->cursor)) {
		x_bad(r, "page cursor \"%s\" is not plain text", r->cursor);
		return bad_response(p->c, r);
	}
	p->f->run.records_in += (long long)r->ntrades;
	return 0;
}

/* Follows the page's cursor; 0 when there is none or it did not move. */
static int
trades_next(struct tpager *p)
{
	if (!p->r->cursor[0] || (p->q->cursor && strcmp(p->q->cursor, p->r->cursor) == 0))
		return 0;
	memcpy(p->cursor, p->r->cursor, sizeof p->cursor);
	p->q->cursor = p->cursor;
	return 1;
}

/* Enough trades from --since: the first `want` are then known. */
static int
trades_enough(struct tpager *p)
{
	return p->all->ntrades >= p->want && trades_unique(p->all) >= p->want;
}

/* Kraken (since, then the `last` cursor) and Binance (hour windows of
 * startTime/endTime until one holds trades, then fromId): ascending pages
 * from --since until a page brings nothing new. */
static int
trades_forward(struct tpager *p)
{
	const struct exchange *x = p->c->x;
	struct xq *q = p->q;
	int code;

	q->start = q->since;
	q->end = x->trade_window && q->since >= 0 ? q->since + x->trade_window : 0;
	for (;;) {
		if ((code = trades_page(p)))
			return code;
		size_t got = trades_take(p->all, p->r, q->since, 0);
		if (q->since < 0)
			return 0;
		if (!p->r->cursor[0] && !q->cursor && q->end > 0 && p->r->ntrades == 0
		    && q->end < q->now) {
			/* An empty window: the next one. */
			q->start = q->end;
			q->end += x->trade_window;
			continue;
		}
		if (got == 0 || trades_enough(p) || !trades_next(p))
			return 0;
	}
}

/* Coinbase (CB-AFTER) and OKX (after=tradeId): pages newest first, each
 * cursor older. Without --since: back from the newest until `want`. With
 * it: each window [lo, hi) back from hi until a trade older than lo; OKX
 * starts a window at a time (type=2), a window being sized to take about a
 * page; Coinbase has no time parameter: one window back from the newest. */
static int
trades_backward(struct tpager *p)
{
	const struct exchange *x = p->c->x;
	struct xq *q = p->q;
	int64_t w = x->trade_window, lo = q->since, hi;
	int code;

	if (q->since < 0) {
		for (;;) {
			size_t left = p->want - p->all->ntrades;
			q->limit = left < (size_t)x->trade_limit ? (int)left : x->trade_limit;
			if ((code = trades_page(p)))
				return code;
			trades_take(p->all, p->r, -1, 0);
			if (p->r->ntrades == 0 || p->all->ntrades >= p->want || !trades_next(p))
				return 0;
		}
	}
	for (;;) {
		long before = p->pages;
		size_t had = p->all->ntrades;
		hi = w > 0 && lo + w < q->now ? lo + w : 0;
		q->start = lo;
		q->end = hi;
		q->cursor = NULL;
		for (;;) {
			if ((code = trades_page(p)))
				return code;
			/* More in the window: a page all inside it (one reaching
			 * past its end comes from a server ignoring the bound). */
			int more = p->r->ntrades > 0 && trades_oldest(p->r) >= lo && p->r->cursor[0]
				&& (hi == 0 || trades_newest(p->r) < hi);
			/* A first page all inside the window: more than a page in
			 * it. When a page is all that is still wanted, halve the
			 * window rather than walk it all back. */
			if (more && p->pages - before == 1 && hi > 0 && w > 1000
			    && (p->all->ntrades >= p->want || p->want - p->all->ntrades <= (size_t)x->trade_limit)) {
				w /= 2;
				hi = lo + w;
				q->end = hi;
				before = p->pages;
				continue;
			}
			trades_take(p->all, p->r, lo, hi);
			if (!more || !trades_next(p))
				break;
		}
		if (hi == 0 || trades_enough(p))
			return 0;
		lo = hi;
		if (p->all->ntrades == had && w < 86400000)
			w *= 4;
		else if (p->pages - before <= 1 && w < 86400000)
			w *= 2;
		else if (p->pages - before > 2 && w > 1000)
			w /= 2;
	}
}

/* Bybit (the last 60) and Bitstamp (the last minute, hour or day): one
 * request, and a word on standard error when --since asks for more. */
static int
trades_recent(struct tpager *p)
{
	const struct exchange *x = p->c->x;
	struct xq *q = p->q;
	char tbuf[AB_TIME_MAX];
	int code;

	if (x->trade_limit)
		q->limit = q->since < 0 && p->want < (size_t)x->trade_limit ? (int)p->want : x->trade_limit;
	if ((code = trades_page(p)))
		return code;
	trades_take(p->all, p->r, q->since, 0);
	if (q->since < 0)
		return 0;
	if (x->trade_span && q->since < q->now - x->trade_span) {
		ab_time_format(q->now - x->trade_span, tbuf);
		fprintf(stderr, "%s: %s serves only the last %lld h of trades: nothing before %s\n",
			ab_err_prog, x->name, (long long)(x->trade_span / 3600000), tbuf);
	} else if (x->trade_limit && p->r->ntrades >= (size_t)x->trade_limit
		   && trades_oldest(p->r) > q->since) {
		ab_time_format(trades_oldest(p->r), tbuf);
		fprintf(stderr, "%s: %s serves only its last %d trades: nothing before %s\n",
			ab_err_prog, x->name, x->trade_limit, tbuf);
	}
	return 0;
}

int
fetch_trades(struct fetch *f)
{
	const struct exchange *x;
	struct client c;
	struct xq q = {0};
	struct xres r = {0}, all = {0};
	struct tpager p = {0};
	sqlite3_stmt *st = NULL;
	size_t from = 0, n;
	int code;

	if (f->nargs != 2)
		return ab_err(AB_EUSAGE, "usage: ab-fetch trades EXCHANGE SYMBOL [--since T] [--limit N]");
	if ((code = get_exchange(f->args[0], &x)) || (code = set_symbol(x, &q, f->args[1])))
		return code;
	if ((code = fetch_open_db(f, 0)))
		return code;
	if ((code = client_open(&c, x, f->base_url)))
		return code;
	q.now = ab_now_ms();
	q.since = f->has_since ? f->since : -1;
	q.limit = x->trade_limit;
	p = (struct tpager){.c = &c, .f = f, .q = &q, .r = &r, .all = &all,
		.want = f->limit > 0 ? (size_t)f->limit : 100};
	if (q.since < 0 && x->trade_limit && p.want < (size_t)x->trade_limit)
		q.limit = (int)p.want;
	switch (x->trade_paging) {
	case TRADES_FORWARD: code = trades_forward(&p); break;
	case TRADES_BACKWARD: code = trades_backward(&p); break;
	default: code = trades_recent(&p); break;
	}
	if (code)
		goto out;
	n = trades_unique(&all);
	/* From --since: the first N; else the newest N. */
	if (n > p.want) {
		if (q.since < 0)
			from = n - p.want;
		n = from + p.want;
	}
	if (f->db && ((code = ab_db_prepare(f->db, "INSERT INTO trades(exchange, symbol, id, ts, side, "
			"price, amount) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(exchange, symbol, id) "
			"DO UPDATE SET ts = excluded.ts, side = excluded.side, price = excluded.price, "
			"amount = excluded.amount", &st)) || (code = ab_db_begin(f->db))))
		goto out;
	for (size_t i = from; i < n; i++) {
		struct xtrade *t = &all.trades[i];
		if (st) {
			sqlite3_bind_text(st, 1, x->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, q.symbol, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, t->id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, t->ts);
			if (t->side[0])
				sqlite3_bind_text(st, 5, t->side, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, 5);
			sqlite3_bind_double(st, 6, t->price);
			sqlite3_bind_double(st, 7, t->amount);
			int rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE) {
				code = ab_db_fail(f->db, rc, "store trade");
				goto out;
			}
		}
		if (f->quiet)
			continue;
		ab_out_begin(&f->out);
		ab_out_kraw(&f->out, "type", "\"trade\"", 7);
		ab_out_kstr(&f->out, "exchange", x->name);
		ab_out_kstr(&f->out, "symbol", q.symbol);
		ab_out_ktime(&f->out, "ts", t->ts);
		ab_out_kstr(&f->out, "id", t->id);
		if (t->side[0])
			ab_out_kstr(&f->out, "side", t->side);
		else
			ab_out_knull(&f->out, "side");
		ab_out_knum(&f->out, "price", t->price);
		ab_out_knum(&f->out, "amount", t->amount);
		ab_out_end(&f->out);
	}
out:
	code = finish_db(f, code);
	sqlite3_finalize(st);
	f->run.records_out = f->out.records;
	xres_free(&r);
	xres_free(&all);
	client_close(&c);
	return code;
}

/* ---- markets ---- */

static int
cmp_market(const void *a, const void *b)
{
	return strcmp(((const struct xmarket *)a)->symbol, ((const struct xmarket *)b)->symbol);
}

int
fetch_markets(struct fetch *f)
{
	const struct exchange *x;
	struct client c;
	struct xq q = {0};
	struct xres r = {0};
	sqlite3_stmt *st = NULL;
	int code;

	if (f->nargs != 1)
		return ab_err(AB_EUSAGE, "usage: ab-fetch markets EXCHANGE");
	if ((code = get_exchange(f->args[0], &x)))
		return code;
	if ((code = fetch_open_db(f, 0)))
		return code;
	if ((code = client_open(&c, x, f->base_url)))
		return code;
	q.now = ab_now_ms();
	xres_reset(&r);
	/* Follow the exchange's cursor while it gives one (Bybit). */
	char cursor[64];
	for (int page = 0; page < MAX_PAGES; page++) {
		c.path.len = 0;
		x->markets_path(&c.path, &q);
		if ((code = client_get(&c)))
			goto out;
		r.cursor[0] = '\0';
		if (x->markets(&c.doc, &q, &r)) {
			code = bad_response(&c, &r);
			goto out;
		}
		if (!r.cursor[0] || (q.cursor && strcmp(q.cursor, r.cursor) == 0))
			break;
		snprintf(cursor, sizeof cursor, "%s", r.cursor);
		q.cursor = cursor;
	}
	if (r.nmarkets > 1)
		qsort(r.markets, r.nmarkets, sizeof *r.markets, cmp_market);
	f->run.records_in = (long long)r.nmarkets;
	if (f->db && ((code = ab_db_prepare(f->db, "INSERT INTO markets(exchange, symbol, id, base, "
			"quote, active, tick_size, lot_size, min_qty, min_notional, updated) VALUES (?1, ?2, "
			"?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(exchange, symbol) DO UPDATE SET "
			"id = excluded.id, base = excluded.base, quote = excluded.quote, active = "
			"excluded.active, tick_size = excluded.tick_size, lot_size = excluded.lot_size, "
			"min_qty = excluded.min_qty, min_notional = excluded.min_notional, updated = "
			"excluded.updated", &st)) || (code = ab_db_begin(f->db))))
		goto out;
	for (size_t i = 0; i < r.nmarkets; i++) {
		struct xmarket *m = &r.markets[i];
		/* Two ids for one unified symbol: keep the first, as ccxt does. */
		if (i > 0 && strcmp(m->symbol, r.markets[i - 1].symbol) == 0)
			continue;
		if (st) {
			sqlite3_bind_text(st, 1, x->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, m->symbol, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, m->id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, m->base, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, m->quote, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 6, m->active);
			bind_num(st, 7, m->tick_size);
			bind_num(st, 8, m->lot_size);
			bind_num(st, 9, m->min_qty);
			bind_num(st, 10, m->min_notional);
			sqlite3_bind_int64(st, 11, q.now);
			int rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE) {
				code = ab_db_fail(f->db, rc, "store market");
				goto out;
			}
		}
		if (f->quiet)
			continue;
		ab_out_begin(&f->out);
		ab_out_kraw(&f->out, "type", "\"market\"", 8);
		ab_out_kstr(&f->out, "exchange", x->name);
		ab_out_kstr(&f->out, "symbol", m->symbol);
		ab_out_kstr(&f->out, "id", m->id);
		ab_out_kstr(&f->out, "base", m->base);
		ab_out_kstr(&f->out, "quote", m->quote);
		ab_out_kbool(&f->out, "active", m->active);
		ab_out_knum(&f->out, "tick_size", m->tick_size);
		ab_out_knum(&f->out, "lot_size", m->lot_size);
		ab_out_knum(&f->out, "min_qty", m->min_qty);
		ab_out_knum(&f->out, "min_notional", m->min_notional);
		ab_out_end(&f->out);
	}
out:
	code = finish_db(f, code);
	sqlite3_finalize(st);
	f->run.records_out = f->out.records;
	xres_free(&r);
	client_close(&c);
	return code;
}

/* ---- exchanges ---- */

int
fetch_exchanges(struct fetch *f)
{
	if (f->nargs)
		return ab_err(AB_EUSAGE, "usage: ab-fetch exchanges");
	for (int i = 0; x_all[i]; i++) {
		const struct exchange *x = x_all[i];
		struct sbuf tfs = {0};
		sb_printf(&tfs, "[");
		for (int k = 0; x->tfs[k]; k++)
			sb_printf(&tfs, "%s\"%s\"", k ? "," : "", x->tfs[k]);
		sb_printf(&tfs, "]");
		ab_out_begin(&f->out);
		ab_out_kraw(&f->out, "type", "\"exchange\"", 10);
		ab_out_kstr(&f->out, "exchange", x->name);
		ab_out_kstr(&f->out, "name", x->doc);
		ab_out_kstr(&f->out, "url", x->url);
		ab_out_kraw(&f->out, "timeframes", tfs.p, tfs.len);
		ab_out_kint(&f->out, "candle_limit", x->candle_limit);
		if (x->candle_history)
			ab_out_kint(&f->out, "candle_history", x->candle_history);
		ab_out_knum(&f->out, "rate", x->rate);
		ab_out_kstr(&f->out, "trades", x->trade_paging == TRADES_FORWARD ? "forward"
			    : x->trade_paging == TRADES_BACKWARD ? "backward" : "recent");
		if (x->trade_limit)
			ab_out_kint(&f->out, "trade_limit", x->trade_limit);
		ab_out_end(&f->out);
		sb_free(&tfs);
	}
	return 0;
}
