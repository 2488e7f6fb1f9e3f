/* fuzz-csv: ab-fetch csv (cmd/ab-fetch/csv.c: header roles, --columns,
 * RFC 4180 splitting, times, numbers, candle checks) on arbitrary files.
 * An input starting "#COLUMNS\n" runs with --columns COLUMNS. Checks: no
 * crash; the result is 0 or 65 (bad data), never anything else; a
 * successful run wrote one record per data row. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cmd/ab-fetch/csv.c"

/* The harness stores nothing: csv.c's only outside call. */
int
fetch_open_db(struct fetch *f, int required)
{
	(void)required;
	f->db = NULL;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1, null_fd = -1;
	char *cols = NULL, *args[1];
	struct fetch f;
	int code;

	if (fd < 0) {
		snprintf(path, sizeof path, "/tmp/fuzz-csv.%ld", (long)getpid());
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		null_fd = open("/dev/null", O_WRONLY);
		if (fd < 0 || null_fd < 0)
			abort();
		unlink(path);
		/* Reopened by name through /proc so ab_lines sees a plain file. */
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (size > 1 && data[0] == '#') {
		const uint8_t *nl = memchr(data, '\n', size);
		if (nl) {
			cols = strndup((const char *)data + 1, (size_t)(nl - data - 1));
			size -= (size_t)(nl + 1 - data);
			data = nl + 1;
		}
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();

	memset(&f, 0, sizeof f);
	f.exchange = "binance";
	f.symbol = "BTC/USDT";
	f.tf = "1h";
	f.columns = cols;
	args[0] = path;
	f.args = args;
	f.nargs = 1;
	ab_out_init(&f.out, null_fd, "stdout");
	code = fetch_csv(&f);
	if (code != 0 && code != AB_EDATA && code != AB_EUSAGE)
		abort();
	if (code == 0 && f.run.records_out != f.run.records_in)
		abort();
	ab_out_close(&f.out);
	free(cols);
	return 0;
}
