/* cartpole.c: gymnasium's CartPole-v1 (Euler integration, 500-step limit). */
#include <math.h>
#include <stdlib.h>

#include "env.h"
#include "err.h"

#define GRAVITY 9.8
#define MASSCART 1.0
#define MASSPOLE 0.1
#define TOTAL_MASS (MASSPOLE + MASSCART)
#define LENGTH 0.5 /* half the pole's length */
#define POLEMASS_LENGTH (MASSPOLE * LENGTH)
#define FORCE_MAG 10.0
#define TAU 0.02
#define THETA_THRESHOLD (12 * 2 * M_PI / 360)
#define X_THRESHOLD 2.4

int
cartpole_dynamics(struct cartpole *c, int action)
{
	double force = action == 1 ? FORCE_MAG : -FORCE_MAG;
	double costheta = cos(c->theta), sintheta = sin(c->theta);
	double temp = (force + POLEMASS_LENGTH * c->theta_dot * c->theta_dot * sintheta) / TOTAL_MASS;
	double thetaacc = (GRAVITY * sintheta - costheta * temp) /
		(LENGTH * (4.0 / 3.0 - MASSPOLE * costheta * costheta / TOTAL_MASS));
	double xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS;

	/* Euler: positions move with the old velocities. */
	c->x = c->x + TAU * c->x_dot;
	c->x_dot = c->x_dot + TAU * xacc;
	c->theta = c->theta + TAU * c->theta_dot;
	c->theta_dot = c->theta_dot + TAU * thetaacc;
	c->steps++;
	return c->x < -X_THRESHOLD || c->x > X_THRESHOLD ||
	       c->theta < -THETA_THRESHOLD || c->theta > THETA_THRESHOLD;
}

/* gymnasium hands the agent float32 observations. */
static void
cp_observe(const struct cartpole *c, double *obs)
{
	obs[0] = (float)c->x;
	obs[1] = (float)c->x_dot;
	obs[2] = (float)c->theta;
	obs[3] = (float)c->theta_dot;
}

static void
cp_reset(struct env *e, gsl_rng *r, double *obs)
{
	struct cartpole *c = e->self;
	double *s[] = {&c->x, &c->x_dot, &c->theta, &c->theta_dot};

	for (int i = 0; i < 4; i++)
		*s[i] = -0.05 + 0.1 * gsl_rng_uniform(r);
	c->steps = 0;
	cp_observe(c, obs);
}

static void
cp_step(struct env *e, const double *act, double *obs, double *reward, int *terminated,
	int *truncated)
{
	struct cartpole *c = e->self;

	*terminated = cartpole_dynamics(c, (int)act[0]);
	*truncated = !*terminated && c->steps >= c->max_steps;
	*reward = 1.0;
	cp_observe(c, obs);
}

static void
cp_free(struct env *e)
{
	free(e->self);
}

void
cartpole_env(struct env *e, int max_steps)
{
	struct cartpole *c = ab_calloc(1, sizeof *c);

	c->max_steps = max_steps;
	e->obs_dim = 4;
	e->n_actions = 2;
	e->act_dim = 1;
	e->self = c;
	e->reset = cp_reset;
	e->step = cp_step;
	e->free = cp_free;
}
