/* ab-serve: the web report, built as a static site and optionally served. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "err.h"
#include "runs.h"
#include "serve.h"
#include "timefmt.h"

enum {
	KEY_OUT = AB_KEY_FIRST_PROGRAM_KEY, KEY_SINCE, KEY_SHARE, KEY_CHARTJS, KEY_INDICATORS,
	KEY_MAX_POINTS, KEY_LISTEN, KEY_DIR, KEY_AUTH, KEY_SECURE, KEY_REBUILD, KEY_MAX_CONN, KEY_TTL,
};

static const struct ab_opt options[] = {
	AB_OPT_DB,
	{"out", 'o', "DIR", "build: the folder to write the site into (created)"},
	{"since", KEY_SINCE, "TIME", "build: only data from this time on (ISO 8601 or epoch)"},
	{"indicators", KEY_INDICATORS, "LIST", "build: indicators drawn over the candles (default: sma20,ema50)"},
	{"max-points", KEY_MAX_POINTS, "N", "build: points per chart series at most (default: 2000)"},
	{"share", KEY_SHARE, "DIR", "the autobot share folder holding report/ (default: found beside the program)"},
	{"chartjs", KEY_CHARTJS, "FILE", "the chart.umd.js to copy (default: $AB_CHARTJS, else node_modules)"},
	{"listen", 'l', "ADDR:PORT", "serve on this address, e.g. 127.0.0.1:8080"},
	{"dir", 'd', "DIR", "serve: the built site"},
	{"auth", KEY_AUTH, NULL, "serve: require a login (ab-auth users with report:view)"},
	{"secure-cookie", KEY_SECURE, NULL, "serve: mark the login cookie Secure (behind HTTPS)"},
	{"ttl", KEY_TTL, "SECONDS", "serve: login lifetime (default: 28800, at most 86400)"},
	{"rebuild", KEY_REBUILD, "SECONDS", "serve: rebuild the site from --db this often"},
	{"max-connections", KEY_MAX_CONN, "N", "serve: concurrent connections at most (default: 64)"},
	{0},
};

static const char *const command_names[] = {"build", "serve", NULL};

static int
is_file(const char *path)
{
	return access(path, R_OK) == 0;
}

/* The share folder: --share, $AB_SHARE_DIR, beside the program, or the installed one. */
static char *
find_share(const char *opt)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	const char *env = getenv("AB_SHARE_DIR");
	ssize_t n;

	if (opt)
		return ab_strdup(opt);
	if (env && *env)
		return ab_strdup(env);
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			snprintf(path, sizeof path, "%s/../share/autobot/report/page.html", exe);
			if (is_file(path)) {
				snprintf(path, sizeof path, "%s/../share/autobot", exe);
				return ab_strdup(path);
			}
		}
	}
	return ab_strdup(AB_DATADIR);
}

static char *
find_chartjs(const char *opt, const char *share)
{
	char path[PATH_MAX + 64];
	const char *env = getenv("AB_CHARTJS");

	if (opt)
		return ab_strdup(opt);
	if (env && *env)
		return ab_strdup(env);
	snprintf(path, sizeof path, "%s/report/chart.umd.js", share);
	if (is_file(path))
		return ab_strdup(path);
	snprintf(path, sizeof path, "%s/../../node_modules/chart.js/dist/chart.umd.js", share);
	if (is_file(path))
		return ab_strdup(path);
	return NULL;
}

static int
open_db(const char *path, struct ab_db **db)
{
	char buf[PATH_MAX];
	int code;

	/* a report of a file that does not exist is a mistake, not an empty report */
	if ((code = ab_db_resolve_path(path, buf, sizeof buf)))
		return code;
	if (!is_file(buf))
		return ab_err(AB_ENOINPUT, "%s: no such database", buf);
	return ab_db_open(path, db);
}

