/* Bounded reads of small regular files. */
#include "lib/smallfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a file";
}

/* "1 MiB", "64 KiB" or "1000 bytes": the limit as a user wrote it. */
static void fmt_limit(char *buf, size_t bufsz, size_t max)
{
	if (max && !(max % (1u << 20)))
		snprintf(buf, bufsz, "%zu MiB", max >> 20);
	else if (max && !(max % 1024))
		snprintf(buf, bufsz, "%zu KiB", max >> 10);
	else
		snprintf(buf, bufsz, "%zu bytes", max);
}

static int too_large(const char *path, size_t max, struct sr_err *err)
{
	char lim[64];

	fmt_limit(lim, sizeof(lim), max);
	return sr_err_set(err, SR_EINVAL, "cannot read '%s': larger than %s", path, lim);
}

int sr_read_small_fd(char **out, size_t *outlen, int fd, const char *path, size_t max,
		     struct stat *st_out, struct sr_err *err)
{
	struct stat st;
	size_t len = 0, cap;
	char *buf;

	*out = NULL;
	*outlen = 0;
	if (fstat(fd, &st) < 0)
		return sr_err_set(err, SR_EFAIL, "cannot read '%s': %s", path, strerror(errno));
	if (st_out)
		*st_out = st;
	if (!S_ISREG(st.st_mode))
		return sr_err_set(err, SR_EINVAL, "cannot read '%s': not a regular file (%s)", path,
				  file_kind(st.st_mode));
	if ((uint64_t)st.st_size > max)
		return too_large(path, max, err);
	/* st_size is only a hint (procfs says 0, a file may grow): read at most
	 * max + 1 bytes and refuse when the extra byte arrives. A regular file
	 * that gave exactly the size fstat promised in a short read is at its
	 * end: one read(2) for the usual file, not two. */
	cap = st.st_size ? (size_t)st.st_size + 1 : 4096;
	buf = xmalloc(cap + 1);
	for (;;) {
		size_t want = cap - len;
		ssize_t n;
		if (want > max + 1 - len)
			want = max + 1 - len;
		n = read(fd, buf + len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return sr_err_set(err, SR_EFAIL, "cannot read '%s': %s", path,
					  strerror(errno));
		}
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return too_large(path, max, err);
		}
		if (!n || (st.st_size && len == (size_t)st.st_size && (size_t)n < want))
			break;
		if (len == cap) {
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

int sr_read_small_file(char **out, size_t *outlen, const char *path, size_t max, struct sr_err *err)
{
	int fd, rc;

	*out = NULL;
	*outlen = 0;
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return sr_err_set(err, SR_EINVAL, "cannot open '%s': %s", path, strerror(errno));
	rc = sr_read_small_fd(out, outlen, fd, path, max, NULL, err);
	close(fd);
	return rc;
}
