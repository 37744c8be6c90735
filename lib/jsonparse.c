/* Strict recursive-descent JSON parser with a DOM; see jsonparse.h. */
#include "lib/jsonparse.h"

#include <stdio.h>
#include <string.h>

struct parser {
	const char *name;
	const unsigned char *p, *end;
	const unsigned char *line_start; /* first byte of the current line */
	unsigned line;
	struct sr_err *err;
};

static unsigned col_of(const struct parser *ps, const unsigned char *at)
{
	return (unsigned)(at - ps->line_start) + 1;
}

static int fail_pos(const struct parser *ps, unsigned line, unsigned col, const char *fmt, ...)
    SR_PRINTF(4, 5);
static int fail_pos(const struct parser *ps, unsigned line, unsigned col, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	sr_err_set(ps->err, SR_EINVAL, "%s:%u:%u: %s", ps->name, line, col, strbuf_str(&sb));
	strbuf_release(&sb);
	return SR_EINVAL;
}

/* Errors at a position on the current line (strings never span lines). */
#define fail_at(ps, at, ...) fail_pos((ps), (ps)->line, col_of((ps), (at)), __VA_ARGS__)

/* What stands at `at`, for messages: "'x'", "byte 0x01" or "end of input". */
static const char *describe(const struct parser *ps, const unsigned char *at, char buf[16])
{
	if (at >= ps->end)
		return "end of input";
	if (*at > 0x20 && *at < 0x7f)
		snprintf(buf, 16, "'%c'", *at);
	else
		snprintf(buf, 16, "byte 0x%02x", *at);
	return buf;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end) {
		unsigned char c = *ps->p;
		if (c == '\n') {
			ps->line++;
			ps->line_start = ++ps->p;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			ps->p++;
		} else {
			break;
		}
	}
}

size_t json_utf8_len(const unsigned char *s, const unsigned char *end)
{
	return s < end ? sr_utf8_len(s, (size_t)(end - s)) : 0;
}

static int hex4(const struct parser *ps, const unsigned char *at, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char c = at + i < ps->end ? at[i] : 0;
		int h = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (h < 0)
			return fail_at(ps, at - 2, "invalid \\u escape: expected 4 hex digits");
		v = v << 4 | (uint32_t)h;
	}
	*out = v;
	return 0;
}

/* "\uXXXX" at ps->p (a surrogate pair: both halves) into sb as UTF-8;
 * ps->p is left on the last escape's backslash. */
static int parse_u_escape(struct parser *ps, struct strbuf *sb)
{
	uint32_t cp = 0, lo = 0;

	if (hex4(ps, ps->p + 2, &cp) < 0)
		return SR_EINVAL;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail_at(ps, ps->p, "lone low surrogate \\u%04x", cp);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		const unsigned char *q = ps->p + 6;
		if (q + 1 >= ps->end || q[0] != '\\' || q[1] != 'u')
			return fail_at(ps, ps->p, "lone high surrogate \\u%04x", cp);
		if (hex4(ps, q + 2, &lo) < 0)
			return SR_EINVAL;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail_at(ps, ps->p, "lone high surrogate \\u%04x", cp);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		ps->p += 6;
	}
	strbuf_add_utf8(sb, cp);
	ps->p += 4;
	return 0;
}

/* The backslash escape at ps->p into sb; ps->p moves past it. */
static int parse_escape(struct parser *ps, struct strbuf *sb, const unsigned char *open)
{
	static const char plain[] = "\"\"\\\\//b\bf\fn\nr\rt\t";

	if (ps->p + 1 >= ps->end)
		return fail_at(ps, open, "unterminated string");
	for (size_t i = 0; i + 1 < sizeof(plain); i += 2)
		if (ps->p[1] == (unsigned char)plain[i]) {
			strbuf_addch(sb, plain[i + 1]);
			ps->p += 2;
			return 0;
		}
	if (ps->p[1] == 'u') {
		if (parse_u_escape(ps, sb) < 0)
			return SR_EINVAL;
		ps->p += 2;
		return 0;
	}
	if (ps->p[1] > 0x20 && ps->p[1] < 0x7f)
		return fail_at(ps, ps->p, "invalid escape '\\%c'", ps->p[1]);
	return fail_at(ps, ps->p, "invalid escape: backslash before byte 0x%02x", ps->p[1]);
}

/* A string starting at the opening quote under ps->p; on success ps->p is
 * past the closing quote and *out and *outlen hold the decoded bytes. */
