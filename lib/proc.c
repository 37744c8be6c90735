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

int proc_run(const struct proc_opts *o, struct proc_result *res, struct sr_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t mask;
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1};
	int pidfd = -1, status = 0, rc;
	size_t cap = o->out_cap ? o->out_cap : DEFAULT_CAP;
	uint64_t start = sr_now_ms(), deadline = o->timeout_ms ? start + o->timeout_ms : 0;
	uint64_t kill_at = 0;
	bool aborted = false, exited = false;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;

	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		rc = sr_err_set(err, SR_EFAIL, "pipe: %s", strerror(errno));
		goto close_pipes;
	}
	if (o->input && (rc = input_pipe(inp, o->input, o->input_len, err)) < 0)
		goto close_pipes;
	posix_spawn_file_actions_init(&fa);
	if (inp[0] >= 0)
		posix_spawn_file_actions_adddup2(&fa, inp[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	/* Engine clients and their helpers (podman's conmon writes files into
	 * its cwd) must never touch the user's working directory. */
	if (o->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
	posix_spawnattr_init(&attr);
	/* The runner ignores SIGPIPE and blocks signals in workers; the child
	 * starts with defaults and an empty mask. */
	sigemptyset(&mask);
	posix_spawnattr_setsigmask(&attr, &mask);
	sigaddset(&mask, SIGPIPE);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	posix_spawnattr_setsigdefault(&attr, &mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					    POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawnp(&pid, o->argv[0], &fa, &attr, o->argv, o->envp ? o->envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc) {
		rc = sr_err_set(err, SR_EFAIL, "cannot run '%s': %s", o->argv[0], strerror(rc));
		goto close_pipes;
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (inp[0] >= 0)
		close(inp[0]);
	pidfd = pidfd_open_compat(pid);

	for (;;) {
		struct pollfd pfd[3];
		nfds_t nfd = 0;
		int tmo = 100;
		uint64_t now = sr_now_ms();
		char buf[65536];

		if (!aborted &&
		    ((deadline && now >= deadline) || (o->interruptible && sr_interrupted))) {
			aborted = true;
			if (deadline && now >= deadline)
				res->timed_out = true;
			else
				res->cancelled = true;
			if (o->on_abort)
				o->on_abort(o->ctx);
			else
				kill(pid, SIGTERM);
			kill_at = sr_now_ms() + (o->abort_grace_ms ? o->abort_grace_ms : 10000);
		}
		if (aborted && !exited && sr_now_ms() >= kill_at) {
			kill(pid, SIGKILL);
			kill_at = UINT64_MAX;
		}
		if (outp[0] >= 0)
			pfd[nfd++] = (struct pollfd){.fd = outp[0], .events = POLLIN};
		if (errp[0] >= 0)
			pfd[nfd++] = (struct pollfd){.fd = errp[0], .events = POLLIN};
		if (!exited && pidfd >= 0)
			pfd[nfd++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		if (!nfd && exited)
			break;
		if (deadline && !aborted && deadline > now && deadline - now < (uint64_t)tmo)
			tmo = (int)(deadline - now);
		if (poll(pfd, nfd, tmo) < 0 && errno != EINTR)
			break;
		for (nfds_t i = 0; i < nfd; i++) {
			ssize_t n;
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) || pfd[i].fd == pidfd)
				continue;
			n = read(pfd[i].fd, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				if (pfd[i].fd == outp[0]) {
					close(outp[0]);
					outp[0] = -1;
				} else {
					close(errp[0]);
					errp[0] = -1;
				}
				continue;
			}
			if (pfd[i].fd == outp[0]) {
				strbuf_add_tail(&res->out, buf, (size_t)n, cap);
				res->out_total += (uint64_t)n;
			} else {
				strbuf_add_tail(&res->err, buf, (size_t)n, cap);
				res->err_total += (uint64_t)n;
			}
		}
		if (!exited) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid) {
				exited = true;
				/* Grandchildren may hold the pipes open; do not wait on them. */
				if (outp[0] >= 0 || errp[0] >= 0) {
					for (int k = 0; k < 2; k++) {
						int *fd = k ? &errp[0] : &outp[0];
						ssize_t n;
						if (*fd < 0)
							continue;
						fcntl(*fd, F_SETFL, O_NONBLOCK);
						while ((n = read(*fd, buf, sizeof(buf))) > 0) {
							strbuf_add_tail(k ? &res->err : &res->out,
									buf, (size_t)n, cap);
							*(k ? &res->err_total : &res->out_total) +=
							    (uint64_t)n;
						}
						close(*fd);
						*fd = -1;
					}
				}
			}
		}
	}
	if (!exited)
		waitpid(pid, &status, 0);
	if (pidfd >= 0)
		close(pidfd);
	strbuf_trim_tail(&res->out, cap);
	strbuf_trim_tail(&res->err, cap);
	if (WIFEXITED(status))
		res->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->signal = WTERMSIG(status);
	res->duration_ms = sr_now_ms() - start;
	return 0;

close_pipes:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (inp[i] >= 0)
			close(inp[i]);
	}
	return rc;
}
