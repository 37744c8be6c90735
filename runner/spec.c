/* Harness specs (DESIGN §4): the libyaml adapter. The YAML stream is loaded
 * into a small private tree that keeps every node's position, then validated
 * key by key. Every error is "file:line:col: what" with code SR_EINVAL. */
#include "spec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

const char *outcome_name(enum outcome o)
{
	static const char *const names[] = {"error", "confirmed", "crash",
					    "oom",   "timeout",	  "not_confirmed"};
	if (o < 0 || (size_t)o >= SR_ARRAY_SIZE(names))
		return "none";
	return names[o];
}

enum outcome outcome_from_name(const char *s)
{
	for (int o = OUTCOME_ERROR; o <= OUTCOME_NOT_CONFIRMED; o++)
		if (!strcmp(s, outcome_name((enum outcome)o)))
			return (enum outcome)o;
	return OUTCOME_NONE;
}

const char *net_policy_name(enum net_policy p)
{
	static const char *const names[] = {"none", "oob", "stubs", "open"};
	return (size_t)p < SR_ARRAY_SIZE(names) ? names[p] : "none";
}

const char *stub_kind_name(enum stub_kind k)
{
	static const char *const names[] = {"http", "sql", "redis", "tcp", "fs"};
	return (size_t)k < SR_ARRAY_SIZE(names) ? names[k] : "unknown";
}

/* --- a private YAML tree with positions --- */

enum ynode_type { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ynode_type type;
	int line, col;	     /* 1-based start of the node */
	char *str;	     /* scalar text; never holds a NUL byte */
	bool plain;	     /* unquoted scalar: null, bool and numbers apply */
	struct ynode **kids; /* sequence items, or mapping key, value, key, value... */
	size_t n, alloc;
};

/* Specs are small; these bound what hostile input can make us allocate. */
#define MAX_DEPTH	   32
#define MAX_NODES	   20000
#define MAX_NAME	   128
#define MAX_DISCOVER_DEPTH 64

static void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		ynode_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

struct loader {
	yaml_parser_t parser;
	const char *path;
	const char *buf;
	size_t len;
	size_t nodes;
	struct sr_err *err;
};

static int load_err(struct loader *l, size_t line, size_t col, const char *what)
{
	return sr_err_set(l->err, SR_EINVAL, "%s:%zu:%zu: %s", l->path, line, col, what);
}

static int mark_err(struct loader *l, const yaml_mark_t *m, const char *what)
{
	return load_err(l, m->line + 1, m->column + 1, what);
}

/* libyaml's reader reports a byte offset, not a mark: count lines and
 * characters (UTF-8 lead bytes) up to it. */
static void offset_pos(const char *buf, size_t len, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];
		if (ch == '\n' || (ch == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))) {
			(*line)++;
			*col = 1;
		} else if (ch != '\r' && (ch & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static int yaml_fail(struct loader *l)
{
	const yaml_parser_t *p = &l->parser;
	const char *problem = p->problem ? p->problem : "syntax error";
	size_t line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;

	if (p->error == YAML_MEMORY_ERROR)
		return load_err(l, 1, 1, "invalid YAML: out of memory");
	if (p->error == YAML_READER_ERROR) {
		offset_pos(l->buf, l->len, p->problem_offset, &line, &col);
		if (p->problem_value >= 0)
			return sr_err_set(l->err, SR_EINVAL,
					  "%s:%zu:%zu: invalid YAML: %s (0x%02x)", l->path, line,
					  col, problem, (unsigned)p->problem_value);
	}
	if (p->context)
		return sr_err_set(l->err, SR_EINVAL, "%s:%zu:%zu: invalid YAML: %s (%s at %zu:%zu)",
				  l->path, line, col, problem, p->context, p->context_mark.line + 1,
				  p->context_mark.column + 1);
	return sr_err_set(l->err, SR_EINVAL, "%s:%zu:%zu: invalid YAML: %s", l->path, line, col,
			  problem);
}

static int next_event(struct loader *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->parser, ev))
		return yaml_fail(l);
	return 0;
}

static int load_node(struct loader *l, yaml_event_t *ev, int depth, struct ynode **out);

