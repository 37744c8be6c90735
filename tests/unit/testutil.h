/* What the unit tests share: reading a file whole, temporary files and
 * directories, and the TEST filter. Every test binary gets this header
 * first (the Makefile compiles them with -include tests/unit/testutil.h),
 * so `TEST=pattern make unit` (or TEST=pattern build/tests/test_x) runs only
 * the cases whose name matches: a pattern with * or ? as cmocka reads it,
 * anything else as a part of the name. */
#ifndef SR_TESTUTIL_H
#define SR_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/fsutil.h"
#include "lib/util.h"

/* The whole file at path, NUL-terminated (caller frees); fails the test
 * when it cannot be read. */
static inline char *tu_slurp(const char *path)
{
	struct sr_err err = SR_ERR_INIT;
	char *buf = NULL;
	size_t len;

	if (sr_read_file(path, &buf, &len, &err) < 0)
		fail_msg("%s", err.msg);
	return buf;
}

/* A fresh directory /tmp/sandrun-test-<what>.XXXXXX (caller frees the
 * path; tu_remove_dir removes the tree). */
static inline char *tu_temp_dir(const char *what)
{
	char *d = xasprintf("/tmp/sandrun-test-%s.XXXXXX", what);

	if (!mkdtemp(d))
		fail_msg("mkdtemp %s failed", d);
	return d;
}

/* Write text to dir/name (atomically); returns the path (caller frees). */
static inline char *tu_temp_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct sr_err err = SR_ERR_INIT;

	if (sr_write_file_atomic(path, text, strlen(text), &err) < 0)
		fail_msg("%s", err.msg);
	return path;
}

static inline int tu_remove_dir(const char *dir)
{
	return fs_remove_tree(dir) < 0 ? -1 : 0;
}

/* $TEST as cmocka's test filter. */
static inline int tu_filter(void)
{
	static char pattern[256];
	const char *t = getenv("TEST");

	if (!t || !*t)
		return 0;
	snprintf(pattern, sizeof(pattern), strpbrk(t, "*?") ? "%s" : "*%s*", t);
	cmocka_set_test_filter(pattern);
	return 0;
}

#undef cmocka_run_group_tests
#define cmocka_run_group_tests(group_tests, group_setup, group_teardown)                           \
	(tu_filter(), _cmocka_run_group_tests(#group_tests, group_tests,                           \
					      sizeof(group_tests) / sizeof((group_tests)[0]),      \
					      group_setup, group_teardown))

#endif
