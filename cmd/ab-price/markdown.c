/* markdown.c: price paths that clear unsold stock by a date (Gallego & van Ryzin 1994). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "err.h"
#include "price.h"
#include "timefmt.h"

#define LADDER 21       /* price levels from the current price down to the floor */
#define MAX_STOCK 100000

struct estimate {
	double e, se, lo, hi;
	const char *source;     /* option, sku, category */
};

/* The stored elasticity of a SKU, else of its category. 1 found, 0 not, or -code. */
static int
stored_elasticity(struct price *v, const char *sku, const char *category, struct estimate *est)
{
	static const char sql[] =
		"SELECT elasticity, se, ci_lo, ci_hi, scope FROM elasticities "
		"WHERE ((scope = 'sku' AND name = ?1) OR (scope = 'category' AND name = ?2)) "
		"AND elasticity IS NOT NULL ORDER BY scope = 'sku' DESC LIMIT 1";
	sqlite3_stmt *st;
	int rc, found = 0;

	if ((rc = ab_db_prepare(v->db, sql, &st)))
		return -rc;
	sqlite3_bind_text(st, 1, sku, -1, SQLITE_STATIC);
	ab_db_bind_text(st, 2, category);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		est->e = sqlite3_column_double(st, 0);
		est->se = sqlite3_column_double(st, 1);
		est->lo = sqlite3_column_double(st, 2);
		est->hi = sqlite3_column_double(st, 3);
		est->source = strcmp((const char *)sqlite3_column_text(st, 4), "sku") == 0 ? "sku" : "category";
		found = 1;
	} else if (rc != SQLITE_DONE) {
		found = -ab_db_fail(v->db, rc, "elasticities");
	}
	sqlite3_finalize(st);
	return found;
}

struct plan {
	int nsteps;
	int64_t price[366];     /* minor units per step */
	double units[366];      /* expected units sold per step */
	double sold, leftover, revenue; /* revenue includes salvage */
};

/* Deterministic demand, one price: max(p_u, p_clear), no higher than now, no lower than the floor. */
static void
plan_constant(double lam0, double p0, double e, double x0, double days, double s,
	      double floor_, int exp, struct plan *pl, const char **why)
{
	double pu = e < -1 ? s * e / (1 + e) : INFINITY;
	double pc = p0 * pow(x0 / (lam0 * days), 1 / e);
	double p = pu > pc ? pu : pc;
	int64_t minor;

	if (p >= p0) {
		minor = pr_round_minor(p0, exp, PR_NEAREST);
		*why = pu > p0 ? "the revenue-maximising price is above the current one: no markdown"
			       : "the current price sells the stock by the date: no markdown";
	} else {
		/* rounding down keeps the clearing price selling everything */
		minor = pr_round_minor(p, exp, pu > pc ? PR_NEAREST : PR_DOWN);
		*why = pu > pc ? "revenue-maximising price with salvage s*e/(1+e) sells all units by the date"
			       : "clearing price (x0/(A*T))^(1/e) sells exactly the units on hand by the date";
	}
	int64_t fmin = pr_round_minor(floor_, exp, PR_UP);
	if (minor < fmin) {
		minor = fmin;
		*why = "the floor binds: units will be left at the date";
	}
	double pr = pr_major(minor, exp);
	double q = lam0 * pow(pr / p0, e) * days;
	pl->nsteps = 1;
	pl->price[0] = minor;
	pl->units[0] = pl->sold = q < x0 ? q : x0;
	pl->leftover = x0 - pl->sold;
	pl->revenue = pr * pl->sold + s * pl->leftover;
}

/* Non-increasing price ladder over nsteps equal periods: V_t(x, j) = max over
 * prices k at or below level j of E[p_k m + V_{t+1}(x - m, k)], m = min(D, x),
 * V_T(x) = s x; D is Poisson or (fixed) the floor of its mean. */
