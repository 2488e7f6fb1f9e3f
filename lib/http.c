/* http: libcurl client with keep-alive, bounded retries and Retry-After. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "err.h"
#include "http.h"

#ifndef AB_VERSION
#define AB_VERSION "dev"
#endif

/* Far above any market-data page; stops a broken server filling memory. */
#define MAX_BODY ((size_t)64 << 20)
/* How much of a server's error body goes into our message. */
#define ERRTEXT_MAX 200

struct buf {
	char *p;
	size_t len, cap;
	int over;
};

static void
buf_add(struct buf *b, const char *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = ab_realloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_clear(struct buf *b)
{
	b->len = 0;
	b->over = 0;
	if (b->p)
		b->p[0] = '\0';
}

/* Hand the buffer over as a NUL-terminated string, "" when empty. */
static char *
buf_take(struct buf *b, size_t *len)
{
	char *p = b->p ? b->p : ab_strdup("");

	if (len)
		*len = b->len;
	memset(b, 0, sizeof *b);
	return p;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	n *= size;
	if (b->len + n > MAX_BODY) {
		b->over = 1;
		return 0;
	}
	buf_add(b, data, n);
	return n;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	n *= size;
	/* Each status line starts a response (after 100 Continue, or an
	 * early 1xx): keep only the last one's headers. */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		buf_clear(b);
	buf_add(b, data, n);
	return n;
}

/* Value of header NAME in a raw header block, trimmed; NULL if absent. */
static const char *
find_header(const char *hdrs, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);
	const char *line, *end, *v;

	for (line = hdrs; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
			continue;
		v = line + nlen + 1;
		if (!end)
			end = v + strlen(v);
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == ' '
		    || end[-1] == '\t' || end[-1] == '\n'))
			end--;
		*vlen = (size_t)(end - v);
		return v;
	}
	return NULL;
}

/* Retry-After is delta-seconds or an HTTP-date (RFC 9110 10.2.3);
 * -1 when absent or unreadable. */
static double
retry_after(const char *hdrs)
{
	char val[128], *end;
	const char *v;
	size_t n;
	double s;
	time_t t;

	if (!(v = find_header(hdrs, "Retry-After", &n)) || n == 0
	    || n >= sizeof val)
		return -1;
	memcpy(val, v, n);
	val[n] = '\0';
	if (val[0] >= '0' && val[0] <= '9') {
		errno = 0;
		s = strtod(val, &end);
		return *end || errno ? -1 : s;
	}
	if ((t = curl_getdate(val, NULL)) == -1)
		return -1;
	s = difftime(t, time(NULL));
	return s > 0 ? s : 0;
}

/* splitmix64: jitter only needs to decorrelate clients, not be secret. */
static double
uniform(struct ab_http *h)
{
	unsigned long long z = (h->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

/* Full jitter (AWS architecture blog): uniform in [0, min(cap, base*2^k)],
 * so clients that failed together do not retry together. */
static double
backoff(struct ab_http *h, int k)
{
	double w = h->backoff;

	while (k-- > 0 && w < h->backoff_max)
		w *= 2;
	if (w > h->backoff_max)
		w = h->backoff_max;
	return w * uniform(h);
}

static void
wait_for(struct ab_http *h, double s)
{
	struct timespec ts;

	h->slept += s;
	if (h->sleep_fn) {
		h->sleep_fn(h->sleep_arg, s);
		return;
	}
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Errors after which the same request may well succeed. */
static int
transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* A server's error body on one line: whitespace runs and control
 * characters become one space, cut at ERRTEXT_MAX on a UTF-8 boundary. */
static void
errtext(char *out, size_t size, const char *s, size_t len)
{
	size_t o = 0, max = size - 4 < ERRTEXT_MAX ? size - 4 : ERRTEXT_MAX;
	int space = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f) {
			space = o > 0;
			continue;
		}
		if (space && o < max)
			out[o++] = ' ';
		space = 0;
		if (o >= max) {
			/* Cutting inside a character: drop its first bytes. */
			if ((c & 0xc0) == 0x80) {
				while (o > 0 && ((unsigned char)out[o - 1] & 0xc0)
				    == 0x80)
					o--;
				if (o > 0)
					o--;
			}
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
}

int
ab_http_init(struct ab_http *h)
{
	const char *t = getenv("AB_HTTP_TRACE");

	memset(h, 0, sizeof *h);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ab_err(AB_ESOFTWARE, "libcurl: cannot initialise");
	if (!(h->curl = curl_easy_init())) {
		curl_global_cleanup();
		return ab_err(AB_ESOFTWARE, "libcurl: cannot create a handle");
	}
	h->connect_timeout = 10;
	h->timeout = 30;
	h->max_retries = 4;
	h->backoff = 0.5;
	h->backoff_max = 30;
	h->retry_after_max = 60;
	h->trace = t && *t && strcmp(t, "0") != 0;
	snprintf(h->user_agent, sizeof h->user_agent, "autobot/%s", AB_VERSION);
	h->rng = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32)
		^ (unsigned long long)(uintptr_t)h;
	return 0;
}

void
ab_http_cleanup(struct ab_http *h)
{
	if (!h->curl)
		return;
	curl_easy_cleanup(h->curl);
	h->curl = NULL;
	/* libcurl counts init calls; the last cleanup frees its globals. */
	curl_global_cleanup();
}

static void
setup(struct ab_http *h, const char *method, const char *url,
	struct curl_slist *hl, const char *body, int unsafe, struct buf *rb,
	struct buf *hb, char *errbuf)
{
	CURL *c = h->curl;

	/* Reset drops the last request's method and body but keeps the
	 * connection cache, which is the point of reusing the handle. */
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
		(long)(h->connect_timeout * 1000));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(h->timeout * 1000));
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rb);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, hb);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			(curl_off_t)strlen(body));
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	/* On a reused connection that dies before any reply, libcurl resends
	 * the request by itself, assuming the server had closed it idle. For
	 * an order that could mean placing it twice, so use a fresh one. */
	if (unsafe)
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
}

