/* Harness specs: validation of the YAML tree against DESIGN §4, key by key.
 * Every error is "file:line:col: what" with code SR_EINVAL. */
#include "runner/spec/spec_int.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/fsutil.h"

#define MAX_DEPTH SPEC_MAX_DEPTH
#define MAX_NAME  128

struct ctx {
	const char *path;
	const char *dir; /* realpath of the spec's directory */
	struct sr_err *err;
};

static int verr(struct ctx *c, const struct ynode *n, const char *fmt, ...) SR_PRINTF(3, 4);
static int verr(struct ctx *c, const struct ynode *n, const char *fmt, ...)
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

static bool is_null(const struct ynode *n)
{
	return n->type == Y_SCALAR && n->plain &&
	       (!*n->str || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
		!strcmp(n->str, "Null") || !strcmp(n->str, "NULL"));
}

static const char *type_word(const struct ynode *n)
{
	if (n->type == Y_MAP)
		return "a mapping";
	if (n->type == Y_SEQ)
		return "a list";
	return is_null(n) ? "null" : "a scalar";
}

static int want_map(struct ctx *c, const struct ynode *n, const char *what)
{
	if (n->type != Y_MAP)
		return verr(c, n, "%s must be a mapping, not %s", what, type_word(n));
	return 0;
}

/* Keys must be scalars, known and not repeated. */
static int check_keys(struct ctx *c, const struct ynode *m, const char *const *known,
		      const char *what)
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
static const struct ynode *get(const struct ynode *m, const char *key)
{
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (!strcmp(m->kids[i]->str, key))
			return m->kids[i + 1];
	return NULL;
}

/* Any non-null scalar, as its text. */
static int get_str(struct ctx *c, const struct ynode *n, const char *key, bool nonempty, char **out)
{
	if (n->type != Y_SCALAR || is_null(n))
		return verr(c, n, "'%s' must be a string, not %s", key, type_word(n));
	if (nonempty && !*n->str)
		return verr(c, n, "'%s' must not be empty", key);
	free(*out);
	*out = xstrdup(n->str);
	return 0;
}

