/* okx.c: OKX v5 spot orders (OK-ACCESS-SIGN: base64 HMAC-SHA256 over
 * ISO timestamp + method + path?query + body; errors in 200 bodies). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../order.h"
#include "../venue.h"
#include "crypto.h"
#include "err.h"
#include "timefmt.h"

char *
venue_sign_okx(const char *secret, const char *ts, const char *method, const char *path, const char *body)
{
	unsigned char mac[AB_CRYPTO_SHA256_LEN];
	size_t n = strlen(ts) + strlen(method) + strlen(path) + strlen(body) + 1;
	char *msg = ab_malloc(n);

	snprintf(msg, n, "%s%s%s%s", ts, method, path, body);
	ab_crypto_hmac_sha256(mac, secret, strlen(secret), msg, strlen(msg));
	free(msg);
	return ab_crypto_base64_encode(mac, sizeof mac);
}

/* 2020-12-08T09:08:57.715Z: always with milliseconds, as OKX wants. */
static void
iso_ms(int64_t ms, char *out, size_t n)
{
	char buf[AB_TIME_MAX];
	size_t len = ab_time_format(ms - ms % 1000, buf);
	if (len && buf[len - 1] == 'Z')
		buf[--len] = '\0';
	snprintf(out, n, "%s.%03dZ", buf, (int)(ms % 1000));
}

static int
call(struct venue *v, const char *method, const char *path, const char *query, const char *body,
     jv *out, long *status)
{
	char h[5][256], ts[40], target[512];
	const char *headers[] = {h[0], h[1], h[2], h[3], h[4], NULL};
	int code;

	iso_ms(venue_now_ms(), ts, sizeof ts);
	snprintf(target, sizeof target, "%s%s%s", path, query ? "?" : "", query ? query : "");
	char *sig = venue_sign_okx(v->secret, ts, method, target, body ? body : "");
	snprintf(h[0], sizeof h[0], "OK-ACCESS-KEY: %s", v->key);
	snprintf(h[1], sizeof h[1], "OK-ACCESS-SIGN: %s", sig);
	snprintf(h[2], sizeof h[2], "OK-ACCESS-TIMESTAMP: %s", ts);
	snprintf(h[3], sizeof h[3], "OK-ACCESS-PASSPHRASE: %s", v->pass);
	snprintf(h[4], sizeof h[4], "Content-Type: application/json");
	code = venue_http(v, method, path, query, headers, body, out, status);
	ab_crypto_wipe(h[3], sizeof h[3]);
	free(sig);
	return code;
}

/* clOrdId: 1 to 32 letters and digits, starting with a letter. */
static void
client_id(const char *cid, char *out, size_t n)
{
	snprintf(out, n, "%.32s", cid);
}

/* Codes meaning the request may still be processed: the outcome is unknown. */
static int
code_unknown(const char *c)
{
	return !strcmp(c, "50001") || !strcmp(c, "50004") || !strcmp(c, "50013") || !strcmp(c, "50026");
}

static int
place(struct venue *v, const struct venue_req *q, struct remote *r, char *why, size_t whylen)
{
	char body[512], c[16], sc[16], msg[200];
	jv ans;
	long status;
	int code;

	/* tgtCcy base_ccy: sz is in the base asset for market buys too. */
	snprintf(body, sizeof body, "{\"instId\":\"%s\",\"tdMode\":\"cash\",\"side\":\"%s\",\"ordType\":\"market\","
		 "\"sz\":\"%s\",\"tgtCcy\":\"base_ccy\",\"clOrdId\":\"%s\"}", q->market,
		 q->side == SIDE_BUY ? "buy" : "sell", q->qty, q->client_id);
	if ((code = call(v, "POST", "/api/v5/trade/order", NULL, body, &ans, &status)))
		return code;
	venue_jstr(venue_jget(jv_copy(ans), "code"), c, sizeof c);
	venue_jstr(venue_jget(jv_copy(ans), "msg"), msg, sizeof msg);
	jv d = venue_jat(venue_jget(jv_copy(ans), "data"), 0);
	jv_free(ans);
	if (!jv_is_valid(d)) {
		jv_free(d);
		d = jv_object();
	}
	venue_jstr(venue_jget(jv_copy(d), "sCode"), sc, sizeof sc);
	if (status == 200 && !strcmp(c, "0") && (!sc[0] || !strcmp(sc, "0"))) {
		r->found = 1;
		snprintf(r->status, sizeof r->status, "open");
		venue_jstr(venue_jget(d, "ordId"), r->id, sizeof r->id);
		return 0;
	}
	if (code_unknown(c) || code_unknown(sc)) {
		jv_free(d);
		return ab_err(AB_EUNAVAILABLE, "okx: %s %s: the order's outcome is unknown", sc[0] ? sc : c, msg);
	}
	/* The order's own reason (sCode/sMsg) before the request's (code/msg). */
	if (sc[0] && strcmp(sc, "0")) {
		venue_jstr(venue_jget(d, "sMsg"), why, whylen);
		if (!why[0])
			snprintf(why, whylen, "okx: %s", sc);
	} else {
		jv_free(d);
		snprintf(why, whylen, "%s", msg[0] ? msg : c);
	}
	return -1;
}

static const char *
state_name(const char *s, double filled)
{
	if (!strcmp(s, "filled")) return "filled";
	if (!strcmp(s, "partially_filled")) return "partially_filled";
	if (!strcmp(s, "canceled") || !strcmp(s, "mmp_canceled")) return "canceled";
	return filled > 0 ? "partially_filled" : "open";
}

static int
lookup(struct venue *v, const struct venue_req *q, struct remote *r)
{
	char query[256], c[16], msg[200], st[24];
	jv ans;
	long status;
	int code;

	snprintf(query, sizeof query, "instId=%s&clOrdId=%s", q->market, q->client_id);
	if ((code = call(v, "GET", "/api/v5/trade/order", query, NULL, &ans, &status)))
		return code;
	venue_jstr(venue_jget(jv_copy(ans), "code"), c, sizeof c);
	if (!strcmp(c, "51603")) {  /* Order does not exist */
		jv_free(ans);
		return 0;
	}
	if (status != 200 || strcmp(c, "0")) {
		venue_jstr(venue_jget(ans, "msg"), msg, sizeof msg);
		return ab_err(AB_EUNAVAILABLE, "okx: order lookup: %s %s", c, msg);
	}
	jv o = venue_jat(venue_jget(ans, "data"), 0);
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		return 0;
	}
	r->found = 1;
	venue_jstr(venue_jget(jv_copy(o), "ordId"), r->id, sizeof r->id);
	r->filled = venue_jnum(venue_jget(jv_copy(o), "accFillSz"));
	double avg = venue_jnum(venue_jget(jv_copy(o), "avgPx"));
	if (isnan(r->filled))
		r->filled = 0;
	r->quote = r->filled > 0 && avg > 0 ? r->filled * avg : 0;
	/* fee is negative for a charge, positive for a rebate. */
	double fee = venue_jnum(venue_jget(jv_copy(o), "fee"));
	r->fee = isnan(fee) ? NAN : -fee;
	venue_jstr(venue_jget(jv_copy(o), "feeCcy"), r->fee_ccy, sizeof r->fee_ccy);
	venue_jstr(venue_jget(o, "state"), st, sizeof st);
	snprintf(r->status, sizeof r->status, "%s", state_name(st, r->filled));
	return 0;
}

const struct venue_ops venue_okx = {
	.name = "okx", .base_url = "https://www.okx.com", .passphrase = 1, .sep = '-',
	.client_id = client_id, .place = place, .lookup = lookup,
};
