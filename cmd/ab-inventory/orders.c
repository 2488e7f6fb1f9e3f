/* orders.c: shop_order records, reservations and the order lifecycle. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "inv.h"
#include "timefmt.h"

static const char *const status_names[] = {
	"pending", "paid", "fulfilled", "cancelled", "refunded", "rejected",
};

const char *
inv_status_name(enum ostatus s)
{
	return s >= 0 && s <= OS_REJECTED ? status_names[s] : "none";
}

enum ostatus
inv_status_parse(const char *s)
{
	for (int i = 0; i <= OS_REJECTED; i++)
		if (strcmp(s, status_names[i]) == 0)
			return (enum ostatus)i;
	return OS_NONE;
}

void
inv_order_free(struct order *o)
{
	for (int i = 0; i < o->nlines; i++)
		free(o->lines[i].sku);
	free(o->lines);
	free(o->id);
	free(o->customer);
	free(o->location);
	free(o->reason);
	memset(o, 0, sizeof *o);
}

static struct oline *
add_line(struct order *o)
{
	o->lines = ab_realloc(o->lines, (size_t)(o->nlines + 1) * sizeof *o->lines);
	struct oline *l = &o->lines[o->nlines++];
	memset(l, 0, sizeof *l);
	l->price = l->cost = INV_NONE;
	return l;
}

#define BAD(...) do { snprintf(msg, n, __VA_ARGS__); goto bad; } while (0)

int
inv_order_from_jrec(struct ab_jrec *rec, struct order *o, char *msg, size_t n)
{
	const struct ab_jfield *f;
	struct ab_jrec lr;
	const char *s, *el;
	size_t sn, elen, pos = 0;
	int present, r;

	memset(o, 0, sizeof *o);
	ab_jrec_init(&lr);
	o->ts = INV_NONE;
	o->status = OS_PENDING;
	o->source = "jsonl";
	if (inv_jdup(rec, "id", &o->id) || !o->id || !*o->id)
		BAD("\"id\" is missing or not a string");
	f = ab_jrec_get(rec, "ts");
	if (f && f->type == AB_JNUMBER) {
		if (ab_time_parse(f->val, f->vlen, &o->ts))
			BAD("\"ts\" is not a time");
	} else if (f && f->type != AB_JNULL) {
		if (ab_jrec_str(rec, f, &s, &sn) || ab_time_parse(s, sn, &o->ts))
			BAD("\"ts\" is not a time");
	}
	if (inv_jdup(rec, "customer", &o->customer))
		BAD("\"customer\" is not a string");
	if (inv_jdup(rec, "location", &o->location) || (o->location && !*o->location))
		BAD("\"location\" is not a location name");
	f = ab_jrec_get(rec, "currency");
	if (ab_jrec_str(rec, f, &s, &sn) || !ab_currency_valid(s, sn))
		BAD("\"currency\" is missing or not a code like USD");
	memcpy(o->currency, s, 3);
	int exp = ab_currency_exp(o->currency);
	if ((f = ab_jrec_get(rec, "status")) && f->type != AB_JNULL) {
		if (ab_jrec_str(rec, f, &s, &sn) || sn > 20)
			BAD("\"status\" is not a string");
		char st[24];
		memcpy(st, s, sn);
		st[sn] = '\0';
		o->status = inv_status_parse(st);
		if (o->status == OS_NONE || o->status == OS_REJECTED)
			BAD("\"status\" \"%s\" is not pending, paid, fulfilled, cancelled or refunded", st);
	}
	if ((f = ab_jrec_get(rec, "restock")))
		o->restock = f->type == AB_JTRUE;
	f = ab_jrec_get(rec, "lines");
	if (!f || f->type != AB_JARRAY)
		BAD("\"lines\" is missing or not an array");
	while ((r = inv_jarray_next(f->val, f->vlen, &pos, &el, &elen)) == 1) {
		struct oline *l = add_line(o);
		if (ab_jrec_parse(&lr, el, elen))
			BAD("line %d: %s", o->nlines, lr.err);
		if (inv_jdup(&lr, "sku", &l->sku) || !l->sku || !*l->sku)
			BAD("line %d: \"sku\" is missing or not a string", o->nlines);
		if (inv_jint(&lr, "qty", &l->qty, &present) || !present || l->qty <= 0)
			BAD("line %d: \"qty\" is not a positive whole number", o->nlines);
		if (ab_jmoney(&lr, "price", exp, &l->price) || (l->price != INV_NONE && l->price < 0))
			BAD("line %d: \"price\" is not an amount in %s", o->nlines, o->currency);
	}
	if (r < 0)
		BAD("\"lines\" is not an array of objects");
	if (o->nlines == 0)
		BAD("\"lines\" is empty");
	ab_jrec_free(&lr);
	return 0;
bad:
	ab_jrec_free(&lr);
	inv_order_free(o);
	return -1;
}

/* Loads a stored order and its lines: 0, 1 when there is none, else an exit code. */
static int
order_load(struct inv *v, const char *id, struct order *o)
{
	sqlite3_stmt *st = inv_stmt(v, ST_ORDER_GET);
	int rc;

	memset(o, 0, sizeof *o);
	if (!st)
		return AB_ESOFTWARE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_ROW)
		return ab_db_fail(v->db, rc, "shop_orders");
	o->id = ab_strdup((const char *)sqlite3_column_text(st, 0));
	o->ts = sqlite3_column_int64(st, 1);
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		o->customer = ab_strdup((const char *)sqlite3_column_text(st, 2));
	snprintf(o->currency, sizeof o->currency, "%s", (const char *)sqlite3_column_text(st, 3));
	o->status = inv_status_parse((const char *)sqlite3_column_text(st, 4));
	o->location = ab_strdup((const char *)sqlite3_column_text(st, 5));
	o->source = "db";
	sqlite3_reset(st);
	if (!(st = inv_stmt(v, ST_ORDER_LINES)))
		return AB_ESOFTWARE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct oline *l = add_line(o);
		l->sku = ab_strdup((const char *)sqlite3_column_text(st, 0));
		l->qty = sqlite3_column_int64(st, 1);
		l->price = sqlite3_column_int64(st, 2);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			l->cost = sqlite3_column_int64(st, 3);
	}
	if (rc != SQLITE_DONE)
		return ab_db_fail(v->db, rc, "shop_order_lines");
	return 0;
}

