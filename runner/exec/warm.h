/* Warm containers (spec `isolation: harness`): one container serves every
 * payload and repeat of a harness, one run after another, and between two
 * runs the runner restores what a fresh container would give.
 *
 * The container's PID 1 is sandrun's static sr-idle (runner/helper/), run
 * as its own uid with only CAP_KILL/SETUID/SETGID. The host talks to it over
 * a unix socket only PID 1 holds (warmctl.h): per payload no engine call,
 * PID 1 forks the payload as the run's user with the host's pipes, and after
 * it, whatever it did, kills every other process and empties every writable
 * mount but /work, SysV IPC and POSIX message queues, then reports. The host
 * then checks from outside that the container's cgroup holds PID 1 alone,
 * reads the OOM count from the host's cgroup files, and only then refills
 * /work and the payload file for the next run. A run that times out, hits
 * the memory limit, a missing or unclean status, or a failed check ends the
 * container; the next run gets a fresh one.
 *
 * Harnesses with listeners (network oob or stubs) qualify too: the run
 * network, its listeners, firewall and DNS relay live with the container
 * (run_net_open), and each payload gets its own token; what the listeners
 * see is attributed to a payload by its token and, untokened, by its time
 * window (net_session_next). Every harness runs one container per run when
 * the sr-idle helper is not installed. */
#ifndef SR_WARM_H
#define SR_WARM_H

#include "runner/exec/runner.h"
#include "runner/plan/runargs.h"
#include "runner/warm/warmctl.h"
#include "runner/plan/workdir.h"

struct run_ctx;

struct warm {
	char *name;	   /* the container serving runs; NULL when none is up */
	char *id;	   /* its engine id */
	struct workdir wd; /* its /work and payload file */
	struct warmctl ctl;
	struct strvec argv; /* the engine argv that created it */
	long oom_kills;	    /* the memory cgroup's OOM-kill count after the last reset */
	const struct engine_route *route;
	bool retired; /* stopped after a run that ended it; removed before the next */
	unsigned uses;
	char *key;	     /* pool: the configuration it serves (warm_pool_key) */
	char *pool_name;     /* pool: the name its containers get */
	struct run_ctx *net; /* oob/stubs: its run network and listeners (run_net_open) */
	bool net_failed;     /* the last start failed setting those up: phase "network" */
};

#define WARM_INIT                                                                                  \
	{                                                                                          \
		.ctl = WARMCTL_INIT                                                                \
	}

/* Whether the runs of s share a warm container: s->warm and the helper found (next to the sandrun
 * binary, or $SANDRUN_HELPER_DIR). */
bool warm_wanted(const struct spec *s);

/* Before a run: a container for s is up (started as name when none is)
 * with a fresh copy of the workdir at /work and payload at
 * /sandrun/payload. *reused: an earlier run used this container. */
int warm_prepare(bool *reused, struct warm *w, struct runner *r, const struct spec *s,
		 const char *image, const char *name, const char *payload, struct sr_err *err);

/* Run s's command in the container with env ("KEY=value", SANDRUN_PAYLOAD
 * included) to completion or timeout_ms, then PID 1's reset. *have_status:
 * PID 1 reported (in *st). Fails only when the request could not be sent. */
int warm_exec(struct proc_result *res, struct idle_status *st, bool *have_status, struct warm *w,
	      const struct spec *s, const struct strvec *env, uint64_t timeout_ms,
	      struct sr_err *err);

/* After a run: *oom when the run hit the memory limit. Ends the container
 * when the run timed out, hit the limit, the status was missing or unclean,
 * or the host's check of the cgroup failed. SR_EFAIL when the container
 * died without a status (the run's result is not trustworthy unless it was
 * an OOM). */
int warm_after(bool *oom, struct warm *w, struct runner *r, const struct proc_result *res,
	       const struct idle_status *st, bool have_status, struct sr_err *err);

/* One run (payload index, repeat index) of s in w: its environment (runargs_run_env, as a cold
 * run's, with the payload), warm_exec, warm_after. On failure *phase says where
 * ("create": PID 1 unreachable, "run": the container died). */
int warm_run(struct proc_result *res, bool *oom, const char **phase, struct warm *w,
	     struct runner *r, const struct spec *s, size_t payload, unsigned repeat,
	     const char *token, uint64_t timeout_ms, struct sr_err *err);

/* Remove the container and its directory; with --keep stop it (no process
 * of it outlives sandrun) and keep both. */
void warm_end(struct warm *w, struct runner *r);

/* The plan that creates a warm container for s: the run plan with its warm
 * fields set (detached, no init, sr-idle as the entry point and PID 1 as
 * root with CAP_KILL/SETUID/SETGID, which it drops to IDLE_UID; the helper
 * and the control directory ctl_dir mounted). */
struct warm_plan {
	struct run_plan plan;
	struct eapi_mount mounts[2];
};
void warm_plan(struct warm_plan *out, const struct runner *r, const struct spec *s,
	       const char *image, const char *name, const struct workdir *wd, const char *ctl_dir);

/* `explain` for a warm spec: the create argv and how payloads start. */
void warm_explain(struct strbuf *out, const struct runner *r, const struct spec *s,
		  const char *image, const char *name, const struct workdir *wd);

/* isolation: pool: idle warm containers keyed by their whole configuration
 * (the create argv less name and harness label: image digest, limits, user,
 * read-only mounts, network, runtime, seccomp...), handed to any harness
 * whose configuration matches. At most max containers (-j); each ends
 * after a timeout, an OOM kill, an unclean reset or WARM_POOL_USES runs,
 * and every one at the end of the invocation. Thread-safe. */
#define WARM_POOL_USES 200
struct warm_pool;
struct warm_pool *warm_pool_new(unsigned max);
char *warm_pool_key(const struct runner *r, const struct spec *s, const char *image);
/* An idle container of key, else an empty slot (warm_prepare starts one as
 * w->pool_name), ending an idle one of another key when max are up. */
struct warm *warm_pool_take(struct warm_pool *p, struct runner *r, const char *key);
/* warm_pool_take from r->pool for s's configuration; sets *pooled. */
struct warm *warm_pool_acquire(bool *pooled, struct runner *r, const struct spec *s,
			       const char *image);
/* After a run: back to the idle list, or ended (retired, used up, --keep). */
void warm_pool_put(struct warm_pool *p, struct runner *r, struct warm *w);
/* End every idle container (the invocation's end) and free p (NULL-safe). */
void warm_pool_end(struct warm_pool *p, struct runner *r);

#endif