static int get_bool(struct ctx *c, const struct ynode *n, const char *key, bool *out)
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

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int get_int(struct ctx *c, const struct ynode *n, const char *key, long lo, long hi,
		   long *out)
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
static bool valid_name(const char *s)
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
static bool valid_stub_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z') && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static bool valid_env_name(const char *s)
{
	if (!*s || is_digit(*s))
		return false;
	for (; *s; s++)
		if (!is_digit(*s) && !(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    *s != '_')
			return false;
	return true;
}

static int get_duration(struct ctx *c, const struct ynode *n, const char *key, uint64_t *out)
{
	uint64_t v;

	if (n->type != Y_SCALAR || sr_parse_duration_ms(n->str, &v) < 0 || !v)
		return verr(c, n, "'%s' must be a positive duration like 500ms, 10s or 2m", key);
	*out = v;
	return 0;
}

static int get_size(struct ctx *c, const struct ynode *n, const char *key, uint64_t *out)
{
	uint64_t v;

	if (n->type != Y_SCALAR || sr_parse_size(n->str, &v) < 0 || !v)
		return verr(c, n, "'%s' must be a positive size like 64m, 1g or 4096", key);
	*out = v;
	return 0;
}

/* A plain decimal number: digits with at most one '.', no sign or exponent. */
static int get_number(struct ctx *c, const struct ynode *n, const char *key, double *out)
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

static bool path_within(const char *dir, const char *p)
{
	size_t dl = strlen(dir);

	if (dl == 1 && dir[0] == '/')
		return p[0] == '/';
	return !strncmp(p, dir, dl) && (p[dl] == '/' || p[dl] == '\0');
}

/* Does the relative path climb above its start before any symlink is
 * looked at? ("a/../../x" does.) */
static bool lexically_escapes(const char *rel)
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
static int get_path(struct ctx *c, const struct ynode *n, const char *key, bool want_dir,
		    char **out)
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
	if (!realpath(joined, real)) {
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
	if (stat(real, &st) < 0) {
		e = errno;
		return verr(c, n, "cannot stat %s '%s': %s", key, n->str, strerror(e));
	}
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
static int get_corpus(struct ctx *c, const struct ynode *n, char **out)
{
	char real[PATH_MAX], *joined, *orig, *cut, *rest;
	bool found;

	if (n->type != Y_SCALAR || is_null(n) || !*n->str)
		return verr(c, n, "'corpus' must be a directory relative to the spec");
	if (n->str[0] == '/')
		return verr(c, n, "corpus '%s' must be relative to the spec's directory", n->str);
	if (lexically_escapes(n->str))
		return verr(c, n, "corpus '%s' escapes the suite", n->str);
	joined = xasprintf("%s%s%s", c->dir, strcmp(c->dir, "/") ? "/" : "", n->str);
	orig = xstrdup(joined);
	while (!(found = realpath(joined, real) != NULL) && errno == ENOENT &&
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
		struct stat st;
		if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
			free(orig);
			return verr(c, n, "corpus '%s' is not a directory", n->str);
		}
	}
	free(*out);
	*out = xasprintf("%s%s", real, rest);
	free(orig);
	return 0;
}

static int parse_limits(struct ctx *c, const struct ynode *m, struct limits *l)
{
	static const char *const keys[] = {"memory", "cpus",	  "pids",	    "tmpfs", "disk",
					   "output", "artifacts", "artifact_bytes", NULL};
	const struct ynode *v;
	long pids;
	int rc;

	if ((rc = want_map(c, m, "'limits'")) || (rc = check_keys(c, m, keys, "limits")))
		return rc;
	if ((v = get(m, "memory"))) {
		if ((rc = get_size(c, v, "limits.memory", &l->memory)))
			return rc;
		/* Docker and Podman refuse anything smaller. */
		if (l->memory < 6u << 20)
			return verr(c, v, "'limits.memory' must be at least 6m");
	}
	if ((v = get(m, "cpus"))) {
		if ((rc = get_number(c, v, "limits.cpus", &l->cpus)))
			return rc;
		if (!(l->cpus > 0) || l->cpus > 1024)
			return verr(c, v, "'limits.cpus' must be above 0 and at most 1024");
	}
	if ((v = get(m, "pids"))) {
		if ((rc = get_int(c, v, "limits.pids", 1, 1L << 22, &pids)))
			return rc;
		l->pids = pids;
	}
	if ((v = get(m, "tmpfs")) && (rc = get_size(c, v, "limits.tmpfs", &l->tmpfs)))
		return rc;
	if ((v = get(m, "disk")) && (rc = get_size(c, v, "limits.disk", &l->disk)))
		return rc;
	if ((v = get(m, "output")) && (rc = get_size(c, v, "limits.output", &l->output)))
		return rc;
	if ((v = get(m, "artifacts")) &&
	    (rc = get_int(c, v, "limits.artifacts", 0, 1000000, &l->artifacts)))
		return rc;
	if ((v = get(m, "artifact_bytes")) &&
	    (rc = get_size(c, v, "limits.artifact_bytes", &l->artifact_bytes)))
		return rc;
	return 0;
}

static int parse_command(struct ctx *c, const struct ynode *v, struct spec *s)
{
	if (v->type != Y_SEQ || !v->n)
		return verr(c, v, "'command' must be a non-empty list of strings");
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *k = v->kids[i];
		if (k->type != Y_SCALAR || is_null(k))
			return verr(c, k, "'command' items must be strings, not %s", type_word(k));
		strvec_push(&s->command, k->str);
	}
	if (!*s->command.v[0])
		return verr(c, v->kids[0], "'command' must not start with an empty string");
	return 0;
}

