/* One run's lifecycle: a short sequence of named steps from a catalogue
 * entry to a verdict record; whatever a step created is undone in finish. */
#include "runner/plan/corpus.h"
#include "runner/exec/run.h"
#include "runner/exec/run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runner/exec/cache.h"
#include "runner/netpolicy/dnsrelay.h"
#include "lib/fsutil.h"
#include "runner/net/firewall.h"
#include "runner/net/net.h"
#include "runner/netpolicy/untokened.h"
#include "runner/netpolicy/netplan.h"
#include "runner/engine/podman.h"
#include "runner/verdict/findings.h"
#include "runner/exec/run_api.h"
#include "runner/plan/runargs.h"
#include "runner/exec/reaper.h"
#include "runner/verdict/outcome.h"
#include "runner/exec/warm.h"
#include "runner/plan/workdir.h"
#include "runner/spec/walls.h"
#include "lib/hash.h"

/* The deadline counts from the container's start: on the API route from
 * the moment the engine's start call returned (engine_api_run.c); on the CLI
 * route the client's own deadline is checked against the container's
 * StartedAt when it passes (cli_deadline), and moved to StartedAt + timeout.
 * A container the client has not started yet gets at most this long more
 * to start; the timeout verdict itself is decided on the engine's
 * start/finish times. */
#define CLI_START_WAIT_MS 10000
#define TAIL_IN_RECORD	  4096

char *run_container_name(const struct runner *r, const struct run_job *job)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "sandrun-%.8s-%u-", r->run_id, job->seq);
	runargs_sanitize(&sb, job->spec->name, 40);
	return strbuf_detach(&sb, NULL);
}

/* The record's isolation.runtime and .seccomp; w resolved here when NULL. */
static void rec_walls(struct record *rec, const struct runner *r, const struct spec *s,
		      const struct walls *w)
{
	struct walls tmp;

	if (!w) {
		walls_resolve(&tmp, s,
			      r->cat && s->toolchain ? catalogue_find(r->cat, s->toolchain) : NULL,
			      r->cat ? r->cat->path : NULL, NULL);
		w = &tmp;
	}
	free(rec->isolation.runtime);
	free(rec->isolation.seccomp);
	rec->isolation.runtime = xstrdup(w->runtime ? w->runtime : WALLS_DEFAULT_RUNTIME);
	rec->isolation.seccomp = xstrdup(w->seccomp);
	if (w == &tmp)
		walls_release(&tmp);
}

static void rec_begin(struct runner *r, struct run_job *job)
{
	struct record *rec = &job->rec;
	const struct spec *s = job->spec;
	const struct payload *p = &s->payloads[job->payload];

	record_init(rec);
	rec->harness = xstrdup(s->name);
	rec->payload = xstrdup(p->name);
	rec->spec_path = xstrdup(s->path);
	rec->spec_hash = s->hash[0] ? xstrdup(s->hash) : NULL;
	rec->expected = p->expect != OUTCOME_NONE ? p->expect : s->expect;
	rec->repeat_index = job->repeat;
	rec->runs = s->repeat;
	rec->confirm = s->confirm ? s->confirm : 1;
	rec->isolation.network = net_policy_name(s->network);
	rec->isolation.read_only = true;
	rec->isolation.user = SR_CONTAINER_USER;
	rec->container = run_container_name(r, job);
	rec_walls(rec, r, s, NULL);
}

static void rec_finish(struct record *rec)
{
	rec->match = rec->expected == OUTCOME_NONE ? rec->outcome != OUTCOME_ERROR
						   : rec->outcome == rec->expected;
}

void run_error_record(struct runner *r, struct run_job *job, const char *phase, const char *cause)
{
	rec_begin(r, job);
	job->rec.outcome = OUTCOME_ERROR;
	job->rec.phase = phase;
	job->rec.cause = xstrdup(cause);
	rec_finish(&job->rec);
	job->done = true;
}

