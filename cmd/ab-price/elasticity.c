/* elasticity.c: log-log least squares of weekly units on price, per SKU or pooled by category. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>

#include "err.h"
#include "price.h"
#include "timefmt.h"

#define MAXCOL 16

struct obs {
	uint32_t sku;   /* index into skus */
	int64_t t;      /* start of the week */
	double lnq, lnp, promo;
};

struct sku {
	char *name, *category;
	char cur[4];
	uint32_t rank;  /* position in name order */
	size_t first, n; /* its observations, after sorting */
	size_t zero;    /* weeks with no sales, left out of the fit */
	double last_price; /* major units, the latest week's */
};

struct data {
	struct obs *o;
	size_t n, cap;
	struct sku *s;
	size_t ns, scap;
	uint32_t *hash;  /* open addressing: sku index + 1, 0 empty */
	size_t hcap;
};

struct fit {
	int ok;
	double e, se, lo, hi, r2, a, sigma;
	size_t n;
	int df, season, promo;
	char why[160];
};

double
pr_t95(double df)
{
	return gsl_cdf_tdist_Pinv(0.975, df);
}

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static uint32_t
sku_intern(struct data *d, const char *name, const char *cat, const char *cur)
{
	if (d->ns * 2 >= d->hcap) {
		size_t cap = d->hcap ? d->hcap * 2 : 1024;
		uint32_t *h = ab_calloc(cap, sizeof *h);
		for (size_t i = 0; i < d->ns; i++) {
			size_t j = hash_str(d->s[i].name) & (cap - 1);
			while (h[j])
				j = (j + 1) & (cap - 1);
			h[j] = (uint32_t)i + 1;
		}
		free(d->hash);
		d->hash = h;
		d->hcap = cap;
	}
	size_t j = hash_str(name) & (d->hcap - 1);
	while (d->hash[j]) {
		struct sku *s = &d->s[d->hash[j] - 1];
		if (strcmp(s->name, name) == 0) {
			if (!s->category && cat)
				s->category = ab_strdup(cat);
			return d->hash[j] - 1;
		}
		j = (j + 1) & (d->hcap - 1);
	}
	if (d->ns == d->scap) {
		d->scap = d->scap ? d->scap * 2 : 256;
		d->s = ab_realloc(d->s, d->scap * sizeof *d->s);
	}
	struct sku *s = &d->s[d->ns];
	memset(s, 0, sizeof *s);
	s->name = ab_strdup(name);
	s->category = cat && *cat ? ab_strdup(cat) : NULL;
	snprintf(s->cur, sizeof s->cur, "%s", cur ? cur : "USD");
	d->hash[j] = (uint32_t)d->ns + 1;
	return (uint32_t)d->ns++;
}

static void
obs_add(struct data *d, uint32_t sku, int64_t t, double units, double price, double promo)
{
	if (units <= 0) {
		d->s[sku].zero++;
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 4096;
		d->o = ab_realloc(d->o, d->cap * sizeof *d->o);
	}
	d->o[d->n++] = (struct obs){sku, t, log(units), log(price), promo};
}

static void
data_free(struct data *d)
{
	for (size_t i = 0; i < d->ns; i++) {
		free(d->s[i].name);
		free(d->s[i].category);
	}
	free(d->s);
	free(d->o);
	free(d->hash);
}

struct wrow {
	int64_t wk, qty, rev;
};

static int
wrow_cmp(const void *a, const void *b)
{
	const struct wrow *x = a, *y = b;
	return (x->wk > y->wk) - (x->wk < y->wk);
}

/* One SKU's order lines to weekly observations: units and average price paid. */
static void
flush_weeks(struct data *d, uint32_t k, struct wrow *w, size_t n, struct price *v)
{
	int exp = ab_currency_exp(d->s[k].cur);

	qsort(w, n, sizeof *w, wrow_cmp);
	for (size_t i = 0; i < n;) {
		int64_t qty = 0, rev = 0;
		size_t j = i;
		for (; j < n && w[j].wk == w[i].wk; j++) {
			qty += w[j].qty;
			rev += w[j].rev;
		}
		if (qty > 0 && rev > 0) {
			double price = pr_major(rev, exp) / (double)qty;
			obs_add(d, k, w[i].wk, (double)qty, price, 0);
			d->s[k].last_price = price;
			v->run.records_in++;
		}
		i = j;
	}
}

