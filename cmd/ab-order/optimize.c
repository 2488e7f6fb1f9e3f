/* optimize.c: parameter sweeps of a built-in strategy, out of sample.
 *
 * The candles are read once. Each distinct indicator series of the grid is
 * computed once (lib/indicators.c, the code ab-signal runs) and shared by
 * every combination that needs it; each combination's signals come from
 * ab_strat_series (the decisions ab-signal makes) and are kept as a short list
 * of the candles that carry one. A combination is then backtested with
 * bt_candle, the engine and statistics `ab-order backtest` uses, candle by
 * candle, except over stretches where the engine is flat with nothing pending
 * and no signal: there eng_candle would only mark an unchanged equity, so one
 * eng_mark on the stretch's last candle and a count of zero returns leave the
 * engine and the statistics exactly as the candle-by-candle loop would.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>
#include <jv.h>

#include "auth.h"
#include "err.h"
#include "indicators.h"
#include "jqrules.h"
#include "numfmt.h"
#include "order.h"
#include "strategies.h"
#include "timefmt.h"

enum { OBJ_SHARPE, OBJ_SORTINO, OBJ_RETURN, OBJ_CALMAR };
static const char *const obj_names[] = {"sharpe", "sortino", "return", "calmar", NULL};

#define MAXP 8
static const struct {
	const char *name;
	int bit, is_int;
} pnames[MAXP] = {
	{"fast", AB_STO_FAST, 1}, {"slow", AB_STO_SLOW, 1}, {"signal", AB_STO_SIGNAL, 1},
	{"period", AB_STO_PERIOD, 1}, {"n", AB_STO_N, 1}, {"low", AB_STO_LOW, 0},
	{"high", AB_STO_HIGH, 0}, {"k", AB_STO_K, 0},
};

struct gparam {
	int which;      /* index into pnames; -1 for a jq strategy's own name */
	char name[32];
	int is_int;
	int nv;
	double *v;
};

/* One segment's backtest. */
struct res {
	double v[BT_NSTATS];
	double sr, skew, kurt;
	long long candles, trades;
	int64_t start, end;
	int empty;
};

struct trial {
	long index;             /* in the whole grid */
	struct ab_strategy s;
	int *ev;                /* candles carrying a signal */
	signed char *sv;        /* and the signal */
	int nev;
	char params[256];       /* JSON object */
	double score;
	struct res train, test;
};

/* A computed indicator series, shared by the trials that need it. */
struct series {
	struct ab_ind ind;
	double *v;              /* n rows of ind.nout values */
};

struct opt {
	struct order_ctx *x;
	const char *strategy;
	enum ab_strat_kind kind;
	int obj;
	/* the candles */
	struct ab_candle *c;
	long n, nclosed;
	char exchange[32], symbol[40], tf[8];
	double *close;
	double *atr;            /* --size risk: the ATR series, else NULL */
	/* the grid */
	struct gparam p[MAXP];
	int np;
	long total;             /* combinations in the grid, before constraints */
	long combinations;      /* those that pass the constraints and the strategy's checks */
	struct trial *t;
	long nt;
	struct series *cache;
	int ncache;
	size_t cache_bytes;
	jq_state *jq;
	/* a jq-rule strategy: rules, the indicators they read, and each closed
	 * candle annotated as ab-signal would write it, parsed once */
	int rules;
	struct ab_rule buy, sell;
	int have_buy, have_sell;
	struct ab_ind_set set;
	char *label, *texts[2];
	char *rules_json;       /* stored with the run for --apply */
	char **lines;           /* the input lines (NULL: from the database) */
	size_t lines_cap;
	jv *recs;
	unsigned char *warm;    /* every indicator of the candle has a value */
	int argskip;            /* 1: args[0] names the strategy */
	int shard_i, shard_n;
	/* out of sample */
	long split;
	/* storage */
	sqlite3_stmt *trial_st;
	int64_t opt_id;
	char msg[512];
};

/* ---- the grid ---- */

static int
parse_values(struct opt *o, struct gparam *g, const char *name, const char *spec)
{
	const char *dots = strstr(spec, "..");
	char *end;
	int is_int = g->is_int;

	if (dots) {
		char head[64];
		double a, b, step = 1;
		if ((size_t)(dots - spec) >= sizeof head)
			goto bad;
		memcpy(head, spec, (size_t)(dots - spec));
		head[dots - spec] = '\0';
		a = strtod(head, &end); /* "5." would read the first dot */
		if (end == head || *end)
			goto bad;
		b = strtod(dots + 2, &end);
		if (end == dots + 2)
			goto bad;
		if (*end == ':') {
			const char *s = end + 1;
			step = strtod(s, &end);
			if (end == s)
				goto bad;
		}
		if (*end || !isfinite(a) || !isfinite(b) || !(step > 0) || b < a || (b - a) / step > 1e6)
			goto bad;
		long count = (long)floor((b - a) / step + 1e-9) + 1;
		g->v = ab_calloc((size_t)count, sizeof *g->v);
		for (long i = 0; i < count; i++) {
			g->v[i] = a + (double)i * step;
			/* 0.1 steps print as 0.3, not 0.30000000000000004 */
			g->v[i] = nearbyint(g->v[i] * 1e9) / 1e9;
		}
		g->nv = (int)count;
	} else {
		const char *s = spec;
		for (;;) {
			double v = strtod(s, &end);
			if (end == s || (*end && *end != ',') || !isfinite(v))
				goto bad;
			g->v = ab_realloc(g->v, (size_t)(g->nv + 1) * sizeof *g->v);
			g->v[g->nv++] = v;
			if (!*end)
				break;
			s = end + 1;
		}
	}
	for (int i = 0; i < g->nv; i++)
		if (is_int && g->v[i] != floor(g->v[i]))
			return ab_err(AB_EUSAGE, "--grid: %s takes whole numbers (got %g)", name, g->v[i]);
	return 0;
bad:
	(void)o;
	return ab_err(AB_EUSAGE, "--grid: \"%s=%s\" is not NAME=FROM..TO[:STEP] or NAME=V1,V2,...", name, spec);
}

static int
parse_grid(struct opt *o, const char *text)
{
	char *copy = ab_strdup(text ? text : ""), *save = NULL;
	int code = 0;

	o->total = 1;
	for (char *w = strtok_r(copy, " \t\n", &save); w && !code; w = strtok_r(NULL, " \t\n", &save)) {
		char *eq = strchr(w, '=');
		int which = -1;
		if (!eq) {
			code = ab_err(AB_EUSAGE, "--grid: \"%s\" is not NAME=VALUES", w);
			break;
		}
		*eq = '\0';
		for (int i = 0; i < MAXP; i++)
			if (strcmp(pnames[i].name, w) == 0)
				which = i;
		if (o->rules) {
			/* a jq strategy's parameters are its own: $params.NAME */
			int okname = *w && strlen(w) < sizeof o->p[0].name && !(*w >= '0' && *w <= '9');
			for (const char *c = w; *c; c++)
				if (!(*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
				      (*c >= '0' && *c <= '9')))
					okname = 0;
			if (!okname) {
				code = ab_err(AB_EUSAGE, "--grid: \"%s\" is not a parameter name (letters, digits, _)", w);
				break;
			}
			which = -1;
		} else if (which < 0) {
			code = ab_err(AB_EUSAGE, "--grid: \"%s\" is not a strategy parameter (fast, slow, signal, "
				      "period, n, low, high, k)", w);
			break;
		}
		for (int i = 0; i < o->np; i++)
			if (strcmp(o->p[i].name, w) == 0) {
				code = ab_err(AB_EUSAGE, "--grid: %s is given twice", w);
				break;
			}
		if (code)
			break;
		if (o->np == MAXP) {
			code = ab_err(AB_EUSAGE, "--grid: more than %d parameters", MAXP);
			break;
		}
		struct gparam *g = &o->p[o->np++];
		g->which = which;
		snprintf(g->name, sizeof g->name, "%s", w);
		g->is_int = which >= 0 && pnames[which].is_int;
		if ((code = parse_values(o, g, w, eq + 1)))
			break;
		o->total *= g->nv;
		if (o->total > 10000000) {
			code = ab_err(AB_EUSAGE, "--grid: more than 10000000 combinations");
			break;
		}
	}
	if (!code && o->np == 0)
		code = ab_err(AB_EUSAGE, "optimize needs --grid 'NAME=FROM..TO[:STEP] ...'");
	/* Every combination's {"name":value,...} must fit a trial's params. */
	size_t room = 2;
	for (int i = 0; i < o->np; i++)
		room += strlen(o->p[i].name) + 4 + AB_FMT_DOUBLE_MAX;
	if (!code && room > sizeof o->t[0].params)
		code = ab_err(AB_EUSAGE, "--grid: the parameter names are too long");
	free(copy);
	return code;
}

/* The values of combination idx (the last parameter varies fastest). */
static void
decode(const struct opt *o, long idx, double *vals)
{
	for (int i = o->np - 1; i >= 0; i--) {
		vals[i] = o->p[i].v[idx % o->p[i].nv];
		idx /= o->p[i].nv;
	}
}

