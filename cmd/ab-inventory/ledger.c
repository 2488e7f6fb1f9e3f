/* ledger.c: products, locations, stock moves; receive, adjust, transfer, stock, verify. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "inv.h"
#include "timefmt.h"

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? ab_strdup((const char *)s) : NULL;
}

static int64_t
col_money(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? INV_NONE : sqlite3_column_int64(st, i);
}

static void
bind_money(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == INV_NONE)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

void
inv_product_free(struct product *p)
{
	free(p->sku);
	free(p->title);
	free(p->category);
	free(p->vendor);
	free(p->status);
	free(p->location);
	memset(p, 0, sizeof *p);
}

int
inv_product_get(struct inv *v, const char *sku, struct product *p)
{
	sqlite3_stmt *st = inv_stmt(v, ST_PRODUCT_GET);
	int rc;

	memset(p, 0, sizeof *p);
	if (!st)
		return AB_ESOFTWARE;
	sqlite3_bind_text(st, 1, sku, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_ROW)
		return ab_db_fail(v->db, rc, "products");
	p->sku = col_dup(st, 0);
	p->title = col_dup(st, 1);
	p->category = col_dup(st, 2);
	p->vendor = col_dup(st, 3);
	p->status = col_dup(st, 4);
	p->cost = col_money(st, 5);
	p->price = col_money(st, 6);
	snprintf(p->currency, sizeof p->currency, "%s", (const char *)sqlite3_column_text(st, 7));
	p->backorder = sqlite3_column_int(st, 8);
	p->on_hand = INV_NONE;
	sqlite3_reset(st);
	return 0;
}

int
inv_location_ensure(struct inv *v, const char *name, int64_t ts)
{
	sqlite3_stmt *st;
	int rc;

	/* Orders name the same few locations over and over. */
	if (v->last_location && strcmp(v->last_location, name) == 0)
		return 0;
	if (!(st = inv_stmt(v, ST_LOCATION_PUT)))
		return AB_ESOFTWARE;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ts);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return ab_db_fail(v->db, rc, "locations");
	free(v->last_location);
	v->last_location = ab_strdup(name);
	return 0;
}

int
inv_stock_get(struct inv *v, const char *sku, const char *loc, int64_t *on_hand, int64_t *reserved)
{
	sqlite3_stmt *st = inv_stmt(v, ST_STOCK_GET);
	int rc;

	if (!st)
		return AB_ESOFTWARE;
	sqlite3_bind_text(st, 1, sku, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, loc, -1, SQLITE_STATIC);
	*on_hand = *reserved = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*on_hand = sqlite3_column_int64(st, 0);
		*reserved = sqlite3_column_int64(st, 1);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		return ab_db_fail(v->db, rc, "stock");
	return 0;
}

int
inv_move(struct inv *v, int64_t ts, const char *sku, const char *loc, const char *kind,
	 int64_t qty, int64_t unit_cost, int64_t unit_price, const char *order_id,
	 const char *reason)
{
	sqlite3_stmt *st = inv_stmt(v, ST_MOVE);
	int rc;

	if (!st)
		return AB_ESOFTWARE;
	sqlite3_bind_int64(st, 1, ts);
	sqlite3_bind_text(st, 2, sku, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, loc, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, qty);
	bind_money(st, 6, unit_cost);
	bind_money(st, 7, unit_price);
	ab_db_bind_text(st, 8, order_id);
	ab_db_bind_text(st, 9, reason);
	if (v->run.id)
		sqlite3_bind_int64(st, 10, v->run.id);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return ab_db_fail(v->db, rc, "stock_moves");
	return 0;
}

