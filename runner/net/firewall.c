#include "runner/net/firewall.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "lib/proc.h"
#include "lib/quote.h"

#define TOOL_DEADLINE_MS 30000
#define TOOL_OUT_MAX	 (1u << 20)
#define TOOL_ERR_MAX	 4096

/* One iptables invocation: argv[0] is "iptables" or "ip6tables". */
struct fw_cmd {
	struct strvec argv;
	const char *if_chain; /* run only when this chain exists (CNI's) */
};

/* CNI's chain for administrators: its FORWARD chain jumps here first and
 * never flushes it, so a jump from here stays ahead of CNI's ACCEPTs even
 * when CNI re-inserts its own FORWARD jump above ours (podman). */
#define CNI_ADMIN "CNI-ADMIN"

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

/* The jumps into chain for packets from bridge: to the host (INPUT) and
 * through it (FORWARD: podman's network has a default route and NAT; on
 * docker's internal network it is defence in depth), and from CNI-ADMIN
 * where that chain exists. */
static void add_jumps(struct fw_plan *p, const char *tool, const char *chain, const char *bridge)
{
	static const char *const from[] = {"INPUT", "FORWARD", CNI_ADMIN};

	for (size_t i = 0; i < SR_ARRAY_SIZE(from); i++) {
		struct strvec *v = plan_add(p, tool);
		strvec_pushv(
		    v, (const char *const[]){"-I", from[i], "1", "-i", bridge, "-j", chain, NULL});
		if (!strcmp(from[i], CNI_ADMIN))
			p->cmds[p->n - 1].if_chain = CNI_ADMIN;
	}
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
	/* -d: the chain also sees forwarded packets, none of which may pass;
	 * every flow INPUT accepts is to the gateway. */
	v = plan_add(p, "iptables");
	strvec_pushv(v,
		     (const char *const[]){"-A", chain, "-d", dst, "-m", "conntrack", "--ctstate",
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
	 * once instead of waiting out its own timeouts (a TCP reset: the ICMP
	 * default costs a SYN retransmit, about a second). */
	v = plan_add(p, "iptables");
	strvec_pushv(v, (const char *const[]){"-A", chain, "-p", "tcp", "-j", "REJECT",
					      "--reject-with", "tcp-reset", NULL});
	v = plan_add(p, "iptables");
	strvec_pushv(v, (const char *const[]){"-A", chain, "-j", "REJECT", NULL});
	add_jumps(p, "iptables", chain, bridge);

	p->v6_start = p->n;
	v = plan_add(p, "ip6tables");
	strvec_pushv(v, (const char *const[]){"-N", chain, NULL});
	v = plan_add(p, "ip6tables");
	strvec_pushv(v, (const char *const[]){"-A", chain, "-j", "DROP", NULL});
	add_jumps(p, "ip6tables", chain, bridge);
}

/* A conditional command reads as the shell line that does the same. */
static void describe_cmd(struct strbuf *out, struct fw_cmd *c)
{
	char *const *argv = strvec_argv(&c->argv);

	if (c->if_chain)
		strbuf_addf(out, "%s -w -S %s >/dev/null 2>&1 && ", argv[0], c->if_chain);
	sr_shell_quote_argv(out, argv);
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
		describe_cmd(out, &p.cmds[i]);
	plan_release(&p);
}

/* root's PATH normally has sbin; a runner started from a user's environment
 * may not. The tool's own name when nothing better is found (proc_run then
 * reports it missing). */
static const char *tool_path(const char *tool, char *buf, size_t n)
{
	static const char *const dirs[] = {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"};
	const char *path = getenv("PATH");

	if (path && *path) {
		char *copy = xstrdup(path), *save = NULL;
		for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			snprintf(buf, n, "%s/%s", *d ? d : ".", tool);
			if (access(buf, X_OK) == 0) {
				free(copy);
				return buf;
			}
		}
		free(copy);
	}
	for (size_t i = 0; i < SR_ARRAY_SIZE(dirs); i++) {
		snprintf(buf, n, "%s%s", dirs[i], tool);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return tool;
}

/* Run argv through the one process runner; stdout into out (may be NULL),
 * stderr into err on failure. Not interruptible: a half-installed or
 * half-removed chain is worse than a second's wait. */
static int run_tool(char *const *argv, struct strbuf *out, struct sr_err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct strvec av = STRVEC_INIT;
	struct proc_opts o = {0};
	struct proc_result res;
	char path[256];
	int rc;

	sr_shell_quote_argv(&cmd, argv);
	strvec_push(&av, tool_path(argv[0], path, sizeof(path)));
	strvec_pushv(&av, (const char *const *)argv + 1);
	o.argv = strvec_argv(&av);
	o.timeout_ms = TOOL_DEADLINE_MS;
	o.out_cap = out ? TOOL_OUT_MAX : TOOL_ERR_MAX;
	o.abort_grace_ms = 1;
	rc = proc_run(&o, &res, err);
	if (rc < 0) {
		sr_err_wrap(err, "cannot run '%s'", cmd.buf);
		goto done;
	}
	sr_rtrim(&res.err);
	if (res.timed_out)
		rc = sr_err_set(err, SR_ETIMEOUT, "'%s' did not finish in %d s", cmd.buf,
				TOOL_DEADLINE_MS / 1000);
	else if (res.signal)
		rc = sr_err_set(err, SR_EFAIL, "'%s' killed by signal %d", cmd.buf, res.signal);
	else if (res.exit_code != 0)
		rc = sr_err_set(err, SR_EFAIL, "'%s' failed (exit %d): %s", cmd.buf, res.exit_code,
				res.err.len ? res.err.buf : "no message");
	else if (out)
		strbuf_add(out, strbuf_str(&res.out), res.out.len);
done:
	proc_result_release(&res);
	strvec_clear(&av);
	strbuf_release(&cmd);
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

	static const char *const from[] = {"INPUT", "FORWARD", CNI_ADMIN};

	/* -D removes one matching rule per call; a jump may have been
	 * inserted twice by an interrupted retry. A failing -D ends the loop,
	 * also for a chain that does not exist. */
	for (size_t f = 0; f < SR_ARRAY_SIZE(from); f++)
		for (int i = 0; i < 8; i++)
			if (run_list((const char *const[]){tool, "-w", "-D", from[f], "-i", bridge,
							   "-j", chain, NULL},
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
		const char *ifc = p->cmds[i].if_chain;
		struct sr_err e1 = SR_ERR_INIT;

		if (ifc &&
		    run_list((const char *const[]){argv[0], "-w", "-S", ifc, NULL}, NULL, &e1) < 0)
			continue;
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

static int sweep_family(const char *tool, bool (*claimed)(const char *bridge, void *ctx), void *ctx)
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
		/* Podman's bridge appears only on the first attach, after the
		 * rules: a network that claims it makes the chain live. */
		if (claimed && claimed(bridge, ctx))
			continue;
		if (remove_family(tool, chain, bridge) == 0)
			removed++;
	}
	strbuf_release(&out);
	return removed;
}

int fw_sweep_stale(bool (*claimed)(const char *bridge, void *ctx), void *ctx)
{
	int n;

	if (!fw_available())
		return 0;
	/* Counted once per run: the IPv6 chain shares the IPv4 one's name. */
	n = sweep_family("iptables", claimed, ctx);
	if (avail_v6)
		sweep_family("ip6tables", claimed, ctx);
	return n;
}
