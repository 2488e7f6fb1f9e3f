/* models.c: the model registry (versions, tags, checksums, export/import). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "numfmt.h"
#include "timefmt.h"
#include "train.h"

void
sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->n;
		va_start(ap, fmt);
		int k = vsnprintf(b->p ? b->p + b->n : NULL, room, fmt, ap);
		va_end(ap);
		if ((size_t)k < room) {
			b->n += (size_t)k;
			return;
		}
		b->cap = (b->cap + (size_t)k + 1) * 2;
		b->p = ab_realloc(b->p, b->cap);
	}
}

void
sb_num(struct sbuf *b, double v)
{
	char buf[40];
	if (!isfinite(v)) {
		sb_add(b, "null");
		return;
	}
	buf[ab_fmt_double(v, buf)] = 0;
	sb_add(b, "%s", buf);
}

void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_add(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			sb_add(b, "\\u%04x", *s);
		else
			sb_add(b, "%c", *s);
	}
	sb_add(b, "\"");
}

void
sb_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

void
model_free(struct model *m)
{
	free(m->name);
	free(m->env);
	free(m->hyper);
	free(m->features);
	free(m->norm);
	free(m->train_metrics);
	free(m->valid_metrics);
	free(m->weights);
	memset(m, 0, sizeof *m);
}

static void
checksum(const struct model *m, char out[65])
{
	unsigned char h[AB_CRYPTO_SHA256_LEN];
	ab_crypto_sha256(h, m->weights, m->nweights);
	char *hex = ab_crypto_hex_encode(h, sizeof h);
	memcpy(out, hex, 65);
	free(hex);
}

int
models_insert(struct ab_db *db, struct model *m)
{
	sqlite3_stmt *st;
	int rc, code;

	if ((code = ab_db_prepare(db, "SELECT id, version FROM models WHERE name = ? "
				  "ORDER BY version DESC LIMIT 1", &st)))
		return code;
	sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
	m->version = 1;
	m->parent = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m->parent = sqlite3_column_int64(st, 0);
		m->version = sqlite3_column_int(st, 1) + 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ab_db_fail(db, rc, "reading models");
	if (!m->created)
		m->created = ab_now_ms();
	checksum(m, m->sha256);
	if ((code = ab_db_prepare(db, "INSERT INTO models (name, version, parent, created, env, hyper, "
				  "features, norm, train_metrics, valid_metrics, weights, sha256) "
				  "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", &st)))
		return code;
	sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, m->version);
	if (m->parent)
		sqlite3_bind_int64(st, 3, m->parent);
	sqlite3_bind_int64(st, 4, m->created);
	sqlite3_bind_text(st, 5, m->env, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, m->hyper, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, m->features, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, m->norm, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, m->train_metrics ? m->train_metrics : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, m->valid_metrics ? m->valid_metrics : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, m->weights, (int)m->nweights, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, m->sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ab_db_fail(db, rc, "storing the model");
	m->id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return ab_strdup(s ? (const char *)s : "");
}

#define MODEL_COLS "m.id, m.name, m.version, m.parent, m.created, m.env, m.hyper, m.features, " \
	"m.norm, m.train_metrics, m.valid_metrics, m.weights, m.sha256"

static void
model_from_row(sqlite3_stmt *st, struct model *m)
{
	memset(m, 0, sizeof *m);
	m->id = sqlite3_column_int64(st, 0);
	m->name = col_dup(st, 1);
	m->version = sqlite3_column_int(st, 2);
	m->parent = sqlite3_column_int64(st, 3);
	m->created = sqlite3_column_int64(st, 4);
	m->env = col_dup(st, 5);
	m->hyper = col_dup(st, 6);
	m->features = col_dup(st, 7);
	m->norm = col_dup(st, 8);
	m->train_metrics = col_dup(st, 9);
	m->valid_metrics = col_dup(st, 10);
	m->nweights = (size_t)sqlite3_column_bytes(st, 11);
	m->weights = ab_malloc(m->nweights + 1);
	if (m->nweights)
		memcpy(m->weights, sqlite3_column_blob(st, 11), m->nweights);
	const unsigned char *h = sqlite3_column_text(st, 12);
	snprintf(m->sha256, sizeof m->sha256, "%s", h ? (const char *)h : "");
}

/* Splits NAME@X into the name and the version or tag. */
static int
find(struct ab_db *db, const char *ref, struct model *m)
{
	char name[256];
	const char *at = strrchr(ref, '@');
	size_t n = at ? (size_t)(at - ref) : strlen(ref);
	sqlite3_stmt *st;
	int code, rc;

	if (n == 0 || n >= sizeof name)
		return ab_err(AB_EUSAGE, "\"%s\" is not NAME, NAME@VERSION or NAME@TAG", ref);
	memcpy(name, ref, n);
	name[n] = 0;
	const char *x = at ? at + 1 : NULL;
	char *end = NULL;
	long v = x ? strtol(x, &end, 10) : 0;
	if (!x)
		code = ab_db_prepare(db, "SELECT " MODEL_COLS " FROM models m WHERE m.name = ?1 "
				     "ORDER BY m.version DESC LIMIT 1", &st);
	else if (*x && end && !*end)
		code = ab_db_prepare(db, "SELECT " MODEL_COLS " FROM models m WHERE m.name = ?1 "
				     "AND m.version = ?2", &st);
	else
		code = ab_db_prepare(db, "SELECT " MODEL_COLS " FROM models m JOIN model_tags t "
				     "ON t.model_id = m.id WHERE t.name = ?1 AND t.tag = ?3", &st);
	if (code)
		return code;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, v);
	if (x)
		sqlite3_bind_text(st, 3, x, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		model_from_row(st, m);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return ab_err(AB_ENOINPUT, "%s: no such model", ref);
	if (rc != SQLITE_ROW)
		return ab_db_fail(db, rc, "reading models");
	return 0;
}