/* Record an error; returns -1 so a step can `return fail(...)`. */
static int fail(struct run_ctx *c, const char *phase, const char *cause)
{
	c->rec->outcome = OUTCOME_ERROR;
	c->rec->phase = phase;
	free(c->rec->cause);
	c->rec->cause = xstrdup(cause && *cause ? cause : "unknown error");
	return -1;
}

int run_fail(struct run_ctx *c, const char *phase, const char *cause)
{
	return fail(c, phase, cause);
}

/* fail, and an engine that does not know the run's runtime says how to
 * register it. */
int run_fail_create(struct run_ctx *c, const char *phase, const char *msg)
{
	char *m = strcmp(phase, "create") && strcmp(phase, "start")
		      ? NULL
		      : walls_runtime_error(c->walls.runtime, msg);

	fail(c, m ? "create" : phase, m ? m : msg);
	free(m);
	return -1;
}

/* Step: the catalogue entry and its pinning. */
static int resolve_image(struct run_ctx *c)
{
	const struct cat_entry *ent = catalogue_find(c->r->cat, c->s->toolchain);
	char *m;

	if (c->r->image) {
		c->rec->image = xstrdup(c->r->image);
		c->rec->pinned = strstr(c->r->image, "@sha256:") != NULL;
		return 0;
	}
	if (!ent)
		return fail(c, "catalogue", "toolchain not in the catalogue");
	c->rec->image = cat_entry_ref(ent);
	c->rec->pinned = cat_entry_pinned(ent);
	if (!c->r->require_pinned || c->rec->pinned)
		return 0;
	m = xasprintf("toolchain '%s' is not pinned and --require-pinned is set",
		      ent->toolchain_id);
	fail(c, "catalogue", m);
	free(m);
	return -1;
}

/* Step: a cached record ends the run here (returns 1). */
static int cache_lookup(struct run_ctx *c)
{
	if (!c->r->cache_dir)
		return 0;
	c->cache_key = cache_key(c->s, c->job->payload, c->job->repeat, c->rec->image,
				 c->rec->pinned, c->r->timeout_scale);
	if (c->cache_key) {
		/* Another runtime or profile is another run. */
		struct sr_hasher *h = sr_hasher_new();
		char hex[17];
		sr_hasher_add_str(h, c->cache_key);
		sr_hasher_add_str(h, c->rec->isolation.runtime);
		sr_hasher_add_str(h, c->rec->isolation.seccomp);
		sr_hasher_finish(h, hex);
		free(c->cache_key);
		c->cache_key = xstrdup(hex);
	}
	if (!c->cache_key || !cache_load(c->r->cache_dir, c->cache_key, c->rec))
		return 0;
	c->rec->match = false;
	return 1;
}

/* Step: the image is present (pulled at most once per process). */
static int ensure_image(struct run_ctx *c)
{
	struct sr_err err = SR_ERR_INIT;
	bool pulled = false;

	if (imgcache_ensure(&pulled, c->r->images, c->rec->image, &err) < 0)
		return fail(c, "pull", err.msg);
	return 0;
}

/* Step: token and the run's private directory. */
static int prepare_workdir(struct run_ctx *c)
{
	struct sr_err err = SR_ERR_INIT;
	const struct payload *pay = &c->s->payloads[c->job->payload];

	if (sr_token(c->token, &err) < 0)
		return fail(c, "create", err.msg);
	c->rec->token = xstrdup(c->token);
	workdir_paths(&c->wd, c->r->tmp_root, c->name);
	if (workdir_prepare(&c->wd, c->s, pay->value, c->r->is_root, &err) < 0)
		return fail(c, "create", err.msg);
	c->rec->isolation.work_bounded = c->wd.mounted;
	walls_resolve(&c->walls, c->s,
		      c->r->cat ? catalogue_find(c->r->cat, c->s->toolchain) : NULL,
		      c->r->cat ? c->r->cat->path : NULL, c->wd.dir);
	if (walls_write_profile(&c->walls, &err) < 0)
		return fail(c, "create", err.msg);
	return 0;
}