/* with_lines: 0 the order row only, 1 also its lines, 2 replacing stored lines. */
static int
order_store(struct inv *v, const struct order *o, int with_lines)
{
	sqlite3_stmt *st = inv_stmt(v, ST_ORDER_PUT);
	int64_t total = 0;
	int rc;

	if (!st)
		return AB_ESOFTWARE;
	for (int i = 0; i < o->nlines; i++)
		total += o->lines[i].qty * o->lines[i].price;
	sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, o->ts);
	ab_db_bind_text(st, 3, o->customer);
	sqlite3_bind_text(st, 4, o->currency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, inv_status_name(o->status), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, o->location, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, total);
	sqlite3_bind_text(st, 8, o->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, v->now);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return ab_db_fail(v->db, rc, "shop_orders");
	if (!with_lines)
		return 0;
	if (with_lines == 2 && !(st = inv_stmt(v, ST_LINES_DEL)))
		return AB_ESOFTWARE;
	if (with_lines == 2) {
		sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			return ab_db_fail(v->db, rc, "shop_order_lines");
	}
	for (int i = 0; i < o->nlines; i++) {
		const struct oline *l = &o->lines[i];
		if (!(st = inv_stmt(v, ST_LINE_PUT)))
			return AB_ESOFTWARE;
		sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, i + 1);
		sqlite3_bind_text(st, 3, l->sku, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, l->qty);
		sqlite3_bind_int64(st, 5, l->price);
		if (l->cost != INV_NONE)
			sqlite3_bind_int64(st, 6, l->cost);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			return ab_db_fail(v->db, rc, "shop_order_lines");
	}
	return 0;
}

static int
set_status(struct inv *v, struct order *o, enum ostatus s)
{
	sqlite3_stmt *st = inv_stmt(v, ST_ORDER_STATUS);
	int rc;

	if (!st)
		return AB_ESOFTWARE;
	o->status = s;
	sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, inv_status_name(s), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, v->now);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return ab_db_fail(v->db, rc, "shop_orders");
	return 0;
}

