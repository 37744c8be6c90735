/* The libgit2 adapter: HEAD and dirty state, and the pin commit that touches
 * only the catalogue, checked with the git CLI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../catalogue/gitrepo.h"

static char repo[] = "/tmp/sandrun-git-XXXXXX";

/* Run a shell command in the repository; its first output line, trimmed. */
static char *sh(const char *fmt, ...)
{
	struct strbuf cmd = STRBUF_INIT;
	char line[512] = "";
	va_list ap;
	FILE *p;

	strbuf_addf(&cmd, "cd %s && ", repo);
	va_start(ap, fmt);
	strbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	p = popen(cmd.buf, "r");
	assert_non_null(p);
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	strbuf_release(&cmd);
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line);
}

static int setup(void **state)
{
	char *out;
	(void)state;
	if (!mkdtemp(repo))
		return -1;
	out =
	    sh("git init -q -b main && git config user.name 'Unit Tester' && "
	       "git config user.email unit@test.invalid && printf 'digest = \"\"\\n' > images.toml "
	       "&& echo other > other.txt && git add . && git commit -qm init && echo ok");
	if (strcmp(out, "ok")) {
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", repo);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_gitrepo__head_and_dirty(void **state)
{
	char *head = NULL, *want = sh("git rev-parse HEAD");
	int dirty = -1;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(gitrepo_head_info(repo, &head, &dirty, &err), 0);
	assert_string_equal(head, want);
	assert_int_equal(dirty, 0);
	free(head);
	free(sh("echo new > untracked.txt"));
	assert_int_equal(gitrepo_head_info(repo, &head, &dirty, &err), 0);
	assert_int_equal(dirty, 1);
	free(sh("rm untracked.txt"));
	free(head);
	free(want);
	assert_int_equal(gitrepo_head_info("/", &head, &dirty, &err), SR_EFAIL);
	assert_null(head);
}

static void test_gitrepo__commit_touches_only_the_file(void **state)
{
	char path[256], *hex = NULL, *head = sh("git rev-parse HEAD"), *out;
	struct sr_err err = SR_ERR_INIT;
	FILE *f;
	(void)state;
	snprintf(path, sizeof(path), "%s/images.toml", repo);
	f = fopen(path, "w");
	fputs("digest = \"sha256:1\"\n", f);
	fclose(f);
	free(sh("echo edited >> other.txt && git add other.txt"));
	assert_int_equal(gitrepo_commit_file(path, "bot/pin",
					     "Pin 1 toolchain images\n\nx: a -> b\n", &err, &hex),
			 0);
	out = sh("git rev-parse bot/pin");
	assert_string_equal(out, hex);
	free(out);
	out = sh("git diff --name-only main bot/pin | tr '\\n' ' '");
	assert_string_equal(out, "images.toml ");
	free(out);
	out = sh("git rev-parse bot/pin^");
	assert_string_equal(out, head);
	free(out);
	/* HEAD, the index (a staged edit) and the current branch are untouched */
	out = sh("git rev-parse HEAD");
	assert_string_equal(out, head);
	free(out);
	out = sh("git diff --cached --name-only | tr '\\n' ' '");
	assert_string_equal(out, "other.txt ");
	free(out);
	out = sh("git log -1 --format=%%an/%%s bot/pin");
	assert_string_equal(out, "Unit Tester/Pin 1 toolchain images");
	free(out);
	/* the current branch is refused */
	free(hex);
	hex = NULL;
	assert_int_equal(gitrepo_commit_file(path, "main", "x", &err, &hex), SR_EINVAL);
	assert_null(hex);
	free(head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gitrepo__head_and_dirty),
	    cmocka_unit_test(test_gitrepo__commit_touches_only_the_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
