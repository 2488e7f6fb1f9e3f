/* ppo.h: proximal policy optimisation (CleanRL's ppo.py, in C on GSL).
 *
 * struct agent is the policy and value networks plus what inference needs
 * (observation statistics); struct ppo trains one. All parameters of both
 * networks (and the Gaussian log-std) live in one flat array, agent.p, which
 * is also the saved weights blob. Training is deterministic for a seed: one
 * gsl_rng (mt19937) drives initialisation, sampling and shuffling, and each
 * environment has its own, seeded seed + 1 + i.
 */
#ifndef AB_TRAIN_PPO_H
#define AB_TRAIN_PPO_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "env.h"
#include "mlp.h"

struct ppo_cfg {
	long long total_steps;
	int num_envs, num_steps, minibatches, epochs;
	double lr, gamma, lam, clip, ent_coef, vf_coef, max_grad_norm, target_kl;
	int anneal_lr, norm_adv, clip_vloss, norm_obs;
	int hidden[MLP_MAXL - 1], nhidden;
	unsigned long seed;
};

void ppo_cfg_default(struct ppo_cfg *c);

struct agent {
	int obs_dim, n_actions, act_dim;  /* n_actions 0: continuous */
	struct mlp actor, critic;
	size_t off_actor, off_logstd, off_critic, nparams;
	double *p;
	int norm_obs;
	double *obs_mean, *obs_var, obs_count;  /* running observation statistics */
	struct mlp_ws wa, wc;  /* inference workspaces (1 row) */
};

void agent_init(struct agent *a, int obs_dim, int n_actions, int act_dim, const int *hidden,
		int nhidden, int norm_obs);
void agent_free(struct agent *a);
/* Normalises a raw observation with the frozen statistics (clip +-10). */
void agent_normalise(const struct agent *a, const double *raw, double *out);
/* Greedy action for one raw observation: the argmax (discrete) or the mean. */
void agent_act(struct agent *a, const double *raw, double *act);

struct train_stats {
	int update;
	long long step, episodes;
	double mean_return;       /* episodes finished in this update (NaN: none) */
	double mean_return_100;   /* last 100 finished episodes (NaN: none yet) */
	double mean_length_100;
	double policy_loss, value_loss, entropy, approx_kl, clip_fraction;
	double explained_variance, lr, sps;
};

/* Called after each update; a non-zero return stops training with that code. */
typedef int (*ppo_report_fn)(void *ctx, const struct train_stats *s, struct agent *a);

/* Trains a (initialised here) on cfg->num_envs environments made by make(i). */
int ppo_train(const struct ppo_cfg *cfg, struct agent *a, struct env *envs,
	      ppo_report_fn report, void *ctx);

#endif
