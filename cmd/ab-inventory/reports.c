/* reports.c: unsold and slow stock, reorder suggestions, sales, ABC, FIFO ageing. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "inv.h"
#include "timefmt.h"

/* Orders that count as sales: placed and not cancelled, refunded or rejected. */
#define SOLD "o.status IN ('pending', 'paid', 'fulfilled')"

/* ---- FIFO layers per SKU (all locations; transfers net out) ---- */

enum { B_30, B_60, B_90, B_180, B_OVER, NBUCKET };

struct fifo {
	char *sku;
	int64_t on_hand;          /* what the layers hold */
	int64_t received;         /* every unit that came in */
	int64_t bucket[NBUCKET];
	int64_t value;            /* at each layer's cost; unknown costs count 0 */
	int cost_unknown;
	int64_t oldest;           /* ts of the oldest unit on hand, INV_NONE if none */
	double avg_age_days;
};

struct layer {
	int64_t ts, qty, cost;
};

static void
fifo_finish(struct inv *v, struct fifo *f, struct layer *l, size_t head, size_t n)
{
	double age_sum = 0;

	f->oldest = INV_NONE;
	for (size_t i = head; i < n; i++) {
		if (l[i].qty <= 0)
			continue;
		int64_t days = (v->now - l[i].ts) / INV_DAY_MS;
		if (days < 0)
			days = 0;
		int b = days <= 30 ? B_30 : days <= 60 ? B_60 : days <= 90 ? B_90 : days <= 180 ? B_180 : B_OVER;
		f->bucket[b] += l[i].qty;
		f->on_hand += l[i].qty;
		if (l[i].cost == INV_NONE)
			f->cost_unknown = 1;
		else
			f->value += l[i].qty * l[i].cost;
		if (f->oldest == INV_NONE)
			f->oldest = l[i].ts;
		age_sum += (double)days * (double)l[i].qty;
	}
	f->avg_age_days = f->on_hand ? age_sum / (double)f->on_hand : 0;
}

static int
fifo_all(struct inv *v, struct fifo **out, size_t *nout)
{
	sqlite3_stmt *st;
	struct fifo *fs = NULL;
	struct layer *l = NULL;
	size_t n = 0, cap = 0, nl = 0, lcap = 0, head = 0;
	int64_t debt = 0;
	int rc, code;
	const char *sql =
		"SELECT m.sku, m.ts, m.qty, coalesce(m.unit_cost, p.cost) FROM stock_moves m "
		"JOIN products p ON p.sku = m.sku WHERE m.kind NOT IN ('reserve', 'release', 'transfer') "
		"ORDER BY m.sku, m.ts, m.id";

	if ((code = ab_db_prepare(v->db, sql, &st)))
		return code;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sku = (const char *)sqlite3_column_text(st, 0);
		if (!n || strcmp(fs[n - 1].sku, sku) != 0) {
			if (n)
				fifo_finish(v, &fs[n - 1], l, head, nl);
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				fs = ab_realloc(fs, cap * sizeof *fs);
			}
			memset(&fs[n], 0, sizeof fs[n]);
			fs[n++].sku = ab_strdup(sku);
			nl = head = 0;
			debt = 0;
		}
		int64_t ts = sqlite3_column_int64(st, 1), qty = sqlite3_column_int64(st, 2);
		int64_t cost = sqlite3_column_type(st, 3) == SQLITE_NULL ? INV_NONE : sqlite3_column_int64(st, 3);
		if (qty > 0) {
			fs[n - 1].received += qty;
			int64_t pay = qty < debt ? qty : debt; /* units sold before they arrived */
			debt -= pay;
			qty -= pay;
			if (qty) {
				if (nl == lcap) {
					lcap = lcap ? lcap * 2 : 64;
					l = ab_realloc(l, lcap * sizeof *l);
				}
				l[nl++] = (struct layer){ts, qty, cost};
			}
		} else {
			int64_t take = -qty;
			while (take && head < nl) {
				int64_t t = take < l[head].qty ? take : l[head].qty;
				l[head].qty -= t;
				take -= t;
				if (!l[head].qty)
					head++;
			}
			debt += take;
		}
	}
	if (n)
		fifo_finish(v, &fs[n - 1], l, head, nl);
	if (rc != SQLITE_DONE)
		code = ab_db_fail(v->db, rc, "stock_moves");
	sqlite3_finalize(st);
	free(l);
	*out = fs;
	*nout = n;
	return code;
}

