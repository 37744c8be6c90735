/* Warm containers: the `isolation` spec key, which harnesses qualify, and
 * (the warm plan's renderings: test_runargs.c). */
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
	assert_int_equal(parse(&s, "toolchain: a\ncommand: [b]\nisolation: pool\n", &err), 0);
	assert_true(s.warm && s.pool);
	spec_release(&s);
}

static void unknown_isolation_is_rejected_with_its_position(void **state)
{
	struct spec s;
	struct sr_err err = SR_ERR_INIT;

	(void)state;
	assert_int_equal(parse(&s, "toolchain: a\ncommand: [b]\nisolation: container\n", &err),
			 SR_EINVAL);
	assert_string_equal(
	    err.msg, "mem/w.yaml:3:12: unknown isolation 'container' (run, harness or pool)");
	sr_err_clear(&err);
	assert_int_equal(parse(&s, "toolchain: a\ncommand: [b]\nisolation: [run]\n", &err),
			 SR_EINVAL);
	assert_non_null(strstr(err.msg, "'isolation' must be a string"));
}

static void harnesses_with_listeners_qualify(void **state)
{
	struct spec s;
	struct sr_err err = SR_ERR_INIT;
	char dir[] = "/tmp/sr-warm-unit.XXXXXX", path[64];
	FILE *f;

	(void)state;
	/* An sr-idle helper where $SANDRUN_HELPER_DIR says. */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sr-idle", dir);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	setenv("SANDRUN_HELPER_DIR", dir, 1);
	assert_int_equal(
	    parse(&s, "toolchain: a\ncommand: [b]\nisolation: harness\nnetwork: oob\n", &err), 0);
	assert_true(warm_wanted(&s));
	spec_release(&s);
	assert_int_equal(parse(&s,
			       "toolchain: a\ncommand: [b]\nisolation: pool\nnetwork: stubs\n"
			       "stubs: [{name: api, kind: http}]\n",
			       &err),
			 0);
	assert_true(warm_wanted(&s));
	spec_release(&s);
	assert_int_equal(parse(&s, "toolchain: a\ncommand: [b]\nisolation: run\n", &err), 0);
	assert_false(warm_wanted(&s));
	spec_release(&s);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(isolation_key_selects_warm_containers),
	    cmocka_unit_test(unknown_isolation_is_rejected_with_its_position),
	    cmocka_unit_test(harnesses_with_listeners_qualify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
