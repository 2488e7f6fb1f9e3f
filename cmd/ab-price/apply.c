/* apply.c: price changes into the shop (permission price:apply), recorded and audited; history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "err.h"
#include "price.h"

static void
out_price(struct ab_out *o, const char *sku, const char *cur, int exp, int64_t old, int64_t new,
	  int64_t ts, const char *source, const char *reason, const char *who)
{
	ab_out_begin(o);
	ab_out_kstr(o, "type", "price");
	ab_out_kstr(o, "sku", sku);
	ab_out_kstr(o, "currency", cur);
	ab_out_kmoney(o, "old", old, exp);
	ab_out_kmoney(o, "new", new, exp);
	ab_out_ktime(o, "ts", ts);
	ab_out_kstr(o, "source", source);
	ab_out_kstr(o, "reason", reason);
	ab_out_kstr(o, "who", who);
	ab_out_end(o);
}

/* One price_rec: 0 applied or skipped (*changed says which), or an exit code. */
static int
apply_one(struct price *v, struct ab_jrec *rec, const char *file, long lineno, const char *who,
	  struct ab_out *o, int *changed)
{
	char sku[256], cur[8] = "", source[32] = "manual", reason[1024] = "", detail[1600], mb[3][40];
	struct product p;
	int64_t recd, current, fl;
	int code, rc;
	sqlite3_stmt *st;

	*changed = 0;
	if (pr_jstr(rec, "sku", sku, sizeof sku) != 1)
		return ab_err_at(AB_EDATA, file, lineno, "\"sku\" is missing");
	if ((code = pr_product_get(v, sku, &p)))
		return code;
	if (!p.found)
		return ab_err_at(AB_EDATA, file, lineno, "\"%s\" is not in products", sku);
	if (pr_jstr(rec, "currency", cur, sizeof cur) < 0 || (*cur && strcmp(cur, p.currency)))
		return ab_err_at(AB_EDATA, file, lineno, "\"%s\" is priced in %s, not \"%s\"", sku, p.currency, cur);
	int exp = ab_currency_exp(p.currency);
	if (ab_jmoney(rec, "recommended", exp, &recd) || ab_jmoney(rec, "current", exp, &current) ||
	    ab_jmoney(rec, "floor", exp, &fl))
		return ab_err_at(AB_EDATA, file, lineno, "recommended, current or floor is not an amount in %s", p.currency);
	if (recd == PR_NONE || recd == current)
		return 0; /* the recommendation is to leave the price alone */
	if (recd <= 0)
		return ab_err_at(AB_EDATA, file, lineno, "\"recommended\" must be more than 0");
	if (fl != PR_NONE && recd < fl)
		return ab_err_at(AB_EDATA, file, lineno, "%s: %s is below the floor %s", sku,
				 (ab_money_format(recd, exp, mb[0]), mb[0]), (ab_money_format(fl, exp, mb[1]), mb[1]));
	if (ab_jrec_get(rec, "current") && current != p.price)
		return ab_err_at(AB_EDATA, file, lineno, "%s: the price changed since the recommendation (%s now, %s then)", sku,
				 p.price == PR_NONE ? "none" : (ab_money_format(p.price, exp, mb[0]), mb[0]),
				 current == PR_NONE ? "none" : (ab_money_format(current, exp, mb[1]), mb[1]));
	if (pr_jstr(rec, "source", source, sizeof source) < 0 || pr_jstr(rec, "reason", reason, sizeof reason) < 0)
		return ab_err_at(AB_EDATA, file, lineno, "\"source\" or \"reason\" is not a string");
	if (!*reason)
		snprintf(reason, sizeof reason, "no reason given");

