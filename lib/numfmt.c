/* numfmt.c: shortest round-trip doubles (Ryu) and exact JSON number parsing
 * (Clinger's fast path, then Eisel-Lemire, then strtod). */
#include "numfmt.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "numfmt_table.h"

__extension__ typedef unsigned __int128 u128; /* gcc and clang on 64-bit */

static const char digit_pairs[200] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static const uint64_t pow10_u64[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
	1000000000000ull, 10000000000000ull, 100000000000000ull,
	1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
	1000000000000000000ull, 10000000000000000000ull,
};

/* Number of decimal digits of v (1 for 0). */
static inline int
dec_len(uint64_t v)
{
	/* bit length * log10(2), then one compare fixes the guess; v | 1
	 * has as many digits as v (powers of ten are even) and is not 0 */
	v |= 1;
	int t = ((64 - __builtin_clzll(v)) * 1233) >> 12;
	return t + (v >= pow10_u64[t]);
}

/* Writes the decimal digits of v so that they end just before end. */
static inline void
put_digits(char *end, uint64_t v)
{
	while (v >= 100000000) {
		uint64_t q = v / 100000000;
		uint32_t r = (uint32_t)(v - q * 100000000);
		v = q;
		uint32_t hi = r / 10000, lo = r % 10000;
		memcpy(end - 2, digit_pairs + 2 * (lo % 100), 2);
		memcpy(end - 4, digit_pairs + 2 * (lo / 100), 2);
		memcpy(end - 6, digit_pairs + 2 * (hi % 100), 2);
		memcpy(end - 8, digit_pairs + 2 * (hi / 100), 2);
		end -= 8;
	}
	uint32_t n = (uint32_t)v;
	while (n >= 100) {
		memcpy(end - 2, digit_pairs + 2 * (n % 100), 2);
		n /= 100;
		end -= 2;
	}
	if (n >= 10)
		memcpy(end - 2, digit_pairs + 2 * n, 2);
	else
		end[-1] = (char)('0' + n);
}

size_t
ab_fmt_int(long long v, char *buf)
{
	char *p = buf;
	/* negate in unsigned arithmetic so LLONG_MIN works */
	uint64_t u = (uint64_t)v;
	if (v < 0) {
		*p++ = '-';
		u = 0 - u;
	}
	int n = dec_len(u);
	put_digits(p + n, u);
	p[n] = '\0';
	return (size_t)(p + n - buf);
}

/* ---- Ryu: binary to shortest decimal ---- */

/* ceil(log2(5^e)) for e > 0, 1 for e == 0; checked by the table script. */
static inline int
pow5bits(int e)
{
	return (int)(((uint32_t)e * 1217359) >> 19) + 1;
}

/* floor(log10(2^e)) and floor(log10(5^e)) for 0 <= e <= 1650. */
static inline int
log10_pow2(int e)
{
	return (int)(((uint32_t)e * 78913) >> 18);
}

static inline int
log10_pow5(int e)
{
	return (int)(((uint32_t)e * 732923) >> 20);
}

/* (m * mul) >> j for a 128-bit mul and j >= 64: exact, since the low
 * 64 bits of m * mul[low] only matter through their carry. */
static inline uint64_t
mul_shift(uint64_t m, const uint64_t *mul, int j)
{
	u128 lo = (u128)m * mul[1];
	u128 hi = (u128)m * mul[0];
	return (uint64_t)(((lo >> 64) + hi) >> (j - 64));
}

static inline int
pow5_factor(uint64_t v)
{
	int n = 0;
	while (v % 5 == 0) {
		v /= 5;
		n++;
	}
	return n;
}

static inline bool
multiple_of_pow5(uint64_t v, int p)
{
	return pow5_factor(v) >= p;
}

static inline bool
multiple_of_pow2(uint64_t v, int p)
{
	return (v & ((1ull << p) - 1)) == 0;
}

/* The shortest decimal m * 10^e that reads back to the positive finite
 * double (mant, bexp); the closest such one if several. */
