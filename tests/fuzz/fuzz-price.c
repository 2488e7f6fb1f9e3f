/* fuzz-price: ab-price's readers (cmd/ab-price/) on arbitrary input, run
 * for real against a scratch database: `sales` records through elasticity
 * (the reader and the fits), `elasticity` records through optimize,
 * `unsold` records through markdown, `price_rec` records through apply's
 * per-record check and write (rolled back), and the money parser. The
 * first byte picks the reader (and for markdown the planner); the rest is
 * the input. Checks: no crash, leak or undefined behaviour; a command
 * returns 0 or 65 (never 70: no database error from any input); money text
 * that parses formats back to text that parses to the same amount. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cmd/ab-price/apply.c"
#include "../../cmd/ab-price/elasticity.c"
#include "../../cmd/ab-price/markdown.c"
#include "../../cmd/ab-price/money.c"
#include "../../cmd/ab-price/optimize.c"

/* main.c's: the harness opens the database itself. */
int pr_open_db(struct price *v) { (void)v; abort(); }

#define NOW 1767225600000LL /* 2026-01-01 */

static struct ab_db *db;
static char path[96];

static void
setup(void)
{
	char dir[64], dbpath[96];

	snprintf(dir, sizeof dir, "/tmp/fuzz-price.%ld", (long)getpid());
	mkdir(dir, 0700);
	snprintf(dbpath, sizeof dbpath, "%s/db", dir);
	snprintf(path, sizeof path, "%s/in.jsonl", dir);
	unlink(dbpath);
	/* no fsync per input: a scratch database */
	if (ab_db_open(dbpath, &db) || ab_db_exec(db, "PRAGMA synchronous = OFF") ||
	    ab_db_exec(db, "INSERT INTO products(sku, title, category, cost, price, currency, created, updated) VALUES "
			   "('A', 'a', 'C', 500, 1000, 'USD', 0, 0), ('B', 'b', 'C', NULL, 250, 'USD', 0, 0), "
			   "('J', 'j', NULL, 300, 1000, 'JPY', 0, 0), ('K', 'k', 'D', 2000, 12345, 'KWD', 0, 0), "
			   "('N', 'n', NULL, NULL, NULL, 'EUR', 0, 0)"))
		abort();
}

static void
reset(void)
{
	if (db->in_tx)
		abort(); /* a command left its transaction open */
	if (ab_db_exec(db, "DELETE FROM price_recs; DELETE FROM elasticities; "
			   "INSERT INTO elasticities(scope, name, category, ts, elasticity, se, ci_lo, ci_hi, n, method) "
			   "VALUES ('sku', 'A', 'C', 0, -2.5, 0.3, -3.1, -1.9, 20, 'ols'), "
			   "('category', 'D', 'D', 0, -1.5, 0.2, -1.9, -1.1, 40, 'pooled')"))
		abort();
}

static void
money(const uint8_t *data, size_t size, int exp)
{
	int64_t v, w;
	char buf[40];

	if (ab_money_parse((const char *)data, size, exp, &v))
		return;
	size_t n = ab_money_format(v, exp, buf);
	if (n >= sizeof buf || strlen(buf) != n || ab_money_parse(buf, n, exp, &w) || w != v)
		abort();
}

/* apply's loop, with a fixed user and the transaction rolled back. */
static int
apply(struct price *v)
{
	struct input in;
	struct ab_jrec rec;
	int code, changed;

	if ((code = pr_input_read(v, &in)) || (code = ab_db_begin(v->db))) {
		pr_input_free(&in);
		return code;
	}
	ab_jrec_init(&rec);
	for (size_t i = 0; i < in.n && !code; i++) {
		size_t len = strlen(in.line[i]);
		if (len == 0)
			continue;
		if (ab_jrec_parse(&rec, in.line[i], len))
			code = AB_EDATA;
		else if (ab_jrec_str_eq(&rec, "type", "price_rec"))
			code = apply_one(v, &rec, in.file[i], in.lineno[i], "fuzz", &v->out, &changed);
	}
	ab_jrec_free(&rec);
	pr_input_free(&in);
	ab_db_rollback(v->db);
	return code;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *args[1];
	struct price v;
	int code;

	if (!db)
		setup();
	if (size < 1)
		return 0;
	int mode = data[0] % 8, bits = data[0] / 8;
	data++, size--;
	if (mode < 3) {
		money(data, size, mode == 0 ? 2 : mode == 1 ? 0 : 3);
		return 0;
	}
	FILE *fp = fopen(path, "w");
	if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp))
		abort();
	reset();
	memset(&v, 0, sizeof v);
	args[0] = path;
	v.args = args;
	v.nargs = 1;
	v.db = db;
	v.now = NOW;
	v.since = v.clear_by = v.until = PR_NONE;
	v.min_points = 3 + bits % 6;
	v.min_var = 0.02;
	v.season = bits % 3;
	v.min_margin = bits & 1 ? 0.2 : -1;
	v.max_change = bits & 2 ? 25 : -1;
	v.floor = bits & 4 ? "0.5" : NULL;
	v.steps = 1;
	v.objective = bits & 8 ? "revenue" : "profit";
	v.demand = bits & 16 ? "fixed" : "poisson";
	v.by = bits & 16 ? "category" : "sku";
	ab_out_init(&v.out, -1, "memory");
	switch (mode) {
	case 3:
	case 4:
		code = pr_elasticity(&v);
		break;
	case 5:
		code = pr_optimize(&v);
		break;
	case 6:
		v.clear_by = NOW + (1 + bits % 4) * 7 * PR_DAY_MS;
		v.steps = bits & 2 ? 1 + bits % 5 : 1;
		v.elasticity = bits & 4 ? -1.8 : 0;
		v.salvage = bits & 8 ? "0.25" : NULL;
		code = pr_markdown(&v);
		break;
	default:
		code = apply(&v);
		break;
	}
	ab_out_close(&v.out);
	if (code != 0 && code != AB_EDATA)
		abort();
	return 0;
}
