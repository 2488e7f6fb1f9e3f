/* jqrules: jq buy/sell rules, strategy files and indicator sets (jqrules.h).
 *
 * A rule is compiled twice: once as the user wrote it with $prev and $params
 * bound as named arguments, so a compile error is reported with jq's own
 * message about the user's own text; then wrapped as
 * `.[2] as $params | .[1] as $prev | .[0] | (TEXT)` for evaluation, because
 * a named argument is a constant and both change without a recompile ($prev
 * with every candle, $params with every combination of a sweep).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "jqrules.h"

struct errbuf {
	const char *what;
	int n;
};

static void
compile_error(void *data, jv msg)
{
	struct errbuf *e = data;

	e->n++;
	if (jv_get_kind(msg) == JV_KIND_STRING)
		ab_err(AB_EUSAGE, "%s: %s", e->what, jv_string_value(msg));
	else {
		jv s = jv_dump_string(jv_copy(msg), 0);
		ab_err(AB_EUSAGE, "%s: %s", e->what, jv_string_value(s));
		jv_free(s);
	}
	jv_free(msg);
}

static void
quiet_error(void *data, jv msg)
{
	(void)data;
	jv_free(msg);
}

int
ab_rule_compile(struct ab_rule *r, const char *what, const char *text)
{
	struct errbuf e = {what, 0};
	jq_state *check = jq_init();
	size_t n = strlen(text);
	char *wrapped;
	int ok;

	if (!check)
		ab_oom();
	jq_set_error_cb(check, compile_error, &e);
	ok = jq_compile_args(check, text,
			     jv_object_set(jv_object_set(jv_object(), jv_string("prev"), jv_null()),
					   jv_string("params"), jv_object()));
	jq_teardown(&check);
	if (!ok || e.n) {
		if (!e.n)
			ab_err(AB_EUSAGE, "%s: jq: compile error", what);
		return AB_EUSAGE;
	}
	r->what = what;
	r->jq = jq_init();
	if (!r->jq)
		ab_oom();
	jq_set_error_cb(r->jq, compile_error, &e);
	wrapped = ab_malloc(n + 80);
	snprintf(wrapped, n + 80, ".[2] as $params | .[1] as $prev | .[0] | (\n%s\n)", text);
	ok = jq_compile_args(r->jq, wrapped, jv_object());
	free(wrapped);
	if (!ok) {
		if (!e.n)
			ab_err(AB_EUSAGE, "%s: jq: compile error", what);
		return AB_EUSAGE;
	}
	jq_set_error_cb(r->jq, quiet_error, NULL);
	return 0;
}

int
ab_rule_eval(struct ab_rule *r, jv cur, jv prev, jv params, char *msg, size_t n)
{
	jv in = jv_array_append(jv_array_append(jv_array_append(jv_array_sized(3), jv_copy(cur)), jv_copy(prev)),
				jv_copy(params));
	jv v;
	int fired = 0;

	jq_start(r->jq, in, 0);
	v = jq_next(r->jq);
	if (jv_is_valid(v)) {
		jv_kind k = jv_get_kind(v);
		fired = k != JV_KIND_NULL && k != JV_KIND_FALSE;
	} else if (jv_invalid_has_msg(jv_copy(v))) {
		jv m = jv_invalid_get_msg(jv_copy(v));
		if (jv_get_kind(m) == JV_KIND_STRING)
			snprintf(msg, n, "%s: jq: error: %s", r->what, jv_string_value(m));
		else {
			jv s = jv_dump_string(jv_copy(m), 0);
			snprintf(msg, n, "%s: jq: error (not a string): %s", r->what, jv_string_value(s));
			jv_free(s);
		}
		jv_free(m);
		fired = -1;
	}
	jv_free(v);
	return fired;
}

void
ab_rule_free(struct ab_rule *r)
{
	if (r->jq)
		jq_teardown(&r->jq);
}

int
ab_rules_decide(struct ab_rule *buy, struct ab_rule *sell, jv cur, jv prev, jv params, char *msg, size_t n)
{
	int fb = 0, fs = 0;

	if (buy && (fb = ab_rule_eval(buy, cur, prev, params, msg, n)) < 0)
		return -2;
	if (sell && (fs = ab_rule_eval(sell, cur, prev, params, msg, n)) < 0)
		return -2;
	if (fb == fs) /* both firing cancel out */
		return 0;
	return fb ? 1 : -1;
}

/* ---- indicators by option words ---- */