static void
plan_ladder(double lam0, double p0, double e, int x0, double days, double s, const int64_t *lad,
	    int K, int nsteps, int fixed, int exp, struct plan *pl)
{
	size_t X = (size_t)x0 + 1;
	double *V = ab_malloc((size_t)(nsteps + 1) * X * (size_t)K * sizeof *V);
	int *pol = ab_malloc((size_t)nsteps * X * (size_t)K * sizeof *pol);
	double *Q = ab_malloc(X * (size_t)K * sizeof *Q);
	double **pmf = ab_calloc((size_t)K, sizeof *pmf), *tail = ab_malloc(X * sizeof *tail);
	int *M = ab_calloc((size_t)K, sizeof *M);
	double len = days / nsteps;
#define VV(t, x, j) V[((size_t)(t) * X + (size_t)(x)) * (size_t)K + (size_t)(j)]

	for (int k = 0; k < K; k++) {
		double mu = lam0 * pow(pr_major(lad[k], exp) / p0, e) * len;
		pmf[k] = ab_calloc(X, sizeof **pmf);
		if (fixed) {
			double d = floor(mu + 1e-9);
			int m = d > x0 ? x0 : (int)d;
			pmf[k][m] = 1;
			M[k] = m;
		} else {
			double cum = 0;
			int m = 0;
			for (; m < x0 && cum < 1 - 1e-12; m++) {
				pmf[k][m] = gsl_ran_poisson_pdf((unsigned)m, mu);
				cum += pmf[k][m];
			}
			M[k] = m; /* pmf[m..] lumped into the tail below */
		}
	}
	for (size_t x = 0; x < X; x++)
		for (int j = 0; j < K; j++)
			VV(nsteps, x, j) = s * (double)x;
	for (int t = nsteps - 1; t >= 0; t--) {
		for (int k = 0; k < K; k++) {
			double p = pr_major(lad[k], exp), c = 0;
			for (size_t y = 0; y < X; y++) { /* tail[y] = P(D >= y) */
				tail[y] = 1 - c;
				c += pmf[k][y];
			}
			for (size_t x = 0; x < X; x++) {
				size_t m = x < (size_t)M[k] ? x : (size_t)M[k], q0;
				double q = 0;
				if (fixed) {
					q = p * (double)m + VV(t + 1, x - m, k);
				} else {
					for (size_t d = 0; d < m; d++)
						q += pmf[k][d] * (p * (double)d + VV(t + 1, x - d, k));
					/* D >= m sells m (for m < x the mass left is below 1e-12) */
					q += tail[m] * (p * (double)m + VV(t + 1, x - m, k));
				}
				q0 = x * (size_t)K + (size_t)k;
				Q[q0] = q;
			}
		}
		for (size_t x = 0; x < X; x++) {
			double best = -INFINITY;
			int arg = K - 1;
			for (int j = K - 1; j >= 0; j--) {
				double q = Q[x * (size_t)K + (size_t)j];
				if (q >= best - 1e-9) { /* ties go to the dearer price */
					best = q;
					arg = j;
				}
				VV(t, x, j) = best;
				pol[((size_t)t * X + x) * (size_t)K + (size_t)j] = arg;
			}
		}
	}
	/* the path along expected sales */
	double x = x0, sold = 0;
	int j = 0;
	pl->nsteps = nsteps;
	for (int t = 0; t < nsteps; t++) {
		int xi = (int)floor(x + 0.5);
		int k = pol[((size_t)t * X + (size_t)xi) * (size_t)K + (size_t)j];
		double mu = lam0 * pow(pr_major(lad[k], exp) / p0, e) * len, m;
		if (fixed) {
			m = floor(mu + 1e-9);
			m = m < x ? m : x;
		} else {
			/* E[min(D, x)] */
			m = 0;
			double c = 0;
			for (int d = 0; d < xi; d++) {
				double pd = gsl_ran_poisson_pdf((unsigned)d, mu);
				m += d * pd;
				c += pd;
			}
			m += xi * (1 - c);
		}
		pl->price[t] = lad[k];
		pl->units[t] = m;
		sold += m;
		x -= m;
		j = k;
	}
	pl->sold = sold;
	pl->leftover = x0 - sold;
	pl->revenue = VV(0, x0, 0);
	for (int k = 0; k < K; k++)
		free(pmf[k]);
	free(pmf);
	free(M);
	free(tail);
	free(Q);
	free(pol);
	free(V);
#undef VV
}

