/* rules.h: ab-signal's user rules, jq programs that fire buy or sell (rules.c). */
#ifndef AB_SIGNAL_RULES_H
#define AB_SIGNAL_RULES_H

#include <stddef.h>

#include <jq.h>
#include <jv.h>

/* A user rule: a compiled jq program returning a truthy value to fire. */
struct rule {
	jq_state *jq;
	const char *what;  /* "--buy", "FILE buy" for messages */
};
/* Compiles text (with $prev bound) for a rule; prints jq's own messages and
 * returns 64 on a compile error. */
int rule_compile(struct rule *r, const char *what, const char *text);
/* 1 if the rule fires on cur (with $prev), 0 if not, -1 on a jq runtime
 * error with the message in msg. Consumes nothing. */
int rule_eval(struct rule *r, jv cur, jv prev, char *msg, size_t n);
void rule_free(struct rule *r);

#endif
