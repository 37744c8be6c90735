/* Outcome precedence (DESIGN §7) and the oracles decided from output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "runner/verdict/outcome.h"

static enum outcome decide(const struct spec *s, const struct run_obs *o, bool *fired)
{
	enum outcome out;
	char *cause = NULL;
	bool f;

	verdict_decide(s, o, &out, &cause, &f);
	assert_non_null(cause);
	free(cause);
	if (fired)
		*fired = f;
	return out;
}

static void test_verdict__confirmed_beats_crash_oom_and_timeout(void **state)
{
	struct spec s = {0};
	struct run_obs o = {.exit_code = 137,
			    .signal = 9,
			    .oom = true,
			    .timed_out = true,
			    .stdout_tail = "x __HIT__ y",
			    .stderr_tail = ""};
	bool fired;
	(void)state;
	s.oracle.stdout_sub = "__HIT__";
	assert_int_equal(decide(&s, &o, &fired), OUTCOME_CONFIRMED);
	assert_true(fired);
}

static void test_verdict__sanitizer_report_is_crash(void **state)
{
	struct spec s = {0};
	struct run_obs o = {.exit_code = 1,
			    .stdout_tail = "",
			    .stderr_tail = "INFO: seed\n==12==ERROR: AddressSanitizer: "
					   "heap-buffer-overflow on address\n"};
	bool fired;
	(void)state;
	s.oracle.crash = true;
	assert_int_equal(decide(&s, &o, &fired), OUTCOME_CRASH);
	assert_true(fired);
}

static void test_verdict__signal_is_crash_unless_runner_or_oom_killed(void **state)
{
	struct spec s = {0};
	struct run_obs o = {.exit_code = 139, .signal = 11, .stdout_tail = "", .stderr_tail = ""};
	(void)state;
	assert_int_equal(decide(&s, &o, NULL), OUTCOME_CRASH);
	o = (struct run_obs){.exit_code = 137, .signal = 9, .oom = true};
	assert_int_equal(decide(&s, &o, NULL), OUTCOME_OOM);
	o = (struct run_obs){.exit_code = 137, .signal = 9, .timed_out = true};
	assert_int_equal(decide(&s, &o, NULL), OUTCOME_TIMEOUT);
}

static void test_verdict__oom_beats_timeout(void **state)
{
	struct spec s = {0};
	struct run_obs o = {.exit_code = 137, .oom = true, .timed_out = true};
	(void)state;
	assert_int_equal(decide(&s, &o, NULL), OUTCOME_OOM);
}

static void test_verdict__exit_code_oracle(void **state)
{
	struct spec s = {0};
	int codes[] = {3, 4};
	struct run_obs o = {.exit_code = 4, .stdout_tail = "", .stderr_tail = ""};
	(void)state;
	s.oracle.exit_codes = codes;
	s.oracle.n_exit_codes = 2;
	assert_int_equal(decide(&s, &o, NULL), OUTCOME_CONFIRMED);
	o.exit_code = 0;
	assert_int_equal(decide(&s, &o, NULL), OUTCOME_NOT_CONFIRMED);
}

static void test_verdict__network_and_files_oracles(void **state)
{
	struct spec s = {0};
	struct run_obs o = {.exit_code = 0, .oob_fired = true, .oob_cause = "oob http"};
	(void)state;
	/* evidence that is not asked for does not confirm */
	assert_int_equal(decide(&s, &o, NULL), OUTCOME_NOT_CONFIRMED);
	s.oracle.oob = true;
	assert_int_equal(decide(&s, &o, NULL), OUTCOME_CONFIRMED);
	s.oracle.oob = false;
	s.oracle.files = "out/*";
	o = (struct run_obs){.exit_code = 0, .files_matched = 1, .first_file = "out/a"};
	assert_int_equal(decide(&s, &o, NULL), OUTCOME_CONFIRMED);
}

static void test_verdict__crash_artifacts_do_not_confirm(void **state)
{
	struct spec s = {0};
	struct run_obs o = {.exit_code = 1,
			    .stderr_tail = "==1==ERROR: AddressSanitizer: heap-buffer-overflow\n",
			    .files_matched = 1,
			    .first_file = "out/crash-1"};
	(void)state;
	s.oracle.files = "out/crash-*";
	s.oracle.crash = true;
	assert_int_equal(decide(&s, &o, NULL), OUTCOME_CRASH);
}

static void test_verdict__sanitizer_line_extracted(void **state)
{
	size_t n = 0;
	const char *p = verdict_sanitizer_line("a\nb: runtime error: signed overflow\nc", &n);
	(void)state;
	assert_non_null(p);
	assert_int_equal(strncmp(p, "b: runtime error: signed overflow", n), 0);
	assert_null(verdict_sanitizer_line("all fine\n", &n));
}

/* printf 'a\0b MARKER': the marker after the NUL still confirms. */
static void test_verdict__nul_byte_does_not_hide_marker(void **state)
{
	static const char out[] = "a\0b MARKER";
	struct spec s = {0};
	struct run_obs o = {.exit_code = 0,
			    .stdout_tail = out,
			    .stdout_len = sizeof(out) - 1,
			    .stderr_tail = out,
			    .stderr_len = sizeof(out) - 1};
	bool fired;
	(void)state;
	s.oracle.stdout_sub = "MARKER";
	assert_int_equal(decide(&s, &o, &fired), OUTCOME_CONFIRMED);
	assert_true(fired);
	s.oracle.stdout_sub = NULL;
	s.oracle.stderr_sub = "MARKER";
	assert_int_equal(decide(&s, &o, &fired), OUTCOME_CONFIRMED);
	/* the length bounds the match: nothing past it counts */
	o.stderr_len = 3;
	assert_int_equal(decide(&s, &o, &fired), OUTCOME_NOT_CONFIRMED);
	assert_false(fired);
}

