/* test-numfmt: shortest round-trip printing and exact parsing of numbers. */
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "numfmt.h"
#include "tap.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* xorshift64*: fixed seed, so a failure reproduces */
static uint64_t
next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static uint64_t
bits_of(double d)
{
	uint64_t b;
	memcpy(&b, &d, sizeof b);
	return b;
}

static double
double_of(uint64_t b)
{
	double d;
	memcpy(&d, &b, sizeof d);
	return d;
}

static const char *
fmt(double x)
{
	static char buf[AB_FMT_DOUBLE_MAX];
	ab_fmt_double(x, buf);
	return buf;
}

/* The significant digits of a number's text, without leading or trailing
 * zeros ("0.00120" -> "12", "1.5e-7" -> "15"). */
static void
sig_digits(const char *s, char *out)
{
	char *o = out;
	for (; *s && *s != 'e' && *s != 'E'; s++)
		if (*s >= '0' && *s <= '9' && (o > out || *s != '0'))
			*o++ = *s;
	while (o > out && o[-1] == '0')
		o--;
	*o = '\0';
}

static int
round_trips(const char *s, double x)
{
	return bits_of(strtod(s, NULL)) == bits_of(x);
}

/* Oracle: the fewest significant digits printf's correctly rounded "%.*e"
 * needs to read back to x, and those digits. With full set, tries every
 * precision; otherwise only checks that k-1 digits fail, which is enough
 * when x's rounding interval is symmetric (mantissa bits not all zero):
 * the closest (n+1)-digit number is never farther than the closest n-digit
 * one, so round-tripping is monotone in n. */
static int
oracle_ok(double x, const char *ours, int full, char *why, size_t whylen)
{
	char digits[40], want[40], buf[64];
	sig_digits(ours, digits);
	int k = (int)strlen(digits);
	if (!round_trips(ours, x)) {
		snprintf(why, whylen, "does not read back");
		return 0;
	}
	int n;
	if (full || (bits_of(x) & ((1ull << 52) - 1)) == 0) {
		for (n = 1; n <= 17; n++) {
			snprintf(buf, sizeof buf, "%.*e", n - 1, x);
			if (round_trips(buf, x))
				break;
		}
		if (k > n) {
			snprintf(why, whylen, "%d digits, printf needs %d (%s)", k, n, buf);
			return 0;
		}
		if (k < n)
			return 1; /* shorter than printf: fine (asymmetric interval) */
	} else if (k > 1) {
		snprintf(buf, sizeof buf, "%.*e", k - 2, x);
		if (round_trips(buf, x)) {
			snprintf(why, whylen, "%d digits, but %s reads back", k, buf);
			return 0;
		}
	}
	/* same length: the closest k-digit number, which is printf's */
	snprintf(buf, sizeof buf, "%.*e", k - 1, x);
	sig_digits(buf, want);
	if (strcmp(want, digits) != 0) {
		snprintf(why, whylen, "digits %s, printf's %s", digits, want);
		return 0;
	}
	return 1;
}