/* One ledger entry per line: kind with sign applied to qty. */
static int
moves(struct inv *v, const struct order *o, const char *kind, int sign, int64_t ts, int priced)
{
	int code;

	for (int i = 0; i < o->nlines; i++) {
		const struct oline *l = &o->lines[i];
		if ((code = inv_move(v, ts, l->sku, o->location, kind, sign * l->qty,
				     priced ? l->cost : INV_NONE, priced ? l->price : INV_NONE, o->id, NULL)))
			return code;
	}
	return 0;
}

/* Reserves every line or none (check_only: checks and reserves nothing):
 * 0 done, 1 short (o->reason says why). */
static int
reserve(struct inv *v, struct order *o, int64_t ts, int check_only)
{
	for (int i = 0; i < o->nlines; i++) {
		const struct oline *l = &o->lines[i];
		int64_t want = 0;
		int seen = 0;
		for (int j = 0; j < o->nlines; j++)
			if (strcmp(o->lines[j].sku, l->sku) == 0) {
				seen |= j < i;
				want += o->lines[j].qty;
			}
		if (seen || l->backorder || v->allow_backorder)
			continue;
		/* l->available was read in this transaction, after the last move */
		if (l->available < want) {
			char buf[256];
			snprintf(buf, sizeof buf, "insufficient stock for \"%s\" at \"%s\": %lld available, %lld wanted",
				 l->sku, o->location, (long long)(l->available < 0 ? 0 : l->available),
				 (long long)want);
			free(o->reason);
			o->reason = ab_strdup(buf);
			return 1;
		}
	}
	return check_only ? 0 : moves(v, o, "reserve", 1, ts, 0);
}

/* Moves a stored order from its status to `to`: 0 done, -2 not a lifecycle
 * step (nothing changed), else an exit code. */
static int
transition(struct inv *v, struct order *o, enum ostatus to, int64_t ts, int restock)
{
	enum ostatus from = o->status;
	int open = from == OS_PENDING || from == OS_PAID, code;

	if (from == OS_PENDING && to == OS_PAID)
		return set_status(v, o, to);
	if (open && to == OS_FULFILLED) {
		if ((code = moves(v, o, "release", -1, ts, 0)) || (code = moves(v, o, "sale", -1, ts, 1)))
			return code;
		return set_status(v, o, to);
	}
	if (open && (to == OS_CANCELLED || to == OS_REFUNDED)) {
		if ((code = moves(v, o, "release", -1, ts, 0)))
			return code;
		return set_status(v, o, to);
	}
	if (from == OS_FULFILLED && to == OS_REFUNDED) {
		if (restock && (code = moves(v, o, "return", 1, ts, 1)))
			return code;
		return set_status(v, o, to);
	}
	return -2;
}

