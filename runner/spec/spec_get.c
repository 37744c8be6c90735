/* Harness specs: the typed readers of the YAML tree that the validator
 * (spec_validate.c) is built from; every error is "file:line:col: what"
 * (spec_int.h). */
#include "runner/spec/spec_int.h"
#include "runner/spec/spec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/fsutil.h"

int verr(struct ctx *c, const struct ynode *n, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	/* Quoted subjects come from the file: keep the message on one line. */
	for (size_t i = 0; i < sb.len; i++)
		if ((unsigned char)sb.buf[i] < 0x20 || sb.buf[i] == 0x7f)
			sb.buf[i] = '?';
	sr_err_set(c->err, SR_EINVAL, "%s:%d:%d: %s", c->path, n ? n->line : 1, n ? n->col : 1,
		   strbuf_str(&sb));
	strbuf_release(&sb);
	return SR_EINVAL;
}

bool is_null(const struct ynode *n)
{
	return n->type == Y_SCALAR && n->plain &&
	       (!*n->str || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
		!strcmp(n->str, "Null") || !strcmp(n->str, "NULL"));
}

const char *type_word(const struct ynode *n)
{
	if (n->type == Y_MAP)
		return "a mapping";
	if (n->type == Y_SEQ)
		return "a list";
	return is_null(n) ? "null" : "a scalar";
}

int want_map(struct ctx *c, const struct ynode *n, const char *what)
{
	if (n->type != Y_MAP)
		return verr(c, n, "%s must be a mapping, not %s", what, type_word(n));
	return 0;
}

/* Keys must be scalars, known and not repeated. */
int check_keys(struct ctx *c, const struct ynode *m, const char *const *known, const char *what)
{
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i];
		bool ok = false;

		if (k->type != Y_SCALAR)
			return verr(c, k, "keys of %s must be strings, not %s", what, type_word(k));
		for (size_t j = 0; known[j] && !ok; j++)
			ok = !strcmp(known[j], k->str);
		if (!ok)
			return verr(c, k, "unknown key '%s' in %s", k->str, what);
		for (size_t j = 0; j < i; j += 2)
			if (!strcmp(m->kids[j]->str, k->str))
				return verr(c, k, "duplicate key '%s' in %s", k->str, what);
	}
	return 0;
}

/* Only on mappings that passed check_keys (every key a scalar). */
const struct ynode *get(const struct ynode *m, const char *key)
{
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (!strcmp(m->kids[i]->str, key))
			return m->kids[i + 1];
	return NULL;
}

/* Any non-null scalar, as its text. */
int get_str(struct ctx *c, const struct ynode *n, const char *key, bool nonempty, char **out)
{
	if (n->type != Y_SCALAR || is_null(n))
		return verr(c, n, "'%s' must be a string, not %s", key, type_word(n));
	if (nonempty && !*n->str)
		return verr(c, n, "'%s' must not be empty", key);
	free(*out);
	*out = xstrdup(n->str);
	return 0;
}

