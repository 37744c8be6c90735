/* Shards: K/N parsing, `--shard auto` from Slurm, Kubernetes or SANDRUN_SHARD,
 * harness selection, and the suite fingerprint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"
#include "lib/fsutil.h"
#include "runner/cli/shard.h"

/* shard_from_env on a NULL-terminated list of "NAME=value". */
#define ENV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void expect_env(const char *const *envp, unsigned k, unsigned n, const char *source)
{
	struct shard s = {0};
	struct sr_err err = SR_ERR_INIT;

	assert_int_equal(shard_from_env(&s, envp, &err), 0);
	assert_int_equal(s.index, k);
	assert_int_equal(s.count, n);
	assert_string_equal(s.source, source);
}

static void expect_env_error(const char *const *envp, const char *needle)
{
	struct shard s = {0};
	struct sr_err err = SR_ERR_INIT;

	assert_int_equal(shard_from_env(&s, envp, &err), SR_EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void test_shard__parse_accepts_k_of_n(void **state)
{
	struct shard s;
	struct sr_err err = SR_ERR_INIT;

	(void)state;
	assert_int_equal(shard_parse(&s, "3/8", &err), 0);
	assert_int_equal(s.index, 3);
	assert_int_equal(s.count, 8);
	assert_int_equal(shard_parse(&s, "1/1", &err), 0);
	assert_int_equal(shard_parse(&s, "8/8", &err), 0);
}

static void test_shard__parse_refuses_zero_overflow_and_garbage(void **state)
{
	const char *bad[] = {
	    "0/4",	"5/4",	"1/0",	"0/0",	 "",	  "/",	   "1/",
	    "/4",	"1",	"a/4",	"1/4x",	 " 1/4",  "1/ 4",  "+1/4",
	    "-1/4",	"1/-4", "1//4", "1/4/8", "1.0/4", "0x1/4", "1/99999999999999999999",
	    "1/1000001"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct shard s;
		struct sr_err err = SR_ERR_INIT;
		if (shard_parse(&s, bad[i], &err) != SR_EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(err.msg, bad[i]));
	}
}

static void test_shard__sandrun_shard_wins_over_slurm_and_kubernetes(void **state)
{
	(void)state;
	expect_env(ENV("SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=4",
		       "SANDRUN_SHARD=2/5", "JOB_COMPLETION_INDEX=0", "SANDRUN_SHARD_COUNT=3"),
		   2, 5, "SANDRUN_SHARD");
}

static void test_shard__bad_sandrun_shard_is_an_error_not_a_fallthrough(void **state)
{
	(void)state;
	expect_env_error(ENV("SANDRUN_SHARD=5/4", "SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_MIN=1",
			     "SLURM_ARRAY_TASK_MAX=4"),
			 "SANDRUN_SHARD");
	expect_env_error(ENV("SANDRUN_SHARD="), "SANDRUN_SHARD");
}

static void test_shard__slurm_array_from_one(void **state)
{
	(void)state;
	/* sbatch --array=1-4: what slurmd sets for task 1 and task 4 */
	expect_env(ENV("SLURM_ARRAY_JOB_ID=7", "SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_MIN=1",
		       "SLURM_ARRAY_TASK_MAX=4", "SLURM_ARRAY_TASK_STEP=1",
		       "SLURM_ARRAY_TASK_COUNT=4"),
		   1, 4, "slurm");
	expect_env(ENV("SLURM_ARRAY_TASK_ID=4", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=4",
		       "SLURM_ARRAY_TASK_STEP=1", "SLURM_ARRAY_TASK_COUNT=4"),
		   4, 4, "slurm");
}

static void test_shard__slurm_array_from_zero_numbers_the_same(void **state)
{
	(void)state;
	/* sbatch --array=0-3: task 0 is shard 1/4, task 3 is 4/4 */
	expect_env(ENV("SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=3"),
		   1, 4, "slurm");
	expect_env(ENV("SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=3"),
		   4, 4, "slurm");
	/* --array=10-13 */
	expect_env(
	    ENV("SLURM_ARRAY_TASK_ID=12", "SLURM_ARRAY_TASK_MIN=10", "SLURM_ARRAY_TASK_MAX=13"), 3,
	    4, "slurm");
}

static void test_shard__slurm_count_stands_in_for_max(void **state)
{
	(void)state;
	expect_env(
	    ENV("SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_COUNT=3"), 3,
	    3, "slurm");
}

static void test_shard__slurm_step_numbers_densely(void **state)
{
	(void)state;
	/* --array=0-6:2 is tasks 0,2,4,6 */
	expect_env(ENV("SLURM_ARRAY_TASK_ID=4", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=6",
		       "SLURM_ARRAY_TASK_STEP=2", "SLURM_ARRAY_TASK_COUNT=4"),
		   3, 4, "slurm");
	expect_env_error(ENV("SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_MIN=0",
			     "SLURM_ARRAY_TASK_MAX=6", "SLURM_ARRAY_TASK_STEP=2"),
			 "SLURM_ARRAY_TASK_ID=3");
	expect_env_error(ENV("SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_MIN=0",
			     "SLURM_ARRAY_TASK_MAX=6", "SLURM_ARRAY_TASK_STEP=0"),
			 "SLURM_ARRAY_TASK_STEP");
}

static void test_shard__slurm_sparse_array_is_refused(void **state)
{
	(void)state;
	/* --array=1,2,5: min 1, max 5, but only 3 tasks */
	expect_env_error(ENV("SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_TASK_MIN=1",
			     "SLURM_ARRAY_TASK_MAX=5", "SLURM_ARRAY_TASK_STEP=1",
			     "SLURM_ARRAY_TASK_COUNT=3"),
			 "--array=1-N");
}

static void test_shard__slurm_inconsistent_or_partial_variables_are_errors(void **state)
{
	(void)state;
	/* ID below MIN */
	expect_env_error(
	    ENV("SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=4"),
	    "SLURM_ARRAY_TASK_ID=0");
	/* ID above MAX */
	expect_env_error(
	    ENV("SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=4"),
	    "SLURM_ARRAY_TASK_ID=5");
	/* MAX below MIN */
	expect_env_error(
	    ENV("SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MIN=3", "SLURM_ARRAY_TASK_MAX=1"),
	    "below");
	/* no MIN: 0- and 1-based arrays cannot be told apart */
	expect_env_error(ENV("SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MAX=4"),
			 "SLURM_ARRAY_TASK_MIN");
	/* neither MAX nor COUNT */
	expect_env_error(ENV("SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MIN=1"),
			 "SLURM_ARRAY_TASK_MAX");
	expect_env_error(
	    ENV("SLURM_ARRAY_TASK_ID=x", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=4"),
	    "SLURM_ARRAY_TASK_ID='x'");
	expect_env_error(
	    ENV("SLURM_ARRAY_TASK_ID=-1", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=4"),
	    "SLURM_ARRAY_TASK_ID='-1'");
	expect_env_error(
	    ENV("SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_COUNT=0"),
	    "SLURM_ARRAY_TASK_COUNT");
}

static void test_shard__kubernetes_index_is_zero_based(void **state)
{
	(void)state;
	expect_env(ENV("JOB_COMPLETION_INDEX=0", "SANDRUN_SHARD_COUNT=4"), 1, 4, "kubernetes");
	expect_env(ENV("JOB_COMPLETION_INDEX=3", "SANDRUN_SHARD_COUNT=4"), 4, 4, "kubernetes");
}

static void test_shard__kubernetes_errors(void **state)
{
	(void)state;
	expect_env_error(ENV("JOB_COMPLETION_INDEX=0"), "SANDRUN_SHARD_COUNT");
	expect_env_error(ENV("JOB_COMPLETION_INDEX=4", "SANDRUN_SHARD_COUNT=4"),
			 "JOB_COMPLETION_INDEX=4");
	expect_env_error(ENV("JOB_COMPLETION_INDEX=a", "SANDRUN_SHARD_COUNT=4"),
			 "JOB_COMPLETION_INDEX='a'");
	expect_env_error(ENV("JOB_COMPLETION_INDEX=0", "SANDRUN_SHARD_COUNT=0"),
			 "SANDRUN_SHARD_COUNT='0'");
}

static void test_shard__no_source_names_every_variable(void **state)
{
	const char *names[] = {"SANDRUN_SHARD",		 "SLURM_ARRAY_TASK_ID",
			       "SLURM_ARRAY_TASK_MIN",	 "SLURM_ARRAY_TASK_MAX",
			       "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX",
			       "SANDRUN_SHARD_COUNT"};
	struct shard s;
	struct sr_err err = SR_ERR_INIT;

	(void)state;
	assert_int_equal(shard_from_env(&s, ENV("PATH=/bin", "SANDRUN_SHARDX=1/2"), &err),
			 SR_EINVAL);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_non_null(strstr(err.msg, names[i]));
	expect_env_error(ENV(NULL), "SANDRUN_SHARD=K/N");
	/* a plain Slurm job (not an array) says so */
	expect_env_error(ENV("SLURM_JOB_ID=12"), "not an array job");
}

static void test_shard__every_harness_lands_on_exactly_one_shard(void **state)
{
	char name[32];

	(void)state;
	for (int i = 0; i < 200; i++) {
		unsigned hits = 0;
		snprintf(name, sizeof(name), "harness-%d", i);
		for (unsigned k = 1; k <= 4; k++) {
			struct shard s = {k, 4, "--shard"};
			hits += shard_selects(&s, name);
		}
		assert_int_equal(hits, 1);
	}
	assert_true(shard_selects(NULL, "any"));
}

/* ------------------------------------------------------------- fingerprint */

static void put(const char *dir, const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", dir, rel);
	char *slash = strrchr(p, '/');
	struct sr_err err = SR_ERR_INIT;

	*slash = '\0';
	assert_int_equal(fs_mkdirs(p, 0755, &err), 0);
	*slash = '/';
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static char *fp(const char *root, const char *const *rels, size_t n, const char *cat)
{
	struct strvec paths = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;
	char *hex = NULL;

	for (size_t i = 0; i < n; i++)
		strvec_pushf(&paths, "%s/%s", root, rels[i]);
	if (suite_fingerprint(&hex, root, (const char *const *)paths.v, n, cat, &err) < 0)
		fail_msg("suite_fingerprint: %s", err.msg);
	strvec_clear(&paths);
	assert_int_equal(strlen(hex), 16);
	return hex;
}

static void two_suites(char **a, char **b)
{
	*a = tu_temp_dir("shard");
	*b = tu_temp_dir("shard");
	put(*a, "x/harness.yaml", "name: x\n");
	put(*a, "y.yaml", "name: y\n");
	put(*b, "x/harness.yaml", "name: x\n");
	put(*b, "y.yaml", "name: y\n");
}

static void test_shard__fingerprint_same_suite_elsewhere_in_any_order_is_equal(void **state)
{
	char *a, *b;
	const char *ab[] = {"x/harness.yaml", "y.yaml"}, *ba[] = {"y.yaml", "x/harness.yaml"};

	(void)state;
	two_suites(&a, &b);
	char *fa = fp(a, ab, 2, "cafe"), *fb = fp(b, ba, 2, "cafe");
	assert_string_equal(fa, fb);
	/* the same file twice counts once */
	const char *dup[] = {"y.yaml", "x/harness.yaml", "y.yaml"};
	char *fd = fp(a, dup, 3, "cafe");
	assert_string_equal(fa, fd);
	free(fa);
	free(fb);
	free(fd);
	fs_remove_tree(a);
	fs_remove_tree(b);
	free(a);
	free(b);
}

static void test_shard__fingerprint_changes_with_content_path_set_or_catalogue(void **state)
{
	char *a, *b;
	const char *ab[] = {"x/harness.yaml", "y.yaml"};

	(void)state;
	two_suites(&a, &b);
	char *base = fp(a, ab, 2, "cafe");
	char *other_cat = fp(a, ab, 2, "beef");
	char *no_cat = fp(a, ab, 2, NULL);
	char *fewer = fp(a, ab, 1, "cafe");
	assert_string_not_equal(base, other_cat);
	assert_string_not_equal(base, no_cat);
	assert_string_not_equal(base, fewer);
	put(b, "y.yaml", "name: y\ntimeout: 1s\n");
	char *edited = fp(b, ab, 2, "cafe");
	assert_string_not_equal(base, edited);
	/* same contents under another name */
	put(b, "z.yaml", "name: y\n");
	const char *moved[] = {"x/harness.yaml", "z.yaml"};
	char *renamed = fp(b, moved, 2, "cafe");
	assert_string_not_equal(base, renamed);
	free(base);
	free(other_cat);
	free(no_cat);
	free(fewer);
	free(edited);
	free(renamed);
	fs_remove_tree(a);
	fs_remove_tree(b);
	free(a);
	free(b);
}

static void test_shard__fingerprint_refuses_specs_outside_root_and_missing_files(void **state)
{
	char *a, *b, *hex = NULL;
	struct sr_err err = SR_ERR_INIT;

	(void)state;
	two_suites(&a, &b);
	char *out = xasprintf("%s/y.yaml", b);
	const char *outside[] = {out};
	assert_int_equal(suite_fingerprint(&hex, a, outside, 1, "c", &err), SR_EINVAL);
	assert_non_null(strstr(err.msg, "outside the suite root"));
	char *sneaky = xasprintf("%s/x/../../%s/y.yaml", a, strrchr(b, '/') + 1);
	const char *dots[] = {sneaky};
	assert_int_equal(suite_fingerprint(&hex, a, dots, 1, "c", &err), SR_EINVAL);
	char *gone = xasprintf("%s/x/missing.yaml", a);
	const char *missing[] = {gone};
	assert_true(suite_fingerprint(&hex, a, missing, 1, "c", &err) < 0);
	assert_non_null(strstr(err.msg, "missing.yaml"));
	assert_null(hex);
	free(out);
	free(sneaky);
	free(gone);
	fs_remove_tree(a);
	fs_remove_tree(b);
	free(a);
	free(b);
}

static void test_shard__fingerprint_relative_root_matches_absolute(void **state)
{
	char *a = tu_temp_dir("shard"), cwd[4096], *h1, *h2 = NULL;
	struct sr_err err = SR_ERR_INIT;

	(void)state;
	put(a, "s/one.yaml", "name: one\n");
	h1 = fp(a, (const char *[]){"s/one.yaml"}, 1, "c");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(a), 0);
	const char *rel[] = {"./s/one.yaml"};
	assert_int_equal(suite_fingerprint(&h2, ".", rel, 1, "c", &err), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(h1, h2);
	free(h1);
	free(h2);
	fs_remove_tree(a);
	free(a);
}

/* The fingerprint fed with the bytes read while loading (suite_fp) is the
 * one suite_fingerprint reads from the files, and both are the value this
 * suite had before loading changed (pinned: shard reports of two sandrun
 * versions merge; tests/tools/xxh64.py --suite computes it independently).
 * Files out of order or outside the root break the stream (-1: read
 * again). */
static void test_shard__streamed_fingerprint_equals_read_and_pinned(void **state)
{
	const char *ab[] = {"x/harness.yaml", "y.yaml"};
	char *a, *b, *hex = NULL;
	struct suite_fp *s;
	(void)state;

	two_suites(&a, &b);
	char *read = fp(a, ab, 2, "cafe");
	assert_string_equal(read, "cc78312d6e3c498e");
	char *ra = realpath(a, NULL), *rx = xasprintf("%s/x", ra);
	s = suite_fp_new(ra);
	suite_fp_add(s, rx, "harness.yaml", "name: x\n", 8);
	suite_fp_add(s, ra, "y.yaml", "name: y\n", 8);
	assert_int_equal(suite_fp_files(s), 2);
	assert_int_equal(suite_fp_finish(s, "cafe", &hex), 0);
	assert_string_equal(hex, read);
	suite_fp_free(s);
	free(hex);
	hex = NULL;
	s = suite_fp_new(ra);
	suite_fp_add(s, ra, "y.yaml", "name: y\n", 8);
	suite_fp_add(s, rx, "harness.yaml", "name: x\n", 8);
	assert_int_equal(suite_fp_finish(s, "cafe", &hex), -1);
	suite_fp_free(s);
	s = suite_fp_new(rx);
	suite_fp_add(s, ra, "y.yaml", "name: y\n", 8);
	assert_int_equal(suite_fp_finish(s, "cafe", &hex), -1);
	suite_fp_free(s);
	s = suite_fp_new(ra);
	suite_fp_add(s, ra, "y.yaml", "name: y\n", 8);
	suite_fp_break(s);
	assert_int_equal(suite_fp_finish(s, "cafe", &hex), -1);
	suite_fp_free(s);
	assert_null(hex);
	free(read);
	free(ra);
	free(rx);
	fs_remove_tree(a);
	fs_remove_tree(b);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shard__parse_accepts_k_of_n),
	    cmocka_unit_test(test_shard__parse_refuses_zero_overflow_and_garbage),
	    cmocka_unit_test(test_shard__sandrun_shard_wins_over_slurm_and_kubernetes),
	    cmocka_unit_test(test_shard__bad_sandrun_shard_is_an_error_not_a_fallthrough),
	    cmocka_unit_test(test_shard__slurm_array_from_one),
	    cmocka_unit_test(test_shard__slurm_array_from_zero_numbers_the_same),
	    cmocka_unit_test(test_shard__slurm_count_stands_in_for_max),
	    cmocka_unit_test(test_shard__slurm_step_numbers_densely),
	    cmocka_unit_test(test_shard__slurm_sparse_array_is_refused),
	    cmocka_unit_test(test_shard__slurm_inconsistent_or_partial_variables_are_errors),
	    cmocka_unit_test(test_shard__kubernetes_index_is_zero_based),
	    cmocka_unit_test(test_shard__kubernetes_errors),
	    cmocka_unit_test(test_shard__no_source_names_every_variable),
	    cmocka_unit_test(test_shard__every_harness_lands_on_exactly_one_shard),
	    cmocka_unit_test(test_shard__fingerprint_same_suite_elsewhere_in_any_order_is_equal),
	    cmocka_unit_test(test_shard__fingerprint_changes_with_content_path_set_or_catalogue),
	    cmocka_unit_test(test_shard__fingerprint_refuses_specs_outside_root_and_missing_files),
	    cmocka_unit_test(test_shard__fingerprint_relative_root_matches_absolute),
	    cmocka_unit_test(test_shard__streamed_fingerprint_equals_read_and_pinned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
