/* Harness specs: the libyaml adapter. The YAML document is loaded into a
 * small private tree (with positions), then validated key by key. */
#include "spec.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

const char *outcome_name(enum outcome o)
{
	static const char *const names[] = {"error",   "confirmed", "crash",
					    "oom",     "timeout",   "not_confirmed"};
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
	return (size_t)k < SR_ARRAY_SIZE(names) ? names[k] : "?";
}

/* --- a private YAML tree with positions --- */

enum ynode_type { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ynode_type type;
	int line, col;
	char *str;     /* scalar value */
	bool plain;    /* unquoted scalar (null/bool/int may apply) */
	struct ynode **kids; /* seq items, or map key,value,key,value... */
	size_t n, alloc;
};

#define MAX_DEPTH 32
#define MAX_NODES 100000

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
	size_t nodes;
	struct sr_err *err;
};

static int load_err(struct loader *l, int line, int col, const char *what)
{
	return sr_err_set(l->err, SR_EINVAL, "%s:%d:%d: %s", l->path, line, col, what);
}

static int next_event(struct loader *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->parser, ev)) {
		const yaml_parser_t *p = &l->parser;
		return sr_err_set(l->err, SR_EINVAL, "%s:%zu:%zu: invalid YAML: %s%s%s", l->path,
				  p->problem_mark.line + 1, p->problem_mark.column + 1,
				  p->problem ? p->problem : "syntax error",
				  p->context ? " " : "", p->context ? p->context : "");
	}
	return 0;
}

static int load_node(struct loader *l, yaml_event_t *ev, int depth, struct ynode **out);

static int load_children(struct loader *l, struct ynode *n, yaml_event_type_t end, int depth)
{
	for (;;) {
		yaml_event_t ev;
		struct ynode *kid;
		if (next_event(l, &ev) < 0)
			return SR_EINVAL;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (load_node(l, &ev, depth + 1, &kid) < 0)
			return SR_EINVAL;
		SR_GROW(n->kids, n->n + 1, n->alloc);
		n->kids[n->n++] = kid;
	}
}

/* Takes ownership of ev. */
static int load_node(struct loader *l, yaml_event_t *ev, int depth, struct ynode **out)
{
	struct ynode *n;
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	int rc = 0;

	*out = NULL;
	if (depth > MAX_DEPTH) {
		yaml_event_delete(ev);
		return load_err(l, line, col, "nesting too deep");
	}
	if (++l->nodes > MAX_NODES) {
		yaml_event_delete(ev);
		return load_err(l, line, col, "document too large");
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		yaml_event_delete(ev);
		return load_err(l, line, col, "aliases are not allowed in specs");
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor) {
			yaml_event_delete(ev);
			return load_err(l, line, col, "anchors are not allowed in specs");
		}
		n = xcalloc(1, sizeof(*n));
		n->type = Y_SCALAR;
		n->str = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
		if ((seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor)) {
			yaml_event_delete(ev);
			return load_err(l, line, col, "anchors are not allowed in specs");
		}
		n = xcalloc(1, sizeof(*n));
		n->type = seq ? Y_SEQ : Y_MAP;
		n->line = line;
		n->col = col;
		yaml_event_delete(ev);
		rc = load_children(l, n, seq ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT,
				   depth);
		if (rc < 0) {
			ynode_free(n);
			return rc;
		}
		*out = n;
		return 0;
	}
	default:
		yaml_event_delete(ev);
		return load_err(l, line, col, "unexpected YAML event");
	}
	n->line = line;
	n->col = col;
	yaml_event_delete(ev);
	*out = n;
	return 0;
}

