/* The run-argument builder: hardening flags, labels, mounts, and secrets
 * kept off the command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../runner/runargs.h"

static void base_spec(struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->name = "cmdi";
	s->limits = (struct limits){.memory = 256u << 20,
				    .cpus = 1.5,
				    .pids = 128,
				    .tmpfs = 64u << 20,
				    .disk = 256u << 20,
				    .output = 1u << 20};
	strvec_push(&s->command, "sh");
	strvec_push(&s->command, "/work/run.sh");
}

static bool has(const struct strvec *v, const char *a)
{
	for (size_t i = 0; i < v->nr; i++)
		if (!strcmp(v->v[i], a))
			return true;
	return false;
}

static void build(struct strvec *argv, struct spec *s, const char *env_file)
{
	struct run_plan p = {.engine_bin = "docker",
			     .spec = s,
			     .image = "reg/busybox@sha256:ab",
			     .name = "sandrun-1-cmdi",
			     .run_id = "r1",
			     .owner = "h/1/2",
			     .work_dir = "/tmp/x/work",
			     .payload_file = "/tmp/x/payload",
			     .env_file = env_file};
	runargs_build(argv, &p);
}

static void test_runargs__hardening_defaults(void **state)
{
	struct spec s;
	struct strvec argv = STRVEC_INIT;
	const char *want[] = {"--read-only",
			      "--cap-drop=ALL",
			      "--security-opt=no-new-privileges",
			      "--init",
			      "--user=65534:65534",
			      "--memory=268435456",
			      "--memory-swap=268435456",
			      "--cpus=1.5",
			      "--pids-limit=128",
			      "--network=none",
			      "--tmpfs=/tmp:rw,nosuid,nodev,size=67108864,mode=1777",
			      "--label=sandrun.run=r1",
			      "--label=sandrun.harness=cmdi",
			      "--label=sandrun.owner=h/1/2",
			      "--name=sandrun-1-cmdi",
			      "--pull=never"};
	(void)state;
	base_spec(&s);
	build(&argv, &s, NULL);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!has(&argv, want[i]))
			fail_msg("missing %s", want[i]);
	}
	assert_string_equal(argv.v[0], "docker");
	assert_string_equal(argv.v[1], "run");
	/* image then the command, untouched, at the end */
	assert_string_equal(argv.v[argv.nr - 3], "reg/busybox@sha256:ab");
	assert_string_equal(argv.v[argv.nr - 2], "sh");
	assert_string_equal(argv.v[argv.nr - 1], "/work/run.sh");
	strvec_clear(&argv);
	strvec_clear(&s.command);
}

static void test_runargs__env_travels_in_a_file_not_argv(void **state)
{
	struct spec s;
	struct strvec argv = STRVEC_INIT;
	size_t i;
	(void)state;
	base_spec(&s);
	build(&argv, &s, "/tmp/x/env");
	for (i = 0; i < argv.nr && strcmp(argv.v[i], "--env-file"); i++)
		;
	assert_true(i + 1 < argv.nr);
	assert_string_equal(argv.v[i + 1], "/tmp/x/env");
	/* The only -e is the payload's fixed name, never a value. */
	for (i = 0; i < argv.nr; i++) {
		assert_null(strstr(argv.v[i], "HOME"));
		assert_null(strstr(argv.v[i], "SANDRUN_PAYLOAD="));
		if (!strcmp(argv.v[i], "-e"))
			assert_string_equal(argv.v[i + 1], "SANDRUN_PAYLOAD");
	}
	strvec_clear(&argv);
	strvec_clear(&s.command);
}

static void test_runargs__base_env_puts_spec_env_after_home_before_run_vars(void **state)
{
	struct spec s;
	struct payload pay = {.name = "p", .value = "x; rm -rf /"};
	struct strvec env = STRVEC_INIT;
	(void)state;
	base_spec(&s);
	strvec_push(&s.env_keys, "HOME");
	strvec_push(&s.env_vals, "/home/h");
	runargs_base_env(&env, &s, &pay, "r1", "tok");
	assert_int_equal(env.nr, 6);
	assert_string_equal(env.v[0], "HOME=/tmp");
	assert_string_equal(env.v[1], "HOME=/home/h");
	assert_string_equal(env.v[2], "SANDRUN_RUN_ID=r1");
	assert_string_equal(env.v[4], "SANDRUN_TOKEN=tok");
	assert_string_equal(env.v[5], "SANDRUN_PAYLOAD_FILE=/sandrun/payload");
	strvec_clear(&env);
	runargs_payload_env(&env, &pay);
	assert_string_equal(env.v[0], "SANDRUN_PAYLOAD=x; rm -rf /");
	strvec_clear(&env);
	strvec_clear(&s.env_keys);
	strvec_clear(&s.env_vals);
	strvec_clear(&s.command);
}

