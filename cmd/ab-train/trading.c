/* trading.c: the trading environment, its features, rewards and the fill
 * simulator (ab-order's rule: decide at t's close, fill at t+1's open). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "trading.h"

void
sim_init(struct sim *s, const struct trade_rules *r, double cash)
{
	memset(s, 0, sizeof *s);
	s->r = r;
	s->cash = cash;
}

int
trade_target(const struct trade_rules *r, double action)
{
	if (r->continuous) {
		double a = action < -1 ? -1 : action > 1 ? 1 : action;
		if (!r->shorting)
			return a > 0;
		return a > 1.0 / 3 ? 1 : a < -1.0 / 3 ? -1 : 0;
	}
	int k = (int)action;
	return r->shorting ? k - 1 : k;
}

int
sim_decide(struct sim *s, int target, double close)
{
	int pos = sim_pos(s);

	s->pend_side = 0;
	if (target == pos)
		return 0;
	if (pos != 0) {
		/* an exit closes the whole position; a reversal goes through flat */
		s->pend_side = pos > 0 ? -1 : 1;
		s->pend_qty = fabs(s->units);
		s->pend_entry = 0;
	} else {
		double qty = s->cash / close * s->r->fraction;
		if (!(qty > 0))
			return 0;
		s->pend_side = target;
		s->pend_qty = qty;
		s->pend_entry = 1;
	}
	return s->pend_side;
}

int
sim_fill(struct sim *s, double open)
{
	int side = s->pend_side;
	if (!side)
		return 0;
	s->pend_side = 0;
	double px = side > 0 ? open * (1 + s->r->slip) : open * (1 - s->r->slip);
	double value = s->pend_qty * px, fee = value * s->r->fee;
	if (s->pend_entry) {
		if (side > 0 && s->cash - value - fee < 0)
			return -1;
		if (side < 0 && s->cash + s->units * open <= 0)
			return -1;
	}
	s->cash -= side * value;
	s->cash -= fee;
	s->units += side * s->pend_qty;
	if (!s->pend_entry)
		s->units = 0; /* exits close exactly */
	s->traded += value;
	s->fills++;
	return 1;
}

double
sim_equity(const struct sim *s, double close)
{
	return s->cash + s->units * close;
}

static const char *const builtins[] = {"ret", "range", "body", "gap", "logvol", NULL};

int
feat_is_builtin(const char *name)
{
	for (int i = 0; builtins[i]; i++)
		if (strcmp(name, builtins[i]) == 0)
			return 1;
	return 0;
}

void
feat_init(struct feat_state *f, const struct feat_spec *spec)
{
	memset(f, 0, sizeof *f);
	f->spec = spec;
	f->ring = ab_calloc((size_t)spec->n * spec->norm_window, sizeof(double));
}

void
feat_free(struct feat_state *f)
{
	free(f->ring);
	f->ring = NULL;
}

int
feat_push(struct feat_state *f, struct ab_jrec *rec, int64_t ts, double open, double high,
	  double low, double close, double volume, double *z, char *msg, size_t msglen)
{
	const struct feat_spec *sp = f->spec;
	int ready = 1;
	(void)ts;

	for (int k = 0; k < sp->n; k++) {
		const char *nm = sp->name[k];
		double v = NAN;
		int have = 1;
		if (strcmp(nm, "ret") == 0)
			v = f->have_prev ? log(close / f->prev_close) : 0;
		else if (strcmp(nm, "gap") == 0)
			v = f->have_prev ? log(open / f->prev_close) : 0;
		else if (strcmp(nm, "range") == 0)
			v = log(high / low);
		else if (strcmp(nm, "body") == 0)
			v = log(close / open);
		else if (strcmp(nm, "logvol") == 0)
			v = log1p(volume);
		else {
			const struct ab_jfield *fl = rec ? ab_jrec_get(rec, nm) : NULL;
			if (!fl || fl->type == AB_JNULL) {
				have = 0;
			} else if (ab_jfield_num(fl, &v)) {
				snprintf(msg, msglen, "feature \"%s\" is not a number", nm);
				return -1;
			}
		}
		if (have && isfinite(v)) {
			f->last[k] = v;
			f->seen[k] = 1;
		}
		if (!f->seen[k])
			ready = 0;
	}
	f->have_prev = 1;
	f->prev_close = close;
	if (!ready)
		return 0;
	/* rolling window of raw values, the current one included */
	int W = sp->norm_window;
	for (int k = 0; k < sp->n; k++) {
		double *slot = f->ring + (size_t)k * W + f->pos;
		if (f->count >= W) {
			f->sum[k] -= *slot;
			f->sumsq[k] -= *slot * *slot;
		}
		*slot = f->last[k];
		f->sum[k] += f->last[k];
		f->sumsq[k] += f->last[k] * f->last[k];
	}
	f->pos = (f->pos + 1) % W;
	f->count++;
	long n = f->count < W ? f->count : W;
	if (n < 2)
		return 0;
	for (int k = 0; k < sp->n; k++) {
		double mean = f->sum[k] / n, var = f->sumsq[k] / n - mean * mean;
		double sd = var > 1e-24 ? sqrt(var) : 0;
		double v = sd > 0 ? (f->last[k] - mean) / sd : 0;
		z[k] = v < -5 ? -5 : v > 5 ? 5 : v;
	}
	if (f->count % 4096 == 0) {
		/* re-sum now and then so rounding cannot drift */
		for (int k = 0; k < sp->n; k++) {
			double s = 0, ss = 0;
			for (long i = 0; i < n; i++) {
				double x = f->ring[(size_t)k * W + i];
				s += x;
				ss += x * x;
			}
			f->sum[k] = s;
			f->sumsq[k] = ss;
		}
	}
	return 1;
}