static int parse_env(struct ctx *c, const struct ynode *m, struct spec *s)
{
	if (m->type != Y_MAP)
		return verr(c, m, "'env' must be a mapping of names to strings, not %s",
			    type_word(m));
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];

		if (k->type != Y_SCALAR)
			return verr(c, k, "env names must be strings, not %s", type_word(k));
		if (!valid_env_name(k->str))
			return verr(c, k,
				    "invalid env name '%s': must match [A-Za-z_][A-Za-z0-9_]*",
				    k->str);
		if (!strncmp(k->str, "SANDRUN_", 8))
			return verr(c, k, "env name '%s' is reserved for the runner", k->str);
		for (size_t j = 0; j < i; j += 2)
			if (!strcmp(m->kids[j]->str, k->str))
				return verr(c, k, "duplicate env name '%s'", k->str);
		if (v->type != Y_SCALAR || is_null(v))
			return verr(c, v, "env value of '%s' must be a string, not %s", k->str,
				    type_word(v));
		/* Values travel in an --env-file, one variable a line: a line
		 * break would smuggle in a second variable. (NUL bytes are refused
		 * for every scalar by the YAML loader.) */
		if (strpbrk(v->str, "\n\r"))
			return verr(c, v, "env value of '%s' must not contain a line break",
				    k->str);
		strvec_push(&s->env_keys, k->str);
		strvec_push(&s->env_vals, v->str);
	}
	return 0;
}

static int get_stub_kind(struct ctx *c, const struct ynode *v, enum stub_kind *out)
{
	for (int k = STUB_HTTP; k <= STUB_FS && v->type == Y_SCALAR; k++) {
		if (!strcmp(v->str, stub_kind_name((enum stub_kind)k))) {
			*out = (enum stub_kind)k;
			return 0;
		}
	}
	if (v->type != Y_SCALAR)
		return verr(c, v, "stub 'kind' must be a string, not %s", type_word(v));
	return verr(c, v, "unknown stub kind '%s' (http, sql, redis, tcp or fs)", v->str);
}

/* Two names that map to the same SANDRUN_STUB_<NAME>_URL variable. */
static bool stub_names_clash(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
			return false;
	return *a == *b;
}

static int parse_stub(struct ctx *c, const struct ynode *m, struct spec *s, size_t i)
{
	static const char *const keys[] = {"name", "kind", "status", "body", "path", NULL};
	struct stub *st = &s->stubs[i];
	const struct ynode *v;
	long status = 200;
	int rc;

	if ((rc = want_map(c, m, "a stub")) || (rc = check_keys(c, m, keys, "a stub")))
		return rc;
	if (!(v = get(m, "name")))
		return verr(c, m, "missing required key 'name' in a stub");
	if ((rc = get_str(c, v, "name", true, &st->name)))
		return rc;
	if (!valid_stub_name(st->name))
		return verr(c, v, "stub name '%s' must match [a-z0-9_-]+", st->name);
	for (size_t j = 0; j < i; j++) {
		if (!strcmp(s->stubs[j].name, st->name))
			return verr(c, v, "duplicate stub name '%s'", st->name);
		if (stub_names_clash(s->stubs[j].name, st->name))
			return verr(c, v, "stub name '%s' clashes with '%s' in SANDRUN_STUB_*_URL",
				    st->name, s->stubs[j].name);
	}
	if (!(v = get(m, "kind")))
		return verr(c, m, "missing required key 'kind' in stub '%s'", st->name);
	if ((rc = get_stub_kind(c, v, &st->kind)))
		return rc;
	if ((v = get(m, "status"))) {
		if (st->kind != STUB_HTTP)
			return verr(c, v, "'status' is only for http stubs");
		if ((rc = get_int(c, v, "status", 100, 599, &status)))
			return rc;
	}
	st->status = (int)status;
	if ((v = get(m, "body"))) {
		if (st->kind != STUB_HTTP && st->kind != STUB_TCP)
			return verr(c, v, "'body' is only for http and tcp stubs");
		if (v->type != Y_SCALAR || is_null(v))
			return verr(c, v, "'body' must be a string, not %s", type_word(v));
		st->body = xstrdup(v->str);
	} else if (st->kind == STUB_HTTP) {
		st->body = xstrdup("");
	}
	if ((v = get(m, "path"))) {
		if (st->kind != STUB_FS)
			return verr(c, v, "'path' is only for fs stubs");
		if ((rc = get_path(c, v, "path", false, &st->path)))
			return rc;
	} else if (st->kind == STUB_FS) {
		return verr(c, m, "missing required key 'path' in fs stub '%s'", st->name);
	}
	return 0;
}