static void
fifo_free(struct fifo *fs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(fs[i].sku);
	free(fs);
}

static int
fifo_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fifo *)a)->sku, ((const struct fifo *)b)->sku);
}

static const struct fifo *
fifo_find(const struct fifo *fs, size_t n, const char *sku)
{
	struct fifo key = {.sku = (char *)sku};
	return n ? bsearch(&key, fs, n, sizeof *fs, fifo_cmp) : NULL;
}

static void
out_time_or_null(struct ab_out *o, const char *key, int64_t ms)
{
	if (ms == INV_NONE)
		ab_out_knull(o, key);
	else
		ab_out_ktime(o, key, ms);
}

static void
out_text_or_null(struct ab_out *o, const char *key, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		ab_out_knull(o, key);
	else
		ab_out_kstr(o, key, (const char *)sqlite3_column_text(st, i));
}

static int64_t
col_money(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? INV_NONE : sqlite3_column_int64(st, i);
}

/* ---- unsold ---- */

int
inv_unsold(struct inv *v)
{
	struct fifo *fs;
	size_t nfs;
	sqlite3_stmt *st;
	int64_t days = v->days >= 0 ? v->days : 90, min = v->min_stock >= 0 ? v->min_stock : 1;
	int64_t cutoff = v->now - days * INV_DAY_MS;
	int rc, code;
	const char *sql =
		"SELECT p.sku, p.title, p.category, p.vendor, p.cost, p.price, p.currency, "
		" (SELECT coalesce(sum(on_hand), 0) FROM stock s WHERE s.sku = p.sku), "
		" (SELECT coalesce(sum(reserved), 0) FROM stock s WHERE s.sku = p.sku), "
		" (SELECT max(o.ts) FROM shop_order_lines l JOIN shop_orders o ON o.id = l.order_id "
		"  WHERE l.sku = p.sku AND " SOLD " AND o.ts <= ?1), "
		" (SELECT coalesce(sum(l.qty), 0) FROM shop_order_lines l JOIN shop_orders o ON o.id = l.order_id "
		"  WHERE l.sku = p.sku AND " SOLD " AND o.ts <= ?1) "
		"FROM products p ORDER BY p.sku";

	if ((code = ab_db_exec(v->db, "BEGIN")))
		return code;
	if ((code = fifo_all(v, &fs, &nfs)) || (code = ab_db_prepare(v->db, sql, &st))) {
		ab_db_exec(v->db, "COMMIT");
		return code;
	}
	sqlite3_bind_int64(st, 1, v->now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sku = (const char *)sqlite3_column_text(st, 0);
		int64_t on_hand = sqlite3_column_int64(st, 7), reserved = sqlite3_column_int64(st, 8);
		int64_t last = col_money(st, 9), sold = sqlite3_column_int64(st, 10);
		const struct fifo *f = fifo_find(fs, nfs, sku);
		if (on_hand <= 0 || on_hand < min || (last != INV_NONE && last >= cutoff))
			continue;
		if (!f || f->oldest == INV_NONE || f->oldest > cutoff)
			continue; /* not on hand for the whole N days */
		char cur[4];
		snprintf(cur, sizeof cur, "%s", (const char *)sqlite3_column_text(st, 6));
		int exp = ab_currency_exp(cur);
		int64_t cost = col_money(st, 4), price = col_money(st, 5);
		struct ab_out *o = &v->out;
		ab_out_begin(o);
		ab_out_kstr(o, "type", "unsold");
		ab_out_kstr(o, "sku", sku);
		ab_out_kstr(o, "title", (const char *)sqlite3_column_text(st, 1));
		out_text_or_null(o, "category", st, 2);
		out_text_or_null(o, "vendor", st, 3);
		ab_out_kint(o, "on_hand", on_hand);
		ab_out_kint(o, "reserved", reserved);
		ab_out_kint(o, "available", on_hand - reserved);
		ab_out_kmoney(o, "cost", cost, exp);
		ab_out_kmoney(o, "price", price, exp);
		ab_out_kstr(o, "currency", cur);
		ab_out_kmoney(o, "value", f->cost_unknown && cost == INV_NONE ? INV_NONE : f->value, exp);
		ab_out_kmoney(o, "retail_value", price == INV_NONE ? INV_NONE : price * on_hand, exp);
		out_time_or_null(o, "last_sold", last);
		if (last == INV_NONE)
			ab_out_knull(o, "days_since_sale");
		else
			ab_out_kint(o, "days_since_sale", (v->now - last) / INV_DAY_MS);
		ab_out_kint(o, "age_days", (v->now - f->oldest) / INV_DAY_MS);
		ab_out_knum(o, "avg_age_days", round(f->avg_age_days * 10) / 10);
		ab_out_kint(o, "units_sold", sold);
		ab_out_kint(o, "received", f->received);
		if (f->received > 0)
			ab_out_knum(o, "sell_through", round((double)sold / (double)f->received * 1e4) / 1e4);
		else
			ab_out_knull(o, "sell_through");
		ab_out_kint(o, "days", days);
		ab_out_end(o);
	}
	if (rc != SQLITE_DONE)
		code = ab_db_fail(v->db, rc, "products");
	sqlite3_finalize(st);
	ab_db_exec(v->db, "COMMIT");
	fifo_free(fs, nfs);
	return code;
}