int
inv_order_apply(struct inv *v, struct order *o)
{
	struct order cur;
	int code, r;
	enum ostatus want = o->status;

	if (o->ts == INV_NONE)
		o->ts = v->now;
	if (!o->location)
		o->location = ab_strdup(v->location ? v->location : INV_DEFAULT_LOCATION);
	for (int i = 0; i < o->nlines; i++) {
		struct oline *l = &o->lines[i];
		sqlite3_stmt *st = inv_stmt(v, ST_PRODUCT_BRIEF);
		if (!st)
			return AB_ESOFTWARE;
		sqlite3_bind_text(st, 1, l->sku, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, o->location, -1, SQLITE_STATIC);
		if ((r = sqlite3_step(st)) == SQLITE_DONE)
			return ab_err_at(AB_EDATA, o->file, o->lineno, "order \"%s\": unknown sku \"%s\"", o->id, l->sku);
		if (r != SQLITE_ROW)
			return ab_db_fail(v->db, r, "products");
		if (l->price == INV_NONE && sqlite3_column_type(st, 0) != SQLITE_NULL)
			l->price = sqlite3_column_int64(st, 0);
		l->cost = sqlite3_column_type(st, 1) == SQLITE_NULL ? INV_NONE : sqlite3_column_int64(st, 1);
		l->backorder = sqlite3_column_int(st, 2);
		l->available = sqlite3_column_int64(st, 3);
		sqlite3_reset(st);
		if (l->price == INV_NONE)
			return ab_err_at(AB_EDATA, o->file, o->lineno,
					 "order \"%s\": line %d has no price and \"%s\" has none", o->id, i + 1, l->sku);
	}
	if ((r = order_load(v, o->id, &cur)) > 1)
		return r;
	if (r == 0 && cur.status != OS_REJECTED) {
		/* A known order: the stored lines are the truth; only the status moves. */
		int64_t ts = v->at != INV_NONE ? v->at : v->now;
		o->result = "duplicate";
		if (want != cur.status) {
			code = transition(v, &cur, want, ts, o->restock);
			if (code > 0) {
				inv_order_free(&cur);
				return code;
			}
			if (code == 0)
				o->result = "updated";
		}
		/* Report the order as stored. */
		const char *file = o->file, *result = o->result;
		long lineno = o->lineno;
		inv_order_free(o);
		*o = cur;
		o->file = file;
		o->lineno = lineno;
		o->result = result;
		return 0;
	}
	int lines_mode = r == 0 ? 2 : 1;
	o->result = r == 0 ? "updated" : "created";
	inv_order_free(&cur);
	if ((code = inv_location_ensure(v, o->location, o->ts)))
		return code;
	if (want == OS_PENDING || want == OS_PAID || want == OS_FULFILLED) {
		/* An order that arrives fulfilled is checked the same way and
		 * recorded as its sale: there is nothing left to hold. */
		o->status = OS_REJECTED;
		if ((r = reserve(v, o, o->ts, want == OS_FULFILLED)) > 1)
			return r;
		if (r == 1) {
			o->result = "rejected";
			return order_store(v, o, lines_mode);
		}
		o->status = want;
		if ((code = order_store(v, o, lines_mode)))
			return code;
		if (want == OS_FULFILLED)
			return moves(v, o, "sale", -1, o->ts, 1);
		return 0;
	}
	return order_store(v, o, lines_mode);
}

void
inv_order_out(struct inv *v, struct ab_out *out, const struct order *o)
{
	int exp = ab_currency_exp(o->currency);
	char buf[40];
	int64_t total = 0;

	ab_out_begin(out);
	ab_out_kstr(out, "type", "shop_order");
	ab_out_kstr(out, "id", o->id);
	ab_out_ktime(out, "ts", o->ts);
	if (o->customer)
		ab_out_kstr(out, "customer", o->customer);
	ab_out_kstr(out, "currency", o->currency);
	ab_out_kstr(out, "status", inv_status_name(o->status));
	ab_out_kstr(out, "location", o->location);
	ab_out_key(out, "lines");
	ab_out_raw(out, "[", 1);
	for (int i = 0; i < o->nlines; i++) {
		const struct oline *l = &o->lines[i];
		ab_out_raw(out, i ? ",{\"sku\":" : "{\"sku\":", i ? 8 : 7);
		ab_out_str(out, l->sku, strlen(l->sku));
		ab_out_raw(out, ",\"qty\":", 7);
		ab_out_int(out, l->qty);
		ab_out_raw(out, ",\"price\":", 9);
		ab_out_raw(out, buf, ab_money_format(l->price, exp, buf));
		ab_out_raw(out, "}", 1);
		total += l->qty * l->price;
	}
	ab_out_raw(out, "]", 1);
	ab_out_kmoney(out, "total", total, exp);
	if (o->result)
		ab_out_kstr(out, "result", o->result);
	if (o->reason)
		ab_out_kstr(out, "reason", o->reason);
	ab_out_end(out);
}

struct item {
	struct order *o;   /* NULL: a record passed through */
	char *raw;
	size_t rawlen;
};