static int load_children(struct loader *l, struct ynode *n, yaml_event_type_t end, int depth)
{
	for (;;) {
		yaml_event_t ev;
		struct ynode *kid;
		int rc;

		if ((rc = next_event(l, &ev)) < 0)
			return rc;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		if ((rc = load_node(l, &ev, depth + 1, &kid)) < 0)
			return rc;
		SR_GROW(n->kids, n->n + 1, n->alloc);
		n->kids[n->n++] = kid;
	}
}

/* Build the node that starts with ev (consumed) and everything below it.
 * Anchors and aliases are refused outright: they are never needed in a spec
 * and aliases are how "billion laughs" documents blow up. Tags are ignored. */
static int load_node(struct loader *l, yaml_event_t *ev, int depth, struct ynode **out)
{
	const yaml_mark_t mark = ev->start_mark;
	yaml_event_type_t end = YAML_MAPPING_END_EVENT;
	const yaml_char_t *anchor = NULL;
	struct ynode *n;
	int rc;

	*out = NULL;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		anchor = ev->data.alias.anchor;
		break;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		end = YAML_SEQUENCE_END_EVENT;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		break;
	default:
		yaml_event_delete(ev);
		return mark_err(l, &mark, "unexpected YAML event");
	}
	if (anchor) {
		yaml_event_delete(ev);
		return mark_err(l, &mark, "anchors and aliases are not allowed in specs");
	}
	if (depth > MAX_DEPTH) {
		yaml_event_delete(ev);
		return mark_err(l, &mark, "nesting too deep");
	}
	if (++l->nodes > MAX_NODES) {
		yaml_event_delete(ev);
		return mark_err(l, &mark, "document too large");
	}
	n = xcalloc(1, sizeof(*n));
	n->line = (int)mark.line + 1;
	n->col = (int)mark.column + 1;
	if (ev->type == YAML_SCALAR_EVENT) {
		const char *v = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;
		if (memchr(v, '\0', len)) {
			yaml_event_delete(ev);
			free(n);
			return mark_err(l, &mark, "strings must not contain NUL bytes");
		}
		n->type = Y_SCALAR;
		n->str = xstrndup(v, len);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		yaml_event_delete(ev);
		*out = n;
		return 0;
	}
	n->type = ev->type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
	yaml_event_delete(ev);
	if ((rc = load_children(l, n, end, depth)) < 0) {
		ynode_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

/* Exactly one document whose tree goes to *root. */
static int load_doc(struct loader *l, struct ynode **root)
{
	yaml_event_t ev;
	int rc;

	*root = NULL;
	if ((rc = next_event(l, &ev)) < 0)
		return rc;
	yaml_event_delete(&ev); /* STREAM-START */
	if ((rc = next_event(l, &ev)) < 0)
		return rc;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return load_err(l, 1, 1, "empty spec");
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	if ((rc = next_event(l, &ev)) < 0)
		return rc;
	if ((rc = load_node(l, &ev, 0, root)) < 0)
		return rc;
	if ((rc = next_event(l, &ev)) < 0)
		return rc;
	yaml_event_delete(&ev); /* DOCUMENT-END */
	if ((rc = next_event(l, &ev)) < 0)
		return rc;
	if (ev.type != YAML_STREAM_END_EVENT) {
		const yaml_mark_t mark = ev.start_mark;
		yaml_event_delete(&ev);
		return mark_err(l, &mark, "a spec holds one YAML document, found another");
	}
	yaml_event_delete(&ev);
	return 0;
}

/* --- validation --- */

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

static int parse_limits(struct ctx *c, const struct ynode *m, struct limits *l)
{
	static const char *const keys[] = {"memory", "cpus",   "pids", "tmpfs",
					   "disk",   "output", NULL};
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
			return verr(c, k, "invalid env name '%s'", k->str);
		if (!strncmp(k->str, "SANDRUN_", 8))
			return verr(c, k, "env name '%s' is reserved for the runner", k->str);
		for (size_t j = 0; j < i; j += 2)
			if (!strcmp(m->kids[j]->str, k->str))
				return verr(c, k, "duplicate env name '%s'", k->str);
		if (v->type != Y_SCALAR || is_null(v))
			return verr(c, v, "env value of '%s' must be a string, not %s", k->str,
				    type_word(v));
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

static bool has_dotdot(const char *p)
{
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n;
		p += *p == '/';
	}
	return false;
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
		if (o->files[0] == '/' || has_dotdot(o->files))
			return verr(c, v, "'oracle.files' must be a glob under /work, got '%s'",
				    o->files);
	}
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

static int validate(struct ctx *c, const struct ynode *root, struct spec *s)
{
	static const char *const keys[] = {"name",    "toolchain", "workdir", "command", "env",
					   "timeout", "limits",	   "network", "stubs",	 "payloads",
					   "oracle",  "expect",	   "repeat",  NULL};
	const struct ynode *v;
	long repeat;
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
	if ((v = get(root, "repeat"))) {
		if ((rc = get_int(c, v, "repeat", 1, 1000, &repeat)))
			return rc;
		s->repeat = (unsigned)repeat;
	}
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

int spec_parse(struct spec *out, const char *path, const char *dir, const char *buf, size_t len,
	       struct sr_err *err)
{
	struct loader l = {.path = path, .buf = buf, .len = len, .err = err};
	struct ctx c = {.path = path, .err = err};
	struct ynode *root = NULL;
	char real[PATH_MAX];
	int rc;

	memset(out, 0, sizeof(*out));
	out->path = xstrdup(path);
	out->timeout_ms = 60000;
	out->limits = (struct limits){.memory = 512u << 20,
				      .cpus = 1,
				      .pids = 256,
				      .tmpfs = 64u << 20,
				      .disk = 256u << 20,
				      .output = 1u << 20};
	out->network = NET_NONE;
	out->expect = OUTCOME_NONE;
	out->repeat = 1;
	if (!realpath(dir, real)) {
		rc = sr_err_set(err, SR_EINVAL,
				"%s:1:1: cannot resolve the spec's directory '%s': %s", path, dir,
				strerror(errno));
		goto done;
	}
	out->dir = xstrdup(real);
	c.dir = out->dir;
	/* libyaml stops at a NUL byte as if the input ended there. */
	if (len && memchr(buf, '\0', len)) {
		size_t line, col;
		offset_pos(buf, len, (size_t)((const char *)memchr(buf, '\0', len) - buf), &line,
			   &col);
		rc = load_err(&l, line, col, "a spec must be text, found a NUL byte");
		goto done;
	}
	yaml_parser_initialize(&l.parser);
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)(len ? buf : ""), len);
	rc = load_doc(&l, &root);
	yaml_parser_delete(&l.parser);
	if (!rc)
		rc = validate(&c, root, out);
done:
	ynode_free(root);
	if (rc < 0)
		spec_release(out);
	return rc;
}

