/* The control channel between sandrun and the PID 1 of a warm container
 * (sr-idle serve): one connected unix stream socket, which the host listens
 * on in a directory it bind-mounts at IDLE_CTL_IN, accepts exactly once
 * (from the container's PID 1, checked by SO_PEERCRED) and unlinks. Only
 * PID 1 ever holds the other end: it never passes it to a payload, and it
 * runs as IDLE_UID, out of the payload's reach (no signal, no ptrace, no
 * /proc/1/fd).
 *
 * Every message is a struct idle_hdr and len bytes of body.
 *   PID 1 -> host  IDLE_HELLO  (no body) ready for a run.
 *   host -> PID 1  IDLE_RUN    struct idle_run, then argc and envc
 *                              NUL-terminated strings; SCM_RIGHTS carries
 *                              the run's stdout and stderr (write ends of
 *                              the host's pipes).
 *   host -> PID 1  IDLE_KILL   (no body) end the current run now.
 *   PID 1 -> host  IDLE_STATUS struct idle_status, sent only after the
 *                              reset: every process but PID 1 gone, every
 *                              writable mount but /work emptied, SysV IPC
 *                              removed.
 * Both ends are on one machine: native byte order. */
#ifndef SR_IDLE_PROTO_H
#define SR_IDLE_PROTO_H

#include <stdint.h>

#define IDLE_HELPER_IN "/sandrun/sr-idle"
#define IDLE_CTL_IN    "/sandrun/ctl"
#define IDLE_SOCK_NAME "sock"
/* PID 1's own uid and gid: neither the run's nor root. */
#define IDLE_UID 65533

#define IDLE_MAGIC    0x31495253u /* "SRI1" */
#define IDLE_HELLO    1u
#define IDLE_RUN      2u
#define IDLE_KILL     3u
#define IDLE_STATUS   4u
#define IDLE_BODY_MAX (32u << 20)

struct idle_hdr {
	uint32_t magic, type, len;
};

struct idle_run {
	uint32_t timeout_ms; /* from the payload's fork; 0: none */
	uint32_t argc, envc;
};

struct idle_status {
	int32_t code;	   /* exit status, 128+N for signal N, 127/126: exec failed */
	int32_t timed_out; /* PID 1 killed the run at its deadline */
	int32_t killed;	   /* IDLE_KILL ended it */
	int32_t reset_ok;  /* the reset found nothing left */
	uint64_t run_us;   /* fork to the payload's exit (or kill) */
	char why[240];	   /* what the reset could not remove; "" when ok */
};

#endif
