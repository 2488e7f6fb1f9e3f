/* csv.c: ab-fetch csv, OHLCV CSV files to candle records (and the database). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candle.h"
#include "err.h"
#include "fetch.h"
#include "numfmt.h"
#include "timefmt.h"

enum { COL_TS, COL_OPEN, COL_HIGH, COL_LOW, COL_CLOSE, COL_VOLUME, NCOLS };
static const char *const col_names[NCOLS] = {"ts", "open", "high", "low", "close", "volume"};

#define MAX_FIELDS 64

struct field {
	const char *s;
	size_t n;
};

/* Splits one CSV line in place (RFC 4180 quoting, no newlines inside fields).
 * Returns the number of fields, or -1 on a broken quote. */
static int
split(char *line, size_t len, struct field *f, int max)
{
	char *p = line, *end = line + len;
	int n = 0;

	for (;;) {
		if (n == max)
			return n;
		if (p < end && *p == '"') {
			char *w = ++p, *start = p;
			for (;;) {
				if (p >= end)
					return -1;
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						*w++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				*w++ = *p++;
			}
			f[n].s = start;
			f[n].n = (size_t)(w - start);
			n++;
			if (p < end && *p != ',')
				return -1;
		} else {
			char *c = memchr(p, ',', (size_t)(end - p));
			f[n].s = p;
			f[n].n = (size_t)((c ? c : end) - p);
			n++;
			p = c ? c : end;
		}
		if (p >= end)
			return n;
		p++; /* the comma */
	}
}

static void
trim(struct field *f)
{
	while (f->n && isspace((unsigned char)f->s[0]))
		f->s++, f->n--;
	while (f->n && isspace((unsigned char)f->s[f->n - 1]))
		f->n--;
}

/* Header names match ignoring case, spaces, '_' and '-' ("Open time" is open_time). */
static int
name_is(const struct field *f, const char *name)
{
	size_t i = 0;

	for (const char *p = name;; p++) {
		while (*p == '_' || *p == ' ' || *p == '-')
			p++;
		while (i < f->n && (f->s[i] == '_' || f->s[i] == ' ' || f->s[i] == '-'))
			i++;
		if (!*p || i == f->n)
			return !*p && i == f->n;
		if (tolower((unsigned char)f->s[i++]) != tolower((unsigned char)*p))
			return 0;
	}
}

static int
header_role(const struct field *f)
{
	static const char *const ts_names[] = {"ts", "time", "timestamp", "date", "datetime",
					       "open_time", "opentime"};

	for (size_t i = 0; i < sizeof ts_names / sizeof *ts_names; i++)
		if (name_is(f, ts_names[i]))
			return COL_TS;
	for (int c = COL_OPEN; c < NCOLS; c++)
		if (name_is(f, col_names[c]))
			return c;
	return -1;
}

/* --columns ts=Date,open=2,...: by header name or 1-based number. */
static int
apply_columns(const char *map, struct field *hdr, int nhdr, int *col)
{
	char *copy = ab_strdup(map), *save = NULL;
	int code = 0;

	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		int role = -1;
		if (eq) {
			*eq = '\0';
			for (int c = 0; c < NCOLS; c++)
				if (strcmp(item, col_names[c]) == 0)
					role = c;
		}
		if (role < 0) {
			code = ab_err(AB_EUSAGE, "--columns: \"%s\" is not ROLE=COLUMN with ROLE one of "
				      "ts, open, high, low, close, volume", item);
			break;
		}
		const char *want = eq + 1;
		char *end;
		long idx = strtol(want, &end, 10);
		if (*want && !*end) {
			if (idx < 1 || idx > MAX_FIELDS) {
				code = ab_err(AB_EUSAGE, "--columns: column %ld is out of range", idx);
				break;
			}
			col[role] = (int)idx - 1;
			continue;
		}
		col[role] = -1;
		for (int i = 0; i < nhdr; i++)
			if (name_is(&hdr[i], want))
				col[role] = i;
		if (col[role] < 0) {
			code = ab_err(AB_EDATA, "--columns: no column named \"%s\" in the header", want);
			break;
		}
	}
	free(copy);
	return code;
}

/* A number as CSV files write them: JSON syntax first (exact and fast), else
 * what strtod accepts ("+1", ".5", "1.") without hex, inf or nan. */
static int
parse_num(const struct field *f, double *v)
{
	char buf[64], *end;
	int r = ab_parse_json_number(f->s, f->n, v);

	if (r == 0)
		return 0;
	if (r == -2 || f->n == 0 || f->n >= sizeof buf)
		return -1;
	for (size_t i = 0; i < f->n; i++)
		if (f->s[i] == '\0' || !strchr("0123456789+-.eE", f->s[i]))
			return -1;
	memcpy(buf, f->s, f->n);
	buf[f->n] = '\0';
	*v = strtod(buf, &end);
	return end == buf + f->n && isfinite(*v) ? 0 : -1;
}

