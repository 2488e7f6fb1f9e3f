/* ab-signal: technical indicators, strategies and signals on candle streams. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "candle.h"
#include "cli.h"
#include "db.h"
#include "err.h"
#include "jsonl.h"
#include "runs.h"
#include "jqrules.h"
#include "strategies.h"
#include "timefmt.h"

enum {
	KEY_IND = AB_KEY_FIRST_PROGRAM_KEY, /* + enum ab_ind_kind */
	KEY_BUY = KEY_IND + AB_IND_NKINDS, KEY_SELL, KEY_STRATEGY_FILE, KEY_FROM_DB, KEY_SINCE,
	KEY_STORE, KEY_PARAMS, KEY_FAST, KEY_SLOW, KEY_SIGNAL, KEY_PERIOD, KEY_N, KEY_LOW, KEY_HIGH, KEY_K,
};

static const struct ab_opt options[] = {
	{"sma", KEY_IND + AB_IND_SMA, "N", "simple moving average of close: sma_N"},
	{"ema", KEY_IND + AB_IND_EMA, "N", "exponential moving average of close: ema_N"},
	{"wma", KEY_IND + AB_IND_WMA, "N", "weighted moving average of close: wma_N"},
	{"rsi", KEY_IND + AB_IND_RSI, "N", "relative strength index: rsi_N"},
	{"macd", KEY_IND + AB_IND_MACD, "F,S,G", "MACD: macd, macd_signal, macd_hist"},
	{"bbands", KEY_IND + AB_IND_BBANDS, "N,K", "Bollinger bands: bb_upper, bb_middle, bb_lower"},
	{"atr", KEY_IND + AB_IND_ATR, "N", "average true range: atr_N"},
	{"adx", KEY_IND + AB_IND_ADX, "N", "average directional index: adx_N"},
	{"cci", KEY_IND + AB_IND_CCI, "N", "commodity channel index: cci_N"},
	{"willr", KEY_IND + AB_IND_WILLR, "N", "Williams %R: willr_N"},
	{"roc", KEY_IND + AB_IND_ROC, "N", "rate of change in percent: roc_N"},
	{"mfi", KEY_IND + AB_IND_MFI, "N", "money flow index: mfi_N"},
	{"stoch", KEY_IND + AB_IND_STOCH, "K,KS,D", "slow stochastic: stoch_k, stoch_d"},
	{"obv", KEY_IND + AB_IND_OBV, NULL, "on-balance volume: obv"},
	{"sar", KEY_IND + AB_IND_SAR, "STEP,MAX", "parabolic SAR: sar"},
	{"vwap", KEY_IND + AB_IND_VWAP, NULL, "volume-weighted average price per UTC day: vwap"},
	{"donchian", KEY_IND + AB_IND_DONCHIAN, "N", "Donchian channel: donchian_upper, donchian_lower"},
	{"keltner", KEY_IND + AB_IND_KELTNER, "N,K", "Keltner channel: keltner_upper, keltner_middle, keltner_lower"},
	{"buy", KEY_BUY, "JQ", "jq rule on each annotated candle ($prev: the one before, $params: --params): buy when true"},
	{"sell", KEY_SELL, "JQ", "jq rule: sell when true"},
	{"strategy-file", KEY_STRATEGY_FILE, "FILE", "a .jq strategy file defining buy and sell"},
	{"params", KEY_PARAMS, "JSON", "the rules' $params, a JSON object ({\"lo\":25}; default {})"},
	{"fast", KEY_FAST, "N", "strategy: the fast period (sma-cross, ema-cross, macd-cross)"},
	{"slow", KEY_SLOW, "N", "strategy: the slow period"},
	{"signal", KEY_SIGNAL, "N", "strategy: the signal period (macd-cross)"},
	{"period", KEY_PERIOD, "N", "strategy: the period (rsi-revert, bbands-revert)"},
	{"low", KEY_LOW, "X", "strategy: the oversold level (rsi-revert, default 30)"},
	{"high", KEY_HIGH, "X", "strategy: the overbought level (rsi-revert, default 70)"},
	{"k", KEY_K, "K", "strategy: band width in deviations (bbands-revert, default 2)"},
	{"n", KEY_N, "N", "strategy: channel length (donchian-breakout, default 20)"},
	AB_OPT_DB,
	{"from-db", KEY_FROM_DB, "EXCHANGE SYMBOL TF", "read the candles from the database, oldest first; right after 'strategy': NAME, the parameters ab-order optimize --apply made live"},
	{"since", KEY_SINCE, "TIME", "with --from-db: candles from this time on"},
	{"store", KEY_STORE, NULL, "record the signals in the database's signals table"},
	{0},
};

