/* Reference parsing (imageref.h), after distribution/reference's grammar. */
#include "catalogue/imageref.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#define HUB_DOMAIN "docker.io"
#define HUB_HOST   "registry-1.docker.io"
#define HUB_KEY	   "https://index.docker.io/v1/"

void image_ref_release(struct image_ref *r)
{
	free(r->domain);
	free(r->host);
	free(r->repo);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

/* A path component: [a-z0-9]+ joined by ".", "_", "__" or "-"+. */
static bool component_ok(const char *s, size_t n)
{
	if (!n || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isupper(c))
			return false;
		if (isalnum(c) || c == '-')
			continue;
		if (c == '.' && isalnum((unsigned char)s[i + 1]))
			continue;
		if (c == '_' && (isalnum((unsigned char)s[i + 1]) ||
				 (s[i + 1] == '_' && isalnum((unsigned char)s[i + 2]))))
			continue;
		if (c == '_' && i > 0 && s[i - 1] == '_')
			continue;
		return false;
	}
	return true;
}

static bool path_ok(const char *p)
{
	size_t total = strlen(p);

	if (!total || total > 255)
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (!component_ok(p, n))
			return false;
		p += n;
		if (*p == '/' && !*++p)
			return false;
	}
	return true;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || strchr("_.-", t[i])))
			return false;
	return true;
}

static bool digest_ok(const char *d)
{
	if (strncmp(d, "sha256:", 7) || strlen(d) != 71)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
			return false;
	return true;
}

/* A domain: hostname labels or [ipv6], then an optional :port. */
static bool domain_ok(const char *d)
{
	const char *colon;

	if (!*d || strlen(d) > 255)
		return false;
	if (d[0] == '[') {
		const char *end = strchr(d, ']');
		if (!end || end == d + 1)
			return false;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return false;
	} else {
		colon = strchr(d, ':');
		for (const char *p = d; p < (colon ? colon : d + strlen(d)); p++)
			if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
				return false;
		if (colon == d)
			return false;
	}
	if (colon) {
		size_t n = strlen(colon + 1);
		if (!n || n > 5 || strspn(colon + 1, "0123456789") != n)
			return false;
	}
	return true;
}

/* Split s ("name[:tag][@digest]", name without the domain) into r. */
static int split_name(struct image_ref *r, const char *s, const char *whole, struct sr_err *err)
{
	const char *at = strchr(s, '@'), *slash, *colon;
	size_t nlen;

	if (at) {
		if (!digest_ok(at + 1))
			return sr_err_set(err, SR_EINVAL,
					  "image reference '%s': the digest is not sha256:<64 hex>",
					  whole);
		r->digest = xstrdup(at + 1);
	}
	nlen = at ? (size_t)(at - s) : strlen(s);
	slash = memrchr(s, '/', nlen);
	colon = memrchr(slash ? slash : s, ':', nlen - (size_t)((slash ? slash : s) - s));
	r->repo = xstrndup(s, colon ? (size_t)(colon - s) : nlen);
	if (colon) {
		r->tag = xstrndup(colon + 1, nlen - (size_t)(colon + 1 - s));
		if (!tag_ok(r->tag))
			return sr_err_set(err, SR_EINVAL, "image reference '%s': invalid tag '%s'",
					  whole, r->tag);
	} else if (!r->digest) {
		r->tag = xstrdup("latest");
	}
	if (!path_ok(r->repo))
		return sr_err_set(err, SR_EINVAL,
				  "image reference '%s': invalid repository name '%s' (lowercase "
				  "letters, digits and . _ - between /-separated components)",
				  whole, r->repo);
	return 0;
}

int image_ref_parse(struct image_ref *r, const char *s, struct sr_err *err)
{
	const char *whole = s, *slash = strchr(s, '/');
	size_t dlen = slash ? (size_t)(slash - s) : 0;
	int rc;

	memset(r, 0, sizeof(*r));
	/* The first component is a domain when it has a '.' or ':' or is
	 * localhost (or is an IPv6 literal); otherwise it is Docker Hub's. */
	if (slash && (memchr(s, '.', dlen) || memchr(s, ':', dlen) || s[0] == '[' ||
		      (dlen == 9 && !strncmp(s, "localhost", 9)))) {
		r->domain = xstrndup(s, dlen);
		s = slash + 1;
		if (!domain_ok(r->domain)) {
			rc = sr_err_set(err, SR_EINVAL,
					"image reference '%s': invalid registry '%s'", whole,
					r->domain);
			image_ref_release(r);
			return rc;
		}
	} else {
		r->domain = xstrdup(HUB_DOMAIN);
	}
	if (!strcmp(r->domain, "index.docker.io")) {
		free(r->domain);
		r->domain = xstrdup(HUB_DOMAIN);
	}
	if ((rc = split_name(r, s, whole, err)) < 0) {
		image_ref_release(r);
		return rc;
	}
	if (!strcmp(r->domain, HUB_DOMAIN)) {
		r->host = xstrdup(HUB_HOST);
		if (!strchr(r->repo, '/')) {
			char *lib = xasprintf("library/%s", r->repo);
			free(r->repo);
			r->repo = lib;
		}
	} else {
		r->host = xstrdup(r->domain);
	}
	return 0;
}

const char *image_ref_cred_key(const struct image_ref *r)
{
	return !strcmp(r->domain, HUB_DOMAIN) ? HUB_KEY : r->domain;
}

bool image_host_is_loopback(const char *hostport)
{
	char host[256];
	const char *end;
	size_t n;
	unsigned char buf[16];

	if (hostport[0] == '[') {
		end = strchr(hostport, ']');
		if (!end)
			return false;
		hostport++;
	} else {
		end = strchr(hostport, ':');
		if (!end)
			end = hostport + strlen(hostport);
	}
	n = (size_t)(end - hostport);
	if (n >= sizeof(host))
		return false;
	memcpy(host, hostport, n);
	host[n] = 0;
	if (!strcmp(host, "localhost"))
		return true;
	if (inet_pton(AF_INET, host, buf) == 1)
		return buf[0] == 127;
	if (inet_pton(AF_INET6, host, buf) == 1)
		return !memcmp(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	return false;
}
