/* ab-train: reinforcement learning: PPO, the trading environment, models. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candle.h"
#include "cli.h"
#include "err.h"
#include "timefmt.h"
#include "train.h"

void openblas_set_num_threads(int n);

enum { KEY_ENV = AB_KEY_FIRST_PROGRAM_KEY, KEY_EXCHANGE, KEY_SYMBOL, KEY_FEATURES, KEY_WINDOW,
	KEY_NORM_WINDOW, KEY_REWARD, KEY_REWARD_SCALE, KEY_DSR_ETA, KEY_FEE, KEY_SLIP, KEY_FRACTION,
	KEY_SHORT, KEY_CONTINUOUS, KEY_EPISODE_LEN, KEY_TRAIN_UNTIL, KEY_VALID_UNTIL, KEY_EVAL_EVERY,
	KEY_STEPS, KEY_ENVS, KEY_NUM_STEPS, KEY_MINIBATCHES, KEY_EPOCHS, KEY_LR, KEY_NO_ANNEAL,
	KEY_GAMMA, KEY_LAMBDA, KEY_CLIP, KEY_ENT, KEY_VF, KEY_MAX_GRAD, KEY_TARGET_KL,
	KEY_NO_CLIP_VLOSS, KEY_NO_NORM_ADV, KEY_NORM_OBS, KEY_HIDDEN, KEY_SEED, KEY_NAME, KEY_MODEL,
	KEY_FROM, KEY_TO, KEY_EPISODES };

static const struct ab_opt options[] = {
	AB_OPT_DB,
	{"env", KEY_ENV, "ENV", "ppo: cartpole or trading (default cartpole)"},
	{"exchange", KEY_EXCHANGE, "NAME", "candles from the database: the exchange"},
	{"symbol", KEY_SYMBOL, "BASE/QUOTE", "candles from the database: the symbol (else JSON lines from FILEs or stdin)"},
	{"timeframe", 't', "TF", "candles from the database: the timeframe"},
	{"features", KEY_FEATURES, "LIST", "trading: comma-separated candle fields or ret range body gap logvol (default ret)"},
	{"window", KEY_WINDOW, "N", "trading: candles of features in an observation (default 8)"},
	{"norm-window", KEY_NORM_WINDOW, "N", "trading: rolling normalisation length (default 500)"},
	{"reward", KEY_REWARD, "R", "trading: pnl, logret, dsr or sortino-dd (default pnl)"},
	{"reward-scale", KEY_REWARD_SCALE, "X", "trading: reward multiplier (default 100 for pnl/logret, 1 else)"},
	{"dsr-eta", KEY_DSR_ETA, "X", "trading: dsr/sortino-dd moment decay (default 0.01)"},
	{"fee", KEY_FEE, "RATE", "trading: fee per fill as a fraction of notional (default 0.001)"},
	{"slippage-bps", KEY_SLIP, "B", "trading: fills move B basis points against the trader (default 0)"},
	{"fraction", KEY_FRACTION, "F", "trading: an entry buys F of the cash, as ab-order --size fraction=F (default 0.99)"},
	{"short", KEY_SHORT, NULL, "trading: actions short/flat/long (default flat/long)"},
	{"continuous", KEY_CONTINUOUS, NULL, "trading: a Gaussian policy over a target position in [-1, 1]"},
	{"episode-len", KEY_EPISODE_LEN, "N", "trading: decisions per episode (default 1000)"},
	{"train-until", KEY_TRAIN_UNTIL, "T", "trading: train on candles before T"},
	{"valid-until", KEY_VALID_UNTIL, "T", "trading: validate on [train-until, T); test after"},
	{"eval-every", KEY_EVAL_EVERY, "N", "trading: validate every N updates (default 10)"},
	{"steps", KEY_STEPS, "N", "ppo: total environment steps (default 500000)"},
	{"envs", KEY_ENVS, "N", "ppo: parallel environments (default 4)"},
	{"num-steps", KEY_NUM_STEPS, "N", "ppo: steps per environment per rollout (default 128)"},
	{"minibatches", KEY_MINIBATCHES, "N", "ppo: minibatches per epoch (default 4)"},
	{"epochs", KEY_EPOCHS, "N", "ppo: epochs per update (default 4)"},
	{"lr", KEY_LR, "X", "ppo: Adam learning rate (default 2.5e-4)"},
	{"no-anneal", KEY_NO_ANNEAL, NULL, "ppo: keep the learning rate constant"},
	{"gamma", KEY_GAMMA, "X", "ppo: discount (default 0.99)"},
	{"lambda", KEY_LAMBDA, "X", "ppo: GAE lambda (default 0.95)"},
	{"clip", KEY_CLIP, "X", "ppo: surrogate and value clip (default 0.2)"},
	{"ent-coef", KEY_ENT, "X", "ppo: entropy coefficient (default 0.01)"},
	{"vf-coef", KEY_VF, "X", "ppo: value loss coefficient (default 0.5)"},
	{"max-grad-norm", KEY_MAX_GRAD, "X", "ppo: global gradient norm clip (default 0.5)"},
	{"target-kl", KEY_TARGET_KL, "X", "ppo: stop an update's epochs beyond this KL (default none)"},
	{"no-clip-vloss", KEY_NO_CLIP_VLOSS, NULL, "ppo: plain squared-error value loss"},
	{"no-norm-adv", KEY_NO_NORM_ADV, NULL, "ppo: no per-minibatch advantage normalisation"},
	{"norm-obs", KEY_NORM_OBS, NULL, "ppo: running observation normalisation"},
	{"hidden", KEY_HIDDEN, "LIST", "ppo: hidden layer widths (default 64,64)"},
	{"seed", KEY_SEED, "S", "ppo: random seed (default 1)"},
	{"name", KEY_NAME, "NAME", "ppo: store the model under NAME (default: the env's name)"},
	{"model", KEY_MODEL, "NAME[@V]", "eval, act: the model, NAME@VERSION or NAME@TAG"},
	{"from", KEY_FROM, "T", "eval: from time T (default: the model's test period)"},
	{"to", KEY_TO, "T", "eval: up to time T, excluded"},
	{"episodes", KEY_EPISODES, "N", "eval cartpole: episodes (default 10)"},
	{"quiet", 'q', NULL, "ppo: print no train records"},
	{0},
};

static const char *const command_names[] = {"ppo", "eval", "act", "models", NULL};

struct ctx {
	struct ppo_cfg cfg;
	const char *db_path, *env, *exchange, *symbol, *tf, *name, *model;
	struct feat_spec spec;
	struct trade_rules rules;
	struct reward_cfg rw;
	int episode_len, eval_every, quiet, episodes;
	int64_t train_until, valid_until, from, to;
	int has_train_until, has_valid_until, has_from, has_to, has_scale;
	char **args;
	int nargs;
	int argc;
	char **argv;
	struct ab_out out;
	struct ab_db *db;
	struct ab_run run;
};

static int
open_db(struct ctx *x)
{
	int code;
	if (x->db)
		return 0;
	if ((code = ab_db_open(x->db_path, &x->db)))
		return code;
	ab_runs_start(&x->run, x->db, "ab-train", x->argc, x->argv);
	return 0;
}

static int
parse_features(struct ctx *x, const char *list)
{
	char *t = ab_strdup(list), *save = NULL;
	int code = 0;
	x->spec.n = 0;
	for (char *f = strtok_r(t, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		if (x->spec.n == FEAT_MAX || strlen(f) >= sizeof x->spec.name[0]) {
			code = ab_err(AB_EUSAGE, "--features: at most %d names of up to 47 bytes", FEAT_MAX);
			break;
		}
		snprintf(x->spec.name[x->spec.n++], sizeof x->spec.name[0], "%s", f);
	}
	free(t);
	if (!code && x->spec.n == 0)
		code = ab_err(AB_EUSAGE, "--features: no names in \"%s\"", list);
	return code;
}

/* Candles (one market) from the database or JSON lines, with features. */
static int
load_market(struct ctx *x, const struct feat_spec *spec, struct market *m)
{
	struct feat_state fs;
	size_t cap = 0;
	int code = 0;
	char msg[200];
	double *z = ab_malloc(sizeof(double) * (spec->n ? spec->n : 1));

	memset(m, 0, sizeof *m);
	feat_init(&fs, spec);
#define GROW() do { if ((size_t)m->n == cap) { cap = cap ? cap * 2 : 4096; \
		m->ts = ab_realloc(m->ts, cap * sizeof *m->ts); \
		m->open = ab_realloc(m->open, cap * sizeof *m->open); \
		m->close = ab_realloc(m->close, cap * sizeof *m->close); \
		m->ready = ab_realloc(m->ready, cap); \
		m->z = ab_realloc(m->z, cap * spec->n * sizeof *m->z); } } while (0)
	if (x->symbol) {
		sqlite3_stmt *st;
		int rc;
		for (int k = 0; k < spec->n; k++)
			if (!feat_is_builtin(spec->name[k])) {
				code = ab_err(AB_EUSAGE, "feature \"%s\" is not in the candles table: "
					      "pipe candles through ab-signal as JSON lines instead", spec->name[k]);
				goto out;
			}
		if (!x->exchange || !x->tf) {
			code = ab_err(AB_EUSAGE, "--symbol needs --exchange and -t");
			goto out;
		}
		if ((code = open_db(x)))
			goto out;
		if ((code = ab_db_prepare(x->db, "SELECT ts, open, high, low, close, volume FROM candles "
					  "WHERE exchange = ? AND symbol = ? AND tf = ? ORDER BY ts", &st)))
			goto out;
		sqlite3_bind_text(st, 1, x->exchange, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, x->symbol, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, x->tf, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			GROW();
			double v[5];
			for (int i = 0; i < 5; i++)
				v[i] = sqlite3_column_double(st, i + 1);
			m->ts[m->n] = sqlite3_column_int64(st, 0);
			m->open[m->n] = v[0];
			m->close[m->n] = v[3];
			m->ready[m->n] = feat_push(&fs, NULL, m->ts[m->n], v[0], v[1], v[2], v[3], v[4],
						   m->z + (size_t)m->n * spec->n, msg, sizeof msg) == 1;
			m->n++;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			code = ab_db_fail(x->db, rc, "reading candles");
			goto out;
		}
	} else {
		struct ab_lines in;
		struct ab_jrec rec;
		struct ab_candle c;
		const char *line;
		size_t len;
		int r;
		char sym[64] = "";
		ab_lines_init(&in, x->args, x->nargs);
		ab_jrec_init(&rec);
		while ((r = ab_lines_next(&in, &line, &len)) > 0) {
			if (len == 0)
				continue;
			if (ab_jrec_parse(&rec, line, len)) {
				code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", rec.err);
				break;
			}
			int k = ab_candle_from_jrec(&rec, &c, msg, sizeof msg);
			if (k == 1)
				continue;
			if (k < 0) {
				code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", msg);
				break;
			}
			if (!sym[0]) {
				snprintf(sym, sizeof sym, "%.*s", (int)c.symbol_len, c.symbol);
			} else if (strlen(sym) != c.symbol_len || memcmp(sym, c.symbol, c.symbol_len)) {
				code = ab_err_at(AB_EDATA, in.name, in.lineno, "one market at a time: \"%.*s\" after \"%s\"",
						 (int)c.symbol_len, c.symbol, sym);
				break;
			}
			if (m->n && c.ts <= m->ts[m->n - 1]) {
				code = ab_err_at(AB_EDATA, in.name, in.lineno, "candles out of order: time does not increase");
				break;
			}
			GROW();
			m->ts[m->n] = c.ts;
			m->open[m->n] = c.open;
			m->close[m->n] = c.close;
			int fr = feat_push(&fs, &rec, c.ts, c.open, c.high, c.low, c.close, c.volume,
					   m->z + (size_t)m->n * spec->n, msg, sizeof msg);
			if (fr < 0) {
				code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", msg);
				break;
			}
			m->ready[m->n] = fr == 1;
			m->n++;
		}
		if (r < 0)
			code = in.status;
		ab_lines_free(&in);
		ab_jrec_free(&rec);
	}
	for (int k = 0; k < spec->n && !code && m->n > 0; k++)
		if (!fs.seen[k])
			code = ab_err(AB_EDATA, "no candle has the feature \"%s\"", spec->name[k]);
	if (!code && m->n >= 2)
		m->tf_ms = m->ts[1] - m->ts[0];
