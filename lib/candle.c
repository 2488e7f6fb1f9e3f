/* candle: validate, read, write and store OHLCV candles. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "candle.h"
#include "err.h"
#include "numfmt.h"
#include "timefmt.h"

int
ab_symbol_valid(const char *s)
{
	const char *slash = strchr(s, '/');

	if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/'))
		return 0;
	for (const char *p = s; *p; p++)
		if (p != slash && !(isupper((unsigned char)*p) || isdigit((unsigned char)*p)))
			return 0;
	return 1;
}

const char *
ab_candle_check(const struct ab_candle *c, char *msg, size_t n)
{
	const double v[5] = {c->open, c->high, c->low, c->close, c->volume};
	static const char *const names[5] = {"open", "high", "low", "close", "volume"};

	for (int i = 0; i < 5; i++) {
		if (!isfinite(v[i]))
			return snprintf(msg, n, "\"%s\" is not a finite number", names[i]), msg;
		if (v[i] < 0)
			return snprintf(msg, n, "\"%s\" is negative (%g)", names[i], v[i]), msg;
	}
	if (c->high < c->low)
		return snprintf(msg, n, "high %.17g is below low %.17g", c->high, c->low), msg;
	if (c->open < c->low || c->open > c->high)
		return snprintf(msg, n, "open %.17g is outside [low, high]", c->open), msg;
	if (c->close < c->low || c->close > c->high)
		return snprintf(msg, n, "close %.17g is outside [low, high]", c->close), msg;
	return NULL;
}

enum { F_TYPE, F_EXCHANGE, F_SYMBOL, F_TF, F_TS, F_OPEN, F_HIGH, F_LOW, F_CLOSE, F_VOLUME, NF };
static const char *const field_names[NF] = {
	"type", "exchange", "symbol", "tf", "ts", "open", "high", "low", "close", "volume",
};

/* One pass over the fields (the last duplicate wins, as in ab_jrec_get):
 * candles are the hot path of every filter. */
static void
find_fields(struct ab_jrec *rec, const struct ab_jfield *f[NF])
{
	for (int k = 0; k < NF; k++)
		f[k] = NULL;
	for (int i = 0; i < rec->n; i++) {
		const struct ab_jfield *x = &rec->f[i];
		if (x->escaped) { /* rare: let the general lookup decode the key */
			for (int k = 0; k < NF; k++)
				f[k] = ab_jrec_get(rec, field_names[k]);
			return;
		}
		for (int k = 0; k < NF; k++)
			if (x->klen == strlen(field_names[k]) && memcmp(x->key, field_names[k], x->klen) == 0) {
				f[k] = x;
				break;
			}
	}
}

/* ab_candle_parse_line's scanners: a literal, a plain ASCII string up to its
 * closing quote, a number up to the next ',' or '}'. */
static int
lit(const char **p, const char *end, const char *s, size_t n)
{
	if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
		return -1;
	*p += n;
	return 0;
}

static int
plain_str(const char **p, const char *end, const char **s, size_t *n)
{
	const char *q = *p;

	while (q < end && *q != '"') {
		if (*q < 0x20 || *q > 0x7e || *q == '\\')
			return -1; /* escapes, control bytes, UTF-8: the general parser's */
		q++;
	}
	if (q == end || q == *p)
		return -1;
	*s = *p;
	*n = (size_t)(q - *p);
	*p = q + 1;
	return 0;
}

static int
num_field(const char **p, const char *end, double *v)
{
	const char *q = *p;

	while (q < end && *q != ',' && *q != '}')
		q++;
	if (q == end || ab_parse_json_number(*p, (size_t)(q - *p), v) != 0)
		return -1;
	*p = q;
	return 0;
}

int
ab_candle_parse_line(const char *line, size_t len, struct ab_candle *c)
{
#define LIT(s) lit(&p, end, s, sizeof s - 1)
	const char *p = line, *end = line + len, *ts;
	size_t tslen;
	char msg[160];

	if (LIT("{\"type\":\"candle\",\"exchange\":\"") || plain_str(&p, end, &c->exchange, &c->exchange_len) ||
	    LIT(",\"symbol\":\"") || plain_str(&p, end, &c->symbol, &c->symbol_len) ||
	    LIT(",\"tf\":\"") || plain_str(&p, end, &c->tf, &c->tf_len) ||
	    LIT(",\"ts\":\"") || plain_str(&p, end, &ts, &tslen) || ab_time_parse(ts, tslen, &c->ts) ||
	    LIT(",\"open\":") || num_field(&p, end, &c->open) ||
	    LIT(",\"high\":") || num_field(&p, end, &c->high) ||
	    LIT(",\"low\":") || num_field(&p, end, &c->low) ||
	    LIT(",\"close\":") || num_field(&p, end, &c->close) ||
	    LIT(",\"volume\":") || num_field(&p, end, &c->volume) ||
	    LIT("}") || p != end)
		return -1;
#undef LIT
	/* A broken candle's message is the general path's to give. */
	return ab_candle_check(c, msg, sizeof msg) ? -1 : 0;
}

