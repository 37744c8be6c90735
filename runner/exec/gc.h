/* Ownership of what a run leaves on the host, and the sweep of what a dead
 * runner left behind: containers, networks, firewall chains, and run
 * directories (with their /work tmpfs mounts) under the runner's temp root.
 * Every object carries its owner, "<host>/<pid>/<start time>"; an object is
 * removed only when that process is certainly gone. */
#ifndef SR_GC_H
#define SR_GC_H

#include <sys/types.h>

#include "runner/engine/engine.h"

/* The file in a runner's temp root that names its owner. */
#define GC_OWNER_FILE "owner"
/* Temp roots are "<base>/sandrun-<run id>". */
#define GC_TMP_PREFIX "sandrun-"

struct gc_owner {
	char host[256];
	long pid;
	unsigned long long start; /* clock ticks since boot (field 22 of /proc/<pid>/stat) */
};

/* What probing the owner's pid found. */
struct gc_probe {
	int kill_errno;		  /* errno of kill(pid, 0); 0 when it succeeded */
	int stat_errno;		  /* errno reading /proc/<pid>/stat; 0 when read */
	unsigned long long start; /* its start time, when read */
};

/* "<host>/<pid>/<start time>" of this process. Caller frees. */
char *gc_owner_self(void);

/* Parse an owner label. SR_EINVAL when it is not one. */
int gc_owner_parse(struct gc_owner *out, const char *label);

/* The liveness decision, pure: true (dead) only for an owner on this_host
 * whose pid does not exist (ESRCH) or exists with another start time (the
 * pid was reused). Another host's owner, a pid we may not signal (EPERM) or
 * whose stat we cannot read (EACCES, EPERM, hidepid) counts as alive. */
bool gc_owner_decide(const struct gc_owner *o, const char *this_host, const struct gc_probe *p);

/* Probe the process an owner label names and decide. Unparsable labels
 * count as alive (not ours to judge). */
bool gc_owner_dead(const char *label);

/* $TMPDIR, else /tmp: where runners make their temp roots. */
const char *gc_tmp_base(void);

/* Create the runner's temp root (0700) and record owner in it. */
int gc_tmp_root_create(const char *root, const char *owner, struct sr_err *err);

/* Remove containers, networks, firewall chains, and temp roots under
 * tmp_base (mounts below them unmounted first) whose owner is gone.
 * verbose: one line per object on stdout. Returns the number removed. */
int gc_sweep(const struct engine *e, const char *tmp_base, bool verbose);

/* Only the temp-root part of gc_sweep (no engine needed). */
int gc_sweep_tmp(const char *tmp_base, bool verbose);

#endif
