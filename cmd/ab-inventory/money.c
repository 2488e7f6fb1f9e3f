/* money.c: exact decimal money in minor units, and JSON field helpers. */
#include <string.h>

#include <stddef.h>

#include "err.h"
#include "inv.h"

int
inv_int_parse(const char *s, size_t n, int64_t *out)
{
	return ab_money_parse(s, n, 0, out);
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