int
models_load(struct ab_db *db, const char *ref, struct model *m)
{
	int code = find(db, ref, m);
	if (code)
		return code;
	char sum[65];
	checksum(m, sum);
	if (strcmp(sum, m->sha256) != 0) {
		model_free(m);
		return ab_err(AB_EDATA, "%s: the weights do not match their checksum", ref);
	}
	return 0;
}

double
jv_getnum(jv o, const char *key, double def)
{
	jv v = jv_object_get(jv_copy(o), jv_string(key));
	double r = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : def;
	jv_free(v);
	return r;
}

static jv
parse(const char *s)
{
	return jv_parse(s && *s ? s : "{}");
}

int
model_agent(const struct model *m, struct agent *a)
{
	jv h = parse(m->hyper), n = parse(m->norm);
	int code = 0;

	if (jv_get_kind(h) != JV_KIND_OBJECT || jv_get_kind(n) != JV_KIND_OBJECT) {
		code = ab_err(AB_EDATA, "%s@%d: broken hyper-parameters", m->name, m->version);
		goto out;
	}
	/* every size within what ppo can train (--hidden 1..4096), checked
	 * against the weights before anything is allocated for them */
	int hidden[MLP_MAXL - 1], nh = 0, bad = 0;
	jv hl = jv_object_get(jv_copy(h), jv_string("hidden"));
	if (jv_get_kind(hl) == JV_KIND_ARRAY)
		for (int i = 0; i < jv_array_length(jv_copy(hl)) && !bad; i++) {
			jv e = jv_array_get(jv_copy(hl), i);
			double w = jv_get_kind(e) == JV_KIND_NUMBER ? jv_number_value(e) : 0;
			if (nh == MLP_MAXL - 1 || !(w >= 1 && w <= 4096) || w != floor(w))
				bad = 1;
			else
				hidden[nh++] = (int)w;
			jv_free(e);
		}
	jv_free(hl);
	double obs_d = jv_getnum(h, "obs_dim", 0), na_d = jv_getnum(h, "n_actions", 0);
	double ad_d = jv_getnum(h, "act_dim", 1);
	if (bad || nh < 1 || !(obs_d >= 1 && obs_d <= 100000) || !(na_d >= 0 && na_d <= 4096) ||
	    !(ad_d >= 1 && ad_d <= 4096) || obs_d != floor(obs_d) || na_d != floor(na_d) || ad_d != floor(ad_d)) {
		code = ab_err(AB_EDATA, "%s@%d: broken hyper-parameters", m->name, m->version);
		goto out;
	}
	int obs = (int)obs_d, na = (int)na_d, ad = (int)ad_d;
	struct mlp actor, critic;
	mlp_layout(&actor, obs, hidden, nh, na ? na : ad);
	mlp_layout(&critic, obs, hidden, nh, 1);
	size_t need = actor.nparams + (na ? 0 : (size_t)ad) + critic.nparams;
	if (m->nweights != need * sizeof(double)) {
		code = ab_err(AB_EDATA, "%s@%d: %zu bytes of weights, the layout needs %zu", m->name,
			      m->version, m->nweights, need * sizeof(double));
		goto out;
	}
	agent_init(a, obs, na, ad, hidden, nh, jv_getnum(h, "norm_obs", 0) != 0);
	memcpy(a->p, m->weights, m->nweights);
	jv mean = jv_object_get(jv_copy(n), jv_string("mean"));
	jv var = jv_object_get(jv_copy(n), jv_string("var"));
	if (jv_get_kind(mean) == JV_KIND_ARRAY && jv_get_kind(var) == JV_KIND_ARRAY &&
	    jv_array_length(jv_copy(mean)) == obs && jv_array_length(jv_copy(var)) == obs)
		for (int i = 0; i < obs; i++) {
			jv x = jv_array_get(jv_copy(mean), i), y = jv_array_get(jv_copy(var), i);
			a->obs_mean[i] = jv_get_kind(x) == JV_KIND_NUMBER ? jv_number_value(x) : 0;
			a->obs_var[i] = jv_get_kind(y) == JV_KIND_NUMBER ? jv_number_value(y) : 1;
			jv_free(x);
			jv_free(y);
		}
	jv_free(mean);
	jv_free(var);
	a->obs_count = jv_getnum(n, "count", 0);
out:
	jv_free(h);
	jv_free(n);
	return code;
}

