/* shop.c: the e-commerce page: stock, unsold and slow items with ageing,
 * ABC classes, sales by period and category, price recommendations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "serve.h"
#include "timefmt.h"

#define SOLD "('paid', 'fulfilled')"

/* A bar chart from a query returning (label, value) rows. */
static int
bar_chart(struct build *b, struct page *pg, const char *title, const char *series, const char *sql)
{
	sqlite3_stmt *st;
	struct sbuf labels = {0}, vals = {0};
	int rc, n = 0;

	if (sqlite3_prepare_v2(b->db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		ab_err(0, "warning: %s: %s", title, sqlite3_errmsg(b->db->h));
		return 0;
	}
	stmt_bind_since(st, 1, b);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b->now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *l = (const char *)sqlite3_column_text(st, 0);
		sb_puts(&labels, n ? "," : "");
		sb_jstr(&labels, l ? l : "(none)");
		sb_puts(&vals, n ? "," : "");
		sb_jnum(&vals, sqlite3_column_double(st, 1));
		n++;
	}
	sqlite3_finalize(st);
	if (n) {
		chart_begin(pg, "bar", title);
		sb_printf(&pg->data, ",\"labels\":[%s],\"series\":[{\"name\":", labels.p);
		sb_jstr(&pg->data, series);
		sb_printf(&pg->data, ",\"values\":[%s]}]", vals.p);
		chart_end(pg);
	}
	sb_free(&labels);
	sb_free(&vals);
	return n;
}

