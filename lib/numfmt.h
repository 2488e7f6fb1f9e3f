/* numfmt: fast number formatting and parsing for JSON output and input.
 *
 * The caller owns every buffer; nothing allocates except the parser on a
 * number longer than 256 bytes with more than 19 significant digits. No
 * function prints errors: they return a status and the caller reports it.
 * All functions are thread-safe (constant tables only). Output never depends
 * on the locale; the parser's rare strtod fallback expects LC_NUMERIC=C,
 * which every autobot program keeps.
 */
#ifndef AB_NUMFMT_H
#define AB_NUMFMT_H

#include <stddef.h>

/* Longest text ab_fmt_double writes, including the terminating NUL. */
#define AB_FMT_DOUBLE_MAX 32
/* Longest text ab_fmt_int writes, including the NUL ("-9223372036854775808"). */
#define AB_FMT_INT_MAX 21

/* Writes the shortest decimal text that reads back (strtod) to exactly x, in
 * JSON number syntax, NUL-terminated, and returns its length (Ryu). Style like
 * JavaScript's Number#toString: integers without ".0" ("42", "-0"), plain
 * decimal notation when the decimal exponent is in [-6, 21) ("0.000001",
 * "43519.34", "123456789012345680000"), otherwise scientific "1e+21",
 * "1e-7", "1.5e-7", "-2.2250738585072014e-308". NaN and infinities are not
 * JSON: they write "null" (length 4). buf holds AB_FMT_DOUBLE_MAX bytes. */
size_t ab_fmt_double(double x, char *buf);

/* Writes a signed 64-bit integer in decimal, NUL-terminated; returns length.
 * buf holds AB_FMT_INT_MAX bytes. */
size_t ab_fmt_int(long long v, char *buf);

/* Parses a JSON number (strict grammar: optional '-', no leading zeros, no
 * '+', no hex/inf/nan, no surrounding space) from s[0..len) into *out; s need
 * not be NUL-terminated. Correctly rounded like strtod. Returns 0 on success,
 * -1 on syntax error (*out untouched), -2 if the magnitude overflows the
 * double range (*out is then +-HUGE_VAL). Underflow is not an error: it
 * reads as the nearest subnormal or a signed zero, as strtod does. */
int ab_parse_json_number(const char *s, size_t len, double *out);

#endif