int spec_load(struct spec *out, const char *path, struct sr_err *err)
{
	char *buf = NULL, *copy, *slash;
	struct stat st;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st) < 0)
		return sr_err_set(err, SR_EINVAL, "cannot open spec '%s': %s", path,
				  strerror(errno));
	if (S_ISDIR(st.st_mode))
		return sr_err_set(err, SR_EINVAL, "cannot open spec '%s': %s", path,
				  strerror(EISDIR));
	if (sr_read_file(path, &buf, &len, err) < 0) {
		if (err)
			err->code = SR_EINVAL;
		return SR_EINVAL;
	}
	copy = xstrdup(path);
	slash = strrchr(copy, '/');
	if (slash)
		slash[slash == copy] = '\0'; /* "/x.yaml" lives in "/" */
	rc = spec_parse(out, path, slash ? copy : ".", buf, len, err);
	free(copy);
	free(buf);
	return rc;
}

void spec_release(struct spec *s)
{
	if (!s)
		return;
	free(s->path);
	free(s->dir);
	free(s->name);
	free(s->toolchain);
	free(s->workdir);
	strvec_clear(&s->command);
	strvec_clear(&s->env_keys);
	strvec_clear(&s->env_vals);
	for (size_t i = 0; s->stubs && i < s->nstubs; i++) {
		free(s->stubs[i].name);
		free(s->stubs[i].body);
		free(s->stubs[i].path);
	}
	free(s->stubs);
	for (size_t i = 0; s->payloads && i < s->npayloads; i++) {
		free(s->payloads[i].name);
		free(s->payloads[i].value);
	}
	free(s->payloads);
	free(s->oracle.stub_name);
	free(s->oracle.stub_contains);
	free(s->oracle.stub_regex);
	free(s->oracle.stdout_sub);
	free(s->oracle.stderr_sub);
	free(s->oracle.exit_codes);
	free(s->oracle.files);
	memset(s, 0, sizeof(*s));
}

/* --- discovery --- */

struct found {
	char *path;
	dev_t dev;
	ino_t ino;
	size_t order; /* position after sorting by path */
};