int
inv_order(struct inv *v)
{
	struct ab_lines in;
	struct ab_jrec rec;
	struct item *items = NULL;
	size_t nitems = 0, cap = 0;
	const char *line;
	size_t len;
	char msg[200];
	int r, code = 0;

	ab_jrec_init(&rec);
	ab_lines_init(&in, v->args, v->nargs);
	/* Read and check everything first: the write lock is held only to apply. */
	while ((r = ab_lines_next(&in, &line, &len)) == 1) {
		if (len == 0)
			continue;
		if (ab_jrec_parse(&rec, line, len)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", rec.err);
			break;
		}
		if (nitems == cap) {
			cap = cap ? cap * 2 : 1024;
			items = ab_realloc(items, cap * sizeof *items);
		}
		struct item *it = &items[nitems];
		memset(it, 0, sizeof *it);
		const struct ab_jfield *t = ab_jrec_get(&rec, "type");
		if (t && !ab_jrec_str_eq(&rec, "type", "shop_order")) {
			it->raw = ab_strndup(line, len);
			it->rawlen = len;
			nitems++;
			continue;
		}
		it->o = ab_malloc(sizeof *it->o);
		if (inv_order_from_jrec(&rec, it->o, msg, sizeof msg)) {
			free(it->o);
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", msg);
			break;
		}
		it->o->file = in.name;
		it->o->lineno = in.lineno;
		nitems++;
	}
	if (r < 0)
		code = in.status;
	v->run.records_in = in.count;
	if (!code && !(code = inv_hold_begin(v)) && !(code = ab_db_begin(v->db))) {
		for (size_t i = 0; i < nitems && !code; i++) {
			if (!items[i].o) {
				ab_out_raw(&v->hold, items[i].raw, items[i].rawlen);
				ab_out_raw(&v->hold, "\n", 1);
				v->hold.records++;
				continue;
			}
			if ((code = inv_order_apply(v, items[i].o)) == 0 && !v->quiet)
				inv_order_out(v, &v->hold, items[i].o);
		}
		if (code)
			ab_db_rollback(v->db);
		else if (!(code = ab_db_commit(v->db)))
			code = inv_hold_release(v, 1);
	}
	for (size_t i = 0; i < nitems; i++) {
		if (items[i].o)
			inv_order_free(items[i].o);
		free(items[i].o);
		free(items[i].raw);
	}
	free(items);
	ab_lines_free(&in);
	ab_jrec_free(&rec);
	return code;
}

/* pay, fulfil, cancel, refund: one stored order moves one step. */
static int
step(struct inv *v, enum ostatus to)
{
	struct order o;
	int64_t ts = v->at != INV_NONE ? v->at : v->now;
	int code;

	v->run.records_in = 1;
	if ((code = inv_hold_begin(v)) || (code = ab_db_begin(v->db)))
		return code;
	if ((code = order_load(v, v->args[0], &o)) == 1) {
		code = ab_err(AB_EDATA, "no order \"%s\"", v->args[0]);
	} else if (!code) {
		int ok = (to == OS_PAID && o.status == OS_PENDING) ||
			 (to == OS_FULFILLED && o.status == OS_PAID) ||
			 (to == OS_CANCELLED && (o.status == OS_PENDING || o.status == OS_PAID)) ||
			 (to == OS_REFUNDED && (o.status == OS_PAID || o.status == OS_FULFILLED));
		if (!ok)
			code = ab_err(AB_EDATA, "order \"%s\" is %s; it cannot become %s%s", o.id,
				      inv_status_name(o.status), inv_status_name(to),
				      o.status == OS_PENDING && to == OS_FULFILLED ? " before it is paid" : "");
		else if (!(code = transition(v, &o, to, ts, v->restock))) {
			o.result = "updated";
			if (!v->quiet)
				inv_order_out(v, &v->hold, &o);
		}
	}
	if (code)
		ab_db_rollback(v->db);
	else if (!(code = ab_db_commit(v->db)))
		code = inv_hold_release(v, 1);
	inv_order_free(&o);
	return code;
}

int inv_pay(struct inv *v) { return step(v, OS_PAID); }
int inv_fulfil(struct inv *v) { return step(v, OS_FULFILLED); }
int inv_cancel(struct inv *v) { return step(v, OS_CANCELLED); }
int inv_refund(struct inv *v) { return step(v, OS_REFUNDED); }
