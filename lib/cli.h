/* cli: one option table per program feeds parsing, --help and completions.
 *
 * A program lists its options in a table ending with {0}; ab_cli_next walks
 * argv, returning each option's key (a letter when the option has a short
 * form "-k", else a value >= 256), 0 for a positional argument (in c->arg),
 * and AB_CLI_END at the end. Options and positionals may be mixed; "--" ends
 * the options. --help, --version and the hidden --list-options (one option per
 * line, for scripts/gen-completions) are handled here: ab_cli_next prints and
 * returns AB_CLI_EXIT with c->status 0. A usage error is printed here and
 * returns AB_CLI_EXIT with c->status AB_EUSAGE.
 */
#ifndef AB_CLI_H
#define AB_CLI_H

#include <stdint.h>

struct ab_opt {
	const char *name; /* long name without "--" */
	int key;          /* a short option letter, or a value >= 256 */
	const char *arg;  /* NULL for a flag, else the argument's name in --help */
	const char *help;
};

/* Keys shared by every program's table. */
enum { AB_KEY_DB = 256, AB_KEY_BASE_URL, AB_KEY_FIRST_PROGRAM_KEY = 300 };
#define AB_OPT_DB {"db", AB_KEY_DB, "FILE", "the database (default: $AB_DB, else $XDG_DATA_HOME/autobot/autobot.db)"}

struct ab_cli {
	const char *prog;
	const char *usage;          /* synopsis lines, "\n"-separated, without the name */
	const char *description;    /* one paragraph for --help */
	const struct ab_opt *opts;
	const char *const *commands; /* NULL-terminated subcommand names, or NULL */
	int argc;
	char **argv;
	int i;
	int only_positionals;
	const char *arg;   /* the option's argument, or the positional */
	const char *optname; /* the option as typed, for messages */
	int status;        /* exit status after AB_CLI_EXIT */
};

enum { AB_CLI_END = -1, AB_CLI_EXIT = -2 };

/* Sets the program name for ab_err and ignores SIGPIPE (writes report EPIPE). */
void ab_cli_init(struct ab_cli *c, const char *prog, int argc, char **argv,
		 const struct ab_opt *opts);
int ab_cli_next(struct ab_cli *c);
/* Prints "prog: msg" plus a hint to try --help; returns AB_EUSAGE. */
int ab_cli_usage_error(struct ab_cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Parses the current option's argument; on error reports and returns AB_EUSAGE. */
int ab_cli_long(struct ab_cli *c, long long min, long long max, long long *out);
int ab_cli_double(struct ab_cli *c, double min, double max, double *out);
int ab_cli_time(struct ab_cli *c, int64_t *ms);

#endif
