#include "runner/exec/run_api.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runner/engine/cgroup_oom.h"

struct run_api_pre {
	char *id;
	struct cgoom *cg;
	struct eapi_run *run; /* attached, not started */
};

void run_api_pre_free(struct run_api_pre *pre)
{
	if (!pre)
		return;
	eapi_run_abort(pre->run);
	cgoom_free(pre->cg);
	free(pre->id);
	free(pre);
}

static void res_init(struct proc_result *res, struct engine_state *st)
{
	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	strbuf_init(&res->out);
	strbuf_init(&res->err);
	memset(st, 0, sizeof(*st));
	st->exit_code = -1;
}

int run_api_create(struct run_api_pre **out, const char **out_phase, const struct run_api_in *in,
		   struct sr_err *err)
{
	struct eapi_run_opts ro = {
	    .timeout_ms = in->kill_ms, .out_cap = in->out_cap, .interruptible = true};
	struct eapi_create_opts o;
	struct runargs_store store;
	struct run_api_pre *pre;
	char *id = NULL;
	int rc;

	*out = NULL;
	*out_phase = "run";
	if (sr_interrupted)
		return sr_err_set(err, SR_EFAIL, "interrupted by signal %d", (int)sr_interrupted);
	*out_phase = "create";
	runargs_create_opts(&o, &store, in->plan, in->env);
	rc = eapi_create(&id, in->api, &o, err);
	runargs_store_release(&store);
	if (rc)
		return rc;
	*out = pre = xcalloc(1, sizeof(*pre));
	pre->id = id;
	/* The kernel's count of OOM kills in the container's memory cgroup,
	 * watched from before the start (cgroup_oom.h); the engine's flag is
	 * the second witness. */
	if (!in->plan->runtime)
		pre->cg = cgoom_open(id, true);
	*out_phase = "start";
	return eapi_run_attach(&pre->run, in->api, id, &ro, err);
}

/* Start, wait; res gets what the CLI client's proc_run would. */
static int run_container(struct proc_result *res, const char **phase, struct run_api_pre *pre,
			 struct sr_err *err)
{
	struct eapi_run_result rr;
	int rc;

	*phase = "start";
	if ((rc = eapi_run_start(pre->run, err)) < 0)
		return rc;
	/* Another runtime than runc takes a cgroup made before it as set up
	 * by someone else (runsc then sets no memory limit): watch the one it
	 * made, from just after the start. */
	if (!pre->cg)
		pre->cg = cgoom_open(pre->id, false);
	*phase = "collect";
	rc = eapi_run_finish(&rr, pre->run, err);
	pre->run = NULL;
	strbuf_release(&res->out);
	strbuf_release(&res->err);
	res->out = rr.out;
	res->err = rr.err;
	res->out_total = rr.out_total;
	res->err_total = rr.err_total;
	res->exit_code = rr.exit_code;
	res->timed_out = rr.timed_out;
	res->cancelled = rr.cancelled;
	res->duration_ms = rr.duration_ms;
	return rc;
}

/* A container that died by SIGTERM or a plain SIGKILL the runner did not
 * send may have been stopped by the engine shutting down (dockerd stops its
 * containers on the way out): that is the engine failing, not the harness.
 * Watch the engine for a moment; if it goes away, the run is an error. */
static int engine_still_there(struct eapi *api, struct sr_err *err)
{
	for (int i = 0; i < 15; i++) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		struct sr_err e2 = SR_ERR_INIT;
		char *ver = NULL;
		if (eapi_version(&ver, api, &e2) < 0)
			return sr_err_set(err, SR_EENGINE,
					  "the engine stopped during the run (its shutdown "
					  "stopped the container): %s",
					  e2.msg);
		free(ver);
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* After the wait: the engine's state and the OOM witnesses. */
static int collect_state(struct engine_state *st, const struct proc_result *res,
			 const struct run_api_in *in, struct run_api_pre *pre, struct sr_err *err)
{
	/* A SIGKILL the runner sent (deadline, interrupt) is not ambiguous:
	 * no wait for a late OOM signal when the kernel's counter is there. */
	bool ours = res->timed_out || res->cancelled, counted = false;
	int rc = eapi_inspect_state(st, in->api, pre->id, err);

	if (!rc && strcmp(st->status, "running")) {
		counted = pre->cg != NULL;
		st->oom = cgoom_finish(pre->cg, st->exit_code == 137 && !ours) || st->oom;
		pre->cg = NULL;
	}
	/* The daemon handles the OOM event and the exit event apart: right
	 * after the wait returns, a memory-limit kill (137) may not be marked
	 * yet (on a loaded machine it took over 300 ms). Ask again for up to 1 s
	 * before calling it a plain SIGKILL, unless the runner killed it and
	 * the kernel's own count says no OOM. */
	for (int i = 0; !rc && st->exit_code == 137 && !st->oom && !(ours && counted) && i < 20;
	     i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
		rc = eapi_inspect_state(st, in->api, pre->id, err);
	}
	return rc;
}

int run_api_run(struct proc_result *res, struct engine_state *st, const char **out_phase,
		const struct run_api_in *in, struct run_api_pre *pre, struct sr_err *err)
{
	int rc;

	res_init(res, st);
	*out_phase = "run";
	if (sr_interrupted) {
		run_api_pre_free(pre);
		return sr_err_set(err, SR_EFAIL, "interrupted by signal %d", (int)sr_interrupted);
	}
	rc = run_container(res, out_phase, pre, err);
	if (!rc) {
		*out_phase = "collect";
		rc = collect_state(st, res, in, pre, err);
	}
	if (!rc && !res->timed_out && !res->cancelled &&
	    (st->exit_code == 143 || (st->exit_code == 137 && !st->oom))) {
		*out_phase = "run";
		rc = engine_still_there(in->api, err);
	}
	run_api_pre_free(pre);
	return rc;
}

int run_api_launch(struct proc_result *res, struct engine_state *st, const char **out_phase,
		   const struct run_api_in *in, struct sr_err *err)
{
	struct run_api_pre *pre = NULL;
	int rc;

	res_init(res, st);
	rc = run_api_create(&pre, out_phase, in, err);
	if (rc) {
		run_api_pre_free(pre);
		return rc;
	}
	return run_api_run(res, st, out_phase, in, pre, err);
}
