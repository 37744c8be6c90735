/* The container engine adapter: the docker (or podman) CLI, every call from
 * an argv with a deadline, /dev/null stdin and stderr captured into the error
 * cause. Nothing else in sandrun spawns the engine. */
#ifndef SR_ENGINE_H
#define SR_ENGINE_H

#include "../lib/proc.h"
#include "../lib/util.h"

/* Per-phase deadlines (ms). */
#define ENGINE_TMO_QUICK  30000	 /* inspect, version, rm, kill, network */
#define ENGINE_TMO_PULL	  600000 /* pull */
#define ENGINE_TMO_CREATE 120000 /* create/start before the run deadline applies */

struct engine {
	char *bin;  /* "docker", "podman" or a path */
	char *name; /* "docker" | "podman" | the path given */
	bool podman;
	char *version; /* the server version, after engine_probe */
	char **envp;   /* the environment engine clients get (owned) */
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
int engine_call(const struct engine *e, const char *const *args, uint64_t timeout_ms,
		struct strbuf *out, struct sr_err *err);

/* Whether ref is present locally (image inspect). SR_EENGINE when the engine
 * itself failed (not just "no such image"). */
int engine_image_present(const struct engine *e, const char *ref, bool *present,
			 struct sr_err *err);
int engine_pull(const struct engine *e, const char *ref, struct sr_err *err);
/* The repo digest (sha256:...) the local image for ref was pulled by, for the
 * repository of ref; SR_EFAIL when none is recorded. */
int engine_repo_digest(const struct engine *e, const char *ref, char **digest, struct sr_err *err);

/* Best effort: kill and remove a container by name, bounded in time. */
void engine_kill_rm(const struct engine *e, const char *name);
void engine_rm(const struct engine *e, const char *name);
void engine_network_rm(const struct engine *e, const char *name);

/* Build the environment for engine clients: the runner's PATH/HOME and engine
 * connection variables only, plus the extra "KEY=value" entries. Caller
 * frees with strvec_clear. */
void engine_child_env(const struct engine *e, struct strvec *out, const struct strvec *extra);

#endif
