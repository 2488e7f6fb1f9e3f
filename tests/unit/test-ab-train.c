/* test-ab-train: CartPole dynamics against gymnasium's vectors, the MLP and
 * the PPO loss gradients against finite differences, the fast tanh, the
 * trading fills (ab-order's rule) and the differential Sharpe ratio. */
#include "../../cmd/ab-train/cartpole.c"
#include "../../cmd/ab-train/mlp.c"
#include "../../cmd/ab-train/ppo.c"
#include "../../cmd/ab-train/trading.c"

#include "tap.h"

static int
near6(const struct cartpole *c, double x, double xd, double th, double thd)
{
	return fabs(c->x - x) < 5e-7 && fabs(c->x_dot - xd) < 5e-7 &&
	       fabs(c->theta - th) < 5e-7 && fabs(c->theta_dot - thd) < 5e-7;
}

static void
test_cartpole(void)
{
	struct cartpole c = {0};
	int term;

	term = cartpole_dynamics(&c, 1);
	ok(!term && near6(&c, 0, 0.195122, 0, -0.292683), "cartpole: one push right from rest");
	c = (struct cartpole){0};
	for (int i = 0; i < 5; i++)
		term = cartpole_dynamics(&c, 1);
	ok(!term && near6(&c, 0.039032, 0.976364, -0.058719, -1.481533), "cartpole: five pushes right");
	c = (struct cartpole){0};
	int n = 0;
	do
		n++;
	while (!cartpole_dynamics(&c, 1) && n < 100);
	ok(n == 9 && near6(&c, 0.140651, 1.760381, -0.215186, -2.777886),
	   "cartpole: always right terminates on step 9 (got %d)", n);
	c = (struct cartpole){0};
	n = 0;
	do
		n++;
	while (!cartpole_dynamics(&c, n % 2 == 1 ? 0 : 1) && n < 1000);
	is_int(n, 33, "cartpole: alternating 0,1 terminates on step 33");

	/* the env: a simple controller survives to the 500-step truncation */
	struct env e;
	double obs[4], r, act[1], ret = 0;
	int tr;
	cartpole_env(&e, 500);
	struct cartpole *s = e.self;
	*s = (struct cartpole){0.01, -0.02, 0.03, -0.04, 0, 500};
	act[0] = s->theta + 0.5 * s->theta_dot > 0;
	e.step(&e, act, obs, &r, &term, &tr);
	ok(near6(s, 0.0096, 0.174679, 0.0292, -0.323069), "cartpole: controller step 1");
	ret = r;
	while (!term && !tr) {
		act[0] = s->theta + 0.5 * s->theta_dot > 0;
		e.step(&e, act, obs, &r, &term, &tr);
		ret += r;
	}
	ok(!term && tr && ret == 500, "cartpole: controller truncated at 500 (return %g)", ret);
	ok(obs[2] == (float)s->theta, "cartpole: observations are float32");
	e.free(&e);
}

static void
test_tanh(void)
{
	double worst = 0;
	for (double x = -25; x <= 25; x += 0.000731) {
		double y = x;
		mlp_tanh(&y, 1);
		if (fabs(y - tanh(x)) > worst)
			worst = fabs(y - tanh(x));
	}
	ok(worst < 4e-16, "fast tanh within 4e-16 of libm (worst %g)", worst);
}

