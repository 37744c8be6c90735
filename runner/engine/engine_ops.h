/* One engine interface: what the runs, the reaper, warm containers and
 * network set-up ask of the engine, behind an ops table chosen once per
 * invocation (engine_route_open, from runner_start): the engine's CLI
 * client, or its API over the unix socket. Both tables take the same data
 * (names, a network as struct engine_net) and fill the same results
 * (struct engine_state); no caller asks which route it is on.
 *
 * Left on the CLI on both routes, and said so here: pulls and image
 * inspection (imgcache), `exec` into a warm container, podman's network
 * inspection, gc's label sweep; the API route is docker's only. */
#ifndef SR_ENGINE_OPS_H
#define SR_ENGINE_OPS_H

#include "runner/engine/engine.h"

struct eapi;
struct engine_route;

/* A run's network as data: the CLI renders it (engine_net_args, shown by
 * explain), the API sends it as a create request. Internal (no route out),
 * labelled sandrun.run and sandrun.owner; on docker its bridge is named
 * like the network, so the firewall can name it. */
struct engine_net {
	const char *name;
	const char *run_id, *owner;
};

struct engine_ops {
	const char *name; /* "cli" | "api" */
	/* The container's state. SR_EFAIL when there is no such container. */
	int (*inspect)(struct engine_state *out, const struct engine_route *r, const char *name,
		       struct sr_err *err);
	/* SIGKILL; a container that is not running is fine. */
	int (*kill)(const struct engine_route *r, const char *name, struct sr_err *err);
	/* Remove containers (network false: forced, with volumes) or networks,
	 * NULL-terminated names; names already gone are fine. */
	int (*remove)(const struct engine_route *r, const char *const *names, bool network,
		      struct sr_err *err);
	int (*network_create)(const struct engine_route *r, const struct engine_net *n,
			      struct sr_err *err);
};

struct engine_route {
	const struct engine_ops *ops;
	const struct engine *e; /* the CLI, always there */
	struct eapi *api;	/* the API client: NULL on the CLI route */
};

extern const struct engine_ops engine_cli_ops, engine_api_ops;

/* Choose the route once: the API when it can be trusted to be the same
 * daemon the CLI talks to, else the CLI. Not the API when
 * SANDRUN_ENGINE_API is "0" or "off", the engine is not plain `docker`
 * (podman, or a path given), DOCKER_CONTEXT is set, the socket does not
 * answer, or it answers with another server version than the CLI probe saw.
 * The route taken is logged at debug level. */
/* The server version over the engine's socket, no client process: only
 * for plain docker whose CLI would use the default socket too (no
 * DOCKER_CONTEXT, no current context in its config, SANDRUN_ENGINE_API not
 * off). 0 with e->version set, or -1: ask the CLI (engine_probe). */
int engine_probe_api(struct engine *e);
void engine_route_open(struct engine_route *out, const struct engine *e);
/* The CLI route over e (no API client): explain, gc, tests. */
void engine_route_cli(struct engine_route *out, const struct engine *e);
void engine_route_close(struct engine_route *r);

/* The CLI argv (without the binary) that creates n on e. */
void engine_net_args(struct strvec *out, const struct engine *e, const struct engine_net *n);

#endif