/* Sales from the database. The lines come in SKU order (its index) and are
 * summed by week here: cheaper than SQLite's GROUP BY over a million rows. */
static int
load_db(struct price *v, struct data *d)
{
	sqlite3_stmt *st, *pst;
	struct wrow *w = NULL;
	size_t nw = 0, cap = 0;
	int rc, code;
	uint32_t cur = UINT32_MAX;
	const char *sql =
		"SELECT l.sku, o.ts, l.qty, l.price FROM shop_order_lines l "
		"JOIN shop_orders o ON o.id = l.order_id "
		"WHERE o.status IN ('pending', 'paid', 'fulfilled') AND +o.ts >= ?1 AND +o.ts <= ?2 "
		"ORDER BY l.sku";

	ab_db_exec(v->db, "PRAGMA cache_size = -65536");
	if ((code = ab_db_prepare(v->db, sql, &st)))
		return code;
	if ((code = ab_db_prepare(v->db, "SELECT category, currency FROM products WHERE sku = ?", &pst))) {
		sqlite3_finalize(st);
		return code;
	}
	sqlite3_bind_int64(st, 1, v->since == PR_NONE ? INT64_MIN / 2 : v->since);
	sqlite3_bind_int64(st, 2, v->now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sku = (const char *)sqlite3_column_text(st, 0);
		if (cur == UINT32_MAX || strcmp(d->s[cur].name, sku) != 0) {
			if (cur != UINT32_MAX)
				flush_weeks(d, cur, w, nw, v);
			nw = 0;
			sqlite3_reset(pst);
			sqlite3_bind_text(pst, 1, sku, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(pst) == SQLITE_ROW)
				cur = sku_intern(d, sku, (const char *)sqlite3_column_text(pst, 0),
						 (const char *)sqlite3_column_text(pst, 1));
			else
				cur = sku_intern(d, sku, NULL, NULL);
		}
		if (nw == cap) {
			cap = cap ? cap * 2 : 256;
			w = ab_realloc(w, cap * sizeof *w);
		}
		int64_t ts = sqlite3_column_int64(st, 1), q = sqlite3_column_int64(st, 2);
		/* weeks start on Monday; 1970-01-01 was a Thursday */
		int64_t days = ts >= 0 ? ts / PR_DAY_MS : -((-ts + PR_DAY_MS - 1) / PR_DAY_MS);
		int64_t wd = days + 3 >= 0 ? (days + 3) / 7 : -((-(days + 3) + 6) / 7);
		w[nw++] = (struct wrow){(wd * 7 - 3) * PR_DAY_MS, q, q * sqlite3_column_int64(st, 3)};
	}
	if (cur != UINT32_MAX)
		flush_weeks(d, cur, w, nw, v);
	if (rc != SQLITE_DONE)
		code = ab_db_fail(v->db, rc, "sales");
	sqlite3_finalize(st);
	sqlite3_finalize(pst);
	free(w);
	return code;
}

