#include "runner/netpolicy/dnsrelay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/fsutil.h"

#define PING_EVERY_MS 50

bool dnsrelay_needed(bool is_root)
{
	char buf[32] = "";
	int fd;
	ssize_t n;

	if (is_root)
		return false;
	fd = open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	/* Unreadable: assume the classic 1024. */
	return n <= 0 || atoi(buf) > 53;
}

int dnsrelay_source(struct dnsrelay_src *out, const struct catalogue *cat,
		    const char *harness_image, struct sr_err *err)
{
	const struct cat_entry *ent = catalogue_find(cat, DNSRELAY_TOOLCHAIN);
	char path[PATH_MAX];

	memset(out, 0, sizeof(*out));
	/* The harness's own image is present and pinned like any run's: the
	 * static relay needs nothing of it but a filesystem to be mounted in. */
	if (harness_image && fs_helper_path(path, sizeof(path), DNSRELAY_PROG) == 0) {
		out->image = xstrdup(harness_image);
		out->helper = xstrdup(path);
		return 0;
	}
	if (!ent)
		return sr_err_set(
		    err, SR_EFAIL,
		    "not root: UDP 53 on the run network's gateway is out of reach, "
		    "the DNS relay program %s is not installed (next to sandrun, in "
		    "../libexec/sandrun or $SANDRUN_HELPER_DIR) and the catalogue has "
		    "no '%s' image; run as root or install sandrun's helpers",
		    DNSRELAY_PROG, DNSRELAY_TOOLCHAIN);
	/* A container the runner itself puts on the run's network: never a
	 * tag that could change under us. */
	if (!cat_entry_pinned(ent))
		return sr_err_set(err, SR_EFAIL,
				  "the catalogue's '%s' image (the DNS relay) is "
				  "not pinned to a digest",
				  DNSRELAY_TOOLCHAIN);
	out->image = cat_entry_ref(ent);
	return 0;
}

void dnsrelay_src_release(struct dnsrelay_src *s)
{
	free(s->image);
	free(s->helper);
	memset(s, 0, sizeof(*s));
}

char *dnsrelay_name(const char *container)
{
	return xasprintf("%s-dns", container);
}

void dnsrelay_argv(struct strvec *out, const char *name, const char *network, const char *run_id,
		   const char *owner, const struct dnsrelay_src *src, const char *gateway,
		   uint16_t port)
{
	strvec_pushv(out, (const char *const[]){"run", "-d", "--name", name, "--network", network,
						"--label", NULL});
	strvec_pushf(out, "sandrun.run=%s", run_id);
	strvec_push(out, "--label");
	strvec_pushf(out, "sandrun.owner=%s", owner);
	/* It needs no capability: the engine sets ip_unprivileged_port_start
	 * to 0 in each container's own network namespace. */
	strvec_pushv(out, (const char *const[]){"--label",
						"sandrun.role=dns-relay",
						"--user",
						"65534:65534",
						"--cap-drop",
						"ALL",
						"--security-opt",
						"no-new-privileges",
						"--read-only",
						"--memory",
						"16m",
						"--memory-swap",
						"16m",
						"--pids-limit",
						"8",
						"--cpus",
						"0.25",
						"--log-driver",
						"none",
						"--pull",
						"never",
						"--restart",
						"no",
						NULL});
	if (src->helper) {
		strvec_push(out, "--mount");
		strvec_pushf(out, "type=bind,source=%s,target=" DNSRELAY_IN ",readonly",
			     src->helper);
		strvec_push(out, "--entrypoint=" DNSRELAY_IN);
	}
	strvec_pushv(out, (const char *const[]){src->image, gateway, NULL});
	if (port)
		strvec_pushf(out, "%u", port);
	else
		strvec_push(out, "<port>");
}

/* Its address on its only network, and whether it still runs. */
static int relay_inspect(char **out, bool *running, int *exit_code, const struct engine *e,
			 const char *name, struct sr_err *err)
{
	const char *args[] = {"container",
			      "inspect",
			      "--format",
			      "{{.State.Running}} {{.State.ExitCode}} "
			      "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
			      name,
			      NULL};
	struct strbuf o = STRBUF_INIT;
	char state[8] = "", ip[INET_ADDRSTRLEN] = "";
	int rc;

	if ((rc = engine_call(&o, e, args, ENGINE_TMO_QUICK, err)) < 0) {
		strbuf_release(&o);
		return rc;
	}
	*exit_code = -1;
	sscanf(strbuf_str(&o), "%7s %d %15s", state, exit_code, ip);
	strbuf_release(&o);
	*running = !strcmp(state, "true");
	*out = *ip ? xstrdup(ip) : NULL;
	return 0;
}

/* Wait for "pong" to a "ping" sent from the host to ip:53. */
static bool relay_answers(const char *ip)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	uint64_t end = sr_now_ms() + DNSRELAY_READY_MS;
	bool ok = false;
	int fd;

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return false;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	while (!ok && sr_now_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char buf[8];

		if (sendto(fd, "ping", 4, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		    errno != ECONNREFUSED) {
			usleep(PING_EVERY_MS * 1000);
			continue;
		}
		if (poll(&p, 1, PING_EVERY_MS) == 1 && recv(fd, buf, sizeof(buf), 0) == 4 &&
		    !memcmp(buf, "pong", 4))
			ok = true;
	}
	close(fd);
	return ok;
}

int dnsrelay_start(char **out, const struct engine *e, const char *name, const struct strvec *args,
		   struct sr_err *err)
{
	bool running = false;
	int code = -1;
	char *ip = NULL;

	*out = NULL;
	if (engine_call(NULL, e, (const char *const *)args->v, ENGINE_TMO_QUICK, err) < 0)
		return sr_err_wrap(err, "cannot start the dns relay %s", name);
	if (relay_inspect(&ip, &running, &code, e, name, err) < 0)
		return sr_err_wrap(err, "cannot inspect the dns relay %s", name);
	if (!ip || !running || !relay_answers(ip)) {
		/* It may have died while we waited: say how. */
		free(ip);
		ip = NULL;
		relay_inspect(&ip, &running, &code, e, name, err);
		sr_err_set(err, SR_EFAIL,
			   running ? "dns relay %s (%s:53) did not answer within %d ms"
				   : "dns relay %s (%s:53) exited with code %d before answering",
			   name, ip ? ip : "no address", running ? DNSRELAY_READY_MS : code);
		free(ip);
		return SR_EFAIL;
	}
	*out = ip;
	return 0;
}
