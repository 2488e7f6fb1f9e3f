/* money.c: exact decimal money in minor units, and JSON field helpers. */
#include <string.h>

#include <stddef.h>

#include "err.h"
#include "inv.h"

int
inv_currency_exp(const char *cur)
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
inv_currency_valid(const char *s, size_t n)
{
	if (n != 3)
		return 0;
	for (size_t i = 0; i < 3; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	return 1;
}

int
inv_money_parse(const char *s, size_t n, int exp, int64_t *out)
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
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i < n && s[i] == '.') {
		i++;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
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

int
inv_int_parse(const char *s, size_t n, int64_t *out)
{
	return inv_money_parse(s, n, 0, out);
}

size_t
inv_money_format(int64_t v, int exp, char *buf)
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
inv_out_money(struct ab_out *o, const char *key, int64_t v, int exp)
{
	char buf[40];

	if (v == INV_NONE) {
		ab_out_knull(o, key);
		return;
	}
	ab_out_kraw(o, key, buf, inv_money_format(v, exp, buf));
}

int
inv_jmoney(struct ab_jrec *rec, const char *key, int exp, int64_t *out)
{
	const struct ab_jfield *f = ab_jrec_get(rec, key);
	const char *s;
	size_t n;

	*out = INV_NONE;
	if (!f || f->type == AB_JNULL)
		return 0;
	if (f->type == AB_JNUMBER)
		return inv_money_parse(f->val, f->vlen, exp, out);
	if (ab_jrec_str(rec, f, &s, &n))
		return -1;
	if (n == 0)
		return 0;
	return inv_money_parse(s, n, exp, out);
}

int
inv_jint(struct ab_jrec *rec, const char *key, int64_t *out, int *present)
{
	const struct ab_jfield *f = ab_jrec_get(rec, key);
	const char *s;
	size_t n;

	*present = 0;
	if (!f || f->type == AB_JNULL)
		return 0;
	*present = 1;
	if (f->type == AB_JNUMBER)
		return inv_int_parse(f->val, f->vlen, out);
	if (ab_jrec_str(rec, f, &s, &n))
		return -1;
	return inv_int_parse(s, n, out);
}

int
inv_jdup(struct ab_jrec *rec, const char *key, char **out)
{
	const struct ab_jfield *f = ab_jrec_get(rec, key);
	const char *s;
	size_t n;

	*out = NULL;
	if (!f || f->type == AB_JNULL)
		return 0;
	if (f->type == AB_JNUMBER) {
		*out = ab_strndup(f->val, f->vlen);
		return 0;
	}
	if (ab_jrec_str(rec, f, &s, &n))
		return -1;
	*out = ab_strndup(s, n);
	return 0;
}

/* Skips one JSON value starting at a[*pos]; the elements are parsed (and
 * so validated) by the caller afterwards. */
static int
skip_value(const char *a, size_t n, size_t *pos)
{
	size_t p = *pos;
	int depth = 0;

	if (p >= n)
		return -1;
	if (a[p] != '"' && a[p] != '{' && a[p] != '[') {
		while (p < n && !strchr(",]} \n\t\r", a[p]))
			p++;
		*pos = p;
		return 0;
	}
	do {
		if (p >= n)
			return -1;
		char c = a[p++];
		if (c == '"') {
			while (p < n && a[p] != '"')
				p += a[p] == '\\' ? 2 : 1;
			if (p >= n)
				return -1;
			p++;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	} while (depth > 0);
	*pos = p;
	return 0;
}

static size_t
skip_ws(const char *a, size_t n, size_t p)
{
	while (p < n && (a[p] == ' ' || a[p] == '\n' || a[p] == '\t' || a[p] == '\r'))
		p++;
	return p;
}

int
inv_jarray_next(const char *a, size_t n, size_t *pos, const char **el, size_t *elen)
{
	size_t p = skip_ws(a, n, *pos);

	if (p == 0) {
		if (n == 0 || a[0] != '[')
			return -1;
		p = skip_ws(a, n, 1);
		if (p < n && a[p] == ']') {
			*pos = n;
			return 0;
		}
	} else if (p >= n || a[p] == ']') {
		return 0;
	} else if (a[p] == ',') {
		p = skip_ws(a, n, p + 1);
	} else {
		return -1;
	}
	size_t start = p;
	if (skip_value(a, n, &p))
		return -1;
	*el = a + start;
	*elen = p - start;
	p = skip_ws(a, n, p);
	if (p < n && a[p] == ']')
		p = n;
	else if (p >= n || a[p] != ',')
		return -1;
	*pos = p;
	return 1;
}
