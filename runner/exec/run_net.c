/* One run's network (spec network oob or stubs): the plan's objects
 * created (network, listeners, firewall, DNS relay, resolv.conf), and
 * afterwards what the listeners saw. The rest of the run is in run.c. */
#include "runner/exec/run_int.h"
#include "runner/exec/run.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lib/fsutil.h"
#include "runner/engine/engine_ops.h"
#include "runner/engine/podman.h"
#include "runner/net/firewall.h"
#include "runner/net/net.h"
#include "runner/netpolicy/dnsrelay.h"
#include "runner/netpolicy/untokened.h"
#include "runner/exec/reaper.h"
#include "runner/verdict/record.h"

/* The plan's endpoints (and the container's env) from the listeners'
 * ports and the token. */
static void set_endpoints(struct run_ctx *c)
{
	const struct spec *s = c->s;
	uint16_t *stub_ports = xcalloc(s->nstubs + 1, sizeof(*stub_ports));

	for (size_t i = 0; i < s->nstubs; i++)
		if (s->stubs[i].kind != STUB_FS)
			stub_ports[i] = net_session_stub_port(c->sess, i);
	netplan_set_endpoints(&c->net, s, c->net.gateway, net_session_oob_port(c->sess),
			      net_session_dns_port(c->sess), stub_ports, c->token,
			      c->r->oob_domain);
	free(stub_ports);
}

/* The listeners on the gateway, and the plan's endpoints from their ports. */
static int open_listeners(struct run_ctx *c, struct sr_err *err)
{
	const struct spec *s = c->s;
	struct net_session_opts no = {0};

	no.bind_addr = c->net.gateway;
	no.token = c->token;
	no.domain = c->r->oob_domain;
	no.stubs = s->stubs;
	no.nstubs = s->nstubs;
	/* With a relay: an ephemeral (unprivileged) port on the gateway. */
	no.dns_port = c->net.relay ? 0 : 53;
	no.freebind = c->r->engine->podman;
	if (net_session_open(&c->sess, &no, err) < 0)
		return sr_err_wrap(err, "cannot open listeners on %s", c->net.gateway);
	set_endpoints(c);
	return 0;
}

/* The created network's gateway; on podman also its bridge, which podman
 * chose (docs/podman-notes.md §2). */
static int network_endpoint(struct run_ctx *c, char **gw, struct sr_err *err)
{
	struct podman_net pn;

	if (!c->r->engine->podman)
		return engine_network_gateway(gw, c->r->engine, c->net.name, err);
	if (podman_network_inspect(&pn, c->r->engine, c->net.name, err) < 0)
		return -1;
	free(c->net.bridge);
	c->net.bridge = xstrdup(pn.bridge);
	*gw = xstrdup(pn.gateway);
	return 0;
}

/* Not root (oob, stubs): what the DNS relay runs. sr-dnsfwd in the
 * harness's own image (already present), else the catalogue's helper image,
 * present like the harness's. */
static int relay_prepare(struct run_ctx *c)
{
	struct sr_err err = SR_ERR_INIT;
	bool pulled = false;

	if (!dnsrelay_needed(c->r->is_root))
		return 0;
	if (dnsrelay_source(&c->relay_src, c->r->cat, c->rec->image, &err) < 0)
		return run_fail(c, "network", err.msg);
	if (!c->relay_src.helper &&
	    imgcache_ensure(&pulled, c->r->images, c->relay_src.image, &err) < 0)
		return run_fail(c, "pull", err.msg);
	return 0;
}

/* Step (oob, stubs): execute the network plan: the internal network, the
 * listeners on its gateway, the firewall, resolv.conf. */
int run_setup_network(struct run_ctx *c)
{
	struct runner *r = c->r;
	struct netplan_opts o = {.engine = r->engine,
				 .spec = c->s,
				 .run_id = r->run_id,
				 .owner = r->owner,
				 .run_dir = c->wd.dir,
				 .firewall = r->firewall};
	struct sr_err err = SR_ERR_INIT;
	char *gw = NULL;
	int rc;

	/* Podman is refused by netplan_init, with its own reason. */
	if ((c->s->network == NET_OOB || c->s->network == NET_STUBS) && !r->engine->podman &&
	    (rc = relay_prepare(c)))
		return rc;
	o.relay = c->relay_src.image ? &c->relay_src : NULL;
	o.container = c->name;
	if (netplan_init(&c->net, &o, &err) < 0)
		return run_fail(c, "network", err.msg);
	if (!c->net.on)
		return 0;
	if (!r->firewall && r->require_firewall)
		return run_fail(c, "network",
				"--require-firewall is set and no firewall is available (it needs "
				"root and a working iptables)");
	if (r->route.ops->network_create(
		&r->route, &(struct engine_net){c->net.name, r->run_id, r->owner}, &err) < 0) {
		sr_err_wrap(&err, "cannot create the run's network");
		return run_fail(c, "network", err.msg);
	}
	c->net_created = true;
	if (network_endpoint(c, &gw, &err) < 0)
		return run_fail(c, "network", err.msg);
	free(c->net.gateway);
	c->net.gateway = gw;
	if (open_listeners(c, &err) < 0)
		return run_fail(c, "network", err.msg);
	if (c->net.firewall) {
		if (fw_apply(&c->fw, c->net.bridge, c->net.gateway, c->net.tcp, c->net.ntcp,
			     c->net.udp, c->net.nudp, &err) < 0) {
			sr_err_wrap(&err, "cannot install firewall rules");
			return run_fail(c, "network", err.msg);
		}
		c->fw_on = true;
	}
	c->rec->isolation.firewall = c->fw_on;
	c->rec->isolation.dns = c->net.relay ? "relay" : "gateway";
	if (c->net.relay) {
		c->relay_attempted = true;
		if (dnsrelay_start(&gw, r->engine, c->net.relay_name, &c->net.relay_run, &err) < 0)
			return run_fail(c, "network", err.msg);
		netplan_set_relay_ip(&c->net, gw);
		free(gw);
	}
	if (fs_write_new(c->net.resolv, c->net.resolv_text, strlen(c->net.resolv_text), 0644,
			 &err) < 0)
		return run_fail(c, "create", err.msg);
	return 0;
}