int
model_trading(const struct model *m, struct feat_spec *spec, struct trade_rules *r)
{
	jv h = parse(m->hyper), f = parse(m->features);
	int code = 0;

	memset(spec, 0, sizeof *spec);
	memset(r, 0, sizeof *r);
	if (jv_get_kind(h) != JV_KIND_OBJECT || jv_get_kind(f) != JV_KIND_OBJECT) {
		jv_free(h);
		jv_free(f);
		return ab_err(AB_EDATA, "%s@%d: broken hyper-parameters or feature spec", m->name, m->version);
	}
	jv names = jv_object_get(jv_copy(f), jv_string("names"));
	if (jv_get_kind(names) != JV_KIND_ARRAY || jv_array_length(jv_copy(names)) < 1 ||
	    jv_array_length(jv_copy(names)) > FEAT_MAX) {
		code = ab_err(AB_EDATA, "%s@%d: not a trading model (no feature spec)", m->name, m->version);
	} else {
		spec->n = jv_array_length(jv_copy(names));
		for (int i = 0; i < spec->n; i++) {
			jv s = jv_array_get(jv_copy(names), i);
			snprintf(spec->name[i], sizeof spec->name[i], "%s",
				 jv_get_kind(s) == JV_KIND_STRING ? jv_string_value(s) : "?");
			jv_free(s);
		}
		/* the ranges of --window and --norm-window */
		double w = jv_getnum(f, "window", 1), nw = jv_getnum(f, "norm_window", 500);
		r->fee = jv_getnum(h, "fee", 0);
		r->slip = jv_getnum(h, "slippage", 0);
		r->fraction = jv_getnum(h, "fraction", 1);
		r->shorting = jv_getnum(h, "shorting", 0) != 0;
		r->continuous = jv_getnum(h, "continuous", 0) != 0;
		if (!(w >= 1 && w <= 1000) || !(nw >= 2 && nw <= 1000000))
			code = ab_err(AB_EDATA, "%s@%d: broken feature spec", m->name, m->version);
		spec->window = code ? 1 : (int)w;
		spec->norm_window = code ? 2 : (int)nw;
	}
	jv_free(names);
	jv_free(h);
	jv_free(f);
	return code;
}