/* `sales` records: {sku, category?, currency?, period, units, price | revenue, promo?}. */
static int
load_records(struct price *v, struct data *d)
{
	struct ab_lines in;
	struct ab_jrec rec;
	const char *line;
	size_t len;
	int r, code = 0;

	ab_lines_init(&in, v->args, v->nargs);
	ab_jrec_init(&rec);
	while ((r = ab_lines_next(&in, &line, &len)) == 1) {
		char sku[256], cat[256], cur[8] = "USD", ts[64];
		double units, price, rev, promo = 0;
		int64_t t;
		int hc;

		if (len == 0)
			continue;
		if (ab_jrec_parse(&rec, line, len)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", rec.err);
			break;
		}
		if (!ab_jrec_str_eq(&rec, "type", "sales"))
			continue;
		v->run.records_in++;
		if (pr_jstr(&rec, "sku", sku, sizeof sku) != 1) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "\"sku\" is missing");
			break;
		}
		if (pr_jstr(&rec, "period", ts, sizeof ts) != 1 || ab_time_parse_str(ts, &t)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "\"period\" is not a time");
			break;
		}
		if (pr_jnum(&rec, "units", &units) != 1 || !(units >= 0)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "\"units\" is not a number >= 0");
			break;
		}
		if ((hc = pr_jstr(&rec, "currency", cur, sizeof cur)) < 0 || !ab_currency_valid(cur, strlen(cur))) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "\"currency\" is not an ISO 4217 code");
			break;
		}
		int pp = pr_jnum(&rec, "price", &price);
		if (pp == 0 && pr_jnum(&rec, "revenue", &rev) == 1 && units > 0) {
			price = rev / units;
			pp = 1;
		}
		if (pp != 1 || !(price > 0)) {
			if (units == 0 && pp == 0)
				price = 1; /* a week without sales needs no price */
			else {
				code = ab_err_at(AB_EDATA, in.name, in.lineno, "\"price\" is not a number > 0");
				break;
			}
		}
		if (pr_jnum(&rec, "promo", &promo) < 0) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "\"promo\" is not true, false or a number");
			break;
		}
		int hcat = pr_jstr(&rec, "category", cat, sizeof cat);
		if (v->since != PR_NONE && t < v->since)
			continue;
		uint32_t k = sku_intern(d, sku, hcat == 1 ? cat : NULL, cur);
		obs_add(d, k, t, units, price, promo != 0);
		if (units > 0)
			d->s[k].last_price = price;
	}
	if (r < 0)
		code = in.status;
	ab_jrec_free(&rec);
	ab_lines_free(&in);
	return code;
}

static struct data *sort_data;

static int
obs_cmp(const void *a, const void *b)
{
	const struct obs *x = a, *y = b;
	uint32_t rx = sort_data->s[x->sku].rank, ry = sort_data->s[y->sku].rank;
	if (rx != ry)
		return rx < ry ? -1 : 1;
	return (x->t > y->t) - (x->t < y->t);
}