static int parse_stubs(struct ctx *c, const struct ynode *seq, struct spec *s)
{
	int rc;

	if (seq->type != Y_SEQ)
		return verr(c, seq, "'stubs' must be a list, not %s", type_word(seq));
	s->stubs = xcalloc(seq->n, sizeof(*s->stubs));
	for (size_t i = 0; i < seq->n; i++) {
		s->nstubs = i + 1; /* so that spec_release frees a half-filled entry */
		if ((rc = parse_stub(c, seq->kids[i], s, i)))
			return rc;
	}
	return 0;
}

static int get_outcome(struct ctx *c, const struct ynode *v, enum outcome *out)
{
	if (v->type == Y_SCALAR && (*out = outcome_from_name(v->str)) != OUTCOME_NONE)
		return 0;
	if (v->type == Y_SCALAR)
		return verr(c, v,
			    "unknown outcome '%s' for 'expect' (error, confirmed, crash, oom, "
			    "timeout or not_confirmed)",
			    v->str);
	return verr(c, v, "'expect' must be an outcome, not %s", type_word(v));
}

static int parse_payload(struct ctx *c, const struct ynode *m, struct spec *s, size_t i)
{
	static const char *const keys[] = {"name", "value", "expect", NULL};
	struct payload *p = &s->payloads[i];
	const struct ynode *v, *name;
	int rc;

	p->expect = OUTCOME_NONE;
	if ((rc = want_map(c, m, "a payload")) || (rc = check_keys(c, m, keys, "a payload")))
		return rc;
	if ((name = get(m, "name"))) {
		if ((rc = get_str(c, name, "name", true, &p->name)))
			return rc;
		if (!valid_name(p->name))
			return verr(c, name,
				    "payload name '%s' must match [A-Za-z0-9][A-Za-z0-9._-]*",
				    p->name);
	} else {
		p->name = xasprintf("p%zu", i + 1);
	}
	for (size_t j = 0; j < i; j++)
		if (!strcmp(s->payloads[j].name, p->name))
			return verr(c, name ? name : m, "duplicate payload name '%s'", p->name);
	if (!(v = get(m, "value")))
		return verr(c, m, "missing required key 'value' in payload '%s'", p->name);
	/* Payloads are bytes: 42, true or 1e3 are taken as written. */
	if (v->type != Y_SCALAR)
		return verr(c, v, "payload 'value' must be a string, not %s", type_word(v));
	p->value = xstrdup(v->str);
	if ((v = get(m, "expect")) && (rc = get_outcome(c, v, &p->expect)))
		return rc;
	return 0;
}

static int parse_payloads(struct ctx *c, const struct ynode *seq, struct spec *s)
{
	int rc;

	if (seq->type != Y_SEQ)
		return verr(c, seq, "'payloads' must be a list, not %s", type_word(seq));
	if (!seq->n)
		return verr(c, seq, "'payloads' must not be empty (leave it out instead)");
	s->payloads = xcalloc(seq->n, sizeof(*s->payloads));
	for (size_t i = 0; i < seq->n; i++) {
		s->npayloads = i + 1;
		if ((rc = parse_payload(c, seq->kids[i], s, i)))
			return rc;
	}
	s->has_payloads = true;
	return 0;
}

