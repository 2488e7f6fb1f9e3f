/* test-http: ab_http against a scripted loopback server forked by the test. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "http.h"
#include "tap.h"

/* ---- the mock server (child process) ---- */

#define MAXCONN 16
#define REQMAX 65536

struct conn {
	int fd;
	size_t len;
	char buf[REQMAX];
};

static struct {
	char path[64];
	int n;
} hits[32];
static int nhits, accepted;

static int *
hit(const char *path)
{
	int i;

	for (i = 0; i < nhits; i++)
		if (strcmp(hits[i].path, path) == 0)
			return &hits[i].n;
	if (nhits == 32)
		_exit(3);
	snprintf(hits[nhits].path, sizeof hits[nhits].path, "%s", path);
	return &hits[nhits++].n;
}

static void
put(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* One write per response: a separate write for the body would wait out
 * Nagle against the client's delayed ACK, 40 ms a request. */
static void
reply(int fd, int status, const char *extra, const char *body)
{
	char out[2048];
	int n = snprintf(out, sizeof out, "HTTP/1.1 %d X\r\n"
		"Content-Type: application/json\r\nContent-Length: %zu\r\n"
		"%s\r\n%s", status, strlen(body), extra, body);

	put(fd, out, n < (int)sizeof out ? (size_t)n : sizeof out - 1);
}

/* Value of a request header, copied into out ("" if absent). */
static void
req_header(const char *req, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);
	const char *p = strstr(req, "\r\n");

	out[0] = '\0';
	for (; p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
			const char *v = p + 3 + nl, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			snprintf(out, size, "%.*s", (int)(e - v), v);
			return;
		}
	}
}

/* Serve one complete request; returns 0 to close the connection. */
static int
serve(int fd, const char *req, const char *body, size_t blen)
{
	char method[16], path[256], arg[256], extra[256], out[1024];
	const char *q;
	int *n;

	if (sscanf(req, "%15s %255s", method, path) != 2)
		return 0;
	arg[0] = '\0';
	if ((q = strchr(path, '?'))) {
		snprintf(arg, sizeof arg, "%s", q + 1);
		path[q - path] = '\0';
	}
	n = hit(path);
	++*n;
	if (strcmp(path, "/ok") == 0) {
		reply(fd, 200, "X-Test: yes\r\nX-MBX-USED-WEIGHT-1M:  7 \r\n",
			"hello");
	} else if (strcmp(path, "/echo") == 0) {
		char ua[128], x[128];

		req_header(req, "User-Agent", ua, sizeof ua);
		req_header(req, "X-Custom", x, sizeof x);
		snprintf(out, sizeof out, "%s %s body=%.*s ua=%s x=%s", method,
			arg, (int)blen, body, ua, x);
		reply(fd, 200, "", out);
	} else if (strcmp(path, "/hits") == 0) {
		snprintf(out, sizeof out, "%d",
			*hit(strncmp(arg, "p=", 2) == 0 ? arg + 2 : arg));
		reply(fd, 200, "", out);
	} else if (strcmp(path, "/conns") == 0) {
		snprintf(out, sizeof out, "%d", accepted);
		reply(fd, 200, "", out);
	} else if (strcmp(path, "/ratelimit") == 0) {
		if (*n == 1)
			reply(fd, 429, "Retry-After: 1\r\n",
				"{\"code\":-1003,\"msg\":\"Too many requests.\"}");
		else
			reply(fd, 200, "", "ok after 429");
	} else if (strcmp(path, "/ratedate") == 0) {
		time_t t = time(NULL) + 3;
		char date[64];

		strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT",
			gmtime(&t));
		snprintf(extra, sizeof extra, "Retry-After: %s\r\n", date);
		if (*n == 1)
			reply(fd, 503, extra, "maintenance");
		else
			reply(fd, 200, "", "ok after date");
	} else if (strcmp(path, "/ratelong") == 0) {
		reply(fd, 429, "Retry-After: 3600\r\n", "{\"msg\":\"banned\"}");
	} else if (strcmp(path, "/teapot") == 0) {
		reply(fd, 418, "", "{\"code\":-1003,\"msg\":\"IP banned\"}");
	} else if (strcmp(path, "/flaky") == 0) {
		if (*n <= 2)
			reply(fd, 503, "", "try later");
		else
			reply(fd, 200, "", "ok after 503");
	} else if (strcmp(path, "/down") == 0) {
		reply(fd, 500, "", "{\"code\":-1000,\n  \"msg\":\"An unknown error"
			" occurred while processing the request.\"}\n");
	} else if (strcmp(path, "/longerr") == 0) {
		memset(out, 'x', 1000);
		out[1000] = '\0';
		reply(fd, 502, "", out);
	} else if (strcmp(path, "/bad") == 0) {
		reply(fd, 400, "", "{\"code\":-1102,\"msg\":\"Mandatory parameter"
			" 'symbol' was not sent, was empty/null, or malformed.\"}");
	} else if (strcmp(path, "/post503") == 0) {
		reply(fd, 503, "", "busy");
	} else if (strcmp(path, "/hangup") == 0) {
		return 0;
	} else {
		reply(fd, 404, "", "no such path");
	}
	return 1;
}

