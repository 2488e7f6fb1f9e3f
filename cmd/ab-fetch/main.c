/* ab-fetch: market data into JSON lines and the database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "fetch.h"

enum { KEY_EXCHANGE = AB_KEY_FIRST_PROGRAM_KEY, KEY_SYMBOL, KEY_COLUMNS, KEY_SINCE, KEY_UNTIL,
	KEY_LIMIT, KEY_RESUME, KEY_PARTIAL, KEY_DEPTH };

static const struct ab_opt options[] = {
	AB_OPT_DB,
	{"exchange", KEY_EXCHANGE, "NAME", "csv: the exchange the candles come from"},
	{"symbol", KEY_SYMBOL, "BASE/QUOTE", "csv: the unified symbol, e.g. BTC/USDT"},
	{"timeframe", 't', "TF", "the candle timeframe: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M"},
	{"columns", KEY_COLUMNS, "MAP", "csv: columns by name or number, e.g. ts=Date,volume=7"},
	{"quiet", 'q', NULL, "store only; print no records"},
	{"since", KEY_SINCE, "T", "candles, trades: from time T (ISO 8601 or epoch)"},
	{"until", KEY_UNTIL, "T", "candles: up to time T, excluded (default: now)"},
	{"limit", KEY_LIMIT, "N", "candles, trades: at most N records"},
	{"resume", KEY_RESUME, NULL, "candles: start after the newest candle stored"},
	{"partial", KEY_PARTIAL, NULL, "candles: also print the still-open last candle (never stored)"},
	{"depth", KEY_DEPTH, "N", "book: N levels a side (default 100)"},
	{"base-url", AB_KEY_BASE_URL, "URL", "replace the exchange's host, e.g. http://127.0.0.1:8080"},
	{0},
};

static const struct {
	const char *name;
	int (*run)(struct fetch *);
} commands[] = {
	{"csv", fetch_csv},
	{"candles", fetch_candles},
	{"ticker", fetch_ticker},
	{"book", fetch_book},
	{"trades", fetch_trades},
	{"markets", fetch_markets},
	{"exchanges", fetch_exchanges},
};

static const char *const command_names[] = {"csv", "candles", "ticker", "book", "trades",
	"markets", "exchanges", NULL};

int
fetch_open_db(struct fetch *f, int required)
{
	const char *env = getenv("AB_DB");
	int code;

	if (!f->db_path && !(env && *env) && !required)
		return 0;
	if ((code = ab_db_open(f->db_path, &f->db)))
		return code;
	ab_runs_start(&f->run, f->db, "ab-fetch", f->argc, f->argv);
	return 0;
}

int
main(int argc, char **argv)
{
	struct ab_cli cli;
	struct fetch f = {0};
	const char *cmd = NULL;
	int key, code = 0;

	ab_cli_init(&cli, "ab-fetch", argc, argv, options);
	cli.usage = "csv [FILE...] --exchange NAME --symbol BASE/QUOTE -t TF [--columns MAP] [--db FILE] [-q]\n"
		    "candles EXCHANGE SYMBOL -t TF [--since T] [--until T] [--limit N] [--resume] [--partial] [--db FILE]\n"
		    "ticker EXCHANGE SYMBOL... [--db FILE]\n"
		    "book EXCHANGE SYMBOL [--depth N] [--db FILE]\n"
		    "trades EXCHANGE SYMBOL [--since T] [--limit N] [--db FILE]\n"
		    "markets EXCHANGE [--db FILE]\n"
		    "exchanges";
	cli.description = "Reads market data and writes normalised JSON-lines records; with --db also\n"
			  "stores them, idempotently.";
	cli.commands = command_names;
	f.argc = argc;
	f.argv = argv;
	f.args = ab_calloc((size_t)argc, sizeof *f.args);
	while ((key = ab_cli_next(&cli)) != AB_CLI_END) {
		switch (key) {
		case AB_CLI_EXIT: code = cli.status; goto done;
		case 0:
			if (!cmd)
				cmd = cli.arg;
			else
				f.args[f.nargs++] = (char *)cli.arg;
			break;
		case AB_KEY_DB: f.db_path = cli.arg; break;
		case KEY_EXCHANGE: f.exchange = cli.arg; break;
		case KEY_SYMBOL: f.symbol = cli.arg; break;
		case 't': f.tf = cli.arg; break;
		case KEY_COLUMNS: f.columns = cli.arg; break;
		case 'q': f.quiet = 1; break;
		case KEY_SINCE:
			if ((code = ab_cli_time(&cli, &f.since)))
				goto done;
			f.has_since = 1;
			break;
		case KEY_UNTIL:
			if ((code = ab_cli_time(&cli, &f.until)))
				goto done;
			f.has_until = 1;
			break;
		case KEY_LIMIT:
			if ((code = ab_cli_long(&cli, 1, 100000000, &f.limit)))
				goto done;
			break;
		case KEY_DEPTH:
			if ((code = ab_cli_long(&cli, 1, 5000, &f.depth)))
				goto done;
			break;
		case KEY_RESUME: f.resume = 1; break;
		case KEY_PARTIAL: f.partial = 1; break;
		case AB_KEY_BASE_URL: f.base_url = cli.arg; break;
		}
	}
	if (!cmd) {
		code = ab_cli_usage_error(&cli, "no command given (one of: csv candles ticker book trades markets exchanges)");
		goto done;
	}
	code = -1;
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(cmd, commands[i].name) == 0) {
			ab_out_init(&f.out, 1, "stdout");
			code = commands[i].run(&f);
			int wcode = ab_out_close(&f.out);
			if (!code)
				code = wcode;
			break;
		}
	if (code == -1)
		code = ab_cli_usage_error(&cli, "unknown command \"%s\"", cmd);
	if (f.db) {
		ab_runs_finish(&f.run, code);
		ab_db_close(f.db);
	}
done:
	free(f.args);
	return code;
}
