/* Warm containers: the `isolation` spec key, which harnesses qualify, and
 * the argv that starts the idle container from an ordinary run's argv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runner/plan/runargs.h"
#include "runner/exec/warm.h"

static int parse(struct spec *s, const char *text, struct sr_err *err)
{
	return spec_parse(s, "mem/w.yaml", "/tmp", text, strlen(text), err);
}

static void isolation_key_selects_warm_containers(void **state)
{
	struct spec s;
	struct sr_err err = SR_ERR_INIT;

	(void)state;
	assert_int_equal(parse(&s, "toolchain: a\ncommand: [b]\nisolation: harness\n", &err), 0);
	assert_true(s.warm);
	spec_release(&s);
	assert_int_equal(parse(&s, "toolchain: a\ncommand: [b]\nisolation: run\n", &err), 0);
	assert_false(s.warm);
	spec_release(&s);
	assert_int_equal(parse(&s, "toolchain: a\ncommand: [b]\n", &err), 0);
	assert_false(s.warm);
	spec_release(&s);
}

static void unknown_isolation_is_rejected_with_its_position(void **state)
{
	struct spec s;
	struct sr_err err = SR_ERR_INIT;

	(void)state;
	assert_int_equal(parse(&s, "toolchain: a\ncommand: [b]\nisolation: container\n", &err),
			 SR_EINVAL);
	assert_string_equal(err.msg,
			    "mem/w.yaml:3:12: unknown isolation 'container' (run or harness)");
	sr_err_clear(&err);
	assert_int_equal(parse(&s, "toolchain: a\ncommand: [b]\nisolation: [run]\n", &err),
			 SR_EINVAL);
	assert_non_null(strstr(err.msg, "'isolation' must be a string"));
}

static void harnesses_with_listeners_keep_a_container_per_run(void **state)
{
	struct spec s;
	struct sr_err err = SR_ERR_INIT;

	(void)state;
	assert_int_equal(
	    parse(&s, "toolchain: a\ncommand: [b]\nisolation: harness\nnetwork: oob\n", &err), 0);
	assert_false(warm_wanted(&s));
	spec_release(&s);
	assert_int_equal(parse(&s, "toolchain: a\ncommand: [b]\nisolation: run\n", &err), 0);
	assert_false(warm_wanted(&s));
	spec_release(&s);
}

static void idle_container_runs_sr_idle_detached_without_init(void **state)
{
	struct spec s;
	struct sr_err err = SR_ERR_INIT;
	struct run_plan plan = {0};
	struct strvec run = STRVEC_INIT, out = STRVEC_INIT;
	size_t n;

	(void)state;
	assert_int_equal(parse(&s, "toolchain: a\ncommand: [sh, -c, 'echo hi']\n", &err), 0);
	plan.engine_bin = "docker";
	plan.spec = &s;
	plan.image = "img:1";
	plan.name = "c1";
	plan.run_id = "rid";
	plan.owner = "me";
	plan.work_dir = "/w";
	plan.payload_file = "/p";
	runargs_build(&run, &plan);
	warm_create_argv(&out, &run, "/opt/sr-idle");
	n = out.nr;
	assert_string_equal(out.v[0], "docker");
	assert_string_equal(out.v[1], "run");
	assert_string_equal(out.v[2], "--detach");
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(out.v[i], "--init");
	assert_string_equal(out.v[n - 5],
			    "type=bind,source=/opt/sr-idle,target=/sandrun/sr-idle,readonly");
	assert_string_equal(out.v[n - 4], "--entrypoint=/sandrun/sr-idle");
	assert_string_equal(out.v[n - 3], "--");
	assert_string_equal(out.v[n - 2], "img:1");
	assert_string_equal(out.v[n - 1], "idle");
	/* the hardening of an ordinary run stays */
	{
		bool ro = false, caps = false;
		for (size_t i = 0; i < n; i++) {
			ro |= !strcmp(out.v[i], "--read-only");
			caps |= !strcmp(out.v[i], "--cap-drop=ALL");
		}
		assert_true(ro && caps);
	}
	strvec_clear(&run);
	strvec_clear(&out);
	spec_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(isolation_key_selects_warm_containers),
	    cmocka_unit_test(unknown_isolation_is_rejected_with_its_position),
	    cmocka_unit_test(harnesses_with_listeners_keep_a_container_per_run),
	    cmocka_unit_test(idle_container_runs_sr_idle_detached_without_init),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