out:
	feat_free(&fs);
	free(z);
	return code;
}

static int
lower_bound(const struct market *m, int64_t t)
{
	int lo = 0, hi = m->n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (m->ts[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct greedy {
	struct agent *a;
	const struct trade_rules *r;
};

static int
greedy_policy(void *ctx, const double *obs)
{
	struct greedy *g = ctx;
	double act[4];
	agent_act(g->a, obs, act);
	return trade_target(g->r, act[0]);
}

static int
const_policy(void *ctx, const double *obs)
{
	(void)obs;
	return *(int *)ctx;
}

static void
eval_json(struct sbuf *b, const struct eval_result *e)
{
	sb_add(b, "{\"return\":");
	sb_num(b, e->ret);
	sb_add(b, ",\"sharpe\":");
	sb_num(b, e->sharpe);
	sb_add(b, ",\"max_drawdown\":");
	sb_num(b, e->max_dd);
	sb_add(b, ",\"turnover\":");
	sb_num(b, e->turnover);
	sb_add(b, ",\"fills\":%ld,\"candles\":%ld}", e->fills, e->candles);
}

/* Training state shared with the per-update report. */
struct run {
	struct ctx *x;
	struct train_stats *hist;
	double *valid;
	int nhist, caphist;
	/* trading */
	const struct market *m;
	int valid_lo, valid_hi;
	double best;
	double *best_p, *best_mean, *best_var, best_count;
	int have_best;
	struct eval_result best_eval;
};

static int
report(void *ctx, const struct train_stats *s, struct agent *a)
{
	struct run *R = ctx;
	struct ctx *x = R->x;
	double vs = NAN;

	if (R->m && R->valid_hi - R->valid_lo > 2 &&
	    (s->update % x->eval_every == 0 || s->step + (long long)x->cfg.num_envs * x->cfg.num_steps > x->cfg.total_steps)) {
		struct greedy g = {a, &x->rules};
		struct eval_result e;
		trading_eval(R->m, &x->spec, &x->rules, R->valid_lo, R->valid_hi, greedy_policy, &g, &e);
		vs = e.ret;
		if (!R->have_best || vs > R->best) {
			R->have_best = 1;
			R->best = vs;
			R->best_eval = e;
			memcpy(R->best_p, a->p, sizeof(double) * a->nparams);
			memcpy(R->best_mean, a->obs_mean, sizeof(double) * a->obs_dim);
			memcpy(R->best_var, a->obs_var, sizeof(double) * a->obs_dim);
			R->best_count = a->obs_count;
		}
	}
	if (R->nhist == R->caphist) {
		R->caphist = R->caphist ? R->caphist * 2 : 1024;
		R->hist = ab_realloc(R->hist, sizeof *R->hist * R->caphist);
		R->valid = ab_realloc(R->valid, sizeof *R->valid * R->caphist);
	}
	R->hist[R->nhist] = *s;
	R->valid[R->nhist++] = vs;
	if (x->quiet)
		return 0;
	struct ab_out *o = &x->out;
	ab_out_begin(o);
	ab_out_kstr(o, "type", "train");
	ab_out_kstr(o, "env", x->env);
	ab_out_kint(o, "seed", (long long)x->cfg.seed);
	ab_out_kint(o, "update", s->update);
	ab_out_kint(o, "step", s->step);
	ab_out_kint(o, "episodes", s->episodes);
	ab_out_knum(o, "mean_return", s->mean_return);
	ab_out_knum(o, "mean_return_100", s->mean_return_100);
	ab_out_knum(o, "policy_loss", s->policy_loss);
	ab_out_knum(o, "value_loss", s->value_loss);
	ab_out_knum(o, "entropy", s->entropy);
	ab_out_knum(o, "approx_kl", s->approx_kl);
	ab_out_knum(o, "clip_fraction", s->clip_fraction);
	ab_out_knum(o, "explained_variance", s->explained_variance);
	ab_out_knum(o, "lr", s->lr);
	ab_out_knum(o, "sps", s->sps);
	if (!isnan(vs))
		ab_out_knum(o, "valid_return", vs);
	ab_out_end(o);
	return ab_out_failed(o) ? AB_EIO : 0;
}

static void
hyper_json(struct ctx *x, const struct agent *a, struct sbuf *b)
{
	const struct ppo_cfg *c = &x->cfg;
	sb_add(b, "{\"algo\":\"ppo\",\"env\":");
	sb_str(b, x->env);
	sb_add(b, ",\"obs_dim\":%d,\"n_actions\":%d,\"act_dim\":%d,\"hidden\":[", a->obs_dim,
	       a->n_actions, a->act_dim);
	for (int i = 0; i < c->nhidden; i++)
		sb_add(b, "%s%d", i ? "," : "", c->hidden[i]);
	sb_add(b, "],\"norm_obs\":%d,\"total_steps\":%lld,\"num_envs\":%d,\"num_steps\":%d,"
	       "\"minibatches\":%d,\"epochs\":%d,\"lr\":", c->norm_obs, c->total_steps, c->num_envs,
	       c->num_steps, c->minibatches, c->epochs);
	sb_num(b, c->lr);
	sb_add(b, ",\"anneal_lr\":%d,\"gamma\":", c->anneal_lr);
	sb_num(b, c->gamma);
	sb_add(b, ",\"lambda\":");
	sb_num(b, c->lam);
	sb_add(b, ",\"clip\":");
	sb_num(b, c->clip);
	sb_add(b, ",\"ent_coef\":");
	sb_num(b, c->ent_coef);
	sb_add(b, ",\"vf_coef\":");
	sb_num(b, c->vf_coef);
	sb_add(b, ",\"max_grad_norm\":");
	sb_num(b, c->max_grad_norm);
	sb_add(b, ",\"target_kl\":");
	sb_num(b, c->target_kl > 0 ? c->target_kl : NAN);
	sb_add(b, ",\"clip_vloss\":%d,\"norm_adv\":%d,\"seed\":%lu", c->clip_vloss, c->norm_adv, c->seed);
	if (strcmp(x->env, "trading") == 0) {
		sb_add(b, ",\"reward\":\"%s\",\"reward_scale\":", reward_name(x->rw.kind));
		sb_num(b, x->rw.scale);
		sb_add(b, ",\"dsr_eta\":");
		sb_num(b, x->rw.eta);
		sb_add(b, ",\"fee\":");
		sb_num(b, x->rules.fee);
		sb_add(b, ",\"slippage\":");
		sb_num(b, x->rules.slip);
		sb_add(b, ",\"fraction\":");
		sb_num(b, x->rules.fraction);
		sb_add(b, ",\"shorting\":%d,\"continuous\":%d,\"episode_len\":%d", x->rules.shorting,
		       x->rules.continuous, x->episode_len);
		if (x->symbol) {
			sb_add(b, ",\"exchange\":");
			sb_str(b, x->exchange);
			sb_add(b, ",\"symbol\":");
			sb_str(b, x->symbol);
			sb_add(b, ",\"tf\":");
			sb_str(b, x->tf);
		}
		char ts[40];
		if (x->has_train_until) {
			ts[ab_time_format(x->train_until, ts)] = 0;
			sb_add(b, ",\"train_until\":\"%s\"", ts);
		}
		if (x->has_valid_until) {
			ts[ab_time_format(x->valid_until, ts)] = 0;
			sb_add(b, ",\"valid_until\":\"%s\"", ts);
		}
	}
	sb_add(b, "}");
}

static int
cmd_ppo(struct ctx *x)
{
	struct market m = {0};
	struct agent a;
	struct env *envs;
	struct run R = {0};
	int code, N = x->cfg.num_envs;
	int trading = strcmp(x->env, "trading") == 0;
	int train_hi = 0;
	int64_t started = ab_now_ms();

	if (!trading && strcmp(x->env, "cartpole") != 0)
		return ab_err(AB_EUSAGE, "--env: \"%s\" is not cartpole or trading", x->env);
	if ((long long)N * x->cfg.num_steps % x->cfg.minibatches != 0 ||
	    (long long)N * x->cfg.num_steps < x->cfg.minibatches)
		return ab_err(AB_EUSAGE, "--envs x --num-steps must be a multiple of --minibatches");
	if (x->cfg.total_steps < (long long)N * x->cfg.num_steps)
		return ab_err(AB_EUSAGE, "--steps must cover one rollout (%d)", N * x->cfg.num_steps);
	if ((code = open_db(x)))
		return code;
	if (!x->name)
		x->name = x->env;
	envs = ab_calloc((size_t)N, sizeof *envs);
	if (trading) {
		if (!x->has_scale)
			x->rw.scale = x->rw.kind == REWARD_PNL || x->rw.kind == REWARD_LOGRET ? 100 : 1;
		if ((code = load_market(x, &x->spec, &m)))
			goto out;
		train_hi = x->has_train_until ? lower_bound(&m, x->train_until) : m.n;
		int valid_hi = x->has_valid_until ? lower_bound(&m, x->valid_until) : m.n;
		int first = 0;
		double *probe = ab_malloc(sizeof(double) * trading_obs_dim(&x->spec));
		while (first < train_hi && !trading_obs(&m, &x->spec, first, 0, probe))
			first++;
		free(probe);
		if (train_hi - first < 3) {
			code = ab_err(AB_EDATA, "too few training candles with every feature ready (%d; "
				      "the window needs %d, normalisation 2 more)", train_hi - first > 0 ? train_hi - first : 0,
				      x->spec.window);
			goto out;
		}
		if (x->episode_len > train_hi - first - 1)
			x->episode_len = train_hi - first - 1;
		R.m = &m;
		R.valid_lo = train_hi;
		R.valid_hi = valid_hi > train_hi ? valid_hi : train_hi;
		for (int i = 0; i < N; i++)
			trading_env(&envs[i], &m, &x->spec, &x->rules, &x->rw, 0, train_hi, x->episode_len);
	} else {
		for (int i = 0; i < N; i++)
			cartpole_env(&envs[i], 500);
	}
	agent_init(&a, envs[0].obs_dim, envs[0].n_actions, envs[0].act_dim, x->cfg.hidden,
		   x->cfg.nhidden, x->cfg.norm_obs);
	R.x = x;
	R.best_p = ab_malloc(sizeof(double) * a.nparams);
	R.best_mean = ab_malloc(sizeof(double) * a.obs_dim);
	R.best_var = ab_malloc(sizeof(double) * a.obs_dim);
	code = ppo_train(&x->cfg, &a, envs, report, &R);
	if (!code && R.have_best) {
		memcpy(a.p, R.best_p, sizeof(double) * a.nparams);
		memcpy(a.obs_mean, R.best_mean, sizeof(double) * a.obs_dim);
		memcpy(a.obs_var, R.best_var, sizeof(double) * a.obs_dim);
		a.obs_count = R.best_count;
	}
	if (!code) {
		struct model md = {0};
		struct sbuf hy = {0}, fe = {0}, no = {0}, tm = {0}, vm = {0};
		const struct train_stats *last = R.nhist ? &R.hist[R.nhist - 1] : NULL;
		hyper_json(x, &a, &hy);
		if (trading) {
			sb_add(&fe, "{\"names\":[");
			for (int k = 0; k < x->spec.n; k++) {
				sb_add(&fe, k ? "," : "");
				sb_str(&fe, x->spec.name[k]);
			}
			sb_add(&fe, "],\"window\":%d,\"norm_window\":%d,\"position\":true}", x->spec.window,
			       x->spec.norm_window);
		} else {
			sb_add(&fe, "{\"obs\":[\"x\",\"x_dot\",\"theta\",\"theta_dot\"]}");
		}
		sb_add(&no, "{\"count\":");
		sb_num(&no, a.obs_count);
		sb_add(&no, ",\"mean\":[");
		for (int i = 0; i < a.obs_dim; i++) {
			sb_add(&no, i ? "," : "");
			sb_num(&no, a.obs_mean[i]);
		}
		sb_add(&no, "],\"var\":[");
		for (int i = 0; i < a.obs_dim; i++) {
			sb_add(&no, i ? "," : "");
			sb_num(&no, a.obs_var[i]);
		}
		sb_add(&no, "]}");
		sb_add(&tm, "{\"steps\":%lld,\"episodes\":%lld,\"mean_return_100\":", last ? last->step : 0,
		       last ? last->episodes : 0);
		sb_num(&tm, last ? last->mean_return_100 : NAN);
		sb_add(&tm, ",\"seconds\":");
		sb_num(&tm, (ab_now_ms() - started) / 1000.0);
		sb_add(&tm, "}");
		if (R.have_best) {
			struct eval_result bh;
			int one = 1;
			trading_eval(&m, &x->spec, &x->rules, R.valid_lo, R.valid_hi, const_policy, &one, &bh);
			eval_json(&vm, &R.best_eval);
			vm.n--; /* reopen the object */
			sb_add(&vm, ",\"buy_and_hold_return\":");
			sb_num(&vm, bh.ret);
			sb_add(&vm, "}");
		} else {
			sb_add(&vm, "{}");
		}
		md.name = (char *)x->name;
		md.env = (char *)x->env;
		md.hyper = hy.p;
		md.features = fe.p;
		md.norm = no.p;
		md.train_metrics = tm.p;
		md.valid_metrics = vm.p;
		md.weights = (unsigned char *)a.p;
		md.nweights = a.nparams * sizeof(double);
		md.created = ab_now_ms();
		sqlite3_stmt *st = NULL;
		int rc = SQLITE_DONE;
		int64_t tr = 0;
		if (!(code = ab_db_begin(x->db)) && !(code = models_insert(x->db, &md)) &&
		    !(code = ab_db_prepare(x->db, "INSERT INTO train_runs (run_id, model_id, env, seed, steps, "
					   "hyper, started, finished, seconds, mean_return_100) VALUES (?,?,?,?,?,?,?,?,?,?)", &st))) {
			if (x->run.id)
				sqlite3_bind_int64(st, 1, x->run.id);
			sqlite3_bind_int64(st, 2, md.id);
			sqlite3_bind_text(st, 3, x->env, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, (sqlite3_int64)x->cfg.seed);
			sqlite3_bind_int64(st, 5, last ? last->step : 0);
			sqlite3_bind_text(st, 6, hy.p, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 7, started);
			sqlite3_bind_int64(st, 8, md.created);
			sqlite3_bind_double(st, 9, (md.created - started) / 1000.0);
			if (last && !isnan(last->mean_return_100))
				sqlite3_bind_double(st, 10, last->mean_return_100);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			tr = sqlite3_last_insert_rowid(x->db->h);
			if (rc != SQLITE_DONE)
				code = ab_db_fail(x->db, rc, "storing the training run");
		}
		if (!code && !(code = ab_db_prepare(x->db, "INSERT INTO train_metrics VALUES "
						    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &st))) {
			for (int i = 0; i < R.nhist && !code; i++) {
				const struct train_stats *s = &R.hist[i];
				double v[] = {s->mean_return, s->mean_return_100, s->policy_loss, s->value_loss,
					s->entropy, s->approx_kl, s->clip_fraction, s->explained_variance, s->sps,
					R.valid[i]};
				sqlite3_reset(st);
				sqlite3_bind_int64(st, 1, tr);
				sqlite3_bind_int(st, 2, s->update);
				sqlite3_bind_int64(st, 3, s->step);
				sqlite3_bind_int64(st, 4, s->episodes);
				for (int k = 0; k < 10; k++)
					if (isfinite(v[k]))
						sqlite3_bind_double(st, 5 + k, v[k]);
					else
						sqlite3_bind_null(st, 5 + k);
				if ((rc = sqlite3_step(st)) != SQLITE_DONE)
					code = ab_db_fail(x->db, rc, "storing training metrics");
			}
			sqlite3_finalize(st);
		}
		if (!code)
			code = ab_db_commit(x->db);
		if (code) {
			ab_db_rollback(x->db);
		} else {
			struct ab_out *o = &x->out;
			ab_out_begin(o);
			ab_out_kstr(o, "type", "model");
			ab_out_kstr(o, "name", md.name);
			ab_out_kint(o, "version", md.version);
			ab_out_kstr(o, "env", x->env);
			ab_out_kstr(o, "sha256", md.sha256);
			ab_out_kint(o, "train_run", tr);
			ab_out_knum(o, "mean_return_100", last ? last->mean_return_100 : NAN);
			if (R.have_best)
				ab_out_knum(o, "valid_return", R.best);
			ab_out_end(o);
		}
		sb_free(&hy); sb_free(&fe); sb_free(&no); sb_free(&tm); sb_free(&vm);
	}
	free(R.best_p);
	free(R.best_mean);
	free(R.best_var);
	free(R.hist);
	free(R.valid);
	agent_free(&a);
out:
	for (int i = 0; i < N; i++)
		if (envs[i].free)
			envs[i].free(&envs[i]);
	free(envs);
	market_free(&m);
	return code;
}

static void
out_eval(struct ctx *x, const char *model, const char *strategy, const struct eval_result *e)
{
	struct ab_out *o = &x->out;
	ab_out_begin(o);
	ab_out_kstr(o, "type", "eval");
	ab_out_kstr(o, "model", model);
	ab_out_kstr(o, "strategy", strategy);
	if (e->candles) {
		ab_out_ktime(o, "from", e->from);
		ab_out_ktime(o, "to", e->to);
	}
	ab_out_kint(o, "candles", e->candles);
	ab_out_knum(o, "return", e->ret);
	ab_out_knum(o, "sharpe", e->sharpe);
	ab_out_knum(o, "max_drawdown", e->max_dd);
	ab_out_knum(o, "turnover", e->turnover);
	ab_out_kint(o, "fills", e->fills);
	ab_out_end(o);
}

static int
load_model(struct ctx *x, struct model *md, struct agent *a)
{
	int code;
	if (!x->model)
		return ab_err(AB_EUSAGE, "--model NAME[@VERSION] is required");
	if ((code = open_db(x)) || (code = models_load(x->db, x->model, md)))
		return code;
	if ((code = model_agent(md, a)))
		model_free(md);
	return code;
}

static int
cmd_eval(struct ctx *x)
{
	struct model md;
	struct agent a;
	struct market m = {0};
	char ref[300];
	int code;

	if ((code = load_model(x, &md, &a)))
		return code;
	snprintf(ref, sizeof ref, "%s@%d", md.name, md.version);
	if (strcmp(md.env, "cartpole") == 0) {
		struct env e;
		gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
		double obs[4], act[1], rew, sum = 0;
		gsl_rng_set(r, x->cfg.seed);
		cartpole_env(&e, 500);
		for (int ep = 0; ep < x->episodes; ep++) {
			int term = 0, trunc = 0;
			double ret = 0;
			e.reset(&e, r, obs);
			while (!term && !trunc) {
				agent_act(&a, obs, act);
				e.step(&e, act, obs, &rew, &term, &trunc);
				ret += rew;
			}
			sum += ret;
		}
		ab_out_begin(&x->out);
		ab_out_kstr(&x->out, "type", "eval");
		ab_out_kstr(&x->out, "model", ref);
		ab_out_kint(&x->out, "episodes", x->episodes);
		ab_out_knum(&x->out, "mean_return", sum / x->episodes);
		ab_out_end(&x->out);
		e.free(&e);
		gsl_rng_free(r);
		goto out;
	}
	if ((code = model_trading(&md, &x->spec, &x->rules)))
		goto out;
	jv h = jv_parse(md.hyper);
	if (!x->symbol && x->nargs == 0) {
		/* default to the market the model was trained on */
		jv s = jv_object_get(jv_copy(h), jv_string("symbol"));
		if (jv_get_kind(s) == JV_KIND_STRING) {
			static char ex[64], sy[64], tf[16];
			jv e = jv_object_get(jv_copy(h), jv_string("exchange"));
			jv t = jv_object_get(jv_copy(h), jv_string("tf"));
			snprintf(sy, sizeof sy, "%s", jv_string_value(s));
			snprintf(ex, sizeof ex, "%s", jv_get_kind(e) == JV_KIND_STRING ? jv_string_value(e) : "");
			snprintf(tf, sizeof tf, "%s", jv_get_kind(t) == JV_KIND_STRING ? jv_string_value(t) : "");
			x->symbol = sy;
			x->exchange = ex;
			x->tf = tf;
			jv_free(e);
			jv_free(t);
		}
		jv_free(s);
	}
	if (!x->has_from) {
		/* default to the held-out test period */
		jv v = jv_object_get(jv_copy(h), jv_string("valid_until"));
		if (jv_get_kind(v) == JV_KIND_STRING && ab_time_parse_str(jv_string_value(v), &x->from) == 0)
			x->has_from = 1;
		jv_free(v);
	}
	jv_free(h);
	if ((code = load_market(x, &x->spec, &m)))
		goto out;
	int lo = x->has_from ? lower_bound(&m, x->from) : 0;
	int hi = x->has_to ? lower_bound(&m, x->to) : m.n;
	if (hi - lo < 2) {
		code = ab_err(AB_EDATA, "no candles to evaluate on in that period");
		goto out;
	}
	struct greedy g = {&a, &x->rules};
	struct eval_result e;
	int one = 1, zero = 0;
	trading_eval(&m, &x->spec, &x->rules, lo, hi, greedy_policy, &g, &e);
	out_eval(x, ref, "model", &e);
	trading_eval(&m, &x->spec, &x->rules, lo, hi, const_policy, &one, &e);
	out_eval(x, ref, "buy-and-hold", &e);
	trading_eval(&m, &x->spec, &x->rules, lo, hi, const_policy, &zero, &e);
	out_eval(x, ref, "flat", &e);
out:
	market_free(&m);
	agent_free(&a);
	model_free(&md);
	return code;
}

/* act: the same features, window, position and fills as the environment,
 * one candle at a time; a decision that changes the position becomes a
 * "signal" on the candle whose close decided it. */
static int
cmd_act(struct ctx *x)
{
	struct model md;
	struct agent a;
	struct feat_state fs;
	struct sim s;
	struct ab_lines in;
	struct ab_jrec rec;
	struct ab_candle c;
	const char *line, *skip[] = {"signal"};
	size_t len;
	int code, r;
	char msg[200], tf[16] = "";

	if ((code = load_model(x, &md, &a)))
		return code;
	if ((code = model_trading(&md, &x->spec, &x->rules))) {
		agent_free(&a);
		model_free(&md);
		return code;
	}
	jv h = jv_parse(md.hyper);
	jv t = jv_object_get(jv_copy(h), jv_string("tf"));
	if (jv_get_kind(t) == JV_KIND_STRING)
		snprintf(tf, sizeof tf, "%s", jv_string_value(t));
	jv_free(t);
	jv_free(h);
	int n = x->spec.n, W = x->spec.window;
	double *ring = ab_calloc((size_t)n * W, sizeof(double)), *obs = ab_malloc(sizeof(double) * (n * W + 1));
	double *z = ab_malloc(sizeof(double) * n);
	long filled = 0;
	int head = 0;
	feat_init(&fs, &x->spec);
	sim_init(&s, &x->rules, 1.0);
	ab_lines_init(&in, x->args, x->nargs);
	ab_jrec_init(&rec);
	while ((r = ab_lines_next(&in, &line, &len)) > 0) {
		if (len == 0)
			continue;
		if (ab_jrec_parse(&rec, line, len)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", rec.err);
			break;
		}
		x->run.records_in++;
		int k = ab_candle_from_jrec(&rec, &c, msg, sizeof msg);
		if (k == 1) {
			ab_out_jrec(&x->out, &rec);
			continue;
		}
		if (k < 0) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", msg);
			break;
		}
		if (tf[0] && (strlen(tf) != c.tf_len || memcmp(tf, c.tf, c.tf_len))) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "model \"%s\" was trained on %s candles, not %.*s",
					 x->model, tf, (int)c.tf_len, c.tf);
			break;
		}
		for (int f = 0; f < n && !code; f++)
			if (!feat_is_builtin(x->spec.name[f]) && !ab_jrec_get(&rec, x->spec.name[f]))
				code = ab_err_at(AB_EDATA, in.name, in.lineno, "model \"%s\" needs the feature \"%s\", "
						 "which this candle lacks", x->model, x->spec.name[f]);
		if (code)
			break;
		sim_fill(&s, c.open);
		int ready = feat_push(&fs, &rec, c.ts, c.open, c.high, c.low, c.close, c.volume, z, msg, sizeof msg);
		if (ready < 0) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", msg);
			break;
		}
		int side = 0;
		if (ready) {
			memcpy(ring + (size_t)head * n, z, sizeof(double) * n);
			head = (head + 1) % W;
			filled++;
		} else {
			filled = 0;
		}
		if (filled >= W) {
			for (int i = 0; i < W; i++)
				memcpy(obs + (size_t)i * n, ring + (size_t)((head + i) % W) * n, sizeof(double) * n);
			obs[n * W] = sim_pos(&s);
			double act[4];
			agent_act(&a, obs, act);
			side = sim_decide(&s, trade_target(&x->rules, act[0]), c.close);
		} else {
			sim_decide(&s, 0, c.close);
		}
		ab_out_begin_from(&x->out, &rec, skip, 1);
		if (side)
			ab_out_kstr(&x->out, "signal", side > 0 ? "buy" : "sell");
		ab_out_end(&x->out);
		x->run.records_out++;
		if (ab_out_failed(&x->out))
			break;
	}
	if (r < 0)
		code = in.status;
	ab_lines_free(&in);
	ab_jrec_free(&rec);
	feat_free(&fs);
	free(ring);
	free(obs);
	free(z);
	agent_free(&a);
	model_free(&md);
	return code;
}

