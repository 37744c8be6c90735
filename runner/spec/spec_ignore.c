/* .sandrunignore: gitignore-syntax patterns for spec discovery. */
#include "runner/spec/spec_ignore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/smallfile.h"

#define IGNORE_MAX_BYTES (1u << 20)

struct pattern {
	char *glob;    /* without '!', leading '/' and trailing '/' */
	bool negate;   /* "!pattern": re-include */
	bool dir_only; /* "pattern/" */
	bool anchored; /* matched against the whole relative path, else the name */
};

struct spec_ignore {
	struct pattern *v;
	size_t nr, alloc;
};

/* One line into a pattern; false for blank lines and comments. */
static bool parse_line(struct pattern *out, const char *line, size_t n)
{
	size_t start = 0;

	memset(out, 0, sizeof(*out));
	if (n && line[n - 1] == '\r')
		n--;
	/* Trailing spaces go unless the last one is escaped. */
	while (n && line[n - 1] == ' ' && !(n >= 2 && line[n - 2] == '\\'))
		n--;
	if (!n || line[0] == '#')
		return false;
	if (line[0] == '!') {
		out->negate = true;
		start = 1;
	}
	if (n > start && line[n - 1] == '/') {
		out->dir_only = true;
		n--;
	}
	if (n <= start)
		return false;
	/* A '/' at the start or in the middle anchors the pattern at the root. */
	out->anchored = memchr(line + start, '/', n - start) != NULL;
	if (line[start] == '/')
		start++;
	if (n <= start)
		return false;
	out->glob = xstrndup(line + start, n - start);
	return true;
}

struct spec_ignore *spec_ignore_parse(const char *text, size_t len)
{
	struct spec_ignore *ig = xcalloc(1, sizeof(*ig));
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		struct pattern p;

		if (!memchr(text + i, '\0', n) && parse_line(&p, text + i, n)) {
			SR_GROW(ig->v, ig->nr + 1, ig->alloc);
			ig->v[ig->nr++] = p;
		}
		i += n + 1;
	}
	return ig;
}

int spec_ignore_load_at(struct spec_ignore **out, int dfd, const char *root, struct sr_err *err)
{
	char *path = xasprintf("%s%s.sandrunignore", root,
			       *root && root[strlen(root) - 1] == '/' ? "" : "/");
	char *text = NULL;
	struct stat st;
	size_t len;
	int fd, rc = 0;

	*out = NULL;
	/* O_NONBLOCK: a FIFO is refused, not waited on. */
	fd = openat(dfd, ".sandrunignore", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT &&
	    fstatat(dfd, ".sandrunignore", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
		*out = spec_ignore_parse("", 0);
	} else if (fd < 0) {
		rc = sr_err_set(err, SR_EINVAL, "cannot open '%s': %s", path, strerror(errno));
	} else if ((rc = sr_read_small_fd(&text, &len, fd, path, IGNORE_MAX_BYTES, NULL, err)) ==
		   0) {
		*out = spec_ignore_parse(text, len);
	} else {
		if (err)
			err->code = SR_EINVAL;
		rc = SR_EINVAL;
	}
	if (fd >= 0)
		close(fd);
	free(text);
	free(path);
	return rc;
}

int spec_ignore_load(struct spec_ignore **out, const char *root, struct sr_err *err)
{
	char *path = xasprintf("%s%s.sandrunignore", root,
			       *root && root[strlen(root) - 1] == '/' ? "" : "/");
	char *text = NULL;
	struct stat st;
	size_t len;
	int rc = 0;

	*out = NULL;
	if (lstat(path, &st) < 0 && errno == ENOENT) {
		*out = spec_ignore_parse("", 0);
	} else if ((rc = sr_read_small_file(&text, &len, path, IGNORE_MAX_BYTES, err)) == 0) {
		*out = spec_ignore_parse(text, len);
	} else if (err) {
		err->code = rc = SR_EINVAL;
	}
	free(text);
	free(path);
	return rc;
}

/* '[...]' at p (just after the '['): does ch match? *end is set after the
 * closing ']'; false with *end NULL when there is none (then '[' is literal). */
static bool bracket(const char *p, char ch, const char **end)
{
	bool neg = *p == '!' || *p == '^', hit = false;
	const char *q = p + neg;

	*end = NULL;
	if (*q == ']') { /* a leading ']' is a member */
		hit |= ch == ']';
		q++;
	}
	for (; *q && *q != ']'; q++) {
		char lo = *q, hi = *q;
		if (*q == '\\' && q[1])
			lo = hi = *++q;
		if (q[1] == '-' && q[2] && q[2] != ']') {
			hi = q[2] == '\\' && q[3] ? q[3] : q[2];
			q += q[2] == '\\' && q[3] ? 3 : 2;
		}
		hit |= ch >= lo && ch <= hi;
	}
	if (*q != ']')
		return false;
	*end = q + 1;
	return hit != neg && ch != '/';
}

/* Backtracking over many '*' can take exponential time; a pattern that
 * needs more steps than this against one path does not match it. */
#define GLOB_MAX_STEPS 100000

/* gitignore glob match of the whole of s; start is the pattern's beginning
 * (a '**' counts only as a whole path component); *steps counts the work. */
static bool glob(const char *start, const char *p, const char *s, unsigned long *steps)
{
	if (++*steps > GLOB_MAX_STEPS)
		return false;
	while (*p) {
		const char *end;

		if (p[0] == '*' && p[1] == '*' && (p == start || p[-1] == '/') &&
		    (p[2] == '/' || !p[2])) {
			if (!p[2])
				return true;
			for (const char *q = s;; q++) {
				if (glob(start, p + 3, q, steps))
					return true;
				if (!(q = strchr(q, '/')))
					return false;
			}
		}
		switch (*p) {
		case '*':
			for (p++;; s++) {
				if (glob(start, p, s, steps))
					return true;
				if (!*s || *s == '/')
					return false;
			}
		case '?':
			if (!*s || *s == '/')
				return false;
			p++;
			s++;
			continue;
		case '[':
			if (!*s)
				return false;
			if (bracket(p + 1, *s, &end)) {
				p = end;
				s++;
				continue;
			}
			if (end)
				return false;
			break; /* no closing ']': a literal '[' */
		case '\\':
			p += !!p[1];
			break;
		default:
			break;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	return !*s;
}

bool spec_ignore_empty(const struct spec_ignore *ig)
{
	return !ig || !ig->nr;
}

bool spec_ignore_match(const struct spec_ignore *ig, const char *rel, bool is_dir)
{
	const char *name = strrchr(rel, '/');
	bool ignored = false;

	name = name ? name + 1 : rel;
	for (size_t i = 0; ig && i < ig->nr; i++) {
		const struct pattern *p = &ig->v[i];
		unsigned long steps = 0;
		if (p->dir_only && !is_dir)
			continue;
		if (p->negate != ignored)
			continue; /* cannot change the answer */
		if (glob(p->glob, p->glob, p->anchored ? rel : name, &steps))
			ignored = !p->negate;
	}
	return ignored;
}

void spec_ignore_free(struct spec_ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->nr; i++)
		free(ig->v[i].glob);
	free(ig->v);
	free(ig);
}
