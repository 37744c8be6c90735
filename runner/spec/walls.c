#include "runner/spec/walls.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fsutil.h"
#include "lib/smallfile.h"

extern const char sr_seccomp_strict_json[];

const char *walls_strict_json(void)
{
	return sr_seccomp_strict_json;
}

bool walls_gvisor(const char *runtime)
{
	return runtime && !strncmp(runtime, "runsc", 5);
}

long walls_pids(long pids, const char *runtime)
{
	return walls_gvisor(runtime) ? pids + WALLS_GVISOR_PIDS : pids;
}

/* The strict profile as this run's runtime takes it. runsc (20221219, with
 * --oci-seccomp) answers EPERM to a rule that asks for ENOSYS, so glibc's
 * clone3 never falls back to clone and no thread starts (libFuzzer's
 * fork and merge modes fail): under gVisor clone3 is allowed, the
 * namespaces it could make being gVisor's own, never the host's. */
static char *strict_text(const char *runtime)
{
	static const char rule[] = "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38";
	const char *j = walls_strict_json(), *p = strstr(j, "{\"names\": [\"clone3\"], ");

	if (!walls_gvisor(runtime) || !p || strncmp(p + 22, rule, sizeof(rule) - 1))
		return xstrdup(j);
	return xasprintf("%.*s\"action\": \"SCMP_ACT_ALLOW\"%s", (int)(p + 22 - j), j,
			 p + 22 + sizeof(rule) - 1);
}

/* A catalogue's relative profile path is taken against the catalogue's
 * directory. */
static char *cat_profile_path(const char *p, const char *cat_path)
{
	const char *slash = cat_path ? strrchr(cat_path, '/') : NULL;

	if (p[0] == '/' || !slash)
		return xstrdup(p);
	return xasprintf("%.*s/%s", (int)(slash - cat_path), cat_path, p);
}

void walls_resolve(struct walls *w, const struct spec *s, const struct cat_entry *ent,
		   const char *cat_path, const char *run_dir)
{
	const char *sc = s->seccomp;

	memset(w, 0, sizeof(*w));
	w->runtime = s->runtime ? s->runtime : ent ? ent->runtime : NULL;
	if (w->runtime && !strcmp(w->runtime, WALLS_DEFAULT_RUNTIME))
		w->runtime = NULL;
	if (!sc && ent && ent->seccomp)
		sc = ent->seccomp;
	if (!sc)
		sc = WALLS_DEFAULT_SECCOMP;
	w->seccomp = sc;
	if (!strcmp(sc, "default")) {
		/* Docker's default profile has the same clone3 rule as strict
		 * (see strict_text): under gVisor, whose own syscall table is
		 * the wall, no profile inside. */
		if (walls_gvisor(w->runtime))
			w->profile = xstrdup("unconfined");
		return;
	}
	if (!strcmp(sc, "strict")) {
		w->strict = true;
		w->profile = xasprintf("%s/" WALLS_STRICT_NAME, run_dir ? run_dir : ".");
		return;
	}
	/* A spec's path was resolved when the spec was loaded. */
	w->profile = s->seccomp ? xstrdup(sc) : cat_profile_path(sc, cat_path);
}

void walls_release(struct walls *w)
{
	free(w->profile);
	memset(w, 0, sizeof(*w));
}

int walls_write_profile(const struct walls *w, struct sr_err *err)
{
	char *j;
	int rc;

	if (!w->strict)
		return 0;
	j = strict_text(w->runtime);
	rc = fs_write_new(w->profile, j, strlen(j), 0644, err);
	free(j);
	return rc;
}

#define PROFILE_MAX (1u << 20)

int walls_profile_text(char **out, const struct walls *w, struct sr_err *err)
{
	size_t len;

	*out = NULL;
	if (!w->profile)
		return 0;
	if (w->strict) {
		*out = strict_text(w->runtime);
		return 0;
	}
	if (!strcmp(w->profile, "unconfined")) {
		*out = xstrdup("unconfined");
		return 0;
	}
	if (sr_read_small_file(out, &len, w->profile, PROFILE_MAX, err) < 0)
		return sr_err_wrap(err, "seccomp profile");
	return 0;
}

char *walls_runtime_error(const char *runtime, const char *msg)
{
	/* dockerd: "Unknown runtime specified NAME"; podman: "... runtime
	 * \"NAME\": ... not found" / "no such file". */
	if (!runtime || !msg ||
	    !(strcasestr(msg, "unknown runtime") ||
	      (strcasestr(msg, "runtime") && strstr(msg, runtime) &&
	       (strcasestr(msg, "not found") || strcasestr(msg, "no such file")))))
		return NULL;
	return xasprintf("runtime '%s' is not registered with the engine (%s): add it to "
			 "\"runtimes\" in /etc/docker/daemon.json (runsc: ci/setup-runsc.sh, "
			 "README \"Stronger walls\") and reload dockerd (kill -HUP), or for "
			 "podman install it and pass its path",
			 runtime, msg);
}

int walls_override(struct spec *specs, size_t n, const char *runtime, const char *seccomp,
		   struct sr_err *err)
{
	char real[PATH_MAX];

	if (runtime && !cat_runtime_valid(runtime))
		return sr_err_set(err, SR_EINVAL,
				  "--runtime '%s' must match [A-Za-z0-9][A-Za-z0-9._-]*", runtime);
	if (seccomp && strcmp(seccomp, "default") && strcmp(seccomp, "strict")) {
		if (!realpath(seccomp, real))
			return sr_err_set(err, SR_EINVAL, "--seccomp '%s': %s", seccomp,
					  strerror(errno));
		seccomp = real;
	}
	for (size_t i = 0; i < n; i++) {
		if (runtime) {
			free(specs[i].runtime);
			specs[i].runtime = xstrdup(runtime);
		}
		if (seccomp) {
			free(specs[i].seccomp);
			specs[i].seccomp = xstrdup(seccomp);
		}
	}
	return 0;
}