void
market_free(struct market *m)
{
	free(m->ts);
	free(m->open);
	free(m->close);
	free(m->z);
	free(m->ready);
	memset(m, 0, sizeof *m);
}

int
reward_parse(const char *s)
{
	static const char *const names[] = {"pnl", "logret", "dsr", "sortino-dd"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

const char *
reward_name(int kind)
{
	static const char *const names[] = {"pnl", "logret", "dsr", "sortino-dd"};
	return names[kind];
}

int
trading_obs_dim(const struct feat_spec *spec)
{
	return spec->n * spec->window + 1;
}

int
trading_obs(const struct market *m, const struct feat_spec *spec, int t, int pos, double *obs)
{
	int W = spec->window, n = spec->n;
	if (t - W + 1 < 0)
		return 0;
	for (int i = 0; i < W; i++) {
		int u = t - W + 1 + i;
		if (!m->ready[u])
			return 0;
		memcpy(obs + (size_t)i * n, m->z + (size_t)u * n, sizeof(double) * n);
	}
	obs[n * W] = pos;
	return 1;
}

struct tenv {
	const struct market *m;
	const struct feat_spec *spec;
	const struct trade_rules *r;
	const struct reward_cfg *rw;
	int lo, hi, len;
	int t, start;
	struct sim s;
	double A, B, DD2;   /* differential Sharpe/Sortino moments */
	long nret;
};

static void
tenv_reset(struct env *e, gsl_rng *r, double *obs)
{
	struct tenv *te = e->self;
	int first = te->lo;
	while (first < te->hi && !trading_obs(te->m, te->spec, first, 0, obs))
		first++;
	int last_start = te->hi - 1 - te->len; /* an episode needs len decisions */
	if (last_start < first)
		last_start = first;
	te->start = first + (int)gsl_rng_uniform_int(r, (unsigned long)(last_start - first + 1));
	te->t = te->start;
	sim_init(&te->s, te->r, 1.0);
	te->A = te->B = te->DD2 = 0;
	te->nret = 0;
	trading_obs(te->m, te->spec, te->t, 0, obs);
}

/* Moody & Saffell's differential Sharpe ratio (or the downside version) for
 * the return R: uses the moments before R, then updates them. During the
 * warm-up the moments are plain averages and the reward is 0. */
static double
differential(struct tenv *te, double R)
{
	const struct reward_cfg *rw = te->rw;
	double A = te->A, B = te->B, DD2 = te->DD2, D = 0;
	double eta = rw->eta;

	te->nret++;
	if (te->nret > rw->warmup) {
		if (rw->kind == REWARD_DSR) {
			double var = B - A * A;
			if (var > 1e-12)
				D = (B * (R - A) - 0.5 * A * (R * R - B)) / pow(var, 1.5);
		} else if (DD2 > 1e-12) {
			double dd = sqrt(DD2);
			D = R > 0 ? (R - 0.5 * A) / dd
				  : (DD2 * (R - 0.5 * A) - 0.5 * A * R * R) / (DD2 * dd);
		}
	} else {
		eta = 1.0 / te->nret;
	}
	double mn = R < 0 ? R : 0;
	te->A = A + eta * (R - A);
	te->B = B + eta * (R * R - B);
	te->DD2 = DD2 + eta * (mn * mn - DD2);
	return D < -10 ? -10 : D > 10 ? 10 : D;
}

static void
tenv_step(struct env *e, const double *act, double *obs, double *reward, int *terminated,
	  int *truncated)
{
	struct tenv *te = e->self;
	const struct market *m = te->m;
	int t = te->t, target = trade_target(te->r, act[0]);
	double before = sim_equity(&te->s, m->close[t]);

	sim_decide(&te->s, target, m->close[t]);
	sim_fill(&te->s, m->open[t + 1]);
	double after = sim_equity(&te->s, m->close[t + 1]);
	te->t = t + 1;
	double r = 0;
	switch (te->rw->kind) {
	case REWARD_PNL: r = after - before; break; /* equity starts at 1 */
	case REWARD_LOGRET: r = before > 0 && after > 0 ? log(after / before) : -1; break;
	default: r = differential(te, before > 0 ? after / before - 1 : -1); break;
	}
	*reward = r * te->rw->scale;
	*terminated = after <= 0;
	*truncated = !*terminated && (te->t - te->start >= te->len || te->t >= te->hi - 1);
	if (!trading_obs(m, te->spec, te->t, sim_pos(&te->s), obs))
		memset(obs, 0, sizeof(double) * e->obs_dim);
}

static void
tenv_free(struct env *e)
{
	free(e->self);
}

void
trading_env(struct env *e, const struct market *m, const struct feat_spec *spec,
	    const struct trade_rules *r, const struct reward_cfg *rw, int lo, int hi,
	    int episode_len)
{
	struct tenv *te = ab_calloc(1, sizeof *te);

	te->m = m;
	te->spec = spec;
	te->r = r;
	te->rw = rw;
	te->lo = lo;
	te->hi = hi;
	te->len = episode_len;
	memset(e, 0, sizeof *e);
	e->obs_dim = trading_obs_dim(spec);
	if (r->continuous) {
		e->n_actions = 0;
		e->act_dim = 1;
	} else {
		e->n_actions = r->shorting ? 3 : 2;
		e->act_dim = 1;
	}
	e->self = te;
	e->reset = tenv_reset;
	e->step = tenv_step;
	e->free = tenv_free;
}

void
trading_eval(const struct market *m, const struct feat_spec *spec, const struct trade_rules *r,
	     int lo, int hi, policy_fn policy, void *ctx, struct eval_result *out)
{
	struct sim s;
	double *obs = ab_malloc(sizeof(double) * trading_obs_dim(spec));
	double sum = 0, sumsq = 0, peak = 1, maxdd = 0, eq = 1;
	long n = 0;
	int t = lo;

	memset(out, 0, sizeof *out);
	sim_init(&s, r, 1.0);
	while (t < hi - 1 && !trading_obs(m, spec, t, 0, obs))
		t++;
	if (t < hi)
		out->from = m->ts[t];
	for (; t < hi - 1; t++) {
		int target = 0;
		if (trading_obs(m, spec, t, sim_pos(&s), obs))
			target = policy(ctx, obs);
		sim_decide(&s, target, m->close[t]);
		sim_fill(&s, m->open[t + 1]);
		double next = sim_equity(&s, m->close[t + 1]);
		double ret = eq != 0 ? next / eq - 1 : 0;
		sum += ret;
		sumsq += ret * ret;
		n++;
		eq = next;
		if (eq > peak)
			peak = eq;
		if (peak > 0 && (peak - eq) / peak > maxdd)
			maxdd = (peak - eq) / peak;
		out->to = m->ts[t + 1];
	}
	out->candles = n;
	out->fills = s.fills;
	out->final_equity = eq;
	out->ret = eq - 1;
	out->max_dd = maxdd;
	out->turnover = s.traded;
	if (n > 1) {
		double mean = sum / n, var = (sumsq - n * mean * mean) / (n - 1);
		double per_year = m->tf_ms > 0 ? 365.0 * 86400000.0 / m->tf_ms : 365;
		out->sharpe = var > 0 ? mean / sqrt(var) * sqrt(per_year) : 0;
	}
	free(obs);
}
