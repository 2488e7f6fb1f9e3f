/* live.c: signed orders on Binance and Kraken, the unknown state, and sync. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "auth.h"
#include "book.h"
#include "crypto.h"
#include "err.h"
#include "http.h"
#include "timefmt.h"

struct venue {
	const char *name, *base;
	char *key, *secret;        /* from ab-auth's secret store: "KEY:SECRET" */
	char *blob;
	size_t bloblen;
	struct ab_http http;
	int64_t nonce;
};

/* What the exchange says about an order. */
struct remote {
	int found;                 /* 0: the exchange does not know the client id */
	char status[24];           /* our lifecycle name */
	char id[64];
	double filled, quote;      /* executed quantity and its cost */
};

char *
order_sign_binance(const char *secret, const char *payload)
{
	unsigned char mac[AB_CRYPTO_SHA256_LEN];
	ab_crypto_hmac_sha256(mac, secret, strlen(secret), payload, strlen(payload));
	return ab_crypto_hex_encode(mac, sizeof mac);
}

char *
order_sign_kraken(const char *secret_b64, const char *path, const char *nonce, const char *post)
{
	return ab_crypto_kraken_sign(secret_b64, path, nonce, post);
}

static void
fmt_qty(char *buf, size_t n, double q)
{
	/* Decimal text without exponent, at most 10 decimals, no trailing zeros. */
	snprintf(buf, n, "%.10f", q);
	char *p = buf + strlen(buf) - 1;
	while (p > buf && *p == '0')
		*p-- = '\0';
	if (*p == '.')
		*p = '\0';
}

