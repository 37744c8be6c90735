#include "runner/plan/corpus.h"
#include "runner/exec/warm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "runner/plan/runargs.h"
#include "runner/spec/walls.h"
#include "runner/exec/reaper.h"

#define HELPER_IN  "/sandrun/sr-idle"
#define STATUS_TAG "sr-idle-status: " /* as in helper/sr-idle.c */

static char helper[PATH_MAX];
static pthread_once_t helper_once = PTHREAD_ONCE_INIT;

/* sr-idle: $SANDRUN_HELPER_DIR, else where the build or an install puts it
 * relative to the sandrun binary. A path a --mount value would need to
 * quote is not taken (none of ours does). */
static void find_helper(void)
{
	char exe[PATH_MAX], *dir;
	const char *env = getenv("SANDRUN_HELPER_DIR");
	const char *rel[] = {"build/helper", "helper", ".", "../libexec/sandrun"};
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (env && *env) {
		snprintf(helper, sizeof(helper), "%s/sr-idle", env);
		if (access(helper, X_OK) == 0 && !strpbrk(helper, ",\""))
			return;
	}
	helper[0] = '\0';
	if (n <= 0)
		return;
	exe[n] = '\0';
	dir = dirname(exe);
	for (size_t i = 0; i < SR_ARRAY_SIZE(rel); i++) {
		snprintf(helper, sizeof(helper), "%s/%s/sr-idle", dir, rel[i]);
		if (access(helper, X_OK) == 0 && !strpbrk(helper, ",\""))
			return;
	}
	helper[0] = '\0';
}

bool warm_wanted(const struct spec *s)
{
	if (!s->warm || (s->network != NET_NONE && s->network != NET_OPEN))
		return false;
	pthread_once(&helper_once, find_helper);
	if (!helper[0])
		sr_debug("%s: isolation: harness without the sr-idle helper: a container per run",
			 s->name);
	return helper[0] != '\0';
}

void warm_create_argv(struct strvec *out, const struct strvec *run_argv, const char *helper_path)
{
	for (size_t i = 0; i < run_argv->nr; i++) {
		const char *a = run_argv->v[i];
		if (!strcmp(a, "--init"))
			continue;
		if (!strcmp(a, "--")) {
			strvec_push(out, "--mount");
			strvec_pushf(out, "type=bind,source=%s,target=" HELPER_IN ",readonly",
				     helper_path);
			strvec_push(out, "--entrypoint=" HELPER_IN);
			strvec_push(out, "--");
			if (i + 1 < run_argv->nr)
				strvec_push(out, run_argv->v[i + 1]);
			strvec_push(out, "idle");
			return;
		}
		strvec_push(out, a);
		if (i == 1)
			strvec_push(out, "--detach");
	}
}

static int start(struct warm *w, struct runner *r, const struct spec *s, const char *image,
		 const char *name, const char *payload, struct sr_err *err)
{
	struct run_plan plan = {0};
	struct strvec run = STRVEC_INIT, argv = STRVEC_INIT;
	struct walls wl;
	int rc;

	workdir_paths(&w->wd, r->tmp_root, name);
	if ((rc = workdir_prepare(&w->wd, s, payload, r->is_root, err)) < 0) {
		workdir_release(&w->wd, false);
		memset(&w->wd, 0, sizeof(w->wd));
		return rc;
	}
	plan.engine_bin = r->engine->bin;
	plan.podman = r->engine->podman;
	plan.spec = s;
	plan.image = image;
	plan.name = name;
	plan.run_id = r->run_id;
	plan.owner = r->owner;
	plan.work_dir = w->wd.work;
	plan.payload_file = w->wd.payload;
	walls_resolve(&wl, s, r->cat ? catalogue_find(r->cat, s->toolchain) : NULL,
		      r->cat ? r->cat->path : NULL, w->wd.dir);
	plan.runtime = wl.runtime;
	plan.seccomp_file = wl.profile;
	if (walls_write_profile(&wl, err) < 0) {
		walls_release(&wl);
		workdir_release(&w->wd, false);
		memset(&w->wd, 0, sizeof(w->wd));
		return -1;
	}
	runargs_build(&run, &plan);
	walls_release(&wl);
	warm_create_argv(&argv, &run, helper);
	w->name = xstrdup(name);
	w->engine = r->engine;
	w->oom_kills = 0;
	rc = engine_call(NULL, r->engine, (const char *const *)argv.v + 1, ENGINE_TMO_CREATE, err);
	strvec_clear(&run);
	strvec_clear(&argv);
	if (rc < 0) {
		/* Nothing of it may serve the next run: it starts afresh. */
		warm_end(w, r);
		return sr_err_wrap(err, "cannot start the warm container");
	}
	return 0;
}

