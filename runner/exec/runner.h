/* The runner: what every run of one invocation shares (engine and its
 * route, image cache, catalogue, run id, temp and artifact roots, limits),
 * and the one set-up every verb that runs containers (run, repro) or
 * explains them (explain) goes through. */
#ifndef SR_RUNNER_H
#define SR_RUNNER_H

#include <pthread.h>

#include "catalogue/catalogue.h"
#include "runner/engine/engine.h"
#include "runner/engine/engine_ops.h"
#include "runner/engine/imgcache.h"

/* The domain under which <token>.<domain> resolves through the OOB DNS
 * listener. */
#define SR_OOB_DOMAIN "oob.sandrun.test"

/* How long OOB listeners keep listening after a run's exit, unless
 * $SANDRUN_OOB_GRACE or --oob-grace say otherwise. */
#define RUNNER_DEFAULT_GRACE_MS 500

struct reaper;
struct warm_pool;

struct runner {
	struct engine *engine;
	struct imgcache *images;
	const struct catalogue *cat;
	const char *image; /* repro: this image reference rather than the catalogue's */
	const char *run_id;
	const char *owner;
	const char *tmp_root;	    /* private directory for run dirs */
	const char *artifacts_root; /* artifacts are copied to <root>/<container>/ */
	const char *cache_dir;	    /* --cache: result cache, or NULL */
	double timeout_scale;
	uint64_t grace_ms; /* OOB grace period after exit */
	bool keep;	   /* keep run dirs and containers */
	bool require_pinned;
	bool is_root;
	bool firewall;	       /* iptables usable */
	bool require_firewall; /* --require-firewall: oob/stubs without one are errors */
	const char *oob_domain;
	unsigned jobs;
	pthread_mutex_t lock;
	struct strbuf unattributed; /* JSON array elements, comma-joined */
	struct reaper *reaper;	    /* removes finished containers off the hot path */
	struct engine_route route;  /* the engine interface, chosen once (engine_ops.h) */
	struct warm_pool *pool;	    /* isolation: pool (warm.h), while run_all runs */
	bool started;		    /* runner_start created the temp root */
	pthread_t gc_thread;	    /* the start's sweep of dead runs' leftovers */
	bool gc_running;	    /* gc_thread to join in runner_release */
	bool no_sweep;		    /* nothing to run: no sweep of dead runs' leftovers */
	char *own_id, *own_owner, *own_tmp, *own_art; /* what runner_init allocated */
};

/* Defaults for one invocation on engine e (may be NULL: no engine) and
 * catalogue cat: a fresh random run id (or, with explain, the placeholders
 * "<run-id>" and "<tmp>"), the owner label, temp and artifact roots, the
 * grace ($SANDRUN_OOB_GRACE, else RUNNER_DEFAULT_GRACE_MS), one job,
 * whether the firewall is usable. Callers override fields afterwards.
 * SR_EINVAL when $SANDRUN_OOB_GRACE is not a duration. */
int runner_init(struct runner *r, struct engine *e, const struct catalogue *cat, bool explain,
		struct sr_err *err);

/* Before the first container: signal handlers (SIGINT, SIGTERM, SIGHUP set
 * sr_interrupted; SIGPIPE ignored), the image cache with policy pull, the
 * sweep of dead invocations' leftovers, the temp root with its owner file,
 * and the engine route (API or CLI), chosen once. */
int runner_start(struct runner *r, enum pull_policy pull, struct sr_err *err);

/* Undo runner_start (owner file, temp root unless keep, API client, image
 * cache) and free what runner_init allocated. Safe on a runner that was only
 * initialised, and twice. */
void runner_release(struct runner *r);

#endif
