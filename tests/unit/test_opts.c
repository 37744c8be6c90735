/* The option table walker: the parser accepts exactly what --help lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runner/cli/opts.h"

enum { O_JOBS = 1, O_KEEP, O_REPORT };
static const struct sr_opt demo_opts[] = {
    {O_JOBS, "--jobs", "-j", "N", "runs in parallel"},
    {O_KEEP, "--keep", NULL, NULL, "keep containers"},
    {O_REPORT, "--report", NULL, "FMT:PATH", "write a report"},
};
static const struct sr_verb_def demo = {"demo",	   "[OPTIONS] [ARGS]",	     "A demo verb.",
					demo_opts, SR_ARRAY_SIZE(demo_opts), NULL};

static void test_opts__every_form_of_a_value_is_accepted(void **state)
{
	char *argv[] = {"sandrun", "-j", "2",	     "-j3",    "--jobs=4", "--jobs", "5",
			"--keep",  "a",	 "--report", "json:-", "--",	   "--keep", NULL};
	int want[] = {O_JOBS, O_JOBS, O_JOBS, O_JOBS, O_KEEP, OPT_ARG, O_REPORT, OPT_ARG, OPT_END};
	const char *vals[] = {"2", "3", "4", "5", NULL, "a", "json:-", "--keep", NULL};
	struct opt_iter it;
	struct sr_err err = SR_ERR_INIT;
	(void)state;

	opt_iter_init(&it, &demo, 13, argv);
	for (size_t k = 0; k < SR_ARRAY_SIZE(want); k++) {
		const char *v;
		assert_int_equal(opt_next(&it, &v, &err), want[k]);
		if (vals[k])
			assert_string_equal(v, vals[k]);
		else
			assert_null(v);
	}
}

static void test_opts__unknown_option_names_the_verbs_help(void **state)
{
	char *argv[] = {"sandrun", "--nope", NULL};
	char *argv2[] = {"sandrun", "--jobs", NULL};
	char *argv3[] = {"sandrun", "--keep=1", NULL};
	struct opt_iter it;
	struct sr_err err = SR_ERR_INIT;
	const char *v;
	(void)state;

	opt_iter_init(&it, &demo, 2, argv);
	assert_int_equal(opt_next(&it, &v, &err), OPT_BAD);
	assert_non_null(strstr(err.msg, "'--nope'"));
	assert_non_null(strstr(err.msg, "sandrun demo --help"));
	opt_iter_init(&it, &demo, 2, argv2);
	assert_int_equal(opt_next(&it, &v, &err), OPT_BAD);
	assert_non_null(strstr(err.msg, "missing value"));
	opt_iter_init(&it, &demo, 2, argv3);
	assert_int_equal(opt_next(&it, &v, &err), OPT_BAD);
}

static void test_opts__help_lists_every_option_the_parser_accepts(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	(void)state;

	opt_print_help(f, &demo);
	fclose(f);
	for (size_t k = 0; k < demo.nopts; k++) {
		assert_non_null(strstr(buf, demo.opts[k].name));
		assert_non_null(strstr(buf, demo.opts[k].help));
	}
	assert_non_null(strstr(buf, "-j, --jobs N"));
	assert_non_null(strstr(buf, "--help"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_opts__every_form_of_a_value_is_accepted),
	    cmocka_unit_test(test_opts__unknown_option_names_the_verbs_help),
	    cmocka_unit_test(test_opts__help_lists_every_option_the_parser_accepts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
