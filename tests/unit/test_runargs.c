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

static void build(struct strvec *argv, struct spec *s, const struct strvec *env)
{
	struct run_plan p = {.engine_bin = "docker",
			     .spec = s,
			     .image = "reg/busybox@sha256:ab",
			     .name = "sandrun-1-cmdi",
			     .run_id = "r1",
			     .owner = "h/1/2",
			     .work_dir = "/tmp/x/work",
			     .payload_file = "/tmp/x/payload",
			     .env = env};
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

static void test_runargs__env_values_never_in_argv(void **state)
{
	struct spec s;
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	(void)state;
	base_spec(&s);
	strvec_push(&env, "API_TOKEN=hunter2");
	strvec_push(&env, "SANDRUN_PAYLOAD=x; rm -rf /");
	build(&argv, &s, &env);
	for (size_t i = 0; i < argv.nr; i++) {
		assert_null(strstr(argv.v[i], "hunter2"));
		assert_null(strstr(argv.v[i], "rm -rf"));
	}
	assert_true(has(&argv, "API_TOKEN"));
	assert_true(has(&argv, "SANDRUN_PAYLOAD"));
	strvec_clear(&argv);
	strvec_clear(&env);
	strvec_clear(&s.command);
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

static void test_runargs__quote_is_shell_safe(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *argv[] = {"docker", "run", "a b", "it's", "$HOME", "", NULL};
	(void)state;
	runargs_quote(&sb, argv);
	assert_string_equal(sb.buf, "docker run 'a b' 'it'\\''s' '$HOME' ''");
	strbuf_release(&sb);
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
	    cmocka_unit_test(test_runargs__env_values_never_in_argv),
	    cmocka_unit_test(test_runargs__mounts_work_payload_and_fs_stubs_readonly),
	    cmocka_unit_test(test_runargs__network_policies),
	    cmocka_unit_test(test_runargs__quote_is_shell_safe),
	    cmocka_unit_test(test_runargs__sanitize_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
