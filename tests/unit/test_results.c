/* What a finished run leaves: crash and fuzz objects from real captured
 * output, the crash's source location on the host, libFuzzer's artifact
 * prefix, which outcomes keep their full output, and the artifact budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/fsutil.h"
#include "lib/jsonparse.h"
#include "runner/verdict/findings.h"
#include "runner/spec/spec.h"

static char *here_dir(void)
{
	const char *slash = strrchr(__FILE__, '/');
	char real[4096];
	char *d = slash ? xstrndup(__FILE__, (size_t)(slash - __FILE__)) : xstrdup(".");

	if (!realpath(d, real))
		fail_msg("cannot resolve %s", d);
	free(d);
	return xstrdup(real);
}

static void load(struct strbuf *out, struct strbuf *err, const char *name)
{
	char *dir = here_dir(), *p, *buf;
	size_t len;

	p = xasprintf("%s/data/crash/%s.stdout", dir, name);
	assert_int_equal(sr_read_file(p, &buf, &len, NULL), 0);
	strbuf_add(out, buf, len);
	free(buf);
	free(p);
	p = xasprintf("%s/data/crash/%s.stderr", dir, name);
	assert_int_equal(sr_read_file(p, &buf, &len, NULL), 0);
	strbuf_add(err, buf, len);
	free(buf);
	free(p);
	free(dir);
}

static struct json_value *parse(const char *s)
{
	struct json_value *v = NULL;

	assert_non_null(s);
	assert_int_equal(json_parse(&v, "t", s, strlen(s), NULL), 0);
	return v;
}

static void test_results__crash_record_gets_crash_object_summary_cause_and_location(void **state)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct record r;
	struct spec s = {0};
	char *dir = here_dir();
	struct json_value *v;
	const struct json_value *loc;
	(void)state;

	load(&out, &err, "asan-heap-overflow");
	record_init(&r);
	r.outcome = OUTCOME_CRASH;
	r.cause = xstrdup("AddressSanitizer: heap-buffer-overflow on address 0x...");
	s.dir = xasprintf("%s/data/crash/gen", dir);
	results_parse(&r, &s, &out, &err);
	assert_string_equal(r.cause, "AddressSanitizer: heap-buffer-overflow "
				     "/work/wt/sanitizer/tests/unit/data/crash/gen/bugs.c:14:7 in "
				     "heap_overflow");
	assert_non_null(r.signature);
	assert_non_null(strstr(r.signature, "heap-buffer-overflow|heap_overflow|read_field"));
	v = parse(r.crash_json);
	assert_string_equal(json_str(json_get(v, "tool")), "AddressSanitizer");
	assert_string_equal(json_str(json_get(v, "signature")), r.signature);
	/* Compiled elsewhere: found beside the spec by its base name. */
	loc = json_get(v, "location");
	assert_non_null(loc);
	assert_non_null(strstr(json_str(json_get(loc, "file")), "/data/crash/gen/bugs.c"));
	assert_int_equal((int)json_get(loc, "line")->u.num.v, 14);
	assert_null(r.fuzz_json);
	json_free(v);
	record_release(&r);
	free(s.dir);
	free(dir);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void test_results__only_crash_outcomes_get_a_crash_object(void **state)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct record r;
	struct spec s = {0};
	(void)state;

	load(&out, &err, "asan-heap-overflow");
	record_init(&r);
	r.outcome = OUTCOME_CONFIRMED; /* an oracle fired first */
	r.cause = xstrdup("stdout contains 'x'");
	s.dir = xstrdup("/nonexistent");
	results_parse(&r, &s, &out, &err);
	assert_null(r.crash_json);
	assert_null(r.signature);
	assert_string_equal(r.cause, "stdout contains 'x'");
	record_release(&r);
	free(s.dir);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void test_results__fuzz_stats_become_the_fuzz_object(void **state)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct record r;
	struct spec s = {0};
	struct json_value *v;
	(void)state;

	load(&out, &err, "fuzz-stats");
	record_init(&r);
	r.outcome = OUTCOME_NOT_CONFIRMED;
	s.dir = xstrdup("/nonexistent");
	results_parse(&r, &s, &out, &err);
	v = parse(r.fuzz_json);
	assert_int_equal(json_get(v, "execs")->type, JSON_NUMBER);
	assert_true(json_get(v, "execs")->u.num.v > 0);
	assert_null(r.crash_json);
	json_free(v);
	record_release(&r);
	free(s.dir);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void test_results__fuzz_prefix_is_relative_to_work(void **state)
{
	struct strvec c = STRVEC_INIT;
	char *p;
	(void)state;

	strvec_push(&c, "/work/fuzz_target");
	strvec_push(&c, "/work/corpus");
	p = results_fuzz_prefix(&c);
	assert_string_equal(p, ""); /* cwd is /work */
	free(p);
	strvec_push(&c, "-artifact_prefix=/work/out/");
	p = results_fuzz_prefix(&c);
	assert_string_equal(p, "out/");
	free(p);
	strvec_push(&c, "-artifact_prefix=/tmp/");
	assert_null(results_fuzz_prefix(&c)); /* the last one counts, outside /work */
	strvec_push(&c, "-artifact_prefix=out/../../x-");
	assert_null(results_fuzz_prefix(&c));
	strvec_push(&c, "-artifact_prefix=/work/o*/");
	assert_null(results_fuzz_prefix(&c));
	strvec_clear(&c);
}

