/* Shard selection from the CLI or the batch system, and the suite fingerprint. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/hash.h"
#include "runner/cli/shard.h"

#include "lib/smallfile.h"

#define ALL_VARS                                                                                   \
	"SANDRUN_SHARD=K/N, SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_MIN and "                    \
	"SLURM_ARRAY_TASK_MAX or SLURM_ARRAY_TASK_COUNT (a Slurm array job), or "                  \
	"JOB_COMPLETION_INDEX with SANDRUN_SHARD_COUNT (a Kubernetes Indexed Job)"

/* Strict unsigned decimal of the whole of s[0..len): digits only, no sign. */
static bool parse_uint(const char *s, size_t len, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static bool parse_uint_str(const char *s, unsigned long long max, unsigned long long *out)
{
	return parse_uint(s, strlen(s), max, out);
}

int shard_parse(struct shard *out, const char *s, struct sr_err *err)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	unsigned long long k, n;

	if (!slash || !parse_uint(s, (size_t)(slash - s), SHARD_MAX, &k) ||
	    !parse_uint_str(slash + 1, SHARD_MAX, &n))
		return sr_err_set(err, SR_EINVAL, "shard '%s' is not K/N (two decimal numbers)",
				  s ? s : "");
	if (!n || !k || k > n)
		return sr_err_set(err, SR_EINVAL, "shard '%s' needs 1 <= K <= N <= %u", s,
				  SHARD_MAX);
	out->index = (unsigned)k;
	out->count = (unsigned)n;
	out->source = "--shard";
	return 0;
}

/* The value of NAME in envp, NULL when absent (the last definition wins, as
 * getenv does not promise either and a duplicate is rare). */
static const char *env_get(const char *const *envp, const char *name)
{
	size_t len = strlen(name);
	const char *found = NULL;

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, len) && (*envp)[len] == '=')
			found = *envp + len + 1;
	return found;
}

/* A Slurm variable as a task number; SR_EINVAL naming it otherwise. */
static int slurm_num(const char *const *envp, const char *name, unsigned long long *out,
		     struct sr_err *err)
{
	const char *v = env_get(envp, name);

	if (!v)
		return sr_err_set(err, SR_EINVAL,
				  "SLURM_ARRAY_TASK_ID is set but %s is not: cannot number the "
				  "shards of this Slurm array",
				  name);
	if (!parse_uint_str(v, UINT_MAX, out))
		return sr_err_set(err, SR_EINVAL, "%s='%s' is not a task number", name, v);
	return 0;
}

static int from_slurm(struct shard *out, const char *const *envp, struct sr_err *err)
{
	unsigned long long id, min, max, step = 1, count = 0, n;
	const char *vmax = env_get(envp, "SLURM_ARRAY_TASK_MAX");
	const char *vstep = env_get(envp, "SLURM_ARRAY_TASK_STEP");
	const char *vcount = env_get(envp, "SLURM_ARRAY_TASK_COUNT");

	if (slurm_num(envp, "SLURM_ARRAY_TASK_ID", &id, err) < 0 ||
	    slurm_num(envp, "SLURM_ARRAY_TASK_MIN", &min, err) < 0)
		return SR_EINVAL;
	if (vstep && (slurm_num(envp, "SLURM_ARRAY_TASK_STEP", &step, err) < 0 || !step))
		return sr_err_set(err, SR_EINVAL, "SLURM_ARRAY_TASK_STEP='%s' is not a step",
				  vstep);
	if (vcount && (slurm_num(envp, "SLURM_ARRAY_TASK_COUNT", &count, err) < 0 || !count))
		return sr_err_set(err, SR_EINVAL, "SLURM_ARRAY_TASK_COUNT='%s' is not a count",
				  vcount);
	if (vmax) {
		if (slurm_num(envp, "SLURM_ARRAY_TASK_MAX", &max, err) < 0)
			return SR_EINVAL;
		if (max < min)
			return sr_err_set(
			    err, SR_EINVAL,
			    "SLURM_ARRAY_TASK_MAX=%llu is below SLURM_ARRAY_TASK_MIN=%llu", max,
			    min);
		n = (max - min) / step + 1;
		if (count && count != n)
			return sr_err_set(err, SR_EINVAL,
					  "Slurm array %llu-%llu:%llu has %llu tasks, not a dense "
					  "range of %llu: submit it as --array=1-N",
					  min, max, step, count, n);
	} else if (count) {
		n = count;
	} else {
		return slurm_num(envp, "SLURM_ARRAY_TASK_MAX", &max, err);
	}
	if (id < min || (id - min) % step || (id - min) / step >= n)
		return sr_err_set(err, SR_EINVAL,
				  "SLURM_ARRAY_TASK_ID=%llu is not a task of the array starting "
				  "at %llu with %llu tasks (step %llu)",
				  id, min, n, step);
	if (n > SHARD_MAX)
		return sr_err_set(err, SR_EINVAL, "Slurm array of %llu tasks: at most %u shards", n,
				  SHARD_MAX);
	out->index = (unsigned)((id - min) / step + 1);
	out->count = (unsigned)n;
	out->source = "slurm";
	return 0;
}

