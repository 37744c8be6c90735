/* Tags resolved to digests over the registry HTTP API (distribution spec):
 * one HEAD (or GET, when an index must be read for a platform) of
 * /v2/<name>/manifests/<tag> per entry, nothing pulled, no engine. Basic
 * and Bearer challenges with docker CLI credentials (regauth.h), tokens
 * cached per scope, TLS with the system CAs plus certs.d/<host>/ CAs, plain
 * HTTP only for loopback and --insecure-registry hosts, 429/503 retried
 * after Retry-After a bounded number of times, a deadline per request, and a
 * bounded number of resolutions at once (registry_prefetch). */
#ifndef SR_REGISTRY_H
#define SR_REGISTRY_H

#include "lib/util.h"

struct registry_opts {
	const char *const *insecure; /* hosts (host[:port]) allowed plain HTTP */
	size_t ninsecure;
	const char *certs_d;  /* NULL: $SANDRUN_CERTS_D, else /etc/docker/certs.d */
	uint64_t timeout_ms;  /* per request; 0: 30 s */
	int retries;	      /* of a 429/503; < 0: 0; 0: default 3 */
	uint64_t max_wait_ms; /* longest Retry-After honoured; 0: 60 s */
	int jobs;	      /* resolutions at once in registry_prefetch; 0: 4 */
};

struct registry;

int registry_new(struct registry **out, const struct registry_opts *o, struct sr_err *err);
void registry_free(struct registry *r);

/* A cat_resolve_fn (catalogue/pin.h); ctx is a struct registry. The list
 * digest and the platform's digest come from one manifest fetched once, so
 * they belong together. Answers stored by registry_prefetch are used first. */
int registry_resolve(void *ctx, const char *base, const char *platform, char **digest,
		     char **pdigest, struct sr_err *err);

/* A cat_check_fn: the registry has the manifest ref (name@digest). */
int registry_check(void *ctx, const char *ref, struct sr_err *err);

/* Resolve n (base, platform) pairs (platforms[i] may be NULL) with at most
 * jobs at once, storing the answers (and errors) for registry_resolve. */
void registry_prefetch(struct registry *r, const char *const *bases, const char *const *platforms,
		       size_t n);

#endif