static int load_doc(struct loader *l, struct ynode **root)
{
	yaml_event_t ev;
	int rc;

	*root = NULL;
	if (next_event(l, &ev) < 0)
		return SR_EINVAL;
	yaml_event_delete(&ev); /* STREAM_START */
	if (next_event(l, &ev) < 0)
		return SR_EINVAL;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return load_err(l, 1, 1, "empty spec");
	}
	yaml_event_delete(&ev); /* DOCUMENT_START */
	if (next_event(l, &ev) < 0)
		return SR_EINVAL;
	if ((rc = load_node(l, &ev, 0, root)) < 0)
		return rc;
	if (next_event(l, &ev) < 0)
		return SR_EINVAL;
	yaml_event_delete(&ev); /* DOCUMENT_END */
	if (next_event(l, &ev) < 0)
		return SR_EINVAL;
	if (ev.type != YAML_STREAM_END_EVENT) {
		int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
		yaml_event_delete(&ev);
		return load_err(l, line, col, "only one YAML document per spec");
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
	sr_err_set(c->err, SR_EINVAL, "%s:%d:%d: %s", c->path, n ? n->line : 1, n ? n->col : 1,
		   sb.buf);
	strbuf_release(&sb);
	return SR_EINVAL;
}

static const char *type_word(const struct ynode *n)
{
	return n->type == Y_MAP ? "a mapping" : n->type == Y_SEQ ? "a list" : "a scalar";
}

static int want_map(struct ctx *c, const struct ynode *n, const char *what)
{
	if (n->type != Y_MAP)
		return verr(c, n, "%s must be a mapping, not %s", what, type_word(n));
	return 0;
}

/* Keys must be scalars, known, and not repeated. */
static int check_keys(struct ctx *c, const struct ynode *m, const char *const *known,
		      const char *what)
{
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i];
		bool ok = false;
		if (k->type != Y_SCALAR)
			return verr(c, k, "keys of %s must be scalars", what);
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

static const struct ynode *get(const struct ynode *m, const char *key)
{
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (!strcmp(m->kids[i]->str, key))
			return m->kids[i + 1];
	return NULL;
}

static bool is_null(const struct ynode *n)
{
	return n->type == Y_SCALAR && n->plain &&
	       (!*n->str || !strcmp(n->str, "~") || !strcmp(n->str, "null"));
}

static int get_str(struct ctx *c, const struct ynode *n, const char *key, char **out)
{
	if (n->type != Y_SCALAR || is_null(n))
		return verr(c, n, "'%s' must be a string", key);
	free(*out);
	*out = xstrdup(n->str);
	return 0;
}

static int get_bool(struct ctx *c, const struct ynode *n, const char *key, bool *out)
{
	if (n->type == Y_SCALAR && n->plain) {
		if (!strcmp(n->str, "true") || !strcmp(n->str, "True") || !strcmp(n->str, "yes")) {
			*out = true;
			return 0;
		}
		if (!strcmp(n->str, "false") || !strcmp(n->str, "False") || !strcmp(n->str, "no")) {
			*out = false;
			return 0;
		}
	}
	return verr(c, n, "'%s' must be true or false", key);
}

static int get_int(struct ctx *c, const struct ynode *n, const char *key, long lo, long hi,
		   long *out)
{
	char *end;
	long v;

	if (n->type != Y_SCALAR || !n->plain || !*n->str)
		return verr(c, n, "'%s' must be an integer", key);
	errno = 0;
	v = strtol(n->str, &end, 10);
	if (*end || errno)
		return verr(c, n, "'%s' must be an integer, got '%s'", key, n->str);
	if (v < lo || v > hi)
		return verr(c, n, "'%s' must be between %ld and %ld, got %ld", key, lo, hi, v);
	*out = v;
	return 0;
}

