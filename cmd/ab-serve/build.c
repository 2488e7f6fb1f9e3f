/* build.c: `ab-serve build`: the static report, page by page, from the database. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "serve.h"
#include "timefmt.h"

static const struct {
	const char *file, *title;
	int (*fill)(struct build *, struct page *);
} pages[] = {
	{"index.html", "Dashboard", page_dashboard},
	{"trading.html", "Trading", page_trading},
	{"rl.html", "RL training", page_rl},
	{"shop.html", "E-commerce", page_shop},
	{"monitor.html", "Monitoring", page_monitor},
};

int
table_exists(struct build *b, const char *name)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(b->db->h, "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int
table_has_rows(struct build *b, const char *name)
{
	char sql[160];
	sqlite3_stmt *st;
	int found = 0;

	snprintf(sql, sizeof sql, "SELECT 1 FROM \"%s\" LIMIT 1", name);
	if (sqlite3_prepare_v2(b->db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int
column_exists(struct build *b, const char *table, const char *col)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(b->db->h, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, col, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

const char *
pick_column(struct build *b, const char *table, const char *candidates)
{
	static char name[64];
	const char *p = candidates;

	while (*p) {
		size_t n = strcspn(p, ",");
		if (n < sizeof name) {
			memcpy(name, p, n);
			name[n] = 0;
			if (column_exists(b, table, name))
				return name;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return NULL;
}

void
stmt_bind_since(sqlite3_stmt *st, int idx, struct build *b)
{
	sqlite3_bind_int64(st, idx, b->since);
}

static int
time_column(const char *name)
{
	static const char *exact[] = {"ts", "time", "started", "ended", "created", "updated",
				      "opened", "closed", "finished", "start", "end", "signal_ts", "last_sale", "last_receipt", "last_run",
				      "last_success", "first", "last", "since", "until", NULL};
	size_t n = strlen(name);

	for (int i = 0; exact[i]; i++)
		if (strcmp(name, exact[i]) == 0)
			return 1;
	return (n > 3 && (strcmp(name + n - 3, "_ts") == 0 || strcmp(name + n - 3, "_at") == 0)) ||
	       (n > 5 && strcmp(name + n - 5, "_time") == 0);
}

/* Whether cell() writes this value right-aligned, so its header can match. */
static int
cell_is_num(sqlite3_stmt *st, int i)
{
	const char *s;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return !(time_column(sqlite3_column_name(st, i)) &&
			 sqlite3_column_int64(st, i) > 100000000000LL);
	case SQLITE_FLOAT:
		return 1;
	case SQLITE_TEXT:
		s = (const char *)sqlite3_column_text(st, i);
		return s && *s && strspn(s, "-0123456789.") == strlen(s);
	default:
		return 0;
	}
}

static void
cell(struct sbuf *o, sqlite3_stmt *st, int i)
{
	const char *name = sqlite3_column_name(st, i);
	char t[AB_TIME_MAX];

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		sb_puts(o, "<td class=\"null\"></td>");
		break;
	case SQLITE_INTEGER: {
		long long v = sqlite3_column_int64(st, i);
		if (time_column(name) && v > 100000000000LL) {
			ab_time_format(v, t);
			sb_printf(o, "<td class=\"time\">%s</td>", t);
		} else if (strcmp(name, "status") == 0 && v != 0) {
			sb_printf(o, "<td class=\"num bad\">%lld</td>", v);
		} else {
			sb_printf(o, "<td class=\"num\">%lld</td>", v);
		}
		break;
	}
	case SQLITE_FLOAT:
		sb_puts(o, "<td class=\"num\">");
		sb_numtext(o, sqlite3_column_double(st, i));
		sb_puts(o, "</td>");
		break;
	case SQLITE_BLOB:
		sb_printf(o, "<td class=\"null\">(%d bytes)</td>", sqlite3_column_bytes(st, i));
		break;
	default: {
		const char *s = (const char *)sqlite3_column_text(st, i);
		/* money() and printf() results are numbers in text form */
		int numeric = s && *s && strspn(s, "-0123456789.") == strlen(s);
		sb_puts(o, numeric ? "<td class=\"num\">" : "<td>");
		sb_html(o, s);
		sb_puts(o, "</td>");
	}
	}
}

