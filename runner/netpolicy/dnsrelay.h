/* The DNS relay of a run network without root (issue 14, DESIGN §6).
 *
 * UDP 53 on the gateway is a privileged port on most hosts, so a runner that
 * is not root binds its DNS listener on an ephemeral port of the gateway
 * instead and starts one small container on the run's network that relays
 * port 53 to it: the static sr-dnsfwd, mounted read-only into the harness's
 * own image (issue 23), or, when the program is not installed, the
 * catalogue's "sandrun-helper" image. The harness joins the relay's network
 * namespace (`--network container:<relay>`), so its resolv.conf names
 * 127.0.0.1 and the run network has one endpoint, not two. The runner still
 * sees every query on the host. */
#ifndef SR_DNSRELAY_H
#define SR_DNSRELAY_H

#include "catalogue/catalogue.h"
#include "runner/engine/engine.h"

#define DNSRELAY_TOOLCHAIN "sandrun-helper"	/* its toolchain_id in the catalogue */
#define DNSRELAY_READY_MS  2000			/* how long it may take to answer "ping" */
#define DNSRELAY_PROG	   "sr-dnsfwd"		/* the helper program */
#define DNSRELAY_IN	   "/sandrun/sr-dnsfwd" /* where it is mounted */

/* Does this process need the relay, i.e. can it not bind UDP 53 itself?
 * False for root and on hosts whose net.ipv4.ip_unprivileged_port_start is
 * 53 or less. */
bool dnsrelay_needed(bool is_root);

/* What the relay runs: image (owned) and, when non-NULL, the host path of
 * sr-dnsfwd (owned) mounted into it as its entrypoint. */
struct dnsrelay_src {
	char *image, *helper;
};

/* The relay's source: sr-dnsfwd found (fs_helper_path) -> harness_image
 * with it mounted; else the catalogue's pinned "sandrun-helper" entry;
 * else SR_EFAIL saying what to do. harness_image NULL (not known): only
 * the catalogue entry can serve. */
int dnsrelay_source(struct dnsrelay_src *out, const struct catalogue *cat,
		    const char *harness_image, struct sr_err *err);
void dnsrelay_src_release(struct dnsrelay_src *s);

/* The relay container's name for the run container `container`. Caller frees. */
char *dnsrelay_name(const char *container);

/* Append the engine arguments (after the binary) that start the relay:
 * `run -d` on network, labelled like every run object, unprivileged and
 * bounded, relaying to gateway:port (0 prints as <port>); src->helper
 * non-NULL: mounted read-only at DNSRELAY_IN and run as the entrypoint. */
void dnsrelay_argv(struct strvec *out, const char *name, const char *network, const char *run_id,
		   const char *owner, const struct dnsrelay_src *src, const char *gateway,
		   uint16_t port);

/* Start the relay with args (from dnsrelay_argv), learn its address and
 * wait until it answers. *out: its IPv4 address (owned). On failure err
 * says which step failed, with the relay's exit code when it died (2 bad
 * arguments, 3 cannot bind its port 53, 4 upstream unusable). */
int dnsrelay_start(char **out, const struct engine *e, const char *name, const struct strvec *args,
		   struct sr_err *err);

#endif
