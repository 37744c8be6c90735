/* Harness specs: discovery of spec files under directory arguments. */
#include "runner/spec/spec.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "runner/spec/spec_ignore.h"

#define MAX_DISCOVER_DEPTH 64

struct found {
	char *path;
	dev_t dev;
	ino_t ino;
	size_t order; /* position after sorting by path */
};

struct found_list {
	struct found *v;
	size_t nr, alloc;
};

/* A file's identity is that of the path's last component, symlink or not:
 * two spellings of one file are one spec, but a symlinked spec file is a spec
 * of its own (its relative paths resolve against the link's directory). */
static void found_add(struct found_list *fl, char *path, const struct stat *st)
{
	SR_GROW(fl->v, fl->nr + 1, fl->alloc);
	fl->v[fl->nr++] = (struct found){.path = path, .dev = st->st_dev, .ino = st->st_ino};
}

static bool has_spec_ext(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml"));
}

/* What one directory argument's walk knows: its .sandrunignore, and the
 * trees the specs found so far own (workdirs, fs-stub paths), by realpath. */
struct walk {
	struct found_list *fl;
	struct spec_ignore *ig;
	struct strvec owned;
	struct sr_err *err;
};

static bool within(const char *dir, const char *p)
{
	size_t dl = strlen(dir);

	if (dl == 1 && dir[0] == '/')
		return true;
	return !strncmp(p, dir, dl) && (p[dl] == '/' || p[dl] == '\0');
}

static bool is_owned(const struct walk *w, const char *real)
{
	for (size_t i = 0; i < w->owned.nr; i++)
		if (within(w->owned.v[i], real))
			return true;
	return false;
}

/* Learn the trees the spec at path owns. A spec that does not load owns
 * nothing (loading it again later reports why). A workdir or stub path that
 * is the spec's own directory is not skipped: the spec's siblings and
 * subdirectories would all vanish from the suite without a word. */
static void learn_owned(struct walk *w, const char *path)
{
	struct sr_err err = SR_ERR_INIT;
	struct spec s;

	if (spec_load(&s, path, &err) < 0)
		return;
	if (s.workdir && strcmp(s.workdir, s.dir))
		strvec_push(&w->owned, s.workdir);
	for (size_t i = 0; i < s.nstubs; i++)
		if (s.stubs[i].path && strcmp(s.stubs[i].path, s.dir))
			strvec_push(&w->owned, s.stubs[i].path);
	spec_release(&s);
}

struct entry {
	char *name;
	struct stat st;
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* The entries of dir (without "." and ".."), sorted by name, lstat'ed. */
static int read_entries(struct entry **out, size_t *nout, const char *dir, struct sr_err *err)
{
	struct entry *v = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (!(d = opendir(dir)))
		return sr_err_set(err, SR_EINVAL, "cannot open directory '%s': %s", dir,
				  strerror(errno));
	while (!rc && (errno = 0, de = readdir(d))) {
		char *p;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		SR_GROW(v, n + 1, alloc);
		v[n].name = xstrdup(de->d_name);
		p = xasprintf("%s%s%s", dir, strcmp(dir, "/") ? "/" : "", de->d_name);
		if (lstat(p, &v[n].st) < 0)
			rc = sr_err_set(err, SR_EINVAL, "cannot open '%s': %s", p, strerror(errno));
		free(p);
		n++;
	}
	if (!rc && errno)
		rc = sr_err_set(err, SR_EINVAL, "cannot read directory '%s': %s", dir,
				strerror(errno));
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_entry);
	*out = v;
	*nout = n;
	return rc;
}

static bool is_spec_file(const char *path, const struct entry *e)
{
	struct stat target;

	if (!has_spec_ext(e->name))
		return false;
	return S_ISREG(e->st.st_mode) ||
	       (S_ISLNK(e->st.st_mode) && !stat(path, &target) && S_ISREG(target.st_mode));
}

/* Collect the specs below dir (real: its realpath; rel: its path from the
 * argument's root, "" for the root). A directory's spec files are loaded
 * before its subdirectories are entered, so the trees they own are known by
 * then: a harness's workdir may hold any YAML (a CI file, a fixture) without
 * tripping the suite. Hidden directories, .sandrunignore matches and owned
 * trees are skipped; symlinked directories are not followed (no cycles, no
 * escaping the tree); symlinked spec files are taken. */
