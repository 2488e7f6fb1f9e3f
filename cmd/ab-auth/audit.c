/* audit.c: list the audit log, verify its hash chain, print its head (the anchor). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "authcmd.h"
#include "crypto.h"
#include "err.h"
#include "timefmt.h"

static int
audit_list(struct authcmd *a)
{
	sqlite3_stmt *st;
	struct ab_jrec rec;
	char *actor = NULL;
	int rc, code;

	if ((code = authcmd_gate(a, AB_PERM_AUDIT_VIEW, &actor)))
		return code;
	free(actor);
	if ((code = ab_db_prepare(a->db, "SELECT seq, ts, actor, action, object, detail, hash FROM audit"
					 " WHERE ts >= ? ORDER BY seq", &st)))
		return code;
	sqlite3_bind_int64(st, 1, a->has_since ? a->since_ms : INT64_MIN);
	ab_jrec_init(&rec);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(st, 5);
		char *hex = ab_crypto_hex_encode(sqlite3_column_blob(st, 6), (size_t)sqlite3_column_bytes(st, 6));
		ab_out_begin(&a->out);
		ab_out_kstr(&a->out, "type", "audit");
		ab_out_kint(&a->out, "seq", sqlite3_column_int64(st, 0));
		ab_out_ktime(&a->out, "ts", sqlite3_column_int64(st, 1));
		ab_out_kstr(&a->out, "actor", (const char *)sqlite3_column_text(st, 2));
		ab_out_kstr(&a->out, "action", (const char *)sqlite3_column_text(st, 3));
		ab_out_kstr(&a->out, "object", (const char *)sqlite3_column_text(st, 4));
		/* detail is JSON we wrote; a row edited into non-JSON shows as a string. */
		if (detail && ab_jrec_parse(&rec, detail, strlen(detail)) == 0 && rec.compact)
			ab_out_kraw(&a->out, "detail", detail, strlen(detail));
		else
			ab_out_kstr(&a->out, "detail", detail ? detail : "");
		ab_out_kstr(&a->out, "hash", hex);
		ab_out_end(&a->out);
		free(hex);
	}
	ab_jrec_free(&rec);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ab_db_fail(a->db, rc, "read audit");
}

static int
head(struct ab_db *db, int64_t *seq, unsigned char h[32])
{
	sqlite3_stmt *st;
	int rc, code;

	*seq = 0;
	memset(h, 0, 32);
	if ((code = ab_db_prepare(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &st)))
		return code;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(h, sqlite3_column_blob(st, 1), 32);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ab_db_fail(db, rc, "read audit");
}

static int
audit_head(struct authcmd *a)
{
	unsigned char h[32];
	int64_t seq;
	char *hex;
	int code;

	if ((code = head(a->db, &seq, h)))
		return code;
	hex = ab_crypto_hex_encode(h, 32);
	ab_out_begin(&a->out);
	ab_out_kstr(&a->out, "type", "audit_head");
	ab_out_kint(&a->out, "seq", seq);
	ab_out_kstr(&a->out, "head", hex);
	ab_out_ktime(&a->out, "ts", ab_now_ms());
	ab_out_end(&a->out);
	free(hex);
	return 0;
}

/* Reads the anchor record {"seq":N,"head":"hex"} from file. */
static int
read_anchor(const char *file, int64_t *seq, unsigned char h[32])
{
	char buf[1024];
	struct ab_jrec rec;
	const char *s;
	size_t n;
	double d;
	unsigned char *raw;
	FILE *f = fopen(file, "r");
	int code = 0;

	if (!f)
		return ab_err(AB_ENOINPUT, "%s: %s", file, strerror(errno));
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	ab_jrec_init(&rec);
	if (ab_jrec_parse(&rec, buf, n) != 0 || ab_jfield_num(ab_jrec_get(&rec, "seq"), &d) != 0 || d < 0 ||
	    ab_jrec_str(&rec, ab_jrec_get(&rec, "head"), &s, &n) != 0 ||
	    !(raw = ab_crypto_hex_decode(s, n, &n)) || (n != 32 && (free(raw), 1))) {
		code = ab_err_at(AB_EDATA, file, 1, "not an audit_head record (make one with \"ab-auth audit head\")");
	} else {
		*seq = (int64_t)d;
		memcpy(h, raw, 32);
		free(raw);
	}
	ab_jrec_free(&rec);
	return code;
}

