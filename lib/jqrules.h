/* jqrules: jq buy/sell rules on annotated candles (libjq, jq 1.6), shared by
 * ab-signal, which fires them candle by candle, and ab-order optimize, which
 * sweeps the parameters they read as $params.
 *
 * A rule sees the annotated candle as `.`, the one before it as $prev (null
 * for the first) and the parameters as $params (an object; {} when none are
 * given). It is compiled once: $prev and $params change without a recompile.
 * Values passed in are borrowed (jv_copy'd as needed), never consumed.
 * Functions that print (compile errors, file errors) say so; the rest leave
 * their message in msg.
 */
#ifndef AB_JQRULES_H
#define AB_JQRULES_H

#include <stddef.h>

#include <jq.h>
#include <jv.h>

#include "indicators.h"

struct ab_rule {
	jq_state *jq;
	const char *what;  /* "--buy", "buy" (of a file), for messages */
};

/* Compiles text; prints jq's own messages about the text and returns 64 on
 * a compile error. */
int ab_rule_compile(struct ab_rule *r, const char *what, const char *text);
/* 1 if the rule fires on cur, 0 if not, -1 on a jq runtime error with the
 * message in msg. */
int ab_rule_eval(struct ab_rule *r, jv cur, jv prev, jv params, char *msg, size_t n);
void ab_rule_free(struct ab_rule *r);

/* The signal of a buy and a sell rule (either may be NULL) on one candle:
 * +1, -1, or 0 (neither, or both: they cancel out); -2 on a runtime error
 * with the message in msg. The buy rule runs first. */
int ab_rules_decide(struct ab_rule *buy, struct ab_rule *sell, jv cur, jv prev, jv params, char *msg,
		    size_t n);

/* Indicators named by option words, "--rsi 14 --sma 50" (a strategy file's
 * "# ab-signal:" lines, ab-order optimize --indicators): each is passed to
 * add(ctx, ind) in order. 0, or 64 after a message prefixed with where. */
int ab_rules_ind_words(const char *words, const char *where, int (*add)(void *ctx, const struct ab_ind *ind),
		       void *ctx);

/* A strategy file's text src (path for messages): its "# ab-signal:" lines'
 * indicators go to add(); texts[0] and texts[1] become the buy and sell rules
 * (a rule the file does not define never fires); the caller frees them.
 * 0 or 64 after a message. */
int ab_rules_from_source(const char *src, const char *path, int (*add)(void *ctx, const struct ab_ind *ind),
			 void *ctx, char *texts[2]);
/* Reads a file whole (caller frees); NULL after a message, *code 66 or 74. */
char *ab_rules_read_file(const char *path, int *code);
/* The label of a strategy file: its base name without ".jq" (caller frees). */
char *ab_rules_label(const char *path);
/* NAME.jq in $AB_STRATEGY_PATH (colon-separated), next to the program
 * (../share/autobot/strategies), then in the installed data folder; NULL if
 * none (caller frees). */
char *ab_rules_find(const char *name);

/* A set of indicators written into one row of values, as ab-signal names
 * them: an indicator already in the set is not added twice (its index is
 * returned); later instances of a kind whose names carry no parameters get
 * distinct names (ab_ind_name). */
struct ab_ind_set {
	struct ab_ind *inds;
	int ninds, nvals;
	size_t state_size; /* each state's offset 16-aligned */
};
int ab_ind_set_add(struct ab_ind_set *s, const struct ab_ind *want);
void ab_ind_set_free(struct ab_ind_set *s);

#endif
