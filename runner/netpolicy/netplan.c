#include "runner/netpolicy/netplan.h"

#include "runner/engine/engine_ops.h"

#include <stdio.h>
#include <string.h>

#include "runner/netpolicy/dnsrelay.h"
#include "runner/net/firewall.h"
#include "runner/engine/podman.h"

/* SANDRUN_STUB_<NAME>_URL: the stub name upper-cased, '-' and '.' as '_'. */
static void stub_env_key(struct strbuf *key, const char *name)
{
	strbuf_addstr(key, "SANDRUN_STUB_");
	for (const char *p = name; *p; p++)
		strbuf_addch(key, (*p >= 'a' && *p <= 'z')   ? (char)(*p - 32)
				  : (*p == '-' || *p == '.') ? '_'
							     : *p);
	strbuf_addstr(key, "_URL");
}

/* A port as text: 0 (not known yet) as the placeholder. */
static const char *port_str(char buf[8], uint16_t port)
{
	if (!port)
		return "<port>";
	snprintf(buf, 8, "%u", port);
	return buf;
}

int netplan_init(struct netplan *out, const struct netplan_opts *o, struct sr_err *err)
{
	const struct spec *s = o->spec;

	memset(out, 0, sizeof(*out));
	if (s->network != NET_OOB && s->network != NET_STUBS)
		return 0;
	/* Podman's network is a normal bridge (its internal ones have no host
	 * address for the listeners): it has a default route and NAT, so only
	 * the runner's firewall closes it. */
	if (o->engine->podman && !o->firewall)
		return sr_err_set(err, SR_EFAIL,
				  "network '%s' on podman needs the runner's firewall (root and a "
				  "working iptables): podman's run network routes to the outside",
				  net_policy_name(s->network));
	if (o->name) {
		out->name = xstrdup(o->name);
	} else {
		unsigned char rnd[6];
		if (sr_random(rnd, sizeof(rnd), err) < 0)
			return SR_EFAIL;
		out->name = xasprintf("sr-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3],
				      rnd[4], rnd[5]);
	}
	out->on = true;
	out->firewall = o->firewall;
	if (o->relay) {
		out->relay = true;
		out->relay_name = dnsrelay_name(o->container);
		out->relay_ip = xstrdup("<relay-ip>");
		out->relay_src.image = xstrdup(o->relay->image);
		out->relay_src.helper = o->relay->helper ? xstrdup(o->relay->helper) : NULL;
		out->run_id = xstrdup(o->run_id);
		out->owner = xstrdup(o->owner);
		out->harness_net = xasprintf("container:%s", out->relay_name);
	} else {
		out->harness_net = xstrdup(out->name);
	}
	out->resolv = xasprintf("%s/resolv.conf", o->run_dir);
	/* podman picks the bridge; the run reads it back. */
	out->bridge = xstrdup(o->engine->podman ? "<bridge>" : out->name);
	engine_net_args(&out->create, o->engine,
			&(struct engine_net){out->name, o->run_id, o->owner});
	return 0;
}

/* resolv.conf names whoever answers port 53: the gateway, or the relay in
 * the network namespace the harness shares with it. */
static void set_resolv(struct netplan *p)
{
	free(p->resolv_text);
	p->resolv_text = xasprintf("nameserver %s\noptions ndots:0 attempts:2 timeout:2\n",
				   p->relay ? "127.0.0.1" : p->gateway);
}

static void add_stub_env(struct netplan *p, const struct stub *st, uint16_t port)
{
	struct strbuf key = STRBUF_INIT;
	char pb[8];
	const char *ps = port_str(pb, port);

	stub_env_key(&key, st->name);
	if (st->kind == STUB_SQL)
		strvec_pushf(&p->env, "%s=postgres://sandrun@%s:%s/sandrun?sslmode=disable",
			     key.buf, p->gateway, ps);
	else
		strvec_pushf(&p->env, "%s=%s://%s:%s%s", key.buf, stub_kind_scheme(st->kind),
			     p->gateway, ps, st->kind == STUB_HTTP ? "/" : "");
	strbuf_release(&key);
}

