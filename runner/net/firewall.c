#include "firewall.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

extern char **environ;

#define TOOL_DEADLINE_MS 30000
#define TOOL_OUT_MAX	 (1u << 20)
#define TOOL_ERR_MAX	 4096

/* One iptables invocation: argv[0] is "iptables" or "ip6tables". */
struct fw_cmd {
	struct strvec argv;
};

struct fw_plan {
	struct fw_cmd *cmds;
	size_t n, alloc;
	size_t v6_start; /* cmds[v6_start..] are the ip6tables ones */
};

static struct strvec *plan_add(struct fw_plan *p, const char *tool)
{
	struct fw_cmd *c;

	SR_GROW(p->cmds, p->n + 1, p->alloc);
	c = &p->cmds[p->n++];
	memset(c, 0, sizeof(*c));
	strvec_push(&c->argv, tool);
	strvec_push(&c->argv, "-w");
	return &c->argv;
}

static void plan_release(struct fw_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		strvec_clear(&p->cmds[i].argv);
	free(p->cmds);
	memset(p, 0, sizeof(*p));
}

static void port_arg(struct strvec *v, uint16_t port)
{
	if (port)
		strvec_pushf(v, "%u", port);
	else
		strvec_push(v, "<port>");
}

/* The rules, in the order they are installed: the jump comes last, so the
 * chain is complete before the first packet goes through it. */
static void build_plan(struct fw_plan *p, const char *chain, const char *bridge, const char *gw,
		       const uint16_t *tcp, size_t ntcp, const uint16_t *udp, size_t nudp)
{
	struct strvec *v;
	char dst[64];

	snprintf(dst, sizeof(dst), "%s/32", gw);
	v = plan_add(p, "iptables");
	strvec_pushv(v, (const char *const[]){"-N", chain, NULL});
	v = plan_add(p, "iptables");
	strvec_pushv(v, (const char *const[]){"-A", chain, "-m", "conntrack", "--ctstate",
					      "ESTABLISHED,RELATED", "-j", "ACCEPT", NULL});
	for (size_t i = 0; i < ntcp; i++) {
		v = plan_add(p, "iptables");
		strvec_pushv(
		    v, (const char *const[]){"-A", chain, "-d", dst, "-p", "tcp", "--dport", NULL});
		port_arg(v, tcp[i]);
		strvec_pushv(v, (const char *const[]){"-j", "ACCEPT", NULL});
	}
	for (size_t i = 0; i < nudp; i++) {
		v = plan_add(p, "iptables");
		strvec_pushv(
		    v, (const char *const[]){"-A", chain, "-d", dst, "-p", "udp", "--dport", NULL});
		port_arg(v, udp[i]);
		strvec_pushv(v, (const char *const[]){"-j", "ACCEPT", NULL});
	}
	/* Refused, not dropped: a harness probing where it should not fails at
	 * once instead of waiting out its own timeouts. */
	v = plan_add(p, "iptables");
	strvec_pushv(v, (const char *const[]){"-A", chain, "-j", "REJECT", NULL});
	v = plan_add(p, "iptables");
	strvec_pushv(v, (const char *const[]){"-I", "INPUT", "1", "-i", bridge, "-j", chain, NULL});

	p->v6_start = p->n;
	v = plan_add(p, "ip6tables");
	strvec_pushv(v, (const char *const[]){"-N", chain, NULL});
	v = plan_add(p, "ip6tables");
	strvec_pushv(v, (const char *const[]){"-A", chain, "-j", "DROP", NULL});
	v = plan_add(p, "ip6tables");
	strvec_pushv(v, (const char *const[]){"-I", "INPUT", "1", "-i", bridge, "-j", chain, NULL});
}

static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_-./:,=+@%", *s)))
			return false;
	return true;
}

