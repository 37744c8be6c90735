/* The libgit2 adapter: HEAD and dirty state, and the pin commit, checked
 * with the git CLI: one commit touching only the catalogue, HEAD, index,
 * work tree and current branch untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalogue/gitrepo.h"

static char base[] = "/tmp/sandrun-git-XXXXXX";

/* Run a shell command (cwd: dir); its whole output without the last newline. */
static char *sh_in(const char *dir, const char *fmt, ...) SR_PRINTF(2, 3);
static char *sh_in(const char *dir, const char *fmt, ...)
{
	struct strbuf cmd = STRBUF_INIT, out = STRBUF_INIT;
	char buf[4096];
	size_t n;
	va_list ap;
	FILE *p;

	strbuf_addf(&cmd, "cd '%s' && { ", dir);
	va_start(ap, fmt);
	strbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	strbuf_addstr(&cmd, "; } 2>&1");
	p = popen(cmd.buf, "r");
	assert_non_null(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		strbuf_add(&out, buf, n);
	pclose(p);
	strbuf_release(&cmd);
	if (out.len && out.buf[out.len - 1] == '\n')
		out.buf[--out.len] = '\0';
	return strbuf_detach(&out, NULL);
}

static void expect_sh(const char *dir, const char *want, const char *cmd)
{
	char *got = sh_in(dir, "%s", cmd);
	if (strcmp(got, want))
		fail_msg("'%s': want '%s', got '%s'", cmd, want, got);
	free(got);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A repository at base/name on branch main: images.toml, other.txt and
 * sub/run.sh (executable) committed, identity in the repo's own config. */
static char *make_repo(const char *name, bool identity)
{
	char *dir = xasprintf("%s/%s", base, name), *out;

	out = sh_in(base,
		    "git init -q -b main '%s' && cd '%s' && %s"
		    "printf '[[image]]\\ntoolchain_id = \"a\"\\nbase = \"b\"\\n' > images.toml && "
		    "echo other > other.txt && mkdir sub && printf '#!/bin/sh\\n' > sub/run.sh && "
		    "chmod +x sub/run.sh && echo 'ignored.log' > .gitignore && git add . && "
		    "git -c user.name=Setup -c user.email=setup@test.invalid commit -qm init && "
		    "echo ok",
		    name, name,
		    identity ? "git config user.name 'Unit Tester' && "
			       "git config user.email unit@test.invalid && "
			     : "");
	if (strcmp(out, "ok"))
		fail_msg("cannot create repository: %s", out);
	free(out);
	return dir;
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_gitrepo__head_info_outside_a_repository(void **state)
{
	char *head = (char *)"x", *dir = xasprintf("%s/plain", base);
	int dirty = 7;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(gitrepo_head_info(dir, &head, &dirty, &err), 0);
	assert_null(head);
	assert_int_equal(dirty, -1);
	free(dir);
}

static void test_gitrepo__head_info_reports_head_and_dirty(void **state)
{
	char *dir = make_repo("info", true), *want = sh_in(dir, "git rev-parse HEAD"), *head;
	char *file = xasprintf("%s/sub/run.sh", dir);
	int dirty;
	struct sr_err err = SR_ERR_INIT;
	static const char *const dirtying[] = {
	    "echo new > untracked.txt",
	    "echo more >> other.txt",
	    "echo more >> other.txt && git add other.txt",
	    "git rm -q --cached other.txt",
	};
	(void)state;
	assert_int_equal(gitrepo_head_info(dir, &head, &dirty, &err), 0);
	assert_string_equal(head, want);
	assert_int_equal(dirty, 0);
	free(head);
	/* a file path discovers its repository too; ignored files are clean */
	free(sh_in(dir, "echo x > ignored.log"));
	assert_int_equal(gitrepo_head_info(file, &head, &dirty, &err), 0);
	assert_string_equal(head, want);
	assert_int_equal(dirty, 0);
	free(head);
	for (size_t i = 0; i < SR_ARRAY_SIZE(dirtying); i++) {
		free(sh_in(dir, "%s", dirtying[i]));
		assert_int_equal(gitrepo_head_info(dir, &head, &dirty, &err), 0);
		if (dirty != 1)
			fail_msg("'%s' did not make the tree dirty", dirtying[i]);
		free(head);
		free(sh_in(dir, "git reset -q --hard && git clean -qf"));
	}
	assert_int_equal(gitrepo_head_info(dir, &head, &dirty, &err), 0);
	assert_int_equal(dirty, 0);
	free(head);
	free(want);
	free(file);
	free(dir);
}

static void test_gitrepo__head_info_on_an_unborn_branch(void **state)
{
	char *dir = xasprintf("%s/unborn", base), *head = (char *)"x", *out;
	int dirty = 7;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	out = sh_in(base, "git init -q -b main unborn && echo ok");
	assert_string_equal(out, "ok");
	free(out);
	assert_int_equal(gitrepo_head_info(dir, &head, &dirty, &err), 0);
	assert_null(head);
	assert_int_equal(dirty, 0);
	free(dir);
}

static void test_gitrepo__commit_changes_only_that_file(void **state)
{
	char *dir = make_repo("commit", true), *path = xasprintf("%s/images.toml", dir);
	char *head = sh_in(dir, "git rev-parse HEAD"), *hex = NULL, *out;
	char *status, *index, *worktree;
	const char *text = "[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\ndigest = \"sha256:1\"\n";
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	/* someone's work in progress: staged, unstaged and untracked */
	free(sh_in(dir, "echo staged >> other.txt && git add other.txt && "
			"echo unstaged >> sub/run.sh && echo new > notes.txt"));
	write_file(path, text);
	status = sh_in(dir, "git status --porcelain=v1");
	index = sh_in(dir, "git ls-files -s");
	worktree = sh_in(dir, "cat other.txt sub/run.sh notes.txt images.toml | sha256sum");
	assert_int_equal(gitrepo_commit_file(path, "bot/pin",
					     "Pin 1 toolchain images\n\na: (none) -> x\n", &err,
					     &hex),
			 0);
	assert_non_null(hex);
	out = sh_in(dir, "git rev-parse bot/pin");
	assert_string_equal(out, hex);
	free(out);
	expect_sh(dir, "images.toml", "git diff --name-only main bot/pin");
	expect_sh(dir, head, "git rev-parse bot/pin^");
	expect_sh(dir, "1", "git rev-list --count main..bot/pin");
	out = sh_in(dir, "git show bot/pin:images.toml");
	assert_string_equal(out,
			    "[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\ndigest = \"sha256:1\"");
	free(out);
	expect_sh(dir, "Unit Tester <unit@test.invalid>|Unit Tester|Pin 1 toolchain images",
		  "git log -1 --format='%an <%ae>|%cn|%s' bot/pin");
	expect_sh(dir, "Pin 1 toolchain images\n\na: (none) -> x",
		  "git cat-file commit bot/pin | sed '1,/^$/d'");
	/* HEAD, the current branch, the index and the work tree are untouched */
	expect_sh(dir, head, "git rev-parse HEAD");
	expect_sh(dir, "refs/heads/main", "git symbolic-ref HEAD");
	expect_sh(dir, status, "git status --porcelain=v1");
	expect_sh(dir, index, "git ls-files -s");
	expect_sh(dir, worktree, "cat other.txt sub/run.sh notes.txt images.toml | sha256sum");
	expect_sh(dir, "", "git fsck --no-progress 2>&1 | grep -v '^dangling' || true");
	free(status);
	free(index);
	free(worktree);
	free(hex);
	free(head);
	free(path);
	free(dir);
}

static void test_gitrepo__commit_adds_to_an_existing_branch(void **state)
{
	char *dir = make_repo("again", true), *path = xasprintf("%s/images.toml", dir);
	char *hex1 = NULL, *hex2 = NULL, *hex3 = NULL;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	write_file(path, "# one\n");
	assert_int_equal(gitrepo_commit_file(path, "bot/pin", "one", &err, &hex1), 0);
	write_file(path, "# two\n");
	assert_int_equal(gitrepo_commit_file(path, "bot/pin", "two", &err, &hex2), 0);
	assert_string_not_equal(hex1, hex2);
	expect_sh(dir, hex1, "git rev-parse bot/pin^");
	expect_sh(dir, "2", "git rev-list --count main..bot/pin");
	expect_sh(dir, "images.toml", "git diff --name-only bot/pin^ bot/pin");
	expect_sh(dir, "# two", "git show bot/pin:images.toml");
	/* the same bytes again: nothing new to record, no empty commit */
	assert_int_equal(gitrepo_commit_file(path, "bot/pin", "three", &err, &hex3), 0);
	assert_string_equal(hex3, hex2);
	expect_sh(dir, hex2, "git rev-parse bot/pin");
	free(hex1);
	free(hex2);
	free(hex3);
	free(path);
	free(dir);
}

static void test_gitrepo__commit_keeps_the_file_mode_in_a_subdirectory(void **state)
{
	char *dir = make_repo("mode", true), *path = xasprintf("%s/sub/run.sh", dir), *hex = NULL;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	write_file(path, "#!/bin/sh\necho pinned\n");
	assert_int_equal(gitrepo_commit_file(path, "bot/mode", "mode", &err, &hex), 0);
	expect_sh(dir, "100755 sub/run.sh",
		  "git ls-tree -r --format='%(objectmode) %(path)' "
		  "bot/mode sub/run.sh 2>/dev/null || "
		  "git ls-tree -r bot/mode sub/run.sh | "
		  "awk '{print $1\" \"$4}'");
	expect_sh(dir, "sub/run.sh", "git diff --name-only main bot/mode");
	free(hex);
	free(path);
	free(dir);
}

static void test_gitrepo__commit_uses_the_default_branch_name(void **state)
{
	char *dir = make_repo("default", true), *path = xasprintf("%s/images.toml", dir);
	char *hex = NULL, want[64];
	time_t t = time(NULL);
	struct tm tm;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	write_file(path, "# pinned\n");
	assert_int_equal(gitrepo_commit_file(path, NULL, "pin", &err, &hex), 0);
	gmtime_r(&t, &tm);
	strftime(want, sizeof(want), "sandrun/pin-%Y-%m-%d", &tm);
	expect_sh(dir, want, "git for-each-ref --format='%(refname:short)' refs/heads/sandrun/");
	free(hex);
	free(path);
	free(dir);
}

static void test_gitrepo__commit_refusals(void **state)
{
	char *dir = make_repo("refuse", true), *path = xasprintf("%s/images.toml", dir);
	char *outside = xasprintf("%s/outside.toml", base), *hex = NULL;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	write_file(path, "# pinned\n");
	write_file(outside, "# not in a repository\n");
	/* moving the checked-out branch would desynchronise its work tree */
	assert_int_equal(gitrepo_commit_file(path, "main", "x", &err, &hex), SR_EINVAL);
	assert_non_null(strstr(err.msg, "checked out"));
	assert_null(hex);
	/* ... in this work tree or in a linked one */
	free(sh_in(dir, "git worktree add -q -b elsewhere ../refuse-wt"));
	assert_int_equal(gitrepo_commit_file(path, "elsewhere", "x", &err, &hex), SR_EINVAL);
	assert_non_null(strstr(err.msg, "checked out"));
	assert_int_equal(gitrepo_commit_file(path, "bad..name", "x", &err, &hex), SR_EINVAL);
	assert_non_null(strstr(err.msg, "invalid branch name 'bad..name'"));
	assert_int_equal(gitrepo_commit_file(outside, "bot/pin", "x", &err, &hex), SR_EINVAL);
	assert_null(hex);
	expect_sh(dir, "elsewhere\nmain",
		  "git for-each-ref --format='%(refname:short)' refs/heads/");
	expect_sh(dir, "", "git diff --name-only main elsewhere");
	free(outside);
	free(path);
	free(dir);
}

static void test_gitrepo__author_from_environment_without_git_config(void **state)
{
	char *dir = make_repo("env", false), *path = xasprintf("%s/images.toml", dir);
	char *home = xasprintf("%s/home", base), *old_home = getenv("HOME");
	char *old_xdg = getenv("XDG_CONFIG_HOME"), *hex = NULL;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	old_home = old_home ? xstrdup(old_home) : NULL;
	old_xdg = old_xdg ? xstrdup(old_xdg) : NULL;
	assert_int_equal(mkdir(home, 0755), 0);
	/* no global config: git_signature_default has nothing to go on */
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");
	write_file(path, "# pinned\n");
	unsetenv("SANDRUN_GIT_AUTHOR");
	assert_int_equal(gitrepo_commit_file(path, "bot/env", "x", &err, &hex), SR_EINVAL);
	assert_non_null(strstr(err.msg, "SANDRUN_GIT_AUTHOR"));
	setenv("SANDRUN_GIT_AUTHOR", "nobody", 1);
	assert_int_equal(gitrepo_commit_file(path, "bot/env", "x", &err, &hex), SR_EINVAL);
	assert_non_null(strstr(err.msg, "invalid SANDRUN_GIT_AUTHOR 'nobody'"));
	setenv("SANDRUN_GIT_AUTHOR", "  Pin Bot <bot@example.invalid>  ", 1);
	assert_int_equal(gitrepo_commit_file(path, "bot/env", "Pin it", &err, &hex), 0);
	expect_sh(dir, "Pin Bot <bot@example.invalid>|Pin Bot <bot@example.invalid>|Pin it",
		  "git log -1 --format='%an <%ae>|%cn <%ce>|%s' bot/env");
	unsetenv("SANDRUN_GIT_AUTHOR");
	if (old_home)
		setenv("HOME", old_home, 1);
	if (old_xdg)
		setenv("XDG_CONFIG_HOME", old_xdg, 1);
	free(old_home);
	free(old_xdg);
	free(hex);
	free(home);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gitrepo__head_info_outside_a_repository),
	    cmocka_unit_test(test_gitrepo__head_info_reports_head_and_dirty),
	    cmocka_unit_test(test_gitrepo__head_info_on_an_unborn_branch),
	    cmocka_unit_test(test_gitrepo__commit_changes_only_that_file),
	    cmocka_unit_test(test_gitrepo__commit_adds_to_an_existing_branch),
	    cmocka_unit_test(test_gitrepo__commit_keeps_the_file_mode_in_a_subdirectory),
	    cmocka_unit_test(test_gitrepo__commit_uses_the_default_branch_name),
	    cmocka_unit_test(test_gitrepo__commit_refusals),
	    cmocka_unit_test(test_gitrepo__author_from_environment_without_git_config),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
