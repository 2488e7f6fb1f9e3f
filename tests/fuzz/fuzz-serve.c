/* fuzz-serve: ab-serve's request path handling (cmd/ab-serve/serve.c): the
 * percent-decoding libmicrohttpd calls on every URL, the site path check
 * that stands between a URL and a file, the content type, and the login
 * form's field decoder. The first byte picks URL or form body; the rest is
 * the request's text. Checks: no crash or undefined behaviour; decoding
 * agrees with a strict reference decoder (%XX with two hex digits, nothing
 * else) and never yields a NUL; an accepted path is relative, holds only
 * [A-Za-z0-9._/-], has no empty, "." or ".." segment nor any segment
 * starting with '.', and fits its buffer; a decoded form field has no NUL
 * and fits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/ab-serve/serve.c"

/* build.c's: --rebuild is never reached from here. */
int ab_serve_build(struct build *b) { (void)b; abort(); }

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %XX with two hex digits decodes (a NUL to '%'); anything else is itself. */
static size_t
reference(const char *s, char *out)
{
	size_t k = 0;
	for (size_t i = 0; s[i]; i++) {
		int h, l;
		if (s[i] == '%' && s[i + 1] && s[i + 2] && (h = hexval(s[i + 1])) >= 0 && (l = hexval(s[i + 2])) >= 0) {
			out[k++] = h * 16 + l ? (char)(h * 16 + l) : '%';
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = 0;
	return k;
}

static void
check_url(const char *url)
{
	size_t n = strlen(url);
	char *s = malloc(n + 1), *ref = malloc(n + 1), rel[600];

	memcpy(s, url, n + 1);
	size_t k = unescape(NULL, NULL, s);
	if (k != strlen(s) || reference(url, ref) != k || memcmp(s, ref, k) != 0)
		abort();
	if (site_path(s, rel, sizeof rel) == 0) {
		size_t rl = strlen(rel);
		if (rl == 0 || rl >= sizeof rel || rel[0] == '/' || rel[rl - 1] == '/')
			abort();
		for (const char *p = rel; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-", *p))
				abort();
		for (const char *p = rel; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
			if (*p == '.' || *p == '/' || !*p)
				abort();
		content_type(rel);
	}
	free(s);
	free(ref);
}

/* The first `name=` field: '+' is a space, %XX with two hex digits its
 * byte (%00 and %XX with a non-hex digit refuse the field), a '%' without
 * two characters after it is itself; -1 when absent, refused or too long. */
static int
form_reference(const char *body, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);

	for (const char *p = body; p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		size_t k = 0;
		for (const char *q = p + nl + 1; *q && *q != '&'; q++) {
			int c = (unsigned char)*q, h, l;
			if (c == '+') {
				c = ' ';
			} else if (c == '%' && q[1] && q[2]) {
				if ((h = hexval(q[1])) < 0 || (l = hexval(q[2])) < 0)
					return -1;
				c = h * 16 + l;
				q += 2;
			}
			if (c == 0 || k + 1 >= n)
				return -1;
			out[k++] = (char)c;
		}
		out[k] = 0;
		return 0;
	}
	return -1;
}

static void
check_form(const char *body)
{
	static const char *const names[] = {"name", "password"};
	char out[256], ref[256];

	for (int i = 0; i < 2; i++) {
		memset(out, 'x', sizeof out);
		int rc = form_field(body, names[i], out, sizeof out);
		if (rc != form_reference(body, names[i], ref, sizeof ref))
			abort();
		if (rc == 0 && (strnlen(out, sizeof out) >= sizeof out || strcmp(out, ref) != 0))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* MHD hands over NUL-terminated text: what follows a NUL is not seen */
	char *s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	if (data[0] & 1)
		check_form(s);
	else
		check_url(s);
	free(s);
	return 0;
}
