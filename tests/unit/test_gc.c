/* Owner labels and the liveness decision behind every sweep: an object is
 * removed only when its owner is certainly gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/exec/gc.h"

static void test_gc__parses_owner_labels(void **state)
{
	struct gc_owner o;
	(void)state;
	assert_int_equal(gc_owner_parse(&o, "vm/1234/98765"), 0);
	assert_string_equal(o.host, "vm");
	assert_int_equal(o.pid, 1234);
	assert_int_equal(o.start, 98765);
	assert_int_equal(gc_owner_parse(&o, "vm/0/1"), SR_EINVAL);
	assert_int_equal(gc_owner_parse(&o, "vm/12"), SR_EINVAL);
	assert_int_equal(gc_owner_parse(&o, "/12/3"), SR_EINVAL);
	assert_int_equal(gc_owner_parse(&o, "vm/x/3"), SR_EINVAL);
	assert_int_equal(gc_owner_parse(&o, "vm/12/3junk"), SR_EINVAL);
}

static void test_gc__only_esrch_or_another_start_time_means_dead(void **state)
{
	struct gc_owner o = {.host = "vm", .pid = 42, .start = 1000};
	struct gc_probe gone = {.kill_errno = ESRCH};
	struct gc_probe same = {.start = 1000};
	struct gc_probe reused = {.start = 2000};
	struct gc_probe eperm_same = {.kill_errno = EPERM, .start = 1000};
	struct gc_probe eperm_reused = {.kill_errno = EPERM, .start = 2000};
	struct gc_probe unreadable = {.stat_errno = EACCES};
	struct gc_probe eperm_unreadable = {.kill_errno = EPERM, .stat_errno = EPERM};
	struct gc_probe hidden = {.stat_errno = ENOENT};
	(void)state;
	assert_true(gc_owner_decide(&o, "vm", &gone));
	assert_false(gc_owner_decide(&o, "vm", &same));
	assert_true(gc_owner_decide(&o, "vm", &reused));
	assert_false(gc_owner_decide(&o, "vm", &eperm_same));
	assert_true(gc_owner_decide(&o, "vm", &eperm_reused));
	/* An unreadable stat is no evidence of death. */
	assert_false(gc_owner_decide(&o, "vm", &unreadable));
	assert_false(gc_owner_decide(&o, "vm", &eperm_unreadable));
	assert_false(gc_owner_decide(&o, "vm", &hidden));
}

static void test_gc__another_hosts_owner_is_never_dead(void **state)
{
	struct gc_owner o = {.host = "other", .pid = 42, .start = 1000};
	struct gc_probe gone = {.kill_errno = ESRCH};
	(void)state;
	assert_false(gc_owner_decide(&o, "vm", &gone));
}

static void test_gc__this_process_is_alive_and_a_stale_label_is_not(void **state)
{
	char *self = gc_owner_self();
	char *reused;
	struct gc_owner o;
	(void)state;
	assert_false(gc_owner_dead(self));
	assert_int_equal(gc_owner_parse(&o, self), 0);
	reused = xasprintf("%s/%ld/%llu", o.host, o.pid, o.start + 1);
	assert_true(gc_owner_dead(reused));
	assert_false(gc_owner_dead("not a label"));
	free(reused);
	free(self);
}

/* Temp roots: a dead owner's is removed, a live one's and one without an
 * owner file are kept. */
static void test_gc__sweeps_only_dead_owners_temp_roots(void **state)
{
	char base[] = "/tmp/sandrun-gc-test-XXXXXX";
	char *live, *dead, *unowned, *self, *stale, *f;
	struct sr_err err = SR_ERR_INIT;
	struct gc_owner o;
	struct stat st;
	(void)state;
	assert_non_null(mkdtemp(base));
	self = gc_owner_self();
	assert_int_equal(gc_owner_parse(&o, self), 0);
	stale = xasprintf("%s/%ld/%llu", o.host, o.pid, o.start + 1);
	live = xasprintf("%s/sandrun-live", base);
	dead = xasprintf("%s/sandrun-dead", base);
	unowned = xasprintf("%s/sandrun-unowned", base);
	assert_int_equal(gc_tmp_root_create(live, self, &err), 0);
	assert_int_equal(gc_tmp_root_create(dead, stale, &err), 0);
	assert_int_equal(mkdir(unowned, 0700), 0);
	f = xasprintf("%s/run1", dead);
	assert_int_equal(mkdir(f, 0700), 0);
	free(f);
	assert_int_equal(gc_sweep_tmp(base, false), 1);
	assert_int_equal(stat(live, &st), 0);
	assert_int_equal(stat(unowned, &st), 0);
	assert_int_equal(stat(dead, &st), -1);
	f = xasprintf("rm -rf '%s'", base);
	assert_int_equal(system(f), 0);
	free(f);
	free(live);
	free(dead);
	free(unowned);
	free(stale);
	free(self);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gc__parses_owner_labels),
	    cmocka_unit_test(test_gc__only_esrch_or_another_start_time_means_dead),
	    cmocka_unit_test(test_gc__another_hosts_owner_is_never_dead),
	    cmocka_unit_test(test_gc__this_process_is_alive_and_a_stale_label_is_not),
	    cmocka_unit_test(test_gc__sweeps_only_dead_owners_temp_roots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
