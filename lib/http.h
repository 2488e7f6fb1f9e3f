/* http: a small retrying HTTP client on libcurl, for exchange REST APIs.
 *
 * Ownership: the caller owns struct ab_http (ab_http_init, ab_http_cleanup)
 * and may set its public fields between requests. One handle keeps its
 * connections alive across requests. A response's body and headers are
 * ab_malloc'd and freed by ab_http_response_free; strings returned by other
 * functions are ab_malloc'd and freed by the caller.
 * Errors: ab_http_request prints its own diagnostic (naming the URL and the
 * server's error text) and returns an exit code; the caller only passes the
 * code up. Any other HTTP status (2xx, 3xx, and 4xx other than 429 and 418)
 * returns 0 with the status set, so adapters can parse exchanges' error
 * bodies.
 * Retries: 429, 418 and 5xx, and transport errors, are retried up to
 * max_retries times, waiting Retry-After when the server sends one, else
 * exponential backoff with full jitter. A request that may already have
 * reached the server (a POST or PATCH answered by 5xx, or cut off after it
 * was sent) is not resent unless retry_unsafe is set: an order's outcome is
 * then unknown and the caller must look it up before trying again.
 * AB_HTTP_TRACE=1 in the environment prints each request and status to
 * stderr: method, URL and header names, never header values or bodies.
 */
#ifndef AB_HTTP_H
#define AB_HTTP_H

#include <stddef.h>

struct ab_http {
	void *curl;               /* the CURL easy handle */
	double connect_timeout;   /* seconds; default 10 */
	double timeout;           /* seconds for a whole attempt; default 30 */
	int max_retries;          /* resends after the first attempt; default 4 */
	double backoff;           /* base of the exponential backoff, s; 0.5 */
	double backoff_max;       /* cap of one backoff wait, s; default 30 */
	double retry_after_max;   /* longest Retry-After we wait out, s; 60 */
	int retry_unsafe;         /* resend POST/PATCH on unknown outcome */
	/* Waits go through sleep_fn when set (tests record them); slept is the
	 * total of all waits requested, in seconds, over the handle's life. */
	void (*sleep_fn)(void *arg, double seconds);
	void *sleep_arg;
	double slept;
	int attempts;             /* attempts made by the last request */
	int trace;                /* from AB_HTTP_TRACE */
	char user_agent[64];
	unsigned long long rng;   /* jitter state */
};

struct ab_http_response {
	long status;              /* 0 when no response arrived */
	char *body;               /* NUL-terminated; "" when empty */
	size_t len;
	char *headers;            /* raw header lines of the final response */
	double retry_after;       /* seconds asked by Retry-After, else -1 */
};

/* Returns 0, or AB_ESOFTWARE (reported) when libcurl cannot start. */
int ab_http_init(struct ab_http *h);
void ab_http_cleanup(struct ab_http *h);

/* METHOD is "GET", "POST", "DELETE", ...; HEADERS a NULL-terminated array of
 * "Name: value" strings or NULL; BODY a NUL-terminated request body or NULL.
 * Fills *resp (also when failing, with the last response seen) and returns
 * 0, AB_EUNAVAILABLE (server or network down, retries exhausted, outcome
 * unknown) or AB_ETEMPFAIL (still rate limited, or asked to wait longer
 * than retry_after_max). */
int ab_http_request(struct ab_http *h, const char *method, const char *url,
	const char *const *headers, const char *body,
	struct ab_http_response *resp);
void ab_http_response_free(struct ab_http_response *resp);

/* The value of header NAME (any case) in the final response, trimmed, or
 * NULL; for rate-limit headers such as X-MBX-USED-WEIGHT-1M. */
char *ab_http_response_header(const struct ab_http_response *resp,
	const char *name);

/* Percent-encode all but RFC 3986 unreserved characters, as %XX. */
char *ab_http_url_escape(const char *s);

#endif
