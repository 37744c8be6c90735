/* Podman specifics the run path needs for parity with docker (issue 13,
 * docs/podman-notes.md): reading the per-run network podman made, knowing
 * which bridges podman networks claim before the bridges exist, and the OOM
 * mark conmon leaves in the client's working directory. Pure functions over
 * engine output or a directory fd, then the two that call the engine. */
#ifndef SR_PODMAN_H
#define SR_PODMAN_H

#include "lib/util.h"
#include "runner/engine/engine.h"

/* `podman network inspect --format` for podman_parse_network. (Docker's
 * "{{range .IPAM.Config}}" fails on podman 4: no IPAM field.) */
#define PODMAN_NET_FORMAT                                                                          \
	"{{.NetworkInterface}}|{{.Internal}}|{{.DNSEnabled}}|{{range .Subnets}}{{.Gateway}} "      \
	"{{end}}"

/* `podman network ls --format` for podman_bridge_claimed: one bridge a line. */
#define PODMAN_NET_LS_FORMAT "{{.NetworkInterface}}"

struct podman_net {
	char bridge[16];  /* e.g. "cni-podman3" (CNI) or "podman3" (netavark) */
	char gateway[16]; /* dotted IPv4 */
};

/* Parse the output of `podman network inspect --format PODMAN_NET_FORMAT
 * NAME` (trailing whitespace allowed). The first IPv4 gateway is taken,
 * IPv6 ones skipped. SR_EINVAL with the reason when the network is internal
 * (no host address for the listeners), has DNS enabled (podman's DNS would
 * own gateway:53, not the runner's), has no IPv4 gateway, or a bridge name
 * the firewall module would refuse. out is zeroed on failure. */
int podman_parse_network(struct podman_net *out, const char *text, struct sr_err *err);

/* The arguments after the engine binary that create the run's network:
 * bridge driver, not internal (the gateway must be a host address), DNS
 * disabled, the two labels ("key=value") gc sweeps by. Appended to out. */
void podman_network_create_args(struct strvec *out, const char *name, const char *label_run,
				const char *label_owner);

/* Whether bridge is one of the lines of `podman network ls --format
 * PODMAN_NET_LS_FORMAT` output. A firewall chain for such a bridge is live
 * even while the bridge does not exist: CNI creates it on the first
 * container attach, after the runner installed the rules. */
bool podman_bridge_claimed(const char *ls_output, const char *bridge);

/* Whether conmon marked an OOM kill in dirfd, the working directory the
 * podman client was started in: a regular file named "oom" (symlinks and
 * other types do not count). Podman itself looks in the bundle directory,
 * so its inspect says OOMKilled=false; this file is the evidence. */
bool podman_oom_marked(int dirfd);

/* The value of label key in labels, a `podman network ls --format
 * {{.Labels}}` field ("k=v,k=v": podman 4 prints the map that way; sandrun's
 * own label values hold no comma). Cuts labels at the value's end; "" (the
 * end of labels) when the key is missing. */
char *podman_ls_label(char *labels, const char *key);

/* Inspect the run's network NAME and parse it (podman_parse_network): its
 * bridge (which exists only after the first attach) and gateway. */
int podman_network_inspect(struct podman_net *out, const struct engine *e, const char *name,
			   struct sr_err *err);

/* fw_sweep_stale for podman: a chain whose bridge does not exist yet is
 * still live when a podman network claims that bridge (or when the networks
 * cannot be listed). Returns the number of chains removed. */
int podman_fw_sweep(const struct engine *e);

#endif