/* Returns 1 while the connection stays open. */
static int
feed(struct conn *c)
{
	ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);

	if (r <= 0)
		return r < 0 && errno == EINTR;
	c->len += (size_t)r;
	c->buf[c->len] = '\0';
	for (;;) {
		char *end = strstr(c->buf, "\r\n\r\n"), cl[32];
		size_t head, blen, total;
		int keep;

		if (!end)
			return c->len < sizeof c->buf - 1;
		/* req_header stops at the blank line, so the headers need no
		 * terminator of their own. */
		head = (size_t)(end - c->buf) + 4;
		req_header(c->buf, "Content-Length", cl, sizeof cl);
		blen = strtoul(cl, NULL, 10);
		total = head + blen;
		if (total > c->len)
			return total < sizeof c->buf;
		keep = serve(c->fd, c->buf, c->buf + head, blen);
		memmove(c->buf, c->buf + total, c->len - total);
		c->len -= total;
		c->buf[c->len] = '\0';
		if (!keep)
			return 0;
	}
}

static _Noreturn void
server(int lfd, pid_t parent)
{
	static struct conn conns[MAXCONN];
	struct pollfd pf[MAXCONN + 1];
	int n = 0;

	for (;;) {
		int r;

		pf[0].fd = lfd;
		pf[0].events = POLLIN;
		for (int i = 0; i < n; i++) {
			pf[i + 1].fd = conns[i].fd;
			pf[i + 1].events = POLLIN;
		}
		r = poll(pf, (nfds_t)n + 1, 1000);
		if (getppid() != parent)
			_exit(0);
		if (r <= 0)
			continue;
		for (int i = n - 1; i >= 0; i--) {
			if (!pf[i + 1].revents || feed(&conns[i]))
				continue;
			close(conns[i].fd);
			conns[i] = conns[--n];
		}
		if (pf[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);

			if (fd < 0)
				continue;
			accepted++;
			if (n == MAXCONN) {
				close(fd);
				continue;
			}
			conns[n].fd = fd;
			conns[n].len = 0;
			n++;
		}
	}
}

/* ---- the tests (parent process) ---- */

static char base[64];
static FILE *cap;
static int saved_stderr = -1;

static void
cap_start(void)
{
	fflush(stderr);
	cap = tmpfile();
	saved_stderr = dup(2);
	dup2(fileno(cap), 2);
}

/* Everything written to stderr since cap_start, ab_malloc'd, without
 * the final newline (so it can go into a TAP line). */
static char *
cap_end(void)
{
	char *s = ab_malloc(8192);
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(cap);
	n = fread(s, 1, 8191, cap);
	if (n > 0 && s[n - 1] == '\n')
		n--;
	s[n] = '\0';
	fclose(cap);
	return s;
}

struct rec {
	double waits[16];
	int n;
};

static void
record(void *arg, double s)
{
	struct rec *r = arg;