/* Empty dir (the host side of /work). Fails when anything stays. */
static int empty_work(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char *p;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (fs_remove_tree(p) < 0)
			rc = -1;
		free(p);
	}
	closedir(d);
	return rc;
}

/* The payload file is bind-mounted: rewrite it in place (same inode). */
static int rewrite_payload(const char *path, const char *payload, struct sr_err *err)
{
	size_t n = strlen(payload);
	int fd;
	ssize_t w;

	chmod(path, 0644);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return sr_err_set(err, SR_EFAIL, "cannot rewrite '%s': %s", path, strerror(errno));
	w = n ? write(fd, payload, n) : 0;
	close(fd);
	chmod(path, 0444);
	if (w < 0 || (size_t)w != n)
		return sr_err_set(err, SR_EFAIL, "cannot write '%s'", path);
	return 0;
}

/* A fresh /work and this run's payload in the running container. */
static int refill(struct warm *w, struct runner *r, const struct spec *s, const char *payload,
		  struct sr_err *err)
{
	uid_t uid = r->is_root ? WORKDIR_RUN_UID : (uid_t)-1;

	if (empty_work(w->wd.work) < 0)
		return sr_err_set(err, SR_EFAIL, "the previous run left files in /work");
	if (s->workdir && fs_copy_tree(s->workdir, w->wd.work, uid, uid, err) < 0)
		return err->code;
	if (s->corpus && corpus_seed(s, w->wd.work, uid, NULL, err) < 0)
		return err->code;
	return rewrite_payload(w->wd.payload, payload, err);
}

int warm_prepare(bool *reused, struct warm *w, struct runner *r, const struct spec *s,
		 const char *image, const char *name, const char *payload, struct sr_err *err)
{
	struct sr_err e2 = SR_ERR_INIT;

	*reused = false;
	if (w->name && w->retired)
		warm_end(w, r);
	if (w->name) {
		if (refill(w, r, s, payload, &e2) == 0) {
			*reused = true;
			return 0;
		}
		sr_debug("%s: %s: a fresh container", w->name, e2.msg);
		warm_end(w, r);
	}
	return start(w, r, s, image, name, payload, err);
}

static void abort_warm(void *ctx)
{
	struct warm *w = ctx;
	const char *args[] = {"kill", w->name, NULL};
	struct sr_err err = SR_ERR_INIT;

	engine_call(NULL, w->engine, args, ENGINE_TMO_QUICK, &err);
}

int warm_exec(struct proc_result *res, struct strvec *repro, struct warm *w, struct runner *r,
	      const struct spec *s, const struct payload *p, const struct strvec *env,
	      uint64_t timeout_ms, struct sr_err *err)
{
	struct strvec argv = STRVEC_INIT, cenv = STRVEC_INIT;
	struct proc_opts po = {0};
	int rc;

	if ((rc = workdir_write_env(&w->wd, env, err)) < 0)
		return rc;
	strvec_push(&argv, r->engine->bin);
	strvec_push(&argv, "exec");
	strvec_push(&argv, "--env-file");
	strvec_push(&argv, w->wd.env_file);
	/* The payload may hold newlines: it comes from the client's own
	 * environment, as for a run's own container (runargs.h). */
	strvec_push(&argv, "-e");
	strvec_push(&argv, RUNARGS_PAYLOAD_VAR);
	strvec_push(&argv, "--workdir=/work");
	strvec_push(&argv, w->name);
	strvec_push(&argv, HELPER_IN);
	strvec_push(&argv, "run");
	strvec_push(&argv, "--");
	strvec_pushv(&argv, (const char *const *)s->command.v);
	strvec_pushv(repro, (const char *const *)argv.v);
	po.argv = strvec_argv(&argv);
	strvec_pushv(&cenv, (const char *const *)r->engine->envp);
	runargs_payload_env(&cenv, p);
	po.envp = strvec_argv(&cenv);
	po.timeout_ms = timeout_ms;
	po.out_cap = (size_t)s->limits.output;
	po.on_abort = abort_warm;
	po.ctx = w;
	po.abort_grace_ms = 15000;
	po.interruptible = true;
	rc = proc_run(&po, res, err);
	workdir_drop_env(&w->wd);
	strvec_clear(&argv);
	strvec_clear(&cenv);
	return rc;
}