/* {"fast":5,"slow":20}: at most MAXP names of 6 and numbers of
 * AB_FMT_DOUBLE_MAX (parse_grid checks they fit trial.params). */
static void
fmt_params(const struct opt *o, const double *vals, char *buf, size_t n)
{
	size_t len = 0;
	char num[AB_FMT_DOUBLE_MAX];

	buf[len++] = '{';
	for (int i = 0; i < o->np; i++) {
		const char *nm = o->p[i].name;
		size_t nl = strlen(nm), vl = (size_t)ab_fmt_double(vals[i], num);
		if (len + nl + vl + 6 >= n)
			break;
		if (i)
			buf[len++] = ',';
		buf[len++] = '"';
		memcpy(buf + len, nm, nl);
		len += nl;
		buf[len++] = '"';
		buf[len++] = ':';
		memcpy(buf + len, num, vl);
		len += vl;
	}
	buf[len++] = '}';
	buf[len] = '\0';
}

static int
compile_constraint(struct opt *o, const char *text)
{
	size_t n = strlen(text) + 64 * (MAXP + 1) + 16;
	char *prog = ab_malloc(n);
	size_t len = 0;

	/* Bare names read the combination's values: 'fast < slow'. */
	for (int i = 0; i < o->np; i++) {
		const char *nm = o->p[i].name;
		len += (size_t)snprintf(prog + len, n - len, "def %s: .%s; ", nm, nm);
	}
	snprintf(prog + len, n - len, "(%s)", text);
	o->jq = jq_init();
	if (!o->jq)
		ab_oom();
	int ok = jq_compile(o->jq, prog);
	free(prog);
	if (!ok)
		return ab_err(AB_EUSAGE, "--constraint: \"%s\" is not a jq expression", text);
	return 0;
}

/* 1 when the combination passes every --constraint, 0 if not, -1 on error. */
static int
constraint_holds(struct opt *o, const char *params)
{
	jv in = jv_parse(params), v;
	int r;

	jq_start(o->jq, in, 0);
	v = jq_next(o->jq);
	if (!jv_is_valid(v)) {
		jv m = jv_invalid_has_msg(jv_copy(v)) ? jv_invalid_get_msg(jv_copy(v)) : jv_string("no value");
		if (jv_get_kind(m) == JV_KIND_STRING)
			snprintf(o->msg, sizeof o->msg, "--constraint: %s", jv_string_value(m));
		else
			snprintf(o->msg, sizeof o->msg, "--constraint: jq error");
		jv_free(m);
		jv_free(v);
		return -1;
	}
	r = jv_get_kind(v) != JV_KIND_NULL && jv_get_kind(v) != JV_KIND_FALSE;
	jv_free(v);
	return r;
}

static int
build_trials(struct opt *o)
{
	double vals[MAXP];
	long valid = 0, cap = 0;
	int code = 0;

	for (long idx = 0; idx < o->total; idx++) {
		struct ab_strat_opts so = {0};
		struct trial t;
		memset(&t, 0, sizeof t);
		decode(o, idx, vals);
		for (int i = 0; i < o->np && !o->rules; i++) {
			int w = o->p[i].which;
			so.given |= pnames[w].bit;
			switch (pnames[w].bit) {
			case AB_STO_FAST: so.fast = (long)vals[i]; break;
			case AB_STO_SLOW: so.slow = (long)vals[i]; break;
			case AB_STO_SIGNAL: so.signal = (long)vals[i]; break;
			case AB_STO_PERIOD: so.period = (long)vals[i]; break;
			case AB_STO_N: so.n = (long)vals[i]; break;
			case AB_STO_LOW: so.low = vals[i]; break;
			case AB_STO_HIGH: so.high = vals[i]; break;
			case AB_STO_K: so.k = vals[i]; break;
			}
		}
		if (o->jq) {
			fmt_params(o, vals, t.params, sizeof t.params);
			int h = constraint_holds(o, t.params);
			if (h < 0)
				return ab_err(AB_EUSAGE, "%s", o->msg);
			if (!h)
				continue;
		}
		if (!o->rules && ab_strat_check(&t.s, o->kind, &so, o->msg, sizeof o->msg)) {
			/* A parameter the strategy does not take is a mistake; a
			 * combination it refuses (fast >= slow) is just skipped. */
			if (strstr(o->msg, "does not apply"))
				return ab_err(AB_EUSAGE, "--grid: %s", o->msg);
			continue;
		}
		t.index = idx;
		/* Shards take every N-th valid combination: equal shares of work. */
		if (o->shard_n > 1 && valid % o->shard_n != o->shard_i - 1) {
			valid++;
			continue;
		}
		valid++;
		if (!o->jq)
			fmt_params(o, vals, t.params, sizeof t.params);
		if (o->nt == cap)
			o->t = ab_realloc(o->t, (cap = cap ? cap * 2 : 64) * sizeof *o->t);
		o->t[o->nt++] = t;
	}
	o->combinations = valid;
	if (valid == 0)
		code = ab_err(AB_EUSAGE, "--grid: no combination is valid for strategy %s%s", o->strategy,
			      o->jq ? " under the constraints" : "");
	return code;
}

/* ---- the candles ---- */

static void
copy_text(char *dst, size_t n, const char *s, size_t len)
{
	if (len >= n)
		len = n - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static int
add_candle(struct opt *o, const struct ab_candle *c, const char *where, long line, size_t *cap)
{
	if (o->n == 0) {
		copy_text(o->exchange, sizeof o->exchange, c->exchange, c->exchange_len);
		copy_text(o->symbol, sizeof o->symbol, c->symbol, c->symbol_len);
		copy_text(o->tf, sizeof o->tf, c->tf, c->tf_len);
	} else {
		if (strlen(o->symbol) != c->symbol_len || memcmp(o->symbol, c->symbol, c->symbol_len) ||
		    strlen(o->exchange) != c->exchange_len || memcmp(o->exchange, c->exchange, c->exchange_len))
			return ab_err_at(AB_EDATA, where, line, "optimize takes one market: \"%.*s\" after \"%s\"",
					 (int)c->symbol_len, c->symbol, o->symbol);
		if (c->ts <= o->c[o->n - 1].ts)
			return ab_err_at(AB_EDATA, where, line, "candles out of order: time does not increase");
	}
	if ((size_t)o->n == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		o->c = ab_realloc(o->c, *cap * sizeof *o->c);
	}
	o->c[o->n++] = *c;
	return 0;
}

/* A jq strategy's rules see the candle record as it came, with the
 * indicators added: keep its text. */
static void
keep_line(struct opt *o, const char *line, size_t len)
{
	if (!o->rules)
		return;
	if ((size_t)o->n > o->lines_cap) {
		o->lines_cap = o->lines_cap ? o->lines_cap * 2 : 4096;
		o->lines = ab_realloc(o->lines, o->lines_cap * sizeof *o->lines);
	}
	o->lines[o->n - 1] = ab_strndup(line, len);
}

static int
read_candles(struct opt *o)
{
	struct order_ctx *x = o->x;
	size_t cap = 0;
	int code = 0;

	if (x->opt.from_db[0]) {
		sqlite3_stmt *st;
		struct ab_candle c = {0};
		int rc;
		if ((code = ab_db_prepare(x->db, "SELECT ts, open, high, low, close, volume FROM candles "
					  "WHERE exchange = ?1 AND symbol = ?2 AND tf = ?3 ORDER BY ts", &st)))
			return code;
		for (int i = 0; i < 3; i++)
			sqlite3_bind_text(st, i + 1, x->opt.from_db[i], -1, SQLITE_STATIC);
		c.exchange = x->opt.from_db[0];
		c.exchange_len = strlen(c.exchange);
		c.symbol = x->opt.from_db[1];
		c.symbol_len = strlen(c.symbol);
		c.tf = x->opt.from_db[2];
		c.tf_len = strlen(c.tf);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && !code) {
			c.ts = sqlite3_column_int64(st, 0);
			c.open = sqlite3_column_double(st, 1);
			c.high = sqlite3_column_double(st, 2);
			c.low = sqlite3_column_double(st, 3);
			c.close = sqlite3_column_double(st, 4);
			c.volume = sqlite3_column_double(st, 5);
			x->run.records_in++;
			code = add_candle(o, &c, x->db->path, (long)x->run.records_in, &cap);
		}
		if (!code && rc != SQLITE_DONE && rc != SQLITE_ROW)
			code = ab_db_fail(x->db, rc, "reading candles");
		sqlite3_finalize(st);
	} else {
		struct ab_lines in;
		struct ab_jrec rec;
		struct ab_candle c;
		const char *line;
		size_t len;
		int r;
		ab_lines_init(&in, x->args + o->argskip, x->nargs - o->argskip);
		ab_jrec_init(&rec);
		while (!code && (r = ab_lines_next(&in, &line, &len)) == 1) {
			if (len == 0)
				continue;
			if (ab_candle_parse_line(line, len, &c) == 0) {
				x->run.records_in++;
				if (!(code = add_candle(o, &c, in.name, in.lineno, &cap)))
					keep_line(o, line, len);
				continue;
			}
			if (ab_jrec_parse(&rec, line, len)) {
				code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", rec.err);
				break;
			}
			int cr = ab_candle_from_jrec(&rec, &c, o->msg, sizeof o->msg);
			if (cr < 0)
				code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", o->msg);
			if (cr != 0)
				continue; /* other records: not ours to sweep */
			x->run.records_in++;
			if (!(code = add_candle(o, &c, in.name, in.lineno, &cap)))
				keep_line(o, line, len);
		}
		if (!code && r < 0)
			code = in.status;
		ab_jrec_free(&rec);
		ab_lines_free(&in);
	}
	/* The text views pointed into the input: point them at our copies. */
	for (long i = 0; i < o->n; i++) {
		o->c[i].exchange = o->exchange;
		o->c[i].exchange_len = strlen(o->exchange);
		o->c[i].symbol = o->symbol;
		o->c[i].symbol_len = strlen(o->symbol);
		o->c[i].tf = o->tf;
		o->c[i].tf_len = strlen(o->tf);
	}
	if (!code && o->n == 0)
		code = ab_err(AB_EDATA, "no candles in the input");
	if (code)
		return code;
	/* ab-signal decides nothing on a candle still forming (its end after
	 * now): neither does the sweep. */
	int64_t tf_ms = 0, now = ab_now_ms();
	o->nclosed = o->n;
	if (ab_tf_parse(o->tf, &tf_ms) == 0)
		while (o->nclosed > 0) {
			int64_t ts = o->c[o->nclosed - 1].ts;
			int64_t end = tf_ms == AB_MS_MONTH ? ab_tf_next(AB_MS_MONTH, ts) : ts + tf_ms;
			if (end <= now)
				break;
			o->nclosed--;
		}
	o->close = ab_calloc((size_t)o->n + 1, sizeof *o->close);
	for (long i = 0; i < o->n; i++)
		o->close[i] = o->c[i].close;
	return 0;
}

