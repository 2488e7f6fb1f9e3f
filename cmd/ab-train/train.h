/* train.h: what ab-train's files share: options, the model record, JSON text.
 *
 * A model is what the registry stores: its JSON parts (hyper-parameters,
 * feature spec, normalisation statistics, metrics) as text, and the weights
 * blob with its SHA-256. Functions returning int return 0 or an exit code
 * after printing a message.
 */
#ifndef AB_TRAIN_TRAIN_H
#define AB_TRAIN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "db.h"
#include "jsonl.h"
#include "ppo.h"
#include "runs.h"
#include "trading.h"

/* A growable string for JSON text. */
struct sbuf {
	char *p;
	size_t n, cap;
};
void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_num(struct sbuf *b, double v);   /* shortest round-trip; NaN/inf: null */
void sb_str(struct sbuf *b, const char *s);
void sb_free(struct sbuf *b);

struct model {
	int64_t id, parent, created;
	char *name;
	int version;
	char *env, *hyper, *features, *norm, *train_metrics, *valid_metrics;
	unsigned char *weights;
	size_t nweights;
	char sha256[65];
};
void model_free(struct model *m);

/* Stores m as the next version of m->name (parent: the latest one); sets
 * m->id, version, created and sha256. The caller owns the transaction. */
int models_insert(struct ab_db *db, struct model *m);
/* Loads NAME, NAME@VERSION or NAME@TAG (NAME alone: the latest version);
 * 66 when there is no such model, 65 when the checksum does not match. */
int models_load(struct ab_db *db, const char *ref, struct model *m);
int models_cmd(struct ab_db *db, struct ab_out *out, char **args, int nargs);

/* The agent a model describes, with its weights and statistics loaded. */
int model_agent(const struct model *m, struct agent *a);
/* The feature spec and trading rules of a trading model. */
int model_trading(const struct model *m, struct feat_spec *spec, struct trade_rules *r);
/* jv helpers: a number field (def when absent), a string field (NULL). */
double jv_getnum(jv o, const char *key, double def);

#endif
