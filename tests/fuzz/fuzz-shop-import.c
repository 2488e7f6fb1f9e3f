/* fuzz-shop-import: ab-inventory import's readers (cmd/ab-inventory/
 * import.c: our JSONL, CSV and Shopify CSV, Shopify and WooCommerce JSON)
 * on arbitrary files, up to the point where the checked items would be
 * applied to the database. The first byte picks the format as --format
 * would (or sniffing from the name .csv, .jsonl, .json). Checks: no crash
 * or leak; a reader returns 0 or 65; after a 0 every item is whole (a
 * product has a SKU, a receipt a SKU and a quantity). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cmd/ab-inventory/import.c"
#include "../../cmd/ab-inventory/money.c"
#include "../../cmd/ab-inventory/ledger.c"
/* orders.c has its own struct item. */
#define item orders_item
#include "../../cmd/ab-inventory/orders.c"
#undef item

/* main.c's database and output plumbing: the readers never reach it. */
int inv_open_db(struct inv *v) { (void)v; abort(); }
int inv_hold_begin(struct inv *v) { (void)v; abort(); }
int inv_hold_release(struct inv *v, int ok) { (void)v, (void)ok; abort(); }
sqlite3_stmt *inv_stmt(struct inv *v, int which) { (void)v, (void)which; abort(); }

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = {"in.csv", "in.jsonl", "in.json", "in"};
	static const enum fmt fmts[] = {F_AUTO, F_JSONL, F_CSV, F_SHOPIFY_JSON, F_WOO_JSON};
	static char dir[64];
	char path[128], *buf = NULL;
	struct inv v;
	struct importer im;
	size_t len = 0;
	enum fmt f;
	int code, fd;

	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/fuzz-shop.%ld", (long)getpid());
		mkdir(dir, 0700);
	}
	if (size < 1)
		return 0;
	snprintf(path, sizeof path, "%s/%s", dir, names[data[0] & 3]);
	f = fmts[(data[0] >> 2) % 5];
	data++, size--;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    write(fd, data, size) != (ssize_t)size || close(fd))
		abort();

	memset(&v, 0, sizeof v);
	v.currency = "USD";
	v.now = 1700000000000LL;
	v.since = v.until = v.at = INV_NONE;
	memset(&im, 0, sizeof im);
	im.v = &v;
	if ((code = read_all(path, &buf, &len)))
		abort();
	im.file = path;
	im.buf = buf;
	im.len = len;
	if (f == F_AUTO)
		f = sniff(path, buf, len);
	if (f == F_CSV)
		code = import_csv(&im, buf, len);
	else if (f == F_JSONL)
		code = import_jsonl(&im, buf, len);
	else
		code = import_json(&im, f);
	if (code != 0 && code != AB_EDATA)
		abort();
	for (size_t i = 0; i < im.n; i++) {
		struct item *it = &im.items[i];
		if (code == 0 && ((it->kind == IT_PRODUCT && !it->p.sku) || (it->kind == IT_RECEIPT && !it->sku)))
			abort();
		inv_product_free(&it->p);
		inv_order_free(&it->o);
		free(it->sku);
		free(it->loc);
		free(it->cost_text);
	}
	free(im.items);
	free(buf);
	return 0;
}
