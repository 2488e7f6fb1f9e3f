/* serve.c: the HTTP server (libmicrohttpd): static files from the built site
 * with security headers, no traversal or listings, and an optional login. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "auth.h"
#include "err.h"
#include "runs.h"
#include "serve.h"
#include "timefmt.h"

#define BODY_MAX 4096        /* the login form is all that is ever posted */
#define COOKIE "ab_token"

static const char csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/* Logins per source address, before ab-auth's own per-user and per-source limits. */
static const struct ab_rate login_rate = {.burst = 4, .count = 5, .period_ms = 60000};

struct server {
	struct serve_opts *o;
	char root[PATH_MAX];
	struct ab_db *db;      /* --auth: users, tokens, audit */
	pthread_mutex_t lock;  /* the connection is shared by MHD's threads */
};

struct req {
	char body[BODY_MAX + 1];
	size_t n;
	int too_big;
};

static void
headers(struct server *s, struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(r, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
	MHD_add_response_header(r, "Cache-Control", s->o->auth ? "no-store" : "no-cache");
}

static enum MHD_Result
reply(struct server *s, struct MHD_Connection *c, unsigned code, const char *type,
      const char *body, const char *h1, const char *v1, const char *h2, const char *v2)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	headers(s, r);
	MHD_add_response_header(r, "Content-Type", type);
	if (h1)
		MHD_add_response_header(r, h1, v1);
	if (h2)
		MHD_add_response_header(r, h2, v2);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
error_page(struct server *s, struct MHD_Connection *c, unsigned code, const char *what)
{
	char body[512];

	snprintf(body, sizeof body, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
				    "<title>%u</title></head><body><h1>%u</h1><p>%s</p></body></html>\n", code, code, what);
	return reply(s, c, code, "text/html; charset=utf-8", body, NULL, NULL, NULL, NULL);
}

static const char *
content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"}, {".json", "application/json"},
		{".png", "image/png"}, {".svg", "image/svg+xml"}, {".ico", "image/x-icon"},
		{".txt", "text/plain; charset=utf-8"}, {".woff2", "font/woff2"},
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* The site path for a decoded URL path, or -1: only [A-Za-z0-9._/-], no
 * segment starting with '.', so no "..", no hidden or temporary files, and
 * no empty segment ("//"), so the result is always relative. */
static int
site_path(const char *url, char *out, size_t n)
{
	size_t len = strlen(url);

	if (url[0] != '/' || len > 512)
		return -1;
	for (const char *p = url; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-' || *p == '/'))
			return -1;
		if (*p == '/' && (p[1] == '.' || p[1] == '/'))
			return -1;
	}
	if (snprintf(out, n, "%s%s", url + 1, url[len - 1] == '/' ? "index.html" : "") >= (int)n)
		return -1;
	return 0;
}

static enum MHD_Result
serve_file(struct server *s, struct MHD_Connection *c, const char *url)
{
	char rel[600], full[PATH_MAX + 600], real[PATH_MAX];
	struct stat sb;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t rootlen = strlen(s->root);
	int fd;

	if (site_path(url, rel, sizeof rel) != 0)
		return error_page(s, c, MHD_HTTP_BAD_REQUEST, "Bad path.");
	snprintf(full, sizeof full, "%s/%s", s->root, rel);
	/* a folder is served by its index.html, never listed */
	if (stat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		size_t k = strlen(full);
		snprintf(full + k, sizeof full - k, "%sindex.html", full[k - 1] == '/' ? "" : "/");
	}
	/* symbolic links may not lead out of the site */
	if (!realpath(full, real) || strncmp(real, s->root, rootlen) != 0 || real[rootlen] != '/')
		return error_page(s, c, MHD_HTTP_NOT_FOUND, "Not found.");
	if ((fd = open(real, O_RDONLY | O_CLOEXEC)) < 0)
		return error_page(s, c, MHD_HTTP_NOT_FOUND, "Not found.");
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return error_page(s, c, MHD_HTTP_NOT_FOUND, "Not found.");
	}
	if (!(r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd))) {
		close(fd);
		return MHD_NO;
	}
	headers(s, r);
	MHD_add_response_header(r, "Content-Type", content_type(real));
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static const char login_form[] =
	"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	"<title>Log in · autobot report</title><link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\">"
	"<link rel=\"stylesheet\" href=\"/assets/style.css\"></head>"
	"<body class=\"login\"><main><h1>autobot report</h1>%s"
	"<form method=\"post\" action=\"/login\">"
	"<label>Name <input name=\"name\" autocomplete=\"username\" required></label>"
	"<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>"
	"<button type=\"submit\">Log in</button></form></main></body></html>\n";

