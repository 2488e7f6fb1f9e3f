/* money: exact decimal money as integer minor units (ab-inventory, ab-price).
 *
 * Amounts are int64 counts of the currency's minor unit (cents; yen for
 * JPY, whose exponent is 0; fils for KWD, 3). Text is parsed exactly, never
 * through a double: "19.99" USD is 1999, "19.999" USD is an error, not a
 * rounding. AB_MONEY_NONE marks an absent amount. Nothing here prints.
 */
#ifndef AB_MONEY_H
#define AB_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "jsonl.h"

#define AB_MONEY_NONE INT64_MIN
#define AB_MONEY_MAX 40 /* room for any formatted amount, with NUL */

/* Decimal digits of a currency's minor unit (ISO 4217: JPY 0, KWD 3, most 2). */
int ab_currency_exp(const char *cur);
/* True for three capital letters. */
int ab_currency_valid(const char *s, size_t n);
/* Decimal text ("19.99", "-3"; surrounding blanks allowed; "1,234.50" not)
 * to minor units: 0, or -1 for bad text, more significant decimals than exp,
 * or overflow. */
int ab_money_parse(const char *s, size_t n, int exp, int64_t *out);
/* Minor units to the shortest decimal text ("19.9", "20", "-0.05"); returns
 * the length. buf holds AB_MONEY_MAX bytes. */
size_t ab_money_format(int64_t v, int exp, char *buf);
/* A record field holding an amount (a number written as is, or null for
 * AB_MONEY_NONE). */
void ab_out_kmoney(struct ab_out *o, const char *key, int64_t v, int exp);
/* A money field of a parsed record, a string or a number: 0 (AB_MONEY_NONE
 * when absent, null or "") or -1 for a bad value. */
int ab_jmoney(struct ab_jrec *rec, const char *key, int exp, int64_t *out);

#endif