/* The model as one JSON object: everything, weights in base64. */
static void
model_json(const struct model *m, struct sbuf *b, int with_weights)
{
	char ts[40];
	ts[ab_time_format(m->created, ts)] = 0;
	sb_add(b, "{\"type\":\"model\",\"name\":");
	sb_str(b, m->name);
	sb_add(b, ",\"version\":%d,\"created\":\"%s\",\"env\":", m->version, ts);
	sb_str(b, m->env);
	sb_add(b, ",\"hyper\":%s,\"features\":%s,\"norm\":%s,\"train\":%s,\"valid\":%s,"
	       "\"sha256\":\"%s\",\"bytes\":%zu", m->hyper, m->features, m->norm,
	       m->train_metrics, m->valid_metrics, m->sha256, m->nweights);
	if (with_weights) {
		char *w = ab_crypto_base64_encode(m->weights, m->nweights);
		sb_add(b, ",\"weights\":\"%s\"", w);
		free(w);
	}
	sb_add(b, "}\n");
}

static char *
jv_text(jv o, const char *key)
{
	jv v = jv_object_get(jv_copy(o), jv_string(key));
	char *s;
	if (jv_get_kind(v) == JV_KIND_STRING) {
		s = ab_strdup(jv_string_value(v));
		jv_free(v);
	} else if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv d = jv_dump_string(v, 0);
		s = ab_strdup(jv_string_value(d));
		jv_free(d);
	} else {
		jv_free(v);
		s = NULL;
	}
	return s;
}

