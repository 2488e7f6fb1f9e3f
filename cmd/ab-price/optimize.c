/* optimize.c: profit- or revenue-maximising prices under constant elasticity, within bounds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "price.h"

int
pr_product_get(struct price *v, const char *sku, struct product *p)
{
	static const char sql[] = "SELECT cost, price, currency, category FROM products WHERE sku = ?";
	sqlite3_stmt *st;
	int rc, code;

	memset(p, 0, sizeof *p);
	p->cost = p->price = PR_NONE;
	if ((code = ab_db_prepare(v->db, sql, &st)))
		return code;
	sqlite3_bind_text(st, 1, sku, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		p->found = 1;
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			p->cost = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			p->price = sqlite3_column_int64(st, 1);
		snprintf(p->currency, sizeof p->currency, "%s", (const char *)sqlite3_column_text(st, 2));
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			snprintf(p->category, sizeof p->category, "%s", (const char *)sqlite3_column_text(st, 3));
	} else if (rc != SQLITE_DONE) {
		code = ab_db_fail(v->db, rc, "products");
	}
	sqlite3_finalize(st);
	return code;
}

int
pr_recs_store(struct price *v)
{
	static const char sql[] =
		"INSERT INTO price_recs(ts, sku, currency, current, recommended, elasticity, se, "
		"source, reason, record, run) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
	sqlite3_stmt *st = NULL;
	int rc, code = 0, own = !v->db->in_tx; /* joins the caller's transaction */

	if (v->npend && !(own && (code = ab_db_begin(v->db))) && !(code = ab_db_prepare(v->db, sql, &st))) {
		for (size_t i = 0; i < v->npend && !code; i++) {
			struct pending *p = &v->pend[i];
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			sqlite3_bind_int64(st, 1, v->now);
			sqlite3_bind_text(st, 2, p->sku, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, p->cur, -1, SQLITE_STATIC);
			if (p->current != PR_NONE)
				sqlite3_bind_int64(st, 4, p->current);
			if (p->recommended != PR_NONE)
				sqlite3_bind_int64(st, 5, p->recommended);
			if (isfinite(p->e))
				sqlite3_bind_double(st, 6, p->e);
			if (isfinite(p->se))
				sqlite3_bind_double(st, 7, p->se);
			sqlite3_bind_text(st, 8, p->source, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 9, p->reason, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 10, p->text, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 11, v->run.id);
			if ((rc = sqlite3_step(st)) != SQLITE_DONE)
				code = ab_db_fail(v->db, rc, "price_recs");
		}
		sqlite3_finalize(st);
		if (code && own)
			ab_db_rollback(v->db);
		else if (own)
			code = ab_db_commit(v->db);
	}
	for (size_t i = 0; i < v->npend; i++) {
		free(v->pend[i].sku);
		free(v->pend[i].reason);
		free(v->pend[i].text);
	}
	free(v->pend);
	v->pend = NULL;
	v->npend = 0;
	return code;
}

int
pr_rec_emit(struct price *v, struct ab_out *tmp, const char *sku, const char *cur, int64_t current,
	    int64_t recommended, double e, double se, const char *source, const char *reason)
{
	struct pending *p;
	size_t len = tmp->len && tmp->buf[tmp->len - 1] == '\n' ? tmp->len - 1 : tmp->len;

	if (!v->quiet) {
		ab_out_raw(&v->out, tmp->buf, tmp->len);
		v->out.records++;
	}
	v->pend = ab_realloc(v->pend, (v->npend + 1) * sizeof *v->pend);
	p = &v->pend[v->npend++];
	p->sku = ab_strdup(sku);
	snprintf(p->cur, sizeof p->cur, "%s", cur);
	p->current = current;
	p->recommended = recommended;
	p->e = e;
	p->se = se;
	p->source = source;
	p->reason = ab_strdup(reason);
	p->text = ab_strndup(tmp->buf, len);
	tmp->len = 0;
	return 0;
}