/* ---- low-stock ---- */

int
inv_low_stock(struct inv *v)
{
	sqlite3_stmt *st;
	int64_t window = v->window > 0 ? v->window : 30, cover = v->cover > 0 ? v->cover : 14;
	int rc, code;
	const char *sql =
		"SELECT p.sku, p.title, p.cost, p.currency, "
		" (SELECT coalesce(sum(on_hand), 0) FROM stock s WHERE s.sku = p.sku AND (?3 IS NULL OR s.location = ?3)), "
		" (SELECT coalesce(sum(reserved), 0) FROM stock s WHERE s.sku = p.sku AND (?3 IS NULL OR s.location = ?3)), "
		" (SELECT coalesce(sum(l.qty), 0) FROM shop_order_lines l JOIN shop_orders o ON o.id = l.order_id "
		"  WHERE l.sku = p.sku AND " SOLD " AND o.ts >= ?1 AND o.ts <= ?2 AND (?3 IS NULL OR o.location = ?3)) "
		"FROM products p WHERE p.status = 'active' ORDER BY p.sku";

	if ((code = ab_db_prepare(v->db, sql, &st)))
		return code;
	sqlite3_bind_int64(st, 1, v->now - window * INV_DAY_MS);
	sqlite3_bind_int64(st, 2, v->now);
	ab_db_bind_text(st, 3, v->location);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t on_hand = sqlite3_column_int64(st, 4), reserved = sqlite3_column_int64(st, 5);
		int64_t sold = sqlite3_column_int64(st, 6), avail = on_hand - reserved;
		double rate = (double)sold / (double)window;
		int64_t need = (int64_t)ceil(rate * (double)cover - 1e-9);
		int64_t qty = need - avail;
		if (qty <= 0)
			continue;
		char cur[4];
		snprintf(cur, sizeof cur, "%s", (const char *)sqlite3_column_text(st, 3));
		int exp = ab_currency_exp(cur);
		int64_t cost = col_money(st, 2);
		struct ab_out *o = &v->out;
		ab_out_begin(o);
		ab_out_kstr(o, "type", "reorder");
		ab_out_kstr(o, "sku", (const char *)sqlite3_column_text(st, 0));
		ab_out_kstr(o, "title", (const char *)sqlite3_column_text(st, 1));
		if (v->location)
			ab_out_kstr(o, "location", v->location);
		ab_out_kint(o, "on_hand", on_hand);
		ab_out_kint(o, "reserved", reserved);
		ab_out_kint(o, "available", avail);
		ab_out_kint(o, "sold", sold);
		ab_out_kint(o, "window", window);
		ab_out_knum(o, "daily_sales", round(rate * 1e4) / 1e4);
		if (rate > 0)
			ab_out_knum(o, "days_of_supply", round((double)(avail > 0 ? avail : 0) / rate * 10) / 10);
		else
			ab_out_knull(o, "days_of_supply");
		ab_out_kint(o, "cover", cover);
		ab_out_kint(o, "reorder_qty", qty);
		ab_out_kmoney(o, "cost", cost, exp);
		ab_out_kmoney(o, "reorder_value", cost == INV_NONE ? INV_NONE : cost * qty, exp);
		ab_out_kstr(o, "currency", cur);
		ab_out_end(o);
	}
	if (rc != SQLITE_DONE)
		code = ab_db_fail(v->db, rc, "products");
	sqlite3_finalize(st);
	return code;
}