/* ---- indicator series and signals ---- */

static const double *
series_of(struct opt *o, const struct ab_ind *want)
{
	for (int i = 0; i < o->ncache; i++)
		if (ab_ind_same(&o->cache[i].ind, want))
			return o->cache[i].v;
	o->cache = ab_realloc(o->cache, (size_t)(o->ncache + 1) * sizeof *o->cache);
	struct series *s = &o->cache[o->ncache++];
	s->ind = *want;
	int nout = ab_ind_nout(want->kind);
	size_t bytes = ((size_t)o->nclosed + 1) * (size_t)nout * sizeof(double);
	s->v = ab_malloc(bytes);
	o->cache_bytes += bytes;
	if (ab_ind_series_close(want, o->close, o->nclosed, s->v) == 0)
		return s->v;
	void *st = ab_calloc(1, ab_ind_state_size(want) + 16);
	ab_ind_state_init(want, st);
	for (long r = 0; r < o->nclosed; r++) {
		const struct ab_candle *c = &o->c[r];
		struct ab_bar b = {c->open, c->high, c->low, c->close, c->volume, c->ts};
		ab_ind_update(want, st, &b, r, s->v + r * nout);
	}
	free(st);
	return s->v;
}

static void
trial_signals(struct opt *o, struct trial *t, int *at, signed char *sig)
{
	const double *cols[2] = {NULL, NULL};
	int slot[2] = {0, 0};

	/* Keep memory bounded when every combination has its own series. */
	if (o->cache_bytes > (512u << 20)) {
		for (int i = 0; i < o->ncache; i++)
			free(o->cache[i].v);
		o->ncache = 0;
		o->cache_bytes = 0;
	}
	for (int i = 0; i < t->s.nneed; i++) {
		cols[i] = series_of(o, &t->s.need[i]);
		slot[i] = i == 0 ? 0 : ab_ind_nout(t->s.need[0].kind);
	}
	ab_strat_slots(&t->s, slot);
	t->nev = (int)ab_strat_series(&t->s, cols, o->close, o->nclosed, at, sig);
	t->ev = ab_malloc(((size_t)t->nev + 1) * sizeof *t->ev);
	t->sv = ab_malloc((size_t)t->nev + 1);
	memcpy(t->ev, at, (size_t)t->nev * sizeof *t->ev);
	memcpy(t->sv, sig, (size_t)t->nev);
}

/* ---- jq-rule strategies ---- */

static int
add_ind_cb(void *ctx, const struct ab_ind *ind)
{
	ab_ind_set_add(ctx, ind);
	return 0;
}

/* The words of a strategy file's "# ab-signal:" lines, after words. */
static char *
file_ind_words(const char *src, const char *words)
{
	size_t n = strlen(words) + strlen(src) + 2, len;
	char *out = ab_malloc(n);

	len = (size_t)snprintf(out, n, "%s", words);
	for (const char *p = src; *p;) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);
		if (strncmp(p, "# ab-signal:", 12) == 0) {
			const char *w = p + 12;
			while (w < p + l && (*w == ' ' || *w == '\t'))
				w++;
			if (w < p + l)
				len += (size_t)snprintf(out + len, n - len, "%s%.*s", len ? " " : "", (int)(p + l - w), w);
		}
		p += l + (eol != NULL);
	}
	return out;
}

/* The rules, the indicators they read, and the text stored with the run
 * ({"indicators", "buy", "sell"}: what ab-signal strategy --from-db runs). */
static int
setup_rules(struct opt *o, const char *file)
{
	struct order_ctx *x = o->x;
	const char *words = x->opt.indicators ? x->opt.indicators : "";
	char *allwords = NULL;
	int code;

	if ((code = ab_rules_ind_words(words, "--indicators", add_ind_cb, &o->set)))
		return code;
	if (file) {
		char *src = ab_rules_read_file(file, &code);
		if (!src)
			return code;
		code = ab_rules_from_source(src, file, add_ind_cb, &o->set, o->texts);
		allwords = file_ind_words(src, words);
		free(src);
		if (code) {
			free(allwords);
			return code;
		}
		o->label = ab_rules_label(file);
	} else {
		o->texts[0] = x->opt.buy ? ab_strdup(x->opt.buy) : NULL;
		o->texts[1] = x->opt.sell ? ab_strdup(x->opt.sell) : NULL;
		o->label = ab_strdup("jq");
		allwords = ab_strdup(words);
	}
	o->strategy = o->label;
	if (o->texts[0] && (code = ab_rule_compile(&o->buy, file ? "buy" : "--buy", o->texts[0])))
		goto out;
	o->have_buy = o->texts[0] != NULL;
	if (o->texts[1] && (code = ab_rule_compile(&o->sell, file ? "sell" : "--sell", o->texts[1])))
		goto out;
	o->have_sell = o->texts[1] != NULL;
	jv j = jv_object();
	j = jv_object_set(j, jv_string("indicators"), jv_string(allwords));
	for (int i = 0; i < 2; i++)
		j = jv_object_set(j, jv_string(i ? "sell" : "buy"), o->texts[i] ? jv_string(o->texts[i]) : jv_null());
	jv t = jv_dump_string(j, 0);
	o->rules_json = ab_strdup(jv_string_value(t));
	jv_free(t);
out:
	free(allwords);
	return code;
}

/* Each closed candle as ab-signal annotates it for its rules: the record as
 * read (its own indicator fields and "signal" replaced; from the database,
 * the canonical candle record), then each indicator's value, parsed by jq
 * from that text as ab-signal does. */
static int
annotate(struct opt *o)
{
	struct ab_ind_set *set = &o->set;
	struct ab_out out;
	struct ab_jrec rec;
	int nskip = 0, nv = set->nvals;
	const char **skip = ab_calloc((size_t)nv + 2, sizeof *skip);
	char **keytext = ab_calloc((size_t)nv + 1, sizeof *keytext);
	size_t *keylen = ab_calloc((size_t)nv + 1, sizeof *keylen);
	double *v = ab_calloc((size_t)nv + 1, sizeof *v);
	char *state = ab_calloc(1, set->state_size ? set->state_size : 1);
	int code = 0;

	for (int i = 0, k = 0; i < set->ninds; i++) {
		ab_ind_state_init(&set->inds[i], state + set->inds[i].off);
		for (int j = 0; j < set->inds[i].nout; j++, k++) {
			size_t n = strlen(set->inds[i].name[j]) + 5;
			skip[nskip++] = set->inds[i].name[j];
			keytext[k] = ab_malloc(n);
			keylen[k] = (size_t)snprintf(keytext[k], n, ",\"%s\":", set->inds[i].name[j]);
		}
	}
	skip[nskip++] = "signal";
	o->recs = ab_calloc((size_t)o->nclosed + 1, sizeof *o->recs);
	o->warm = ab_calloc((size_t)o->nclosed + 1, 1);
	ab_out_init(&out, -1, "memory");
	ab_jrec_init(&rec);
	for (long r = 0; r < o->nclosed && !code; r++) {
		const struct ab_candle *c = &o->c[r];
		struct ab_bar b = {c->open, c->high, c->low, c->close, c->volume, c->ts};
		int warm = 1;
		for (int i = 0; i < set->ninds; i++)
			ab_ind_update(&set->inds[i], state + set->inds[i].off, &b, r, v + set->inds[i].slot);
		out.len = 0;
		if (o->lines) {
			if (ab_jrec_parse(&rec, o->lines[r], strlen(o->lines[r]))) {
				code = ab_err(AB_ESOFTWARE, "cannot read back candle %ld", r + 1);
				break;
			}
			ab_out_begin_from(&out, &rec, skip, nskip);
		} else {
			ab_candle_out_begin(&out, c);
		}
		for (int i = 0; i < nv; i++) {
			ab_out_raw(&out, keytext[i], keylen[i]);
			ab_out_num(&out, v[i]);
			if (!isfinite(v[i]))
				warm = 0;
		}
		out.first = 0;
		ab_out_raw(&out, "}", 1);
		o->recs[r] = jv_parse_sized(out.buf, (int)out.len);
		o->warm[r] = (unsigned char)warm;
		if (!jv_is_valid(o->recs[r]))
			code = ab_err(AB_ESOFTWARE, "cannot read back the annotated candle %ld", r + 1);
	}
	ab_jrec_free(&rec);
	free(out.buf);
	for (int i = 0; i < nv; i++)
		free(keytext[i]);
	free(keytext);
	free(keylen);
	free(skip);
	free(v);
	free(state);
	return code;
}