static void abort_container(void *ctx)
{
	struct run_ctx *c = ctx;
	struct sr_err err = SR_ERR_INIT;

	c->r->route.ops->kill(&c->r->route, c->name, &err);
}

/* The engine argv of this run (and its plan); the record keeps it as
 * engine_argv. */
void run_build_argv(struct run_ctx *c, struct strvec *argv, struct run_plan *out)
{
	struct run_plan plan = {0};

	plan.engine_bin = c->r->engine->bin;
	plan.podman = c->r->engine->podman;
	plan.spec = c->s;
	plan.image = c->rec->image;
	plan.name = c->name;
	plan.run_id = c->r->run_id;
	plan.owner = c->r->owner;
	plan.work_dir = c->wd.work;
	plan.payload_file = c->wd.payload;
	plan.network = c->net.on ? c->net.harness_net : NULL;
	plan.resolv_conf = c->net.on ? c->net.resolv : NULL;
	plan.env_file = c->wd.env_file;
	plan.runtime = c->walls.runtime;
	plan.seccomp_file = c->walls.profile;
	runargs_build(argv, &plan);
	strvec_pushv(&c->rec->engine_argv, (const char *const *)argv->v);
	if (out)
		*out = plan;
}

/* The spec's timeout, scaled (--timeout-scale), at least 1 ms. */
uint64_t run_timeout_ms(const struct run_ctx *c)
{
	uint64_t t = (uint64_t)((double)c->s->timeout_ms * c->r->timeout_scale);

	return t ? t : 1;
}

static uint64_t wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The CLI client's deadline passed (proc_opts.on_deadline): the ms until
 * the container's StartedAt + timeout, learnt once from the engine; while
 * the container is not running yet, another 100 ms, up to
 * CLI_START_WAIT_MS in all. */
static uint64_t cli_deadline(void *ctx)
{
	struct run_ctx *c = ctx;
	struct sr_err err = SR_ERR_INIT;
	struct engine_state st;
	uint64_t now;

	if (!c->cli_started_ms) {
		if (c->r->route.ops->inspect(&st, &c->r->route, c->name, &err) == 0 &&
		    st.started_ms && strcmp(st.status, "created"))
			c->cli_started_ms = st.started_ms;
		else if ((c->cli_waited_ms += 100) <= CLI_START_WAIT_MS)
			return 100;
		else
			return 0;
	}
	now = wall_now_ms();
	if (c->cli_started_ms + c->timeout_ms <= now)
		return 0;
	return c->cli_started_ms + c->timeout_ms - now;
}

/* Step: `run` the container to completion (or its deadline). The env file
 * exists only while the client may read it. */
static int launch(struct run_ctx *c)
{
	const struct spec *s = c->s;
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT, cenv = STRVEC_INIT;
	struct proc_opts po = {0};
	struct sr_err err = SR_ERR_INIT;
	int rc;

	c->timeout_ms = run_timeout_ms(c);
	if (!c->pre)
		runargs_run_env(&env, s, &s->payloads[c->job->payload], c->r->run_id, c->token,
				c->job->repeat, &c->net.env);
	/* The one place the route shows: the API route runs the container
	 * over the socket, the CLI route through a `run` client. */
	if (c->r->route.api) {
		rc = c->pre ? 0 : run_api_create_step(c, &env);
		strvec_clear(&env);
		return rc ? rc : run_api_run_step(c);
	}
	rc = workdir_write_env(&c->wd, &env, &err);
	strvec_clear(&env);
	if (rc < 0)
		return fail(c, "create", err.msg);
	run_build_argv(c, &argv, NULL);
	po.argv = strvec_argv(&argv);
	strvec_pushv(&cenv, (const char *const *)c->r->engine->envp);
	runargs_payload_env(&cenv, &s->payloads[c->job->payload]);
	po.envp = strvec_argv(&cenv);
	po.timeout_ms = c->timeout_ms;
	po.out_cap = (size_t)s->limits.output;
	po.on_deadline = cli_deadline;
	po.on_abort = abort_container;
	po.ctx = c;
	po.abort_grace_ms = 15000;
	po.interruptible = true;
	/* The run's own directory (the harness never sees it): conmon marks
	 * an OOM kill there, see mark_podman_oom. */
	po.cwd = c->wd.dir;
	c->attempted = true;
	rc = proc_run(&po, &c->res, &err);
	c->have_res = true;
	workdir_drop_env(&c->wd);
	strvec_clear(&argv);
	strvec_clear(&cenv);
	if (rc < 0)
		return fail(c, "create", err.msg);
	sr_rtrim(&c->res.err);
	return 0;
}

