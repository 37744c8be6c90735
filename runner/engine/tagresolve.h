/* Tags resolved to digests through the engine: a pull by tag, then the repo
 * digest it recorded; the per-platform digest from the manifest list. The
 * resolver `pin` and `verify` hand to the catalogue. */
#ifndef SR_TAGRESOLVE_H
#define SR_TAGRESOLVE_H

#include "runner/engine/engine.h"

struct tag_resolver {
	struct engine *engine;
};

/* A cat_resolve_fn (catalogue/pin.h); ctx is a struct tag_resolver. */
int tag_resolve(void *ctx, const char *base, const char *platform, char **digest, char **pdigest,
		struct sr_err *err);

#endif