int
main(int argc, char **argv)
{
	struct ab_cli cli;
	struct build b = {0};
	struct serve_opts so = {0};
	const char *cmd = NULL, *db_path = NULL, *share_opt = NULL, *chart_opt = NULL;
	char *share = NULL, *chartjs = NULL;
	long long v;
	int key, code = 0;

	ab_cli_init(&cli, "ab-serve", argc, argv, options);
	cli.usage = "build --out DIR [--db FILE] [--since TIME] [--indicators LIST]\n"
		    "[serve] --listen ADDR:PORT --dir DIR [--db FILE] [--auth] [--rebuild SECONDS]";
	cli.description = "Builds the web report (dashboard, trading, RL training, e-commerce, monitoring)\n"
			  "from the database as a static site that works offline, and serves it over HTTP\n"
			  "with security headers and, with --auth, a login.";
	cli.commands = command_names;
	b.since = INT64_MIN;
	b.max_points = 2000;
	b.indicators = "sma20,ema50";
	so.max_conn = 64;
	so.ttl_s = 28800;
	while ((key = ab_cli_next(&cli)) != AB_CLI_END) {
		switch (key) {
		case AB_CLI_EXIT: return cli.status;
		case 0:
			if (cmd)
				return ab_cli_usage_error(&cli, "unexpected argument \"%s\"", cli.arg);
			cmd = cli.arg;
			break;
		case AB_KEY_DB: db_path = cli.arg; break;
		case 'o': b.out = cli.arg; break;
		case KEY_SINCE:
			if ((code = ab_cli_time(&cli, &b.since)))
				return code;
			break;
		case KEY_INDICATORS: b.indicators = cli.arg; break;
		case KEY_MAX_POINTS:
			if ((code = ab_cli_long(&cli, 100, 1000000, &v)))
				return code;
			b.max_points = (int)v;
			break;
		case KEY_SHARE: share_opt = cli.arg; break;
		case KEY_CHARTJS: chart_opt = cli.arg; break;
		case 'l': so.listen = cli.arg; break;
		case 'd': so.dir = cli.arg; break;
		case KEY_AUTH: so.auth = 1; break;
		case KEY_SECURE: so.secure_cookie = 1; break;
		case KEY_TTL:
			if ((code = ab_cli_long(&cli, 60, 86400, &v)))
				return code;
			so.ttl_s = (long)v;
			break;
		case KEY_REBUILD:
			if ((code = ab_cli_long(&cli, 1, 86400 * 7, &v)))
				return code;
			so.rebuild_s = (long)v;
			break;
		case KEY_MAX_CONN:
			if ((code = ab_cli_long(&cli, 1, 10000, &v)))
				return code;
			so.max_conn = (long)v;
			break;
		}
	}
	if (!cmd)
		cmd = so.listen ? "serve" : NULL;
	if (!cmd)
		return ab_cli_usage_error(&cli, "no command given (build, or serve with --listen)");
	if (strcmp(cmd, "build") != 0 && strcmp(cmd, "serve") != 0)
		return ab_cli_usage_error(&cli, "unknown command \"%s\"", cmd);

	share = find_share(share_opt);
	chartjs = find_chartjs(chart_opt, share);
	b.share = share;
	b.chartjs = chartjs;

	if (strcmp(cmd, "build") == 0) {
		struct ab_run run = {0};
		if (!b.out) {
			code = ab_cli_usage_error(&cli, "build: --out DIR is required");
			goto done;
		}
		if (!chartjs) {
			code = ab_err(AB_ENOINPUT, "chart.js not found: run `npm ci` in the source tree, or give --chartjs FILE");
			goto done;
		}
		if ((code = open_db(db_path, &b.db)))
			goto done;
		ab_runs_start(&run, b.db, "ab-serve", argc, argv);
		b.now = ab_now_ms();
		code = ab_serve_build(&b);
		run.records_out = b.files;
		ab_runs_finish(&run, code);
		ab_db_close(b.db);
		if (!code)
			printf("%s/index.html\n", b.out);
		if (fflush(stdout) != 0 && !code)
			code = ab_err(AB_EIO, "stdout: write error");
		goto done;
	}

	if (!so.listen || !so.dir) {
		code = ab_cli_usage_error(&cli, "serve: --listen ADDR:PORT and --dir DIR are required");
		goto done;
	}
	if ((so.auth || so.rebuild_s) && !db_path && !getenv("AB_DB")) {
		code = ab_cli_usage_error(&cli, "serve: --auth and --rebuild need --db FILE");
		goto done;
	}
	if (so.rebuild_s) {
		if (!b.out)
			b.out = so.dir;
		if (!chartjs) {
			code = ab_err(AB_ENOINPUT, "chart.js not found: run `npm ci` in the source tree, or give --chartjs FILE");
			goto done;
		}
		so.build = &b;
	}
	so.db_path = db_path;
	so.argc = argc;
	so.argv = argv;
	code = ab_serve_run(&so);
done:
	free(share);
	free(chartjs);
	return code;
}