/* ---- report ---- */

enum by { BY_TOTAL, BY_DAY, BY_WEEK, BY_MONTH, BY_PRODUCT, BY_CATEGORY };

/* The group key as SQL over a time column and a SKU column. */
static void
key_sql(enum by by, const char *ts, const char *sku, const char *cat, char *buf, size_t n)
{
	switch (by) {
	case BY_TOTAL: snprintf(buf, n, "'total'"); break;
	case BY_DAY: snprintf(buf, n, "(%s / 86400000) * 86400000", ts); break;
	case BY_WEEK: /* weeks start on Monday; 1970-01-01 was a Thursday */
		snprintf(buf, n, "(((%s / 86400000) + 3) / 7 * 7 - 3) * 86400000", ts); break;
	case BY_MONTH:
		snprintf(buf, n, "CAST(strftime('%%s', strftime('%%Y-%%m-01', %s / 1000, 'unixepoch')) AS INTEGER) * 1000", ts);
		break;
	case BY_PRODUCT: snprintf(buf, n, "%s", sku); break;
	case BY_CATEGORY: snprintf(buf, n, "coalesce(%s, '')", cat); break;
	}
}

struct kv {
	char *key;
	int64_t a, b;
};

static int
kv_cmp(const void *x, const void *y)
{
	return strcmp(((const struct kv *)x)->key, ((const struct kv *)y)->key);
}

/* Runs a query of (key, a, b) rows ordered by key into an array. */
static int
load_kv(struct inv *v, const char *sql, int64_t since, int64_t until, struct kv **out, size_t *nout)
{
	sqlite3_stmt *st;
	struct kv *kv = NULL;
	size_t n = 0, cap = 0;
	int rc, code;

	if ((code = ab_db_prepare(v->db, sql, &st)))
		return code;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			kv = ab_realloc(kv, cap * sizeof *kv);
		}
		kv[n].key = ab_strdup((const char *)sqlite3_column_text(st, 0));
		kv[n].a = sqlite3_column_int64(st, 1);
		kv[n].b = sqlite3_column_int64(st, 2);
		n++;
	}
	if (rc != SQLITE_DONE)
		code = ab_db_fail(v->db, rc, "report");
	sqlite3_finalize(st);
	if (n > 1)
		qsort(kv, n, sizeof *kv, kv_cmp);
	*out = kv;
	*nout = n;
	return code;
}

static void
kv_free(struct kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(kv[i].key);
	free(kv);
}

static const struct kv *
kv_find(const struct kv *kv, size_t n, const char *key)
{
	struct kv k = {.key = (char *)key};
	return n ? bsearch(&k, kv, n, sizeof *kv, kv_cmp) : NULL;
}

