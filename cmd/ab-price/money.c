/* money.c: exact decimal money in minor units, rounding, and record field helpers. */
#include <math.h>
#include <string.h>

#include "numfmt.h"
#include "price.h"

int
pr_currency_exp(const char *cur)
{
	static const char *const zero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW",
					   "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
					   "XPF"};
	static const char *const three[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};

	for (size_t i = 0; i < sizeof zero / sizeof *zero; i++)
		if (strcmp(cur, zero[i]) == 0)
			return 0;
	for (size_t i = 0; i < sizeof three / sizeof *three; i++)
		if (strcmp(cur, three[i]) == 0)
			return 3;
	return 2;
}

int
pr_currency_valid(const char *s, size_t n)
{
	if (n != 3)
		return 0;
	for (size_t i = 0; i < 3; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	return 1;
}

int
pr_money_parse(const char *s, size_t n, int exp, int64_t *out)
{
	size_t i = 0;
	int neg = 0, digits = 0, frac = 0;
	int64_t v = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
			if (frac < exp) {
				if (v > (INT64_MAX - 9) / 10)
					return -1;
				v = v * 10 + (s[i] - '0');
				frac++;
			} else if (s[i] != '0') {
				return -1; /* finer than the currency's minor unit */
			}
		}
	}
	if (i != n || digits == 0)
		return -1;
	for (; frac < exp; frac++) {
		if (v > INT64_MAX / 10)
			return -1;
		v *= 10;
	}
	*out = neg ? -v : v;
	return 0;
}

size_t
pr_money_format(int64_t v, int exp, char *buf)
{
	char tmp[32];
	size_t k = 0, len = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	int first = 0;

	do {
		tmp[k++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while ((int)k <= exp)
		tmp[k++] = '0';
	while (first < exp && tmp[first] == '0')
		first++;
	if (v < 0)
		buf[len++] = '-';
	for (size_t i = k; i-- > (size_t)exp;)
		buf[len++] = tmp[i];
	if (first < exp) {
		buf[len++] = '.';
		for (int i = exp - 1; i >= first; i--)
			buf[len++] = tmp[i];
	}
	buf[len] = '\0';
	return len;
}

void
pr_out_money(struct ab_out *o, const char *key, int64_t v, int exp)
{
	char buf[40];

	if (v == PR_NONE) {
		ab_out_knull(o, key);
		return;
	}
	ab_out_kraw(o, key, buf, pr_money_format(v, exp, buf));
}

int
pr_jmoney(struct ab_jrec *rec, const char *key, int exp, int64_t *out)
{
	const struct ab_jfield *f = ab_jrec_get(rec, key);
	const char *s;
	size_t n;

	*out = PR_NONE;
	if (!f || f->type == AB_JNULL)
		return 0;
	if (f->type == AB_JNUMBER)
		return pr_money_parse(f->val, f->vlen, exp, out);
	if (ab_jrec_str(rec, f, &s, &n))
		return -1;
	return n ? pr_money_parse(s, n, exp, out) : 0;
}

int
pr_jstr(struct ab_jrec *rec, const char *key, char *buf, size_t size)
{
	const struct ab_jfield *f = ab_jrec_get(rec, key);
	const char *s;
	size_t n;

	if (!f || f->type == AB_JNULL)
		return 0;
	if (f->type == AB_JNUMBER) {
		s = f->val;
		n = f->vlen;
	} else if (ab_jrec_str(rec, f, &s, &n)) {
		return -1;
	}
	if (n >= size || memchr(s, '\0', n))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 1;
}

int
pr_jnum(struct ab_jrec *rec, const char *key, double *out)
{
	const struct ab_jfield *f = ab_jrec_get(rec, key);
	const char *s;
	size_t n;

	if (!f || f->type == AB_JNULL)
		return 0;
	if (f->type == AB_JNUMBER)
		return ab_jfield_num(f, out) ? -1 : 1;
	if (f->type == AB_JTRUE || f->type == AB_JFALSE) {
		*out = f->type == AB_JTRUE;
		return 1;
	}
	if (ab_jrec_str(rec, f, &s, &n) || ab_parse_json_number(s, n, out))
		return -1;
	return 1;
}

static double
pow10i(int exp)
{
	double m = 1;
	while (exp-- > 0)
		m *= 10;
	return m;
}

double
pr_major(int64_t minor, int exp)
{
	return (double)minor / pow10i(exp);
}

int64_t
pr_round_minor(double major, int exp, enum pr_round how)
{
	double x = major * pow10i(exp);
	/* NaN, infinite or beyond int64 (a model's price of an absurd input): unknown */
	if (!(fabs(x) < 9.2e18))
		return PR_NONE;
	/* a model price a hair above a whole cent is that cent, not the next */
	double r = nearbyint(x);
	if (fabs(x - r) < 1e-6 * (fabs(x) > 1 ? fabs(x) : 1))
		return (int64_t)r;
	switch (how) {
	case PR_UP: return (int64_t)ceil(x);
	case PR_DOWN: return (int64_t)floor(x);
	default: return (int64_t)llround(x);
	}
}