static int
import(struct ab_db *db, struct ab_out *out, const char *file)
{
	struct model m = {0};
	int code = 0;
	char *text = NULL, why[160];
	size_t len = 0, cap = 0, k;
	FILE *fp = fopen(file, "rb");

	if (!fp)
		return ab_err(AB_ENOINPUT, "%s: %s", file, strerror(errno));
	do {
		if (cap - len < 65536)
			text = ab_realloc(text, cap = cap * 2 + 65536);
		len += k = fread(text + len, 1, cap - len, fp);
	} while (k > 0);
	if (ferror(fp))
		code = ab_err(AB_EIO, "%s: %s", file, strerror(errno));
	fclose(fp);
	/* checked first: libjq 1.6 leaks when its parser fails */
	if (!code && (len > INT32_MAX || ab_json_valid(text, len, why, sizeof why)))
		code = ab_err(AB_EDATA, "%s: expected one model record: %s", file, len > INT32_MAX ? "too big" : why);
	if (code) {
		free(text);
		return code;
	}
	jv o = jv_parse_sized(text, (int)len);
	free(text);
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		return ab_err(AB_EDATA, "%s: expected one model record", file);
	}
	m.name = jv_text(o, "name");
	m.env = jv_text(o, "env");
	m.hyper = jv_text(o, "hyper");
	m.features = jv_text(o, "features");
	m.norm = jv_text(o, "norm");
	m.train_metrics = jv_text(o, "train");
	m.valid_metrics = jv_text(o, "valid");
	char *w = jv_text(o, "weights"), *sum = jv_text(o, "sha256");
	if (!m.name || !m.env || !m.hyper || !m.features || !m.norm || !w || !sum) {
		code = ab_err(AB_EDATA, "%s: not an ab-train model export", file);
		goto out;
	}
	if (!m.train_metrics)
		m.train_metrics = ab_strdup("{}");
	if (!m.valid_metrics)
		m.valid_metrics = ab_strdup("{}");
	/* what the registry's readers rely on: a name NAME@VERSION can find,
	 * and JSON objects where the exports and listings print them raw */
	if (!*m.name || strlen(m.name) >= 256 || strchr(m.name, '@') || strspn(m.name, "0123456789") == strlen(m.name)) {
		code = ab_err(AB_EDATA, "%s: \"name\" must be 1 to 255 bytes without '@', not only digits", file);
		goto out;
	}
	if (strcmp(m.env, "cartpole") != 0 && strcmp(m.env, "trading") != 0) {
		code = ab_err(AB_EDATA, "%s: \"env\" is not cartpole or trading", file);
		goto out;
	}
	const char *part[] = {"hyper", "features", "norm", "train", "valid"};
	char *parts[] = {m.hyper, m.features, m.norm, m.train_metrics, m.valid_metrics};
	for (int i = 0; i < 5; i++) {
		jv t = ab_json_valid(parts[i], strlen(parts[i]), NULL, 0) ? jv_invalid() : jv_parse(parts[i]);
		int ok = jv_get_kind(t) == JV_KIND_OBJECT;
		jv_free(t);
		if (!ok) {
			code = ab_err(AB_EDATA, "%s: \"%s\" is not a JSON object", file, part[i]);
			goto out;
		}
	}
	m.weights = ab_crypto_base64_decode(w, strlen(w), &m.nweights);
	if (!m.weights) {
		code = ab_err(AB_EDATA, "%s: \"weights\" is not base64", file);
		goto out;
	}
	char got[65];
	checksum(&m, got);
	if (strcmp(got, sum) != 0) {
		code = ab_err(AB_EDATA, "%s: the weights do not match their checksum", file);
		goto out;
	}
	struct agent a;
	if ((code = model_agent(&m, &a)))
		goto out;
	/* the environment's shapes, as eval and act will use them */
	int obs = a.obs_dim, na = a.n_actions, shaped = a.act_dim == 1;
	agent_free(&a);
	if (strcmp(m.env, "cartpole") == 0) {
		shaped = shaped && obs == 4 && na == 2;
	} else {
		struct feat_spec spec;
		struct trade_rules r;
		if ((code = model_trading(&m, &spec, &r)))
			goto out;
		shaped = shaped && obs == trading_obs_dim(&spec) && na == (r.continuous ? 0 : r.shorting ? 3 : 2);
	}
	if (!shaped) {
		code = ab_err(AB_EDATA, "%s: the network's shape does not fit the %s environment", file, m.env);
		goto out;
	}
	if ((code = ab_db_begin(db)))
		goto out;
	if ((code = models_insert(db, &m)) || (code = ab_db_commit(db))) {
		ab_db_rollback(db);
		goto out;
	}
	struct sbuf b = {0};
	model_json(&m, &b, 0);
	ab_out_raw(out, b.p, b.n);
	sb_free(&b);
out:
	free(w);
	free(sum);
	model_free(&m);
	jv_free(o);
	return code;
}