static void
ryu(uint64_t mant, int bexp, uint64_t *out_m, int *out_e)
{
	int e2;
	uint64_t m2;
	/* two extra bits so the halfway bounds are integers */
	if (bexp == 0) {
		e2 = 1 - 1023 - 52 - 2;
		m2 = mant;
	} else {
		e2 = bexp - 1023 - 52 - 2;
		m2 = (1ull << 52) | mant;
	}
	/* round-half-even on input: an even mantissa owns its bounds */
	bool accept_bounds = (m2 & 1) == 0;
	uint64_t mv = 4 * m2;
	/* the gap below is half as wide at a power of two (not subnormal) */
	uint32_t mm_shift = mant != 0 || bexp <= 1;

	uint64_t vr, vp, vm;
	int e10;
	bool vm_tz = false, vr_tz = false;
	if (e2 >= 0) {
		int q = log10_pow2(e2) - (e2 > 3);
		e10 = q;
		int k = AB_RYU_POW5_INV_BITS + pow5bits(q) - 1;
		int i = -e2 + q + k;
		const uint64_t *mul = ab_ryu_pow5_inv[q];
		vr = mul_shift(mv, mul, i);
		vp = mul_shift(mv + 2, mul, i);
		vm = mul_shift(mv - 1 - mm_shift, mul, i);
		if (q <= 21) {
			/* exact quotients are possible only for small q; at most
			 * one of mv, mp, mm is a multiple of 5 */
			if (mv % 5 == 0)
				vr_tz = multiple_of_pow5(mv, q);
			else if (accept_bounds)
				vm_tz = multiple_of_pow5(mv - 1 - mm_shift, q);
			else
				vp -= multiple_of_pow5(mv + 2, q);
		}
	} else {
		int q = log10_pow5(-e2) - (-e2 > 1);
		e10 = q + e2;
		int i = -e2 - q;
		int k = pow5bits(i) - AB_RYU_POW5_BITS;
		int j = q - k;
		const uint64_t *mul = ab_ryu_pow5[i];
		vr = mul_shift(mv, mul, j);
		vp = mul_shift(mv + 2, mul, j);
		vm = mul_shift(mv - 1 - mm_shift, mul, j);
		if (q <= 1) {
			/* mv has two trailing zero bits; mm has one iff mm_shift */
			vr_tz = true;
			if (accept_bounds)
				vm_tz = mm_shift == 1;
			else
				vp--;
		} else if (q < 63) {
			vr_tz = multiple_of_pow2(mv, q);
		}
	}

	int removed = 0;
	uint64_t out;
	if (vm_tz || vr_tz) {
		/* rare (<1%): exact bounds or an exact tie need the slow walk */
		int last = 0;
		while (vp / 10 > vm / 10) {
			vm_tz &= vm % 10 == 0;
			vr_tz &= last == 0;
			last = (int)(vr % 10);
			vr /= 10;
			vp /= 10;
			vm /= 10;
			removed++;
		}
		if (vm_tz) {
			while (vm % 10 == 0) {
				vr_tz &= last == 0;
				last = (int)(vr % 10);
				vr /= 10;
				vp /= 10;
				vm /= 10;
				removed++;
			}
		}
		if (vr_tz && last == 5 && vr % 2 == 0)
			last = 4; /* exact tie: round half to even */
		out = vr + ((vr == vm && (!accept_bounds || !vm_tz)) || last >= 5);
	} else {
		/* Drop digits while vp and vm still differ above them. Short
		 * outputs (prices) drop ten or more, so take 8, 4, 2, 1 at a
		 * time: "vp / 10^k > vm / 10^k" only fails from some k on.
		 * With no exact tie possible here, rounding needs only the
		 * first dropped digit. */
		bool round_up = false;
		while (vp / 100000000 > vm / 100000000) {
			round_up = vr % 100000000 >= 50000000;
			vr /= 100000000;
			vp /= 100000000;
			vm /= 100000000;
			removed += 8;
		}
		if (vp / 10000 > vm / 10000) {
			round_up = vr % 10000 >= 5000;
			vr /= 10000;
			vp /= 10000;
			vm /= 10000;
			removed += 4;
		}
		if (vp / 100 > vm / 100) {
			round_up = vr % 100 >= 50;
			vr /= 100;
			vp /= 100;
			vm /= 100;
			removed += 2;
		}
		if (vp / 10 > vm / 10) {
			round_up = vr % 10 >= 5;
			vr /= 10;
			vp /= 10;
			vm /= 10;
			removed++;
		}
		out = vr + (vr == vm || round_up);
	}
	*out_m = out;
	*out_e = e10 + removed;
}

