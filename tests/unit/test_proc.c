/* The proc module: capture without deadlock, tails, deadlines, exit status
 * and signals kept apart; and the util parsers it relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "lib/proc.h"

static int run_sh(const char *script, uint64_t tmo, size_t cap, struct proc_result *res)
{
	char *argv[] = {"sh", "-c", (char *)script, NULL};
	struct proc_opts o = {
	    .argv = argv, .timeout_ms = tmo, .out_cap = cap, .abort_grace_ms = 500};
	struct sr_err err = SR_ERR_INIT;

	return proc_run(&o, res, &err);
}

static void test_proc__exit_code_and_signal_are_separate(void **state)
{
	struct proc_result res;
	(void)state;
	assert_int_equal(run_sh("exit 7", 0, 0, &res), 0);
	assert_int_equal(res.exit_code, 7);
	assert_int_equal(res.signal, 0);
	proc_result_release(&res);
	assert_int_equal(run_sh("kill -SEGV $$", 0, 0, &res), 0);
	assert_int_equal(res.exit_code, -1);
	assert_int_equal(res.signal, 11);
	proc_result_release(&res);
}

static void test_proc__child_runs_in_the_given_directory(void **state)
{
	char *argv[] = {"pwd", NULL};
	struct proc_opts o = {.argv = argv, .cwd = "/usr/share"};
	struct proc_result res;
	struct sr_err err = SR_ERR_INIT;
	(void)state;

	assert_int_equal(proc_run(&o, &res, &err), 0);
	assert_string_equal(res.out.buf, "/usr/share\n");
	proc_result_release(&res);
}

static void test_proc__large_output_on_both_streams_keeps_tail(void **state)
{
	struct proc_result res;
	(void)state;
	/* 4 MiB on each stream through 64 KiB pipes: deadlocks if not polled */
	assert_int_equal(run_sh("head -c 4194304 /dev/zero >&2 & head -c 4194304 /dev/zero; "
				"wait; echo END; echo ERREND >&2",
				0, 1000, &res),
			 0);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.out.len, 1000);
	assert_int_equal(res.out_total, 4194304 + 4);
	assert_string_equal(res.out.buf + res.out.len - 4, "END\n");
	assert_string_equal(res.err.buf + res.err.len - 7, "ERREND\n");
	proc_result_release(&res);
}

static void test_proc__deadline_kills(void **state)
{
	struct proc_result res;
	uint64_t t0 = sr_now_ms();
	(void)state;
	assert_int_equal(run_sh("sleep 30", 200, 0, &res), 0);
	assert_true(res.timed_out);
	assert_int_not_equal(res.signal, 0);
	/* not a timing assertion: only that it did not wait for the sleep */
	assert_true(sr_now_ms() - t0 < 25000);
	proc_result_release(&res);
}

static void test_proc__missing_program_is_an_error(void **state)
{
	char *argv[] = {"/no/such/program", NULL};
	struct proc_opts o = {.argv = argv};
	struct proc_result res;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(proc_run(&o, &res, &err), SR_EFAIL);
	assert_non_null(strstr(err.msg, "cannot run '/no/such/program'"));
	proc_result_release(&res);
}

static void test_proc__stdin_is_dev_null(void **state)
{
	struct proc_result res;
	(void)state;
	assert_int_equal(run_sh("cat; echo done", 5000, 0, &res), 0);
	assert_false(res.timed_out);
	assert_string_equal(res.out.buf, "done\n");
	proc_result_release(&res);
}

static int failing_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	(void)fds;
	(void)nfds;
	(void)timeout;
	errno = ENOMEM;
	return -1;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* poll() failing mid-run: an error, the child killed and reaped (no wait
 * without a deadline: it would sleep 60 s), and no fd left open. */
static void test_proc__poll_error_closes_fds_and_reaps(void **state)
{
	char *argv[] = {"sleep", "60", NULL};
	struct proc_opts o = {.argv = argv, .timeout_ms = 120000};
	struct proc_result res;
	struct sr_err err = SR_ERR_INIT;
	int before = open_fds();
	uint64_t t0 = sr_now_ms();

	(void)state;
	sr_proc_poll = failing_poll;
	assert_int_equal(proc_run(&o, &res, &err), SR_EFAIL);
	sr_proc_poll = poll;
	assert_non_null(strstr(err.msg, "poll"));
	assert_true(sr_now_ms() - t0 < 10000);
	assert_int_equal(res.signal, SIGKILL);
	assert_int_equal(open_fds(), before);
	/* Reaped: no child of ours is left to wait for. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	proc_result_release(&res);
}

static void test_util__durations_and_sizes(void **state)
{
	uint64_t v;
	(void)state;
	assert_int_equal(sr_parse_duration_ms("10s", &v), 0);
	assert_int_equal(v, 10000);
	assert_int_equal(sr_parse_duration_ms("250ms", &v), 0);
	assert_int_equal(v, 250);
	assert_int_equal(sr_parse_duration_ms("2m", &v), 0);
	assert_int_equal(v, 120000);
	assert_int_equal(sr_parse_duration_ms("1.5s", &v), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(sr_parse_duration_ms("10 s", &v), SR_EINVAL);
	assert_int_equal(sr_parse_duration_ms("s", &v), SR_EINVAL);
	assert_int_equal(sr_parse_size("64m", &v), 0);
	assert_int_equal(v, 64u << 20);
	assert_int_equal(sr_parse_size("1G", &v), 0);
	assert_int_equal(v, 1u << 30);
	assert_int_equal(sr_parse_size("512kb", &v), 0);
	assert_int_equal(v, 512u << 10);
	assert_int_equal(sr_parse_size("12q", &v), SR_EINVAL);
}

static void test_util__json_escapes_hostile_bytes(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	json_add_strn(&sb, "a\"b\\c\n\x01\xff\xc3\xa9", 10);
	assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\n\\u0001\\ufffd\xc3\xa9\"");
	strbuf_release(&sb);
}

static void test_util__tokens_are_128_random_bits(void **state)
{
	char a[33], b[33];
	(void)state;
	assert_int_equal(sr_token(a, NULL), 0);
	assert_int_equal(sr_token(b, NULL), 0);
	assert_int_equal(strlen(a), 32);
	assert_int_equal(strspn(a, "0123456789abcdef"), 32);
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_proc__exit_code_and_signal_are_separate),
	    cmocka_unit_test(test_proc__child_runs_in_the_given_directory),
	    cmocka_unit_test(test_proc__large_output_on_both_streams_keeps_tail),
	    cmocka_unit_test(test_proc__deadline_kills),
	    cmocka_unit_test(test_proc__missing_program_is_an_error),
	    cmocka_unit_test(test_proc__stdin_is_dev_null),
	    cmocka_unit_test(test_proc__poll_error_closes_fds_and_reaps),
	    cmocka_unit_test(test_util__durations_and_sizes),
	    cmocka_unit_test(test_util__json_escapes_hostile_bytes),
	    cmocka_unit_test(test_util__tokens_are_128_random_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
