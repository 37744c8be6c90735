#include "runner/engine/engine.h"

#include "lib/rfc3339.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Variables an engine client needs to find and talk to its daemon. */
static const char *const client_vars[] = {
    "PATH",
    "HOME",
    "DOCKER_HOST",
    "DOCKER_CONFIG",
    "DOCKER_CERT_PATH",
    "DOCKER_TLS_VERIFY",
    "DOCKER_CONTEXT",
    "DOCKER_API_VERSION",
    "XDG_RUNTIME_DIR",
    "CONTAINER_HOST",
    "CONTAINERS_CONF",
    "CONTAINER_CONNECTION",
    "TMPDIR",
};

static bool on_path(const char *bin)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *dir;
	bool found = false;

	if (strchr(bin, '/'))
		return access(bin, X_OK) == 0;
	if (!path)
		path = "/usr/bin:/bin";
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", *dir ? dir : ".", bin);
		found = access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

int engine_init(struct engine *e, const char *choice, struct sr_err *err)
{
	struct strvec env = STRVEC_INIT;
	const char *base;

	memset(e, 0, sizeof(*e));
	if (!choice || !*choice)
		choice = getenv("SANDRUN_ENGINE");
	if (!choice || !*choice)
		choice = on_path("docker") || !on_path("podman") ? "docker" : "podman";
	if (!strcmp(choice, "docker") || !strcmp(choice, "podman")) {
		if (!on_path(choice))
			return sr_err_set(err, SR_EENGINE,
					  "engine '%s' not found on PATH; install it (ci/setup.sh "
					  "installs docker.io) or pass --engine",
					  choice);
	} else if (access(choice, X_OK) != 0) {
		return sr_err_set(err, SR_EENGINE, "engine '%s' is not executable: %s", choice,
				  strerror(errno));
	}
	e->bin = xstrdup(choice);
	e->name = xstrdup(choice);
	base = strrchr(choice, '/');
	base = base ? base + 1 : choice;
	e->podman = !strncmp(base, "podman", 6);
	engine_child_env(&env, e);
	e->envp = env.v ? env.v : xcalloc(1, sizeof(char *));
	return 0;
}

void engine_release(struct engine *e)
{
	if (e->envp) {
		for (char **p = e->envp; *p; p++)
			free(*p);
		free(e->envp);
	}
	free(e->bin);
	free(e->name);
	free(e->version);
	memset(e, 0, sizeof(*e));
}

void engine_child_env(struct strvec *out, const struct engine *e)
{
	(void)e;
	for (size_t i = 0; i < SR_ARRAY_SIZE(client_vars); i++) {
		const char *v = getenv(client_vars[i]);
		if (v)
			strvec_pushf(out, "%s=%s", client_vars[i], v);
	}
	strvec_argv(out);
}

static int call(const struct engine *e, const char *const *args, uint64_t timeout_ms,
		struct strbuf *out, bool interruptible, struct sr_err *err)
{
	struct strvec argv = STRVEC_INIT;
	struct proc_opts o = {0};
	struct proc_result res;
	int rc;

	strvec_push(&argv, e->bin);
	strvec_pushv(&argv, args);
	o.argv = strvec_argv(&argv);
	o.envp = e->envp;
	o.timeout_ms = timeout_ms;
	o.abort_grace_ms = 2000;
	o.interruptible = interruptible;
	/* Never the user's directory: a podman client's conmon drops files
	 * (an `oom` mark) into its working directory. No client call here
	 * takes a relative path. */
	o.cwd = "/";
	rc = proc_run(&o, &res, err);
	if (rc < 0) {
		err->code = SR_EENGINE;
		goto done;
	}
	sr_rtrim(&res.err);
	if (res.timed_out) {
		rc = sr_err_set(err, SR_ETIMEOUT, "'%s %s' timed out after %llu ms", e->name,
				args[0], (unsigned long long)timeout_ms);
	} else if (res.cancelled) {
		rc = sr_err_set(err, SR_EINTR, "'%s %s' interrupted", e->name, args[0]);
	} else if (res.exit_code != 0) {
		rc = sr_err_set(err, SR_EFAIL, "%s",
				res.err.len ? res.err.buf : "engine failed without a message");
		if (!res.err.len && res.signal)
			sr_err_set(err, SR_EFAIL, "'%s %s' killed by signal %d", e->name, args[0],
				   res.signal);
	}
	if (out)
		strbuf_add(out, strbuf_str(&res.out), res.out.len);
done:
	proc_result_release(&res);
	strvec_clear(&argv);
	return rc;
}