static bool valid_name(const char *s, bool lower_only)
{
	if (!*s || strlen(s) > 128)
		return false;
	for (const char *p = s; *p; p++) {
		char ch = *p;
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			     (!lower_only && ch >= 'A' && ch <= 'Z');
		if (p == s ? !alnum : !(alnum || ch == '_' || ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

static int get_duration(struct ctx *c, const struct ynode *n, const char *key, uint64_t *out)
{
	if (n->type != Y_SCALAR || sr_parse_duration_ms(n->str, out) < 0 || !*out)
		return verr(c, n, "'%s' must be a positive duration like 500ms, 10s or 2m",
			    key);
	return 0;
}

static int get_size(struct ctx *c, const struct ynode *n, const char *key, uint64_t *out)
{
	if (n->type != Y_SCALAR || sr_parse_size(n->str, out) < 0 || !*out)
		return verr(c, n, "'%s' must be a positive size like 64m, 1g or 4096", key);
	return 0;
}

/* A relative path inside the spec's directory tree, resolved. */
static int get_path(struct ctx *c, const struct ynode *n, const char *key, bool want_dir,
		    char **out)
{
	char real[PATH_MAX];
	char *joined;
	struct stat st;
	size_t dl = strlen(c->dir);

	if (n->type != Y_SCALAR || is_null(n) || !*n->str)
		return verr(c, n, "'%s' must be a path", key);
	if (n->str[0] == '/')
		return verr(c, n, "'%s' must be relative to the spec, got '%s'", key, n->str);
	joined = xasprintf("%s/%s", c->dir, n->str);
	if (!realpath(joined, real)) {
		int e = errno;
		free(joined);
		return verr(c, n, "cannot resolve %s '%s': %s", key, n->str, strerror(e));
	}
	free(joined);
	if (strncmp(real, c->dir, dl) || (real[dl] != '/' && real[dl] != '\0'))
		return verr(c, n, "%s '%s' escapes the suite (resolves to '%s')", key, n->str, real);
	if (stat(real, &st) < 0 || (want_dir && !S_ISDIR(st.st_mode)))
		return verr(c, n, "%s '%s' is not a directory", key, n->str);
	free(*out);
	*out = xstrdup(real);
	return 0;
}

static int parse_limits(struct ctx *c, const struct ynode *m, struct limits *l)
{
	static const char *const keys[] = {"memory", "cpus", "pids", "tmpfs", "disk", "output",
					   NULL};
	const struct ynode *v;
	int rc;

	if ((rc = want_map(c, m, "'limits'")) || (rc = check_keys(c, m, keys, "limits")))
		return rc;
	if ((v = get(m, "memory")) && (rc = get_size(c, v, "memory", &l->memory)))
		return rc;
	if (l->memory && l->memory < 6u << 20)
		return verr(c, v, "'memory' must be at least 6m (the engine's minimum)");
	if ((v = get(m, "cpus"))) {
		char *end;
		double d = v->type == Y_SCALAR ? strtod(v->str, &end) : 0;
		if (v->type != Y_SCALAR || !*v->str || *end || !(d > 0) || d > 1024)
			return verr(c, v, "'cpus' must be a positive number");
		l->cpus = d;
	}
	if ((v = get(m, "pids")) && (rc = get_int(c, v, "pids", 1, 1 << 22, &l->pids)))
		return rc;
	if ((v = get(m, "tmpfs")) && (rc = get_size(c, v, "tmpfs", &l->tmpfs)))
		return rc;
	if ((v = get(m, "disk")) && (rc = get_size(c, v, "disk", &l->disk)))
		return rc;
	if ((v = get(m, "output")) && (rc = get_size(c, v, "output", &l->output)))
		return rc;
	return 0;
}

static int parse_env(struct ctx *c, const struct ynode *m, struct spec *s)
{
	if (m->type != Y_MAP)
		return verr(c, m, "'env' must be a mapping of names to strings");
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		const char *p;
		if (k->type != Y_SCALAR || !*k->str)
			return verr(c, k, "env names must be strings");
		for (p = k->str; *p; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_' ||
			      (p != k->str && *p >= '0' && *p <= '9')))
				return verr(c, k, "invalid env name '%s'", k->str);
		if (!strncmp(k->str, "SANDRUN_", 8))
			return verr(c, k, "env name '%s' is reserved for the runner", k->str);
		for (size_t j = 0; j < i; j += 2)
			if (!strcmp(m->kids[j]->str, k->str))
				return verr(c, k, "duplicate env name '%s'", k->str);
		if (v->type != Y_SCALAR)
			return verr(c, v, "env value of '%s' must be a string", k->str);
		strvec_push(&s->env_keys, k->str);
		strvec_push(&s->env_vals, is_null(v) ? "" : v->str);
	}
	return 0;
}

static int parse_stubs(struct ctx *c, const struct ynode *seq, struct spec *s)
{
	static const char *const keys[] = {"name", "kind", "status", "body", "path", NULL};
	int rc;

	if (seq->type != Y_SEQ)
		return verr(c, seq, "'stubs' must be a list");
	s->stubs = xcalloc(seq->n ? seq->n : 1, sizeof(*s->stubs));
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *m = seq->kids[i], *v;
		struct stub *st = &s->stubs[i];
		long status = 200;
		bool kind_set = false;

		s->nstubs = i + 1;
		if ((rc = want_map(c, m, "a stub")) || (rc = check_keys(c, m, keys, "a stub")))
			return rc;
		if (!(v = get(m, "name")))
			return verr(c, m, "a stub needs a 'name'");
		if ((rc = get_str(c, v, "name", &st->name)))
			return rc;
		if (!valid_name(st->name, true) || strchr(st->name, '.'))
			return verr(c, v, "stub name '%s' must match [a-z0-9][a-z0-9_-]*", st->name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->stubs[j].name, st->name))
				return verr(c, v, "duplicate stub name '%s'", st->name);
		if (!(v = get(m, "kind")))
			return verr(c, m, "stub '%s' needs a 'kind'", st->name);
		for (int k = STUB_HTTP; k <= STUB_FS && v->type == Y_SCALAR; k++)
			if (!strcmp(v->str, stub_kind_name((enum stub_kind)k))) {
				st->kind = (enum stub_kind)k;
				kind_set = true;
			}
		if (!kind_set)
			return verr(c, v, "unknown stub kind '%s' (http, sql, redis, tcp, fs)",
				    v->type == Y_SCALAR ? v->str : "?");
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
			if ((rc = get_str(c, v, "body", &st->body)))
				return rc;
		}
		if ((v = get(m, "path"))) {
			if (st->kind != STUB_FS)
				return verr(c, v, "'path' is only for fs stubs");
			if ((rc = get_path(c, v, "path", false, &st->path)))
				return rc;
		} else if (st->kind == STUB_FS) {
			return verr(c, m, "fs stub '%s' needs a 'path'", st->name);
		}
	}
	return 0;
}

