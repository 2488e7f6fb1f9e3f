/* jsonl: line reader, one-object-per-line JSON parser, buffered record writer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "jsonl.h"
#include "numfmt.h"
#include "timefmt.h"

/* ---- line reader ---- */

#define READ_CHUNK (1u << 20)

void
ab_lines_init(struct ab_lines *r, char **files, int nfiles)
{
	memset(r, 0, sizeof *r);
	r->files = files;
	r->nfiles = nfiles;
	r->fd = -1;
	r->cap = READ_CHUNK * 2;
	r->buf = ab_malloc(r->cap);
}

void
ab_lines_free(struct ab_lines *r)
{
	if (r->fd > 0)
		close(r->fd);
	r->fd = -1;
	free(r->buf);
	r->buf = NULL;
}

static int
open_next(struct ab_lines *r)
{
	if (r->fd > 0)
		close(r->fd);
	r->fd = -1;
	if (r->nfiles == 0) {
		if (r->next_file++ > 0)
			return 0;
		r->fd = 0;
		r->name = "stdin";
	} else {
		if (r->next_file >= r->nfiles)
			return 0;
		const char *f = r->files[r->next_file++];
		if (strcmp(f, "-") == 0) {
			r->fd = dup(0);
			r->name = "stdin";
		} else {
			r->fd = open(f, O_RDONLY | O_CLOEXEC);
			r->name = f;
		}
		if (r->fd < 0) {
			r->status = errno == ENOENT || errno == EACCES ? AB_ENOINPUT : AB_EIO;
			ab_err(r->status, "%s: %s", f, strerror(errno));
			return -1;
		}
	}
	r->lineno = 0;
	r->eof = 0;
	r->start = r->end = 0;
	return 1;
}

int
ab_lines_next(struct ab_lines *r, const char **line, size_t *len)
{
	for (;;) {
		if (r->fd < 0) {
			int o = open_next(r);
			if (o <= 0)
				return o;
		}
		char *nl = r->end > r->start ?
			memchr(r->buf + r->start, '\n', r->end - r->start) : NULL;
		if (nl || (r->eof && r->end > r->start)) {
			size_t s = r->start, e = nl ? (size_t)(nl - r->buf) : r->end;
			r->start = nl ? e + 1 : e;
			r->lineno++;
			if (e > s && r->buf[e - 1] == '\r')
				e--;
			if (e - s > AB_LINE_MAX) {
				r->status = AB_EDATA;
				ab_err_at(AB_EDATA, r->name, r->lineno, "line longer than %u bytes",
					  AB_LINE_MAX);
				return -1;
			}
			r->buf[e] = '\0';
			*line = r->buf + s;
			*len = e - s;
			r->count++;
			return 1;
		}
		if (r->eof) {
			int o = open_next(r);
			if (o <= 0)
				return o;
			continue;
		}
		/* Make room: move the partial line to the front, grow if it is huge. */
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->cap - r->end < READ_CHUNK) {
			if (r->end > AB_LINE_MAX + 2) {
				r->status = AB_EDATA;
				ab_err_at(AB_EDATA, r->name, r->lineno + 1,
					  "line longer than %u bytes", AB_LINE_MAX);
				return -1;
			}
			r->cap *= 2;
			r->buf = ab_realloc(r->buf, r->cap);
		}
		ssize_t got = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r->status = AB_EIO;
			ab_err(AB_EIO, "%s: read: %s", r->name, strerror(errno));
			return -1;
		}
		if (got == 0)
			r->eof = 1;
		r->end += (size_t)got;
	}
}

/* ---- parser ---- */

struct parser {
	const char *p, *end;
	struct ab_jrec *rec;
	int escaped, spaced;
};

static int
fail(struct parser *ps, const char *what)
{
	snprintf(ps->rec->err, sizeof ps->rec->err, "%s at column %ld", what,
		 (long)(ps->p - ps->rec->line) + 1);
	return -1;
}

