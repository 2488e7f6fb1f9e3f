/* candle: validate, read, write and store OHLCV candles. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "candle.h"
#include "err.h"
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

static int
want_str(struct ab_jrec *rec, const char *key, const char **s, size_t *len, char *msg, size_t n)
{
	if (ab_jrec_str(rec, ab_jrec_get(rec, key), s, len) != 0 || *len == 0) {
		snprintf(msg, n, "candle: \"%s\" is missing or not a string", key);
		return -1;
	}
	return 0;
}

static int
want_num(struct ab_jrec *rec, const char *key, double *v, char *msg, size_t n)
{
	if (ab_jfield_num(ab_jrec_get(rec, key), v) != 0) {
		snprintf(msg, n, "candle: \"%s\" is missing or not a number", key);
		return -1;
	}
	return 0;
}

int
ab_candle_from_jrec(struct ab_jrec *rec, struct ab_candle *c, char *msg, size_t n)
{
	const struct ab_jfield *ts;
	const char *s;
	size_t len;

	if (!ab_jrec_str_eq(rec, "type", "candle"))
		return 1;
	/* Each string view must outlive later decodes: keys here never hold escapes
	 * in practice, but a decoded one shares rec->scratch, so check that. */
	if (want_str(rec, "exchange", &c->exchange, &c->exchange_len, msg, n) ||
	    want_str(rec, "symbol", &c->symbol, &c->symbol_len, msg, n) ||
	    want_str(rec, "tf", &c->tf, &c->tf_len, msg, n))
		return -1;
	if (c->exchange == rec->scratch || c->symbol == rec->scratch) {
		snprintf(msg, n, "candle: escapes in exchange or symbol are not supported");
		return -1;
	}
	ts = ab_jrec_get(rec, "ts");
	if (ts && ts->type == AB_JSTRING) {
		if (ab_jrec_str(rec, ts, &s, &len) || ab_time_parse(s, len, &c->ts)) {
			snprintf(msg, n, "candle: \"ts\" is not a time");
			return -1;
		}
	} else {
		double t;
		if (ab_jfield_num(ts, &t) || ab_time_parse(ts->val, ts->vlen, &c->ts)) {
			snprintf(msg, n, "candle: \"ts\" is missing or not a time");
			return -1;
		}
	}
	if (want_num(rec, "open", &c->open, msg, n) || want_num(rec, "high", &c->high, msg, n) ||
	    want_num(rec, "low", &c->low, msg, n) || want_num(rec, "close", &c->close, msg, n) ||
	    want_num(rec, "volume", &c->volume, msg, n))
		return -1;
	if (ab_candle_check(c, msg, n))
		return -1;
	return 0;
}

void
ab_candle_out(struct ab_out *o, const struct ab_candle *c)
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
	ab_out_end(o);
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
