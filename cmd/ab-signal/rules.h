/* rules.h: ab-signal's jq rules, lib/jqrules.h under their first names (the
 * rules fuzz target, tests/fuzz/fuzz-rules.c, builds rules.c on its own). */
#ifndef AB_SIGNAL_RULES_H
#define AB_SIGNAL_RULES_H

#include <stddef.h>

#include "jqrules.h"

struct rule {
	struct ab_rule r;
};
/* ab_rule_compile. */
int rule_compile(struct rule *r, const char *what, const char *text);
/* ab_rule_eval with $params {}. */
int rule_eval(struct rule *r, jv cur, jv prev, char *msg, size_t n);
void rule_free(struct rule *r);

#endif
