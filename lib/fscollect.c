/* Artifact collection out of a run's /work: the pattern is matched one
 * component at a time against the names the directory really holds, every
 * step through a directory fd opened O_NOFOLLOW, so a match is a physical
 * path beneath the root and the destination is built from those names,
 * never from the pattern. */
#include "lib/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Entries one pattern may look at in all: a tree of millions of files
 * (bounded only by limits.disk's inodes) cannot keep the host busy. */
#define COLLECT_MAX_SCANNED 200000

struct collect {
	struct strvec comps; /* the pattern's components */
	int dest;	     /* the destination root, or -1: list only */
	struct strvec *rels;
	struct fs_budget *b;
	int matches;
	size_t scanned;
	struct sr_err *err;
	int rc;
};

static bool has_meta(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

static bool dot_name(const char *s)
{
	return !strcmp(s, ".") || !strcmp(s, "..");
}

bool fs_glob_dotsafe(const char *pattern)
{
	char *p = xstrdup(pattern), *save = NULL;
	bool ok = true;

	for (char *c = strtok_r(p, "/", &save); c && ok; c = strtok_r(NULL, "/", &save))
		ok = fnmatch(c, ".", FNM_PERIOD) != 0 && fnmatch(c, "..", FNM_PERIOD) != 0;
	free(p);
	return ok;
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dfd that comp matches (sorted, as glob sorts), never "."
 * nor "..". */
static void matching_names(struct collect *c, int dfd, const char *comp, struct strvec *out)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (!has_meta(comp)) {
		struct stat st;
		if (!dot_name(comp) && fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0)
			strvec_push(out, comp);
		return;
	}
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) && c->scanned < COLLECT_MAX_SCANNED) {
		c->scanned++;
		if (!dot_name(de->d_name) && !fnmatch(comp, de->d_name, FNM_PERIOD))
			strvec_push(out, de->d_name);
	}
	closedir(d);
	if (out->nr > 1)
		qsort(out->v, out->nr, sizeof(*out->v), cmp_str);
}

/* The directory for rel beneath the open directory dest (its directories
 * created, none a link), or -1; *base: rel's last component. */
static int dest_parent(int dest, const char *rel, const char **base, struct sr_err *err)
{
	char *p = xstrdup(rel), *name, *next;
	int cur = dup(dest);

	for (name = p; cur >= 0 && (next = strchr(name, '/')); name = next + 1) {
		int sub;
		*next = '\0';
		if (mkdirat(cur, name, 0755) < 0 && errno != EEXIST)
			sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", name, strerror(errno));
		sub = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			sr_err_set(err, SR_EFAIL, "cannot open '%s': %s", name, strerror(errno));
		close(cur);
		cur = sub;
	}
	free(p);
	*base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	return cur;
}

/* One match: a regular file (by what the opened fd is), copied by fd up
 * to the size fstat gave. */
static void take_file(struct collect *c, int dfd, const char *name, const char *rel)
{
	struct stat st;
	const char *base;
	int in, out;

	c->matches++;
	in = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0)
		return;
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || (c->b && strvec_has(c->rels, rel)) ||
	    !budget_take(c->b, (uint64_t)st.st_size)) {
		close(in);
		return;
	}
	if (c->dest >= 0) {
		out = dest_parent(c->dest, rel, &base, c->err);
		if (out < 0 || fs_copy_out_fd(in, rel, out, base, (uint64_t)st.st_size, c->err) < 0)
			c->rc = SR_EFAIL;
		if (out >= 0)
			close(out);
	}
	close(in);
	if (!c->rc)
		strvec_push(c->rels, rel);
}

static void walk(struct collect *c, int dfd, size_t ci, const char *prefix)
{
	struct strvec names = STRVEC_INIT;
	bool last = ci + 1 == c->comps.nr;

	matching_names(c, dfd, c->comps.v[ci], &names);
	for (size_t i = 0; i < names.nr && !c->rc; i++) {
		char *rel = *prefix ? xasprintf("%s/%s", prefix, names.v[i]) : xstrdup(names.v[i]);
		if (last) {
			take_file(c, dfd, names.v[i], rel);
		} else {
			int sub = openat(dfd, names.v[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				walk(c, sub, ci + 1, rel);
				close(sub);
			}
		}
		free(rel);
	}
	strvec_clear(&names);
}

static int open_dest(const char *dest_dir, struct sr_err *err)
{
	int fd;

	if (!dest_dir)
		return -1;

	if (fs_mkdirs(dest_dir, 0755, err) < 0)
		return -1;
	fd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		sr_err_set(err, SR_EFAIL, "cannot open '%s': %s", dest_dir, strerror(errno));
	return fd;
}

int fs_collect_budget(const char *root, const char *pattern, const char *dest_dir,
		      struct strvec *rels, struct fs_budget *b, struct sr_err *err)
{
	struct collect c = {.dest = -1, .rels = rels, .b = b, .err = err};
	char *p = xstrdup(pattern), *save = NULL;
	int rfd;

	for (char *s = strtok_r(p, "/", &save); s; s = strtok_r(NULL, "/", &save))
		strvec_push(&c.comps, s);
	free(p);
	/* A component that could name "." or "..": nothing matches. */
	if (!c.comps.nr || !fs_glob_dotsafe(pattern)) {
		strvec_clear(&c.comps);
		return 0;
	}
	rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		strvec_clear(&c.comps);
		return sr_err_set(err, SR_EFAIL, "cannot open '%s': %s", root, strerror(errno));
	}
	if (dest_dir && (c.dest = open_dest(dest_dir, err)) < 0)
		c.rc = SR_EFAIL;
	if (!c.rc)
		walk(&c, rfd, 0, "");
	if (c.dest >= 0)
		close(c.dest);
	close(rfd);
	strvec_clear(&c.comps);
	return c.rc ? c.rc : c.matches;
}

int fs_collect(const char *root, const char *pattern, const char *dest_dir, struct strvec *rels,
	       struct sr_err *err)
{
	return fs_collect_budget(root, pattern, dest_dir, rels, NULL, err);
}

int fs_copy_in(int in, const char *what, const char *dest_dir, const char *rel, uint64_t limit,
	       struct sr_err *err)
{
	const char *base;
	int dest, dir, rc;

	if (!fs_rel_plain(rel))
		return sr_err_set(err, SR_EINVAL, "'%s' is not a plain relative name", rel);
	if ((dest = open_dest(dest_dir, err)) < 0)
		return SR_EFAIL;
	dir = dest_parent(dest, rel, &base, err);
	close(dest);
	if (dir < 0)
		return SR_EFAIL;
	rc = fs_copy_out_fd(in, what, dir, base, limit, err);
	close(dir);
	return rc;
}
