/* kraken.c: Kraken spot orders (API-Sign: HMAC-SHA512 over path and SHA-256(nonce + body)). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../order.h"
#include "../venue.h"
#include "crypto.h"
#include "err.h"

char *
order_sign_kraken(const char *secret_b64, const char *path, const char *nonce, const char *post)
{
	return ab_crypto_kraken_sign(secret_b64, path, nonce, post);
}

/* A POST with an increasing nonce first in the form body. */
static int
call(struct venue *v, const char *path, const char *params, jv *out, long *status)
{
	char h1[256], h2[256], nonce[32];
	const char *headers[] = {h1, h2, NULL};
	int64_t now = venue_now_ms() * 1000;
	int code;

	v->nonce = now > v->nonce ? now : v->nonce + 1;
	snprintf(nonce, sizeof nonce, "%lld", (long long)v->nonce);
	size_t n = strlen(params) + 64;
	char *body = ab_malloc(n);
	snprintf(body, n, "nonce=%s%s%s", nonce, *params ? "&" : "", params);
	char *sig = order_sign_kraken(v->secret, path, nonce, body);
	if (!sig) {
		free(body);
		return ab_err(AB_ECONFIG, "kraken: the stored secret is not base64");
	}
	snprintf(h1, sizeof h1, "API-Key: %s", v->key);
	snprintf(h2, sizeof h2, "API-Sign: %s", sig);
	code = venue_http(v, "POST", path, NULL, headers, body, out, status);
	free(sig);
	free(body);
	return code;
}

static const char *
status_name(const char *s)
{
	if (!strcmp(s, "pending") || !strcmp(s, "open")) return "open";
	if (!strcmp(s, "closed")) return "filled";
	if (!strcmp(s, "canceled")) return "canceled";
	return "expired";
}

/* The first entry of error[], or "" when there is none. */
static void
first_error(jv ans, char *why, size_t n)
{
	jv err = venue_jget(ans, "error");
	why[0] = '\0';
	if (jv_get_kind(err) == JV_KIND_ARRAY && jv_array_length(jv_copy(err)) > 0)
		venue_jstr(jv_array_get(jv_copy(err), 0), why, n);
	jv_free(err);
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

	snprintf(params, sizeof params, "ordertype=market&pair=%s&type=%s&volume=%s&cl_ord_id=%s",
		 q->market, q->side == SIDE_BUY ? "buy" : "sell", q->qty, q->client_id);
	if ((code = call(v, "/0/private/AddOrder", params, &ans, &status)))
		return code;
	first_error(jv_copy(ans), why, whylen);
	if (status != 200 || why[0]) {
		/* Kraken's own word for "it may or may not have been placed". */
		if (!strncmp(why, "EService:", 9)) {
			jv_free(ans);
			return ab_err(AB_EUNAVAILABLE, "kraken: %s: the order's outcome is unknown", why);
		}
		if (!why[0])
			snprintf(why, whylen, "kraken answered %ld", status);
		jv_free(ans);
		return -1;
	}
	r->found = 1;
	snprintf(r->status, sizeof r->status, "open");
	venue_jstr(venue_jat(venue_jget(venue_jget(ans, "result"), "txid"), 0), r->id, sizeof r->id);
	return 0;
}

static int
lookup(struct venue *v, const struct venue_req *q, struct remote *r)
{
	char params[256], why[200];
	jv ans;
	long status;
	int code;

	snprintf(params, sizeof params, "cl_ord_id=%s", q->client_id);
	if ((code = call(v, "/0/private/QueryOrders", params, &ans, &status)))
		return code;
	first_error(jv_copy(ans), why, sizeof why);
	if (status != 200 || why[0]) {
		jv_free(ans);
		return ab_err(AB_EUNAVAILABLE, "kraken: order lookup: %s", why[0] ? why : "no answer");
	}
	jv res = venue_jget(ans, "result");
	if (jv_get_kind(res) == JV_KIND_OBJECT) {
		int it = jv_object_iter(res);
		if (jv_object_iter_valid(res, it)) {
			jv k = jv_object_iter_key(res, it), o = jv_object_iter_value(res, it);
			r->found = 1;
			snprintf(r->id, sizeof r->id, "%s", jv_string_value(k));
			jv_free(k);
			venue_jstr(venue_jget(jv_copy(o), "status"), r->status, sizeof r->status);
			snprintf(r->status, sizeof r->status, "%s", status_name(r->status));
			r->filled = venue_jnum(venue_jget(jv_copy(o), "vol_exec"));
			r->quote = venue_jnum(venue_jget(jv_copy(o), "cost"));
			/* In the quote currency (Kraken's default fee currency). */
			r->fee = venue_jnum(venue_jget(o, "fee"));
			if (!strcmp(r->status, "open") && r->filled > 0)
				snprintf(r->status, sizeof r->status, "partially_filled");
		}
	}
	jv_free(res);
	return 0;
}

const struct venue_ops venue_kraken = {
	.name = "kraken", .base_url = "https://api.kraken.com", .sep = 0,
	.client_id = client_id, .place = place, .lookup = lookup,
};
