#include "runner/exec/gc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "runner/net/firewall.h"
#include "runner/engine/podman.h"

/* Field 22 of /proc/<pid>/stat: start time in clock ticks since boot.
 * Returns 0, or the errno of the failure (EINVAL for unparsable text). */
static int proc_start_time(long pid, unsigned long long *out)
{
	char path[64], buf[1024];
	FILE *f;
	char *p;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return errno ? errno : EIO;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip past the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return EINVAL;
	p++;
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return EINVAL;
	}
	*out = strtoull(p + 1, NULL, 10);
	return 0;
}

static void hostname_of(char *buf, size_t n)
{
	if (gethostname(buf, n) < 0)
		snprintf(buf, n, "localhost");
	buf[n - 1] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '/')
			*p = '-';
}

char *gc_owner_self(void)
{
	char host[256];
	unsigned long long st = 0;

	hostname_of(host, sizeof(host));
	proc_start_time((long)getpid(), &st);
	return xasprintf("%s/%ld/%llu", host, (long)getpid(), st);
}

int gc_owner_parse(struct gc_owner *out, const char *label)
{
	const char *a = strchr(label, '/'), *b;
	char *end;

	memset(out, 0, sizeof(*out));
	if (!a || a == label || (size_t)(a - label) >= sizeof(out->host))
		return SR_EINVAL;
	memcpy(out->host, label, (size_t)(a - label));
	errno = 0;
	out->pid = strtol(a + 1, &end, 10);
	b = end;
	if (errno || out->pid <= 0 || *b != '/' || !b[1])
		return SR_EINVAL;
	out->start = strtoull(b + 1, &end, 10);
	if (errno || *end)
		return SR_EINVAL;
	return 0;
}

bool gc_owner_decide(const struct gc_owner *o, const char *this_host, const struct gc_probe *p)
{
	if (strcmp(o->host, this_host))
		return false; /* another host's object: not ours to judge */
	if (p->kill_errno == ESRCH)
		return true;
	/* The pid exists (or we may not signal it). Only a start time we could
	 * read and that differs says the pid now belongs to someone else. */
	if (p->stat_errno)
		return false;
	return p->start != o->start;
}

bool gc_owner_dead(const char *label)
{
	struct gc_owner o;
	struct gc_probe p = {0};
	char host[256];

	if (gc_owner_parse(&o, label) < 0)
		return false;
	hostname_of(host, sizeof(host));
	if (strcmp(o.host, host))
		return false;
	if (kill((pid_t)o.pid, 0) < 0)
		p.kill_errno = errno;
	if (p.kill_errno != ESRCH)
		p.stat_errno = proc_start_time(o.pid, &p.start);
	return gc_owner_decide(&o, host, &p);
}

