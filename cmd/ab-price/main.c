/* ab-price: demand elasticity, price optimisation, markdowns, price experiments. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "price.h"
#include "timefmt.h"

enum { KEY_BY = AB_KEY_FIRST_PROGRAM_KEY, KEY_SINCE, KEY_MIN_POINTS, KEY_MIN_VAR, KEY_SEASON,
	KEY_OBJECTIVE, KEY_MIN_MARGIN, KEY_MAX_CHANGE, KEY_FLOOR, KEY_CEILING, KEY_CLEAR_BY,
	KEY_SALVAGE, KEY_STEPS, KEY_ELASTICITY, KEY_DEMAND, KEY_PRICES, KEY_STOCK, KEY_UNTIL,
	KEY_SEED, KEY_PERIODS, KEY_TRUTH };

static const struct ab_opt options[] = {
	AB_OPT_DB,
	{"by", KEY_BY, "sku|category", "elasticity: one estimate per SKU (default) or per category"},
	{"since", KEY_SINCE, "T", "elasticity: only sales from time T"},
	{"min-points", KEY_MIN_POINTS, "N", "elasticity: fewer weeks than N are pooled by category (default 8)"},
	{"min-variation", KEY_MIN_VAR, "SD", "elasticity: sd of ln price below SD is pooled (default 0.02)"},
	{"season", KEY_SEASON, "K", "elasticity: K yearly Fourier harmonics as controls (default 1, 0: none)"},
	{"objective", KEY_OBJECTIVE, "profit|revenue", "optimize, experiment: what to maximise (default profit)"},
	{"min-margin", KEY_MIN_MARGIN, "M", "optimize: keep (price - cost) / price at least M, e.g. 0.2"},
	{"max-change", KEY_MAX_CHANGE, "PCT", "optimize: move the price at most PCT percent per step"},
	{"floor", KEY_FLOOR, "P", "optimize, markdown: never below P (markdown default: the cost)"},
	{"ceiling", KEY_CEILING, "P", "optimize: never above P"},
	{"clear-by", KEY_CLEAR_BY, "DATE", "markdown: sell the units on hand by DATE"},
	{"salvage", KEY_SALVAGE, "S", "markdown: what each unit left at DATE is worth (default 0)"},
	{"steps", KEY_STEPS, "N", "markdown: N price steps (1: one constant price; default 1)"},
	{"elasticity", KEY_ELASTICITY, "E", "markdown: the elasticity to assume when none is stored"},
	{"demand", KEY_DEMAND, "poisson|fixed", "markdown: random or deterministic demand (default poisson)"},
	{"prices", KEY_PRICES, "P1,P2,...", "experiment start: the candidate prices"},
	{"stock", KEY_STOCK, "Q", "experiment start: units to sell by --until (inventory-constrained sampling)"},
	{"until", KEY_UNTIL, "T", "experiment start: the end of the selling season"},
	{"seed", KEY_SEED, "N", "experiment: seed of the random draws (default: from the clock)"},
	{"periods", KEY_PERIODS, "N", "experiment simulate: N periods (default 200)"},
	{"truth", KEY_TRUTH, "A,E", "experiment simulate: true demand A*p^E units a period"},
	{"quiet", 'q', NULL, "store only; print no records"},
	{0},
};

static const struct {
	const char *name;
	int (*run)(struct price *);
	int args_min, args_max;
	int db;
} commands[] = {
	{"elasticity", pr_elasticity, 0, 1000, 1},
	{"optimize", pr_optimize, 0, 1000, 1},
	{"markdown", pr_markdown, 0, 1000, 1},
	{"experiment", pr_experiment, 1, 2, 1},
	{"apply", pr_apply, 0, 1000, 1},
	{"history", pr_history, 0, 1, 1},
};

static const char *const command_names[] = {"elasticity", "optimize", "markdown", "experiment",
	"apply", "history", NULL};

int
pr_open_db(struct price *v)
{
	int code;

	if ((code = ab_db_open(v->db_path, &v->db)))
		return code;
	ab_runs_start(&v->run, v->db, "ab-price", v->argc, v->argv);
	return 0;
}

int
main(int argc, char **argv)
{
	struct ab_cli cli;
	struct price v = {0};
	const char *cmd = NULL;
	long long l;
	int key, code = 0;

	ab_cli_init(&cli, "ab-price", argc, argv, options);
	cli.usage = "elasticity [FILE...] [--by sku|category] [--since T] [--min-points N] [--season K]\n"
		    "optimize [FILE...] [--objective profit|revenue] [--min-margin M] [--max-change PCT] [--floor P] [--ceiling P]\n"
		    "markdown [FILE...] --clear-by DATE [--salvage S] [--steps N] [--floor P] [--elasticity E] [--demand poisson|fixed]\n"
		    "experiment start SKU --prices P1,P2,... [--objective profit|revenue] [--stock Q --until T]\n"
		    "experiment next [--seed N] | experiment stop SKU | experiment list\n"
		    "experiment simulate --prices P1,P2,... --truth A,E [--periods N] [--seed N]\n"
		    "apply [FILE...]\n"
		    "history [SKU]";
	cli.description = "Estimates price elasticity from sales, recommends prices, plans markdowns\n"
			  "for unsold stock and runs Thompson-sampling price experiments; apply\n"
			  "changes prices (permission price:apply) and records who did it and why.";
	cli.commands = command_names;
	v.argc = argc;
	v.argv = argv;
	v.args = ab_calloc((size_t)argc, sizeof *v.args);
	v.since = v.clear_by = v.until = PR_NONE;
	v.min_points = 8;
	v.min_var = 0.02;
	v.season = 1;
	v.min_margin = v.max_change = -1;
	v.steps = 1;
	v.periods = 200;
	while ((key = ab_cli_next(&cli)) != AB_CLI_END) {
		switch (key) {
		case AB_CLI_EXIT: code = cli.status; goto done;
		case 0:
			if (!cmd)
				cmd = cli.arg;
			else
				v.args[v.nargs++] = (char *)cli.arg;
			break;
		case AB_KEY_DB: v.db_path = cli.arg; break;
		case KEY_BY:
			if (strcmp(cli.arg, "sku") && strcmp(cli.arg, "category")) {
				code = ab_cli_usage_error(&cli, "--by: \"%s\" is not sku or category", cli.arg);
				goto done;
			}
			v.by = cli.arg;
			break;
		case KEY_SINCE: if ((code = ab_cli_time(&cli, &v.since))) goto done; break;
		case KEY_MIN_POINTS: if ((code = ab_cli_long(&cli, 3, 1000000, &v.min_points))) goto done; break;
		case KEY_MIN_VAR: if ((code = ab_cli_double(&cli, 0, 10, &v.min_var))) goto done; break;
		case KEY_SEASON: if ((code = ab_cli_long(&cli, 0, 6, &v.season))) goto done; break;
		case KEY_OBJECTIVE:
			if (strcmp(cli.arg, "profit") && strcmp(cli.arg, "revenue")) {
				code = ab_cli_usage_error(&cli, "--objective: \"%s\" is not profit or revenue", cli.arg);
				goto done;
			}
			v.objective = cli.arg;
			break;
		case KEY_MIN_MARGIN: if ((code = ab_cli_double(&cli, 0, 0.99, &v.min_margin))) goto done; break;
		case KEY_MAX_CHANGE: if ((code = ab_cli_double(&cli, 0, 1000, &v.max_change))) goto done; break;
		case KEY_FLOOR: v.floor = cli.arg; break;
		case KEY_CEILING: v.ceiling = cli.arg; break;
		case KEY_CLEAR_BY: if ((code = ab_cli_time(&cli, &v.clear_by))) goto done; break;
		case KEY_SALVAGE: v.salvage = cli.arg; break;
		case KEY_STEPS: if ((code = ab_cli_long(&cli, 1, 365, &v.steps))) goto done; break;
		case KEY_ELASTICITY:
			if ((code = ab_cli_double(&cli, -50, -0.001, &v.elasticity)))
				goto done;
			break;
		case KEY_DEMAND:
			if (strcmp(cli.arg, "poisson") && strcmp(cli.arg, "fixed")) {
				code = ab_cli_usage_error(&cli, "--demand: \"%s\" is not poisson or fixed", cli.arg);
				goto done;
			}
			v.demand = cli.arg;
			break;
		case KEY_PRICES: v.prices = cli.arg; break;
		case KEY_STOCK: v.stock = cli.arg; break;
		case KEY_UNTIL: if ((code = ab_cli_time(&cli, &v.until))) goto done; break;
		case KEY_SEED:
			if ((code = ab_cli_long(&cli, 0, 4294967295LL, &l)))
				goto done;
			v.seed = (unsigned long)l;
			v.has_seed = 1;
			break;
		case KEY_PERIODS: if ((code = ab_cli_long(&cli, 1, 10000000, &v.periods))) goto done; break;
		case KEY_TRUTH: v.truth = cli.arg; break;
		case 'q': v.quiet = 1; break;
		}
	}
	if (!cmd) {
		code = ab_cli_usage_error(&cli, "no command given (one of: elasticity optimize markdown experiment apply history)");
		goto done;
	}
	if (!v.objective)
		v.objective = "profit";
	if (!v.demand)
		v.demand = "poisson";
	v.now = ab_now_ms();
	code = -1;
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		if (strcmp(cmd, commands[i].name) != 0)
			continue;
		if (v.nargs < commands[i].args_min || v.nargs > commands[i].args_max) {
			code = ab_cli_usage_error(&cli, "%s: wrong number of arguments", cmd);
			break;
		}
		/* experiment simulate needs no database */
		if (commands[i].db && !(i == 3 && strcmp(v.args[0], "simulate") == 0))
			if ((code = pr_open_db(&v)))
				break;
		/* records go out after the command's transaction has committed */
		FILE *held = v.db ? tmpfile() : NULL;
		if (v.db && !held) {
			code = ab_err(AB_ECANTCREAT, "temporary file: %s", strerror(errno));
			break;
		}
		ab_out_init(&v.out, held ? fileno(held) : 1, held ? "temporary file" : "stdout");
		code = commands[i].run(&v);
		int wcode = ab_out_close(&v.out);
		if (!code)
			code = wcode;
		if (held) {
			long long records = v.out.records;
			ab_out_init(&v.out, 1, "stdout");
			v.out.records = records;
			if (!code && fseek(held, 0, SEEK_SET) == 0) {
				char buf[65536];
				size_t n;
				while ((n = fread(buf, 1, sizeof buf, held)) > 0 && !ab_out_failed(&v.out))
					ab_out_raw(&v.out, buf, n);
			}
			fclose(held);
			wcode = ab_out_close(&v.out);
			if (!code)
				code = wcode;
		}
		break;
	}
	if (code == -1)
		code = ab_cli_usage_error(&cli, "unknown command \"%s\"", cmd);
	if (v.db) {
		v.run.records_out = v.out.records;
		ab_runs_finish(&v.run, code);
		ab_db_close(v.db);
	}
done:
	free(v.args);
	return code;
}
