/* bench auth-verify: ab_auth_verify calls per second on tokens from a real
 * database (signature, claims, revocation and user lookups), and GCRA steps.
 *
 *   usage: auth-verify DB TOKEN... (built by scripts/bench-ab-auth)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "err.h"

static double
secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct ab_db *db;
	struct ab_auth_claims c;
	enum { N = 20000 };

	ab_err_prog = "bench-auth";
	if (argc < 3 || ab_db_open(argv[1], &db) != 0)
		return 64;
	for (int t = 2; t < argc; t++) {
		double best = 1e9;
		for (int round = 0; round < 3; round++) {
			double t0 = secs();
			for (int i = 0; i < N; i++) {
				if (ab_auth_verify(db, argv[t], NULL, 60, &c, NULL, 0) != 0)
					return 1;
				ab_auth_claims_free(&c);
			}
			double dt = secs() - t0;
			if (dt < best)
				best = dt;
		}
		char alg[16] = "";
		ab_auth_verify(db, argv[t], NULL, 60, &c, NULL, 0);
		snprintf(alg, sizeof alg, "%s", c.alg);
		ab_auth_claims_free(&c);
		printf("verify %s: %.0f tokens/s (%.1f us each, best of 3 x %d)\n", alg, N / best, best / N * 1e6, N);
	}
	struct ab_rate r = {4, 1, 1000};
	struct ab_rate_result o;
	double t0 = secs();
	ab_db_begin(db);
	for (int i = 0; i < N; i++)
		ab_auth_rate(db, "bench", &r, 1, &o);
	ab_db_commit(db);
	printf("rate limit (GCRA row in SQLite, one transaction): %.0f steps/s\n", N / (secs() - t0));
	ab_db_close(db);
	return 0;
}