long
sql_table(struct build *b, struct page *pg, const char *sql, const char *empty)
{
	sqlite3_stmt *st;
	struct sbuf *o = &pg->body;
	long rows = 0;
	int rc, ncol;

	if (sqlite3_prepare_v2(b->db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		ab_err(0, "warning: cannot read the database: %s", sqlite3_errmsg(b->db->h));
		sb_puts(o, "<p class=\"empty\">Could not read this table: ");
		sb_html(o, sqlite3_errmsg(b->db->h));
		sb_puts(o, "</p>\n");
		return 0;
	}
	if (sqlite3_bind_parameter_count(st) >= 1)
		stmt_bind_since(st, 1, b);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b->now);
	ncol = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows++ == 0) {
			sb_puts(o, "<div class=\"table\"><table>\n<thead><tr>");
			for (int i = 0; i < ncol; i++) {
				sb_puts(o, cell_is_num(st, i) ? "<th class=\"num\">" : "<th>");
				sb_html(o, sqlite3_column_name(st, i));
				sb_puts(o, "</th>");
			}
			sb_puts(o, "</tr></thead>\n<tbody>\n");
		}
		sb_puts(o, "<tr>");
		for (int i = 0; i < ncol; i++)
			cell(o, st, i);
		sb_puts(o, "</tr>\n");
	}
	if (rc != SQLITE_DONE) {
		int code = ab_db_fail(b->db, rc, "report query");
		sqlite3_finalize(st);
		(void)code;
		return -1;
	}
	sqlite3_finalize(st);
	if (rows)
		sb_puts(o, "</tbody></table></div>\n");
	else if (empty) {
		sb_puts(o, "<p class=\"empty\">");
		sb_puts(o, empty);
		sb_puts(o, "</p>\n");
	}
	return rows;
}

void
no_data(struct page *pg, const char *what, const char *program)
{
	sb_puts(&pg->body, "<p class=\"empty\">No ");
	sb_html(&pg->body, what);
	sb_puts(&pg->body, " yet: ");
	sb_html(&pg->body, program);
	sb_puts(&pg->body, " has not written any to this database.</p>\n");
}

void
chart_begin(struct page *pg, const char *kind, const char *title)
{
	int id = ++pg->ncharts;

	sb_printf(&pg->body, "<figure class=\"chart\"><figcaption>");
	sb_html(&pg->body, title);
	sb_printf(&pg->body, "</figcaption><div class=\"canvas\"><canvas id=\"chart%d\" data-chart=\"c%d\" role=\"img\" aria-label=\"", id, id);
	sb_html(&pg->body, title);
	sb_puts(&pg->body, "\"></canvas></div></figure>\n");
	sb_printf(&pg->data, "%s\"c%d\":{\"kind\":", pg->data.n ? "," : "", id);
	sb_jstr(&pg->data, kind);
	sb_puts(&pg->data, ",\"title\":");
	sb_jstr(&pg->data, title);
}

void
chart_end(struct page *pg)
{
	sb_puts(&pg->data, "}");
}

long
sql_series(struct build *b, struct sbuf *o, sqlite3_stmt *st, int max)
{
	double *x = NULL, *y = NULL;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL || sqlite3_column_type(st, 1) == SQLITE_NULL)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			x = ab_realloc(x, cap * sizeof *x);
			y = ab_realloc(y, cap * sizeof *y);
		}
		x[n] = sqlite3_column_double(st, 0);
		y[n] = sqlite3_column_double(st, 1);
		n++;
	}
	if (rc != SQLITE_DONE)
		ab_db_fail(b->db, rc, "report series");
	sb_puts(o, "[");
	if (max < 4)
		max = 4;
	if (n <= (size_t)max) {
		for (size_t i = 0; i < n; i++) {
			sb_puts(o, i ? ",[" : "[");
			sb_jnum(o, x[i]);
			sb_puts(o, ",");
			sb_jnum_short(o, y[i]);
			sb_puts(o, "]");
		}
	} else {
		/* keep each bucket's extremes, in time order, so spikes survive */
		size_t buckets = (size_t)max / 2, first = 1;
		for (size_t k = 0; k < buckets; k++) {
			size_t lo = n * k / buckets, hi = n * (k + 1) / buckets;
			size_t imin = lo, imax = lo;
			for (size_t i = lo; i < hi; i++) {
				if (y[i] < y[imin])
					imin = i;
				if (y[i] > y[imax])
					imax = i;
			}
			size_t pick[2] = {imin < imax ? imin : imax, imin < imax ? imax : imin};
			for (int j = 0; j < (pick[0] == pick[1] ? 1 : 2); j++) {
				sb_puts(o, first ? "[" : ",[");
				first = 0;
				sb_jnum(o, x[pick[j]]);
				sb_puts(o, ",");
				sb_jnum_short(o, y[pick[j]]);
				sb_puts(o, "]");
			}
		}
	}
	sb_puts(o, "]");
	free(x);
	free(y);
	return (long)n;
}

/* iso(ms): ISO 8601 UTC text; NULL stays NULL. */
static void
fn_iso(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char t[AB_TIME_MAX];

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	ab_time_format(sqlite3_value_int64(argv[0]), t);
	sqlite3_result_text(ctx, t, -1, SQLITE_TRANSIENT);
}

/* Digits after the decimal point of a currency's minor unit (ISO 4217). */
int
currency_digits(const char *c)
{
	static const char *zero[] = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF",
				     "PYG", "RWF", "KMF", "GNF", "VUV", "XPF", "BIF", "DJF", NULL};
	static const char *three[] = {"BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD", NULL};

	for (int i = 0; c && zero[i]; i++)
		if (strcmp(c, zero[i]) == 0)
			return 0;
	for (int i = 0; c && three[i]; i++)
		if (strcmp(c, three[i]) == 0)
			return 3;
	return 2;
}

