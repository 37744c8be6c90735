/* images.toml: a strict hand-written parser of the TOML subset catalogues
 * use (no C TOML library ships in Debian 12), keeping byte spans so that pin
 * can rewrite digest values and leave every other byte alone. */
#include "catalogue/catalogue.h"

#include "lib/smallfile.h"

#include <stdio.h>
#include <string.h>

/* A place in the text: byte offset and the 1-based line/column reported. */
struct tpos {
	size_t off;
	int line, col;
};

struct parser {
	const char *path;
	const char *s; /* NUL-terminated at len */
	size_t len;
	struct tpos at;
	struct sr_err *err;
};

/* What one [[image]] table has seen so far. */
struct table {
	struct tpos header;
	unsigned seen; /* bit per known key */
	struct tpos pd_key, pd_val;
};

enum key {
	K_TOOLCHAIN_ID,
	K_BASE,
	K_TOOLCHAIN,
	K_PACKAGES,
	K_DIGEST,
	K_PLATFORM,
	K_PLATFORM_DIGEST,
	K_RUNTIME,
	K_SECCOMP,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
    "toolchain_id",    "base",	  "toolchain", "packages", "digest", "platform",
    "platform_digest", "runtime", "seccomp",
};

bool cat_runtime_valid(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       strlen(s);
}

static int perr(struct parser *p, const struct tpos *at, const char *fmt, ...) SR_PRINTF(3, 4);
static int perr(struct parser *p, const struct tpos *at, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT, safe = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	/* Quoted values may hold escaped control characters or broken UTF-8;
	 * they must not reach a terminal or a log raw. */
	for (size_t i = 0; i < sb.len;) {
		unsigned char c = (unsigned char)sb.buf[i];
		size_t n = sr_utf8_len((const unsigned char *)sb.buf + i, sb.len - i);
		if (c < 0x20 || c == 0x7f || !n) {
			strbuf_addf(&safe, "\\x%02x", c);
			i++;
		} else {
			strbuf_add(&safe, sb.buf + i, n);
			i += n;
		}
	}
	sr_err_set(p->err, SR_EINVAL, "%s:%d:%d: %s", p->path, at->line, at->col,
		   strbuf_str(&safe));
	strbuf_release(&sb);
	strbuf_release(&safe);
	return SR_EINVAL;
}

static int peek_at(const struct parser *p, size_t k)
{
	return p->at.off + k < p->len ? (unsigned char)p->s[p->at.off + k] : -1;
}

static int peek(const struct parser *p)
{
	return peek_at(p, 0);
}

/* Columns count code points, so continuation bytes do not advance them. */
static void adv(struct parser *p)
{
	unsigned char c;

	if (p->at.off >= p->len)
		return;
	c = (unsigned char)p->s[p->at.off++];
	if (c == '\n') {
		p->at.line++;
		p->at.col = 1;
	} else if ((c & 0xc0) != 0x80) {
		p->at.col++;
	}
}

static bool at_newline(const struct parser *p)
{
	return peek(p) == '\n' || (peek(p) == '\r' && peek_at(p, 1) == '\n');
}

static bool at_eof(const struct parser *p)
{
	return p->at.off >= p->len;
}

static void skip_ws(struct parser *p)
{
	while (peek(p) == ' ' || peek(p) == '\t')
		adv(p);
}

/* A readable name for the character at the cursor, for "found X" messages:
 * raw control bytes or broken UTF-8 must not end up in the message. */
static void describe(const struct parser *p, char *out, size_t outsz)
{
	int c = peek(p);
	size_t n;

	if (c < 0)
		snprintf(out, outsz, "the end of the file");
	else if (at_newline(p))
		snprintf(out, outsz, "the end of the line");
	else if (c >= 0x20 && c < 0x7f)
		snprintf(out, outsz, "'%c'", c);
	else if (c < 0x80)
		snprintf(out, outsz, "control character U+%04X", (unsigned)c);
	else if ((n = sr_utf8_len((const unsigned char *)p->s + p->at.off, p->len - p->at.off)))
		snprintf(out, outsz, "'%.*s'", (int)n, p->s + p->at.off);
	else
		snprintf(out, outsz, "invalid UTF-8 byte 0x%02x", (unsigned)c);
}

/* Consume one character of a comment or string body (appending it to sb
 * when not NULL), refusing what TOML forbids there: control characters
 * other than tab, and bytes that are not UTF-8. */
