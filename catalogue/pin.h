/* Pinning and verifying: resolve each selected entry's tag independently,
 * rewrite the catalogue once (atomically) with what resolved, report drift.
 * The resolver is the caller's (the engine adapter), so this logic is
 * testable without an engine. */
#ifndef SR_PIN_H
#define SR_PIN_H

#include "catalogue/catalogue.h"

/* Resolve base to the digest its registry serves now (a manifest list's own
 * digest for multi-arch images) and, when platform and platform_digest are
 * not NULL, the digest of that platform's manifest in the same list: the
 * resolver must return two digests that belong together. Returns 0 with
 * *digest (and *platform_digest) owned by the caller, or a negative code with
 * err filled and nothing to free. */
typedef int (*cat_resolve_fn)(void *ctx, const char *base, const char *platform, char **digest,
			      char **platform_digest, struct sr_err *err);

/* Whether ref (base@digest, as a run would use it) can be had: present
 * locally or pullable. Returns 0 or a negative code with err filled. */
typedef int (*cat_check_fn)(void *ctx, const char *ref, struct sr_err *err);

/* Pin the entries named in ids (all when nids is 0), each independently:
 * one that fails to resolve does not stop the others. Appends one line per
 * entry to lines ("id: old -> new", plus "id: platform P: old -> new" when
 * the platform digest moved; "id: unchanged"; "id: error: why"; old is
 * "(none)" when unpinned) and one line per changed entry to changes. *nfailed
 * counts entries that could not be resolved. The file is rewritten
 * atomically only if something changed, and c is then reloaded from it.
 * SR_EINVAL for an unknown id (nothing is resolved); SR_EFAIL if the file
 * changed on disk since c was loaded or cannot be written. */
int catalogue_pin(struct catalogue *c, const char *const *ids, size_t nids, cat_resolve_fn fn,
		  void *ctx, struct strbuf *lines, struct strvec *changes, int *nfailed,
		  struct sr_err *err);

/* catalogue_pin, but with dry_run nothing is written: lines and changes say
 * what would change, the file and c stay as they are. */
int catalogue_pin_ex(struct catalogue *c, const char *const *ids, size_t nids, cat_resolve_fn fn,
		     void *ctx, bool dry_run, struct strbuf *lines, struct strvec *changes,
		     int *nfailed, struct sr_err *err);

/* Verify every entry, appending one line each to lines:
 *   "id: unpinned"                                  (a problem)
 *   "id: platform P unpinned"                       (platform without its digest: a problem)
 *   "id: pin not resolvable: REF: why"              (check failed: a problem)
 *   "id: error: cannot resolve tag 'BASE': why"     (resolve failed: a problem)
 *   "id: drift: pinned OLD, tag now NEW"            (a problem)
 *   "id: drift: platform P pinned OLD, now NEW"     (a problem)
 *   "id: ok DIGEST" or "id: ok DIGEST (tag unchanged)"
 * check (may be NULL) is asked about each pinned reference; resolve (may be
 * NULL: no drift check, as without --pull) about each pinned entry's tag.
 * *nproblems counts entries with a problem. Returns 0: problems are not
 * errors of the verification itself. */
int catalogue_verify(const struct catalogue *c, cat_check_fn check, cat_resolve_fn resolve,
		     void *ctx, struct strbuf *lines, int *nproblems, struct sr_err *err);

#endif
