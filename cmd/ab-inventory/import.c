/* import.c: catalogues and orders from our JSONL, CSV, Shopify and WooCommerce files. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "err.h"
#include "inv.h"
#include "timefmt.h"

enum fmt { F_AUTO, F_JSONL, F_CSV, F_SHOPIFY_JSON, F_WOO_JSON };

enum item_kind { IT_PRODUCT, IT_ORDER, IT_RECEIPT };

struct item {
	enum item_kind kind;
	struct product p;          /* IT_PRODUCT */
	struct order o;            /* IT_ORDER */
	char *sku, *loc;           /* IT_RECEIPT */
	char *cost_text;           /* parsed once the product's currency is known */
	int64_t qty, cost, ts;
	const char *file;
	long lineno;
};

struct importer {
	struct inv *v;
	struct item *items;
	size_t n, cap;
	const char *file;          /* name for messages */
	const char *buf;           /* the whole file */
	size_t len;
	/* line counting for JSON documents */
	const char *lpos;
	long lline;
};

static struct item *
new_item(struct importer *im, enum item_kind kind, long lineno)
{
	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 256;
		im->items = ab_realloc(im->items, im->cap * sizeof *im->items);
	}
	struct item *it = &im->items[im->n++];
	memset(it, 0, sizeof *it);
	it->kind = kind;
	it->file = im->file;
	it->lineno = lineno;
	it->p.cost = it->p.price = it->p.on_hand = INV_NONE;
	it->p.backorder = -1;
	return it;
}

/* The line holding p, counting forwards from the last answer. */
static long
line_at(struct importer *im, const char *p)
{
	if (!im->lpos || p < im->lpos) {
		im->lpos = im->buf;
		im->lline = 1;
	}
	for (const char *q = im->lpos; q < p; q++)
		if (*q == '\n')
			im->lline++;
	im->lpos = p;
	return im->lline;
}