/* JSON number grammar, independently, for checking what we print. */
static int
is_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static void
test_fmt_known(void)
{
	static const struct {
		double x;
		const char *want;
	} cases[] = {
		{ 0.0, "0" },
		{ -0.0, "-0" },
		{ 1.0, "1" },
		{ -1.0, "-1" },
		{ 42.0, "42" },
		{ 0.1, "0.1" },
		{ 0.3, "0.3" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 1.5, "1.5" },
		{ 100.0, "100" },
		{ 43519.34, "43519.34" },
		{ -43519.34, "-43519.34" },
		{ 57.12345678901234, "57.12345678901234" },
		{ 0.000001, "0.000001" },
		{ 0.0000012345, "0.0000012345" },
		{ 1e-7, "1e-7" },
		{ 1.5e-7, "1.5e-7" },
		{ 1e21, "1e+21" },
		{ 1.5e21, "1.5e+21" },
		{ 1e20, "100000000000000000000" },
		{ 123456789012345680000.0, "123456789012345680000" },
		{ 9007199254740992.0, "9007199254740992" },   /* 2^53 */
		{ 9007199254740994.0, "9007199254740994" },
		{ 18014398509481984.0, "18014398509481984" }, /* 2^54 */
		{ 1e15, "1000000000000000" },
		{ 1e16, "10000000000000000" },
		{ 1e17, "100000000000000000" },
		{ 5e-324, "5e-324" },
		{ -5e-324, "-5e-324" },
		{ DBL_MAX, "1.7976931348623157e+308" },
		{ -DBL_MAX, "-1.7976931348623157e+308" },
		{ DBL_MIN, "2.2250738585072014e-308" },
		{ -DBL_MIN, "-2.2250738585072014e-308" },
		{ 2.2250738585072009e-308, "2.225073858507201e-308" }, /* largest subnormal */
		{ 1.7976931348623156e300, "1.7976931348623156e+300" },
		{ 1e100, "1e+100" },
		{ 1e-100, "1e-100" },
		{ 1.2e-10, "1.2e-10" },
		{ 123.456, "123.456" },
		{ 0.5, "0.5" },
		{ 0.25, "0.25" },
		{ 2.5, "2.5" },
		{ 1234567.0, "1234567" },
		{ 4294967295.0, "4294967295" },
		{ 9.999999999999997e22, "9.999999999999997e+22" },
		{ 1e23, "1e+23" }, /* 99999999999999991611392: 1e23 is the shortest */
		{ 5e-7, "5e-7" },
		{ 1e-6, "0.000001" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 2.0 / 3.0, "0.6666666666666666" },
		{ 1e22, "1e+22" },
		{ 299792458.0, "299792458" },
		{ 0.000123, "0.000123" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[AB_FMT_DOUBLE_MAX];
		size_t n = ab_fmt_double(cases[i].x, buf);
		is_str(buf, cases[i].want, "fmt %s", cases[i].want);
		if (n != strlen(cases[i].want))
			ok(0, "fmt %s: returned length %zu", cases[i].want, n);
	}

	char buf[AB_FMT_DOUBLE_MAX];
	is_int(ab_fmt_double(NAN, buf), 4, "NaN has length 4");
	is_str(buf, "null", "NaN writes null");
	ab_fmt_double(-NAN, buf);
	is_str(buf, "null", "-NaN writes null");
	ab_fmt_double(INFINITY, buf);
	is_str(buf, "null", "inf writes null");
	ab_fmt_double(-INFINITY, buf);
	is_str(buf, "null", "-inf writes null");

	/* every power of two and ten, both signs: boundaries of the interval
	 * logic and of the plain/scientific switch */
	int bad = 0;
	char why[160] = "";
	for (int e = -1074; e <= 1023 && !bad; e++) {
		double x = ldexp(1.0, e);
		const char *s = fmt(x);
		if (!oracle_ok(x, s, 1, why, sizeof why) || !is_json_number(s)) {
			bad = 1;
			printf("# 2^%d -> %s: %s\n", e, s, why);
		}
	}
	ok(!bad, "2^-1074 .. 2^1023 are shortest and read back");
	bad = 0;
	for (int e = -323; e <= 308 && !bad; e++) {
		char want[32];
		snprintf(want, sizeof want, "1e%d", e);
		double x = strtod(want, NULL);
		const char *s = fmt(x);
		if (!round_trips(s, x) || !is_json_number(s)) {
			bad = 1;
			printf("# %s -> %s\n", want, s);
		}
		if (e >= -6 && e < 21) {
			/* plain notation: a 1 and zeros, with the point if e < 0 */
			char plain[32];
			if (e >= 0)
				snprintf(plain, sizeof plain, "1%.*d", e, 0);
			else
				snprintf(plain, sizeof plain, "0.%0*d", -e, 1);
			if (e == 0)
				strcpy(plain, "1");
			if (strcmp(s, plain) != 0) {
				bad = 1;
				printf("# %s -> %s, want %s\n", want, s, plain);
			}
		} else {
			char sci[32];
			snprintf(sci, sizeof sci, "1e%s%d", e < 0 ? "" : "+", e);
			if (strcmp(s, sci) != 0) {
				bad = 1;
				printf("# %s -> %s, want %s\n", want, s, sci);
			}
		}
	}
	ok(!bad, "1e-323 .. 1e308 print as 1 and zeros or 1e+-N");
}

static void
test_fmt_int(void)
{
	char buf[AB_FMT_INT_MAX];
	static const long long vals[] = {
		0, 1, -1, 9, 10, 99, 100, 12345, -12345, 4294967295LL, 4294967296LL,
		99999999, 100000000, 1000000000000000000LL, 9007199254740993LL,
		LLONG_MAX, LLONG_MIN, LLONG_MIN + 1,
	};
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		char want[32];
		snprintf(want, sizeof want, "%lld", vals[i]);
		size_t n = ab_fmt_int(vals[i], buf);
		is_str(buf, want, "fmt_int %s", want);
		is_int((long long)n, (long long)strlen(want), "fmt_int %s length", want);
	}
	int bad = 0;
	for (int i = 0; i < 100000 && !bad; i++) {
		long long v = (long long)(next() >> (next() % 64));
		if (i & 1)
			v = -v;
		char want[32];
		snprintf(want, sizeof want, "%lld", v);
		if (ab_fmt_int(v, buf) != strlen(want) || strcmp(buf, want) != 0) {
			bad = 1;
			printf("# %lld -> %s\n", v, buf);
		}
	}
	ok(!bad, "fmt_int agrees with printf on random values");
}

