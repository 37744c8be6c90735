/* --shard, default shard report names, the fingerprint of a loaded suite. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runner/cli/shard_option.h"

extern char **environ;

int run_shard_option(struct shard *out, const char *value, struct sr_err *err)
{
	if (!value || !*value)
		return sr_err_set(err, SR_EINVAL, "--shard needs K/N or auto");
	if (!strcmp(value, "auto"))
		return shard_from_env(out, (const char *const *)environ, err);
	if (shard_parse(out, value, err) < 0)
		return sr_err_wrap(err, "--shard");
	return 0;
}

bool run_report_is_dir(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	return n && path[n - 1] == '/';
}

char *run_report_default_path(const char *dir, const char *ext, const struct shard *s)
{
	size_t n = strlen(dir);

	/* "out/" and "out//" both give "out/sandrun...". */
	while (n > 1 && dir[n - 1] == '/' && dir[n - 2] == '/')
		n--;
	if (s && s->count)
		return xasprintf("%.*s%ssandrun-%uof%u.%s", (int)n, dir,
				 n && dir[n - 1] == '/' ? "" : "/", s->index, s->count, ext);
	return xasprintf("%.*s%ssandrun.%s", (int)n, dir, n && dir[n - 1] == '/' ? "" : "/", ext);
}

int run_suite_fingerprint(char **out_hex, const struct cli_suite *su, const struct strvec *paths,
			  const char *catalogue_hash, struct sr_err *err)
{
	cleanup_free char *root = cli_suite_root(paths);
	struct strvec specs = STRVEC_INIT;
	int rc;

	/* The files' bytes as they were read, when they came in order. */
	if (suite_fp_finish(su->fp, catalogue_hash, out_hex) == 0)
		return 0;
	if (!root)
		return sr_err_set(err, SR_EFAIL, "cannot resolve the suite root: %s",
				  strerror(errno));
	for (size_t i = 0; i < su->n; i++)
		strvec_push(&specs, su->specs[i].path);
	for (size_t i = 0; i < su->bad_paths.nr; i++)
		strvec_push(&specs, su->bad_paths.v[i]);
	rc = suite_fingerprint(out_hex, root, (const char *const *)specs.v, specs.nr,
			       catalogue_hash, err);
	strvec_clear(&specs);
	return rc;
}
