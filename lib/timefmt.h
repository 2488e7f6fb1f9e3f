/* timefmt: times as int64 milliseconds since the Unix epoch, UTC.
 *
 * Input: ISO 8601 ("2024-01-01", "2024-01-01T00:00:00Z", ".123", "+02:00"
 * offsets, a space instead of T), or epoch seconds or milliseconds (numbers
 * below 1e11 are seconds, others milliseconds; fractions allowed).
 * Output: "2024-01-01T00:00:00Z", with ".mmm" when the milliseconds are not 0.
 * Timeframes: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M ("1M" is a
 * calendar month). "Now" is AB_NOW when set (for tests and replays).
 * Functions return 0 on success and -1 on bad input; they print nothing.
 */
#ifndef AB_TIMEFMT_H
#define AB_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define AB_TIME_MAX 32 /* room for any formatted time, with NUL */
#define AB_MS_MONTH (-1) /* ab_tf_parse's length for "1M" */

int ab_time_parse(const char *s, size_t n, int64_t *ms);
/* Like ab_time_parse on a NUL-terminated string. */
int ab_time_parse_str(const char *s, int64_t *ms);
size_t ab_time_format(int64_t ms, char *buf);
/* The current time in ms: AB_NOW if set (parsed like any input), else the clock.
 * A bad AB_NOW is reported once on stderr and the clock is used. */
int64_t ab_now_ms(void);

/* Timeframe text to its length in ms (AB_MS_MONTH for "1M"). */
int ab_tf_parse(const char *s, int64_t *len_ms);
/* Start of the timeframe bucket holding t (weeks start on Monday, months on day 1). */
int64_t ab_tf_floor(int64_t len_ms, int64_t t);
/* Start of the bucket after the one starting at t. */
int64_t ab_tf_next(int64_t len_ms, int64_t t);

/* Durations like "90s", "15m", "1h", "7d", "2w" (bare numbers are seconds) to ms. */
int ab_duration_parse(const char *s, int64_t *ms);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t ab_days_from_civil(int64_t y, unsigned m, unsigned d);
void ab_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