int
inv_report(struct inv *v)
{
	static const char *const names[] = {"total", "day", "week", "month", "product", "category"};
	enum by by = BY_TOTAL;
	int64_t since = v->since != INV_NONE ? v->since : INT64_MIN / 2;
	int64_t until = v->until != INV_NONE ? v->until : v->now + 1;
	char key[256], key2[256], sql[2048];
	struct kv *so = NULL, *stk = NULL;
	size_t nso = 0, nstk = 0;
	sqlite3_stmt *st = NULL;
	int rc, code;

	if (v->by) {
		by = (enum by)-1;
		for (int i = 0; i < 6; i++)
			if (strcmp(v->by, names[i]) == 0)
				by = (enum by)i;
		if ((int)by < 0)
			return ab_err(AB_EUSAGE, "--by: \"%s\" is not total, day, week, month, product or category", v->by);
	}
	if ((code = ab_db_exec(v->db, "BEGIN")))
		return code;
	/* Stock-outs: moves that took a SKU's stock at a location from above zero to none. */
	key_sql(by, "m.ts", "m.sku", "p.category", key, sizeof key);
	snprintf(sql, sizeof sql,
		 "WITH m AS (SELECT id, sku, ts, qty, sum(qty) OVER (PARTITION BY sku, location "
		 " ORDER BY ts, id) AS after FROM stock_moves WHERE kind NOT IN ('reserve', 'release')) "
		 "SELECT CAST(%s AS TEXT), count(*), 0 FROM m JOIN products p ON p.sku = m.sku "
		 "WHERE m.qty < 0 AND m.after <= 0 AND m.after - m.qty > 0 AND m.ts >= ?1 AND m.ts < ?2 "
		 "GROUP BY 1", key);
	if ((code = load_kv(v, sql, since, until, &so, &nso)))
		goto out;
	if (by == BY_PRODUCT) {
		/* Sell-through's denominator: stock at the start plus what came in. */
		snprintf(sql, sizeof sql,
			 "SELECT sku, sum(CASE WHEN ts < ?1 THEN qty ELSE 0 END), "
			 "sum(CASE WHEN ts >= ?1 AND ts < ?2 AND kind = 'receipt' THEN qty ELSE 0 END) "
			 "FROM stock_moves WHERE kind NOT IN ('reserve', 'release', 'transfer') GROUP BY sku");
		if ((code = load_kv(v, sql, since, until, &stk, &nstk)))
			goto out;
	}
	key_sql(by, "o.ts", "l.sku", "p.category", key2, sizeof key2);
	snprintf(sql, sizeof sql,
		 "SELECT CAST(%s AS TEXT), o.currency, count(DISTINCT o.id), sum(l.qty), "
		 "sum(l.qty * l.price), sum(l.qty * coalesce(l.cost, 0)), "
		 "sum(CASE WHEN l.cost IS NULL THEN l.qty ELSE 0 END), min(p.title) "
		 "FROM shop_order_lines l JOIN shop_orders o ON o.id = l.order_id "
		 "JOIN products p ON p.sku = l.sku WHERE " SOLD " AND o.ts >= ?1 AND o.ts < ?2 "
		 "GROUP BY %s, o.currency ORDER BY %s",
		 key2, key2, by == BY_PRODUCT ? "o.currency, 5 DESC, 1" : "1, 2");
	if ((code = ab_db_prepare(v->db, sql, &st)))
		goto out;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, until);
	long rank = 0;
	char last_cur[4] = "";
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		char cur[4];
		snprintf(cur, sizeof cur, "%s", (const char *)sqlite3_column_text(st, 1));
		int exp = ab_currency_exp(cur);
		int64_t orders = sqlite3_column_int64(st, 2), units = sqlite3_column_int64(st, 3);
		int64_t revenue = sqlite3_column_int64(st, 4), cost = sqlite3_column_int64(st, 5);
		int64_t uncosted = sqlite3_column_int64(st, 6);
		struct ab_out *o = &v->out;
		if (strcmp(cur, last_cur) != 0) {
			rank = 0;
			memcpy(last_cur, cur, 4);
		}
		rank++;
		ab_out_begin(o);
		ab_out_kstr(o, "type", "sales");
		ab_out_kstr(o, "by", names[by]);
		if (by == BY_DAY || by == BY_WEEK || by == BY_MONTH) {
			ab_out_ktime(o, "period", strtoll(k, NULL, 10));
		} else if (by == BY_PRODUCT) {
			ab_out_kstr(o, "sku", k);
			ab_out_kstr(o, "title", (const char *)sqlite3_column_text(st, 7));
			ab_out_kint(o, "rank", rank);
		} else if (by == BY_CATEGORY) {
			if (*k)
				ab_out_kstr(o, "category", k);
			else
				ab_out_knull(o, "category");
		}
		if (by != BY_DAY && by != BY_WEEK && by != BY_MONTH) {
			out_time_or_null(o, "since", v->since);
			ab_out_ktime(o, "until", v->until != INV_NONE ? v->until : v->now);
		}
		ab_out_kstr(o, "currency", cur);
		ab_out_kint(o, "orders", orders);
		ab_out_kint(o, "units", units);
		ab_out_kmoney(o, "revenue", revenue, exp);
		ab_out_kmoney(o, "cost", cost, exp);
		ab_out_kmoney(o, "gross_margin", revenue - cost, exp);
		if (revenue > 0)
			ab_out_knum(o, "margin", round((double)(revenue - cost) / (double)revenue * 1e4) / 1e4);
		else
			ab_out_knull(o, "margin");
		/* Average order value: the revenue of this group per order holding it. */
		ab_out_kmoney(o, "aov", orders ? (revenue + orders / 2) / orders : 0, exp);
		if (uncosted)
			ab_out_kint(o, "units_without_cost", uncosted);
		const struct kv *s = kv_find(so, nso, k);
		ab_out_kint(o, "stockouts", s ? s->a : 0);
		if (by == BY_PRODUCT) {
			const struct kv *t = kv_find(stk, nstk, k);
			int64_t base = t ? (t->a > 0 ? t->a : 0) + t->b : 0;
			if (base > 0)
				ab_out_knum(o, "sell_through", round((double)units / (double)base * 1e4) / 1e4);
			else
				ab_out_knull(o, "sell_through");
		}
		ab_out_end(o);
	}
	if (rc != SQLITE_DONE)
		code = ab_db_fail(v->db, rc, "report");
