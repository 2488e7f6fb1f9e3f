/* ab-order: backtests, paper and live execution, positions and risk limits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"
#include "err.h"
#include "order.h"
#include "timefmt.h"

enum {
	KEY_CASH = AB_KEY_FIRST_PROGRAM_KEY, KEY_FEE, KEY_SLIP, KEY_SIZE, KEY_LOT,
	KEY_SHORT, KEY_SL, KEY_TP, KEY_TRAIL, KEY_EQUITY, KEY_NAME, KEY_EXCHANGE,
	KEY_MAXPOS, KEY_MAXNOT, KEY_MAXOPEN, KEY_MAXDAY, KEY_MAXDD, KEY_OPEN, KEY_SINCE,
	KEY_GRID, KEY_OBJECTIVE, KEY_TRAIN_UNTIL, KEY_WALK, KEY_CONSTRAINT, KEY_SHARD,
	KEY_APPLY, KEY_AS, KEY_FROM_DB, KEY_MERGE, KEY_TOP, KEY_STRATEGY_FILE, KEY_BUY, KEY_SELL,
	KEY_INDICATORS,
};

static const struct ab_opt options[] = {
	AB_OPT_DB,
	{"cash", KEY_CASH, "C", "starting cash in the quote currency (default 10000)"},
	{"fee", KEY_FEE, "RATE", "fee per fill as a fraction of its notional (default 0)"},
	{"slippage-bps", KEY_SLIP, "B", "market fills move B basis points against the trader"},
	{"size", KEY_SIZE, "SPEC", "fraction=F, qty=Q, notional=N or risk=R,atr=N[,k=K] (default fraction=1)"},
	{"lot", KEY_LOT, "L", "round quantities down to a multiple of L"},
	{"allow-short", KEY_SHORT, NULL, "a sell when flat opens a short position"},
	{"stop-loss", KEY_SL, "PCT", "exit when price moves PCT percent against the entry"},
	{"take-profit", KEY_TP, "PCT", "exit when price moves PCT percent in favour"},
	{"trailing-stop", KEY_TRAIL, "PCT", "exit PCT percent below the best price since entry"},
	{"equity", KEY_EQUITY, NULL, "backtest: one equity record per candle"},
	{"name", KEY_NAME, "NAME", "the backtest's or portfolio's name"},
	{"exchange", KEY_EXCHANGE, "NAME", "live, sync, sign: binance, kraken, coinbase, okx or bybit"},
	{"base-url", AB_KEY_BASE_URL, "URL", "live: the exchange's API root (tests use a mock)"},
	{"max-position", KEY_MAXPOS, "UNITS", "refuse entries that would hold more than UNITS"},
	{"max-order-notional", KEY_MAXNOT, "N", "refuse entries worth more than N"},
	{"max-open-orders", KEY_MAXOPEN, "N", "refuse entries while N orders are open"},
	{"max-daily-loss", KEY_MAXDAY, "N", "refuse entries once the day's loss reaches N"},
	{"max-drawdown", KEY_MAXDD, "PCT", "exits only once equity is PCT percent below its peak"},
	{"open", KEY_OPEN, NULL, "orders: only orders not yet done"},
	{"since", KEY_SINCE, "TIME", "pnl, fills: from TIME on"},
	{"grid", KEY_GRID, "SPEC", "optimize: parameter ranges, 'fast=5..50:5 slow=20..200:10' or 'k=1,1.5,2'"},
	{"objective", KEY_OBJECTIVE, "NAME", "optimize: sharpe (default), sortino, return or calmar"},
	{"train-until", KEY_TRAIN_UNTIL, "TIME", "optimize: train on candles before TIME, test on the rest (default: the first 70%)"},
	{"walk-forward", KEY_WALK, "WINDOW,STEP", "optimize: re-optimise on rolling windows (durations: 90d,30d)"},
	{"constraint", KEY_CONSTRAINT, "EXPR", "optimize: keep combinations where the jq expression holds ('fast < slow')"},
	{"shard", KEY_SHARD, "I/N", "optimize: run the I-th of N slices of the grid"},
	{"merge", KEY_MERGE, NULL, "optimize: rank the trial records of shards read from the input"},
	{"top", KEY_TOP, "N", "optimize: how many best combinations the optimization record lists (default 5)"},
	{"strategy-file", KEY_STRATEGY_FILE, "FILE", "optimize: sweep a jq strategy file's rules, which read the grid's values as $params"},
	{"buy", KEY_BUY, "JQ", "optimize: sweep a jq buy rule ($params: the combination's values)"},
	{"sell", KEY_SELL, "JQ", "optimize: sweep a jq sell rule"},
	{"indicators", KEY_INDICATORS, "OPTIONS", "optimize: indicators the jq rules read, as ab-signal options ('--rsi 14 --sma 50')"},
	{"from-db", KEY_FROM_DB, "EXCHANGE SYMBOL TF", "optimize: read the candles from the database"},
	{"apply", KEY_APPLY, "RUN_ID", "optimize: make that run's best parameters live (with --as)"},
	{"as", KEY_AS, "NAME", "optimize --apply: the live strategy's name"},
	{0},
};

static const struct {
	const char *name;
	int (*run)(struct order_ctx *);
} commands[] = {
	{"backtest", cmd_backtest}, {"optimize", cmd_optimize}, {"paper", cmd_paper}, {"live", cmd_live},
	{"sync", cmd_sync}, {"orders", cmd_orders}, {"fills", cmd_fills},
	{"positions", cmd_positions}, {"pnl", cmd_pnl}, {"cancel", cmd_cancel},
	{"halt", cmd_halt}, {"resume", cmd_resume}, {"sign", cmd_sign},
};

static const char *const command_names[] = {
	"backtest", "optimize", "paper", "live", "sync", "orders", "fills", "positions", "pnl",
	"cancel", "halt", "resume", "sign", NULL,
};

int
order_open_db(struct order_ctx *x, int required)
{
	const char *env = getenv("AB_DB");
	int code;

	if (!x->db_path && !(env && *env) && !required)
		return 0;
	if ((code = ab_db_open(x->db_path, &x->db)))
		return code;
	ab_runs_start(&x->run, x->db, "ab-order", x->argc, x->argv);
	return 0;
}

int
order_parse_size(struct eng_cfg *cfg, const char *spec)
{
	char *end;
	double v;

	cfg->size_k = 2;
	if (strncmp(spec, "fraction=", 9) == 0) {
		cfg->size = SIZE_FRACTION;
		v = strtod(spec + 9, &end);
		if (*end || !(v > 0 && v <= 1))
			return -1;
	} else if (strncmp(spec, "qty=", 4) == 0) {
		cfg->size = SIZE_QTY;
		v = strtod(spec + 4, &end);
		if (*end || !(v > 0 && isfinite(v)))
			return -1;
	} else if (strncmp(spec, "notional=", 9) == 0) {
		cfg->size = SIZE_NOTIONAL;
		v = strtod(spec + 9, &end);
		if (*end || !(v > 0 && isfinite(v)))
			return -1;
	} else if (strncmp(spec, "risk=", 5) == 0) {
		cfg->size = SIZE_RISK;
		v = strtod(spec + 5, &end);
		if (!(v > 0 && v <= 1) || strncmp(end, ",atr=", 5))
			return -1;
		long n = strtol(end + 5, &end, 10);
		if (n < 1 || n > 1000)
			return -1;
		snprintf(cfg->atr_field, sizeof cfg->atr_field, "atr_%ld", n);
		if (strncmp(end, ",k=", 3) == 0) {
			cfg->size_k = strtod(end + 3, &end);
			if (!(cfg->size_k > 0 && isfinite(cfg->size_k)))
				return -1;
		}
		if (*end)
			return -1;
	} else {
		return -1;
	}
	cfg->size_a = v;
	return 0;
}

int
order_signal(struct ab_jrec *rec)
{
	if (ab_jrec_str_eq(rec, "signal", "buy"))
		return SIDE_BUY;
	if (ab_jrec_str_eq(rec, "signal", "sell"))
		return SIDE_SELL;
	return 0;
}

const char *
order_side_name(int side)
{
	return side == SIDE_BUY ? "buy" : "sell";
}

void
order_out_fill(struct ab_out *o, const struct engine *e, const struct eng_fill *f,
	       const char *client_id)
{
	ab_out_begin(o);
	ab_out_kstr(o, "type", "fill");
	ab_out_ktime(o, "ts", f->ts);
	ab_out_kstr(o, "exchange", e->exchange);
	ab_out_kstr(o, "symbol", e->symbol);
	ab_out_kstr(o, "side", order_side_name(f->side));
	ab_out_knum(o, "qty", f->qty);
	ab_out_knum(o, "price", f->price);
	ab_out_knum(o, "fee", f->fee);
	ab_out_knum(o, "cash_after", f->cash_after);
	ab_out_knum(o, "position_after", f->position_after);
	ab_out_kstr(o, "reason", f->reason);
	if (client_id)
		ab_out_kstr(o, "client_id", client_id);
	ab_out_end(o);
}

void
order_out_reject(struct ab_out *o, const struct engine *e, int64_t ts,
		 const struct eng_order *ord, const char *client_id)
{
	ab_out_begin(o);
	ab_out_kstr(o, "type", "order");
	ab_out_ktime(o, "ts", ts);
	ab_out_kstr(o, "exchange", e->exchange);
	ab_out_kstr(o, "symbol", e->symbol);
	ab_out_kstr(o, "side", order_side_name(ord->side));
	ab_out_knum(o, "qty", ord->qty);
	ab_out_kstr(o, "status", "rejected");
	ab_out_kstr(o, "reason", ord->reject);
	ab_out_ktime(o, "signal_ts", ord->signal_ts);
	if (client_id)
		ab_out_kstr(o, "client_id", client_id);
	ab_out_end(o);
}

void
order_client_id(char out[40], const char *portfolio, const char *exchange,
		const char *symbol, int64_t ts, int side)
{
	char buf[512];
	unsigned char h[AB_CRYPTO_SHA256_LEN];
	static const char hex[] = "0123456789abcdef";

	int n = snprintf(buf, sizeof buf, "%s\n%s\n%s\n%lld\n%s", portfolio, exchange, symbol,
			 (long long)ts, order_side_name(side));
	ab_crypto_sha256(h, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
	/* "ab" and 32 hex digits: within Binance's 36 characters and its alphabet. */
	out[0] = 'a';
	out[1] = 'b';
	for (int i = 0; i < 16; i++) {
		out[2 + 2 * i] = hex[h[i] >> 4];
		out[3 + 2 * i] = hex[h[i] & 15];
	}
	out[34] = '\0';
}