static inline int
skip_ws(struct parser *ps)
{
	const char *p = ps->p;

	while (p < ps->end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	int moved = p != ps->p;
	ps->p = p;
	return moved;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* ps->p at the opening quote; leaves it after the closing one. */
static int
parse_string(struct parser *ps)
{
	const unsigned char *p = (const unsigned char *)ps->p + 1;
	const unsigned char *end = (const unsigned char *)ps->end;

	for (;;) {
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p >= end) {
			ps->p = (const char *)p;
			return fail(ps, "unterminated string");
		}
		unsigned c = *p;
		if (c == '"') {
			ps->p = (const char *)p + 1;
			return 0;
		}
		if (c == '\\') {
			ps->escaped = 1;
			if (p + 1 >= end)
				goto bad_escape;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				if (p + 5 >= end || hexval(p[2]) < 0 || hexval(p[3]) < 0 ||
				    hexval(p[4]) < 0 || hexval(p[5]) < 0)
					goto bad_escape;
				p += 6;
				continue;
			default:
				goto bad_escape;
			}
		}
		if (c < 0x20) {
			ps->p = (const char *)p;
			return fail(ps, "control character in string");
		}
		/* UTF-8: reject overlong forms, surrogates and values past U+10FFFF. */
		size_t n;
		unsigned lo = 0x80, hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) n = 1;
		else if (c == 0xe0) { n = 2; lo = 0xa0; }
		else if (c == 0xed) { n = 2; hi = 0x9f; }
		else if (c >= 0xe1 && c <= 0xef) n = 2;
		else if (c == 0xf0) { n = 3; lo = 0x90; }
		else if (c >= 0xf1 && c <= 0xf3) n = 3;
		else if (c == 0xf4) { n = 3; hi = 0x8f; }
		else goto bad_utf8;
		if (p + n >= end || p[1] < lo || p[1] > hi)
			goto bad_utf8;
		for (size_t k = 2; k <= n; k++)
			if ((p[k] & 0xc0) != 0x80)
				goto bad_utf8;
		p += n + 1;
	}
bad_escape:
	ps->p = (const char *)p;
	return fail(ps, "invalid escape in string");
bad_utf8:
	ps->p = (const char *)p;
	return fail(ps, "invalid UTF-8");
}

static int
parse_number(struct parser *ps)
{
	const char *p = ps->p, *end = ps->end;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		goto bad;
	if (p < end && *p == '.') {
		const char *d = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			goto bad;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		const char *d = p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			goto bad;
	}
	ps->p = p;
	return 0;
bad:
	ps->p = p;
	return fail(ps, "invalid number");
}

static int
parse_literal(struct parser *ps, const char *word, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "invalid value");
	ps->p += n;
	return 0;
}

static int parse_value(struct parser *ps, int depth, unsigned char *type);

