/* timefmt: ISO 8601 and epoch times, timeframes, durations, the test clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t
ab_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
ab_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
digits(const char *s, size_t n, size_t at, size_t count, int *out)
{
	int v = 0;

	if (at + count > n)
		return -1;
	for (size_t i = at; i < at + count; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Epoch seconds or milliseconds, optionally with a fraction. */
static int
parse_epoch(const char *s, size_t n, int64_t *ms)
{
	size_t i = 0;
	int neg = 0;
	int64_t whole = 0, frac = 0, scale = 1;

	if (n && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i >= n)
		return -1;
	size_t start = i;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (whole > (INT64_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (s[i] - '0');
	}
	if (i == start)
		return -1;
	if (i < n && s[i] == '.') {
		i++;
		size_t fstart = i;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			if (scale < 1000000000) {
				frac = frac * 10 + (s[i] - '0');
				scale *= 10;
			}
		}
		if (i == fstart)
			return -1;
	}
	if (i != n)
		return -1;
	int64_t v;
	if (whole < 100000000000LL) { /* seconds: below year 5138 */
		v = whole * 1000 + frac * 1000 / scale;
	} else {
		if (whole > INT64_MAX / 2)
			return -1;
		v = whole + frac / scale; /* sub-millisecond fractions are dropped */
	}
	*ms = neg ? -v : v;
	return 0;
}

int
ab_time_parse(const char *s, size_t n, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
	size_t i;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (n == 0)
		return -1;
	if (n < 10 || s[4] != '-')
		return parse_epoch(s, n, ms);
	if (digits(s, n, 0, 4, &y) || digits(s, n, 5, 2, &mo) || s[7] != '-' ||
	    digits(s, n, 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12)
		return -1;
	static const unsigned char mdays[] = {31,28,31,30,31,30,31,31,30,31,30,31};
	if (d < 1 || d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return -1;
	i = 10;
	int offset_min = 0;
	if (i < n) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return -1;
		i++;
		if (digits(s, n, i, 2, &h) || i + 2 >= n || s[i + 2] != ':' ||
		    digits(s, n, i + 3, 2, &mi))
			return -1;
		i += 5;
		if (i < n && s[i] == ':') {
			if (digits(s, n, i + 1, 2, &sec))
				return -1;
			i += 3;
			if (i < n && (s[i] == '.' || s[i] == ',')) {
				size_t k = ++i;
				int scale = 1;
				for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
					if (scale < 1000) {
						frac = frac * 10 + (s[i] - '0');
						scale *= 10;
					}
				if (i == k)
					return -1;
				frac = frac * (1000 / scale);
			}
		}
		if (h > 23 || mi > 59 || sec > 59) /* no leap seconds in Unix time */
			return -1;
		if (i < n) {
			if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
				i++;
			} else if (s[i] == '+' || s[i] == '-') {
				int oh, om = 0;
				int sign = s[i] == '-' ? -1 : 1;
				if (digits(s, n, i + 1, 2, &oh))
					return -1;
				i += 3;
				if (i < n && s[i] == ':')
					i++;
				if (i < n) {
					if (digits(s, n, i, 2, &om))
						return -1;
					i += 2;
				}
				if (oh > 23 || om > 59)
					return -1;
				offset_min = sign * (oh * 60 + om);
			} else {
				return -1;
			}
		}
		if (i != n)
			return -1;
	}
	int64_t days = ab_days_from_civil(y, (unsigned)mo, (unsigned)d);
	*ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - (int64_t)offset_min * 60) * 1000 + frac;
	return 0;
}

int
ab_time_parse_str(const char *s, int64_t *ms)
{
	return ab_time_parse(s, strlen(s), ms);
}

static char *
put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

size_t
ab_time_format(int64_t ms, char *buf)
{
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	unsigned milli = (unsigned)(ms - secs * 1000);
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	unsigned sod = (unsigned)(secs - days * 86400);
	int64_t y;
	unsigned m, d;
	char *p = buf;

	ab_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) /* ISO 8601 needs an expanded form: keep it readable */
		p += sprintf(p, "%+07lld", (long long)y);
	else {
		p = put2(p, (unsigned)(y / 100));
		p = put2(p, (unsigned)(y % 100));
	}
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, sod / 3600);
	*p++ = ':';
	p = put2(p, sod / 60 % 60);
	*p++ = ':';
	p = put2(p, sod % 60);
	if (milli) {
		*p++ = '.';
		*p++ = (char)('0' + milli / 100);
		p = put2(p, milli % 100);
	}
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - buf);
}

int64_t
ab_now_ms(void)
{
	static int warned;
	const char *env = getenv("AB_NOW");
	struct timespec ts;
	int64_t t;

	if (env && *env) {
		if (ab_time_parse_str(env, &t) == 0)
			return t;
		if (!warned++)
			fprintf(stderr, "autobot: AB_NOW: \"%s\" is not a time; using the clock\n", env);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct {
	const char *name;
	int64_t ms;
} timeframes[] = {
	{"1m", 60000}, {"3m", 180000}, {"5m", 300000}, {"15m", 900000},
	{"30m", 1800000}, {"1h", 3600000}, {"2h", 7200000}, {"4h", 14400000},
	{"6h", 21600000}, {"8h", 28800000}, {"12h", 43200000}, {"1d", 86400000},
	{"3d", 259200000}, {"1w", 604800000}, {"1M", AB_MS_MONTH},
};

int
ab_tf_parse(const char *s, int64_t *len_ms)
{
	for (size_t i = 0; i < sizeof timeframes / sizeof *timeframes; i++)
		if (strcmp(s, timeframes[i].name) == 0) {
			*len_ms = timeframes[i].ms;
			return 0;
		}
	return -1;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int64_t
ab_tf_floor(int64_t len, int64_t t)
{
	if (len == AB_MS_MONTH) {
		int64_t y;
		unsigned m, d;
		ab_civil_from_days(floor_div(t, 86400000), &y, &m, &d);
		return ab_days_from_civil(y, m, 1) * 86400000;
	}
	if (len == 604800000) /* 1970-01-01 was a Thursday; weeks start Monday */
		return floor_div(t - 4 * 86400000LL, len) * len + 4 * 86400000LL;
	return floor_div(t, len) * len;
}

int64_t
ab_tf_next(int64_t len, int64_t t)
{
	if (len == AB_MS_MONTH) {
		int64_t y;
		unsigned m, d;
		ab_civil_from_days(floor_div(t, 86400000), &y, &m, &d);
		if (++m > 12) {
			m = 1;
			y++;
		}
		return ab_days_from_civil(y, m, 1) * 86400000;
	}
	return ab_tf_floor(len, t) + len;
}

int
ab_duration_parse(const char *s, int64_t *ms)
{
	char *end;
	double v;
	int64_t unit = 1000;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	v = strtod(s, &end);
	if (end == s)
		return -1;
	if (*end) {
		switch (*end) {
		case 's': unit = 1000; break;
		case 'm': unit = 60000; break;
		case 'h': unit = 3600000; break;
		case 'd': unit = 86400000; break;
		case 'w': unit = 604800000; break;
		default: return -1;
		}
		if (end[1])
			return -1;
	}
	if (!(v >= 0) || v * (double)unit > 9e18)
		return -1;
	*ms = (int64_t)(v * (double)unit + 0.5);
	return 0;
}
