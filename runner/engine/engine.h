/* The container engine adapter: the docker (or podman) CLI, every call from
 * an argv with a deadline, /dev/null stdin and stderr captured into the error
 * cause. Nothing else in sandrun spawns the engine. */
#ifndef SR_ENGINE_H
#define SR_ENGINE_H

#include "lib/proc.h"
#include "lib/util.h"

/* Per-phase deadlines (ms). */
#define ENGINE_TMO_QUICK  30000	 /* inspect, version, rm, kill, network */
#define ENGINE_TMO_PULL	  600000 /* pull */
#define ENGINE_TMO_CREATE 120000 /* create/start before the run deadline applies */

struct engine {
	char *bin;  /* "docker", "podman" or a path */
	char *name; /* "docker" | "podman" | the path given */
	bool podman;
	char *version;		  /* the server version, after engine_probe */
	char **envp;		  /* the environment engine clients get (owned) */
	uint64_t pull_timeout_ms; /* deadline of one pull; 0: ENGINE_TMO_PULL */
};

/* Choose the engine: choice (--engine) or $SANDRUN_ENGINE, else docker if on
 * PATH, else podman. Does not contact it. */
int engine_init(struct engine *e, const char *choice, struct sr_err *err);
/* Ask the engine for its server version; SR_EENGINE with a hint on how to
 * start it when it cannot be reached. */
int engine_probe(struct engine *e, struct sr_err *err);
void engine_release(struct engine *e);

/* Run `<bin> args...`; 0 when it exited 0, else SR_EFAIL with the engine's
 * own stderr (trimmed) as the message. out (may be NULL) gets stdout. */
int engine_call(struct strbuf *out, const struct engine *e, const char *const *args,
		uint64_t timeout_ms, struct sr_err *err);

/* *out: whether ref is present locally (image inspect). SR_EENGINE when the engine
 * itself failed (not just "no such image"). */
int engine_image_present(bool *out, const struct engine *e, const char *ref, struct sr_err *err);
int engine_pull(const struct engine *e, const char *ref, struct sr_err *err);
/* *out: the repo digest (sha256:...) the local image for ref was pulled by, for the
 * repository of ref; SR_EFAIL when none is recorded. */
int engine_repo_digest(char **out, const struct engine *e, const char *ref, struct sr_err *err);

void engine_rm(const struct engine *e, const char *name);
void engine_network_rm(const struct engine *e, const char *name);

/* The environment every engine client gets: the runner's PATH/HOME and the
 * engine connection variables, nothing else. A container's variables never
 * travel here (they go in an --env-file): a spec must not set LD_PRELOAD,
 * PATH or DOCKER_HOST for a process on the host. Caller frees with
 * strvec_clear. */
void engine_child_env(struct strvec *out, const struct engine *e);

/* What `container inspect` says about a finished container. */
struct engine_state {
	char status[32]; /* "exited", "created", ... */
	int exit_code;	 /* -1 when not reported */
	bool oom;
	uint64_t started_ms, finished_ms; /* ms since the epoch; 0 when unknown */
	char error[1024];		  /* the engine's State.Error, often empty */
};

/* Inspect container name. SR_EFAIL (the engine's message) when there is no
 * such container or the engine failed. */
int engine_inspect_state(struct engine_state *out, const struct engine *e, const char *name,
			 struct sr_err *err);

/* The first gateway address of network name. SR_EFAIL when it has none. */
int engine_network_gateway(char **out, const struct engine *e, const char *name,
			   struct sr_err *err);

#endif