static void test_runargs__env_file_keeps_values_verbatim(void **state)
{
	struct strvec env = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	strvec_push(&env, "A=x y 'q' \"d\" a=b $HOME #c ");
	strvec_push(&env, "LD_PRELOAD=/nonexistent.so");
	assert_int_equal(runargs_env_file(&sb, &env, &err), 0);
	assert_string_equal(sb.buf, "A=x y 'q' \"d\" a=b $HOME #c \nLD_PRELOAD=/nonexistent.so\n");
	strbuf_release(&sb);
	strvec_clear(&env);
}

static void test_runargs__env_file_refuses_what_it_cannot_carry(void **state)
{
	const char *bad[] = {"A=one\ntwo", "B=ends\r", "=novalue", "NOEQUALS"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct strvec env = STRVEC_INIT;
		struct strbuf sb = STRBUF_INIT;
		struct sr_err err = SR_ERR_INIT;
		strvec_push(&env, bad[i]);
		assert_int_equal(runargs_env_file(&sb, &env, &err), SR_EINVAL);
		strbuf_release(&sb);
		strvec_clear(&env);
	}
}

static void test_runargs__mounts_work_payload_and_fs_stubs_readonly(void **state)
{
	struct spec s;
	struct stub st[2] = {{.name = "etc", .kind = STUB_FS, .path = "/suite/fix,tures"},
			     {.name = "api", .kind = STUB_HTTP}};
	struct strvec argv = STRVEC_INIT;
	(void)state;
	base_spec(&s);
	s.stubs = st;
	s.nstubs = 2;
	s.network = NET_STUBS;
	build(&argv, &s, NULL);
	assert_true(has(&argv, "type=bind,source=/tmp/x/work,target=/work"));
	assert_true(has(&argv, "type=bind,source=/tmp/x/payload,target=/sandrun/payload,readonly"));
	/* a comma in a path is CSV-quoted, not split */
	assert_true(
	    has(&argv, "type=bind,\"source=/suite/fix,tures\",target=/sandrun/stubs/etc,readonly"));
	/* no network object given: fail closed to none */
	assert_true(has(&argv, "--network=none"));
	strvec_clear(&argv);
	strvec_clear(&s.command);
}

static void test_runargs__network_policies(void **state)
{
	struct spec s;
	struct strvec argv = STRVEC_INIT;
	struct run_plan p = {.engine_bin = "docker",
			     .image = "i",
			     .name = "n",
			     .run_id = "r",
			     .owner = "o",
			     .work_dir = "/w",
			     .network = "sr-abc"};
	(void)state;
	base_spec(&s);
	p.spec = &s;
	s.network = NET_OPEN;
	runargs_build(&argv, &p);
	assert_true(has(&argv, "--network=bridge"));
	strvec_clear(&argv);
	s.network = NET_OOB;
	runargs_build(&argv, &p);
	assert_true(has(&argv, "--network=sr-abc"));
	strvec_clear(&argv);
	strvec_clear(&s.command);
}

static void test_runargs__sanitize_names(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	runargs_sanitize(&sb, "fuzz/png;rm -rf", 64);
	assert_string_equal(sb.buf, "fuzz-png-rm--rf");
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_runargs__hardening_defaults),
	    cmocka_unit_test(test_runargs__env_travels_in_a_file_not_argv),
	    cmocka_unit_test(test_runargs__base_env_puts_spec_env_after_home_before_run_vars),
	    cmocka_unit_test(test_runargs__env_file_keeps_values_verbatim),
	    cmocka_unit_test(test_runargs__env_file_refuses_what_it_cannot_carry),
	    cmocka_unit_test(test_runargs__mounts_work_payload_and_fs_stubs_readonly),
	    cmocka_unit_test(test_runargs__network_policies),
	    cmocka_unit_test(test_runargs__sanitize_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