struct series {
	char *key;          /* "exchange\0symbol\0tf" */
	size_t klen;
	long rows;
	int64_t last_ts, tf_ms;
	int tf_known;
	char *state;
	double *prev;       /* the previous row's values */
	double prev_close;
	int last_signal;
	jv prev_rec;        /* the previous annotated candle, for $prev */
	int prev_warm;      /* every indicator of prev_rec had a value */
};

struct app {
	struct ab_ind_set set;
	const char **skip;
	int nskip;
	unsigned char skip_hint[64][32]; /* [key length][first byte / 8]: bit set if a skip name may match */
	char **keytext;  /* ,"name": per value, written as is */
	size_t *keylen;
	double *vals;

	struct ab_strategy strat;
	int have_strat;
	struct ab_rule buy, sell;
	int have_buy, have_sell;
	const char *rules_label;
	jv params;          /* $params of the rules: --params, or {} */

	struct series **map;
	size_t cap, count;
	struct series *last;
	char *keybuf;
	size_t keycap;
	int64_t now;

	struct ab_out out;
	struct ab_db *db;
	struct ab_run run;
	sqlite3_stmt *store;
	int64_t created;
	long long nsignals;
	/* Signals to store, kept until the output is closed: a filter must not
	 * hold the write lock while the next program in the pipeline (which may
	 * write the same database) is still reading from it. */
	struct pending_signal *pending;
	size_t npending, cpending;
	char msg[1024];
};

/* ---- indicators ---- */

static int
add_ind(struct app *a, const struct ab_ind *want)
{
	return ab_ind_set_add(&a->set, want);
}

/* ab_rules_ind_words' callback. */
static int
add_ind_cb(void *ctx, const struct ab_ind *want)
{
	add_ind(ctx, want);
	return 0;
}

/* ---- series ---- */

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static struct series *
new_series(struct app *a, const char *key, size_t klen, const struct ab_candle *c)
{
	struct series *s = ab_calloc(1, sizeof *s);
	char tf[32];

	s->key = ab_malloc(klen);
	memcpy(s->key, key, klen);
	s->klen = klen;
	s->state = ab_calloc(1, a->set.state_size ? a->set.state_size : 1);
	for (int i = 0; i < a->set.ninds; i++)
		ab_ind_state_init(&a->set.inds[i], s->state + a->set.inds[i].off);
	s->prev = ab_calloc((size_t)a->set.nvals + 1, sizeof *s->prev);
	s->prev_rec = jv_null();
	s->prev_warm = 1; /* no previous candle: $prev is null, nothing half-made */
	if (c->tf_len < sizeof tf) {
		memcpy(tf, c->tf, c->tf_len);
		tf[c->tf_len] = '\0';
		s->tf_known = ab_tf_parse(tf, &s->tf_ms) == 0;
	}
	return s;
}

static void
grow(struct app *a)
{
	size_t cap = a->cap ? a->cap * 2 : 64;
	struct series **map = ab_calloc(cap, sizeof *map);

	for (size_t i = 0; i < a->cap; i++)
		if (a->map[i]) {
			size_t j = hash(a->map[i]->key, a->map[i]->klen) & (cap - 1);
			while (map[j])
				j = (j + 1) & (cap - 1);
			map[j] = a->map[i];
		}
	free(a->map);
	a->map = map;
	a->cap = cap;
}

static struct series *
find_series(struct app *a, const struct ab_candle *c)
{
	size_t klen = c->exchange_len + c->symbol_len + c->tf_len + 2;
	char *k;

	if (klen > a->keycap) {
		a->keycap = klen * 2;
		a->keybuf = ab_realloc(a->keybuf, a->keycap);
	}
	k = a->keybuf;
	memcpy(k, c->exchange, c->exchange_len);
	k[c->exchange_len] = '\0';
	memcpy(k + c->exchange_len + 1, c->symbol, c->symbol_len);
	k[c->exchange_len + 1 + c->symbol_len] = '\0';
	memcpy(k + c->exchange_len + c->symbol_len + 2, c->tf, c->tf_len);
	if (a->last && a->last->klen == klen && memcmp(a->last->key, k, klen) == 0)
		return a->last;
	if (2 * (a->count + 1) > a->cap)
		grow(a);
	size_t j = hash(k, klen) & (a->cap - 1);
	while (a->map[j]) {
		if (a->map[j]->klen == klen && memcmp(a->map[j]->key, k, klen) == 0)
			return a->last = a->map[j];
		j = (j + 1) & (a->cap - 1);
	}
	a->map[j] = new_series(a, k, klen, c);
	a->count++;
	return a->last = a->map[j];
}

static void
free_series(struct series *s)
{
	free(s->key);
	free(s->state);
	free(s->prev);
	jv_free(s->prev_rec);
	free(s);
}

/* ---- one candle ---- */

/* True when rec holds one of the fields this run writes: only then does
 * ab_out_begin_from need the (slower) skip list. */
