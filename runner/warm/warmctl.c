#include "runner/warm/warmctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_MS 2000 /* after the status: the pipes' EOF (every writer is dead) */

int warmctl_listen(struct warmctl *c, const char *run_dir, bool is_root, struct sr_err *err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	c->dir = xasprintf("%s/ctl", run_dir);
	c->sock = xasprintf("%s/%s", c->dir, IDLE_SOCK_NAME);
	if (strlen(c->sock) >= sizeof(a.sun_path))
		return sr_err_set(err, SR_EFAIL, "'%s' is too long for a unix socket", c->sock);
	if (mkdir(c->dir, 0700) < 0)
		return sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", c->dir, strerror(errno));
	/* Not root: no chown; the socket is gone before any payload runs. */
	if (is_root ? chown(c->dir, IDLE_UID, IDLE_UID) : chmod(c->dir, 0711))
		return sr_err_set(err, SR_EFAIL, "cannot prepare '%s': %s", c->dir,
				  strerror(errno));
	memcpy(a.sun_path, c->sock, strlen(c->sock) + 1);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (is_root ? chown(c->sock, IDLE_UID, IDLE_UID) : chmod(c->sock, 0666)) < 0 ||
	    listen(c->listen_fd, 1) < 0)
		return sr_err_set(err, SR_EFAIL, "cannot listen on '%s': %s", c->sock,
				  strerror(errno));
	return 0;
}

/* A /proc or cgroup file (st_size says 0) into *out, at most max bytes. */
static int read_proc(char **out, const char *path, size_t max)
{
	struct strbuf sb = STRBUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[4096];
	ssize_t n;

	*out = NULL;
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0 && sb.len < max)
		strbuf_add(&sb, buf, (size_t)n);
	close(fd);
	if (n < 0) {
		strbuf_release(&sb);
		return -1;
	}
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

/* NSpid of /proc/PID/status ends in 1: PID 1 of its namespace. */
static bool nspid_is_one(int pid)
{
	char path[64], *text = NULL, *p;
	bool one = false;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_proc(&text, path, 1 << 16) < 0)
		return false;
	if ((p = strstr(text, "\nNSpid:"))) {
		size_t n = strcspn(p + 1, "\n");
		p[1 + n] = '\0';
		p = strrchr(p, '\t');
		one = p && !strcmp(p + 1, "1");
	}
	free(text);
	return one;
}

/* From /proc/PID/cgroup: the pids (v1) or unified (v2) cgroup's
 * cgroup.procs, and the memory controller's OOM counter file. */
static int cgroup_files(struct warmctl *c, const char *id, struct sr_err *err)
{
	char path[64], *text = NULL, *save = NULL;
	bool v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", c->pid1);
	if (read_proc(&text, path, 1 << 16) < 0)
		return sr_err_set(err, SR_EFAIL, "cannot read '%s': %s", path, strerror(errno));
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *ctl = strchr(l, ':'), *cg = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!cg || !strstr(cg, id))
			continue;
		*cg++ = '\0';
		ctl++;
		if (v2 && !*ctl) {
			c->procs = xasprintf("/sys/fs/cgroup%s/cgroup.procs", cg);
			c->oom_file = xasprintf("/sys/fs/cgroup%s/memory.events", cg);
		} else if (!strcmp(ctl, "pids")) {
			free(c->procs);
			c->procs = xasprintf("/sys/fs/cgroup/pids%s/cgroup.procs", cg);
		} else if (!strcmp(ctl, "memory")) {
			free(c->oom_file);
			c->oom_file = xasprintf("/sys/fs/cgroup/memory%s/memory.oom_control", cg);
		} else if (!*ctl && !c->procs) {
			c->procs = xasprintf("/sys/fs/cgroup/unified%s/cgroup.procs", cg);
		}
	}
	free(text);
	if (!c->procs || access(c->procs, R_OK) < 0)
		return sr_err_set(err, SR_EFAIL,
				  "cannot find the cgroup of container %.12s from the host", id);
	return 0;
}

static int read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int read_hdr(int fd, struct idle_hdr *h, uint32_t type, uint32_t len)
{
	if (read_full(fd, h, sizeof(*h)) < 0 || h->magic != IDLE_MAGIC || h->type != type ||
	    h->len != len)
		return -1;
	return 0;
}