int
inv_product_put(struct inv *v, const struct product *p, int64_t ts)
{
	sqlite3_stmt *st = inv_stmt(v, ST_PRODUCT_PUT);
	int rc, code;

	if (!st)
		return AB_ESOFTWARE;
	sqlite3_bind_text(st, 1, p->sku, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->title, -1, SQLITE_STATIC);
	ab_db_bind_text(st, 3, p->category);
	ab_db_bind_text(st, 4, p->vendor);
	bind_money(st, 5, p->cost);
	bind_money(st, 6, p->price);
	sqlite3_bind_text(st, 7, p->currency, -1, SQLITE_STATIC);
	ab_db_bind_text(st, 8, p->status);
	if (p->backorder >= 0)
		sqlite3_bind_int(st, 9, p->backorder);
	sqlite3_bind_int64(st, 10, ts);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return ab_db_fail(v->db, rc, "products");
	if (p->on_hand == INV_NONE)
		return 0;
	/* A count: the stock becomes what the file says, by an adjustment. */
	const char *loc = p->location ? p->location : v->location ? v->location : INV_DEFAULT_LOCATION;
	int64_t on_hand, reserved;
	if ((code = inv_location_ensure(v, loc, ts)) || (code = inv_stock_get(v, p->sku, loc, &on_hand, &reserved)))
		return code;
	if (p->on_hand == on_hand)
		return 0;
	int64_t cost = p->cost;
	if (cost == INV_NONE) {
		struct product cur;
		if (inv_product_get(v, p->sku, &cur) == 0)
			cost = cur.cost;
		inv_product_free(&cur);
	}
	return inv_move(v, ts, p->sku, loc, "adjust", p->on_hand - on_hand,
			p->on_hand > on_hand ? cost : INV_NONE, INV_NONE, NULL, "count");
}

void
inv_product_out(struct inv *v, struct ab_out *o, const struct product *p)
{
	int exp = ab_currency_exp(p->currency);

	ab_out_begin(o);
	ab_out_kstr(o, "type", "product");
	ab_out_kstr(o, "sku", p->sku);
	ab_out_kstr(o, "title", p->title);
	if (p->category)
		ab_out_kstr(o, "category", p->category);
	if (p->vendor)
		ab_out_kstr(o, "vendor", p->vendor);
	ab_out_kmoney(o, "cost", p->cost, exp);
	ab_out_kmoney(o, "price", p->price, exp);
	ab_out_kstr(o, "currency", p->currency);
	ab_out_kstr(o, "status", p->status ? p->status : "active");
	if (p->backorder >= 0)
		ab_out_kbool(o, "backorder", p->backorder);
	if (p->on_hand != INV_NONE) {
		ab_out_kint(o, "on_hand", p->on_hand);
		ab_out_kstr(o, "location", p->location ? p->location :
			    v->location ? v->location : INV_DEFAULT_LOCATION);
	}
	ab_out_end(o);
}

/* Writes a move record with the stock after it. */
static int
move_out(struct inv *v, int64_t ts, const char *sku, const char *loc, const char *kind,
	 int64_t qty, int64_t unit_cost, const char *currency, const char *reason)
{
	int64_t on_hand, reserved;
	int code;

	if ((code = inv_stock_get(v, sku, loc, &on_hand, &reserved)))
		return code;
	if (v->quiet)
		return 0;
	ab_out_begin(&v->hold);
	ab_out_kstr(&v->hold, "type", "move");
	ab_out_kint(&v->hold, "id", sqlite3_last_insert_rowid(v->db->h));
	ab_out_ktime(&v->hold, "ts", ts);
	ab_out_kstr(&v->hold, "sku", sku);
	ab_out_kstr(&v->hold, "location", loc);
	ab_out_kstr(&v->hold, "kind", kind);
	ab_out_kint(&v->hold, "qty", qty);
	if (unit_cost != INV_NONE) {
		ab_out_kmoney(&v->hold, "unit_cost", unit_cost, ab_currency_exp(currency));
		ab_out_kstr(&v->hold, "currency", currency);
	}
	if (reason)
		ab_out_kstr(&v->hold, "reason", reason);
	ab_out_kint(&v->hold, "on_hand", on_hand);
	ab_out_kint(&v->hold, "reserved", reserved);
	ab_out_kint(&v->hold, "available", on_hand - reserved);
	ab_out_end(&v->hold);
	return 0;
}

