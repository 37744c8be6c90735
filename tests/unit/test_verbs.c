/* Every verb's option table: help and parser read the same rows, for every
 * verb main.c dispatches and for the global options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runner/cli/verbs.h"

static char *help_of(const struct sr_verb_def *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	opt_print_help(f, d);
	fclose(f);
	return buf;
}

/* Each row: listed in the help on a line of its own, and parsed back to
 * its id in every form (long, long=value, alias). */
static void walk(const struct sr_verb_def *d)
{
	char *help = help_of(d);

	assert_non_null(strstr(help, "usage: sandrun "));
	assert_non_null(strstr(help, "  -h, --help"));
	for (size_t k = 0; k < d->nopts; k++) {
		const struct sr_opt *o = &d->opts[k];
		char *argv[4] = {"sandrun", (char *)o->name, "VALUE", NULL};
		char line[128], eq[128];
		struct opt_iter it;
		struct sr_err err = SR_ERR_INIT;
		const char *v;

		assert_true(o->id > 0);
		assert_non_null(o->help);
		assert_null(strchr(o->help, '\n'));
		snprintf(line, sizeof(line), "\n  %s%s%s%s%s", o->alias ? o->alias : "",
			 o->alias ? ", " : "", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		if (!strstr(help, line))
			fail_msg("'%s' --help lacks '%s'", d->name, line + 1);
		opt_iter_init(&it, d, o->arg ? 3 : 2, argv);
		assert_int_equal(opt_next(&it, &v, &err), o->id);
		if (o->arg) {
			assert_string_equal(v, "VALUE");
			snprintf(eq, sizeof(eq), "%s=X", o->name);
			argv[1] = eq;
			opt_iter_init(&it, d, 2, argv);
			assert_int_equal(opt_next(&it, &v, &err), o->id);
			assert_string_equal(v, "X");
		}
		if (o->alias) {
			argv[1] = (char *)o->alias;
			opt_iter_init(&it, d, o->arg ? 3 : 2, argv);
			assert_int_equal(opt_next(&it, &v, &err), o->id);
		}
	}
	free(help);
}

static void test_verbs__every_verbs_help_lists_what_its_parser_accepts(void **state)
{
	(void)state;
	assert_true(sr_nverbs >= 10);
	for (size_t i = 0; i < sr_nverbs; i++)
		walk(&sr_verbs[i]);
	walk(&sr_global_opts);
}

static void test_verbs__option_ids_are_unique_across_tables(void **state)
{
	int seen[256] = {0};
	(void)state;

	for (size_t i = 0; i <= sr_nverbs; i++) {
		const struct sr_verb_def *d = i < sr_nverbs ? &sr_verbs[i] : &sr_global_opts;
		for (size_t k = 0; k < d->nopts; k++) {
			assert_true(d->opts[k].id < 256);
			assert_int_equal(seen[d->opts[k].id]++, 0);
		}
	}
}

static void test_verbs__unknown_option_names_the_verbs_help(void **state)
{
	char *argv[] = {"sandrun", "--no-such-option", NULL};
	struct opt_iter it;
	struct sr_err err = SR_ERR_INIT;
	const char *v;
	(void)state;

	for (size_t i = 0; i < sr_nverbs; i++) {
		char want[64];
		opt_iter_init(&it, &sr_verbs[i], 2, argv);
		assert_int_equal(opt_next(&it, &v, &err), OPT_BAD);
		snprintf(want, sizeof(want), "(see 'sandrun %s --help')", sr_verbs[i].name);
		assert_non_null(strstr(err.msg, want));
	}
}

static void test_verbs__find_by_name_and_first_word(void **state)
{
	(void)state;
	for (size_t i = 0; i < sr_nverbs; i++) {
		assert_ptr_equal(verb_find(sr_verbs[i].name), &sr_verbs[i]);
		/* One table: every verb it lists is the one main() runs. */
		assert_non_null(sr_verbs[i].fn);
	}
	assert_string_equal(verb_find("report")->name, "report merge");
	assert_null(verb_find("rep"));
	assert_null(verb_find("nope"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verbs__every_verbs_help_lists_what_its_parser_accepts),
	    cmocka_unit_test(test_verbs__option_ids_are_unique_across_tables),
	    cmocka_unit_test(test_verbs__unknown_option_names_the_verbs_help),
	    cmocka_unit_test(test_verbs__find_by_name_and_first_word),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
