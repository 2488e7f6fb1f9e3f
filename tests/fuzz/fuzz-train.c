/* fuzz-train: ab-train's readers (cmd/ab-train/) on arbitrary files: the
 * model export format `ab-train models import FILE` reads (models.c), and
 * candle records with their features as ppo, eval and act load them
 * (main.c's load_market, trading.c's features). The first byte picks the
 * reader and, for candles, the feature spec; the rest is the file.
 * Checks: no crash, leak or undefined behaviour; import returns 0 or 65,
 * and a model it stored loads back by its name, passes its checksum and
 * runs in its environment the way eval and act run it (a network whose
 * shape does not fit would read past the observation); candles load with
 * 0 or 65, and every observation of a ready candle is finite. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mlp.c and ppo.c ask GCC for vectorisation; clang has its own flags. */
#pragma clang diagnostic ignored "-Wunknown-attributes"
#define main ab_train_main
#include "../../cmd/ab-train/main.c"
#undef main
#include "../../cmd/ab-train/cartpole.c"
#include "../../cmd/ab-train/mlp.c"
#include "../../cmd/ab-train/models.c"
#include "../../cmd/ab-train/ppo.c"
#include "../../cmd/ab-train/trading.c"

static struct ab_db *db;
static char path[96];

static void
setup(void)
{
	char dir[64], dbpath[96];

	snprintf(dir, sizeof dir, "/tmp/fuzz-train.%ld", (long)getpid());
	mkdir(dir, 0700);
	snprintf(dbpath, sizeof dbpath, "%s/db", dir);
	snprintf(path, sizeof path, "%s/in", dir);
	unlink(dbpath);
	/* no fsync per input: a scratch database */
	if (ab_db_open(dbpath, &db) || ab_db_exec(db, "PRAGMA synchronous = OFF"))
		abort();
}

/* The stored model, loaded and run as eval and act run it. */
static void
check_model(void)
{
	sqlite3_stmt *st;
	char ref[300];
	struct model m;
	struct agent a;
	double act[4];

	if (ab_db_prepare(db, "SELECT name || '@' || version FROM models", &st) || sqlite3_step(st) != SQLITE_ROW)
		abort();
	snprintf(ref, sizeof ref, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (models_load(db, ref, &m) || model_agent(&m, &a))
		abort();
	int n = a.obs_dim;
	if (strcmp(m.env, "trading") == 0) {
		struct feat_spec spec;
		struct trade_rules r;
		if (model_trading(&m, &spec, &r))
			abort();
		n = trading_obs_dim(&spec);
	} else if (strcmp(m.env, "cartpole") == 0) {
		n = 4;
	}
	/* exactly the observation the environment makes */
	double *obs = ab_calloc((size_t)n, sizeof *obs);
	agent_act(&a, obs, act);
	free(obs);
	agent_free(&a);
	model_free(&m);
	if (ab_db_exec(db, "DELETE FROM model_tags; DELETE FROM models"))
		abort();
}

static void
candles(int bits)
{
	static const char *const lists[] = {"ret", "ret,range,body,gap,logvol", "rsi,ret", "close,volume"};
	static char *args[1];
	struct ctx x;
	struct market m;

	memset(&x, 0, sizeof x);
	args[0] = path;
	x.args = args;
	x.nargs = 1;
	if (parse_features(&x, lists[bits & 3]))
		abort();
	x.spec.window = 1 + (bits >> 2) % 4;
	x.spec.norm_window = 2 + (bits >> 4) * 3;
	int code = load_market(&x, &x.spec, &m);
	if (code != 0 && code != AB_EDATA)
		abort();
	if (!code) {
		int n = trading_obs_dim(&x.spec);
		double *obs = ab_malloc((size_t)n * sizeof *obs);
		for (int t = 0; t < m.n; t++)
			if (trading_obs(&m, &x.spec, t, t % 3 - 1, obs))
				for (int i = 0; i < n; i++)
					if (!isfinite(obs[i]))
						abort();
		free(obs);
	}
	market_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ab_out out;

	if (!db)
		setup();
	if (size < 1)
		return 0;
	int mode = data[0] & 1, bits = data[0] >> 1;
	FILE *fp = fopen(path, "w");
	if (!fp || fwrite(data + 1, 1, size - 1, fp) != size - 1 || fclose(fp))
		abort();
	if (mode == 0) {
		ab_out_init(&out, -1, "memory");
		int code = import(db, &out, path);
		ab_out_close(&out);
		if (code == 0)
			check_model();
		else if (code != AB_EDATA)
			abort();
	} else {
		candles(bits);
	}
	return 0;
}
