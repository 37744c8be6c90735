/* .sandrunignore: the gitignore syntax discovery honours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "runner/spec/spec_ignore.h"

static bool ignored(const char *patterns, const char *rel, bool is_dir)
{
	struct spec_ignore *ig = spec_ignore_parse(patterns, strlen(patterns));
	bool r = spec_ignore_match(ig, rel, is_dir);

	spec_ignore_free(ig);
	return r;
}

static void test_spec_ignore__comments_and_blank_lines_match_nothing(void **state)
{
	(void)state;
	assert_false(ignored("# a.yaml\n\n   \n", "a.yaml", false));
	assert_false(ignored("# a.yaml\n", "# a.yaml", false));
	assert_true(ignored("\\#a.yaml\n", "#a.yaml", false));
	assert_false(ignored("", "a.yaml", false));
}

static void test_spec_ignore__unanchored_name_matches_at_any_depth(void **state)
{
	(void)state;
	assert_true(ignored("x.yaml\n", "x.yaml", false));
	assert_true(ignored("x.yaml\n", "a/b/x.yaml", false));
	assert_false(ignored("x.yaml\n", "a/x.yaml.bak", false));
	assert_true(ignored("*.yml\n", "deep/er/ci.yml", false));
	assert_false(ignored("*.yml\n", "ci.yaml", false));
}

static void test_spec_ignore__leading_or_inner_slash_anchors(void **state)
{
	(void)state;
	assert_true(ignored("/vendor\n", "vendor", true));
	assert_false(ignored("/vendor\n", "a/vendor", true));
	assert_true(ignored("a/b.yaml\n", "a/b.yaml", false));
	assert_false(ignored("a/b.yaml\n", "x/a/b.yaml", false));
	/* '*' does not cross '/' */
	assert_false(ignored("a/*.yaml\n", "a/b/c.yaml", false));
	assert_true(ignored("a/*.yaml\n", "a/c.yaml", false));
}

static void test_spec_ignore__trailing_slash_matches_directories_only(void **state)
{
	(void)state;
	assert_true(ignored("build/\n", "build", true));
	assert_true(ignored("build/\n", "x/build", true));
	assert_false(ignored("build/\n", "build", false));
}

static void test_spec_ignore__negation_last_match_wins(void **state)
{
	(void)state;
	assert_false(ignored("*.yaml\n!keep.yaml\n", "keep.yaml", false));
	assert_true(ignored("*.yaml\n!keep.yaml\n", "drop.yaml", false));
	assert_true(ignored("!keep.yaml\n*.yaml\n", "keep.yaml", false));
	assert_true(ignored("\\!bang.yaml\n", "!bang.yaml", false));
}

static void test_spec_ignore__double_star(void **state)
{
	(void)state;
	assert_true(ignored("**/gen.yaml\n", "gen.yaml", false));
	assert_true(ignored("**/gen.yaml\n", "a/b/gen.yaml", false));
	assert_true(ignored("a/**/gen.yaml\n", "a/gen.yaml", false));
	assert_true(ignored("a/**/gen.yaml\n", "a/x/y/gen.yaml", false));
	assert_false(ignored("a/**/gen.yaml\n", "b/x/gen.yaml", false));
	assert_true(ignored("a/**\n", "a/x/y.yaml", false));
	assert_false(ignored("a/**\n", "a", true));
	/* "**" inside a name is an ordinary '*' */
	assert_true(ignored("x**y.yaml\n", "xzzy.yaml", false));
}

static void test_spec_ignore__brackets_question_marks_and_escapes(void **state)
{
	(void)state;
	assert_true(ignored("t[0-9].yaml\n", "t7.yaml", false));
	assert_false(ignored("t[0-9].yaml\n", "tx.yaml", false));
	assert_true(ignored("t[!0-9].yaml\n", "tx.yaml", false));
	assert_true(ignored("t?.yaml\n", "tx.yaml", false));
	assert_false(ignored("t?.yaml\n", "t.yaml", false));
	assert_true(ignored("a\\*b.yaml\n", "a*b.yaml", false));
	assert_false(ignored("a\\*b.yaml\n", "axb.yaml", false));
	assert_true(ignored("[oops.yaml\n", "[oops.yaml", false)); /* unclosed: literal */
	assert_true(ignored("sp\\ \n", "sp ", false));
	assert_true(ignored("crlf.yaml\r\n", "crlf.yaml", false));
}

static void test_spec_ignore__pathological_pattern_stays_fast(void **state)
{
	char name[200];
	uint64_t t0 = sr_now_ms();
	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_false(ignored("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n", name, false));
	assert_false(ignored("**/**/**/**/**/**/**/**/**/**/**/b\n",
			     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/c", false));
	assert_true(sr_now_ms() - t0 < 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spec_ignore__comments_and_blank_lines_match_nothing),
	    cmocka_unit_test(test_spec_ignore__unanchored_name_matches_at_any_depth),
	    cmocka_unit_test(test_spec_ignore__leading_or_inner_slash_anchors),
	    cmocka_unit_test(test_spec_ignore__trailing_slash_matches_directories_only),
	    cmocka_unit_test(test_spec_ignore__negation_last_match_wins),
	    cmocka_unit_test(test_spec_ignore__double_star),
	    cmocka_unit_test(test_spec_ignore__brackets_question_marks_and_escapes),
	    cmocka_unit_test(test_spec_ignore__pathological_pattern_stays_fast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
