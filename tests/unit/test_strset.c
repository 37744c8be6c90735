/* The string set behind duplicate-name detection, and the suite loader's
 * use of it: a second spec with a taken name is set aside with a message,
 * the first one is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/strset.h"
#include "runner/cli/cli.h"

static void add_reports_whether_the_string_was_new(void **state)
{
	struct strset set = STRSET_INIT;

	(void)state;
	assert_true(strset_add(&set, "alpha"));
	assert_true(strset_add(&set, "beta"));
	assert_false(strset_add(&set, "alpha"));
	assert_true(strset_has(&set, "beta"));
	assert_false(strset_has(&set, "gamma"));
	assert_false(strset_has(&set, "alph"));
	assert_int_equal(set.nr, 2);
	strset_clear(&set);
	assert_false(strset_has(&set, "alpha"));
}

static void many_strings_survive_growth_and_each_is_found_once(void **state)
{
	struct strset set = STRSET_INIT;
	char buf[32];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		snprintf(buf, sizeof(buf), "h-%d", i);
		assert_true(strset_add(&set, buf));
	}
	for (int i = 0; i < 20000; i++) {
		snprintf(buf, sizeof(buf), "h-%d", i);
		assert_false(strset_add(&set, buf));
	}
	assert_false(strset_has(&set, "h-20000"));
	assert_int_equal(set.nr, 20000);
	strset_clear(&set);
}

static void write_spec(const char *root, const char *dir, const char *name)
{
	char *d = xasprintf("%s/%s", root, dir);
	char *p = xasprintf("%s/harness.yaml", d);
	FILE *f;

	assert_int_equal(mkdir(d, 0755), 0);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f,
		"name: %s\ntoolchain: busybox\ncommand: [\"true\"]\n"
		"payloads:\n  - {name: p, value: x, expect: not_confirmed}\n"
		"oracle:\n  exit_code: [3]\n",
		name);
	fclose(f);
	free(p);
	free(d);
}

static void suite_sets_aside_a_second_spec_with_a_taken_name(void **state)
{
	char root[] = "/tmp/sandrun-strset-XXXXXX";
	struct cli_suite su = {0};
	struct strvec paths = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;
	char *cmd;

	(void)state;
	assert_non_null(mkdtemp(root));
	write_spec(root, "a", "same");
	write_spec(root, "b", "same");
	write_spec(root, "c", "other");
	strvec_push(&paths, root);
	assert_int_equal(cli_load_suite(&su, &paths, NULL, &err), 0);
	assert_int_equal(su.n, 2);
	assert_int_equal(su.bad_msgs.nr, 1);
	assert_non_null(strstr(su.bad_msgs.v[0], "harness name 'same' is used by another spec"));
	assert_non_null(strstr(su.bad_paths.v[0], "/b/harness.yaml"));
	cli_suite_release(&su);
	strvec_clear(&paths);
	cmd = xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(add_reports_whether_the_string_was_new),
	    cmocka_unit_test(many_strings_survive_growth_and_each_is_found_once),
	    cmocka_unit_test(suite_sets_aside_a_second_spec_with_a_taken_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
