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

#include <gsl/gsl_cdf.h>

#include "order.h"

#define EULER_GAMMA 0.57721566490153286061

double
opt_expected_max_sr(double n, double var)
{
	if (!(n > 1) || !(var >= 0))
		return 0;
	return sqrt(var) * ((1 - EULER_GAMMA) * gsl_cdf_ugaussian_Pinv(1 - 1 / n) +
			    EULER_GAMMA * gsl_cdf_ugaussian_Pinv(1 - 1 / (n * M_E)));
}

double
opt_psr(double sr, double sr0, double t, double skew, double kurt)
{
	double d = 1 - skew * sr + (kurt - 1) / 4 * sr * sr;

	if (!isfinite(sr) || !isfinite(sr0) || !(t > 1) || !(d > 0))
		return NAN;
	return gsl_cdf_ugaussian_P((sr - sr0) * sqrt(t - 1) / sqrt(d));
}

double
opt_dsr(double sr, double n, double var, double t, double skew, double kurt)
{
	return opt_psr(sr, opt_expected_max_sr(n, var), t, skew, kurt);
}
