/* Harness specs (DESIGN §4): the name tables, loading a spec file and its
 * lifetime. Parsing is split by concern: spec_yaml.c (the libyaml adapter),
 * spec_validate.c (DESIGN §4 key by key), spec_discover.c (finding specs). */
#include "runner/spec/spec_int.h"
#include "runner/spec/spec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/smallfile.h"

const char *outcome_name(enum outcome o)
{
	static const char *const names[] = {"error", "confirmed", "crash",
					    "oom",   "timeout",	  "not_confirmed"};
	if (o < 0 || (size_t)o >= SR_ARRAY_SIZE(names))
		return "none";
	return names[o];
}

enum outcome outcome_from_name(const char *s)
{
	for (int o = OUTCOME_ERROR; o <= OUTCOME_NOT_CONFIRMED; o++)
		if (!strcmp(s, outcome_name((enum outcome)o)))
			return (enum outcome)o;
	return OUTCOME_NONE;
}

const char *net_policy_name(enum net_policy p)
{
	static const char *const names[] = {"none", "oob", "stubs", "open"};
	return (size_t)p < SR_ARRAY_SIZE(names) ? names[p] : "none";
}

/* The one table of stub kinds: the word specs and evidence use, and the URL
 * scheme of SANDRUN_STUB_<NAME>_URL (fs stubs are mounts, not listeners). */
static const struct {
	const char *name;
	const char *scheme;
} stub_kinds[] = {
    [STUB_HTTP] = {"http", "http"},    [STUB_SQL] = {"sql", "postgres"},
    [STUB_REDIS] = {"redis", "redis"}, [STUB_TCP] = {"tcp", "tcp"},
    [STUB_FS] = {"fs", NULL},
};

const char *stub_kind_name(enum stub_kind k)
{
	return (size_t)k < SR_ARRAY_SIZE(stub_kinds) ? stub_kinds[k].name : "unknown";
}

const char *stub_kind_scheme(enum stub_kind k)
{
	return (size_t)k < SR_ARRAY_SIZE(stub_kinds) ? stub_kinds[k].scheme : NULL;
}

static void spec_defaults(struct spec *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->path = xstrdup(path);
	s->timeout_ms = 60000;
	s->limits = (struct limits){.memory = 512u << 20,
				    .cpus = 1,
				    .pids = 256,
				    .tmpfs = 64u << 20,
				    .disk = 256u << 20,
				    .output = 1u << 20,
				    .artifacts = 1000,
				    .artifact_bytes = 64u << 20};
	s->network = NET_NONE;
	s->expect = OUTCOME_NONE;
	s->repeat = 1;
	s->confirm = 1;
}

int spec_parse_real(struct spec *out, const char *path, const char *real_dir, const char *buf,
		    size_t len, struct sr_err *err)
{
	struct ynode *root = NULL;
	int rc;

	spec_defaults(out, path);
	sr_hash_hex(buf, len, out->hash);
	out->dir = xstrdup(real_dir);
	rc = spec_yaml_load(&root, path, buf, len, err);
	if (!rc)
		rc = spec_validate(out, root, err);
	ynode_free(root);
	if (rc < 0)
		spec_release(out);
	return rc;
}

int spec_parse(struct spec *out, const char *path, const char *dir, const char *buf, size_t len,
	       struct sr_err *err)
{
	char real[PATH_MAX];

	if (!realpath(dir, real)) {
		memset(out, 0, sizeof(*out));
		return sr_err_set(err, SR_EINVAL,
				  "%s:1:1: cannot resolve the spec's directory '%s': %s", path, dir,
				  strerror(errno));
	}
	return spec_parse_real(out, path, real, buf, len, err);
}

int spec_load(struct spec *out, const char *path, struct sr_err *err)
{
	char *buf = NULL, *copy, *slash;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	/* A device, FIFO or directory, or a file over 1 MiB, is refused before
	 * anything is read: `sandrun run /dev/zero` fails at once. */
	if (sr_read_small_file(&buf, &len, path, SPEC_MAX_BYTES, err) < 0) {
		if (err)
			err->code = SR_EINVAL;
		return SR_EINVAL;
	}
	copy = xstrdup(path);
	slash = strrchr(copy, '/');
	if (slash)
		slash[slash == copy] = '\0'; /* "/x.yaml" lives in "/" */
	rc = spec_parse(out, path, slash ? copy : ".", buf, len, err);
	free(copy);
	free(buf);
	return rc;
}

void spec_release(struct spec *s)
{
	if (!s)
		return;
	free(s->path);
	free(s->dir);
	free(s->name);
	free(s->toolchain);
	free(s->workdir);
	free(s->runtime);
	free(s->seccomp);
	free(s->corpus);
	strvec_clear(&s->command);
	strvec_clear(&s->env_keys);
	strvec_clear(&s->env_vals);
	for (size_t i = 0; s->stubs && i < s->nstubs; i++) {
		free(s->stubs[i].name);
		free(s->stubs[i].body);
		free(s->stubs[i].path);
	}
	free(s->stubs);
	for (size_t i = 0; s->payloads && i < s->npayloads; i++) {
		free(s->payloads[i].name);
		free(s->payloads[i].value);
	}
	free(s->payloads);
	free(s->oracle.stub_name);
	free(s->oracle.stub_contains);
	free(s->oracle.stub_regex);
	free(s->oracle.stdout_sub);
	free(s->oracle.stderr_sub);
	free(s->oracle.exit_codes);
	free(s->oracle.files);
	strvec_clear(&s->collect);
	strvec_clear(&s->reproduce);
	memset(s, 0, sizeof(*s));
}