static int
name_cmp(const void *a, const void *b)
{
	const struct sku *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* Ranks SKUs by name and groups the observations by SKU, in time order. */
static void
data_sort(struct data *d)
{
	struct sku **by = ab_malloc((d->ns ? d->ns : 1) * sizeof *by);
	for (size_t i = 0; i < d->ns; i++)
		by[i] = &d->s[i];
	qsort(by, d->ns, sizeof *by, name_cmp);
	for (size_t i = 0; i < d->ns; i++)
		by[i]->rank = (uint32_t)i;
	free(by);
	int sorted = 1;
	for (size_t i = 1; i < d->n && sorted; i++) {
		const struct obs *x = &d->o[i - 1], *y = &d->o[i];
		uint32_t rx = d->s[x->sku].rank, ry = d->s[y->sku].rank;
		sorted = rx < ry || (rx == ry && x->t <= y->t);
	}
	if (!sorted) {
		sort_data = d;
		qsort(d->o, d->n, sizeof *d->o, obs_cmp);
	}
	for (size_t i = 0; i < d->n;) {
		size_t j = i;
		while (j < d->n && d->o[j].sku == d->o[i].sku)
			j++;
		d->s[d->o[i].sku].first = i;
		d->s[d->o[i].sku].n = j - i;
		i = j;
	}
}

/* The control columns of one observation: K yearly harmonics, then promo. */
static int
controls(const struct obs *o, int season, int promo, double *x)
{
	int k = 0;
	double w = 2 * M_PI * (double)(o->t % (int64_t)(365.2425 * PR_DAY_MS)) / (365.2425 * PR_DAY_MS);
	for (int h = 1; h <= season; h++) {
		x[k++] = sin(h * w);
		x[k++] = cos(h * w);
	}
	if (promo)
		x[k++] = o->promo;
	return k;
}

/* OLS over groups of observations: one group fits y = a + e*lnp + controls;
 * several fit the within (fixed effects) model, each group demeaned. */
static void
fit_groups(const struct obs *const *grp, const size_t *gn, size_t ng, int season, int promo, struct fit *f)
{
	size_t n = 0;
	double span_lo = INFINITY, span_hi = -INFINITY, pmin = INFINITY, pmax = -INFINITY;

	memset(f, 0, sizeof *f);
	for (size_t g = 0; g < ng; g++) {
		n += gn[g];
		for (size_t i = 0; i < gn[g]; i++) {
			double t = (double)grp[g][i].t;
			span_lo = t < span_lo ? t : span_lo;
			span_hi = t > span_hi ? t : span_hi;
			pmin = grp[g][i].promo < pmin ? grp[g][i].promo : pmin;
			pmax = grp[g][i].promo > pmax ? grp[g][i].promo : pmax;
		}
	}
	f->n = n;
	/* seasonality needs half a year of data to be told from price */
	if (span_hi - span_lo < 180.0 * PR_DAY_MS)
		season = 0;
	f->promo = promo = promo && pmax > pmin;
	int pooled = ng > 1;
	int p = (pooled ? 1 : 2) + 2 * season + promo;
	while (season > 0 && (long)n - (long)ng * pooled - p < 4) {
		season--;
		p -= 2;
	}
	f->season = season;
	long df = (long)n - (long)(pooled ? ng : 0) - p;
	if (df < 1) {
		snprintf(f->why, sizeof f->why, "%zu weeks with sales are too few for %d parameters", n, p);
		return;
	}
	gsl_matrix *X = gsl_matrix_alloc(n, (size_t)p), *cov = gsl_matrix_alloc((size_t)p, (size_t)p);
	gsl_vector *y = gsl_vector_alloc(n), *c = gsl_vector_alloc((size_t)p);
	double xm[MAXCOL], x[MAXCOL], ybar = 0, tss = 0, lnp_ss = 0;
	size_t row = 0;
	for (size_t g = 0; g < ng; g++) {
		double my = 0, mp = 0;
		memset(xm, 0, sizeof xm);
		if (pooled) {
			for (size_t i = 0; i < gn[g]; i++) {
				my += grp[g][i].lnq;
				mp += grp[g][i].lnp;
				int k = controls(&grp[g][i], season, promo, x);
				for (int j = 0; j < k; j++)
					xm[j] += x[j];
			}
			my /= (double)gn[g];
			mp /= (double)gn[g];
			for (int j = 0; j < MAXCOL; j++)
				xm[j] /= (double)gn[g];
		}
		for (size_t i = 0; i < gn[g]; i++, row++) {
			const struct obs *o = &grp[g][i];
			int col = 0, k = controls(o, season, promo, x);
			if (!pooled)
				gsl_matrix_set(X, row, (size_t)col++, 1.0);
			gsl_matrix_set(X, row, (size_t)col++, o->lnp - mp);
			lnp_ss += (o->lnp - mp) * (o->lnp - mp);
			for (int j = 0; j < k; j++)
				gsl_matrix_set(X, row, (size_t)col++, x[j] - xm[j]);
			gsl_vector_set(y, row, o->lnq - my);
			ybar += o->lnq - my;
		}
	}
	ybar /= (double)n;
	for (size_t i = 0; i < n; i++)
		tss += (gsl_vector_get(y, i) - ybar) * (gsl_vector_get(y, i) - ybar);
	if (pooled)
		tss += ybar * ybar * (double)n; /* within model: no intercept, y has mean 0 per group */
	double chisq;
	if (lnp_ss < 1e-12 * (double)n) {
		snprintf(f->why, sizeof f->why, pooled ? "no price changes within any SKU" : "the price never changed");
	} else {
		gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(n, (size_t)p);
		int rc = gsl_multifit_linear(X, y, c, cov, &chisq, w);
		gsl_multifit_linear_free(w);
		if (rc) {
			snprintf(f->why, sizeof f->why, "least squares failed: %s", gsl_strerror(rc));
		} else {
			int ie = pooled ? 0 : 1;
			/* GSL scales cov by chisq/(n - p); the within model also spent one
			 * degree of freedom per group on its mean. */
			double scale = pooled ? (double)((long)n - p) / (double)df : 1.0;
			f->e = gsl_vector_get(c, (size_t)ie);
			f->se = sqrt(gsl_matrix_get(cov, (size_t)ie, (size_t)ie) * scale);
			double t = pr_t95((double)df);
			f->lo = f->e - t * f->se;
			f->hi = f->e + t * f->se;
			f->r2 = tss > 0 ? 1 - chisq / tss : 0;
			f->sigma = sqrt(chisq / (double)df);
			f->df = (int)df;
			if (!pooled) {
				/* ln units at price 1, at the sample's average season, regular price */
				double a = gsl_vector_get(c, 0), mean[MAXCOL] = {0};
				for (size_t i = 0; i < n; i++) {
					int k = controls(&grp[0][i], season, 0, x);
					for (int j = 0; j < k; j++)
						mean[j] += x[j] / (double)n;
				}
				for (int j = 0; j < 2 * season; j++)
					a += gsl_vector_get(c, (size_t)(2 + j)) * mean[j];
				f->a = a;
			}
			f->ok = isfinite(f->e) && isfinite(f->se);
			if (!f->ok)
				snprintf(f->why, sizeof f->why, "the fit is degenerate");
		}
	}
	gsl_matrix_free(X);
	gsl_matrix_free(cov);
	gsl_vector_free(y);
	gsl_vector_free(c);
}

static double
sd_lnp(const struct obs *o, size_t n)
{
	double m = 0, s = 0;
	for (size_t i = 0; i < n; i++)
		m += o[i].lnp;
	m /= (double)(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		s += (o[i].lnp - m) * (o[i].lnp - m);
	return n > 1 ? sqrt(s / (double)(n - 1)) : 0;
}

struct catfit {
	const char *category;
	struct fit f;
	size_t skus;
};

static int
sku_cat_cmp(const void *a, const void *b)
{
	const struct sku *const *x = a, *const *y = b;
	int c = strcmp((*x)->category ? (*x)->category : "", (*y)->category ? (*y)->category : "");
	return c ? c : strcmp((*x)->name, (*y)->name);
}

/* The pooled fit of every SKU in one category (cached). */
static struct fit *
category_fit(struct price *v, struct data *d, struct catfit **cache, size_t *ncache, const char *cat)
{
	for (size_t i = 0; i < *ncache; i++)
		if (strcmp((*cache)[i].category, cat) == 0)
			return &(*cache)[i].f;
	const struct obs **grp = ab_malloc((d->ns ? d->ns : 1) * sizeof *grp);
	size_t *gn = ab_malloc((d->ns ? d->ns : 1) * sizeof *gn), ng = 0;
	for (size_t i = 0; i < d->ns; i++)
		if (d->s[i].category && strcmp(d->s[i].category, cat) == 0 && d->s[i].n >= 2) {
			grp[ng] = &d->o[d->s[i].first];
			gn[ng++] = d->s[i].n;
		}
	*cache = ab_realloc(*cache, (*ncache + 1) * sizeof **cache);
	struct catfit *cf = &(*cache)[(*ncache)++];
	cf->category = cat;
	cf->skus = ng;
	if (ng == 0) {
		memset(&cf->f, 0, sizeof cf->f);
		snprintf(cf->f.why, sizeof cf->f.why, "no SKU of the category has two weeks of sales");
	} else if (ng == 1) {
		/* one SKU: the within model is its own OLS, with an intercept */
		fit_groups(grp, gn, 1, (int)v->season, 1, &cf->f);
	} else {
		fit_groups(grp, gn, ng, (int)v->season, 1, &cf->f);
	}
	free(grp);
	free(gn);
	return &cf->f;
}

static void
out_fit(struct ab_out *o, const struct fit *f)
{
	if (f->ok) {
		ab_out_knum(o, "elasticity", f->e);
		ab_out_knum(o, "se", f->se);
		ab_out_key(o, "ci");
		ab_out_raw(o, "[", 1);
		ab_out_num(o, f->lo);
		ab_out_raw(o, ",", 1);
		ab_out_num(o, f->hi);
		ab_out_raw(o, "]", 1);
	} else {
		ab_out_knull(o, "elasticity");
		ab_out_knull(o, "se");
		ab_out_knull(o, "ci");
	}
	ab_out_kint(o, "n", (long long)f->n);
	if (f->ok) {
		ab_out_knum(o, "r2", f->r2);
		ab_out_kint(o, "df", f->df);
	} else {
		ab_out_knull(o, "r2");
	}
	ab_out_key(o, "controls");
	ab_out_raw(o, "[", 1);
	int first = 1;
	if (f->season) {
		ab_out_raw(o, "\"season\"", 8);
		first = 0;
	}
	if (f->promo)
		ab_out_raw(o, first ? "\"promo\"" : ",\"promo\"", first ? 7 : 8);
	ab_out_raw(o, "]", 1);
}

static int
store(struct price *v, sqlite3_stmt *st, const char *scope, const char *name, const char *cat,
      const struct fit *f, double a, const char *method, const char *reason)
{
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	ab_db_bind_text(st, 3, cat);
	sqlite3_bind_int64(st, 4, v->now);
	for (int i = 5; i <= 8; i++)
		sqlite3_bind_null(st, i);
	if (f->ok) {
		sqlite3_bind_double(st, 5, f->e);
		sqlite3_bind_double(st, 6, f->se);
		sqlite3_bind_double(st, 7, f->lo);
		sqlite3_bind_double(st, 8, f->hi);
		sqlite3_bind_double(st, 10, f->r2);
		sqlite3_bind_double(st, 11, a);
		sqlite3_bind_double(st, 12, f->sigma);
	} else {
		sqlite3_bind_null(st, 10);
		sqlite3_bind_null(st, 11);
		sqlite3_bind_null(st, 12);
	}
	sqlite3_bind_int64(st, 9, (sqlite3_int64)f->n);
	sqlite3_bind_text(st, 13, method, -1, SQLITE_STATIC);
	ab_db_bind_text(st, 14, reason);
	sqlite3_bind_int64(st, 15, v->run.id);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return ab_db_fail(v->db, rc, "elasticities");
	return 0;
}

int
pr_elasticity(struct price *v)
{
	struct data d = {0};
	struct catfit *cache = NULL;
	size_t ncache = 0;
	sqlite3_stmt *st = NULL;
	int code, by_cat = v->by && strcmp(v->by, "category") == 0;

	gsl_set_error_handler_off();
	code = v->nargs ? load_records(v, &d) : load_db(v, &d);
	if (code)
		goto out;
	data_sort(&d);
	if ((code = ab_db_begin(v->db)))
		goto out;
	if ((code = ab_db_prepare(v->db,
		"INSERT OR REPLACE INTO elasticities(scope, name, category, ts, elasticity, se, ci_lo, "
		"ci_hi, n, r2, intercept, sigma, method, reason, run) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)", &st)))
		goto out;
	struct ab_out *o = &v->out;
	if (by_cat) {
		struct sku **by = ab_malloc((d.ns ? d.ns : 1) * sizeof *by);
		for (size_t i = 0; i < d.ns; i++)
			by[i] = &d.s[i];
		qsort(by, d.ns, sizeof *by, sku_cat_cmp);
		for (size_t i = 0; i < d.ns && !code;) {
			size_t j = i;
			const char *cat = by[i]->category;
			while (j < d.ns && (by[j]->category ? by[j]->category : "")[0] == (cat ? cat : "")[0] &&
			       strcmp(by[j]->category ? by[j]->category : "", cat ? cat : "") == 0)
				j++;
			i = j;
			if (!cat)
				continue;
			struct fit *f = category_fit(v, &d, &cache, &ncache, cat);
			size_t skus = cache[ncache - 1].skus;
			char reason[200];
			snprintf(reason, sizeof reason, "pooled over %zu SKUs with SKU fixed effects", skus);
			if (!f->ok)
				snprintf(reason, sizeof reason, "%s", f->why);
			if (!v->quiet) {
				ab_out_begin(o);
				ab_out_kstr(o, "type", "elasticity");
				ab_out_kstr(o, "category", cat);
				ab_out_kint(o, "skus", (long long)skus);
				out_fit(o, f);
				ab_out_kstr(o, "method", f->ok ? "pooled" : "none");
				ab_out_kstr(o, "reason", reason);
				ab_out_end(o);
			}
			code = store(v, st, "category", cat, cat, f, 0, f->ok ? "pooled" : "none", reason);
		}
		free(by);
	} else {
		struct sku **by = ab_malloc((d.ns ? d.ns : 1) * sizeof *by);
		for (size_t i = 0; i < d.ns; i++)
			by[d.s[i].rank] = &d.s[i];
		for (size_t i = 0; i < d.ns && !code && !ab_out_failed(o); i++) {
			struct sku *s = by[i];
			const struct obs *ob = &d.o[s->first];
			struct fit own, *f = &own;
			const char *method = "ols";
			char reason[400];
			double a = 0, sd = sd_lnp(ob, s->n);

			if (sd < 1e-9)
				sd = 0; /* rounding noise of a constant price */

			memset(&own, 0, sizeof own);
			if (s->n >= (size_t)v->min_points && sd >= v->min_var) {
				const struct obs *g[1] = {ob};
				size_t gn[1] = {s->n};
				fit_groups(g, gn, 1, (int)v->season, 1, &own);
				a = own.a;
				snprintf(reason, sizeof reason, "own sales: %zu weeks, sd of ln price %.3g", s->n, sd);
				if (!own.ok) {
					method = "none";
					snprintf(reason, sizeof reason, "%s", own.why);
				}
			} else {
				char why[160];
				if (s->n < (size_t)v->min_points)
					snprintf(why, sizeof why, "%zu weeks with sales < %lld", s->n, v->min_points);
				else
					snprintf(why, sizeof why, "too little price variation (sd of ln price %.3g < %g)", sd, v->min_var);
				if (!s->category) {
					method = "none";
					snprintf(reason, sizeof reason, "%s and no category to pool with", why);
				} else {
					f = category_fit(v, &d, &cache, &ncache, s->category);
					if (f->ok) {
						method = "pooled";
						double my = 0, mp = 0;
						for (size_t k = 0; k < s->n; k++) {
							my += ob[k].lnq / (double)s->n;
							mp += ob[k].lnp / (double)s->n;
						}
						a = my - f->e * mp;
						snprintf(reason, sizeof reason, "%s: pooled by category \"%s\"", why, s->category);
					} else {
						method = "none";
						snprintf(reason, sizeof reason, "%s; category \"%s\": %s", why, s->category, f->why);
					}
				}
			}
			if (!v->quiet) {
				int exp = ab_currency_exp(s->cur);
				ab_out_begin(o);
				ab_out_kstr(o, "type", "elasticity");
				ab_out_kstr(o, "sku", s->name);
				if (s->category)
					ab_out_kstr(o, "category", s->category);
				else
					ab_out_knull(o, "category");
				out_fit(o, f);
				if (strcmp(method, "pooled") == 0)
					ab_out_kint(o, "n_sku", (long long)s->n);
				ab_out_kstr(o, "method", method);
				if (f->ok) {
					ab_out_knum(o, "intercept", a);
					ab_out_knum(o, "sigma", f->sigma);
				}
				if (s->n)
					ab_out_kmoney(o, "price", pr_round_minor(s->last_price, exp, PR_NEAREST), exp);
				ab_out_kstr(o, "currency", s->cur);
				if (s->zero)
					ab_out_kint(o, "zero_weeks", (long long)s->zero);
				ab_out_kstr(o, "reason", reason);
				ab_out_end(o);
			}
			code = store(v, st, "sku", s->name, s->category, f->ok ? f : &own, a,
				     method, reason);
		}
		free(by);
	}
	if (!code)
		code = ab_db_commit(v->db);
out:
	if (code && v->db && v->db->in_tx)
		ab_db_rollback(v->db);
	sqlite3_finalize(st);
	free(cache);
	data_free(&d);
	return code;
}
