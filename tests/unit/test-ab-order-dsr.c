/* test-ab-order-dsr: ab-order's deflated Sharpe ratio against the worked
 * example of Bailey and López de Prado (2014), and its normal quantile. */
#include "../../cmd/ab-order/dsr.c"

#include "tap.h"

int
main(void)
{
	/* Known quantiles of the standard normal distribution. */
	ok(fabs(norm_quantile(0.975) - 1.959963984540054) < 1e-14, "Z^-1(0.975) = 1.959963984540054");
	ok(fabs(norm_quantile(0.99) - 2.3263478740408408) < 1e-14, "Z^-1(0.99) = 2.3263478740408408");
	ok(fabs(norm_quantile(1e-10) + 6.361340902404056) < 1e-12, "Z^-1(1e-10), the low tail");
	ok(fabs(norm_cdf(1.959963984540054) - 0.975) < 1e-15, "Z(1.96) = 0.975");
	for (double p = 0.001; p < 1; p += 0.0173)
		if (fabs(norm_cdf(norm_quantile(p)) - p) > 1e-15) {
			ok(0, "Z(Z^-1(%g)) = %g", p, p);
			break;
		}
	ok(1, "Z(Z^-1(p)) = p across (0, 1)");

	/* The expected maximum of N standard normal Sharpe ratios: about 1.57
	 * for N = 10 (Bailey, Borwein, López de Prado and Zhu, 2014). */
	ok(fabs(opt_expected_max_sr(10, 1) - 1.5745) < 5e-4, "E[max] of 10 trials = 1.575 (got %.6f)",
	   opt_expected_max_sr(10, 1));
	ok(opt_expected_max_sr(1, 1) == 0, "one trial: no selection, SR0 = 0");

	/* The paper's numerical example: an annualised Sharpe ratio of 2.5 over
	 * five years of daily returns (T = 1250, 250 a year), skewness -3,
	 * kurtosis 10, the best of N = 100 trials whose annualised Sharpe ratios
	 * vary with variance 1/2: SR0 = 0.1132 a day and DSR = 0.9004. */
	double v = 0.5 / 250, sr = 2.5 / sqrt(250);
	double sr0 = opt_expected_max_sr(100, v);
	ok(fabs(sr0 - 0.1132) < 5e-5, "SR0 = 0.1132 (got %.6f)", sr0);
	double dsr = opt_dsr(sr, 100, v, 1250, -3, 10);
	ok(fabs(dsr - 0.9004) < 5e-5, "DSR = 0.9004 (got %.6f)", dsr);
	/* With normal returns the deflation is milder. */
	ok(opt_dsr(sr, 100, v, 1250, 0, 3) > dsr, "normal returns deflate less than skewed, fat-tailed ones");
	/* More trials, a higher bar. */
	ok(opt_dsr(sr, 1000, v, 1250, -3, 10) < dsr, "more trials deflate more");
	ok(isnan(opt_psr(NAN, 0, 100, 0, 3)), "an undefined Sharpe ratio has no DSR");
	return tap_done();
}
