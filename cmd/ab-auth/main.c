/* ab-auth: users, roles, tokens, rate limits, the audit log and secrets. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include <jv.h>
#include <sodium.h>

#include "authcmd.h"
#include "cli.h"
#include "err.h"
#include "timefmt.h"

enum {
	KEY_ROLE = AB_KEY_FIRST_PROGRAM_KEY, KEY_TTL, KEY_AUD, KEY_ALG, KEY_SOURCE, KEY_SINCE,
	KEY_ANCHOR, KEY_PUBLIC, KEY_JWK, KEY_USER, KEY_JTI, KEY_KID, KEY_LEEWAY, KEY_SIGN,
};

static const struct ab_opt options[] = {
	AB_OPT_DB,
	{"role", KEY_ROLE, "ROLE", "user add: the user's role (admin, trader, merchant, viewer or a granted one)"},
	{"ttl", KEY_TTL, "DURATION", "login: the token's lifetime (default 15m, at most 24h)"},
	{"aud", KEY_AUD, "AUD", "login, verify: the audience (default autobot)"},
	{"alg", KEY_ALG, "ALG", "login, key: EdDSA (default) or HS256"},
	{"source", KEY_SOURCE, "ADDR", "login: where the attempt comes from, for the per-source limit"},
	{"since", KEY_SINCE, "TIME", "audit: rows from this time on"},
	{"anchor", KEY_ANCHOR, "FILE", "audit verify: the head saved by \"audit head\", to detect a cut tail"},
	{"public", KEY_PUBLIC, NULL, "key export: public keys only"},
	{"jwk", KEY_JWK, NULL, "key export: bare JWKs; key import: FILE holds a JWK or JWK set"},
	{"user", KEY_USER, "NAME", "revoke: every token of this user"},
	{"jti", KEY_JTI, "JTI", "revoke: the token with this id"},
	{"kid", KEY_KID, "KID", "key export: only this key"},
	{"leeway", KEY_LEEWAY, "SECONDS", "verify: clock skew allowed, 0 to 60 (default 60)"},
	{"sign", KEY_SIGN, NULL, "key import: make the key the active signing key for its alg"},
	{0},
};

static const struct {
	const char *name;
	int (*run)(struct authcmd *);
} commands[] = {
	{"init", cmd_init}, {"user", cmd_user}, {"role", cmd_role}, {"login", cmd_login},
	{"verify", cmd_verify}, {"check", cmd_check}, {"revoke", cmd_revoke}, {"key", cmd_key},
	{"audit", cmd_audit}, {"secret", cmd_secret},
};

static const char *const command_names[] = {
	"init", "user", "role", "login", "verify", "check", "revoke", "key", "audit", "secret", NULL,
};

int
authcmd_open(struct authcmd *a)
{
	int code;

	if (a->db)
		return 0;
	if ((code = ab_db_open(a->db_path, &a->db)))
		return code;
	ab_runs_start(&a->run, a->db, "ab-auth", a->argc, a->argv);
	return 0;
}

int
authcmd_gate(struct authcmd *a, const char *perm, char **actor)
{
	const char *tok = getenv("AB_TOKEN");

	*actor = NULL;
	if (tok && *tok)
		return ab_auth_require(a->db, perm, actor);
	*actor = ab_auth_actor(a->db);
	return 0;
}

char *
authcmd_detail(const char *k, ...)
{
	va_list ap;
	jv o = jv_object(), d;
	char *s;

	va_start(ap, k);
	for (; k; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		if (v)
			o = jv_object_set(o, jv_string(k), jv_string(v));
	}
	va_end(ap);
	d = jv_dump_string(o, 0);
	s = ab_strdup(jv_string_value(d));
	jv_free(d);
	return s;
}

void
authcmd_free_secret(char *p)
{
	if (p)
		sodium_free(p); /* sodium_free wipes before freeing */
}

enum { PW_MAX = 1024 };

static int
read_line_fd(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ab_err(AB_EIO, "stdin: %s", strerror(errno));
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= cap)
			return ab_err(AB_EDATA, "stdin: longer than %zu bytes", cap - 1);
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return 0;
}

