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

int sr_read_small_file(char **out, size_t *outlen, const char *path, size_t max, struct sr_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	int fd, rc = 0;

	*out = NULL;
	*outlen = 0;
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return sr_err_set(err, SR_EINVAL, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = sr_err_set(err, SR_EFAIL, "cannot read '%s': %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = sr_err_set(err, SR_EINVAL, "cannot read '%s': not a regular file (%s)", path,
				file_kind(st.st_mode));
		goto done;
	}
	if ((uint64_t)st.st_size > max) {
		rc = too_large(path, max, err);
		goto done;
	}
	/* st_size is only a hint (procfs says 0, a file may grow): read at most
	 * max + 1 bytes and refuse when the extra byte arrives. */
	for (;;) {
		char buf[65536];
		size_t want = max - sb.len + 1;
		ssize_t n = read(fd, buf, want < sizeof(buf) ? want : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = sr_err_set(err, SR_EFAIL, "cannot read '%s': %s", path,
					strerror(errno));
			goto done;
		}
		if (!n)
			break;
		strbuf_add(&sb, buf, (size_t)n);
		if (sb.len > max) {
			rc = too_large(path, max, err);
			goto done;
		}
	}
	*out = strbuf_detach(&sb, outlen);
done:
	close(fd);
	strbuf_release(&sb);
	return rc;
}
