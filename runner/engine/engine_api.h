/* The engine API adapter: Docker Engine API v1.41 (docker >= 20.10, and the
 * compatible API Podman serves through `podman system service`) spoken over
 * the engine's unix socket, with no client process per call. Every request
 * has a deadline. Errors: SR_EENGINE when the socket cannot be reached,
 * SR_ETIMEOUT when a deadline passed, SR_EFAIL with the engine's own
 * message (its JSON "message" field) for anything the engine refused.
 *
 * Thread-safe: one struct eapi is shared by all workers; each call borrows a
 * connection (a libcurl handle, kept alive) from a small pool. libcurl is an
 * implementation detail: none of its types appear here. */
#ifndef SR_ENGINE_API_H
#define SR_ENGINE_API_H

#include "lib/util.h"
#include "runner/engine/engine.h"

#define EAPI_VERSION	"v1.41"
#define EAPI_TMO_QUICK	30000  /* inspect, version, kill, remove, network, start */
#define EAPI_TMO_CREATE 120000 /* create */

struct eapi;

/* The socket to use when none is given: DOCKER_HOST (unix://PATH) or
 * /var/run/docker.sock; for podman $XDG_RUNTIME_DIR/podman/podman.sock when
 * it exists, else /run/podman/podman.sock. Caller frees. A DOCKER_HOST that
 * is not unix:// is SR_EINVAL (only unix sockets are spoken). */
int eapi_default_socket(char **out, bool podman, struct sr_err *err);

/* Prepare a client for the engine at socket_path (NULL: the default for
 * docker). Does not contact the engine: eapi_version() does. */
int eapi_open(struct eapi **out, const char *socket_path, struct sr_err *err);
void eapi_close(struct eapi *e); /* NULL-safe; no call may be in flight */

/* GET /version: the server's Version (e.g. "20.10.24+dfsg1"); caller frees. */
int eapi_version(char **out, struct eapi *e, struct sr_err *err);

struct eapi_label {
	const char *key, *value;
};

struct eapi_mount { /* always a bind mount */
	const char *source, *target;
	bool readonly;
};

/* Everything a `docker run` of runner/runargs.c sets, as the JSON body of
 * POST /containers/create?name=NAME. Zero/NULL fields are left out, so the
 * engine's default applies. The mapping (CLI flag -> JSON):
 *   --name                  name (query parameter)
 *   --label k=v             Labels {k: v}
 *   IMAGE, CMD              Image, Cmd; Entrypoint when entrypoint is set
 *   --env / -e              Env ["K=v"]: in the request body, never on a
 *                           command line (HOME=/tmp goes in env too)
 *   --user                  User
 *   --workdir               WorkingDir
 *   (attach stdout/stderr)  AttachStdout/AttachStderr true, AttachStdin,
 *                           OpenStdin and Tty false (output is multiplexed)
 *   --init                  HostConfig.Init
 *   --read-only             HostConfig.ReadonlyRootfs
 *   --cap-drop=ALL          HostConfig.CapDrop ["ALL"]
 *   --cap-add=CAP           HostConfig.CapAdd ["CAP"]
 *   --entrypoint=PATH       Entrypoint [PATH]
 *   --security-opt=no-new-privileges  HostConfig.SecurityOpt
 *   --memory/--memory-swap  HostConfig.Memory / MemorySwap (bytes)
 *   --cpus                  HostConfig.NanoCpus (cpus * 1e9)
 *   --pids-limit            HostConfig.PidsLimit
 *   --tmpfs /tmp:...        HostConfig.Tmpfs {"/tmp": "rw,nosuid,nodev,size=N,mode=1777"}
 *   --mount type=bind,...   HostConfig.Mounts [{Type: bind, Source, Target, ReadOnly}]
 *   --network               HostConfig.NetworkMode ("none", "bridge", a name)
 *   --log-driver=none       HostConfig.LogConfig {Type: "none"}
 *   --ulimit=core=0         HostConfig.Ulimits [{Name: core, Soft: 0, Hard: 0}]
 *   --pull=never            nothing: the API's create never pulls (the CLI
 *                           pulls on a 404 itself); a missing image is a
 *                           SR_EFAIL "No such image" */
struct eapi_create_opts {
	const char *name;  /* NULL: the engine picks one */
	const char *image; /* required */
	char *const *cmd;  /* NULL-terminated; NULL: the image's */
	char *const *entrypoint;
	char *const *env; /* NULL-terminated "KEY=value" */
	const struct eapi_label *labels;
	size_t nlabels;
	const char *user;
	const char *working_dir;
	bool init, read_only, cap_drop_all, no_new_privileges;
	const char *const *cap_add;   /* NULL-terminated, or NULL */
	uint64_t memory, memory_swap; /* bytes */
	double cpus;
	long pids;
	uint64_t tmp_size; /* tmpfs at /tmp of this size; 0: none */
	const struct eapi_mount *mounts;
	size_t nmounts;
	const char *network_mode;
	bool log_none;
	bool core_ulimit_zero;	  /* leave false on podman (see runargs.c) */
	const char *runtime;	  /* HostConfig.Runtime (--runtime); NULL: the default */
	const char *seccomp_json; /* a seccomp profile's text (--security-opt seccomp=); NULL */
};

/* The JSON body of the create request (pure; for tests and explain). */
void eapi_create_body(struct strbuf *out, const struct eapi_create_opts *o);