static int take_char(struct parser *p, struct strbuf *sb)
{
	int c = peek(p);
	size_t n;

	if ((c < 0x20 && c != '\t') || c == 0x7f) {
		char what[64];
		describe(p, what, sizeof(what));
		return perr(p, &p->at, "%s is not allowed here", what);
	}
	n = sr_utf8_len((const unsigned char *)p->s + p->at.off, p->len - p->at.off);
	if (!n)
		return perr(p, &p->at, "invalid UTF-8 byte 0x%02x", (unsigned)c);
	if (sb)
		strbuf_add(sb, p->s + p->at.off, n);
	while (n--)
		adv(p);
	return 0;
}

static int skip_comment(struct parser *p)
{
	if (peek(p) != '#')
		return 0;
	adv(p);
	while (!at_eof(p) && !at_newline(p))
		if (take_char(p, NULL) < 0)
			return SR_EINVAL;
	return 0;
}

/* After a header or a value: blanks, an optional comment, then the end of
 * the line (consumed) or of the file. */
static int end_of_line(struct parser *p, const char *after)
{
	char what[64];

	skip_ws(p);
	if (skip_comment(p) < 0)
		return SR_EINVAL;
	if (at_eof(p))
		return 0;
	if (at_newline(p)) {
		if (peek(p) == '\r')
			adv(p);
		adv(p);
		return 0;
	}
	describe(p, what, sizeof(what));
	return perr(p, &p->at, "expected the end of the line after %s, found %s", after, what);
}

static bool bare_key_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* \uXXXX or \UXXXXXXXX, the cursor on the 'u'; esc is the backslash. */
static int lex_unicode(struct parser *p, const struct tpos *esc, struct strbuf *sb)
{
	int nd = peek(p) == 'u' ? 4 : 8;
	uint32_t cp = 0;

	adv(p);
	for (int i = 0; i < nd; i++) {
		int v = hexval(peek(p));
		if (v < 0)
			return perr(p, esc, "invalid unicode escape: want %d hex digits", nd);
		cp = cp * 16 + (uint32_t)v;
		adv(p);
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return perr(p, esc, "unicode escape U+%04X is not a scalar value", cp);
	/* Values become C strings: a NUL would silently cut them short. */
	if (cp == 0)
		return perr(p, esc, "unicode escape U+0000 is not allowed");
	strbuf_add_utf8(sb, cp);
	return 0;
}

/* The escape after a backslash (esc) in a basic string. */
static int lex_escape(struct parser *p, const struct tpos *esc, struct strbuf *sb)
{
	char ch;

	switch (peek(p)) {
	case '"':
		ch = '"';
		break;
	case '\\':
		ch = '\\';
		break;
	case 'n':
		ch = '\n';
		break;
	case 't':
		ch = '\t';
		break;
	case 'r':
		ch = '\r';
		break;
	case 'b':
		ch = '\b';
		break;
	case 'f':
		ch = '\f';
		break;
	case 'u':
	case 'U':
		return lex_unicode(p, esc, sb);
	default:
		return perr(p, esc, "invalid escape sequence in string");
	}
	strbuf_addch(sb, ch);
	adv(p);
	return 0;
}

/* A single-line basic "..." or literal '...' string at the cursor. */
static int lex_string(struct parser *p, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	struct tpos start = p->at;
	int q = peek(p);

	if (peek_at(p, 1) == q && peek_at(p, 2) == q)
		return perr(p, &start, "multi-line strings are not supported in a catalogue");
	adv(p);
	for (;;) {
		int c = peek(p);
		if (at_eof(p) || at_newline(p)) {
			strbuf_release(&sb);
			return perr(p, &start, "unterminated string");
		}
		if (c == q) {
			adv(p);
			break;
		}
		if (c == '\\' && q == '"') {
			struct tpos esc = p->at;
			adv(p);
			if (lex_escape(p, &esc, &sb) < 0)
				goto fail;
			continue;
		}
		if (take_char(p, &sb) < 0)
			goto fail;
	}
	*out = strbuf_detach(&sb, NULL);
	return 0;
fail:
	strbuf_release(&sb);
	return SR_EINVAL;
}

/* A bare or quoted key; dotted keys are not part of the catalogue format. */
static int lex_key(struct parser *p, char **out)
{
	size_t start = p->at.off;
	char what[64];

	if (peek(p) == '"' || peek(p) == '\'') {
		if (lex_string(p, out) < 0)
			return SR_EINVAL;
	} else {
		while (bare_key_char(peek(p)))
			adv(p);
		if (p->at.off == start) {
			describe(p, what, sizeof(what));
			return perr(p, &p->at, "expected a key, found %s", what);
		}
		*out = xstrndup(p->s + start, p->at.off - start);
	}
	skip_ws(p);
	if (peek(p) == '.') {
		perr(p, &p->at, "dotted keys are not supported in a catalogue");
		free(*out);
		*out = NULL;
		return SR_EINVAL;
	}
	return 0;
}

static bool valid_id(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '-'))
			return false;
	return true;
}