static int from_kubernetes(struct shard *out, const char *idx, const char *const *envp,
			   struct sr_err *err)
{
	const char *vcount = env_get(envp, "SANDRUN_SHARD_COUNT");
	unsigned long long i, n;

	if (!vcount)
		return sr_err_set(err, SR_EINVAL,
				  "JOB_COMPLETION_INDEX is set but SANDRUN_SHARD_COUNT is not: set "
				  "it to the Job's completions");
	if (!parse_uint_str(vcount, SHARD_MAX, &n) || !n)
		return sr_err_set(err, SR_EINVAL,
				  "SANDRUN_SHARD_COUNT='%s' needs a number from 1 to %u", vcount,
				  SHARD_MAX);
	if (!parse_uint_str(idx, UINT_MAX, &i))
		return sr_err_set(err, SR_EINVAL, "JOB_COMPLETION_INDEX='%s' is not an index", idx);
	if (i >= n)
		return sr_err_set(err, SR_EINVAL,
				  "JOB_COMPLETION_INDEX=%llu is outside 0..%llu "
				  "(SANDRUN_SHARD_COUNT=%llu)",
				  i, n - 1, n);
	out->index = (unsigned)i + 1;
	out->count = (unsigned)n;
	out->source = "kubernetes";
	return 0;
}

int shard_from_env(struct shard *out, const char *const *envp, struct sr_err *err)
{
	const char *v;

	if ((v = env_get(envp, "SANDRUN_SHARD"))) {
		if (shard_parse(out, v, err) < 0)
			return sr_err_wrap(err, "SANDRUN_SHARD");
		out->source = "SANDRUN_SHARD";
		return 0;
	}
	if (env_get(envp, "SLURM_ARRAY_TASK_ID"))
		return from_slurm(out, envp, err);
	if ((v = env_get(envp, "JOB_COMPLETION_INDEX")))
		return from_kubernetes(out, v, envp, err);
	if (env_get(envp, "SLURM_JOB_ID"))
		return sr_err_set(err, SR_EINVAL,
				  "--shard auto: this Slurm job is not an array job (submit with "
				  "--array=1-N); or set " ALL_VARS);
	return sr_err_set(err, SR_EINVAL,
			  "--shard auto: no shard in the environment; set " ALL_VARS);
}

bool shard_selects(const struct shard *s, const char *name)
{
	char hex[17];

	if (!s || !s->count)
		return true;
	sr_hash_hex(name, strlen(name), hex);
	return strtoull(hex, NULL, 16) % s->count == s->index - 1;
}

struct fp_entry {
	char *rel;
	const char *path;
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct fp_entry *)a)->rel, ((const struct fp_entry *)b)->rel);
}

/* The path of `path` relative to the resolved root `rroot`: its directory
 * resolved, its last component kept. */
static int relative_to(char **out, const char *rroot, const char *path, struct sr_err *err)
{
	const char *slash = strrchr(path, '/');
	cleanup_free char *dir =
	    slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	const char *base = slash ? slash + 1 : path;
	cleanup_free char *rdir = realpath(dir, NULL);
	size_t rl = strlen(rroot);

	if (!rdir)
		return sr_err_set(err, SR_EFAIL, "%s: %s", path, strerror(errno));
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return sr_err_set(err, SR_EINVAL, "%s: not a spec file", path);
	if (!strcmp(rdir, rroot)) {
		*out = xstrdup(base);
		return 0;
	}
	if (!strcmp(rroot, "/"))
		rl = 0;
	if (strncmp(rdir, rroot, rl) || rdir[rl] != '/')
		return sr_err_set(err, SR_EINVAL, "%s: outside the suite root '%s'", path, rroot);
	*out = xasprintf("%s/%s", rdir + rl + 1, base);
	return 0;
}

