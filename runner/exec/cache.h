/* The result cache (--cache DIR): a run whose inputs are byte-identical to
 * an earlier one — spec file, workdir and fs stub trees, pinned image,
 * payload, repeat index, timeout scale, sandrun version — reuses its record
 * (marked cached) instead of starting a container. Unpinned images are never
 * cached: the tag may have moved. */
#ifndef SR_CACHE_H
#define SR_CACHE_H

#include "runner/verdict/record.h"

/* The XXH64-based key of a run, or NULL when the run is not cacheable.
 * Caller frees. */
char *cache_key(const struct spec *s, size_t payload, unsigned repeat, const char *image,
		bool pinned, double timeout_scale);

/* Fill rec's outcome, cause, evidence... from the cache. 1 on a hit, 0 on a
 * miss (or an unreadable entry, which is ignored). */
int cache_load(const char *dir, const char *key, struct record *rec);

/* Store rec under key (atomically); errors only logged at -v. */
void cache_store(const char *dir, const char *key, const struct record *rec);

#endif
