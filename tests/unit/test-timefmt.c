/* test-timefmt: time parsing and formatting edge cases, timeframes, durations. */
#include <stdlib.h>

#include "tap.h"
#include "timefmt.h"

static void
parses(const char *in, long long want)
{
	int64_t ms = 0;
	int r = ab_time_parse_str(in, &ms);

	ok(r == 0 && ms == want, "parse \"%s\" = %lld (got %d, %lld)", in, want, r, (long long)ms);
}

static void
rejects(const char *in)
{
	int64_t ms;

	ok(ab_time_parse_str(in, &ms) != 0, "reject \"%s\"", in);
}

static void
formats(long long ms, const char *want)
{
	char buf[AB_TIME_MAX];

	ab_time_format(ms, buf);
	is_str(buf, want, "format %lld", ms);
}

int
main(void)
{
	parses("2024-01-01T00:00:00Z", 1704067200000LL);
	parses("2024-01-01", 1704067200000LL);
	parses("2024-01-01 00:00:00", 1704067200000LL);
	parses("2024-01-01T00:00Z", 1704067200000LL);
	parses("2024-01-01T02:00:00+02:00", 1704067200000LL);
	parses("2023-12-31T19:00:00-0500", 1704067200000LL);
	parses("2024-01-01T00:00:00.123Z", 1704067200123LL);
	parses("2024-01-01T00:00:00.1234567Z", 1704067200123LL);
	parses("2024-02-29T12:00:00Z", 1709208000000LL);
	parses("2000-02-29", 951782400000LL);
	parses("1970-01-01T00:00:00Z", 0);
	parses("1969-12-31T23:59:59Z", -1000);
	parses("1704067200", 1704067200000LL);
	parses("1704067200000", 1704067200000LL);
	parses("1704067200.5", 1704067200500LL);
	parses("99999999999", 99999999999000LL);  /* largest seconds value */
	parses("100000000000", 100000000000LL);   /* smallest milliseconds value */
	parses("0", 0);
	parses("9999-12-31T23:59:59Z", 253402300799000LL);
	rejects("");
	rejects("2023-02-29");
	rejects("1900-02-29");
	rejects("2024-13-01");
	rejects("2024-00-10");
	rejects("2024-04-31");
	rejects("2024-01-01T24:00:00Z");
	rejects("2024-01-01T23:60:00Z");
	rejects("2024-01-01T23:59:60Z");
	rejects("2024-01-01T00:00:00Q");
	rejects("2024-01-01T00:00:00Zjunk");
	rejects("2024-1-1");
	rejects("yesterday");
	rejects("12abc");
	rejects("1.");
	rejects("99999999999999999999999");

	formats(1704067200000LL, "2024-01-01T00:00:00Z");
	formats(1704067200123LL, "2024-01-01T00:00:00.123Z");
	formats(1704067200001LL, "2024-01-01T00:00:00.001Z");
	formats(0, "1970-01-01T00:00:00Z");
	formats(-1, "1969-12-31T23:59:59.999Z");
	formats(951782400000LL, "2000-02-29T00:00:00Z");
	formats(253402300799000LL, "9999-12-31T23:59:59Z");

	/* Every day for 800 years round-trips through text. */
	int bad = 0;
	for (int64_t d = -146097; d < 146097 && !bad; d += 1) {
		char buf[AB_TIME_MAX];
		int64_t back;
		ab_time_format(d * 86400000 + 3723000, buf);
		if (ab_time_parse_str(buf, &back) || back != d * 86400000 + 3723000)
			bad = 1;
	}
	ok(!bad, "800 years of days round-trip");

	int64_t tf;
	ok(ab_tf_parse("1h", &tf) == 0 && tf == 3600000, "tf 1h");
	ok(ab_tf_parse("1M", &tf) == 0 && tf == AB_MS_MONTH, "tf 1M is a calendar month");
	ok(ab_tf_parse("7h", &tf) != 0, "tf 7h rejected");
	ok(ab_tf_parse("1H", &tf) != 0, "tf 1H rejected (case matters: 1M is a month)");
	is_int(ab_tf_floor(3600000, 1704069000000LL), 1704067200000LL, "1h floor");
	is_int(ab_tf_floor(604800000, 1704326400000LL + 86400000 * 3), 1704067200000LL,
	       "1w floor is Monday 2024-01-01");
	is_int(ab_tf_floor(604800000, 1704067200000LL), 1704067200000LL, "Monday is its own week start");
	is_int(ab_tf_floor(AB_MS_MONTH, 1709208000000LL), 1706745600000LL, "1M floor 2024-02-29 -> 02-01");
	is_int(ab_tf_next(AB_MS_MONTH, 1701388800000LL), 1704067200000LL, "1M next of 2023-12 is 2024-01");
	is_int(ab_tf_next(86400000, 1704067200000LL), 1704153600000LL, "1d next");
	is_int(ab_tf_floor(3600000, -1), -3600000, "floor before the epoch");

	int64_t ms;
	ok(ab_duration_parse("15m", &ms) == 0 && ms == 900000, "duration 15m");
	ok(ab_duration_parse("90", &ms) == 0 && ms == 90000, "duration bare seconds");
	ok(ab_duration_parse("2w", &ms) == 0 && ms == 1209600000, "duration 2w");
	ok(ab_duration_parse("1.5h", &ms) == 0 && ms == 5400000, "duration 1.5h");
	ok(ab_duration_parse("-5m", &ms) != 0, "negative duration rejected");
	ok(ab_duration_parse("5x", &ms) != 0, "unknown unit rejected");
	ok(ab_duration_parse("5mm", &ms) != 0, "trailing junk rejected");

	setenv("AB_NOW", "2024-06-01T12:00:00Z", 1);
	is_int(ab_now_ms(), 1717243200000LL, "AB_NOW fixes the clock");
	unsetenv("AB_NOW");
	ok(ab_now_ms() > 1700000000000LL, "the real clock without AB_NOW");
	return tap_done();
}
