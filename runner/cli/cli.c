#include "runner/cli/cli.h"

#include "lib/strset.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
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
	if (engine_probe(out, err) < 0) {
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
}

int cli_load_suite(struct cli_suite *su, const struct strvec *paths, const struct catalogue *cat,
		   struct sr_err *err)
{
	struct strvec files = STRVEC_INIT;
	struct strset names = STRSET_INIT;
	const char *def[] = {"harnesses"};
	int rc;

	if (paths->nr)
		rc = spec_discover(&files, (const char *const *)paths->v, paths->nr, err);
	else
		rc = spec_discover(&files, def, 1, err);
	if (rc < 0) {
		strvec_clear(&files);
		return rc;
	}
	for (size_t i = 0; i < files.nr; i++) {
		struct spec s;
		struct sr_err e2 = SR_ERR_INIT;

		if (spec_load(&s, files.v[i], &e2) < 0) {
			strvec_push(&su->bad_paths, files.v[i]);
			strvec_push(&su->bad_msgs, e2.msg);
			continue;
		}
		if (strset_has(&names, s.name)) {
			char *m = xasprintf("%s:1:1: harness name '%s' is used by another spec",
					    files.v[i], s.name);
			strvec_push(&su->bad_paths, files.v[i]);
			strvec_push(&su->bad_msgs, m);
			free(m);
			spec_release(&s);
			continue;
		}
		if (cat && !catalogue_find(cat, s.toolchain)) {
			char *m = xasprintf("%s:%d:%d: toolchain '%s' is not in catalogue '%s'",
					    files.v[i], s.toolchain_line, s.toolchain_col,
					    s.toolchain, cat->path);
			strvec_push(&su->bad_paths, files.v[i]);
			strvec_push(&su->bad_msgs, m);
			free(m);
			spec_release(&s);
			continue;
		}
		strset_add(&names, s.name);
		SR_GROW(su->specs, su->n + 1, su->alloc);
		su->specs[su->n++] = s;
	}
	strset_clear(&names);
	strvec_clear(&files);
	return 0;
}

int cli_usage(const char *msg, const char *arg)
{
	sr_log("%s%s%s%s", msg, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	return EXIT_USAGE;
}
