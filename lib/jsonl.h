/* jsonl: JSON lines in and out, fast.
 *
 * Reading: struct ab_lines reads lines from a list of files ("-" or none:
 * stdin), keeping the file name and line number for messages. Lines point into
 * the reader's buffer and stay valid until the next call. Lines longer than
 * AB_LINE_MAX are an error.
 *
 * Parsing: ab_jrec_parse checks one line is exactly one JSON object (RFC 8259:
 * valid UTF-8, no control characters in strings, nesting at most
 * AB_JSON_MAX_DEPTH) and indexes its top-level fields as raw text spans into
 * the line; nothing is copied or converted until asked. Values the program
 * does not touch can be written back as their original text.
 *
 * Writing: struct ab_out buffers records for one file descriptor; numbers are
 * printed in the shortest form that reads back to the same double. Write
 * errors are kept in the ab_out (checked by ab_out_close); EPIPE means the
 * reader went away and is reported by nobody (ab_out_close returns AB_OK and
 * sets o->broken_pipe, and the program stops reading). ab_out_close also
 * closes standard output (keeping fd 1 on /dev/null), so a reader
 * downstream sees the end of input before this program does its last
 * database work.
 *
 * Every function returning int returns 0 or an exit code (err.h) after
 * printing a message, except where stated.
 */
#ifndef AB_JSONL_H
#define AB_JSONL_H

#include <stddef.h>
#include <stdint.h>

#define AB_LINE_MAX (16u << 20)
#define AB_JSON_MAX_DEPTH 256

struct ab_lines {
	char **files;
	int nfiles, next_file;
	int fd;
	const char *name;  /* current file, "stdin" for standard input */
	long lineno;       /* number of the line last returned */
	char *buf;
	size_t cap, start, end;
	int eof, status;
	long long count;   /* lines returned so far, over all files */
};

/* files/nfiles: the program's positional file names (nfiles 0: stdin). */
void ab_lines_init(struct ab_lines *r, char **files, int nfiles);
/* Returns 1 and the next line (without the newline or a trailing \r), 0 at the
 * end of all input, or -1 on error (message printed; r->status holds the
 * exit code: 66 missing file, 74 read error, 65 line too long). */
int ab_lines_next(struct ab_lines *r, const char **line, size_t *len);
void ab_lines_free(struct ab_lines *r);

enum ab_jtype {
	AB_JNULL, AB_JFALSE, AB_JTRUE, AB_JNUMBER, AB_JSTRING, AB_JARRAY, AB_JOBJECT
};

struct ab_jfield {
	const char *key;   /* raw key text inside the quotes */
	size_t klen;
	const char *val;   /* raw value text; strings include their quotes */
	size_t vlen;
	unsigned char type;       /* enum ab_jtype */
	unsigned char escaped;    /* string key or value holds a backslash */
	unsigned char spaced;     /* a nested value holds whitespace */
};

struct ab_jrec {
	struct ab_jfield *f;
	int n, cap;
	const char *line;
	size_t len;
	int compact;       /* no whitespace outside strings: the line can be reused */
	char err[160];     /* why the last parse failed */
	char *scratch;     /* decoded strings, reused */
	size_t scratch_cap;
};

void ab_jrec_init(struct ab_jrec *rec);
void ab_jrec_free(struct ab_jrec *rec);
/* Returns 0, or -1 with rec->err set (nothing printed). */
int ab_jrec_parse(struct ab_jrec *rec, const char *line, size_t len);
/* Checks that text is exactly one JSON value of any type (the same rules,
 * whitespace around it allowed): 0, or -1 with why (may be NULL) set. Run it
 * before jv_parse_sized on outside input: libjq 1.6 leaks the token it holds
 * when its parser fails, and never fails on text that passes this check. */
int ab_json_valid(const char *s, size_t len, char *why, size_t whylen);
/* The field named key (last one wins), or NULL. */
const struct ab_jfield *ab_jrec_get(const struct ab_jrec *rec, const char *key);
/* 0 and the number, or -1 if absent or not a number (nothing printed). */
int ab_jfield_num(const struct ab_jfield *f, double *out);
/* 0 and the string's decoded text (NUL-terminated; a view into the line when
 * it has no escapes, else into rec->scratch, valid until the next decode or
 * parse), or -1 if f is NULL or not a string. */
int ab_jrec_str(struct ab_jrec *rec, const struct ab_jfield *f, const char **s, size_t *n);
/* True when the field exists and is a string equal to s. */
int ab_jrec_str_eq(struct ab_jrec *rec, const char *key, const char *s);

/* Decodes a raw JSON string body (between the quotes, already validated) into
 * buf, which must hold n bytes; returns the decoded length. */
size_t ab_json_unescape(const char *raw, size_t n, char *buf);

struct ab_out {
	int fd;
	const char *name;
	char *buf;
	size_t len, cap;
	int first;          /* no field written yet in the open record */
	int err;            /* errno of the first failed write */
	int broken_pipe;
	long long records;
};

void ab_out_init(struct ab_out *o, int fd, const char *name);
/* Flushes, and reports a failed write as 74 (a broken pipe is not reported). */
int ab_out_close(struct ab_out *o);
int ab_out_flush(struct ab_out *o);
/* True once a write failed; a filter stops reading then. */
static inline int ab_out_failed(const struct ab_out *o) { return o->err != 0; }

void ab_out_raw(struct ab_out *o, const char *s, size_t n);
void ab_out_str(struct ab_out *o, const char *s, size_t n); /* quoted, escaped */
void ab_out_num(struct ab_out *o, double v);                /* NaN/inf: null */
void ab_out_int(struct ab_out *o, long long v);

/* Records: begin, fields, end. Keys are written as given (plain ASCII names). */
void ab_out_begin(struct ab_out *o);
void ab_out_key(struct ab_out *o, const char *key);
void ab_out_kstr(struct ab_out *o, const char *key, const char *s);
void ab_out_kstrn(struct ab_out *o, const char *key, const char *s, size_t n);
void ab_out_knum(struct ab_out *o, const char *key, double v);
void ab_out_kint(struct ab_out *o, const char *key, long long v);
void ab_out_kbool(struct ab_out *o, const char *key, int v);
void ab_out_knull(struct ab_out *o, const char *key);
void ab_out_kraw(struct ab_out *o, const char *key, const char *raw, size_t n);
void ab_out_ktime(struct ab_out *o, const char *key, int64_t ms);
/* Begins a record holding rec's fields except those named in skip, compacted,
 * so more fields can be appended; a compact line with nothing to skip is
 * copied in one go. */
void ab_out_begin_from(struct ab_out *o, const struct ab_jrec *rec,
		       const char *const *skip, int nskip);
/* Writes a parsed record back unchanged (compacted). */
void ab_out_jrec(struct ab_out *o, const struct ab_jrec *rec);
void ab_out_end(struct ab_out *o);

#endif
