#include "lib/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

volatile sig_atomic_t sr_interrupted;

#define DEFAULT_CAP (1024 * 1024)

void sr_rtrim(struct strbuf *sb)
{
	while (sb->len && (sb->buf[sb->len - 1] == '\n' || sb->buf[sb->len - 1] == '\r' ||
			   sb->buf[sb->len - 1] == ' ' || sb->buf[sb->len - 1] == '\t'))
		sb->buf[--sb->len] = '\0';
}

static int pidfd_open_compat(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

void proc_result_release(struct proc_result *res)
{
	strbuf_release(&res->out);
	strbuf_release(&res->err);
}

/* A pipe holding data, its write end closed: the child reads data, then EOF. */
static int input_pipe(int p[2], const char *data, size_t len, struct sr_err *err)
{
	size_t off = 0;

	if (len > 65536)
		return sr_err_set(err, SR_EFAIL, "child input of %zu bytes is over 64 KiB", len);
	if (pipe2(p, O_CLOEXEC) < 0)
		return sr_err_set(err, SR_EFAIL, "pipe: %s", strerror(errno));
	fcntl(p[1], F_SETPIPE_SZ, 65536);
	while (off < len) {
		ssize_t n = write(p[1], data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return sr_err_set(err, SR_EFAIL, "cannot write child input: %s",
					  strerror(errno));
		off += (size_t)n;
	}
	close(p[1]);
	p[1] = -1;
	return 0;
}

/* One child: its pipes, its pidfd, where it stands. Every fd is -1 when
 * closed, so close_all can run from any step. */
struct child {
	const struct proc_opts *o;
	struct proc_result *res;
	int outp[2], errp[2], inp[2];
	int pidfd, status;
	pid_t pid;
	size_t cap;
	uint64_t start, deadline, kill_at;
	bool aborted, exited;
};

int (*sr_proc_poll)(struct pollfd *fds, nfds_t nfds, int timeout) = poll;

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void close_all(struct child *c)
{
	for (int i = 0; i < 2; i++) {
		close_fd(&c->outp[i]);
		close_fd(&c->errp[i]);
		close_fd(&c->inp[i]);
	}
	close_fd(&c->pidfd);
}

static void spawn_attrs(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr,
			const struct child *c)
{
	sigset_t mask;

	posix_spawn_file_actions_init(fa);
	if (c->inp[0] >= 0)
		posix_spawn_file_actions_adddup2(fa, c->inp[0], 0);
	else
		posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(fa, c->outp[1], 1);
	posix_spawn_file_actions_adddup2(fa, c->errp[1], 2);
	/* Engine clients and their helpers (podman's conmon writes files into
	 * its cwd) must never touch the user's working directory. */
	if (c->o->cwd)
		posix_spawn_file_actions_addchdir_np(fa, c->o->cwd);
	posix_spawnattr_init(attr);
	/* The runner ignores SIGPIPE and blocks signals in workers; the child
	 * starts with defaults and an empty mask. */
	sigemptyset(&mask);
	posix_spawnattr_setsigmask(attr, &mask);
	sigaddset(&mask, SIGPIPE);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	posix_spawnattr_setsigdefault(attr, &mask);
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					   POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(attr, 0);
}

/* Step 1: pipes, then the child; the write ends closed in the parent. */
static int spawn(struct child *c, struct sr_err *err)
{
	const struct proc_opts *o = c->o;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc;

	if (pipe2(c->outp, O_CLOEXEC) < 0 || pipe2(c->errp, O_CLOEXEC) < 0)
		return sr_err_set(err, SR_EFAIL, "pipe: %s", strerror(errno));
	if (o->input && (rc = input_pipe(c->inp, o->input, o->input_len, err)) < 0)
		return rc;
	spawn_attrs(&fa, &attr, c);
	rc = posix_spawnp(&c->pid, o->argv[0], &fa, &attr, o->argv, o->envp ? o->envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc)
		return sr_err_set(err, SR_EFAIL, "cannot run '%s': %s", o->argv[0], strerror(rc));
	close_fd(&c->outp[1]);
	close_fd(&c->errp[1]);
	close_fd(&c->inp[0]);
	c->pidfd = pidfd_open_compat(c->pid);
	return 0;
}

/* At the deadline or an interrupt: on_abort (or SIGTERM), then SIGKILL
 * after the grace. */
static void watch_deadline(struct child *c)
{
	const struct proc_opts *o = c->o;
	uint64_t now = sr_now_ms();

	if (!c->aborted && c->deadline && now >= c->deadline && o->on_deadline &&
	    !(o->interruptible && sr_interrupted)) {
		uint64_t more = o->on_deadline(o->ctx);
		if (more) {
			c->deadline = sr_now_ms() + more;
			return;
		}
	}
	if (!c->aborted &&
	    ((c->deadline && now >= c->deadline) || (o->interruptible && sr_interrupted))) {
		c->aborted = true;
		if (c->deadline && now >= c->deadline)
			c->res->timed_out = true;
		else
			c->res->cancelled = true;
		if (o->on_abort)
			o->on_abort(o->ctx);
		else
			kill(c->pid, SIGTERM);
		c->kill_at = sr_now_ms() + (o->abort_grace_ms ? o->abort_grace_ms : 10000);
	}
	if (c->aborted && !c->exited && sr_now_ms() >= c->kill_at) {
		kill(c->pid, SIGKILL);
		c->kill_at = UINT64_MAX;
	}
}

static void keep(struct child *c, bool is_err, const char *buf, size_t n)
{
	strbuf_add_tail(is_err ? &c->res->err : &c->res->out, buf, n, c->cap);
	*(is_err ? &c->res->err_total : &c->res->out_total) += (uint64_t)n;
}

/* Read what one stream has; closes it at its end. */
static void read_stream(struct child *c, int *fd, bool is_err)
{
	char buf[65536];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0)
		close_fd(fd);
	else
		keep(c, is_err, buf, (size_t)n);
}

/* Step 2, one round: wait (at most 100 ms, less before the deadline) for
 * output or the child's exit, and take the output. SR_EFAIL when poll
 * itself failed. */
static int pump(struct child *c, struct sr_err *err)
{
	struct pollfd pfd[3];
	int *fds[3];
	nfds_t nfd = 0;
	int tmo = 100;
	uint64_t now = sr_now_ms();

	if (c->outp[0] >= 0) {
		fds[nfd] = &c->outp[0];
		pfd[nfd++] = (struct pollfd){.fd = c->outp[0], .events = POLLIN};
	}
	if (c->errp[0] >= 0) {
		fds[nfd] = &c->errp[0];
		pfd[nfd++] = (struct pollfd){.fd = c->errp[0], .events = POLLIN};
	}
	if (!c->exited && c->pidfd >= 0) {
		fds[nfd] = &c->pidfd;
		pfd[nfd++] = (struct pollfd){.fd = c->pidfd, .events = POLLIN};
	}
	if (c->deadline && !c->aborted && c->deadline > now && c->deadline - now < (uint64_t)tmo)
		tmo = (int)(c->deadline - now);
	if (sr_proc_poll(pfd, nfd, tmo) < 0 && errno != EINTR)
		return sr_err_set(err, SR_EFAIL, "poll: %s", strerror(errno));
	for (nfds_t i = 0; i < nfd; i++)
		if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) && fds[i] != &c->pidfd)
			read_stream(c, fds[i], fds[i] == &c->errp[0]);
	return 0;
}

