/* orders.h: the body of the fuzz-orders-NAME harnesses: ab-order's exchange
 * answer parsers (cmd/ab-order/venue.c and exchanges/NAME.c), placing a
 * market order and looking one up, with the exchange's answers taken from
 * the input instead of the network. Each exchange has its own harness (the
 * exchanges' files share the names of their static functions). The
 * includer includes venue.c and exchanges/NAME.c and defines VENUE.
 *
 * Input: the first byte picks the call (place or lookup) and the side; the
 * rest is the answers in the order the call asks for them, separated by
 * "\n==\n", each led by a byte that picks its HTTP status (or no answer at
 * all). Checks: no crash, leak or undefined behaviour; place returns 0, -1
 * (refused, with a reason) or 69, 75 or 78; lookup 0, 69, 75 or 78; an
 * order the exchange knows has one of our lifecycle names and its strings
 * end inside their buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The answers still to give, one per request. */
static const char *feed, *feed_end;

int
venue_http(struct venue *v, const char *method, const char *path, const char *query,
	   const char *const *headers, const char *body, jv *out, long *status)
{
	static const long statuses[] = {200, 200, 200, 200, 400, 401, 404, 418, 429, 500, 503, 0};
	(void)method, (void)query, (void)headers, (void)body;

	*status = 0;
	if (!feed || feed >= feed_end)
		return ab_err(AB_EUNAVAILABLE, "%s: no answer", v->name);
	const char *sep = memmem(feed, (size_t)(feed_end - feed), "\n==\n", 4);
	const char *end = sep ? sep : feed_end;
	long st = statuses[(unsigned char)*feed % (sizeof statuses / sizeof *statuses)];
	const char *b = feed + 1 < end ? feed + 1 : end;
	feed = sep ? sep + 4 : feed_end;
	if (st == 0)
		return ab_err(AB_EUNAVAILABLE, "%s: no answer", v->name);
	*status = st;
	/* a copy of exactly the body, so reading past it is caught */
	size_t n = (size_t)(end - b);
	char *copy = malloc(n + 1);
	memcpy(copy, b, n);
	copy[n] = 0; /* the HTTP client's bodies end in a NUL */
	int code = venue_answer(v, path, copy, n, st, out);
	free(copy);
	return code;
}

static int
inside(const char *s, size_t n)
{
	return strnlen(s, n) < n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"open", "partially_filled", "filled", "canceled", "rejected", "expired"};
	char key[] = "key", secret[] = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=", pass[] = "pass";
	char cid[64], why[200];
	struct venue v;
	struct remote r;
	int code;

	if (size < 1)
		return 0;
	const struct venue_ops *ops = &VENUE;
	int op = data[0] % 2, side = (data[0] / 2) % 2 ? SIDE_SELL : SIDE_BUY;
	memset(&v, 0, sizeof v);
	v.ops = ops;
	v.name = ops->name;
	v.base = "http://127.0.0.1:1";
	v.key = key;
	v.secret = secret;
	v.pass = pass;
	ops->client_id("ab0123456789abcdef0123456789abcdef", cid, sizeof cid);
	struct venue_req q = {ops->sep == '-' ? "ETH-USDT" : "ETHUSDT", cid, "0.5", "ETH", "USDT", side};
	memset(&r, 0, sizeof r);
	r.fee = NAN;
	memset(why, 'x', sizeof why);
	why[0] = 0;
	feed = (const char *)data + 1;
	feed_end = (const char *)data + size;
	if (op == 0) {
		code = ops->place(&v, &q, &r, why, sizeof why);
		if (code == -1 && !inside(why, sizeof why))
			abort();
	} else {
		code = ops->lookup(&v, &q, &r);
	}
	if (code != 0 && code != (op == 0 ? -1 : 0) && code != AB_EUNAVAILABLE && code != AB_ETEMPFAIL &&
	    code != AB_ECONFIG)
		abort();
	if (code == 0 && r.found) {
		size_t i = 0;
		while (i < sizeof names / sizeof *names && strcmp(r.status, names[i]) != 0)
			i++;
		if (i == sizeof names / sizeof *names || !inside(r.id, sizeof r.id) || !inside(r.fee_ccy, sizeof r.fee_ccy))
			abort();
	}
	return 0;
}
