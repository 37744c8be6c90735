/* Image presence per process: each reference is inspected once and pulled at
 * most once, however many workers ask at the same moment (singleflight). */
#ifndef SR_IMGCACHE_H
#define SR_IMGCACHE_H

#include "runner/engine/engine.h"
#include "runner/engine/engine_api.h"

enum pull_policy { PULL_MISSING = 0, PULL_ALWAYS, PULL_NEVER };

struct imgcache;

struct imgcache *imgcache_new(const struct engine *e, enum pull_policy policy);
void imgcache_free(struct imgcache *c);
/* Ask whether an image is present over the engine API (NULL: the CLI); a
 * pull stays with the CLI (its credential helpers). */
void imgcache_use_api(struct imgcache *c, struct eapi *api);

/* Make sure ref is present under the policy. 0 when it is; otherwise the
 * error (the engine's own message) — the same error for every caller that
 * asked for ref. *pulled says whether this call's flight pulled it. */
int imgcache_ensure(bool *pulled, struct imgcache *c, const char *ref, struct sr_err *err);

/* Number of pulls this cache started (for tests and the report). */
unsigned imgcache_pulls(const struct imgcache *c);

#endif