static int
needs_skip(const struct app *a, const struct ab_jrec *rec)
{
	for (int i = 0; i < rec->n; i++) {
		const struct ab_jfield *f = &rec->f[i];
		unsigned char c = f->klen ? (unsigned char)f->key[0] : 0;
		if (f->escaped)
			return 1;
		if (f->klen < 64 && !(a->skip_hint[f->klen][c >> 3] & (1u << (c & 7))))
			continue;
		for (int k = 0; k < a->nskip; k++)
			if (strlen(a->skip[k]) == f->klen && memcmp(a->skip[k], f->key, f->klen) == 0)
				return 1;
	}
	return 0;
}

static int
is_closed(struct app *a, const struct series *s, int64_t ts)
{
	int64_t end;

	if (!s->tf_known)
		return 1;
	end = s->tf_ms == AB_MS_MONTH ? ab_tf_next(AB_MS_MONTH, ts) : ts + s->tf_ms;
	if (end <= a->now)
		return 1;
	a->now = ab_now_ms();
	return end <= a->now;
}

static void
begin_candle(struct ab_out *o, const struct ab_candle *c)
{
	ab_out_begin(o);
	ab_out_kraw(o, "type", "\"candle\"", 8);
	ab_out_kstrn(o, "exchange", c->exchange, c->exchange_len);
	ab_out_kstrn(o, "symbol", c->symbol, c->symbol_len);
	ab_out_kstrn(o, "tf", c->tf, c->tf_len);
	ab_out_ktime(o, "ts", c->ts);
	ab_out_knum(o, "open", c->open);
	ab_out_knum(o, "high", c->high);
	ab_out_knum(o, "low", c->low);
	ab_out_knum(o, "close", c->close);
	ab_out_knum(o, "volume", c->volume);
}

struct pending_signal {
	char exchange[32], symbol[40], tf[8];
	int64_t ts;
	char *label;
	int sig;
	double price;
};

static void
copy_view(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int
store_signal(struct app *a, const struct ab_candle *c, int sig, const char *label)
{
	struct pending_signal *p;

	if (a->npending == a->cpending) {
		a->cpending = a->cpending ? a->cpending * 2 : 256;
		a->pending = ab_realloc(a->pending, a->cpending * sizeof *a->pending);
	}
	p = &a->pending[a->npending++];
	copy_view(p->exchange, sizeof p->exchange, c->exchange, c->exchange_len);
	copy_view(p->symbol, sizeof p->symbol, c->symbol, c->symbol_len);
	copy_view(p->tf, sizeof p->tf, c->tf, c->tf_len);
	p->ts = c->ts;
	p->label = ab_strdup(label);
	p->sig = sig;
	p->price = c->close;
	return 0;
}

/* Stores the pending signals in one transaction. */
static int
flush_signals(struct app *a)
{
	sqlite3_stmt *st = a->store;
	int rc, code;

	if ((code = ab_db_begin(a->db)))
		return code;
	for (size_t i = 0; i < a->npending; i++) {
		struct pending_signal *p = &a->pending[i];
		sqlite3_bind_text(st, 1, p->exchange, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->symbol, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p->tf, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, p->ts);
		sqlite3_bind_text(st, 5, p->label, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, p->sig > 0 ? "buy" : "sell", -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 7, p->price);
		if (a->run.id > 0)
			sqlite3_bind_int64(st, 8, a->run.id);
		else
			sqlite3_bind_null(st, 8);
		sqlite3_bind_int64(st, 9, a->created);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			code = ab_db_fail(a->db, rc, "storing a signal");
			ab_db_rollback(a->db);
			return code;
		}
		a->nsignals++;
	}
	return ab_db_commit(a->db);
}

/* Annotates one candle: rec is its parsed record (NULL when it comes from the
 * database). where/line locate it for messages. */
