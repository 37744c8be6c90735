/* The registry protocol's pure parts (no I/O), for registry.c and its unit
 * tests: WWW-Authenticate challenges, token responses, Retry-After, error
 * bodies, manifest digests and the platform entries of an index. */
#ifndef SR_REGPROTO_H
#define SR_REGPROTO_H

#include <time.h>

#include "lib/jsonparse.h"

/* The media types a tag is asked for, as one Accept header value. */
#define REG_ACCEPT                                                                                 \
	"application/vnd.oci.image.index.v1+json, "                                                \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                              \
	"application/vnd.oci.image.manifest.v1+json, "                                             \
	"application/vnd.docker.distribution.manifest.v2+json"

struct reg_challenge {
	char scheme[16]; /* "basic" or "bearer" (lowercased); "" when none */
	char realm[1024], service[1024], scope[1024];
};

/* Parse the first challenge of a WWW-Authenticate value. SR_EINVAL when it
 * is not "SCHEME [k=v, ...]". */
int reg_challenge_parse(const char *hdr, struct reg_challenge *ch);

/* A token endpoint's JSON answer: "token" or "access_token", and
 * "expires_in" (seconds; 60 when absent or smaller, as the spec says).
 * SR_EFAIL when there is no token. *token is the caller's. */
int reg_token_parse(const char *body, size_t len, char **token, long *expires_in);

/* A Retry-After value (delay-seconds or an HTTP-date) in milliseconds from
 * now; -1 when absent or unreadable. */
long long reg_retry_after_ms(const char *v, time_t now);

/* "CODE: message" of the first entry of a registry error body
 * ({"errors":[{"code":..,"message":..}]}), at most outsz-1 bytes of
 * printable ASCII; "" when the body is not one. */
void reg_error_text(const char *body, size_t len, char *out, size_t outsz);

/* "sha256:<64 hex>" of data into out[72]. */
void reg_sha256_digest(const void *data, size_t len, char out[72]);

/* Whether mt is a manifest list or an OCI index. */
bool reg_is_index_type(const char *mt);

/* The digest of platform ("os/arch[/variant]") among the manifests of the
 * index body (name for errors). A variant is matched when asked for
 * ("linux/arm64/v8" also matches an arm64 entry without one); entries with
 * unknown platforms (attestations) are skipped. SR_EFAIL with err when the
 * body is not an index or has no such platform. */
int reg_index_platform(const char *body, size_t len, const char *name, const char *platform,
		       char **digest, struct sr_err *err);

#endif