static void
test_fmt_random(long count)
{
	char why[160] = "";
	long bad = 0, checked = 0, full = count / 50;
	for (long i = 0; i < count; i++) {
		double x = double_of(next());
		if (!isfinite(x))
			continue;
		const char *s = fmt(x);
		checked++;
		if (!oracle_ok(x, s, i < full, why, sizeof why) || !is_json_number(s) ||
		    strlen(s) >= AB_FMT_DOUBLE_MAX) {
			if (bad++ < 10)
				printf("# %016" PRIx64 " -> %s: %s\n", bits_of(x), s, why);
		}
	}
	ok(bad == 0, "%ld random bit patterns: shortest, closest, read back (%ld bad)",
	    checked, bad);

	/* values in the plain-notation range, like prices and indicators */
	bad = 0;
	for (long i = 0; i < count / 4; i++) {
		double x = (double)(next() >> (next() % 64)) * pow(10.0, (double)(int)(next() % 30) - 20);
		const char *s = fmt(x);
		if (!oracle_ok(x, s, 0, why, sizeof why) || !is_json_number(s)) {
			if (bad++ < 10)
				printf("# %.17g -> %s: %s\n", x, s, why);
		}
	}
	ok(bad == 0, "%ld random decimals: shortest, closest, read back (%ld bad)",
	    count / 4, bad);
}

static void
test_parse_grammar(void)
{
	static const char *bad[] = {
		"", "-", "01", "-01", "00", "+1", "+0", "1.", ".5", "-.5", "1e", "1e+",
		"1E-", "1.e5", "1.5e", "Infinity", "-Infinity", "inf", "NaN", "nan",
		"0x10", " 1", "1 ", "1x", "--1", "e5", ".", "1e5.0", "1.2.3", "0.", "-e1",
		"1,5", "1e5e5", "0e", "-0x1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		double d = 123.0;
		is_int(ab_parse_json_number(bad[i], strlen(bad[i]), &d), -1,
		    "parse rejects '%s'", bad[i]);
		ok(d == 123.0, "parse leaves *out alone on '%s'", bad[i]);
	}

	static const struct {
		const char *s;
		double want;
	} good[] = {
		{ "0", 0.0 },
		{ "-0", -0.0 },
		{ "1", 1.0 },
		{ "-1", -1.0 },
		{ "1E5", 1e5 },
		{ "1e-5", 1e-5 },
		{ "1e+5", 1e5 },
		{ "1.5e+300", 1.5e300 },
		{ "0.0", 0.0 },
		{ "-0.0e-5", -0.0 },
		{ "0e999999999999", 0.0 },
		{ "43519.34", 43519.34 },
		{ "0.1", 0.1 },
		{ "0.30000000000000004", 0.1 + 0.2 },
		{ "1e007", 1e7 },
		{ "1e-400", 0.0 },
		{ "-1e-400", -0.0 },
		{ "123456789012345680000", 123456789012345680000.0 },
		{ "9007199254740993", 9007199254740992.0 },
		{ "9007199254740995", 9007199254740996.0 },
		{ "1.7976931348623157e308", DBL_MAX },
		{ "2.2250738585072014e-308", DBL_MIN },
		{ "5e-324", 5e-324 },
		{ "1e23", 1e23 },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		double d = 123.0;
		int rc = ab_parse_json_number(good[i].s, strlen(good[i].s), &d);
		ok(rc == 0 && bits_of(d) == bits_of(good[i].want), "parse '%s' (rc %d, got %.17g)",
		    good[i].s, rc, d);
	}

	double d = 0;
	is_int(ab_parse_json_number("1e400", 5, &d), -2, "1e400 overflows");
	ok(d == INFINITY, "1e400 gives +inf");
	is_int(ab_parse_json_number("-1e400", 6, &d), -2, "-1e400 overflows");
	ok(d == -INFINITY, "-1e400 gives -inf");
	is_int(ab_parse_json_number("1.7976931348623159e308", 22, &d), -2,
	    "just past DBL_MAX + half an ulp overflows");
	is_int(ab_parse_json_number("1.7976931348623158e308", 22, &d), 0,
	    "just below DBL_MAX + half an ulp is DBL_MAX");
	ok(d == DBL_MAX, "... and it is DBL_MAX");
	is_int(ab_parse_json_number("1e99999999999999999999", 22, &d), -2,
	    "a huge exponent overflows");

	/* len bounds the text: no NUL needed, nothing read past it */
	is_int(ab_parse_json_number("12345", 3, &d), 0, "parse a prefix by len");
	ok(d == 123.0, "prefix reads 123");
	is_int(ab_parse_json_number("1e5", 2, &d), -1, "'1e' cut by len is an error");
	char *heap = malloc(3);
	memcpy(heap, "0.5", 3);
	is_int(ab_parse_json_number(heap, 3, &d), 0, "unterminated heap text");
	ok(d == 0.5, "unterminated heap text reads 0.5");
	free(heap);
}