void netplan_set_endpoints(struct netplan *p, const struct spec *s, const char *gateway,
			   uint16_t oob_port, uint16_t dns_port, const uint16_t *stub_ports,
			   const char *token, const char *domain)
{
	struct strbuf l = STRBUF_INIT;
	char pb[8], *g;

	if (!p->on)
		return;
	/* gateway may be p->gateway itself. */
	g = xstrdup(gateway);
	free(p->gateway);
	p->gateway = g;
	p->ntcp = 0;
	p->tcp[p->ntcp++] = oob_port;
	strbuf_addf(&l, "oob http+tcp %s", port_str(pb, oob_port));
	p->nudp = 0;
	if (dns_port) {
		p->udp[p->nudp++] = dns_port;
		strbuf_addf(&l, ", dns udp %u", dns_port);
	} else if (p->relay) {
		strbuf_addstr(&l, ", dns udp <port>");
	}
	if (p->relay) {
		strbuf_addf(&l, " (clients ask the relay %s:53)", p->relay_ip);
		strvec_clear(&p->relay_run);
		dnsrelay_argv(&p->relay_run, p->relay_name, p->name, p->run_id, p->owner,
			      &p->relay_src, p->gateway, dns_port);
	}
	for (size_t i = 0; i < s->nstubs && p->ntcp < NETPLAN_MAX_TCP; i++) {
		if (s->stubs[i].kind == STUB_FS)
			continue;
		p->tcp[p->ntcp++] = stub_ports[i];
		strbuf_addf(&l, ", stub %s (%s) %s", s->stubs[i].name,
			    stub_kind_name(s->stubs[i].kind), port_str(pb, stub_ports[i]));
	}
	free(p->listeners);
	p->listeners = strbuf_detach(&l, NULL);

	strbuf_reset(&p->fw_lines);
	if (p->firewall)
		fw_describe(&p->fw_lines, p->bridge, p->gateway, p->tcp, p->ntcp, p->udp, p->nudp);

	set_resolv(p);

	strvec_clear(&p->env);
	strvec_pushf(&p->env, "SANDRUN_OOB_URL=http://%s:%s/%s", p->gateway, port_str(pb, oob_port),
		     token);
	strvec_pushf(&p->env, "SANDRUN_OOB_HOST=%s", p->gateway);
	strvec_pushf(&p->env, "SANDRUN_OOB_PORT=%s", port_str(pb, oob_port));
	strvec_pushf(&p->env, "SANDRUN_OOB_DOMAIN=%s", domain);
	for (size_t i = 0; i < s->nstubs; i++)
		if (s->stubs[i].kind != STUB_FS)
			add_stub_env(p, &s->stubs[i], stub_ports[i]);
}

void netplan_set_relay_ip(struct netplan *p, const char *ip)
{
	char *l = p->listeners ? strstr(p->listeners, " (clients ask the relay ") : NULL;

	free(p->relay_ip);
	p->relay_ip = xstrdup(ip);
	set_resolv(p);
	if (l) {
		char *nl;
		*l = '\0';
		nl = xasprintf("%s (clients ask the relay %s:53)", p->listeners, ip);
		free(p->listeners);
		p->listeners = nl;
	}
}

void netplan_release(struct netplan *p)
{
	free(p->relay_name);
	free(p->relay_ip);
	dnsrelay_src_release(&p->relay_src);
	free(p->harness_net);
	free(p->run_id);
	free(p->owner);
	strvec_clear(&p->relay_run);
	free(p->name);
	free(p->bridge);
	free(p->gateway);
	free(p->resolv);
	free(p->resolv_text);
	free(p->listeners);
	strvec_clear(&p->create);
	strbuf_release(&p->fw_lines);
	strvec_clear(&p->env);
	memset(p, 0, sizeof(*p));
}
