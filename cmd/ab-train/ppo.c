/* ppo.c: PPO with CleanRL's details (separate actor and critic, orthogonal
 * init, Adam eps 1e-5, linear LR annealing, GAE, per-minibatch advantage
 * normalisation, clipped surrogate and value loss, entropy bonus, global
 * gradient-norm clipping, reshuffled minibatches every epoch). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "err.h"
#include "ppo.h"

#define LOG_2PI 1.8378770664093453

void
ppo_cfg_default(struct ppo_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->total_steps = 500000;
	c->num_envs = 4;
	c->num_steps = 128;
	c->minibatches = 4;
	c->epochs = 4;
	c->lr = 2.5e-4;
	c->gamma = 0.99;
	c->lam = 0.95;
	c->clip = 0.2;
	c->ent_coef = 0.01;
	c->vf_coef = 0.5;
	c->max_grad_norm = 0.5;
	c->target_kl = 0;
	c->anneal_lr = 1;
	c->norm_adv = 1;
	c->clip_vloss = 1;
	c->hidden[0] = c->hidden[1] = 64;
	c->nhidden = 2;
	c->seed = 1;
}

void
agent_init(struct agent *a, int obs_dim, int n_actions, int act_dim, const int *hidden,
	   int nhidden, int norm_obs)
{
	memset(a, 0, sizeof *a);
	a->obs_dim = obs_dim;
	a->n_actions = n_actions;
	a->act_dim = n_actions ? 1 : act_dim;
	mlp_layout(&a->actor, obs_dim, hidden, nhidden, n_actions ? n_actions : act_dim);
	mlp_layout(&a->critic, obs_dim, hidden, nhidden, 1);
	a->off_actor = 0;
	a->off_logstd = a->actor.nparams;
	a->off_critic = a->off_logstd + (n_actions ? 0 : (size_t)act_dim);
	a->nparams = a->off_critic + a->critic.nparams;
	a->p = ab_calloc(a->nparams, sizeof *a->p);
	a->norm_obs = norm_obs;
	a->obs_mean = ab_calloc((size_t)obs_dim, sizeof(double));
	a->obs_var = ab_calloc((size_t)obs_dim, sizeof(double));
	for (int i = 0; i < obs_dim; i++)
		a->obs_var[i] = 1;
	a->obs_count = 1e-4;
	mlp_ws_init(&a->wa, &a->actor, 1);
	mlp_ws_init(&a->wc, &a->critic, 1);
}

void
agent_free(struct agent *a)
{
	free(a->p);
	free(a->obs_mean);
	free(a->obs_var);
	mlp_ws_free(&a->wa);
	mlp_ws_free(&a->wc);
	memset(a, 0, sizeof *a);
}

void
agent_normalise(const struct agent *a, const double *raw, double *out)
{
	for (int i = 0; i < a->obs_dim; i++) {
		if (!a->norm_obs) {
			out[i] = raw[i];
			continue;
		}
		double z = (raw[i] - a->obs_mean[i]) / sqrt(a->obs_var[i] + 1e-8);
		out[i] = z < -10 ? -10 : z > 10 ? 10 : z;
	}
}

/* gymnasium's RunningMeanStd: a batch update of mean and variance. */
static void
obs_update(struct agent *a, const double *raw, int n)
{
	int d = a->obs_dim;
	for (int k = 0; k < d; k++) {
		double m = 0, v = 0;
		for (int i = 0; i < n; i++)
			m += raw[(size_t)i * d + k];
		m /= n;
		for (int i = 0; i < n; i++) {
			double t = raw[(size_t)i * d + k] - m;
			v += t * t;
		}
		v /= n;
		double delta = m - a->obs_mean[k], tot = a->obs_count + n;
		double m2 = a->obs_var[k] * a->obs_count + v * n +
			    delta * delta * a->obs_count * n / tot;
		a->obs_mean[k] += delta * n / tot;
		a->obs_var[k] = m2 / tot;
	}
	a->obs_count += n;
}

void
agent_act(struct agent *a, const double *raw, double *act)
{
	double x[a->obs_dim];
	agent_normalise(a, raw, x);
	const double *out = mlp_forward(&a->actor, a->p + a->off_actor, x, 1, &a->wa);
	if (a->n_actions) {
		int best = 0;
		for (int k = 1; k < a->n_actions; k++)
			if (out[k] > out[best])
				best = k;
		act[0] = best;
	} else {
		memcpy(act, out, sizeof *act * a->act_dim);
	}
}