out:
	sqlite3_finalize(st);
	ab_db_exec(v->db, "COMMIT");
	kv_free(so, nso);
	kv_free(stk, nstk);
	return code;
}

/* ---- ABC ---- */

struct abc_row {
	char *sku, *title, *category;
	char currency[4];
	int64_t revenue, units;
};

static void
abc_flush(struct inv *v, struct abc_row *r, size_t n)
{
	int64_t total = 0, cum = 0;

	for (size_t i = 0; i < n; i++)
		total += r[i].revenue;
	for (size_t i = 0; i < n; i++) {
		int exp = ab_currency_exp(r[i].currency);
		struct ab_out *o = &v->out;
		cum += r[i].revenue;
		/* cumulative share <= 80 % is A, <= 95 % B, the rest (and no sales) C;
		 * the best seller is A even when it alone holds more than 80 % */
		const char *cls = total <= 0 || r[i].revenue <= 0 ? "C" :
				  i == 0 || (double)cum * 100 <= (double)total * 80 ? "A" :
				  (double)cum * 100 <= (double)total * 95 ? "B" : "C";
		ab_out_begin(o);
		ab_out_kstr(o, "type", "abc");
		ab_out_kstr(o, "sku", r[i].sku);
		ab_out_kstr(o, "title", r[i].title);
		if (r[i].category)
			ab_out_kstr(o, "category", r[i].category);
		else
			ab_out_knull(o, "category");
		ab_out_kint(o, "rank", (long long)i + 1);
		ab_out_kstr(o, "class", cls);
		ab_out_kmoney(o, "revenue", r[i].revenue, exp);
		ab_out_kint(o, "units", r[i].units);
		ab_out_kstr(o, "currency", r[i].currency);
		ab_out_knum(o, "share", total > 0 ? round((double)r[i].revenue / (double)total * 1e6) / 1e6 : 0);
		ab_out_knum(o, "cumulative", total > 0 ? round((double)cum / (double)total * 1e6) / 1e6 : 0);
		ab_out_end(o);
	}
}

