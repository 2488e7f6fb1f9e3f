/* test-jsonl: the JSON-lines parser, string escapes and unicode, the writer. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "jsonl.h"
#include "tap.h"

static struct ab_jrec rec;

static int
parse(const char *s)
{
	return ab_jrec_parse(&rec, s, strlen(s));
}

static void
accepts(const char *s)
{
	int r = parse(s);

	ok(r == 0, "accept %s%s%s", s, r ? " -- " : "", r ? rec.err : "");
}

static void
rejects(const char *s, size_t n, const char *why)
{
	int r = ab_jrec_parse(&rec, s, n);

	ok(r != 0 && strstr(rec.err, why), "reject (%s): got \"%s\"", why, rec.err);
}

#define REJECT(lit, why) rejects(lit, sizeof lit - 1, why)

/* Captures what an ab_out writes, through a pipe. */
static char captured[1 << 16];

static const char *
capture(void (*fn)(struct ab_out *))
{
	int fd[2];
	struct ab_out o;
	ssize_t n;

	if (pipe(fd))
		return "";
	ab_out_init(&o, fd[1], "pipe");
	fn(&o);
	ab_out_close(&o);
	close(fd[1]);
	n = read(fd[0], captured, sizeof captured - 1);
	close(fd[0]);
	captured[n > 0 ? n : 0] = '\0';
	return captured;
}

static void
write_escapes(struct ab_out *o)
{
	ab_out_begin(o);
	ab_out_kstr(o, "s", "a\"b\\c\n\t\x01/\xc3\xa9");
	ab_out_knum(o, "x", 0.1 + 0.2);
	ab_out_knum(o, "n", 0.0 / 0.0);
	ab_out_kint(o, "i", -9007199254740993LL);
	ab_out_ktime(o, "ts", 1704067200123LL);
	ab_out_kbool(o, "b", 1);
	ab_out_knull(o, "z");
	ab_out_end(o);
}

static const char *const skip_sma[] = {"sma_3"};

static void
write_spaced(struct ab_out *o)
{
	parse(" { \"a\" : [1, 2, {\"k\": \"v w\"}] , \"sma_3\": 5, \"b\":\"x y\" } ");
	ab_out_begin_from(o, &rec, skip_sma, 1);
	ab_out_knum(o, "sma_3", 6.5);
	ab_out_end(o);
}

static void
write_compact(struct ab_out *o)
{
	parse("{\"type\":\"candle\",\"close\":1.50}");
	ab_out_begin_from(o, &rec, skip_sma, 1);
	ab_out_knum(o, "sma_3", 2);
	ab_out_end(o);
	parse("{}");
	ab_out_begin_from(o, &rec, NULL, 0);
	ab_out_knum(o, "a", 1);
	ab_out_end(o);
}

