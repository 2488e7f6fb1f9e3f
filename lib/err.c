/* err: diagnostics and checked allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

const char *ab_err_prog = "autobot";

int
ab_verr(int code, const char *where, const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (where && *where)
		fprintf(stderr, "%s: %s: %s\n", ab_err_prog, where, msg);
	else
		fprintf(stderr, "%s: %s\n", ab_err_prog, msg);
	return code;
}

int
ab_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ab_verr(code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int
ab_err_at(int code, const char *file, long line, const char *fmt, ...)
{
	char where[1024];
	va_list ap;

	snprintf(where, sizeof where, "%s:%ld", file, line);
	va_start(ap, fmt);
	ab_verr(code, where, fmt, ap);
	va_end(ap);
	return code;
}

_Noreturn void
ab_oom(void)
{
	fprintf(stderr, "%s: out of memory\n", ab_err_prog);
	abort();
}

void *
ab_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		ab_oom();
	return p;
}

void *
ab_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		ab_oom();
	return p;
}

void *
ab_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		ab_oom();
	return p;
}

char *
ab_strdup(const char *s)
{
	return ab_strndup(s, strlen(s));
}

char *
ab_strndup(const char *s, size_t n)
{
	char *p = ab_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
