/* The strict JSON parser: DOM, positions in errors, depth limit, round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/jsonparse.h"

static struct json_value *parse_ok(const char *text, size_t len)
{
	struct json_value *v = NULL;
	struct sr_err err = SR_ERR_INIT;

	if (json_parse(&v, "t.json", text, len, &err) < 0)
		fail_msg("unexpected parse error: %s", err.msg);
	assert_non_null(v);
	return v;
}

static void test_jsonparse__parses_scalars_and_keeps_number_text(void **state)
{
	struct json_value *v = parse_ok(" [null, true, false, -0, 1.50, 2e+3, \"s\"] ", 42);
	(void)state;
	assert_int_equal(v->type, JSON_ARRAY);
	assert_int_equal(v->u.arr.n, 7);
	assert_int_equal(v->u.arr.v[0]->type, JSON_NULL);
	assert_true(v->u.arr.v[1]->u.b);
	assert_false(v->u.arr.v[2]->u.b);
	assert_string_equal(v->u.arr.v[3]->u.num.text, "-0");
	assert_string_equal(v->u.arr.v[4]->u.num.text, "1.50");
	assert_true(v->u.arr.v[4]->u.num.v == 1.5);
	assert_string_equal(v->u.arr.v[5]->u.num.text, "2e+3");
	assert_true(v->u.arr.v[5]->u.num.v == 2000.0);
	assert_string_equal(json_str(v->u.arr.v[6]), "s");
	assert_int_equal(v->u.arr.v[6]->col, 38);
	json_free(v);
}

static void test_jsonparse__objects_keep_key_order(void **state)
{
	const char *text = "{\"z\": 1, \"a\": {\"y\": [], \"b\": {}}, \"m\": \"x\"}";
	struct json_value *v = parse_ok(text, strlen(text));
	(void)state;
	assert_int_equal(v->u.obj.n, 3);
	assert_string_equal(v->u.obj.m[0].key, "z");
	assert_string_equal(v->u.obj.m[1].key, "a");
	assert_string_equal(v->u.obj.m[2].key, "m");
	assert_string_equal(json_get(v, "a")->u.obj.m[1].key, "b");
	assert_string_equal(json_str(json_get(v, "m")), "x");
	json_free(v);
}

static void test_jsonparse__json_get_is_type_safe(void **state)
{
	struct json_value *v = parse_ok("[{\"a\": 1}]", 10);
	(void)state;
	assert_null(json_get(v, "a"));
	assert_null(json_get(NULL, "a"));
	assert_null(json_get(v->u.arr.v[0], "b"));
	assert_non_null(json_get(v->u.arr.v[0], "a"));
	assert_null(json_str(json_get(v->u.arr.v[0], "a")));
	json_free(v);
}

static void test_jsonparse__decodes_escapes_and_surrogate_pairs(void **state)
{
	const char *text =
	    "\"q\\\"b\\\\s\\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00 nul\\u0000end \xc3\xa9\"";
	const char want[] = "q\"b\\s/ \b\f\n\r\t \xc3\xa9 \xf0\x9f\x98\x80 nul\0end \xc3\xa9";
	struct json_value *v = parse_ok(text, strlen(text));
	(void)state;
	assert_int_equal(v->type, JSON_STRING);
	assert_int_equal(v->u.str.len, sizeof(want) - 1);
	assert_memory_equal(v->u.str.s, want, sizeof(want) - 1);
	json_free(v);
}

struct bad_case {
	const char *text;
	size_t len; /* 0: strlen(text) */
	const char *msg;
};

