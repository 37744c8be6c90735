/* One run's private directory under the runner's temp root: a fresh copy
 * of the spec's workdir (mounted at /work, bounded by limits.disk), the
 * payload file, the container's env file, resolv.conf for network runs. */
#ifndef SR_WORKDIR_H
#define SR_WORKDIR_H

#include "runner/spec/spec.h"

#define WORKDIR_RUN_UID 65534

struct workdir {
	char *dir;	/* <tmp root>/<container name>, 0700 */
	char *work;	/* <dir>/work: bind-mounted at /work */
	char *payload;	/* <dir>/payload: read-only at /sandrun/payload */
	char *env_file; /* <dir>/env: read by the engine client, removed after the run */
	bool created;	/* dir exists and is ours to remove */
	bool mounted;	/* work is a tmpfs of ours */
};

/* Fill in the paths only (explain uses them as they are). */
void workdir_paths(struct workdir *out, const char *tmp_root, const char *name);

/* Create dir, then the copy of s->workdir at work: as root on a tmpfs sized
 * limits.disk (a harness filling /work hits ENOSPC, not the host's disk),
 * else a plain world-writable directory; then the payload file (0444). */
int workdir_prepare(struct workdir *wd, const struct spec *s, const char *payload, bool is_root,
		    struct sr_err *err);

/* Write the container's environment ("KEY=value" entries) to env_file, 0600
 * (runargs_env_file says what cannot be written). */
int workdir_write_env(const struct workdir *wd, const struct strvec *env, struct sr_err *err);

/* Remove env_file now: its values are the run's secrets. */
void workdir_drop_env(const struct workdir *wd);

/* Unless keep: unmount work and remove dir. Free the paths either way
 * (gc unmounts and removes what keep left). */
void workdir_release(struct workdir *wd, bool keep);

#endif