/* Step 3, once the child exited: what its pipes hold now, without waiting
 * for grandchildren that may keep them open. */
static void drain(struct child *c)
{
	for (int k = 0; k < 2; k++) {
		int *fd = k ? &c->errp[0] : &c->outp[0];
		char buf[65536];
		ssize_t n;
		if (*fd < 0)
			continue;
		fcntl(*fd, F_SETFL, O_NONBLOCK);
		while ((n = read(*fd, buf, sizeof(buf))) > 0)
			keep(c, k, buf, (size_t)n);
		close_fd(fd);
	}
}

/* Step 4: the exit status, bounded: a child still there (a failed poll)
 * is killed first, so the wait cannot hang. */
static void reap(struct child *c)
{
	if (!c->exited && c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &c->status, 0);
		c->exited = true;
	}
	if (WIFEXITED(c->status))
		c->res->exit_code = WEXITSTATUS(c->status);
	else if (WIFSIGNALED(c->status))
		c->res->signal = WTERMSIG(c->status);
}

int proc_run(const struct proc_opts *o, struct proc_result *res, struct sr_err *err)
{
	struct child c = {.o = o,
			  .res = res,
			  .outp = {-1, -1},
			  .errp = {-1, -1},
			  .inp = {-1, -1},
			  .pidfd = -1,
			  .cap = o->out_cap ? o->out_cap : DEFAULT_CAP,
			  .start = sr_now_ms()};
	int rc;

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	c.deadline = o->timeout_ms ? c.start + o->timeout_ms : 0;
	rc = spawn(&c, err);
	while (!rc && !(c.exited && c.outp[0] < 0 && c.errp[0] < 0)) {
		watch_deadline(&c);
		rc = pump(&c, err);
		if (!c.exited && waitpid(c.pid, &c.status, WNOHANG) == c.pid) {
			c.exited = true;
			drain(&c);
		}
	}
	if (c.pid > 0)
		reap(&c);
	close_all(&c);
	strbuf_trim_tail(&res->out, c.cap);
	strbuf_trim_tail(&res->err, c.cap);
	res->duration_ms = sr_now_ms() - c.start;
	return rc;
}
