/* test-money: exact decimal money in minor units. */
#include "money.h"
#include "tap.h"

static void
parses(const char *s, int exp, long long want)
{
	int64_t v = 0;
	int r = ab_money_parse(s, strlen(s), exp, &v);

	ok(r == 0 && v == want, "\"%s\" exp %d = %lld (got %d, %lld)", s, exp, want, r, (long long)v);
}

static void
rejects(const char *s, int exp)
{
	int64_t v;

	ok(ab_money_parse(s, strlen(s), exp, &v) != 0, "reject \"%s\" exp %d", s, exp);
}

int
main(void)
{
	char buf[AB_MONEY_MAX];

	is_int(ab_currency_exp("USD"), 2, "USD has cents");
	is_int(ab_currency_exp("JPY"), 0, "JPY has no minor unit");
	is_int(ab_currency_exp("KWD"), 3, "KWD has fils");
	ok(ab_currency_valid("EUR", 3) && !ab_currency_valid("eur", 3) && !ab_currency_valid("EURO", 4),
	   "currency codes are three capitals");
	parses("19.99", 2, 1999);
	parses("19.9", 2, 1990);
	parses("19.990", 2, 1999);
	parses(" 20 ", 2, 2000);
	parses("-0.05", 2, -5);
	parses("1500", 0, 1500);
	parses("1.234", 3, 1234);
	parses("92233720368547758.07", 2, 9223372036854775807LL);
	rejects("19.999", 2);
	rejects("1.5", 0);
	rejects("1,234.50", 2);
	rejects("", 2);
	rejects(".", 2);
	rejects("1e3", 2);
	rejects("92233720368547758.08", 2);
	rejects("12abc", 2);
	ab_money_format(1999, 2, buf);
	is_str(buf, "19.99", "format cents");
	ab_money_format(1990, 2, buf);
	is_str(buf, "19.9", "trailing zeros dropped");
	ab_money_format(2000, 2, buf);
	is_str(buf, "20", "whole amounts");
	ab_money_format(-5, 2, buf);
	is_str(buf, "-0.05", "small negatives");
	ab_money_format(INT64_MIN + 1, 2, buf);
	is_str(buf, "-92233720368547758.07", "the extreme");
	/* Every amount from -10.00 to 10.00 round-trips in each exponent. */
	int bad = 0;
	for (int exp = 0; exp <= 3; exp++)
		for (int64_t v = -1000; v <= 1000; v++) {
			int64_t w;
			size_t n = ab_money_format(v, exp, buf);
			if (ab_money_parse(buf, n, exp, &w) || w != v)
				bad++;
		}
	is_int(bad, 0, "format then parse is the identity");
	return tap_done();
}