/* A combination's signals from the rules, candle by candle as ab-signal
 * fires them: only once this candle and the one before have every indicator,
 * $prev the candle before as ab-signal wrote it (with its signal). */
static int
jq_signals(struct opt *o, struct trial *t, int *at, signed char *sig)
{
	jv params = jv_parse(t->params), prev = jv_null();
	int prev_warm = 1, code = 0;
	long k = 0;

	for (long r = 0; r < o->nclosed; r++) {
		int sg = 0;
		if (o->warm[r] && prev_warm) {
			sg = ab_rules_decide(o->have_buy ? &o->buy : NULL, o->have_sell ? &o->sell : NULL, o->recs[r],
					     prev, params, o->msg, sizeof o->msg);
			if (sg == -2) {
				char ts[AB_TIME_MAX];
				ab_time_format(o->c[r].ts, ts);
				code = ab_err(AB_EDATA, "%s (candle %s, params %s)", o->msg, ts, t->params);
				break;
			}
		}
		jv_free(prev);
		prev = jv_copy(o->recs[r]);
		if (sg) {
			prev = jv_object_set(prev, jv_string("signal"), jv_string(sg > 0 ? "buy" : "sell"));
			at[k] = (int)r;
			sig[k++] = (signed char)sg;
		}
		prev_warm = o->warm[r];
	}
	jv_free(prev);
	jv_free(params);
	t->nev = (int)k;
	t->ev = ab_malloc(((size_t)k + 1) * sizeof *t->ev);
	t->sv = ab_malloc((size_t)k + 1);
	memcpy(t->ev, at, (size_t)k * sizeof *t->ev);
	memcpy(t->sv, sig, (size_t)k);
	return code;
}

/* ---- one backtest ---- */

/* eq/exposed (optional): each candle's marked equity and whether a position
 * is open, for walk-forward's stitched curve. */
