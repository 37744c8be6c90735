/* sr_read_small_file: regular files up to a limit, nothing else, never
 * blocking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/smallfile.h"

static char dir[] = "/tmp/test_smallfile.XXXXXX";

static char *write_tmp(const char *name, const void *data, size_t len)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return p;
}

static void expect_refused(const char *path, size_t max, int code, const char *what)
{
	struct sr_err err = SR_ERR_INIT;
	char *buf = (char *)"untouched";
	size_t len = 7;

	assert_int_equal(sr_read_small_file(&buf, &len, path, max, &err), code);
	assert_null(buf);
	assert_int_equal(len, 0);
	if (!strstr(err.msg, what) || !strstr(err.msg, path))
		fail_msg("want '%s' and the path in '%s'", what, err.msg);
}

static void test_smallfile__reads_bytes_up_to_the_limit(void **state)
{
	struct sr_err err = SR_ERR_INIT;
	char *p = write_tmp("ok", "a\0b", 3), *buf;
	size_t len;
	(void)state;

	assert_int_equal(sr_read_small_file(&buf, &len, p, 3, &err), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "a\0b", 4); /* NUL-terminated too */
	free(buf);
	expect_refused(p, 2, SR_EINVAL, "larger than 2 bytes");
	free(p);
	p = write_tmp("empty", "", 0);
	assert_int_equal(sr_read_small_file(&buf, &len, p, 0, &err), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	free(p);
}

/* A file whose size fstat does not know (procfs says 0) or that is larger
 * than the first buffer is still read whole; a regular file is read in one
 * read(2) when it holds what fstat said, and its bytes are all there. */
static void test_smallfile__procfs_and_large_files_read_whole(void **state)
{
	struct sr_err err = SR_ERR_INIT;
	char *buf, big[200000], *p;
	size_t len;
	(void)state;

	assert_int_equal(sr_read_small_file(&buf, &len, "/proc/self/status", 1 << 20, &err), 0);
	assert_non_null(strstr(buf, "Name:"));
	assert_non_null(strstr(buf, "VmRSS:")); /* past the first lines */
	free(buf);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	p = write_tmp("big", big, sizeof(big));
	assert_int_equal(sr_read_small_file(&buf, &len, p, sizeof(big), &err), 0);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(buf, big, sizeof(big));
	assert_int_equal(buf[len], '\0');
	free(buf);
	expect_refused(p, sizeof(big) - 1, SR_EINVAL, "larger than");
	free(p);
}

static void test_smallfile__limit_is_named_in_units(void **state)
{
	char *big = xcalloc(1, (1u << 20) + 1), *p = write_tmp("big", big, (1u << 20) + 1);
	(void)state;
	expect_refused(p, 1u << 20, SR_EINVAL, "larger than 1 MiB");
	expect_refused(p, 64u << 10, SR_EINVAL, "larger than 64 KiB");
	free(p);
	free(big);
}

static void test_smallfile__devices_fifos_sockets_and_directories_refused(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *fifo = xasprintf("%s/fifo", dir), *sock = xasprintf("%s/sock", dir);
	int fd;
	(void)state;

	expect_refused("/dev/zero", 1u << 20, SR_EINVAL, "not a regular file (a character device)");
	expect_refused(dir, 1u << 20, SR_EINVAL, "not a regular file (a directory)");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	expect_refused(fifo, 1u << 20, SR_EINVAL, "not a regular file (a FIFO)");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* a socket cannot be opened at all: the open error names it */
	expect_refused(sock, 1u << 20, SR_EINVAL, "cannot open");
	close(fd);
	expect_refused("/no/such/file", 1u << 20, SR_EINVAL,
		       "cannot open '/no/such/file': No such file or directory");
	unlink(fifo);
	unlink(sock);
	free(fifo);
	free(sock);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const names[] = {"ok", "empty", "big", "fifo", "sock"};
	(void)state;
	for (size_t i = 0; i < SR_ARRAY_SIZE(names); i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_smallfile__reads_bytes_up_to_the_limit),
	    cmocka_unit_test(test_smallfile__procfs_and_large_files_read_whole),
	    cmocka_unit_test(test_smallfile__limit_is_named_in_units),
	    cmocka_unit_test(test_smallfile__devices_fifos_sockets_and_directories_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
