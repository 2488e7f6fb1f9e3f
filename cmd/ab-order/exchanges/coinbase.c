/* coinbase.c: Coinbase Exchange orders (CB-ACCESS-SIGN: base64 HMAC-SHA256,
 * keyed with the base64-decoded secret, over timestamp + method + path + body). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../order.h"
#include "../venue.h"
#include "crypto.h"
#include "err.h"

char *
venue_sign_coinbase(const char *secret_b64, const char *ts, const char *method, const char *path,
		    const char *body)
{
	unsigned char mac[AB_CRYPTO_SHA256_LEN];
	size_t klen;
	unsigned char *key = ab_crypto_base64_decode(secret_b64, strlen(secret_b64), &klen);

	if (!key)
		return NULL;
	size_t n = strlen(ts) + strlen(method) + strlen(path) + strlen(body) + 1;
	char *msg = ab_malloc(n);
	snprintf(msg, n, "%s%s%s%s", ts, method, path, body);
	ab_crypto_hmac_sha256(mac, key, klen, msg, strlen(msg));
	ab_crypto_wipe(key, klen);
	free(key);
	free(msg);
	return ab_crypto_base64_encode(mac, sizeof mac);
}

static int
call(struct venue *v, const char *method, const char *path, const char *body, jv *out, long *status)
{
	char h[5][256], ts[32];
	const char *headers[] = {h[0], h[1], h[2], h[3], h[4], NULL};
	int code;

	/* Seconds; the exchange refuses a timestamp 30 s away from its clock. */
	snprintf(ts, sizeof ts, "%lld", (long long)(venue_now_ms() / 1000));
	char *sig = venue_sign_coinbase(v->secret, ts, method, path, body ? body : "");
	if (!sig)
		return ab_err(AB_ECONFIG, "coinbase: the stored secret is not base64");
	snprintf(h[0], sizeof h[0], "CB-ACCESS-KEY: %s", v->key);
	snprintf(h[1], sizeof h[1], "CB-ACCESS-SIGN: %s", sig);
	snprintf(h[2], sizeof h[2], "CB-ACCESS-TIMESTAMP: %s", ts);
	snprintf(h[3], sizeof h[3], "CB-ACCESS-PASSPHRASE: %s", v->pass);
	snprintf(h[4], sizeof h[4], "Content-Type: application/json");
	code = venue_http(v, method, path, NULL, headers, body, out, status);
	ab_crypto_wipe(h[3], sizeof h[3]);
	free(sig);
	return code;
}

/* client_oid is a UUID: our id's 32 hex digits, grouped 8-4-4-4-12. */
static void
client_id(const char *cid, char *out, size_t n)
{
	const char *h = cid + 2;
	snprintf(out, n, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

static void
order_fields(jv o, struct remote *r)
{
	char st[24], done[24];

	r->found = 1;
	venue_jstr(venue_jget(jv_copy(o), "id"), r->id, sizeof r->id);
	venue_jstr(venue_jget(jv_copy(o), "status"), st, sizeof st);
	venue_jstr(venue_jget(jv_copy(o), "done_reason"), done, sizeof done);
	r->filled = venue_jnum(venue_jget(jv_copy(o), "filled_size"));
	r->quote = venue_jnum(venue_jget(jv_copy(o), "executed_value"));
	/* fill_fees is in the quote currency. */
	r->fee = venue_jnum(venue_jget(o, "fill_fees"));
	if (isnan(r->filled))
		r->filled = 0;
	if (isnan(r->quote))
		r->quote = 0;
	const char *s = "open";
	if (!strcmp(st, "done"))
		s = !strcmp(done, "filled") ? "filled" : !strcmp(done, "rejected") ? "rejected" : "canceled";
	else if (!strcmp(st, "rejected"))
		s = "rejected";
	else if (r->filled > 0)
		s = "partially_filled";
	snprintf(r->status, sizeof r->status, "%s", s);
}

static int
place(struct venue *v, const struct venue_req *q, struct remote *r, char *why, size_t whylen)
{
	char body[512];
	jv ans;
	long status;
	int code;

	snprintf(body, sizeof body, "{\"type\":\"market\",\"side\":\"%s\",\"product_id\":\"%s\",\"size\":\"%s\","
		 "\"client_oid\":\"%s\"}", q->side == SIDE_BUY ? "buy" : "sell", q->market, q->qty, q->client_id);
	if ((code = call(v, "POST", "/orders", body, &ans, &status)))
		return code;
	if (status != 200) {
		venue_jstr(venue_jget(ans, "message"), why, whylen);
		if (!why[0])
			snprintf(why, whylen, "coinbase answered %ld", status);
		return -1;
	}
	order_fields(ans, r);
	return 0;
}

static int
lookup(struct venue *v, const struct venue_req *q, struct remote *r)
{
	char path[128], msg[200];
	jv ans;
	long status;
	int code;

	snprintf(path, sizeof path, "/orders/client:%s", q->client_id);
	if ((code = call(v, "GET", path, NULL, &ans, &status)))
		return code;
	if (status == 404) {
		jv_free(ans);
		return 0;
	}
	if (status != 200) {
		venue_jstr(venue_jget(ans, "message"), msg, sizeof msg);
		return ab_err(AB_EUNAVAILABLE, "coinbase: order lookup answered %ld: %s", status, msg);
	}
	order_fields(ans, r);
	return 0;
}

const struct venue_ops venue_coinbase = {
	.name = "coinbase", .base_url = "https://api.exchange.coinbase.com", .passphrase = 1, .sep = '-',
	.client_id = client_id, .place = place, .lookup = lookup,
};