/* The init process (tini for docker, catatonit for podman) reports that the
 * harness's command could not be executed: a start failure, not a result.
 * Returns the init's message line, or NULL. */
static const char *init_exec_failed(const struct engine_state *st, const struct strbuf *err)
{
	static __thread char line[512];
	const char *p;
	size_t n;

	/* catatonit 0.1 (podman 4.3) exits 1 with "ERROR (catatonit:N): failed
	 * to exec pid1: ..." as the first line. */
	if (st->exit_code == 1 && !strncmp(strbuf_str(err), "ERROR (catatonit:", 17) &&
	    (p = strstr(strbuf_str(err), "failed to exec pid1")) &&
	    p < strbuf_str(err) + strcspn(strbuf_str(err), "\n")) {
		p = strbuf_str(err);
	} else {
		if (st->exit_code != 126 && st->exit_code != 127)
			return NULL;
		p = strstr(strbuf_str(err), "[FATAL tini");
		if (!p)
			p = strstr(strbuf_str(err), "catatonit: failed to exec");
		if (!p || !strstr(p, "exec"))
			return NULL;
	}
	n = strcspn(p, "\n");
	snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
	return line;
}

/* Podman 4 looks for conmon's OOM mark in the bundle directory, but conmon
 * writes it into its working directory, the run's own (docs/podman-notes.md
 * §1), so podman's inspect says OOMKilled=false: read the mark here. */
