/* The network plan of one run (DESIGN §6): for `oob` and `stubs`, the
 * per-run internal network (its name and the exact `network create`
 * arguments), the listeners on its gateway, the firewall commands, the
 * container's extra arguments and its SANDRUN_OOB_* / SANDRUN_STUB_* entries.
 * One value: the run executes it and `explain` prints it, so the two cannot
 * drift. Before the network exists, the gateway and ports are placeholders
 * ("<gateway>", port 0 printed as "<port>"); explain stops there. */
#ifndef SR_NETPLAN_H
#define SR_NETPLAN_H

#include "runner/engine/engine.h"
#include "runner/netpolicy/dnsrelay.h"
#include "runner/spec/spec.h"

#define NETPLAN_MAX_TCP 64

struct netplan {
	bool on;		       /* the spec's policy needs a per-run network */
	char *name;		       /* network name: "sr-<12 hex>", or a placeholder */
	char *bridge;		       /* its bridge: the name on docker; podman's, or "<bridge>" */
	char *gateway;		       /* its gateway address, or "<gateway>" */
	char *resolv;		       /* host file mounted at /etc/resolv.conf */
	char *resolv_text;	       /* its content */
	struct strvec create;	       /* engine arguments after the binary: network create ... */
	char *listeners;	       /* "oob http+tcp <port>, dns udp 53, stub db (sql) <port>" */
	uint16_t tcp[NETPLAN_MAX_TCP]; /* oob port, then each non-fs stub's port */
	size_t ntcp;
	uint16_t udp[1]; /* dns, when the runner binds it */
	size_t nudp;
	bool firewall;		/* the rules below are installed */
	struct strbuf fw_lines; /* exactly the commands fw_apply runs, one a line */
	struct strvec env;	/* "KEY=value" entries for the container */
	char *harness_net;	/* the harness's --network: name, or container:<relay> */
	/* Not root: the DNS relay container (dnsrelay.h) serves port 53; the
	 * harness joins its network namespace and resolv.conf names 127.0.0.1. */
	bool relay;
	char *relay_name;	 /* "<container>-dns" */
	char *relay_ip;		 /* its address on the run network, or "<relay-ip>" */
	struct strvec relay_run; /* engine arguments that start it */
	struct dnsrelay_src relay_src;
	char *run_id, *owner;
};

struct netplan_opts {
	const struct engine *engine;
	const struct spec *spec;
	const char *run_id, *owner;
	const char *run_dir;		  /* the run's private directory (resolv.conf goes there) */
	const char *name;		  /* NULL: a fresh random name */
	bool firewall;			  /* iptables is usable */
	const struct dnsrelay_src *relay; /* non-NULL: serve DNS through a relay of this */
	const char *container;		  /* the run container's name (names the relay) */
};

/* Start a plan: out->on false for `none` and `open` (nothing else set).
 * SR_EFAIL for podman with oob/stubs without the firewall: podman's run
 * network (a normal bridge: its internal ones have no host gateway for the
 * listeners) routes out, and only the runner's rules close it. */
int netplan_init(struct netplan *out, const struct netplan_opts *o, struct sr_err *err);

/* Fill in what exists once the network and listeners do: gateway, the
 * listeners' ports (oob; dns, 0 when none is bound; each stub's by spec
 * index; an oob or stub port of 0 prints as <port>), the token and OOB domain; derives the firewall
 * commands, resolv.conf and the container's env entries. */
void netplan_set_endpoints(struct netplan *p, const struct spec *s, const char *gateway,
			   uint16_t oob_port, uint16_t dns_port, const uint16_t *stub_ports,
			   const char *token, const char *domain);

/* The relay's address once it runs: resolv.conf names it. */
void netplan_set_relay_ip(struct netplan *p, const char *ip);

void netplan_release(struct netplan *p);

#endif
