/* serve.h: ab-serve's shared parts: text buffers with HTML and JSON
 * escaping (html.c), the report build (build.c and its pages), the server
 * (serve.c).
 *
 * Every string that comes from the database reaches a page through
 * sb_html (element text and attribute values) or sb_jstr (JSON inside
 * <script type="application/json">, where <, >, & and U+2028/9 are escaped
 * as \uXXXX so no value can close the block). Functions returning int return
 * 0 or an exit code (err.h) after printing a message.
 */
#ifndef AB_SERVE_H
#define AB_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "db.h"

struct sbuf {
	char *p;
	size_t n, cap;
};

void sb_put(struct sbuf *b, const char *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_html(struct sbuf *b, const char *s);
void sb_jstr(struct sbuf *b, const char *s);   /* a JSON string, HTML-safe */
void sb_jnum(struct sbuf *b, double x);        /* null for NaN/inf */
/* 8 significant digits: chart values, where the last cent cannot be seen */
void sb_jnum_short(struct sbuf *b, double x);
void sb_free(struct sbuf *b);
/* Display form of a number: up to 10 significant digits, no exponent
 * for everyday magnitudes. */
void sb_numtext(struct sbuf *b, double x);

/* Reads a whole file (NUL-terminated, *n bytes); 0 or 66/74. */
int ab_serve_slurp(const char *path, char **out, size_t *n);
/* Writes data to path via a temporary file and rename; 0 or 73. */
int ab_serve_write(const char *path, const char *data, size_t n);

/* One report build. */
struct build {
	struct ab_db *db;
	const char *out;       /* output folder */
	const char *share;     /* the autobot share folder (has report/) */
	const char *chartjs;   /* chart.umd.js */
	int64_t since;         /* INT64_MIN: everything */
	int64_t now;
	int max_points;        /* per chart series */
	const char *indicators; /* "sma20,ema50" */
	char *tmpl;            /* report/page.html */
	int files;             /* pages and assets written */
};

/* A page under construction: its body and its JSON data block. */
struct page {
	struct sbuf body;
	struct sbuf data;      /* members of one JSON object, comma-separated */
	int ncharts;
};

int ab_serve_build(struct build *b);

/* build.c helpers the page files share. */
int table_exists(struct build *b, const char *name);
int table_has_rows(struct build *b, const char *name);
int column_exists(struct build *b, const char *table, const char *col);
/* The first of the comma-separated candidate columns that `table` has, or NULL
 * (a pointer into a static buffer, overwritten by the next call). */
const char *pick_column(struct build *b, const char *table, const char *candidates);
/* Renders a query's result as an HTML table; columns named like times
 * (ts, started, *_at, ...) holding integers are shown as ISO times. Prints
 * `empty` (HTML) when there are no rows. Returns rows, or -1 after an error. */
long sql_table(struct build *b, struct page *pg, const char *sql, const char *empty);
/* The "no data yet" notice for a module whose table is missing or empty. */
void no_data(struct page *pg, const char *what, const char *program);
/* Starts a chart: writes the canvas and opens its JSON spec ("key":{...),
 * leaving the caller to add members and close it with chart_end. */
void chart_begin(struct page *pg, const char *kind, const char *title);
void chart_end(struct page *pg);
/* A series [[x,y],...] from a query returning (x, y) rows, thinned to at
 * most max points per series (min and max per bucket are kept). */
long sql_series(struct build *b, struct sbuf *o, sqlite3_stmt *st, int max);
void stmt_bind_since(sqlite3_stmt *st, int idx, struct build *b);
/* The latest `limit` rows of a table (all its columns), newest first by the
 * first of the `order` columns it has; the notice when missing or empty. */
long table_latest(struct build *b, struct page *pg, const char *table, const char *order,
		  int limit, const char *what, const char *program);
/* Digits of a currency's minor unit: 0 (JPY, ...), 3 (KWD, ...), else 2. */
int currency_digits(const char *currency);

int page_dashboard(struct build *b, struct page *pg);
int page_trading(struct build *b, struct page *pg);
int page_rl(struct build *b, struct page *pg);
int page_shop(struct build *b, struct page *pg);
int page_monitor(struct build *b, struct page *pg);

/* Monitoring summary shared by the dashboard: one row per job or program. */
int monitor_jobs_table(struct build *b, struct page *pg, int *stale, int *failing, int *ok);

/* The server (serve.c). */
struct serve_opts {
	const char *listen;    /* ADDR:PORT */
	const char *dir;
	const char *db_path;
	int auth;
	int secure_cookie;
	long rebuild_s;        /* 0: never */
	long max_conn;
	long ttl_s;
	struct build *build;   /* for --rebuild */
	int argc;
	char **argv;
};
int ab_serve_run(struct serve_opts *o);

#endif