int
main(void)
{
	const char *s;
	size_t n;
	double d;

	ab_jrec_init(&rec);
	accepts("{}");
	accepts("{\"a\":1}");
	accepts("  {\"a\" : [1, {\"b\": null}], \"c\": true, \"d\": false}  ");
	accepts("{\"u\":\"\\u00e9\\ud83d\\ude00 \xf0\x9f\x98\x80 \xe2\x82\xac\"}");
	accepts("{\"n\":-0.5e-3,\"m\":1E+2,\"z\":0}");
	REJECT("[1,2]", "not a JSON object");
	REJECT("42", "not a JSON object");
	REJECT("", "empty line");
	REJECT("{\"a\":1}{\"b\":2}", "more than one JSON value");
	REJECT("{\"a\":1} 2", "more than one JSON value");
	REJECT("{\"a\":1,}", "expected a string key");
	REJECT("{\"a\" 1}", "expected ':'");
	REJECT("{a:1}", "expected a string key");
	REJECT("{\"a\":01}", "expected ',' or '}'");
	REJECT("{\"a\":1.}", "invalid number");
	REJECT("{\"a\":.5}", "invalid number");
	REJECT("{\"a\":+1}", "invalid number");
	REJECT("{\"a\":NaN}", "invalid number");
	REJECT("{\"a\":tru}", "invalid value");
	REJECT("{\"a\":\"x", "unterminated string");
	REJECT("{\"a\":\"\\x\"}", "invalid escape");
	REJECT("{\"a\":\"\\u12G4\"}", "invalid escape");
	REJECT("{\"a\":\"tab\there\"}", "control character");
	REJECT("{\"a\":\"\xff\"}", "invalid UTF-8");
	REJECT("{\"a\":\"\xc0\xaf\"}", "invalid UTF-8");          /* overlong '/' */
	REJECT("{\"a\":\"\xe0\x80\xaf\"}", "invalid UTF-8");      /* overlong, 3 bytes */
	REJECT("{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8");      /* UTF-16 surrogate */
	REJECT("{\"a\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8");  /* past U+10FFFF */
	REJECT("{\"a\":\"\xe2\x82\"}", "invalid UTF-8");          /* truncated */
	REJECT("{\"a\":1}\0{}", "NUL byte");
	REJECT("{\"a\":\"x\0y\"}", "control character");

	char deep[2 * AB_JSON_MAX_DEPTH + 64];
	size_t k = 0;
	k += (size_t)sprintf(deep, "{\"a\":");
	for (int i = 0; i < AB_JSON_MAX_DEPTH + 2; i++)
		deep[k++] = '[';
	rejects(deep, k, "nesting too deep");

	parse("{\"type\":\"candle\",\"close\":42.5,\"s\":\"a\\nb\\u00e9\",\"close\":43}");
	ok(ab_jfield_num(ab_jrec_get(&rec, "close"), &d) == 0 && d == 43, "last duplicate key wins");
	ok(ab_jrec_str_eq(&rec, "type", "candle"), "string equality");
	ok(!ab_jrec_str_eq(&rec, "type", "cand"), "string equality is exact");
	ok(ab_jrec_str(&rec, ab_jrec_get(&rec, "s"), &s, &n) == 0 && n == 5 &&
	   memcmp(s, "a\nb\xc3\xa9", 5) == 0, "escapes decoded");
	ok(ab_jrec_get(&rec, "missing") == NULL, "absent key");
	ok(ab_jfield_num(ab_jrec_get(&rec, "type"), &d) != 0, "a string is not a number");

	char buf[64];
	n = ab_json_unescape("\\ud83d\\ude00", 12, buf);
	ok(n == 4 && memcmp(buf, "\xf0\x9f\x98\x80", 4) == 0, "surrogate pair to UTF-8");
	n = ab_json_unescape("\\ud83dx", 7, buf);
	ok(n == 4 && memcmp(buf, "\xef\xbf\xbdx", 4) == 0, "lone surrogate becomes U+FFFD");
	n = ab_json_unescape("\\/\\b\\f", 6, buf);
	ok(n == 3 && memcmp(buf, "/\b\f", 3) == 0, "short escapes");

	is_str(capture(write_escapes),
	       "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa9\",\"x\":0.30000000000000004,\"n\":null,"
	       "\"i\":-9007199254740993,\"ts\":\"2024-01-01T00:00:00.123Z\",\"b\":true,\"z\":null}\n",
	       "writer escapes, numbers, times");
	is_str(capture(write_spaced), "{\"a\":[1,2,{\"k\":\"v w\"}],\"b\":\"x y\",\"sma_3\":6.5}\n",
	       "pass-through compacts and replaces a re-added field");
	is_str(capture(write_compact),
	       "{\"type\":\"candle\",\"close\":1.50,\"sma_3\":2}\n{\"a\":1}\n",
	       "a compact line is reused as written");

	/* The line reader: CRLF, no final newline, long lines, two files. */
	char dir[] = "/tmp/test-jsonl-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char f1[64], f2[64];
	snprintf(f1, sizeof f1, "%s/a", dir);
	snprintf(f2, sizeof f2, "%s/b", dir);
	FILE *fp = fopen(f1, "w");
	fputs("{\"a\":1}\r\n\n", fp);
	for (int i = 0; i < 3000000; i++)
		fputc('x', fp);
	fputs("\nlast", fp);
	fclose(fp);
	fp = fopen(f2, "w");
	fputs("{\"b\":2}\n", fp);
	fclose(fp);
	char *files[] = {f1, f2};
	struct ab_lines r;
	const char *line;
	size_t len;
	ab_lines_init(&r, files, 2);
	ok(ab_lines_next(&r, &line, &len) == 1 && len == 7 && r.lineno == 1, "CR stripped");
	ok(ab_lines_next(&r, &line, &len) == 1 && len == 0 && r.lineno == 2, "empty line kept");
	ok(ab_lines_next(&r, &line, &len) == 1 && len == 3000000, "3 MB line");
	ok(ab_lines_next(&r, &line, &len) == 1 && len == 4 && memcmp(line, "last", 4) == 0 &&
	   r.lineno == 4, "last line without newline");
	ok(ab_lines_next(&r, &line, &len) == 1 && r.lineno == 1 && strcmp(r.name, f2) == 0,
	   "second file numbers from 1");
	ok(ab_lines_next(&r, &line, &len) == 0, "end of input");
	ab_lines_free(&r);
	char *missing[] = {"/nonexistent/file"};
	ab_lines_init(&r, missing, 1);
	ok(ab_lines_next(&r, &line, &len) == -1 && r.status == 66, "missing file is 66");
	ab_lines_free(&r);
	unlink(f1);
	unlink(f2);
	rmdir(dir);
	ab_jrec_free(&rec);

	/* ab_json_valid: one value of any type, as libjq 1.6 would take it */
	char why[160], nest[600];
	const char *arr = " [1, {\"a\": \"b\"}] \n";
	ok(ab_json_valid(arr, strlen(arr), why, sizeof why) == 0, "an array is a JSON value");
	ok(ab_json_valid("\"s\"", 3, NULL, 0) == 0 && ab_json_valid("-0", 2, NULL, 0) == 0, "a string and a number are");
	ok(ab_json_valid("{\"a\":\"b\"\"c\"}", 12, why, sizeof why) == -1 && strstr(why, "expected ','"),
	   "a missing separator is not (libjq leaks its token there)");
	ok(ab_json_valid("{} {}", 5, why, sizeof why) == -1 && strstr(why, "more than one"), "two values are not one");
	ok(ab_json_valid("", 0, why, sizeof why) == -1 && ab_json_valid("nan", 3, NULL, 0) == -1, "nothing, nan");
	ok(ab_json_valid("\"a\0b\"", 5, NULL, 0) == -1, "a NUL byte in a string");
	memset(nest, '[', 256);
	memset(nest + 256, ']', 256);
	ok(ab_json_valid(nest, 512, NULL, 0) == 0, "256 levels of nesting (libjq's limit)");
	memset(nest, '[', 257);
	memset(nest + 257, ']', 257);
	ok(ab_json_valid(nest, 514, why, sizeof why) == -1 && strstr(why, "too deep"), "257 levels are too deep");
	return tap_done();
}
