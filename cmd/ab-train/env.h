/* env.h: the environment interface PPO drives, and the built-in environments.
 *
 * An env is one instance with its own state; reset and step write the next
 * observation into obs (obs_dim doubles). Discrete actions arrive as the
 * action's index in act[0]; continuous ones as act_dim raw (unclipped)
 * values, which the env clips. step sets *terminated (a terminal state: no
 * bootstrap) and *truncated (a time limit).
 */
#ifndef AB_TRAIN_ENV_H
#define AB_TRAIN_ENV_H

#include <gsl/gsl_rng.h>

struct env {
	int obs_dim;
	int n_actions;  /* discrete: number of actions; 0: continuous */
	int act_dim;    /* continuous: action dimensions */
	void *self;
	void (*reset)(struct env *e, gsl_rng *r, double *obs);
	void (*step)(struct env *e, const double *act, double *obs, double *reward,
		     int *terminated, int *truncated);
	void (*free)(struct env *e);
};

/* CartPole-v1 exactly as gymnasium: the state, one Euler step. */
struct cartpole {
	double x, x_dot, theta, theta_dot;
	int steps;        /* steps since reset, for the 500-step limit */
	int max_steps;
};
/* One step of the dynamics with action 0 (left) or 1 (right); returns 1 when
 * the new state is terminal. */
int cartpole_dynamics(struct cartpole *c, int action);
void cartpole_env(struct env *e, int max_steps);

#endif
