/* `report merge` past one machine: reading a report's shard, refusing shards
 * of different suites, duplicates and mixed counts, the error records of a
 * missing shard, and the merged report in JSON, JUnit and SARIF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"
#include "lib/fsutil.h"
#include "runner/report/report.h"
#include "runner/merge/report_merge.h"
#include "runner/cli/shard.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	char *d = tu_temp_dir("merge");

	snprintf(tmpdir, sizeof(tmpdir), "%s", d);
	free(d);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return tu_remove_dir(tmpdir);
}

static struct json_value *parse(const char *text)
{
	struct json_value *v = NULL;
	struct sr_err err = SR_ERR_INIT;

	if (json_parse(&v, "r.json", text, strlen(text), &err) < 0)
		fail_msg("%s", err.msg);
	return v;
}

/* A shard input as merge_input_read leaves it. */
static struct merge_input in_(const char *path, unsigned k, unsigned n, const char *fp)
{
	return (struct merge_input){.path = path, .index = k, .count = n, .fingerprint = fp};
}

static void expect_refusal(const struct merge_input *in, size_t n, const char *needle)
{
	unsigned *miss = NULL, count = 0;
	size_t nmiss = 0;
	struct sr_err err = SR_ERR_INIT;

	assert_int_equal(merge_check_shards(&miss, &nmiss, &count, in, n, NULL, &err), SR_EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	assert_null(miss);
}

static void test_merge__reads_shard_object_string_and_null(void **state)
{
	struct merge_input m;
	struct sr_err err = SR_ERR_INIT;
	struct json_value *v;
	(void)state;

	v = parse("{\"run\": {\"shard\": {\"index\": 3, \"count\": 8}, \"fingerprint\": "
		  "\"00112233aabbccdd\"}, \"records\": []}");
	assert_int_equal(merge_input_read(&m, "r.json", v, &err), 0);
	assert_int_equal(m.index, 3);
	assert_int_equal(m.count, 8);
	assert_string_equal(m.fingerprint, "00112233aabbccdd");
	json_free(v);

	v = parse("{\"run\": {\"shard\": \"2/4\"}, \"records\": []}");
	assert_int_equal(merge_input_read(&m, "r.json", v, &err), 0);
	assert_int_equal(m.index, 2);
	assert_int_equal(m.count, 4);
	assert_null(m.fingerprint);
	json_free(v);

	v = parse("{\"run\": {\"shard\": null, \"fingerprint\": null}, \"records\": []}");
	assert_int_equal(merge_input_read(&m, "r.json", v, &err), 0);
	assert_int_equal(m.count, 0);
	json_free(v);
}

static void test_merge__malformed_shard_is_an_error_with_position(void **state)
{
	struct merge_input m;
	struct sr_err err = SR_ERR_INIT;
	struct json_value *v;
	(void)state;

	v = parse("{\"run\": {\"shard\": {\"index\": 5, \"count\": 4}}, \"records\": []}");
	assert_int_equal(merge_input_read(&m, "r.json", v, &err), SR_EINVAL);
	assert_string_equal(err.msg, "r.json:1:19: \"shard\" needs \"index\" and \"count\" with 1 "
				     "<= index <= count");
	json_free(v);
	v = parse("{\"run\": {\"shard\": 7}, \"records\": []}");
	assert_int_equal(merge_input_read(&m, "r.json", v, &err), SR_EINVAL);
	json_free(v);
	v = parse("{\"run\": {\"fingerprint\": 7}, \"records\": []}");
	assert_int_equal(merge_input_read(&m, "r.json", v, &err), SR_EINVAL);
	json_free(v);
}

static void test_merge__refuses_shards_of_different_suites(void **state)
{
	struct merge_input in[] = {in_("a.json", 1, 2, "aaaaaaaaaaaaaaaa"),
				   in_("b.json", 2, 2, "bbbbbbbbbbbbbbbb")};
	(void)state;

	expect_refusal(in, 2, "a.json and b.json are shards of different suites");
}

static void test_merge__refuses_a_suite_other_than_the_one_given(void **state)
{
	struct merge_input in[] = {in_("a.json", 1, 1, "aaaaaaaaaaaaaaaa")};
	struct merge_suite su = {.fingerprint = "bbbbbbbbbbbbbbbb"};
	unsigned *miss = NULL, count;
	size_t nmiss;
	struct sr_err err = SR_ERR_INIT;
	(void)state;

	assert_int_equal(merge_check_shards(&miss, &nmiss, &count, in, 1, &su, &err), SR_EINVAL);
	assert_non_null(strstr(err.msg, "ran another suite than --suite"));
}

static void test_merge__refuses_duplicate_shards(void **state)
{
	struct merge_input in[] = {in_("a.json", 2, 3, "f"), in_("b.json", 1, 3, "f"),
				   in_("c.json", 2, 3, "f")};
	(void)state;

	expect_refusal(in, 3, "a.json and c.json both hold shard 2/3");
}

static void test_merge__refuses_mixed_counts(void **state)
{
	struct merge_input in[] = {in_("a.json", 1, 2, NULL), in_("b.json", 2, 3, NULL)};
	(void)state;

	expect_refusal(in, 2, "a.json is shard 1/2 but b.json is shard 2/3");
}

static void test_merge__finds_missing_shards_in_order(void **state)
{
	struct merge_input in[] = {in_("c.json", 4, 5, "f"), in_("a.json", 2, 5, "f"),
				   in_("u.json", 0, 0, NULL)};
	unsigned *miss = NULL, count = 0;
	size_t nmiss = 0;
	struct sr_err err = SR_ERR_INIT;
	(void)state;

	assert_int_equal(merge_check_shards(&miss, &nmiss, &count, in, 3, NULL, &err), 0);
	assert_int_equal(count, 5);
	assert_int_equal(nmiss, 3);
	assert_int_equal(miss[0], 1);
	assert_int_equal(miss[1], 3);
	assert_int_equal(miss[2], 5);
	free(miss);

	/* Nothing sharded: nothing is missing. */
	assert_int_equal(merge_check_shards(&miss, &nmiss, &count, &in[2], 1, NULL, &err), 0);
	assert_int_equal(count, 0);
	assert_int_equal(nmiss, 0);
	assert_null(miss);
}

static void test_merge__missing_shard_is_one_error_per_run_it_should_have_run(void **state)
{
	const struct merge_run runs[] = {
	    {"alpha", "", "h/alpha.yaml"}, {"beta", "x", "h/beta.yaml"},
	    {"beta", "y", "h/beta.yaml"},  {"gamma", "", "h/gamma.yaml"},
	    {"delta", "", "h/delta.yaml"}, {"epsilon", "", "h/epsilon.yaml"},
	};
	struct merge_suite su = {.runs = runs, .n = SR_ARRAY_SIZE(runs)};
	struct shard s = {.index = 2, .count = 3};
	struct record *r = NULL;
	size_t n = 0, a = 0, want = 0;
	(void)state;

	for (size_t i = 0; i < su.n; i++)
		want += shard_selects(&s, runs[i].harness);
	assert_true(want > 0 && want < su.n);
	merge_missing_records(&r, &n, &a, 2, 3, &su);
	assert_int_equal(n, want);
	for (size_t i = 0; i < n; i++) {
		assert_true(shard_selects(&s, r[i].harness));
		assert_int_equal(r[i].outcome, OUTCOME_ERROR);
		assert_true(record_failed(&r[i]));
		assert_non_null(strstr(r[i].cause, "shard 2/3 wrote no report"));
		record_release(&r[i]);
	}
	free(r);
}

static void test_merge__missing_shard_without_suite_is_one_named_error(void **state)
{
	struct record *r = NULL;
	size_t n = 0, a = 0;
	(void)state;

	merge_missing_records(&r, &n, &a, 3, 8, NULL);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].harness, "shard-3of8");
	assert_int_equal(r[0].outcome, OUTCOME_ERROR);
	assert_true(record_failed(&r[0]));
	record_release(&r[0]);
	free(r);
}