/* glibc's regcomp copies the operand of '+' and of a bounded repetition
 * once per required match, so nesting multiplies: "((a{100}){100}){100}"
 * takes 200 MB and "x" followed by 24 '+' takes seconds. Estimate the size
 * of the compiled pattern (atoms times the copies each quantifier makes,
 * per group) and refuse costly ones before regcomp sees them, along with
 * back-references, which match in exponential time. */
#define REGEX_MAX_COST 100000.0

static const char *regex_cost(const char *re)
{
	double sum[MAX_DEPTH + 1] = {0}, last[MAX_DEPTH + 1] = {0};
	int d = 0;

	if (strlen(re) > 1024)
		return "is longer than 1024 bytes";
	for (const char *p = re; *p; p++) {
		double factor = 1; /* 1: an atom; more: copies a quantifier makes */
		bool closed = false;

		switch (*p) {
		case '(':
			if (d == MAX_DEPTH)
				return "nests groups too deeply";
			d++;
			sum[d] = last[d] = 0;
			continue;
		case ')':
			if (d == 0)
				break; /* an ordinary character; regcomp decides */
			d--;
			last[d] = sum[d + 1] ? sum[d + 1] : 1;
			sum[d] += last[d];
			closed = true;
			break;
		case '|':
			last[d] = 0;
			continue;
		case '*':
		case '?':
			continue;
		case '+':
			factor = 2;
			break;
		case '{': {
			double cur = 0, bound = 1;
			for (p++; *p && *p != '}'; p++) {
				cur = is_digit(*p) ? cur * 10 + (*p - '0') : 0;
				if (cur + 1 > bound)
					bound = cur + 1;
			}
			if (!*p)
				p--;
			factor = bound;
			break;
		}
		case '[':
			/* one atom: "[]a]" and "[^]a]" hold a ']', "[[:alpha:]]" a class */
			p += p[1] == '^';
			p += p[1] == ']';
			while (p[1] && p[1] != ']') {
				p++;
				if (p[0] == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
					const char *close = strchr(p + 2, p[1]);
					if (close && close[1] == ']')
						p = close + 1;
				}
			}
			p += !!p[1];
			break;
		case '\\':
			if (p[1] >= '1' && p[1] <= '9')
				return "uses a back-reference";
			p += !!p[1];
			break;
		default:
			break;
		}
		if (factor > 1) {
			sum[d] += last[d] * (factor - 1);
			last[d] *= factor;
		} else if (!closed) {
			last[d] = 1;
			sum[d] += 1;
		}
		if (sum[d] > REGEX_MAX_COST || last[d] > REGEX_MAX_COST)
			return "is too costly to compile (nested or stacked repetition)";
	}
	return NULL;
}

static int parse_stub_oracle(struct ctx *c, const struct ynode *v, struct spec *s)
{
	static const char *const keys[] = {"name", "contains", "regex", NULL};
	struct oracle *o = &s->oracle;
	const struct stub *target = NULL;
	const struct ynode *w;
	int rc;

	if ((rc = want_map(c, v, "'oracle.stub'")) || (rc = check_keys(c, v, keys, "oracle.stub")))
		return rc;
	if (!(w = get(v, "name")))
		return verr(c, v, "missing required key 'name' in oracle.stub");
	if ((rc = get_str(c, w, "oracle.stub.name", true, &o->stub_name)))
		return rc;
	for (size_t i = 0; i < s->nstubs && !target; i++)
		if (!strcmp(s->stubs[i].name, o->stub_name))
			target = &s->stubs[i];
	if (!target)
		return verr(c, w, "'oracle.stub' names undeclared stub '%s'", o->stub_name);
	if (target->kind == STUB_FS)
		return verr(c, w, "'oracle.stub' names fs stub '%s', which records no traffic",
			    o->stub_name);
	if ((w = get(v, "contains")) &&
	    (rc = get_str(c, w, "oracle.stub.contains", true, &o->stub_contains)))
		return rc;
	if ((w = get(v, "regex"))) {
		regex_t re;
		const char *why;
		if ((rc = get_str(c, w, "oracle.stub.regex", true, &o->stub_regex)))
			return rc;
		if ((why = regex_cost(o->stub_regex)))
			return verr(c, w, "regex '%s' %s", o->stub_regex, why);
		if (regcomp(&re, o->stub_regex, REG_EXTENDED | REG_NOSUB))
			return verr(c, w, "invalid regex '%s'", o->stub_regex);
		regfree(&re);
	}
	if (!o->stub_contains && !o->stub_regex)
		return verr(c, v, "'oracle.stub' needs 'contains' or 'regex'");
	return 0;
}