static int
parse_container(struct parser *ps, int depth, char close)
{
	unsigned char t;

	if (depth > AB_JSON_MAX_DEPTH)
		return fail(ps, "nesting too deep");
	ps->p++;
	if (skip_ws(ps))
		ps->spaced = 1;
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "expected a string key");
			if (parse_string(ps))
				return -1;
			if (skip_ws(ps))
				ps->spaced = 1;
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "expected ':'");
			ps->p++;
			if (skip_ws(ps))
				ps->spaced = 1;
		}
		if (parse_value(ps, depth + 1, &t))
			return -1;
		if (skip_ws(ps))
			ps->spaced = 1;
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			if (skip_ws(ps))
				ps->spaced = 1;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		return fail(ps, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int
parse_value(struct parser *ps, int depth, unsigned char *type)
{
	if (ps->p >= ps->end)
		return fail(ps, "expected a value");
	switch (*ps->p) {
	case '"': *type = AB_JSTRING; return parse_string(ps);
	case '{': *type = AB_JOBJECT; return parse_container(ps, depth, '}');
	case '[': *type = AB_JARRAY; return parse_container(ps, depth, ']');
	case 't': *type = AB_JTRUE; return parse_literal(ps, "true", 4);
	case 'f': *type = AB_JFALSE; return parse_literal(ps, "false", 5);
	case 'n': *type = AB_JNULL; return parse_literal(ps, "null", 4);
	default: *type = AB_JNUMBER; return parse_number(ps);
	}
}

int
ab_json_valid(const char *s, size_t len, char *why, size_t whylen)
{
	struct ab_jrec rec;
	struct parser ps = {s, s + len, &rec, 0, 0};
	unsigned char t;
	int rc;

	memset(&rec, 0, sizeof rec);
	rec.line = s;
	rec.len = len;
	skip_ws(&ps);
	rc = parse_value(&ps, 1, &t); /* 256 levels at most, as libjq */
	if (!rc) {
		skip_ws(&ps);
		if (ps.p < ps.end)
			rc = fail(&ps, "more than one JSON value");
	}
	if (rc && why && whylen)
		snprintf(why, whylen, "%s", rec.err);
	return rc ? -1 : 0;
}

void
ab_jrec_init(struct ab_jrec *rec)
{
	memset(rec, 0, sizeof *rec);
}

void
ab_jrec_free(struct ab_jrec *rec)
{
	free(rec->f);
	free(rec->scratch);
	memset(rec, 0, sizeof *rec);
}

int
ab_jrec_parse(struct ab_jrec *rec, const char *line, size_t len)
{
	struct parser ps = {line, line + len, rec, 0, 0};
	int compact = 1;

	rec->line = line;
	rec->len = len;
	rec->n = 0;
	rec->err[0] = '\0';
	if (skip_ws(&ps))
		compact = 0;
	if (ps.p >= ps.end || *ps.p != '{') {
		if (ps.p < ps.end && memchr(line, '\0', len))
			return fail(&ps, "NUL byte in line");
		return fail(&ps, ps.p >= ps.end ? "empty line" : "not a JSON object");
	}
	ps.p++;
	if (skip_ws(&ps))
		compact = 0;
	if (ps.p < ps.end && *ps.p == '}') {
		ps.p++;
	} else {
		for (;;) {
			struct ab_jfield f;
			if (ps.p >= ps.end || *ps.p != '"')
				return fail(&ps, "expected a string key");
			ps.escaped = 0;
			f.key = ps.p + 1;
			if (parse_string(&ps))
				return -1;
			f.klen = (size_t)(ps.p - f.key - 1);
			int key_escaped = ps.escaped;
			if (skip_ws(&ps))
				compact = 0;
			if (ps.p >= ps.end || *ps.p != ':')
				return fail(&ps, "expected ':'");
			ps.p++;
			if (skip_ws(&ps))
				compact = 0;
			ps.escaped = 0;
			ps.spaced = 0;
			f.val = ps.p;
			if (parse_value(&ps, 1, &f.type))
				return -1;
			f.vlen = (size_t)(ps.p - f.val);
			f.escaped = (unsigned char)(key_escaped | ps.escaped);
			f.spaced = (unsigned char)ps.spaced;
			if (ps.spaced)
				compact = 0;
			if (rec->n == rec->cap) {
				rec->cap = rec->cap ? rec->cap * 2 : 32;
				rec->f = ab_realloc(rec->f, (size_t)rec->cap * sizeof *rec->f);
			}
			rec->f[rec->n++] = f;
			if (skip_ws(&ps))
				compact = 0;
			if (ps.p < ps.end && *ps.p == ',') {
				ps.p++;
				if (skip_ws(&ps))
					compact = 0;
				continue;
			}
			if (ps.p < ps.end && *ps.p == '}') {
				ps.p++;
				break;
			}
			return fail(&ps, "expected ',' or '}'");
		}
	}
	if (skip_ws(&ps))
		compact = 0;
	if (ps.p != ps.end)
		return fail(&ps, memchr(ps.p, '\0', (size_t)(ps.end - ps.p)) ?
			    "NUL byte in line" : "more than one JSON value on the line");
	rec->compact = compact;
	return 0;
}

static int
key_eq(struct ab_jrec *rec, const struct ab_jfield *f, const char *key, size_t n)
{
	if (!f->escaped || !memchr(f->key, '\\', f->klen))
		return f->klen == n && memcmp(f->key, key, n) == 0;
	char tmp[256];
	if (f->klen >= sizeof tmp)
		return 0;
	size_t m = ab_json_unescape(f->key, f->klen, tmp);
	(void)rec;
	return m == n && memcmp(tmp, key, n) == 0;
}

const struct ab_jfield *
ab_jrec_get(const struct ab_jrec *rec, const char *key)
{
	size_t n = strlen(key);

	for (int i = rec->n - 1; i >= 0; i--)
		if (key_eq((struct ab_jrec *)rec, &rec->f[i], key, n))
			return &rec->f[i];
	return NULL;
}

int
ab_jfield_num(const struct ab_jfield *f, double *out)
{
	if (!f || f->type != AB_JNUMBER)
		return -1;
	return ab_parse_json_number(f->val, f->vlen, out) == 0 ? 0 : -1;
}

static void
put_utf8(char **q, unsigned cp)
{
	unsigned char *p = (unsigned char *)*q;

	if (cp < 0x80) {
		*p++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*p++ = (unsigned char)(0xc0 | cp >> 6);
		*p++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*p++ = (unsigned char)(0xe0 | cp >> 12);
		*p++ = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		*p++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*p++ = (unsigned char)(0xf0 | cp >> 18);
		*p++ = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		*p++ = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		*p++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*q = (char *)p;
}

static unsigned
hex4(const char *s)
{
	return (unsigned)(hexval(s[0]) << 12 | hexval(s[1]) << 8 | hexval(s[2]) << 4 | hexval(s[3]));
}

size_t
ab_json_unescape(const char *raw, size_t n, char *buf)
{
	const char *p = raw, *end = raw + n;
	char *q = buf;

	while (p < end) {
		if (*p != '\\') {
			*q++ = *p++;
			continue;
		}
		char c = p[1];
		p += 2;
		switch (c) {
		case 'b': *q++ = '\b'; break;
		case 'f': *q++ = '\f'; break;
		case 'n': *q++ = '\n'; break;
		case 'r': *q++ = '\r'; break;
		case 't': *q++ = '\t'; break;
		case 'u': {
			unsigned cp = hex4(p);
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' &&
			    p[1] == 'u') {
				unsigned lo = hex4(p + 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
			}
			if (cp >= 0xd800 && cp < 0xe000) /* a lone surrogate */
				cp = 0xfffd;
			put_utf8(&q, cp);
			break;
		}
		default: *q++ = c; break;
		}
	}
	return (size_t)(q - buf);
}

int
ab_jrec_str(struct ab_jrec *rec, const struct ab_jfield *f, const char **s, size_t *n)
{
	if (!f || f->type != AB_JSTRING)
		return -1;
	const char *body = f->val + 1;
	size_t blen = f->vlen - 2;
	if (!memchr(body, '\\', blen)) {
		/* Views end at the closing quote, not a NUL: callers use the length. */
		*s = body;
		*n = blen;
		return 0;
	}
	if (rec->scratch_cap < blen + 1) {
		rec->scratch_cap = blen + 64;
		rec->scratch = ab_realloc(rec->scratch, rec->scratch_cap);
	}
	*n = ab_json_unescape(body, blen, rec->scratch);
	rec->scratch[*n] = '\0';
	*s = rec->scratch;
	return 0;
}

int
ab_jrec_str_eq(struct ab_jrec *rec, const char *key, const char *s)
{
	const char *v;
	size_t n;

	if (ab_jrec_str(rec, ab_jrec_get(rec, key), &v, &n))
		return 0;
	return n == strlen(s) && memcmp(v, s, n) == 0;
}

/* ---- writer ---- */

#define OUT_CAP (1u << 16)

void
ab_out_init(struct ab_out *o, int fd, const char *name)
{
	memset(o, 0, sizeof *o);
	o->fd = fd;
	o->name = name;
	o->cap = OUT_CAP;
	o->buf = ab_malloc(o->cap);
}

int
ab_out_flush(struct ab_out *o)
{
	size_t off = 0;

	while (off < o->len && !o->err) {
		ssize_t w = write(o->fd, o->buf + off, o->len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			o->err = errno;
			if (errno == EPIPE)
				o->broken_pipe = 1;
			break;
		}
		off += (size_t)w;
	}
	o->len = 0;
	return o->err && !o->broken_pipe ? AB_EIO : 0;
}

int
ab_out_close(struct ab_out *o)
{
	int code = 0;

	ab_out_flush(o);
	/* Close the descriptor now, not at exit, so the next program in the
	 * pipeline sees the end of its input before this one does its last
	 * database work: otherwise two programs sharing a database can wait
	 * on each other. /dev/null takes the number over so that no file
	 * opened later lands on it. */
	if (o->fd == STDOUT_FILENO && !o->err) {
		if (close(o->fd) != 0 && errno != EINTR)
			o->err = errno;
		int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (nul >= 0 && nul != o->fd) {
			dup2(nul, o->fd);
			close(nul);
		}
	}
	if (o->err && !o->broken_pipe)
		code = ab_err(AB_EIO, "%s: write: %s", o->name, strerror(o->err));
	free(o->buf);
	o->buf = NULL;
	return code;
}

static inline char *
reserve(struct ab_out *o, size_t n)
{
	if (o->len + n > o->cap) {
		ab_out_flush(o);
		if (n > o->cap) {
			o->cap = n;
			o->buf = ab_realloc(o->buf, o->cap);
		}
	}
	return o->buf + o->len;
}

void
ab_out_raw(struct ab_out *o, const char *s, size_t n)
{
	memcpy(reserve(o, n), s, n);
	o->len += n;
}

static const char hexdig[] = "0123456789abcdef";

void
ab_out_str(struct ab_out *o, const char *s, size_t n)
{
	/* Worst case every byte becomes \u00XX. */
	char *q = reserve(o, n * 6 + 2), *start = q;
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	*q++ = '"';
	for (; p < end; p++) {
		unsigned char c = *p;
		if (c >= 0x20 && c != '"' && c != '\\') {
			*q++ = (char)c;
			continue;
		}
		*q++ = '\\';
		switch (c) {
		case '"': *q++ = '"'; break;
		case '\\': *q++ = '\\'; break;
		case '\n': *q++ = 'n'; break;
		case '\t': *q++ = 't'; break;
		case '\r': *q++ = 'r'; break;
		case '\b': *q++ = 'b'; break;
		case '\f': *q++ = 'f'; break;
		default:
			*q++ = 'u'; *q++ = '0'; *q++ = '0';
			*q++ = hexdig[c >> 4]; *q++ = hexdig[c & 15];
		}
	}
	*q++ = '"';
	o->len += (size_t)(q - start);
}

void
ab_out_num(struct ab_out *o, double v)
{
	o->len += ab_fmt_double(v, reserve(o, AB_FMT_DOUBLE_MAX));
}

void
ab_out_int(struct ab_out *o, long long v)
{
	o->len += ab_fmt_int(v, reserve(o, 24));
}

void
ab_out_begin(struct ab_out *o)
{
	*reserve(o, 1) = '{';
	o->len++;
	o->first = 1;
}

void
ab_out_key(struct ab_out *o, const char *key)
{
	size_t n = strlen(key);
	char *q = reserve(o, n + 4);

	if (!o->first)
		*q++ = ',';
	*q++ = '"';
	memcpy(q, key, n);
	q += n;
	*q++ = '"';
	*q++ = ':';
	o->len = (size_t)(q - o->buf);
	o->first = 0;
}

void ab_out_kstr(struct ab_out *o, const char *k, const char *s) { ab_out_key(o, k); ab_out_str(o, s, strlen(s)); }
void ab_out_kstrn(struct ab_out *o, const char *k, const char *s, size_t n) { ab_out_key(o, k); ab_out_str(o, s, n); }
void ab_out_knum(struct ab_out *o, const char *k, double v) { ab_out_key(o, k); ab_out_num(o, v); }
void ab_out_kint(struct ab_out *o, const char *k, long long v) { ab_out_key(o, k); ab_out_int(o, v); }
void ab_out_kbool(struct ab_out *o, const char *k, int v) { ab_out_key(o, k); ab_out_raw(o, v ? "true" : "false", v ? 4 : 5); }
void ab_out_knull(struct ab_out *o, const char *k) { ab_out_key(o, k); ab_out_raw(o, "null", 4); }
void ab_out_kraw(struct ab_out *o, const char *k, const char *raw, size_t n) { ab_out_key(o, k); ab_out_raw(o, raw, n); }

void
ab_out_ktime(struct ab_out *o, const char *key, int64_t ms)
{
	char *q;

	ab_out_key(o, key);
	q = reserve(o, AB_TIME_MAX + 2);
	*q++ = '"';
	q += ab_time_format(ms, q);
	*q++ = '"';
	o->len = (size_t)(q - o->buf);
}

/* Copies a nested value without its insignificant whitespace. */
static void
out_compact(struct ab_out *o, const char *s, size_t n)
{
	char *q = reserve(o, n), *start = q;
	int in_str = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\') {
				*q++ = c;
				c = s[++i];
			} else if (c == '"') {
				in_str = 0;
			}
		} else if (c == '"') {
			in_str = 1;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		}
		*q++ = c;
	}
	o->len += (size_t)(q - start);
}