static const struct bad_case bad_cases[] = {
    {"", 0, "t.json:1:1: unexpected end of input, expected a value"},
    {"   \n  ", 0, "t.json:2:3: unexpected end of input, expected a value"},
    {"[1,]", 0, "t.json:1:4: trailing comma before ']'"},
    {"{\"a\":1,}", 0, "t.json:1:8: trailing comma before '}'"},
    {"{\"a\" 1}", 0, "t.json:1:6: expected ':' after key, got '1'"},
    {"[1 2]", 0, "t.json:1:4: expected ',' or ']', got '2'"},
    {"{\"a\":1 \"b\":2}", 0, "t.json:1:8: expected ',' or '}', got '\"'"},
    {"{1:2}", 0, "t.json:1:2: expected a string key, got '1'"},
    {"[", 0, "t.json:1:2: unexpected end of input, expected a value"},
    {"{\"a\":[1,\n", 0, "t.json:2:1: unexpected end of input, expected a value"},
    {"\n\n  [01]", 0, "t.json:3:4: invalid number: leading zero"},
    {"-", 0, "t.json:1:2: invalid number: expected a digit, got end of input"},
    {"-x", 0, "t.json:1:2: invalid number: expected a digit, got 'x'"},
    {"1.", 0, "t.json:1:3: invalid number: expected a digit after '.', got end of input"},
    {"1e+", 0, "t.json:1:4: invalid number: expected a digit in the exponent, got end of input"},
    {"+1", 0, "t.json:1:1: expected a value, got '+'"},
    {"NaN", 0, "t.json:1:1: expected a value, got 'N'"},
    {"tru", 0, "t.json:1:1: invalid literal, expected 'true'"},
    {"[nul]", 0, "t.json:1:2: invalid literal, expected 'null'"},
    {"\"abc", 0, "t.json:1:1: unterminated string"},
    {"[\"a\\", 0, "t.json:1:2: unterminated string"},
    {"\"a\nb\"", 0, "t.json:1:3: control character 0x0a in string (escape it)"},
    {"\"\\x\"", 0, "t.json:1:2: invalid escape '\\x'"},
    {"\"\\u12G4\"", 0, "t.json:1:2: invalid \\u escape: expected 4 hex digits"},
    {"\"\\u12\"", 0, "t.json:1:2: invalid \\u escape: expected 4 hex digits"},
    {"\"\\ud800\"", 0, "t.json:1:2: lone high surrogate \\ud800"},
    {"\"\\ud800\\u0041\"", 0, "t.json:1:2: lone high surrogate \\ud800"},
    {"\"ab\\udc00\"", 0, "t.json:1:4: lone low surrogate \\udc00"},
    {"\"\xff\"", 0, "t.json:1:2: invalid UTF-8 byte 0xff in string"},
    {"\"\xc0\xaf\"", 0, "t.json:1:2: invalid UTF-8 byte 0xc0 in string"},
    {"\"\xed\xa0\x80\"", 0, "t.json:1:2: invalid UTF-8 byte 0xed in string"},
    {"\"\xe2\x82\"", 0, "t.json:1:2: invalid UTF-8 byte 0xe2 in string"},
    {"{\"a\":1,\"b\":2,\"a\":3}", 0, "t.json:1:14: duplicate key 'a'"},
    {"{\"x\":{\"k\\u0000\":1,\"k\\u0000\":2}}", 0, "t.json:1:19: duplicate key 'k\\x00'"},
    {"[1] x", 0, "t.json:1:5: unexpected 'x' after the JSON value"},
    {"{} {}", 0, "t.json:1:4: unexpected '{' after the JSON value"},
    {"// c\n1", 0, "t.json:1:1: expected a value, got '/'"},
    {"[\x01]", 0, "t.json:1:2: expected a value, got byte 0x01"},
    {"[1\0]", 4, "t.json:1:3: expected ',' or ']', got byte 0x00"},
    {"\xef\xbb\xbf{}", 0, "t.json:1:1: expected a value, got byte 0xef"},
    {"\t\r\n  {\"k\": [true, fals]}", 0, "t.json:2:16: invalid literal, expected 'false'"},
};

static void test_jsonparse__errors_carry_line_and_column(void **state)
{
	(void)state;
	for (size_t i = 0; i < SR_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct json_value *v = (struct json_value *)1;
		struct sr_err err = SR_ERR_INIT;
		int rc = json_parse(&v, "t.json", c->text, c->len ? c->len : strlen(c->text), &err);
		if (rc != SR_EINVAL || strcmp(err.msg, c->msg))
			fail_msg("case %zu: rc %d, got \"%s\", want \"%s\"", i, rc, err.msg,
				 c->msg);
		assert_int_equal(err.code, SR_EINVAL);
		assert_null(v);
	}
}

static char *nested(unsigned depth)
{
	char *s = xmalloc(2 * depth + 1);

	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	s[2 * depth] = '\0';
	return s;
}

static void test_jsonparse__nesting_is_bounded(void **state)
{
	struct json_value *v = NULL;
	struct sr_err err = SR_ERR_INIT;
	char *ok = nested(JSON_MAX_DEPTH), *deep = nested(JSON_MAX_DEPTH + 1);
	char want[64];
	(void)state;

	assert_int_equal(json_parse(&v, "d.json", ok, strlen(ok), &err), 0);
	json_free(v);
	assert_int_equal(json_parse(&v, "d.json", deep, strlen(deep), &err), SR_EINVAL);
	snprintf(want, sizeof(want), "d.json:1:%d: nesting deeper than %d levels",
		 JSON_MAX_DEPTH + 1, JSON_MAX_DEPTH);
	assert_string_equal(err.msg, want);
	free(ok);
	free(deep);

	/* Far deeper input fails the same way instead of exhausting the stack. */
	deep = nested(100000);
	assert_int_equal(json_parse(&v, "d.json", deep, strlen(deep), &err), SR_EINVAL);
	assert_null(v);
	free(deep);
}