static enum MHD_Result
login_page(struct server *s, struct MHD_Connection *c, unsigned code, const char *msg,
	   const char *h, const char *v)
{
	char body[sizeof login_form + 256], m[200] = "";
	enum MHD_Result ret;

	if (msg)
		snprintf(m, sizeof m, "<p class=\"error\">%s</p>", msg);
	snprintf(body, sizeof body, login_form, m);
	ret = reply(s, c, code, "text/html; charset=utf-8", body, h, v, NULL, NULL);
	return ret;
}

/* The byte of %XX at s (two hex digits, nothing else: strtol would take
 * "% f" or "%-1"), or -1. */
static int
pct_byte(const char *s)
{
	int v = 0;

	for (int i = 1; i <= 2; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Decodes application/x-www-form-urlencoded field `name` into out. */
static int
form_field(const char *body, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);

	for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		size_t k = 0;
		for (const char *q = p + nl + 1; *q && *q != '&'; q++) {
			int ch = (unsigned char)*q;
			if (ch == '+')
				ch = ' ';
			else if (ch == '%' && q[1] && q[2]) {
				if ((ch = pct_byte(q)) < 0)
					return -1;
				q += 2;
			}
			if (ch == 0 || k + 1 >= n)
				return -1;
			out[k++] = (char)ch;
		}
		out[k] = 0;
		return 0;
	}
	return -1;
}

static void
client_addr(struct MHD_Connection *c, char *buf, size_t n)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(buf, n, "unknown");
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, buf, (socklen_t)n);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, buf, (socklen_t)n);
}

static enum MHD_Result
do_login(struct server *s, struct MHD_Connection *c, struct req *rq)
{
	char name[128], pw[512], src[64], key[96], cookie[AB_AUTH_TOKEN_MAX + 200], retry[32];
	struct ab_rate_result rr;
	struct ab_auth_login l = {0};
	char *token = NULL;
	int code;
	enum MHD_Result ret;

	client_addr(c, src, sizeof src);
	if (form_field(rq->body, "name", name, sizeof name) != 0 || !*name ||
	    form_field(rq->body, "password", pw, sizeof pw) != 0) {
		sodium_memzero(rq->body, sizeof rq->body);
		return login_page(s, c, MHD_HTTP_BAD_REQUEST, "Give a name and a password.", NULL, NULL);
	}
	sodium_memzero(rq->body, sizeof rq->body);
	snprintf(key, sizeof key, "serve:login:%s", src);
	pthread_mutex_lock(&s->lock);
	code = ab_auth_rate(s->db, key, &login_rate, 1, &rr);
	if (!code && rr.limited) {
		char detail[128];
		snprintf(detail, sizeof detail, "{\"source\":\"%s\",\"retry_after_ms\":%lld}", src,
			 (long long)rr.retry_after_ms);
		ab_auth_audit(s->db, "ab-serve", "login.limited", name, detail);
		pthread_mutex_unlock(&s->lock);
		sodium_memzero(pw, sizeof pw);
		snprintf(retry, sizeof retry, "%lld", (long long)(rr.retry_after_ms + 999) / 1000);
		return login_page(s, c, MHD_HTTP_TOO_MANY_REQUESTS, "Too many attempts: wait and try again.",
				  "Retry-After", retry);
	}
	l.name = name;
	l.source = src;
	l.ttl_s = s->o->ttl_s;
	if (!code)
		code = ab_auth_login(s->db, &l, pw, strlen(pw), &token);
	pthread_mutex_unlock(&s->lock);
	sodium_memzero(pw, sizeof pw);
	if (code == AB_ETEMPFAIL)
		return login_page(s, c, MHD_HTTP_TOO_MANY_REQUESTS, "Too many attempts: wait and try again.",
				  "Retry-After", "60");
	if (code == AB_ENOPERM)
		return login_page(s, c, MHD_HTTP_UNAUTHORIZED, "Wrong name or password.", NULL, NULL);
	if (code || !token)
		return error_page(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "Login failed.");
	snprintf(cookie, sizeof cookie, COOKIE "=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s", token,
		 s->o->ttl_s, s->o->secure_cookie ? "; Secure" : "");
	sodium_memzero(token, strlen(token));
	free(token);
	ret = reply(s, c, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", "Logged in.\n", "Location", "/",
		    "Set-Cookie", cookie);
	sodium_memzero(cookie, sizeof cookie);
	return ret;
}