static int
candle(struct app *a, const struct ab_jrec *rec, const struct ab_candle *c, const char *where, long line)
{
	struct ab_out *o = &a->out;
	struct series *s = find_series(a, c);
	struct ab_bar b = {c->open, c->high, c->low, c->close, c->volume, c->ts};
	double *v = a->vals;
	size_t start = 0;
	int sig = 0, code;
	const char *label = NULL;

	if (!is_closed(a, s, c->ts)) {
		/* Still forming: it must not enter any state, and no signal is
		 * ever decided on it. */
		if (rec)
			ab_out_jrec(o, rec);
		else {
			begin_candle(o, c);
			ab_out_end(o);
		}
		return 0;
	}
	if (s->rows > 0 && c->ts <= s->last_ts) {
		char t[AB_TIME_MAX];
		ab_time_format(c->ts, t);
		return ab_err_at(AB_EDATA, where, line,
				 "candle \"%s\" of %.*s %.*s %.*s is not after the one before it", t,
				 (int)c->exchange_len, c->exchange, (int)c->symbol_len, c->symbol,
				 (int)c->tf_len, c->tf);
	}
	for (int i = 0; i < a->set.ninds; i++) {
		const struct ab_ind *ind = &a->set.inds[i];
		ab_ind_update(ind, s->state + ind->off, &b, s->rows, v + ind->slot);
	}
	if (a->have_strat)
		sig = ab_strat_decide(&a->strat, v, s->prev, c->close, s->prev_close, s->rows > 0,
				   &s->last_signal);
	if (sig)
		label = a->strat.label;

	if (a->have_buy || a->have_sell) {
		/* The record is built in place so jq can read it: make sure it
		 * cannot be flushed half-way. */
		size_t need = (rec ? rec->len : 256) + (size_t)a->set.nvals * 96 + 64;
		for (int i = 0; i < a->set.ninds; i++)
			for (int j = 0; j < a->set.inds[i].nout; j++)
				need += strlen(a->set.inds[i].name[j]);
		if (o->cap - o->len < need)
			ab_out_flush(o);
		if (o->cap < need) {
			o->buf = ab_realloc(o->buf, need);
			o->cap = need;
		}
		start = o->len;
	}
	if (rec)
		ab_out_begin_from(o, rec, a->skip, needs_skip(a, rec) ? a->nskip : 0);
	else
		begin_candle(o, c);
	/* A candle always has fields already, so each key goes with its comma. */
	for (int i = 0; i < a->set.nvals; i++) {
		ab_out_raw(o, a->keytext[i], a->keylen[i]);
		ab_out_num(o, v[i]);
	}
	o->first = 0;
	if (a->have_buy || a->have_sell) {
		jv cur;
		int warm = 1;

		/* Rules wait until this candle and the one before have every
		 * indicator: in jq null < 30 is true, so .rsi_14 < 30 (or
		 * $prev.rsi_14 < 30) would otherwise fire in the lookback. */
		for (int i = 0; i < a->set.nvals; i++)
			if (!isfinite(v[i]))
				warm = 0;
		int evaluate = warm && s->prev_warm;
		o->buf[o->len] = '}';
		cur = jv_parse_sized(o->buf + start, (int)(o->len + 1 - start));
		if (!jv_is_valid(cur)) {
			jv_free(cur);
			return ab_err_at(AB_ESOFTWARE, where, line, "cannot read back the annotated candle");
		}
		if (evaluate) {
			int rs = ab_rules_decide(a->have_buy ? &a->buy : NULL, a->have_sell ? &a->sell : NULL, cur,
						 s->prev_rec, a->params, a->msg, sizeof a->msg);
			if (rs == -2)
				goto jq_error;
			if (rs) {
				sig = rs;
				label = a->rules_label;
			}
		}
		if (sig)
			cur = jv_object_set(cur, jv_string("signal"), jv_string(sig > 0 ? "buy" : "sell"));
		jv_free(s->prev_rec);
		s->prev_rec = cur;
		s->prev_warm = warm;
		goto jq_done;
jq_error:
		jv_free(cur);
		o->len = start; /* no half record */
		return ab_err_at(AB_EDATA, where, line, "%s", a->msg);
	}
jq_done:
	if (sig)
		ab_out_kraw(o, "signal", sig > 0 ? "\"buy\"" : "\"sell\"", sig > 0 ? 5 : 6);
	ab_out_end(o);
	if (sig && a->store && (code = store_signal(a, c, sig, label)))
		return code;
	memcpy(s->prev, v, (size_t)a->set.nvals * sizeof *v);
	s->prev_close = c->close;
	s->last_ts = c->ts;
	s->rows++;
	return 0;
}

static int
run_lines(struct app *a, char **files, int nfiles)
{
	struct ab_lines in;
	struct ab_jrec rec;
	struct ab_candle c;
	const char *line;
	size_t len;
	int r = 0, code = 0;

	ab_lines_init(&in, files, nfiles);
	ab_jrec_init(&rec);
	while (!ab_out_failed(&a->out) && (r = ab_lines_next(&in, &line, &len)) > 0) {
		if (len == 0)
			continue;
		a->run.records_in++;
		if (ab_jrec_parse(&rec, line, len)) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", rec.err);
			break;
		}
		r = ab_candle_from_jrec(&rec, &c, a->msg, sizeof a->msg);
		if (r < 0) {
			code = ab_err_at(AB_EDATA, in.name, in.lineno, "%s", a->msg);
			break;
		}
		if (r == 1) {
			ab_out_jrec(&a->out, &rec);
			continue;
		}
		if ((code = candle(a, &rec, &c, in.name, in.lineno)))
			break;
	}
	if (!code && r < 0)
		code = in.status;
	ab_jrec_free(&rec);
	ab_lines_free(&in);
	return code;
}