static void test_jsonparse__serialize_round_trips(void **state)
{
	static const char *const docs[] = {
	    "{\"run\":{\"id\":\"a\\\"b\",\"n\":-12.5e-3,\"ok\":true},\"r\":[[],{},[1,[null]]]}",
	    "\"\\u0000\\u001f\\u007f\xf0\x9f\x98\x80\\\\\"",
	    "[0,-0,1E5,0.000001,123456789012345678901234567890]",
	    "{\"\":\"\",\"a\\nb\":[\"\\t\"]}",
	};
	(void)state;
	for (size_t i = 0; i < SR_ARRAY_SIZE(docs); i++) {
		struct json_value *a = parse_ok(docs[i], strlen(docs[i])), *b;
		struct strbuf sb = STRBUF_INIT;
		json_serialize(&sb, a);
		/* Compact input written with our escapes comes back byte for byte. */
		assert_string_equal(sb.buf, docs[i]);
		b = parse_ok(sb.buf, sb.len);
		assert_true(json_equal(a, b));
		json_free(a);
		json_free(b);
		strbuf_release(&sb);
	}
}

static void test_jsonparse__serialize_normalizes_whitespace_and_escapes(void **state)
{
	const char *text = "{ \"a\" : [ 1 , \"\\u0041\\/\" ] ,\n \"b\" : { } }";
	struct json_value *v = parse_ok(text, strlen(text));
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	json_serialize(&sb, v);
	assert_string_equal(sb.buf, "{\"a\":[1,\"A/\"],\"b\":{}}");
	json_free(v);
	strbuf_release(&sb);
}

static void test_jsonparse__equal_compares_structure(void **state)
{
	static const char *const t[] = {"{\"a\":1,\"b\":[true]}", "{\"b\":[true],\"a\":1}",
					"{\"a\":1.0,\"b\":[true]}",
					"{ \"a\" : 1 , \"b\" : [ true ] }"};
	struct json_value *a = parse_ok(t[0], strlen(t[0])), *b = parse_ok(t[1], strlen(t[1]));
	struct json_value *c = parse_ok(t[2], strlen(t[2])), *d = parse_ok(t[3], strlen(t[3]));
	(void)state;
	assert_false(json_equal(a, b)); /* order matters */
	assert_false(json_equal(a, c)); /* number text matters */
	assert_true(json_equal(a, d));
	assert_true(json_equal(NULL, NULL));
	assert_false(json_equal(a, NULL));
	json_free(a);
	json_free(b);
	json_free(c);
	json_free(d);
}

static void test_jsonparse__many_keys_are_checked_quickly(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_value *v = NULL;
	struct sr_err err = SR_ERR_INIT;
	(void)state;

	strbuf_addch(&sb, '{');
	for (int i = 0; i < 100000; i++)
		strbuf_addf(&sb, "%s\"k%d\":%d", i ? "," : "", i, i);
	strbuf_addch(&sb, '}');
	assert_int_equal(json_parse(&v, "big.json", sb.buf, sb.len, &err), 0);
	assert_int_equal(v->u.obj.n, 100000);
	assert_string_equal(json_get(v, "k99999")->u.num.text, "99999");
	json_free(v);

	sb.len--;
	strbuf_addstr(&sb, ",\"k5\":0}");
	assert_int_equal(json_parse(&v, "big.json", sb.buf, sb.len, &err), SR_EINVAL);
	assert_non_null(strstr(err.msg, "duplicate key 'k5'"));
	strbuf_release(&sb);
}

static void test_jsonparse__parse_file_names_errors_after_the_path(void **state)
{
	char dir[] = "/tmp/test_jsonparse.XXXXXX", path[64];
	struct json_value *v = NULL;
	struct sr_err err = SR_ERR_INIT;
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\n  \"a\": [1, 2,]\n}\n", f);
	fclose(f);
	assert_int_equal(json_parse_file(&v, path, &err), SR_EINVAL);
	assert_non_null(strstr(err.msg, "/r.json:2:14: trailing comma before ']'"));
	assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
	unlink(path);
	assert_true(json_parse_file(&v, path, &err) < 0);
	assert_null(v);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jsonparse__parses_scalars_and_keeps_number_text),
	    cmocka_unit_test(test_jsonparse__objects_keep_key_order),
	    cmocka_unit_test(test_jsonparse__json_get_is_type_safe),
	    cmocka_unit_test(test_jsonparse__decodes_escapes_and_surrogate_pairs),
	    cmocka_unit_test(test_jsonparse__errors_carry_line_and_column),
	    cmocka_unit_test(test_jsonparse__nesting_is_bounded),
	    cmocka_unit_test(test_jsonparse__serialize_round_trips),
	    cmocka_unit_test(test_jsonparse__serialize_normalizes_whitespace_and_escapes),
	    cmocka_unit_test(test_jsonparse__equal_compares_structure),
	    cmocka_unit_test(test_jsonparse__many_keys_are_checked_quickly),
	    cmocka_unit_test(test_jsonparse__parse_file_names_errors_after_the_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
