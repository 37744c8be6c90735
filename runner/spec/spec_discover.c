/* Harness specs: discovery of spec files under directory arguments, each
 * file opened and read once: the same bytes are parsed, hashed (spec_hash)
 * and handed to the caller's reader (the suite fingerprint). A directory
 * argument is resolved once; everything below it is reached through
 * directory fds (openat), never by a path resolved again per file. */
#include "runner/spec/spec_int.h"
#include "runner/spec/spec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/smallfile.h"
#include "runner/spec/spec_ignore.h"

#define MAX_DISCOVER_DEPTH 64

/* open_entry: the entry is no spec file at all (not an error). */
#define NOT_A_SPEC (-2)

struct found_list {
	struct spec_found *v;
	size_t nr, alloc;
};

/* What one search (all arguments) shares: the list, the reader and the
 * count of files handed to it. */
struct search {
	struct found_list fl;
	const struct spec_reader *rd;
	long seq;
	struct sr_err *err;
};

/* What one directory argument's walk knows: its .sandrunignore, its fd and
 * real path, and the trees the specs found so far own (workdirs, fs-stub
 * paths), by real path. */
struct walk {
	struct search *s;
	struct spec_ignore *ig;
	struct strvec owned;
	const char *root_real;
	int root_fd;
};

/* One entry of a directory. */
struct entry {
	char *name;
	unsigned char type;   /* DT_DIR, DT_REG, DT_LNK; DT_UNKNOWN: anything else */
	bool ignored;	      /* .sandrunignore */
	struct spec_found *f; /* a spec file, loaded in pass 0 */
	bool holding;	      /* its bytes wait in held for the reader */
	char *held;
	size_t held_len;
};

static bool has_spec_ext(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static char *join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name), sep = strcmp(dir, "/") != 0;
	char *p = xmalloc(dl + sep + nl + 1);

	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + sep, name, nl + 1);
	return p;
}

static void found_release(struct spec_found *f)
{
	free(f->path);
	free(f->real_dir);
	free(f->msg);
	if (f->spec) {
		spec_release(f->spec);
		free(f->spec);
	}
	memset(f, 0, sizeof(*f));
}

void spec_found_free(struct spec_found *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		found_release(&v[i]);
	free(v);
}

/* Hand the bytes of f (buf NULL: opened, but not a small regular file) to
 * the reader, numbering the call. */
static void feed(struct search *s, struct spec_found *f, const char *buf, size_t len)
{
	f->seq = s->seq++;
	if (s->rd && s->rd->fn)
		s->rd->fn(s->rd->ctx, f, buf, len);
}

static void fail_found(struct spec_found *f, const struct sr_err *err)
{
	f->msg = xstrdup(err->msg);
}

/* Parse buf (read from f->path, or NULL after a read error in err) into
 * f->spec, or keep the message. */
static void parse_found(struct spec_found *f, const char *buf, size_t len, int read_rc,
			struct sr_err *err)
{
	struct spec *sp;

	if (read_rc < 0 || !f->real_dir) {
		fail_found(f, err);
		return;
	}
	sp = xmalloc(sizeof(*sp));
	if (spec_parse_real(sp, f->path, f->real_dir, buf, len, err) < 0) {
		free(sp);
		fail_found(f, err);
		return;
	}
	f->spec = sp;
}

/* A file argument, taken as given (a symlink is followed). */
static void load_file_arg(struct search *s, const char *path, const struct stat *self)
{
	struct spec_found *f;
	struct sr_err err = SR_ERR_INIT;
	char *buf = NULL, *dir = xstrdup(path), *slash = strrchr(dir, '/');
	char real[PATH_MAX];
	size_t len = 0;
	int fd, rc, dir_errno = 0;

	SR_GROW(s->fl.v, s->fl.nr + 1, s->fl.alloc);
	f = &s->fl.v[s->fl.nr++];
	*f = (struct spec_found){.path = xstrdup(path),
				 .seq = -1,
				 .dev = self->st_dev,
				 .ino = self->st_ino,
				 .have_id = true};
	if (slash)
		slash[slash == dir] = '\0'; /* "/x.yaml" lives in "/" */
	if (realpath(slash ? dir : ".", real))
		f->real_dir = xstrdup(real);
	else
		dir_errno = errno;
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = sr_err_set(&err, SR_EINVAL, "cannot open '%s': %s", path, strerror(errno));
	} else {
		rc = sr_read_small_fd(&buf, &len, fd, path, SPEC_MAX_BYTES, NULL, &err);
		close(fd);
		feed(s, f, buf, len);
	}
	if (!rc && !f->real_dir)
		rc = sr_err_set(&err, SR_EINVAL,
				"%s:1:1: cannot resolve the spec's directory '%s': %s", path,
				slash ? dir : ".", strerror(dir_errno));
	parse_found(f, buf, len, rc, &err);
	free(dir);
	free(buf);
}

