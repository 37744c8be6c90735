/* Host firewall for one run's network (DESIGN §6): traffic arriving on the
 * run's bridge may reach the listed ports of the gateway address and
 * nothing else on this host — not other ports, not services bound to
 * 0.0.0.0, 127.0.0.1 or other host addresses.
 *
 * Rules live in a chain of their own, "SR-<bridge>", jumped to from the top
 * of INPUT and FORWARD (and CNI-ADMIN when it exists) for "-i <bridge>":
 *   ACCEPT established/related and each tcp/udp port to <gateway>/32,
 *   REJECT the rest (tcp with a reset).
 * When ip6tables works, the same chain name in the IPv6 INPUT table drops
 * everything from the bridge (the run network has no IPv6 of its own, but a
 * container could still speak link-local IPv6 to the host).
 *
 * iptables is spawned from an argv (posix_spawnp, no shell) with -w, stdin
 * /dev/null, stderr captured into the error, a deadline; all calls are safe
 * from several threads. Needs root. */
#ifndef SR_NET_FIREWALL_H
#define SR_NET_FIREWALL_H

#include "lib/util.h"

#define FW_CHAIN_PREFIX "SR-"

struct fw_rules {
	char chain[32]; /* "SR-<bridge>" */
	char bridge[16];
	bool v4, v6; /* which families have rules installed */
};

/* Root, and an iptables that answers "-w -S INPUT". Checked once per
 * process. */
bool fw_available(void);

/* Install the rules for bridge_if (1..15 of [A-Za-z0-9_.-], not starting
 * with '-' or '.') and gateway_ip
 * (IPv4). Ports must be non-zero. On failure nothing stays installed and
 * err says which command failed and what it printed. */
int fw_apply(struct fw_rules *out, const char *bridge_if, const char *gateway_ip,
	     const uint16_t *tcp_ports, size_t ntcp, const uint16_t *udp_ports, size_t nudp,
	     struct sr_err *err);

/* Remove the jump and the chain (both families). Best effort: every step is
 * tried; returns 0, or SR_EFAIL when some step failed. r is reset. */
int fw_remove(struct fw_rules *r);

/* The exact command lines fw_apply runs, one a line, for `sandrun explain`.
 * Placeholders pass through (quoted for a shell when needed); a port of 0
 * prints as <port>. Always describes the IPv6 lines too. */
void fw_describe(struct strbuf *out, const char *bridge_if, const char *gateway_ip,
		 const uint16_t *tcp_ports, size_t ntcp, const uint16_t *udp_ports, size_t nudp);

/* Remove SR-* chains (and their jumps) whose bridge does not exist and that
 * claimed (may be NULL) does not say an engine network still owns: what a
 * killed runner left behind. claimed is asked only after the rule listing
 * was read, so a network created before its chain is always seen. Returns
 * the number of chains removed. */
int fw_sweep_stale(bool (*claimed)(const char *bridge, void *ctx), void *ctx);

#endif
