/* Trust II (issue 17) at the library level: collection that cannot be
 * steered out of /work whatever the pattern, copies bounded by fstat, the
 * one sanitiser, plain relative names, dangling report links, crash
 * locations only under the spec's directories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/fsutil.h"
#include "lib/sanitize.h"
#include "lib/util.h"
#include "runner/spec/spec.h"
#include "runner/verdict/findings.h"

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/sr-test-trust.XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void put(const char *path, const char *text)
{
	struct sr_err err = SR_ERR_INIT;

	unlink(path);
	assert_int_equal(fs_write_new(path, text, strlen(text), 0644, &err), 0);
}

/* The attack, without the validation that now refuses it: 40
 * ".[.]" components after a link 40 directories deep. Nothing may land
 * outside dest, whatever the pattern. */
static void test_trust_1_collect_glob_dotdot_stays_in_dest(void **state)
{
	char *top = tmpdir(), *work = xasprintf("%s/a/b/work", top), *dest;
	struct strbuf deep = STRBUF_INIT, pat = STRBUF_INIT;
	struct strvec rels = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;
	const char *pats[] = {NULL, "l/.?/x", "l/.*/x", "l/../x", "./x", ".[.]/x", "l/*/../x"};
	struct stat st;
	char *p;
	(void)state;

	dest = xasprintf("%s/a/b/dest", top);
	strbuf_addf(&deep, "%s", work);
	strbuf_addstr(&pat, "l");
	for (int i = 0; i < 40; i++) {
		strbuf_addstr(&deep, "/d");
		strbuf_addstr(&pat, "/.[.]");
	}
	strbuf_addstr(&pat, "/x");
	pats[0] = pat.buf;
	assert_int_equal(fs_mkdirs(deep.buf, 0755, &err), 0);
	p = xasprintf("%s/l", work);
	assert_int_equal(symlink(deep.buf + strlen(work) + 1, p), 0);
	free(p);
	p = xasprintf("%s/x", work);
	put(p, "x");
	free(p);
	for (size_t i = 0; i < sizeof(pats) / sizeof(*pats); i++) {
		assert_false(fs_glob_dotsafe(pats[i]));
		assert_int_equal(fs_collect(work, pats[i], dest, &rels, &err), 0);
	}
	assert_int_equal(rels.nr, 0);
	/* Neither /x at the top nor anything above dest was written. */
	p = xasprintf("%s/x", top);
	assert_int_equal(lstat(p, &st), -1);
	free(p);
	p = xasprintf("%s/a/x", top);
	assert_int_equal(lstat(p, &st), -1);
	free(p);
	/* A plain pattern still collects, by its physical name. */
	assert_int_equal(fs_collect(work, "[x]", dest, &rels, &err), 1);
	assert_string_equal(rels.v[0], "x");
	assert_true(fs_glob_dotsafe("out/*"));
	assert_true(fs_glob_dotsafe("out/.hidden*"));
	fs_remove_tree(top);
	strvec_clear(&rels);
	strbuf_release(&deep);
	strbuf_release(&pat);
	free(work);
	free(dest);
	free(top);
}

/* Links anywhere on the way are never followed: into the tree, out of it,
 * as the match itself. */
static void test_trust_1_collect_never_follows_a_link(void **state)
{
	char *top = tmpdir(), *work = xasprintf("%s/work", top), *dest = xasprintf("%s/dest", top);
	struct strvec rels = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;
	char *p;
	(void)state;

	p = xasprintf("%s/a/b", work);
	assert_int_equal(fs_mkdirs(p, 0755, &err), 0);
	free(p);
	p = xasprintf("%s/a/b/f", work);
	put(p, "f");
	free(p);
	p = xasprintf("%s/la", work);
	assert_int_equal(symlink("a/b", p), 0);
	free(p);
	p = xasprintf("%s/etc", work);
	assert_int_equal(symlink("/etc", p), 0);
	free(p);
	p = xasprintf("%s/pw", work);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	free(p);
	fs_collect(work, "la/*", dest, &rels, &err);
	fs_collect(work, "etc/passwd", dest, &rels, &err);
	fs_collect(work, "pw", dest, &rels, &err);
	fs_collect(work, "*/*/*", dest, &rels, &err);
	assert_int_equal(rels.nr, 1);
	assert_string_equal(rels.v[0], "a/b/f");
	fs_remove_tree(top);
	strvec_clear(&rels);
	free(work);
	free(dest);
	free(top);
}

/* A file whose content outruns what fstat said (here /proc's, size 0 but
 * a page of text; a file growing while it is copied alike) is copied only
 * up to that size, so limits.artifact_bytes holds. */
static void test_trust_5_copy_stops_at_fstat_size(void **state)
{
	char *top = tmpdir(), *dest = xasprintf("%s/dest", top), *p;
	struct fs_budget b = {.files = 10, .bytes = 0};
	struct strvec rels = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;
	struct stat st;
	(void)state;

	assert_int_equal(fs_collect_budget("/proc/self", "status", dest, &rels, &b, &err), 1);
	assert_int_equal(rels.nr, 1);
	p = xasprintf("%s/status", dest);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 0);
	free(p);
	fs_remove_tree(top);
	strvec_clear(&rels);
	free(dest);
	free(top);
}

