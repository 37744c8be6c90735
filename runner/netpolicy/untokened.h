/* Network traffic without the run's token that came from the run's own
 * per-run network belongs to that run (DESIGN §7 evidence "untokened"): it
 * never confirms, but it says what the harness did. */
#ifndef SR_UNTOKENED_H
#define SR_UNTOKENED_H

#include "lib/util.h"

/* The IPv4 subnet of the host interface that holds address gateway (the
 * per-run network's bridge): *net and *mask in host order. false when no
 * local interface has that address (e.g. a rootless engine's own netns). */
bool untokened_subnet(uint32_t *net, uint32_t *mask, const char *gateway);

/* Append to out a JSON array of the elements of un_json (a JSON array of
 * hits with "from": "ip:port") whose ip is inside net/mask but is not
 * gateway itself (the host's own connections come from there). Elements
 * are copied as they are. An unparsable un_json gives []. */
void untokened_filter(struct strbuf *out, const char *un_json, uint32_t net, uint32_t mask,
		      const char *gateway);

#endif