int
inv_abc(struct inv *v)
{
	sqlite3_stmt *st;
	struct abc_row *r = NULL;
	size_t n = 0, cap = 0, start = 0;
	int rc, code;
	const char *sql =
		"SELECT p.sku, p.title, p.category, coalesce(o.currency, p.currency), "
		" coalesce(sum(CASE WHEN o.id IS NOT NULL THEN l.qty * l.price END), 0), "
		" coalesce(sum(CASE WHEN o.id IS NOT NULL THEN l.qty END), 0) "
		"FROM products p LEFT JOIN shop_order_lines l ON l.sku = p.sku "
		"LEFT JOIN shop_orders o ON o.id = l.order_id AND " SOLD " AND o.ts >= ?1 AND o.ts < ?2 "
		"GROUP BY p.sku, coalesce(o.currency, p.currency) ORDER BY 4, 5 DESC, 1";

	if ((code = ab_db_prepare(v->db, sql, &st)))
		return code;
	sqlite3_bind_int64(st, 1, v->since != INV_NONE ? v->since : INT64_MIN / 2);
	sqlite3_bind_int64(st, 2, v->until != INV_NONE ? v->until : v->now + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cur = (const char *)sqlite3_column_text(st, 3);
		if (n && strcmp(r[n - 1].currency, cur) != 0) {
			abc_flush(v, r + start, n - start);
			start = n;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			r = ab_realloc(r, cap * sizeof *r);
		}
		r[n].sku = ab_strdup((const char *)sqlite3_column_text(st, 0));
		r[n].title = ab_strdup((const char *)sqlite3_column_text(st, 1));
		r[n].category = sqlite3_column_type(st, 2) == SQLITE_NULL ? NULL :
				ab_strdup((const char *)sqlite3_column_text(st, 2));
		snprintf(r[n].currency, sizeof r[n].currency, "%s", cur);
		r[n].revenue = sqlite3_column_int64(st, 4);
		r[n].units = sqlite3_column_int64(st, 5);
		n++;
	}
	if (rc != SQLITE_DONE)
		code = ab_db_fail(v->db, rc, "abc");
	else if (n > start)
		abc_flush(v, r + start, n - start);
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		free(r[i].sku);
		free(r[i].title);
		free(r[i].category);
	}
	free(r);
	return code;
}

/* ---- aging ---- */

int
inv_aging(struct inv *v)
{
	static const char *const bucket_names[NBUCKET] = {"d0_30", "d31_60", "d61_90", "d91_180", "d181_plus"};
	struct fifo *fs;
	size_t nfs;
	sqlite3_stmt *st;
	int rc, code;
	const char *sql = "SELECT sku, title, category, cost, currency FROM products ORDER BY sku";

	if ((code = ab_db_exec(v->db, "BEGIN")))
		return code;
	if ((code = fifo_all(v, &fs, &nfs)) || (code = ab_db_prepare(v->db, sql, &st))) {
		ab_db_exec(v->db, "COMMIT");
		return code;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sku = (const char *)sqlite3_column_text(st, 0);
		const struct fifo *f = fifo_find(fs, nfs, sku);
		if (!f || f->on_hand <= 0)
			continue;
		char cur[4];
		snprintf(cur, sizeof cur, "%s", (const char *)sqlite3_column_text(st, 4));
		int exp = ab_currency_exp(cur);
		struct ab_out *o = &v->out;
		ab_out_begin(o);
		ab_out_kstr(o, "type", "aging");
		ab_out_kstr(o, "sku", sku);
		ab_out_kstr(o, "title", (const char *)sqlite3_column_text(st, 1));
		out_text_or_null(o, "category", st, 2);
		ab_out_kint(o, "on_hand", f->on_hand);
		for (int b = 0; b < NBUCKET; b++)
			ab_out_kint(o, bucket_names[b], f->bucket[b]);
		ab_out_kint(o, "age_days", (v->now - f->oldest) / INV_DAY_MS);
		ab_out_knum(o, "avg_age_days", round(f->avg_age_days * 10) / 10);
		ab_out_kmoney(o, "cost", col_money(st, 3), exp);
		ab_out_kmoney(o, "value", f->value, exp);
		ab_out_kstr(o, "currency", cur);
		ab_out_end(o);
	}
	if (rc != SQLITE_DONE)
		code = ab_db_fail(v->db, rc, "products");
	sqlite3_finalize(st);
	ab_db_exec(v->db, "COMMIT");
	fifo_free(fs, nfs);
	return code;
}
