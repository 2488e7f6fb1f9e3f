/* binance.c: Binance spot orders (HMAC-SHA256 signed query, X-MBX-APIKEY). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../order.h"
#include "../venue.h"
#include "crypto.h"
#include "err.h"

char *
order_sign_binance(const char *secret, const char *payload)
{
	unsigned char mac[AB_CRYPTO_SHA256_LEN];
	ab_crypto_hmac_sha256(mac, secret, strlen(secret), payload, strlen(payload));
	return ab_crypto_hex_encode(mac, sizeof mac);
}

/* params, then timestamp, then the signature over both: in the query of a
 * GET, in the form body of a POST. */
static int
call(struct venue *v, const char *method, const char *path, const char *params, jv *out, long *status)
{
	char hdr[256], ts[32];
	const char *headers[] = {hdr, NULL};
	int code;

	snprintf(ts, sizeof ts, "%lld", (long long)venue_now_ms());
	size_t n = strlen(params) + 48;
	char *payload = ab_malloc(n);
	snprintf(payload, n, "%s%stimestamp=%s", params, *params ? "&" : "", ts);
	char *sig = order_sign_binance(v->secret, payload);
	size_t fn = strlen(payload) + strlen(sig) + 16;
	char *full = ab_malloc(fn);
	snprintf(full, fn, "%s&signature=%s", payload, sig);
	snprintf(hdr, sizeof hdr, "X-MBX-APIKEY: %s", v->key);
	if (!strcmp(method, "GET"))
		code = venue_http(v, method, path, full, headers, NULL, out, status);
	else
		code = venue_http(v, method, path, NULL, headers, full, out, status);
	free(full);
	free(sig);
	free(payload);
	return code;
}

static const char *
status_name(const char *s)
{
	if (!strcmp(s, "NEW")) return "open";
	if (!strcmp(s, "PARTIALLY_FILLED")) return "partially_filled";
	if (!strcmp(s, "FILLED")) return "filled";
	if (!strcmp(s, "CANCELED") || !strcmp(s, "PENDING_CANCEL")) return "canceled";
	if (!strcmp(s, "REJECTED")) return "rejected";
	return "expired";
}

static void
order_fields(jv ans, struct remote *r)
{
	r->found = 1;
	venue_jstr(venue_jget(jv_copy(ans), "status"), r->status, sizeof r->status);
	snprintf(r->status, sizeof r->status, "%s", status_name(r->status));
	venue_jstr(venue_jget(jv_copy(ans), "orderId"), r->id, sizeof r->id);
	r->filled = venue_jnum(venue_jget(jv_copy(ans), "executedQty"));
	r->quote = venue_jnum(venue_jget(ans, "cummulativeQuoteQty"));
}

/* The commission of trades [{commission, commissionAsset}]: NaN when there
 * are none to go by or they mix assets. */
static void
commission(jv list, struct remote *r)
{
	r->fee = NAN;
	r->fee_ccy[0] = '\0';
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		jv_free(list);
		return;
	}
	int n = jv_array_length(jv_copy(list));
	double sum = 0;
	char ccy[16] = "";
	for (int i = 0; i < n; i++) {
		jv t = jv_array_get(jv_copy(list), i);
		char a[16];
		double c = venue_jnum(venue_jget(jv_copy(t), "commission"));
		venue_jstr(venue_jget(t, "commissionAsset"), a, sizeof a);
		if (isnan(c) || (i > 0 && strcmp(a, ccy))) {
			jv_free(list);
			return;
		}
		snprintf(ccy, sizeof ccy, "%s", a);
		sum += c;
	}
	jv_free(list);
	if (n > 0) {
		r->fee = sum;
		snprintf(r->fee_ccy, sizeof r->fee_ccy, "%s", ccy);
	}
}

static void
client_id(const char *cid, char *out, size_t n)
{
	snprintf(out, n, "%s", cid);
}

static int
place(struct venue *v, const struct venue_req *q, struct remote *r, char *why, size_t whylen)
{
	char params[512];
	jv ans;
	long status;
	int code;

	snprintf(params, sizeof params, "symbol=%s&side=%s&type=MARKET&quantity=%s&newClientOrderId=%s"
		 "&newOrderRespType=FULL&recvWindow=5000", q->market, q->side == SIDE_BUY ? "BUY" : "SELL",
		 q->qty, q->client_id);
	if ((code = call(v, "POST", "/api/v3/order", params, &ans, &status)))
		return code;
	if (status != 200) {
		/* -1007: the backend timed out; the order may have gone through. */
		if (venue_jnum(venue_jget(jv_copy(ans), "code")) == -1007) {
			jv_free(ans);
			return ab_err(AB_EUNAVAILABLE, "binance: the order's outcome is unknown (-1007)");
		}
		venue_jstr(venue_jget(ans, "msg"), why, whylen);
		return -1;
	}
	commission(venue_jget(jv_copy(ans), "fills"), r);
	order_fields(ans, r);
	return 0;
}

static int
lookup(struct venue *v, const struct venue_req *q, struct remote *r)
{
	char params[256];
	jv ans;
	long status;
	int code;

	snprintf(params, sizeof params, "symbol=%s&origClientOrderId=%s", q->market, q->client_id);
	if ((code = call(v, "GET", "/api/v3/order", params, &ans, &status)))
		return code;
	if (status == 400 && venue_jnum(venue_jget(jv_copy(ans), "code")) == -2013) {
		jv_free(ans);
		return 0;
	}
	if (status != 200) {
		jv_free(ans);
		return ab_err(AB_EUNAVAILABLE, "binance: order lookup answered %ld", status);
	}
	order_fields(ans, r);
	/* The order does not carry its commission: its trades do. */
	if (r->filled > 0) {
		snprintf(params, sizeof params, "symbol=%s&orderId=%s", q->market, r->id);
		if ((code = call(v, "GET", "/api/v3/myTrades", params, &ans, &status)))
			return code;
		if (status == 200)
			commission(ans, r);
		else
			jv_free(ans);
	}
	return 0;
}

const struct venue_ops venue_binance = {
	.name = "binance", .base_url = "https://api.binance.com", .sep = 0,
	.client_id = client_id, .place = place, .lookup = lookup,
};
