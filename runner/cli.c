#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/firewall.h"

int cli_exit_code(int code)
{
	switch (code) {
	case SR_OK:
		return EXIT_OK;
	case SR_EINVAL:
		return EXIT_USAGE;
	case SR_EENGINE:
		return EXIT_ENGINE;
	default:
		return EXIT_FAIL;
	}
}

int cli_fail(const struct sr_err *err)
{
	sr_log("%s", err->msg);
	return cli_exit_code(err->code ? err->code : SR_EFAIL);
}

int cli_load_catalogue(const struct cli *cli, struct catalogue *out, struct sr_err *err)
{
	const char *path = cli->catalogue_path;

	if (!path || !*path)
		path = getenv("SANDRUN_CATALOGUE");
	if (!path || !*path)
		path = "images.toml";
	if (access(path, F_OK) < 0)
		return sr_err_set(err, SR_EINVAL, "cannot open catalogue '%s': %s", path,
				  strerror(errno));
	return catalogue_load(out, path, err);
}

int cli_engine(const struct cli *cli, struct engine *e, struct sr_err *err)
{
	if (engine_init(e, cli->engine, err) < 0)
		return err->code = SR_EENGINE;
	if (engine_probe(e, err) < 0) {
		engine_release(e);
		return SR_EENGINE;
	}
	return 0;
}

/* Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
static int proc_start_time(long pid, unsigned long long *out)
{
	char path[64], buf[1024];
	FILE *f;
	char *p;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip past the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -1;
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

char *cli_owner(void)
{
	char host[256];
	unsigned long long st = 0;

	hostname_of(host, sizeof(host));
	proc_start_time((long)getpid(), &st);
	return xasprintf("%s/%ld/%llu", host, (long)getpid(), st);
}

bool cli_owner_dead(const char *owner)
{
	char host[256];
	const char *a = strchr(owner, '/'), *b;
	long pid;
	unsigned long long want, have;

	hostname_of(host, sizeof(host));
	if (!a || (size_t)(a - owner) != strlen(host) || strncmp(owner, host, strlen(host)))
		return false; /* another host's object: not ours to judge */
	pid = strtol(a + 1, NULL, 10);
	b = strchr(a + 1, '/');
	if (pid <= 0 || !b)
		return false;
	want = strtoull(b + 1, NULL, 10);
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return true;
	if (proc_start_time(pid, &have) < 0)
		return true;
	return have != want;
}

static int sweep_kind(const struct engine *e, bool networks, bool verbose)
{
	/* Docker's listings expose labels as a string with a Label method,
	 * podman's as a map. */
	const char *owner =
	    e->podman ? "{{index .Labels \"sandrun.owner\"}}" : "{{.Label \"sandrun.owner\"}}";
	char *cfmt = xasprintf("{{.Names}}\t%s", owner), *nfmt = xasprintf("{{.Name}}\t%s", owner);
	const char *cargs[] = {"ps",	   "-a", "--filter", "label=sandrun.owner",
			       "--format", cfmt, NULL};
	const char *nargs[] = {"network",  "ls", "--filter", "label=sandrun.owner",
			       "--format", nfmt, NULL};
	struct strbuf out = STRBUF_INIT;
	struct sr_err err = SR_ERR_INIT;
	char *line, *save = NULL;
	int removed = 0, rc;

	rc = engine_call(e, networks ? nargs : cargs, ENGINE_TMO_QUICK, &out, &err);
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
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		if (!cli_owner_dead(tab + 1))
			continue;
		if (verbose)
			printf("removing %s %s (owner %s is gone)\n",
			       networks ? "network" : "container", line, tab + 1);
		if (networks)
			engine_network_rm(e, line);
		else
			engine_rm(e, line);
		removed++;
	}
	strbuf_release(&out);
	return removed;
}

int cli_sweep(const struct engine *e, bool verbose)
{
	int n = sweep_kind(e, false, verbose);

	n += sweep_kind(e, true, verbose);
	if (fw_available())
		n += fw_sweep_stale();
	return n;
}

bool cli_opt(int argc, char **argv, int *i, const char *lng, const char *shrt, const char **val)
{
	const char *a = argv[*i];
	size_t n;

	if (lng) {
		n = strlen(lng);
		if (!strncmp(a, lng, n) && a[n] == '=') {
			if (val)
				*val = a + n + 1;
			return !!val;
		}
		if (!strcmp(a, lng)) {
			if (!val)
				return true;
			if (*i + 1 >= argc) {
				*val = NULL;
				return true;
			}
			*val = argv[++*i];
			return true;
		}
	}
	if (shrt) {
		n = strlen(shrt);
		if (!strcmp(a, shrt)) {
			if (!val)
				return true;
			if (*i + 1 >= argc) {
				*val = NULL;
				return true;
			}
			*val = argv[++*i];
			return true;
		}
		if (val && !strncmp(a, shrt, n) && a[n]) {
			*val = a + n;
			return true;
		}
	}
	return false;
}