static int get_outcome(struct ctx *c, const struct ynode *v, enum outcome *out)
{
	if (v->type != Y_SCALAR || (*out = outcome_from_name(v->str)) == OUTCOME_NONE)
		return verr(c, v,
			    "'expect' must be one of error, confirmed, crash, oom, timeout, "
			    "not_confirmed");
	return 0;
}

static int parse_payloads(struct ctx *c, const struct ynode *seq, struct spec *s)
{
	static const char *const keys[] = {"name", "value", "expect", NULL};
	int rc;

	if (seq->type != Y_SEQ)
		return verr(c, seq, "'payloads' must be a list");
	if (!seq->n)
		return verr(c, seq, "'payloads' must not be empty");
	s->payloads = xcalloc(seq->n, sizeof(*s->payloads));
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *m = seq->kids[i], *v;
		struct payload *p = &s->payloads[i];

		s->npayloads = i + 1;
		p->expect = OUTCOME_NONE;
		if ((rc = want_map(c, m, "a payload")) || (rc = check_keys(c, m, keys, "a payload")))
			return rc;
		if ((v = get(m, "name"))) {
			if ((rc = get_str(c, v, "name", &p->name)))
				return rc;
			if (!valid_name(p->name, false))
				return verr(c, v, "payload name '%s' must match [A-Za-z0-9][A-Za-z0-9._-]*",
					    p->name);
		} else {
			p->name = xasprintf("p%zu", i + 1);
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->payloads[j].name, p->name))
				return verr(c, v ? v : m, "duplicate payload name '%s'", p->name);
		if (!(v = get(m, "value")))
			return verr(c, m, "payload '%s' needs a 'value'", p->name);
		if (v->type != Y_SCALAR)
			return verr(c, v, "payload value must be a string");
		p->value = xstrdup(v->str);
		if ((v = get(m, "expect")) && (rc = get_outcome(c, v, &p->expect)))
			return rc;
	}
	s->has_payloads = true;
	return 0;
}

