/* runner/spec/walls.c: which runtime and seccomp profile a run gets. */
#include "runner/spec/walls.h"

static void parse(struct spec *s, const char *text)
{
	struct sr_err err = SR_ERR_INIT;

	if (spec_parse(s, "mem/w.yaml", "/tmp", text, strlen(text), &err) < 0)
		fail_msg("%s", err.msg);
}

static void test_walls__cli_over_spec_over_catalogue_over_runc(void **state)
{
	struct spec s;
	struct cat_entry e = {0};
	struct walls w;
	struct sr_err err = SR_ERR_INIT;

	(void)state;
	parse(&s, "toolchain: t\ncommand: [x]\n");
	walls_resolve(&w, &s, NULL, NULL, "/run/d");
	assert_null(w.runtime); /* runc: the engine's default, no flag */
	assert_string_equal(w.seccomp, "strict");
	assert_string_equal(w.profile, "/run/d/seccomp-strict.json");
	walls_release(&w);
	e.runtime = "runsc";
	e.seccomp = "prof/x.json";
	walls_resolve(&w, &s, &e, "/etc/cat/images.toml", "/run/d");
	assert_string_equal(w.runtime, "runsc");
	assert_string_equal(w.profile, "/etc/cat/prof/x.json");
	walls_release(&w);
	spec_release(&s);
	parse(&s, "toolchain: t\ncommand: [x]\nruntime: runc\nseccomp: default\n");
	walls_resolve(&w, &s, &e, "/etc/cat/images.toml", "/run/d");
	assert_null(w.runtime);
	assert_null(w.profile);
	walls_release(&w);
	assert_int_equal(walls_override(&s, 1, "runsc", "strict", &err), 0);
	walls_resolve(&w, &s, &e, NULL, "/run/d");
	assert_string_equal(w.runtime, "runsc");
	assert_true(w.strict);
	walls_release(&w);
	assert_int_not_equal(walls_override(&s, 1, "a b", NULL, &err), 0);
	spec_release(&s);
}

static void test_walls__bad_values_have_a_position(void **state)
{
	struct spec s;
	struct sr_err err = SR_ERR_INIT;
	const char *t = "toolchain: t\ncommand: [x]\nruntime: \"x y\"\n";

	(void)state;
	assert_int_not_equal(spec_parse(&s, "mem/w.yaml", "/tmp", t, strlen(t), &err), 0);
	assert_non_null(strstr(err.msg, "mem/w.yaml:3:10: runtime 'x y'"));
}

static void test_walls__gvisor_gets_clone3_pids_and_no_default_profile(void **state)
{
	struct spec s;
	struct walls w;
	char *txt = NULL;
	struct sr_err err = SR_ERR_INIT;

	(void)state;
	parse(&s, "toolchain: t\ncommand: [x]\nruntime: runsc\n");
	walls_resolve(&w, &s, NULL, NULL, "/run/d");
	assert_int_equal(walls_profile_text(&txt, &w, &err), 0);
	assert_non_null(strstr(txt, "{\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ALLOW\""));
	assert_non_null(
	    strstr(walls_strict_json(),
		   "{\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38"));
	assert_null(strstr(txt, "\"io_uring_setup\",\n"));
	free(txt);
	walls_release(&w);
	assert_int_equal(walls_pids(32, "runsc"), 32 + WALLS_GVISOR_PIDS);
	assert_int_equal(walls_pids(32, NULL), 32);
	spec_release(&s);
	parse(&s, "toolchain: t\ncommand: [x]\nruntime: runsc\nseccomp: default\n");
	walls_resolve(&w, &s, NULL, NULL, "/run/d");
	assert_string_equal(w.profile, "unconfined");
	walls_release(&w);
	spec_release(&s);
}

static void test_walls__unknown_runtime_error_says_how(void **state)
{
	char *m = walls_runtime_error("rt9", "create container: Unknown runtime specified rt9");

	(void)state;
	assert_non_null(m);
	assert_non_null(strstr(m, "runtime 'rt9' is not registered"));
	assert_non_null(strstr(m, "/etc/docker/daemon.json"));
	free(m);
	assert_null(walls_runtime_error("rt9", "OCI runtime start failed: EOF"));
	assert_null(walls_runtime_error(NULL, "Unknown runtime specified x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walls__cli_over_spec_over_catalogue_over_runc),
	    cmocka_unit_test(test_walls__bad_values_have_a_position),
	    cmocka_unit_test(test_walls__gvisor_gets_clone3_pids_and_no_default_profile),
	    cmocka_unit_test(test_walls__unknown_runtime_error_says_how),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
