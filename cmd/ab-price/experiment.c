/* experiment.c: Thompson-sampling price experiments (Ferreira, Simchi-Levi & Wang 2018).
 *
 * Each candidate price k has a Gamma(shape, rate) posterior on the daily units
 * it sells (Poisson demand): the prior is updated with the units sold and the
 * days it was offered. `next` credits the sales since the last call to the arm
 * in force, draws one rate per arm, and picks the arm with the largest sampled
 * revenue or profit; with a stock to sell by a date it solves the paper's LP
 * (sampled demand per day at most remaining stock / remaining days) and draws
 * the arm from the LP's mix.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "err.h"
#include "price.h"
#include "timefmt.h"

#define MAX_ARMS 64
/* The prior on each price's daily units: Gamma with shape 1 (as wide as its
 * mean) and a mean ten times the last 28 days' daily sales (1 a day without
 * any), optimistic so that every price gets tried before the data decide. */
#define PRIOR_SHAPE 1.0
#define PRIOR_OPTIMISM 10.0

struct arm {
	int64_t price;
	double shape, rate, days, sample;
	int64_t units, chosen;
	double x; /* probability given by the LP */
};

static gsl_rng *
rng_new(struct price *v)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	unsigned long seed = v->has_seed ? v->seed : (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
	gsl_rng_set(r, seed);
	return r;
}

static int
parse_prices(const char *s, int exp, struct arm *arms, int *n)
{
	*n = 0;
	while (s && *s) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);
		int64_t p;
		if (*n == MAX_ARMS || ab_money_parse(s, len, exp, &p) || p <= 0)
			return ab_err(AB_EUSAGE, "--prices: \"%.*s\" is not a price (at most %d, each > 0)", (int)len, s, MAX_ARMS);
		for (int i = 0; i < *n; i++)
			if (arms[i].price == p)
				return ab_err(AB_EUSAGE, "--prices: %.*s is given twice", (int)len, s);
		memset(&arms[*n], 0, sizeof arms[*n]);
		arms[(*n)++].price = p;
		s = c ? c + 1 : NULL;
	}
	if (*n < 2)
		return ab_err(AB_EUSAGE, "--prices: give at least two prices, comma-separated");
	return 0;
}

/* Samples each arm's daily demand and picks one: argmax of sampled value, or
 * with a capacity (units a day, > 0) the LP max sum v_k x_k subject to
 * sum d_k x_k <= cap, sum x_k <= 1, solved by enumerating its vertices (one
 * arm, or two arms mixed to use the capacity exactly). */
static int
thompson(gsl_rng *r, struct arm *a, int n, double cost, double cap)
{
	double best = -INFINITY;
	int pick = 0;

	for (int k = 0; k < n; k++)
		a[k].sample = gsl_ran_gamma(r, a[k].shape, 1 / a[k].rate);
	if (!(cap > 0)) {
		for (int k = 0; k < n; k++) {
			double val = ((double)a[k].price - cost) * a[k].sample;
			a[k].x = 0;
			if (val > best) {
				best = val;
				pick = k;
			}
		}
		a[pick].x = 1;
		return pick;
	}
	int bk = -1, bl = -1;
	double bxk = 0;
	for (int k = 0; k < n; k++) {
		double d = a[k].sample, xk = d > cap ? cap / d : 1;
		double val = ((double)a[k].price - cost) * d * xk;
		if (val > best) {
			best = val;
			bk = k;
			bl = -1;
			bxk = xk;
		}
		for (int l = 0; l < n; l++) {
			double dl = a[l].sample;
			if (!(d < cap && cap < dl))
				continue;
			double x = (dl - cap) / (dl - d);
			double v2 = ((double)a[k].price - cost) * d * x + ((double)a[l].price - cost) * dl * (1 - x);
			if (v2 > best) {
				best = v2;
				bk = k;
				bl = l;
				bxk = x;
			}
		}
	}
	for (int k = 0; k < n; k++)
		a[k].x = 0;
	a[bk].x = bxk;
	if (bl >= 0)
		a[bl].x = 1 - bxk;
	/* probability left over (capacity binds on one arm): the dearest price,
	 * the closest thing to not offering */
	int dear = 0;
	for (int k = 1; k < n; k++)
		if (a[k].price > a[dear].price)
			dear = k;
	double u = gsl_rng_uniform(r), acc = 0;
	for (int k = 0; k < n; k++) {
		acc += a[k].x;
		if (u < acc)
			return k;
	}
	return dear;
}