/* 0 when the request carries a valid token with report:view; else it has been answered. */
static int
authorised(struct server *s, struct MHD_Connection *c, const char *url, enum MHD_Result *ret)
{
	const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
	struct ab_auth_claims cl = {0};
	char why[256];
	int code, ok;

	if (!tok || !*tok || strlen(tok) > AB_AUTH_TOKEN_MAX) {
		*ret = login_page(s, c, MHD_HTTP_UNAUTHORIZED, NULL, NULL, NULL);
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	code = ab_auth_verify(s->db, tok, NULL, 0, &cl, why, sizeof why);
	ok = !code && ab_auth_has_perm(&cl, AB_PERM_REPORT_VIEW);
	if (!code && !ok)
		ab_auth_audit(s->db, cl.sub ? cl.sub : "?", "report.denied", url, "{\"missing\":\"report:view\"}");
	pthread_mutex_unlock(&s->lock);
	if (!code)
		ab_auth_claims_free(&cl);
	if (code == AB_ENOPERM || code == 0) {
		if (ok)
			return 0;
		*ret = code ? login_page(s, c, MHD_HTTP_UNAUTHORIZED, "Your login has expired or was revoked.",
					 "Set-Cookie", COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")
			    : error_page(s, c, MHD_HTTP_FORBIDDEN, "Your role lacks the report:view permission.");
		return -1;
	}
	*ret = error_page(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, "The database is busy: try again.");
	return -1;
}

/* A cross-site POST is refused: Origin, when sent, must name this host. */
static int
same_origin(struct MHD_Connection *c)
{
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	const char *p;

	if (!origin)
		return 1;
	if (!host || !(p = strstr(origin, "://")))
		return 0;
	return strcmp(p + 3, host) == 0;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
	struct server *s = cls;
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int post = strcmp(method, "POST") == 0;
	enum MHD_Result ret;

	if (!get && !post)
		return reply(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "Method not allowed.\n",
			     "Allow", s->o->auth ? "GET, HEAD, POST" : "GET, HEAD", NULL, NULL);
	if (post) {
		struct req *rq = *req_cls;
		if (!s->o->auth || (strcmp(url, "/login") != 0 && strcmp(url, "/logout") != 0))
			return reply(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
				     "Method not allowed.\n", "Allow", "GET, HEAD", NULL, NULL);
		if (!rq) {
			const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
			if (len && strtoull(len, NULL, 10) > BODY_MAX)
				return error_page(s, c, MHD_HTTP_CONTENT_TOO_LARGE, "Request too large.");
			*req_cls = rq = ab_calloc(1, sizeof *rq);
			return MHD_YES;
		}
		if (*upload_size) {
			if (rq->n + *upload_size > BODY_MAX)
				rq->too_big = 1;
			else {
				memcpy(rq->body + rq->n, upload, *upload_size);
				rq->n += *upload_size;
			}
			*upload_size = 0;
			return MHD_YES;
		}
		rq->body[rq->n] = 0;
		if (rq->too_big)
			return error_page(s, c, MHD_HTTP_CONTENT_TOO_LARGE, "Request too large.");
		if (!same_origin(c))
			return error_page(s, c, MHD_HTTP_FORBIDDEN, "Cross-site request refused.");
		if (strcmp(url, "/logout") == 0)
			return reply(s, c, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", "Logged out.\n",
				     "Location", "/login", "Set-Cookie", COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
		return do_login(s, c, rq);
	}
	if (s->o->auth) {
		if (strcmp(url, "/login") == 0)
			return login_page(s, c, MHD_HTTP_OK, NULL, NULL, NULL);
		/* the login page's style sheet is public; nothing else is */
		if (strcmp(url, "/assets/style.css") != 0 && strcmp(url, "/assets/favicon.svg") != 0 &&
		    authorised(s, c, url, &ret) != 0)
			return ret;
	}
	return serve_file(s, c, url);
}

/* Percent-decoding in place; a decoded NUL becomes '%', which no site path
 * may hold, so "/index.html%00.png" cannot pass for "/index.html". */
static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		int v;
		if (*r == '%' && r[1] && r[2] && (v = pct_byte(r)) >= 0) {
			*w++ = v ? (char)v : '%';
			r += 2;
			continue;
		}
		*w++ = *r;
	}
	*w = 0;
	return (size_t)(w - s);
}

static void
completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *req_cls;

	if (rq) {
		sodium_memzero(rq, sizeof *rq);
		free(rq);
		*req_cls = NULL;
	}
}

