#include "lib/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define SR_HAVE_OPENAT2_H 1
#endif
#endif

#define FS_MAX_DEPTH 256

/* Copy at most limit bytes from in to out (limit: the size fstat gave when
 * in was opened: a file that grows meanwhile is cut there). */
static int copy_fd(int in, int out, uint64_t limit, const char *src, const char *dst,
		   struct sr_err *err)
{
	char buf[65536];

	while (limit) {
		size_t want = limit < sizeof(buf) ? (size_t)limit : sizeof(buf);
		ssize_t n = read(in, buf, want), w = 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sr_err_set(err, SR_EFAIL, "cannot read '%s': %s", src,
					  strerror(errno));
		if (!n)
			break;
		limit -= (uint64_t)n;
		while (w < n) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return sr_err_set(err, SR_EFAIL, "cannot write '%s': %s", dst,
						  strerror(errno));
			w += k;
		}
	}
	return 0;
}

/* The regular file name in sfd copied to name in dfd (created, mode);
 * neither side follows a symlink. */
static int copy_file_at(int sfd, const char *sname, int dfd, const char *dname, mode_t mode,
			uid_t uid, gid_t gid, const char *what, struct sr_err *err)
{
	struct stat st;
	int in, out, rc;

	in = openat(sfd, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0)
		return sr_err_set(err, SR_EFAIL, "cannot open '%s': %s", what, strerror(errno));
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(in);
		return sr_err_set(err, SR_EFAIL, "cannot copy '%s': not a regular file", what);
	}
	out =
	    openat(dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
	if (out < 0) {
		rc = sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", what, strerror(errno));
		close(in);
		return rc;
	}
	rc = copy_fd(in, out, (uint64_t)st.st_size, what, what, err);
	close(in);
	/* Keep the mode exactly (umask applied at creation). */
	if (!rc && fchmod(out, mode & 07777) < 0)
		rc = sr_err_set(err, SR_EFAIL, "cannot chmod '%s': %s", what, strerror(errno));
	if (!rc && (int)uid >= 0 && fchown(out, uid, gid) < 0)
		rc = sr_err_set(err, SR_EFAIL, "cannot chown '%s': %s", what, strerror(errno));
	if (close(out) < 0 && !rc)
		rc = sr_err_set(err, SR_EFAIL, "cannot write '%s': %s", what, strerror(errno));
	return rc;
}

static DIR *opendir_at(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (!d && fd >= 0)
		close(fd);
	return d;
}

static int copy_dir_at(int sfd, int dfd, const char *src, uid_t uid, gid_t gid, int depth,
		       struct sr_err *err);

/* One entry of a tree copy: directories recurse, links are copied as
 * links, regular files by fd; other types are skipped. */
static int copy_entry(int sfd, int dfd, const char *name, const char *src, uid_t uid, gid_t gid,
		      int depth, struct sr_err *err)
{
	char *what = xasprintf("%s/%s", src, name);
	struct stat st;
	int rc = 0, s = -1, d = -1;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = sr_err_set(err, SR_EFAIL, "cannot stat '%s': %s", what, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		if (mkdirat(dfd, name, 0700) < 0)
			rc = sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", what,
					strerror(errno));
		else if ((s = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
			     0 ||
			 (d = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
			     0)
			rc = sr_err_set(err, SR_EFAIL, "cannot open '%s': %s", what,
					strerror(errno));
		else if (!(rc = copy_dir_at(s, d, what, uid, gid, depth + 1, err))) {
			if (fchmod(d, st.st_mode & 07777) < 0 ||
			    ((int)uid >= 0 && fchown(d, uid, gid) < 0))
				rc = sr_err_set(err, SR_EFAIL, "cannot chown '%s': %s", what,
						strerror(errno));
		}
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(sfd, name, target, sizeof(target) - 1);
		if (n < 0)
			rc = sr_err_set(err, SR_EFAIL, "cannot read link '%s': %s", what,
					strerror(errno));
		else if ((target[n] = '\0', symlinkat(target, dfd, name) < 0))
			rc = sr_err_set(err, SR_EFAIL, "cannot create link '%s': %s", what,
					strerror(errno));
		else if ((int)uid >= 0 && fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			rc = sr_err_set(err, SR_EFAIL, "cannot chown '%s': %s", what,
					strerror(errno));
	} else if (S_ISREG(st.st_mode)) {
		rc = copy_file_at(sfd, name, dfd, name, st.st_mode, uid, gid, what, err);
	}
	if (s >= 0)
		close(s);
	if (d >= 0)
		close(d);
	free(what);
	return rc;
}

static int copy_dir_at(int sfd, int dfd, const char *src, uid_t uid, gid_t gid, int depth,
		       struct sr_err *err)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > FS_MAX_DEPTH)
		return sr_err_set(err, SR_EFAIL, "cannot copy '%s': nested too deep", src);
	if (!(d = opendir_at(sfd)))
		return sr_err_set(err, SR_EFAIL, "cannot open directory '%s': %s", src,
				  strerror(errno));
	while (!rc && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rc = copy_entry(sfd, dfd, de->d_name, src, uid, gid, depth, err);
	}
	closedir(d);
	return rc;
}