static void
simulate(struct opt *o, const struct trial *t, long from, long to, double cash, struct res *r,
	 double *eq, unsigned char *exposed, struct engine *keep)
{
	struct account acct = {0};
	struct engine e;
	struct bt_stats st;
	struct eng_step step;
	const struct ab_candle *c = o->c;
	long lo = 0, hi = t->nev, k;

	memset(r, 0, sizeof *r);
	if (to <= from) {
		r->empty = 1;
		return;
	}
	acct.cash = cash;
	acct.peak = acct.marked = cash;
	acct.day = INT64_MIN;
	eng_init(&e, &o->x->cfg, &acct);
	bt_stats_init(&st, cash);
	while (lo < hi) { /* the first signal at or after `from` */
		long mid = (lo + hi) / 2;
		if (t->ev[mid] < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	k = lo;
	for (long i = from; i < to;) {
		long j = k < t->nev && t->ev[k] < to ? t->ev[k] : to;
		if (j > i && eng_quiet(&e)) {
			/* No signal until j and nothing for eng_candle to do but
			 * mark (see eng_quiet). */
			if (e.pos == 0) {
				/* Flat: every mark sees the same equity, so one mark
				 * on the last candle and that many zero returns leave
				 * the engine and the statistics as they would be. */
				eng_mark(&e, &c[j - 1]);
				st.n += j - i;
				if (eq)
					for (long m = i; m < j; m++) {
						eq[m] = acct.cash;
						exposed[m] = 0;
					}
				i = j;
				continue;
			}
			/* A copy whose address never escapes stays in registers;
			 * eng_mark leaves the equity it marked in acct.marked. */
			struct bt_stats ls = st;
			for (; i < j; i++) {
				eng_mark(&e, &c[i]);
				bt_stats_add(&ls, acct.marked, 1);
				if (eq) {
					eq[i] = ls.prev;
					exposed[i] = 1;
				}
			}
			st = ls;
			continue;
		}
		int sig = 0;
		if (k < t->nev && t->ev[k] == i)
			sig = t->sv[k++];
		double atr = sig && o->atr ? o->atr[i] : NAN;
		bt_candle(&e, &st, &c[i], sig, atr, &step);
		if (eq) {
			eq[i] = st.prev;
			exposed[i] = e.pos != 0;
		}
		i++;
	}
	r->candles = to - from;
	r->start = c[from].ts;
	r->end = c[to - 1].ts;
	r->trades = e.trades;
	bt_stats_finish(&st, &e, cash, r->candles, bt_tf_ms(o->tf, to - from > 1 ? c[from + 1].ts - c[from].ts : 0),
			r->v);
	r->sr = bt_stats_sr(&st);
	bt_stats_moments(&st, &r->skew, &r->kurt);
	if (keep)
		*keep = e;
}

static double
score_of(const struct opt *o, const struct res *r)
{
	if (r->empty)
		return NAN;
	switch (o->obj) {
	case OBJ_SHARPE: return r->v[BT_SHARPE];
	case OBJ_SORTINO: return r->v[BT_SORTINO];
	case OBJ_RETURN: return r->v[BT_RETURN];
	case OBJ_CALMAR: return r->v[BT_MAXDD] > 0 ? r->v[BT_CAGR] / r->v[BT_MAXDD] : NAN;
	}
	return NAN;
}

/* a (index ia) ranks before b (index ib): higher score, a defined score
 * before NaN, then the lower index, so the order never depends on the
 * order the trials were run or merged in. */
static int
better(double a, long ia, double b, long ib)
{
	if (isnan(a) != isnan(b))
		return !isnan(a);
	if (!isnan(a) && a != b)
		return a > b;
	return ia < ib;
}

/* ---- output ---- */

static void
put_num(struct ab_out *out, const char *k, double v)
{
	if (isfinite(v))
		ab_out_knum(out, k, v);
	else
		ab_out_knull(out, k);
}

static void
put_res(struct ab_out *out, const char *key, const struct res *r)
{
	ab_out_key(out, key);
	if (r->empty) {
		ab_out_raw(out, "null", 4);
		return;
	}
	ab_out_raw(out, "{", 1);
	out->first = 1;
	ab_out_ktime(out, "start", r->start);
	ab_out_ktime(out, "end", r->end);
	ab_out_kint(out, "candles", r->candles);
	ab_out_kint(out, "trades", r->trades);
	for (int i = 0; i < BT_NSTATS; i++)
		put_num(out, bt_stat_names[i], r->v[i]);
	put_num(out, "sr", r->sr);
	put_num(out, "skew", r->skew);
	put_num(out, "kurtosis", r->kurt);
	ab_out_raw(out, "}", 1);
	out->first = 0;
}

/* Room for one whole record, so its text can be read back for storage. */
static size_t
record_start(struct ab_out *out)
{
	if (out->cap - out->len < 16384)
		ab_out_flush(out);
	return out->len;
}

static int
store_trial(struct opt *o, const struct trial *t, const char *rec, size_t len)
{
	sqlite3_stmt *st = o->trial_st;
	double test = score_of(o, &t->test);
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, o->opt_id);
	sqlite3_bind_int64(st, 2, t->index);
	sqlite3_bind_text(st, 3, t->params, -1, SQLITE_STATIC);
	if (isfinite(t->score))
		sqlite3_bind_double(st, 4, t->score);
	else
		sqlite3_bind_null(st, 4);
	if (isfinite(test))
		sqlite3_bind_double(st, 5, test);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_text(st, 6, rec, (int)len, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return ab_db_fail(o->x->db, rc, "storing a trial");
	return 0;
}

static int
out_trial(struct opt *o, const struct trial *t)
{
	struct ab_out *out = &o->x->out;
	size_t start = record_start(out);

	ab_out_begin(out);
	ab_out_kstr(out, "type", "trial");
	ab_out_kstr(out, "strategy", o->strategy);
	ab_out_kstr(out, "exchange", o->exchange);
	ab_out_kstr(out, "symbol", o->symbol);
	ab_out_kstr(out, "tf", o->tf);
	ab_out_kint(out, "index", t->index);
	ab_out_kint(out, "combinations", o->combinations);
	ab_out_kraw(out, "params", t->params, strlen(t->params));
	ab_out_kstr(out, "objective", obj_names[o->obj]);
	put_num(out, "score", t->score);
	put_res(out, "train", &t->train);
	put_res(out, "test", &t->test);
	ab_out_end(out);
	if (o->trial_st)
		return store_trial(o, t, out->buf + start, out->len - start - 1);
	return 0;
}

/* ---- storage ---- */

static int
store_begin(struct opt *o)
{
	struct order_ctx *x = o->x;
	int code;

	if (!x->db)
		return 0;
	if ((code = ab_db_begin(x->db)))
		return code;
	return ab_db_prepare(x->db, "INSERT INTO trials(optimization_id, idx, params, objective, test_objective, "
			     "record) VALUES (?, ?, ?, ?, ?, ?)", &o->trial_st);
}

/* The optimization row goes in first (trials reference it); its outcome
 * is filled in at the end. */
static int
store_optimization(struct opt *o, int64_t id)
{
	sqlite3_stmt *st;
	int code, rc;

	if ((code = ab_db_prepare(o->x->db, "INSERT INTO optimizations(id, strategy, grid, constraints, objective, "
				  "combinations, trials, record, created, rules) VALUES (?, ?, ?, ?, ?, 0, 0, '{}', ?, ?)",
				  &st)))
		return code;
	if (id > 0)
		sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, o->strategy ? o->strategy : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->x->opt.grid ? o->x->opt.grid : "", -1, SQLITE_STATIC);
	ab_db_bind_text(st, 4, o->x->opt.constraint);
	sqlite3_bind_text(st, 5, obj_names[o->obj], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, ab_now_ms());
	ab_db_bind_text(st, 7, o->rules_json);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ab_db_fail(o->x->db, rc, "storing the optimization");
	o->opt_id = sqlite3_last_insert_rowid(o->x->db->h);
	return 0;
}

/* Copies the span of field key of the record text rec into the row. */
static void
bind_field(sqlite3_stmt *st, int i, struct ab_jrec *rec, const char *key)
{
	const struct ab_jfield *f = ab_jrec_get(rec, key);

	if (!f || f->type == AB_JNULL)
		sqlite3_bind_null(st, i);
	else if (f->type == AB_JNUMBER) {
		double d;
		ab_jfield_num(f, &d);
		sqlite3_bind_double(st, i, d);
	} else if (f->type == AB_JSTRING) {
		const char *s;
		size_t n;
		ab_jrec_str(rec, f, &s, &n);
		sqlite3_bind_text(st, i, s, (int)n, SQLITE_TRANSIENT);
	} else
		sqlite3_bind_text(st, i, f->val, (int)f->vlen, SQLITE_TRANSIENT);
}

static int
store_finish(struct opt *o, const char *rec, size_t len)
{
	struct ab_jrec j;
	sqlite3_stmt *st;
	int code, rc;

	if ((code = ab_db_prepare(o->x->db, "UPDATE optimizations SET exchange = ?, symbol = ?, tf = ?, start = ?, "
				  "end = ?, train_until = ?, walk_forward = ?, shard = ?, combinations = ?, trials = ?, "
				  "best_params = ?, train = ?, test = ?, deflated_sharpe = ?, record = ? WHERE id = ?",
				  &st)))
		return code;
	ab_jrec_init(&j);
	if (ab_jrec_parse(&j, rec, len) == 0) {
		bind_field(st, 1, &j, "exchange");
		bind_field(st, 2, &j, "symbol");
		bind_field(st, 3, &j, "tf");
		if (o->n) {
			sqlite3_bind_int64(st, 4, o->c[0].ts);
			sqlite3_bind_int64(st, 5, o->c[o->n - 1].ts);
		}
		if (o->split > 0 && o->split < o->n && !o->x->opt.walk_forward)
			sqlite3_bind_int64(st, 6, o->c[o->split].ts);
		ab_db_bind_text(st, 7, o->x->opt.walk_forward);
		bind_field(st, 8, &j, "shard");
		bind_field(st, 9, &j, "combinations");
		bind_field(st, 10, &j, "trials");
		const struct ab_jfield *best = ab_jrec_get(&j, "best");
		struct ab_jrec b;
		ab_jrec_init(&b);
		if (best && best->type == AB_JOBJECT && ab_jrec_parse(&b, best->val, best->vlen) == 0) {
			bind_field(st, 11, &b, "params");
			bind_field(st, 12, &b, "train");
			bind_field(st, 13, &b, "test");
		}
		bind_field(st, 14, &j, "deflated_sharpe");
		sqlite3_bind_text(st, 15, rec, (int)len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 16, o->opt_id);
		rc = sqlite3_step(st);
		ab_jrec_free(&b);
	} else {
		rc = SQLITE_ERROR;
	}
	ab_jrec_free(&j);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ab_db_fail(o->x->db, rc, "storing the optimization");
}

/* ---- the optimization record ---- */

struct summary {
	long best;              /* index into the trials, -1: none */
	double dsr, sr0;        /* per candle */
	double per_year;
};

/* The variance of the trials' per-candle training Sharpe ratios, taken in
 * grid order so a merge of shards adds them up in the same order. */
static double
sr_variance(const double *sr, long n)
{
	double sum = 0, sq = 0;
	long k = 0;

	for (long i = 0; i < n; i++)
		if (isfinite(sr[i])) {
			sum += sr[i];
			k++;
		}
	if (k < 2)
		return 0;
	double mean = sum / k;
	for (long i = 0; i < n; i++)
		if (isfinite(sr[i]))
			sq += (sr[i] - mean) * (sr[i] - mean);
	return sq / (k - 1);
}

static void
out_optimization_head(struct opt *o, struct ab_out *out, const char *strategy, long combinations, long trials)
{
	ab_out_begin(out);
	ab_out_kstr(out, "type", "optimization");
	if (o->opt_id > 0)
		ab_out_kint(out, "run_id", o->opt_id);
	else
		ab_out_knull(out, "run_id");
	ab_out_kstr(out, "strategy", strategy);
	ab_out_kstr(out, "objective", obj_names[o->obj]);
	if (o->exchange[0]) {
		ab_out_kstr(out, "exchange", o->exchange);
		ab_out_kstr(out, "symbol", o->symbol);
		ab_out_kstr(out, "tf", o->tf);
	}
	ab_out_kint(out, "combinations", combinations);
	ab_out_kint(out, "trials", trials);
	if (o->shard_n > 1) {
		char sh[32];
		snprintf(sh, sizeof sh, "%d/%d", o->shard_i, o->shard_n);
		ab_out_kstr(out, "shard", sh);
	}
}

static int
finish_record(struct opt *o, size_t start)
{
	struct ab_out *out = &o->x->out;

	ab_out_end(out);
	if (o->x->db && o->opt_id)
		return store_finish(o, out->buf + start, out->len - start - 1);
	return 0;
}

/* The k best trials' positions, best first. */
static long
top_k(const struct trial *t, long n, long k, long *out)
{
	long m = 0;

	for (long i = 0; i < n; i++) {
		long at = m;
		while (at > 0 && better(t[i].score, t[i].index, t[out[at - 1]].score, t[out[at - 1]].index))
			at--;
		if (at >= k)
			continue;
		if (m < k)
			m++;
		memmove(out + at + 1, out + at, (size_t)(m - 1 - at) * sizeof *out);
		out[at] = i;
	}
	return m;
}

static int
out_summary(struct opt *o)
{
	struct ab_out *out = &o->x->out;
	long k = o->x->opt.top > 0 ? o->x->opt.top : 1;
	long *top = ab_calloc((size_t)k, sizeof *top);
	long m = top_k(o->t, o->nt, k, top);
	double *sr = ab_calloc((size_t)o->nt + 1, sizeof *sr);
	int code;

	for (long i = 0; i < o->nt; i++)
		sr[i] = o->t[i].train.sr;
	const struct trial *b = &o->t[top[0]];
	double var = sr_variance(sr, o->nt);
	double sr0 = opt_expected_max_sr((double)o->combinations, var);
	double dsr = opt_psr(b->train.sr, sr0, (double)b->train.candles, b->train.skew, b->train.kurt);
	int64_t tf = bt_tf_ms(o->tf, o->n > 1 ? o->c[1].ts - o->c[0].ts : 0);
	double per_year = tf > 0 ? 365.0 * 86400000.0 / (double)tf : NAN;

	size_t start = record_start(out);
	out_optimization_head(o, out, o->strategy, o->combinations, o->nt);
	if (o->split < o->n)
		ab_out_ktime(out, "train_until", o->c[o->split].ts);
	else
		ab_out_knull(out, "train_until");
	ab_out_key(out, "best");
	ab_out_raw(out, "{", 1);
	out->first = 1;
	ab_out_kint(out, "index", b->index);
	ab_out_kraw(out, "params", b->params, strlen(b->params));
	put_num(out, "score", b->score);
	put_res(out, "train", &b->train);
	put_res(out, "test", &b->test);
	ab_out_raw(out, "}", 1);
	out->first = 0;
	put_num(out, "deflated_sharpe", dsr);
	put_num(out, "expected_max_sharpe", sr0 * sqrt(per_year));
	ab_out_key(out, "top");
	ab_out_raw(out, "[", 1);
	for (long i = 0; i < m; i++) {
		const struct trial *t = &o->t[top[i]];
		if (i)
			ab_out_raw(out, ",", 1);
		ab_out_raw(out, "{", 1);
		out->first = 1;
		ab_out_kint(out, "index", t->index);
		ab_out_kraw(out, "params", t->params, strlen(t->params));
		put_num(out, "train", t->score);
		put_num(out, "test", score_of(o, &t->test));
		ab_out_raw(out, "}", 1);
	}
	ab_out_raw(out, "]", 1);
	out->first = 0;
	code = finish_record(o, start);
	free(top);
	free(sr);
	return code;
}

/* ---- walk-forward ---- */

static long
lower_bound(const struct opt *o, int64_t ts)
{
	long lo = 0, hi = o->n;

	while (lo < hi) {
		long mid = (lo + hi) / 2;
		if (o->c[mid].ts < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
walk_forward(struct opt *o)
{
	struct order_ctx *x = o->x;
	struct ab_out *out = &x->out;
	char *comma, spec[64];
	int64_t win, step;
	int code = 0, folds = 0;

	snprintf(spec, sizeof spec, "%s", x->opt.walk_forward);
	comma = strchr(spec, ',');
	if (comma)
		*comma = '\0';
	if (!comma || ab_duration_parse(spec, &win) || ab_duration_parse(comma + 1, &step) || win <= 0 || step <= 0)
		return ab_err(AB_EUSAGE, "--walk-forward: \"%s\" is not WINDOW,STEP (durations like 90d,30d)",
			      x->opt.walk_forward);
	double *eq = ab_calloc((size_t)o->n + 1, sizeof *eq);
	unsigned char *exposed = ab_calloc((size_t)o->n + 1, 1);
	double *sr = ab_calloc((size_t)o->nt + 1, sizeof *sr);
	struct bt_stats all;
	struct account acct = {0};
	struct engine sum;
	double cash = x->cfg.cash;
	long oos_from = -1, oos_to = -1;
	struct trial *last = NULL;
	double last_dsr = NAN, last_sr0 = NAN;
	struct res last_train;

	bt_stats_init(&all, cash);
	eng_init(&sum, &x->cfg, &acct);
	memset(&last_train, 0, sizeof last_train);
	for (int64_t t0 = o->c[0].ts;; t0 += step) {
		long a = lower_bound(o, t0), b = lower_bound(o, t0 + win), c = lower_bound(o, t0 + win + step);
		if (b >= o->n)
			break;
		if (b <= a)
			continue;
		long best = -1;
		for (long i = 0; i < o->nt; i++) {
			struct trial *t = &o->t[i];
			simulate(o, t, a, b, x->cfg.cash, &t->train, NULL, NULL, NULL);
			t->score = score_of(o, &t->train);
			sr[i] = t->train.sr;
			if (best < 0 || better(t->score, t->index, o->t[best].score, o->t[best].index))
				best = i;
		}
		struct trial *w = &o->t[best];
		struct engine e;
		simulate(o, w, b, c, cash, &w->test, eq, exposed, &e);
		double sr0 = opt_expected_max_sr((double)o->combinations, sr_variance(sr, o->nt));
		double dsr = opt_psr(w->train.sr, sr0, (double)w->train.candles, w->train.skew, w->train.kurt);
		for (long i = b; i < c; i++) {
			bt_stats_add(&all, eq[i], exposed[i]);
			if (x->equity_out) {
				ab_out_begin(out);
				ab_out_kstr(out, "type", "equity");
				ab_out_ktime(out, "ts", o->c[i].ts);
				ab_out_knum(out, "equity", eq[i]);
				ab_out_knum(out, "close", o->c[i].close);
				ab_out_knum(out, "drawdown", all.peak > 0 ? (all.peak - eq[i]) / all.peak : 0);
				ab_out_end(out);
			}
		}
		sum.trades += e.trades;
		sum.wins += e.wins;
		sum.gross_profit += e.gross_profit;
		sum.gross_loss += e.gross_loss;
		acct.fees += w->test.v[BT_FEES];
		/* The next segment starts from this one's equity, as if the
		 * position were closed at its last close without a fee. */
		cash = w->test.v[BT_FINAL];
		if (oos_from < 0)
			oos_from = b;
		oos_to = c;
		folds++;
		ab_out_begin(out);
		ab_out_kstr(out, "type", "fold");
		ab_out_kint(out, "fold", folds);
		ab_out_ktime(out, "train_start", o->c[a].ts);
		ab_out_ktime(out, "train_end", o->c[b - 1].ts);
		ab_out_ktime(out, "test_start", o->c[b].ts);
		ab_out_ktime(out, "test_end", o->c[c - 1].ts);
		ab_out_kint(out, "index", w->index);
		ab_out_kraw(out, "params", w->params, strlen(w->params));
		put_num(out, "score", w->score);
		put_res(out, "train", &w->train);
		put_res(out, "test", &w->test);
		put_num(out, "deflated_sharpe", dsr);
		ab_out_end(out);
		last = w;
		last_train = w->train;
		last_dsr = dsr;
		last_sr0 = sr0;
		if (c >= o->n)
			break;
	}
	if (!last) {
		code = ab_err(AB_EDATA, "--walk-forward %s: the candles do not cover one window and a step",
			      x->opt.walk_forward);
		goto done;
	}
	/* The stitched out-of-sample curve's statistics. */
	struct res oos;
	memset(&oos, 0, sizeof oos);
	acct.cash = cash;
	oos.candles = oos_to - oos_from;
	oos.start = o->c[oos_from].ts;
	oos.end = o->c[oos_to - 1].ts;
	oos.trades = sum.trades;
	bt_stats_finish(&all, &sum, x->cfg.cash, oos.candles,
			bt_tf_ms(o->tf, o->n > 1 ? o->c[1].ts - o->c[0].ts : 0), oos.v);
	oos.sr = bt_stats_sr(&all);
	bt_stats_moments(&all, &oos.skew, &oos.kurt);
	int64_t tf = bt_tf_ms(o->tf, o->n > 1 ? o->c[1].ts - o->c[0].ts : 0);
	double per_year = tf > 0 ? 365.0 * 86400000.0 / (double)tf : NAN;

	size_t start = record_start(out);
	out_optimization_head(o, out, o->strategy, o->combinations, o->nt);
	ab_out_kstr(out, "walk_forward", x->opt.walk_forward);
	ab_out_kint(out, "folds", folds);
	ab_out_key(out, "best");
	ab_out_raw(out, "{", 1);
	out->first = 1;
	ab_out_kint(out, "index", last->index);
	ab_out_kraw(out, "params", last->params, strlen(last->params));
	put_res(out, "train", &last_train);
	put_res(out, "test", &oos);
	ab_out_raw(out, "}", 1);
	out->first = 0;
	put_num(out, "deflated_sharpe", last_dsr);
	put_num(out, "expected_max_sharpe", last_sr0 * sqrt(per_year));
	code = finish_record(o, start);
done:
	free(eq);
	free(exposed);
	free(sr);
	return code;
}

/* ---- merge ---- */

struct mtrial {
	long index, combinations;
	double score;
	char *rec;              /* the trial record's text */
	size_t len;
};

static int
cmp_mtrial(const void *a, const void *b)
{
	const struct mtrial *x = a, *y = b;
	return (x->index > y->index) - (x->index < y->index);
}

static int
jnum(struct ab_jrec *r, const char *key, double *out)
{
	const struct ab_jfield *f = ab_jrec_get(r, key);
	if (f && f->type == AB_JNULL) {
		*out = NAN;
		return 0;
	}
	return ab_jfield_num(f, out);
}

static int
merge(struct opt *o)
{
	struct order_ctx *x = o->x;
	struct ab_out *out = &x->out;
	struct ab_lines in;
	struct ab_jrec rec, sub;
	const char *line;
	size_t len, cap = 0;
	struct mtrial *m = NULL;
	long n = 0;
	int r, code = 0;
	char strategy[64] = "", objective[16] = "";

	ab_lines_init(&in, x->args, x->nargs);
	ab_jrec_init(&rec);
	ab_jrec_init(&sub);
	while (!code && (r = ab_lines_next(&in, &line, &len)) == 1) {
		const char *s;
		size_t sl;
		double d;
		if (len == 0)
			continue;
		if (ab_jrec_parse(&rec, line, len)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", rec.err);
			break;
		}
		if (!ab_jrec_str_eq(&rec, "type", "trial"))
			continue;
		x->run.records_in++;
		if ((size_t)n == cap)
			m = ab_realloc(m, (cap = cap ? cap * 2 : 256) * sizeof *m);
		struct mtrial *t = &m[n];
		if (jnum(&rec, "index", &d) || !(d >= 0)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "a trial record needs \"index\"");
			break;
		}
		t->index = (long)d;
		if (jnum(&rec, "combinations", &d) || !(d >= 1)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "a trial record needs \"combinations\"");
			break;
		}
		t->combinations = (long)d;
		if (jnum(&rec, "score", &t->score)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "a trial record needs \"score\"");
			break;
		}
		if (ab_jrec_str(&rec, ab_jrec_get(&rec, "strategy"), &s, &sl) || sl >= sizeof strategy ||
		    (strategy[0] && (strlen(strategy) != sl || memcmp(strategy, s, sl)))) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "trials of different strategies");
			break;
		}
		copy_text(strategy, sizeof strategy, s, sl);
		if (ab_jrec_str(&rec, ab_jrec_get(&rec, "objective"), &s, &sl) || sl >= sizeof objective ||
		    (objective[0] && (strlen(objective) != sl || memcmp(objective, s, sl)))) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "trials ranked by different objectives");
			break;
		}
		copy_text(objective, sizeof objective, s, sl);
		if (n == 0) {
			static const char *const mk[] = {"exchange", "symbol", "tf"};
			char *dst[] = {o->exchange, o->symbol, o->tf};
			size_t room[] = {sizeof o->exchange, sizeof o->symbol, sizeof o->tf};
			for (int i = 0; i < 3; i++)
				if (ab_jrec_str(&rec, ab_jrec_get(&rec, mk[i]), &s, &sl) == 0)
					copy_text(dst[i], room[i], s, sl);
		}
		if (n > 0 && t->combinations != m[0].combinations) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "trials of different grids");
			break;
		}
		t->rec = ab_strndup(line, len);
		t->len = len;
		n++;
	}
	if (!code && r < 0)
		code = in.status;
	if (!code && n == 0)
		code = ab_err(AB_EDATA, "no trial records in the input");
	if (code)
		goto done;
	qsort(m, (size_t)n, sizeof *m, cmp_mtrial);
	for (long i = 1; i < n; i++)
		if (m[i].index == m[i - 1].index) {
			code = ab_err(AB_EDATA, "trial %ld appears twice", m[i].index);
			goto done;
		}
	for (int i = 0; obj_names[i]; i++)
		if (strcmp(objective, obj_names[i]) == 0)
			o->obj = i;
	/* Rank, and gather the training Sharpe ratios in grid order. */
	double *sr = ab_calloc((size_t)n, sizeof *sr);
	long best = 0, k = x->opt.top > 0 ? x->opt.top : 1;
	struct trial *tt = ab_calloc((size_t)n, sizeof *tt);
	for (long i = 0; i < n; i++) {
		const struct ab_jfield *f;
		tt[i].index = m[i].index;
		tt[i].score = m[i].score;
		sr[i] = NAN;
		ab_jrec_parse(&rec, m[i].rec, m[i].len);
		f = ab_jrec_get(&rec, "train");
		if (f && f->type == AB_JOBJECT && ab_jrec_parse(&sub, f->val, f->vlen) == 0)
			jnum(&sub, "sr", &sr[i]);
		if (better(m[i].score, m[i].index, m[best].score, m[best].index))
			best = i;
	}
	long *top = ab_calloc((size_t)k, sizeof *top);
	long mt = top_k(tt, n, k, top);
	double train_sr = NAN, t_count = NAN, skew = NAN, kurt = NAN;
	ab_jrec_parse(&rec, m[best].rec, m[best].len);
	const struct ab_jfield *ftrain = ab_jrec_get(&rec, "train");
	if (ftrain && ftrain->type == AB_JOBJECT && ab_jrec_parse(&sub, ftrain->val, ftrain->vlen) == 0) {
		jnum(&sub, "sr", &train_sr);
		jnum(&sub, "candles", &t_count);
		jnum(&sub, "skew", &skew);
		jnum(&sub, "kurtosis", &kurt);
	}
	double sr0 = opt_expected_max_sr((double)m[0].combinations, sr_variance(sr, n));
	double dsr = opt_psr(train_sr, sr0, t_count, skew, kurt);
	double per_year = NAN, d;
	/* the annualising factor: the winner's sharpe over its per-candle sr */
	if (jnum(&sub, "sharpe", &d) == 0 && isfinite(d) && isfinite(train_sr) && train_sr != 0)
		per_year = (d / train_sr) * (d / train_sr);

	if (x->db && (code = store_optimization(o, x->run.id)))
		goto free_rank;
	size_t start = record_start(out);
	o->strategy = strategy;
	out_optimization_head(o, out, strategy, m[0].combinations, n);
	{
		/* the first test candle's time, as the sweep printed it */
		const struct ab_jfield *f = ab_jrec_get(&rec, "test");
		const char *s;
		size_t sl;
		if (f && f->type == AB_JOBJECT && ab_jrec_parse(&sub, f->val, f->vlen) == 0 &&
		    ab_jrec_str(&sub, ab_jrec_get(&sub, "start"), &s, &sl) == 0)
			ab_out_kstrn(out, "train_until", s, sl);
		else
			ab_out_knull(out, "train_until");
	}
	ab_out_key(out, "best");
	ab_out_raw(out, "{", 1);
	out->first = 1;
	ab_out_kint(out, "index", m[best].index);
	static const char *const keep[] = {"params", "score", "train", "test"};
	for (int i = 0; i < 4; i++) {
		const struct ab_jfield *f = ab_jrec_get(&rec, keep[i]);
		if (f)
			ab_out_kraw(out, keep[i], f->val, f->vlen);
	}
	ab_out_raw(out, "}", 1);
	out->first = 0;
	put_num(out, "deflated_sharpe", dsr);
	put_num(out, "expected_max_sharpe", sr0 * sqrt(per_year));
	ab_out_key(out, "top");
	ab_out_raw(out, "[", 1);
	for (long i = 0; i < mt; i++) {
		struct mtrial *t = &m[top[i]];
		const struct ab_jfield *f;
		double test = NAN;
		ab_jrec_parse(&rec, t->rec, t->len);
		if (i)
			ab_out_raw(out, ",", 1);
		ab_out_raw(out, "{", 1);
		out->first = 1;
		ab_out_kint(out, "index", t->index);
		f = ab_jrec_get(&rec, "params");
		if (f)
			ab_out_kraw(out, "params", f->val, f->vlen);
		put_num(out, "train", t->score);
		f = ab_jrec_get(&rec, "test");
		if (f && f->type == AB_JOBJECT && ab_jrec_parse(&sub, f->val, f->vlen) == 0) {
			/* the test score: the same statistic, read back */
			struct res rr;
			memset(&rr, 0, sizeof rr);
			for (int s = 0; s < BT_NSTATS; s++)
				if (jnum(&sub, bt_stat_names[s], &rr.v[s]))
					rr.v[s] = NAN;
			test = score_of(o, &rr);
		}
		put_num(out, "test", test);
		ab_out_raw(out, "}", 1);
	}
	ab_out_raw(out, "]", 1);
	out->first = 0;
	code = finish_record(o, start);
