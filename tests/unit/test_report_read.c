/* A JSON report read back into records (for report merge to other formats). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/report/report.h"
#include "runner/report/report_read.h"

static void test_report_read__round_trips_what_the_writer_wrote(void **state)
{
	char path[] = "/tmp/sandrun-test-read-XXXXXX";
	struct record in[2], *out;
	struct run_meta m = {0}, mo;
	struct sr_err err = SR_ERR_INIT;
	size_t n;
	int fd = mkstemp(path);
	(void)state;

	assert_true(fd >= 0);
	close(fd);
	for (int i = 0; i < 2; i++) {
		record_init(&in[i]);
		in[i].harness = xstrdup("h");
		in[i].payload = xstrdup("p");
		in[i].outcome = i ? OUTCOME_NOT_CONFIRMED : OUTCOME_CONFIRMED;
		in[i].expected = OUTCOME_CONFIRMED;
		in[i].phase = "run";
		in[i].cause = xasprintf("cause %d", i);
		in[i].exit_code = 3;
		in[i].duration_ms = 812;
		in[i].repeat_index = (unsigned)i;
		in[i].confirm = 2;
		in[i].isolation.network = "oob";
		in[i].evidence.stdout_tail = xstrdup("out");
		in[i].evidence.untokened_json = xstrdup("[{\"from\":\"172.30.0.2:1\"}]");
		strvec_push(&in[i].repro, "docker");
	}
	m.run_id = xstrdup("r1");
	m.start_wall_ms = 1700000000123ull;
	m.git_dirty = -1;
	assert_int_equal(report_write_json(path, &m, in, 2, &err), 0);
	assert_int_equal(report_read(&out, &n, &mo, path, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(mo.run_id, "r1");
	assert_int_equal(mo.start_wall_ms, 1700000000123ull);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(out[i].harness, "h");
		assert_int_equal(out[i].outcome, in[i].outcome);
		assert_int_equal(out[i].expected, OUTCOME_CONFIRMED);
		assert_string_equal(out[i].phase, "run");
		assert_string_equal(out[i].cause, in[i].cause);
		assert_int_equal(out[i].exit_code, 3);
		assert_int_equal(out[i].duration_ms, 812);
		assert_int_equal(out[i].repeat_index, (unsigned)i);
		assert_int_equal(out[i].confirm, 2); /* from the verdict */
		assert_string_equal(out[i].isolation.network, "oob");
		assert_string_equal(out[i].evidence.stdout_tail, "out");
		assert_string_equal(out[i].evidence.untokened_json,
				    "[{\"from\":\"172.30.0.2:1\"}]");
		assert_string_equal(out[i].repro.v[0], "docker");
		record_release(&out[i]);
		record_release(&in[i]);
	}
	free(out);
	run_meta_release(&m);
	run_meta_release(&mo);

	/* Not a report: an error with the file's name. */
	{
		FILE *f = fopen(path, "w");
		fputs("[1]", f);
		fclose(f);
	}
	assert_true(report_read(&out, &n, &mo, path, &err) < 0);
	assert_non_null(strstr(err.msg, "not a sandrun report"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_read__round_trips_what_the_writer_wrote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