static void
test_mlp_grad(void)
{
	struct mlp m;
	struct mlp_ws w;
	int hidden[] = {7, 5}, n = 3;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	double x[3 * 4], c[3 * 2];

	mlp_exact_tanh = 1;
	mlp_layout(&m, 4, hidden, 2, 2);
	mlp_ws_init(&w, &m, n);
	double *p = ab_malloc(sizeof *p * m.nparams), *g = ab_calloc(m.nparams, sizeof *g);
	mlp_init_orthogonal(&m, p, M_SQRT2, 1.0, r);
	for (size_t i = 0; i < m.nparams; i++)
		p[i] += 0.1 * gsl_ran_gaussian(r, 1); /* non-zero biases too */
	for (int i = 0; i < 12; i++)
		x[i] = gsl_ran_gaussian(r, 1);
	for (int i = 0; i < 6; i++)
		c[i] = gsl_ran_gaussian(r, 1);
	/* loss = sum(c .* out): d loss / d out = c */
	mlp_forward(&m, p, x, n, &w);
	mlp_backward(&m, p, n, &w, c, g);
	double worst = 0;
	for (size_t i = 0; i < m.nparams; i++) {
		double keep = p[i], h = 1e-6, lp = 0, lm = 0;
		p[i] = keep + h;
		const double *o = mlp_forward(&m, p, x, n, &w);
		for (int k = 0; k < 6; k++)
			lp += c[k] * o[k];
		p[i] = keep - h;
		o = mlp_forward(&m, p, x, n, &w);
		for (int k = 0; k < 6; k++)
			lm += c[k] * o[k];
		p[i] = keep;
		double fd = (lp - lm) / (2 * h), err = fabs(fd - g[i]) / (fabs(fd) + fabs(g[i]) + 1e-8);
		if (err > worst)
			worst = err;
	}
	ok(worst < 1e-6, "mlp: backward matches finite differences (worst relative %g)", worst);

	/* orthogonality: the 4x7 first layer's rows are orthogonal, length gain */
	double dev = 0;
	const double *W = p; /* reinit without noise */
	mlp_init_orthogonal(&m, p, 2.0, 1.0, r);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			double s = 0;
			for (int k = 0; k < 7; k++)
				s += W[i * 7 + k] * W[j * 7 + k];
			dev = fmax(dev, fabs(s - (i == j ? 4.0 : 0.0)));
		}
	ok(dev < 1e-12, "mlp: orthogonal init with gain (deviation %g)", dev);
	mlp_exact_tanh = 0;
	mlp_ws_free(&w);
	free(p);
	free(g);
	gsl_rng_free(r);
}

/* The PPO minibatch gradient against finite differences of its loss, with
 * a policy that has moved from the one that collected the data. */
static void
ppo_grad(int discrete)
{
	struct ppo_cfg cfg;
	struct agent a;
	struct ppo P = {0}, *p = &P;
	int hidden[] = {6, 5}, n = 8, D = 3, K = discrete ? 3 : 2;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	mlp_exact_tanh = 1;
	ppo_cfg_default(&cfg);
	cfg.clip = 0.05; /* so some ratios are clipped */
	agent_init(&a, D, discrete ? 3 : 0, 2, hidden, 2, 0);
	mlp_init_orthogonal(&a.actor, a.p + a.off_actor, M_SQRT2, 1.0, r);
	mlp_init_orthogonal(&a.critic, a.p + a.off_critic, M_SQRT2, 1.0, r);
	p->cfg = &cfg;
	p->a = &a;
	p->D = D;
	p->A = a.act_dim;
	p->B = n;
	p->obs = ab_malloc(sizeof(double) * n * D);
	p->act = ab_malloc(sizeof(double) * n * p->A);
	p->logp = ab_malloc(sizeof(double) * n);
	p->val = ab_malloc(sizeof(double) * n);
	p->adv = ab_malloc(sizeof(double) * n);
	p->ret = ab_malloc(sizeof(double) * n);
	p->g = ab_calloc(a.nparams, sizeof(double));
	p->mb_obs = ab_malloc(sizeof(double) * n * D);
	p->dout = ab_malloc(sizeof(double) * n * K);
	p->dval = ab_malloc(sizeof(double) * n);
	mlp_ws_init(&p->wa, &a.actor, n);
	mlp_ws_init(&p->wc, &a.critic, n);
	for (int i = 0; i < n * D; i++)
		p->obs[i] = gsl_ran_gaussian(r, 1);
	const double *out = mlp_forward(&a.actor, a.p, p->obs, n, &p->wa);
	const double *v = NULL;
	sample(p, r, out, n, p->act, p->logp);
	v = mlp_forward(&a.critic, a.p + a.off_critic, p->obs, n, &p->wc);
	for (int i = 0; i < n; i++) {
		p->val[i] = v[i] + 0.3 * gsl_ran_gaussian(r, 1);
		p->adv[i] = gsl_ran_gaussian(r, 1);
		p->ret[i] = p->val[i] + p->adv[i];
	}
	for (size_t i = 0; i < a.nparams; i++)
		a.p[i] += 0.05 * gsl_ran_gaussian(r, 1);
	int ix[8];
	for (int i = 0; i < n; i++)
		ix[i] = i;
	double sums[5] = {0};
	minibatch(p, ix, n, sums);
	double *g = ab_malloc(sizeof(double) * a.nparams);
	memcpy(g, p->g, sizeof(double) * a.nparams);
	double worst = 0;
	for (size_t i = 0; i < a.nparams; i++) {
		double keep = a.p[i], h = 1e-6;
		a.p[i] = keep + h;
		double lp = minibatch(p, ix, n, sums);
		a.p[i] = keep - h;
		double lm = minibatch(p, ix, n, sums);
		a.p[i] = keep;
		double fd = (lp - lm) / (2 * h), err = fabs(fd - g[i]) / (fabs(fd) + fabs(g[i]) + 1e-6);
		if (err > worst)
			worst = err;
	}
	ok(worst < 1e-4, "ppo: %s loss gradient matches finite differences (worst relative %g)",
	   discrete ? "categorical" : "gaussian", worst);
	mlp_exact_tanh = 0;
	free(g);
	free(p->obs); free(p->act); free(p->logp); free(p->val); free(p->adv); free(p->ret);
	free(p->g); free(p->mb_obs); free(p->dout); free(p->dval);
	mlp_ws_free(&p->wa);
	mlp_ws_free(&p->wc);
	agent_free(&a);
	gsl_rng_free(r);
}

