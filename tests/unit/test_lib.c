/* lib/ foundations: the strbuf slop, the report writer's atomic/in-place
 * rules, the pre-flight writability check and tree removal through
 * directory fds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"
#include "lib/rfc3339.h"
#include "lib/fsutil.h"
#include "lib/util.h"

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_strbuf__initialised_is_a_valid_empty_string(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *p;
	size_t len = 99;
	(void)state;

	assert_non_null(sb.buf);
	assert_string_equal(sb.buf, "");
	strbuf_reset(&sb);
	strbuf_setlen(&sb, 0);
	assert_string_equal(sb.buf, "");
	strbuf_addstr(&sb, "abc");
	strbuf_setlen(&sb, 1);
	assert_string_equal(sb.buf, "a");
	strbuf_release(&sb);
	assert_non_null(sb.buf);
	assert_string_equal(sb.buf, "");
	p = strbuf_detach(&sb, &len);
	assert_int_equal(len, 0);
	assert_string_equal(p, "");
	free(p); /* detach always hands out an allocation */
	assert_string_equal(sb.buf, "");
}

static void test_strbuf__zeroed_struct_is_accepted(void **state)
{
	struct strbuf sb;
	(void)state;

	memset(&sb, 0, sizeof(sb));
	assert_string_equal(strbuf_str(&sb), "");
	strbuf_addch(&sb, 'x');
	assert_string_equal(sb.buf, "x");
	strbuf_release(&sb);
}

static void test_write_atomic__replaces_file_and_leaves_no_temp(void **state)
{
	char *d = tu_temp_dir("lib"), *f = xasprintf("%s/r.json", d), *got;
	struct sr_err err = SR_ERR_INIT;
	struct stat st;
	(void)state;

	assert_int_equal(sr_write_file_atomic(f, "old", 3, &err), 0);
	assert_int_equal(chmod(f, 0600), 0);
	assert_int_equal(sr_write_file_atomic(f, "new", 3, &err), 0);
	got = tu_slurp(f);
	assert_string_equal(got, "new");
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(count_entries(d), 1);
	free(got);
	fs_remove_tree(d);
	free(f);
	free(d);
}