/* The exchange's market name: markets.id when known, else BASE+QUOTE. */
static void
market_id(struct ab_db *db, const char *exchange, const char *symbol, char *out, size_t n)
{
	sqlite3_stmt *st;
	out[0] = '\0';
	if (!ab_db_prepare(db, "SELECT id FROM markets WHERE exchange = ? AND symbol = ?", &st)) {
		sqlite3_bind_text(st, 1, exchange, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, symbol, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (!out[0]) {
		size_t j = 0;
		for (const char *p = symbol; *p && j + 1 < n; p++)
			if (*p != '/')
				out[j++] = *p;
		out[j] = '\0';
	}
}

static const char *
binance_status(const char *s)
{
	if (!strcmp(s, "NEW")) return "open";
	if (!strcmp(s, "PARTIALLY_FILLED")) return "partially_filled";
	if (!strcmp(s, "FILLED")) return "filled";
	if (!strcmp(s, "CANCELED") || !strcmp(s, "PENDING_CANCEL")) return "canceled";
	if (!strcmp(s, "REJECTED")) return "rejected";
	return "expired";
}

static const char *
kraken_status(const char *s)
{
	if (!strcmp(s, "pending") || !strcmp(s, "open")) return "open";
	if (!strcmp(s, "closed")) return "filled";
	if (!strcmp(s, "canceled")) return "canceled";
	return "expired";
}

/* Fields of the exchanges' JSON answers, through libjq's jv. */
static jv
jget(jv obj, const char *k)
{
	return jv_get_kind(obj) == JV_KIND_OBJECT ? jv_object_get(obj, jv_string(k)) : (jv_free(obj), jv_invalid());
}

static double
jnum(jv v)
{
	double d = NAN;
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		d = jv_number_value(v);
	else if (jv_get_kind(v) == JV_KIND_STRING)
		d = strtod(jv_string_value(v), NULL);
	jv_free(v);
	return d;
}

static void
jstr(jv v, char *out, size_t n)
{
	out[0] = '\0';
	if (jv_get_kind(v) == JV_KIND_STRING)
		snprintf(out, n, "%s", jv_string_value(v));
	else if (jv_get_kind(v) == JV_KIND_NUMBER)
		snprintf(out, n, "%.0f", jv_number_value(v));
	jv_free(v);
}

/* Signed request; returns 0 with the parsed body in *out, or an exit code
 * (69 when the outcome is unknown: 5xx or no answer). */
static int
call(struct venue *v, const char *method, const char *path, const char *params, jv *out, long *status)
{
	char url[2048], hdr1[256], hdr2[512], nonce[32];
	const char *headers[3] = {hdr1, hdr2, NULL};
	char *body = NULL, *sig;
	struct ab_http_response resp = {0};
	int code;

	if (!strcmp(v->name, "binance")) {
		char *payload;
		size_t n = strlen(params) + 64;
		payload = ab_malloc(n);
		snprintf(payload, n, "%s%stimestamp=%lld", params, *params ? "&" : "", (long long)ab_now_ms());
		sig = order_sign_binance(v->secret, payload);
		size_t un = strlen(payload) + strlen(sig) + strlen(v->base) + strlen(path) + 32;
		char *full = ab_malloc(un);
		snprintf(full, un, "%s&signature=%s", payload, sig);
		snprintf(hdr1, sizeof hdr1, "X-MBX-APIKEY: %s", v->key);
		headers[1] = NULL;
		if (!strcmp(method, "GET")) {
			snprintf(url, sizeof url, "%s%s?%s", v->base, path, full);
			free(full);
		} else {
			snprintf(url, sizeof url, "%s%s", v->base, path);
			body = full;
		}
		free(payload);
		free(sig);
	} else {
		/* Kraken: an increasing nonce in the form body, API-Sign over path and it. */
		int64_t now = ab_now_ms() * 1000;
		v->nonce = now > v->nonce ? now : v->nonce + 1;
		snprintf(nonce, sizeof nonce, "%lld", (long long)v->nonce);
		size_t n = strlen(params) + 64;
		body = ab_malloc(n);
		snprintf(body, n, "nonce=%s%s%s", nonce, *params ? "&" : "", params);
		sig = order_sign_kraken(v->secret, path, nonce, body);
		if (!sig) {
			free(body);
			return ab_err(AB_ECONFIG, "kraken: the stored secret is not base64");
		}
		snprintf(hdr1, sizeof hdr1, "API-Key: %s", v->key);
		snprintf(hdr2, sizeof hdr2, "API-Sign: %s", sig);
		free(sig);
		snprintf(url, sizeof url, "%s%s", v->base, path);
	}
	code = ab_http_request(&v->http, method, url, headers, body, &resp);
	free(body);
	*status = resp.status;
	if (!code) {
		*out = jv_parse_sized(resp.body, (int)resp.len);
		if (!jv_is_valid(*out)) {
			jv_free(*out);
			code = ab_err(AB_EUNAVAILABLE, "%s: %s: the answer is not JSON", v->name, path);
		}
	}
	ab_http_response_free(&resp);
	return code;
}

/* Places a market order; on success fills *r from the answer. */
static int
place(struct venue *v, struct ab_db *db, const struct slot *s, const struct eng_order *o,
      const char *cid, struct remote *r, char *why, size_t whylen)
{
	char mid[64], qty[48], params[512];
	jv ans;
	long status;
	int code;

	memset(r, 0, sizeof *r);
	market_id(db, s->e.exchange, s->e.symbol, mid, sizeof mid);
	fmt_qty(qty, sizeof qty, o->qty);
	if (!strcmp(v->name, "binance")) {
		snprintf(params, sizeof params, "symbol=%s&side=%s&type=MARKET&quantity=%s&newClientOrderId=%s"
			 "&newOrderRespType=FULL&recvWindow=5000", mid, o->side == SIDE_BUY ? "BUY" : "SELL", qty, cid);
		if ((code = call(v, "POST", "/api/v3/order", params, &ans, &status)))
			return code;
		if (status != 200) {
			jstr(jget(jv_copy(ans), "msg"), why, whylen);
			jv_free(ans);
			return -1;
		}
		r->found = 1;
		jstr(jget(jv_copy(ans), "status"), r->status, sizeof r->status);
		snprintf(r->status, sizeof r->status, "%s", binance_status(r->status));
		jstr(jget(jv_copy(ans), "orderId"), r->id, sizeof r->id);
		r->filled = jnum(jget(jv_copy(ans), "executedQty"));
		r->quote = jnum(jget(jv_copy(ans), "cummulativeQuoteQty"));
	} else {
		snprintf(params, sizeof params, "ordertype=market&pair=%s&type=%s&volume=%s&cl_ord_id=%s",
			 mid, o->side == SIDE_BUY ? "buy" : "sell", qty, cid);
		if ((code = call(v, "POST", "/0/private/AddOrder", params, &ans, &status)))
			return code;
		jv err = jget(jv_copy(ans), "error");
		if (status != 200 || (jv_get_kind(err) == JV_KIND_ARRAY && jv_array_length(jv_copy(err)) > 0)) {
			jstr(jv_get_kind(err) == JV_KIND_ARRAY ? jv_array_get(err, 0) : (jv_free(err), jv_string("error")),
			     why, whylen);
			jv_free(ans);
			return -1;
		}
		jv_free(err);
		r->found = 1;
		snprintf(r->status, sizeof r->status, "open");
		jstr(jv_array_get(jget(jget(jv_copy(ans), "result"), "txid"), 0), r->id, sizeof r->id);
	}
	jv_free(ans);
	return 0;
}

/* Looks an order up by its client id (never by resending it). */
static int
lookup(struct venue *v, struct ab_db *db, const char *exchange, const char *symbol, const char *cid,
       struct remote *r)
{
	char mid[64], params[256];
	jv ans;
	long status;
	int code;

	memset(r, 0, sizeof *r);
	market_id(db, exchange, symbol, mid, sizeof mid);
	if (!strcmp(v->name, "binance")) {
		snprintf(params, sizeof params, "symbol=%s&origClientOrderId=%s", mid, cid);
		if ((code = call(v, "GET", "/api/v3/order", params, &ans, &status)))
			return code;
		if (status == 400 && jnum(jget(jv_copy(ans), "code")) == -2013) {
			jv_free(ans);
			return 0;
		}
		if (status != 200) {
			jv_free(ans);
			return ab_err(AB_EUNAVAILABLE, "binance: order lookup answered %ld", status);
		}
		r->found = 1;
		jstr(jget(jv_copy(ans), "status"), r->status, sizeof r->status);
		snprintf(r->status, sizeof r->status, "%s", binance_status(r->status));
		jstr(jget(jv_copy(ans), "orderId"), r->id, sizeof r->id);
		r->filled = jnum(jget(jv_copy(ans), "executedQty"));
		r->quote = jnum(jget(jv_copy(ans), "cummulativeQuoteQty"));
	} else {
		snprintf(params, sizeof params, "cl_ord_id=%s", cid);
		if ((code = call(v, "POST", "/0/private/QueryOrders", params, &ans, &status)))
			return code;
		jv res = jget(jv_copy(ans), "result");
		if (jv_get_kind(res) == JV_KIND_OBJECT) {
			int it = jv_object_iter(res);
			if (jv_object_iter_valid(res, it)) {
				jv k = jv_object_iter_key(res, it), o = jv_object_iter_value(res, it);
				r->found = 1;
				snprintf(r->id, sizeof r->id, "%s", jv_string_value(k));
				jv_free(k);
				jstr(jget(jv_copy(o), "status"), r->status, sizeof r->status);
				snprintf(r->status, sizeof r->status, "%s", kraken_status(r->status));
				r->filled = jnum(jget(jv_copy(o), "vol_exec"));
				r->quote = jnum(jget(o, "cost"));
				if (!strcmp(r->status, "open") && r->filled > 0)
					snprintf(r->status, sizeof r->status, "partially_filled");
			}
		}
		jv_free(res);
		jv_free(ans);
		return 0;
	}
	jv_free(ans);
	return 0;
}

/* Applies what the exchange reports for order `id` beyond what we recorded. */
static int
settle(struct order_ctx *x, struct book *b, struct slot *s, int64_t id, const char *cid, int side,
       double had, double had_quote, const struct remote *r)
{
	int code = 0;
	double dq = r->filled - had;
	if (dq > 1e-12) {
		struct eng_fill f;
		char tid[80];
		double px = (r->quote - had_quote) / dq;
		eng_apply(&s->e, side, dq, px, ab_now_ms(), "signal", 0, &f);
		snprintf(tid, sizeof tid, "%s:%.10g", cid, r->filled);
		if ((code = book_insert_fill(b, s, id, &f, tid)))
			return code;
		order_out_fill(&x->out, &s->e, &f, cid);
	}
	double avg = r->filled > 0 ? r->quote / r->filled : 0;
	return book_update_order(b, id, r->status, NULL, r->filled > had ? r->filled : had, avg, r->id[0] ? r->id : NULL);
}

static int
venue_open(struct order_ctx *x, struct venue *v)
{
	int code;

	memset(v, 0, sizeof *v);
	if (!x->exchange || (strcmp(x->exchange, "binance") && strcmp(x->exchange, "kraken")))
		return ab_err(AB_EUSAGE, "live and sync need --exchange binance or kraken");
	v->name = x->exchange;
	v->base = x->base_url ? x->base_url : !strcmp(v->name, "binance") ? "https://api.binance.com"
									 : "https://api.kraken.com";
	if ((code = ab_auth_require(x->db, AB_PERM_ORDER_LIVE, NULL)))
		return code;
	if ((code = ab_auth_secret_get(x->db, v->name, &v->blob, &v->bloblen)))
		return code;
	char *colon = strchr(v->blob, ':');
	if (!colon) {
		ab_auth_secret_free(v->blob, v->bloblen);
		v->blob = NULL;
		return ab_err(AB_ECONFIG, "secret \"%s\" is not KEY:SECRET", v->name);
	}
	*colon = '\0';
	v->key = v->blob;
	v->secret = colon + 1;
	size_t sl = strlen(v->secret);
	while (sl && (v->secret[sl - 1] == '\n' || v->secret[sl - 1] == '\r'))
		v->secret[--sl] = '\0';
	if ((code = ab_http_init(&v->http)))
		return code;
	v->http.retry_unsafe = 0;  /* never resend an order whose outcome is unknown */
	if (getenv("AB_ORDER_TIMEOUT"))
		v->http.timeout = atof(getenv("AB_ORDER_TIMEOUT"));
	return 0;
}

static void
venue_close(struct venue *v)
{
	if (v->blob) {
		ab_auth_secret_free(v->blob, v->bloblen);
		ab_http_cleanup(&v->http);
	}
}

static int
audit(struct order_ctx *x, const char *action, const char *cid, const char *detail)
{
	char *actor = ab_auth_actor(x->db);
	int code = ab_auth_audit(x->db, actor, action, cid, detail);
	free(actor);
	return code;
}

/* Decides, records (committed before sending) and sends one order. */
static int
send_order(struct order_ctx *x, struct book *b, struct venue *v, struct slot *s, struct eng_order *o,
	   int64_t ts, int *unknown)
{
	char cid[40], why[200], detail[512];
	int64_t id;
	int code;
	struct remote r;

	order_client_id(cid, b->portfolio, s->e.exchange, s->e.symbol, o->signal_ts, o->side);
	if ((code = book_insert_order(b, s, o, cid, o->reject ? "rejected" : "new", o->reject, &id)))
		return code;
	if (!id)
		return 0;  /* placed by an earlier run: never twice */
	snprintf(detail, sizeof detail, "{\"exchange\":\"%s\",\"symbol\":\"%s\",\"side\":\"%s\",\"qty\":%.10g%s%s%s}",
		 s->e.exchange, s->e.symbol, order_side_name(o->side), o->qty,
		 o->reject ? ",\"rejected\":\"" : "", o->reject ? o->reject : "", o->reject ? "\"" : "");
	if ((code = audit(x, o->reject ? "order.reject" : "order.place", cid, detail)))
		return code;
	if (o->reject) {
		book_out_order(&x->out, s, o, cid, "rejected", o->reject, ts);
		return 0;
	}
	/* The order's row is durable before it leaves: a crash cannot lose it. */
	if ((code = book_save(b)) || (code = ab_db_commit(x->db)) || (code = ab_db_begin(x->db)))
		return code;
	s->e.acct->open_orders++;
	code = place(v, x->db, s, o, cid, &r, why, sizeof why);
	if (code == -1) {
		s->e.acct->open_orders--;
		book_out_order(&x->out, s, o, cid, "rejected", why, ts);
		return book_update_order(b, id, "rejected", why, 0, 0, NULL);
	}
	if (code == AB_EUNAVAILABLE) {
		/* Maybe placed, maybe not: only sync may find out. */
		*unknown = 1;
		book_out_order(&x->out, s, o, cid, "unknown", "no answer from the exchange: run ab-order sync", ts);
		return book_update_order(b, id, "unknown", "no answer from the exchange", 0, 0, NULL);
	}
	if (code)
		return code;
	if (!strcmp(r.status, "filled") || !strcmp(r.status, "canceled") ||
	    !strcmp(r.status, "rejected") || !strcmp(r.status, "expired"))
		s->e.acct->open_orders--;
	book_out_order(&x->out, s, o, cid, r.status, NULL, ts);
	return settle(x, b, s, id, cid, o->side, 0, 0, &r);
}

int
cmd_live(struct order_ctx *x)
{
	struct ab_lines in;
	struct ab_jrec rec;
	struct ab_candle c;
	struct book b = {0};
	struct venue v;
	const char *line;
	size_t len;
	char msg[256], exch[32], sym[40];
	int r = 0, code, unknown = 0;

	if ((code = order_open_db(x, 1)))
		return code;
	if ((code = venue_open(x, &v))) {
		venue_close(&v);
		return code;
	}
	if ((code = ab_db_begin(x->db)))
		goto end;
	b.db = x->db;
	b.mode = "live";
	b.portfolio = x->name ? x->name : "live";
	b.cfg = &x->cfg;
	if ((code = book_load(&b)))
		goto out;
	ab_jrec_init(&rec);
	ab_lines_init(&in, x->args, x->nargs);
	while ((r = ab_lines_next(&in, &line, &len)) == 1) {
		if (len == 0)
			continue;
		if (ab_jrec_parse(&rec, line, len)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", rec.err);
			break;
		}
		int cr = ab_candle_from_jrec(&rec, &c, msg, sizeof msg);
		if (cr < 0) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", msg);
			break;
		}
		if (cr == 1)
			continue;
		x->run.records_in++;
		snprintf(exch, sizeof exch, "%.*s", (int)c.exchange_len, c.exchange);
		snprintf(sym, sizeof sym, "%.*s", (int)c.symbol_len, c.symbol);
		if (strcmp(exch, v.name)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "a %s candle for a %s live run", exch, v.name);
			break;
		}
		struct slot *s = book_slot(&b, exch, sym);
		if (!s || c.ts <= s->e.last_ts)
			continue;
		/* Same rules as the simulation: stops from the candle, mark, decide. */
		int side;
		double qty, px;
		const char *why;
		struct eng_order o;
		if (eng_stops(&s->e, &c, &side, &qty, &px, &why)) {
			memset(&o, 0, sizeof o);
			o.side = side;
			o.qty = qty;
			o.signal_ts = c.ts;
			if ((code = send_order(x, &b, &v, s, &o, c.ts, &unknown)))
				break;
		}
		eng_mark(&s->e, &c);
		int sig = order_signal(&rec);
		double atr = NAN;
		if (sig && x->cfg.size == SIZE_RISK &&
		    ab_jfield_num(ab_jrec_get(&rec, x->cfg.atr_field), &atr))
			atr = NAN;
		if (sig && eng_decide(&s->e, &c, sig, atr, &o) &&
		    (code = send_order(x, &b, &v, s, &o, c.ts, &unknown)))
			break;
	}
	if (r < 0)
		code = in.status;
	if (!code)
		code = book_save(&b);
	ab_lines_free(&in);
	ab_jrec_free(&rec);
out:
	book_free(&b);
	if (code)
		ab_db_rollback(x->db);
	else
		code = ab_db_commit(x->db);
end:
	venue_close(&v);
	if (!code && unknown)
		code = ab_err(AB_ETEMPFAIL, "some orders' outcome is unknown: run ab-order sync");
	return code;
}

