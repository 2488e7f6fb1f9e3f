/* bybit.c: Bybit v5 spot orders (X-BAPI-SIGN: hex HMAC-SHA256 over
 * timestamp + key + recv window + query or body; errors in retCode). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../order.h"
#include "../venue.h"
#include "crypto.h"
#include "err.h"

#define RECV_WINDOW "5000"

char *
venue_sign_bybit(const char *secret, const char *ts, const char *key, const char *recv_window,
		 const char *payload)
{
	unsigned char mac[AB_CRYPTO_SHA256_LEN];
	size_t n = strlen(ts) + strlen(key) + strlen(recv_window) + strlen(payload) + 1;
	char *msg = ab_malloc(n);

	snprintf(msg, n, "%s%s%s%s", ts, key, recv_window, payload);
	ab_crypto_hmac_sha256(mac, secret, strlen(secret), msg, strlen(msg));
	free(msg);
	return ab_crypto_hex_encode(mac, sizeof mac);
}

/* A GET signs its query string, a POST its JSON body. */
static int
call(struct venue *v, const char *method, const char *path, const char *query, const char *body,
     jv *out, long *status)
{
	char h[5][256], ts[32];
	const char *headers[] = {h[0], h[1], h[2], h[3], h[4], NULL};

	snprintf(ts, sizeof ts, "%lld", (long long)venue_now_ms());
	char *sig = venue_sign_bybit(v->secret, ts, v->key, RECV_WINDOW, body ? body : query ? query : "");
	snprintf(h[0], sizeof h[0], "X-BAPI-API-KEY: %s", v->key);
	snprintf(h[1], sizeof h[1], "X-BAPI-SIGN: %s", sig);
	snprintf(h[2], sizeof h[2], "X-BAPI-TIMESTAMP: %s", ts);
	snprintf(h[3], sizeof h[3], "X-BAPI-RECV-WINDOW: %s", RECV_WINDOW);
	snprintf(h[4], sizeof h[4], "Content-Type: application/json");
	free(sig);
	return venue_http(v, method, path, query, headers, body, out, status);
}

/* orderLinkId: up to 36 characters; ours has 34. */
static void
client_id(const char *cid, char *out, size_t n)
{
	snprintf(out, n, "%s", cid);
}

/* retCodes saying the request may still be processed. */
static int
code_unknown(double c)
{
	return c == 10000 || c == 10016;
}

static int
place(struct venue *v, const struct venue_req *q, struct remote *r, char *why, size_t whylen)
{
	char body[512];
	jv ans;
	long status;
	int code;

	snprintf(body, sizeof body, "{\"category\":\"spot\",\"symbol\":\"%s\",\"side\":\"%s\",\"orderType\":\"Market\","
		 "\"qty\":\"%s\",\"marketUnit\":\"baseCoin\",\"orderLinkId\":\"%s\"}", q->market,
		 q->side == SIDE_BUY ? "Buy" : "Sell", q->qty, q->client_id);
	if ((code = call(v, "POST", "/v5/order/create", NULL, body, &ans, &status)))
		return code;
	double rc = venue_jnum(venue_jget(jv_copy(ans), "retCode"));
	if (status == 200 && rc == 0) {
		r->found = 1;
		snprintf(r->status, sizeof r->status, "open");
		venue_jstr(venue_jget(venue_jget(ans, "result"), "orderId"), r->id, sizeof r->id);
		return 0;
	}
	venue_jstr(venue_jget(ans, "retMsg"), why, whylen);
	if (code_unknown(rc))
		return ab_err(AB_EUNAVAILABLE, "bybit: %.0f %s: the order's outcome is unknown", rc, why);
	if (!why[0])
		snprintf(why, whylen, "bybit answered %ld", status);
	return -1;
}

static const char *
status_name(const char *s, double filled)
{
	if (!strcmp(s, "Filled")) return "filled";
	if (!strcmp(s, "PartiallyFilled")) return "partially_filled";
	if (!strcmp(s, "Cancelled") || !strcmp(s, "PartiallyFilledCanceled") || !strcmp(s, "Deactivated"))
		return "canceled";
	if (!strcmp(s, "Rejected")) return "rejected";
	return filled > 0 ? "partially_filled" : "open";
}

/* result.list[0] of an order query; 0 with r->found 0 when the list is empty. */
static int
query(struct venue *v, const char *path, const struct venue_req *q, struct remote *r)
{
	char qs[256], msg[200], st[32];
	jv ans;
	long status;
	int code;

	snprintf(qs, sizeof qs, "category=spot&symbol=%s&orderLinkId=%s", q->market, q->client_id);
	if ((code = call(v, "GET", path, qs, NULL, &ans, &status)))
		return code;
	double rc = venue_jnum(venue_jget(jv_copy(ans), "retCode"));
	if (status != 200 || rc != 0) {
		venue_jstr(venue_jget(ans, "retMsg"), msg, sizeof msg);
		return ab_err(AB_EUNAVAILABLE, "bybit: order lookup: %.0f %s", rc, msg);
	}
	jv o = venue_jat(venue_jget(venue_jget(ans, "result"), "list"), 0);
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		return 0;
	}
	r->found = 1;
	venue_jstr(venue_jget(jv_copy(o), "orderId"), r->id, sizeof r->id);
	r->filled = venue_jnum(venue_jget(jv_copy(o), "cumExecQty"));
	r->quote = venue_jnum(venue_jget(jv_copy(o), "cumExecValue"));
	if (isnan(r->filled))
		r->filled = 0;
	if (isnan(r->quote))
		r->quote = 0;
	/* cumFeeDetail names the fee's coin; without it, a spot buy pays in
	 * the base coin and a sell in the quote coin. */
	jv det = venue_jget(jv_copy(o), "cumFeeDetail");
	int it = jv_get_kind(det) == JV_KIND_OBJECT ? jv_object_iter(det) : -1;
	if (it >= 0 && jv_object_iter_valid(det, it)) {
		jv k = jv_object_iter_key(det, it);
		snprintf(r->fee_ccy, sizeof r->fee_ccy, "%s", jv_string_value(k));
		jv_free(k);
		r->fee = venue_jnum(jv_object_iter_value(det, it));
	} else {
		r->fee = venue_jnum(venue_jget(jv_copy(o), "cumExecFee"));
		snprintf(r->fee_ccy, sizeof r->fee_ccy, "%s", q->side == SIDE_BUY ? q->base : q->quote);
	}
	jv_free(det);
	venue_jstr(venue_jget(o, "orderStatus"), st, sizeof st);
	snprintf(r->status, sizeof r->status, "%s", status_name(st, r->filled));
	return 0;
}

/* Open orders are in realtime, finished ones in history. */
static int
lookup(struct venue *v, const struct venue_req *q, struct remote *r)
{
	int code = query(v, "/v5/order/realtime", q, r);
	if (!code && !r->found)
		code = query(v, "/v5/order/history", q, r);
	return code;
}

const struct venue_ops venue_bybit = {
	.name = "bybit", .base_url = "https://api.bybit.com", .sep = 0,
	.client_id = client_id, .place = place, .lookup = lookup,
};