	if ((code = ab_db_prepare(v->db, "INSERT INTO prices(ts, sku, currency, old, new, source, reason, who, run) "
				  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &st)))
		return code;
	sqlite3_bind_int64(st, 1, v->now);
	sqlite3_bind_text(st, 2, sku, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p.currency, -1, SQLITE_STATIC);
	if (p.price != PR_NONE)
		sqlite3_bind_int64(st, 4, p.price);
	sqlite3_bind_int64(st, 5, recd);
	sqlite3_bind_text(st, 6, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, who, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, v->run.id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ab_db_fail(v->db, rc, "prices");
	/* the shop sells at products.price: the change takes effect there */
	if ((code = ab_db_prepare(v->db, "UPDATE products SET price = ?2, updated = ?3 WHERE sku = ?1", &st)))
		return code;
	sqlite3_bind_text(st, 1, sku, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, recd);
	sqlite3_bind_int64(st, 3, v->now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ab_db_fail(v->db, rc, "products");

	/* the audit detail as JSON, built with the record writer */
	struct ab_out j;
	ab_out_init(&j, -1, "memory");
	ab_out_begin(&j);
	ab_out_kstr(&j, "currency", p.currency);
	ab_out_kmoney(&j, "old", p.price, exp);
	ab_out_kmoney(&j, "new", recd, exp);
	ab_out_kstr(&j, "source", source);
	ab_out_kstr(&j, "reason", reason);
	ab_out_end(&j);
	size_t dl = j.len - 1 < sizeof detail - 1 ? j.len - 1 : sizeof detail - 1;
	memcpy(detail, j.buf, dl);
	detail[dl] = '\0';
	free(j.buf);
	if ((code = ab_auth_audit(v->db, who, "price.apply", sku, detail)))
		return code;
	if (!v->quiet)
		out_price(o, sku, p.currency, exp, p.price, recd, v->now, source, reason, who);
	*changed = 1;
	return 0;
}

int
pr_apply(struct price *v)
{
	struct input in;
	struct ab_jrec rec;
	char *who = NULL;
	int code, changed;

	if ((code = ab_auth_require(v->db, AB_PERM_PRICE_APPLY, &who)))
		return code;
	if ((code = pr_input_read(v, &in)) || (code = ab_db_begin(v->db))) {
		pr_input_free(&in);
		free(who);
		return code;
	}
	ab_jrec_init(&rec);
	for (size_t i = 0; i < in.n && !code; i++) {
		size_t len = strlen(in.line[i]);
		if (len == 0)
			continue;
		if (ab_jrec_parse(&rec, in.line[i], len)) {
			code = ab_err_at(AB_EDATA, in.file[i], in.lineno[i], "%s", rec.err);
			break;
		}
		if (ab_jrec_str_eq(&rec, "type", "price_rec")) {
			v->run.records_in++;
			code = apply_one(v, &rec, in.file[i], in.lineno[i], who, &v->out, &changed);
		} else if (!v->quiet) {
			ab_out_jrec(&v->out, &rec);
		}
	}
	ab_jrec_free(&rec);
	pr_input_free(&in);
	if (code)
		ab_db_rollback(v->db);
	else
		code = ab_db_commit(v->db);
	free(who);
	return code;
}

int
pr_history(struct price *v)
{
	sqlite3_stmt *st;
	int rc, code;

	if ((code = ab_db_prepare(v->db, "SELECT sku, currency, old, new, ts, source, reason, who FROM prices "
				  "WHERE ?1 IS NULL OR sku = ?1 ORDER BY sku, id", &st)))
		return code;
	ab_db_bind_text(st, 1, v->nargs ? v->args[0] : NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char cur[4];
		snprintf(cur, sizeof cur, "%s", (const char *)sqlite3_column_text(st, 1));
		int exp = ab_currency_exp(cur);
		out_price(&v->out, (const char *)sqlite3_column_text(st, 0), cur, exp,
			  sqlite3_column_type(st, 2) == SQLITE_NULL ? PR_NONE : sqlite3_column_int64(st, 2),
			  sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
			  (const char *)sqlite3_column_text(st, 5), (const char *)sqlite3_column_text(st, 6),
			  (const char *)sqlite3_column_text(st, 7));
	}
	if (rc != SQLITE_DONE)
		code = ab_db_fail(v->db, rc, "prices");
	sqlite3_finalize(st);
	return code;
}