int
fetch_csv(struct fetch *f)
{
	struct ab_lines in;
	struct ab_candle c;
	struct ab_candle_store store = {0};
	struct field fld[MAX_FIELDS];
	int64_t tf_ms;
	int col[NCOLS], code = 0, r;
	const char *line;
	size_t len;
	char msg[256];
	long long rows = 0;

	if (!f->exchange || !f->symbol || !f->tf)
		return ab_err(AB_EUSAGE, "csv needs --exchange NAME, --symbol BASE/QUOTE and -t TF");
	if (!ab_symbol_valid(f->symbol))
		return ab_err(AB_EUSAGE, "--symbol: \"%s\" is not BASE/QUOTE in capitals", f->symbol);
	if (ab_tf_parse(f->tf, &tf_ms))
		return ab_err(AB_EUSAGE, "-t: \"%s\" is not a timeframe", f->tf);
	for (const char *p = f->exchange; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == '_'))
			return ab_err(AB_EUSAGE, "--exchange: \"%s\" is not a lower-case name", f->exchange);
	if ((code = fetch_open_db(f, 0)))
		return code;
	if (f->db && ((code = ab_candle_store_open(&store, f->db)) || (code = ab_db_begin(f->db))))
		return code;

	memset(&c, 0, sizeof c);
	c.exchange = f->exchange;
	c.exchange_len = strlen(f->exchange);
	c.symbol = f->symbol;
	c.symbol_len = strlen(f->symbol);
	c.tf = f->tf;
	c.tf_len = strlen(f->tf);

	ab_lines_init(&in, f->args, f->nargs);
	const char *cur_file = NULL;
	int need_header = 1, ncols_needed = 0;
	while ((r = ab_lines_next(&in, &line, &len)) == 1) {
		if (in.name != cur_file || in.lineno == 1) {
			cur_file = in.name;
			need_header = 1;
		}
		if (len == 0 || (len == 1 && line[0] == ' '))
			continue;
		int n = split((char *)line, len, fld, MAX_FIELDS);
		if (n < 0) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "unterminated quote");
			break;
		}
		if (need_header) {
			/* Each file starts with its header; columns are found per file. */
			need_header = 0;
			for (int i = 0; i < n; i++)
				trim(&fld[i]);
			for (int k = 0; k < NCOLS; k++)
				col[k] = -1;
			for (int i = n - 1; i >= 0; i--) {
				int role = header_role(&fld[i]);
				if (role >= 0)
					col[role] = i;
			}
			if (f->columns && (code = apply_columns(f->columns, fld, n, col)))
				break;
			for (int k = 0; k < NCOLS; k++)
				if (col[k] < 0) {
					code = ab_err_at(AB_EDATA, in.name, in.lineno,
						 "header has no \"%s\" column (use --columns)", col_names[k]);
					goto out;
				}
			ncols_needed = 0;
			for (int k = 0; k < NCOLS; k++)
				if (col[k] + 1 > ncols_needed)
					ncols_needed = col[k] + 1;
			continue;
		}
		rows++;
		if (n < ncols_needed) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%d fields, expected at least %d",
					 n, ncols_needed);
			break;
		}
		struct field *ts = &fld[col[COL_TS]];
		trim(ts);
		if (ab_time_parse(ts->s, ts->n, &c.ts)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "\"%.*s\" is not a time",
					 (int)(ts->n > 40 ? 40 : ts->n), ts->s);
			break;
		}
		if (ab_tf_floor(tf_ms, c.ts) != c.ts) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno,
					 "time \"%.*s\" is not the start of a %s candle",
					 (int)ts->n, ts->s, f->tf);
			break;
		}
		double *dst[] = {NULL, &c.open, &c.high, &c.low, &c.close, &c.volume};
		for (int k = COL_OPEN; k < NCOLS; k++) {
			struct field *x = &fld[col[k]];
			trim(x);
			if (x->n == 0) {
				code = ab_err_at(AB_EDATA, in.name, in.lineno, "\"%s\" is empty", col_names[k]);
				goto out;
			}
			if (parse_num(x, dst[k])) {
				code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s \"%.*s\" is not a number",
						 col_names[k], (int)(x->n > 40 ? 40 : x->n), x->s);
				goto out;
			}
		}
		if (ab_candle_check(&c, msg, sizeof msg)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", msg);
			break;
		}
		if (f->db && (code = ab_candle_store_put(&store, &c)))
			break;
		if (!f->quiet) {
			ab_candle_out(&f->out, &c);
			if (ab_out_failed(&f->out)) {
				/* A reader that went away does not cut an import short:
				 * store the rest quietly. Any other write error undoes it. */
				if (f->out.broken_pipe && f->db) {
					f->quiet = 1;
				} else {
					code = f->out.broken_pipe ? 0 : AB_EIO;
					break;
				}
			}
		}
	}
	if (r < 0)
		code = in.status;
out:
	f->run.records_in = rows;
	f->run.records_out = f->out.records;
	if (f->db) {
		ab_candle_store_close(&store);
		if (code)
			ab_db_rollback(f->db);
		else
			code = ab_db_commit(f->db);
	}
	ab_lines_free(&in);
	return code;
}
