/* fuzz-jsonl: the JSON-lines record parser and writer on arbitrary bytes.
 * Checks: no crash; a parsed record written back parses again to the same
 * number of fields; decoded strings fit their raw length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ab_jrec rec, again;
	static struct ab_out out;
	static int init;
	char *line = malloc(size + 1);

	if (!init) {
		ab_jrec_init(&rec);
		ab_jrec_init(&again);
		ab_out_init(&out, -1, "fuzz");
		init = 1;
	}
	memcpy(line, data, size);
	line[size] = '\0';
	if (ab_jrec_parse(&rec, line, size) == 0) {
		for (int i = 0; i < rec.n; i++) {
			const char *s;
			size_t n;
			double d;
			if (ab_jrec_str(&rec, &rec.f[i], &s, &n) == 0 && n > rec.f[i].vlen)
				abort();
			ab_jfield_num(&rec.f[i], &d);
		}
		out.len = 0;
		ab_out_jrec(&out, &rec);
		/* The written record (without its newline) must parse back. */
		if (ab_jrec_parse(&again, out.buf, out.len - 1) != 0 || again.n != rec.n)
			abort();
		out.len = 0;
	}
	free(line);
	return 0;
}
