/* candle: the OHLCV record shared by ab-fetch, ab-signal, ab-order and ab-train.
 *
 * A candle record is
 *   {"type":"candle","exchange":"binance","symbol":"BTC/USDT","tf":"1h",
 *    "ts":"2024-01-01T00:00:00Z","open":..,"high":..,"low":..,"close":..,"volume":..}
 * ts is the candle's open time. Text fields in struct ab_candle are views
 * (pointer and length) owned by whoever filled the struct.
 * ab_candle_check returns NULL for a sound candle, else a static message.
 * ab_candle_from_jrec returns 0, 1 if the record is not a candle (pass it
 * through), or -1 with a message in msg for a broken candle.
 */
#ifndef AB_CANDLE_H
#define AB_CANDLE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "jsonl.h"

struct ab_candle {
	const char *exchange, *symbol, *tf;
	size_t exchange_len, symbol_len, tf_len;
	int64_t ts;
	double open, high, low, close, volume;
};

const char *ab_candle_check(const struct ab_candle *c, char *msg, size_t n);
int ab_candle_from_jrec(struct ab_jrec *rec, struct ab_candle *c, char *msg, size_t n);
/* The fast path for a line laid out exactly as ab_candle_out writes it
 * (those fields in that order, no spaces, plain ASCII strings): 0 with the
 * candle ab_candle_from_jrec would give (views into line), or -1 for any
 * other line, a broken candle included: then take the general path, which
 * also gives the message. */
int ab_candle_parse_line(const char *line, size_t len, struct ab_candle *c);
void ab_candle_out(struct ab_out *o, const struct ab_candle *c);
/* The same record left open, for fields to follow (ab_out_end closes it). */
void ab_candle_out_begin(struct ab_out *o, const struct ab_candle *c);
/* True for "BASE/QUOTE" with non-empty upper-case alphanumeric parts. */
int ab_symbol_valid(const char *s);

/* Upserting candles into the database: a changed candle is updated, an equal
 * one left alone; the caller owns the transaction. */
struct ab_candle_store {
	struct ab_db *db;
	sqlite3_stmt *upsert;
	long long written; /* rows inserted or changed */
};
int ab_candle_store_open(struct ab_candle_store *s, struct ab_db *db);
int ab_candle_store_put(struct ab_candle_store *s, const struct ab_candle *c);
void ab_candle_store_close(struct ab_candle_store *s);

#endif
