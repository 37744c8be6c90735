/* Tags resolved to digests through the engine: a pull by tag, then the repo
 * digest it recorded; the per-platform digest from the manifest list. The
 * resolver `pin` and `verify` hand to the catalogue. */
#ifndef SR_TAGRESOLVE_H
#define SR_TAGRESOLVE_H

#include "catalogue/catalogue.h"
#include "runner/engine/engine.h"

struct tag_resolver {
	struct engine *engine;
};

/* A cat_resolve_fn (catalogue/pin.h); ctx is a struct tag_resolver. */
int tag_resolve(void *ctx, const char *base, const char *platform, char **digest, char **pdigest,
		struct sr_err *err);

/* The registry client `pin` and `verify --remote` use (catalogue/registry.h):
 * insecure lists the --insecure-registry hosts; SANDRUN_REGISTRY_TIMEOUT (a
 * duration, per request) and SANDRUN_REGISTRY_JOBS (resolutions at once)
 * tune it. */
struct registry;
int remote_resolver_new(struct registry **out, const struct strvec *insecure, struct sr_err *err);

/* Ask the registry about every entry named in ids (all when nids is 0) at
 * once, so that catalogue_pin/verify then find the answers stored. */
void remote_prefetch(struct registry *r, const struct catalogue *c, const char *const *ids,
		     size_t nids);

#endif