/* Log-softmax of one row of logits. */
static void
log_softmax(const double *z, int n, double *lp)
{
	double mx = z[0], s = 0;
	for (int k = 1; k < n; k++)
		if (z[k] > mx)
			mx = z[k];
	for (int k = 0; k < n; k++)
		s += exp(z[k] - mx);
	double lse = mx + log(s);
	for (int k = 0; k < n; k++)
		lp[k] = z[k] - lse;
}

struct ppo {
	const struct ppo_cfg *cfg;
	struct agent *a;
	int B, D, A;          /* batch, observation width, stored action width */
	double *obs, *act, *logp, *rew, *done, *val, *adv, *ret;
	double *next_obs, *raw_obs, *next_done;
	double *g, *m, *v;    /* gradient, Adam moments */
	long long adam_t;
	struct mlp_ws wa, wc, ra, rc;
	int *idx;
	double *mb_obs, *dout, *dval;
	/* episodes */
	double *ep_ret;
	long *ep_len;
	double last100[100], len100[100];
	int n100, pos100;
	long long episodes;
	double upd_sum;
	long upd_n;
};

static void
episode_done(struct ppo *p, int e)
{
	p->last100[p->pos100] = p->ep_ret[e];
	p->len100[p->pos100] = p->ep_len[e];
	p->pos100 = (p->pos100 + 1) % 100;
	if (p->n100 < 100)
		p->n100++;
	p->episodes++;
	p->upd_sum += p->ep_ret[e];
	p->upd_n++;
	p->ep_ret[e] = 0;
	p->ep_len[e] = 0;
}

/* torch.optim.Adam: p -= lr/c1 * m / (sqrt(v)/sqrt(c2) + eps). */
__attribute__((optimize("O3"), target_clones("avx2", "default")))
static void
adam_update(double *restrict w, double *restrict m, double *restrict v, const double *restrict g,
	    size_t n, double step, double sc2)
{
	const double b1 = 0.9, b2 = 0.999, eps = 1e-5;
	for (size_t i = 0; i < n; i++) {
		m[i] = b1 * m[i] + (1 - b1) * g[i];
		v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
		w[i] -= step * m[i] / (sqrt(v[i]) / sc2 + eps);
	}
}

