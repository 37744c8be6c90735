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
#include "runner/engine/engine_api.h"
#include "lib/quote.h"
#include "runner/plan/runargs.h"
#include "runner/spec/walls.h"
#include "runner/exec/reaper.h"
#include "runner/exec/run_int.h"
#include "runner/netpolicy/dnsrelay.h"

/* PID 1 kills a payload at its deadline; the host gives up on a status
 * this long after it (the reset itself takes milliseconds). */
#define BACKSTOP_MS 10000
#define ACCEPT_MS   20000

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
	if (!s->warm)
		return false;
	pthread_once(&helper_once, find_helper);
	if (!helper[0])
		sr_debug("%s: isolation: harness without the sr-idle helper: a container per run",
			 s->name);
	return helper[0] != '\0';
}

void warm_plan(struct warm_plan *out, const struct runner *r, const struct spec *s,
	       const char *image, const char *name, const struct workdir *wd, const char *ctl_dir)
{
	/* The run's user, as sr-idle serve takes it (SR_CONTAINER_USER). */
	static char *const cmd[] = {"serve", "65534", "65534", NULL};
	static const char *const caps[] = {"KILL", "SETUID", "SETGID", NULL};
	struct run_plan *p = &out->plan;

	pthread_once(&helper_once, find_helper);
	memset(out, 0, sizeof(*out));
	p->engine_bin = r->engine->bin;
	p->podman = r->engine->podman;
	p->spec = s;
	p->image = image;
	p->name = name;
	p->run_id = r->run_id;
	p->owner = r->owner;
	p->work_dir = wd->work;
	p->payload_file = wd->payload;
	p->detach = true;
	p->no_init = true;
	p->entrypoint = IDLE_HELPER_IN;
	p->cmd = cmd;
	p->user = "0:0";
	p->cap_add = caps;
	out->mounts[0] =
	    (struct eapi_mount){helper[0] ? helper : "<sr-idle>", IDLE_HELPER_IN, true};
	out->mounts[1] = (struct eapi_mount){ctl_dir, IDLE_CTL_IN, false};
	p->mounts = out->mounts;
	p->nmounts = 2;
}

/* The runtime and seccomp profile of s (walls.h) into wp; dir is where a
 * strict profile is written. Release wl with walls_release. */
static void warm_walls(struct warm_plan *wp, struct walls *wl, const struct runner *r,
		       const struct spec *s, const char *dir)
{
	walls_resolve(wl, s, r->cat ? catalogue_find(r->cat, s->toolchain) : NULL,
		      r->cat ? r->cat->path : NULL, dir);
	wp->plan.runtime = wl->runtime;
	wp->plan.seccomp_file = wl->profile;
}

void warm_explain(struct strbuf *out, const struct runner *r, const struct spec *s,
		  const char *image, const char *name, const struct workdir *wd)
{
	struct warm_plan wp;
	struct walls wl;
	struct strvec argv = STRVEC_INIT;
	char *ctl = xasprintf("%s/ctl", wd->dir);
	bool listeners = s->network == NET_OOB || s->network == NET_STUBS;
	char *resolv = xasprintf("%s/resolv.conf", wd->dir), *relay = dnsrelay_name(name);
	char *net = dnsrelay_needed(r->is_root) && !r->engine->podman
			? xasprintf("container:%s", relay)
			: xstrdup("sr-<random>");

	warm_plan(&wp, r, s, image, name, wd, ctl);
	warm_walls(&wp, &wl, r, s, wd->dir);
	if (listeners) {
		wp.plan.network = net;
		wp.plan.resolv_conf = resolv;
	}
	runargs_build(&argv, &wp.plan);
	walls_release(&wl);
	if (listeners)
		strbuf_addstr(out,
			      "# the network above, its listeners, firewall and DNS are set up "
			      "once with the container and removed with it; each payload gets "
			      "its own token\n");
	strbuf_addstr(out, s->pool ? "# isolation: pool: a container shared by every harness of "
				     "this configuration (at most -j), created once:\n"
				   : "# isolation: harness: one container for the harness's runs, "
				     "created once:\n");
	sr_shell_quote_argv(out, strvec_argv(&argv));
	strbuf_addf(out,
		    "\n# each run: its PID 1 (sr-idle, uid %d) forks the command as %s over "
		    "%s/sock (no engine call), resets the container and reports; the host "
		    "checks its cgroup holds PID 1 alone, then refills %s\n",
		    IDLE_UID, SR_CONTAINER_USER, ctl, wd->work);
	strvec_clear(&argv);
	free(ctl);
	free(resolv);
	free(relay);
	free(net);
}