/* Tree copies (refill of /work) go through fds: a link in the destination
 * where the source has a directory is never followed. */
static void test_trust_5_copy_tree_does_not_follow_dest_links(void **state)
{
	char *top = tmpdir(), *src = xasprintf("%s/src", top), *dst = xasprintf("%s/dst", top);
	char *outside = xasprintf("%s/outside", top), *p;
	struct sr_err err = SR_ERR_INIT;
	struct stat st;
	(void)state;

	p = xasprintf("%s/sub", src);
	assert_int_equal(fs_mkdirs(p, 0755, &err), 0);
	free(p);
	p = xasprintf("%s/sub/f", src);
	put(p, "f");
	free(p);
	assert_int_equal(fs_mkdirs(dst, 0755, &err), 0);
	assert_int_equal(fs_mkdirs(outside, 0755, &err), 0);
	p = xasprintf("%s/sub", dst);
	assert_int_equal(symlink(outside, p), 0);
	free(p);
	assert_true(fs_copy_tree(src, dst, (uid_t)-1, (gid_t)-1, &err) < 0);
	p = xasprintf("%s/f", outside);
	assert_int_equal(lstat(p, &st), -1);
	free(p);
	fs_remove_tree(top);
	free(src);
	free(dst);
	free(outside);
	free(top);
}

static void test_trust_2_plain_relative_names(void **state)
{
	int fd;
	(void)state;

	assert_true(fs_rel_plain("a/b/crash-1"));
	assert_false(fs_rel_plain("../x"));
	assert_false(fs_rel_plain("a/../x"));
	assert_false(fs_rel_plain("/etc/shadow"));
	assert_false(fs_rel_plain("a//b"));
	assert_false(fs_rel_plain("a/./b"));
	assert_false(fs_rel_plain("a/"));
	assert_false(fs_rel_plain(""));
	fd = open("/", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(fs_open_beneath(fd, "../etc/passwd", O_RDONLY), -1);
	/* /proc/self is a link: refused beneath / */
	assert_int_equal(fs_open_beneath(fd, "proc/self/status", O_RDONLY), -1);
	close(fd);
}

static void test_trust_6_sanitiser_escapes_controls(void **state)
{
	char *s;
	(void)state;

	s = sr_sanitized("a\x1b]0;pwned\x07 b\r\xff\xc2\x9b"
			 "c\xc3\xa9",
			 0);
	assert_string_equal(s, "a\\x1b]0;pwned\\x07 b\\x0d\\xff\\u009bc\xc3\xa9");
	free(s);
	s = sr_sanitized("line1\nline2\tx", SR_SAN_KEEP_NL);
	assert_string_equal(s, "line1\nline2\tx");
	free(s);
	s = sr_sanitized("line1\nline2", 0);
	assert_string_equal(s, "line1\\x0aline2");
	free(s);
}

static void test_trust_6_dangling_report_link_creates_target(void **state)
{
	char *top = tmpdir(), *link = xasprintf("%s/r.json", top);
	char *target = xasprintf("%s/out/report.json", top), *p;
	struct sr_err err = SR_ERR_INIT;
	struct stat st;
	(void)state;

	p = xasprintf("%s/out", top);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	assert_int_equal(symlink("out/report.json", link), 0);
	assert_int_equal(sr_check_writable(link, &err), 0);
	assert_int_equal(sr_write_file_atomic(link, "{}", 2, &err), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 2);
	fs_remove_tree(top);
	free(link);
	free(target);
	free(top);
}

static void test_trust_6_crash_location_only_under_spec_dirs(void **state)
{
	char *top = tmpdir(), *wd = xasprintf("%s/wd", top), *p;
	struct sr_err err = SR_ERR_INIT;
	struct spec s;
	(void)state;

	memset(&s, 0, sizeof(s));
	assert_int_equal(fs_mkdirs(wd, 0755, &err), 0);
	p = xasprintf("%s/fuzz.c", wd);
	put(p, "int x;\n");
	free(p);
	p = xasprintf("%s/shadow", wd);
	assert_int_equal(symlink("/etc/shadow", p), 0);
	free(p);
	s.dir = top;
	s.workdir = wd;
	/* Any other host path a forged frame names is not looked at. */
	assert_null(results_source_path(&s, "/etc/passwd"));
	assert_null(results_source_path(&s, "/work/../../etc/passwd"));
	assert_null(results_source_path(&s, "/work/shadow"));
	p = results_source_path(&s, "/work/fuzz.c");
	assert_non_null(p);
	free(p);
	p = results_source_path(&s, "/src/fuzz.c");
	assert_non_null(p);
	free(p);
	fs_remove_tree(top);
	free(wd);
	free(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trust_1_collect_glob_dotdot_stays_in_dest),
	    cmocka_unit_test(test_trust_1_collect_never_follows_a_link),
	    cmocka_unit_test(test_trust_2_plain_relative_names),
	    cmocka_unit_test(test_trust_5_copy_stops_at_fstat_size),
	    cmocka_unit_test(test_trust_5_copy_tree_does_not_follow_dest_links),
	    cmocka_unit_test(test_trust_6_sanitiser_escapes_controls),
	    cmocka_unit_test(test_trust_6_dangling_report_link_creates_target),
	    cmocka_unit_test(test_trust_6_crash_location_only_under_spec_dirs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
