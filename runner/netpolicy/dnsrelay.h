/* The DNS relay of a run network without root (issue 14, DESIGN §6).
 *
 * UDP 53 on the gateway is a privileged port on most hosts, so a runner that
 * is not root binds its DNS listener on an ephemeral port of the gateway
 * instead and starts one small container on the run's network (catalogue
 * image "sandrun-helper", program sr-dnsfwd) that relays port 53 to it. The
 * harness's resolv.conf names the relay's address. The runner still sees
 * every query on the host; only the query's source address is the relay's. */
#ifndef SR_DNSRELAY_H
#define SR_DNSRELAY_H

#include "catalogue/catalogue.h"
#include "runner/engine/engine.h"

#define DNSRELAY_TOOLCHAIN "sandrun-helper" /* its toolchain_id in the catalogue */
#define DNSRELAY_READY_MS  2000		    /* how long it may take to answer "ping" */

/* Does this process need the relay, i.e. can it not bind UDP 53 itself?
 * False for root and on hosts whose net.ipv4.ip_unprivileged_port_start is
 * 53 or less. */
bool dnsrelay_needed(bool is_root);

/* *out: the pinned reference of the relay image (owned). SR_EFAIL, saying
 * what to do, when the catalogue has no pinned "sandrun-helper" entry. */
int dnsrelay_image(char **out, const struct catalogue *cat, struct sr_err *err);

/* The relay container's name for the run container `container`. Caller frees. */
char *dnsrelay_name(const char *container);

/* Append the engine arguments (after the binary) that start the relay:
 * `run -d` on network, labelled like every run object, unprivileged and
 * bounded, relaying to gateway:port (0 prints as <port>). */
void dnsrelay_argv(struct strvec *out, const char *name, const char *network, const char *run_id,
		   const char *owner, const char *image, const char *gateway, uint16_t port);

/* Start the relay with args (from dnsrelay_argv), learn its address and
 * wait until it answers. *out: its IPv4 address (owned). On failure err
 * says which step failed, with the relay's exit code when it died (2 bad
 * arguments, 3 cannot bind its port 53, 4 upstream unusable). */
int dnsrelay_start(char **out, const struct engine *e, const char *name, const struct strvec *args,
		   struct sr_err *err);

#endif