static int parse_exit_codes(struct ctx *c, const struct ynode *v, struct oracle *o)
{
	const struct ynode *const *items = &v;
	size_t n = 1;
	long code;
	int rc;

	if (v->type == Y_SEQ) {
		if (!v->n)
			return verr(c, v, "'oracle.exit_code' must list at least one code");
		items = (const struct ynode *const *)v->kids;
		n = v->n;
	}
	o->exit_codes = xcalloc(n, sizeof(*o->exit_codes));
	for (size_t i = 0; i < n; i++) {
		if ((rc = get_int(c, items[i], "oracle.exit_code", 0, 255, &code)))
			return rc;
		o->exit_codes[o->n_exit_codes++] = (int)code;
	}
	return 0;
}

/* A glob under /work: relative, and no component that could match "." or
 * ".." (".." itself, ".[.]", ".?", ".*"): glob() would expand those to the
 * real entries and climb out. */
static bool bad_glob(const char *p)
{
	return p[0] == '/' || !fs_glob_dotsafe(p);
}

static int parse_oracle(struct ctx *c, const struct ynode *m, struct spec *s)
{
	static const char *const keys[] = {"oob",	"stub",	 "stdout", "stderr",
					   "exit_code", "crash", "files",  NULL};
	struct oracle *o = &s->oracle;
	const struct ynode *v;
	int rc;

	if ((rc = want_map(c, m, "'oracle'")) || (rc = check_keys(c, m, keys, "oracle")))
		return rc;
	if ((v = get(m, "oob"))) {
		if ((rc = get_bool(c, v, "oracle.oob", &o->oob)))
			return rc;
		if (o->oob && s->network != NET_OOB && s->network != NET_STUBS)
			return verr(c, v,
				    "the oob oracle needs 'network: oob' or 'network: stubs'");
	}
	if ((v = get(m, "stub"))) {
		if ((rc = parse_stub_oracle(c, v, s)))
			return rc;
		if (s->network != NET_STUBS)
			return verr(c, v, "the stub oracle needs 'network: stubs'");
	}
	if ((v = get(m, "stdout")) && (rc = get_str(c, v, "oracle.stdout", true, &o->stdout_sub)))
		return rc;
	if ((v = get(m, "stderr")) && (rc = get_str(c, v, "oracle.stderr", true, &o->stderr_sub)))
		return rc;
	if ((v = get(m, "exit_code")) && (rc = parse_exit_codes(c, v, o)))
		return rc;
	if ((v = get(m, "crash")) && (rc = get_bool(c, v, "oracle.crash", &o->crash)))
		return rc;
	if ((v = get(m, "files"))) {
		if ((rc = get_str(c, v, "oracle.files", true, &o->files)))
			return rc;
		if (bad_glob(o->files))
			return verr(c, v,
				    "'oracle.files' must be a glob under /work with no component "
				    "that can match '.' or '..', got '%s'",
				    o->files);
	}
	return 0;
}

