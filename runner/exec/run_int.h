/* Private to one run (run.c, run_net.c): the state its steps share. */
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
	bool attempted; /* `run` was spawned: a container may exist */
	struct proc_result res;
	bool have_res;
	struct engine_state st;
	bool have_st; /* the API route filled st: no inspect needed */
	struct run_obs obs;
	char *oob_cause, *stub_cause;
	struct fs_budget budget; /* artifacts this run may still copy out */
	struct walls walls;	 /* runtime and seccomp profile (walls.h) */
	bool pooled;		 /* job->warm came from the pool: back to it at the end */
	bool net_lent;		 /* sess is a warm container's (run_net_lend): not stopped here */
};

/* Record an error (phase, cause) on the run; returns -1 for `return`. */
int run_fail(struct run_ctx *c, const char *phase, const char *cause);

/* Step (oob, stubs): execute the network plan: the internal network, the
 * listeners on its gateway, the firewall, the relay, resolv.conf. */
int run_setup_network(struct run_ctx *c);
/* After the run: what the listeners saw, into the record and c->obs. */
void run_collect_net(struct run_ctx *c);

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