/* money(minor, currency): the amount as decimal text ("12.50"). */
static void
fn_money(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char buf[64];
	const char *cur = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : NULL;
	int d = currency_digits(cur);
	long long v, scale = d == 0 ? 1 : d == 3 ? 1000 : 100;

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	v = sqlite3_value_int64(argv[0]);
	if (d == 0)
		snprintf(buf, sizeof buf, "%lld", v);
	else
		snprintf(buf, sizeof buf, "%s%lld.%0*lld", v < 0 ? "-" : "", llabs(v) / scale, d,
			 llabs(v) % scale);
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static int
mkdirs(const char *path)
{
	char *p = ab_strdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			int e = errno;
			free(p);
			return ab_err(AB_ECANTCREAT, "%s: %s", path, strerror(e));
		}
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST) {
		int e = errno;
		free(p);
		return ab_err(AB_ECANTCREAT, "%s: %s", path, strerror(e));
	}
	free(p);
	return 0;
}

static int
copy_asset(struct build *b, const char *from, const char *name)
{
	char *data, dst[4096];
	size_t n;
	int code;

	if ((code = ab_serve_slurp(from, &data, &n)))
		return code;
	snprintf(dst, sizeof dst, "%s/assets/%s", b->out, name);
	code = ab_serve_write(dst, data, n);
	free(data);
	if (!code)
		b->files++;
	return code;
}

static void
nav(struct build *b, struct sbuf *o, int current)
{
	for (size_t i = 0; i < sizeof pages / sizeof *pages; i++)
		sb_printf(o, "<a href=\"%s\"%s>%s</a>", pages[i].file,
			  (int)i == current ? " aria-current=\"page\"" : "", pages[i].title);
}

static int
render(struct build *b, int i, struct page *pg)
{
	struct sbuf o = {0};
	const char *t = b->tmpl;
	char when[AB_TIME_MAX], path[4096];
	int code;

	ab_time_format(b->now, when);
	while (*t) {
		const char *at = strchr(t, '@');
		const char *end = at ? strchr(at + 1, '@') : NULL;
		if (!at || !end) {
			sb_puts(&o, t);
			break;
		}
		sb_put(&o, t, (size_t)(at - t));
		size_t n = (size_t)(end - at - 1);
#define IS(k) (n == sizeof k - 1 && memcmp(at + 1, k, n) == 0)
		if (IS("TITLE"))
			sb_puts(&o, pages[i].title);
		else if (IS("NAV"))
			nav(b, &o, i);
		else if (IS("MAIN"))
			sb_put(&o, pg->body.p ? pg->body.p : "", pg->body.n);
		else if (IS("DATA")) {
			sb_puts(&o, "{\"charts\":{");
			sb_put(&o, pg->data.p ? pg->data.p : "", pg->data.n);
			sb_puts(&o, "}}");
		} else if (IS("GENERATED"))
			sb_puts(&o, when);
		else if (IS("DB"))
			sb_html(&o, b->db->path);
		else {
			sb_put(&o, at, 1);
			t = at + 1;
			continue;
		}
#undef IS
		t = end + 1;
	}
	snprintf(path, sizeof path, "%s/%s", b->out, pages[i].file);
	code = ab_serve_write(path, o.p, o.n);
	sb_free(&o);
	if (!code)
		b->files++;
	return code;
}

int
ab_serve_build(struct build *b)
{
	char path[4096];
	size_t n;
	int code;

	snprintf(path, sizeof path, "%s/report/page.html", b->share);
	if ((code = ab_serve_slurp(path, &b->tmpl, &n)))
		return code;
	snprintf(path, sizeof path, "%s/assets", b->out);
	if ((code = mkdirs(path)))
		goto out;
	snprintf(path, sizeof path, "%s/report/style.css", b->share);
	if ((code = copy_asset(b, path, "style.css")))
		goto out;
	snprintf(path, sizeof path, "%s/report/report.js", b->share);
	if ((code = copy_asset(b, path, "report.js")))
		goto out;
	snprintf(path, sizeof path, "%s/report/favicon.svg", b->share);
	if ((code = copy_asset(b, path, "favicon.svg")))
		goto out;
	if ((code = copy_asset(b, b->chartjs, "chart.umd.js")))
		goto out;

	sqlite3_create_function(b->db->h, "iso", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_iso, NULL, NULL);
	sqlite3_create_function(b->db->h, "money", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_money, NULL, NULL);
	/* one read snapshot for the whole report */
	if ((code = ab_db_exec(b->db, "BEGIN")))
		goto out;
	for (size_t i = 0; i < sizeof pages / sizeof *pages && !code; i++) {
		struct page pg = {0};
		if (!(code = pages[i].fill(b, &pg)))
			code = render(b, (int)i, &pg);
		sb_free(&pg.body);
		sb_free(&pg.data);
	}
	ab_db_exec(b->db, "COMMIT");
out:
	free(b->tmpl);
	b->tmpl = NULL;
	return code;
}