static int
parse_hidden(struct ctx *x, const char *s)
{
	char *t = ab_strdup(s), *save = NULL;
	int n = 0, code = 0;
	for (char *f = strtok_r(t, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char *end;
		long v = strtol(f, &end, 10);
		if (*end || v < 1 || v > 4096 || n == MLP_MAXL - 1) {
			code = ab_err(AB_EUSAGE, "--hidden: \"%s\" is not up to %d widths in 1..4096", s, MLP_MAXL - 1);
			break;
		}
		x->cfg.hidden[n++] = (int)v;
	}
	free(t);
	if (!code && n == 0)
		code = ab_err(AB_EUSAGE, "--hidden: no widths");
	x->cfg.nhidden = n;
	return code;
}

int
main(int argc, char **argv)
{
	struct ab_cli cli;
	struct ctx x = {0};
	const char *cmd = NULL;
	int key, code = 0;
	long long v;
	double d;

	openblas_set_num_threads(1);
	ab_cli_init(&cli, "ab-train", argc, argv, options);
	cli.usage = "ppo [--env cartpole|trading] [--seed S] [--steps N] [--name NAME] [hyper-parameters...]\n"
		    "ppo --env trading [FILE... | --db FILE --exchange E --symbol S -t TF] [--features LIST] [--reward R]\n"
		    "eval --model NAME[@V] [FILE... | --exchange E --symbol S -t TF] [--from T] [--to T]\n"
		    "act --model NAME[@V] [FILE...]\n"
		    "models [list | show NAME[@V] | rm NAME@V | tag NAME@V TAG | export NAME@V FILE | import FILE]";
	cli.description = "Trains PPO agents (CleanRL's defaults) on CartPole or a trading environment\n"
			  "built from candles, keeps the models versioned in the database, evaluates\n"
			  "them against buy-and-hold and turns candles into signals with one.";
	cli.commands = command_names;
	ppo_cfg_default(&x.cfg);
	x.env = "cartpole";
	x.argc = argc;
	x.argv = argv;
	x.args = ab_calloc((size_t)argc, sizeof *x.args);
	x.spec.n = 1;
	strcpy(x.spec.name[0], "ret");
	x.spec.window = 8;
	x.spec.norm_window = 500;
	x.rules.fee = 0.001;
	x.rules.fraction = 0.99;
	x.rw.kind = REWARD_PNL;
	x.rw.eta = 0.01;
	x.rw.warmup = 20;
	x.episode_len = 1000;
	x.eval_every = 10;
	x.episodes = 10;
	while ((key = ab_cli_next(&cli)) != AB_CLI_END) {
		switch (key) {
		case AB_CLI_EXIT: code = cli.status; goto done;
		case 0:
			if (!cmd)
				cmd = cli.arg;
			else
				x.args[x.nargs++] = (char *)cli.arg;
			break;
		case AB_KEY_DB: x.db_path = cli.arg; break;
		case KEY_ENV: x.env = cli.arg; break;
		case KEY_EXCHANGE: x.exchange = cli.arg; break;
		case KEY_SYMBOL: x.symbol = cli.arg; break;
		case 't': x.tf = cli.arg; break;
		case KEY_FEATURES: code = parse_features(&x, cli.arg); break;
		case KEY_WINDOW: code = ab_cli_long(&cli, 1, 1000, &v); x.spec.window = (int)v; break;
		case KEY_NORM_WINDOW: code = ab_cli_long(&cli, 2, 1000000, &v); x.spec.norm_window = (int)v; break;
		case KEY_REWARD:
			if ((x.rw.kind = reward_parse(cli.arg)) < 0)
				code = ab_cli_usage_error(&cli, "--reward: \"%s\" is not pnl, logret, dsr or sortino-dd", cli.arg);
			break;
		case KEY_REWARD_SCALE: code = ab_cli_double(&cli, 1e-9, 1e9, &x.rw.scale); x.has_scale = 1; break;
		case KEY_DSR_ETA: code = ab_cli_double(&cli, 1e-6, 1, &x.rw.eta); break;
		case KEY_FEE: code = ab_cli_double(&cli, 0, 0.5, &x.rules.fee); break;
		case KEY_SLIP: code = ab_cli_double(&cli, 0, 10000, &d); x.rules.slip = d / 1e4; break;
		case KEY_FRACTION: code = ab_cli_double(&cli, 1e-6, 1, &x.rules.fraction); break;
		case KEY_SHORT: x.rules.shorting = 1; break;
		case KEY_CONTINUOUS: x.rules.continuous = 1; break;
		case KEY_EPISODE_LEN: code = ab_cli_long(&cli, 2, 100000000, &v); x.episode_len = (int)v; break;
		case KEY_TRAIN_UNTIL: code = ab_cli_time(&cli, &x.train_until); x.has_train_until = 1; break;
		case KEY_VALID_UNTIL: code = ab_cli_time(&cli, &x.valid_until); x.has_valid_until = 1; break;
		case KEY_EVAL_EVERY: code = ab_cli_long(&cli, 1, 1000000, &v); x.eval_every = (int)v; break;
		case KEY_STEPS: code = ab_cli_long(&cli, 1, 1LL << 40, &x.cfg.total_steps); break;
		case KEY_ENVS: code = ab_cli_long(&cli, 1, 4096, &v); x.cfg.num_envs = (int)v; break;
		case KEY_NUM_STEPS: code = ab_cli_long(&cli, 1, 1 << 20, &v); x.cfg.num_steps = (int)v; break;
		case KEY_MINIBATCHES: code = ab_cli_long(&cli, 1, 1 << 20, &v); x.cfg.minibatches = (int)v; break;
		case KEY_EPOCHS: code = ab_cli_long(&cli, 1, 1000, &v); x.cfg.epochs = (int)v; break;
		case KEY_LR: code = ab_cli_double(&cli, 0, 1, &x.cfg.lr); break;
		case KEY_NO_ANNEAL: x.cfg.anneal_lr = 0; break;
		case KEY_GAMMA: code = ab_cli_double(&cli, 0, 1, &x.cfg.gamma); break;
		case KEY_LAMBDA: code = ab_cli_double(&cli, 0, 1, &x.cfg.lam); break;
		case KEY_CLIP: code = ab_cli_double(&cli, 0, 10, &x.cfg.clip); break;
		case KEY_ENT: code = ab_cli_double(&cli, 0, 10, &x.cfg.ent_coef); break;
		case KEY_VF: code = ab_cli_double(&cli, 0, 100, &x.cfg.vf_coef); break;
		case KEY_MAX_GRAD: code = ab_cli_double(&cli, 0, 1e9, &x.cfg.max_grad_norm); break;
		case KEY_TARGET_KL: code = ab_cli_double(&cli, 0, 100, &x.cfg.target_kl); break;
		case KEY_NO_CLIP_VLOSS: x.cfg.clip_vloss = 0; break;
		case KEY_NO_NORM_ADV: x.cfg.norm_adv = 0; break;
		case KEY_NORM_OBS: x.cfg.norm_obs = 1; break;
		case KEY_HIDDEN: code = parse_hidden(&x, cli.arg); break;
		case KEY_SEED: code = ab_cli_long(&cli, 0, 4294967295LL, &v); x.cfg.seed = (unsigned long)v; break;
		case KEY_NAME: x.name = cli.arg; break;
		case KEY_MODEL: x.model = cli.arg; break;
		case KEY_FROM: code = ab_cli_time(&cli, &x.from); x.has_from = 1; break;
		case KEY_TO: code = ab_cli_time(&cli, &x.to); x.has_to = 1; break;
		case KEY_EPISODES: code = ab_cli_long(&cli, 1, 100000, &v); x.episodes = (int)v; break;
		case 'q': x.quiet = 1; break;
		}
		if (code)
			goto done;
	}
	if (!cmd) {
		code = ab_cli_usage_error(&cli, "no command given (one of: ppo eval act models)");
		goto done;
	}
	ab_out_init(&x.out, 1, "stdout");
	if (strcmp(cmd, "ppo") == 0)
		code = cmd_ppo(&x);
	else if (strcmp(cmd, "eval") == 0)
		code = cmd_eval(&x);
	else if (strcmp(cmd, "act") == 0)
		code = cmd_act(&x);
	else if (strcmp(cmd, "models") == 0)
		code = (code = open_db(&x)) ? code : models_cmd(x.db, &x.out, x.args, x.nargs);
	else
		code = ab_cli_usage_error(&cli, "unknown command \"%s\"", cmd);
	int wcode = ab_out_close(&x.out);
	if (!code)
		code = wcode;
	if (x.db) {
		if (!x.run.records_out)
			x.run.records_out = x.out.records;
		ab_runs_finish(&x.run, code);
		ab_db_close(x.db);
	}
done:
	free(x.args);
	return code;
}