static int
markdown_one(struct price *v, struct ab_jrec *rec, const char *file, long lineno, struct ab_out *o)
{
	char sku[256], cur[8] = "USD", cat[256] = "";
	struct product p;
	struct estimate est = {NAN, NAN, NAN, NAN, NULL};
	int64_t current, cost, x0i = 0, fl, salv, sold = 0, age = 0;
	int code, have, fixed = strcmp(v->demand, "fixed") == 0;
	double rate = NAN;
	char reason[400];

	if (pr_jstr(rec, "sku", sku, sizeof sku) != 1)
		return ab_err_at(AB_EDATA, file, lineno, "\"sku\" is missing");
	if ((code = pr_product_get(v, sku, &p)))
		return code;
	if (pr_jstr(rec, "currency", cur, sizeof cur) < 0 || !ab_currency_valid(cur, strlen(cur)))
		return ab_err_at(AB_EDATA, file, lineno, "\"currency\" is not an ISO 4217 code");
	if (p.found)
		memcpy(cur, p.currency, sizeof p.currency);
	int exp = ab_currency_exp(cur);
	double n;
	if ((have = pr_jnum(rec, "available", &n)) == 0)
		have = pr_jnum(rec, "on_hand", &n);
	/* counts past 2^53 are not whole numbers a double can hold, nor stock */
	if (have != 1 || n != floor(n) || fabs(n) > 9007199254740992.0)
		return ab_err_at(AB_EDATA, file, lineno, "\"available\" is not a whole number");
	x0i = (int64_t)n;
	if ((have = pr_jnum(rec, "units_sold", &n)) == 1 && n >= 0 && n <= 9007199254740992.0)
		sold = (int64_t)n;
	else if (have)
		return ab_err_at(AB_EDATA, file, lineno, "\"units_sold\" is not a number >= 0");
	if ((have = pr_jnum(rec, "age_days", &n)) == 1 && n >= 0 && n <= 9007199254740992.0)
		age = (int64_t)n;
	else if (have)
		return ab_err_at(AB_EDATA, file, lineno, "\"age_days\" is not a number >= 0");
	if (pr_jnum(rec, "rate", &rate) < 0)
		return ab_err_at(AB_EDATA, file, lineno, "\"rate\" is not a number");
	if (ab_jmoney(rec, "price", exp, &current) || ab_jmoney(rec, "cost", exp, &cost) ||
	    ab_jmoney(rec, "floor", exp, &fl))
		return ab_err_at(AB_EDATA, file, lineno, "price, cost or floor is not an amount in %s", cur);
	if (p.found && p.price != PR_NONE)
		current = p.price;
	if (p.found && p.cost != PR_NONE)
		cost = p.cost;
	if (pr_jstr(rec, "category", cat, sizeof cat) != 1 && p.found)
		snprintf(cat, sizeof cat, "%s", p.category);
	int64_t ofl;
	if ((code = pr_money_opt("floor", v->floor, exp, &ofl)) || (code = pr_money_opt("salvage", v->salvage, exp, &salv)))
		return code;
	if (fl == PR_NONE)
		fl = ofl != PR_NONE ? ofl : cost;
	if (salv == PR_NONE)
		salv = 0;
	if (v->elasticity) {
		est.e = v->elasticity;
		est.source = "option";
	} else {
		int f = stored_elasticity(v, sku, *cat ? cat : NULL, &est);
		if (f < 0)
			return -f;
	}
	if (!isfinite(rate))
		rate = ((double)sold + 0.5) / (double)(age > 1 ? age : 1);
	double days = (double)(v->clear_by - v->now) / PR_DAY_MS;

	struct plan pl;
	memset(&pl, 0, sizeof pl);
	const char *method = v->steps > 1 ? "dp" : "deterministic", *why = NULL;
	int64_t rec_price = current;
	if (current == PR_NONE || current <= 0) {
		snprintf(reason, sizeof reason, "no current price: left alone");
	} else if (x0i <= 0) {
		snprintf(reason, sizeof reason, "nothing available to sell: left alone");
	} else if (!est.source) {
		snprintf(reason, sizeof reason, "no elasticity stored for the SKU or its category (run ab-price elasticity, or give --elasticity): left alone");
	} else if (est.e >= 0) {
		snprintf(reason, sizeof reason, "elasticity %.3g is not negative: left alone", est.e);
	} else if (fl != PR_NONE && fl > current) {
		snprintf(reason, sizeof reason, "the floor is above the current price: left alone");
	} else if (x0i > MAX_STOCK && strcmp(method, "dp") == 0) {
		snprintf(reason, sizeof reason, "more than %d units: plan with --steps 1 --demand fixed", MAX_STOCK);
	} else {
		double p0 = pr_major(current, exp), s = pr_major(salv, exp);
		double flo = fl == PR_NONE ? 0 : pr_major(fl, exp);
		if (strcmp(method, "deterministic") == 0) {
			plan_constant(rate, p0, est.e, (double)x0i, days, s, flo, exp, &pl, &why);
		} else {
			int64_t lad[LADDER];
			int K = 0;
			int64_t lo = fl == PR_NONE ? pr_round_minor(p0 * 0.1, exp, PR_UP) : fl;
			for (int k = 0; k < LADDER; k++) {
				int64_t q = current - (int64_t)llround((double)(current - lo) * k / (LADDER - 1));
				if (!K || q < lad[K - 1])
					lad[K++] = q;
			}
			plan_ladder(rate, p0, est.e, (int)x0i, days, s, lad, K, (int)v->steps, fixed, exp, &pl);
			why = "dynamic programme over a non-increasing ladder of prices from the current one to the floor";
		}
		rec_price = pl.price[0];
		snprintf(reason, sizeof reason, "%s (elasticity %.3g from %s, %.3g units/day at the current price)",
			 why, est.e, est.source, rate);
	}

	ab_out_begin(o);
	ab_out_kstr(o, "type", "price_rec");
	ab_out_kstr(o, "sku", sku);
	ab_out_kstr(o, "currency", cur);
	ab_out_kmoney(o, "current", current, exp);
	ab_out_kmoney(o, "recommended", rec_price, exp);
	if (current != PR_NONE && current > 0 && rec_price != PR_NONE)
		ab_out_knum(o, "change", round((double)(rec_price - current) / (double)current * 1e4) / 1e4);
	ab_out_kmoney(o, "floor", fl, exp);
	ab_out_kmoney(o, "cost", cost, exp);
	ab_out_kint(o, "available", x0i);
	ab_out_ktime(o, "clear_by", v->clear_by);
	ab_out_knum(o, "days", round(days * 1e4) / 1e4);
	ab_out_knum(o, "elasticity", est.e);
	ab_out_knum(o, "se", est.se);
	if (isfinite(est.lo)) {
		ab_out_key(o, "ci");
		ab_out_raw(o, "[", 1);
		ab_out_num(o, est.lo);
		ab_out_raw(o, ",", 1);
		ab_out_num(o, est.hi);
		ab_out_raw(o, "]", 1);
	} else {
		ab_out_knull(o, "ci");
	}
	if (est.source)
		ab_out_kstr(o, "elasticity_source", est.source);
	ab_out_knum(o, "rate", rate);
	if (pl.nsteps) {
		ab_out_key(o, "path");
		ab_out_raw(o, "[", 1);
		for (int t = 0; t < pl.nsteps; t++) {
			int64_t from = v->now + (int64_t)llround((double)(v->clear_by - v->now) * t / pl.nsteps);
			char tb[AB_TIME_MAX], mb[40];
			size_t tl = ab_time_format(from, tb);
			if (t)
				ab_out_raw(o, ",", 1);
			ab_out_raw(o, "{\"from\":\"", 9);
			ab_out_raw(o, tb, tl);
			ab_out_raw(o, "\",\"price\":", 10);
			ab_out_raw(o, mb, ab_money_format(pl.price[t], exp, mb));
			ab_out_raw(o, ",\"expected_units\":", 18);
			ab_out_num(o, round(pl.units[t] * 1e4) / 1e4);
			ab_out_raw(o, "}", 1);
		}
		ab_out_raw(o, "]", 1);
		ab_out_knum(o, "expected_units", round(pl.sold * 1e4) / 1e4);
		ab_out_knum(o, "expected_leftover", round(pl.leftover * 1e4) / 1e4);
		ab_out_kmoney(o, "expected_revenue", pr_round_minor(pl.revenue, exp, PR_NEAREST), exp);
		ab_out_kmoney(o, "salvage", salv, exp);
		ab_out_kstr(o, "demand", fixed || v->steps == 1 ? "fixed" : "poisson");
	}
	ab_out_kstr(o, "method", method);
	ab_out_kstr(o, "source", "markdown");
	ab_out_kstr(o, "reason", reason);
	ab_out_end(o);
	return pr_rec_emit(v, o, sku, cur, current, rec_price, est.e, est.se, "markdown", reason);
}

int
pr_markdown(struct price *v)
{
	struct input in;
	struct ab_jrec rec;
	struct ab_out tmp;
	int code;

	if (v->clear_by == PR_NONE)
		return ab_err(AB_EUSAGE, "markdown needs --clear-by DATE");
	if (v->clear_by <= v->now)
		return ab_err(AB_EUSAGE, "--clear-by: the date has passed");
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
		if (!ab_jrec_str_eq(&rec, "type", "unsold")) {
			if (!v->quiet)
				ab_out_jrec(&v->out, &rec);
			continue;
		}
		v->run.records_in++;
		code = markdown_one(v, &rec, in.file[i], in.lineno[i], &tmp);
	}
	free(tmp.buf);
	ab_jrec_free(&rec);
	pr_input_free(&in);
	int scode = pr_recs_store(v);
	return code ? code : scode;
}
