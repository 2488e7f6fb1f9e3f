/* price.h: what ab-price's commands share: options, the run, money, demand models.
 *
 * Money is int64 minor units of a currency (PR_NONE: unknown); demand models
 * work in major units (doubles) and their results are rounded to minor units
 * in one place (pr_round_minor), which says which way it rounded. Every
 * function returning int returns 0 or an exit code after printing its
 * message, except where stated.
 */
#ifndef AB_PRICE_H
#define AB_PRICE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "jsonl.h"
#include "money.h"
#include "runs.h"

#define PR_NONE AB_MONEY_NONE
#define PR_DAY_MS 86400000LL
#define PR_WEEK_MS (7 * PR_DAY_MS)

struct price {
	/* options */
	const char *db_path;
	const char *by;              /* elasticity --by sku|category */
	int64_t since;               /* --since (PR_NONE: all) */
	long long min_points;        /* --min-points */
	double min_var;              /* --min-variation: sd of ln price below which a SKU is pooled */
	long long season;            /* --season K harmonics */
	const char *objective;       /* --objective revenue|profit */
	double min_margin;           /* --min-margin (fraction; <0: none) */
	double max_change;           /* --max-change percent (<0: none) */
	const char *floor, *ceiling; /* --floor, --ceiling (money text) */
	int64_t clear_by;            /* --clear-by (PR_NONE: not given) */
	const char *salvage;         /* --salvage (money text) */
	long long steps;             /* --steps */
	double elasticity;           /* --elasticity (0: not given) */
	const char *demand;          /* --demand poisson|fixed */
	const char *prices;          /* --prices P1,P2,... */
	const char *stock;           /* --stock units for an experiment */
	int64_t until;               /* --until for an experiment */
	unsigned long seed;          /* --seed */
	int has_seed;
	long long periods;           /* --periods for experiment simulate */
	const char *truth;           /* --truth for experiment simulate */
	int quiet;
	char **args;                 /* positionals after the command */
	int nargs;
	/* run */
	struct pending *pend;        /* price_recs to store at the end */
	size_t npend;
	int64_t now;
	struct ab_out out;
	struct ab_db *db;
	struct ab_run run;
	int argc;
	char **argv;
};

int pr_open_db(struct price *v);

/* Commands never hold the write lock while they read their input or write
 * their output (an upstream or downstream program in the same pipeline may
 * need it): they read everything, write the database in one short
 * transaction, and what they printed goes out after the commit. */
struct pending {
	char *sku, *reason, *text;
	char cur[4];
	int64_t current, recommended;
	double e, se;
	const char *source;
};

/* money.c (amounts themselves: lib/money.h) */
/* A string field copied into buf (NUL-terminated): 1 found, 0 absent/null, -1 bad. */
int pr_jstr(struct ab_jrec *rec, const char *key, char *buf, size_t n);
/* A number field: 1 found, 0 absent/null, -1 not a number. */
int pr_jnum(struct ab_jrec *rec, const char *key, double *out);
double pr_major(int64_t minor, int exp);
enum pr_round { PR_NEAREST, PR_UP, PR_DOWN };
/* Minor units of a major amount; PR_NONE when it is not finite or does not fit. */
int64_t pr_round_minor(double major, int exp, enum pr_round how);

/* elasticity.c */
int pr_elasticity(struct price *v);
/* The t quantile for a two-sided 95 % interval with df degrees of freedom. */
double pr_t95(double df);

/* optimize.c */
struct product {
	int found;
	int64_t cost, price;      /* PR_NONE: unknown */
	char currency[4];
	char category[256];
};
/* 0 with p->found 0 or 1, or an exit code. */
int pr_product_get(struct price *v, const char *sku, struct product *p);
int pr_optimize(struct price *v);
/* Parses an option's money for a currency: 0 (PR_NONE when text is NULL) or 64. */
int pr_money_opt(const char *opt, const char *text, int exp, int64_t *out);
/* Prints the record held in tmp (one price_rec) unless --quiet, and keeps
 * it for pr_recs_store. */
int pr_rec_emit(struct price *v, struct ab_out *tmp, const char *sku, const char *cur, int64_t current,
		int64_t recommended, double e, double se, const char *source, const char *reason);
/* Stores a printed price_rec (the text in o since `start`) in price_recs. */
/* Stores the kept price_recs in one transaction, and frees them. */
int pr_recs_store(struct price *v);
/* Reads every input line (FILE... or stdin) into memory: 0 or an exit code. */
struct input {
	char **line;
	long *lineno;
	const char **file;
	size_t n;
};
int pr_input_read(struct price *v, struct input *in);
void pr_input_free(struct input *in);

/* markdown.c */
int pr_markdown(struct price *v);

/* experiment.c */
int pr_experiment(struct price *v);

/* apply.c */
int pr_apply(struct price *v);
int pr_history(struct price *v);

#endif