	if (r->n < 16)
		r->waits[r->n] = s;
	r->n++;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
get(struct ab_http *h, const char *path, struct ab_http_response *r)
{
	char url[256];

	snprintf(url, sizeof url, "%s%s", base, path);
	return ab_http_request(h, "GET", url, NULL, NULL, r);
}

/* A number the server reports (/hits?p=..., /conns). */
static int
ask(struct ab_http *h, const char *path)
{
	struct ab_http_response r;
	int n = -1;

	if (get(h, path, &r) == 0 && r.status == 200)
		n = atoi(r.body);
	ab_http_response_free(&r);
	return n;
}

static void
test_basics(struct ab_http *h)
{
	const char *hdrs[] = { "X-Custom: forty two", "Content-Type: text/plain",
		NULL };
	struct ab_http_response r;
	char url[256], *v;
	int c1, rc;

	rc = get(h, "/ok", &r);
	is_int(rc, 0, "GET 200 returns 0");
	is_int(r.status, 200, "status 200");
	is_str(r.body, "hello", "body");
	is_int(r.len, 5, "length");
	ok(r.retry_after < 0, "no Retry-After");
	v = ab_http_response_header(&r, "x-mbx-used-weight-1m");
	is_str(v, "7", "response header by any case, trimmed");
	free(v);
	ok(!ab_http_response_header(&r, "X-Missing"), "missing header is NULL");
	ab_http_response_free(&r);

	c1 = ask(h, "/conns");
	for (int i = 0; i < 3; i++) {
		get(h, "/ok", &r);
		ab_http_response_free(&r);
	}
	is_int(ask(h, "/conns"), c1, "requests reuse one connection");

	snprintf(url, sizeof url, "%s/echo?a=1", base);
	rc = ab_http_request(h, "POST", url, hdrs, "x=1&y=2", &r);
	is_int(rc, 0, "POST returns 0");
	ok(strncmp(r.body, "POST a=1 body=x=1&y=2 ua=autobot/", 33) == 0
		&& strstr(r.body, " x=forty two"), "POST sends body, user agent"
		" and headers: %s", r.body);
	ab_http_response_free(&r);
	rc = ab_http_request(h, "DELETE", url, hdrs, NULL, &r);
	ok(rc == 0 && strncmp(r.body, "DELETE a=1 body= ", 17) == 0,
		"DELETE without body: %s", r.body);
	ab_http_response_free(&r);
	rc = ab_http_request(h, "PUT", url, NULL, "{}", &r);
	ok(rc == 0 && strncmp(r.body, "PUT a=1 body={} ", 16) == 0,
		"PUT with body: %s", r.body);
	ab_http_response_free(&r);
	rc = get(h, "/echo", &r);
	ok(rc == 0 && strncmp(r.body, "GET  body= ", 11) == 0,
		"GET after POST has no body: %s", r.body);
	ab_http_response_free(&r);
}

static void
test_retry_after(struct ab_http *h)
{
	struct ab_http_response r;
	struct rec rec = { { 0 }, 0 };
	double t0, slept0 = h->slept;
	int rc;

	/* The real clock: Retry-After: 1 must make us wait a full second. */
	t0 = now();
	rc = get(h, "/ratelimit", &r);
	t0 = now() - t0;
	is_int(rc, 0, "429 then 200 returns 0");
	is_int(r.status, 200, "status after retry is 200");
	is_str(r.body, "ok after 429", "body after retry");
	is_int(h->attempts, 2, "two attempts");
	ok(t0 >= 1.0, "waited %.3f s >= 1 s for Retry-After: 1", t0);
	ok(h->slept - slept0 == 1.0, "slept counts the wait (%.3f)",
		h->slept - slept0);
	ab_http_response_free(&r);

	h->sleep_fn = record;
	h->sleep_arg = &rec;
	rc = get(h, "/ratedate", &r);
	is_int(rc, 0, "503 with an HTTP-date Retry-After, then 200");
	ok(rec.n == 1 && rec.waits[0] >= 1.0 && rec.waits[0] <= 4.0,
		"waited for the HTTP-date (%.0f s asked)", rec.waits[0]);
	ab_http_response_free(&r);

	rec.n = 0;
	cap_start();
	rc = get(h, "/ratelong", &r);
	free(cap_end());
	is_int(rc, AB_ETEMPFAIL, "Retry-After beyond the cap gives up at once");
	is_int(rec.n, 0, "without waiting");
	ok(r.retry_after == 3600, "retry_after reports the server's 3600 s");
	is_int(ask(h, "/hits?p=/ratelong"), 1, "and without resending");
	ab_http_response_free(&r);
	h->sleep_fn = NULL;
}

static void
test_backoff(struct ab_http *h)
{
	struct ab_http_response r;
	struct rec rec = { { 0 }, 0 };
	char *err, url[256];
	int rc, fine;

	h->sleep_fn = record;
	h->sleep_arg = &rec;
	rc = get(h, "/flaky", &r);
	is_int(rc, 0, "503 twice then 200 returns 0");
	is_str(r.body, "ok after 503", "body after retries");
	is_int(h->attempts, 3, "three attempts");
	is_int(ask(h, "/hits?p=/flaky"), 3, "server saw three requests");
	ok(rec.n == 2 && rec.waits[0] <= 0.001 && rec.waits[1] <= 0.002
		&& rec.waits[0] >= 0 && rec.waits[1] >= 0,
		"backoff waits within base*2^k (%g, %g)", rec.waits[0],
		rec.waits[1]);
	ab_http_response_free(&r);

	rec.n = 0;
	cap_start();
	rc = get(h, "/down", &r);
	err = cap_end();
	is_int(rc, AB_EUNAVAILABLE, "500 forever gives 69");
	is_int(h->attempts, 5, "after 1 + 4 retries");
	is_int(ask(h, "/hits?p=/down"), 5, "server saw five requests");
	snprintf(url, sizeof url, "%s/down", base);
	ok(strstr(err, url) && strstr(err, "HTTP 500")
		&& strstr(err, "\"msg\":\"An unknown error occurred while"
		" processing the request.\"}"), "message has URL and body: %s",
		err);
	ok(*err && !strchr(err, '\n'), "message is one line");
	is_int(r.status, 500, "last status is kept");
	ok(strstr(r.body, "unknown error") != NULL, "last body is kept");
	fine = 1;
	for (int i = 0; i < rec.n && i < 16; i++)
		if (rec.waits[i] < 0 || rec.waits[i] > h->backoff_max)
			fine = 0;
	ok(rec.n == 4 && fine, "four capped backoff waits");
	free(err);
	ab_http_response_free(&r);

	cap_start();
	rc = get(h, "/longerr", &r);
	err = cap_end();
	is_int(rc, AB_EUNAVAILABLE, "502 forever gives 69");
	ok(strlen(err) < 400 && strstr(err, "xxx..."),
		"long error body is trimmed (%zu chars)", strlen(err));
	free(err);
	ab_http_response_free(&r);

	cap_start();
	rc = get(h, "/teapot", &r);
	free(cap_end());
	is_int(rc, AB_ETEMPFAIL, "418 forever gives 75 (rate limited)");
	is_int(h->attempts, 5, "after retries");
	ab_http_response_free(&r);

	cap_start();
	rc = get(h, "/bad", &r);
	err = cap_end();
	is_int(rc, 0, "400 returns 0");
	is_int(r.status, 400, "with status 400");
	ok(strstr(r.body, "\"code\":-1102") != NULL, "and the exchange's body");
	is_int(h->attempts, 1, "not retried");
	is_int(ask(h, "/hits?p=/bad"), 1, "server saw one request");
	is_str(err, "", "and nothing printed");
	free(err);
	ab_http_response_free(&r);
	h->sleep_fn = NULL;
}

static void
test_unsafe(struct ab_http *h)
{
	struct ab_http_response r;
	struct rec rec = { { 0 }, 0 };
	char url[256], *err;
	int rc;

	h->sleep_fn = record;
	h->sleep_arg = &rec;
	snprintf(url, sizeof url, "%s/post503", base);
	cap_start();
	rc = ab_http_request(h, "POST", url, NULL, "symbol=X", &r);
	err = cap_end();
	is_int(rc, AB_EUNAVAILABLE, "POST answered 503 gives 69");
	is_int(ask(h, "/hits?p=/post503"), 1, "and is not resent");
	ok(strstr(err, "not resent") != NULL, "saying so: %s", err);
	is_int(r.status, 503, "status tells the caller the outcome is unknown");
	free(err);
	ab_http_response_free(&r);

	h->retry_unsafe = 1;
	cap_start();
	rc = ab_http_request(h, "POST", url, NULL, "symbol=X", &r);
	free(cap_end());
	is_int(ask(h, "/hits?p=/post503"), 6, "retry_unsafe resends a POST");
	ab_http_response_free(&r);
	h->retry_unsafe = 0;

	snprintf(url, sizeof url, "%s/hangup", base);
	cap_start();
	rc = ab_http_request(h, "POST", url, NULL, "symbol=X", &r);
	free(cap_end());
	is_int(rc, AB_EUNAVAILABLE, "POST cut off after sending gives 69");
	is_int(ask(h, "/hits?p=/hangup"), 1, "and is not resent");
	is_int(r.status, 0, "status 0: no response");
	ab_http_response_free(&r);
	cap_start();
	rc = get(h, "/hangup", &r);
	free(cap_end());
	is_int(rc, AB_EUNAVAILABLE, "GET cut off gives 69");
	/* libcurl may add one resend of its own on a reused connection. */
	ok(ask(h, "/hits?p=/hangup") >= 6, "after resending");
	ab_http_response_free(&r);
	h->sleep_fn = NULL;
}

static void
test_refused(struct ab_http *h)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof sa;
	struct ab_http_response r;
	struct rec rec = { { 0 }, 0 };
	char url[256], *err;
	int fd, rc;

