/* The run-argument builder: from a spec, a payload and the paths the runner
 * prepared, the exact engine argv of one run. Pure: no I/O, unit-tested. */
#ifndef SR_RUNARGS_H
#define SR_RUNARGS_H

#include "runner/engine/engine_api.h"
#include "runner/spec/spec.h"

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
	/* Host file with the container's environment (runargs_env_file), read
	 * by the engine client: values never reach argv or the client's own
	 * environment. NULL: none. */
	const char *env_file;
	const char *runtime;	  /* --runtime (walls.h); NULL: the engine's default */
	const char *seccomp_file; /* --security-opt seccomp=FILE; NULL: the engine's default */
	const char *seccomp_json; /* the same profile's text, for the API route */
	/* What a warm container's create sets (warm.c); zero for a run. The
	 * CLI argv, the API request and `explain` all read these fields. */
	bool detach;			 /* `run -d` (CLI); the API route starts it itself */
	bool no_init;			 /* no --init: the entry point is PID 1 */
	const char *entrypoint;		 /* --entrypoint, or NULL: the image's */
	char *const *cmd;		 /* NULL-terminated, or NULL: the spec's command */
	const char *user;		 /* --user, or NULL: SR_CONTAINER_USER */
	const char *const *cap_add;	 /* NULL-terminated, added after --cap-drop=ALL */
	const struct eapi_mount *mounts; /* extra bind mounts, after the run's own */
	size_t nmounts;
};

/* Append the engine argv of a `run` (starting with engine_bin) to out. */
void runargs_build(struct strvec *out, const struct run_plan *p);

/* Storage behind the pointers of a run's create request. */
struct runargs_store {
	struct eapi_label labels[3];
	struct eapi_mount *mounts;
	struct strvec strs;  /* formatted values the request points to */
	struct strvec entry; /* the entry point as an argv */
};

/* The engine API route's create request of the run runargs_build renders
 * as `run` argv: the same plan, flag for flag (the mapping is in
 * engine_api.h), so `explain` and the API route cannot drift. env
 * ("KEY=value", NULL-terminated) travels in the request body where the CLI
 * route uses p->env_file. out points into p, env and store; release store
 * with runargs_store_release. */
void runargs_create_opts(struct eapi_create_opts *out, struct runargs_store *store,
			 const struct run_plan *p, char *const *env);
void runargs_store_release(struct runargs_store *store);

/* A container (or network) name part: [a-zA-Z0-9_.-] kept, others '-'. */
void runargs_sanitize(struct strbuf *out, const char *s, size_t max);

/* The container environment every run gets (DESIGN §5), network aside, as
 * "KEY=value" entries in the order the container sees them (a later entry
 * wins): HOME=/tmp, the spec's env, then the SANDRUN_* run variables. */
void runargs_base_env(struct strvec *out, const struct spec *s, const struct payload *p,
		      const char *run_id, const char *token);

/* The whole environment of one run, the one builder of cold runs, warm
 * runs and `explain`: runargs_base_env, SANDRUN_REPEAT (1-based) and the
 * network plan's entries (net_env, may be NULL). SANDRUN_PAYLOAD is not in
 * it (runargs_payload_env). */
void runargs_run_env(struct strvec *out, const struct spec *s, const struct payload *p,
		     const char *run_id, const char *token, unsigned repeat,
		     const struct strvec *net_env);

/* SANDRUN_PAYLOAD cannot go in an env file (a payload may hold newlines): it
 * is the one variable the engine client passes on from its own environment
 * (`-e SANDRUN_PAYLOAD`). Appends "SANDRUN_PAYLOAD=value" for that
 * environment. */
#define RUNARGS_PAYLOAD_VAR "SANDRUN_PAYLOAD"
void runargs_payload_env(struct strvec *out, const struct payload *p);

/* Render env ("KEY=value" entries) as the text of an --env-file that docker
 * and podman both read back verbatim: one entry a line, nothing quoted or
 * expanded. SR_EINVAL for what that format cannot carry: a newline or a
 * trailing carriage return in a value, a line longer than the 64 KiB the
 * engines' line reader accepts. */
int runargs_env_file(struct strbuf *out, const struct strvec *env, struct sr_err *err);

#endif
