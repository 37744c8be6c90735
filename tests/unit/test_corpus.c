/* Persistent corpora (runner/plan/corpus.h): content-addressed merges that
 * lose nothing when several processes merge into one directory at once,
 * bounds, and no half-written file under a final name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/smallfile.h"
#include "runner/plan/corpus.h"

static char root[] = "/tmp/test_corpus.XXXXXX";

static void put(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static char *mkdir_in(const char *name)
{
	char *p = xasprintf("%s/%s", root, name);

	assert_int_equal(mkdir(p, 0755), 0);
	return p;
}

/* Files in dir whose name is the hash of their content; dot-files count in *dots. */
static size_t count_valid(const char *dir, size_t *dots)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	*dots = 0;
	assert_non_null(d);
	while ((de = readdir(d))) {
		char *p, *data = NULL, hex[17];
		size_t len;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_name[0] == '.') {
			(*dots)++;
			continue;
		}
		p = xasprintf("%s/%s", dir, de->d_name);
		assert_int_equal(sr_read_small_file(&data, &len, p, 1 << 20, NULL), 0);
		sr_hash_hex(data, len, hex);
		assert_string_equal(hex, de->d_name);
		n++;
		free(data);
		free(p);
	}
	closedir(d);
	return n;
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fs_remove_tree(root);
	return 0;
}

static void test_corpus__concurrent_merges_lose_nothing(void **state)
{
	char *a = mkdir_in("a"), *b = mkdir_in("b"), *dst = xasprintf("%s/dst/sub", root);
	char name[32], text[64];
	struct corpus_limits l;
	pid_t pids[6];
	size_t dots;
	(void)state;

	/* 300 inputs each, 100 of them in both. */
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "in-%d", i);
		snprintf(text, sizeof(text), i < 100 ? "shared %d" : "only-a %d", i);
		put(a, name, text);
		snprintf(text, sizeof(text), i < 100 ? "shared %d" : "only-b %d", i);
		put(b, name, text);
	}
	corpus_default_limits(&l);
	/* Six processes, three per side, all at once into one new directory. */
	for (int k = 0; k < 6; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			struct corpus_stats st = {0};
			struct sr_err err = SR_ERR_INIT;
			_exit(corpus_merge_dir(dst, k % 2 ? b : a, &l, &st, &err) < 0 ? 1 : 0);
		}
	}
	for (int k = 0; k < 6; k++) {
		int ws;
		assert_int_equal(waitpid(pids[k], &ws, 0), pids[k]);
		assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	}
	assert_int_equal(count_valid(dst, &dots), 500);
	assert_int_equal(dots, 0); /* no temporary file left behind */
	/* Merging again adds nothing. */
	{
		struct corpus_stats st = {0};
		assert_int_equal(corpus_merge_dir(dst, a, &l, &st, NULL), 0);
		assert_int_equal(st.added, 0);
		assert_int_equal(st.known, 300);
	}
	free(a);
	free(b);
	free(dst);
}

static void test_corpus__bounds(void **state)
{
	char *src = mkdir_in("bsrc"), *dst = xasprintf("%s/bdst", root), name[32], text[64];
	char big[300];
	struct corpus_limits l = {.max_file_bytes = 256, .max_files = 10, .max_bytes = 1 << 20};
	struct corpus_stats st = {0};
	size_t dots;
	(void)state;

	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		snprintf(text, sizeof(text), "input %d", i);
		put(src, name, text);
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(src, "big", big);
	{
		char *link = xasprintf("%s/link", src); /* never followed */
		assert_int_equal(symlink("/etc/passwd", link), 0);
		free(link);
	}
	assert_int_equal(corpus_merge_dir(dst, src, &l, &st, NULL), 0);
	assert_int_equal(st.added, 10);
	assert_int_equal(st.dropped, 21); /* 20 over the count, one over the size */
	assert_int_equal(count_valid(dst, &dots), 10);
	free(src);
	free(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus__concurrent_merges_lose_nothing),
	    cmocka_unit_test(test_corpus__bounds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