/* Compares ab_parse_json_number with strtod on s; prints the first few
 * disagreements. The text is copied to an exact-size heap block so ASan
 * catches a read past len. */
static int
parse_agrees(const char *s, long *bad)
{
	size_t len = strlen(s);
	char *copy = malloc(len ? len : 1);
	memcpy(copy, s, len);
	double got = 0, want = strtod(s, NULL);
	int rc = ab_parse_json_number(copy, len, &got);
	free(copy);
	int want_rc = isinf(want) ? -2 : 0;
	if (rc != want_rc || bits_of(got) != bits_of(want)) {
		if ((*bad)++ < 10)
			printf("# '%s': rc %d got %.17g (%016" PRIx64 "), strtod %.17g (%016" PRIx64 ")\n",
			    s, rc, got, bits_of(got), want, bits_of(want));
		return 0;
	}
	return 1;
}

static void
test_parse_hard(void)
{
	static const char *hard[] = {
		"2.2250738585072011e-308", "2.2250738585072012e-308",
		"2.2250738585072014e-308", "2.225073858507201e-308",
		"9007199254740993", "9007199254740993.0000000000001",
		"1.7976931348623157e308", "1.7976931348623158e308",
		"4.9406564584124654e-324", "2.4703282292062327e-324",
		"2.4703282292062328e-324", "2.4703282292062327208828439643411e-324",
		"4.9e-324", "2e-324", "3e-324", "7.4e-324", "1e-323", "1e-324",
		"0.1000000000000000055511151231257827021181583404541015625",
		"0.1000000000000000055511151231257827021181583404541015624",
		"0.1000000000000000055511151231257827021181583404541015626",
		"1.00000000000000011102230246251565404236316680908203125",
		"1.00000000000000011102230246251565404236316680908203124",
		"1.00000000000000011102230246251565404236316680908203126",
		"9007199254740992.5", "9007199254740993.5", "9007199254740994.5",
		"18446744073709551615", "18446744073709551616", "18446744073709551617",
		"12345678901234567890123456789", "1234567890123456789",
		"123456789012345678901234567890e-30",
		"7.2057594037927933e16", "7.2057594037927932e16",
		"3.0517578125e-05", "8.98846567431158e307", "1.1754943508222875e-38",
		"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791",
		"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792",
		"0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000247032822920623272088284396434110686182529901307162382212792841250337753635104375932649918180817996189898282347722858865463328355177969898199387398005390939063150356595155702263922908583924491051844359318028499365361525003193704576782492193656236698636584807570015857692699037063119282795585513329278343384093519780155312465972635795746227664652728272200563740064854999770965994704540208281662262378573934507363390079677619305775067401763246736009689513405355374585166611342237666786041621596804619144672918403005300575308490487653917113865916462395249126236538818796362393732804238910186723484976682350898633885879256283027559956575244555072551893136908362547791869486679949683240497058210285131854513962138377228261454376934125320985913276672363281255",
		"1448997445238699", "5.0216813883093446e-154", "1.2345678901234567e-300",
		"9.5e-322", "1e-322", "6.9294956446009195e15", "1e22", "1e23", "1e24",
		"8.41e21", "5.5626846462680035e-309", "9.109e-31", "6.02214076e23",
		"0.30000000000000004", "0.3000000000000000444089209850062616169452667236328125",
		"100000000000000000000000000000000000000000000000000000000000000000000000000000000000e-84",
		"0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000001e84",
		"4503599627370496.5", "4503599627370497.5", "2.0000000000000004440892098500626161694526672363281249",
		"2.0000000000000004440892098500626161694526672363281251",
	};
	long bad = 0;
	for (size_t i = 0; i < sizeof hard / sizeof hard[0]; i++) {
		int agree = parse_agrees(hard[i], &bad);
		ok(agree, "parse hard case %.40s%s", hard[i], strlen(hard[i]) > 40 ? "..." : "");
		char neg[2048];
		snprintf(neg, sizeof neg, "-%s", hard[i]);
		ok(parse_agrees(neg, &bad), "parse hard case -%.40s%s", hard[i],
		    strlen(hard[i]) > 40 ? "..." : "");
	}
}

