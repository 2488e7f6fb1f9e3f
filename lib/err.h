/* err: exit codes (sysexits, DESIGN.md) and diagnostics on stderr.
 *
 * Every message goes to stderr as "PROG: WHERE: WHAT" (WHERE may be absent).
 * Library code reports and returns an exit code up; only main() exits.
 * ab_err_prog is set once by ab_cli_init() and prefixes every message.
 */
#ifndef AB_ERR_H
#define AB_ERR_H

#include <stdarg.h>

enum {
	AB_OK = 0,
	AB_EUSAGE = 64,       /* EX_USAGE: bad command line */
	AB_EDATA = 65,        /* EX_DATAERR: bad input record */
	AB_ENOINPUT = 66,     /* EX_NOINPUT: input file missing */
	AB_EUNAVAILABLE = 69, /* EX_UNAVAILABLE: network, exchange down */
	AB_ESOFTWARE = 70,    /* EX_SOFTWARE: internal error */
	AB_ECANTCREAT = 73,   /* EX_CANTCREAT: cannot create output */
	AB_EIO = 74,          /* EX_IOERR: read or write failed */
	AB_ETEMPFAIL = 75,    /* EX_TEMPFAIL: locked, rate limited: retry */
	AB_ENOPERM = 77,      /* EX_NOPERM: permission denied */
	AB_ECONFIG = 78,      /* EX_CONFIG: database newer than this binary */
};

extern const char *ab_err_prog;

/* "prog: fmt\n" on stderr; returns code so callers can `return ab_err(...)`. */
int ab_err(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "prog: file:line: fmt\n"; returns code. */
int ab_err_at(int code, const char *file, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int ab_verr(int code, const char *where, const char *fmt, va_list ap);
/* Out of memory: report and abort the process; there is nothing to recover. */
_Noreturn void ab_oom(void);

/* Checked allocation: abort with a message on failure. */
void *ab_malloc(size_t n);
void *ab_calloc(size_t n, size_t size);
void *ab_realloc(void *p, size_t n);
char *ab_strdup(const char *s);
char *ab_strndup(const char *s, size_t n);

#endif