/* Create and start the container; *id gets its engine id. */
static int create(char **id, struct warm *w, struct runner *r, const struct run_plan *plan,
		  struct sr_err *err)
{
	struct strbuf out = STRBUF_INIT;
	int rc;

	if (r->route.api) {
		struct eapi_create_opts o;
		struct runargs_store store;
		runargs_create_opts(&o, &store, plan, NULL);
		rc = eapi_create(id, r->route.api, &o, err);
		runargs_store_release(&store);
		if (rc == 0)
			rc = eapi_start(r->route.api, *id, err);
		return rc;
	}
	rc = engine_call(&out, r->engine, (const char *const *)w->argv.v + 1, ENGINE_TMO_CREATE,
			 err);
	sr_rtrim(&out);
	if (rc == 0 && (out.len < 12 || strchr(out.buf, '\n')))
		rc = sr_err_set(err, SR_EFAIL, "no container id from '%s run -d'", r->engine->bin);
	*id = rc == 0 ? strbuf_detach(&out, NULL) : NULL;
	strbuf_release(&out);
	return rc;
}

static int start(struct warm *w, struct runner *r, const struct spec *s, const char *image,
		 const char *name, const char *payload, struct sr_err *err)
{
	struct warm_plan wp;
	struct walls wl;
	char *profile = NULL;
	int rc;

	w->name = xstrdup(name);
	w->net_failed = false;
	w->route = &r->route;
	w->oom_kills = 0;
	w->uses = 0;
	workdir_paths(&w->wd, r->tmp_root, name);
	if ((rc = workdir_prepare(&w->wd, s, payload, r->is_root, err)) < 0 ||
	    (rc = warmctl_listen(&w->ctl, w->wd.dir, r->is_root, err)) < 0) {
		warm_end(w, r);
		return rc;
	}
	/* oob/stubs: the network and its listeners first, as for a run's own. */
	if ((s->network == NET_OOB || s->network == NET_STUBS) &&
	    !(w->net = run_net_open(r, s, image, w->wd.dir, name, err))) {
		w->net_failed = true;
		warm_end(w, r);
		return err->code ? err->code : SR_EFAIL;
	}
	warm_plan(&wp, r, s, image, name, &w->wd, w->ctl.dir);
	if (w->net && w->net->net.on) {
		wp.plan.network = w->net->net.harness_net;
		wp.plan.resolv_conf = w->net->net.resolv;
	}
	warm_walls(&wp, &wl, r, s, w->wd.dir);
	rc = walls_write_profile(&wl, err);
	if (rc == 0 && r->route.api && (rc = walls_profile_text(&profile, &wl, err)) == 0)
		wp.plan.seccomp_json = profile;
	if (rc == 0)
		runargs_build(&w->argv, &wp.plan);
	rc = rc < 0 ? rc : create(&w->id, w, r, &wp.plan, err);
	walls_release(&wl);
	free(profile);
	if (rc < 0 || (rc = warmctl_accept(&w->ctl, w->id, ACCEPT_MS, err)) < 0 ||
	    (rc = warmctl_verify(&w->ctl, err)) < 0) {
		/* Nothing of it may serve the next run: it starts afresh. */
		warm_end(w, r);
		return sr_err_wrap(err, "cannot start the warm container");
	}
	w->oom_kills = warmctl_oom_kills(&w->ctl);
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
		/* The last run's status and the host's check came clean:
		 * no process of the container but PID 1 lives. */
		if (refill(w, r, s, payload, &e2) == 0) {
			*reused = true;
			return 0;
		}
		sr_debug("%s: %s: a fresh container", w->name, e2.msg);
		warm_end(w, r);
	}
	return start(w, r, s, image, name, payload, err);
}

int warm_exec(struct proc_result *res, struct idle_status *st, bool *have_status, struct warm *w,
	      const struct spec *s, const struct strvec *env, uint64_t timeout_ms,
	      struct sr_err *err)
{
	struct warmctl_run in = {0};
	struct strvec argv = STRVEC_INIT, e = STRVEC_INIT;
	int rc;

	strvec_pushv(&argv, (const char *const *)s->command.v);
	strvec_pushv(&e, (const char *const *)env->v);
	in.argv = strvec_argv(&argv);
	in.env = strvec_argv(&e);
	in.timeout_ms = timeout_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)timeout_ms;
	in.backstop_ms = timeout_ms + BACKSTOP_MS;
	in.out_cap = (size_t)s->limits.output;
	w->uses++;
	rc = warmctl_run(res, st, have_status, &w->ctl, &in, err);
	strvec_clear(&argv);
	strvec_clear(&e);
	return rc;
}

