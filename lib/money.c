/* money: exact decimal money in minor units. */
#include <string.h>

#include "money.h"

int
ab_currency_exp(const char *cur)
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
ab_currency_valid(const char *s, size_t n)
{
	if (n != 3)
		return 0;
	for (size_t i = 0; i < 3; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	return 1;
}

int
ab_money_parse(const char *s, size_t n, int exp, int64_t *out)
{
	size_t i = 0;
	int neg = 0, digits = 0, frac = 0;
	int64_t v = 0;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i < n && s[i] == '.') {
		i++;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
			if (frac < exp) {
				if (v > (INT64_MAX - (s[i] - '0')) / 10)
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
ab_money_format(int64_t v, int exp, char *buf)
{
	char tmp[32];
	size_t k = 0, len = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[k++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while ((int)k <= exp)
		tmp[k++] = '0';
	/* tmp holds the digits reversed; the last exp of them are decimals */
	int first = 0;
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
ab_out_kmoney(struct ab_out *o, const char *key, int64_t v, int exp)
{
	char buf[AB_MONEY_MAX];

	if (v == AB_MONEY_NONE) {
		ab_out_knull(o, key);
		return;
	}
	ab_out_kraw(o, key, buf, ab_money_format(v, exp, buf));
}

int
ab_jmoney(struct ab_jrec *rec, const char *key, int exp, int64_t *out)
{
	const struct ab_jfield *f = ab_jrec_get(rec, key);
	const char *s;
	size_t n;

	*out = AB_MONEY_NONE;
	if (!f || f->type == AB_JNULL)
		return 0;
	if (f->type == AB_JNUMBER)
		return ab_money_parse(f->val, f->vlen, exp, out);
	if (ab_jrec_str(rec, f, &s, &n))
		return -1;
	if (n == 0)
		return 0;
	return ab_money_parse(s, n, exp, out);
}

