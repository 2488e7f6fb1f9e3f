/* json.h: exchange responses as a read-only document of spans.
 *
 * jdoc_parse checks a whole body is one JSON value (RFC 8259 syntax, depth at
 * most 64) and lays it out as a flat tape of nodes in document order: a node
 * is followed by its children, and node.end is the index just past its
 * subtree. Nothing is converted: strings and numbers keep their original text
 * (pointers into the body, which must outlive the document), so IDs are read
 * as text and numbers convert exactly once, correctly rounded.
 * Accessors take and return node indexes; -1 means "absent" and every
 * accessor accepts -1 and fails, so lookups chain without checks.
 * Nothing here prints; jdoc_parse leaves a reason in d->err.
 */
#ifndef AB_FETCH_JSON_H
#define AB_FETCH_JSON_H

#include <stddef.h>
#include <stdint.h>

enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	unsigned char type;
	unsigned char esc;  /* a string holding backslash escapes */
	const char *p;      /* raw text; a string's is between its quotes */
	size_t n;
	int end;            /* index past this node's subtree */
};

struct jdoc {
	struct jnode *t;
	int n, cap;
	char err[96];
};

/* 0, or -1 with d->err set. The document can be reparsed; free it once. */
int jdoc_parse(struct jdoc *d, const char *s, size_t len);
void jdoc_free(struct jdoc *d);

int j_type(const struct jdoc *d, int i);       /* -1 for -1 */
int j_get(const struct jdoc *d, int obj, const char *key);
int j_at(const struct jdoc *d, int arr, int k); /* k-th element */
int j_len(const struct jdoc *d, int i);         /* elements or members */
/* Children: for (c = j_first(d, i); c >= 0; c = j_next(d, i, c)); for an
 * object the children are its keys, the value being c + 1. */
int j_first(const struct jdoc *d, int i);
int j_next(const struct jdoc *d, int parent, int c);
/* A number, or a string holding a JSON number ("101.5"), as a double. */
int j_num(const struct jdoc *d, int i, double *out);
/* A decimal time (number or string, fraction allowed) times unit_ms, as
 * integer ms without rounding through a double: "1699999999.123", 1000. */
int j_time(const struct jdoc *d, int i, int64_t unit_ms, int64_t *ms);
/* A string's decoded text, or a number's text, into buf (NUL-terminated);
 * -1 if absent, another type, or longer than n - 1 bytes. */
int j_str(const struct jdoc *d, int i, char *buf, size_t n);
/* True when i is a string (unescaped) equal to s. */
int j_streq(const struct jdoc *d, int i, const char *s);

#endif