int fs_copy_tree(const char *src, const char *dst, uid_t uid, gid_t gid, struct sr_err *err)
{
	int s, d, rc;

	s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s < 0)
		return sr_err_set(err, SR_EFAIL, "cannot open directory '%s': %s", src,
				  strerror(errno));
	d = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0) {
		rc = sr_err_set(err, SR_EFAIL, "cannot open directory '%s': %s", dst,
				strerror(errno));
		close(s);
		return rc;
	}
	rc = copy_dir_at(s, d, src, uid, gid, 0, err);
	close(s);
	close(d);
	return rc;
}

/* Remove every entry of the open directory dfd, then nothing else: entries
 * are reached only through directory fds opened O_NOFOLLOW, so a symlink
 * swapped in meanwhile is unlinked, never followed. Mount points are not
 * crossed. */
static int remove_dir_contents(int dfd, dev_t dev, int depth)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > FS_MAX_DEPTH) {
		close(dfd);
		errno = ELOOP;
		return -1;
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	while ((de = readdir(d))) {
		struct stat st;
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
				rc = -1;
			continue;
		}
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* What was opened, not what was looked at: another mount is
		 * left alone even if it was swapped in between. */
		if (sub >= 0 && (fstat(sub, &st) < 0 || st.st_dev != dev)) {
			close(sub);
			errno = EBUSY;
			rc = -1;
			continue;
		}
		if (sub < 0 || remove_dir_contents(sub, dev, depth + 1) < 0)
			rc = -1;
		if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int fs_remove_tree(const char *path)
{
	struct stat st;
	int dfd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	if (fstat(dfd, &st) < 0) {
		close(dfd);
		return -1;
	}
	rc = remove_dir_contents(dfd, st.st_dev, 0);
	if (rmdir(path) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int fs_mkdirs(const char *path, mode_t mode, struct sr_err *err)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", p, strerror(errno));
			free(p);
			return SR_EFAIL;
		}
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST) {
		sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", p, strerror(errno));
		free(p);
		return SR_EFAIL;
	}
	free(p);
	return 0;
}

int fs_write_new(const char *path, const void *data, size_t len, mode_t mode, struct sr_err *err)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", path, strerror(errno));
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sr_err_set(err, SR_EFAIL, "cannot write '%s': %s", path, strerror(errno));
			close(fd);
			return SR_EFAIL;
		}
		p += n;
		len -= (size_t)n;
	}
	fchmod(fd, mode);
	close(fd);
	return 0;
}

bool fs_inside(const char *root_real, const char *path)
{
	char real[PATH_MAX];
	size_t n = strlen(root_real);

	if (!realpath(path, real))
		return false;
	return !strncmp(real, root_real, n) && (real[n] == '/' || real[n] == '\0');
}

/* The lexical normal form of the absolute path p ("." and empty components
 * dropped, "x/.." folded) into out; false when it does not fit. */