static int parse_string(struct parser *ps, char **out, size_t *outlen)
{
	const unsigned char *open = ps->p;
	struct strbuf sb = STRBUF_INIT;

	ps->p++;
	strbuf_grow(&sb, 16);
	for (;;) {
		const unsigned char *run = ps->p;
		unsigned char c;

		/* Copy the plain run up to the next quote, backslash, control or non-ASCII byte. */
		while (ps->p < ps->end && *ps->p >= 0x20 && *ps->p < 0x80 && *ps->p != '"' &&
		       *ps->p != '\\')
			ps->p++;
		strbuf_add(&sb, run, (size_t)(ps->p - run));
		if (ps->p >= ps->end) {
			strbuf_release(&sb);
			return fail_at(ps, open, "unterminated string");
		}
		c = *ps->p;
		if (c == '"') {
			ps->p++;
			break;
		}
		if (c < 0x20) {
			strbuf_release(&sb);
			return fail_at(ps, ps->p, "control character 0x%02x in string (escape it)",
				       c);
		}
		if (c >= 0x80) {
			size_t k = json_utf8_len(ps->p, ps->end);
			if (!k) {
				strbuf_release(&sb);
				return fail_at(ps, ps->p, "invalid UTF-8 byte 0x%02x in string", c);
			}
			strbuf_add(&sb, ps->p, k);
			ps->p += k;
			continue;
		}
		/* A backslash escape. */
		if (parse_escape(ps, &sb, open) < 0) {
			strbuf_release(&sb);
			return SR_EINVAL;
		}
	}
	*out = strbuf_detach(&sb, outlen);
	return 0;
}

static bool is_digit(const struct parser *ps, const unsigned char *at)
{
	return at < ps->end && *at >= '0' && *at <= '9';
}

static int parse_number(struct parser *ps, struct json_value *v)
{
	const unsigned char *start = ps->p;
	char d[16];

	if (*ps->p == '-')
		ps->p++;
	if (!is_digit(ps, ps->p))
		return fail_at(ps, ps->p, "invalid number: expected a digit, got %s",
			       describe(ps, ps->p, d));
	if (*ps->p == '0') {
		ps->p++;
		if (is_digit(ps, ps->p))
			return fail_at(ps, start, "invalid number: leading zero");
	} else {
		while (is_digit(ps, ps->p))
			ps->p++;
	}
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!is_digit(ps, ps->p))
			return fail_at(ps, ps->p,
				       "invalid number: expected a digit after '.', got %s",
				       describe(ps, ps->p, d));
		while (is_digit(ps, ps->p))
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!is_digit(ps, ps->p))
			return fail_at(ps, ps->p,
				       "invalid number: expected a digit in the exponent, got %s",
				       describe(ps, ps->p, d));
		while (is_digit(ps, ps->p))
			ps->p++;
	}
	v->type = JSON_NUMBER;
	v->u.num.text = xstrndup((const char *)start, (size_t)(ps->p - start));
	v->u.num.v = strtod(v->u.num.text, NULL);
	return 0;
}

static int parse_literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return fail_at(ps, ps->p, "invalid literal, expected '%s'", word);
	ps->p += n;
	return 0;
}

static int parse_value(struct parser *ps, unsigned depth, struct json_value **out);

struct key_ref {
	const struct json_member *m;
	size_t idx;
};

static int key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	size_t n = x->m->key_len < y->m->key_len ? x->m->key_len : y->m->key_len;
	int c = memcmp(x->m->key, y->m->key, n);

	if (c)
		return c;
	if (x->m->key_len != y->m->key_len)
		return x->m->key_len < y->m->key_len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Append a printable, bounded rendering of a key for messages. */
static void quote_key(struct strbuf *sb, const char *s, size_t len)
{
	for (size_t i = 0; i < len && i < 64; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			strbuf_addch(sb, (char)c);
		else
			strbuf_addf(sb, "\\x%02x", c);
	}
	if (len > 64)
		strbuf_addstr(sb, "...");
}

/* Sort-based so that huge objects stay O(n log n); reports the earliest
 * repeated key in document order. */
