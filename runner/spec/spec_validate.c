/* Harness specs: validation of the YAML tree against DESIGN §4, key by key.
 * Every error is "file:line:col: what" with code SR_EINVAL. */
#include "runner/spec/spec_int.h"
#include "runner/spec/spec.h"
#include "catalogue/catalogue.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/fsutil.h"

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

/* The last character of the bracket expression at p: one atom; "[]a]" and
 * "[^]a]" hold a ']', "[[:alpha:]]" a class. */
static const char *bracket_end(const char *p)
{
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
	return p + !!p[1];
}

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
			p = bracket_end(p);
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

/* isolation: run (a container per run, the default) | harness (warm) |
 * pool (warm, shared by every harness of the same configuration). */
static int parse_isolation(struct ctx *c, const struct ynode *v, struct spec *s)
{
	if (v->type != Y_SCALAR)
		return verr(c, v, "'isolation' must be a string, not %s", type_word(v));
	if (strcmp(v->str, "run") && strcmp(v->str, "harness") && strcmp(v->str, "pool"))
		return verr(c, v, "unknown isolation '%s' (run, harness or pool)", v->str);
	s->pool = !strcmp(v->str, "pool");
	s->warm = s->pool || !strcmp(v->str, "harness");
	return 0;
}

/* runtime: NAME (an engine runtime); seccomp: default | strict | a profile
 * file inside the suite (README "Stronger walls"). */
static int parse_walls(struct ctx *c, const struct ynode *root, struct spec *s)
{
	const struct ynode *v;
	int rc;

	if ((v = get(root, "runtime"))) {
		if ((rc = get_str(c, v, "runtime", true, &s->runtime)))
			return rc;
		if (!cat_runtime_valid(s->runtime))
			return verr(c, v, "runtime '%s' must match [A-Za-z0-9][A-Za-z0-9._-]*",
				    s->runtime);
	}
	if (!(v = get(root, "seccomp")))
		return 0;
	if (v->type == Y_SCALAR && (!strcmp(v->str, "default") || !strcmp(v->str, "strict")))
		return get_str(c, v, "seccomp", true, &s->seccomp);
	return get_path(c, v, "seccomp", false, &s->seccomp);
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
	    "name",	 "toolchain", "workdir",  "command", "env",    "timeout", "limits",
	    "network",	 "stubs",     "payloads", "oracle",  "expect", "repeat",  "collect",
	    "reproduce", "isolation", "runtime",  "seccomp", "corpus", NULL};
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
	if ((v = get(root, "isolation")) && (rc = parse_isolation(c, v, s)))
		return rc;
	if ((rc = parse_walls(c, root, s)))
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
