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
	uint64_t cli_started_ms; /* CLI route: the container's StartedAt, once known */
	uint64_t cli_waited_ms;	 /* CLI route: given so far for the container to start */
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
};

/* Record an error (phase, cause) on the run; returns -1 for `return`. */
int run_fail(struct run_ctx *c, const char *phase, const char *cause);

/* Step (oob, stubs): execute the network plan: the internal network, the
 * listeners on its gateway, the firewall, the relay, resolv.conf. */
int run_setup_network(struct run_ctx *c);
/* After the run: what the listeners saw, into the record and c->obs. */
void run_collect_net(struct run_ctx *c);

#endif