int
models_cmd(struct ab_db *db, struct ab_out *out, char **args, int nargs)
{
	const char *sub = nargs > 0 ? args[0] : "list";
	struct model m = {0};
	sqlite3_stmt *st;
	int code = 0, rc;

	if (strcmp(sub, "list") == 0) {
		if ((code = ab_db_prepare(db, "SELECT m.name, m.version, m.created, m.env, m.sha256, "
					  "m.valid_metrics, m.train_metrics, (SELECT group_concat(tag, ',') FROM "
					  "model_tags t WHERE t.model_id = m.id), p.version "
					  "FROM models m LEFT JOIN models p ON p.id = m.parent "
					  "ORDER BY m.name, m.version", &st)))
			return code;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct sbuf b = {0};
			char ts[40];
			ts[ab_time_format(sqlite3_column_int64(st, 2), ts)] = 0;
			sb_add(&b, "{\"type\":\"model\",\"name\":");
			sb_str(&b, (const char *)sqlite3_column_text(st, 0));
			sb_add(&b, ",\"version\":%d", sqlite3_column_int(st, 1));
			if (sqlite3_column_type(st, 8) != SQLITE_NULL)
				sb_add(&b, ",\"parent\":%d", sqlite3_column_int(st, 8));
			sb_add(&b, ",\"created\":\"%s\",\"env\":", ts);
			sb_str(&b, (const char *)sqlite3_column_text(st, 3));
			sb_add(&b, ",\"sha256\":\"%s\",\"train\":%s,\"valid\":%s,\"tags\":[",
			       sqlite3_column_text(st, 4), sqlite3_column_text(st, 6), sqlite3_column_text(st, 5));
			const char *tags = (const char *)sqlite3_column_text(st, 7);
			if (tags) {
				char *t = ab_strdup(tags), *save = NULL;
				int first = 1;
				for (char *x = strtok_r(t, ",", &save); x; x = strtok_r(NULL, ",", &save)) {
					sb_add(&b, first ? "" : ",");
					sb_str(&b, x);
					first = 0;
				}
				free(t);
			}
			sb_add(&b, "]}\n");
			ab_out_raw(out, b.p, b.n);
			sb_free(&b);
		}
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? 0 : ab_db_fail(db, rc, "listing models");
	}
	if (strcmp(sub, "show") == 0 || strcmp(sub, "export") == 0) {
		int exp = strcmp(sub, "export") == 0;
		if (nargs != (exp ? 3 : 2))
			return ab_err(AB_EUSAGE, exp ? "usage: models export NAME[@V] FILE"
						     : "usage: models show NAME[@V]");
		if ((code = models_load(db, args[1], &m)))
			return code;
		struct sbuf b = {0};
		model_json(&m, &b, exp);
		if (exp) {
			FILE *fp = strcmp(args[2], "-") == 0 ? stdout : fopen(args[2], "w");
			if (!fp) {
				code = ab_err(AB_ECANTCREAT, "%s: %s", args[2], strerror(errno));
			} else {
				if (fp == stdout) {
					ab_out_raw(out, b.p, b.n);
				} else {
					fwrite(b.p, 1, b.n, fp);
					if (fclose(fp) != 0)
						code = ab_err(AB_EIO, "%s: %s", args[2], strerror(errno));
				}
			}
		} else {
			ab_out_raw(out, b.p, b.n);
		}
		sb_free(&b);
		model_free(&m);
		return code;
	}
	if (strcmp(sub, "rm") == 0 || strcmp(sub, "tag") == 0) {
		int tag = strcmp(sub, "tag") == 0;
		if (nargs != (tag ? 3 : 2) || !strchr(args[1], '@'))
			return ab_err(AB_EUSAGE, tag ? "usage: models tag NAME@V TAG" : "usage: models rm NAME@V");
		if (tag && (!args[2][0] || strspn(args[2], "0123456789") == strlen(args[2])))
			return ab_err(AB_EUSAGE, "\"%s\": a tag is a non-numeric name", args[2]);
		if ((code = find(db, args[1], &m)))
			return code;
		if ((code = ab_db_begin(db)))
			goto done;
		if (tag) {
			code = ab_db_prepare(db, "INSERT INTO model_tags (name, tag, model_id) VALUES (?,?,?) "
					     "ON CONFLICT (name, tag) DO UPDATE SET model_id = excluded.model_id", &st);
			if (!code) {
				sqlite3_bind_text(st, 1, m.name, -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 2, args[2], -1, SQLITE_STATIC);
				sqlite3_bind_int64(st, 3, m.id);
			}
		} else if (!(code = ab_db_prepare(db, "DELETE FROM models WHERE id = ?", &st))) {
			sqlite3_bind_int64(st, 1, m.id);
		}
		if (!code) {
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			if (rc != SQLITE_DONE)
				code = ab_db_fail(db, rc, tag ? "tagging the model" : "removing the model");
		}
		if (!code)
			code = ab_db_commit(db);
		if (code)
			ab_db_rollback(db);
done:
		model_free(&m);
		return code;
	}
	if (strcmp(sub, "import") == 0) {
		if (nargs != 2)
			return ab_err(AB_EUSAGE, "usage: models import FILE");
		return import(db, out, args[1]);
	}
	return ab_err(AB_EUSAGE, "models: unknown command \"%s\" (one of: list show rm tag export import)", sub);
}