/* The container serves no further run: stopped now, removed (with its
 * /work) only when the next run or the harness's end comes, so that this
 * run's files can still be collected. */
static void retire(struct warm *w, bool killed)
{
	const char *args[] = {"kill", w->name, NULL};
	struct sr_err err = SR_ERR_INIT;

	if (!killed)
		engine_call(NULL, w->engine, args, ENGINE_TMO_QUICK, &err);
	w->retired = true;
}

/* The status line `sr-idle run` ends stderr with, taken off err: -1 when
 * absent (sr-idle did not finish), else 0 with *clean and *oom_kills. */
static int take_status(struct strbuf *err, bool *clean, long *oom_kills)
{
	const char *tag = "\n" STATUS_TAG, *p = NULL, *q = strbuf_str(err);
	char word[16];
	int code;

	while ((q = strstr(q, tag)))
		p = q++;
	if (!p ||
	    sscanf(p + strlen(tag), "%d reset %15s oom_kill %ld", &code, word, oom_kills) != 3)
		return -1;
	*clean = !strcmp(word, "ok");
	strbuf_setlen(err, (size_t)(p - err->buf));
	return 0;
}

/* The separate reset, when the run's own did not report. */
static int reset_exec(long *oom_kills, struct warm *w, struct runner *r, struct sr_err *err)
{
	const char *args[] = {"exec", w->name, HELPER_IN, "reset", NULL};
	struct strbuf out = STRBUF_INIT;
	const char *p;
	int rc;

	*oom_kills = -1;
	rc = engine_call(&out, r->engine, args, ENGINE_TMO_QUICK, err);
	if ((p = strstr(strbuf_str(&out), "oom_kill ")))
		*oom_kills = strtol(p + 9, NULL, 10);
	strbuf_release(&out);
	return rc;
}

int warm_after(bool *oom, struct warm *w, struct runner *r, struct proc_result *res, bool timed_out,
	       struct sr_err *err)
{
	struct engine_state st;
	struct sr_err e2 = SR_ERR_INIT;
	bool clean = false;
	long n = -1;
	int rc;

	*oom = false;
	if (take_status(&res->err, &clean, &n) == 0)
		rc = clean ? 0 : sr_err_set(&e2, SR_EFAIL, "the reset left something behind");
	else
		rc = reset_exec(&n, w, r, &e2);
	if (timed_out) {
		retire(w, true);
		return 0;
	}
	if (n > w->oom_kills)
		*oom = true;
	if (rc == 0 && !*oom) {
		w->oom_kills = n;
		return 0;
	}
	/* No count: the container itself may have died of the limit. */
	if (n < 0 && engine_inspect_state(&st, r->engine, w->name, err) == 0 && st.oom)
		*oom = true;
	sr_debug("%s: ending the warm container: %s", w->name,
		 *oom ? "the run hit the memory limit" : e2.msg);
	retire(w, false);
	if (*oom || n >= 0)
		return 0;
	return sr_err_set(err, SR_EFAIL, "the warm container is gone: %s", e2.msg);
}

void warm_end(struct warm *w, struct runner *r)
{
	if (!w->name)
		return;
	if (!r->keep || sr_interrupted)
		reap_later(r, w->name, false);
	workdir_release(&w->wd, r->keep);
	memset(&w->wd, 0, sizeof(w->wd));
	free(w->name);
	w->name = NULL;
	w->retired = false;
}
