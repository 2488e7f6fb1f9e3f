/* fuzz-timefmt: time and duration parsing on arbitrary bytes; every parsed
 * time formats and parses back to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[AB_TIME_MAX], *s = malloc(size + 1);
	int64_t ms, back;

	memcpy(s, data, size);
	s[size] = '\0';
	if (ab_time_parse(s, size, &ms) == 0 && ms > -62135596800000LL && ms < 253402300800000LL) {
		ab_time_format(ms, buf);
		if (ab_time_parse_str(buf, &back) != 0 || back != ms)
			abort();
	}
	ab_duration_parse(s, &ms);
	free(s);
	return 0;
}