int warmctl_accept(struct warmctl *c, const char *id, uint64_t timeout_ms, struct sr_err *err)
{
	struct pollfd p = {c->listen_fd, POLLIN, 0};
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct timeval tv = {5, 0};
	struct idle_hdr h;
	int n;

	do
		n = poll(&p, 1, (int)timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return sr_err_set(err, SR_EFAIL, "the warm container's PID 1 did not connect");
	c->fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	/* One connection, ever: nothing else can reach the channel. */
	unlink(c->sock);
	close(c->listen_fd);
	c->listen_fd = -1;
	if (c->fd < 0 || getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0)
		return sr_err_set(err, SR_EFAIL, "the warm container's channel: %s",
				  strerror(errno));
	c->pid1 = (int)cred.pid;
	if (!nspid_is_one(c->pid1))
		return sr_err_set(err, SR_EFAIL, "the warm channel's peer is not a PID 1");
	if (cgroup_files(c, id, err) < 0)
		return -1;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (read_hdr(c->fd, &h, IDLE_HELLO, 0) < 0)
		return sr_err_set(err, SR_EFAIL, "the warm container's PID 1 did not say hello");
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The header with the two pipe ends, then the body. */
static int send_run(struct warmctl *c, const struct warmctl_run *in, int out, int errfd)
{
	struct strbuf body = STRBUF_INIT;
	struct idle_run hd = {.timeout_ms = in->timeout_ms};
	struct idle_hdr h = {IDLE_MAGIC, IDLE_RUN, 0};
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = {&h, sizeof(h)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	int fds[2] = {out, errfd}, rc = -1;

	strbuf_add(&body, &hd, sizeof(hd));
	for (size_t i = 0; in->argv[i]; i++, hd.argc++)
		strbuf_add(&body, in->argv[i], strlen(in->argv[i]) + 1);
	for (size_t i = 0; in->env[i]; i++, hd.envc++)
		strbuf_add(&body, in->env[i], strlen(in->env[i]) + 1);
	memcpy(body.buf, &hd, sizeof(hd));
	if (body.len > IDLE_BODY_MAX)
		goto out;
	h.len = (uint32_t)body.len;
	memset(cbuf, 0, sizeof(cbuf));
	m.msg_control = cbuf;
	m.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	if (sendmsg(c->fd, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(h))
		goto out;
	rc = write_full(c->fd, body.buf, body.len);
out:
	strbuf_release(&body);
	return rc;
}

struct drain {
	int fd[2];
	struct strbuf *sb[2];
	uint64_t *total[2];
	size_t cap;
};

/* Read what is there on the open pipes; closes a pipe at EOF. */
static void drain_some(struct drain *d, const struct pollfd *p)
{
	char buf[65536];

	for (int i = 0; i < 2; i++) {
		ssize_t n;
		if (d->fd[i] < 0 || !p[i].revents)
			continue;
		n = read(d->fd[i], buf, sizeof(buf));
		if (n > 0) {
			strbuf_add_tail(d->sb[i], buf, (size_t)n, d->cap);
			*d->total[i] += (uint64_t)n;
		} else if (n == 0 || errno != EINTR) {
			close(d->fd[i]);
			d->fd[i] = -1;
		}
	}
}

/* The poll loop: output until EOF, the status, the backstop, interrupts. */
static void run_loop(struct proc_result *res, struct idle_status *st, bool *have_status,
		     struct warmctl *c, struct drain *d, uint64_t backstop)
{
	uint64_t drain_end = 0;
	bool asked_kill = false;

	for (;;) {
		struct pollfd p[3] = {
		    {d->fd[0], POLLIN, 0}, {d->fd[1], POLLIN, 0}, {-1, POLLIN, 0}};
		uint64_t now = sr_now_ms();
		if (!*have_status)
			p[2].fd = c->fd;
		if (*have_status && d->fd[0] < 0 && d->fd[1] < 0)
			return;
		if ((*have_status && now >= drain_end) || (!*have_status && now >= backstop)) {
			res->timed_out = !*have_status;
			return;
		}
		if (sr_interrupted && !asked_kill && !*have_status) {
			struct idle_hdr h = {IDLE_MAGIC, IDLE_KILL, 0};
			asked_kill = true;
			res->cancelled = true;
			if (write_full(c->fd, &h, sizeof(h)) < 0)
				return;
		}
		if (poll(p, 3, 50) < 0 && errno != EINTR)
			return;
		drain_some(d, p);
		if (p[2].revents) {
			struct idle_hdr h;
			if (read_hdr(c->fd, &h, IDLE_STATUS, sizeof(*st)) < 0 ||
			    read_full(c->fd, st, sizeof(*st)) < 0)
				return;
			st->why[sizeof(st->why) - 1] = '\0';
			*have_status = true;
			drain_end = sr_now_ms() + DRAIN_MS;
		}
	}
}

int warmctl_run(struct proc_result *res, struct idle_status *st, bool *have_status,
		struct warmctl *c, const struct warmctl_run *in, struct sr_err *err)
{
	int outp[2] = {-1, -1}, errp[2] = {-1, -1};
	struct drain d = {.cap = in->out_cap ? in->out_cap : 1024 * 1024};
	uint64_t t0 = sr_now_ms();

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	strbuf_init(&res->out);
	strbuf_init(&res->err);
	memset(st, 0, sizeof(*st));
	*have_status = false;
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		for (int i = 0; i < 2; i++)
			if (outp[i] >= 0)
				close(outp[i]);
		return sr_err_set(err, SR_EFAIL, "pipe: %s", strerror(errno));
	}
	if (send_run(c, in, outp[1], errp[1]) < 0) {
		close(outp[0]);
		close(outp[1]);
		close(errp[0]);
		close(errp[1]);
		return sr_err_set(err, SR_EFAIL, "cannot reach the warm container's PID 1");
	}
	close(outp[1]);
	close(errp[1]);
	d.fd[0] = outp[0];
	d.fd[1] = errp[0];
	d.sb[0] = &res->out;
	d.sb[1] = &res->err;
	d.total[0] = &res->out_total;
	d.total[1] = &res->err_total;
	run_loop(res, st, have_status, c, &d, t0 + in->backstop_ms);
	for (int i = 0; i < 2; i++)
		if (d.fd[i] >= 0)
			close(d.fd[i]);
	strbuf_trim_tail(&res->out, d.cap);
	strbuf_trim_tail(&res->err, d.cap);
	res->duration_ms = *have_status ? st->run_us / 1000 : sr_now_ms() - t0;
	if (*have_status) {
		res->exit_code = st->code;
		res->timed_out = st->timed_out != 0;
		res->cancelled = res->cancelled || st->killed;
	}
	return 0;
}

int warmctl_verify(const struct warmctl *c, struct sr_err *err)
{
	for (int i = 0;; i++) {
		char *text = NULL, *p;
		long n = 0, pid, other = 0;
		struct timespec ts = {0, 2 * 1000 * 1000};

		if (read_proc(&text, c->procs, 1 << 20) < 0)
			return sr_err_set(err, SR_EFAIL, "cannot read '%s': %s", c->procs,
					  strerror(errno));
		for (p = text; *p; p += strcspn(p, "\n"), p += *p == '\n') {
			pid = strtol(p, NULL, 10);
			if (pid <= 0)
				continue;
			n++;
			if (pid != c->pid1)
				other = pid;
		}
		free(text);
		if (n == 1 && !other)
			return 0;
		if (n == 0)
			return sr_err_set(err, SR_EFAIL, "the container's PID 1 is gone");
		if (i >= 25)
			return sr_err_set(err, SR_EFAIL,
					  "the container's cgroup holds %ld process(es) besides "
					  "PID 1 (host pid %ld) after the reset",
					  n - 1, other);
		nanosleep(&ts, NULL);
	}
}

long warmctl_oom_kills(const struct warmctl *c)
{
	char *text = NULL, *p;
	long n = -1;

	if (!c->oom_file || read_proc(&text, c->oom_file, 1 << 16) < 0)
		return -1;
	if ((p = strstr(text, "oom_kill ")))
		n = strtol(p + 9, NULL, 10);
	free(text);
	return n;
}

void warmctl_close(struct warmctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->sock)
		unlink(c->sock);
	free(c->dir);
	free(c->sock);
	free(c->procs);
	free(c->oom_file);
	memset(c, 0, sizeof(*c));
	c->fd = c->listen_fd = -1;
}
