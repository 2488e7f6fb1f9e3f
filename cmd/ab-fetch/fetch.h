/* fetch.h: what ab-fetch's commands share: parsed options and the run context. */
#ifndef AB_FETCH_H
#define AB_FETCH_H

#include <stdint.h>

#include "db.h"
#include "jsonl.h"
#include "runs.h"

struct fetch {
	/* options */
	const char *db_path;     /* --db, NULL if not given */
	const char *exchange;    /* --exchange */
	const char *symbol;      /* --symbol */
	const char *tf;          /* -t, --timeframe */
	const char *columns;     /* --columns */
	int quiet;               /* -q: no records on stdout */
	const char *base_url;    /* --base-url: replaces the exchange's host */
	int64_t since, until;    /* --since, --until (ms) when has_since, has_until */
	int has_since, has_until;
	long long limit;         /* --limit, 0 if not given */
	long long depth;         /* --depth, 0 if not given */
	int resume, partial;     /* --resume, --partial */
	const char *exchange_name; /* the EXCHANGE argument of the market commands */
	/* positionals after the command */
	char **args;
	int nargs;
	/* run */
	struct ab_out out;
	struct ab_db *db;        /* open when the command stores */
	struct ab_run run;
	int argc;
	char **argv;
};

/* Opens the database when --db or $AB_DB names one and records the run. */
int fetch_open_db(struct fetch *f, int required);

int fetch_csv(struct fetch *f);
/* market.c: the exchange commands. */
int fetch_candles(struct fetch *f);
int fetch_ticker(struct fetch *f);
int fetch_book(struct fetch *f);
int fetch_trades(struct fetch *f);
int fetch_markets(struct fetch *f);
int fetch_exchanges(struct fetch *f);

#endif