/* collect: globs under /work, like oracle.files. */
static int parse_collect(struct ctx *c, const struct ynode *v, struct spec *s)
{
	if (v->type != Y_SEQ)
		return verr(c, v, "'collect' must be a list of globs under /work");
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *k = v->kids[i];
		if (k->type != Y_SCALAR || is_null(k) || !*k->str)
			return verr(c, k, "'collect' items must be non-empty strings");
		if (bad_glob(k->str))
			return verr(c, k,
				    "'collect' items must be globs under /work with no component "
				    "that can match '.' or '..', got '%s'",
				    k->str);
		strvec_push(&s->collect, k->str);
	}
	return 0;
}

/* reproduce: an argv like command, with "{artifact}" in at least one item. */
static int parse_reproduce(struct ctx *c, const struct ynode *v, struct spec *s)
{
	bool has = false;

	if (v->type != Y_SEQ || !v->n)
		return verr(c, v, "'reproduce' must be a non-empty list of strings");
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *k = v->kids[i];
		if (k->type != Y_SCALAR || is_null(k))
			return verr(c, k, "'reproduce' items must be strings, not %s",
				    type_word(k));
		has = has || strstr(k->str, "{artifact}");
		strvec_push(&s->reproduce, k->str);
	}
	if (!*s->reproduce.v[0])
		return verr(c, v->kids[0], "'reproduce' must not start with an empty string");
	if (!has)
		return verr(c, v, "'reproduce' must name the saved input as {artifact}");
	return 0;
}

static int parse_network(struct ctx *c, const struct ynode *v, enum net_policy *out)
{
	for (int p = NET_NONE; p <= NET_OPEN && v->type == Y_SCALAR; p++) {
		if (!strcmp(v->str, net_policy_name((enum net_policy)p))) {
			*out = (enum net_policy)p;
			return 0;
		}
	}
	if (v->type != Y_SCALAR)
		return verr(c, v, "'network' must be a string, not %s", type_word(v));
	return verr(c, v, "unknown network policy '%s' (none, oob, stubs or open)", v->str);
}

/* isolation: run (a container per run, the default) | harness (warm). */
static int parse_isolation(struct ctx *c, const struct ynode *v, bool *warm)
{
	if (v->type != Y_SCALAR)
		return verr(c, v, "'isolation' must be a string, not %s", type_word(v));
	if (strcmp(v->str, "run") && strcmp(v->str, "harness"))
		return verr(c, v, "unknown isolation '%s' (run or harness)", v->str);
	*warm = !strcmp(v->str, "harness");
	return 0;
}

static char *file_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".yaml"))
		n -= 5;
	else if (n > 4 && !strcmp(base + n - 4, ".yml"))
		n -= 4;
	return xstrndup(base, n);
}

/* repeat: N, or repeat: {runs: N, confirm: K} with 1 <= K <= N (K default 1). */
static int parse_repeat(struct ctx *c, const struct ynode *v, struct spec *s)
{
	static const char *const keys[] = {"runs", "confirm", NULL};
	const struct ynode *w;
	long runs, confirm = 1;
	int rc;

	if (v->type != Y_MAP) {
		if ((rc = get_int(c, v, "repeat", 1, 1000, &runs)))
			return rc;
		s->repeat = (unsigned)runs;
		return 0;
	}
	if ((rc = check_keys(c, v, keys, "repeat")))
		return rc;
	if (!(w = get(v, "runs")))
		return verr(c, v, "missing required key 'repeat.runs'");
	if ((rc = get_int(c, w, "repeat.runs", 1, 1000, &runs)))
		return rc;
	if ((w = get(v, "confirm"))) {
		if ((rc = get_int(c, w, "repeat.confirm", 1, 1000, &confirm)))
			return rc;
		if (confirm > runs)
			return verr(c, w, "repeat.confirm (%ld) must not exceed repeat.runs (%ld)",
				    confirm, runs);
	}
	s->repeat = (unsigned)runs;
	s->confirm = (unsigned)confirm;
	return 0;
}

