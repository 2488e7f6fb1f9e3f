/* json.c: exchange responses parsed once into a tape of spans. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "jsonl.h"
#include "numfmt.h"

#define MAX_DEPTH 64

struct parser {
	struct jdoc *d;
	const char *p, *end;
};

static int
fail(struct parser *ps, const char *what)
{
	(void)ps;
	snprintf(ps->d->err, sizeof ps->d->err, "%s", what);
	return -1;
}

static void
ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int
add(struct parser *ps, int type, const char *p, size_t n)
{
	struct jdoc *d = ps->d;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->t = ab_realloc(d->t, (size_t)d->cap * sizeof *d->t);
	}
	d->t[d->n] = (struct jnode){.type = (unsigned char)type, .p = p, .n = n, .end = d->n + 1};
	return d->n++;
}

static int
hex4(const char *p)
{
	for (int i = 0; i < 4; i++)
		if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
			return 0;
	return 1;
}

static int
string(struct parser *ps)
{
	const char *s = ++ps->p;
	int esc = 0, i;

	for (;;) {
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		unsigned char c = (unsigned char)*ps->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(ps, "control character in a string");
		if (c == '\\') {
			esc = 1;
			if (ps->end - ps->p < 2)
				return fail(ps, "unterminated string");
			char e = ps->p[1];
			if (e == 'u') {
				if (ps->end - ps->p < 6 || !hex4(ps->p + 2))
					return fail(ps, "bad \\u escape");
				ps->p += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", e))
				return fail(ps, "bad escape");
			ps->p += 2;
			continue;
		}
		ps->p++;
	}
	i = add(ps, J_STR, s, (size_t)(ps->p - s));
	ps->d->t[i].esc = (unsigned char)esc;
	ps->p++;
	return 0;
}

static int
number(struct parser *ps)
{
	const char *s = ps->p;
	double v;

	while (ps->p < ps->end && strchr("0123456789+-.eE", *ps->p))
		ps->p++;
	if (ps->p == s || ab_parse_json_number(s, (size_t)(ps->p - s), &v) == -1)
		return fail(ps, "bad number");
	add(ps, J_NUM, s, (size_t)(ps->p - s));
	return 0;
}

static int
literal(struct parser *ps, const char *word, int type)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "unexpected character");
	add(ps, type, ps->p, n);
	ps->p += n;
	return 0;
}

static int
value(struct parser *ps, int depth)
{
	int i;

	ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end");
	switch (*ps->p) {
	case '"': return string(ps);
	case 't': return literal(ps, "true", J_TRUE);
	case 'f': return literal(ps, "false", J_FALSE);
	case 'n': return literal(ps, "null", J_NULL);
	case '[':
	case '{': {
		int obj = *ps->p == '{';
		char close = obj ? '}' : ']';
		if (depth >= MAX_DEPTH)
			return fail(ps, "nested too deeply");
		i = add(ps, obj ? J_OBJ : J_ARR, ps->p, 0);
		ps->p++;
		ws(ps);
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			break;
		}
		for (;;) {
			if (obj) {
				ws(ps);
				if (ps->p >= ps->end || *ps->p != '"')
					return fail(ps, "expected a key");
				if (string(ps))
					return -1;
				ws(ps);
				if (ps->p >= ps->end || *ps->p != ':')
					return fail(ps, "expected ':'");
				ps->p++;
			}
			if (value(ps, depth + 1))
				return -1;
			ws(ps);
			if (ps->p < ps->end && *ps->p == ',') {
				ps->p++;
				continue;
			}
			if (ps->p < ps->end && *ps->p == close) {
				ps->p++;
				break;
			}
			return fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		}
		ps->d->t[i].n = (size_t)(ps->p - ps->d->t[i].p);
		ps->d->t[i].end = ps->d->n;
		return 0;
	}
	default:
		return number(ps);
	}
	ps->d->t[i].n = (size_t)(ps->p - ps->d->t[i].p);
	ps->d->t[i].end = ps->d->n;
	return 0;
}

int
jdoc_parse(struct jdoc *d, const char *s, size_t len)
{
	struct parser ps = {d, s, s + len};

	d->n = 0;
	d->err[0] = '\0';
	if (value(&ps, 0))
		goto bad;
	ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, "text after the value");
		goto bad;
	}
	return 0;
bad:
	/* Say where, for a message about a broken response. */
	{
		char where[32];
		snprintf(where, sizeof where, " (byte %zu)", (size_t)(ps.p - s));
		size_t l = strlen(d->err);
		if (l + strlen(where) < sizeof d->err)
			strcpy(d->err + l, where);
	}
	d->n = 0;
	return -1;
}

