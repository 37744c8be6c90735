/* Warm containers (spec `isolation: harness`): one container serves every
 * payload and repeat of a harness, one run after another, and between two
 * runs the runner restores what a fresh container would give: no process
 * of the previous run (sr-idle reset kills all but the idle PID 1), empty
 * /tmp and /dev/shm, no SysV IPC object, a fresh copy of the workdir at
 * /work, the run's own payload and environment. A run that times out, hits
 * the memory limit or leaves something the reset cannot remove ends the
 * container; the next run gets a fresh one.
 *
 * Only harnesses without listeners qualify (network none or open): the OOB
 * and stub listeners are per run, tied to the run's token. The others, and
 * every harness when the sr-idle helper is not installed, run one
 * container per run as before. */
#ifndef SR_WARM_H
#define SR_WARM_H

#include "runner/exec/runner.h"
#include "runner/spec/spec.h"
#include "runner/plan/workdir.h"

struct warm {
	char *name;	   /* the container serving runs; NULL when none is up */
	struct workdir wd; /* its /work and payload file */
	long oom_kills;	   /* the memory cgroup's OOM-kill count after the last reset */
	const struct engine *engine;
	bool retired; /* stopped after a run that ended it; removed before the next */
};

#define WARM_INIT                                                                                  \
	{                                                                                          \
		0                                                                                  \
	}

/* Whether the runs of s share a warm container: s->warm, no listeners,
 * and the helper found (next to the sandrun binary, or $SANDRUN_HELPER_DIR). */
bool warm_wanted(const struct spec *s);

/* Before a run: a container for s is up (started as name when none is)
 * with a fresh copy of the workdir at /work and payload at
 * /sandrun/payload. *reused: an earlier run used this container. */
int warm_prepare(bool *reused, struct warm *w, struct runner *r, const struct spec *s,
		 const char *image, const char *name, const char *payload, struct sr_err *err);

/* Run s's command in the container with env ("KEY=value", through an env
 * file) and p's value as SANDRUN_PAYLOAD to completion or timeout_ms (then the container is killed:
 * the exec'd processes do not die with the client). The exec argv goes to repro. Fails only when
 * the client could not be run. */
int warm_exec(struct proc_result *res, struct strvec *repro, struct warm *w, struct runner *r,
	      const struct spec *s, const struct payload *p, const struct strvec *env,
	      uint64_t timeout_ms, struct sr_err *err);

/* After a run: take the reset's status line off res->err (or reset now when
 * the run did not let it report); *oom when the run hit the memory limit.
 * Ends the container when the run timed out, hit the limit, or the reset
 * failed. SR_EFAIL when the container was gone before the reset (the run's
 * result is not trustworthy unless it was an OOM). */
int warm_after(bool *oom, struct warm *w, struct runner *r, struct proc_result *res, bool timed_out,
	       struct sr_err *err);

/* Remove the container (unless keep) and its directory. */
void warm_end(struct warm *w, struct runner *r);

/* The engine argv that starts the idle container, from the argv of an
 * ordinary run (runargs_build): detached, no --init (sr-idle is PID 1),
 * helper mounted read-only and the entry point, no command. Pure. */
void warm_create_argv(struct strvec *out, const struct strvec *run_argv, const char *helper);

#endif
