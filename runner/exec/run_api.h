/* The engine API route of one run: instead of a `docker run` client process,
 * create / attach / start / wait / inspect over the engine's unix socket
 * (engine_api.h), from the same plan runargs_build renders. Removal stays
 * with the reaper, as on the CLI route. */
#ifndef SR_RUN_API_H
#define SR_RUN_API_H

#include "runner/engine/engine.h"
#include "runner/engine/engine_api.h"
#include "runner/plan/runargs.h"

struct run_api_in {
	struct eapi *api;
	const struct run_plan *plan;
	char *const *env; /* the container's environment, NULL-terminated */
	uint64_t kill_ms; /* from the start call's return; then the container is killed */
	size_t out_cap;	  /* bytes kept per stream */
};

/* Create, attach, start, wait for, then inspect the run's container. 0 when
 * it ran (or was interrupted or killed at the deadline while running): res
 * holds the output tails, the exit code, timed_out and cancelled as
 * proc_run reports them for the CLI client; st the engine's state (exit,
 * OOM, start and finish times). Else a negative SR_E* code, *out_phase
 * ("create", "start", "collect", "run") names the step that failed and err
 * the engine's message. res is always initialised (proc_result_release). */
int run_api_launch(struct proc_result *res, struct engine_state *st, const char **out_phase,
		   const struct run_api_in *in, struct sr_err *err);

/* run_api_launch in two halves (create-ahead): the container created and
 * attached while another run runs, then started and waited for. On
 * failure *out may still be set (created, not attached): free it with
 * run_api_pre_free; the container itself is the caller's to remove, by
 * name, as after any run. run_api_run takes pre (freed in every case). */
struct run_api_pre;
int run_api_create(struct run_api_pre **out, const char **out_phase, const struct run_api_in *in,
		   struct sr_err *err);
int run_api_run(struct proc_result *res, struct engine_state *st, const char **out_phase,
		const struct run_api_in *in, struct run_api_pre *pre, struct sr_err *err);
void run_api_pre_free(struct run_api_pre *pre);

#endif