void
jdoc_free(struct jdoc *d)
{
	free(d->t);
	d->t = NULL;
	d->n = d->cap = 0;
}

int
j_type(const struct jdoc *d, int i)
{
	return i < 0 || i >= d->n ? -1 : d->t[i].type;
}

int
j_first(const struct jdoc *d, int i)
{
	int t = j_type(d, i);

	if ((t != J_ARR && t != J_OBJ) || d->t[i].end == i + 1)
		return -1;
	return i + 1;
}

int
j_next(const struct jdoc *d, int parent, int c)
{
	int n;

	if (c < 0)
		return -1;
	n = d->t[parent].type == J_OBJ ? d->t[c + 1].end : d->t[c].end;
	return n < d->t[parent].end ? n : -1;
}

int
j_get(const struct jdoc *d, int obj, const char *key)
{
	size_t kl = strlen(key);

	if (j_type(d, obj) != J_OBJ)
		return -1;
	for (int c = j_first(d, obj); c >= 0; c = j_next(d, obj, c))
		if (d->t[c].n == kl && !d->t[c].esc && memcmp(d->t[c].p, key, kl) == 0)
			return c + 1;
	return -1;
}

int
j_at(const struct jdoc *d, int arr, int k)
{
	int c;

	if (j_type(d, arr) != J_ARR || k < 0)
		return -1;
	for (c = j_first(d, arr); c >= 0 && k > 0; c = j_next(d, arr, c))
		k--;
	return c;
}

int
j_len(const struct jdoc *d, int i)
{
	int n = 0;

	for (int c = j_first(d, i); c >= 0; c = j_next(d, i, c))
		n++;
	return n;
}

int
j_num(const struct jdoc *d, int i, double *out)
{
	int t = j_type(d, i);

	if ((t != J_NUM && t != J_STR) || (t == J_STR && d->t[i].esc))
		return -1;
	return ab_parse_json_number(d->t[i].p, d->t[i].n, out) == 0 ? 0 : -1;
}

int
j_time(const struct jdoc *d, int i, int64_t unit_ms, int64_t *ms)
{
	int t = j_type(d, i);
	const char *p, *e;
	int64_t ip = 0, frac = 0, scale = 1;

	if (t != J_NUM && t != J_STR)
		return -1;
	p = d->t[i].p;
	e = p + d->t[i].n;
	if (p == e || *p < '0' || *p > '9')
		return -1;
	for (; p < e && *p >= '0' && *p <= '9'; p++) {
		if (ip > (INT64_MAX / 10 - 9) / unit_ms)
			return -1;
		ip = ip * 10 + (*p - '0');
	}
	if (p < e && *p == '.') {
		if (++p == e)
			return -1;
		for (; p < e && *p >= '0' && *p <= '9'; p++)
			if (scale < 1000000000) {
				frac = frac * 10 + (*p - '0');
				scale *= 10;
			}
	}
	if (p != e)
		return -1;
	*ms = ip * unit_ms + frac * unit_ms / scale;
	return 0;
}

int
j_str(const struct jdoc *d, int i, char *buf, size_t n)
{
	int t = j_type(d, i);
	size_t len;

	if (t != J_STR && t != J_NUM)
		return -1;
	len = d->t[i].n;
	if (len >= n)
		return -1;
	if (t == J_STR && d->t[i].esc) {
		/* Decoding never lengthens the text. */
		len = ab_json_unescape(d->t[i].p, len, buf);
	} else {
		memcpy(buf, d->t[i].p, len);
	}
	buf[len] = '\0';
	return 0;
}

int
j_streq(const struct jdoc *d, int i, const char *s)
{
	size_t n = strlen(s);

	return j_type(d, i) == J_STR && !d->t[i].esc && d->t[i].n == n
		&& memcmp(d->t[i].p, s, n) == 0;
}