static int parse_oracle(struct ctx *c, const struct ynode *m, struct spec *s)
{
	static const char *const keys[] = {"oob", "stub", "stdout", "stderr", "exit_code",
					   "crash", "files", NULL};
	static const char *const stub_keys[] = {"name", "contains", "regex", NULL};
	struct oracle *o = &s->oracle;
	const struct ynode *v;
	int rc;

	if ((rc = want_map(c, m, "'oracle'")) || (rc = check_keys(c, m, keys, "oracle")))
		return rc;
	if ((v = get(m, "oob")) && (rc = get_bool(c, v, "oob", &o->oob)))
		return rc;
	if ((v = get(m, "stub"))) {
		const struct ynode *w;
		bool found = false;
		if ((rc = want_map(c, v, "'oracle.stub'")) ||
		    (rc = check_keys(c, v, stub_keys, "oracle.stub")))
			return rc;
		if (!(w = get(v, "name")))
			return verr(c, v, "'oracle.stub' needs a 'name'");
		if ((rc = get_str(c, w, "name", &o->stub_name)))
			return rc;
		for (size_t i = 0; i < s->nstubs; i++)
			found |= !strcmp(s->stubs[i].name, o->stub_name) && s->stubs[i].kind != STUB_FS;
		if (!found)
			return verr(c, w, "'oracle.stub' names no declared network stub '%s'",
				    o->stub_name);
		if ((w = get(v, "contains")) && (rc = get_str(c, w, "contains", &o->stub_contains)))
			return rc;
		if ((w = get(v, "regex"))) {
			regex_t re;
			if ((rc = get_str(c, w, "regex", &o->stub_regex)))
				return rc;
			if (regcomp(&re, o->stub_regex, REG_EXTENDED | REG_NOSUB))
				return verr(c, w, "invalid regex '%s'", o->stub_regex);
			regfree(&re);
		}
		if (!o->stub_contains && !o->stub_regex)
			return verr(c, v, "'oracle.stub' needs 'contains' or 'regex'");
	}
	if ((v = get(m, "stdout")) && (rc = get_str(c, v, "stdout", &o->stdout_sub)))
		return rc;
	if ((v = get(m, "stderr")) && (rc = get_str(c, v, "stderr", &o->stderr_sub)))
		return rc;
	if ((v = get(m, "exit_code"))) {
		long code;
		if (v->type == Y_SEQ) {
			if (!v->n)
				return verr(c, v, "'exit_code' must list at least one code");
			o->exit_codes = xcalloc(v->n, sizeof(int));
			for (size_t i = 0; i < v->n; i++) {
				if ((rc = get_int(c, v->kids[i], "exit_code", 0, 255, &code)))
					return rc;
				o->exit_codes[o->n_exit_codes++] = (int)code;
			}
		} else {
			if ((rc = get_int(c, v, "exit_code", 0, 255, &code)))
				return rc;
			o->exit_codes = xcalloc(1, sizeof(int));
			o->exit_codes[o->n_exit_codes++] = (int)code;
		}
	}
	if ((v = get(m, "crash")) && (rc = get_bool(c, v, "crash", &o->crash)))
		return rc;
	if ((v = get(m, "files"))) {
		if ((rc = get_str(c, v, "files", &o->files)))
			return rc;
		if (o->files[0] == '/' || strstr(o->files, ".."))
			return verr(c, v, "'files' must be a glob relative to /work without '..'");
	}
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

static int validate(struct ctx *c, const struct ynode *root, struct spec *s)
{
	static const char *const keys[] = {"name",    "toolchain", "workdir", "command",
					   "env",     "timeout",   "limits",  "network",
					   "stubs",   "payloads",  "oracle",  "expect",
					   "repeat",  NULL};
	const struct ynode *v;
	int rc;

	if (root->type != Y_MAP)
		return verr(c, root, "a spec must be a mapping, not %s", type_word(root));
	if ((rc = check_keys(c, root, keys, "the spec")))
		return rc;
	if ((v = get(root, "name"))) {
		if ((rc = get_str(c, v, "name", &s->name)))
			return rc;
		if (!valid_name(s->name, false))
			return verr(c, v, "name '%s' must match [A-Za-z0-9][A-Za-z0-9._-]*", s->name);
	} else {
		s->name = file_stem(s->path);
		if (!valid_name(s->name, false))
			return verr(c, NULL,
				    "file name '%s' is not a valid harness name; set 'name'",
				    s->name);
	}
	if (!(v = get(root, "toolchain")))
		return verr(c, root, "missing required key 'toolchain'");
	if ((rc = get_str(c, v, "toolchain", &s->toolchain)))
		return rc;
	s->toolchain_line = v->line;
	s->toolchain_col = v->col;
	if ((v = get(root, "workdir")) && (rc = get_path(c, v, "workdir", true, &s->workdir)))
		return rc;
	if (!(v = get(root, "command")))
		return verr(c, root, "missing required key 'command'");
	if (v->type != Y_SEQ || !v->n)
		return verr(c, v, "'command' must be a non-empty list of strings");
	for (size_t i = 0; i < v->n; i++) {
		if (v->kids[i]->type != Y_SCALAR)
			return verr(c, v->kids[i], "'command' items must be strings");
		strvec_push(&s->command, v->kids[i]->str);
	}
	if ((v = get(root, "env")) && (rc = parse_env(c, v, s)))
		return rc;
	if ((v = get(root, "timeout")) && (rc = get_duration(c, v, "timeout", &s->timeout_ms)))
		return rc;
	if ((v = get(root, "limits")) && (rc = parse_limits(c, v, &s->limits)))
		return rc;
	if ((v = get(root, "network"))) {
		bool ok = false;
		for (int p = NET_NONE; p <= NET_OPEN && v->type == Y_SCALAR; p++)
			if (!strcmp(v->str, net_policy_name((enum net_policy)p))) {
				s->network = (enum net_policy)p;
				ok = true;
			}
		if (!ok)
			return verr(c, v, "'network' must be none, oob, stubs or open");
	}
	if ((v = get(root, "stubs"))) {
		if ((rc = parse_stubs(c, v, s)))
			return rc;
		for (size_t i = 0; i < s->nstubs; i++)
			if (s->stubs[i].kind != STUB_FS && s->network != NET_STUBS &&
			    s->network != NET_OOB)
				return verr(c, v, "network stubs need 'network: stubs'");
	}
	if ((v = get(root, "payloads")) && (rc = parse_payloads(c, v, s)))
		return rc;
	if ((v = get(root, "oracle")) && (rc = parse_oracle(c, v, s)))
		return rc;
	if (s->oracle.oob && s->network != NET_OOB && s->network != NET_STUBS)
		return verr(c, get(get(root, "oracle"), "oob"),
			    "the oob oracle needs 'network: oob' or 'network: stubs'");
	if ((v = get(root, "expect")) && (rc = get_outcome(c, v, &s->expect)))
		return rc;
	if ((v = get(root, "repeat"))) {
		long r;
		if ((rc = get_int(c, v, "repeat", 1, 1000, &r)))
			return rc;
		s->repeat = (unsigned)r;
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
	struct loader l = {.path = path, .err = err};
	struct ctx c = {.path = path, .dir = dir, .err = err};
	struct ynode *root = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->path = xstrdup(path);
	out->dir = xstrdup(dir);
	out->timeout_ms = 60000;
	out->limits = (struct limits){.memory = 512u << 20, .cpus = 1, .pids = 256,
				      .tmpfs = 64u << 20, .disk = 256u << 20, .output = 1u << 20};
	out->expect = OUTCOME_NONE;
	out->repeat = 1;
	if (memchr(buf, '\0', len)) {
		sr_err_set(err, SR_EINVAL, "%s:1:1: a spec must be text (NUL byte found)", path);
		spec_release(out);
		return SR_EINVAL;
	}
	yaml_parser_initialize(&l.parser);
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)buf, len);
	rc = load_doc(&l, &root);
	yaml_parser_delete(&l.parser);
	if (!rc)
		rc = validate(&c, root, out);
	ynode_free(root);
	if (rc < 0)
		spec_release(out);
	return rc;
}