int
pr_input_read(struct price *v, struct input *in)
{
	struct ab_lines r;
	const char *line;
	size_t len, cap = 0;
	int rc;

	memset(in, 0, sizeof *in);
	ab_lines_init(&r, v->args, v->nargs);
	while ((rc = ab_lines_next(&r, &line, &len)) == 1) {
		if (in->n == cap) {
			cap = cap ? cap * 2 : 64;
			in->line = ab_realloc(in->line, cap * sizeof *in->line);
			in->lineno = ab_realloc(in->lineno, cap * sizeof *in->lineno);
			in->file = ab_realloc(in->file, cap * sizeof *in->file);
		}
		in->line[in->n] = ab_strndup(line, len);
		in->lineno[in->n] = r.lineno;
		/* file names live in argv, or are "stdin" */
		in->file[in->n++] = r.name;
	}
	int code = rc < 0 ? r.status : 0;
	ab_lines_free(&r);
	return code;
}

void
pr_input_free(struct input *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->line[i]);
	free(in->line);
	free(in->lineno);
	free(in->file);
}

int
pr_money_opt(const char *opt, const char *text, int exp, int64_t *out)
{
	*out = PR_NONE;
	if (!text)
		return 0;
	if (ab_money_parse(text, strlen(text), exp, out) || *out < 0)
		return ab_err(AB_EUSAGE, "--%s: \"%s\" is not an amount of money", opt, text);
	return 0;
}

/* Profit (or revenue, c = 0) a week at price p under ln q = a + e ln p, with
 * the lognormal correction exp(sigma^2 / 2) for the mean of q. */
static double
units_at(double a, double e, double sigma, double p)
{
	return exp(a + e * log(p) + sigma * sigma / 2);
}

struct bound {
	int64_t v;
	const char *name;
};

static void
lower(struct bound *b, int64_t v, const char *name)
{
	if (v != PR_NONE && (b->v == PR_NONE || v > b->v)) {
		b->v = v;
		b->name = name;
	}
}

static void
upper(struct bound *b, int64_t v, const char *name)
{
	if (v != PR_NONE && (b->v == PR_NONE || v < b->v)) {
		b->v = v;
		b->name = name;
	}
}

static void
out_pair(struct ab_out *o, const char *key, double a, double b)
{
	ab_out_key(o, key);
	ab_out_raw(o, "[", 1);
	ab_out_num(o, a);
	ab_out_raw(o, ",", 1);
	ab_out_num(o, b);
	ab_out_raw(o, "]", 1);
}