static void
adam_step(struct ppo *p, double lr)
{
	p->adam_t++;
	double c1 = 1 - pow(0.9, (double)p->adam_t), c2 = 1 - pow(0.999, (double)p->adam_t);
	adam_update(p->a->p, p->m, p->v, p->g, p->a->nparams, lr / c1, sqrt(c2));
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Samples actions for n rows of actor output; writes logp. */
static void
sample(struct ppo *p, gsl_rng *r, const double *out, int n, double *act, double *logp)
{
	struct agent *a = p->a;
	if (a->n_actions) {
		int k = a->n_actions;
		double lp[k];
		for (int i = 0; i < n; i++) {
			log_softmax(out + (size_t)i * k, k, lp);
			double u = gsl_rng_uniform(r), c = 0;
			int choice = k - 1;
			for (int j = 0; j < k; j++) {
				c += exp(lp[j]);
				if (u < c) {
					choice = j;
					break;
				}
			}
			act[i] = choice;
			logp[i] = lp[choice];
		}
		return;
	}
	const double *ls = a->p + a->off_logstd;
	int d = a->act_dim;
	for (int i = 0; i < n; i++) {
		double s = 0;
		for (int j = 0; j < d; j++) {
			double sd = exp(ls[j]), z = gsl_ran_gaussian_ziggurat(r, 1.0);
			act[(size_t)i * d + j] = out[(size_t)i * d + j] + sd * z;
			s += -0.5 * z * z - ls[j] - 0.5 * LOG_2PI;
		}
		logp[i] = s;
	}
}

static void
observe(struct ppo *p, int n)
{
	if (p->a->norm_obs)
		obs_update(p->a, p->raw_obs, n);
	for (int i = 0; i < n; i++)
		agent_normalise(p->a, p->raw_obs + (size_t)i * p->D, p->next_obs + (size_t)i * p->D);
}

/* One minibatch: losses into the sums, gradient into p->g; returns the loss. */
static double
minibatch(struct ppo *p, const int *ix, int n, double *sums)
{
	const struct ppo_cfg *cfg = p->cfg;
	struct agent *a = p->a;
	int D = p->D, K = a->n_actions ? a->n_actions : a->act_dim;
	double adv_mean = 0, adv_sd = 1;

	for (int i = 0; i < n; i++)
		memcpy(p->mb_obs + (size_t)i * D, p->obs + (size_t)ix[i] * D, sizeof(double) * D);
	if (cfg->norm_adv) {
		double s = 0, ss = 0;
		for (int i = 0; i < n; i++)
			s += p->adv[ix[i]];
		adv_mean = s / n;
		for (int i = 0; i < n; i++)
			ss += (p->adv[ix[i]] - adv_mean) * (p->adv[ix[i]] - adv_mean);
		adv_sd = sqrt(ss / (n > 1 ? n - 1 : 1)) + 1e-8; /* torch.std: unbiased */
	}
	memset(p->g, 0, sizeof *p->g * a->nparams);

	const double *out = mlp_forward(&a->actor, a->p + a->off_actor, p->mb_obs, n, &p->wa);
	double pg = 0, ent = 0, kl = 0, clipped = 0;
	const double *ls = a->p + a->off_logstd;
	double *gls = p->g + a->off_logstd;
	for (int i = 0; i < n; i++) {
		const double *z = out + (size_t)i * K;
		double *dz = p->dout + (size_t)i * K;
		double newlogp, H;
		double lp[K];
		if (a->n_actions) {
			log_softmax(z, K, lp);
			int act = (int)p->act[ix[i]];
			newlogp = lp[act];
			H = 0;
			for (int k = 0; k < K; k++)
				H -= exp(lp[k]) * lp[k];
		} else {
			const double *x = p->act + (size_t)ix[i] * K;
			newlogp = 0;
			H = 0;
			for (int k = 0; k < K; k++) {
				double sd = exp(ls[k]), u = (x[k] - z[k]) / sd;
				newlogp += -0.5 * u * u - ls[k] - 0.5 * LOG_2PI;
				H += 0.5 + 0.5 * LOG_2PI + ls[k];
			}
		}
		double logratio = newlogp - p->logp[ix[i]], ratio = exp(logratio);
		double A = (p->adv[ix[i]] - adv_mean) / adv_sd;
		double rc = ratio < 1 - cfg->clip ? 1 - cfg->clip : ratio > 1 + cfg->clip ? 1 + cfg->clip : ratio;
		double l1 = -A * ratio, l2 = -A * rc;
		pg += l1 > l2 ? l1 : l2;
		ent += H;
		kl += (ratio - 1) - logratio;
		clipped += fabs(ratio - 1) > cfg->clip;
		/* d loss / d newlogp: the unclipped branch carries the gradient
		 * unless the clipped one is larger (where clip's slope is 0). */
		double glogp = (rc != ratio && l2 > l1) ? 0 : -A * ratio / n;
		if (a->n_actions) {
			int act = (int)p->act[ix[i]];
			for (int k = 0; k < K; k++) {
				double pk = exp(lp[k]);
				dz[k] = glogp * ((k == act) - pk) +
					cfg->ent_coef * pk * (lp[k] + H) / n;
			}
		} else {
			const double *x = p->act + (size_t)ix[i] * K;
			for (int k = 0; k < K; k++) {
				double var = exp(2 * ls[k]), diff = x[k] - z[k];
				dz[k] = glogp * diff / var;
				gls[k] += glogp * (diff * diff / var - 1) - cfg->ent_coef / n;
			}
		}
	}
	mlp_backward(&a->actor, a->p + a->off_actor, n, &p->wa, p->dout, p->g + a->off_actor);

	const double *v = mlp_forward(&a->critic, a->p + a->off_critic, p->mb_obs, n, &p->wc);
	double vl = 0;
	for (int i = 0; i < n; i++) {
		double R = p->ret[ix[i]], old = p->val[ix[i]], d = v[i] - R;
		double lu = d * d, g = d;
		if (cfg->clip_vloss) {
			double dv = v[i] - old;
			int inside = dv >= -cfg->clip && dv <= cfg->clip;
			double vc = old + (inside ? dv : dv < 0 ? -cfg->clip : cfg->clip);
			double lc = (vc - R) * (vc - R);
			if (lc > lu) {
				lu = lc;
				g = inside ? vc - R : 0;
			}
		}
		vl += 0.5 * lu;
		p->dval[i] = cfg->vf_coef * g / n;
	}
	mlp_backward(&a->critic, a->p + a->off_critic, n, &p->wc, p->dval, p->g + a->off_critic);

	sums[0] += pg / n;
	sums[1] += vl / n;
	sums[2] += ent / n;
	sums[3] += kl / n;
	sums[4] += clipped / n;
	return pg / n - cfg->ent_coef * ent / n + cfg->vf_coef * vl / n;
}

int
ppo_train(const struct ppo_cfg *cfg, struct agent *a, struct env *envs,
	  ppo_report_fn report, void *ctx)
{
	struct ppo P = {0}, *p = &P;
	int N = cfg->num_envs, T = cfg->num_steps, code = 0;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng **erng = ab_calloc((size_t)N, sizeof *erng);

	gsl_rng_set(rng, cfg->seed);
	p->cfg = cfg;
	p->a = a;
	p->B = N * T;
	p->D = a->obs_dim;
	p->A = a->act_dim;
	int K = a->n_actions ? a->n_actions : a->act_dim, mb = p->B / cfg->minibatches;

	mlp_init_orthogonal(&a->actor, a->p + a->off_actor, M_SQRT2, 0.01, rng);
	mlp_init_orthogonal(&a->critic, a->p + a->off_critic, M_SQRT2, 1.0, rng);
	for (int k = 0; k < (a->n_actions ? 0 : a->act_dim); k++)
		a->p[a->off_logstd + k] = 0;

	p->obs = ab_malloc(sizeof(double) * (size_t)p->B * p->D);
	p->act = ab_malloc(sizeof(double) * (size_t)p->B * p->A);
	p->logp = ab_malloc(sizeof(double) * p->B);
	p->rew = ab_malloc(sizeof(double) * p->B);
	p->done = ab_malloc(sizeof(double) * p->B);
	p->val = ab_malloc(sizeof(double) * p->B);
	p->adv = ab_malloc(sizeof(double) * p->B);
	p->ret = ab_malloc(sizeof(double) * p->B);
	p->next_obs = ab_malloc(sizeof(double) * (size_t)N * p->D);
	p->raw_obs = ab_malloc(sizeof(double) * (size_t)N * p->D);
	p->next_done = ab_calloc((size_t)N, sizeof(double));
	p->g = ab_calloc(a->nparams, sizeof(double));
	p->m = ab_calloc(a->nparams, sizeof(double));
	p->v = ab_calloc(a->nparams, sizeof(double));
	p->idx = ab_malloc(sizeof(int) * p->B);
	p->mb_obs = ab_malloc(sizeof(double) * (size_t)mb * p->D);
	p->dout = ab_malloc(sizeof(double) * (size_t)mb * K);
	p->dval = ab_malloc(sizeof(double) * mb);
	p->ep_ret = ab_calloc((size_t)N, sizeof(double));
	p->ep_len = ab_calloc((size_t)N, sizeof(long));
	mlp_ws_init(&p->wa, &a->actor, mb);
	mlp_ws_init(&p->wc, &a->critic, mb);
	mlp_ws_init(&p->ra, &a->actor, N);
	mlp_ws_init(&p->rc, &a->critic, N);
	double *step_act = ab_malloc(sizeof(double) * (size_t)N * p->A);
	double *step_logp = ab_malloc(sizeof(double) * N);

	for (int e = 0; e < N; e++) {
		erng[e] = gsl_rng_alloc(gsl_rng_mt19937);
		gsl_rng_set(erng[e], cfg->seed + 1 + (unsigned long)e);
		envs[e].reset(&envs[e], erng[e], p->raw_obs + (size_t)e * p->D);
	}
	observe(p, N);

	long long iterations = cfg->total_steps / p->B, global_step = 0;
	double t0 = now_s();
	for (long long it = 1; it <= iterations && !code; it++) {
		double lr = cfg->lr;
		if (cfg->anneal_lr)
			lr = (1.0 - (double)(it - 1) / iterations) * cfg->lr;
		p->upd_sum = 0;
		p->upd_n = 0;
		for (int t = 0; t < T; t++) {
			global_step += N;
			memcpy(p->obs + (size_t)t * N * p->D, p->next_obs, sizeof(double) * N * p->D);
			memcpy(p->done + (size_t)t * N, p->next_done, sizeof(double) * N);
			const double *out = mlp_forward(&a->actor, a->p + a->off_actor, p->next_obs, N, &p->ra);
			sample(p, rng, out, N, step_act, step_logp);
			const double *v = mlp_forward(&a->critic, a->p + a->off_critic, p->next_obs, N, &p->rc);
			for (int e = 0; e < N; e++) {
				size_t b = (size_t)t * N + e;
				p->val[b] = v[e];
				p->logp[b] = step_logp[e];
				memcpy(p->act + b * p->A, step_act + (size_t)e * p->A, sizeof(double) * p->A);
				double r;
				int term, trunc;
				double *o = p->raw_obs + (size_t)e * p->D;
				envs[e].step(&envs[e], step_act + (size_t)e * p->A, o, &r, &term, &trunc);
				p->rew[b] = r;
				p->ep_ret[e] += r;
				p->ep_len[e]++;
				p->next_done[e] = term || trunc;
				if (term || trunc) {
					/* gymnasium 0.29 vector envs: reset within the same step */
					episode_done(p, e);
					envs[e].reset(&envs[e], erng[e], o);
				}
			}
			observe(p, N);
		}
		/* GAE, bootstrapping from the value of next_obs unless it is done. */
		const double *nv = mlp_forward(&a->critic, a->p + a->off_critic, p->next_obs, N, &p->rc);
		for (int e = 0; e < N; e++) {
			double last = 0;
			for (int t = T - 1; t >= 0; t--) {
				size_t b = (size_t)t * N + e;
				double nonterm, nextv;
				if (t == T - 1) {
					nonterm = 1.0 - p->next_done[e];
					nextv = nv[e];
				} else {
					nonterm = 1.0 - p->done[b + N];
					nextv = p->val[b + N];
				}
				double delta = p->rew[b] + cfg->gamma * nextv * nonterm - p->val[b];
				last = delta + cfg->gamma * cfg->lam * nonterm * last;
				p->adv[b] = last;
				p->ret[b] = last + p->val[b];
			}
		}
		double sums[5] = {0};
		int nmb = 0;
		for (int i = 0; i < p->B; i++)
			p->idx[i] = i;
		for (int ep = 0; ep < cfg->epochs; ep++) {
			for (int i = p->B - 1; i > 0; i--) {
				int j = (int)gsl_rng_uniform_int(rng, (unsigned long)i + 1);
				int tmp = p->idx[i];
				p->idx[i] = p->idx[j];
				p->idx[j] = tmp;
			}
			double kl_epoch = 0;
			for (int s = 0; s + mb <= p->B; s += mb) {
				double before = sums[3];
				minibatch(p, p->idx + s, mb, sums);
				kl_epoch = sums[3] - before;
				nmb++;
				double norm = 0;
				for (size_t i = 0; i < a->nparams; i++)
					norm += p->g[i] * p->g[i];
				norm = sqrt(norm);
				if (cfg->max_grad_norm > 0) {
					double c = cfg->max_grad_norm / (norm + 1e-6);
					if (c < 1)
						for (size_t i = 0; i < a->nparams; i++)
							p->g[i] *= c;
				}
				adam_step(p, lr);
			}
			if (cfg->target_kl > 0 && kl_epoch > cfg->target_kl)
				break;
		}
		/* explained variance of the values for the returns */
		double my = 0, md = 0, vy = 0, vd = 0;
		for (int i = 0; i < p->B; i++) {
			my += p->ret[i];
			md += p->ret[i] - p->val[i];
		}
		my /= p->B;
		md /= p->B;
		for (int i = 0; i < p->B; i++) {
			double d = p->ret[i] - p->val[i] - md;
			vy += (p->ret[i] - my) * (p->ret[i] - my);
			vd += d * d;
		}
		struct train_stats st = {0};
		st.update = (int)it;
		st.step = global_step;
		st.episodes = p->episodes;
		st.mean_return = p->upd_n ? p->upd_sum / p->upd_n : NAN;
		double s100 = 0, l100 = 0;
		for (int i = 0; i < p->n100; i++) {
			s100 += p->last100[i];
			l100 += p->len100[i];
		}
		st.mean_return_100 = p->n100 ? s100 / p->n100 : NAN;
		st.mean_length_100 = p->n100 ? l100 / p->n100 : NAN;
		st.policy_loss = sums[0] / nmb;
		st.value_loss = sums[1] / nmb;
		st.entropy = sums[2] / nmb;
		st.approx_kl = sums[3] / nmb;
		st.clip_fraction = sums[4] / nmb;
		st.explained_variance = vy == 0 ? NAN : 1 - vd / vy;
		st.lr = lr;
		double el = now_s() - t0;
		st.sps = el > 0 ? global_step / el : 0;
		if (report)
			code = report(ctx, &st, a);
	}

	for (int e = 0; e < N; e++)
		gsl_rng_free(erng[e]);
	free(erng);
	gsl_rng_free(rng);
	free(p->obs); free(p->act); free(p->logp); free(p->rew); free(p->done);
	free(p->val); free(p->adv); free(p->ret); free(p->next_obs); free(p->raw_obs);
	free(p->next_done); free(p->g); free(p->m); free(p->v); free(p->idx);
	free(p->mb_obs); free(p->dout); free(p->dval); free(p->ep_ret); free(p->ep_len);
	free(step_act); free(step_logp);
	mlp_ws_free(&p->wa); mlp_ws_free(&p->wc); mlp_ws_free(&p->ra); mlp_ws_free(&p->rc);
	return code;
}
