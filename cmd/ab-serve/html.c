/* html.c: growable text buffers, HTML and HTML-safe JSON escaping, file I/O. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "serve.h"

static void
sb_grow(struct sbuf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->n + more + 1)
		cap *= 2;
	b->p = ab_realloc(b->p, cap);
	b->cap = cap;
}

void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	sb_grow(b, n);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

void
sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		sb_put(b, tmp, (size_t)n);
		return;
	}
	sb_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

void
sb_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

void
sb_html(struct sbuf *b, const char *s)
{
	const char *run = s;

	if (!s)
		return;
	for (; *s; s++) {
		const char *rep;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		sb_put(b, run, (size_t)(s - run));
		sb_puts(b, rep);
		run = s + 1;
	}
	sb_put(b, run, (size_t)(s - run));
}

void
sb_jstr(struct sbuf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	sb_put(b, "\"", 1);
	for (; u && *u; u++) {
		char esc[8];
		switch (*u) {
		case '"': sb_put(b, "\\\"", 2); continue;
		case '\\': sb_put(b, "\\\\", 2); continue;
		case '\n': sb_put(b, "\\n", 2); continue;
		case '\r': sb_put(b, "\\r", 2); continue;
		case '\t': sb_put(b, "\\t", 2); continue;
		case '<': case '>': case '&': case '\'':
			snprintf(esc, sizeof esc, "\\u%04x", *u);
			sb_put(b, esc, 6);
			continue;
		}
		if (*u < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", *u);
			sb_put(b, esc, 6);
		} else if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)) {
			/* U+2028/9 end a line in older JavaScript */
			sb_puts(b, u[2] == 0xa8 ? "\\u2028" : "\\u2029");
			u += 2;
		} else {
			sb_put(b, (const char *)u, 1);
		}
	}
	sb_put(b, "\"", 1);
}

void
sb_jnum(struct sbuf *b, double x)
{
	char buf[40];

	if (!isfinite(x)) {
		sb_puts(b, "null");
		return;
	}
	if (x == (double)(long long)x && fabs(x) < 1e15) {
		sb_printf(b, "%lld", (long long)x);
		return;
	}
	snprintf(buf, sizeof buf, "%.15g", x);
	if (strtod(buf, NULL) != x)
		snprintf(buf, sizeof buf, "%.17g", x);
	sb_puts(b, buf);
}

void
sb_jnum_short(struct sbuf *b, double x)
{
	char buf[40];

	if (!isfinite(x)) {
		sb_puts(b, "null");
		return;
	}
	snprintf(buf, sizeof buf, "%.8g", x);
	sb_puts(b, buf);
}

void
sb_numtext(struct sbuf *b, double x)
{
	if (!isfinite(x)) {
		sb_puts(b, "");
		return;
	}
	if (x == (double)(long long)x && fabs(x) < 1e15)
		sb_printf(b, "%lld", (long long)x);
	else
		sb_printf(b, "%.10g", x);
}

int
ab_serve_slurp(const char *path, char **out, size_t *n)
{
	FILE *f = fopen(path, "rb");
	struct sbuf b = {0};
	char buf[65536];
	size_t k;

	if (!f)
		return ab_err(errno == ENOENT ? AB_ENOINPUT : AB_EIO, "%s: %s", path, strerror(errno));
	while ((k = fread(buf, 1, sizeof buf, f)) > 0)
		sb_put(&b, buf, k);
	if (ferror(f)) {
		fclose(f);
		sb_free(&b);
		return ab_err(AB_EIO, "%s: read error", path);
	}
	fclose(f);
	if (!b.p)
		sb_put(&b, "", 0);
	*out = b.p;
	*n = b.n;
	return 0;
}

int
ab_serve_write(const char *path, const char *data, size_t n)
{
	size_t len = strlen(path);
	char *tmp = ab_malloc(len + 16);
	int fd;

	snprintf(tmp, len + 16, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		int e = errno;
		free(tmp);
		return ab_err(AB_ECANTCREAT, "%s: %s", path, strerror(e));
	}
	fchmod(fd, 0644);
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, data + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			unlink(tmp);
			free(tmp);
			return ab_err(AB_ECANTCREAT, "%s: %s", path, strerror(e));
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		free(tmp);
		return ab_err(AB_ECANTCREAT, "%s: %s", path, strerror(e));
	}
	free(tmp);
	return 0;
}