static void describe_cmd(struct strbuf *out, char *const *argv)
{
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			strbuf_addch(out, ' ');
		if (shell_safe(argv[i])) {
			strbuf_addstr(out, argv[i]);
			continue;
		}
		strbuf_addch(out, '\'');
		for (const char *c = argv[i]; *c; c++) {
			if (*c == '\'')
				strbuf_addstr(out, "'\\''");
			else
				strbuf_addch(out, *c);
		}
		strbuf_addch(out, '\'');
	}
	strbuf_addch(out, '\n');
}

void fw_describe(struct strbuf *out, const char *bridge_if, const char *gateway_ip,
		 const uint16_t *tcp_ports, size_t ntcp, const uint16_t *udp_ports, size_t nudp)
{
	struct fw_plan p = {0};
	char chain[64];

	snprintf(chain, sizeof(chain), FW_CHAIN_PREFIX "%s", bridge_if);
	build_plan(&p, chain, bridge_if, gateway_ip, tcp_ports, ntcp, udp_ports, nudp);
	for (size_t i = 0; i < p.n; i++)
		describe_cmd(out, strvec_argv(&p.cmds[i].argv));
	plan_release(&p);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int spawn_tool(pid_t *pid, char *const *argv, int out_fd, int err_fd)
{
	static const char *const dirs[] = {"/usr/sbin/", "/sbin/", "/usr/bin/"};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	posix_spawnattr_init(&attr);
	/* The runner ignores SIGPIPE and may block signals in threads; the
	 * tool starts with neither. */
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
	/* root's PATH normally has sbin; a runner started from a user's
	 * environment may not. */
	for (size_t i = 0; rc == ENOENT && i < SR_ARRAY_SIZE(dirs); i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s%s", dirs[i], argv[0]);
		rc = posix_spawn(pid, path, &fa, &attr, argv, environ);
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

/* Run argv; stdout into out (may be NULL), stderr into err on failure. */
static int run_tool(char *const *argv, struct strbuf *out, struct sr_err *err)
{
	struct strbuf cmd = STRBUF_INIT, eb = STRBUF_INIT;
	int op[2] = {-1, -1}, ep[2] = {-1, -1};
	uint64_t deadline = now_ms() + TOOL_DEADLINE_MS;
	bool killed = false;
	pid_t pid;
	int rc, status = 0;

	describe_cmd(&cmd, argv);
	cmd.len--; /* the newline */
	cmd.buf[cmd.len] = '\0';
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		rc = sr_err_set(err, SR_EFAIL, "cannot run '%s': pipe: %s", cmd.buf,
				strerror(errno));
		goto done;
	}
	rc = spawn_tool(&pid, argv, op[1], ep[1]);
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	if (rc) {
		rc = sr_err_set(err, SR_EFAIL, "cannot run '%s': %s", cmd.buf, strerror(rc));
		goto done;
	}
	while (op[0] >= 0 || ep[0] >= 0) {
		struct pollfd pf[2] = {{.fd = op[0], .events = POLLIN},
				       {.fd = ep[0], .events = POLLIN}};
		uint64_t now = now_ms();
		int n;

		if (now >= deadline) {
			if (!killed)
				kill(pid, SIGKILL);
			killed = true;
			break;
		}
		n = poll(pf, 2, (int)(deadline - now));
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2 && n > 0; i++) {
			int *fd = i ? &ep[0] : &op[0];
			struct strbuf *sb = i ? &eb : out;
			size_t cap = i ? TOOL_ERR_MAX : TOOL_OUT_MAX;
			char buf[4096];
			ssize_t r;

			if (*fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(*fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			if (sb && sb->len < cap)
				strbuf_add(sb, buf,
					   (size_t)r < cap - sb->len ? (size_t)r : cap - sb->len);
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	while (eb.len && (eb.buf[eb.len - 1] == '\n' || eb.buf[eb.len - 1] == ' '))
		eb.buf[--eb.len] = '\0';
	if (killed)
		rc = sr_err_set(err, SR_ETIMEOUT, "'%s' did not finish in %d s", cmd.buf,
				TOOL_DEADLINE_MS / 1000);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else if (WIFEXITED(status))
		rc = sr_err_set(err, SR_EFAIL, "'%s' failed (exit %d): %s", cmd.buf,
				WEXITSTATUS(status), eb.len ? eb.buf : "no message");
	else
		rc = sr_err_set(err, SR_EFAIL, "'%s' killed by signal %d", cmd.buf,
				WIFSIGNALED(status) ? WTERMSIG(status) : 0);
done:
	for (int i = 0; i < 2; i++) {
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	strbuf_release(&cmd);
	strbuf_release(&eb);
	return rc;
}

static int run_list(const char *const *args, struct strbuf *out, struct sr_err *err)
{
	struct strvec v = STRVEC_INIT;
	int rc;

	strvec_pushv(&v, args);
	rc = run_tool(strvec_argv(&v), out, err);
	strvec_clear(&v);
	return rc;
}

static pthread_once_t avail_once = PTHREAD_ONCE_INIT;
static bool avail_v4, avail_v6;

static void probe(void)
{
	struct sr_err e = SR_ERR_INIT;

	if (geteuid() != 0)
		return;
	avail_v4 =
	    run_list((const char *const[]){"iptables", "-w", "-S", "INPUT", NULL}, NULL, &e) == 0;
	avail_v6 =
	    avail_v4 &&
	    run_list((const char *const[]){"ip6tables", "-w", "-S", "INPUT", NULL}, NULL, &e) == 0;
}

bool fw_available(void)
{
	pthread_once(&avail_once, probe);
	return avail_v4;
}

static bool valid_bridge(const char *b)
{
	size_t n = strlen(b);

	/* Also an argv element and a /sys path: no leading '-' or '.'. */
	if (n == 0 || n > 15 || b[0] == '-' || b[0] == '.')
		return false;
	for (; *b; b++)
		if (!((*b >= 'a' && *b <= 'z') || (*b >= 'A' && *b <= 'Z') ||
		      (*b >= '0' && *b <= '9') || *b == '_' || *b == '-' || *b == '.'))
			return false;
	return true;
}

/* Undo one family: every jump to chain, then the chain. */
static int remove_family(const char *tool, const char *chain, const char *bridge)
{
	struct sr_err e = SR_ERR_INIT;
	int rc = 0;

	/* -D removes one matching rule per call; a jump may have been
	 * inserted twice by an interrupted retry. */
	for (int i = 0; i < 8; i++)
		if (run_list((const char *const[]){tool, "-w", "-D", "INPUT", "-i", bridge, "-j",
						   chain, NULL},
			     NULL, &e) < 0)
			break;
	if (run_list((const char *const[]){tool, "-w", "-F", chain, NULL}, NULL, &e) < 0)
		rc = SR_EFAIL;
	if (run_list((const char *const[]){tool, "-w", "-X", chain, NULL}, NULL, &e) < 0)
		rc = SR_EFAIL;
	if (rc)
		sr_debug("firewall: cannot remove chain %s (%s): %s", chain, tool, e.msg);
	return rc;
}

/* Run plan commands [from, to). A chain left over from an earlier run with
 * the same bridge name is flushed and reused. */
static int run_range(struct fw_plan *p, size_t from, size_t to, const char *chain,
		     struct sr_err *err)
{
	for (size_t i = from; i < to; i++) {
		char *const *argv = strvec_argv(&p->cmds[i].argv);

		if (run_tool(argv, NULL, err) == 0)
			continue;
		if (i == from) {
			struct sr_err e2 = SR_ERR_INIT;
			if (run_list((const char *const[]){argv[0], "-w", "-F", chain, NULL}, NULL,
				     &e2) == 0)
				continue;
		}
		return SR_EFAIL;
	}
	return 0;
}

int fw_apply(struct fw_rules *out, const char *bridge_if, const char *gateway_ip,
	     const uint16_t *tcp_ports, size_t ntcp, const uint16_t *udp_ports, size_t nudp,
	     struct sr_err *err)
{
	struct fw_plan p = {0};
	struct in_addr a;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!bridge_if || !valid_bridge(bridge_if))
		return sr_err_set(err, SR_EINVAL, "bad bridge interface name '%s'",
				  bridge_if ? bridge_if : "");
	if (!gateway_ip || inet_pton(AF_INET, gateway_ip, &a) != 1)
		return sr_err_set(err, SR_EINVAL, "gateway '%s' is not an IPv4 address",
				  gateway_ip ? gateway_ip : "");
	for (size_t i = 0; i < ntcp; i++)
		if (!tcp_ports[i])
			return sr_err_set(err, SR_EINVAL, "tcp port 0 in firewall rules");
	for (size_t i = 0; i < nudp; i++)
		if (!udp_ports[i])
			return sr_err_set(err, SR_EINVAL, "udp port 0 in firewall rules");
	if (!fw_available())
		return sr_err_set(err, SR_EFAIL, "iptables is not usable (needs root)");
	snprintf(out->chain, sizeof(out->chain), FW_CHAIN_PREFIX "%s", bridge_if);
	snprintf(out->bridge, sizeof(out->bridge), "%s", bridge_if);
	build_plan(&p, out->chain, bridge_if, gateway_ip, tcp_ports, ntcp, udp_ports, nudp);

	rc = run_range(&p, 0, p.v6_start, out->chain, err);
	if (rc < 0) {
		remove_family("iptables", out->chain, out->bridge);
		memset(out, 0, sizeof(*out));
		plan_release(&p);
		return rc;
	}
	out->v4 = true;
	if (avail_v6) {
		struct sr_err e6 = SR_ERR_INIT;

		if (run_range(&p, p.v6_start, p.n, out->chain, &e6) == 0) {
			out->v6 = true;
		} else {
			/* IPv4 is the contract; IPv6 is defence in depth. */
			sr_debug("firewall: ipv6 rules not installed: %s", e6.msg);
			remove_family("ip6tables", out->chain, out->bridge);
		}
	}
	plan_release(&p);
	return 0;
}

int fw_remove(struct fw_rules *r)
{
	int rc = 0;

	if (!r || !r->chain[0])
		return 0;
	if (r->v4 && remove_family("iptables", r->chain, r->bridge) < 0)
		rc = SR_EFAIL;
	if (r->v6 && remove_family("ip6tables", r->chain, r->bridge) < 0)
		rc = SR_EFAIL;
	memset(r, 0, sizeof(*r));
	return rc;
}

static bool bridge_exists(const char *b)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/net/%s", b);
	return stat(path, &st) == 0;
}

static int sweep_family(const char *tool)
{
	struct strbuf out = STRBUF_INIT;
	struct sr_err e = SR_ERR_INIT;
	size_t prefix = strlen(FW_CHAIN_PREFIX);
	int removed = 0;
	char *line, *save = NULL;

	if (run_list((const char *const[]){tool, "-w", "-S", NULL}, &out, &e) < 0) {
		strbuf_release(&out);
		return 0;
	}
	for (line = strtok_r(out.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *chain, *bridge;

		if (strncmp(line, "-N " FW_CHAIN_PREFIX, 3 + prefix))
			continue;
		chain = line + 3;
		bridge = chain + prefix;
		if (!valid_bridge(bridge) || bridge_exists(bridge))
			continue;
		if (remove_family(tool, chain, bridge) == 0)
			removed++;
	}
	strbuf_release(&out);
	return removed;
}

int fw_sweep_stale(void)
{
	int n;

	if (!fw_available())
		return 0;
	/* Counted once per run: the IPv6 chain shares the IPv4 one's name. */
	n = sweep_family("iptables");
	if (avail_v6)
		sweep_family("ip6tables");
	return n;
}