static int
tty_prompt(int fd, const char *prompt, char *buf, size_t *len)
{
	struct termios old, quiet;
	int code;

	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	if (tcgetattr(fd, &old) != 0)
		return ab_err(AB_EIO, "terminal: %s", strerror(errno));
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	tcsetattr(fd, TCSAFLUSH, &quiet);
	code = read_line_fd(fd, buf, PW_MAX, len);
	tcsetattr(fd, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	return code;
}

int
authcmd_read_password(const char *prompt, int confirm, char **pw, size_t *len)
{
	char *buf = sodium_malloc(PW_MAX), *again;
	size_t n2;
	int code;

	*pw = NULL;
	if (!buf)
		ab_oom();
	if (!isatty(0)) {
		if ((code = read_line_fd(0, buf, PW_MAX, len))) {
			sodium_free(buf);
			return code;
		}
		*pw = buf;
		return 0;
	}
	if ((code = tty_prompt(0, prompt, buf, len))) {
		sodium_free(buf);
		return code;
	}
	if (confirm) {
		if (!(again = sodium_malloc(PW_MAX)))
			ab_oom();
		code = tty_prompt(0, "again: ", again, &n2);
		if (!code && (n2 != *len || sodium_memcmp(again, buf, n2) != 0))
			code = ab_err(AB_EDATA, "the passwords differ");
		sodium_free(again);
		if (code) {
			sodium_free(buf);
			return code;
		}
	}
	*pw = buf;
	return 0;
}

int
authcmd_read_stdin(char **out, size_t *len)
{
	enum { MAX = 65536 };
	char *buf = sodium_malloc(MAX + 1);
	size_t n = 0;

	if (!buf)
		ab_oom();
	for (;;) {
		ssize_t r = read(0, buf + n, MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sodium_free(buf);
			return ab_err(AB_EIO, "stdin: %s", strerror(errno));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > MAX) {
			sodium_free(buf);
			return ab_err(AB_EDATA, "stdin: a secret may hold at most %d bytes", MAX);
		}
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* The most common passwords (SecLists' top lists); a password whose letters,
 * without trailing digits and symbols, are one of these is refused. */
static const char *const common[] = {
	"123456", "password", "12345678", "qwerty", "abc123", "iloveyou", "1q2w3e4r",
	"qwertyuiop", "qwertyuiopas", "zaq12wsx", "dragon", "sunshine", "princess", "letmein",
	"monkey", "1qaz2wsx", "superman", "asdfghjkl", "football", "baseball", "welcome",
	"admin", "master", "shadow", "trustno", "starwars", "passw0rd", "whatever", "freedom",
	"hello", "charlie", "donald", "login", "access", "flower", "loveme", "michael",
	"mustang", "jordan", "harley", "ranger", "buster", "soccer", "hockey", "killer",
	"george", "computer", "michelle", "jessica", "pepper", "zxcvbnm", "zxcvbnmasdfg",
	"asdfgh", "qazwsx", "qazwsxedc", "changeme", "secret", "administrator", "root", "toor",
	"default", "guest", "autobot", "trading", "bitcoin", "passwordpassword", "correcthorsebatterystaple",
	"qwertyqwerty", "abcdefghijkl", "abcdefghijklmnop", "iloveyouiloveyou", "letmeinletmein",
	"welcomewelcome", "adminadmin", "p@ssword", "p@ssw0rd", "pa$$word", "mypassword",
	"thisisapassword", "opensesame", "sunshinesunshine", "baseballbaseball", "footballfootball",
	NULL,
};

int
authcmd_password_policy(const char *name, const char *pw, size_t len)
{
	char base[PW_MAX], low[PW_MAX];
	size_t n = 0, distinct = 0;
	int seen[256] = {0};

	if (len < 12)
		return ab_err(AB_EDATA, "password: at least 12 characters, please (got %zu)", len);
	if (len >= PW_MAX)
		return ab_err(AB_EDATA, "password: at most %d bytes", PW_MAX - 1);
	if (memchr(pw, '\0', len))
		return ab_err(AB_EDATA, "password: NUL byte");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pw[i];
		low[i] = (char)tolower(c);
		if (!seen[c]++)
			distinct++;
	}
	low[len] = '\0';
	if (distinct < 5)
		return ab_err(AB_EDATA, "password: too few different characters");
	/* Strip trailing digits and symbols: "Password1234!" is "password". */
	n = len;
	while (n > 0 && !isalpha((unsigned char)low[n - 1]))
		n--;
	memcpy(base, low, n);
	base[n] = '\0';
	if (n == 0)
		return ab_err(AB_EDATA, "password: only digits and symbols");
	for (int i = 0; common[i]; i++)
		if (strcmp(base, common[i]) == 0 || strcmp(low, common[i]) == 0) {
			sodium_memzero(base, sizeof base);
			sodium_memzero(low, sizeof low);
			return ab_err(AB_EDATA, "password: one of the most common passwords");
		}
	if (name && *name && strstr(low, name)) {
		sodium_memzero(base, sizeof base);
		sodium_memzero(low, sizeof low);
		return ab_err(AB_EDATA, "password: contains the user name");
	}
	sodium_memzero(base, sizeof base);
	sodium_memzero(low, sizeof low);
	return 0;
}

int
authcmd_valid_name(const char *kind, const char *s)
{
	size_t n = strlen(s);
	int ok = n > 0 && n <= 64;

	for (const char *p = s; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.' || *p == '@';
	return ok ? 0 : ab_err(AB_EUSAGE, "bad %s name \"%s\" (letters, digits, _ - . @; at most 64)", kind, s);
}

int
authcmd_valid_perm(const char *s)
{
	const char *colon = strchr(s, ':');
	int ok = colon && colon != s && colon[1] && strlen(s) <= 64 && !strchr(colon + 1, ':');

	for (const char *p = s; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == ':' || *p == '-' || *p == '_';
	return ok ? 0 : ab_err(AB_EUSAGE, "bad permission \"%s\" (like order:live)", s);
}

int
main(int argc, char **argv)
{
	struct ab_cli cli;
	struct authcmd a = {0};
	const char *cmd = NULL;
	long long n;
	int key, code = 0;

	ab_cli_init(&cli, "ab-auth", argc, argv, options);
	if (sodium_init() < 0) {
		ab_err(AB_ESOFTWARE, "libsodium: cannot initialise");
		return AB_ESOFTWARE;
	}
	cli.usage = "init [--alg ALG]\n"
		    "user add NAME --role ROLE | list | show NAME | del NAME | passwd NAME | role NAME ROLE | lock NAME | unlock NAME\n"
		    "role list | show ROLE | grant ROLE PERM | revoke ROLE PERM\n"
		    "login NAME [--ttl 15m] [--aud AUD] [--alg ALG] [--source ADDR]\n"
		    "verify [TOKEN] [--aud AUD] [--leeway S]\n"
		    "check PERM [TOKEN]\n"
		    "revoke TOKEN | --jti JTI | --user NAME\n"
		    "key export [--public] [--jwk] [--alg ALG] [--kid KID] | import --jwk FILE [--sign] | rotate [--alg ALG]\n"
		    "audit [--since TIME] | audit verify [--anchor FILE] | audit head\n"
		    "secret set NAME | get NAME | list | del NAME";
	cli.description = "Users and roles, Argon2id passwords, EdDSA/HS256 JSON Web Tokens, login rate\n"
			  "limits, a hash-chained audit log and secrets encrypted at rest. Passwords and\n"
			  "secret values are read from stdin or the terminal, never from arguments.";
	cli.commands = command_names;
	a.argc = argc;
	a.argv = argv;
	a.leeway = AB_AUTH_LEEWAY_S;
	a.args = ab_calloc((size_t)argc, sizeof *a.args);
	while ((key = ab_cli_next(&cli)) != AB_CLI_END) {
		switch (key) {
		case AB_CLI_EXIT: code = cli.status; goto done;
		case 0:
			if (!cmd)
				cmd = cli.arg;
			else
				a.args[a.nargs++] = (char *)cli.arg;
			break;
		case AB_KEY_DB: a.db_path = cli.arg; break;
		case KEY_ROLE: a.role = cli.arg; break;
		case KEY_TTL:
			if (ab_duration_parse(cli.arg, &a.ttl_s) != 0 || a.ttl_s < 1000) {
				code = ab_cli_usage_error(&cli, "--ttl: bad duration \"%s\"", cli.arg);
				goto done;
			}
			a.ttl_s /= 1000;
			break;
		case KEY_AUD: a.aud = cli.arg; break;
		case KEY_ALG:
			if (strcmp(cli.arg, "EdDSA") != 0 && strcmp(cli.arg, "HS256") != 0) {
				code = ab_cli_usage_error(&cli, "--alg: \"%s\" is not EdDSA or HS256", cli.arg);
				goto done;
			}
			a.alg = cli.arg;
			break;
		case KEY_SOURCE: a.source = cli.arg; break;
		case KEY_SINCE:
			if ((code = ab_cli_time(&cli, &a.since_ms)))
				goto done;
			a.has_since = 1;
			break;
		case KEY_ANCHOR: a.anchor = cli.arg; break;
		case KEY_PUBLIC: a.public_only = 1; break;
		case KEY_JWK: a.jwk = 1; break;
		case KEY_USER: a.user = cli.arg; break;
		case KEY_JTI: a.jti = cli.arg; break;
		case KEY_KID: a.kid = cli.arg; break;
		case KEY_LEEWAY:
			if ((code = ab_cli_long(&cli, 0, AB_AUTH_LEEWAY_S, &n)))
				goto done;
			a.leeway = (int)n;
			break;
		case KEY_SIGN: a.sign = 1; break;
		}
	}
	if (!cmd) {
		code = ab_cli_usage_error(&cli, "no command given (try --help)");
		goto done;
	}
	code = -1;
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(cmd, commands[i].name) == 0) {
			ab_out_init(&a.out, 1, "stdout");
			code = authcmd_open(&a);
			if (!code)
				code = commands[i].run(&a);
			int wcode = ab_out_close(&a.out);
			if (!code)
				code = wcode;
			break;
		}
	if (code == -1)
		code = ab_cli_usage_error(&cli, "unknown command \"%s\"", cmd);
	if (a.db) {
		a.run.records_out = a.out.records;
		ab_runs_finish(&a.run, code);
		ab_db_close(a.db);
	}
done:
	free(a.args);
	return code;
}
