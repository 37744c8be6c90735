#include "lib/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int copy_file(const char *src, const char *dst, mode_t mode, struct sr_err *err)
{
	char buf[65536];
	int in, out, rc = 0;

	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return sr_err_set(err, SR_EFAIL, "cannot open '%s': %s", src, strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 07777);
	if (out < 0) {
		rc = sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", dst, strerror(errno));
		close(in);
		return rc;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf)), w = 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc =
			    sr_err_set(err, SR_EFAIL, "cannot read '%s': %s", src, strerror(errno));
			break;
		}
		if (!n)
			break;
		while (w < n) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				rc = sr_err_set(err, SR_EFAIL, "cannot write '%s': %s", dst,
						strerror(errno));
				goto done;
			}
			w += k;
		}
	}
done:
	close(in);
	if (close(out) < 0 && !rc)
		rc = sr_err_set(err, SR_EFAIL, "cannot write '%s': %s", dst, strerror(errno));
	/* Keep the mode exactly (umask applied at creation). */
	if (!rc)
		chmod(dst, mode & 07777);
	return rc;
}

int fs_copy_tree(const char *src, const char *dst, uid_t uid, gid_t gid, struct sr_err *err)
{
	DIR *d = opendir(src);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return sr_err_set(err, SR_EFAIL, "cannot open directory '%s': %s", src,
				  strerror(errno));
	while (!rc && (de = readdir(d))) {
		char *s, *t;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		s = xasprintf("%s/%s", src, de->d_name);
		t = xasprintf("%s/%s", dst, de->d_name);
		if (lstat(s, &st) < 0) {
			rc = sr_err_set(err, SR_EFAIL, "cannot stat '%s': %s", s, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdir(t, st.st_mode & 07777) < 0)
				rc = sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", t,
						strerror(errno));
			else {
				chmod(t, st.st_mode & 07777);
				rc = fs_copy_tree(s, t, uid, gid, err);
			}
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(s, target, sizeof(target) - 1);
			if (n < 0) {
				rc = sr_err_set(err, SR_EFAIL, "cannot read link '%s': %s", s,
						strerror(errno));
			} else {
				target[n] = '\0';
				if (symlink(target, t) < 0)
					rc =
					    sr_err_set(err, SR_EFAIL, "cannot create link '%s': %s",
						       t, strerror(errno));
			}
		} else if (S_ISREG(st.st_mode)) {
			rc = copy_file(s, t, st.st_mode, err);
		} else {
			free(s);
			free(t);
			continue;
		}
		if (!rc && (int)uid >= 0 && lchown(t, uid, gid) < 0)
			rc = sr_err_set(err, SR_EFAIL, "cannot chown '%s': %s", t, strerror(errno));
		free(s);
		free(t);
	}
	closedir(d);
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

	if (depth > 256) {
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
		if (st.st_dev != dev) {
			errno = EBUSY;
			rc = -1;
			continue;
		}
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
	close(fd);
	fchmodat(AT_FDCWD, path, mode, 0);
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

static bool strvec_has(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->nr; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
}

/* Whether b admits a file of size bytes; takes it from b when it does. */
static bool budget_take(struct fs_budget *b, uint64_t size)
{
	if (!b)
		return true;
	if (!b->files || size > b->bytes) {
		b->dropped++;
		b->dropped_bytes += size;
		return false;
	}
	b->files--;
	b->bytes -= size;
	return true;
}

int fs_collect(const char *root, const char *pattern, const char *dest_dir, struct strvec *rels,
	       struct sr_err *err)
{
	return fs_collect_budget(root, pattern, dest_dir, rels, NULL, err);
}

int fs_collect_budget(const char *root, const char *pattern, const char *dest_dir,
		      struct strvec *rels, struct fs_budget *b, struct sr_err *err)
{
	char root_real[PATH_MAX];
	char *full;
	glob_t g;
	int matches = 0, grc;

	if (!realpath(root, root_real))
		return sr_err_set(err, SR_EFAIL, "cannot resolve '%s': %s", root, strerror(errno));
	full = xasprintf("%s/%s", root_real, pattern);
	grc = glob(full, 0, NULL, &g);
	free(full);
	if (grc == GLOB_NOMATCH)
		return 0;
	if (grc)
		return sr_err_set(err, SR_EFAIL, "cannot glob '%s' in the run's /work", pattern);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *m = g.gl_pathv[i];
		const char *rel = m + strlen(root_real) + 1;
		struct stat st;
		char *dst, *slash;

		matches++;
		/* The match itself must not be a link, and its directory must
		 * resolve inside the run's work tree. */
		if (lstat(m, &st) < 0 || !S_ISREG(st.st_mode) || !fs_inside(root_real, m))
			continue;
		if (b && strvec_has(rels, rel))
			continue;
		if (!budget_take(b, (uint64_t)st.st_size))
			continue;
		if (!dest_dir) {
			strvec_push(rels, rel);
			continue;
		}
		dst = xasprintf("%s/%s", dest_dir, rel);
		slash = strrchr(dst, '/');
		*slash = '\0';
		if (fs_mkdirs(dst, 0755, err) < 0) {
			free(dst);
			globfree(&g);
			return SR_EFAIL;
		}
		*slash = '/';
		unlink(dst);
		if (copy_file(m, dst, 0644, err) < 0) {
			free(dst);
			globfree(&g);
			return SR_EFAIL;
		}
		strvec_push(rels, rel);
		free(dst);
	}
	globfree(&g);
	return matches;
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