	/* A port that was just free and has nobody listening. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	close(fd);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v3/ping",
		ntohs(sa.sin_port));

	h->sleep_fn = record;
	h->sleep_arg = &rec;
	cap_start();
	rc = ab_http_request(h, "GET", url, NULL, NULL, &r);
	err = cap_end();
	is_int(rc, AB_EUNAVAILABLE, "connection refused gives 69");
	is_int(r.status, 0, "status 0");
	ok(strstr(err, url) != NULL, "message names the URL: %s", err);
	is_int(h->attempts, 5, "after retries");
	free(err);
	ab_http_response_free(&r);
	/* A sent request first, so a stale byte count would show. */
	get(h, "/ok", &r);
	ab_http_response_free(&r);
	cap_start();
	rc = ab_http_request(h, "POST", url, NULL, "a=1", &r);
	free(cap_end());
	is_int(rc, AB_EUNAVAILABLE, "a refused POST gives 69");
	is_int(h->attempts, 5, "after retries: nothing was sent");
	ab_http_response_free(&r);
	h->sleep_fn = NULL;
}

static void
test_trace(void)
{
	const char *hdrs[] = { "X-MBX-APIKEY: s3cr3tvalue", NULL };
	struct ab_http h;
	struct ab_http_response r;
	char url[256], *err;

	setenv("AB_HTTP_TRACE", "1", 1);
	ab_http_init(&h);
	unsetenv("AB_HTTP_TRACE");
	snprintf(url, sizeof url, "%s/ok", base);
	cap_start();
	ab_http_request(&h, "GET", url, hdrs, NULL, &r);
	err = cap_end();
	ok(strstr(err, "GET ") && strstr(err, url), "trace shows the request");
	ok(strstr(err, "X-MBX-APIKEY") != NULL, "trace names headers");
	ok(!strstr(err, "s3cr3t"), "trace never shows header values");
	free(err);
	ab_http_response_free(&r);
	ab_http_cleanup(&h);
}

