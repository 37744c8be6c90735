/* RESP command parsing: arrays of bulk strings, inline commands, hostile
 * lengths, and the text a command is recorded as. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "runner/net/resp.h"
#include "lib/util.h"

static struct resp_cmd cmd;

static int parse(const char *s)
{
	return resp_parse(&cmd, s, strlen(s));
}

static bool arg_eq(size_t i, const char *s)
{
	return cmd.argv[i].len == strlen(s) && !memcmp(cmd.argv[i].p, s, cmd.argv[i].len);
}

static void test_net_resp__parses_array_of_bulk_strings(void **state)
{
	const char *r = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*1\r\n";
	(void)state;

	assert_int_equal(parse(r), PROTO_OK);
	assert_int_equal(cmd.argc, 3);
	assert_true(arg_eq(0, "SET"));
	assert_true(arg_eq(1, "k"));
	assert_true(arg_eq(2, ""));
	assert_false(cmd.is_inline);
	assert_int_equal(cmd.consumed, strlen(r) - 4);
}

static void test_net_resp__bulk_strings_are_binary_safe(void **state)
{
	static const char r[] = "*2\r\n$4\r\nECHO\r\n$5\r\na\r\n\0b\r\n";
	(void)state;

	assert_int_equal(resp_parse(&cmd, r, sizeof(r) - 1), PROTO_OK);
	assert_int_equal(cmd.argv[1].len, 5);
	assert_memory_equal(cmd.argv[1].p, "a\r\n\0b", 5);
}

static void test_net_resp__needs_more_for_every_truncation(void **state)
{
	const char *r = "*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n";
	(void)state;

	for (size_t n = 0; n < strlen(r); n++)
		assert_int_equal(resp_parse(&cmd, r, n), PROTO_NEED_MORE);
	assert_int_equal(parse(r), PROTO_OK);
}

static void test_net_resp__parses_inline_commands(void **state)
{
	(void)state;
	assert_int_equal(parse("  set \t key   value\r\nnext"), PROTO_OK);
	assert_true(cmd.is_inline);
	assert_int_equal(cmd.argc, 3);
	assert_true(arg_eq(0, "set"));
	assert_true(arg_eq(2, "value"));
	assert_int_equal(cmd.consumed, strlen("  set \t key   value\r\n"));
	assert_int_equal(parse("PING\n"), PROTO_OK);
	assert_int_equal(cmd.argc, 1);
	assert_int_equal(parse("\r\n"), PROTO_OK);
	assert_int_equal(cmd.argc, 0);
	assert_int_equal(parse("PING"), PROTO_NEED_MORE);
}

static void test_net_resp__rejects_negative_and_huge_lengths(void **state)
{
	const char *bad[] = {"*2\r\n$-5\r\n",
			     "*1\r\n$-1\r\n",
			     "*-2\r\n",
			     "*99999999999\r\n",
			     "*1025\r\n",
			     "*1\r\n$524289\r\n",
			     "*1\r\n$99999999999\r\n",
			     "*1\r\n$+1\r\na\r\n",
			     "*1\r\n$ 1\r\na\r\n",
			     "*1\r\n$\r\n",
			     "*x\r\n",
			     "*1\r\n:1\r\n",
			     "*1\r\n$1\r\nab\r\n",
			     "*1\r\n$1\nab\r\n",
			     "*1\r\n$3\r\nabcXY",
			     "*1\n"};
	(void)state;

	for (size_t i = 0; i < SR_ARRAY_SIZE(bad); i++) {
		int rc = parse(bad[i]);
		if (rc != PROTO_ERROR)
			fail_msg("'%s' parsed as %d", bad[i], rc);
	}
	/* A null array is a no-op, not an error. */
	assert_int_equal(parse("*-1\r\n"), PROTO_OK);
	assert_int_equal(cmd.argc, 0);
	assert_int_equal(cmd.consumed, 5);
}

static void test_net_resp__rejects_oversized_commands(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	/* Three bulk strings each under the bulk limit, over the command limit. */
	strbuf_addstr(&sb, "*3\r\n");
	for (int i = 0; i < 3; i++) {
		strbuf_addf(&sb, "$%u\r\n", 400u << 10);
		for (unsigned k = 0; k < (400u << 10); k++)
			strbuf_addch(&sb, 'x');
		strbuf_addstr(&sb, "\r\n");
	}
	assert_int_equal(resp_parse(&cmd, sb.buf, sb.len), PROTO_ERROR);
	/* Already decidable from a prefix past the limit. */
	assert_int_equal(resp_parse(&cmd, sb.buf, RESP_MAX_CMD + 1), PROTO_ERROR);
	strbuf_reset(&sb);
	while (sb.len < RESP_MAX_INLINE + 1)
		strbuf_addch(&sb, 'a');
	assert_int_equal(resp_parse(&cmd, sb.buf, sb.len), PROTO_ERROR);
	strbuf_reset(&sb);
	for (int i = 0; i < RESP_MAX_ARGS + 1; i++)
		strbuf_addstr(&sb, "a ");
	strbuf_addch(&sb, '\n');
	assert_int_equal(resp_parse(&cmd, sb.buf, sb.len), PROTO_ERROR);
	strbuf_release(&sb);
}

static void test_net_resp__command_text_quotes_what_needs_it(void **state)
{
	static const char r[] = "*4\r\n$3\r\nSET\r\n$3\r\na b\r\n$0\r\n\r\n$4\r\n\"\\\n\x01\r\n";
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	assert_int_equal(resp_parse(&cmd, r, sizeof(r) - 1), PROTO_OK);
	resp_cmd_text(&sb, &cmd, 1000);
	assert_string_equal(sb.buf, "SET \"a b\" \"\" \"\\\"\\\\\\n\\x01\"");
	strbuf_reset(&sb);
	resp_cmd_text(&sb, &cmd, 5);
	assert_string_equal(sb.buf, "SET \"...");
	strbuf_release(&sb);
}

static void test_net_resp__reply_writers(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	resp_put_simple(&sb, "OK");
	resp_put_error(&sb, "ERR x");
	resp_put_int(&sb, -3);
	resp_put_bulk(&sb, "a\0b", 3);
	resp_put_null(&sb);
	resp_put_array_len(&sb, 2);
	assert_int_equal(sb.len, 36);
	assert_memory_equal(sb.buf, "+OK\r\n-ERR x\r\n:-3\r\n$3\r\na\0b\r\n$-1\r\n*2\r\n", 36);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_net_resp__parses_array_of_bulk_strings),
	    cmocka_unit_test(test_net_resp__bulk_strings_are_binary_safe),
	    cmocka_unit_test(test_net_resp__needs_more_for_every_truncation),
	    cmocka_unit_test(test_net_resp__parses_inline_commands),
	    cmocka_unit_test(test_net_resp__rejects_negative_and_huge_lengths),
	    cmocka_unit_test(test_net_resp__rejects_oversized_commands),
	    cmocka_unit_test(test_net_resp__command_text_quotes_what_needs_it),
	    cmocka_unit_test(test_net_resp__reply_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
