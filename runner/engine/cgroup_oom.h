/* OOM kills from the kernel's own counter (issue 20): the memory cgroup of
 * a container, watched from before its start to after its end. dockerd
 * learns of an OOM kill from containerd's event, which is lost when the
 * killed process was the container's last (the cgroup is gone by the time
 * the event is handled); the kernel counts every kill in the cgroup itself.
 *
 * cgroup v1 (this machine: cgroupfs driver, /sys/fs/cgroup/memory/docker/ID):
 * the directory is made before the container starts (the runtime joins an
 * existing one), and two eventfds are registered through
 * cgroup.event_control: one on memory.oom_control (signalled on each OOM,
 * and once more when the cgroup is removed) and one on a threshold of
 * memory.usage_in_bytes that is never crossed (signalled only on removal).
 * At the end, a cgroup still there is read (`oom_kill` of
 * memory.oom_control); a removed one is judged by the counts: two or more
 * signals on the first eventfd mean an OOM besides the removal.
 * cgroup v2 (memory.events `oom_kill`) is read at the end when the cgroup is
 * still there. Needs root; otherwise cgoom_open returns NULL and the
 * engine's flag is the only witness. */
#ifndef SR_CGROUP_OOM_H
#define SR_CGROUP_OOM_H

#include <stdbool.h>

struct cgoom;

/* Watch the memory cgroup of container id (full id). make: before it
 * starts, the directory made here (runc joins it; runsc would take it as
 * configured by someone else and set no limit, so it is watched right
 * after the start instead). NULL when there is nothing to watch (not
 * root, unknown layout, not made yet). */
struct cgoom *cgoom_open(const char *id, bool make);

/* After the container ended: true when the kernel counted an OOM kill in
 * its cgroup. killed: the container died by SIGKILL (exit 137), which makes
 * an ambiguous count worth a short wait. Frees w (and removes a cgroup
 * directory made here that the runtime left). */
bool cgoom_finish(struct cgoom *w, bool killed);

/* Forget w without a verdict (the run failed before its end). */
void cgoom_free(struct cgoom *w);

#endif
