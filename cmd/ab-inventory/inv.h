/* inv.h: what ab-inventory's commands share: options, the run, money, the ledger.
 *
 * Money is int64 minor units of a currency (cents, yen); INV_NONE marks an
 * unknown amount. Every function returning int returns 0 or an exit code
 * after printing its message, except where stated.
 */
#ifndef AB_INVENTORY_H
#define AB_INVENTORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "db.h"
#include "jsonl.h"
#include "money.h"
#include "runs.h"

#define INV_NONE AB_MONEY_NONE
#define INV_DAY_MS 86400000LL
#define INV_DEFAULT_LOCATION "main"

/* Prepared statements kept for the whole run (finalized by inv_close). */
enum {
	ST_MOVE, ST_STOCK_GET, ST_PRODUCT_GET, ST_LOCATION_PUT, ST_PRODUCT_PUT,
	ST_ORDER_GET, ST_ORDER_LINES, ST_ORDER_PUT, ST_ORDER_STATUS, ST_LINE_PUT,
	ST_LINES_DEL, ST_LOCATION_GET, ST_PRODUCT_BRIEF, NST
};

struct inv {
	/* options */
	const char *db_path;
	const char *location;     /* --location */
	const char *cost;         /* --cost */
	const char *reason;       /* --reason */
	const char *format;       /* --format */
	const char *currency;     /* --currency, default USD */
	const char *by;           /* --by */
	int64_t since, until;     /* --since, --until (INV_NONE: not given) */
	int64_t at;               /* --at: time of a manual move (default now) */
	long long days;           /* --days (-1: not given) */
	long long min_stock;      /* --min-stock */
	long long cover;          /* --cover */
	long long window;         /* --window */
	int restock, allow_backorder, quiet;
	/* positionals after the command */
	char **args;
	int nargs;
	/* run */
	int64_t now;
	struct ab_out out;
	FILE *held;               /* records held back until the commit */
	struct ab_out hold;
	struct ab_db *db;
	struct ab_run run;
	sqlite3_stmt *st[NST];
	char *last_location;      /* known to exist in this transaction */
	int argc;
	char **argv;
};

/* main.c */
int inv_open_db(struct inv *v);
/* Records printed after the transaction commits: inv_hold_begin sends
 * v->hold to a temporary file, inv_hold_release copies it to stdout (on
 * success) and closes it. */
int inv_hold_begin(struct inv *v);
int inv_hold_release(struct inv *v, int ok);
sqlite3_stmt *inv_stmt(struct inv *v, int which);

/* money.c (amounts themselves: lib/money.h) */
/* Whole numbers ("3", "3.0", "3e0" not allowed): 0 or -1. */
int inv_int_parse(const char *s, size_t n, int64_t *out);
/* Field helpers on parsed records: absent or null give INV_NONE; 0 or -1. */
int inv_jint(struct ab_jrec *rec, const char *key, int64_t *out, int *present);
/* A string field as a fresh copy, or NULL when absent/null; numbers are
 * copied as their text (ids). -1 for other types. */
int inv_jdup(struct ab_jrec *rec, const char *key, char **out);
/* Steps through the elements of a raw JSON array span: returns 1 and the next
 * element's span, 0 at the end, -1 on broken text. *pos starts at 0. */
int inv_jarray_next(const char *a, size_t n, size_t *pos, const char **el, size_t *elen);

/* ledger.c */
struct product {
	char *sku, *title, *category, *vendor, *status;
	int64_t cost, price;      /* INV_NONE: unknown */
	char currency[4];
	int backorder;            /* -1: not said */
	int64_t on_hand;          /* count to set, INV_NONE: leave the stock alone */
	char *location;
};
void inv_product_free(struct product *p);
/* 0 and *p filled (strings owned by p), 1 when there is no such SKU, else an
 * exit code. */
int inv_product_get(struct inv *v, const char *sku, struct product *p);
/* Inserts or updates a product (fields left unknown keep their stored
 * values); when p->on_hand is given, adjusts the stock to that count. */
int inv_product_put(struct inv *v, const struct product *p, int64_t ts);
void inv_product_out(struct inv *v, struct ab_out *o, const struct product *p);
int inv_location_ensure(struct inv *v, const char *name, int64_t ts);
int inv_move(struct inv *v, int64_t ts, const char *sku, const char *loc, const char *kind,
	     int64_t qty, int64_t unit_cost, int64_t unit_price, const char *order_id,
	     const char *reason);
int inv_stock_get(struct inv *v, const char *sku, const char *loc, int64_t *on_hand,
		  int64_t *reserved);

int inv_receive(struct inv *v);
int inv_adjust(struct inv *v);
int inv_transfer(struct inv *v);
int inv_stock(struct inv *v);
int inv_verify(struct inv *v);

/* orders.c */
struct oline {
	char *sku;
	int64_t qty, price, cost;
	int backorder;            /* the product takes backorders */
	int64_t available;        /* at the order's location, when it was applied */
};
enum ostatus { OS_NONE = -1, OS_PENDING, OS_PAID, OS_FULFILLED, OS_CANCELLED, OS_REFUNDED, OS_REJECTED };
struct order {
	char *id, *customer, *location, *reason;
	const char *source;
	char currency[4];
	int64_t ts;
	enum ostatus status;
	int restock;
	struct oline *lines;
	int nlines;
	const char *file;        /* where it came from, for messages */
	long lineno;
	const char *result;      /* created, updated, duplicate, rejected */
};
const char *inv_status_name(enum ostatus s);
enum ostatus inv_status_parse(const char *s);
void inv_order_free(struct order *o);
/* A shop_order record to an order: 0, or -1 with msg set. */
int inv_order_from_jrec(struct ab_jrec *rec, struct order *o, char *msg, size_t n);
/* Applies an incoming order inside the open transaction: new orders reserve
 * stock (or are rejected), known ones move along their lifecycle. */
int inv_order_apply(struct inv *v, struct order *o);
void inv_order_out(struct inv *v, struct ab_out *o, const struct order *ord);

int inv_order(struct inv *v);
int inv_pay(struct inv *v);
int inv_fulfil(struct inv *v);
int inv_cancel(struct inv *v);
int inv_refund(struct inv *v);

/* import.c */
int inv_import(struct inv *v);

/* reports.c */
int inv_unsold(struct inv *v);
int inv_low_stock(struct inv *v);
int inv_report(struct inv *v);
int inv_abc(struct inv *v);
int inv_aging(struct inv *v);

#endif
