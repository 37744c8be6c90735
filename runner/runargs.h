/* The run-argument builder: from a spec, a payload and the paths the runner
 * prepared, the exact engine argv of one run. Pure: no I/O, unit-tested. */
#ifndef SR_RUNARGS_H
#define SR_RUNARGS_H

#include "spec.h"

#define SR_CONTAINER_USER "65534:65534"

struct run_plan {
	const char *engine_bin; /* argv[0] */
	bool podman;
	const struct spec *spec;
	const char *image;	  /* reference to run */
	const char *name;	  /* container name */
	const char *run_id;	  /* label sandrun.run and SANDRUN_RUN_ID */
	const char *owner;	  /* label sandrun.owner: host/pid/start time */
	const char *work_dir;	  /* host directory mounted at /work */
	const char *payload_file; /* host file mounted read-only at /sandrun/payload */
	const char *resolv_conf;  /* host file mounted at /etc/resolv.conf, or NULL */
	const char *network;	  /* engine network for oob/stubs, else NULL */
	/* Environment for the container: "KEY=value" entries. They reach the
	 * engine through the client's environment (`-e KEY`), never argv. */
	const struct strvec *env;
};

/* Append the engine argv of a `run` (starting with engine_bin) to argv. */
void runargs_build(struct strvec *argv, const struct run_plan *p);

/* A container (or network) name part: [a-zA-Z0-9_.-] kept, others '-'. */
void runargs_sanitize(struct strbuf *out, const char *s, size_t max);

/* Render argv as one shell-quoted line (for explain and logs). */
void runargs_quote(struct strbuf *out, char *const *argv);

#endif