static void test_results__outputs_kept_for_findings_failures_and_mismatches(void **state)
{
	struct record r;
	(void)state;

	record_init(&r);
	r.outcome = OUTCOME_NOT_CONFIRMED;
	assert_false(results_keep_output(&r));
	r.expected = OUTCOME_NOT_CONFIRMED;
	assert_false(results_keep_output(&r));
	r.expected = OUTCOME_CONFIRMED;
	assert_true(results_keep_output(&r));
	r.expected = OUTCOME_NONE;
	for (int o = OUTCOME_ERROR; o <= OUTCOME_TIMEOUT; o++) {
		r.outcome = (enum outcome)o;
		assert_true(results_keep_output(&r));
	}
}

static char *mk_tree(size_t nfiles, size_t size)
{
	char *root = xstrdup("/tmp/sr-test-results-XXXXXX"), *p;
	char *buf = xcalloc(1, size + 1);

	assert_non_null(mkdtemp(root));
	p = xasprintf("%s/corpus", root);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	for (size_t i = 0; i < nfiles; i++) {
		p = xasprintf("%s/corpus/f%zu", root, i);
		assert_int_equal(fs_write_new(p, buf, size, 0644, NULL), 0);
		free(p);
	}
	free(buf);
	return root;
}

static void test_results__collect_stops_at_the_budget_and_counts_the_rest(void **state)
{
	char *root = mk_tree(5, 10), *work = xasprintf("%s", root);
	char *dest = xasprintf("%s/dest", root);
	struct strvec rels = STRVEC_INIT;
	struct fs_budget b = {.files = 2, .bytes = 1000};
	(void)state;

	assert_int_equal(fs_collect_budget(work, "corpus/*", dest, &rels, &b, NULL), 5);
	assert_int_equal(rels.nr, 2);
	assert_int_equal(b.dropped, 3);
	assert_int_equal(b.dropped_bytes, 30);
	/* A second glob over the same files neither copies nor counts them again. */
	b.files = 10;
	assert_int_equal(fs_collect_budget(work, "corpus/f0", dest, &rels, &b, NULL), 1);
	assert_int_equal(rels.nr, 2);
	assert_int_equal(b.dropped, 3);
	/* Bytes bound as well as files. */
	b.bytes = 15;
	assert_int_equal(fs_collect_budget(work, "corpus/f[234]", dest, &rels, &b, NULL), 3);
	assert_int_equal(rels.nr, 3);
	assert_int_equal(b.dropped, 5);
	strvec_clear(&rels);
	fs_remove_tree(root);
	free(root);
	free(work);
	free(dest);
}

static void test_results__collect_fills_the_record_and_takes_reproducers_on_crash(void **state)
{
	char *root = mk_tree(3, 4), *dest = xasprintf("%s/dest", root), *p;
	struct record r;
	struct spec s = {0};
	struct fs_budget b = {.files = 100, .bytes = 1u << 20};
	(void)state;

	p = xasprintf("%s/out", root);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/out/crash-abc", root);
	assert_int_equal(fs_write_new(p, "FUZ\x09", 4, 0644, NULL), 0);
	free(p);
	strvec_push(&s.command, "/work/fuzz_target");
	strvec_push(&s.command, "-artifact_prefix=/work/out/");
	strvec_push(&s.collect, "corpus/f1");
	record_init(&r);
	r.outcome = OUTCOME_NOT_CONFIRMED;
	assert_int_equal(results_collect(&r, &s, root, dest, &b, NULL), 0);
	assert_int_equal(r.evidence.artifacts.nr, 1); /* no reproducers without a crash */
	assert_string_equal(r.evidence.artifact_dir, dest);
	r.outcome = OUTCOME_CRASH;
	assert_int_equal(results_collect(&r, &s, root, dest, &b, NULL), 0);
	assert_int_equal(r.evidence.artifacts.nr, 2);
	assert_string_equal(r.evidence.artifacts.v[1], "out/crash-abc");
	p = xasprintf("%s/out/crash-abc", dest);
	assert_int_equal(access(p, R_OK), 0);
	free(p);
	record_release(&r);
	strvec_clear(&s.command);
	strvec_clear(&s.collect);
	fs_remove_tree(root);
	free(root);
	free(dest);
}

