/* curl-lazy.c: libcurl loaded on first use, so only live and sync pay for it.
 *
 * Most ab-order commands (backtest, optimize, paper, orders, ...) never talk
 * HTTP, yet a program linked with -lcurl has the dynamic loader map and
 * relocate libcurl and its ~30 libraries (TLS, Kerberos, LDAP, SSH, ...) at
 * every start: about 4 ms, a quarter of a short optimize run. The functions
 * lib/http.c calls are defined here instead; the linker resolves them from
 * this object before -lcurl, so with --as-needed libcurl is not a dependency
 * of bin/ab-order at all, and the first call dlopen()s it. If it cannot be
 * loaded, the calls fail as libcurl's own would (curl_global_init returns
 * CURLE_FAILED_INIT, curl_easy_init NULL) after one message naming the
 * library, and lib/http.c reports that as it would any libcurl failure.
 */
#define CURL_DISABLE_TYPECHECK 1
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "err.h"

#define LIBCURL "libcurl.so.4"

static struct {
	int tried, ok;
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	time_t (*getdate)(const char *, const time_t *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} lc;

/* dlsym's object pointer into a function pointer of any type (POSIX
 * guarantees they share a representation). */
static int
sym(void *h, const char *name, void *fn, size_t size)
{
	void *p = dlsym(h, name);

	if (!p)
		return -1;
	memcpy(fn, &p, size);
	return 0;
}

static int
load(void)
{
	void *h;

	if (lc.tried)
		return lc.ok ? 0 : -1;
	lc.tried = 1;
	if (!(h = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL))) {
		const char *e = dlerror();
		ab_err(AB_EUNAVAILABLE, "cannot load %s: %s", LIBCURL, e ? e : "dlopen failed");
		return -1;
	}
#define S(field, name) sym(h, name, &lc.field, sizeof lc.field)
	if (S(global_init, "curl_global_init") || S(global_cleanup, "curl_global_cleanup") ||
	    S(easy_init, "curl_easy_init") || S(easy_cleanup, "curl_easy_cleanup") ||
	    S(easy_reset, "curl_easy_reset") || S(easy_perform, "curl_easy_perform") ||
	    S(easy_setopt, "curl_easy_setopt") || S(easy_getinfo, "curl_easy_getinfo") ||
	    S(easy_strerror, "curl_easy_strerror") || S(getdate, "curl_getdate") ||
	    S(slist_append, "curl_slist_append") || S(slist_free_all, "curl_slist_free_all")) {
		ab_err(AB_EUNAVAILABLE, "%s: a function is missing", LIBCURL);
		return -1;
	}
#undef S
	/* The handle stays open for the process's life, as a linked library would. */
	lc.ok = 1;
	return 0;
}

CURLcode
curl_global_init(long flags)
{
	return load() ? CURLE_FAILED_INIT : lc.global_init(flags);
}

void
curl_global_cleanup(void)
{
	if (lc.ok)
		lc.global_cleanup();
}

CURL *
curl_easy_init(void)
{
	return load() ? NULL : lc.easy_init();
}

void
curl_easy_cleanup(CURL *c)
{
	if (lc.ok)
		lc.easy_cleanup(c);
}

void
curl_easy_reset(CURL *c)
{
	if (lc.ok)
		lc.easy_reset(c);
}

CURLcode
curl_easy_perform(CURL *c)
{
	return load() ? CURLE_FAILED_INIT : lc.easy_perform(c);
}

/* The one variadic argument's type follows from the option's number, as in
 * libcurl's own vsetopt. */
CURLcode
curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	va_list ap;
	CURLcode r;

	if (load())
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		r = lc.easy_setopt(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		r = lc.easy_setopt(c, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		r = lc.easy_setopt(c, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		r = lc.easy_setopt(c, opt, va_arg(ap, curl_off_t));
	else
		r = lc.easy_setopt(c, opt, va_arg(ap, void *));
	va_end(ap);
	return r;
}

/* Every CURLINFO_* takes a pointer. */
CURLcode
curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	va_list ap;
	CURLcode r;

	if (load())
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	r = lc.easy_getinfo(c, info, va_arg(ap, void *));
	va_end(ap);
	return r;
}

const char *
curl_easy_strerror(CURLcode code)
{
	return load() ? "libcurl is not available" : lc.easy_strerror(code);
}

time_t
curl_getdate(const char *s, const time_t *unused)
{
	return load() ? (time_t)-1 : lc.getdate(s, unused);
}

struct curl_slist *
curl_slist_append(struct curl_slist *l, const char *s)
{
	return load() ? NULL : lc.slist_append(l, s);
}

void
curl_slist_free_all(struct curl_slist *l)
{
	if (lc.ok)
		lc.slist_free_all(l);
}