int engine_call(struct strbuf *out, const struct engine *e, const char *const *args,
		uint64_t timeout_ms, struct sr_err *err)
{
	return call(e, args, timeout_ms, out, false, err);
}

int engine_probe(struct engine *e, struct sr_err *err)
{
	struct strbuf out = STRBUF_INIT;
	const char *args[] = {"version", "--format", "{{.Server.Version}}", NULL};
	int rc = engine_call(&out, e, args, ENGINE_TMO_QUICK, err);

	sr_rtrim(&out);
	if (rc < 0 || !out.len) {
		if (rc >= 0)
			sr_err_set(err, SR_EENGINE, "no server version reported");
		sr_err_wrap(err,
			    "cannot reach the %s engine (start it with 'ci/setup.sh', or "
			    "'dockerd &' as root; or choose another with --engine)",
			    e->name);
		err->code = SR_EENGINE;
		strbuf_release(&out);
		return SR_EENGINE;
	}
	free(e->version);
	e->version = strbuf_detach(&out, NULL);
	return 0;
}

/* Messages meaning "the image is not there", as opposed to engine failures. */
static bool is_not_found(const char *msg)
{
	return strcasestr(msg, "no such image") || strcasestr(msg, "no such object") ||
	       strcasestr(msg, "image not known") || strcasestr(msg, "not found");
}

int engine_image_present(bool *out, const struct engine *e, const char *ref, struct sr_err *err)
{
	const char *args[] = {"image", "inspect", "--format", "{{.Id}}", "--", ref, NULL};
	struct sr_err e2 = SR_ERR_INIT;
	int rc = engine_call(NULL, e, args, ENGINE_TMO_QUICK, &e2);

	*out = rc == 0;
	if (rc < 0 && !is_not_found(e2.msg)) {
		*err = e2;
		return err->code ? err->code : SR_EFAIL;
	}
	return 0;
}

int engine_pull(const struct engine *e, const char *ref, struct sr_err *err)
{
	const char *args[] = {"pull", "-q", "--", ref, NULL};
	/* A pull can take minutes: an interrupt must not wait for it. */
	return call(e, args, e->pull_timeout_ms ? e->pull_timeout_ms : ENGINE_TMO_PULL, NULL, true,
		    err);
}