/* Open the spec file e of the directory dfd for reading. A regular file is
 * opened without following a link; a symlinked spec is taken when it leads
 * to a regular file inside the searched directory, opened through the root
 * fd with no symlink followed on the way. NOT_A_SPEC for a link to
 * something else (a directory, nothing) or to another type; -1 with err. */
static int open_entry(struct walk *w, int dfd, struct spec_found *f, const struct entry *e,
		      struct sr_err *err)
{
	struct stat st;
	char target[PATH_MAX];
	size_t rl = strlen(w->root_real);
	int fd;

	if (e->type == DT_REG) {
		fd =
		    openat(dfd, e->name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
		if (fd < 0)
			sr_err_set(err, SR_EINVAL, "cannot open '%s': %s", f->path,
				   strerror(errno));
		return fd;
	}
	if (e->type != DT_LNK || fstatat(dfd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return NOT_A_SPEC;
	/* A symlinked spec is a spec of its own: its identity is the link's. */
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->have_id = true;
	if (!realpath(f->path, target) || stat(target, &st) < 0 || !S_ISREG(st.st_mode))
		return NOT_A_SPEC;
	if (!path_within(w->root_real, target)) {
		sr_err_set(
		    err, SR_EINVAL,
		    "cannot open '%s': a symlink to '%s', outside the searched directory '%s'",
		    f->path, target, w->root_real);
		return -1;
	}
	fd = fs_open_beneath(w->root_fd, target + (rl == 1 ? 1 : rl + 1),
			     O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		sr_err_set(err, SR_EINVAL, "cannot open '%s': %s", f->path, strerror(errno));
	return fd;
}

/* Pass 0 for one spec file e of the directory dfd (dir as given, real its
 * real path): read it once, parse it; its bytes go to the reader now, or
 * wait in e->held when now is false (a subdirectory sorts before it). */
static void load_entry(struct walk *w, int dfd, const char *dir, const char *real, struct entry *e,
		       bool now)
{
	struct spec_found *f = xcalloc(1, sizeof(*f));
	struct sr_err err = SR_ERR_INIT;
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd, rc;

	f->path = join(dir, e->name);
	f->real_dir = xstrdup(real);
	f->seq = -1;
	if ((fd = open_entry(w, dfd, f, e, &err)) == NOT_A_SPEC) {
		found_release(f);
		free(f);
		return;
	}
	e->f = f;
	if (fd < 0) {
		if (!f->have_id && fstatat(dfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			f->dev = st.st_dev;
			f->ino = st.st_ino;
			f->have_id = true;
		}
		fail_found(f, &err);
		return;
	}
	memset(&st, 0, sizeof(st));
	rc = sr_read_small_fd(&buf, &len, fd, f->path, SPEC_MAX_BYTES, &st, &err);
	close(fd);
	if (!f->have_id && st.st_ino) {
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		f->have_id = true;
	}
	if (now)
		feed(w->s, f, buf, len);
	parse_found(f, buf, len, rc, &err);
	if (now) {
		free(buf);
	} else {
		e->holding = true;
		e->held = buf;
		e->held_len = len;
	}
}

/* Learn the trees the spec owns. A workdir or stub path that is the spec's
 * own directory is not skipped: the spec's siblings and subdirectories would
 * all vanish from the suite without a word. */
static void learn_owned(struct walk *w, const struct spec *s)
{
	if (s->workdir && strcmp(s->workdir, s->dir))
		strvec_push(&w->owned, s->workdir);
	for (size_t i = 0; i < s->nstubs; i++)
		if (s->stubs[i].path && strcmp(s->stubs[i].path, s->dir))
			strvec_push(&w->owned, s->stubs[i].path);
}

static bool within(const char *dir, const char *p)
{
	size_t dl = strlen(dir);

	if (dl == 1 && dir[0] == '/')
		return true;
	return !strncmp(p, dir, dl) && (p[dl] == '/' || p[dl] == '\0');
}

static bool is_owned(const struct walk *w, const char *real, const char *name)
{
	bool hit = false;

	if (!w->owned.nr)
		return false;
	char *rp = join(real, name);
	for (size_t i = 0; i < w->owned.nr && !hit; i++)
		hit = within(w->owned.v[i], rp);
	free(rp);
	return hit;
}

/* Entries sort by name, a directory's as if it ended in '/': the order of
 * their full paths, so a walk meets the files in the order they are
 * listed at the end. */
static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	const unsigned char *p = (const unsigned char *)x->name;
	const unsigned char *q = (const unsigned char *)y->name;
	int cx, cy;

	while (*p && *p == *q) {
		p++;
		q++;
	}
	cx = *p ? *p : x->type == DT_DIR ? '/' : 0;
	cy = *q ? *q : y->type == DT_DIR ? '/' : 0;
	return cx - cy;
}

static unsigned char type_of(mode_t m)
{
	return S_ISDIR(m) ? DT_DIR : S_ISREG(m) ? DT_REG : S_ISLNK(m) ? DT_LNK : DT_UNKNOWN;
}

/* The entries of the directory d (without "." and ".."), sorted. A type
 * the file system does not report is asked for with fstatat. */
static int read_entries(struct entry **out, size_t *nout, DIR *d, const char *dir,
			struct sr_err *err)
{
	struct entry *v = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	int rc = 0;

	while (!rc && (errno = 0, de = readdir(d))) {
		unsigned char t = de->d_type;
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (t == DT_UNKNOWN) {
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				char *p = join(dir, de->d_name);
				rc = sr_err_set(err, SR_EINVAL, "cannot open '%s': %s", p,
						strerror(errno));
				free(p);
				break;
			}
			t = type_of(st.st_mode);
		} else if (t != DT_DIR && t != DT_REG && t != DT_LNK) {
			t = DT_UNKNOWN;
		}
		SR_GROW(v, n + 1, alloc);
		v[n++] = (struct entry){.name = xstrdup(de->d_name), .type = t};
	}
	if (!rc && errno)
		rc = sr_err_set(err, SR_EINVAL, "cannot read directory '%s': %s", dir,
				strerror(errno));
	if (n)
		qsort(v, n, sizeof(*v), cmp_entry);
	*out = v;
	*nout = n;
	return rc;
}

static void entries_free(struct entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].f) {
			found_release(v[i].f);
			free(v[i].f);
		}
		free(v[i].held);
		free(v[i].name);
	}
	free(v);
}