static int walk_dir(struct walk *w, const char *dir, const char *real, const char *rel, int depth)
{
	struct entry *ents;
	size_t n;
	int rc;

	if (depth > MAX_DISCOVER_DEPTH)
		return sr_err_set(w->err, SR_EINVAL,
				  "cannot search '%s': directories nested too deep", dir);
	rc = read_entries(&ents, &n, dir, w->err);
	/* Pass 0: the spec files here, then the trees they own; pass 1: the
	 * files no sibling owns; pass 2: the subdirectories. */
	for (int pass = 0; pass < 3 && !rc; pass++) {
		for (size_t i = 0; i < n && !rc; i++) {
			const struct entry *e = &ents[i];
			bool isdir = S_ISDIR(e->st.st_mode);
			const char *sep = strcmp(dir, "/") ? "/" : "";
			char *p = xasprintf("%s%s%s", dir, sep, e->name);
			char *rp = xasprintf("%s%s%s", real, strcmp(real, "/") ? "/" : "", e->name);
			char *r = *rel ? xasprintf("%s/%s", rel, e->name) : xstrdup(e->name);

			if (spec_ignore_match(w->ig, r, isdir) || (pass && is_owned(w, rp))) {
				/* skipped */
			} else if (isdir) {
				if (pass == 2 && e->name[0] != '.')
					rc = walk_dir(w, p, rp, r, depth + 1);
			} else if (pass < 2 && is_spec_file(p, e)) {
				if (pass == 0) {
					learn_owned(w, p);
				} else {
					found_add(w->fl, p, &e->st);
					p = NULL;
				}
			}
			free(p);
			free(rp);
			free(r);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
	return rc;
}

static int walk_root(struct found_list *fl, const char *dir, struct sr_err *err)
{
	struct walk w = {.fl = fl, .owned = STRVEC_INIT, .err = err};
	char real[PATH_MAX];
	int rc;

	if (!realpath(dir, real))
		return sr_err_set(err, SR_EINVAL, "cannot open directory '%s': %s", dir,
				  strerror(errno));
	if ((rc = spec_ignore_load(&w.ig, dir, err)) < 0)
		return rc;
	rc = walk_dir(&w, dir, real, "", 0);
	spec_ignore_free(w.ig);
	strvec_clear(&w.owned);
	return rc;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->path, ((const struct found *)b)->path);
}

static int cmp_file(const void *a, const void *b)
{
	const struct found *x = *(const struct found *const *)a;
	const struct found *y = *(const struct found *const *)b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int spec_discover(struct strvec *out, const char *const *args, size_t nargs, struct sr_err *err)
{
	struct found_list fl = {NULL, 0, 0};
	struct found **byfile = NULL;
	int rc = 0;

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
			found_add(&fl, xstrdup(args[i]), &self);
			continue;
		}
		a = xstrdup(args[i]);
		n = strlen(a);
		while (n > 1 && a[n - 1] == '/')
			a[--n] = '\0';
		rc = walk_root(&fl, a, err);
		free(a);
	}
	if (!rc && fl.nr) {
		/* Sort by path, then drop later paths to a file already listed
		 * ("dir" and "dir/x.yaml", "./x.yaml" and "x.yaml"). */
		qsort(fl.v, fl.nr, sizeof(*fl.v), cmp_path);
		byfile = xcalloc(fl.nr, sizeof(*byfile));
		for (size_t i = 0; i < fl.nr; i++) {
			fl.v[i].order = i;
			byfile[i] = &fl.v[i];
		}
		qsort(byfile, fl.nr, sizeof(*byfile), cmp_file);
		for (size_t i = 1; i < fl.nr; i++) {
			if (byfile[i]->dev == byfile[i - 1]->dev &&
			    byfile[i]->ino == byfile[i - 1]->ino) {
				free(byfile[i]->path);
				byfile[i]->path = NULL;
			}
		}
		for (size_t i = 0; i < fl.nr; i++)
			if (fl.v[i].path)
				strvec_push(out, fl.v[i].path);
	}
	for (size_t i = 0; i < fl.nr; i++)
		free(fl.v[i].path);
	free(fl.v);
	free(byfile);
	return rc;
}
