/* venue.c: what every exchange's order code shares: an answer's body to
 * JSON, and the jv helpers that read it (kept apart from live.c so that
 * tests/fuzz/fuzz-orders.c can feed the exchanges' parsers any answer). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "err.h"
#include "jsonl.h"
#include "timefmt.h"
#include "venue.h"

int64_t
venue_now_ms(void)
{
	return ab_now_ms();
}

void
venue_fmt_num(char *buf, size_t n, double q)
{
	snprintf(buf, n, "%.10f", q);
	char *p = buf + strlen(buf) - 1;
	while (p > buf && *p == '0')
		*p-- = '\0';
	if (*p == '.')
		*p = '\0';
}

jv
venue_jget(jv obj, const char *k)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT) {
		jv_free(obj);
		return jv_invalid();
	}
	return jv_object_get(obj, jv_string(k));
}

jv
venue_jat(jv arr, int i)
{
	if (jv_get_kind(arr) != JV_KIND_ARRAY || i >= jv_array_length(jv_copy(arr))) {
		jv_free(arr);
		return jv_invalid();
	}
	return jv_array_get(arr, i);
}

double
venue_jnum(jv v)
{
	double d = NAN;
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		d = jv_number_value(v);
	} else if (jv_get_kind(v) == JV_KIND_STRING) {
		const char *s = jv_string_value(v);
		char *end;
		d = strtod(s, &end);
		if (end == s || *end)
			d = NAN;
	}
	jv_free(v);
	return d;
}

void
venue_jstr(jv v, char *out, size_t n)
{
	out[0] = '\0';
	if (jv_get_kind(v) == JV_KIND_STRING)
		snprintf(out, n, "%s", jv_string_value(v));
	else if (jv_get_kind(v) == JV_KIND_NUMBER)
		snprintf(out, n, "%.0f", jv_number_value(v));
	jv_free(v);
}

int
venue_answer(struct venue *v, const char *path, const char *body, size_t len, long status, jv *out)
{
	/* checked first: libjq 1.6 leaks when its parser fails */
	if (body && len <= INT32_MAX && ab_json_valid(body, len, NULL, 0) == 0) {
		*out = jv_parse_sized(body, (int)len);
		if (jv_is_valid(*out))
			return 0;
		jv_free(*out);
	}
	if (status >= 400 && status < 500) {
		/* An error without a JSON body: its status says enough. */
		*out = jv_object();
		return 0;
	}
	return ab_err(AB_EUNAVAILABLE, "%s: %s: the answer is not JSON", v->name, path);
}