static bool lexical_normal(const char *p, char *out, size_t n)
{
	size_t len = 0;

	while (*p) {
		size_t c;
		while (*p == '/')
			p++;
		c = strcspn(p, "/");
		if (!c || (c == 1 && p[0] == '.')) {
			/* nothing */
		} else if (c == 2 && p[0] == '.' && p[1] == '.') {
			while (len && out[len - 1] != '/')
				len--;
			if (len)
				len--;
		} else {
			if (len + 1 + c >= n)
				return false;
			out[len++] = '/';
			memcpy(out + len, p, c);
			len += c;
		}
		p += c;
	}
	if (!len)
		out[len++] = '/';
	out[len] = '\0';
	return true;
}

int fs_resolve(const char *path, char real[PATH_MAX], struct stat *st)
{
#if defined(SR_HAVE_OPENAT2_H) && defined(SYS_openat2)
	struct open_how how;
	int fd, e;

	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	if (path[0] == '/') {
		fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
		if (fd >= 0) {
			bool ok = fstat(fd, st) == 0 && lexical_normal(path, real, PATH_MAX);
			e = errno;
			close(fd);
			if (ok)
				return 0;
			errno = e;
		} else if (errno == ENOENT || errno == ENOTDIR || errno == EACCES) {
			/* Met before any symlink: realpath would stop there too. */
			return -1;
		}
	}
#endif
	if (!realpath(path, real))
		return -1;
	return stat(real, st);
}

bool fs_rel_plain(const char *rel)
{
	const char *p = rel;

	if (!rel || !*rel || *rel == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (!n || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/' && !*++p)
			return false;
	}
	return true;
}

/* openat2 beneath dfd with no symlink at all, or -1/ENOSYS where the
 * kernel (or the headers) lack it. */
static int open_beneath2(int dfd, const char *rel, int flags)
{
#if defined(SR_HAVE_OPENAT2_H) && defined(SYS_openat2)
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
#else
	(void)dfd;
	(void)rel;
	(void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

int fs_open_beneath(int dfd, const char *rel, int flags)
{
	char *p, *name, *next;
	int cur, fd;

	if (!fs_rel_plain(rel)) {
		errno = EINVAL;
		return -1;
	}
	fd = open_beneath2(dfd, rel, flags);
	if (fd >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EPERM))
		return fd;
	/* The fallback: one component at a time, none a symlink. */
	p = xstrdup(rel);
	cur = dfd;
	for (name = p; (next = strchr(name, '/')); name = next + 1) {
		int sub;
		*next = '\0';
		sub = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cur != dfd)
			close(cur);
		if (sub < 0) {
			free(p);
			return -1;
		}
		cur = sub;
	}
	fd = openat(cur, name, flags | O_NOFOLLOW | O_CLOEXEC);
	if (cur != dfd) {
		int e = errno;
		close(cur);
		errno = e;
	}
	free(p);
	return fd;
}

int fs_copy_out_fd(int in, const char *what, int dfd, const char *name, uint64_t limit,
		   struct sr_err *err)
{
	int out, rc;

	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		return sr_err_set(err, SR_EFAIL, "cannot replace '%s': %s", name, strerror(errno));
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", name, strerror(errno));
	rc = copy_fd(in, out, limit, what, name, err);
	if (!rc)
		fchmod(out, 0644);
	if (close(out) < 0 && !rc)
		rc = sr_err_set(err, SR_EFAIL, "cannot write '%s': %s", name, strerror(errno));
	return rc;
}

static bool helper_ok(const char *path)
{
	return access(path, X_OK) == 0 && !strpbrk(path, ",\"");
}

int fs_helper_path(char *out, size_t n, const char *prog)
{
	const char *rel[] = {"build/helper", "helper", ".", "../libexec/sandrun"};
	const char *env = getenv("SANDRUN_HELPER_DIR");
	char exe[PATH_MAX], *slash;
	ssize_t len;

	if (env && *env && (size_t)snprintf(out, n, "%s/%s", env, prog) < n && helper_ok(out))
		return 0;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return -1;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	for (size_t i = 0; i < SR_ARRAY_SIZE(rel); i++)
		if ((size_t)snprintf(out, n, "%s/%s/%s", exe, rel[i], prog) < n && helper_ok(out))
			return 0;
	out[0] = '\0';
	return -1;
}
