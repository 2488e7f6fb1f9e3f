/* dsr.c: the deflated Sharpe ratio (Bailey and López de Prado, 2014).
 *
 * All Sharpe ratios here are per candle (not annualised). With N trials whose
 * Sharpe ratios vary with variance V, the best of N skill-less strategies is
 * expected to reach
 *   SR0 = sqrt(V) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))
 * (g: the Euler-Mascheroni constant), and the deflated Sharpe ratio is the
 * probabilistic Sharpe ratio of the winner against that benchmark:
 *   DSR = Z((SR - SR0) * sqrt(T - 1) / sqrt(1 - skew * SR + (kurt - 1) / 4 * SR^2))
 * over T returns with skewness skew and kurtosis kurt (3 when normal).
 */
#include <math.h>

#include "order.h"

#define EULER_GAMMA 0.57721566490153286061

/* The standard normal distribution from libm's erfc (GSL would pull in
 * OpenBLAS, whose threads cost a sweep more than these two functions). */
static double
norm_cdf(double x)
{
	return 0.5 * erfc(-x / M_SQRT2);
}

/* Acklam's rational approximation (relative error 1.15e-9), polished by one
 * Halley step on erfc to full double precision. */
static double
norm_quantile(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
				   1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
				   6.680131188771972e+01, -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
				   -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
				   3.754408661907416e+00};
	double q, r, x;

	if (!(p > 0 && p < 1))
		return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
	if (p < 0.02425) {
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else if (p > 1 - 0.02425) {
		q = sqrt(-2 * log(1 - p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	double e = norm_cdf(x) - p, u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

double
opt_expected_max_sr(double n, double var)
{
	if (!(n > 1) || !(var >= 0))
		return 0;
	return sqrt(var) * ((1 - EULER_GAMMA) * norm_quantile(1 - 1 / n) +
			    EULER_GAMMA * norm_quantile(1 - 1 / (n * M_E)));
}

double
opt_psr(double sr, double sr0, double t, double skew, double kurt)
{
	double d = 1 - skew * sr + (kurt - 1) / 4 * sr * sr;

	if (!isfinite(sr) || !isfinite(sr0) || !(t > 1) || !(d > 0))
		return NAN;
	return norm_cdf((sr - sr0) * sqrt(t - 1) / sqrt(d));
}

double
opt_dsr(double sr, double n, double var, double t, double skew, double kurt)
{
	return opt_psr(sr, opt_expected_max_sr(n, var), t, skew, kurt);
}