static int check_duplicates(const struct parser *ps, const struct json_value *obj)
{
	const struct json_member *dup = NULL;
	struct key_ref *refs;
	size_t n = obj->u.obj.n;

	if (n < 2)
		return 0;
	refs = xcalloc(n, sizeof(*refs));
	for (size_t i = 0; i < n; i++)
		refs[i] = (struct key_ref){&obj->u.obj.m[i], i};
	qsort(refs, n, sizeof(*refs), key_ref_cmp);
	for (size_t i = 1; i < n; i++) {
		const struct json_member *a = refs[i - 1].m, *b = refs[i].m;
		if (a->key_len == b->key_len && !memcmp(a->key, b->key, a->key_len) &&
		    (!dup || b < dup))
			dup = b;
	}
	free(refs);
	if (dup) {
		struct strbuf k = STRBUF_INIT;
		quote_key(&k, dup->key, dup->key_len);
		fail_pos(ps, dup->line, dup->col, "duplicate key '%s'", strbuf_str(&k));
		strbuf_release(&k);
		return SR_EINVAL;
	}
	return 0;
}

static int parse_object(struct parser *ps, unsigned depth, struct json_value *v)
{
	char d[16];

	v->type = JSON_OBJECT;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return 0;
	}
	for (;;) {
		struct json_member m = {0};

		if (ps->p >= ps->end || *ps->p != '"')
			return fail_at(ps, ps->p, "expected a string key, got %s",
				       describe(ps, ps->p, d));
		m.line = ps->line;
		m.col = col_of(ps, ps->p);
		if (parse_string(ps, &m.key, &m.key_len) < 0)
			return SR_EINVAL;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			free(m.key);
			return fail_at(ps, ps->p, "expected ':' after key, got %s",
				       describe(ps, ps->p, d));
		}
		ps->p++;
		skip_ws(ps);
		if (parse_value(ps, depth, &m.value) < 0) {
			free(m.key);
			return SR_EINVAL;
		}
		SR_GROW(v->u.obj.m, v->u.obj.n + 1, v->u.obj.alloc);
		v->u.obj.m[v->u.obj.n++] = m;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == '}')
				return fail_at(ps, ps->p, "trailing comma before '}'");
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return check_duplicates(ps, v);
		}
		return fail_at(ps, ps->p, "expected ',' or '}', got %s", describe(ps, ps->p, d));
	}
}

static int parse_array(struct parser *ps, unsigned depth, struct json_value *v)
{
	char d[16];

	v->type = JSON_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return 0;
	}
	for (;;) {
		struct json_value *item;

		if (parse_value(ps, depth, &item) < 0)
			return SR_EINVAL;
		SR_GROW(v->u.arr.v, v->u.arr.n + 1, v->u.arr.alloc);
		v->u.arr.v[v->u.arr.n++] = item;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == ']')
				return fail_at(ps, ps->p, "trailing comma before ']'");
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return 0;
		}
		return fail_at(ps, ps->p, "expected ',' or ']', got %s", describe(ps, ps->p, d));
	}
}

/* A value at ps->p (whitespace already skipped), inside depth containers. */
static int parse_value(struct parser *ps, unsigned depth, struct json_value **out)
{
	struct json_value *v = xcalloc(1, sizeof(*v));
	char d[16];
	int rc;

	*out = NULL;
	v->line = ps->line;
	v->col = col_of(ps, ps->p);
	if (ps->p >= ps->end) {
		free(v);
		return fail_at(ps, ps->p, "unexpected end of input, expected a value");
	}
	switch (*ps->p) {
	case '{':
	case '[':
		if (depth >= JSON_MAX_DEPTH) {
			free(v);
			return fail_at(ps, ps->p, "nesting deeper than %d levels", JSON_MAX_DEPTH);
		}
		rc = *ps->p == '{' ? parse_object(ps, depth + 1, v) : parse_array(ps, depth + 1, v);
		break;
	case '"':
		v->type = JSON_STRING;
		rc = parse_string(ps, &v->u.str.s, &v->u.str.len);
		break;
	case 't':
		v->type = JSON_BOOL;
		v->u.b = true;
		rc = parse_literal(ps, "true");
		break;
	case 'f':
		v->type = JSON_BOOL;
		rc = parse_literal(ps, "false");
		break;
	case 'n':
		rc = parse_literal(ps, "null");
		break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
			rc = parse_number(ps, v);
			break;
		}
		free(v);
		return fail_at(ps, ps->p, "expected a value, got %s", describe(ps, ps->p, d));
	}
	if (rc < 0) {
		json_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

int json_parse(struct json_value **out, const char *name, const char *buf, size_t len,
	       struct sr_err *err)
{
	struct parser ps = {
	    .name = name ? name : "<json>",
	    .p = (const unsigned char *)buf,
	    .end = (const unsigned char *)buf + len,
	    .line_start = (const unsigned char *)buf,
	    .line = 1,
	    .err = err,
	};
	struct json_value *v;
	char d[16];

	*out = NULL;
	if (!buf && len)
		return sr_err_set(err, SR_EINVAL, "%s: no input", ps.name);
	skip_ws(&ps);
	if (parse_value(&ps, 0, &v) < 0)
		return SR_EINVAL;
	skip_ws(&ps);
	if (ps.p < ps.end) {
		json_free(v);
		return fail_at(&ps, ps.p, "unexpected %s after the JSON value",
			       describe(&ps, ps.p, d));
	}
	*out = v;
	return 0;
}

int json_parse_file(struct json_value **out, const char *path, struct sr_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = sr_read_file(path, &text, &len, err)) < 0)
		return rc;
	rc = json_parse(out, path, text, len, err);
	free(text);
	return rc;
}

