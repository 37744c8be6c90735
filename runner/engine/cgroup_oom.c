#include "runner/engine/cgroup_oom.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

struct cgoom {
	char *dir;
	bool v2, made;
	int counter_fd; /* memory.oom_control (v1) or memory.events (v2) */
	int efd_oom;	/* v1: OOM notifications, plus one on removal */
	int efd_rm;	/* v1: removal only */
};

/* The mount point of the memory controller: v1 "memory" option, else v2. */
static char *memory_mount(bool *v2)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024], *v1 = NULL, *u = NULL;

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char mnt[512], fstype[64], opts[512];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		if (!v1 && !strcmp(fstype, "cgroup") &&
		    (strstr(opts, ",memory") || !strncmp(opts, "memory", 6)))
			v1 = xstrdup(mnt);
		else if (!u && !strcmp(fstype, "cgroup2"))
			u = xstrdup(mnt);
	}
	fclose(f);
	*v2 = !v1 && u;
	if (v1) {
		free(u);
		return v1;
	}
	return u;
}

static int event_register(const char *dir, int efd, const char *file, const char *arg)
{
	char *p = xasprintf("%s/%s", dir, file), *q = xasprintf("%s/cgroup.event_control", dir);
	int fd = open(p, O_RDONLY | O_CLOEXEC), ctl = open(q, O_WRONLY | O_CLOEXEC), rc = -1;

	if (fd >= 0 && ctl >= 0 &&
	    dprintf(ctl, "%d %d%s%s", efd, fd, arg ? " " : "", arg ? arg : "") > 0)
		rc = 0;
	if (ctl >= 0)
		close(ctl);
	if (fd >= 0)
		close(fd);
	free(p);
	free(q);
	return rc;
}

struct cgoom *cgoom_open(const char *id, bool make)
{
	struct cgoom *w;
	bool v2 = false;
	char *mnt, *p;

	if (geteuid() != 0 || !id || !*id || !(mnt = memory_mount(&v2)))
		return NULL;
	w = xcalloc(1, sizeof(*w));
	w->v2 = v2;
	w->counter_fd = w->efd_oom = w->efd_rm = -1;
	/* The cgroupfs driver's layout (<parent>/docker/<id>); the systemd
	 * driver's scope is made by systemd when the container starts. */
	p = xasprintf("%s/docker", mnt);
	if (access(p, F_OK) == 0) {
		w->dir = xasprintf("%s/%s", p, id);
		w->made = make && mkdir(w->dir, 0755) == 0;
	}
	free(p);
	free(mnt);
	if (!w->dir) {
		cgoom_free(w);
		return NULL;
	}
	p = xasprintf("%s/%s", w->dir, v2 ? "memory.events" : "memory.oom_control");
	w->counter_fd = open(p, O_RDONLY | O_CLOEXEC);
	free(p);
	if (!v2 && w->counter_fd >= 0) {
		w->efd_oom = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		w->efd_rm = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (w->efd_oom < 0 || w->efd_rm < 0 ||
		    event_register(w->dir, w->efd_oom, "memory.oom_control", NULL) < 0 ||
		    event_register(w->dir, w->efd_rm, "memory.usage_in_bytes",
				   "4611686018427387904") < 0)
			sr_debug("cgroup %s: no OOM notification: %s", w->dir, strerror(errno));
	}
	if (w->counter_fd < 0) {
		sr_debug("cgroup %s: cannot watch: %s", w->dir, strerror(errno));
		cgoom_free(w);
		return NULL;
	}
	return w;
}

/* The oom_kill counter through the open descriptor; -1 once the cgroup is
 * removed (the kernel answers ENODEV). */
static long read_counter(int fd)
{
	char buf[512], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "oom_kill ");
	return p ? strtol(p + 9, NULL, 10) : 0;
}

static uint64_t efd_wait(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint64_t v = 0;

	if (fd < 0 || poll(&pfd, 1, ms) <= 0 || read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

bool cgoom_finish(struct cgoom *w, bool killed)
{
	long n;
	uint64_t c;
	bool oom;

	if (!w)
		return false;
	n = read_counter(w->counter_fd);
	if (n >= 0 || w->efd_oom < 0) {
		oom = n > 0;
		sr_debug("cgroup %s: oom_kill %ld", w->dir, n);
		cgoom_free(w);
		return oom;
	}
	/* Removed: wait for its removal signal, then count. The kernel
	 * signals an OOM when it kills (before the task dies, so before the
	 * removal); only a SIGKILL of unknown origin gets the other eventfd
	 * a moment more. */
	efd_wait(w->efd_rm, 1000);
	if (killed) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	c = efd_wait(w->efd_oom, 0);
	if (c == 1 && killed)
		c += efd_wait(w->efd_oom, 300);
	sr_debug("cgroup %s: removed; %llu notification(s)", w->dir, (unsigned long long)c);
	cgoom_free(w);
	return c >= 2;
}

void cgoom_free(struct cgoom *w)
{
	if (!w)
		return;
	if (w->counter_fd >= 0)
		close(w->counter_fd);
	if (w->efd_oom >= 0)
		close(w->efd_oom);
	if (w->efd_rm >= 0)
		close(w->efd_rm);
	/* A runtime that found the directory made leaves it (runsc does). */
	if (w->made && w->dir) {
		for (int i = 0; i < 20 && rmdir(w->dir) < 0 && errno == EBUSY; i++) {
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	free(w->dir);
	free(w);
}
