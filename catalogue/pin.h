/* Pinning: resolve each selected entry's tag independently, rewrite the
 * catalogue once (atomically) with what resolved. The resolver is the
 * caller's (the engine adapter), so this logic is testable without one. */
#ifndef SR_PIN_H
#define SR_PIN_H

#include "catalogue.h"

/* Resolve base to the digest its registry serves now (a manifest list's own
 * digest for multi-arch images) and, when platform is not NULL and
 * platform_digest is, the digest of that platform's manifest in it. */
typedef int (*cat_resolve_fn)(void *ctx, const char *base, const char *platform, char **digest,
			      char **platform_digest, struct sr_err *err);

/* Pin the entries named in ids (all when nids is 0). Appends one line per
 * entry to lines ("id: old -> new", "id: unchanged", "id: error: why") and
 * each change to changes; *nfailed counts entries that could not be
 * resolved. The file is rewritten only if something changed, and c is
 * reloaded from it. SR_EINVAL for an unknown id (nothing is resolved). */
int catalogue_pin(struct catalogue *c, const char *const *ids, size_t nids, cat_resolve_fn fn,
		  void *ctx, struct strbuf *lines, struct strvec *changes, int *nfailed,
		  struct sr_err *err);

#endif
