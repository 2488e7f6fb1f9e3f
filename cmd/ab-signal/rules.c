/* rules: user buy/sell rules as jq programs (libjq, jq 1.6 API).
 *
 * A rule is compiled twice: once as the user wrote it with $prev bound as a
 * named argument, so a compile error is reported with jq's own message about
 * the user's own text; then wrapped as `.[1] as $prev | .[0] | (TEXT)` for
 * evaluation, because a named argument is a constant and $prev changes with
 * every candle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rules.h"

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
rule_compile(struct rule *r, const char *what, const char *text)
{
	struct errbuf e = {what, 0};
	jq_state *check = jq_init();
	size_t n = strlen(text);
	char *wrapped;
	int ok;

	if (!check)
		ab_oom();
	jq_set_error_cb(check, compile_error, &e);
	ok = jq_compile_args(check, text, jv_object_set(jv_object(), jv_string("prev"), jv_null()));
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
	wrapped = ab_malloc(n + 64);
	snprintf(wrapped, n + 64, ".[1] as $prev | .[0] | (\n%s\n)", text);
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
rule_eval(struct rule *r, jv cur, jv prev, char *msg, size_t n)
{
	jv in = jv_array_append(jv_array_append(jv_array(), jv_copy(cur)), jv_copy(prev));
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
rule_free(struct rule *r)
{
	if (r->jq)
		jq_teardown(&r->jq);
}