static void
trace_request(const char *method, const char *url, const char *const *headers)
{
	fprintf(stderr, "%s: http: %s %s", ab_err_prog, method, url);
	for (size_t i = 0; headers && headers[i]; i++) {
		size_t n = strcspn(headers[i], ":");

		fprintf(stderr, "%s%.*s", i ? ", " : " [", (int)n, headers[i]);
		if (!headers[i + 1])
			fputc(']', stderr);
	}
	fputc('\n', stderr);
}

int
ab_http_request(struct ab_http *h, const char *method, const char *url,
	const char *const *headers, const char *body,
	struct ab_http_response *resp)
{
	struct curl_slist *hl = NULL, *t;
	struct buf rb = { 0 }, hb = { 0 };
	char errbuf[CURL_ERROR_SIZE], text[ERRTEXT_MAX + 4], why[512];
	/* A POST may have placed an order; resending could place it twice. */
	int unsafe = !h->retry_unsafe
		&& (strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0);
	int code = 0;

	memset(resp, 0, sizeof *resp);
	resp->retry_after = -1;
	for (size_t i = 0; headers && headers[i]; i++) {
		if (!(t = curl_slist_append(hl, headers[i])))
			ab_oom();
		hl = t;
	}
	/* libcurl would otherwise wait up to a second for 100 Continue
	 * before sending larger bodies. */
	if (!(t = curl_slist_append(hl, "Expect:")))
		ab_oom();
	hl = t;
	setup(h, method, url, hl, body, unsafe, &rb, &hb, errbuf);

	for (h->attempts = 1;; h->attempts++) {
		CURLcode rc;
		long sent = 0;
		double wait;

		buf_clear(&rb);
		buf_clear(&hb);
		errbuf[0] = '\0';
		if (h->trace)
			trace_request(method, url, headers);
		rc = curl_easy_perform(h->curl);
		resp->status = 0;
		resp->retry_after = -1;
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
		if (rc != CURLE_OK) {
			curl_easy_getinfo(h->curl, CURLINFO_REQUEST_SIZE, &sent);
			resp->status = 0;
			snprintf(why, sizeof why, "%s",
				rb.over ? "response too large"
				: errbuf[0] ? errbuf : curl_easy_strerror(rc));
			if (h->trace)
				fprintf(stderr, "%s: http: %s\n", ab_err_prog, why);
			if (rb.over || !transient(rc)) {
				code = ab_err(AB_EUNAVAILABLE, "%s %s: %s",
					method, url, why);
				break;
			}
			/* With nothing sent (refused, unresolved) even an order
			 * is safe to resend. */
			if (unsafe && sent > 0) {
				code = ab_err(AB_EUNAVAILABLE, "%s %s: %s; not resent,"
					" the request may have been processed",
					method, url, why);
				break;
			}
			if (h->attempts > h->max_retries) {
				code = ab_err(AB_EUNAVAILABLE, "%s %s: %s (%d attempts)",
					method, url, why, h->attempts);
				break;
			}
			wait = backoff(h, h->attempts - 1);
		} else {
			long st = resp->status;

			if (h->trace)
				fprintf(stderr, "%s: http: %ld, %zu bytes\n",
					ab_err_prog, st, rb.len);
			resp->retry_after = retry_after(hb.p ? hb.p : "");
			if (st != 429 && st != 418 && st < 500)
				break;
			errtext(text, sizeof text, rb.p ? rb.p : "", rb.len);
			snprintf(why, sizeof why, "HTTP %ld%s%s", st,
				text[0] ? ": " : "", text);
			/* 429 and 418 mean slow down: a temporary failure, unlike
			 * a server that keeps failing. */
			code = st >= 500 ? AB_EUNAVAILABLE : AB_ETEMPFAIL;
			if (st >= 500 && unsafe) {
				code = ab_err(code, "%s %s: %s; not resent, the request"
					" may have been processed", method, url, why);
				break;
			}
			if (resp->retry_after > h->retry_after_max) {
				code = ab_err(code, "%s %s: %s; server asks to retry"
					" after %.0f s", method, url, why,
					resp->retry_after);
				break;
			}
			if (h->attempts > h->max_retries) {
				code = ab_err(code, "%s %s: %s (%d attempts)",
					method, url, why, h->attempts);
				break;
			}
			code = 0;
			wait = resp->retry_after >= 0 ? resp->retry_after
				: backoff(h, h->attempts - 1);
		}
		if (h->trace)
			fprintf(stderr, "%s: http: retrying in %.3f s\n",
				ab_err_prog, wait);
		wait_for(h, wait);
	}
	curl_slist_free_all(hl);
	resp->body = buf_take(&rb, &resp->len);
	resp->headers = buf_take(&hb, NULL);
	return code;
}

void
ab_http_response_free(struct ab_http_response *resp)
{
	free(resp->body);
	free(resp->headers);
	resp->body = resp->headers = NULL;
	resp->len = 0;
}

char *
ab_http_response_header(const struct ab_http_response *resp,
	const char *name)
{
	const char *v;
	size_t n;

	if (!resp->headers || !(v = find_header(resp->headers, name, &n)))
		return NULL;
	return ab_strndup(v, n);
}

char *
ab_http_url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = ab_malloc(strlen(s) * 3 + 1), *o = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		    || (c >= '0' && c <= '9') || c == '-' || c == '.'
		    || c == '_' || c == '~') {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}