static void test_results__saved_output_is_named_in_the_record(void **state)
{
	char *root = mk_tree(0, 0), *dest = xasprintf("%s/dest", root), *p, *buf;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct record r;
	size_t len;
	(void)state;

	strbuf_addstr(&out, "all of stdout");
	strbuf_addstr(&err, "all of stderr");
	record_init(&r);
	r.outcome = OUTCOME_NOT_CONFIRMED;
	results_save_output(&r, dest, &out, &err);
	assert_null(r.evidence.stdout_file);
	r.outcome = OUTCOME_TIMEOUT;
	results_save_output(&r, dest, &out, &err);
	assert_string_equal(r.evidence.stdout_file, "stdout.txt");
	assert_string_equal(r.evidence.stderr_file, "stderr.txt");
	assert_string_equal(r.evidence.artifact_dir, dest);
	p = xasprintf("%s/stderr.txt", dest);
	assert_int_equal(sr_read_file(p, &buf, &len, NULL), 0);
	assert_int_equal(len, err.len);
	assert_memory_equal(buf, err.buf, len);
	free(buf);
	free(p);
	/* A collected file already took the name: the output gets another. */
	record_release(&r);
	record_init(&r);
	r.outcome = OUTCOME_CRASH;
	results_save_output(&r, dest, &out, &err);
	assert_string_equal(r.evidence.stdout_file, "sandrun-stdout.txt");
	record_release(&r);
	fs_remove_tree(root);
	free(root);
	free(dest);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void spec_err(const char *text, const char *want)
{
	struct spec sp;
	struct sr_err err = SR_ERR_INIT;

	assert_int_equal(spec_parse(&sp, "t.yaml", "/tmp", text, strlen(text), &err), SR_EINVAL);
	if (!strstr(err.msg, want))
		fail_msg("'%s' lacks '%s'", err.msg, want);
}

static void test_results__spec_takes_collect_reproduce_and_artifact_limits(void **state)
{
	static const char ok[] = "toolchain: t\ncommand: [a]\ncollect: [\"corpus/*\", out/x]\n"
				 "reproduce: [/work/f, \"-runs=1\", \"{artifact}\"]\n"
				 "limits: {artifacts: 7, artifact_bytes: 2m}\n";
	struct spec sp;
	struct sr_err err = SR_ERR_INIT;
	(void)state;

	assert_int_equal(spec_parse(&sp, "t.yaml", "/tmp", ok, strlen(ok), &err), 0);
	assert_int_equal(sp.collect.nr, 2);
	assert_string_equal(sp.collect.v[0], "corpus/*");
	assert_int_equal(sp.reproduce.nr, 3);
	assert_string_equal(sp.reproduce.v[2], "{artifact}");
	assert_int_equal(sp.limits.artifacts, 7);
	assert_int_equal(sp.limits.artifact_bytes, 2u << 20);
	spec_release(&sp);
	assert_int_equal(
	    spec_parse(&sp, "t.yaml", "/tmp", "toolchain: t\ncommand: [a]\n", 25, &err), 0);
	assert_int_equal(sp.limits.artifacts, 1000);
	assert_int_equal(sp.limits.artifact_bytes, 64u << 20);
	spec_release(&sp);
	spec_err("toolchain: t\ncommand: [a]\ncollect: [/etc/*]\n",
		 "t.yaml:3:11: 'collect' items must be globs under /work");
	spec_err("toolchain: t\ncommand: [a]\ncollect: [../x]\n", "'collect' items must be globs");
	spec_err("toolchain: t\ncommand: [a]\ncollect: corpus\n",
		 "t.yaml:3:10: 'collect' must be a list");
	spec_err("toolchain: t\ncommand: [a]\nreproduce: [/work/f, x]\n",
		 "t.yaml:3:12: 'reproduce' must name the saved input as {artifact}");
	spec_err("toolchain: t\ncommand: [a]\nlimits: {artifacts: -1}\n", "limits.artifacts");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_results__crash_record_gets_crash_object_summary_cause_and_location),
	    cmocka_unit_test(test_results__only_crash_outcomes_get_a_crash_object),
	    cmocka_unit_test(test_results__fuzz_stats_become_the_fuzz_object),
	    cmocka_unit_test(test_results__fuzz_prefix_is_relative_to_work),
	    cmocka_unit_test(test_results__outputs_kept_for_findings_failures_and_mismatches),
	    cmocka_unit_test(test_results__collect_stops_at_the_budget_and_counts_the_rest),
	    cmocka_unit_test(test_results__collect_fills_the_record_and_takes_reproducers_on_crash),
	    cmocka_unit_test(test_results__saved_output_is_named_in_the_record),
	    cmocka_unit_test(test_results__spec_takes_collect_reproduce_and_artifact_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