free_rank:
	free(top);
	free(tt);
	free(sr);
done:
	for (long i = 0; i < n; i++)
		free(m[i].rec);
	free(m);
	ab_jrec_free(&rec);
	ab_jrec_free(&sub);
	ab_lines_free(&in);
	return code;
}

/* ---- apply ---- */

static int
apply(struct order_ctx *x)
{
	const char *name = x->opt.as;
	char *who = NULL, *end;
	sqlite3_stmt *st = NULL;
	int code, rc;
	long long id = strtoll(x->opt.apply, &end, 10);

	if (*end || id <= 0)
		return ab_err(AB_EUSAGE, "--apply: \"%s\" is not a run id", x->opt.apply);
	if (!name || !*name)
		return ab_err(AB_EUSAGE, "--apply needs --as NAME");
	if ((code = order_open_db(x, 1)))
		return code;
	if ((code = ab_auth_require(x->db, AB_PERM_STRATEGY_APPLY, &who)))
		return code;
	if ((code = ab_db_begin(x->db)))
		goto out;
	if ((code = ab_db_prepare(x->db, "SELECT strategy, best_params, walk_forward, rules FROM optimizations WHERE id = ?",
				  &st)))
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		code = rc == SQLITE_DONE ? ab_err(AB_ENOINPUT, "no optimization with run id %lld", id)
					 : ab_db_fail(x->db, rc, "reading the optimization");
		goto fail;
	}
	if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
		code = ab_err(AB_EDATA, "optimization %lld has no result", id);
		goto fail;
	}
	char *strategy = ab_strdup((const char *)sqlite3_column_text(st, 0));
	char *params = ab_strdup((const char *)sqlite3_column_text(st, 1));
	char *rules = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL
				: ab_strdup((const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	st = NULL;
	int64_t now = ab_now_ms();
	if ((code = ab_db_prepare(x->db, "INSERT INTO strategy_params(name, strategy, params, optimization_id, "
				  "applied_by, applied, rules) VALUES (?, ?, ?, ?, ?, ?, ?)", &st)) == 0) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, strategy, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, params, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, id);
		sqlite3_bind_text(st, 5, who, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, now);
		ab_db_bind_text(st, 7, rules);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			code = ab_db_fail(x->db, rc, "storing the applied parameters");
	}
	if (!code) {
		struct ab_out j;
		ab_out_init(&j, -1, "memory");
		ab_out_begin(&j);
		ab_out_kint(&j, "run_id", id);
		ab_out_kstr(&j, "strategy", strategy);
		ab_out_kraw(&j, "params", params, strlen(params));
		ab_out_end(&j);
		j.buf[j.len - 1] = '\0';
		code = ab_auth_audit(x->db, who, "strategy.apply", name, j.buf);
		free(j.buf);
	}
	if (!code) {
		struct ab_out *o = &x->out;
		ab_out_begin(o);
		ab_out_kstr(o, "type", "strategy");
		ab_out_kstr(o, "name", name);
		ab_out_kstr(o, "strategy", strategy);
		ab_out_kraw(o, "params", params, strlen(params));
		ab_out_kint(o, "run_id", id);
		ab_out_kstr(o, "applied_by", who);
		ab_out_ktime(o, "applied", now);
		ab_out_end(o);
	}
	free(strategy);
	free(params);
	free(rules);
