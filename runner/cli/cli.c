#include "runner/cli/cli.h"

#include "lib/strset.h"
#include "runner/cli/shard.h"
#include "runner/engine/engine_ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_exit_code(int code)
{
	switch (code) {
	case SR_OK:
		return EXIT_OK;
	case SR_EINVAL:
		return EXIT_USAGE;
	case SR_EENGINE:
		return EXIT_ENGINE;
	default:
		return EXIT_FAIL;
	}
}

int cli_fail(const struct sr_err *err)
{
	sr_log("%s", err->msg);
	return cli_exit_code(err->code ? err->code : SR_EFAIL);
}

int cli_load_catalogue(struct catalogue *out, const struct cli *cli, struct sr_err *err)
{
	const char *path = cli->catalogue_path;

	if (!path || !*path)
		path = getenv("SANDRUN_CATALOGUE");
	if (!path || !*path)
		path = "images.toml";
	if (access(path, F_OK) < 0)
		return sr_err_set(err, SR_EINVAL, "cannot open catalogue '%s': %s", path,
				  strerror(errno));
	return catalogue_load(out, path, err);
}

int cli_engine(struct engine *out, const struct cli *cli, struct sr_err *err)
{
	if (engine_init(out, cli->engine, err) < 0)
		return err->code = SR_EENGINE;
	if (engine_probe_api(out) < 0 && engine_probe(out, err) < 0) {
		engine_release(out);
		return SR_EENGINE;
	}
	return 0;
}

void cli_suite_release(struct cli_suite *s)
{
	for (size_t i = 0; i < s->n; i++)
		spec_release(&s->specs[i]);
	free(s->specs);
	strvec_clear(&s->bad_paths);
	strvec_clear(&s->bad_msgs);
	suite_fp_free(s->fp);
	s->fp = NULL;
}

/* The directory of path resolved: path itself when it is a directory. */
static char *dir_of(const char *path)
{
	struct stat st;
	const char *slash;
	cleanup_free char *dir = NULL;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return realpath(path, NULL);
	slash = strrchr(path, '/');
	dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	return realpath(dir, NULL);
}

char *cli_suite_root(const struct strvec *paths)
{
	char *root;

	if (!paths->nr)
		return realpath("harnesses", NULL);
	root = dir_of(paths->v[0]);
	for (size_t i = 1; root && i < paths->nr; i++) {
		cleanup_free char *d = dir_of(paths->v[i]);
		size_t rl;
		if (!d) {
			free(root);
			return NULL;
		}
		/* Shorten root until it is d or one of d's ancestors. */
		for (;;) {
			rl = strlen(root);
			if (!strncmp(d, root, rl) && (d[rl] == '/' || !d[rl] || rl == 1))
				break;
			char *slash = strrchr(root, '/');
			if (slash == root)
				slash[1] = '\0';
			else
				*slash = '\0';
		}
	}
	return root;
}

/* The spec reader of the suite fingerprint: every file's bytes as read. */
static void fp_read(void *ctx, const struct spec_found *f, const char *buf, size_t len)
{
	const char *base = strrchr(f->path, '/');

	suite_fp_add(ctx, f->real_dir, base ? base + 1 : f->path, buf, len);
}

/* Keep aside the invalid spec at path with msg. */
static void add_bad(struct cli_suite *su, const char *path, const char *msg)
{
	strvec_push(&su->bad_paths, path);
	strvec_push(&su->bad_msgs, msg);
}

/* Take f's spec into su, or keep it aside: a name used before, a toolchain
 * not in cat. */
static void take_spec(struct cli_suite *su, struct strset *names, struct spec_found *f,
		      const struct catalogue *cat)
{
	struct spec *s = f->spec;
	char *m = NULL;

	if (!s) {
		add_bad(su, f->path, f->msg);
		return;
	}
	f->spec = NULL;
	if (strset_has(names, s->name))
		m = xasprintf("%s:1:1: harness name '%s' is used by another spec", f->path,
			      s->name);
	else if (cat && !catalogue_find(cat, s->toolchain))
		m = xasprintf("%s:%d:%d: toolchain '%s' is not in catalogue '%s'", f->path,
			      s->toolchain_line, s->toolchain_col, s->toolchain, cat->path);
	if (m) {
		add_bad(su, f->path, m);
		free(m);
		spec_release(s);
	} else {
		strset_add(names, s->name);
		su->specs[su->n++] = *s;
	}
	free(s);
}

int cli_load_suite(struct cli_suite *su, const struct strvec *paths, const struct catalogue *cat,
		   struct sr_err *err)
{
	struct strset names = STRSET_INIT;
	const char *def[] = {"harnesses"};
	struct spec_reader rd = {fp_read, NULL};
	struct spec_found *v;
	char *root = cli_suite_root(paths);
	size_t n;
	int rc;

	if (root)
		rd.ctx = su->fp = suite_fp_new(root);
	free(root);
	rc = spec_discover_load(&v, &n, paths->nr ? (const char *const *)paths->v : def,
				paths->nr ? paths->nr : 1, su->fp ? &rd : NULL, err);
	if (rc < 0)
		return rc;
	/* The fingerprint holds the files in the list's order, or nothing. */
	for (size_t i = 0; su->fp && i < n; i++)
		if (v[i].seq != (long)i)
			suite_fp_break(su->fp);
	if (su->fp && suite_fp_files(su->fp) != (long)n)
		suite_fp_break(su->fp);
	SR_GROW(su->specs, su->n + n, su->alloc);
	for (size_t i = 0; i < n; i++)
		take_spec(su, &names, &v[i], cat);
	spec_found_free(v, n);
	strset_clear(&names);
	return 0;
}

int cli_usage(const char *msg, const char *arg)
{
	sr_log("%s%s%s%s", msg, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	return EXIT_USAGE;
}