#define SKIP_FAST 64

static int
skipped(const struct ab_jrec *rec, const struct ab_jfield *f, const char *const *skip,
	const size_t *skip_len, int nskip)
{
	for (int k = 0; k < nskip; k++) {
		size_t n = skip_len ? skip_len[k] : strlen(skip[k]);
		/* Cheap rejections first: most fields differ in length or first byte. */
		if (!f->escaped && (f->klen != n || f->key[0] != skip[k][0]))
			continue;
		if (key_eq((struct ab_jrec *)rec, f, skip[k], n))
			return 1;
	}
	return 0;
}

void
ab_out_begin_from(struct ab_out *o, const struct ab_jrec *rec, const char *const *skip, int nskip)
{
	int i, any_skip = 0;
	size_t lens[SKIP_FAST];
	const size_t *skip_len = NULL;

	if (nskip > 0 && nskip <= SKIP_FAST) {
		for (i = 0; i < nskip; i++)
			lens[i] = strlen(skip[i]);
		skip_len = lens;
	}
	for (i = 0; i < rec->n && nskip; i++)
		if (skipped(rec, &rec->f[i], skip, skip_len, nskip)) {
			any_skip = 1;
			break;
		}
	if (rec->compact && !any_skip) {
		ab_out_raw(o, rec->line, rec->len - 1); /* all but the closing brace */
		o->first = rec->n == 0;
		return;
	}
	ab_out_begin(o);
	for (i = 0; i < rec->n; i++) {
		const struct ab_jfield *f = &rec->f[i];
		if (any_skip && skipped(rec, f, skip, skip_len, nskip))
			continue;
		char *q = reserve(o, f->klen + 4);
		if (!o->first)
			*q++ = ',';
		*q++ = '"';
		memcpy(q, f->key, f->klen);
		q += f->klen;
		*q++ = '"';
		*q++ = ':';
		o->len = (size_t)(q - o->buf);
		o->first = 0;
		if (f->spaced)
			out_compact(o, f->val, f->vlen);
		else
			ab_out_raw(o, f->val, f->vlen);
	}
}

void
ab_out_jrec(struct ab_out *o, const struct ab_jrec *rec)
{
	ab_out_begin_from(o, rec, NULL, 0);
	ab_out_end(o);
}

void
ab_out_end(struct ab_out *o)
{
	char *q = reserve(o, 2);

	q[0] = '}';
	q[1] = '\n';
	o->len += 2;
	o->records++;
}