void json_free(struct json_value *v)
{
	if (!v)
		return;
	switch (v->type) {
	case JSON_NUMBER:
		free(v->u.num.text);
		break;
	case JSON_STRING:
		free(v->u.str.s);
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < v->u.arr.n; i++)
			json_free(v->u.arr.v[i]);
		free(v->u.arr.v);
		break;
	case JSON_OBJECT:
		for (size_t i = 0; i < v->u.obj.n; i++) {
			free(v->u.obj.m[i].key);
			json_free(v->u.obj.m[i].value);
		}
		free(v->u.obj.m);
		break;
	case JSON_NULL:
	case JSON_BOOL:
		break;
	}
	free(v);
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
	size_t n;

	if (!obj || obj->type != JSON_OBJECT || !key)
		return NULL;
	n = strlen(key);
	for (size_t i = 0; i < obj->u.obj.n; i++) {
		const struct json_member *m = &obj->u.obj.m[i];
		if (m->key_len == n && !memcmp(m->key, key, n))
			return m->value;
	}
	return NULL;
}

const char *json_str(const struct json_value *v)
{
	return v && v->type == JSON_STRING ? v->u.str.s : NULL;
}

void json_serialize(struct strbuf *out, const struct json_value *v)
{
	if (!v) {
		strbuf_addstr(out, "null");
		return;
	}
	switch (v->type) {
	case JSON_NULL:
		strbuf_addstr(out, "null");
		break;
	case JSON_BOOL:
		strbuf_addstr(out, v->u.b ? "true" : "false");
		break;
	case JSON_NUMBER:
		strbuf_addstr(out, v->u.num.text);
		break;
	case JSON_STRING:
		json_add_strn(out, v->u.str.s, v->u.str.len);
		break;
	case JSON_ARRAY:
		strbuf_addch(out, '[');
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (i)
				strbuf_addch(out, ',');
			json_serialize(out, v->u.arr.v[i]);
		}
		strbuf_addch(out, ']');
		break;
	case JSON_OBJECT:
		strbuf_addch(out, '{');
		for (size_t i = 0; i < v->u.obj.n; i++) {
			if (i)
				strbuf_addch(out, ',');
			json_add_strn(out, v->u.obj.m[i].key, v->u.obj.m[i].key_len);
			strbuf_addch(out, ':');
			json_serialize(out, v->u.obj.m[i].value);
		}
		strbuf_addch(out, '}');
		break;
	}
}

bool json_equal(const struct json_value *a, const struct json_value *b)
{
	if (!a || !b)
		return a == b;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case JSON_NULL:
		return true;
	case JSON_BOOL:
		return a->u.b == b->u.b;
	case JSON_NUMBER:
		return !strcmp(a->u.num.text, b->u.num.text);
	case JSON_STRING:
		return a->u.str.len == b->u.str.len &&
		       !memcmp(a->u.str.s, b->u.str.s, a->u.str.len);
	case JSON_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return false;
		for (size_t i = 0; i < a->u.arr.n; i++)
			if (!json_equal(a->u.arr.v[i], b->u.arr.v[i]))
				return false;
		return true;
	case JSON_OBJECT:
		if (a->u.obj.n != b->u.obj.n)
			return false;
		for (size_t i = 0; i < a->u.obj.n; i++) {
			const struct json_member *x = &a->u.obj.m[i], *y = &b->u.obj.m[i];
			if (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len) ||
			    !json_equal(x->value, y->value))
				return false;
		}
		return true;
	}
	return false;
}

const char *json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL:
		return "null";
	case JSON_BOOL:
		return "boolean";
	case JSON_NUMBER:
		return "number";
	case JSON_STRING:
		return "string";
	case JSON_ARRAY:
		return "array";
	case JSON_OBJECT:
		return "object";
	}
	return "unknown";
}