static int validate(struct ctx *c, const struct ynode *root, struct spec *s)
{
	static const char *const keys[] = {
	    "name",   "toolchain", "workdir",	"command",   "env",    "timeout",
	    "limits", "network",   "stubs",	"payloads",  "oracle", "expect",
	    "repeat", "collect",   "reproduce", "isolation", "corpus", NULL};
	const struct ynode *v;
	int rc;

	if (root->type != Y_MAP)
		return verr(c, root, "a spec must be a mapping, not %s", type_word(root));
	if ((rc = check_keys(c, root, keys, "the spec")))
		return rc;
	if ((v = get(root, "name"))) {
		if ((rc = get_str(c, v, "name", true, &s->name)))
			return rc;
		if (!valid_name(s->name))
			return verr(c, v, "name '%s' must match [A-Za-z0-9][A-Za-z0-9._-]*",
				    s->name);
	} else {
		s->name = file_stem(s->path);
		if (!valid_name(s->name))
			return verr(c, NULL,
				    "file stem '%s' is not a valid harness name; set 'name'",
				    s->name);
	}
	if (!(v = get(root, "toolchain")))
		return verr(c, root, "missing required key 'toolchain'");
	if ((rc = get_str(c, v, "toolchain", true, &s->toolchain)))
		return rc;
	s->toolchain_line = v->line;
	s->toolchain_col = v->col;
	if ((v = get(root, "workdir")) && (rc = get_path(c, v, "workdir", true, &s->workdir)))
		return rc;
	if (!(v = get(root, "command")))
		return verr(c, root, "missing required key 'command'");
	if ((rc = parse_command(c, v, s)))
		return rc;
	if ((v = get(root, "env")) && (rc = parse_env(c, v, s)))
		return rc;
	if ((v = get(root, "timeout")) && (rc = get_duration(c, v, "timeout", &s->timeout_ms)))
		return rc;
	if ((v = get(root, "limits")) && (rc = parse_limits(c, v, &s->limits)))
		return rc;
	if ((v = get(root, "network")) && (rc = parse_network(c, v, &s->network)))
		return rc;
	if ((v = get(root, "stubs"))) {
		if ((rc = parse_stubs(c, v, s)))
			return rc;
		if (s->nstubs && s->network != NET_STUBS && s->network != NET_OOB)
			return verr(c, v, "stubs need 'network: stubs' or 'network: oob'");
	}
	if ((v = get(root, "payloads")) && (rc = parse_payloads(c, v, s)))
		return rc;
	if ((v = get(root, "oracle")) && (rc = parse_oracle(c, v, s)))
		return rc;
	if ((v = get(root, "expect")) && (rc = get_outcome(c, v, &s->expect)))
		return rc;
	if ((v = get(root, "collect")) && (rc = parse_collect(c, v, s)))
		return rc;
	if ((v = get(root, "reproduce")) && (rc = parse_reproduce(c, v, s)))
		return rc;
	if ((v = get(root, "repeat")) && (rc = parse_repeat(c, v, s)))
		return rc;
	if ((v = get(root, "isolation")) && (rc = parse_isolation(c, v, &s->warm)))
		return rc;
	if ((v = get(root, "corpus")) && (rc = get_corpus(c, v, &s->corpus)))
		return rc;
	if (!s->npayloads) {
		s->payloads = xcalloc(1, sizeof(*s->payloads));
		s->payloads[0].name = xstrdup("");
		s->payloads[0].value = xstrdup("");
		s->payloads[0].expect = OUTCOME_NONE;
		s->npayloads = 1;
		s->has_payloads = false;
	}
	return 0;
}

int spec_validate(struct spec *s, const struct ynode *root, struct sr_err *err)
{
	struct ctx c = {.path = s->path, .dir = s->dir, .err = err};

	return validate(&c, root, s);
}
