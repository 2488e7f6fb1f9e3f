/* venue.h: one exchange's signed order API, as live.c drives it.
 *
 * An exchange (exchanges/NAME.c) places a market order and looks one up by
 * its client order id; live.c owns everything else (credentials, the order's
 * row, audit, fills). Both functions print their own diagnostics. place
 * returns 0 with *r filled from the answer, -1 when the exchange refused the
 * order (the reason in why), AB_EUNAVAILABLE when its outcome is unknown (5xx,
 * no answer, or an answer saying the exchange does not know yet: never resend
 * it), or another exit code. lookup returns 0 with r->found 0 when the
 * exchange does not know the client id, or an exit code; it never places.
 * jv values follow jq's rule: every call consumes its arguments.
 */
#ifndef AB_ORDER_VENUE_H
#define AB_ORDER_VENUE_H

#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "http.h"

/* What the exchange says about an order. */
struct remote {
	int found;                 /* 0: the exchange does not know the client id */
	char status[24];           /* our lifecycle name */
	char id[64];               /* the exchange's order id */
	double filled, quote;      /* executed quantity and its cost */
	double fee;                /* commission so far, in fee_ccy; NaN: not reported */
	char fee_ccy[16];          /* "" : the quote asset */
};

/* One order as the exchange needs it: names in the exchange's spelling. */
struct venue_req {
	const char *market;        /* the exchange's market id (ETHUSDT, ETH-USDT) */
	const char *client_id;     /* in the exchange's accepted form */
	const char *qty;           /* decimal text, already on the lot */
	const char *base, *quote;  /* the assets, as in BASE/QUOTE */
	int side;                  /* SIDE_BUY or SIDE_SELL */
};

struct venue;

struct venue_ops {
	const char *name, *base_url;
	int passphrase;            /* the secret is KEY:SECRET:PASSPHRASE */
	char sep;                  /* between base and quote in a market id, or 0 */
	/* Our client id ("ab" and 32 hex digits) in a form the exchange accepts. */
	void (*client_id)(const char *cid, char *out, size_t n);
	int (*place)(struct venue *v, const struct venue_req *q, struct remote *r, char *why, size_t whylen);
	int (*lookup)(struct venue *v, const struct venue_req *q, struct remote *r);
};

struct venue {
	const struct venue_ops *ops;
	const char *name, *base;
	char *key, *secret, *pass;  /* inside blob, from ab-auth's secret store */
	char *blob;
	size_t bloblen;
	struct ab_http http;
	int64_t nonce;              /* Kraken's last nonce */
};

extern const struct venue_ops venue_binance, venue_kraken, venue_coinbase, venue_okx, venue_bybit;
/* The exchange called name, or NULL. */
const struct venue_ops *venue_find(const char *name);

/* Sends one request to v's API and parses the JSON answer into *out (0), or
 * returns an exit code: AB_EUNAVAILABLE for a 5xx or no answer (outcome
 * unknown), AB_ETEMPFAIL when rate limited. *status is the HTTP status. */
int venue_http(struct venue *v, const char *method, const char *path, const char *query,
	       const char *const *headers, const char *body, jv *out, long *status);

/* An answer's body (len bytes) with its HTTP status to JSON in *out (0), or
 * AB_EUNAVAILABLE when it is not JSON (a 4xx without JSON is {}). */
int venue_answer(struct venue *v, const char *path, const char *body, size_t len, long status, jv *out);

/* JSON helpers for exchanges' answers. */
jv venue_jget(jv obj, const char *key);        /* obj[key], or invalid */
jv venue_jat(jv arr, int i);                   /* arr[i], or invalid */
double venue_jnum(jv v);                       /* number or numeric string, else NaN */
void venue_jstr(jv v, char *out, size_t n);    /* string (or integer) text, else "" */
/* Decimal text of x without exponent, at most 10 decimals, no trailing zeros. */
void venue_fmt_num(char *buf, size_t n, double x);
/* The current time: ms since the epoch (AB_NOW honoured, for tests). */
int64_t venue_now_ms(void);

/* Signatures, exported for `ab-order sign` and the tests (Binance's and
 * Kraken's are order_sign_binance and order_sign_kraken in order.h). Each
 * returns an ab_malloc'd string, or NULL when a base64 secret does not decode. */
char *venue_sign_coinbase(const char *secret_b64, const char *ts, const char *method, const char *path,
			  const char *body);
char *venue_sign_okx(const char *secret, const char *ts, const char *method, const char *path, const char *body);
char *venue_sign_bybit(const char *secret, const char *ts, const char *key, const char *recv_window,
		       const char *payload);

#endif
