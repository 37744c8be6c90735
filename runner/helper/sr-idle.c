/* sr-idle: PID 1 of a warm container (spec `isolation: harness` or `pool`).
 * sandrun bind-mounts it read-only at /sandrun/sr-idle, so the image needs
 * neither a shell nor sleep.
 *
 *   sr-idle serve UID GID
 *       Started as root with only CAP_KILL, CAP_SETUID and CAP_SETGID; drops
 *       at once to IDLE_UID (keeping those three), so a run (UID:GID, no
 *       capability) can neither signal nor ptrace it nor read its /proc.
 *       Connects to the host over IDLE_CTL_IN/sock (runner/helper/
 *       idle_proto.h), says hello, then serves IDLE_RUN requests one at a
 *       time: forks the payload as UID:GID with the host's stdout/stderr
 *       pipes, in /work, with the image's environment overlaid by the
 *       request's; waits for it to exit, its deadline or IDLE_KILL; then the
 *       reset, whatever the payload did: kill(-1, SIGKILL) until no other
 *       process is left, and (as UID, in a child) every writable tmpfs and
 *       mqueue mount but /work emptied and every SysV IPC object removed;
 *       then IDLE_STATUS. Exits when the host closes the channel, killing
 *       whatever is left.
 *
 * Built `-static -Os`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner/helper/idle_proto.h"

extern char **environ;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int set_caps(uint32_t mask)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{mask, mask, 0}, {0, 0, 0}};

	return (int)syscall(SYS_capset, &h, d);
}

/* Become uid:gid for good; keep the capabilities in keep (0: none). */
static int become(uid_t uid, gid_t gid, uint32_t keep)
{
	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -1;
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -1;
	if (set_caps(keep) < 0)
		return -1;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}