static void
test_escape(void)
{
	char *s;

	s = ab_http_url_escape("BTC/USDT a+b~c-d_e.f");
	is_str(s, "BTC%2FUSDT%20a%2Bb~c-d_e.f", "url_escape reserved characters");
	free(s);
	s = ab_http_url_escape("\xef\xbc\x91");
	is_str(s, "%EF%BC%91", "url_escape UTF-8 as Binance signs it");
	free(s);
}

int
main(void)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof sa;
	struct ab_http h;
	pid_t pid, parent = getpid();
	int lfd;

	ab_err_prog = "test-http";
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0
	    || listen(lfd, 16) != 0
	    || getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0) {
		perror("test-http: listen");
		return 1;
	}
	snprintf(base, sizeof base, "http://127.0.0.1:%d", ntohs(sa.sin_port));
	fflush(stdout);
	if ((pid = fork()) < 0) {
		perror("test-http: fork");
		return 1;
	}
	if (pid == 0)
		server(lfd, parent);
	close(lfd);

	if (ab_http_init(&h) != 0)
		return 1;
	/* Tiny backoff keeps the test fast; Retry-After is still real. */
	h.backoff = 0.001;
	h.backoff_max = 0.01;
	test_basics(&h);
	test_retry_after(&h);
	test_backoff(&h);
	test_unsafe(&h);
	test_refused(&h);
	ab_http_cleanup(&h);
	test_trace();
	test_escape();

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return tap_done();
}