static void
out_arms(struct ab_out *o, const struct arm *a, int n, int exp, int samples)
{
	ab_out_key(o, "arms");
	ab_out_raw(o, "[", 1);
	for (int k = 0; k < n; k++) {
		char mb[40];
		if (k)
			ab_out_raw(o, ",", 1);
		ab_out_raw(o, "{\"price\":", 9);
		ab_out_raw(o, mb, ab_money_format(a[k].price, exp, mb));
		ab_out_raw(o, ",\"mean\":", 8);
		ab_out_num(o, a[k].shape / a[k].rate);
		ab_out_raw(o, ",\"sd\":", 6);
		ab_out_num(o, sqrt(a[k].shape) / a[k].rate);
		ab_out_raw(o, ",\"units\":", 9);
		ab_out_int(o, a[k].units);
		ab_out_raw(o, ",\"days\":", 8);
		ab_out_num(o, round(a[k].days * 1e4) / 1e4);
		ab_out_raw(o, ",\"chosen\":", 10);
		ab_out_int(o, a[k].chosen);
		if (samples) {
			ab_out_raw(o, ",\"sample\":", 10);
			ab_out_num(o, a[k].sample);
			ab_out_raw(o, ",\"p\":", 5);
			ab_out_num(o, a[k].x);
		}
		ab_out_raw(o, "}", 1);
	}
	ab_out_raw(o, "]", 1);
}

/* ---- simulate: the sampler against known demand, no database ---- */

static int
simulate(struct price *v)
{
	struct arm a[MAX_ARMS];
	int n, code;
	double A, E;

	if (!v->truth || sscanf(v->truth, "%lf,%lf", &A, &E) != 2 || !(A > 0) || !(E < 0))
		return ab_err(AB_EUSAGE, "simulate needs --truth A,E (demand A*p^E units a period, A > 0, E < 0)");
	if ((code = parse_prices(v->prices, 2, a, &n)))
		return code;
	int best = 0;
	double bv = -INFINITY;
	for (int k = 0; k < n; k++) {
		double p = pr_major(a[k].price, 2), val = p * A * pow(p, E);
		a[k].shape = PRIOR_SHAPE;
		a[k].rate = PRIOR_SHAPE / (PRIOR_OPTIMISM * 1);
		if (val > bv) {
			bv = val;
			best = k;
		}
	}
	gsl_rng *r = rng_new(v);
	long long late = 0, late_best = 0;
	double revenue = 0;
	for (long long t = 0; t < v->periods; t++) {
		int k = thompson(r, a, n, 0, 0);
		double p = pr_major(a[k].price, 2);
		unsigned d = gsl_ran_poisson(r, A * pow(p, E));
		a[k].shape += d;
		a[k].rate += 1;
		a[k].units += d;
		a[k].days += 1;
		a[k].chosen++;
		revenue += p * d;
		if (t >= v->periods / 2) {
			late++;
			late_best += k == best;
		}
	}
	gsl_rng_free(r);
	struct ab_out *o = &v->out;
	char mb[40];
	ab_out_begin(o);
	ab_out_kstr(o, "type", "experiment_sim");
	ab_out_kint(o, "periods", v->periods);
	ab_out_key(o, "best");
	ab_out_raw(o, mb, ab_money_format(a[best].price, 2, mb));
	ab_out_knum(o, "best_share_late", late ? (double)late_best / (double)late : 0);
	ab_out_knum(o, "revenue", round(revenue * 100) / 100);
	ab_out_knum(o, "oracle_revenue", round(bv * (double)v->periods * 100) / 100);
	out_arms(o, a, n, 2, 0);
	ab_out_end(o);
	return 0;
}

/* ---- the database-backed experiment ---- */

