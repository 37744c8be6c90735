/* The one shell quoter used by explain and error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/quote.h"

static void test_quote__argv_is_shell_safe(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *argv[] = {"docker", "run", "a b", "it's", "$HOME", "", "--x=a,b:c/d@e%f+g", NULL};
	(void)state;
	sr_shell_quote_argv(&sb, argv);
	assert_string_equal(sb.buf, "docker run 'a b' 'it'\\''s' '$HOME' '' --x=a,b:c/d@e%f+g");
	strbuf_release(&sb);
}

static void test_quote__anything_outside_the_allow_list_is_quoted(void **state)
{
	const char *special[] = {"a^b", "<port>", "a*", "~", "a!b", "caf\xc3\xa9", "x\ty", "a;b"};
	(void)state;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		struct strbuf sb = STRBUF_INIT;
		sr_shell_quote(&sb, special[i]);
		assert_int_equal(sb.buf[0], '\'');
		assert_int_equal(sb.buf[sb.len - 1], '\'');
		strbuf_release(&sb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quote__argv_is_shell_safe),
	    cmocka_unit_test(test_quote__anything_outside_the_allow_list_is_quoted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
