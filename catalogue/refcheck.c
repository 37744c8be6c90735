/* What a catalogue may name (catalogue.h): image references in the
 * docker distribution grammar, and sha256 digests. */
#include "catalogue/catalogue.h"

#include <string.h>

static bool is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int cat_digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) || strlen(d) != 71)
		return 0;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static bool is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A path component: [a-z0-9]+ joined by '.', '_', "__" or runs of '-'. */
static bool valid_path_component(const char *s, size_t n)
{
	size_t i = 0;

	if (!n || !is_lower_alnum((unsigned char)s[0]) || !is_lower_alnum((unsigned char)s[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum((unsigned char)s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.' || (s[i] == '_' && s[i + 1] != '_'))
			i++;
		else if (s[i] == '_')
			i += 2;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return false;
		if (i >= n || !is_lower_alnum((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* host[:port], host a DNS name, an IPv4 address or a bracketed IPv6 one. */
static bool valid_domain(const char *s, size_t n)
{
	unsigned port = 0;
	size_t i = 0;

	if (n && s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!is_hex((unsigned char)s[i]) && s[i] != ':')
				return false;
		if (i >= n || i == 1)
			return false;
		i++;
	} else {
		for (; i < n && s[i] != ':'; i++)
			if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-'))
				return false;
		if (!i || s[0] == '.' || s[0] == '-' || s[i - 1] == '.' || s[i - 1] == '-')
			return false;
	}
	if (i == n)
		return true;
	if (s[i] != ':' || i + 1 == n || n - i - 1 > 5)
		return false;
	for (i++; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		port = port * 10 + (unsigned)(s[i] - '0');
	}
	return port > 0 && port <= 65535;
}

int cat_reference_valid(const char *ref, const char **why)
{
	const char *slash = strchr(ref, '/'), *last = strrchr(ref, '/'), *colon, *path = ref;
	size_t len = strlen(ref), namelen;

	*why = NULL;
	if (!len)
		*why = "it is empty";
	else if (strchr(ref, '@'))
		*why = "it carries a digest: pin it with 'digest' instead";
	if (*why)
		return 0;
	/* Docker's rule: the first component names a registry when it could
	 * not be a path component (has '.', ':' or uppercase) or is localhost. */
	if (slash) {
		size_t n = (size_t)(slash - ref);
		bool domain = !strncmp(ref, "localhost", n) && n == 9;
		for (size_t i = 0; i < n && !domain; i++)
			domain = ref[i] == '.' || ref[i] == ':' || (ref[i] >= 'A' && ref[i] <= 'Z');
		if (domain) {
			if (!valid_domain(ref, n)) {
				*why = "its registry host is malformed";
				return 0;
			}
			path = slash + 1;
		}
	}
	/* A tag follows the last '/'; a ':' before it belongs to the port. */
	colon = strchr(last ? last : ref, ':');
	namelen = colon ? (size_t)(colon - ref) : len;
	if (namelen > 255) {
		*why = "its name is longer than 255 characters";
		return 0;
	}
	for (const char *c = path; c < ref + namelen;) {
		const char *e = memchr(c, '/', (size_t)(ref + namelen - c));
		if (!e)
			e = ref + namelen;
		if (!valid_path_component(c, (size_t)(e - c))) {
			*why = "its repository name is malformed (lowercase [a-z0-9] joined by "
			       "'.', '_', '__' or '-')";
			return 0;
		}
		c = e + (e < ref + namelen);
		if (e < ref + namelen && c == ref + namelen) {
			*why = "its repository name ends with '/'";
			return 0;
		}
	}
	if (colon) {
		const char *t = colon + 1;
		size_t tl = strlen(t);
		bool ok = tl && tl <= 128 && t[0] != '.' && t[0] != '-';
		for (size_t i = 0; ok && i < tl; i++)
			ok = (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
			     (t[i] >= '0' && t[i] <= '9') || t[i] == '_' || t[i] == '.' ||
			     t[i] == '-';
		if (!ok) {
			*why = "its tag is malformed ([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 128)";
			return 0;
		}
	}
	return 1;
}