/* Common start of the manual moves: the product, a whole quantity, a transaction. */
static int
manual_begin(struct inv *v, struct product *p, int64_t *qty, int allow_negative)
{
	int code;

	memset(p, 0, sizeof *p);
	if (inv_int_parse(v->args[1], strlen(v->args[1]), qty) || (*qty <= 0 && !allow_negative) || *qty == 0)
		return ab_err(AB_EUSAGE, "\"%s\" is not a %s whole quantity", v->args[1],
			      allow_negative ? "non-zero" : "positive");
	if ((code = inv_hold_begin(v)) || (code = ab_db_begin(v->db)))
		return code;
	if ((code = inv_product_get(v, v->args[0], p)) == 1)
		code = ab_err(AB_EDATA, "unknown sku \"%s\"", v->args[0]);
	return code;
}

static int
manual_end(struct inv *v, struct product *p, int code)
{
	if (code)
		ab_db_rollback(v->db);
	else
		code = ab_db_commit(v->db);
	if (!code)
		code = inv_hold_release(v, 1);
	inv_product_free(p);
	return code;
}

int
inv_receive(struct inv *v)
{
	struct product p;
	int64_t qty, cost = INV_NONE, ts = v->at != INV_NONE ? v->at : v->now;
	const char *loc = v->location ? v->location : INV_DEFAULT_LOCATION;
	int code = manual_begin(v, &p, &qty, 0);

	if (!code) {
		cost = p.cost;
		if (v->cost && ab_money_parse(v->cost, strlen(v->cost), ab_currency_exp(p.currency), &cost))
			code = ab_err(AB_EUSAGE, "--cost: \"%s\" is not an amount in %s", v->cost, p.currency);
	}
	if (!code && !(code = inv_location_ensure(v, loc, ts)) &&
	    !(code = inv_move(v, ts, p.sku, loc, "receipt", qty, cost, INV_NONE, NULL, v->reason)))
		code = move_out(v, ts, p.sku, loc, "receipt", qty, cost, p.currency, v->reason);
	v->run.records_in = 1;
	return manual_end(v, &p, code);
}

int
inv_adjust(struct inv *v)
{
	struct product p;
	int64_t qty, ts = v->at != INV_NONE ? v->at : v->now;
	const char *loc = v->location ? v->location : INV_DEFAULT_LOCATION;
	int code;

	if (!v->reason || !*v->reason)
		return ab_err(AB_EUSAGE, "adjust needs --reason R (damaged, shrinkage, count, found, ...)");
	code = manual_begin(v, &p, &qty, 1);
	if (!code && !(code = inv_location_ensure(v, loc, ts)) &&
	    !(code = inv_move(v, ts, p.sku, loc, "adjust", qty, qty > 0 ? p.cost : INV_NONE, INV_NONE,
			      NULL, v->reason)))
		code = move_out(v, ts, p.sku, loc, "adjust", qty, INV_NONE, p.currency, v->reason);
	v->run.records_in = 1;
	return manual_end(v, &p, code);
}