/* One elasticity record to one price_rec. */
static int
optimize_one(struct price *v, struct ab_jrec *rec, const char *file, long lineno, struct ab_out *o)
{
	char sku[256], cur[8] = "", method[32] = "", reason[400];
	struct product p;
	double e = NAN, se = NAN, a = NAN, sigma = 0, lo = NAN, hi = NAN;
	int64_t cost, current, fl, ce;
	int code, profit = strcmp(v->objective, "profit") == 0;
	const struct ab_jfield *ci;

	if (pr_jstr(rec, "sku", sku, sizeof sku) != 1)
		return 0; /* a category's estimate: nothing to price */
	if ((code = pr_product_get(v, sku, &p)))
		return code;
	if (pr_jstr(rec, "currency", cur, sizeof cur) < 0)
		return ab_err_at(AB_EDATA, file, lineno, "\"currency\" is not a string");
	if (p.found)
		memcpy(cur, p.currency, sizeof p.currency);
	if (!*cur)
		snprintf(cur, sizeof cur, "USD");
	int exp = ab_currency_exp(cur);
	if (ab_jmoney(rec, "cost", exp, &cost) || ab_jmoney(rec, "current", exp, &current) ||
	    ab_jmoney(rec, "floor", exp, &fl) || ab_jmoney(rec, "ceiling", exp, &ce))
		return ab_err_at(AB_EDATA, file, lineno, "cost, current, floor or ceiling is not an amount in %s", cur);
	if (cost == PR_NONE)
		cost = p.cost;
	if (current == PR_NONE)
		current = p.price;
	if (pr_jnum(rec, "elasticity", &e) < 0 || pr_jnum(rec, "se", &se) < 0 ||
	    pr_jnum(rec, "intercept", &a) < 0 || pr_jnum(rec, "sigma", &sigma) < 0)
		return ab_err_at(AB_EDATA, file, lineno, "elasticity, se, intercept or sigma is not a number");
	pr_jstr(rec, "method", method, sizeof method);
	if ((ci = ab_jrec_get(rec, "ci")) && ci->type == AB_JARRAY &&
	    sscanf(ci->val, "[%lf,%lf]", &lo, &hi) != 2)
		return ab_err_at(AB_EDATA, file, lineno, "\"ci\" is not [low,high]");
	if (isnan(lo) && isfinite(se)) {
		lo = e - 1.96 * se;
		hi = e + 1.96 * se;
	}

	/* the feasible interval, in minor units, with the name of what sets each end */
	struct bound L = {PR_NONE, NULL}, U = {PR_NONE, NULL};
	int64_t ofl, oce;
	if ((code = pr_money_opt("floor", v->floor, exp, &ofl)) || (code = pr_money_opt("ceiling", v->ceiling, exp, &oce)))
		return code;
	lower(&L, fl != PR_NONE ? fl : ofl, "floor");
	upper(&U, ce != PR_NONE ? ce : oce, "ceiling");
	if (v->min_margin >= 0 && cost != PR_NONE)
		lower(&L, pr_round_minor(pr_major(cost, exp) / (1 - v->min_margin), exp, PR_UP), "min-margin");
	if (v->max_change >= 0 && current != PR_NONE) {
		lower(&L, pr_round_minor(pr_major(current, exp) * (1 - v->max_change / 100), exp, PR_UP), "max-change");
		upper(&U, pr_round_minor(pr_major(current, exp) * (1 + v->max_change / 100), exp, PR_DOWN), "max-change");
	}

	int64_t rec_price = current;
	double opt = NAN, c = profit && cost != PR_NONE ? pr_major(cost, exp) : 0;
	const char *bound = NULL;
	char cibuf[96];
	snprintf(cibuf, sizeof cibuf, "95%% interval [%.3g, %.3g]", lo, hi);
	if (!p.found && current == PR_NONE) {
		snprintf(reason, sizeof reason, "not in products and no current price: left alone");
	} else if (current == PR_NONE) {
		snprintf(reason, sizeof reason, "no current price: left alone");
	} else if (!isfinite(e)) {
		char why[300] = "";
		pr_jstr(rec, "reason", why, sizeof why);
		snprintf(reason, sizeof reason, "no elasticity (%s): left alone", *why ? why : "none given");
	} else if (profit && cost == PR_NONE) {
		snprintf(reason, sizeof reason, "cost unknown, profit cannot be maximised: left alone");
	} else if (e >= -1) {
		snprintf(reason, sizeof reason, "elasticity %.3g >= -1: demand is inelastic, %s rises with price without limit; left alone",
			 e, profit ? "profit" : "revenue");
	} else if (isfinite(hi) && hi >= -1) {
		snprintf(reason, sizeof reason, "too uncertain: elasticity %.3g, %s reaches -1; left alone", e, cibuf);
	} else if (L.v != PR_NONE && U.v != PR_NONE && L.v > U.v) {
		snprintf(reason, sizeof reason, "constraints conflict: %s needs at least %.*f, %s at most %.*f; left alone",
			 L.name, exp, pr_major(L.v, exp), U.name, exp, pr_major(U.v, exp));
	} else if (!profit) {
		/* revenue A p^(1+e) falls as p rises when e < -1: the lowest allowed price */
		if (L.v == PR_NONE) {
			snprintf(reason, sizeof reason, "revenue rises without limit as the price falls (elasticity %.3g < -1): give --floor, --min-margin or --max-change; left alone", e);
		} else {
			rec_price = L.v;
			bound = L.name;
			snprintf(reason, sizeof reason, "revenue falls as the price rises (elasticity %.3g, %s): lowest allowed price, set by %s",
				 e, cibuf, L.name);
		}
	} else {
		/* constant elasticity: p* = c e / (1 + e); profit is unimodal in p,
		 * so the best price inside [L, U] is p* moved to the nearer end */
		opt = c * e / (1 + e);
		rec_price = pr_round_minor(opt, exp, PR_NEAREST);
		if (L.v != PR_NONE && rec_price < L.v) {
			rec_price = L.v;
			bound = L.name;
		} else if (U.v != PR_NONE && rec_price > U.v) {
			rec_price = U.v;
			bound = U.name;
		}
		if (bound)
			snprintf(reason, sizeof reason, "profit-maximising price %.4g (elasticity %.3g, %s, cost %.*f) is outside the %s bound: price at the bound",
				 opt, e, cibuf, exp, pr_major(cost, exp), bound);
		else
			snprintf(reason, sizeof reason, "profit-maximising price c*e/(1+e) = %.4g (elasticity %.3g, %s, cost %.*f), rounded to the %s",
				 opt, e, cibuf, exp, pr_major(cost, exp), exp ? "cent" : "unit");
	}

	ab_out_begin(o);
	ab_out_kstr(o, "type", "price_rec");
	ab_out_kstr(o, "sku", sku);
	ab_out_kstr(o, "currency", cur);
	ab_out_kmoney(o, "current", current, exp);
	ab_out_kmoney(o, "recommended", rec_price, exp);
	if (current != PR_NONE && rec_price != PR_NONE && current > 0)
		ab_out_knum(o, "change", round((double)(rec_price - current) / (double)current * 1e4) / 1e4);
	ab_out_knum(o, "optimum", opt);
	if (profit && isfinite(hi) && hi < -1 && cost != PR_NONE)
		out_pair(o, "optimum_ci", c * lo / (1 + lo), c * hi / (1 + hi));
	else
		ab_out_knull(o, "optimum_ci");
	ab_out_kmoney(o, "cost", cost, exp);
	ab_out_knum(o, "elasticity", e);
	ab_out_knum(o, "se", se);
	if (isfinite(lo))
		out_pair(o, "ci", lo, hi);
	else
		ab_out_knull(o, "ci");
	if (isfinite(a) && isfinite(e) && rec_price != PR_NONE && rec_price > 0) {
		double pr = pr_major(rec_price, exp), pc = pr_major(current, exp);
		double q = units_at(a, e, sigma, pr), q0 = units_at(a, e, sigma, pc);
		double k = profit ? pr_major(cost, exp) : 0;
		ab_out_knum(o, "expected_units", round(q * 1e4) / 1e4);
		ab_out_kmoney(o, profit ? "expected_profit" : "expected_revenue", pr_round_minor((pr - k) * q, exp, PR_NEAREST), exp);
		ab_out_knum(o, "current_units", round(q0 * 1e4) / 1e4);
		ab_out_kmoney(o, profit ? "current_profit" : "current_revenue", pr_round_minor((pc - k) * q0, exp, PR_NEAREST), exp);
		ab_out_kstr(o, "per", "week");
	}
	ab_out_kstr(o, "objective", v->objective);
	if (bound)
		ab_out_kstr(o, "bound", bound);
	else
		ab_out_knull(o, "bound");
	ab_out_kmoney(o, "floor", L.v, exp);
	ab_out_kmoney(o, "ceiling", U.v, exp);
	if (*method)
		ab_out_kstr(o, "method", method);
	ab_out_kstr(o, "source", "optimize");
	ab_out_kstr(o, "reason", reason);
	ab_out_end(o);
	return pr_rec_emit(v, o, sku, cur, current, rec_price, e, se, "optimize", reason);
}

int
pr_optimize(struct price *v)
{
	struct input in;
	struct ab_jrec rec;
	struct ab_out tmp;
	int code;

	if ((code = pr_input_read(v, &in))) {
		pr_input_free(&in);
		return code;
	}
	ab_jrec_init(&rec);
	ab_out_init(&tmp, -1, "memory");
	for (size_t i = 0; i < in.n && !code && !ab_out_failed(&v->out); i++) {
		size_t len = strlen(in.line[i]);
		if (len == 0)
			continue;
		if (ab_jrec_parse(&rec, in.line[i], len)) {
			code = ab_err_at(AB_EDATA, in.file[i], in.lineno[i], "%s", rec.err);
			break;
		}
		if (!ab_jrec_str_eq(&rec, "type", "elasticity")) {
			if (!v->quiet)
				ab_out_jrec(&v->out, &rec); /* a filter passes other records on */
			continue;
		}
		v->run.records_in++;
		code = optimize_one(v, &rec, in.file[i], in.lineno[i], &tmp);
	}
	free(tmp.buf);
	ab_jrec_free(&rec);
	pr_input_free(&in);
	int scode = pr_recs_store(v);
	return code ? code : scode;
}