static int
run_db(struct app *a, const char *const from[3], int64_t since)
{
	sqlite3_stmt *st;
	struct ab_candle c = {0};
	int rc, code;
	char where[64];

	if ((code = ab_db_prepare(a->db,
			"SELECT ts, open, high, low, close, volume FROM candles "
			"WHERE exchange = ?1 AND symbol = ?2 AND tf = ?3 AND ts >= ?4 ORDER BY ts", &st)))
		return code;
	sqlite3_bind_text(st, 1, from[0], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, from[1], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, from[2], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, since);
	c.exchange = from[0];
	c.exchange_len = strlen(from[0]);
	c.symbol = from[1];
	c.symbol_len = strlen(from[1]);
	c.tf = from[2];
	c.tf_len = strlen(from[2]);
	snprintf(where, sizeof where, "%s", a->db->path);
	while (!ab_out_failed(&a->out) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.ts = sqlite3_column_int64(st, 0);
		c.open = sqlite3_column_double(st, 1);
		c.high = sqlite3_column_double(st, 2);
		c.low = sqlite3_column_double(st, 3);
		c.close = sqlite3_column_double(st, 4);
		c.volume = sqlite3_column_double(st, 5);
		a->run.records_in++;
		if ((code = candle(a, NULL, &c, where, (long)a->run.records_in)))
			break;
	}
	if (!code && rc != SQLITE_ROW && rc != SQLITE_DONE)
		code = ab_db_fail(a->db, rc, "reading candles");
	sqlite3_finalize(st);
	return code;
}

/* ---- strategy files ---- */

/* A strategy file holds jq definitions of `buy` and `sell` (either may be
 * missing) and may ask for indicators on lines "# ab-signal: --rsi 14 ...". */
static int
load_strategy_file(struct app *a, const char *path, char **texts)
{
	int code = 0;
	char *src = ab_rules_read_file(path, &code);

	if (!src)
		return code;
	code = ab_rules_from_source(src, path, add_ind_cb, a, texts);
	free(src);
	if (!code)
		a->rules_label = ab_rules_label(path);
	return code;
}

static int
parse_ind_arg(struct app *a, enum ab_ind_kind kind, const char *arg, const char *where)
{
	struct ab_ind ind;

	if (ab_ind_parse(&ind, kind, arg ? arg : "", a->msg, sizeof a->msg))
		return ab_err(AB_EUSAGE, "%s%s%s", where ? where : "", where ? ": " : "", a->msg);
	add_ind(a, &ind);
	return 0;
}

static int
open_db(struct app *a, const char *path, int argc, char **argv)
{
	int code;

	if ((code = ab_db_open(path, &a->db)))
		return code;
	ab_runs_start(&a->run, a->db, "ab-signal", argc, argv);
	return 0;
}

/* The newest parameters applied under name (strategy_params, migrations 008
 * and 009): the strategy's name in *strategy (caller frees); a built-in's
 * options in *so, or for a jq strategy its rules in *rules (an object
 * {"indicators", "buy", "sell"}, caller frees) and its parameters in
 * a->params. *rules stays invalid for a built-in. */
static int
load_applied(struct app *a, const char *name, struct ab_strat_opts *so, char **strategy, jv *rules)
{
	static const struct {
		const char *key;
		int bit;
	} keys[] = {
		{"fast", AB_STO_FAST}, {"slow", AB_STO_SLOW}, {"signal", AB_STO_SIGNAL},
		{"period", AB_STO_PERIOD}, {"n", AB_STO_N}, {"low", AB_STO_LOW},
		{"high", AB_STO_HIGH}, {"k", AB_STO_K},
	};
	sqlite3_stmt *st;
	int code, rc;

	if ((code = ab_db_prepare(a->db, "SELECT strategy, params, rules FROM strategy_params WHERE name = ? "
				  "ORDER BY id DESC LIMIT 1", &st)))
		return code;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		code = rc == SQLITE_DONE ? ab_err(AB_ENOINPUT, "no strategy \"%s\" applied in %s (see ab-order "
						  "optimize --apply)", name, a->db->path)
					 : ab_db_fail(a->db, rc, "reading the applied strategy");
		sqlite3_finalize(st);
		return code;
	}
	*strategy = ab_strdup((const char *)sqlite3_column_text(st, 0));
	jv p = jv_parse((const char *)sqlite3_column_text(st, 1));
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		*rules = jv_parse((const char *)sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	if (jv_get_kind(p) != JV_KIND_OBJECT || (jv_is_valid(*rules) && jv_get_kind(*rules) != JV_KIND_OBJECT)) {
		jv_free(p);
		return ab_err(AB_EDATA, "%s: the parameters of \"%s\" are not a JSON object", a->db->path, name);
	}
	if (jv_is_valid(*rules)) {
		/* a jq strategy: its rules read the parameters as $params */
		jv_free(a->params);
		a->params = p;
		return 0;
	}
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		jv v = jv_object_get(jv_copy(p), jv_string(keys[i].key));
		if (jv_get_kind(v) == JV_KIND_NUMBER) {
			double d = jv_number_value(v);
			so->given |= keys[i].bit;
			switch (keys[i].bit) {
			case AB_STO_FAST: so->fast = (long)d; break;
			case AB_STO_SLOW: so->slow = (long)d; break;
			case AB_STO_SIGNAL: so->signal = (long)d; break;
			case AB_STO_PERIOD: so->period = (long)d; break;
			case AB_STO_N: so->n = (long)d; break;
			case AB_STO_LOW: so->low = d; break;
			case AB_STO_HIGH: so->high = d; break;
			case AB_STO_K: so->k = d; break;
			}
		}
		jv_free(v);
	}
	jv_free(p);
	return 0;
}

