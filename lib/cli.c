/* cli: option parsing from a table, --help, --version, --list-options. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "timefmt.h"

#ifndef AB_VERSION
#define AB_VERSION "dev"
#endif

void
ab_cli_init(struct ab_cli *c, const char *prog, int argc, char **argv,
	    const struct ab_opt *opts)
{
	memset(c, 0, sizeof *c);
	c->prog = prog;
	c->argc = argc;
	c->argv = argv;
	c->i = 1;
	c->opts = opts;
	ab_err_prog = prog;
	/* A closed pipe downstream becomes EPIPE on write, which ab_out handles. */
	signal(SIGPIPE, SIG_IGN);
}

static void
print_help(struct ab_cli *c)
{
	const char *u = c->usage ? c->usage : "";

	printf("usage: ");
	while (*u) {
		const char *nl = strchr(u, '\n');
		size_t n = nl ? (size_t)(nl - u) : strlen(u);
		printf("%s%s %.*s\n", u == c->usage ? "" : "       ", c->prog, (int)n, u);
		u += n + (nl != NULL);
	}
	if (!c->usage)
		printf("%s\n", c->prog);
	if (c->description)
		printf("\n%s\n", c->description);
	printf("\noptions:\n");
	for (const struct ab_opt *o = c->opts; o && o->name; o++) {
		char left[96];
		int n;
		if (o->key > 0 && o->key < 128)
			n = snprintf(left, sizeof left, "-%c, --%s", o->key, o->name);
		else
			n = snprintf(left, sizeof left, "    --%s", o->name);
		if (o->arg)
			snprintf(left + n, sizeof left - (size_t)n, " %s", o->arg);
		printf("  %-26s %s\n", left, o->help ? o->help : "");
	}
	printf("  %-26s %s\n", "-h, --help", "show this help and exit");
	printf("  %-26s %s\n", "    --version", "show the version and exit");
	printf("\nSee %s(1) for the full manual.\n", c->prog);
}

static void
print_options(struct ab_cli *c)
{
	for (const char *const *cmd = c->commands; cmd && *cmd; cmd++)
		printf("@%s\n", *cmd);
	for (const struct ab_opt *o = c->opts; o && o->name; o++) {
		printf("--%s%s\n", o->name, o->arg ? "=" : "");
		if (o->key > 0 && o->key < 128)
			printf("-%c%s\n", o->key, o->arg ? "=" : "");
	}
	printf("--help\n--version\n");
}

int
ab_cli_usage_error(struct ab_cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ab_verr(AB_EUSAGE, NULL, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: try '%s --help'\n", c->prog, c->prog);
	c->status = AB_EUSAGE;
	return AB_EUSAGE;
}

static int
take_arg(struct ab_cli *c, const struct ab_opt *o, const char *inline_arg)
{
	if (!o->arg) {
		if (inline_arg) {
			ab_cli_usage_error(c, "option '--%s' takes no argument", o->name);
			return AB_CLI_EXIT;
		}
		c->arg = NULL;
		return o->key;
	}
	if (inline_arg) {
		c->arg = inline_arg;
	} else if (c->i < c->argc) {
		c->arg = c->argv[c->i++];
	} else {
		ab_cli_usage_error(c, "option '%s' needs an argument %s", c->optname, o->arg);
		return AB_CLI_EXIT;
	}
	return o->key;
}

int
ab_cli_next(struct ab_cli *c)
{
	if (c->i >= c->argc)
		return AB_CLI_END;
	const char *a = c->argv[c->i++];

	c->optname = a;
	if (c->only_positionals || a[0] != '-' || a[1] == '\0') {
		c->arg = a;
		return 0;
	}
	if (strcmp(a, "--") == 0) {
		c->only_positionals = 1;
		return ab_cli_next(c);
	}
	if (a[1] == '-') {
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);
		if (n == 4 && strncmp(name, "help", 4) == 0) {
			print_help(c);
			c->status = 0;
			return AB_CLI_EXIT;
		}
		if (n == 7 && strncmp(name, "version", 7) == 0) {
			printf("%s %s\n", c->prog, AB_VERSION);
			c->status = 0;
			return AB_CLI_EXIT;
		}
		if (n == 12 && strncmp(name, "list-options", 12) == 0) {
			print_options(c);
			c->status = 0;
			return AB_CLI_EXIT;
		}
		for (const struct ab_opt *o = c->opts; o && o->name; o++)
			if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
				return take_arg(c, o, eq ? eq + 1 : NULL);
		ab_cli_usage_error(c, "unknown option '--%.*s'", (int)n, name);
		return AB_CLI_EXIT;
	}
	if (a[1] == 'h' && a[2] == '\0') {
		print_help(c);
		c->status = 0;
		return AB_CLI_EXIT;
	}
	/* A negative number is a positional, not an option. */
	if ((a[1] >= '0' && a[1] <= '9') || a[1] == '.') {
		c->arg = a;
		return 0;
	}
	for (const struct ab_opt *o = c->opts; o && o->name; o++)
		if (o->key == (unsigned char)a[1])
			return take_arg(c, o, a[2] ? a + 2 : NULL);
	ab_cli_usage_error(c, "unknown option '-%c'", a[1]);
	return AB_CLI_EXIT;
}

int
ab_cli_long(struct ab_cli *c, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(c->arg, &end, 10);
	if (errno || end == c->arg || *end || v < min || v > max)
		return ab_cli_usage_error(c, "%s: \"%s\" is not an integer in [%lld, %lld]",
					  c->optname, c->arg, min, max);
	*out = v;
	return 0;
}

int
ab_cli_double(struct ab_cli *c, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(c->arg, &end);
	if (errno || end == c->arg || *end || !isfinite(v) || v < min || v > max)
		return ab_cli_usage_error(c, "%s: \"%s\" is not a number in [%g, %g]",
					  c->optname, c->arg, min, max);
	*out = v;
	return 0;
}

int
ab_cli_time(struct ab_cli *c, int64_t *ms)
{
	if (ab_time_parse_str(c->arg, ms) != 0)
		return ab_cli_usage_error(c, "%s: \"%s\" is not a time (ISO 8601 or epoch)",
					  c->optname, c->arg);
	return 0;
}
