/* Executing runs: one run is one container (harness x payload x repeat), from
 * a fresh copy of the workdir to a verdict record, with every object it
 * created removed afterwards. The scheduler spreads runs over -j workers. */
#ifndef SR_RUN_H
#define SR_RUN_H

#include <pthread.h>

#include "catalogue/catalogue.h"
#include "runner/engine/engine.h"
#include "runner/engine/imgcache.h"
#include "runner/exec/runner.h"
#include "runner/verdict/record.h"
#include "runner/spec/spec.h"

struct warm;

struct run_job {
	const struct spec *spec;
	size_t payload;
	unsigned repeat;
	unsigned seq; /* 1-based, unique in this invocation */
	struct record rec;
	bool started, done;
	struct warm *warm; /* isolation: harness: the worker's warm container (warm.h) */
};

/* Execute one run and fill job->rec. Never fails: problems become an
 * `error` record with a phase and the engine's own message. */
void run_one(struct runner *r, struct run_job *job);

/* Fill job->rec for a run that never started (spec or catalogue problem,
 * or an interrupt). */
void run_error_record(struct runner *r, struct run_job *job, const char *phase, const char *cause);

/* Run every job with r->jobs workers; stops handing out jobs once
 * sr_interrupted is set (those get an `error` record). */
void run_all(struct runner *r, struct run_job *jobs, size_t n,
	     void (*on_done)(struct run_job *job, void *ctx), void *ctx);

/* The name a container of this job gets. Caller frees. */
char *run_container_name(const struct runner *r, const struct run_job *job);

/* The lines `explain` prints for a job, without running anything: the
 * same plan values run_one executes (engine argv, network objects,
 * listeners, firewall rules, the names in the env file). */
void run_explain(struct strbuf *out, struct runner *r, struct run_job *job);

#endif
