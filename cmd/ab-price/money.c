/* money.c: rounding money and record field helpers (amounts: lib/money.h). */
#include <math.h>
#include <string.h>

#include "numfmt.h"
#include "price.h"

int
pr_jstr(struct ab_jrec *rec, const char *key, char *buf, size_t size)
{
	const struct ab_jfield *f = ab_jrec_get(rec, key);
	const char *s;
	size_t n;

	if (!f || f->type == AB_JNULL)
		return 0;
	if (f->type == AB_JNUMBER) {
		s = f->val;
		n = f->vlen;
	} else if (ab_jrec_str(rec, f, &s, &n)) {
		return -1;
	}
	if (n >= size || memchr(s, '\0', n))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 1;
}

int
pr_jnum(struct ab_jrec *rec, const char *key, double *out)
{
	const struct ab_jfield *f = ab_jrec_get(rec, key);
	const char *s;
	size_t n;

	if (!f || f->type == AB_JNULL)
		return 0;
	if (f->type == AB_JNUMBER)
		return ab_jfield_num(f, out) ? -1 : 1;
	if (f->type == AB_JTRUE || f->type == AB_JFALSE) {
		*out = f->type == AB_JTRUE;
		return 1;
	}
	if (ab_jrec_str(rec, f, &s, &n) || ab_parse_json_number(s, n, out))
		return -1;
	return 1;
}

static double
pow10i(int exp)
{
	double m = 1;
	while (exp-- > 0)
		m *= 10;
	return m;
}

double
pr_major(int64_t minor, int exp)
{
	return (double)minor / pow10i(exp);
}

int64_t
pr_round_minor(double major, int exp, enum pr_round how)
{
	double x = major * pow10i(exp);
	/* NaN, infinite or beyond int64 (a model's price of an absurd input): unknown */
	if (!(fabs(x) < 9.2e18))
		return PR_NONE;
	/* a model price a hair above a whole cent is that cent, not the next */
	double r = nearbyint(x);
	if (fabs(x - r) < 1e-6 * (fabs(x) > 1 ? fabs(x) : 1))
		return (int64_t)r;
	switch (how) {
	case PR_UP: return (int64_t)ceil(x);
	case PR_DOWN: return (int64_t)floor(x);
	default: return (int64_t)llround(x);
	}
}