/* Processes other than PID 1 that are not zombies (PID 1 reaps those). */
static int live_others(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[64], buf[512], *p;
		long pid = strtol(e->d_name, &p, 10);
		FILE *f;

		if (*p || pid <= 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (!(f = fopen(path, "re")))
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* kill(-1) until nothing is left: a process forking in a loop may create a
 * child between the signal and its own death, so repeat, up to ~3 s. */
static int kill_all(char *why, size_t whylen)
{
	for (int i = 0; i < 3000; i++) {
		struct timespec ts = {0, (i < 50 ? 100 : 1000) * 1000};
		kill(-1, SIGKILL);
		reap();
		if (live_others() == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	snprintf(why, whylen, "%d process(es) survive kill(-1)", live_others());
	return -1;
}

/* Remove everything under the directory dfd, making directories the user
 * owns searchable first (a run may chmod 000 its own). */
static int empty_dir(int dfd, const char *what)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		close(dfd);
		return -1;
	}
	while ((e = readdir(d))) {
		int sub;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			continue;
		fchmodat(dirfd(d), e->d_name, 0700, 0);
		sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0 && empty_dir(sub, what) < 0)
			rc = -1;
		if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0) {
			fprintf(stderr, "sr-idle: cannot remove %s/%s: %s\n", what, e->d_name,
				strerror(errno));
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

static int empty_path(const char *path)
{
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd < 0)
		return errno == ENOENT ? 0 : -1;
	return empty_dir(dfd, path);
}

/* Remove the SysV IPC objects of one /proc/sysvipc table (id: 2nd column). */
static int remove_ipc(const char *table, int kind)
{
	char path[64], line[512];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", table);
	if (!(f = fopen(path, "re")))
		return 0;
	if (!fgets(line, sizeof(line), f)) { /* header */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		long key, id;
		int r;
		if (sscanf(line, "%ld %ld", &key, &id) != 2)
			continue;
		if (kind == 0)
			r = shmctl((int)id, IPC_RMID, NULL);
		else if (kind == 1)
			r = msgctl((int)id, IPC_RMID, NULL);
		else
			r = semctl((int)id, 0, IPC_RMID);
		if (r < 0) {
			fprintf(stderr, "sr-idle: cannot remove %s %ld: %s\n", table, id,
				strerror(errno));
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* Every writable mount a run could have left something in: tmpfs and
 * mqueue mounts are emptied; /work (the host refills it), /sandrun, /dev
 * itself, /dev/pts, /proc and /sys are left alone; any other writable
 * mount (the root file system, a bind mount) fails the reset. */
static int empty_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int rc = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char mnt[1024], opts[256], fstype[64];
		char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %1023s %255s", mnt, opts) != 2 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		if (strncmp(opts, "rw", 2) || (opts[2] && opts[2] != ','))
			continue;
		if (under(mnt, "/work") || under(mnt, "/sandrun") || under(mnt, "/proc") ||
		    under(mnt, "/sys") || !strcmp(mnt, "/dev") || under(mnt, "/dev/pts"))
			continue;
		if (!strcmp(fstype, "tmpfs") || !strcmp(fstype, "mqueue")) {
			if (empty_path(mnt) < 0)
				rc = -1;
			continue;
		}
		fprintf(stderr, "sr-idle: writable %s mount at %s cannot be reset\n", fstype, mnt);
		rc = -1;
	}
	fclose(f);
	return rc;
}

/* The emptying, as the run's user (the owner of what it left), in a child
 * with no capability. */
static int empty_as(uid_t uid, gid_t gid, char *why, size_t whylen)
{
	int st, pipefd[2];
	pid_t pid;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		int rc = 0;
		dup2(pipefd[1], 2);
		if (become(uid, gid, 0) < 0)
			_exit(3);
		rc |= empty_mounts();
		rc |= remove_ipc("shm", 0);
		rc |= remove_ipc("msg", 1);
		rc |= remove_ipc("sem", 2);
		_exit(rc ? 1 : 0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], why, whylen - 1);
	why[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (!why[0])
		snprintf(why, whylen, "the emptying failed (status %d)", st);
	return -1;
}

static int write_all(int fd, const void *buf, size_t n)
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

static int read_all(int fd, void *buf, size_t n)
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

static int send_msg(int fd, uint32_t type, const void *body, uint32_t len)
{
	struct idle_hdr h = {IDLE_MAGIC, type, len};

	if (write_all(fd, &h, sizeof(h)) < 0)
		return -1;
	return len ? write_all(fd, body, len) : 0;
}

/* A header, and the file descriptors that came with it (up to 2). */
static int recv_hdr(int fd, struct idle_hdr *h, int fds[2])
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = {h, sizeof(*h)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;
	ssize_t n;

	m.msg_control = cbuf;
	m.msg_controllen = sizeof(cbuf);
	fds[0] = fds[1] = -1;
	do
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fds, CMSG_DATA(c),
			       c->cmsg_len - CMSG_LEN(0) < 2 * sizeof(int)
				   ? c->cmsg_len - CMSG_LEN(0)
				   : 2 * sizeof(int));
	if (n != (ssize_t)sizeof(*h) || h->magic != IDLE_MAGIC || h->len > IDLE_BODY_MAX)
		return -1;
	return 0;
}

struct request {
	char *body;
	char **argv, **envp;
	uint32_t timeout_ms;
	int out, err;
};

/* Split the body of IDLE_RUN; the environment is the image's (PID 1's own)
 * with the request's entries overriding it. */
static int parse_run(struct request *q, char *body, uint32_t len)
{
	struct idle_run hd;
	char *p = body + sizeof(hd), *end = body + len;
	size_t ne = 0, nbase = 0;

	if (len < sizeof(hd) || body[len - 1] != '\0')
		return -1;
	memcpy(&hd, body, sizeof(hd));
	if (!hd.argc || hd.argc > len || hd.envc > len)
		return -1;
	while (environ[nbase])
		nbase++;
	q->argv = calloc(hd.argc + 1, sizeof(char *));
	q->envp = calloc(hd.envc + nbase + 1, sizeof(char *));
	if (!q->argv || !q->envp)
		return -1;
	for (uint32_t i = 0; i < hd.argc + hd.envc; i++) {
		if (p >= end)
			return -1;
		if (i < hd.argc)
			q->argv[i] = p;
		else
			q->envp[ne++] = p;
		p += strlen(p) + 1;
	}
	for (size_t i = 0; i < nbase; i++) {
		size_t k = strcspn(environ[i], "=");
		bool set = false;
		for (uint32_t j = 0; j < hd.envc && !set; j++)
			set = !strncmp(q->envp[j], environ[i], k + 1);
		if (!set)
			q->envp[ne++] = environ[i];
	}
	q->timeout_ms = hd.timeout_ms;
	return 0;
}

/* The child: the run's user, no capability, the host's pipes, /work. */
static void exec_payload(struct request *q, uid_t uid, gid_t gid)
{
	sigset_t none;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid(); /* its own session and group: `kill 0` reaches only the run */
	if (null < 0 || dup2(null, 0) < 0 || dup2(q->out, 1) < 0 || dup2(q->err, 2) < 0)
		_exit(126);
	if (become(uid, gid, 0) < 0) {
		fprintf(stderr, "sr-idle: cannot drop to %u:%u: %s\n", (unsigned)uid, (unsigned)gid,
			strerror(errno));
		_exit(126);
	}
	if (chdir("/work") < 0)
		fprintf(stderr, "sr-idle: chdir /work: %s\n", strerror(errno));
	environ = q->envp;
	execvp(q->argv[0], q->argv);
	fprintf(stderr, "sr-idle: exec failed: %s: %s\n", q->argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Wait for the payload pid: exit, deadline, IDLE_KILL, or the host gone
 * (returns -1: PID 1 ends). */
static int wait_payload(struct idle_status *st, int ctl, int sfd, pid_t pid, uint64_t t0,
			uint32_t timeout_ms)
{
	uint64_t deadline = timeout_ms ? t0 + (uint64_t)timeout_ms * 1000u : 0;

	for (;;) {
		struct pollfd p[2] = {{sfd, POLLIN, 0}, {ctl, POLLIN, 0}};
		struct signalfd_siginfo si;
		int status, tmo = -1;
		pid_t w;

		while ((w = waitpid(-1, &status, WNOHANG)) > 0)
			if (w == pid) {
				st->code = WIFEXITED(status) ? WEXITSTATUS(status)
							     : 128 + WTERMSIG(status);
				st->run_us = now_us() - t0;
				return 0;
			}
		if (deadline) {
			uint64_t now = now_us();
			if (now >= deadline) {
				st->timed_out = 1;
				break;
			}
			tmo = (int)((deadline - now + 999) / 1000);
		}
		if (poll(p, 2, tmo) < 0 && errno != EINTR)
			return -1;
		if (p[0].revents & POLLIN)
			while (read(sfd, &si, sizeof(si)) > 0)
				;
		if (p[1].revents) {
			struct idle_hdr h;
			int fds[2];
			if (recv_hdr(ctl, &h, fds) < 0)
				return -1;
			for (int i = 0; i < 2; i++)
				if (fds[i] >= 0)
					close(fds[i]);
			if (h.type == IDLE_KILL) {
				st->killed = 1;
				break;
			}
			return -1; /* nothing else is valid during a run */
		}
	}
	st->run_us = now_us() - t0;
	st->code = 128 + SIGKILL;
	return 0;
}

/* One request: fork, wait, reset, status. -1: the channel is gone. */
static int serve_one(int ctl, int sfd, struct request *q, uid_t uid, gid_t gid)
{
	struct idle_status st;
	uint64_t t0 = now_us();
	pid_t pid = fork();
	int rc = 0;

	memset(&st, 0, sizeof(st));
	if (pid == 0) {
		close(ctl);
		close(sfd);
		exec_payload(q, uid, gid);
	}
	close(q->out);
	close(q->err);
	if (pid < 0) {
		st.code = 126;
		snprintf(st.why, sizeof(st.why), "fork: %s", strerror(errno));
	} else if (wait_payload(&st, ctl, sfd, pid, t0, q->timeout_ms) < 0) {
		rc = -1;
	}
	/* The reset, whatever the payload did. */
	st.reset_ok = 1;
	if (kill_all(st.why, sizeof(st.why)) < 0 ||
	    empty_as(uid, gid, st.why, sizeof(st.why)) < 0 || kill_all(st.why, sizeof(st.why)) < 0)
		st.reset_ok = 0;
	if (rc < 0)
		return -1;
	return send_msg(ctl, IDLE_STATUS, &st, sizeof(st));
}

static int connect_ctl(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", IDLE_CTL_IN, IDLE_SOCK_NAME);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "sr-idle: cannot connect to %s: %s\n", a.sun_path, strerror(errno));
		return -1;
	}
	return fd;
}

static int serve(uid_t uid, gid_t gid)
{
	const uint32_t keep = (1u << CAP_KILL) | (1u << CAP_SETUID) | (1u << CAP_SETGID);
	sigset_t set;
	int ctl, sfd;

	if (getpid() != 1 || become(IDLE_UID, IDLE_UID, keep) < 0) {
		fprintf(stderr, "sr-idle: serve wants to be PID 1 started as root with "
				"CAP_KILL, CAP_SETUID and CAP_SETGID\n");
		return 1;
	}
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (ctl = connect_ctl()) < 0 || send_msg(ctl, IDLE_HELLO, NULL, 0) < 0)
		return 1;
	for (;;) {
		struct idle_hdr h;
		struct request q = {0};
		int fds[2];
		if (recv_hdr(ctl, &h, fds) < 0)
			break;
		q.out = fds[0];
		q.err = fds[1];
		q.body = h.len ? malloc(h.len) : NULL;
		if (h.type != IDLE_RUN || q.out < 0 || q.err < 0 || !q.body ||
		    read_all(ctl, q.body, h.len) < 0 || parse_run(&q, q.body, h.len) < 0)
			break;
		if (serve_one(ctl, sfd, &q, uid, gid) < 0)
			break;
		free(q.argv);
		free(q.envp);
		free(q.body);
		reap();
	}
	/* The host is gone or broke the protocol: nothing may outlive it. */
	{
		char why[64];
		kill_all(why, sizeof(why));
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return serve((uid_t)strtoul(argv[2], NULL, 10), (gid_t)strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: sr-idle serve UID GID\n");
	return 2;
}