int
inv_transfer(struct inv *v)
{
	struct product p;
	int64_t qty, on_hand, reserved, ts = v->at != INV_NONE ? v->at : v->now;
	const char *from = v->args[2], *to = v->args[3];
	int code;

	if (!*from || !*to || strcmp(from, to) == 0)
		return ab_err(AB_EUSAGE, "transfer needs two different locations");
	code = manual_begin(v, &p, &qty, 0);
	if (!code && !(code = inv_stock_get(v, p.sku, from, &on_hand, &reserved)) &&
	    on_hand - reserved < qty)
		code = ab_err(AB_EDATA, "\"%s\" at \"%s\": %lld available, cannot move %lld",
			      p.sku, from, (long long)(on_hand - reserved), (long long)qty);
	if (!code && !(code = inv_location_ensure(v, to, ts)) &&
	    !(code = inv_move(v, ts, p.sku, from, "transfer", -qty, INV_NONE, INV_NONE, NULL, to)) &&
	    !(code = move_out(v, ts, p.sku, from, "transfer", -qty, INV_NONE, p.currency, to)) &&
	    !(code = inv_move(v, ts, p.sku, to, "transfer", qty, INV_NONE, INV_NONE, NULL, from)))
		code = move_out(v, ts, p.sku, to, "transfer", qty, INV_NONE, p.currency, from);
	v->run.records_in = 1;
	return manual_end(v, &p, code);
}

int
inv_stock(struct inv *v)
{
	sqlite3_stmt *st;
	int code = 0, rc;
	const char *sql =
		"SELECT p.sku, p.title, s.location, coalesce(s.on_hand, 0), coalesce(s.reserved, 0) "
		"FROM products p LEFT JOIN stock s ON s.sku = p.sku AND (?1 IS NULL OR s.location = ?1) "
		"WHERE (?2 IS NULL OR p.sku = ?2) ORDER BY p.sku, s.location";

	if ((code = ab_db_prepare(v->db, sql, &st)))
		return code;
	for (int i = 0; i < (v->nargs ? v->nargs : 1) && !code; i++) {
		int rows = 0;
		sqlite3_reset(st);
		ab_db_bind_text(st, 1, v->location);
		ab_db_bind_text(st, 2, v->nargs ? v->args[i] : NULL);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *loc = (const char *)sqlite3_column_text(st, 2);
			int64_t on_hand = sqlite3_column_int64(st, 3), reserved = sqlite3_column_int64(st, 4);
			rows++;
			ab_out_begin(&v->out);
			ab_out_kstr(&v->out, "type", "stock");
			ab_out_kstr(&v->out, "sku", (const char *)sqlite3_column_text(st, 0));
			ab_out_kstr(&v->out, "title", (const char *)sqlite3_column_text(st, 1));
			ab_out_kstr(&v->out, "location", loc ? loc : v->location ? v->location : INV_DEFAULT_LOCATION);
			ab_out_kint(&v->out, "on_hand", on_hand);
			ab_out_kint(&v->out, "reserved", reserved);
			ab_out_kint(&v->out, "available", on_hand - reserved);
			ab_out_end(&v->out);
		}
		if (rc != SQLITE_DONE)
			code = ab_db_fail(v->db, rc, "stock");
		else if (!rows && v->nargs)
			code = ab_err(AB_EDATA, "unknown sku \"%s\"", v->args[i]);
	}
	sqlite3_finalize(st);
	return code;
}

