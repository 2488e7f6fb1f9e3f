/* fuzz-rules: ab-signal's jq rules (cmd/ab-signal/rules.c) as they come from
 * the command line (--buy TEXT, --sell TEXT): compile any text, and evaluate
 * the compiled rule on a candle when the text cannot loop or blow up
 * (no parentheses, definitions, strings or multiplication: jq has no step
 * limit, so `repeat(.)` would only be a slow test). Checks: no crash or
 * leak; a compile is 0 or 64; an evaluation is -1, 0 or 1, with a message
 * on -1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/ab-signal/rules.c"

/* jq 1.6 (Debian's libjq) leaks a string token when its parser recovers
 * from a syntax error (`"s` leaks 21 bytes inside jq_parse): a bug in the
 * library, not in rules.c. LeakSanitizer's fast unwinder cannot see past
 * libjq's frames to suppress just that one, and the slow one makes this
 * harness 20 times slower, so leak checking is off here; rules.c's own
 * frees are checked by the ASan and valgrind runs of ab-signal's suite
 * (scripts/valgrind-check, which suppresses jq_parse's leak by name). */
const char *__asan_default_options(void) { return "detect_leaks=0"; }

static int
safe_to_run(const char *s)
{
	return !strpbrk(s, "()\";*[{@?") && !strstr(s, "def") && !strstr(s, "reduce") &&
	       !strstr(s, "foreach") && !strstr(s, "input") && !strstr(s, "tostring") &&
	       !strstr(s, "tojson") && !strstr(s, "env") && !strstr(s, "ENV") &&
	       !strstr(s, "$__");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static jv cur, prev;
	static int init;
	struct rule r = {0};
	char msg[512], *text;
	int code, fired;

	if (!init) {
		cur = jv_parse("{\"type\":\"candle\",\"ts\":\"2024-01-01T00:00:00Z\",\"open\":1,"
			       "\"high\":2,\"low\":0.5,\"close\":1.5,\"volume\":10,\"rsi_14\":28.5,"
			       "\"ema_12\":1.4,\"ema_26\":1.45,\"macd\":{\"hist\":-0.1}}");
		prev = jv_parse("{\"type\":\"candle\",\"close\":1.4,\"rsi_14\":31,\"ema_12\":1.5,"
				"\"ema_26\":1.45}");
		init = 1;
	}
	if (size > 2048)
		return 0;
	text = strndup((const char *)data, size);
	code = rule_compile(&r, "--buy", text);
	if (code != 0 && code != AB_EUSAGE)
		abort();
	if (code == 0 && safe_to_run(text)) {
		msg[0] = '\0';
		fired = rule_eval(&r, cur, prev, msg, sizeof msg);
		if (fired < -1 || fired > 1 || (fired == -1 && !msg[0]))
			abort();
	}
	rule_free(&r);
	free(text);
	return 0;
}