const char *gc_tmp_base(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

int gc_tmp_root_create(const char *root, const char *owner, struct sr_err *err)
{
	char *path;
	int rc;

	if (mkdir(root, 0700) < 0)
		return sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", root, strerror(errno));
	path = xasprintf("%s/" GC_OWNER_FILE, root);
	rc = fs_write_new(path, owner, strlen(owner), 0600, err);
	free(path);
	return rc;
}

static int sweep_kind(const struct engine *e, bool networks, bool verbose)
{
	/* Docker's listings expose labels as a string with a Label method,
	 * podman's as a map. */
	const char *owner =
	    e->podman ? "{{index .Labels \"sandrun.owner\"}}" : "{{.Label \"sandrun.owner\"}}";
	char *cfmt = xasprintf("{{.Names}}\t%s", owner), *nfmt = xasprintf("{{.Name}}\t%s", owner);
	/* podman 4's `network ls` has the labels as one "k=v,k=v" string. */
	bool podman_net = networks && e->podman;
	const char *cargs[] = {"ps",	   "-a", "--filter", "label=sandrun.owner",
			       "--format", cfmt, NULL};
	const char *nargs[] = {"network",  "ls", "--filter", "label=sandrun.owner",
			       "--format", nfmt, NULL};
	struct strbuf out = STRBUF_INIT;
	struct sr_err err = SR_ERR_INIT;
	char *line, *save = NULL;
	int removed = 0, rc;

	if (podman_net) {
		free(nfmt);
		nfmt = xstrdup("{{.Name}}\t{{.Labels}}");
		nargs[5] = nfmt;
	}
	rc = engine_call(&out, e, networks ? nargs : cargs, ENGINE_TMO_QUICK, &err);
	free(cfmt);
	free(nfmt);
	if (rc < 0) {
		sr_debug("cannot list leftover %s: %s", networks ? "networks" : "containers",
			 err.msg);
		strbuf_release(&out);
		return 0;
	}
	for (line = strtok_r(out.buf ? out.buf : (char *)"", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t'), *own;
		if (!tab)
			continue;
		*tab = '\0';
		own = podman_net ? podman_ls_label(tab + 1, "sandrun.owner") : tab + 1;
		if (!gc_owner_dead(own))
			continue;
		if (verbose)
			printf("removing %s %s (owner %s is gone)\n",
			       networks ? "network" : "container", line, own);
		if (networks)
			engine_network_rm(e, line);
		else
			engine_rm(e, line);
		removed++;
	}
	strbuf_release(&out);
	return removed;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_mount(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Unmount every mount at or below dir (a real path), deepest first. */
static void unmount_below(const char *dir)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	struct strvec pts = STRVEC_INIT;
	char line[8192];
	size_t n = strlen(dir);

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *field = strtok_r(line, " ", &save);
		for (int i = 1; i < 5 && field; i++)
			field = strtok_r(NULL, " ", &save);
		if (!field)
			continue;
		unescape_mount(field);
		if (!strncmp(field, dir, n) && (field[n] == '/' || !field[n]))
			strvec_push(&pts, field);
	}
	fclose(f);
	/* mountinfo lists parents before children: undo in reverse. */
	for (size_t i = pts.nr; i-- > 0;)
		if (umount2(pts.v[i], MNT_DETACH) < 0)
			sr_debug("cannot unmount '%s': %s", pts.v[i], strerror(errno));
	strvec_clear(&pts);
}

/* The owner label recorded in a temp root, or NULL (not a runner's, or one
 * still being created). Caller frees. */
static char *read_owner(const char *root)
{
	char *path = xasprintf("%s/" GC_OWNER_FILE, root), buf[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	free(path);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

int gc_sweep_tmp(const char *tmp_base, bool verbose)
{
	char base[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int removed = 0;

	if (!realpath(tmp_base, base) || !(d = opendir(base)))
		return 0;
	while ((de = readdir(d))) {
		char *root, *owner;
		struct stat st;

		if (strncmp(de->d_name, GC_TMP_PREFIX, strlen(GC_TMP_PREFIX)))
			continue;
		root = xasprintf("%s/%s", base, de->d_name);
		/* Only directories this user owns: never follow a planted link. */
		if (lstat(root, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
		    !(owner = read_owner(root))) {
			free(root);
			continue;
		}
		if (gc_owner_dead(owner)) {
			if (verbose)
				printf("removing run directory %s (owner %s is gone)\n", root,
				       owner);
			unmount_below(root);
			fs_remove_tree(root);
			removed++;
		}
		free(owner);
		free(root);
	}
	closedir(d);
	return removed;
}

/* For a docker run's sweep: a bridge not named after an "sr-" network is
 * podman's, whose chain precedes the bridge; only a podman run's sweep can
 * tell whether it is stale (podman_fw_sweep). */
static bool podman_named(const char *bridge, void *ctx)
{
	(void)ctx;
	return strncmp(bridge, "sr-", 3) != 0;
}

int gc_sweep(const struct engine *e, const char *tmp_base, bool verbose)
{
	int n = sweep_kind(e, false, verbose);

	n += sweep_kind(e, true, verbose);
	if (fw_available())
		n += e->podman ? podman_fw_sweep(e) : fw_sweep_stale(podman_named, NULL);
	n += gc_sweep_tmp(tmp_base, verbose);
	return n;
}