struct exp_row {
	int64_t id, cost, stock, until, since, started;
	int arm, has_arm, profit;
	char sku[256], cur[4];
	double prior_shape, prior_rate;
	struct arm a[MAX_ARMS];
	int n;
};

static int
load_arms(struct price *v, struct exp_row *x)
{
	sqlite3_stmt *st;
	int rc, code;

	if ((code = ab_db_prepare(v->db, "SELECT price, shape, rate, units, days, chosen FROM experiment_arms "
				  "WHERE experiment = ? ORDER BY arm", &st)))
		return code;
	sqlite3_bind_int64(st, 1, x->id);
	x->n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && x->n < MAX_ARMS) {
		struct arm *a = &x->a[x->n++];
		memset(a, 0, sizeof *a);
		a->price = sqlite3_column_int64(st, 0);
		a->shape = sqlite3_column_double(st, 1);
		a->rate = sqlite3_column_double(st, 2);
		a->units = sqlite3_column_int64(st, 3);
		a->days = sqlite3_column_double(st, 4);
		a->chosen = sqlite3_column_int64(st, 5);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		code = ab_db_fail(v->db, rc, "experiment_arms");
	sqlite3_finalize(st);
	return code;
}

/* Running experiments (all, or the SKU's). */
static int
load_running(struct price *v, const char *sku, struct exp_row **out, int *nout)
{
	sqlite3_stmt *st;
	int rc, code, n = 0;
	struct exp_row *xs = NULL;

	if ((code = ab_db_prepare(v->db, "SELECT id, sku, currency, objective, cost, stock, until, "
				  "prior_shape, prior_rate, arm, since, started FROM experiments "
				  "WHERE status = 'running' AND (?1 IS NULL OR sku = ?1) ORDER BY sku", &st)))
		return code;
	ab_db_bind_text(st, 1, sku);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		xs = ab_realloc(xs, (size_t)(n + 1) * sizeof *xs);
		struct exp_row *x = &xs[n++];
		memset(x, 0, sizeof *x);
		x->id = sqlite3_column_int64(st, 0);
		snprintf(x->sku, sizeof x->sku, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(x->cur, sizeof x->cur, "%s", (const char *)sqlite3_column_text(st, 2));
		x->profit = strcmp((const char *)sqlite3_column_text(st, 3), "profit") == 0;
		x->cost = sqlite3_column_type(st, 4) == SQLITE_NULL ? PR_NONE : sqlite3_column_int64(st, 4);
		x->stock = sqlite3_column_type(st, 5) == SQLITE_NULL ? PR_NONE : sqlite3_column_int64(st, 5);
		x->until = sqlite3_column_type(st, 6) == SQLITE_NULL ? PR_NONE : sqlite3_column_int64(st, 6);
		x->prior_shape = sqlite3_column_double(st, 7);
		x->prior_rate = sqlite3_column_double(st, 8);
		x->has_arm = sqlite3_column_type(st, 9) != SQLITE_NULL;
		x->arm = sqlite3_column_int(st, 9);
		x->since = sqlite3_column_type(st, 10) == SQLITE_NULL ? PR_NONE : sqlite3_column_int64(st, 10);
		x->started = sqlite3_column_int64(st, 11);
	}
	if (rc != SQLITE_DONE)
		code = ab_db_fail(v->db, rc, "experiments");
	sqlite3_finalize(st);
	for (int i = 0; i < n && !code; i++)
		code = load_arms(v, &xs[i]);
	*out = xs;
	*nout = n;
	return code;
}