static char *write_shard(const char *name, unsigned k, unsigned n, const char *fp, enum outcome o)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	struct run_meta m;
	struct record r;
	struct sr_err err = SR_ERR_INIT;

	memset(&m, 0, sizeof(m));
	m.run_id = xasprintf("run-%u", k);
	m.start_wall_ms = 1700000000000ull + k;
	m.end_wall_ms = 1700000005000ull + k;
	m.engine = xstrdup("docker");
	m.git_dirty = -1;
	m.shard_k = k;
	m.shard_n = n;
	m.fingerprint = xstrdup(fp);
	record_init(&r);
	r.harness = xasprintf("h%u", k);
	r.payload = xstrdup("");
	r.spec_path = xasprintf("harnesses/h%u.yaml", k);
	r.outcome = o;
	r.expected = o;
	r.phase = "run";
	r.runs = 1;
	r.isolation.network = "none";
	r.isolation.user = "65534:65534";
	if (report_write_json(path, &m, &r, 1, &err) < 0)
		fail_msg("%s", err.msg);
	record_release(&r);
	run_meta_release(&m);
	return path;
}

static void test_merge__writes_json_junit_and_sarif_with_the_lost_shard_failing(void **state)
{
	char *a = write_shard("s1.json", 1, 3, "ffff", OUTCOME_CONFIRMED);
	char *c = write_shard("s3.json", 3, 3, "ffff", OUTCOME_NOT_CONFIRMED);
	char *oj = xasprintf("%s/m.json", tmpdir), *ox = xasprintf("%s/m.xml", tmpdir);
	char *os = xasprintf("%s/m.sarif", tmpdir), *text = NULL;
	const char *in[] = {c, a};
	struct merge_output outs[] = {{report_format_find("json", (size_t)-1), oj, NULL, NULL},
				      {report_format_find("junit", (size_t)-1), ox, NULL, NULL},
				      {report_format_find("sarif", (size_t)-1), os, NULL, NULL}};
	struct sr_err err = SR_ERR_INIT;
	struct json_value *v;
	size_t failed = 99, len;
	(void)state;

	if (report_merge_outputs(&failed, outs, 3, in, 2, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(failed, 1);
	assert_int_equal(json_parse_file(&v, oj, &err), 0);
	assert_int_equal(json_get(json_get(v, "run"), "total")->u.num.v, 3);
	assert_int_equal(json_get(json_get(v, "run"), "failed")->u.num.v, 1);
	assert_string_equal(json_str(json_get(json_get(v, "run"), "fingerprint")), "ffff");
	assert_int_equal(json_get(json_get(json_get(v, "run"), "shards"), "count")->u.num.v, 3);
	/* Shard order, the lost shard's record last. */
	assert_string_equal(json_str(json_get(json_get(v, "records")->u.arr.v[0], "harness")),
			    "h1");
	assert_string_equal(json_str(json_get(json_get(v, "records")->u.arr.v[1], "harness")),
			    "h3");
	assert_string_equal(json_str(json_get(json_get(v, "records")->u.arr.v[2], "harness")),
			    "shard-2of3");
	json_free(v);

	assert_int_equal(sr_read_file(ox, &text, &len, &err), 0);
	assert_non_null(strstr(text, "classname=\"shard-2of3\""));
	assert_non_null(strstr(text, "classname=\"h3\""));
	free(text);
	assert_int_equal(json_parse_file(&v, os, &err), 0);
	assert_string_equal(json_str(json_get(v, "version")), "2.1.0");
	json_free(v);

	free(a);
	free(c);
	free(oj);
	free(ox);
	free(os);
}

static void test_merge__refusal_writes_nothing(void **state)
{
	char *a = write_shard("d1.json", 1, 2, "aaaa", OUTCOME_CONFIRMED);
	char *b = write_shard("d2.json", 2, 2, "bbbb", OUTCOME_CONFIRMED);
	char *oj = xasprintf("%s/refused.json", tmpdir);
	const char *in[] = {a, b};
	struct merge_output outs[] = {{report_format_find("json", (size_t)-1), oj, NULL, NULL}};
	struct sr_err err = SR_ERR_INIT;
	(void)state;

	assert_int_equal(report_merge_outputs(NULL, outs, 1, in, 2, NULL, &err), SR_EINVAL);
	assert_non_null(strstr(err.msg, "different suites"));
	assert_int_equal(access(oj, F_OK), -1);
	free(a);
	free(b);
	free(oj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge__reads_shard_object_string_and_null),
	    cmocka_unit_test(test_merge__malformed_shard_is_an_error_with_position),
	    cmocka_unit_test(test_merge__refuses_shards_of_different_suites),
	    cmocka_unit_test(test_merge__refuses_a_suite_other_than_the_one_given),
	    cmocka_unit_test(test_merge__refuses_duplicate_shards),
	    cmocka_unit_test(test_merge__refuses_mixed_counts),
	    cmocka_unit_test(test_merge__finds_missing_shards_in_order),
	    cmocka_unit_test(test_merge__missing_shard_is_one_error_per_run_it_should_have_run),
	    cmocka_unit_test(test_merge__missing_shard_without_suite_is_one_named_error),
	    cmocka_unit_test(test_merge__writes_json_junit_and_sarif_with_the_lost_shard_failing),
	    cmocka_unit_test(test_merge__refusal_writes_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
