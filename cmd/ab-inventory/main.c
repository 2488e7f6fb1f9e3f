/* ab-inventory: stock ledger, customer orders, unsold stock and sales analytics. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "inv.h"
#include "timefmt.h"

enum {
	KEY_LOCATION = AB_KEY_FIRST_PROGRAM_KEY, KEY_COST, KEY_REASON, KEY_FORMAT, KEY_CURRENCY,
	KEY_DAYS, KEY_MIN_STOCK, KEY_COVER, KEY_WINDOW, KEY_BY, KEY_SINCE, KEY_UNTIL, KEY_AT,
	KEY_RESTOCK, KEY_BACKORDER,
};

static const struct ab_opt options[] = {
	AB_OPT_DB,
	{"location", KEY_LOCATION, "L", "the stock location (default: main)"},
	{"cost", KEY_COST, "C", "receive: the unit cost of the received units"},
	{"reason", KEY_REASON, "R", "adjust: why the stock changed (damaged, shrinkage, count, ...)"},
	{"format", KEY_FORMAT, "F", "import: jsonl, csv, shopify-csv, shopify-json or woocommerce-json"},
	{"currency", KEY_CURRENCY, "CUR", "import: the currency of files that carry none (default: USD)"},
	{"days", KEY_DAYS, "N", "unsold: no sale for N days (default: 90)"},
	{"min-stock", KEY_MIN_STOCK, "Q", "unsold: only products with at least Q on hand (default: 1)"},
	{"cover", KEY_COVER, "DAYS", "low-stock: days of sales the stock should cover (default: 14)"},
	{"window", KEY_WINDOW, "DAYS", "trailing days for the average daily sales (default: 30)"},
	{"by", KEY_BY, "P", "report: total, day, week, month, product or category (default: total)"},
	{"since", KEY_SINCE, "T", "report, abc: from this time on"},
	{"until", KEY_UNTIL, "T", "report, abc: before this time (default: now)"},
	{"at", KEY_AT, "T", "receive, adjust, transfer, pay, fulfil, cancel, refund: when it happened (default: now)"},
	{"restock", KEY_RESTOCK, NULL, "refund: put the refunded units back on hand"},
	{"allow-backorder", KEY_BACKORDER, NULL, "order, import: accept orders beyond the available stock"},
	{"quiet", 'q', NULL, "store only; print no records"},
	{0},
};

static const struct {
	const char *name;
	int (*run)(struct inv *);
	int args_min, args_max;
} commands[] = {
	{"import", inv_import, 0, 1000000},
	{"receive", inv_receive, 2, 2},
	{"adjust", inv_adjust, 2, 2},
	{"transfer", inv_transfer, 4, 4},
	{"stock", inv_stock, 0, 1000000},
	{"order", inv_order, 0, 1000000},
	{"pay", inv_pay, 1, 1},
	{"fulfil", inv_fulfil, 1, 1},
	{"cancel", inv_cancel, 1, 1},
	{"refund", inv_refund, 1, 1},
	{"unsold", inv_unsold, 0, 0},
	{"low-stock", inv_low_stock, 0, 0},
	{"report", inv_report, 0, 0},
	{"abc", inv_abc, 0, 0},
	{"aging", inv_aging, 0, 0},
	{"verify", inv_verify, 0, 0},
};

static const char *const command_names[] = {
	"import", "receive", "adjust", "transfer", "stock", "order", "pay", "fulfil", "cancel",
	"refund", "unsold", "low-stock", "report", "abc", "aging", "verify", NULL,
};

int
inv_open_db(struct inv *v)
{
	int code;

	if ((code = ab_db_open(v->db_path, &v->db)))
		return code;
	ab_runs_start(&v->run, v->db, "ab-inventory", v->argc, v->argv);
	return 0;
}

sqlite3_stmt *
inv_stmt(struct inv *v, int which)
{
	static const char *const sql[NST] = {
		[ST_MOVE] = "INSERT INTO stock_moves(ts, sku, location, kind, qty, unit_cost, "
			    "unit_price, order_id, reason, run) VALUES (?,?,?,?,?,?,?,?,?,?)",
		[ST_STOCK_GET] = "SELECT on_hand, reserved FROM stock WHERE sku = ? AND location = ?",
		[ST_PRODUCT_GET] = "SELECT sku, title, category, vendor, status, cost, price, currency, "
				   "backorder FROM products WHERE sku = ?",
		[ST_LOCATION_PUT] = "INSERT OR IGNORE INTO locations(name, created) VALUES (?, ?)",
		[ST_PRODUCT_PUT] =
			"INSERT INTO products(sku, title, category, vendor, cost, price, currency, status, "
			"backorder, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
			"coalesce(?8, 'active'), coalesce(?9, 0), ?10, ?10) "
			"ON CONFLICT (sku) DO UPDATE SET title = excluded.title, "
			"category = coalesce(?3, category), vendor = coalesce(?4, vendor), "
			"cost = coalesce(?5, cost), price = coalesce(?6, price), "
			"currency = CASE WHEN ?5 IS NULL AND ?6 IS NULL THEN currency ELSE ?7 END, "
			"status = coalesce(?8, status), backorder = coalesce(?9, backorder), updated = ?10",
		[ST_ORDER_GET] = "SELECT id, ts, customer, currency, status, location, source "
				 "FROM shop_orders WHERE id = ?",
		[ST_ORDER_LINES] = "SELECT sku, qty, price, cost FROM shop_order_lines "
				   "WHERE order_id = ? ORDER BY line",
		[ST_ORDER_PUT] = "INSERT INTO shop_orders(id, ts, customer, currency, status, "
				 "location, total, source, created, updated) "
				 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) ON CONFLICT (id) DO UPDATE SET "
				 "ts = ?2, customer = ?3, currency = ?4, status = ?5, location = ?6, "
				 "total = ?7, source = ?8, updated = ?9",
		[ST_ORDER_STATUS] = "UPDATE shop_orders SET status = ?2, updated = ?3 WHERE id = ?1",
		[ST_LINE_PUT] = "INSERT INTO shop_order_lines(order_id, line, sku, qty, price, cost) "
				"VALUES (?, ?, ?, ?, ?, ?)",
		[ST_LINES_DEL] = "DELETE FROM shop_order_lines WHERE order_id = ?",
		[ST_LOCATION_GET] = "SELECT 1 FROM locations WHERE name = ?",
		[ST_PRODUCT_BRIEF] = "SELECT p.price, p.cost, p.backorder, coalesce(s.on_hand - s.reserved, 0) "
				     "FROM products p LEFT JOIN stock s ON s.sku = p.sku AND s.location = ?2 "
				     "WHERE p.sku = ?1",
	};

	if (!v->st[which] && ab_db_prepare(v->db, sql[which], &v->st[which]))
		return NULL;
	sqlite3_reset(v->st[which]);
	sqlite3_clear_bindings(v->st[which]);
	return v->st[which];
}

int
inv_hold_begin(struct inv *v)
{
	if (!(v->held = tmpfile()))
		return ab_err(AB_ECANTCREAT, "temporary file: %s", strerror(errno));
	ab_out_init(&v->hold, fileno(v->held), "temporary file");
	return 0;
}

int
inv_hold_release(struct inv *v, int ok)
{
	char buf[65536];
	ssize_t n;
	int code = 0;

	if (!v->held)
		return 0;
	ab_out_flush(&v->hold);
	if (ab_out_failed(&v->hold)) {
		code = ab_out_close(&v->hold);
		ok = 0;
	} else {
		ab_out_close(&v->hold);
	}
	if (ok && lseek(fileno(v->held), 0, SEEK_SET) == 0) {
		ab_out_flush(&v->out);
		while ((n = read(fileno(v->held), buf, sizeof buf)) > 0 && !ab_out_failed(&v->out)) {
			ab_out_raw(&v->out, buf, (size_t)n);
			ab_out_flush(&v->out);
		}
		v->out.records += v->hold.records;
	}
	fclose(v->held);
	v->held = NULL;
	return code;
}

int
main(int argc, char **argv)
{
	struct ab_cli cli;
	struct inv v = {0};
	const char *cmd = NULL;
	int key, code = 0;

	ab_cli_init(&cli, "ab-inventory", argc, argv, options);
	cli.usage = "import [FILE...] [--format F] [--currency CUR] [--location L]\n"
		    "receive SKU QTY [--location L] [--cost C] [--at T]\n"
		    "adjust --reason R [--location L] SKU [--] QTY   (a negative QTY after --)\n"
		    "transfer SKU QTY FROM TO\n"
		    "stock [SKU...] [--location L]\n"
		    "order [FILE...] [--allow-backorder]\n"
		    "pay ID | fulfil ID | cancel ID | refund ID [--restock]\n"
		    "unsold [--days N] [--min-stock Q]\n"
		    "low-stock [--cover DAYS] [--window DAYS]\n"
		    "report [--by total|day|week|month|product|category] [--since T] [--until T]\n"
		    "abc [--since T] [--until T] | aging | verify";
	cli.description = "Keeps a shop's stock as an append-only ledger in the database, processes\n"
			  "customer orders without overselling, and reports unsold stock and sales.";
	cli.commands = command_names;
	v.argc = argc;
	v.argv = argv;
	v.args = ab_calloc((size_t)argc, sizeof *v.args);
	v.since = v.until = v.at = INV_NONE;
	v.days = v.min_stock = v.cover = v.window = -1;
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
		case KEY_LOCATION: v.location = cli.arg; break;
		case KEY_COST: v.cost = cli.arg; break;
		case KEY_REASON: v.reason = cli.arg; break;
		case KEY_FORMAT: v.format = cli.arg; break;
		case KEY_CURRENCY: v.currency = cli.arg; break;
		case KEY_BY: v.by = cli.arg; break;
		case KEY_DAYS: if ((code = ab_cli_long(&cli, 0, 100000, &v.days))) goto done; break;
		case KEY_MIN_STOCK: if ((code = ab_cli_long(&cli, 0, 1LL << 50, &v.min_stock))) goto done; break;
		case KEY_COVER: if ((code = ab_cli_long(&cli, 1, 100000, &v.cover))) goto done; break;
		case KEY_WINDOW: if ((code = ab_cli_long(&cli, 1, 100000, &v.window))) goto done; break;
		case KEY_SINCE: if ((code = ab_cli_time(&cli, &v.since))) goto done; break;
		case KEY_UNTIL: if ((code = ab_cli_time(&cli, &v.until))) goto done; break;
		case KEY_AT: if ((code = ab_cli_time(&cli, &v.at))) goto done; break;
		case KEY_RESTOCK: v.restock = 1; break;
		case KEY_BACKORDER: v.allow_backorder = 1; break;
		case 'q': v.quiet = 1; break;
		}
	}
	if (!cmd) {
		code = ab_cli_usage_error(&cli, "no command given (try --help)");
		goto done;
	}
	if (v.currency && !ab_currency_valid(v.currency, strlen(v.currency))) {
		code = ab_cli_usage_error(&cli, "--currency: \"%s\" is not an ISO 4217 code like USD", v.currency);
		goto done;
	}
	if (!v.currency)
		v.currency = "USD";
	if (v.location && !*v.location) {
		code = ab_cli_usage_error(&cli, "--location: empty name");
		goto done;
	}
	v.now = ab_now_ms();
	code = -1;
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		if (strcmp(cmd, commands[i].name) != 0)
			continue;
		if (v.nargs < commands[i].args_min || v.nargs > commands[i].args_max) {
			code = ab_cli_usage_error(&cli, "%s: wrong number of arguments", cmd);
			break;
		}
		if ((code = inv_open_db(&v)))
			break;
		/* Big imports and order batches stay in memory instead of spilling. */
		ab_db_exec(v.db, "PRAGMA cache_size = -65536");
		ab_out_init(&v.out, 1, "stdout");
		code = commands[i].run(&v);
		int hcode = inv_hold_release(&v, 0);
		int wcode = ab_out_close(&v.out);
		if (!code)
			code = hcode ? hcode : wcode;
		break;
	}
	if (code == -1)
		code = ab_cli_usage_error(&cli, "unknown command \"%s\"", cmd);
	for (int i = 0; i < NST; i++)
		sqlite3_finalize(v.st[i]);
	if (v.db) {
		v.run.records_out = v.out.records;
		ab_runs_finish(&v.run, code);
		ab_db_close(v.db);
	}
done:
	free(v.last_location);
	free(v.args);
	return code;
}