int spec_load(struct spec *out, const char *path, struct sr_err *err)
{
	char *buf = NULL, *copy, *slash, real[PATH_MAX];
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sr_read_file(path, &buf, &len, err) < 0)
		return sr_err_set(err, SR_EINVAL, "cannot open spec '%s': %s", path,
				  strerror(errno));
	copy = xstrdup(path);
	slash = strrchr(copy, '/');
	if (slash)
		*slash = '\0';
	if (!realpath(slash ? (*copy ? copy : "/") : ".", real)) {
		rc = sr_err_set(err, SR_EINVAL, "cannot resolve the directory of '%s': %s", path,
				strerror(errno));
	} else {
		rc = spec_parse(out, path, real, buf, len, err);
	}
	free(copy);
	free(buf);
	return rc;
}

void spec_release(struct spec *s)
{
	free(s->path);
	free(s->dir);
	free(s->name);
	free(s->toolchain);
	free(s->workdir);
	strvec_clear(&s->command);
	strvec_clear(&s->env_keys);
	strvec_clear(&s->env_vals);
	for (size_t i = 0; i < s->nstubs; i++) {
		free(s->stubs[i].name);
		free(s->stubs[i].body);
		free(s->stubs[i].path);
	}
	free(s->stubs);
	for (size_t i = 0; i < s->npayloads; i++) {
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_spec_ext(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static void walk(struct strvec *out, const char *dir, int depth)
{
	DIR *d;
	struct dirent *de;

	if (depth > 32 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		char *p;
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				walk(out, p, depth + 1);
			else if (S_ISREG(st.st_mode) && has_spec_ext(de->d_name))
				strvec_push(out, p);
		}
		free(p);
	}
	closedir(d);
}

int spec_discover(struct strvec *out, const char *const *args, size_t nargs, struct sr_err *err)
{
	size_t start = out->nr;

	for (size_t i = 0; i < nargs; i++) {
		struct stat st;
		char *a = xstrdup(args[i]);
		size_t n = strlen(a);
		while (n > 1 && a[n - 1] == '/')
			a[--n] = '\0';
		if (stat(a, &st) < 0) {
			sr_err_set(err, SR_EINVAL, "cannot open spec '%s': %s", args[i],
				   strerror(errno));
			free(a);
			return SR_EINVAL;
		}
		if (S_ISDIR(st.st_mode))
			walk(out, a, 0);
		else
			strvec_push(out, a);
		free(a);
	}
	if (out->nr > start) {
		size_t w = start;
		qsort(out->v + start, out->nr - start, sizeof(char *), cmp_str);
		for (size_t r = start; r < out->nr; r++) {
			if (w > start && !strcmp(out->v[w - 1], out->v[r])) {
				free(out->v[r]);
				continue;
			}
			out->v[w++] = out->v[r];
		}
		out->nr = w;
		out->v[w] = NULL;
	}
	return 0;
}