/* The hits of un_json (no token) that came from this run's own network:
 * the record's "untokened" evidence, or NULL for none. */
static char *own_network_hits(struct run_ctx *c, const char *un_json)
{
	struct strbuf sb = STRBUF_INIT;
	uint32_t net, mask;

	if (!untokened_subnet(&net, &mask, c->net.gateway))
		return NULL;
	untokened_filter(&sb, un_json, net, mask, c->net.gateway);
	if (sb.len <= 2) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

void run_collect_net(struct run_ctx *c)
{
	const struct spec *s = c->s;
	struct record *rec = c->rec;
	struct strbuf oob = STRBUF_INIT, stubs = STRBUF_INIT, un = STRBUF_INIT;

	c->obs.oob_fired = net_session_oob_fired(c->sess, &c->oob_cause);
	c->obs.oob_cause = c->oob_cause;
	if (s->oracle.stub_name) {
		c->obs.stub_matched =
		    net_session_stub_match(c->sess, s->oracle.stub_name, s->oracle.stub_contains,
					   s->oracle.stub_regex, &c->stub_cause);
		c->obs.stub_cause = c->stub_cause;
	}
	net_session_evidence(c->sess, &oob, &stubs, &un);
	rec->evidence.oob_json = strbuf_detach(&oob, NULL);
	rec->evidence.stubs_json = strbuf_detach(&stubs, NULL);
	sr_rtrim(&un);
	if (un.len > 2)
		rec->evidence.untokened_json = own_network_hits(c, un.buf);
	if (un.len > 2) {
		/* un is a JSON array: keep its elements for the report's list. */
		pthread_mutex_lock(&c->r->lock);
		if (c->r->unattributed.len)
			strbuf_addch(&c->r->unattributed, ',');
		strbuf_add(&c->r->unattributed, un.buf + 1, un.len - 2);
		pthread_mutex_unlock(&c->r->lock);
	}
	strbuf_release(&un);
}

void run_net_teardown(struct run_ctx *c, bool remove)
{
	if (c->sess && !c->net_lent) {
		net_session_stop(c->sess);
		net_session_free(c->sess);
	}
	c->sess = NULL;
	if (c->fw_on)
		fw_remove(&c->fw);
	c->fw_on = false;
	/* Before the network: one with an endpoint left cannot be removed. */
	if (c->relay_attempted && remove)
		reap_later(c->r, c->net.relay_name, false);
	if (c->net_created && remove)
		reap_later(c->r, c->net.name, true);
	c->relay_attempted = c->net_created = false;
	netplan_release(&c->net);
	dnsrelay_src_release(&c->relay_src);
}

struct run_ctx *run_net_open(struct runner *r, const struct spec *s, const char *image,
			     const char *dir, const char *container, struct sr_err *err)
{
	struct run_ctx *c = xcalloc(1, sizeof(*c));

	c->r = r;
	c->s = s;
	c->rec = xcalloc(1, sizeof(*c->rec));
	record_init(c->rec);
	c->rec->image = xstrdup(image);
	c->name = xstrdup(container);
	c->wd.dir = xstrdup(dir);
	/* Each payload gets its own (run_net_next); this one is never given out. */
	if (sr_token(c->token, err) < 0 || run_setup_network(c) < 0) {
		if (!err->code)
			sr_err_set(err, SR_EFAIL, "%s", c->rec->cause ? c->rec->cause : "?");
		run_net_close(c, true);
		return NULL;
	}
	return c;
}

int run_net_next(struct run_ctx *n, const char *token, struct sr_err *err)
{
	snprintf(n->token, sizeof(n->token), "%s", token);
	if (net_session_next(n->sess, token, err) < 0)
		return -1;
	set_endpoints(n);
	return 0;
}

void run_net_lend(struct run_ctx *c, const struct run_ctx *n)
{
	c->sess = n->sess;
	c->net_lent = true;
	free(c->net.gateway);
	c->net.gateway = xstrdup(n->net.gateway);
	c->rec->isolation.firewall = n->fw_on;
	c->rec->isolation.dns = n->rec->isolation.dns;
}

void run_net_close(struct run_ctx *n, bool remove)
{
	if (!n)
		return;
	run_net_teardown(n, remove);
	record_release(n->rec);
	free(n->rec);
	free(n->name);
	free(n->wd.dir);
	free(n);
}