int warm_run(struct proc_result *res, bool *oom, const char **phase, struct warm *w,
	     struct runner *r, const struct spec *s, size_t payload, unsigned repeat,
	     const char *token, uint64_t timeout_ms, struct sr_err *err)
{
	const struct payload *pay = &s->payloads[payload];
	struct strvec env = STRVEC_INIT;
	struct idle_status st;
	bool have_status;
	int rc;

	/* A cold run's environment; the payload in it: the channel carries any byte. */
	runargs_run_env(&env, s, pay, r->run_id, token, repeat, w->net ? &w->net->net.env : NULL);
	runargs_payload_env(&env, pay);
	*phase = "create";
	rc = warm_exec(res, &st, &have_status, w, s, &env, timeout_ms, err);
	strvec_clear(&env);
	if (rc < 0)
		return rc;
	*phase = "run";
	rc = warm_after(oom, w, r, res, &st, have_status, err);
	sr_rtrim(&res->err);
	return rc;
}

/* The container serves no further run: stopped now, removed (with its
 * /work) only when the next run or the harness's end comes, so that this
 * run's files can still be collected. */
static void retire(struct warm *w)
{
	struct sr_err err = SR_ERR_INIT;

	if (w->route && w->route->ops->kill(w->route, w->id ? w->id : w->name, &err) < 0)
		sr_debug("%s: %s", w->name, err.msg);
	/* PID 1 kills what is left when the channel closes, if it lives. */
	warmctl_close(&w->ctl);
	w->retired = true;
}

int warm_after(bool *oom, struct warm *w, struct runner *r, const struct proc_result *res,
	       const struct idle_status *st, bool have_status, struct sr_err *err)
{
	struct engine_state es;
	struct sr_err e2 = SR_ERR_INIT;
	long n = warmctl_oom_kills(&w->ctl);
	int rc = 0;

	*oom = n > w->oom_kills && w->oom_kills >= 0;
	if (!have_status) {
		rc = sr_err_set(&e2, SR_EFAIL, "no status from the container's PID 1");
	} else if (!st->reset_ok) {
		rc = sr_err_set(&e2, SR_EFAIL, "the reset left something behind: %s", st->why);
	} else if (res->timed_out || res->cancelled) {
		rc = sr_err_set(&e2, SR_EFAIL, "the run timed out or was interrupted");
	} else if (!*oom) {
		rc = warmctl_verify(&w->ctl, &e2);
	}
	if (rc == 0 && !*oom) {
		w->oom_kills = n;
		return 0;
	}
	sr_debug("%s: ending the warm container: %s", w->name,
		 *oom ? "the run hit the memory limit" : e2.msg);
	retire(w);
	if (have_status || *oom || res->timed_out)
		return 0;
	/* No status: PID 1 is gone; the container itself may have died of the limit. */
	if (r->route.ops->inspect(&es, &r->route, w->name, err) == 0 && es.oom) {
		*oom = true;
		return 0;
	}
	return sr_err_set(err, SR_EFAIL, "the warm container is gone: %s", e2.msg);
}

void warm_end(struct warm *w, struct runner *r)
{
	if (!w->name)
		return;
	/* Kept: stopped first, so nothing of it runs after sandrun. Else the
	 * channel's end makes PID 1 kill what is left and exit, and the
	 * removal (rm -f) ends whatever remains. */
	if (r->keep && !sr_interrupted && !w->retired && w->id)
		retire(w);
	warmctl_close(&w->ctl);
	if (r->keep && !sr_interrupted)
		sr_log("--keep: warm container %s stopped and kept with /work at %s", w->name,
		       w->wd.work ? w->wd.work : "?");
	else
		reap_later(r, w->name, false);
	/* After the container (a network with an endpoint cannot be removed). */
	run_net_close(w->net, !r->keep || sr_interrupted);
	w->net = NULL;
	workdir_release(&w->wd, r->keep && !sr_interrupted);
	memset(&w->wd, 0, sizeof(w->wd));
	strvec_clear(&w->argv);
	free(w->name);
	free(w->id);
	w->name = NULL;
	w->id = NULL;
	w->retired = false;
}

/* isolation: pool: the invocation's warm containers, keyed by their whole
 * configuration, handed to any harness whose configuration matches. */