static int walk_dir(struct walk *w, int dfd, const char *dir, const char *real, const char *rel,
		    int depth);

/* Pass 0: every spec file of the directory is read and parsed, so the
 * trees they own are known before anything here is listed or entered. */
static void load_specs(struct walk *w, DIR *d, const char *dir, const char *real, const char *rel,
		       struct entry *ents, size_t n)
{
	bool dir_before = false;

	for (size_t i = 0; i < n; i++) {
		struct entry *e = &ents[i];
		bool isdir = e->type == DT_DIR;

		if (!spec_ignore_empty(w->ig)) {
			char *r = *rel ? join(rel, e->name) : xstrdup(e->name);
			e->ignored = spec_ignore_match(w->ig, r, isdir);
			free(r);
		}
		if (e->ignored)
			continue;
		if (isdir) {
			dir_before = dir_before || e->name[0] != '.';
		} else if (has_spec_ext(e->name)) {
			load_entry(w, dirfd(d), dir, real, e, !dir_before);
			if (e->f && e->f->spec)
				learn_owned(w, e->f->spec);
		}
	}
}

/* Pass 1, in order: the spec files no sibling owns are listed, the
 * subdirectories entered. */
static int list_and_descend(struct walk *w, DIR *d, const char *dir, const char *real,
			    const char *rel, struct entry *ents, size_t n, int depth)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		struct entry *e = &ents[i];
		if (e->ignored || (!e->f && e->type != DT_DIR) ||
		    (e->type == DT_DIR && e->name[0] == '.') || is_owned(w, real, e->name))
			continue;
		if (e->type == DT_DIR) {
			char *p = join(dir, e->name), *rp = join(real, e->name);
			char *r = *rel ? xasprintf("%s/%s", rel, e->name) : xstrdup(e->name);
			int sub = openat(dirfd(d), e->name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				rc = sr_err_set(w->s->err, SR_EINVAL,
						"cannot open directory '%s': %s", p,
						strerror(errno));
			else
				rc = walk_dir(w, sub, p, rp, r, depth + 1);
			free(p);
			free(rp);
			free(r);
			continue;
		}
		if (e->holding)
			feed(w->s, e->f, e->held, e->held_len);
		SR_GROW(w->s->fl.v, w->s->fl.nr + 1, w->s->fl.alloc);
		w->s->fl.v[w->s->fl.nr++] = *e->f;
		free(e->f);
		e->f = NULL;
	}
	return rc;
}

/* Collect the specs below the directory dfd (owned, closed here; dir: its
 * path as found, real: its real path, rel: its path from the argument's
 * root, "" for the root). Hidden directories, .sandrunignore matches and
 * owned trees are skipped; symlinked directories are not followed (no
 * cycles, no escaping the tree); symlinked spec files are taken when they
 * lead to a file inside the tree. */