/* POST /containers/create; *out_id (caller frees) is the container id. */
int eapi_create(char **out_id, struct eapi *e, const struct eapi_create_opts *o,
		struct sr_err *err);

/* POST /containers/{id}/start. */
int eapi_start(struct eapi *e, const char *id, struct sr_err *err);
/* POST /containers/{id}/kill?signal=KILL. A container that is not running
 * (409) is success: what the caller wanted holds. */
int eapi_kill(struct eapi *e, const char *id, struct sr_err *err);
/* DELETE /containers/{id}?force=1&v=1. No such container (404) is success. */
int eapi_remove(struct eapi *e, const char *id, struct sr_err *err);

/* GET /containers/{id}/json, its State, as the CLI route reads it
 * (engine_inspect_state): one struct engine_state for both routes. */
int eapi_inspect_state(struct engine_state *out, struct eapi *e, const char *id,
		       struct sr_err *err);

/* GET /images/{ref}/json: whether ref is present locally (404 is false). */
int eapi_image_present(bool *out, struct eapi *e, const char *ref, struct sr_err *err);

/* POST /networks/create {Name, Internal, Labels, CheckDuplicate, Options}:
 * bridge (may be NULL) names the bridge (com.docker.network.bridge.name);
 * *out_id (may be NULL) gets the network id. */
int eapi_network_create(char **out_id, struct eapi *e, const char *name, bool internal,
			const struct eapi_label *labels, size_t nlabels, const char *bridge,
			struct sr_err *err);
/* DELETE /networks/{name}. No such network (404) is success. */
int eapi_network_remove(struct eapi *e, const char *name, struct sr_err *err);

/* One run of a created container: attach to its output before start (so no
 * byte is lost), start, wait, with the output drained concurrently. */
struct eapi_run;

struct eapi_run_opts {
	uint64_t timeout_ms; /* from the start call's return (the container runs); then
			      * the container is killed (0: none) */
	size_t out_cap;	     /* bytes kept per stream, the tail (0: 1 MiB) */
	/* Also inspect when the exit code is 137 (a SIGKILL, which an OOM kill
	 * is): the wait response does not say why. Other codes cannot be OOM. */
	bool check_oom;
	bool interruptible; /* stop (kill) when sr_interrupted is set */
};

struct eapi_run_result {
	int exit_code; /* the wait response's StatusCode; -1 when unknown */
	bool oom_killed, timed_out, cancelled;
	struct strbuf out, err;	       /* tails, at most out_cap bytes each */
	uint64_t out_total, err_total; /* bytes seen in all */
	uint64_t duration_ms;	       /* start request to exit seen */
};

/* Attach, then start; the wait request is posted right after. Returns once
 * the container was started; the caller may do other work (e.g. create the
 * next container) before eapi_run_finish(). On failure nothing is left to
 * finish (the container is left as it is: the caller removes it). */
int eapi_run_begin(struct eapi_run **out, struct eapi *e, const char *id,
		   const struct eapi_run_opts *o, struct sr_err *err);
/* eapi_run_begin in two halves, so that a container can be created and
 * attached ahead of its start (create-ahead): attach (its streams hooked,
 * nothing lost at the start), then start and post the wait. On a failed
 * start r is still the caller's (eapi_run_abort); eapi_run_abort frees an
 * attached run that is never finished (the container is the caller's). */
int eapi_run_attach(struct eapi_run **out, struct eapi *e, const char *id,
		    const struct eapi_run_opts *o, struct sr_err *err);
int eapi_run_start(struct eapi_run *r, struct sr_err *err);
void eapi_run_abort(struct eapi_run *r);
/* Drain the output and the wait until the container exited (killing it at
 * the deadline or on interruption), then free r. res is always initialised;
 * release it with eapi_run_result_release. Returns 0 when the exit code is
 * known (timed_out/cancelled runs included, after the kill). */
int eapi_run_finish(struct eapi_run_result *res, struct eapi_run *r, struct sr_err *err);
void eapi_run_result_release(struct eapi_run_result *res);

/* Demultiplexer of the attach stream (no TTY): frames of an 8-byte header
 * {stream, 0, 0, 0, size (u32 big endian)} then size bytes; stream 1 is
 * stdout, 2 stderr, 3 an engine error message. Frames may be split anywhere
 * across reads. Exposed for tests. */
struct eapi_demux {
	unsigned char hdr[8];
	size_t hdr_have;
	uint32_t left; /* payload bytes of the current frame still to come */
	int stream;
	bool bad; /* an unknown stream number: the rest is dropped */
	size_t cap;
	struct strbuf out, err, sys; /* tails of at most cap bytes */
	uint64_t out_total, err_total;
};
void eapi_demux_init(struct eapi_demux *d, size_t cap);
/* Between feeds a tail may hold up to 2*cap bytes (compaction is amortised);
 * eapi_demux_finish() trims each to its cap. */
void eapi_demux_feed(struct eapi_demux *d, const char *data, size_t n);
void eapi_demux_finish(struct eapi_demux *d);
void eapi_demux_release(struct eapi_demux *d);

/* Pure response parsers, exposed for tests. Each returns 0 or SR_EFAIL
 * naming what was missing. */
/* {"message": "..."} -> the message, else the body itself (trimmed, capped). */
void eapi_error_message(struct strbuf *out, const char *body, size_t len);
int eapi_parse_wait(int *out_code, const char *body, size_t len, struct sr_err *err);
int eapi_parse_state(struct engine_state *out, const char *body, size_t len, struct sr_err *err);

#endif
