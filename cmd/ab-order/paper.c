/* paper.c: paper trading that continues across runs from the database. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book.h"
#include "err.h"
#include "timefmt.h"

static void
copy_view(char *dst, size_t n, const char *s, size_t len)
{
	if (len >= n)
		len = n - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* Stores and prints what one candle did to a slot. */
static int
record_step(struct order_ctx *x, struct book *b, struct slot *s, const struct ab_candle *c,
	    const struct eng_step *step, const char *done_cid, int64_t done_id)
{
	int code = 0, i = 0;
	int64_t id;
	char cid[40], stop_portfolio[200];

	if (step->has_done) {
		if (step->done.reject) {
			code = book_update_order(b, done_id, "rejected", step->done.reject, 0, 0, NULL);
			book_out_order(&x->out, s, &step->done, done_cid, "rejected", step->done.reject, c->ts);
		} else {
			const struct eng_fill *f = &step->fills[i++];
			code = book_update_order(b, done_id, "filled", NULL, f->qty, f->price, NULL);
			if (!code)
				code = book_insert_fill(b, s, done_id, f, NULL);
			order_out_fill(&x->out, &s->e, f, done_cid);
		}
	}
	for (; i < step->nfills && !code; i++) {
		/* A stop's exit is its own order, filled at once. */
		const struct eng_fill *f = &step->fills[i];
		struct eng_order o = {.side = f->side, .qty = f->qty, .signal_ts = c->ts};
		snprintf(stop_portfolio, sizeof stop_portfolio, "%s:%s", b->portfolio, f->reason);
		order_client_id(cid, stop_portfolio, s->e.exchange, s->e.symbol, c->ts, f->side);
		if ((code = book_insert_order(b, s, &o, cid, "filled", f->reason, &id)))
			break;
		if (id) {
			code = book_update_order(b, id, "filled", NULL, f->qty, f->price, NULL);
			if (!code)
				code = book_insert_fill(b, s, id, f, NULL);
		}
		order_out_fill(&x->out, &s->e, f, cid);
	}
	if (step->decided && !code) {
		const struct eng_order *o = &step->decision;
		order_client_id(cid, b->portfolio, s->e.exchange, s->e.symbol, o->signal_ts, o->side);
		code = book_insert_order(b, s, o, cid, o->reject ? "rejected" : "new", o->reject, &id);
		if (code)
			return code;
		if (!id) {
			/* An earlier run placed this very order: never twice. */
			if (!o->reject && s->e.has_pending) {
				s->e.has_pending = 0;
				s->e.acct->open_orders--;
			}
			return 0;
		}
		book_out_order(&x->out, s, o, cid, o->reject ? "rejected" : "new", o->reject, c->ts);
		if (!o->reject) {
			memcpy(s->client_id, cid, sizeof cid);
			s->order_id = id;
		}
	}
	return code;
}

/* The input, read whole before the write lock is taken: paper trading must
 * not hold the database while the program feeding it (which may store
 * candles or signals in the same file) is still writing. */
struct held {
	char *text;
	size_t len, cap;
	struct held_line { const char *file; long lineno; size_t off, len; } *lines;
	size_t n, ncap;
};

static int
hold_input(struct order_ctx *x, struct held *h)
{
	struct ab_lines in;
	const char *line;
	size_t len;
	int r;

	ab_lines_init(&in, x->args, x->nargs);
	while ((r = ab_lines_next(&in, &line, &len)) == 1) {
		if (len == 0)
			continue;
		if (h->len + len + 1 > h->cap) {
			h->cap = (h->len + len + 1) * 2;
			h->text = ab_realloc(h->text, h->cap);
		}
		if (h->n == h->ncap) {
			h->ncap = h->ncap ? h->ncap * 2 : 1024;
			h->lines = ab_realloc(h->lines, h->ncap * sizeof *h->lines);
		}
		h->lines[h->n++] = (struct held_line){in.name, in.lineno, h->len, len};
		memcpy(h->text + h->len, line, len);
		h->len += len;
		h->text[h->len++] = '\0';
	}
	int code = r < 0 ? in.status : 0;
	ab_lines_free(&in);
	return code;
}

int
cmd_paper(struct order_ctx *x)
{
	struct held h = {0};
	struct ab_jrec rec;
	struct ab_candle c;
	struct book b = {0};
	char msg[256], exch[32], sym[40];
	int code;

	if ((code = order_open_db(x, 1)))
		return code;
	if ((code = hold_input(x, &h)))
		goto out_free;
	if ((code = ab_db_begin(x->db)))
		goto out_free;
	b.db = x->db;
	b.mode = "paper";
	b.portfolio = x->name ? x->name : "paper";
	b.cfg = &x->cfg;
	if ((code = book_load(&b)))
		goto out;
	ab_jrec_init(&rec);
	for (size_t i = 0; i < h.n; i++) {
		const char *line = h.text + h.lines[i].off, *file = h.lines[i].file;
		size_t len = h.lines[i].len;
		long lineno = h.lines[i].lineno;
		if (ab_jrec_parse(&rec, line, len)) {
			code = ab_err_at(AB_EDATA, file, lineno, "%s", rec.err);
			break;
		}
		int cr = ab_candle_from_jrec(&rec, &c, msg, sizeof msg);
		if (cr < 0) {
			code = ab_err_at(AB_EDATA, file, lineno, "%s", msg);
			break;
		}
		if (cr == 1) {
			ab_out_jrec(&x->out, &rec);
			continue;
		}
		x->run.records_in++;
		copy_view(exch, sizeof exch, c.exchange, c.exchange_len);
		copy_view(sym, sizeof sym, c.symbol, c.symbol_len);
		struct slot *s = book_slot(&b, exch, sym);
		if (!s) {
			code = ab_err_at(AB_EDATA, file, lineno, "too many markets in one portfolio");
			break;
		}
		/* Candles an earlier run already saw are not traded again. */
		if (c.ts <= s->e.last_ts)
			continue;
		int sig = order_signal(&rec);
		double atr = NAN;
		if (sig && x->cfg.size == SIZE_RISK &&
		    ab_jfield_num(ab_jrec_get(&rec, x->cfg.atr_field), &atr))
			atr = NAN;
		char done_cid[40];
		int64_t done_id = s->order_id;
		memcpy(done_cid, s->client_id, sizeof done_cid);
		struct eng_step step;
		eng_candle(&s->e, &c, sig, atr, &step);
		if ((code = record_step(x, &b, s, &c, &step, done_cid, done_id)))
			break;
		if (ab_out_failed(&x->out))
			break;
	}
	if (!code)
		code = book_save(&b);
	ab_jrec_free(&rec);
out:
	book_free(&b);
	if (code || ab_out_failed(&x->out))
		ab_db_rollback(x->db);
	else
		code = ab_db_commit(x->db);
out_free:
	free(h.text);
	free(h.lines);
	return code;
}
