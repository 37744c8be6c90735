/* The host's end of a warm container's control channel (protocol:
 * runner/helper/idle_proto.h) and the checks the host makes from outside
 * the container: its PID 1 is who connected, and between two payloads its
 * cgroup holds PID 1 and nothing else. */
#ifndef SR_WARMCTL_H
#define SR_WARMCTL_H

#include "lib/proc.h"
#include "runner/helper/idle_proto.h"

struct warmctl {
	int listen_fd, fd;
	char *dir;	/* host directory bind-mounted at IDLE_CTL_IN */
	char *sock;	/* its socket, unlinked once PID 1 connected */
	int pid1;	/* PID 1's pid on the host */
	char *procs;	/* the container's cgroup.procs (host path) */
	char *oom_file; /* memory.oom_control (v1) or memory.events (v2) */
};

#define WARMCTL_INIT                                                                               \
	{                                                                                          \
		.listen_fd = -1, .fd = -1                                                          \
	}

/* Create dir (<run_dir>/ctl: as root owned by IDLE_UID, 0700) and listen on
 * its socket. */
int warmctl_listen(struct warmctl *c, const char *run_dir, bool is_root, struct sr_err *err);

/* Accept the one connection the channel ever takes and unlink the socket:
 * it must come from PID 1 of the container whose cgroup path names id, and
 * say hello, within timeout_ms. Fills pid1, procs, oom_file. */
int warmctl_accept(struct warmctl *c, const char *id, uint64_t timeout_ms, struct sr_err *err);

struct warmctl_run {
	char *const *argv, *const *env; /* NULL-terminated; env overrides the image's */
	uint32_t timeout_ms;		/* PID 1 kills the payload at this deadline */
	uint64_t backstop_ms;		/* no status by then: give up (timed_out) */
	size_t out_cap;			/* bytes kept per stream, the tail */
};

/* Have PID 1 run one payload with the host's pipes as its stdout/stderr;
 * on sr_interrupted ask it to kill the run. res gets the output tails and
 * timing; *have_status whether PID 1's status (after its reset) arrived,
 * then in *st. Fails only when the request could not be sent. */
int warmctl_run(struct proc_result *res, struct idle_status *st, bool *have_status,
		struct warmctl *c, const struct warmctl_run *in, struct sr_err *err);

/* From the host: the container's cgroup holds PID 1 and no other process. */
int warmctl_verify(const struct warmctl *c, struct sr_err *err);

/* The container's memory cgroup OOM-kill count, read from the host; -1
 * when unknown. */
long warmctl_oom_kills(const struct warmctl *c);

/* Close the channel (PID 1 then kills what is left and exits) and free. */
void warmctl_close(struct warmctl *c);

#endif
