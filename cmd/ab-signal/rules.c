/* rules: ab-signal's jq rules (rules.h); the code is lib/jqrules.c. */
#include <stddef.h>

#include "err.h"
#include "rules.h"

int
rule_compile(struct rule *r, const char *what, const char *text)
{
	return ab_rule_compile(&r->r, what, text);
}

int
rule_eval(struct rule *r, jv cur, jv prev, char *msg, size_t n)
{
	jv params = jv_object();
	int fired = ab_rule_eval(&r->r, cur, prev, params, msg, n);

	jv_free(params);
	return fired;
}

void
rule_free(struct rule *r)
{
	ab_rule_free(&r->r);
}