static int walk_dir(struct walk *w, int dfd, const char *dir, const char *real, const char *rel,
		    int depth)
{
	struct entry *ents = NULL;
	size_t n = 0;
	DIR *d;
	int rc;

	if (depth > MAX_DISCOVER_DEPTH) {
		close(dfd);
		return sr_err_set(w->s->err, SR_EINVAL,
				  "cannot search '%s': directories nested too deep", dir);
	}
	if (!(d = fdopendir(dfd))) {
		rc = sr_err_set(w->s->err, SR_EINVAL, "cannot open directory '%s': %s", dir,
				strerror(errno));
		close(dfd);
		return rc;
	}
	rc = read_entries(&ents, &n, d, dir, w->s->err);
	if (!rc) {
		load_specs(w, d, dir, real, rel, ents, n);
		rc = list_and_descend(w, d, dir, real, rel, ents, n, depth);
	}
	entries_free(ents, n);
	closedir(d);
	return rc;
}

static int walk_root(struct search *s, const char *dir)
{
	struct walk w = {.s = s, .owned = STRVEC_INIT, .root_fd = -1};
	char real[PATH_MAX];
	int rc, fd;

	if (!realpath(dir, real))
		return sr_err_set(s->err, SR_EINVAL, "cannot open directory '%s': %s", dir,
				  strerror(errno));
	if ((w.root_fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return sr_err_set(s->err, SR_EINVAL, "cannot open directory '%s': %s", dir,
				  strerror(errno));
	w.root_real = real;
	if ((rc = spec_ignore_load_at(&w.ig, w.root_fd, dir, s->err)) == 0) {
		if ((fd = dup(w.root_fd)) < 0)
			rc = sr_err_set(s->err, SR_EFAIL, "cannot open directory '%s': %s", dir,
					strerror(errno));
		else
			rc = walk_dir(&w, fd, dir, real, "", 0);
	}
	spec_ignore_free(w.ig);
	strvec_clear(&w.owned);
	close(w.root_fd);
	return rc;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct spec_found *)a)->path, ((const struct spec_found *)b)->path);
}

/* Order by file, then by position: a file's first path comes first. */
static int cmp_file(const void *a, const void *b)
{
	const struct spec_found *x = *(const struct spec_found *const *)a;
	const struct spec_found *y = *(const struct spec_found *const *)b;

	if (x->have_id != y->have_id)
		return x->have_id ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Sort by path, then drop later paths to a file already listed ("dir"
 * and "dir/x.yaml", "./x.yaml" and "x.yaml"). */
static void sort_and_dedup(struct found_list *fl)
{
	struct spec_found **byfile;
	size_t k = 0;

	if (!fl->nr)
		return;
	qsort(fl->v, fl->nr, sizeof(*fl->v), cmp_path);
	byfile = xcalloc(fl->nr, sizeof(*byfile));
	for (size_t i = 0; i < fl->nr; i++)
		byfile[i] = &fl->v[i];
	qsort(byfile, fl->nr, sizeof(*byfile), cmp_file);
	for (size_t i = 1, keep = 0; i < fl->nr; i++) {
		const struct spec_found *first = byfile[keep];
		if (byfile[i]->have_id && first->have_id && byfile[i]->dev == first->dev &&
		    byfile[i]->ino == first->ino)
			found_release(byfile[i]); /* path NULL: dropped below */
		else
			keep = i;
	}
	free(byfile);
	for (size_t i = 0; i < fl->nr; i++)
		if (fl->v[i].path)
			fl->v[k++] = fl->v[i];
	fl->nr = k;
}

int spec_discover_load(struct spec_found **out, size_t *nout, const char *const *args, size_t nargs,
		       const struct spec_reader *rd, struct sr_err *err)
{
	struct search s = {.rd = rd, .err = err};
	int rc = 0;

	*out = NULL;
	*nout = 0;
	for (size_t i = 0; i < nargs && !rc; i++) {
		struct stat st, self;
		char *a;
		size_t n;

		if (stat(args[i], &st) < 0 || lstat(args[i], &self) < 0) {
			rc = sr_err_set(err, SR_EINVAL, "cannot open spec '%s': %s", args[i],
					strerror(errno));
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			load_file_arg(&s, args[i], &self);
			continue;
		}
		a = xstrdup(args[i]);
		n = strlen(a);
		while (n > 1 && a[n - 1] == '/')
			a[--n] = '\0';
		rc = walk_root(&s, a);
		free(a);
	}
	if (rc) {
		spec_found_free(s.fl.v, s.fl.nr);
		return rc;
	}
	sort_and_dedup(&s.fl);
	*out = s.fl.v;
	*nout = s.fl.nr;
	return 0;
}

int spec_discover(struct strvec *out, const char *const *args, size_t nargs, struct sr_err *err)
{
	struct spec_found *v;
	size_t n;
	int rc = spec_discover_load(&v, &n, args, nargs, NULL, err);

	for (size_t i = 0; !rc && i < n; i++)
		strvec_push(out, v[i].path);
	if (!rc)
		spec_found_free(v, n);
	return rc;
}