static void
test_parse_random(long count)
{
	long bad = 0;
	char s[512];
	for (long i = 0; i < count; i++) {
		uint64_t r = next();
		double x = double_of(next());
		if (!isfinite(x))
			x = (double)r;
		switch (r % 8) {
		case 0: /* printf's round-trip form */
			snprintf(s, sizeof s, "%.17g", x);
			break;
		case 1: /* a random precision: fast path and not */
			snprintf(s, sizeof s, "%.*e", (int)(r >> 8) % 25, x);
			break;
		case 2: /* ours */
			ab_fmt_double(x, s);
			break;
		case 3: { /* prices and indicators */
			double v = (double)(next() >> (r >> 8) % 64) * pow(10.0, (double)(int)((r >> 16) % 30) - 20);
			snprintf(s, sizeof s, "%.*f", (int)(r >> 24) % 12, v);
			break;
		}
		case 4: /* near the ends of the exponent range */
			snprintf(s, sizeof s, "%.*e", (int)(r >> 8) % 20,
			    ldexp(1.0 + (double)(r >> 12) / 4503599627370496.0,
			    (int)((r >> 3) % 64) + ((r & 32) ? -1080 : 960)));
			break;
		default: { /* random digit strings, up to 40 digits */
			char *p = s;
			if (r & 16)
				*p++ = '-';
			int nint = (int)(next() % 25), nfrac = (int)(next() % 25);
			if (nint == 0)
				*p++ = '0';
			for (int k = 0; k < nint; k++)
				*p++ = (char)('0' + (k == 0 ? 1 + next() % 9 : next() % 10));
			if (nfrac || nint == 0) {
				*p++ = '.';
				for (int k = 0; k < nfrac + 1; k++)
					*p++ = (char)('0' + next() % 10);
			}
			if (r & 32)
				p += sprintf(p, "e%d", (int)(next() % 700) - 350);
			*p = '\0';
			break;
		}
		}
		parse_agrees(s, &bad);
	}
	ok(bad == 0, "%ld random numbers parse like strtod (%ld bad)", count, bad);

	/* ours reads back exactly through our own parser too */
	bad = 0;
	for (long i = 0; i < count / 4; i++) {
		double x = double_of(next()), y = 0;
		if (!isfinite(x))
			continue;
		size_t n = ab_fmt_double(x, s);
		if (ab_parse_json_number(s, n, &y) != 0 || bits_of(x) != bits_of(y)) {
			if (bad++ < 10)
				printf("# %s reads back as %.17g\n", s, y);
		}
	}
	ok(bad == 0, "ab_fmt_double then ab_parse_json_number is the identity (%ld bad)", bad);
}

int
main(void)
{
	/* sanitizers are ~20x slower: keep the run short there */
	long count = getenv("AB_ASAN") && *getenv("AB_ASAN") == '1' ? 100000 : 1000000;
	test_fmt_known();
	test_fmt_int();
	test_fmt_random(count);
	test_parse_grammar();
	test_parse_hard();
	test_parse_random(count);
	return tap_done();
}