static int
pct(struct ab_cli *cli, double *out)
{
	int code = ab_cli_double(cli, 0, 100, out);
	*out /= 100;
	return code;
}

int
main(int argc, char **argv)
{
	struct ab_cli cli;
	struct order_ctx x = {0};
	const char *cmd = NULL;
	int key, code = 0;
	double v;

	ab_cli_init(&cli, "ab-order", argc, argv, options);
	cli.usage = "backtest [--cash C] [--fee RATE] [--slippage-bps B] [--size SPEC] [--lot L] [--allow-short]\n"
		    "  [--stop-loss PCT] [--take-profit PCT] [--trailing-stop PCT] [--equity] [--db FILE] [--name NAME] [FILE...]\n"
		    "optimize STRATEGY --grid SPEC [--objective NAME] [--train-until T | --walk-forward W,S]\n"
		    "  [--constraint EXPR] [--shard I/N] [backtest options] [--db FILE] [--from-db EXCHANGE SYMBOL TF | FILE...]\n"
		    "optimize {--strategy-file FILE | --buy JQ --sell JQ} [--indicators OPTIONS] --grid SPEC [optimize options] [FILE...]\n"
		    "optimize --merge [FILE...] | optimize --apply RUN_ID --as NAME --db FILE\n"
		    "paper --db FILE [--name NAME] [options] [FILE...]\n"
		    "live --exchange NAME [--base-url URL] --db FILE [options] [FILE...]\n"
		    "sync --exchange NAME | orders [--open] | fills [--since T] | positions | pnl [--since T] | cancel ID | halt | resume\n"
		    "sign --exchange NAME < LINES";
	cli.description = "Simulates and places orders from annotated candles (a \"signal\" field of\n"
			  "\"buy\" or \"sell\"), with one fill and risk engine for backtests, paper and live\n"
			  "trading. See ab-order(1) for the timing rules and statistics.";
	cli.commands = command_names;
	x.argc = argc;
	x.argv = argv;
	x.args = ab_calloc((size_t)argc, sizeof *x.args);
	x.cfg.cash = 10000;
	x.cfg.size = SIZE_FRACTION;
	x.cfg.size_a = 1;
	x.opt.top = 5;
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
		case AB_KEY_BASE_URL: x.base_url = cli.arg; break;
		case KEY_CASH: code = ab_cli_double(&cli, 1e-9, 1e15, &x.cfg.cash); break;
		case KEY_FEE: code = ab_cli_double(&cli, 0, 0.5, &x.cfg.fee); break;
		case KEY_SLIP: code = ab_cli_double(&cli, 0, 10000, &v); x.cfg.slip = v / 1e4; break;
		case KEY_SIZE:
			if (order_parse_size(&x.cfg, cli.arg))
				code = ab_cli_usage_error(&cli, "--size: \"%s\" is not fraction=F, qty=Q, notional=N or risk=R,atr=N[,k=K]", cli.arg);
			break;
		case KEY_LOT: code = ab_cli_double(&cli, 1e-12, 1e12, &x.cfg.lot); break;
		case KEY_SHORT: x.cfg.allow_short = 1; break;
		case KEY_SL: code = ab_cli_double(&cli, 0, 100, &x.cfg.stop_loss); break;
		case KEY_TP: code = ab_cli_double(&cli, 0, 1e6, &x.cfg.take_profit); break;
		case KEY_TRAIL: code = ab_cli_double(&cli, 0, 100, &x.cfg.trailing); break;
		case KEY_EQUITY: x.equity_out = 1; break;
		case KEY_NAME: x.name = cli.arg; break;
		case KEY_EXCHANGE: x.exchange = cli.arg; break;
		case KEY_MAXPOS: code = ab_cli_double(&cli, 0, 1e15, &x.cfg.max_position); break;
		case KEY_MAXNOT: code = ab_cli_double(&cli, 0, 1e15, &x.cfg.max_order_notional); break;
		case KEY_MAXOPEN: {
			long long n;
			code = ab_cli_long(&cli, 1, 1000000, &n);
			x.cfg.max_open_orders = (int)n;
			break;
		}
		case KEY_MAXDAY: code = ab_cli_double(&cli, 0, 1e15, &x.cfg.max_daily_loss); break;
		case KEY_MAXDD: code = pct(&cli, &x.cfg.max_drawdown); break;
		case KEY_OPEN: x.open_only = 1; break;
		case KEY_SINCE: x.since = cli.arg; break;
		case KEY_STRATEGY_FILE: x.opt.strategy_file = cli.arg; break;
		case KEY_BUY: x.opt.buy = cli.arg; break;
		case KEY_SELL: x.opt.sell = cli.arg; break;
		case KEY_GRID: case KEY_CONSTRAINT: case KEY_INDICATORS: {
			char **dst = key == KEY_GRID ? &x.opt.grid : key == KEY_INDICATORS ? &x.opt.indicators
											: &x.opt.constraint;
			const char *sep = key == KEY_CONSTRAINT ? ") and (" : " ";
			size_t n = (*dst ? strlen(*dst) : 0) + strlen(sep) + strlen(cli.arg) + 1;
			char *t = ab_malloc(n);
			if (*dst)
				snprintf(t, n, "%s%s%s", *dst, sep, cli.arg);
			else
				snprintf(t, n, "%s", cli.arg);
			free(*dst);
			*dst = t;
			break;
		}
		case KEY_OBJECTIVE: x.opt.objective = cli.arg; break;
		case KEY_TRAIN_UNTIL: x.opt.train_until = cli.arg; break;
		case KEY_WALK: x.opt.walk_forward = cli.arg; break;
		case KEY_SHARD: x.opt.shard = cli.arg; break;
		case KEY_MERGE: x.opt.merge = 1; break;
		case KEY_TOP: {
			long long n;
			code = ab_cli_long(&cli, 0, 1000, &n);
			x.opt.top = (int)n;
			break;
		}
		case KEY_APPLY: x.opt.apply = cli.arg; break;
		case KEY_AS: x.opt.as = cli.arg; break;
		case KEY_FROM_DB:
			if (cli.i + 2 > argc) {
				code = ab_cli_usage_error(&cli, "--from-db needs EXCHANGE SYMBOL TF");
				break;
			}
			x.opt.from_db[0] = cli.arg;
			x.opt.from_db[1] = argv[cli.i++];
			x.opt.from_db[2] = argv[cli.i++];
			break;
		}
		if (code)
			goto done;
	}
	if (!cmd) {
		code = ab_cli_usage_error(&cli, "no command given (one of: backtest, optimize, paper, live, sync, orders, fills, positions, pnl, cancel, halt, resume)");
		goto done;
	}
	code = -1;
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(cmd, commands[i].name) == 0) {
			ab_out_init(&x.out, 1, "stdout");
			code = commands[i].run(&x);
			int wcode = ab_out_close(&x.out);
			if (!code)
				code = wcode;
			break;
		}
	if (code == -1)
		code = ab_cli_usage_error(&cli, "unknown command \"%s\"", cmd);
	if (x.db) {
		x.run.records_out = x.out.records;
		ab_runs_finish(&x.run, code);
		ab_db_close(x.db);
	}
done:
	free(x.opt.grid);
	free(x.opt.constraint);
	free(x.opt.indicators);
	free(x.args);
	return code;
}