/* Writes sign, m * 10^e in JavaScript's Number#toString layout, and NUL. */
static size_t
fmt_decimal(char *buf, bool neg, uint64_t m, int e)
{
	char *p = buf;
	if (neg)
		*p++ = '-';
	while (m % 10 == 0) { /* defensive: layout needs no trailing zeros */
		m /= 10;
		e++;
	}
	int n = dec_len(m);
	int sci = e + n - 1;
	if (sci >= 21 || sci < -6) {
		/* d.ddde+x: write digits one to the right, pull the first back */
		put_digits(p + 1 + n, m);
		p[0] = p[1];
		if (n > 1) {
			p[1] = '.';
			p += n + 1;
		} else {
			p += 1;
		}
		*p++ = 'e';
		if (sci < 0) {
			*p++ = '-';
			sci = -sci;
		} else {
			*p++ = '+';
		}
		if (sci >= 100) {
			*p++ = (char)('0' + sci / 100);
			sci %= 100;
			memcpy(p, digit_pairs + 2 * sci, 2);
			p += 2;
		} else if (sci >= 10) {
			memcpy(p, digit_pairs + 2 * sci, 2);
			p += 2;
		} else {
			*p++ = (char)('0' + sci);
		}
	} else if (e >= 0) {
		/* an integer below 1e21: digits then zeros */
		put_digits(p + n, m);
		memset(p + n, '0', (size_t)e);
		p += n + e;
	} else if (sci >= 0) {
		/* ddd.ddd */
		put_digits(p + 1 + n, m);
		memmove(p, p + 1, (size_t)sci + 1);
		p[sci + 1] = '.';
		p += n + 1;
	} else {
		/* 0.000ddd */
		int z = -sci - 1;
		p[0] = '0';
		p[1] = '.';
		memset(p + 2, '0', (size_t)z);
		put_digits(p + 2 + z + n, m);
		p += 2 + z + n;
	}
	*p = '\0';
	return (size_t)(p - buf);
}

size_t
ab_fmt_double(double x, char *buf)
{
	uint64_t bits;
	memcpy(&bits, &x, sizeof bits);
	bool neg = bits >> 63;
	uint64_t mant = bits & ((1ull << 52) - 1);
	int bexp = (int)((bits >> 52) & 0x7ff);

	if (bexp == 0x7ff) {
		memcpy(buf, "null", 5);
		return 4;
	}
	if (bexp == 0 && mant == 0) {
		char *p = buf;
		if (neg)
			*p++ = '-';
		*p++ = '0';
		*p = '\0';
		return (size_t)(p - buf);
	}
	/* Integers below 2^53 (counts, sizes, whole prices) are their own
	 * shortest form: the gap between doubles there is at most 1. */
	int sh = 1023 + 52 - bexp;
	if (bexp != 0 && sh >= 0 && sh <= 52) {
		uint64_t m2 = (1ull << 52) | mant;
		if ((m2 & ((1ull << sh) - 1)) == 0) {
			uint64_t v = m2 >> sh;
			char *p = buf;
			if (neg)
				*p++ = '-';
			int n = dec_len(v);
			put_digits(p + n, v);
			p[n] = '\0';
			return (size_t)(p + n - buf);
		}
	}
	uint64_t m;
	int e;
	ryu(mant, bexp, &m, &e);
	return fmt_decimal(buf, neg, m, e);
}

/* ---- parsing ---- */