struct found_list {
	struct found *v;
	size_t nr, alloc;
};

/* A file's identity is that of the path's last component, symlink or not:
 * two spellings of one file are one spec, but a symlinked spec file is a spec
 * of its own (its relative paths resolve against the link's directory). */
static void found_add(struct found_list *fl, char *path, const struct stat *st)
{
	SR_GROW(fl->v, fl->nr + 1, fl->alloc);
	fl->v[fl->nr++] = (struct found){.path = path, .dev = st->st_dev, .ino = st->st_ino};
}

static bool has_spec_ext(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml"));
}

/* Collect *.yaml / *.yml below dir. Dot-directories are skipped and
 * symlinked directories not followed (no cycles, no escaping the tree);
 * symlinked spec files are taken. */
static int walk(struct found_list *fl, const char *dir, int depth, struct sr_err *err)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > MAX_DISCOVER_DEPTH)
		return sr_err_set(err, SR_EINVAL, "cannot search '%s': directories nested too deep",
				  dir);
	if (!(d = opendir(dir)))
		return sr_err_set(err, SR_EINVAL, "cannot open directory '%s': %s", dir,
				  strerror(errno));
	while (!rc && (errno = 0, de = readdir(d))) {
		const char *nm = de->d_name;
		struct stat st, target;
		char *p;

		if (!strcmp(nm, ".") || !strcmp(nm, ".."))
			continue;
		p = xasprintf("%s%s%s", dir, strcmp(dir, "/") ? "/" : "", nm);
		if (lstat(p, &st) < 0) {
			rc = sr_err_set(err, SR_EINVAL, "cannot open '%s': %s", p, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			if (nm[0] != '.')
				rc = walk(fl, p, depth + 1, err);
		} else if (has_spec_ext(nm) &&
			   (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && !stat(p, &target) &&
						    S_ISREG(target.st_mode)))) {
			found_add(fl, p, &st);
			p = NULL;
		}
		free(p);
	}
	if (!rc && errno)
		rc = sr_err_set(err, SR_EINVAL, "cannot read directory '%s': %s", dir,
				strerror(errno));
	closedir(d);
	return rc;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->path, ((const struct found *)b)->path);
}

static int cmp_file(const void *a, const void *b)
{
	const struct found *x = *(const struct found *const *)a;
	const struct found *y = *(const struct found *const *)b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int spec_discover(struct strvec *out, const char *const *args, size_t nargs, struct sr_err *err)
{
	struct found_list fl = {NULL, 0, 0};
	struct found **byfile = NULL;
	int rc = 0;

	for (size_t i = 0; i < nargs && !rc; i++) {
		struct stat st, self;
		char *a;
		size_t n;

		if (stat(args[i], &st) < 0 || lstat(args[i], &self) < 0) {
			rc = sr_err_set(err, SR_EINVAL, "cannot open spec '%s': %s", args[i],
					strerror(errno));
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			found_add(&fl, xstrdup(args[i]), &self);
			continue;
		}
		a = xstrdup(args[i]);
		n = strlen(a);
		while (n > 1 && a[n - 1] == '/')
			a[--n] = '\0';
		rc = walk(&fl, a, 0, err);
		free(a);
	}
	if (!rc && fl.nr) {
		/* Sort by path, then drop later paths to a file already listed
		 * ("dir" and "dir/x.yaml", "./x.yaml" and "x.yaml"). */
		qsort(fl.v, fl.nr, sizeof(*fl.v), cmp_path);
		byfile = xcalloc(fl.nr, sizeof(*byfile));
		for (size_t i = 0; i < fl.nr; i++) {
			fl.v[i].order = i;
			byfile[i] = &fl.v[i];
		}
		qsort(byfile, fl.nr, sizeof(*byfile), cmp_file);
		for (size_t i = 1; i < fl.nr; i++) {
			if (byfile[i]->dev == byfile[i - 1]->dev &&
			    byfile[i]->ino == byfile[i - 1]->ino) {
				free(byfile[i]->path);
				byfile[i]->path = NULL;
			}
		}
		for (size_t i = 0; i < fl.nr; i++)
			if (fl.v[i].path)
				strvec_push(out, fl.v[i].path);
	}
	for (size_t i = 0; i < fl.nr; i++)
		free(fl.v[i].path);
	free(fl.v);
	free(byfile);
	return rc;
}