static void mark_podman_oom(struct run_ctx *c)
{
	int dfd;

	if (!c->r->engine->podman || c->st.oom)
		return;
	dfd = open(c->wd.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	c->st.oom = podman_oom_marked(dfd);
	close(dfd);
}

/* Step: the container ran (rather than failing to be created or started,
 * or being interrupted). */
static int check_started(struct run_ctx *c)
{
	const struct proc_result *res = &c->res;
	struct sr_err err = SR_ERR_INIT;
	const char *why;
	char *m;

	if (!c->have_st && c->r->route.ops->inspect(&c->st, &c->r->route, c->name, &err) < 0) {
		/* No container: the engine refused to create it (exit 125) or is gone. */
		if (res->cancelled)
			return fail(c, "run", "interrupted");
		return run_fail_create(c, res->exit_code == 125 ? "create" : "collect",
				       res->err.len ? res->err.buf : err.msg);
	}
	if (c->st.error[0] || !strcmp(c->st.status, "created"))
		return fail(c, "start", c->st.error[0] ? c->st.error : strbuf_str(&res->err));
	if (res->cancelled) {
		m = xasprintf("interrupted by signal %d", (int)sr_interrupted);
		fail(c, "run", m);
		free(m);
		return -1;
	}
	if ((why = init_exec_failed(&c->st, &res->err)))
		return fail(c, "start", why);
	mark_podman_oom(c);
	return 0;
}

/* Artifacts the file oracle names, copied out of /work. */
static int collect_files(struct run_ctx *c)
{
	struct record *rec = c->rec;
	struct sr_err err = SR_ERR_INIT;
	char *dest;

	if (!c->s->oracle.files)
		return 0;
	dest = xasprintf("%s/%s", c->r->artifacts_root, c->name);
	if (fs_collect_budget(c->wd.work, c->s->oracle.files, dest, &rec->evidence.artifacts,
			      &c->budget, &err) < 0) {
		free(dest);
		return fail(c, "collect", err.msg);
	}
	c->obs.files_matched = rec->evidence.artifacts.nr;
	c->obs.first_file = c->obs.files_matched ? rec->evidence.artifacts.v[0] : NULL;
	if (c->obs.files_matched)
		rec->evidence.artifact_dir = dest;
	else
		free(dest);
	return 0;
}

/* A cold run's /work is touched on the host only once no process of the
 * container can live: the engine says it is not running (its init has
 * exited, and the kernel killed the rest of its PID namespace with it).
 * One still running is killed and waited for; 0 when stopped. */
static int ensure_stopped(struct run_ctx *c)
{
	const char *kill_args[] = {"kill", c->name, NULL};
	const char *wait_args[] = {"wait", c->name, NULL};
	struct sr_err err = SR_ERR_INIT;
	struct engine_state st;

	if (c->job->warm || !c->attempted)
		return 0;
	if (strcmp(c->st.status, "running") && strcmp(c->st.status, "paused") &&
	    strcmp(c->st.status, "restarting") && c->st.status[0])
		return 0;
	engine_call(NULL, c->r->engine, kill_args, ENGINE_TMO_QUICK, &err);
	engine_call(NULL, c->r->engine, wait_args, ENGINE_TMO_QUICK, &err);
	if (engine_inspect_state(&st, c->r->engine, c->name, &err) == 0 &&
	    (!strcmp(st.status, "exited") || !strcmp(st.status, "created") ||
	     !strcmp(st.status, "dead")))
		return 0;
	return fail(c, "collect", "the container is still running: its /work is not touched");
}

/* Wait up to the grace period for late callbacks, in short slices so that
 * an interrupt ends it at once and a callback ends it early. */
static void grace_wait(struct run_ctx *c)
{
	uint64_t end = sr_now_ms() + c->r->grace_ms;

	while (!sr_interrupted && !net_session_oob_fired(c->sess, NULL)) {
		uint64_t now = sr_now_ms();
		struct timespec ts = {0, 20 * 1000 * 1000};
		if (now >= end)
			break;
		if (end - now < 20)
			ts.tv_nsec = (long)(end - now) * 1000 * 1000;
		nanosleep(&ts, NULL);
	}
}

/* Step: what the run did — exit, signal, timeout, network evidence, files. */
static int observe(struct run_ctx *c)
{
	const struct engine_state *st = &c->st;
	struct run_obs *obs = &c->obs;

	c->rec->exit_code = st->exit_code;
	obs->exit_code = st->exit_code;
	obs->oom = st->oom;
	obs->timed_out = c->res.timed_out;
	if (!obs->timed_out && st->started_ms && st->finished_ms >= st->started_ms &&
	    st->finished_ms - st->started_ms > c->timeout_ms)
		obs->timed_out = true;
	/* The init process reports a harness killed by signal N as 128+N. */
	if (st->exit_code > 128 && st->exit_code < 128 + 65)
		obs->signal = st->exit_code - 128;
	if (!obs->timed_out && !obs->oom)
		c->rec->signal = obs->signal;
	obs->stdout_tail = strbuf_str(&c->res.out);
	obs->stdout_len = c->res.out.len;
	obs->stderr_tail = strbuf_str(&c->res.err);
	obs->stderr_len = c->res.err.len;
	if (c->sess) {
		/* Late callbacks: the harness may have started something that
		 * reaches out after its main process exited. */
		grace_wait(c);
		if (!c->net_lent) /* a warm container's listeners serve its next payload */
			net_session_stop(c->sess);
		run_collect_net(c);
	}
	if (ensure_stopped(c) < 0)
		return -1;
	return collect_files(c);
}

/* Step: the verdict. */
static int decide(struct run_ctx *c)
{
	bool fired;
	char *cause;

	verdict_decide(c->s, &c->obs, &c->rec->outcome, &cause, &fired);
	free(c->rec->cause);
	c->rec->cause = cause;
	c->rec->fired = fired ? 1 : 0;
	c->rec->phase = "run";
	results_parse(c->rec, c->s, &c->res.out, &c->res.err);
	return 0;
}

static char *artifact_dest(const struct run_ctx *c)
{
	return xasprintf("%s/%s", c->r->artifacts_root, c->name);
}

/* Step: `collect` globs and libFuzzer's reproducers out of /work. */
static int collect_more(struct run_ctx *c)
{
	struct sr_err err = SR_ERR_INIT;
	char *dest = artifact_dest(c);
	int rc = results_collect(c->rec, c->s, c->wd.work, dest, &c->budget, &err);

	free(dest);
	if (rc < 0)
		return fail(c, "collect", err.msg);
	if (c->s->corpus) {
		/* New inputs back into the spec's corpus; a failure costs the
		 * next night its head start, not this run its verdict. */
		struct corpus_stats cs = {0};
		struct sr_err cerr = SR_ERR_INIT;
		/* Beside /work in the run's private directory (warm: its
		 * container's), removed right after. */
		char *stage = xasprintf("%s.corpus-out", c->wd.work);
		if (corpus_merge_back(c->s, c->wd.work, stage, &cs, &cerr) < 0)
			sr_log("%s: corpus not merged: %s", c->name, cerr.msg);
		else
			sr_debug("%s: corpus %s: %zu new, %zu known, %zu dropped", c->name,
				 c->s->corpus, cs.added, cs.known, cs.dropped);
		fs_remove_tree(stage);
		free(stage);
	}
	return 0;
}

static char *tail_copy(const struct strbuf *sb)
{
	size_t n = sb->len > TAIL_IN_RECORD ? TAIL_IN_RECORD : sb->len;

	return xstrndup(strbuf_str(sb) + sb->len - n, n);
}

/* Undo every step that ran, in reverse: container, listeners, firewall,
 * network, /work mount, run directory. */
static void finish(struct run_ctx *c)
{
	struct runner *r = c->r;
	bool remove = !r->keep || sr_interrupted;

	if (c->have_res) {
		char *dest = artifact_dest(c);
		c->rec->evidence.stdout_tail = tail_copy(&c->res.out);
		c->rec->evidence.stderr_tail = tail_copy(&c->res.err);
		results_save_output(c->rec, dest, &c->res.out, &c->res.err);
		free(dest);
	}
	if (r->keep && !sr_interrupted && c->wd.created)
		sr_log("--keep: %s kept /work at %s%s%s", c->name, c->wd.work,
		       c->attempted ? " and container " : "", c->attempted ? c->name : "");
	if (c->attempted && remove)
		reap_later(r, c->name, false);
	run_net_teardown(c, remove);
	workdir_release(&c->wd, r->keep && !sr_interrupted);
	proc_result_release(&c->res);
	free(c->oob_cause);
	free(c->stub_cause);
	free(c->name);
	walls_release(&c->walls);
}

/* Step (warm): the token and a warm container with a fresh /work. */
static int warm_step_prepare(struct run_ctx *c)
{
	struct sr_err err = SR_ERR_INIT;
	struct warm *w = c->job->warm;
	bool reused;

	if (sr_token(c->token, &err) < 0)
		return fail(c, "create", err.msg);
	c->rec->token = xstrdup(c->token);
	if (!w) /* isolation: pool */
		w = c->job->warm = warm_pool_acquire(&c->pooled, c->r, c->s, c->rec->image);
	if (warm_prepare(&reused, w, c->r, c->s, c->rec->image,
			 w->pool_name ? w->pool_name : c->name,
			 c->s->payloads[c->job->payload].value, &err) < 0)
		return fail(c, w->net_failed ? "network" : "create", err.msg);
	c->rec->isolation.container_reused = reused;
	/* oob/stubs: the container's listeners, this payload's token. */
	if (w->net && run_net_next(w->net, c->token, &err) < 0)
		return fail(c, "network", err.msg);
	if (w->net)
		run_net_lend(c, w->net);
	free(c->rec->container);
	c->rec->container = xstrdup(w->name);
	strvec_pushv(&c->rec->engine_argv, (const char *const *)w->argv.v);
	c->wd.work = xstrdup(w->wd.work);
	return 0;
}

/* Step (warm): PID 1 runs the command and resets the container, the host
 * checks it (warm_run); fills what check_started and the inspect would for
 * a run of its own. */
static int warm_step_launch(struct run_ctx *c)
{
	struct sr_err err = SR_ERR_INIT;
	const char *phase = "create";
	bool oom;

	c->timeout_ms = run_timeout_ms(c);
	c->have_res = true;
	if (warm_run(&c->res, &oom, &phase, c->job->warm, c->r, c->s, c->job->payload,
		     c->job->repeat, c->token, c->timeout_ms, &err) < 0)
		return fail(c, phase, err.msg);
	if (c->res.cancelled)
		return fail(c, "run", "interrupted");
	/* The command could not be executed: a start failure. */
	if ((c->res.exit_code == 126 || c->res.exit_code == 127) &&
	    strstr(strbuf_str(&c->res.err), "sr-idle: exec failed"))
		return fail(c, "start", strbuf_str(&c->res.err));
	c->st.exit_code = c->res.exit_code;
	c->st.oom = oom;
	return 0;
}

static int (*const cold_steps[])(struct run_ctx *) = {
    resolve_image, cache_lookup,  ensure_image, prepare_workdir, run_setup_network,
    launch,	   check_started, observe,	decide,		 collect_more,
};

bool run_cold_steps(struct run_ctx *c, size_t from, size_t to)
{
	for (size_t i = from; i < to && i < SR_ARRAY_SIZE(cold_steps); i++)
		if (cold_steps[i](c) != 0)
			return false;
	return true;
}

void run_ctx_begin(struct run_ctx *c, struct runner *r, struct run_job *job)
{
	memset(c, 0, sizeof(*c));
	c->r = r;
	c->job = job;
	c->s = job->spec;
	c->rec = &job->rec;
	job->started = true;
	rec_begin(r, job);
	c->name = xstrdup(c->rec->container);
	c->budget.files = (size_t)c->s->limits.artifacts;
	c->budget.bytes = c->s->limits.artifact_bytes;
}

void run_ctx_end(struct run_ctx *c, uint64_t duration_ms)
{
	struct runner *r = c->r;
	struct run_job *job = c->job;

	finish(c);
	if (c->pooled) {
		warm_pool_put(r->pool, r, job->warm);
		job->warm = NULL;
	}
	if (!c->rec->cached)
		c->rec->duration_ms = duration_ms;
	rec_finish(c->rec);
	if (c->cache_key && !c->rec->cached && !sr_interrupted)
		cache_store(r->cache_dir, c->cache_key, c->rec);
	free(c->cache_key);
	job->done = true;
}

void run_ctx_abandon(struct run_ctx *c)
{
	run_api_pre_free(c->pre);
	c->pre = NULL;
	finish(c);
	free(c->cache_key);
	record_release(c->rec);
	c->job->started = false;
}

void run_one(struct runner *r, struct run_job *job)
{
	static int (*const warm_steps[])(struct run_ctx *) = {
	    resolve_image,    cache_lookup, ensure_image, warm_step_prepare,
	    warm_step_launch, observe,	    decide,	  collect_more,
	};
	struct run_ctx c;
	uint64_t t0 = sr_now_ms();

	run_ctx_begin(&c, r, job);
	if (job->warm || (r->pool && c.s->pool && warm_wanted(c.s))) {
		for (size_t i = 0; i < SR_ARRAY_SIZE(warm_steps); i++)
			if (warm_steps[i](&c) != 0)
				break;
	} else {
		run_cold_steps(&c, 0, SR_ARRAY_SIZE(cold_steps));
	}
	run_ctx_end(&c, sr_now_ms() - t0);
}