static int
parse_listen(const char *listen, struct sockaddr_storage *ss, int *v6)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - listen) >= sizeof host)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = 0;
	memset(ss, 0, sizeof *ss);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		host[strlen(host) - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -1;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*v6 = 1;
		return 0;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return -1;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	*v6 = 0;
	return 0;
}

static int
rebuild(struct serve_opts *o)
{
	struct build *b = o->build;
	int code;

	if ((code = ab_db_open(o->db_path, &b->db)))
		return code;
	b->now = ab_now_ms();
	b->files = 0;
	code = ab_serve_build(b);
	ab_db_close(b->db);
	b->db = NULL;
	return code;
}

int
ab_serve_run(struct serve_opts *o)
{
	struct server s = {.o = o};
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	struct ab_run run = {0};
	sigset_t set;
	int v6 = 0, code = 0;
	unsigned flags;

	if (parse_listen(o->listen, &ss, &v6) != 0)
		return ab_err(AB_EUSAGE, "--listen: \"%s\" is not ADDR:PORT (an IP address or [IPv6])", o->listen);
	if (o->rebuild_s && (code = rebuild(o)))
		return code;
	if (!realpath(o->dir, s.root))
		return ab_err(AB_ENOINPUT, "%s: %s", o->dir, strerror(errno));
	if (sodium_init() < 0)
		return ab_err(AB_ESOFTWARE, "libsodium failed to start");
	if (o->auth || o->db_path || getenv("AB_DB")) {
		if ((code = ab_db_open(o->db_path, &s.db)))
			return code;
		ab_runs_start(&run, s.db, "ab-serve", o->argc, o->argv);
	}
	pthread_mutex_init(&s.lock, NULL);

	/* signals are taken by sigtimedwait below; MHD's threads inherit the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, 0, NULL, NULL, handler, &s,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_conn,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)15,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
			     MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			     MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
			     MHD_OPTION_END);
	if (!d) {
		code = ab_err(AB_EUNAVAILABLE, "%s: cannot listen: %s", o->listen, strerror(errno));
		goto out;
	}
	{
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
		char host[64];
		if (v6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
		else
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
		fprintf(stderr, "ab-serve: serving %s on http://%s%s%s:%u/%s\n", s.root, v6 ? "[" : "", host,
			v6 ? "]" : "", di ? di->port : 0, o->auth ? " (login required)" : "");
	}
	for (;;) {
		struct timespec ts = {.tv_sec = o->rebuild_s ? o->rebuild_s : 3600};
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig < 0 && errno == EAGAIN && o->rebuild_s) {
			int rc = rebuild(o);
			if (rc)
				ab_err(0, "warning: rebuild failed (%d): serving the previous site", rc);
		}
	}
	MHD_stop_daemon(d);
out:
	pthread_mutex_destroy(&s.lock);
	if (s.db) {
		ab_runs_finish(&run, code);
		ab_db_close(s.db);
	}
	return code;
}