static int
problem(int *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
problem(int *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ab_verr(AB_EDATA, "audit", fmt, ap);
	va_end(ap);
	(*n)++;
	return 0;
}

static int
audit_verify(struct authcmd *a)
{
	unsigned char prev[32] = {0}, h[32], anchor_h[32];
	int64_t last = 0, rows = 0, anchor_seq = -1;
	int found_anchor = 0, bad = 0, rc, code;
	sqlite3_stmt *st;
	char *hex;

	if (a->anchor && (code = read_anchor(a->anchor, &anchor_seq, anchor_h)))
		return code;
	if ((code = ab_db_prepare(a->db, "SELECT seq, ts, actor, action, object, detail, prev, hash FROM audit"
					 " ORDER BY seq", &st)))
		return code;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0), ts = sqlite3_column_int64(st, 1);
		const char *actor = (const char *)sqlite3_column_text(st, 2);
		const char *action = (const char *)sqlite3_column_text(st, 3);
		const char *object = (const char *)sqlite3_column_text(st, 4);
		const char *detail = (const char *)sqlite3_column_text(st, 5);
		const void *rprev = sqlite3_column_blob(st, 6), *rhash = sqlite3_column_blob(st, 7);
		int plen = sqlite3_column_bytes(st, 6), hlen = sqlite3_column_bytes(st, 7);

		rows++;
		if (seq != last + 1)
			problem(&bad, last + 1 == seq - 1 ? "seq %lld: row %lld is missing (deleted)"
							  : "seq %lld: rows from %lld on are missing (deleted)",
				(long long)seq, (long long)(last + 1));
		if (plen != 32 || sodium_memcmp(rprev, prev, 32) != 0)
			problem(&bad, "seq %lld: does not link to the row before it (deleted or reordered rows)",
				(long long)seq);
		ab_auth_audit_hash(h, plen == 32 ? rprev : prev, seq, ts, actor ? actor : "", action ? action : "",
				   object ? object : "", detail ? detail : "");
		if (hlen != 32 || sodium_memcmp(h, rhash, 32) != 0)
			problem(&bad, "seq %lld: contents do not match its hash (edited)", (long long)seq);
		/* Chain on the stored hash, so one edit is reported once. */
		if (hlen == 32)
			memcpy(prev, rhash, 32);
		else
			memcpy(prev, h, 32);
		if (seq == anchor_seq) {
			found_anchor = 1;
			if (hlen != 32 || sodium_memcmp(rhash, anchor_h, 32) != 0)
				problem(&bad, "seq %lld: differs from the anchor's head (chain rewritten)",
					(long long)seq);
		}
		last = seq;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ab_db_fail(a->db, rc, "read audit");
	if (a->anchor && anchor_seq > 0 && !found_anchor)
		problem(&bad, "the anchor's row %lld is gone: the log ends at %lld (tail truncated)",
			(long long)anchor_seq, (long long)last);
	hex = ab_crypto_hex_encode(prev, 32);
	ab_out_begin(&a->out);
	ab_out_kstr(&a->out, "type", "audit_verify");
	ab_out_kbool(&a->out, "ok", bad == 0);
	ab_out_kint(&a->out, "rows", rows);
	ab_out_kint(&a->out, "problems", bad);
	ab_out_kint(&a->out, "seq", last);
	ab_out_kstr(&a->out, "head", hex);
	if (a->anchor)
		ab_out_kint(&a->out, "anchor_seq", anchor_seq);
	ab_out_end(&a->out);
	free(hex);
	return bad ? AB_EDATA : 0;
}

int
cmd_audit(struct authcmd *a)
{
	const char *sub = a->nargs ? a->args[0] : NULL;

	if (!sub)
		return audit_list(a);
	if (a->nargs == 1 && strcmp(sub, "verify") == 0)
		return audit_verify(a);
	if (a->nargs == 1 && strcmp(sub, "head") == 0)
		return audit_head(a);
	return ab_err(AB_EUSAGE, "audit: give nothing, verify or head");
}