static char *
main_currency(struct build *b)
{
	sqlite3_stmt *st;
	char *c = NULL;

	if (sqlite3_prepare_v2(b->db->h, "SELECT currency FROM products GROUP BY currency ORDER BY count(*) DESC LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			c = ab_strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	return c ? c : ab_strdup("");
}

static void
money_text(struct sbuf *o, long long v, const char *cur)
{
	int d = currency_digits(cur);
	long long scale = d == 0 ? 1 : d == 3 ? 1000 : 100;

	if (d == 0)
		sb_printf(o, "%lld", v);
	else
		sb_printf(o, "%s%lld.%0*lld", v < 0 ? "-" : "", llabs(v) / scale, d, llabs(v) % scale);
	if (cur && *cur) {
		sb_puts(o, " ");
		sb_html(o, cur);
	}
}

/* ABC classes by revenue over the last year: A the SKUs making the first
 * 80 % of it, B the next 15 %, C the rest. */
static int
abc(struct build *b, struct page *pg, const char *cur)
{
	sqlite3_stmt *st;
	long long total = 0, cls_rev[3] = {0}, cls_n[3] = {0};
	struct { char *sku, *title; long long rev, qty; } *rows = NULL;
	size_t n = 0, cap = 0;
	int rc, code;

	if ((code = ab_db_prepare(b->db,
				  "SELECT l.sku, coalesce(p.title, l.sku), sum(l.qty * l.price), sum(l.qty) "
				  "FROM shop_order_lines l JOIN shop_orders o ON o.id = l.order_id "
				  "LEFT JOIN products p ON p.sku = l.sku "
				  "WHERE o.status IN " SOLD " AND o.ts >= max(?1, ?2 - 365 * 86400000) "
				  "GROUP BY l.sku ORDER BY 3 DESC, l.sku", &st)))
		return code;
	stmt_bind_since(st, 1, b);
	sqlite3_bind_int64(st, 2, b->now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			rows = ab_realloc(rows, cap * sizeof *rows);
		}
		rows[n].sku = ab_strdup((const char *)sqlite3_column_text(st, 0));
		rows[n].title = ab_strdup((const char *)sqlite3_column_text(st, 1));
		rows[n].rev = sqlite3_column_int64(st, 2);
		rows[n].qty = sqlite3_column_int64(st, 3);
		total += rows[n].rev;
		n++;
	}
	sqlite3_finalize(st);
	if (n == 0 || total <= 0) {
		sb_puts(&pg->body, "<p class=\"empty\">No sales in the last year to classify.</p>\n");
		goto out;
	}
	struct sbuf top = {0};
	long long cum = 0;
	for (size_t i = 0; i < n; i++) {
		/* the class is decided by the share before this SKU is added */
		int c = cum * 100 < total * 80 ? 0 : cum * 100 < total * 95 ? 1 : 2;
		cum += rows[i].rev;
		cls_rev[c] += rows[i].rev;
		cls_n[c]++;
		if (i < 50) {
			sb_printf(&top, "<tr><td>%c</td><td>", "ABC"[c]);
			sb_html(&top, rows[i].sku);
			sb_puts(&top, "</td><td>");
			sb_html(&top, rows[i].title);
			sb_printf(&top, "</td><td class=\"num\">%lld</td><td class=\"num\">", rows[i].qty);
			money_text(&top, rows[i].rev, cur);
			sb_printf(&top, "</td><td class=\"num\">%.1f%%</td></tr>\n", 100.0 * (double)cum / (double)total);
		}
	}
	sb_puts(&pg->body, "<div class=\"table\"><table>\n<thead><tr><th>class</th><th>SKUs</th><th>revenue</th>"
			   "<th>share</th></tr></thead>\n<tbody>\n");
	for (int c = 0; c < 3; c++) {
		sb_printf(&pg->body, "<tr><td>%c</td><td class=\"num\">%lld</td><td class=\"num\">", "ABC"[c], cls_n[c]);
		money_text(&pg->body, cls_rev[c], cur);
		sb_printf(&pg->body, "</td><td class=\"num\">%.1f%%</td></tr>\n", 100.0 * (double)cls_rev[c] / (double)total);
	}
	sb_puts(&pg->body, "</tbody></table></div>\n<h3>Best sellers (top 50)</h3>\n");
	sb_puts(&pg->body, "<div class=\"table\"><table>\n<thead><tr><th>class</th><th>sku</th><th>title</th>"
			   "<th>units</th><th>revenue</th><th>cumulative</th></tr></thead>\n<tbody>\n");
	sb_put(&pg->body, top.p, top.n);
	sb_puts(&pg->body, "</tbody></table></div>\n");
	sb_free(&top);
out:
	for (size_t i = 0; i < n; i++) {
		free(rows[i].sku);
		free(rows[i].title);
	}
	free(rows);
	return 0;
}

int
page_shop(struct build *b, struct page *pg)
{
	struct sbuf q = {0};
	char *cur;
	int code = 0;
	long long unsold_ms = 90LL * 86400000;

	if (!table_exists(b, "products") || !table_has_rows(b, "products")) {
		no_data(pg, "products", "ab-inventory");
		return 0;
	}
	cur = main_currency(b);
	sb_puts(&pg->body, "<h2>Stock</h2>\n");
	if (sql_table(b, pg, "SELECT count(*) AS products, sum(status = 'active') AS active, "
			     "(SELECT coalesce(sum(on_hand), 0) FROM stock) AS units_on_hand, "
			     "(SELECT coalesce(sum(reserved), 0) FROM stock) AS units_reserved, "
			     "(SELECT count(DISTINCT category) FROM products) AS categories FROM products "
			     "WHERE ?1 = ?1", NULL) < 0)
		goto fail;
	sb_puts(&pg->body, "<div class=\"charts\">\n");
	bar_chart(b, pg, "Units on hand by category", "units",
		  "SELECT p.category, sum(s.on_hand) FROM stock s JOIN products p ON p.sku = s.sku "
		  "WHERE ?1 = ?1 GROUP BY p.category ORDER BY 2 DESC LIMIT 30");
	bar_chart(b, pg, "Unsold stock by age (units; days since the last sale or first move)", "units",
		  "WITH st AS (SELECT sku, sum(on_hand) AS u FROM stock GROUP BY sku HAVING sum(on_hand) > 0), "
		  "mv AS (SELECT sku, max(CASE WHEN kind = 'sale' THEN ts END) AS ls, min(ts) AS fm FROM stock_moves GROUP BY sku), "
		  "a AS (SELECT st.u, (?2 - coalesce(mv.ls, mv.fm, p.created)) / 86400000 AS d FROM st "
		  "JOIN products p ON p.sku = st.sku LEFT JOIN mv ON mv.sku = st.sku WHERE ?1 = ?1) "
		  "SELECT CASE WHEN d <= 30 THEN '0-30' WHEN d <= 90 THEN '31-90' WHEN d <= 180 THEN '91-180' "
		  "WHEN d <= 365 THEN '181-365' ELSE 'over 365' END AS bucket, sum(u) FROM a GROUP BY bucket "
		  "ORDER BY min(d)");
	sb_puts(&pg->body, "</div>\n<h3>Lowest available stock (100)</h3>\n");
	if (sql_table(b, pg, "SELECT p.sku, p.title, p.category, coalesce(sum(s.on_hand), 0) AS on_hand, "
			     "coalesce(sum(s.reserved), 0) AS reserved, "
			     "coalesce(sum(s.on_hand), 0) - coalesce(sum(s.reserved), 0) AS available, "
			     "money(p.price, p.currency) AS price, p.currency FROM products p "
			     "LEFT JOIN stock s ON s.sku = p.sku WHERE p.status = 'active' AND ?1 = ?1 "
			     "GROUP BY p.sku ORDER BY available, p.sku LIMIT 100", "No active products.") < 0)
		goto fail;

	sb_printf(&pg->body, "<h2>Unsold and slow stock</h2>\n<p class=\"lead\">In stock with no sale in the last %lld days, "
			     "oldest first (100).</p>\n", unsold_ms / 86400000);
	sb_printf(&q, "WITH st AS (SELECT sku, sum(on_hand) AS on_hand FROM stock GROUP BY sku HAVING sum(on_hand) > 0), "
		      "mv AS (SELECT sku, max(CASE WHEN kind = 'sale' THEN ts END) AS last_sale, "
		      "max(CASE WHEN kind = 'receipt' THEN ts END) AS last_receipt, min(ts) AS first_move "
		      "FROM stock_moves GROUP BY sku) "
		      "SELECT p.sku, p.title, p.category, st.on_hand, mv.last_sale, "
		      "(?2 - coalesce(mv.last_sale, mv.first_move, p.created)) / 86400000 AS days_unsold, "
		      "mv.last_receipt, money(st.on_hand * p.cost, p.currency) AS value_at_cost, p.currency "
		      "FROM st JOIN products p ON p.sku = st.sku LEFT JOIN mv ON mv.sku = st.sku "
		      "WHERE coalesce(mv.last_sale, 0) < ?2 - %lld AND ?1 = ?1 "
		      "ORDER BY days_unsold DESC, p.sku LIMIT 100", unsold_ms);
	if (sql_table(b, pg, q.p, "No unsold stock.") < 0)
		goto fail;

	sb_puts(&pg->body, "<h2>ABC analysis (revenue, last year)</h2>\n");
	if ((code = abc(b, pg, cur)))
		goto out;

	sb_puts(&pg->body, "<h2>Sales by period</h2>\n<div class=\"charts\">\n");
	bar_chart(b, pg, "Revenue by month (last 12)", cur,
		  "SELECT * FROM (SELECT strftime('%Y-%m', o.ts / 1000, 'unixepoch') AS m, sum(o.total) / 100.0 "
		  "FROM shop_orders o WHERE o.status IN " SOLD " AND o.ts >= ?1 AND ?2 = ?2 "
		  "GROUP BY m ORDER BY m DESC LIMIT 12) ORDER BY m");
	bar_chart(b, pg, "Revenue by category (last year)", cur,
		  "SELECT p.category, sum(l.qty * l.price) / 100.0 FROM shop_order_lines l "
		  "JOIN shop_orders o ON o.id = l.order_id LEFT JOIN products p ON p.sku = l.sku "
		  "WHERE o.status IN " SOLD " AND o.ts >= max(?1, ?2 - 365 * 86400000) "
		  "GROUP BY p.category ORDER BY 2 DESC LIMIT 30");
	sb_puts(&pg->body, "</div>\n<h3>By week (last 12)</h3>\n");
	if (sql_table(b, pg, "SELECT * FROM (SELECT strftime('%Y-W%W', o.ts / 1000, 'unixepoch') AS week, "
			     "count(*) AS orders, money(sum(o.total), o.currency) AS revenue, o.currency "
			     "FROM shop_orders o WHERE o.status IN " SOLD " AND o.ts >= max(?1, ?2 - 84 * 86400000) "
			     "GROUP BY week, o.currency ORDER BY week DESC LIMIT 24) ORDER BY week",
		      "No sales yet.") < 0)
		goto fail;
	sb_puts(&pg->body, "<h3>By category (last year)</h3>\n");
	if (sql_table(b, pg, "SELECT p.category, count(DISTINCT l.order_id) AS orders, sum(l.qty) AS units, "
			     "money(sum(l.qty * l.price), o.currency) AS revenue, "
			     "money(sum(l.qty * (l.price - coalesce(l.cost, l.price))), o.currency) AS margin, o.currency "
			     "FROM shop_order_lines l JOIN shop_orders o ON o.id = l.order_id "
			     "LEFT JOIN products p ON p.sku = l.sku "
			     "WHERE o.status IN " SOLD " AND o.ts >= max(?1, ?2 - 365 * 86400000) "
			     "GROUP BY p.category, o.currency ORDER BY sum(l.qty * l.price) DESC LIMIT 50",
		      "No sales yet.") < 0)
		goto fail;

	if (table_exists(b, "price_recs") && column_exists(b, "price_recs", "recommended") &&
	    column_exists(b, "price_recs", "source") && column_exists(b, "price_recs", "reason")) {
		static const char recs[] =
			"SELECT r.ts, r.sku, p.title, money(r.current, r.currency) AS current, "
			"money(r.recommended, r.currency) AS recommended, r.currency, r.elasticity, r.source, r.reason "
			"FROM price_recs r LEFT JOIN products p ON p.sku = r.sku WHERE r.ts >= ?1 AND ?2 = ?2 AND %s "
			"ORDER BY r.ts DESC, r.id DESC LIMIT 100";
		q.n = 0;
		sb_printf(&q, recs, "r.source <> 'markdown'");
		sb_puts(&pg->body, "<h2>Price recommendations</h2>\n");
		if (sql_table(b, pg, q.p, NULL) == 0)
			no_data(pg, "price recommendations", "ab-price");
		q.n = 0;
		sb_printf(&q, recs, "r.source = 'markdown'");
		sb_puts(&pg->body, "<h2>Markdown plans</h2>\n");
		if (sql_table(b, pg, q.p, NULL) == 0)
			no_data(pg, "markdown plans", "ab-price markdown");
	} else {
		sb_puts(&pg->body, "<h2>Price recommendations</h2>\n");
		table_latest(b, pg, "price_recs", "ts,created,id", 100, "price recommendations", "ab-price");
	}
	sb_puts(&pg->body, "<h2>Price changes</h2>\n");
	table_latest(b, pg, "prices", "ts,id", 50, "price changes", "ab-price apply");
	goto out;
fail:
	code = AB_ESOFTWARE;
out:
	sb_free(&q);
	free(cur);
	return code;
}
