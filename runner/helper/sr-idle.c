/* sr-idle: the idle process of a warm container (spec `isolation: harness`)
 * and the reset between two of its runs. sandrun bind-mounts it read-only
 * at /sandrun/sr-idle, so the image needs neither a shell nor sleep.
 *
 *   sr-idle idle    PID 1 of the container: reaps every orphan, exits 0 on
 *                   SIGTERM/SIGINT, does nothing else.
 *   sr-idle reset   run with `exec` as the container's user after a run:
 *                   kill(-1, SIGKILL)s every process but PID 1 and itself
 *                   until none is left, empties /tmp and /dev/shm, removes
 *                   every SysV IPC object listed under /proc/sysvipc, then
 *                   prints "oom_kill N" (the memory cgroup's OOM-kill count,
 *                   -1 when unknown) on stdout. Exits 0 when all of it is
 *                   gone, 1 (with what is left on stderr) otherwise.
 *   sr-idle run -- COMMAND...
 *                   run with `exec`: runs COMMAND, then the reset, then
 *                   ends stderr with "\nsr-idle-status: STATUS reset ok|failed
 *                   oom_kill N" and exits with STATUS (COMMAND's exit code,
 *                   128+N for signal N): one engine round trip per run. When
 *                   the line is missing (the run killed sr-idle), the runner
 *                   falls back to `reset`.
 *
 * Built `-static -Os`: no allocation, no libc beyond syscalls and stdio. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The line `run` ends stderr with; warm.c parses it. */
#define STATUS_TAG "sr-idle-status: "

static int idle(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (sigwait(&set, &sig) == 0 && sig != SIGCHLD)
			return 0;
	}
}

/* Processes other than PID 1 and this one that are not zombies (a zombie
 * is already dead; PID 1 reaps it). */
static int live_others(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	pid_t self = getpid();

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[64], buf[512], *p;
		long pid = strtol(e->d_name, &p, 10);
		FILE *f;

		if (*p || pid <= 1 || pid == self)
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

/* kill(-1) until nothing is left: a process forking in a loop may create a
 * child between the signal and its own death, so repeat, up to ~2 s. */
static int kill_all(void)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	for (int i = 0; i < 200; i++) {
		int n;
		kill(-1, SIGKILL);
		if ((n = live_others()) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "sr-idle: %d process(es) survive kill(-1)\n", live_others());
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

/* "oom_kill N" from cgroup v2's memory.events or v1's memory.oom_control. */
static long oom_kills(void)
{
	static const char *const files[] = {"/sys/fs/cgroup/memory.events",
					    "/sys/fs/cgroup/memory/memory.oom_control"};
	char line[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "re");
		long n = -1;
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "oom_kill %ld", &n) == 1)
				break;
		fclose(f);
		if (n >= 0)
			return n;
	}
	return -1;
}

static int reset_all(void)
{
	int rc = 0;

	rc |= kill_all();
	rc |= empty_path("/tmp");
	rc |= empty_path("/dev/shm");
	rc |= remove_ipc("shm", 0);
	rc |= remove_ipc("msg", 1);
	rc |= remove_ipc("sem", 2);
	return rc;
}

static int reset(void)
{
	int rc = reset_all();

	printf("oom_kill %ld\n", oom_kills());
	return rc ? 1 : 0;
}

/* Run argv, then reset; the status line goes last on stderr, after every
 * other process of the run is gone. Exits with the command's status,
 * 128+N when signal N killed it. */
static int run(char **argv)
{
	int st, code, rc;
	pid_t pid = fork();

	if (pid < 0)
		return 126;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "sr-idle: exec failed: %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 126;
	code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	rc = reset_all();
	fflush(stdout);
	fprintf(stderr, "\n" STATUS_TAG "%d reset %s oom_kill %ld\n", code, rc ? "failed" : "ok",
		oom_kills());
	return code;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "idle"))
		return idle();
	if (argc == 2 && !strcmp(argv[1], "reset"))
		return reset();
	if (argc > 3 && !strcmp(argv[1], "run") && !strcmp(argv[2], "--"))
		return run(argv + 3);
	fprintf(stderr, "usage: sr-idle idle|reset|run -- COMMAND...\n");
	return 2;
}