static void
test_sim(void)
{
	struct trade_rules r = {.fee = 0.001, .slip = 0.001, .fraction = 0.5};
	struct sim s;

	sim_init(&s, &r, 1.0);
	is_int(sim_decide(&s, 1, 100), 1, "sim: long from flat is a buy");
	ok(sim_pos(&s) == 0, "sim: nothing fills at the deciding close");
	is_int(sim_fill(&s, 101), 1, "sim: the buy fills at the next open");
	/* qty 0.5 * 1 / 100 = 0.005 at 101 * 1.001 = 101.101 */
	ok(fabs(s.units - 0.005) < 1e-15 && fabs(s.cash - (1 - 0.505505 - 0.000505505)) < 1e-12,
	   "sim: fraction of cash at the close, slipped open, fee on notional (cash %.12g)", s.cash);
	ok(fabs(sim_equity(&s, 102) - (s.cash + 0.51)) < 1e-12, "sim: equity marked at the close");
	is_int(sim_decide(&s, 1, 102), 0, "sim: long when long asks nothing");
	r.shorting = 1;
	is_int(sim_decide(&s, -1, 102), -1, "sim: a reversal starts with an exit");
	sim_fill(&s, 100);
	ok(s.units == 0 && fabs(s.cash - (0.493989495 + 0.005 * 99.9 * (1 - 0.001))) < 1e-12,
	   "sim: the exit closes everything at the slipped open, fee paid");
	r.fraction = 1;
	sim_decide(&s, 1, 100);
	is_int(sim_fill(&s, 100), -1, "sim: a buy the cash cannot cover with its fee is rejected");
	ok(s.units == 0, "sim: a rejected order changes nothing");
}

static void
test_dsr(void)
{
	struct reward_cfg rw = {.kind = REWARD_DSR, .scale = 1, .eta = 0.01, .warmup = 20};
	struct tenv te = {.rw = &rw};
	double d = 0;
	int finite = 1;

	for (int i = 0; i < 100; i++)
		finite &= isfinite(d = differential(&te, 0));
	ok(finite && d == 0, "dsr: a flat agent (zero returns, zero variance) gets 0, no division by zero");
	for (int i = 0; i < 50; i++)
		differential(&te, i % 2 ? 0.01 : -0.005);
	double A = te.A, B = te.B, R = 0.02;
	double want = (B * (R - A) - 0.5 * A * (R * R - B)) / pow(B - A * A, 1.5);
	d = differential(&te, R);
	ok(fabs(d - want) < 1e-12, "dsr: Moody & Saffell's D_t from the previous moments (%g)", d);
	ok(fabs(te.A - (A + 0.01 * (R - A))) < 1e-15 && fabs(te.B - (B + 0.01 * (R * R - B))) < 1e-15,
	   "dsr: the moments update after the reward");
	rw.kind = REWARD_SORTINO;
	double DD2 = te.DD2;
	A = te.A;
	R = -0.01;
	want = (DD2 * (R - 0.5 * A) - 0.5 * A * R * R) / (DD2 * sqrt(DD2));
	want = want < -10 ? -10 : want;
	ok(fabs(differential(&te, R) - want) < 1e-9, "sortino-dd: the downside version for a loss");
}

int
main(void)
{
	test_cartpole();
	test_tanh();
	test_mlp_grad();
	ppo_grad(1);
	ppo_grad(0);
	test_sim();
	test_dsr();
	return tap_done();
}
