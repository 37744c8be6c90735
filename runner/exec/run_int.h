/* Private to one run (run.c, run_net.c, run_ahead.c): the state its steps
 * share; and create-ahead, for the scheduler (sched.c). */
#ifndef SR_RUN_INT_H
#define SR_RUN_INT_H

#include "lib/fsutil.h"
#include "lib/proc.h"
#include "runner/engine/engine.h"
#include "runner/net/firewall.h"
#include "runner/netpolicy/netplan.h"
#include "runner/plan/workdir.h"
#include "runner/spec/walls.h"
#include "runner/verdict/outcome.h"

/* Below run.h (no include circle): the job and runner by pointer. */
struct runner;
struct run_job;
struct spec;
struct record;
struct net_session;

struct run_api_pre;
struct run_plan;

struct run_ctx {
	struct runner *r;
	struct run_job *job;
	const struct spec *s;
	struct record *rec;
	char *name;
	char token[33];
	char *cache_key;
	struct workdir wd;
	struct netplan net;
	bool net_created;
	bool relay_attempted; /* the DNS relay's `run -d` was spawned */
	struct dnsrelay_src relay_src;
	struct net_session *sess;
	struct fw_rules fw;
	bool fw_on;
	uint64_t timeout_ms;
	uint64_t cli_started_ms; /* CLI route: the container's StartedAt, once known */
	uint64_t cli_waited_ms;	 /* CLI route: given so far for the container to start */
	bool attempted;		 /* `run` was spawned: a container may exist */
	struct proc_result res;
	bool have_res;
	struct engine_state st;
	bool have_st; /* the API route filled st: no inspect needed */
	struct run_obs obs;
	char *oob_cause, *stub_cause;
	struct fs_budget budget; /* artifacts this run may still copy out */
	struct walls walls;	 /* runtime and seccomp profile (walls.h) */
	bool pooled;		 /* job->warm came from the pool: back to it at the end */
	struct run_api_pre *pre; /* API route: created (ahead), not started yet */
	bool net_lent;		 /* sess is a warm container's (run_net_lend): not stopped here */
};

/* The steps of a cold run, from..to (RUN_STEP_LAUNCH: the first that
 * starts the container); false when one ended the run (error, cache hit). */
#define RUN_STEP_LAUNCH 5
bool run_cold_steps(struct run_ctx *c, size_t from, size_t to);
/* The API route's launch (run_ahead.c): create and attach the run's own
 * container (env, token, workdir: the run's), then start and wait for it. */
int run_api_create_step(struct run_ctx *c, struct strvec *env);
int run_api_run_step(struct run_ctx *c);
int run_create_ahead(struct run_ctx *c); /* env, then run_api_create_step */
/* Helpers of run.c the API route's steps share. */
int run_fail_create(struct run_ctx *c, const char *phase, const char *msg);
void run_build_argv(struct run_ctx *c, struct strvec *argv, struct run_plan *out);
uint64_t run_timeout_ms(const struct run_ctx *c);
/* A run's context from its job, and its end: finish (undo every step), the
 * record's duration, verdict and cache entry, job->done. */
void run_ctx_begin(struct run_ctx *c, struct runner *r, struct run_job *job);
void run_ctx_end(struct run_ctx *c, uint64_t duration_ms);
/* A run prepared but never launched (interruption, the end of the pool):
 * whatever it made is undone (the container removed), no record kept. */
void run_ctx_abandon(struct run_ctx *c);

/* Record an error (phase, cause) on the run; returns -1 for `return`. */
int run_fail(struct run_ctx *c, const char *phase, const char *cause);

/* Step (oob, stubs): execute the network plan: the internal network, the
 * listeners on its gateway, the firewall, the relay, resolv.conf. */
int run_setup_network(struct run_ctx *c);
/* After the run: what the listeners saw, into the record and c->obs. */
void run_collect_net(struct run_ctx *c);

/* create-ahead: while one cold run runs, its lane creates (and attaches to)
 * the next run's container, so that run starts without paying the create.
 * The created container is that run's own (its name, token, workdir, env,
 * payload: every step up to the launch is the run's, done early on a
 * helper thread); a run that is never launched is abandoned, which removes
 * what it made. API route only, cold runs without a run network (none,
 * open); SANDRUN_CREATE_AHEAD=0 turns it off. */
struct run_ahead;

/* Whether job may be prepared ahead. */
bool run_ahead_wanted(const struct runner *r, const struct run_job *job);
/* Begin job's steps up to its launch on a helper thread. */
struct run_ahead *run_ahead_start(struct runner *r, struct run_job *job);
/* Wait for the preparation, then run the rest (as run_one would); frees a. */
void run_ahead_run(struct run_ahead *a);
/* The job will not run (interrupted): wait for the preparation, undo it
 * (the container removed through the reaper), leave job not done; frees a. */
void run_ahead_drop(struct run_ahead *a);

/* Undo run_setup_network: listeners (unless lent), firewall, the relay and
 * network (removed only with remove; --keep keeps them). */
void run_net_teardown(struct run_ctx *c, bool remove);

/* Warm containers with `network: oob|stubs`: the run network of container
 * (its relay, listeners, firewall; resolv.conf in dir), set up once for the
 * container's life as run_setup_network sets up a run's. NULL on failure. */
struct run_ctx *run_net_open(struct runner *r, const struct spec *s, const char *image,
			     const char *dir, const char *container, struct sr_err *err);
/* The next payload: its token (net_session_next) and the env entries that
 * carry it (n->net.env). Before the payload starts. */
int run_net_next(struct run_ctx *n, const char *token, struct sr_err *err);
/* A payload's run c observes n's listeners (not stopped or freed by c):
 * its session, gateway (untokened hits) and the record's isolation fields. */
void run_net_lend(struct run_ctx *c, const struct run_ctx *n);
/* run_net_teardown and free n (NULL-safe). */
void run_net_close(struct run_ctx *n, bool remove);

#endif