int
ab_candle_from_jrec(struct ab_jrec *rec, struct ab_candle *c, char *msg, size_t n)
{
	const struct ab_jfield *f[NF];
	const char *s;
	size_t len;
	const char **str[] = {NULL, &c->exchange, &c->symbol, &c->tf};
	size_t *str_len[] = {NULL, &c->exchange_len, &c->symbol_len, &c->tf_len};
	double *num[] = {&c->open, &c->high, &c->low, &c->close, &c->volume};

	find_fields(rec, f);
	if (ab_jrec_str(rec, f[F_TYPE], &s, &len) || len != 6 || memcmp(s, "candle", 6) != 0)
		return 1;
	for (int k = F_EXCHANGE; k <= F_TF; k++) {
		if (ab_jrec_str(rec, f[k], str[k], str_len[k]) || *str_len[k] == 0) {
			snprintf(msg, n, "candle: \"%s\" is missing or not a string", field_names[k]);
			return -1;
		}
		/* Views into rec->scratch would be overwritten by the next decode. */
		if (*str[k] == rec->scratch) {
			snprintf(msg, n, "candle: escapes in \"%s\" are not supported", field_names[k]);
			return -1;
		}
	}
	if (f[F_TS] && f[F_TS]->type == AB_JSTRING) {
		if (ab_jrec_str(rec, f[F_TS], &s, &len) || ab_time_parse(s, len, &c->ts)) {
			snprintf(msg, n, "candle: \"ts\" is not a time");
			return -1;
		}
	} else if (!f[F_TS] || f[F_TS]->type != AB_JNUMBER ||
		   ab_time_parse(f[F_TS]->val, f[F_TS]->vlen, &c->ts)) {
		snprintf(msg, n, "candle: \"ts\" is missing or not a time");
		return -1;
	}
	for (int k = F_OPEN; k <= F_VOLUME; k++)
		if (ab_jfield_num(f[k], num[k - F_OPEN]) != 0) {
			snprintf(msg, n, "candle: \"%s\" is missing or not a number", field_names[k]);
			return -1;
		}
	if (ab_candle_check(c, msg, n))
		return -1;
	return 0;
}

void
ab_candle_out(struct ab_out *o, const struct ab_candle *c)
{
	ab_candle_out_begin(o, c);
	ab_out_end(o);
}

void
ab_candle_out_begin(struct ab_out *o, const struct ab_candle *c)
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

int
ab_candle_store_open(struct ab_candle_store *s, struct ab_db *db)
{
	memset(s, 0, sizeof *s);
	s->db = db;
	return ab_db_prepare(db,
		"INSERT INTO candles(exchange, symbol, tf, ts, open, high, low, close, volume) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
		"ON CONFLICT(exchange, symbol, tf, ts) DO UPDATE SET open = excluded.open, "
		"high = excluded.high, low = excluded.low, close = excluded.close, "
		"volume = excluded.volume WHERE (open, high, low, close, volume) IS NOT "
		"(excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)",
		&s->upsert);
}

int
ab_candle_store_put(struct ab_candle_store *s, const struct ab_candle *c)
{
	sqlite3_stmt *st = s->upsert;
	int rc;

	sqlite3_bind_text(st, 1, c->exchange, (int)c->exchange_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->symbol, (int)c->symbol_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->tf, (int)c->tf_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, c->ts);
	sqlite3_bind_double(st, 5, c->open);
	sqlite3_bind_double(st, 6, c->high);
	sqlite3_bind_double(st, 7, c->low);
	sqlite3_bind_double(st, 8, c->close);
	sqlite3_bind_double(st, 9, c->volume);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return ab_db_fail(s->db, rc, "store candle");
	s->written += sqlite3_changes(s->db->h);
	return 0;
}

void
ab_candle_store_close(struct ab_candle_store *s)
{
	sqlite3_finalize(s->upsert);
	s->upsert = NULL;
}