struct warm_pool {
	pthread_mutex_t lock;
	struct warm **idle;
	size_t nidle, alloc;
	unsigned total, max, seq;
};

struct warm_pool *warm_pool_new(unsigned max)
{
	struct warm_pool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	p->max = max ? max : 1;
	return p;
}

/* oob/stubs: what the container's listeners were opened with (the network
 * itself is per container): the policy and each stub's name, kind, status
 * and body (fs stubs are mounts, in the argv already). */
static void net_key(struct strbuf *key, const struct spec *s)
{
	if (s->network != NET_OOB && s->network != NET_STUBS)
		return;
	strbuf_addf(key, "net=%s\x1f", net_policy_name(s->network));
	for (size_t i = 0; i < s->nstubs; i++) {
		const struct stub *st = &s->stubs[i];
		strbuf_addf(key, "stub=%s,%s,%d,%zu:%s,%d\x1f", st->name, stub_kind_name(st->kind),
			    st->status, st->body ? strlen(st->body) : 0, st->body ? st->body : "",
			    st->body != NULL);
	}
}

char *warm_pool_key(const struct runner *r, const struct spec *s, const char *image)
{
	struct workdir wd = {.dir = "<dir>", .work = "<dir>/work", .payload = "<dir>/payload"};
	struct warm_plan wp;
	struct walls wl;
	struct strvec argv = STRVEC_INIT;
	struct strbuf key = STRBUF_INIT;

	/* The create argv less what differs between containers of one
	 * configuration: the name, the harness label (paths are placeholders). */
	warm_plan(&wp, r, s, image, "<name>", &wd, "<dir>/ctl");
	warm_walls(&wp, &wl, r, s, wd.dir);
	runargs_build(&argv, &wp.plan);
	walls_release(&wl);
	for (size_t i = 0; i < argv.nr; i++) {
		if (!strncmp(argv.v[i], "--label=sandrun.harness=", 24))
			continue;
		strbuf_addstr(&key, argv.v[i]);
		strbuf_addch(&key, '\x1f');
	}
	strvec_clear(&argv);
	net_key(&key, s);
	return strbuf_detach(&key, NULL);
}

static void end_slot(struct warm *w, struct runner *r)
{
	warm_end(w, r);
	free(w->key);
	free(w->pool_name);
	free(w);
}

struct warm *warm_pool_acquire(bool *pooled, struct runner *r, const struct spec *s,
			       const char *image)
{
	char *key = warm_pool_key(r, s, image);
	struct warm *w = warm_pool_take(r->pool, r, key);

	free(key);
	*pooled = true;
	return w;
}

struct warm *warm_pool_take(struct warm_pool *p, struct runner *r, const char *key)
{
	struct warm *w = NULL, *evict = NULL;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->nidle && !w; i++) {
		if (strcmp(p->idle[i]->key, key))
			continue;
		w = p->idle[i];
		memmove(&p->idle[i], &p->idle[i + 1], (p->nidle - i - 1) * sizeof(*p->idle));
		p->nidle--;
	}
	/* Bounded by -j: a lane runs one container at a time, so when all are
	 * up one of them is idle, of another configuration: it makes room. */
	if (!w && p->total >= p->max && p->nidle) {
		evict = p->idle[0];
		memmove(&p->idle[0], &p->idle[1], (p->nidle - 1) * sizeof(*p->idle));
		p->nidle--;
		p->total--;
	}
	if (!w) {
		w = xcalloc(1, sizeof(*w));
		*w = (struct warm)WARM_INIT;
		w->key = xstrdup(key);
		w->pool_name = xasprintf("sandrun-%.8s-pool-%u", r->run_id, ++p->seq);
		p->total++;
	}
	pthread_mutex_unlock(&p->lock);
	if (evict)
		end_slot(evict, r);
	return w;
}

void warm_pool_put(struct warm_pool *p, struct runner *r, struct warm *w)
{
	if (!w->name || w->retired || w->uses >= WARM_POOL_USES || r->keep || sr_interrupted) {
		pthread_mutex_lock(&p->lock);
		p->total--;
		pthread_mutex_unlock(&p->lock);
		end_slot(w, r);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->idle = xgrow(p->idle, sizeof(*p->idle), p->nidle + 1, &p->alloc);
	p->idle[p->nidle++] = w;
	pthread_mutex_unlock(&p->lock);
}

void warm_pool_end(struct warm_pool *p, struct runner *r)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nidle; i++)
		end_slot(p->idle[i], r);
	free(p->idle);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