/* os/arch[/variant], as `docker --platform` takes it. */
static bool valid_platform(const char *s)
{
	int parts = 1;
	size_t run = 0;

	for (; *s; s++) {
		if (*s == '/') {
			if (!run)
				return false;
			parts++;
			run = 0;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			   (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-') {
			run++;
		} else {
			return false;
		}
	}
	return run && (parts == 2 || parts == 3);
}

/* packages = { name = "version", ... } on one line (TOML 1.0 inline table). */
static int parse_packages(struct parser *p, struct cat_entry *e)
{
	char what[64];

	adv(p); /* '{' */
	skip_ws(p);
	if (peek(p) == '}') {
		adv(p);
		return 0;
	}
	for (;;) {
		struct tpos kpos, vpos;
		char *k = NULL, *v = NULL;

		skip_ws(p);
		kpos = p->at;
		if (peek(p) == '}')
			return perr(p, &kpos, "trailing comma in the 'packages' inline table");
		if (at_eof(p) || at_newline(p))
			return perr(p, &kpos, "inline tables must be closed on the same line");
		if (lex_key(p, &k) < 0)
			return SR_EINVAL;
		for (size_t i = 0; i < e->pkg_names.nr; i++)
			if (!strcmp(e->pkg_names.v[i], k)) {
				perr(p, &kpos, "duplicate package '%s'", k);
				free(k);
				return SR_EINVAL;
			}
		skip_ws(p);
		if (peek(p) != '=') {
			describe(p, what, sizeof(what));
			perr(p, &p->at, "expected '=' after package '%s', found %s", k, what);
			free(k);
			return SR_EINVAL;
		}
		adv(p);
		skip_ws(p);
		vpos = p->at;
		if (peek(p) != '"' && peek(p) != '\'') {
			perr(p, &vpos, "the version of package '%s' must be a string", k);
			free(k);
			return SR_EINVAL;
		}
		if (lex_string(p, &v) < 0) {
			free(k);
			return SR_EINVAL;
		}
		strvec_push(&e->pkg_names, k);
		strvec_push(&e->pkg_versions, v);
		free(k);
		free(v);
		skip_ws(p);
		if (peek(p) == ',') {
			adv(p);
			continue;
		}
		if (peek(p) == '}') {
			adv(p);
			return 0;
		}
		if (at_eof(p) || at_newline(p))
			return perr(p, &p->at, "inline tables must be closed on the same line");
		describe(p, what, sizeof(what));
		return perr(p, &p->at, "expected ',' or '}' in 'packages', found %s", what);
	}
}

/* Check one string value against its key's rules and store it in e. */
static int store_value(struct parser *p, struct catalogue *c, struct cat_entry *e, struct table *t,
		       enum key k, const struct tpos *vpos, char *val)
{
	struct cat_span sp = {vpos->off, p->at.off, 1};
	const char *why;

	switch (k) {
	case K_TOOLCHAIN_ID:
		if (!valid_id(val))
			return perr(p, vpos, "invalid toolchain_id '%s': want [a-z0-9][a-z0-9._-]*",
				    val);
		for (size_t i = 0; i + 1 < c->n; i++)
			if (!strcmp(c->entries[i].toolchain_id, val))
				return perr(p, vpos,
					    "duplicate toolchain_id '%s' (first at line %d)", val,
					    c->entries[i].line);
		e->toolchain_id = val;
		break;
	case K_BASE:
		if (!cat_reference_valid(val, &why))
			return perr(p, vpos, "invalid base '%s': %s", val, why);
		e->base = val;
		e->base_span = sp;
		break;
	case K_TOOLCHAIN:
		e->toolchain = val;
		break;
	case K_DIGEST:
		if (*val && !cat_digest_valid(val))
			return perr(p, vpos, "invalid digest '%s': want \"\" or sha256:<64 hex>",
				    val);
		e->digest = val;
		e->digest_span = sp;
		break;
	case K_PLATFORM:
		if (!valid_platform(val))
			return perr(p, vpos, "invalid platform '%s': want os/arch[/variant]", val);
		e->platform = val;
		break;
	case K_PLATFORM_DIGEST:
		if (*val && !cat_digest_valid(val))
			return perr(p, vpos,
				    "invalid platform_digest '%s': want \"\" or sha256:<64 hex>",
				    val);
		e->platform_digest = val;
		e->platform_digest_span = sp;
		t->pd_val = *vpos;
		break;
	case K_RUNTIME:
		if (!cat_runtime_valid(val))
			return perr(p, vpos,
				    "invalid runtime '%s': want [A-Za-z0-9][A-Za-z0-9._-]*", val);
		e->runtime = val;
		break;
	case K_SECCOMP:
		if (!*val)
			return perr(p, vpos,
				    "empty seccomp: want default, strict or a profile path");
		e->seccomp = val;
		break;
	default:
		return perr(p, vpos, "internal error: key %d has no string value", (int)k);
	}
	return 0;
}

static int parse_kv(struct parser *p, struct catalogue *c, struct cat_entry *e, struct table *t)
{
	struct tpos kpos = p->at, vpos;
	char *key = NULL, *val = NULL, what[64];
	int k;

	if (lex_key(p, &key) < 0)
		return SR_EINVAL;
	if (!e) {
		perr(p, &kpos, "key '%s' outside an [[image]] table", key);
		goto fail;
	}
	for (k = 0; k < K_COUNT && strcmp(key_names[k], key); k++)
		;
	if (k == K_COUNT) {
		perr(p, &kpos,
		     "unknown key '%s' in [[image]] (known: toolchain_id, base, toolchain, "
		     "packages, digest, platform, platform_digest, runtime, seccomp)",
		     key);
		goto fail;
	}
	if (t->seen & (1u << k)) {
		perr(p, &kpos, "duplicate key '%s'", key);
		goto fail;
	}
	t->seen |= 1u << k;
	if (k == K_PLATFORM_DIGEST)
		t->pd_key = kpos;
	skip_ws(p);
	if (peek(p) != '=') {
		describe(p, what, sizeof(what));
		perr(p, &p->at, "expected '=' after '%s', found %s", key, what);
		goto fail;
	}
	adv(p);
	skip_ws(p);
	vpos = p->at;
	if (at_eof(p) || at_newline(p) || peek(p) == '#') {
		perr(p, &vpos, "missing value for '%s'", key);
		goto fail;
	}
	if (k == K_PACKAGES) {
		if (peek(p) != '{') {
			perr(p, &vpos, "'packages' must be an inline table of name = \"version\"");
			goto fail;
		}
		if (parse_packages(p, e) < 0)
			goto fail;
	} else {
		if (peek(p) != '"' && peek(p) != '\'') {
			perr(p, &vpos, "'%s' must be a string", key);
			goto fail;
		}
		if (lex_string(p, &val) < 0)
			goto fail;
		if (store_value(p, c, e, t, (enum key)k, &vpos, val) < 0)
			goto fail;
		val = NULL; /* e owns it now */
	}
	if (end_of_line(p, "the value") < 0)
		goto fail;
	if (k == K_BASE)
		e->base_line_end = p->at.off;
	else if (k == K_DIGEST)
		e->digest_line_end = p->at.off;
	free(key);
	return 0;
fail:
	free(val);
	free(key);
	return SR_EINVAL;
}

/* Checks that need the whole table. Missing keys point at the header. */
static int finish_entry(struct parser *p, struct cat_entry *e, const struct table *t)
{
	if (!e->toolchain_id)
		return perr(p, &t->header, "[[image]] entry has no 'toolchain_id'");
	if (!e->base)
		return perr(p, &t->header, "[[image]] entry '%s' has no 'base'", e->toolchain_id);
	if (!e->digest)
		e->digest = xstrdup("");
	if (e->platform_digest && !e->platform)
		return perr(p, &t->pd_key, "'platform_digest' without a 'platform' in entry '%s'",
			    e->toolchain_id);
	/* The per-platform manifest is chosen from the pinned list: one
	 * without the other is a half-done pin. */
	if (e->platform_digest && *e->platform_digest && !*e->digest)
		return perr(p, &t->pd_val, "'platform_digest' is pinned but 'digest' is not");
	return 0;
}

/* [[image]] with blanks allowed inside the brackets, the cursor on '['. */
static int parse_header(struct parser *p)
{
	struct tpos h = p->at;
	char *name = NULL;
	bool ok;

	if (peek_at(p, 1) != '[')
		return perr(p, &h, "only [[image]] tables are allowed in a catalogue");
	adv(p);
	adv(p);
	skip_ws(p);
	if (lex_key(p, &name) < 0)
		return SR_EINVAL;
	ok = !strcmp(name, "image");
	if (!ok)
		perr(p, &h, "only [[image]] tables are allowed in a catalogue, not '%s'", name);
	free(name);
	if (!ok)
		return SR_EINVAL;
	if (peek(p) != ']' || peek_at(p, 1) != ']') {
		char what[64];
		describe(p, what, sizeof(what));
		return perr(p, &p->at, "expected ']]' to close the [[image]] header, found %s",
			    what);
	}
	adv(p);
	adv(p);
	return end_of_line(p, "the [[image]] header");
}

int catalogue_parse(struct catalogue *out, const char *path, const char *buf, size_t len,
		    struct sr_err *err)
{
	struct parser p = {.path = path, .len = len, .at = {0, 1, 1}, .err = err};
	struct cat_entry *cur = NULL;
	struct table t;
	size_t alloc = 0;
	char *text = xmalloc(len + 1);

	memset(out, 0, sizeof(*out));
	memset(&t, 0, sizeof(t));
	memcpy(text, buf, len);
	text[len] = '\0';
	out->path = xstrdup(path);
	out->text = text;
	out->len = len;
	p.s = text;
	/* Editors on Windows write a byte order mark; it is not content. */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		p.at.off = 3;
	while (!at_eof(&p)) {
		int c;
		char what[64];

		skip_ws(&p);
		c = peek(&p);
		if (c == '#' || at_eof(&p) || at_newline(&p)) {
			if (end_of_line(&p, "the comment") < 0)
				goto fail;
			continue;
		}
		if (c == '[') {
			struct tpos h = p.at;
			if (cur && finish_entry(&p, cur, &t) < 0)
				goto fail;
			if (parse_header(&p) < 0)
				goto fail;
			SR_GROW(out->entries, out->n + 1, alloc);
			cur = &out->entries[out->n++];
			memset(cur, 0, sizeof(*cur));
			cur->line = h.line;
			cur->col = h.col;
			memset(&t, 0, sizeof(t));
			t.header = h;
			continue;
		}
		if (bare_key_char(c) || c == '"' || c == '\'') {
			if (parse_kv(&p, out, cur, &t) < 0)
				goto fail;
			continue;
		}
		describe(&p, what, sizeof(what));
		perr(&p, &p.at, "expected a key or an [[image]] header, found %s", what);
		goto fail;
	}
	if (cur && finish_entry(&p, cur, &t) < 0)
		goto fail;
	return 0;
fail:
	catalogue_release(out);
	return SR_EINVAL;
}

int catalogue_load(struct catalogue *out, const char *path, struct sr_err *err)
{
	struct sr_err rerr = SR_ERR_INIT;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	/* A catalogue is a small regular file: /dev/zero or a FIFO is refused. */
	if (sr_read_small_file(&buf, &len, path, CATALOGUE_MAX_BYTES, &rerr) < 0)
		/* Missing or unreadable: bad input to the CLI (exit 2), like a bad file. */
		return sr_err_set(err, SR_EINVAL, "catalogue: %s", rerr.msg);
	rc = catalogue_parse(out, path, buf, len, err);
	free(buf);
	return rc;
}

void catalogue_release(struct catalogue *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct cat_entry *e = &c->entries[i];
		free(e->toolchain_id);
		free(e->base);
		free(e->toolchain);
		free(e->digest);
		free(e->platform);
		free(e->platform_digest);
		free(e->runtime);
		free(e->seccomp);
		strvec_clear(&e->pkg_names);
		strvec_clear(&e->pkg_versions);
	}
	free(c->entries);
	free(c->path);
	free(c->text);
	memset(c, 0, sizeof(*c));
}

const struct cat_entry *catalogue_find(const struct catalogue *c, const char *id)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->entries[i].toolchain_id, id))
			return &c->entries[i];
	return NULL;
}

char *cat_entry_ref(const struct cat_entry *e)
{
	/* The per-platform manifest is what runs; the list digest otherwise. */
	if (cat_entry_pinned(e) && e->platform_digest && *e->platform_digest)
		return xasprintf("%s@%s", e->base, e->platform_digest);
	if (cat_entry_pinned(e))
		return xasprintf("%s@%s", e->base, e->digest);
	return xstrdup(e->base);
}