int engine_repo_digest(char **out, const struct engine *e, const char *ref, struct sr_err *err)
{
	const char *args[] = {
	    "image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}",
	    "--",    ref,	NULL};
	struct strbuf text = STRBUF_INIT;
	char *repo, *p, *line, *save = NULL;
	size_t rlen;
	int rc = engine_call(&text, e, args, ENGINE_TMO_QUICK, err);

	*out = NULL;
	if (rc < 0) {
		strbuf_release(&text);
		return rc;
	}
	/* The repository part of ref: drop "@digest", then a ":tag" after the last '/'. */
	repo = xstrdup(ref);
	if ((p = strchr(repo, '@')))
		*p = '\0';
	p = strrchr(repo, '/');
	if ((p = strchr(p ? p : repo, ':')))
		*p = '\0';
	rlen = strlen(repo);
	for (line = strtok_r(text.buf ? text.buf : "", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *at = strchr(line, '@');
		const char *name = line;
		size_t nlen;
		if (!at)
			continue;
		nlen = (size_t)(at - line);
		/* Docker Hub names are recorded without "docker.io/library/". */
		if ((nlen == rlen && !strncmp(name, repo, rlen)) ||
		    (nlen + 18 == rlen && !strncmp(repo, "docker.io/library/", 18) &&
		     !strncmp(name, repo + 18, nlen)) ||
		    (nlen + 10 == rlen && !strncmp(repo, "docker.io/", 10) &&
		     !strncmp(name, repo + 10, nlen))) {
			*out = xstrdup(at + 1);
			break;
		}
	}
	if (!*out)
		rc = sr_err_set(err, SR_EFAIL, "no repo digest recorded for '%s'", ref);
	free(repo);
	strbuf_release(&text);
	return rc;
}

void engine_rm(const struct engine *e, const char *name)
{
	const char *args[] = {"rm", "-f", "-v", name, NULL};
	struct sr_err err = SR_ERR_INIT;

	if (engine_call(NULL, e, args, ENGINE_TMO_QUICK, &err) < 0 && !is_not_found(err.msg) &&
	    !strcasestr(err.msg, "no such container"))
		sr_debug("cannot remove container '%s': %s", name, err.msg);
}

void engine_network_rm(const struct engine *e, const char *name)
{
	const char *args[] = {"network", "rm", name, NULL};
	struct sr_err err = SR_ERR_INIT;

	if (engine_call(NULL, e, args, ENGINE_TMO_QUICK, &err) < 0 && !is_not_found(err.msg))
		sr_debug("cannot remove network '%s': %s", name, err.msg);
}

/* The engine's time stamp in ms; 0 when unknown (or never). */
static uint64_t time_or_0(const char *s)
{
	int64_t t = sr_time_parse_ms(s);

	return t > 0 ? (uint64_t)t : 0;
}

int engine_inspect_state(struct engine_state *out, const struct engine *e, const char *name,
			 struct sr_err *err)
{
	/* State.Error is last: it is free text and may hold the separator. */
	const char *args[] = {"container",
			      "inspect",
			      "--format",
			      "{{.State.Status}}|{{.State.ExitCode}}|{{.State.OOMKilled}}|{{.State."
			      "StartedAt}}|{{.State.FinishedAt}}|{{.State.Error}}",
			      name,
			      NULL};
	struct strbuf text = STRBUF_INIT;
	char *f[6] = {0}, *save = NULL, *p;
	int rc;

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	rc = engine_call(&text, e, args, ENGINE_TMO_QUICK, err);
	if (rc < 0) {
		strbuf_release(&text);
		return rc;
	}
	sr_rtrim(&text);
	p = text.buf ? text.buf : (char *)"";
	for (int i = 0; i < 5; i++)
		f[i] = strtok_r(i ? NULL : p, "|", &save);
	f[5] = save;
	snprintf(out->status, sizeof(out->status), "%s", f[0] ? f[0] : "");
	out->exit_code = f[1] ? atoi(f[1]) : -1;
	out->oom = f[2] && !strcmp(f[2], "true");
	out->started_ms = time_or_0(f[3]);
	out->finished_ms = time_or_0(f[4]);
	snprintf(out->error, sizeof(out->error), "%s", f[5] ? f[5] : "");
	strbuf_release(&text);
	return 0;
}

int engine_network_gateway(char **out, const struct engine *e, const char *name, struct sr_err *err)
{
	const char *args[] = {"network",  "inspect",
			      "--format", "{{range .IPAM.Config}}{{.Gateway}} {{end}}",
			      name,	  NULL};
	struct strbuf text = STRBUF_INIT;
	int rc;

	*out = NULL;
	rc = engine_call(&text, e, args, ENGINE_TMO_QUICK, err);
	if (rc < 0) {
		strbuf_release(&text);
		return sr_err_wrap(err, "cannot inspect network '%s'", name);
	}
	sr_rtrim(&text);
	*out = xstrndup(strbuf_str(&text), strcspn(strbuf_str(&text), " "));
	strbuf_release(&text);
	if (!**out) {
		free(*out);
		*out = NULL;
		return sr_err_set(err, SR_EFAIL, "network '%s' has no gateway address", name);
	}
	return 0;
}