int
ab_rules_ind_words(const char *words, const char *where, int (*add)(void *ctx, const struct ab_ind *ind),
		   void *ctx)
{
	char *l = ab_strdup(words), *save = NULL, msg[256];
	int code = 0;

	for (char *w = strtok_r(l, " \t\r", &save); w && !code; w = strtok_r(NULL, " \t\r", &save)) {
		int k;
		for (k = 0; k < AB_IND_NKINDS; k++)
			if (w[0] == '-' && w[1] == '-' && strcmp(w + 2, ab_ind_kinds[k].option) == 0)
				break;
		if (k == AB_IND_NKINDS) {
			code = ab_err(AB_EUSAGE, "%s: \"%s\" is not an indicator option", where, w);
			break;
		}
		const char *arg = NULL;
		if (ab_ind_kinds[k].args && !(arg = strtok_r(NULL, " \t\r", &save))) {
			code = ab_err(AB_EUSAGE, "%s: --%s needs %s", where, w + 2, ab_ind_kinds[k].args);
			break;
		}
		struct ab_ind ind;
		if (ab_ind_parse(&ind, (enum ab_ind_kind)k, arg ? arg : "", msg, sizeof msg))
			code = ab_err(AB_EUSAGE, "%s: %s", where, msg);
		else
			code = add(ctx, &ind);
	}
	free(l);
	return code;
}

/* ---- strategy files ---- */

char *
ab_rules_read_file(const char *path, int *code)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		*code = ab_err(errno == ENOENT ? AB_ENOINPUT : AB_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (cap - len < 4096)
			buf = ab_realloc(buf, cap = cap * 2 + 8192);
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		*code = ab_err(AB_EIO, "%s: read error", path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

char *
ab_rules_label(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".jq") == 0)
		n -= 3;
	return ab_strndup(base, n);
}

int
ab_rules_from_source(const char *src, const char *path, int (*add)(void *ctx, const struct ab_ind *ind),
		     void *ctx, char *texts[2])
{
	int code = 0;

	texts[0] = texts[1] = NULL;
	for (const char *p = src; *p && !code;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		if (strncmp(p, "# ab-signal:", 12) == 0) {
			char *l = ab_strndup(p + 12, n - 12);
			code = ab_rules_ind_words(l, path, add, ctx);
			free(l);
		}
		p += n + (eol != NULL);
	}
	if (code)
		return code;
	for (int i = 0; i < 2; i++) {
		const char *fn = i == 0 ? "buy" : "sell";
		size_t n = strlen(src) + 32;
		texts[i] = ab_malloc(n);
		/* A file that does not define one of them never fires it. */
		snprintf(texts[i], n, "def %s: false;\n%s\n%s", fn, src, fn);
	}
	return 0;
}

char *
ab_rules_find(const char *name)
{
	char path[2 * PATH_MAX], exe[PATH_MAX];
	const char *env = getenv("AB_STRATEGY_PATH");
	ssize_t n;

	if (strchr(name, '/'))
		return NULL;
	if (env && *env) {
		char *dirs = ab_strdup(env), *save = NULL;
		for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			snprintf(path, sizeof path, "%s/%s.jq", d, name);
			if (access(path, R_OK) == 0) {
				free(dirs);
				return ab_strdup(path);
			}
		}
		free(dirs);
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof path, "%s/../share/autobot/strategies/%s.jq", exe, name);
			if (access(path, R_OK) == 0)
				return ab_strdup(path);
		}
	}
	snprintf(path, sizeof path, "%s/strategies/%s.jq", AB_DATADIR, name);
	if (access(path, R_OK) == 0)
		return ab_strdup(path);
	return NULL;
}

/* ---- indicator sets ---- */

int
ab_ind_set_add(struct ab_ind_set *s, const struct ab_ind *want)
{
	int later = 0;

	for (int i = 0; i < s->ninds; i++) {
		if (ab_ind_same(&s->inds[i], want))
			return i;
		if (s->inds[i].kind == want->kind)
			later = 1;
	}
	s->inds = ab_realloc(s->inds, (size_t)(s->ninds + 1) * sizeof *s->inds);
	struct ab_ind *ind = &s->inds[s->ninds];
	*ind = *want;
	memset(ind->name, 0, sizeof ind->name);
	ab_ind_name(ind, later);
	ind->slot = s->nvals;
	s->nvals += ind->nout;
	ind->off = s->state_size;
	s->state_size += (ab_ind_state_size(ind) + 15) & ~(size_t)15;
	return s->ninds++;
}

void
ab_ind_set_free(struct ab_ind_set *s)
{
	for (int i = 0; i < s->ninds; i++)
		ab_ind_free(&s->inds[i]);
	free(s->inds);
	memset(s, 0, sizeof *s);
}