int
cmd_sync(struct order_ctx *x)
{
	struct book b = {0};
	struct venue v;
	sqlite3_stmt *st;
	int code;

	if ((code = order_open_db(x, 1)))
		return code;
	if ((code = venue_open(x, &v)))
		goto end;
	if ((code = ab_db_begin(x->db)))
		goto end;
	b.db = x->db;
	b.mode = "live";
	b.portfolio = x->name ? x->name : "live";
	b.cfg = &x->cfg;
	if ((code = book_load(&b)))
		goto out;
	if ((code = ab_db_prepare(x->db, "SELECT id, client_id, exchange, symbol, side, filled, "
				  "coalesce(filled * avg_price, 0), status FROM orders WHERE mode = 'live' AND "
				  "portfolio = ? AND exchange = ? AND status IN ('new', 'open', 'partially_filled', 'unknown') "
				  "ORDER BY id", &st)))
		goto out;
	sqlite3_bind_text(st, 1, b.portfolio, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v.name, -1, SQLITE_STATIC);
	struct pend { int64_t id; char cid[40], ex[32], sym[40], status[24]; int side; double had, hadq; } *p = NULL;
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		p = ab_realloc(p, (size_t)(n + 1) * sizeof *p);
		p[n].id = sqlite3_column_int64(st, 0);
		snprintf(p[n].cid, sizeof p[n].cid, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(p[n].ex, sizeof p[n].ex, "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(p[n].sym, sizeof p[n].sym, "%s", (const char *)sqlite3_column_text(st, 3));
		p[n].side = strcmp((const char *)sqlite3_column_text(st, 4), "buy") == 0 ? SIDE_BUY : SIDE_SELL;
		p[n].had = sqlite3_column_double(st, 5);
		p[n].hadq = sqlite3_column_double(st, 6);
		snprintf(p[n].status, sizeof p[n].status, "%s", (const char *)sqlite3_column_text(st, 7));
		n++;
	}
	sqlite3_finalize(st);
	for (int i = 0; i < n && !code; i++) {
		struct remote r;
		struct slot *s = book_slot(&b, p[i].ex, p[i].sym);
		if ((code = lookup(&v, x->db, p[i].ex, p[i].sym, p[i].cid, &r)))
			break;
		if (!r.found) {
			/* It never reached the exchange: it is safe to call it rejected. */
			snprintf(r.status, sizeof r.status, "rejected");
			code = book_update_order(&b, p[i].id, "rejected", "not on the exchange", p[i].had, 0, NULL);
		} else {
			code = settle(x, &b, s, p[i].id, p[i].cid, p[i].side, p[i].had, p[i].hadq, &r);
		}
		if (!code)
			code = audit(x, "order.sync", p[i].cid, NULL);
		ab_out_begin(&x->out);
		ab_out_kstr(&x->out, "type", "order");
		ab_out_kstr(&x->out, "client_id", p[i].cid);
		ab_out_kstr(&x->out, "exchange", p[i].ex);
		ab_out_kstr(&x->out, "symbol", p[i].sym);
		ab_out_kstr(&x->out, "was", p[i].status);
		ab_out_kstr(&x->out, "status", r.status);
		ab_out_knum(&x->out, "filled", r.found ? r.filled : p[i].had);
		ab_out_end(&x->out);
	}
	free(p);
	if (!code)
		code = book_save(&b);
out:
	book_free(&b);
	if (code)
		ab_db_rollback(x->db);
	else
		code = ab_db_commit(x->db);
end:
	venue_close(&v);
	return code;
}

/* sign: prints a signature for lines on stdin, to check against the exchanges'
 * published examples: binance: SECRET, PAYLOAD; kraken: SECRET, PATH, NONCE, POSTDATA. */
int
cmd_sign(struct order_ctx *x)
{
	char *l[4] = {0}, *sig = NULL;
	size_t cap[4] = {0};
	int want = x->exchange && !strcmp(x->exchange, "kraken") ? 4 : 2, code = 0;

	if (!x->exchange || (strcmp(x->exchange, "binance") && strcmp(x->exchange, "kraken")))
		return ab_err(AB_EUSAGE, "sign needs --exchange binance or kraken");
	for (int i = 0; i < want; i++) {
		ssize_t n = getline(&l[i], &cap[i], stdin);
		if (n < 0) {
			code = ab_err(AB_EDATA, "sign: stdin: expected %d lines", want);
			goto out;
		}
		while (n > 0 && (l[i][n - 1] == '\n' || l[i][n - 1] == '\r'))
			l[i][--n] = '\0';
	}
	sig = want == 2 ? order_sign_binance(l[0], l[1]) : order_sign_kraken(l[0], l[1], l[2], l[3]);
	if (!sig) {
		code = ab_err(AB_EDATA, "sign: the secret is not base64");
		goto out;
	}
	ab_out_raw(&x->out, sig, strlen(sig));
	ab_out_raw(&x->out, "\n", 1);
out:
	free(sig);
	for (int i = 0; i < 4; i++) {
		if (l[i])
			ab_crypto_wipe(l[i], cap[i]);
		free(l[i]);
	}
	return code;
}