/* Doubles that hold 10^0 .. 10^22 exactly. */
static const double pow10_exact[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static inline double
from_bits(uint64_t b)
{
	double d;
	memcpy(&d, &b, sizeof d);
	return d;
}

/* Eisel-Lemire: w * 10^q correctly rounded, as IEEE bits without the sign,
 * for 0 < w < 2^64. Returns false in the (very rare, possibly empty) cases
 * where 128 bits of 5^q cannot decide; the caller then asks strtod. */
static bool
eisel_lemire(uint64_t w, int q, uint64_t *out)
{
	if (q < AB_LEMIRE_MIN_Q) {
		*out = 0;
		return true;
	}
	if (q > AB_LEMIRE_MAX_Q) {
		*out = 0x7ffull << 52;
		return true;
	}
	int lz = __builtin_clzll(w);
	w <<= lz;
	const uint64_t *p5 = ab_lemire_pow5[q - AB_LEMIRE_MIN_Q];
	u128 prod = (u128)w * p5[0];
	uint64_t hi = (uint64_t)(prod >> 64), lo = (uint64_t)prod;
	/* The bits below the 54 we keep are all ones: a carry from the low
	 * half of 5^q could still reach them, so add it in. */
	if ((hi & 0x1ff) == 0x1ff) {
		u128 prod2 = (u128)w * p5[1];
		uint64_t hi2 = (uint64_t)(prod2 >> 64);
		lo += hi2;
		if (lo < hi2)
			hi++;
		/* still all ones beyond 128 bits of 5^q: truncation may hide a
		 * carry; exact when 5^q fits the table (q in [-27, 55]) */
		if (lo == UINT64_MAX && (q < -27 || q > 55))
			return false;
	}
	int upper = (int)(hi >> 63);
	int shift = upper + 64 - 52 - 3;
	uint64_t mant = hi >> shift;
	/* binary exponent: floor(q * log2(10)) + 63, biased */
	int p2 = (int)(((int64_t)217706 * q) >> 16) + 63 + upper - lz + 1023;
	if (p2 <= 0) {
		/* subnormal: shift into place, then round half up... */
		if (-p2 + 1 >= 64) {
			*out = 0;
			return true;
		}
		mant >>= -p2 + 1;
		mant += mant & 1;
		mant >>= 1;
		/* ...which may carry into the smallest normal */
		*out = mant < (1ull << 52) ? mant : (1ull << 52);
		return true;
	}
	/* an exact tie (product ends in ...1000...): round to even, not up */
	if (lo <= 1 && q >= -4 && q <= 23 && (mant & 3) == 1 &&
	    (mant << shift) == hi)
		mant &= ~1ull;
	mant += mant & 1;
	mant >>= 1;
	if (mant >= (2ull << 52)) {
		mant = 1ull << 52;
		p2++;
	}
	mant &= ~(1ull << 52);
	if (p2 >= 0x7ff) {
		*out = 0x7ffull << 52;
		return true;
	}
	*out = mant | (uint64_t)p2 << 52;
	return true;
}

/* strtod on a NUL-terminated copy: s[0..len) is already known valid. */
static double
parse_slow(const char *s, size_t len)
{
	char small[256], *buf = small;
	if (len >= sizeof small)
		buf = ab_malloc(len + 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	double d = strtod(buf, NULL);
	if (buf != small)
		free(buf);
	return d;
}

static inline bool
is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

int
ab_parse_json_number(const char *s, size_t len, double *out)
{
	const char *p = s, *end = s + len;
	bool neg = false;
	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	if (p == end || !is_digit(*p))
		return -1;

	/* The first 19 significant digits go into w; exp10 scales w. Any
	 * later digit only sets trunc (if nonzero) and, left of the point,
	 * bumps exp10. */
	uint64_t w = 0;
	int nd = 0;
	int64_t exp10 = 0;
	bool trunc = false;
	if (*p == '0') {
		p++;
		if (p < end && is_digit(*p))
			return -1; /* leading zero */
	} else {
		for (; p < end && is_digit(*p); p++) {
			if (nd < 19) {
				w = w * 10 + (uint64_t)(*p - '0');
				nd++;
			} else {
				trunc |= *p != '0';
				exp10++;
			}
		}
	}
	if (p < end && *p == '.') {
		p++;
		if (p == end || !is_digit(*p))
			return -1;
		for (; p < end && is_digit(*p); p++) {
			if (nd < 19) {
				w = w * 10 + (uint64_t)(*p - '0');
				nd += w != 0; /* zeros before the first nonzero digit are not significant */
				exp10--;
			} else {
				trunc |= *p != '0';
			}
		}
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		bool eneg = false;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p == end || !is_digit(*p))
			return -1;
		int64_t ex = 0;
		for (; p < end && is_digit(*p); p++)
			if (ex < 100000000) /* saturate: past this it is 0 or inf anyway */
				ex = ex * 10 + (*p - '0');
		exp10 += eneg ? -ex : ex;
	}
	if (p != end)
		return -1;

	double d;
	if (w == 0) {
		d = 0.0;
	} else if (!trunc && w <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
		/* Clinger: both operands exact, so one IEEE operation rounds
		 * correctly */
		d = (double)w;
		d = exp10 < 0 ? d / pow10_exact[-exp10] : d * pow10_exact[exp10];
	} else if (!trunc && exp10 > 22 && exp10 <= 22 + 15 &&
	    w <= (1ull << 53) / pow10_u64[exp10 - 22]) {
		/* still exact: move the excess powers of ten into w first */
		d = (double)(w * pow10_u64[exp10 - 22]) * 1e22;
	} else {
		/* the value lies in [w, w+1) * 10^q when digits were dropped:
		 * settled if both ends round to the same double */
		int q = exp10 < -100000 ? -100000 : exp10 > 100000 ? 100000 : (int)exp10;
		uint64_t bits, bits2;
		if (eisel_lemire(w, q, &bits) &&
		    (!trunc || (eisel_lemire(w + 1, q, &bits2) && bits2 == bits)))
			d = from_bits(bits);
		else
			d = parse_slow(s + neg, len - neg);
	}
	*out = neg ? -d : d;
	return isinf(d) ? -2 : 0;
}
