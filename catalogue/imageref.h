/* Image references as the docker CLI reads them: "[host[:port]/]path[:tag][@digest]",
 * with Docker Hub's rules (no host or "docker.io" means registry-1.docker.io,
 * a one-component path gets "library/"). */
#ifndef SR_IMAGEREF_H
#define SR_IMAGEREF_H

#include "lib/util.h"

struct image_ref {
	char *domain; /* as named: "docker.io", "ghcr.io", "127.0.0.1:5000" */
	char *host;   /* where to connect: "registry-1.docker.io", else domain */
	char *repo;   /* "library/ubuntu", "owner/img" */
	char *tag;    /* "latest" when none is given and there is no digest */
	char *digest; /* "sha256:..." or NULL */
};

/* Parse s into r (owned by the caller: image_ref_release). SR_EINVAL with
 * err naming s when it is not a valid reference. */
int image_ref_parse(struct image_ref *r, const char *s, struct sr_err *err);
void image_ref_release(struct image_ref *r);

/* The key the docker CLI files credentials under for r's domain:
 * "https://index.docker.io/v1/" for Docker Hub, else the domain. Static or
 * borrowed from r. */
const char *image_ref_cred_key(const struct image_ref *r);

/* The hostname part of host[:port] (brackets of an IPv6 literal kept off),
 * and whether it is a loopback name or address. */
bool image_host_is_loopback(const char *hostport);

#endif
