/* Child processes: spawn from an argv (never a shell), stdin /dev/null or a
 * small given input, both
 * output streams captured with a cap (tail kept) through one poll() loop,
 * a CLOCK_MONOTONIC deadline, exit status and signal kept apart. */
#ifndef SR_PROC_H
#define SR_PROC_H

#include <poll.h>
#include <signal.h>

#include "lib/util.h"

/* Set by the SIGINT/SIGTERM handler to the signal number; every proc loop
 * watches it and treats a non-zero value as cancellation. */
extern volatile sig_atomic_t sr_interrupted;

struct proc_opts {
	char *const *argv;
	char *const *envp;   /* NULL: the runner's own environment */
	uint64_t timeout_ms; /* 0: no deadline */
	size_t out_cap;	     /* bytes kept per stream (the tail); 0: 1 MiB */
	/* Called once when the deadline passes or sr_interrupted is set, before
	 * the child is killed: lets the caller stop what the child started (the
	 * engine client does not stop its container when killed). */
	void (*on_abort)(void *ctx);
	/* Called when the deadline passes, before any abort: the ms more the
	 * child may take (the deadline moves), or 0 to abort now. Lets a
	 * caller count the deadline from a moment only it can learn (the
	 * engine client's container starting). NULL: abort at once. */
	uint64_t (*on_deadline)(void *ctx);
	void *ctx;
	uint64_t abort_grace_ms; /* after on_abort, wait this long before SIGKILL (default 10 s) */
	bool interruptible;	 /* abort when sr_interrupted is set (cleanup calls are not) */
	const char *cwd;	 /* the child's working directory; NULL: the runner's */
	/* The child's standard input (at most 64 KiB, written to a pipe before
	 * it starts: credential helpers read a server URL); NULL: /dev/null. */
	const char *input;
	size_t input_len;
};

struct proc_result {
	int exit_code; /* -1 when killed by a signal */
	int signal;    /* 0 when it exited */
	bool timed_out;
	bool cancelled;
	struct strbuf out, err;	       /* tails, at most out_cap bytes each */
	uint64_t out_total, err_total; /* bytes seen in all */
	uint64_t duration_ms;
};

/* Run argv[0] (PATH lookup) to completion. Returns 0 when the child ran
 * (whatever its status), SR_EFAIL when it could not be started (err says why,
 * e.g. "cannot run 'docker': No such file or directory"). res is always
 * initialised; release it with proc_result_release. */
int proc_run(const struct proc_opts *o, struct proc_result *res, struct sr_err *err);
/* The poll proc_run calls: a seam for the unit test of its error path
 * (the child killed and reaped, every fd closed, SR_EFAIL). */
extern int (*sr_proc_poll)(struct pollfd *fds, nfds_t nfds, int timeout);
void proc_result_release(struct proc_result *res);

/* Trim trailing whitespace in place (for one-line messages from stderr). */
void sr_rtrim(struct strbuf *sb);

#endif