/* Each check lists the rows that break an invariant. */
static const struct {
	const char *name;
	const char *sql;
} checks[] = {
	{"cache", /* the stock table is the ledger's sum */
	 "WITH l AS (SELECT sku, location, "
	 " sum(CASE WHEN kind IN ('reserve', 'release') THEN 0 ELSE qty END) oh, "
	 " sum(CASE WHEN kind IN ('reserve', 'release') THEN qty ELSE 0 END) rs "
	 " FROM stock_moves GROUP BY sku, location) "
	 "SELECT coalesce(l.sku, s.sku), coalesce(l.location, s.location), l.oh, l.rs, s.on_hand, s.reserved "
	 "FROM l FULL JOIN stock s ON s.sku = l.sku AND s.location = l.location "
	 "WHERE l.oh IS NOT s.on_hand OR l.rs IS NOT s.reserved ORDER BY 1, 2"},
	{"reservations", /* reserved stock is exactly the open orders' lines */
	 "WITH r AS (SELECT sku, location, sum(qty) q FROM stock_moves "
	 " WHERE kind IN ('reserve', 'release') GROUP BY sku, location HAVING q != 0), "
	 "o AS (SELECT l.sku, o.location, sum(l.qty) q FROM shop_orders o "
	 " JOIN shop_order_lines l ON l.order_id = o.id WHERE o.status IN ('pending', 'paid') "
	 " GROUP BY l.sku, o.location) "
	 "SELECT coalesce(r.sku, o.sku), coalesce(r.location, o.location), r.q, NULL, o.q, NULL "
	 "FROM r FULL JOIN o ON o.sku = r.sku AND o.location = r.location "
	 "WHERE r.q IS NOT o.q ORDER BY 1, 2"},
	{"oversold", /* available below zero where backorders are not allowed */
	 "WITH l AS (SELECT sku, location, "
	 " sum(CASE WHEN kind IN ('reserve', 'release') THEN 0 ELSE qty END) oh, "
	 " sum(CASE WHEN kind IN ('reserve', 'release') THEN qty ELSE 0 END) rs "
	 " FROM stock_moves GROUP BY sku, location) "
	 "SELECT l.sku, l.location, l.oh, l.rs, NULL, NULL FROM l JOIN products p ON p.sku = l.sku "
	 "WHERE p.backorder = 0 AND (l.oh < 0 OR l.rs < 0 OR (l.rs > 0 AND l.oh - l.rs < 0)) ORDER BY 1, 2"},
};

int
inv_verify(struct inv *v)
{
	sqlite3_stmt *st;
	long long problems = 0, moves = 0;
	int code = 0, rc;

	/* One read transaction: every check sees the same ledger. */
	if ((code = ab_db_exec(v->db, "BEGIN")))
		return code;
	for (size_t c = 0; c < sizeof checks / sizeof *checks && !code; c++) {
		if ((code = ab_db_prepare(v->db, checks[c].sql, &st)))
			break;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			problems++;
			ab_out_begin(&v->out);
			ab_out_kstr(&v->out, "type", "verify_problem");
			ab_out_kstr(&v->out, "check", checks[c].name);
			ab_out_kstr(&v->out, "sku", (const char *)sqlite3_column_text(st, 0));
			ab_out_kstr(&v->out, "location", (const char *)sqlite3_column_text(st, 1));
			static const char *const k[4] = {"ledger_on_hand", "ledger_reserved", "cached_on_hand", "cached_reserved"};
			static const char *const kr[4] = {"ledger_reserved", NULL, "open_order_qty", NULL};
			static const char *const ko[4] = {"on_hand", "reserved", NULL, NULL};
			const char *const *keys = c == 0 ? k : c == 1 ? kr : ko;
			for (int i = 0; i < 4; i++) {
				if (!keys[i])
					continue;
				if (sqlite3_column_type(st, 2 + i) == SQLITE_NULL)
					ab_out_kint(&v->out, keys[i], 0);
				else
					ab_out_kint(&v->out, keys[i], sqlite3_column_int64(st, 2 + i));
			}
			ab_out_end(&v->out);
		}
		if (rc != SQLITE_DONE)
			code = ab_db_fail(v->db, rc, checks[c].name);
		sqlite3_finalize(st);
	}
	if (!code && (code = ab_db_prepare(v->db, "SELECT count(*) FROM stock_moves", &st)) == 0) {
		if (sqlite3_step(st) == SQLITE_ROW)
			moves = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	ab_db_exec(v->db, "COMMIT");
	if (code)
		return code;
	ab_out_begin(&v->out);
	ab_out_kstr(&v->out, "type", "verify");
	ab_out_kbool(&v->out, "ok", problems == 0);
	ab_out_kint(&v->out, "moves", moves);
	ab_out_kint(&v->out, "problems", problems);
	ab_out_end(&v->out);
	if (problems)
		return ab_err(AB_EDATA, "verify: %lld problem%s in the ledger", problems, problems == 1 ? "" : "s");
	return 0;
}