static void test_write_atomic__follows_a_symlink_and_keeps_it(void **state)
{
	char *d = tu_temp_dir("lib"), *t = xasprintf("%s/target.json", d);
	char *l = xasprintf("%s/link.json", d), *got;
	struct sr_err err = SR_ERR_INIT;
	struct stat st;
	(void)state;

	assert_int_equal(sr_write_file_atomic(t, "old", 3, &err), 0);
	assert_int_equal(symlink(t, l), 0);
	assert_int_equal(sr_write_file_atomic(l, "via link", 8, &err), 0);
	assert_int_equal(lstat(l, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	got = tu_slurp(t);
	assert_string_equal(got, "via link");
	free(got);
	assert_int_equal(count_entries(d), 2);
	fs_remove_tree(d);
	free(t);
	free(l);
	free(d);
}

static void test_write_atomic__device_written_in_place_and_errors_reported(void **state)
{
	struct sr_err err = SR_ERR_INIT;
	struct stat st;
	(void)state;

	/* /dev/null stays a device; /dev/full reports ENOSPC, never success. */
	assert_int_equal(sr_write_file_atomic("/dev/null", "x", 1, &err), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(sr_write_file_atomic("/dev/full", "x", 1, &err), SR_EFAIL);
	assert_non_null(strstr(err.msg, "/dev/full"));
	assert_non_null(strstr(err.msg, "No space"));
	assert_int_equal(stat("/dev/full", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

static void test_write_atomic__directory_target_refused(void **state)
{
	char *d = tu_temp_dir("lib");
	struct sr_err err = SR_ERR_INIT;
	(void)state;

	assert_int_equal(sr_write_file_atomic(d, "x", 1, &err), SR_EFAIL);
	assert_non_null(strstr(err.msg, "Is a directory"));
	fs_remove_tree(d);
	free(d);
}

static void test_check_writable__missing_directory_is_named(void **state)
{
	struct sr_err err = SR_ERR_INIT;
	char *d = tu_temp_dir("lib"), *f = xasprintf("%s/ok.json", d);
	(void)state;

	assert_int_equal(sr_check_writable("/nonexistent-sandrun/x.json", &err), SR_EINVAL);
	assert_non_null(strstr(err.msg, "/nonexistent-sandrun"));
	assert_int_equal(sr_check_writable(d, &err), SR_EINVAL);
	assert_int_equal(sr_check_writable(f, &err), 0);
	assert_int_equal(sr_check_writable("/dev/null", &err), 0);
	assert_int_equal(sr_check_writable("rel-in-cwd.json", &err), 0);
	fs_remove_tree(d);
	free(f);
	free(d);
}

static void test_remove_tree__does_not_follow_symlinks_out(void **state)
{
	char *d = tu_temp_dir("lib"), *outside = tu_temp_dir("lib");
	char *keep = xasprintf("%s/keep", outside), *sub = xasprintf("%s/a/b", d);
	char *ln = xasprintf("%s/a/b/escape", d), *ln2 = xasprintf("%s/top-escape", d);
	struct sr_err err = SR_ERR_INIT;
	struct stat st;
	(void)state;

	assert_int_equal(fs_write_new(keep, "k", 1, 0644, &err), 0);
	assert_int_equal(fs_mkdirs(sub, 0755, &err), 0);
	assert_int_equal(symlink(outside, ln), 0);
	assert_int_equal(symlink(outside, ln2), 0);
	assert_int_equal(fs_remove_tree(d), 0);
	assert_int_equal(lstat(d, &st), -1);
	assert_int_equal(stat(keep, &st), 0);
	assert_int_equal(fs_remove_tree(d), 0); /* missing is fine */
	fs_remove_tree(outside);
	free(keep);
	free(sub);
	free(ln);
	free(ln2);
	free(d);
	free(outside);
}

/* One parser for both engine routes: offsets are applied, Go's zero time is
 * "never" (0), and anything else that is not a time stamp is -1. */
static void test_time_parse__rfc3339_with_offsets(void **state)
{
	(void)state;
	assert_int_equal(sr_time_parse_ms("2026-11-24T08:15:00.123456789Z"), 1795508100123ll);
	assert_int_equal(sr_time_parse_ms("2026-11-24T08:15:00Z"), 1795508100000ll);
	assert_int_equal(sr_time_parse_ms("1970-01-01T00:00:01Z"), 1000);
	assert_int_equal(sr_time_parse_ms("1970-01-01T00:00:01.999999999Z"), 1999);
	assert_int_equal(sr_time_parse_ms("1970-01-01T00:00:01.5Z"), 1500);
	/* The same instant in three zones. */
	assert_int_equal(sr_time_parse_ms("2026-11-24T09:15:00+01:00"), 1795508100000ll);
	assert_int_equal(sr_time_parse_ms("2026-11-24T03:45:00-04:30"), 1795508100000ll);
	assert_int_equal(sr_time_parse_ms("1970-01-01T01:00:00+01:00"), 0);
	/* Go's default format, as `docker inspect --format` and podman print it. */
	assert_int_equal(sr_time_parse_ms("2026-11-24 08:15:00.123456789 +0000 UTC"),
			 1795508100123ll);
	assert_int_equal(sr_time_parse_ms("2026-11-24 09:15:00 +0100 CET"), 1795508100000ll);
	assert_int_equal(sr_time_parse_ms("0001-01-01T00:00:00Z"), 0);
	assert_int_equal(sr_time_parse_ms("1970-01-01T00:00:01"), -1);
	assert_int_equal(sr_time_parse_ms("1970-01-01T00:00:01.Z"), -1);
	assert_int_equal(sr_time_parse_ms("1970-13-01T00:00:01Z"), -1);
	assert_int_equal(sr_time_parse_ms("1970-01-01T00:00:01+1:00"), -1);
	assert_int_equal(sr_time_parse_ms("1970-01-01T00:00:01Z junk"), -1);
	assert_int_equal(sr_time_parse_ms("yesterday"), -1);
	assert_int_equal(sr_time_parse_ms(NULL), -1);
}

/* fs_resolve is realpath + stat: the lexical form without a symlink on the
 * way, the resolved one through a symlink, ENOENT for a missing component
 * or a dangling link. */
static void test_fs_resolve__like_realpath_and_stat(void **state)
{
	char *d = tu_temp_dir("lib"), real[PATH_MAX], want[PATH_MAX];
	struct sr_err err = SR_ERR_INIT;
	struct stat st;
	(void)state;

	char *sub = xasprintf("%s/a/b", d), *link = xasprintf("%s/l", d);
	char *dotted = xasprintf("%s/./a/../a/b/", d), *via = xasprintf("%s/l/b", d);
	char *gone = xasprintf("%s/a/missing/x", d), *dang = xasprintf("%s/dangling", d);
	assert_int_equal(fs_mkdirs(sub, 0755, &err), 0);
	assert_int_equal(symlink("a", link), 0);
	assert_int_equal(symlink("nowhere", dang), 0);
	assert_non_null(realpath(sub, want));
	assert_int_equal(fs_resolve(dotted, real, &st), 0);
	assert_string_equal(real, want);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(fs_resolve(via, real, &st), 0);
	assert_string_equal(real, want);
	assert_int_equal(fs_resolve(gone, real, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fs_resolve(dang, real, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fs_resolve("/", real, &st), 0);
	assert_string_equal(real, "/");
	fs_remove_tree(d);
	free(d);
	free(sub);
	free(link);
	free(dotted);
	free(via);
	free(gone);
	free(dang);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strbuf__initialised_is_a_valid_empty_string),
	    cmocka_unit_test(test_strbuf__zeroed_struct_is_accepted),
	    cmocka_unit_test(test_write_atomic__replaces_file_and_leaves_no_temp),
	    cmocka_unit_test(test_write_atomic__follows_a_symlink_and_keeps_it),
	    cmocka_unit_test(test_write_atomic__device_written_in_place_and_errors_reported),
	    cmocka_unit_test(test_write_atomic__directory_target_refused),
	    cmocka_unit_test(test_check_writable__missing_directory_is_named),
	    cmocka_unit_test(test_remove_tree__does_not_follow_symlinks_out),
	    cmocka_unit_test(test_fs_resolve__like_realpath_and_stat),
	    cmocka_unit_test(test_time_parse__rfc3339_with_offsets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
