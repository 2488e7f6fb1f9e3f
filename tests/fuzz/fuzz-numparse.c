/* fuzz-numparse: the JSON number parser agrees with strtod on everything it
 * accepts, and every double formats to text that parses back to its bits. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[AB_FMT_DOUBLE_MAX];
	double d, ref, back;

	memcpy(s, data, size);
	s[size] = '\0';
	if (ab_parse_json_number(s, size, &d) == 0) {
		ref = strtod(s, NULL);
		if (memcmp(&d, &ref, sizeof d) != 0)
			abort();
	}
	if (size >= 8) {
		memcpy(&d, data, 8);
		if (isfinite(d)) {
			size_t n = ab_fmt_double(d, buf);
			if (ab_parse_json_number(buf, n, &back) != 0 || memcmp(&d, &back, 8) != 0)
				abort();
		}
	}
	free(s);
	return 0;
}