int
main(int argc, char **argv)
{
	struct ab_cli cli;
	struct app a = {0};
	struct ab_strat_opts so = {0};
	const char *db_path = NULL, *strat_name = NULL, *strategy_file = NULL, *strat_db_name = NULL;
	char *db_strat_name = NULL, *db_texts[2] = {NULL, NULL};
	const char *buy_text = NULL, *sell_text = NULL, *params_text = NULL;
	jv db_rules = jv_invalid();
	const char *from[3] = {NULL, NULL, NULL};
	char *file_texts[2] = {NULL, NULL}, *file_path = NULL;
	char **files = ab_calloc((size_t)argc, sizeof *files);
	int nfiles = 0, key, code = 0, want_strat_name = 0, store = 0, have_since = 0;
	int64_t since = INT64_MIN;
	long long l;
	double d;

	a.params = jv_object();
	ab_cli_init(&cli, "ab-signal", argc, argv, options);
	cli.usage = "[INDICATOR OPTIONS...] [strategy NAME [OPTIONS]] [--buy JQ] [--sell JQ] [FILE...]\n"
		    "[INDICATOR OPTIONS...] [--strategy-file FILE] [--params JSON] [FILE...]\n"
		    "... --from-db EXCHANGE SYMBOL TF [--since TIME] [--store] [--db FILE]\n"
		    "[INDICATOR OPTIONS...] strategy --from-db NAME [--db FILE] [FILE...]";
	cli.description = "Reads candle records and writes each back with indicator fields (TA-Lib's\n"
			  "values) and, with a strategy or jq rules, \"signal\":\"buy\"|\"sell\".";
	static const char *const commands[] = {"strategy", NULL};
	cli.commands = commands;
	while ((key = ab_cli_next(&cli)) != AB_CLI_END) {
		if (key == AB_CLI_EXIT) {
			code = cli.status;
			goto done;
		}
		if (key >= KEY_IND && key < KEY_IND + AB_IND_NKINDS) {
			if ((code = parse_ind_arg(&a, (enum ab_ind_kind)(key - KEY_IND), cli.arg, NULL))) {
				fprintf(stderr, "ab-signal: try 'ab-signal --help'\n");
				goto done;
			}
			continue;
		}
		switch (key) {
		case 0:
			if (want_strat_name) {
				strat_name = cli.arg;
				want_strat_name = 0;
			} else if (!strat_name && nfiles == 0 && strcmp(cli.arg, "strategy") == 0) {
				want_strat_name = 1;
			} else {
				files[nfiles++] = (char *)cli.arg;
			}
			break;
		case KEY_BUY: buy_text = cli.arg; break;
		case KEY_SELL: sell_text = cli.arg; break;
		case KEY_STRATEGY_FILE: strategy_file = cli.arg; break;
		case KEY_PARAMS: params_text = cli.arg; break;
		case AB_KEY_DB: db_path = cli.arg; break;
		case KEY_STORE: store = 1; break;
		case KEY_FROM_DB:
			if (want_strat_name) {
				/* strategy --from-db NAME: the parameters applied by
				 * `ab-order optimize --apply RUN_ID --as NAME` */
				strat_db_name = cli.arg;
				want_strat_name = 0;
				break;
			}
			from[0] = cli.arg;
			if (cli.i + 2 > argc) {
				code = ab_cli_usage_error(&cli, "--from-db needs EXCHANGE SYMBOL TF");
				goto done;
			}
			from[1] = argv[cli.i++];
			from[2] = argv[cli.i++];
			break;
		case KEY_SINCE:
			if ((code = ab_cli_time(&cli, &since)))
				goto done;
			have_since = 1;
			break;
		case KEY_FAST: case KEY_SLOW: case KEY_SIGNAL: case KEY_PERIOD: case KEY_N:
			if ((code = ab_cli_long(&cli, 1, 100000, &l)))
				goto done;
			if (key == KEY_FAST) so.fast = l, so.given |= AB_STO_FAST;
			if (key == KEY_SLOW) so.slow = l, so.given |= AB_STO_SLOW;
			if (key == KEY_SIGNAL) so.signal = l, so.given |= AB_STO_SIGNAL;
			if (key == KEY_PERIOD) so.period = l, so.given |= AB_STO_PERIOD;
			if (key == KEY_N) so.n = l, so.given |= AB_STO_N;
			break;
		case KEY_LOW: case KEY_HIGH: case KEY_K:
			if ((code = ab_cli_double(&cli, 0, 1e6, &d)))
				goto done;
			if (key == KEY_LOW) so.low = d, so.given |= AB_STO_LOW;
			if (key == KEY_HIGH) so.high = d, so.given |= AB_STO_HIGH;
			if (key == KEY_K) so.k = d, so.given |= AB_STO_K;
			break;
		}
	}
	if (want_strat_name) {
		code = ab_cli_usage_error(&cli, "strategy needs a NAME (one of: sma-cross ema-cross macd-cross "
					  "rsi-revert bbands-revert donchian-breakout, or a strategy file's name)");
		goto done;
	}
	if (so.given && !strat_name && !strat_db_name) {
		code = ab_cli_usage_error(&cli, "strategy options need 'strategy NAME'");
		goto done;
	}
	if (have_since && !from[0]) {
		code = ab_cli_usage_error(&cli, "--since needs --from-db");
		goto done;
	}
	if (from[0] && nfiles) {
		code = ab_cli_usage_error(&cli, "--from-db reads no files");
		goto done;
	}
	if (strat_db_name) {
		if (so.given) {
			code = ab_cli_usage_error(&cli, "strategy --from-db NAME takes its parameters from the database");
			goto done;
		}
		if ((code = open_db(&a, db_path, argc, argv)) ||
		    (code = load_applied(&a, strat_db_name, &so, &db_strat_name, &db_rules)))
			goto done;
		strat_name = db_strat_name;
	}
	if (params_text) {
		/* checked first: libjq 1.6 leaks when its parser fails */
		jv p = ab_json_valid(params_text, strlen(params_text), NULL, 0) ? jv_invalid() : jv_parse(params_text);
		if (jv_get_kind(p) != JV_KIND_OBJECT) {
			jv_free(p);
			code = ab_cli_usage_error(&cli, "--params: \"%s\" is not a JSON object", params_text);
			goto done;
		}
		if (jv_is_valid(db_rules)) {
			jv_free(p);
			code = ab_cli_usage_error(&cli, "strategy --from-db NAME takes its parameters from the database");
			goto done;
		}
		jv_free(a.params);
		a.params = p;
	}
	if (jv_is_valid(db_rules)) {
		/* A jq strategy made live by ab-order optimize --apply: the
		 * rules and indicators it was optimised with. */
		static const char *const k[] = {"indicators", "buy", "sell"};
		jv v[3];
		if (buy_text || sell_text || strategy_file) {
			code = ab_cli_usage_error(&cli, "strategy --from-db NAME brings its own rules");
			goto done;
		}
		for (int i = 0; i < 3; i++)
			v[i] = jv_object_get(jv_copy(db_rules), jv_string(k[i]));
		for (int i = 1; i < 3; i++)
			if (jv_get_kind(v[i]) == JV_KIND_STRING)
				db_texts[i - 1] = ab_strdup(jv_string_value(v[i]));
		if (jv_get_kind(v[0]) == JV_KIND_STRING)
			code = ab_rules_ind_words(jv_string_value(v[0]), strat_db_name, add_ind_cb, &a);
		for (int i = 0; i < 3; i++)
			jv_free(v[i]);
		if (code)
			goto done;
		buy_text = db_texts[0];
		sell_text = db_texts[1];
		a.rules_label = ab_strdup(strat_name);
		strat_name = NULL;
	}
	if (strat_name) {
		enum ab_strat_kind k = ab_strat_lookup(strat_name);
		if (k != AB_ST_NONE) {
			if ((code = ab_strat_setup(&a.strat, k, &so)))
				goto done;
			a.have_strat = 1;
		} else if (so.given) {
			code = ab_cli_usage_error(&cli, "\"%s\" is not a built-in strategy: it takes no options",
						  strat_name);
			goto done;
		} else if (!(file_path = ab_rules_find(strat_name))) {
			code = ab_cli_usage_error(&cli, "no strategy \"%s\" (built-ins: sma-cross ema-cross "
						  "macd-cross rsi-revert bbands-revert donchian-breakout)", strat_name);
			goto done;
		}
	}
	if (strategy_file || file_path) {
		if (strategy_file && file_path) {
			code = ab_cli_usage_error(&cli, "give either a strategy file or 'strategy NAME' of a file");
			goto done;
		}
		if (buy_text || sell_text) {
			code = ab_cli_usage_error(&cli, "a strategy file replaces --buy and --sell");
			goto done;
		}
		if ((code = load_strategy_file(&a, strategy_file ? strategy_file : file_path, file_texts)))
			goto done;
		buy_text = file_texts[0];
		sell_text = file_texts[1];
	} else if ((buy_text || sell_text) && !a.rules_label) {
		a.rules_label = ab_strdup("jq");
	}
	if (a.have_strat) {
		int slot[2] = {0, 0};
		for (int i = 0; i < a.strat.nneed; i++) {
			int at = add_ind(&a, &a.strat.need[i]);
			slot[i] = a.set.inds[at].slot;
		}
		ab_strat_slots(&a.strat, slot);
	}
	if (buy_text && (code = ab_rule_compile(&a.buy, strategy_file || file_path || db_texts[0] ? "buy" : "--buy", buy_text)))
		goto done;
	a.have_buy = buy_text != NULL;
	if (sell_text && (code = ab_rule_compile(&a.sell, strategy_file || file_path || db_texts[1] ? "sell" : "--sell", sell_text)))
		goto done;
	a.have_sell = sell_text != NULL;
	if (store && !a.have_strat && !a.have_buy && !a.have_sell) {
		code = ab_cli_usage_error(&cli, "--store needs a strategy or --buy/--sell rules");
		goto done;
	}

	/* A re-annotated stream gets its fields replaced, not repeated. */
	a.skip = ab_calloc((size_t)a.set.nvals + 1, sizeof *a.skip);
	for (int i = 0; i < a.set.ninds; i++)
		for (int j = 0; j < a.set.inds[i].nout; j++)
			a.skip[a.nskip++] = a.set.inds[i].name[j];
	if (a.have_strat || a.have_buy || a.have_sell)
		a.skip[a.nskip++] = "signal";
	for (int i = 0; i < a.nskip; i++) {
		size_t n = strlen(a.skip[i]);
		unsigned char c = (unsigned char)a.skip[i][0];
		if (n < 64)
			a.skip_hint[n][c >> 3] |= (unsigned char)(1u << (c & 7));
	}
	a.keytext = ab_calloc((size_t)a.set.nvals + 1, sizeof *a.keytext);
	a.keylen = ab_calloc((size_t)a.set.nvals + 1, sizeof *a.keylen);
	for (int i = 0, v = 0; i < a.set.ninds; i++)
		for (int j = 0; j < a.set.inds[i].nout; j++, v++) {
			size_t n = strlen(a.set.inds[i].name[j]) + 5;
			a.keytext[v] = ab_malloc(n);
			a.keylen[v] = (size_t)snprintf(a.keytext[v], n, ",\"%s\":", a.set.inds[i].name[j]);
		}
	a.vals = ab_calloc((size_t)a.set.nvals + 1, sizeof *a.vals);
	a.now = ab_now_ms();
	a.created = a.now;

	if ((from[0] || store || db_path) && !a.db) {
		if ((code = open_db(&a, db_path, argc, argv)))
			goto done;
	}
	if (store) {
		if ((code = ab_db_prepare(a.db,
				"INSERT INTO signals(exchange, symbol, tf, ts, strategy, signal, price, run_id, created) "
				"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
				"ON CONFLICT(exchange, symbol, tf, ts, strategy) DO UPDATE SET "
				"signal = excluded.signal, price = excluded.price, run_id = excluded.run_id, "
				"created = excluded.created", &a.store)))
			goto finish;
	}
	ab_out_init(&a.out, 1, "stdout");
	code = from[0] ? run_db(&a, from, since) : run_lines(&a, files, nfiles);
	a.run.records_out = a.out.records;
	{
		int wcode = ab_out_close(&a.out);
		if (!code)
			code = wcode;
	}
	if (store && !code)
		code = flush_signals(&a);
finish:
	for (size_t i = 0; i < a.npending; i++)
		free(a.pending[i].label);
	free(a.pending);
	if (a.store)
		sqlite3_finalize(a.store);
done:
	/* also reached with the database open, from a usage error after
	 * strategy --from-db NAME read it */
	if (a.db) {
		ab_runs_finish(&a.run, code);
		ab_db_close(a.db);
	}
	for (size_t i = 0; i < a.cap; i++)
		if (a.map[i])
			free_series(a.map[i]);
	free(a.map);
	free(a.keybuf);
	free(a.skip);
	for (int i = 0; a.keytext && i < a.set.nvals; i++)
		free(a.keytext[i]);
	free(a.keytext);
	free(a.keylen);
	ab_ind_set_free(&a.set); /* after the per-value arrays: it zeroes nvals */
	free(a.vals);
	ab_rule_free(&a.buy);
	ab_rule_free(&a.sell);
	jv_free(a.params);
	free((char *)a.rules_label);
	free(file_texts[0]);
	free(file_texts[1]);
	free(file_path);
	free(db_strat_name);
	free(db_texts[0]);
	free(db_texts[1]);
	jv_free(db_rules);
	free(files);
	return code;
}