int suite_fingerprint(char **out_hex, const char *root, const char *const *spec_paths, size_t n,
		      const char *catalogue_hash, struct sr_err *err)
{
	cleanup_free char *rroot = realpath(root, NULL);
	struct fp_entry *e = xcalloc(n ? n : 1, sizeof(*e));
	struct sr_hasher *h = NULL;
	char hex[17];
	int rc = 0;

	if (!rroot) {
		rc = sr_err_set(err, SR_EFAIL, "suite root '%s': %s", root, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		e[i].path = spec_paths[i];
		rc = relative_to(&e[i].rel, rroot, spec_paths[i], err);
	}
	if (rc)
		goto out;
	qsort(e, n, sizeof(*e), cmp_entry);
	h = sr_hasher_new();
	sr_hasher_add_str(h, "sandrun-suite-v1");
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		char *text;
		size_t len;
		if (i && !strcmp(e[i].rel, e[i - 1].rel))
			continue;
		/* A spec that is no small regular file (/dev/zero, a FIFO) is
		 * refused elsewhere; here it counts by its path alone. */
		if (stat(e[i].path, &st) < 0) {
			rc = sr_err_set(err, SR_EINVAL, "cannot open '%s': %s", e[i].path,
					strerror(errno));
			break;
		}
		if (sr_read_small_file(&text, &len, e[i].path, 1024 * 1024, NULL) < 0) {
			text = xstrdup("");
			len = 0;
		}
		sr_hasher_add_str(h, e[i].rel);
		/* Length first: contents may hold NULs and must not run into
		 * the next path. */
		sr_hasher_add(h, &(uint64_t){len}, sizeof(uint64_t));
		sr_hasher_add(h, text, len);
		free(text);
	}
	sr_hasher_add_str(h, catalogue_hash ? catalogue_hash : "");
	sr_hasher_finish(h, hex);
	if (!rc)
		*out_hex = xstrdup(hex);
out:
	for (size_t i = 0; i < n; i++)
		free(e[i].rel);
	free(e);
	return rc;
}

struct suite_fp {
	char *root; /* the resolved suite root */
	struct sr_hasher *h;
	char *prev; /* the last relative path hashed */
	long files;
	bool broken;
};

struct suite_fp *suite_fp_new(const char *root_real)
{
	struct suite_fp *fp = xcalloc(1, sizeof(*fp));

	fp->root = xstrdup(root_real);
	fp->h = sr_hasher_new();
	sr_hasher_add_str(fp->h, "sandrun-suite-v1");
	return fp;
}

/* relative_to() for a directory already resolved. */
static char *rel_of(const char *rroot, const char *real_dir, const char *base)
{
	size_t rl = strlen(rroot);

	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return NULL;
	if (!strcmp(real_dir, rroot))
		return xstrdup(base);
	if (!strcmp(rroot, "/"))
		rl = 0;
	if (strncmp(real_dir, rroot, rl) || real_dir[rl] != '/')
		return NULL;
	return xasprintf("%s/%s", real_dir + rl + 1, base);
}

void suite_fp_add(struct suite_fp *fp, const char *real_dir, const char *name, const char *buf,
		  size_t len)
{
	char *rel;

	fp->files++;
	if (fp->broken)
		return;
	rel = real_dir ? rel_of(fp->root, real_dir, name) : NULL;
	/* Out of order (or a path twice): only suite_fingerprint can say. */
	if (!rel || (fp->prev && strcmp(fp->prev, rel) >= 0)) {
		free(rel);
		suite_fp_break(fp);
		return;
	}
	sr_hasher_add_str(fp->h, rel);
	sr_hasher_add(fp->h, &(uint64_t){len}, sizeof(uint64_t));
	sr_hasher_add(fp->h, buf ? buf : "", len);
	free(fp->prev);
	fp->prev = rel;
}

void suite_fp_break(struct suite_fp *fp)
{
	fp->broken = true;
}

long suite_fp_files(const struct suite_fp *fp)
{
	return fp->files;
}

int suite_fp_finish(struct suite_fp *fp, const char *catalogue_hash, char **out_hex)
{
	char hex[17];

	if (!fp || fp->broken || !fp->h)
		return -1;
	sr_hasher_add_str(fp->h, catalogue_hash ? catalogue_hash : "");
	sr_hasher_finish(fp->h, hex);
	fp->h = NULL;
	fp->broken = true; /* finished once */
	*out_hex = xstrdup(hex);
	return 0;
}

void suite_fp_free(struct suite_fp *fp)
{
	if (!fp)
		return;
	if (fp->h) {
		char hex[17];
		sr_hasher_finish(fp->h, hex);
	}
	free(fp->root);
	free(fp->prev);
	free(fp);
}