static int
read_all(const char *path, char **out, size_t *len)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY);
	size_t cap = 65536, n = 0;
	char *buf;
	ssize_t r;

	if (fd < 0)
		return ab_err(AB_ENOINPUT, "%s: %s", path, strerror(errno));
	buf = ab_malloc(cap + 1);
	while ((r = read(fd, buf + n, cap - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			if (fd)
				close(fd);
			return ab_err(AB_EIO, "%s: read: %s", path, strerror(e));
		}
		n += (size_t)r;
		if (n == cap) {
			cap *= 2;
			buf = ab_realloc(buf, cap + 1);
		}
	}
	if (fd)
		close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* ---- products common ---- */

static int
status_norm(const char *s, char **out)
{
	static const struct { const char *in, *out; } map[] = {
		{"active", "active"}, {"draft", "draft"}, {"archived", "archived"},
		{"publish", "active"}, {"pending", "draft"}, {"private", "draft"},
		{"unlisted", "active"}, {"true", "active"}, {"false", "draft"},
	};

	*out = NULL;
	if (!s || !*s)
		return 0;
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (strcasecmp(s, map[i].in) == 0) {
			*out = ab_strdup(map[i].out);
			return 0;
		}
	return -1;
}

/* ---- CSV ---- */

struct csvf {
	char *s;
	size_t n;
};

/* Parses the CSV record at *pos (RFC 4180: quoted fields may hold commas,
 * quotes and newlines), unquoting in place. Returns the number of fields,
 * 0 at the end, -1 on a broken quote. */
static int
csv_record(char *buf, size_t len, size_t *pos, struct csvf **fld, int *cap)
{
	size_t p = *pos;
	int n = 0;

	if (p >= len)
		return 0;
	for (;;) {
		if (n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*fld = ab_realloc(*fld, (size_t)*cap * sizeof **fld);
		}
		struct csvf *f = &(*fld)[n++];
		if (p < len && buf[p] == '"') {
			char *w = buf + p + 1;
			f->s = w;
			p++;
			for (;;) {
				if (p >= len)
					return -1;
				if (buf[p] == '"') {
					if (p + 1 < len && buf[p + 1] == '"') {
						*w++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				*w++ = buf[p++];
			}
			f->n = (size_t)(w - f->s);
			while (p < len && buf[p] != ',' && buf[p] != '\n' && buf[p] != '\r')
				p++; /* stray text after a closing quote is dropped */
		} else {
			f->s = buf + p;
			while (p < len && buf[p] != ',' && buf[p] != '\n')
				p++;
			f->n = (size_t)(buf + p - f->s);
			if (f->n && f->s[f->n - 1] == '\r')
				f->n--;
		}
		if (p < len && buf[p] == '\r')
			p++;
		if (p >= len || buf[p] == '\n') {
			*pos = p + 1;
			return n;
		}
		p++; /* the comma */
	}
}

enum col {
	C_SKU, C_HANDLE, C_TITLE, C_CATEGORY, C_TYPE, C_PCATEGORY, C_VENDOR, C_COST, C_PRICE,
	C_CURRENCY, C_STATUS, C_ON_HAND, C_LOCATION, C_BACKORDER, C_POLICY, C_CONTINUE,
	C_OPT1, C_OPT2, C_OPT3, C_GIFT, C_ON_HAND_CUR, NCOL
};

static const char *const col_names[NCOL][4] = {
	[C_SKU] = {"sku", "variant sku"},
	[C_HANDLE] = {"handle", "url handle"},
	[C_TITLE] = {"title"},
	[C_CATEGORY] = {"category"},
	[C_TYPE] = {"type"},
	[C_PCATEGORY] = {"product category"},
	[C_VENDOR] = {"vendor"},
	[C_COST] = {"cost", "cost per item"},
	[C_PRICE] = {"price", "variant price"},
	[C_CURRENCY] = {"currency"},
	[C_STATUS] = {"status"},
	[C_ON_HAND] = {"on hand", "variant inventory qty", "inventory quantity", "on hand (new)"},
	[C_LOCATION] = {"location"},
	[C_BACKORDER] = {"backorder"},
	[C_POLICY] = {"variant inventory policy"},
	[C_CONTINUE] = {"continue selling when out of stock"},
	[C_OPT1] = {"option1 value"},
	[C_OPT2] = {"option2 value"},
	[C_OPT3] = {"option3 value"},
	[C_GIFT] = {"gift card"},
	/* Shopify's inventory CSV: "On hand (new)" when filled in, else this */
	[C_ON_HAND_CUR] = {"on hand (current)"},
};

/* Header names match ignoring case, surrounding space, and '_' for ' '. */
static int
hdr_is(const struct csvf *f, const char *name)
{
	size_t i = 0, n = f->n;
	const char *s = f->s;

	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 3 && (unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbb && (unsigned char)s[2] == 0xbf)
		s += 3, n -= 3; /* a UTF-8 byte order mark */
	for (; name[i]; i++) {
		char c = i < n ? (char)tolower((unsigned char)s[i]) : '\0';
		if (c == '_')
			c = ' ';
		if (c != name[i])
			return 0;
	}
	return i == n;
}

static char *
fdup(const struct csvf *f)
{
	const char *s = f->s;
	size_t n = f->n;

	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return n ? ab_strndup(s, n) : NULL;
}

static int
import_csv(struct importer *im, char *buf, size_t len)
{
	struct csvf *fld = NULL;
	int cap = 0, col[NCOL], n, code = 0;
	size_t pos = 0, nhdr;
	long lineno = 1, next_line = 1;
	/* Shopify: continuation rows inherit the product's fields by handle. */
	char *handle = NULL, *title = NULL, *vendor = NULL, *category = NULL, *status = NULL;

	n = csv_record(buf, len, &pos, &fld, &cap);
	if (n <= 0) {
		free(fld);
		return n < 0 ? ab_err_at(AB_EDATA, im->file, 1, "unterminated quote") : 0;
	}
	for (const char *q = buf; q < buf + pos; q++)
		next_line += *q == '\n';
	nhdr = (size_t)n;
	for (int c = 0; c < NCOL; c++) {
		col[c] = -1;
		for (int k = 0; k < 4 && col_names[c][k]; k++)
			for (int i = 0; i < n && col[c] < 0; i++)
				if (hdr_is(&fld[i], col_names[c][k]))
					col[c] = i;
	}
	if (col[C_SKU] < 0 && col[C_HANDLE] < 0)
		code = ab_err_at(AB_EDATA, im->file, 1, "header has no \"SKU\", \"Variant SKU\" or \"Handle\" column");
	if (!code && col[C_TITLE] < 0)
		code = ab_err_at(AB_EDATA, im->file, 1, "header has no \"Title\" column");
	while (!code) {
		size_t start = pos;
		lineno = next_line;
		if ((n = csv_record(buf, len, &pos, &fld, &cap)) <= 0) {
			if (n < 0)
				code = ab_err_at(AB_EDATA, im->file, lineno, "unterminated quote");
			break;
		}
		for (size_t q = start; q < pos && q < len; q++)
			next_line += buf[q] == '\n';
		if (n == 1) {
			char *one = fdup(&fld[0]);
			if (!one)
				continue; /* a blank line */
			free(one);
		}
		if ((size_t)n > nhdr) {
			code = ab_err_at(AB_EDATA, im->file, lineno, "%d fields, the header has %zu", n, nhdr);
			break;
		}
		char *v[NCOL];
		for (int c = 0; c < NCOL; c++)
			v[c] = col[c] >= 0 && col[c] < n ? fdup(&fld[col[c]]) : NULL;
		if (!v[C_ON_HAND]) {
			v[C_ON_HAND] = v[C_ON_HAND_CUR];
			v[C_ON_HAND_CUR] = NULL;
		}
		/* Continuation rows of one Shopify product share its handle. */
		if (v[C_HANDLE] && (!handle || strcmp(handle, v[C_HANDLE]) != 0)) {
			free(handle);
			free(title);
			free(vendor);
			free(category);
			free(status);
			handle = ab_strdup(v[C_HANDLE]);
			title = v[C_TITLE] ? ab_strdup(v[C_TITLE]) : NULL;
			vendor = v[C_VENDOR] ? ab_strdup(v[C_VENDOR]) : NULL;
			const char *cat = v[C_CATEGORY] ? v[C_CATEGORY] : v[C_TYPE] ? v[C_TYPE] : v[C_PCATEGORY];
			category = cat ? ab_strdup(cat) : NULL;
			status = v[C_STATUS] ? ab_strdup(v[C_STATUS]) : NULL;
		}
		/* Image rows carry no variant; gift cards are not stock. */
		int image_row = (v[C_HANDLE] && !v[C_SKU] && !v[C_PRICE] && !v[C_OPT1]) ||
				(v[C_GIFT] && strcasecmp(v[C_GIFT], "true") == 0);
		if (!image_row) {
			struct item *it = new_item(im, IT_PRODUCT, lineno);
			struct product *p = &it->p;
			const char *cur = v[C_CURRENCY] ? v[C_CURRENCY] : im->v->currency;
			char opts[512] = "";
			for (int c = C_OPT1; c <= C_OPT3; c++)
				if (v[c] && strcmp(v[c], "Default Title") != 0)
					snprintf(opts + strlen(opts), sizeof opts - strlen(opts), "%s%s",
						 *opts ? " / " : "", v[c]);
			const char *t = v[C_TITLE] && !v[C_HANDLE] ? v[C_TITLE] : title;
			if (!ab_currency_valid(cur, strlen(cur))) {
				code = ab_err_at(AB_EDATA, im->file, lineno, "currency \"%s\" is not a code like USD", cur);
			} else if (!t) {
				code = ab_err_at(AB_EDATA, im->file, lineno, "the product has no title");
			} else {
				memcpy(p->currency, cur, 4);
				int exp = ab_currency_exp(p->currency);
				if (v[C_SKU])
					p->sku = ab_strdup(v[C_SKU]);
				else if (v[C_HANDLE]) {
					char s[600];
					snprintf(s, sizeof s, "%s%s%s", v[C_HANDLE], *opts ? "/" : "", opts);
					for (char *q = s; *q; q++)
						if (*q == ' ')
							memmove(q, q + 1, strlen(q));
					p->sku = ab_strdup(s);
				}
				if (*opts) {
					char s[1100];
					snprintf(s, sizeof s, "%s - %s", t, opts);
					p->title = ab_strdup(s);
				} else {
					p->title = ab_strdup(t);
				}
				const char *cat = v[C_HANDLE] ? category :
					v[C_CATEGORY] ? v[C_CATEGORY] : v[C_TYPE] ? v[C_TYPE] : v[C_PCATEGORY];
				p->category = cat ? ab_strdup(cat) : NULL;
				const char *ven = v[C_HANDLE] ? vendor : v[C_VENDOR];
				p->vendor = ven ? ab_strdup(ven) : NULL;
				const char *stat = v[C_HANDLE] ? status : v[C_STATUS];
				p->location = v[C_LOCATION] ? ab_strdup(v[C_LOCATION]) : NULL;
				if (!p->sku)
					code = ab_err_at(AB_EDATA, im->file, lineno, "the row has no SKU");
				else if (status_norm(stat, &p->status))
					code = ab_err_at(AB_EDATA, im->file, lineno, "status \"%s\" is not active, draft or archived", stat);
				else if (v[C_PRICE] && (ab_money_parse(v[C_PRICE], strlen(v[C_PRICE]), exp, &p->price) || p->price < 0))
					code = ab_err_at(AB_EDATA, im->file, lineno, "price \"%s\" is not an amount in %s", v[C_PRICE], p->currency);
				else if (v[C_COST] && (ab_money_parse(v[C_COST], strlen(v[C_COST]), exp, &p->cost) || p->cost < 0))
					code = ab_err_at(AB_EDATA, im->file, lineno, "cost \"%s\" is not an amount in %s", v[C_COST], p->currency);
				else if (v[C_ON_HAND] && inv_int_parse(v[C_ON_HAND], strlen(v[C_ON_HAND]), &p->on_hand))
					code = ab_err_at(AB_EDATA, im->file, lineno, "quantity \"%s\" is not a whole number", v[C_ON_HAND]);
				if (v[C_POLICY])
					p->backorder = strcasecmp(v[C_POLICY], "continue") == 0;
				const char *b = v[C_CONTINUE] ? v[C_CONTINUE] : v[C_BACKORDER];
				if (b)
					p->backorder = strcasecmp(b, "true") == 0 || strcmp(b, "1") == 0 ||
						       strcasecmp(b, "yes") == 0 || strcasecmp(b, "continue") == 0;
			}
		}
		for (int c = 0; c < NCOL; c++)
			free(v[c]);
	}
	free(handle);
	free(title);
	free(vendor);
	free(category);
	free(status);
	free(fld);
	return code;
}

/* ---- JSON helpers ---- */

/* Parses the object at key into child: 0 parsed, 1 absent or null, -1 otherwise. */
static int
sub(const struct ab_jrec *parent, const char *key, struct ab_jrec *child)
{
	const struct ab_jfield *f = ab_jrec_get(parent, key);

	if (!f || f->type == AB_JNULL)
		return 1;
	if (f->type != AB_JOBJECT)
		return -1;
	return ab_jrec_parse(child, f->val, f->vlen) ? -1 : 0;
}

static int
jstr_eq(struct ab_jrec *rec, const char *key, const char *s)
{
	return ab_jrec_str_eq(rec, key, s);
}

static int
jtime(struct ab_jrec *rec, const char *key, int64_t *ms)
{
	const struct ab_jfield *f = ab_jrec_get(rec, key);
	const char *s;
	size_t n;

	if (!f || f->type == AB_JNULL)
		return 1;
	if (f->type == AB_JNUMBER)
		return ab_time_parse(f->val, f->vlen, ms) ? -1 : 0;
	if (ab_jrec_str(rec, f, &s, &n) || ab_time_parse(s, n, ms))
		return -1;
	return 0;
}

/* Calls fn for the object at key (an object or an array of them). */
typedef int (*obj_fn)(struct importer *, struct ab_jrec *, long lineno);

static int
each(struct importer *im, const char *val, size_t vlen, obj_fn fn)
{
	struct ab_jrec rec;
	const char *el;
	size_t elen, pos = 0;
	int r, code = 0;

	ab_jrec_init(&rec);
	if (vlen && *val == '{') {
		if (ab_jrec_parse(&rec, val, vlen))
			code = ab_err_at(AB_EDATA, im->file, line_at(im, val), "%s", rec.err);
		else
			code = fn(im, &rec, line_at(im, val));
		ab_jrec_free(&rec);
		return code;
	}
	while (!code && (r = inv_jarray_next(val, vlen, &pos, &el, &elen)) == 1) {
		long lineno = line_at(im, el);
		if (ab_jrec_parse(&rec, el, elen))
			code = ab_err_at(AB_EDATA, im->file, lineno, "%s", rec.err);
		else
			code = fn(im, &rec, lineno);
	}
	if (!code && r < 0)
		code = ab_err_at(AB_EDATA, im->file, line_at(im, val), "not an array of objects");
	ab_jrec_free(&rec);
	return code;
}

/* ---- Shopify Admin REST ---- */

static struct product *cur_parent; /* the product whose variants are being read */

static int
shopify_variant(struct importer *im, struct ab_jrec *vr, long lineno)
{
	const struct product *pp = cur_parent;
	struct item *it = new_item(im, IT_PRODUCT, lineno);
	struct product *p = &it->p;
	char *vt = NULL;
	int present, exp = ab_currency_exp(pp->currency);

	memcpy(p->currency, pp->currency, 4);
	if (inv_jdup(vr, "sku", &p->sku) || !p->sku || !*p->sku) {
		free(p->sku);
		p->sku = NULL;
		if (inv_jdup(vr, "id", &p->sku) || !p->sku)
			return ab_err_at(AB_EDATA, im->file, lineno, "variant has neither \"sku\" nor \"id\"");
	}
	if (inv_jdup(vr, "title", &vt))
		return ab_err_at(AB_EDATA, im->file, lineno, "variant \"title\" is not a string");
	if (vt && *vt && strcmp(vt, "Default Title") != 0) {
		char s[1100];
		snprintf(s, sizeof s, "%s - %s", pp->title, vt);
		p->title = ab_strdup(s);
	} else {
		p->title = ab_strdup(pp->title);
	}
	free(vt);
	p->category = pp->category ? ab_strdup(pp->category) : NULL;
	p->vendor = pp->vendor ? ab_strdup(pp->vendor) : NULL;
	p->status = pp->status ? ab_strdup(pp->status) : NULL;
	if (ab_jmoney(vr, "price", exp, &p->price))
		return ab_err_at(AB_EDATA, im->file, lineno, "variant \"%s\": \"price\" is not an amount in %s", p->sku, p->currency);
	if (ab_jmoney(vr, "cost", exp, &p->cost))
		return ab_err_at(AB_EDATA, im->file, lineno, "variant \"%s\": \"cost\" is not an amount in %s", p->sku, p->currency);
	if (inv_jint(vr, "inventory_quantity", &p->on_hand, &present))
		return ab_err_at(AB_EDATA, im->file, lineno, "variant \"%s\": \"inventory_quantity\" is not a whole number", p->sku);
	if (!present)
		p->on_hand = INV_NONE;
	if (ab_jrec_get(vr, "inventory_policy"))
		p->backorder = jstr_eq(vr, "inventory_policy", "continue");
	return 0;
}

static int
shopify_product(struct importer *im, struct ab_jrec *rec, long lineno)
{
	struct product pp = {0};
	char *st = NULL;
	int code = 0;
	const struct ab_jfield *f;

	snprintf(pp.currency, sizeof pp.currency, "%s", im->v->currency);
	if (inv_jdup(rec, "title", &pp.title) || !pp.title)
		code = ab_err_at(AB_EDATA, im->file, lineno, "product has no \"title\"");
	else if (inv_jdup(rec, "product_type", &pp.category) || inv_jdup(rec, "vendor", &pp.vendor) ||
		 inv_jdup(rec, "status", &st))
		code = ab_err_at(AB_EDATA, im->file, lineno, "product \"%s\": a field is not a string", pp.title);
	else if (status_norm(st, &pp.status))
		code = ab_err_at(AB_EDATA, im->file, lineno, "product \"%s\": status \"%s\" is not active, draft or archived", pp.title, st);
	else if (pp.category && !*pp.category) {
		free(pp.category);
		pp.category = NULL;
	}
	if (!code) {
		if (!(f = ab_jrec_get(rec, "variants")) || f->type != AB_JARRAY)
			code = ab_err_at(AB_EDATA, im->file, lineno, "product \"%s\" has no \"variants\" array", pp.title);
		else {
			cur_parent = &pp;
			code = each(im, f->val, f->vlen, shopify_variant);
			cur_parent = NULL;
		}
	}
	free(st);
	inv_product_free(&pp);
	return code;
}

/* Shopify's financial and fulfillment statuses to our lifecycle. */
static enum ostatus
shopify_status(struct ab_jrec *rec, int *restock)
{
	const struct ab_jfield *c = ab_jrec_get(rec, "cancelled_at");

	*restock = jstr_eq(rec, "fulfillment_status", "restocked");
	if ((c && c->type != AB_JNULL) || jstr_eq(rec, "financial_status", "voided"))
		return OS_CANCELLED;
	if (jstr_eq(rec, "financial_status", "refunded"))
		return OS_REFUNDED;
	if (jstr_eq(rec, "fulfillment_status", "fulfilled"))
		return OS_FULFILLED;
	if (jstr_eq(rec, "financial_status", "paid") || jstr_eq(rec, "financial_status", "partially_refunded"))
		return OS_PAID;
	return OS_PENDING;
}

static enum ostatus
woo_status(struct ab_jrec *rec)
{
	static const struct { const char *s; enum ostatus o; } map[] = {
		{"pending", OS_PENDING}, {"on-hold", OS_PENDING}, {"processing", OS_PAID},
		{"completed", OS_FULFILLED}, {"cancelled", OS_CANCELLED}, {"failed", OS_CANCELLED},
		{"trash", OS_CANCELLED}, {"refunded", OS_REFUNDED},
	};

	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (jstr_eq(rec, "status", map[i].s))
			return map[i].o;
	return OS_NONE;
}

static struct order *cur_order;

static int
order_line(struct importer *im, struct ab_jrec *lr, long lineno)
{
	struct order *o = cur_order;
	char *sku = NULL;
	int64_t qty, price, total;
	int present, exp = ab_currency_exp(o->currency);

	if (inv_jdup(lr, "sku", &sku))
		return ab_err_at(AB_EDATA, im->file, lineno, "order \"%s\": line \"sku\" is not a string", o->id);
	if (!sku || !*sku) {
		free(sku); /* custom lines (tips, gift wrap) move no stock */
		return 0;
	}
	o->lines = ab_realloc(o->lines, (size_t)(o->nlines + 1) * sizeof *o->lines);
	struct oline *l = &o->lines[o->nlines++];
	l->sku = sku;
	l->cost = INV_NONE;
	if (inv_jint(lr, "quantity", &qty, &present) || !present || qty <= 0)
		return ab_err_at(AB_EDATA, im->file, lineno, "order \"%s\": \"%s\": \"quantity\" is not a positive whole number", o->id, sku);
	l->qty = qty;
	if (ab_jmoney(lr, "price", exp, &price) || price == INV_NONE) {
		/* WooCommerce's price is total / quantity as a float: use the total. */
		if (ab_jmoney(lr, "total", exp, &total) || total == INV_NONE)
			return ab_err_at(AB_EDATA, im->file, lineno, "order \"%s\": \"%s\": \"price\" is not an amount in %s", o->id, sku, o->currency);
		price = (total + qty / 2) / qty;
	}
	if (price < 0)
		return ab_err_at(AB_EDATA, im->file, lineno, "order \"%s\": \"%s\": negative price", o->id, sku);
	l->price = price;
	return 0;
}

static int
shop_order_common(struct importer *im, struct ab_jrec *rec, long lineno, int woo)
{
	struct item *it = new_item(im, IT_ORDER, lineno);
	struct order *o = &it->o;
	struct ab_jrec sub_rec;
	const struct ab_jfield *f;
	const char *s;
	size_t n;
	int code = 0;

	o->source = woo ? "woocommerce" : "shopify";
	o->file = im->file;
	o->lineno = lineno;
	if (inv_jdup(rec, "id", &o->id) || !o->id || !*o->id)
		return ab_err_at(AB_EDATA, im->file, lineno, "order has no \"id\"");
	if (jtime(rec, woo ? "date_created_gmt" : "created_at", &o->ts))
		return ab_err_at(AB_EDATA, im->file, lineno, "order \"%s\": \"%s\" is missing or not a time",
				 o->id, woo ? "date_created_gmt" : "created_at");
	f = ab_jrec_get(rec, "currency");
	if (ab_jrec_str(rec, f, &s, &n) || !ab_currency_valid(s, n))
		return ab_err_at(AB_EDATA, im->file, lineno, "order \"%s\": \"currency\" is missing or not a code like USD", o->id);
	memcpy(o->currency, s, 3);
	o->status = woo ? woo_status(rec) : shopify_status(rec, &o->restock);
	if (o->status == OS_NONE)
		return ab_err_at(AB_EDATA, im->file, lineno, "order \"%s\": unknown \"status\"", o->id);
	ab_jrec_init(&sub_rec);
	static const char *const who[2][2] = {{"email", "customer_id"}, {"customer_id", NULL}};
	if (sub(rec, woo ? "billing" : "customer", &sub_rec) == 0)
		inv_jdup(&sub_rec, "email", &o->customer);
	for (int k = 0; k < 2 && who[woo][k]; k++) {
		if (o->customer && (!*o->customer || strcmp(o->customer, "0") == 0)) {
			free(o->customer);
			o->customer = NULL;
		}
		if (!o->customer)
			inv_jdup(rec, who[woo][k], &o->customer);
	}
	if (o->customer && (!*o->customer || strcmp(o->customer, "0") == 0)) {
		free(o->customer);
		o->customer = NULL;
	}
	ab_jrec_free(&sub_rec);
	if (!(f = ab_jrec_get(rec, "line_items")) || f->type != AB_JARRAY)
		return ab_err_at(AB_EDATA, im->file, lineno, "order \"%s\" has no \"line_items\" array", o->id);
	cur_order = o;
	code = each(im, f->val, f->vlen, order_line);
	cur_order = NULL;
	if (!code && o->nlines == 0)
		code = ab_err_at(AB_EDATA, im->file, lineno, "order \"%s\" has no line with a SKU", o->id);
	return code;
}

static int
shopify_order(struct importer *im, struct ab_jrec *rec, long lineno)
{
	return shop_order_common(im, rec, lineno, 0);
}

static int
woo_order(struct importer *im, struct ab_jrec *rec, long lineno)
{
	return shop_order_common(im, rec, lineno, 1);
}

/* ---- WooCommerce REST v3 ---- */

static int
woo_product(struct importer *im, struct ab_jrec *rec, long lineno)
{
	struct item *it;
	struct product *p;
	char *st = NULL;
	const struct ab_jfield *f;
	int present, code = 0;

	if (ab_jrec_get(rec, "line_items"))
		return woo_order(im, rec, lineno);
	if (jstr_eq(rec, "type", "variable") || jstr_eq(rec, "type", "grouped") || jstr_eq(rec, "type", "external"))
		return 0; /* no stock of their own: import their variations */
	it = new_item(im, IT_PRODUCT, lineno);
	p = &it->p;
	memcpy(p->currency, im->v->currency, 4);
	int exp = ab_currency_exp(p->currency);
	if (inv_jdup(rec, "sku", &p->sku) || !p->sku || !*p->sku)
		return ab_err_at(AB_EDATA, im->file, lineno, "product has no \"sku\"");
	if (inv_jdup(rec, "name", &p->title))
		return ab_err_at(AB_EDATA, im->file, lineno, "\"%s\": \"name\" is not a string", p->sku);
	if (!p->title || !*p->title) {
		free(p->title);
		p->title = ab_strdup(p->sku);
	}
	if (inv_jdup(rec, "status", &st) || status_norm(st, &p->status))
		code = ab_err_at(AB_EDATA, im->file, lineno, "\"%s\": unknown \"status\"", p->sku);
	free(st);
	if (code)
		return code;
	if (ab_jmoney(rec, "regular_price", exp, &p->price) ||
	    (p->price == INV_NONE && ab_jmoney(rec, "price", exp, &p->price)))
		return ab_err_at(AB_EDATA, im->file, lineno, "\"%s\": \"regular_price\" is not an amount in %s", p->sku, p->currency);
	if ((f = ab_jrec_get(rec, "categories")) && f->type == AB_JARRAY) {
		struct ab_jrec c;
		const char *el;
		size_t elen, pos = 0;
		ab_jrec_init(&c);
		if (inv_jarray_next(f->val, f->vlen, &pos, &el, &elen) == 1 && ab_jrec_parse(&c, el, elen) == 0)
			inv_jdup(&c, "name", &p->category);
		ab_jrec_free(&c);
	}
	if (ab_jrec_get(rec, "manage_stock") && ab_jrec_get(rec, "manage_stock")->type == AB_JTRUE) {
		if (inv_jint(rec, "stock_quantity", &p->on_hand, &present))
			return ab_err_at(AB_EDATA, im->file, lineno, "\"%s\": \"stock_quantity\" is not a whole number", p->sku);
		if (!present)
			p->on_hand = INV_NONE;
	}
	if (ab_jrec_get(rec, "backorders"))
		p->backorder = !jstr_eq(rec, "backorders", "no");
	return 0;
}

/* ---- our JSONL ---- */

static int
jsonl_product(struct importer *im, struct ab_jrec *rec, long lineno)
{
	struct item *it = new_item(im, IT_PRODUCT, lineno);
	struct product *p = &it->p;
	const struct ab_jfield *f = ab_jrec_get(rec, "currency");
	const char *s;
	size_t n;
	char *st = NULL;
	int present, code = 0;

	if (f && f->type != AB_JNULL) {
		if (ab_jrec_str(rec, f, &s, &n) || !ab_currency_valid(s, n))
			return ab_err_at(AB_EDATA, im->file, lineno, "\"currency\" is not a code like USD");
		memcpy(p->currency, s, 3);
	} else {
		memcpy(p->currency, im->v->currency, 4);
	}
	int exp = ab_currency_exp(p->currency);
	if (inv_jdup(rec, "sku", &p->sku) || !p->sku || !*p->sku)
		return ab_err_at(AB_EDATA, im->file, lineno, "\"sku\" is missing or not a string");
	if (inv_jdup(rec, "title", &p->title) || !p->title || !*p->title)
		return ab_err_at(AB_EDATA, im->file, lineno, "\"%s\": \"title\" is missing or not a string", p->sku);
	if (inv_jdup(rec, "category", &p->category) || inv_jdup(rec, "vendor", &p->vendor) ||
	    inv_jdup(rec, "location", &p->location) || inv_jdup(rec, "status", &st))
		return ab_err_at(AB_EDATA, im->file, lineno, "\"%s\": a text field is not a string", p->sku);
	if (status_norm(st, &p->status))
		code = ab_err_at(AB_EDATA, im->file, lineno, "\"%s\": status \"%s\" is not active, draft or archived", p->sku, st);
	free(st);
	if (code)
		return code;
	if (ab_jmoney(rec, "price", exp, &p->price) || (p->price != INV_NONE && p->price < 0))
		return ab_err_at(AB_EDATA, im->file, lineno, "\"%s\": \"price\" is not an amount in %.3s", p->sku, p->currency);
	if (ab_jmoney(rec, "cost", exp, &p->cost) || (p->cost != INV_NONE && p->cost < 0))
		return ab_err_at(AB_EDATA, im->file, lineno, "\"%s\": \"cost\" is not an amount in %.3s", p->sku, p->currency);
	if (inv_jint(rec, "on_hand", &p->on_hand, &present))
		return ab_err_at(AB_EDATA, im->file, lineno, "\"%s\": \"on_hand\" is not a whole number", p->sku);
	if (!present)
		p->on_hand = INV_NONE;
	if ((f = ab_jrec_get(rec, "backorder")) && f->type != AB_JNULL)
		p->backorder = f->type == AB_JTRUE;
	return 0;
}

static int
jsonl_receipt(struct importer *im, struct ab_jrec *rec, long lineno)
{
	struct item *it = new_item(im, IT_RECEIPT, lineno);
	int present;

	if (inv_jdup(rec, "sku", &it->sku) || !it->sku || !*it->sku)
		return ab_err_at(AB_EDATA, im->file, lineno, "\"sku\" is missing or not a string");
	if (inv_jint(rec, "qty", &it->qty, &present) || !present || it->qty <= 0)
		return ab_err_at(AB_EDATA, im->file, lineno, "\"qty\" is not a positive whole number");
	if (inv_jdup(rec, "location", &it->loc))
		return ab_err_at(AB_EDATA, im->file, lineno, "\"location\" is not a string");
	it->ts = INV_NONE;
	if (jtime(rec, "ts", &it->ts) < 0)
		return ab_err_at(AB_EDATA, im->file, lineno, "\"ts\" is not a time");
	const struct ab_jfield *f = ab_jrec_get(rec, "cost");
	it->cost = INV_NONE;
	if (f && f->type != AB_JNULL) {
		if (f->type != AB_JNUMBER && f->type != AB_JSTRING)
			return ab_err_at(AB_EDATA, im->file, lineno, "\"cost\" is not an amount");
		char *c;
		inv_jdup(rec, "cost", &c);
		it->cost_text = c;
	}
	return 0;
}

static int
import_jsonl(struct importer *im, char *buf, size_t len)
{
	struct ab_jrec rec;
	char msg[200];
	long lineno = 0;
	int code = 0;

	ab_jrec_init(&rec);
	for (size_t pos = 0; pos < len && !code;) {
		char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len, n = end - pos;
		const char *line = buf + pos;
		lineno++;
		pos = end + 1;
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		if (ab_jrec_parse(&rec, line, n)) {
			code = ab_err_at(AB_EDATA, im->file, lineno, "%s", rec.err);
			break;
		}
		if (jstr_eq(&rec, "type", "product")) {
			code = jsonl_product(im, &rec, lineno);
		} else if (jstr_eq(&rec, "type", "receipt")) {
			code = jsonl_receipt(im, &rec, lineno);
		} else if (jstr_eq(&rec, "type", "shop_order")) {
			struct item *it = new_item(im, IT_ORDER, lineno);
			if (inv_order_from_jrec(&rec, &it->o, msg, sizeof msg)) {
				im->n--;
				code = ab_err_at(AB_EDATA, im->file, lineno, "%s", msg);
			}
			it->o.file = im->file;
			it->o.lineno = lineno;
		} else {
			code = ab_err_at(AB_EDATA, im->file, lineno, "\"type\" is not product, receipt or shop_order");
		}
	}
	ab_jrec_free(&rec);
	return code;
}

/* A JSON document: Shopify ({"products": ...}, {"orders": ...}, singular
 * forms) or WooCommerce (an array or one object of products or orders). */
static int
import_json(struct importer *im, enum fmt fmt)
{
	struct ab_jrec rec;
	const struct ab_jfield *f;
	int code;

	ab_jrec_init(&rec);
	const char *p = im->buf;
	while (p < im->buf + im->len && isspace((unsigned char)*p))
		p++;
	if (p < im->buf + im->len && *p == '[') {
		code = fmt == F_SHOPIFY_JSON ?
			ab_err_at(AB_EDATA, im->file, 1, "a Shopify file holds {\"products\": [...]} or {\"orders\": [...]}") :
			each(im, p, (size_t)(im->buf + im->len - p), woo_product);
	} else if (ab_jrec_parse(&rec, im->buf, im->len)) {
		code = ab_err_at(AB_EDATA, im->file, 1, "not one JSON document: %s", rec.err);
	} else if (fmt == F_SHOPIFY_JSON || ab_jrec_get(&rec, "products") || ab_jrec_get(&rec, "product") ||
		   ab_jrec_get(&rec, "orders") || ab_jrec_get(&rec, "order")) {
		if ((f = ab_jrec_get(&rec, "products")) || (f = ab_jrec_get(&rec, "product")))
			code = each(im, f->val, f->vlen, shopify_product);
		else if ((f = ab_jrec_get(&rec, "orders")) || (f = ab_jrec_get(&rec, "order")))
			code = each(im, f->val, f->vlen, shopify_order);
		else
			code = ab_err_at(AB_EDATA, im->file, 1, "no \"products\" or \"orders\" in the Shopify file");
	} else {
		code = woo_product(im, &rec, 1);
	}
	ab_jrec_free(&rec);
	return code;
}

static enum fmt
sniff(const char *path, const char *buf, size_t len)
{
	const char *dot = strrchr(path, '.');
	const char *p = buf;

	if (dot && strcmp(dot, ".csv") == 0)
		return F_CSV;
	if (dot && strcmp(dot, ".jsonl") == 0)
		return F_JSONL;
	while (p < buf + len && isspace((unsigned char)*p))
		p++;
	if (p < buf + len && *p == '[')
		return F_WOO_JSON;
	if (p < buf + len && *p == '{') {
		/* One record a line starts with {"type": ...; a document does not. */
		const char *q = p + 1;
		while (q < buf + len && isspace((unsigned char)*q))
			q++;
		if (strncmp(q, "\"type\"", 6) == 0)
			return F_JSONL;
		return F_AUTO; /* a JSON document, Shopify or WooCommerce by its keys */
	}
	return F_CSV;
}

/* Applies one item inside the import's transaction. */
static int
apply_item(struct importer *im, struct item *it)
{
	struct inv *v = im->v;
	int code = 0;

	if (it->kind == IT_PRODUCT) {
		if (!(code = inv_product_put(v, &it->p, v->now)) && !v->quiet)
			inv_product_out(v, &v->hold, &it->p);
	} else if (it->kind == IT_ORDER) {
		if (!(code = inv_order_apply(v, &it->o)) && !v->quiet)
			inv_order_out(v, &v->hold, &it->o);
	} else {
		struct product p;
		const char *loc = it->loc ? it->loc : v->location ? v->location : INV_DEFAULT_LOCATION;
		int64_t ts = it->ts != INV_NONE ? it->ts : v->now;
		if ((code = inv_product_get(v, it->sku, &p)) == 1)
			return ab_err_at(AB_EDATA, it->file, it->lineno, "unknown sku \"%s\"", it->sku);
		if (code)
			return code;
		int64_t cost = p.cost;
		if (it->cost_text && ab_money_parse(it->cost_text, strlen(it->cost_text), ab_currency_exp(p.currency), &cost))
			code = ab_err_at(AB_EDATA, it->file, it->lineno, "\"cost\" \"%s\" is not an amount in %s", it->cost_text, p.currency);
		if (!code && !(code = inv_location_ensure(v, loc, ts)))
			code = inv_move(v, ts, it->sku, loc, "receipt", it->qty, cost, INV_NONE, NULL, NULL);
		if (!code && !v->quiet) {
			ab_out_begin(&v->hold);
			ab_out_kstr(&v->hold, "type", "move");
			ab_out_kint(&v->hold, "id", sqlite3_last_insert_rowid(v->db->h));
			ab_out_ktime(&v->hold, "ts", ts);
			ab_out_kstr(&v->hold, "sku", it->sku);
			ab_out_kstr(&v->hold, "location", loc);
			ab_out_kstr(&v->hold, "kind", "receipt");
			ab_out_kint(&v->hold, "qty", it->qty);
			ab_out_kmoney(&v->hold, "unit_cost", cost, ab_currency_exp(p.currency));
			ab_out_kstr(&v->hold, "currency", p.currency);
			ab_out_end(&v->hold);
		}
		inv_product_free(&p);
	}
	return code;
}

static int
apply(struct importer *im)
{
	/* Products first, then receipts, then orders, whatever order the files
	 * came in: an order may name a product from a later file. */
	static const enum item_kind passes[] = {IT_PRODUCT, IT_RECEIPT, IT_ORDER};
	int code = 0;

	for (size_t k = 0; k < 3 && !code; k++)
		for (size_t i = 0; i < im->n && !code; i++)
			if (im->items[i].kind == passes[k])
				code = apply_item(im, &im->items[i]);
	return code;
}

int
inv_import(struct inv *v)
{
	struct importer im = {.v = v};
	enum fmt want = F_AUTO;
	char *stdin_name = "-";
	char **files = v->nargs ? v->args : &stdin_name;
	int nfiles = v->nargs ? v->nargs : 1, code = 0;
	char **bufs = ab_calloc((size_t)nfiles, sizeof *bufs);

	if (v->format) {
		if (strcmp(v->format, "jsonl") == 0)
			want = F_JSONL;
		else if (strcmp(v->format, "csv") == 0 || strcmp(v->format, "shopify-csv") == 0)
			want = F_CSV;
		else if (strcmp(v->format, "shopify-json") == 0)
			want = F_SHOPIFY_JSON;
		else if (strcmp(v->format, "woocommerce-json") == 0)
			want = F_WOO_JSON;
		else
			code = ab_err(AB_EUSAGE, "--format: \"%s\" is not jsonl, csv, shopify-csv, shopify-json or woocommerce-json", v->format);
	}
	/* Read and check every file before taking the write lock. */
	for (int i = 0; i < nfiles && !code; i++) {
		size_t len = 0;
		if ((code = read_all(files[i], &bufs[i], &len)))
			break;
		im.file = strcmp(files[i], "-") == 0 ? "stdin" : files[i];
		im.buf = bufs[i];
		im.len = len;
		im.lpos = NULL;
		enum fmt f = want != F_AUTO ? want : sniff(files[i], bufs[i], len);
		if (f == F_CSV)
			code = import_csv(&im, bufs[i], len);
		else if (f == F_JSONL)
			code = import_jsonl(&im, bufs[i], len);
		else
			code = import_json(&im, f);
	}
	v->run.records_in = (long long)im.n;
	if (!code && !(code = inv_hold_begin(v)) && !(code = ab_db_begin(v->db))) {
		code = apply(&im);
		if (code)
			ab_db_rollback(v->db);
		else if (!(code = ab_db_commit(v->db)))
			code = inv_hold_release(v, 1);
	}
	for (size_t i = 0; i < im.n; i++) {
		inv_product_free(&im.items[i].p);
		inv_order_free(&im.items[i].o);
		free(im.items[i].sku);
		free(im.items[i].loc);
		free(im.items[i].cost_text);
	}
	free(im.items);
	for (int i = 0; i < nfiles; i++)
		free(bufs[i]);
	free(bufs);
	return code;
}