fail:
	sqlite3_finalize(st);
	if (code)
		ab_db_rollback(x->db);
	else
		code = ab_db_commit(x->db);
out:
	free(who);
	return code;
}

/* ---- the command ---- */

static int
parse_shard(struct opt *o, const char *s)
{
	char *end;
	long i = strtol(s, &end, 10), n;

	if (*end != '/')
		goto bad;
	n = strtol(end + 1, &end, 10);
	if (*end || n < 1 || n > 100000 || i < 1 || i > n)
		goto bad;
	o->shard_i = (int)i;
	o->shard_n = (int)n;
	return 0;
bad:
	return ab_err(AB_EUSAGE, "--shard: \"%s\" is not I/N with 1 <= I <= N", s);
}

int
cmd_optimize(struct order_ctx *x)
{
	struct opt o;
	int code = 0;
	signed char *dense = NULL;
	int *at = NULL;

	memset(&o, 0, sizeof o);
	o.x = x;
	if (x->opt.objective) {
		o.obj = -1;
		for (int i = 0; obj_names[i]; i++)
			if (strcmp(x->opt.objective, obj_names[i]) == 0)
				o.obj = i;
		if (o.obj < 0)
			return ab_err(AB_EUSAGE, "--objective: \"%s\" is not sharpe, sortino, return or calmar",
				      x->opt.objective);
	}
	if (x->opt.apply)
		return apply(x);
	if (x->opt.as)
		return ab_err(AB_EUSAGE, "--as goes with --apply RUN_ID");
	if (x->opt.merge) {
		if (x->opt.grid || x->opt.shard || x->opt.walk_forward || x->opt.from_db[0])
			return ab_err(AB_EUSAGE, "--merge reads trial records: no --grid, --shard, --walk-forward or --from-db");
		if ((code = order_open_db(x, 0)))
			return code;
		if (x->db && (code = store_begin(&o)))
			goto out;
		code = merge(&o);
		goto out;
	}
	const char *file = x->opt.strategy_file;
	char *found = NULL;
	if (!file && !x->opt.buy && !x->opt.sell) {
		if (x->nargs < 1)
			return ab_err(AB_EUSAGE, "optimize needs a STRATEGY (sma-cross ema-cross macd-cross rsi-revert "
				      "bbands-revert donchian-breakout, or a strategy file's name), --strategy-file "
				      "FILE or --buy/--sell");
		o.argskip = 1;
		o.strategy = x->args[0];
		o.kind = ab_strat_lookup(o.strategy);
		if (o.kind == AB_ST_NONE && !(file = found = ab_rules_find(o.strategy)))
			return ab_err(AB_EUSAGE, "optimize: \"%s\" is not a built-in strategy (sma-cross ema-cross "
				      "macd-cross rsi-revert bbands-revert donchian-breakout) or a strategy file's "
				      "name", o.strategy);
	} else if (file && (x->opt.buy || x->opt.sell)) {
		return ab_err(AB_EUSAGE, "a strategy file replaces --buy and --sell");
	}
	if (file || x->opt.buy || x->opt.sell) {
		o.rules = 1;
		code = setup_rules(&o, file);
		free(found);
		if (code)
			goto out;
	} else if (x->opt.indicators) {
		return ab_err(AB_EUSAGE, "--indicators goes with jq rules (--strategy-file, --buy, --sell)");
	}
	if (x->opt.shard && (code = parse_shard(&o, x->opt.shard)))
		goto out;
	if (x->opt.shard && x->opt.walk_forward) {
		code = ab_err(AB_EUSAGE, "--walk-forward picks a winner per window: it does not shard");
		goto out;
	}
	if (x->opt.train_until && x->opt.walk_forward) {
		code = ab_err(AB_EUSAGE, "--walk-forward sets its own training windows: no --train-until");
		goto out;
	}
	if (x->opt.from_db[0] && x->nargs > o.argskip) {
		code = ab_err(AB_EUSAGE, "--from-db reads no files");
		goto out;
	}
	if ((code = parse_grid(&o, x->opt.grid)))
		goto out;
	if (x->opt.constraint && (code = compile_constraint(&o, x->opt.constraint)))
		goto out;
	if ((code = build_trials(&o)))
		goto out;
	if ((code = order_open_db(x, x->opt.from_db[0] != NULL)))
		goto out;
	if ((code = read_candles(&o)))
		goto out;
	if (x->opt.train_until) {
		int64_t t;
		if (ab_time_parse_str(x->opt.train_until, &t))
			code = ab_err(AB_EUSAGE, "--train-until: \"%s\" is not a time", x->opt.train_until);
		else if ((o.split = lower_bound(&o, t)) == 0)
			code = ab_err(AB_EDATA, "--train-until %s: no candle before it to train on", x->opt.train_until);
		if (code)
			goto out;
	} else {
		o.split = o.n * 7 / 10;
		if (o.split == 0)
			o.split = o.n;
	}
	if (x->cfg.size == SIZE_RISK) {
		/* The ATR that `ab-signal --atr N` would have added. */
		struct ab_ind atr;
		memset(&atr, 0, sizeof atr);
		atr.kind = AB_IND_ATR;
		atr.p[0] = atoi(x->cfg.atr_field + 4);
		o.atr = ab_calloc((size_t)o.n + 1, sizeof *o.atr);
		memcpy(o.atr, series_of(&o, &atr), (size_t)o.nclosed * sizeof *o.atr);
	}
	at = ab_malloc(((size_t)o.nclosed + 1) * sizeof *at);
	dense = ab_malloc((size_t)o.nclosed + 1);
	if (o.rules && (code = annotate(&o)))
		goto out;
	for (long i = 0; i < o.nt && !code; i++) {
		if (o.rules)
			code = jq_signals(&o, &o.t[i], at, dense);
		else
			trial_signals(&o, &o.t[i], at, dense);
	}
	if (code)
		goto out;
	if (x->db) {
		if ((code = store_begin(&o)) || (code = store_optimization(&o, x->run.id)))
			goto out;
	}
	if (x->opt.walk_forward) {
		code = walk_forward(&o);
		goto out;
	}
	for (long i = 0; i < o.nt && !code; i++) {
		struct trial *t = &o.t[i];
		simulate(&o, t, 0, o.split, x->cfg.cash, &t->train, NULL, NULL, NULL);
		simulate(&o, t, o.split, o.n, x->cfg.cash, &t->test, NULL, NULL, NULL);
		t->score = score_of(&o, &t->train);
		code = out_trial(&o, t);
		if (ab_out_failed(&x->out))
			break;
	}
	if (!code)
		code = out_summary(&o);
out:
	if (x->db && o.trial_st) {
		sqlite3_finalize(o.trial_st);
		if (code || ab_out_failed(&x->out))
			ab_db_rollback(x->db);
		else
			code = ab_db_commit(x->db);
	}
	if (o.jq)
		jq_teardown(&o.jq);
	for (int i = 0; i < o.np; i++)
		free(o.p[i].v);
	for (long i = 0; i < o.nt; i++) {
		free(o.t[i].ev);
		free(o.t[i].sv);
	}
	free(o.t);
	for (int i = 0; i < o.ncache; i++)
		free(o.cache[i].v);
	free(o.cache);
	free(o.c);
	free(o.close);
	free(o.atr);
	free(dense);
	free(at);
	ab_rule_free(&o.buy);
	ab_rule_free(&o.sell);
	ab_ind_set_free(&o.set);
	free(o.label);
	free(o.texts[0]);
	free(o.texts[1]);
	free(o.rules_json);
	for (long i = 0; o.lines && i < o.n; i++)
		free(o.lines[i]);
	free(o.lines);
	for (long i = 0; o.recs && i < o.nclosed; i++)
		jv_free(o.recs[i]);
	free(o.recs);
	free(o.warm);
	return code;
}
