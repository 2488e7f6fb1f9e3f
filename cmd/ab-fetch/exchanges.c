/* exchanges.c: the registry of exchange adapters and their shared helpers. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candle.h"
#include "err.h"
#include "exchange.h"
#include "http.h"
#include "numfmt.h"
#include "timefmt.h"

/* One adapter per file in exchanges/; adding one is that file and a line here. */
extern const struct exchange x_binance, x_coinbase, x_kraken, x_bitstamp, x_okx, x_bybit;

const struct exchange *const x_all[] = {
	&x_binance, &x_coinbase, &x_kraken, &x_bitstamp, &x_okx, &x_bybit, NULL,
};

const struct exchange *
x_find(const char *name)
{
	for (int i = 0; x_all[i]; i++)
		if (strcmp(x_all[i]->name, name) == 0)
			return x_all[i];
	return NULL;
}

const char *
x_tf(const struct exchange *x, const char *tf)
{
	for (int i = 0; x->tfs[i]; i++)
		if (strcmp(x->tfs[i], tf) == 0)
			return x->xtfs[i];
	return NULL;
}

void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			ab_oom();
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap ? b->cap * 2 : 256;
		while (b->cap - b->len <= (size_t)n)
			b->cap *= 2;
		b->p = ab_realloc(b->p, b->cap);
	}
}

void
sb_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

#define PUSH(vec, n, cap) do { \
	if ((n) == (cap)) { \
		(cap) = (cap) ? (cap) * 2 : 64; \
		(vec) = ab_realloc((vec), (cap) * sizeof *(vec)); \
	} \
	memset(&(vec)[(n)], 0, sizeof *(vec)); \
	return &(vec)[(n)++]; \
} while (0)

struct xcandle *x_push_candle(struct xres *r) { PUSH(r->candles, r->ncandles, r->ccandles); }
struct xtrade *x_push_trade(struct xres *r) { PUSH(r->trades, r->ntrades, r->ctrades); }
struct xmarket *x_push_market(struct xres *r) { PUSH(r->markets, r->nmarkets, r->cmarkets); }

struct xlevel *
x_push_level(struct xres *r, int ask)
{
	if (ask)
		PUSH(r->asks, r->nasks, r->casks);
	PUSH(r->bids, r->nbids, r->cbids);
}

int
x_bad(struct xres *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	return -1;
}

void
x_msg(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
}

double
x_num(const struct jdoc *d, int i)
{
	double v;

	return j_num(d, i, &v) == 0 ? v : NAN;
}

int
x_levels(const struct jdoc *d, int arr, struct xres *r, int ask)
{
	if (j_type(d, arr) != J_ARR)
		return x_bad(r, "no %s array", ask ? "asks" : "bids");
	for (int c = j_first(d, arr); c >= 0; c = j_next(d, arr, c)) {
		struct xlevel *l = x_push_level(r, ask);
		if (j_num(d, j_at(d, c, 0), &l->price) || j_num(d, j_at(d, c, 1), &l->qty))
			return x_bad(r, "a %s level is not [price, qty]", ask ? "ask" : "bid");
	}
	return 0;
}

int
x_candle_row(const struct jdoc *d, int row, int64_t unit, const int idx[6], struct xres *r)
{
	struct xcandle *c = x_push_candle(r);

	if (j_time(d, j_at(d, row, idx[0]), unit, &c->ts)
	    || j_num(d, j_at(d, row, idx[1]), &c->open) || j_num(d, j_at(d, row, idx[2]), &c->high)
	    || j_num(d, j_at(d, row, idx[3]), &c->low) || j_num(d, j_at(d, row, idx[4]), &c->close)
	    || j_num(d, j_at(d, row, idx[5]), &c->volume))
		return x_bad(r, "candle row %zu is not [time, open, high, low, close, volume]",
			     r->ncandles);
	return 0;
}

void
x_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

double
x_decimals(int n)
{
	return pow(10, -n);
}

int
x_market_symbol(struct xmarket *m)
{
	for (char *p = m->base; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (char *p = m->quote; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	snprintf(m->symbol, sizeof m->symbol, "%s/%s", m->base, m->quote);
	return ab_symbol_valid(m->symbol) ? 0 : -1;
}