int get_bool(struct ctx *c, const struct ynode *n, const char *key, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", NULL};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", NULL};

	if (n->type == Y_SCALAR && n->plain) {
		for (size_t i = 0; yes[i]; i++) {
			if (!strcmp(n->str, yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcmp(n->str, no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	return verr(c, n, "'%s' must be true or false", key);
}

bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

int get_int(struct ctx *c, const struct ynode *n, const char *key, long lo, long hi, long *out)
{
	const char *s = n->str;
	char *end;
	long v;

	if (n->type != Y_SCALAR || !n->plain || is_null(n))
		return verr(c, n, "'%s' must be an integer, not %s", key,
			    n->type == Y_SCALAR && !is_null(n) ? "a string" : type_word(n));
	if (!is_digit(s[*s == '-' || *s == '+']))
		return verr(c, n, "'%s' must be an integer, got '%s'", key, s);
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end)
		return verr(c, n, "'%s' must be an integer, got '%s'", key, s);
	if (errno || v < lo || v > hi)
		return verr(c, n, "'%s' must be between %ld and %ld, got %s", key, lo, hi, s);
	*out = v;
	return 0;
}

/* [A-Za-z0-9][A-Za-z0-9._-]*: harness and payload names end up in container
 * names, labels and report file names. */
bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool alnum = is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
		if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
			return false;
	}
	return true;
}

/* [a-z0-9_-]+: stub names become SANDRUN_STUB_<NAME>_URL and mount points. */
bool valid_stub_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z') && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

bool valid_env_name(const char *s)
{
	if (!*s || is_digit(*s))
		return false;
	for (; *s; s++)
		if (!is_digit(*s) && !(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    *s != '_')
			return false;
	return true;
}

int get_duration(struct ctx *c, const struct ynode *n, const char *key, uint64_t *out)
{
	uint64_t v;

	if (n->type != Y_SCALAR || sr_parse_duration_ms(n->str, &v) < 0 || !v)
		return verr(c, n, "'%s' must be a positive duration like 500ms, 10s or 2m", key);
	*out = v;
	return 0;
}

int get_size(struct ctx *c, const struct ynode *n, const char *key, uint64_t *out)
{
	uint64_t v;

	if (n->type != Y_SCALAR || sr_parse_size(n->str, &v) < 0 || !v)
		return verr(c, n, "'%s' must be a positive size like 64m, 1g or 4096", key);
	*out = v;
	return 0;
}

/* A plain decimal number: digits with at most one '.', no sign or exponent. */
int get_number(struct ctx *c, const struct ynode *n, const char *key, double *out)
{
	const char *s = n->str;
	bool digits = false, dot = false;

	if (n->type != Y_SCALAR || !n->plain)
		return verr(c, n, "'%s' must be a number", key);
	for (; *s; s++) {
		if (is_digit(*s))
			digits = true;
		else if (*s == '.' && !dot)
			dot = true;
		else
			break;
	}
	if (*s || !digits)
		return verr(c, n, "'%s' must be a number, got '%s'", key, n->str);
	*out = strtod(n->str, NULL);
	return 0;
}

bool path_within(const char *dir, const char *p)
{
	size_t dl = strlen(dir);

	if (dl == 1 && dir[0] == '/')
		return p[0] == '/';
	return !strncmp(p, dir, dl) && (p[dl] == '/' || p[dl] == '\0');
}

/* Does the relative path climb above its start before any symlink is
 * looked at? ("a/../../x" does.) */
bool lexically_escapes(const char *rel)
{
	long depth = 0;
	const char *p = rel;

	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return true;
		} else if (n && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		p += *p == '/';
	}
	return false;
}

/* A path relative to the spec's directory that must exist and resolve
 * (symlinks included) inside that directory's tree; *out gets the result. */
int get_path(struct ctx *c, const struct ynode *n, const char *key, bool want_dir, char **out)
{
	char real[PATH_MAX];
	char *joined;
	struct stat st;
	int e;

	if (n->type != Y_SCALAR || is_null(n) || !*n->str)
		return verr(c, n, "'%s' must be a path relative to the spec", key);
	if (n->str[0] == '/')
		return verr(c, n, "%s '%s' must be relative to the spec's directory", key, n->str);
	if (lexically_escapes(n->str))
		return verr(c, n, "%s '%s' escapes the suite", key, n->str);
	joined = xasprintf("%s%s%s", c->dir, strcmp(c->dir, "/") ? "/" : "", n->str);
	if (fs_resolve(joined, real, &st) < 0) {
		e = errno;
		free(joined);
		if (e == ENOENT)
			return verr(c, n, "%s '%s' does not exist", key, n->str);
		return verr(c, n, "cannot resolve %s '%s': %s", key, n->str, strerror(e));
	}
	free(joined);
	if (!path_within(c->dir, real))
		return verr(c, n, "%s '%s' escapes the suite (resolves to '%s')", key, n->str,
			    real);
	if (want_dir && !S_ISDIR(st.st_mode))
		return verr(c, n, "%s '%s' is not a directory", key, n->str);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return verr(c, n, "%s '%s' is neither a file nor a directory", key, n->str);
	free(*out);
	*out = xstrdup(real);
	return 0;
}

/* corpus: DIR — like get_path for a directory, except that DIR may not
 * exist yet: then its nearest existing ancestor must resolve inside the
 * spec's tree, and the path is that ancestor's real path plus the rest. DIR
 * must lie below the spec's directory, not be it. */
int get_corpus(struct ctx *c, const struct ynode *n, char **out)
{
	char real[PATH_MAX], *joined, *orig, *cut, *rest;
	struct stat st;
	bool found;

	if (n->type != Y_SCALAR || is_null(n) || !*n->str)
		return verr(c, n, "'corpus' must be a directory relative to the spec");
	if (n->str[0] == '/')
		return verr(c, n, "corpus '%s' must be relative to the spec's directory", n->str);
	if (lexically_escapes(n->str))
		return verr(c, n, "corpus '%s' escapes the suite", n->str);
	joined = xasprintf("%s%s%s", c->dir, strcmp(c->dir, "/") ? "/" : "", n->str);
	orig = xstrdup(joined);
	while (!(found = fs_resolve(joined, real, &st) == 0) && errno == ENOENT &&
	       (cut = strrchr(joined, '/')) && cut != joined)
		*cut = '\0';
	rest = orig + strlen(joined);
	free(joined);
	if (!found || strstr(rest, "/..") || !path_within(c->dir, real) ||
	    (!*rest && !strcmp(real, c->dir))) {
		free(orig);
		return verr(c, n, "corpus '%s' must be a directory below the spec's directory",
			    n->str);
	}
	if (!*rest) {
		if (!S_ISDIR(st.st_mode)) {
			free(orig);
			return verr(c, n, "corpus '%s' is not a directory", n->str);
		}
	}
	free(*out);
	*out = xasprintf("%s%s", real, rest);
	free(orig);
	return 0;
}