/* Units of the SKU sold in [from, to). */
static int
units_sold(struct price *v, const char *sku, int64_t from, int64_t to, int64_t *units)
{
	sqlite3_stmt *st;
	int rc, code;

	if ((code = ab_db_prepare(v->db, "SELECT coalesce(sum(l.qty), 0) FROM shop_order_lines l "
				  "JOIN shop_orders o ON o.id = l.order_id WHERE l.sku = ?1 AND "
				  "o.status IN ('pending', 'paid', 'fulfilled') AND o.ts >= ?2 AND o.ts < ?3", &st)))
		return code;
	sqlite3_bind_text(st, 1, sku, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*units = sqlite3_column_int64(st, 0);
	else
		code = ab_db_fail(v->db, rc, "shop_order_lines");
	sqlite3_finalize(st);
	return code;
}

/* Credits the sales since the arm came into force to its posterior. */
static int
credit(struct price *v, struct exp_row *x)
{
	int64_t units = 0;
	int code;
	sqlite3_stmt *st;

	if (!x->has_arm || x->since == PR_NONE || v->now <= x->since)
		return 0;
	if ((code = units_sold(v, x->sku, x->since, v->now, &units)))
		return code;
	struct arm *a = &x->a[x->arm];
	double days = (double)(v->now - x->since) / PR_DAY_MS;
	a->shape += (double)units;
	a->rate += days;
	a->units += units;
	a->days += days;
	if ((code = ab_db_prepare(v->db, "UPDATE experiment_arms SET shape = ?3, rate = ?4, units = ?5, "
				  "days = ?6 WHERE experiment = ?1 AND arm = ?2", &st)))
		return code;
	sqlite3_bind_int64(st, 1, x->id);
	sqlite3_bind_int(st, 2, x->arm);
	sqlite3_bind_double(st, 3, a->shape);
	sqlite3_bind_double(st, 4, a->rate);
	sqlite3_bind_int64(st, 5, a->units);
	sqlite3_bind_double(st, 6, a->days);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ab_db_fail(v->db, rc, "experiment_arms");
}

static int
exec_bind(struct price *v, const char *sql, int64_t a, int64_t b, int64_t c)
{
	sqlite3_stmt *st;
	int code, rc;

	if ((code = ab_db_prepare(v->db, sql, &st)))
		return code;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	sqlite3_bind_int64(st, 3, c);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ab_db_fail(v->db, rc, "experiments");
}

static int
start(struct price *v)
{
	const char *sku = v->args[1];
	struct product p;
	struct arm a[MAX_ARMS];
	int n, code, rc;
	int64_t stock = PR_NONE, recent = 0;
	sqlite3_stmt *st;

	if (!sku)
		return ab_err(AB_EUSAGE, "experiment start needs a SKU");
	if ((code = pr_product_get(v, sku, &p)))
		return code;
	if (!p.found)
		return ab_err(AB_EDATA, "\"%s\" is not in products", sku);
	int exp = ab_currency_exp(p.currency);
	if ((code = parse_prices(v->prices, exp, a, &n)))
		return code;
	int profit = strcmp(v->objective, "profit") == 0;
	if (profit && p.cost == PR_NONE)
		return ab_err(AB_EDATA, "\"%s\" has no cost: use --objective revenue", sku);
	if (v->stock) {
		long long q;
		char *end;
		q = strtoll(v->stock, &end, 10);
		if (*end || q <= 0 || v->until == PR_NONE || v->until <= v->now)
			return ab_err(AB_EUSAGE, "--stock needs a whole number > 0 and --until a later time");
		stock = q;
	}
	if ((code = units_sold(v, sku, v->now - 28 * PR_DAY_MS, v->now, &recent)))
		return code;
	double mean = PRIOR_OPTIMISM * (recent > 0 ? (double)recent / 28 : 1), shape = PRIOR_SHAPE, rate = shape / mean;
	if ((code = ab_db_begin(v->db)))
		return code;
	if ((code = ab_db_prepare(v->db, "INSERT INTO experiments(sku, currency, status, objective, cost, stock, "
				  "until, prior_shape, prior_rate, started) VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &st)))
		goto fail;
	sqlite3_bind_text(st, 1, sku, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p.currency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, v->objective, -1, SQLITE_STATIC);
	if (p.cost != PR_NONE)
		sqlite3_bind_int64(st, 4, p.cost);
	if (stock != PR_NONE) {
		sqlite3_bind_int64(st, 5, stock);
		sqlite3_bind_int64(st, 6, v->until);
	}
	sqlite3_bind_double(st, 7, shape);
	sqlite3_bind_double(st, 8, rate);
	sqlite3_bind_int64(st, 9, v->now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT) {
		code = ab_err(AB_EDATA, "\"%s\" already has a running experiment (stop it first)", sku);
		goto fail;
	}
	if (rc != SQLITE_DONE) {
		code = ab_db_fail(v->db, rc, "experiments");
		goto fail;
	}
	int64_t id = sqlite3_last_insert_rowid(v->db->h);
	for (int k = 0; k < n; k++) {
		if ((code = ab_db_prepare(v->db, "INSERT INTO experiment_arms(experiment, arm, price, shape, rate) "
					  "VALUES (?, ?, ?, ?, ?)", &st)))
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, k);
		sqlite3_bind_int64(st, 3, a[k].price);
		sqlite3_bind_double(st, 4, shape);
		sqlite3_bind_double(st, 5, rate);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			code = ab_db_fail(v->db, rc, "experiment_arms");
			goto fail;
		}
		a[k].shape = shape;
		a[k].rate = rate;
	}
	if ((code = ab_db_commit(v->db)))
		return code;
	struct ab_out *o = &v->out;
	ab_out_begin(o);
	ab_out_kstr(o, "type", "experiment");
	ab_out_kint(o, "id", id);
	ab_out_kstr(o, "sku", sku);
	ab_out_kstr(o, "status", "running");
	ab_out_kstr(o, "objective", v->objective);
	ab_out_kstr(o, "currency", p.currency);
	ab_out_kmoney(o, "cost", p.cost, exp);
	if (stock != PR_NONE) {
		ab_out_kint(o, "stock", stock);
		ab_out_ktime(o, "until", v->until);
	}
	ab_out_knum(o, "prior_shape", shape);
	ab_out_knum(o, "prior_rate", rate);
	out_arms(o, a, n, exp, 0);
	ab_out_ktime(o, "started", v->now);
	ab_out_end(o);
	return 0;
fail:
	ab_db_rollback(v->db);
	return code;
}

static int
next(struct price *v)
{
	struct exp_row *xs = NULL;
	struct ab_out tmp;
	int n = 0, code;

	if ((code = ab_db_begin(v->db)))
		return code;
	if ((code = load_running(v, v->args[1], &xs, &n)))
		goto out;
	if (v->args[1] && n == 0) {
		code = ab_err(AB_EDATA, "\"%s\" has no running experiment", v->args[1]);
		goto out;
	}
	gsl_rng *r = rng_new(v);
	ab_out_init(&tmp, -1, "memory");
	for (int i = 0; i < n && !code; i++) {
		struct exp_row *x = &xs[i];
		struct product p;
		int exp = ab_currency_exp(x->cur);
		if ((code = credit(v, x)) || (code = pr_product_get(v, x->sku, &p)))
			break;
		double cap = 0;
		int64_t left = PR_NONE;
		if (x->stock != PR_NONE) {
			int64_t sold = 0;
			for (int k = 0; k < x->n; k++)
				sold += x->a[k].units;
			left = x->stock - sold;
			double days = (double)(x->until - v->now) / PR_DAY_MS;
			cap = left <= 0 || days <= 0 ? 1e-9 : (double)left / days;
		}
		double cost = x->profit && x->cost != PR_NONE ? (double)x->cost : 0;
		int k = thompson(r, x->a, x->n, cost, cap);
		x->a[k].chosen++;
		if ((code = exec_bind(v, "UPDATE experiments SET arm = ?2, since = ?3 WHERE id = ?1", x->id, k, v->now)) ||
		    (code = exec_bind(v, "UPDATE experiment_arms SET chosen = chosen + 1 WHERE experiment = ?1 AND arm = ?2 AND ?3 = ?3",
				      x->id, k, 0)))
			break;
		char reason[300];
		snprintf(reason, sizeof reason, "Thompson sampling: the %s sampled %s is largest at this price%s",
			 cap > 0 ? "LP over" : "arm whose", x->profit ? "daily profit" : "daily revenue",
			 cap > 0 ? " (mix drawn under the stock-per-day limit)" : "");
		struct ab_out *o = &tmp;
		ab_out_begin(o);
		ab_out_kstr(o, "type", "price_rec");
		ab_out_kstr(o, "sku", x->sku);
		ab_out_kstr(o, "currency", x->cur);
		ab_out_kmoney(o, "current", p.found ? p.price : PR_NONE, exp);
		ab_out_kmoney(o, "recommended", x->a[k].price, exp);
		ab_out_kint(o, "experiment", x->id);
		ab_out_kint(o, "arm", k);
		if (left != PR_NONE) {
			ab_out_kint(o, "stock_left", left);
			ab_out_knum(o, "capacity", cap);
		}
		out_arms(o, x->a, x->n, exp, 1);
		ab_out_kstr(o, "objective", x->profit ? "profit" : "revenue");
		ab_out_kstr(o, "method", "thompson");
		ab_out_kstr(o, "source", "experiment");
		ab_out_kstr(o, "reason", reason);
		ab_out_end(o);
		code = pr_rec_emit(v, o, x->sku, x->cur, p.found ? p.price : PR_NONE, x->a[k].price, NAN, NAN,
				   "experiment", reason);
	}
	free(tmp.buf);
	gsl_rng_free(r);
	if (!code)
		code = pr_recs_store(v);
	if (!code)
		code = ab_db_commit(v->db);
out:
	if (code && v->db->in_tx)
		ab_db_rollback(v->db);
	free(xs);
	return code;
}

static int
stop_or_list(struct price *v, int stop)
{
	struct exp_row *xs = NULL;
	int n = 0, code;

	if (stop && !v->args[1])
		return ab_err(AB_EUSAGE, "experiment stop needs a SKU");
	if ((code = ab_db_begin(v->db)))
		return code;
	if ((code = load_running(v, v->args[1], &xs, &n)))
		goto out;
	if (stop && n == 0) {
		code = ab_err(AB_EDATA, "\"%s\" has no running experiment", v->args[1]);
		goto out;
	}
	for (int i = 0; i < n && !code; i++) {
		struct exp_row *x = &xs[i];
		int exp = ab_currency_exp(x->cur);
		if (stop && ((code = credit(v, x)) ||
			     (code = exec_bind(v, "UPDATE experiments SET status = 'stopped', stopped = ?2 WHERE id = ?1 AND ?3 = ?3",
					       x->id, v->now, 0))))
			break;
		/* the best price by posterior mean value */
		int best = 0;
		double bv = -INFINITY, cost = x->profit && x->cost != PR_NONE ? (double)x->cost : 0;
		for (int k = 0; k < x->n; k++) {
			double val = ((double)x->a[k].price - cost) * x->a[k].shape / x->a[k].rate;
			if (val > bv) {
				bv = val;
				best = k;
			}
		}
		struct ab_out *o = &v->out;
		ab_out_begin(o);
		ab_out_kstr(o, "type", "experiment");
		ab_out_kint(o, "id", x->id);
		ab_out_kstr(o, "sku", x->sku);
		ab_out_kstr(o, "status", stop ? "stopped" : "running");
		ab_out_kstr(o, "objective", x->profit ? "profit" : "revenue");
		ab_out_kstr(o, "currency", x->cur);
		if (x->has_arm)
			ab_out_kmoney(o, "in_force", x->a[x->arm].price, exp);
		ab_out_kmoney(o, "best", x->a[best].price, exp);
		out_arms(o, x->a, x->n, exp, 0);
		ab_out_ktime(o, "started", x->started);
		if (stop)
			ab_out_ktime(o, "stopped", v->now);
		ab_out_end(o);
	}
	if (!code)
		code = ab_db_commit(v->db);
out:
	if (code && v->db->in_tx)
		ab_db_rollback(v->db);
	free(xs);
	return code;
}

int
pr_experiment(struct price *v)
{
	const char *sub = v->args[0];

	if (strcmp(sub, "simulate") == 0)
		return simulate(v);
	if (strcmp(sub, "start") == 0)
		return start(v);
	if (strcmp(sub, "next") == 0)
		return next(v);
	if (strcmp(sub, "stop") == 0)
		return stop_or_list(v, 1);
	if (strcmp(sub, "list") == 0)
		return stop_or_list(v, 0);
	return ab_err(AB_EUSAGE, "experiment: \"%s\" is not start, next, stop, list or simulate", sub);
}