static void test_verdict__nul_byte_does_not_hide_sanitizer_report(void **state)
{
	static const char err[] = "\0\0==1==ERROR: AddressSanitizer: SEGV on unknown address\n";
	struct spec s = {0};
	struct run_obs o = {
	    .exit_code = 1, .stdout_tail = "", .stderr_tail = err, .stderr_len = sizeof(err) - 1};
	enum outcome out;
	char *cause;
	bool fired;
	(void)state;
	verdict_decide(&s, &o, &out, &cause, &fired);
	assert_int_equal(out, OUTCOME_CRASH);
	assert_string_equal(cause, "==1==ERROR: AddressSanitizer: SEGV on unknown address");
	free(cause);
}

/* A caller that passes no length gets the NUL-terminated reading. */
static void test_verdict__zero_length_means_nul_terminated(void **state)
{
	struct spec s = {0};
	struct run_obs o = {.exit_code = 0, .stdout_tail = "x MARKER", .stderr_tail = ""};
	(void)state;
	s.oracle.stdout_sub = "MARKER";
	assert_int_equal(decide(&s, &o, NULL), OUTCOME_CONFIRMED);
	o.stdout_tail = "x\0MARKER";
	assert_int_equal(decide(&s, &o, NULL), OUTCOME_NOT_CONFIRMED);
}

static char *cause_of(const char *err, int exit_code)
{
	struct spec s = {0};
	struct run_obs o = {.exit_code = exit_code, .stdout_tail = "", .stderr_tail = err};
	enum outcome out;
	char *cause;
	bool f;

	verdict_decide(&s, &o, &out, &cause, &f);
	assert_int_equal(out, OUTCOME_NOT_CONFIRMED);
	return cause;
}

static void test_verdict__failed_run_cause_is_the_telling_stderr_line(void **state)
{
	char long_line[600], *c;
	(void)state;

	c = cause_of("Cloning...\nfatal: strange hostname '-oProxyCommand=x' blocked\n\n  \n", 128);
	assert_string_equal(c, "no oracle fired (exit code 128: fatal: strange hostname "
			       "'-oProxyCommand=x' blocked)");
	free(c);
	c = cause_of("warning: ignored\n", 0); /* a clean exit says nothing more */
	assert_string_equal(c, "no oracle fired (exit code 0)");
	free(c);
	c = cause_of("", 2);
	assert_string_equal(c, "no oracle fired (exit code 2)");
	free(c);
	c = cause_of("a\x1b]0;title\x07"
		     "b\n",
		     1); /* control bytes cannot drive a terminal */
	assert_string_equal(c, "no oracle fired (exit code 1: a?]0;title?b)");
	free(c);
	/* git + Debian's ssh: the telling lines are four lines up */
	c = cause_of("Cloning into 'r'...\n"
		     "ssh: hostname contains invalid characters\n"
		     "fatal: Could not read from remote repository.\n\n"
		     "Please make sure you have the correct access rights\n"
		     "and the repository exists.\n",
		     128);
	assert_string_equal(c, "no oracle fired (exit code 128: ssh: hostname contains invalid "
			       "characters | fatal: Could not read from remote repository.)");
	free(c);
	c = cause_of("progress 1\nsh: 1: cat: not found\nbye\n", 2); /* one telling line */
	assert_string_equal(c, "no oracle fired (exit code 2: sh: 1: cat: not found)");
	free(c);
	c = cause_of("E: No such file\n", 1);
	assert_string_equal(c, "no oracle fired (exit code 1: E: No such file)");
	free(c);
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	memcpy(long_line, "error: ", 7);
	memcpy(long_line + 300, "\nfatal: ", 8);
	c = cause_of(long_line, 1); /* two long telling lines still fit the bound */
	assert_true(strlen(c) <= strlen("no oracle fired (exit code 1: )") + 200 + 6);
	assert_non_null(strstr(c, "\xe2\x80\xa6 | fatal: "));
	free(c);
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	memcpy(long_line + 199, "\xc3\xa9", 2); /* a 2-byte character across the bound */
	c = cause_of(long_line, 1);
	assert_true(strlen(c) < 260);
	assert_non_null(strstr(c, "xxx\xe2\x80\xa6)"));
	assert_null(strstr(c, "\xc3"));
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verdict__confirmed_beats_crash_oom_and_timeout),
	    cmocka_unit_test(test_verdict__sanitizer_report_is_crash),
	    cmocka_unit_test(test_verdict__signal_is_crash_unless_runner_or_oom_killed),
	    cmocka_unit_test(test_verdict__oom_beats_timeout),
	    cmocka_unit_test(test_verdict__exit_code_oracle),
	    cmocka_unit_test(test_verdict__network_and_files_oracles),
	    cmocka_unit_test(test_verdict__crash_artifacts_do_not_confirm),
	    cmocka_unit_test(test_verdict__sanitizer_line_extracted),
	    cmocka_unit_test(test_verdict__nul_byte_does_not_hide_marker),
	    cmocka_unit_test(test_verdict__nul_byte_does_not_hide_sanitizer_report),
	    cmocka_unit_test(test_verdict__zero_length_means_nul_terminated),
	    cmocka_unit_test(test_verdict__failed_run_cause_is_the_telling_stderr_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
