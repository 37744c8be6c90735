/* images.toml: a strict parser of the TOML subset catalogues use, with
 * byte spans kept so pin can rewrite digests and nothing else. */
#include "catalogue.h"

#include <errno.h>
#include <string.h>

struct lexer {
	const char *path;
	const char *s;
	size_t len, pos;
	int line, col;
	struct sr_err *err;
};

static int lerr(struct lexer *lx, int line, int col, const char *fmt, ...) SR_PRINTF(4, 5);
static int lerr(struct lexer *lx, int line, int col, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	sr_err_set(lx->err, SR_EINVAL, "%s:%d:%d: %s", lx->path, line, col, sb.buf);
	strbuf_release(&sb);
	return SR_EINVAL;
}

static int peek(const struct lexer *lx)
{
	return lx->pos < lx->len ? (unsigned char)lx->s[lx->pos] : -1;
}

static void adv(struct lexer *lx)
{
	if (lx->pos >= lx->len)
		return;
	if (lx->s[lx->pos] == '\n') {
		lx->line++;
		lx->col = 1;
	} else if (((unsigned char)lx->s[lx->pos] & 0xc0) != 0x80) {
		lx->col++;
	}
	lx->pos++;
}

static void skip_ws(struct lexer *lx)
{
	while (peek(lx) == ' ' || peek(lx) == '\t')
		adv(lx);
}

/* Skip a comment to (not past) the end of the line; control chars are invalid. */
static int skip_comment(struct lexer *lx)
{
	if (peek(lx) != '#')
		return 0;
	while (peek(lx) != -1 && peek(lx) != '\n') {
		int c = peek(lx);
		if ((c < 0x20 && c != '\t' &&
		     !(c == '\r' && lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '\n')) ||
		    c == 0x7f)
			return lerr(lx, lx->line, lx->col, "control character in comment");
		adv(lx);
	}
	return 0;
}

/* After a value or header: optional spaces and comment, then a newline or EOF. */
static int end_of_line(struct lexer *lx)
{
	skip_ws(lx);
	if (skip_comment(lx))
		return SR_EINVAL;
	if (peek(lx) == '\r' && lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '\n')
		adv(lx);
	if (peek(lx) == '\n') {
		adv(lx);
		return 0;
	}
	if (peek(lx) == -1)
		return 0;
	return lerr(lx, lx->line, lx->col, "expected the end of the line, found '%c'", peek(lx));
}

static bool bare_key_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* A basic "..." or literal '...' single-line string at the cursor. */
static int lex_string(struct lexer *lx, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	int q = peek(lx), line = lx->line, col = lx->col;

	if (lx->pos + 2 < lx->len && lx->s[lx->pos + 1] == q && lx->s[lx->pos + 2] == q)
		return lerr(lx, line, col, "multi-line strings are not supported here");
	adv(lx);
	for (;;) {
		int c = peek(lx);
		if (c == -1 || c == '\n' || c == '\r') {
			strbuf_release(&sb);
			return lerr(lx, line, col, "unterminated string");
		}
		if (c == q) {
			adv(lx);
			break;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			strbuf_release(&sb);
			return lerr(lx, lx->line, lx->col, "control character in string");
		}
		if (c == '\\' && q == '"') {
			int el = lx->line, ec = lx->col, e;
			adv(lx);
			e = peek(lx);
			switch (e) {
			case '"':
			case '\\':
				strbuf_addch(&sb, (char)e);
				adv(lx);
				break;
			case 'n':
				strbuf_addch(&sb, '\n');
				adv(lx);
				break;
			case 't':
				strbuf_addch(&sb, '\t');
				adv(lx);
				break;
			case 'r':
				strbuf_addch(&sb, '\r');
				adv(lx);
				break;
			case 'b':
				strbuf_addch(&sb, '\b');
				adv(lx);
				break;
			case 'f':
				strbuf_addch(&sb, '\f');
				adv(lx);
				break;
			case 'u':
			case 'U': {
				int nd = e == 'u' ? 4 : 8;
				uint32_t cp = 0;
				adv(lx);
				for (int i = 0; i < nd; i++) {
					int h = peek(lx);
					int v = h >= '0' && h <= '9'   ? h - '0'
						: h >= 'a' && h <= 'f' ? h - 'a' + 10
						: h >= 'A' && h <= 'F' ? h - 'A' + 10
								       : -1;
					if (v < 0) {
						strbuf_release(&sb);
						return lerr(lx, el, ec, "invalid unicode escape");
					}
					cp = cp * 16 + (uint32_t)v;
					adv(lx);
				}
				if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
					strbuf_release(&sb);
					return lerr(lx, el, ec, "invalid unicode scalar value");
				}
				strbuf_add_utf8(&sb, cp);
				break;
			}
			default:
				strbuf_release(&sb);
				return lerr(lx, el, ec, "invalid escape sequence");
			}
			continue;
		}
		strbuf_addch(&sb, (char)c);
		adv(lx);
	}
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

static int lex_key(struct lexer *lx, char **out)
{
	size_t start = lx->pos;

	if (peek(lx) == '"' || peek(lx) == '\'')
		return lex_string(lx, out);
	while (bare_key_char(peek(lx)))
		adv(lx);
	if (lx->pos == start)
		return lerr(lx, lx->line, lx->col, "expected a key");
	*out = xstrndup(lx->s + start, lx->pos - start);
	return 0;
}

static const char *const known_keys[] = {"toolchain_id", "base",     "toolchain",	"packages",
					 "digest",	 "platform", "platform_digest", NULL};

static bool valid_id(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '_' || *p == '-'))
			return false;
	return true;
}

int cat_digest_valid(const char *d)
{
	if (strncmp(d, "sha256:", 7) || strlen(d) != 71)
		return 0;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static int parse_packages(struct lexer *lx, struct cat_entry *e)
{
	adv(lx); /* '{' */
	skip_ws(lx);
	if (peek(lx) == '}') {
		adv(lx);
		return 0;
	}
	for (;;) {
		char *k = NULL, *v = NULL;
		int kl, kc;
		skip_ws(lx);
		kl = lx->line;
		kc = lx->col;
		if (lex_key(lx, &k))
			return SR_EINVAL;
		for (size_t i = 0; i < e->pkg_names.nr; i++)
			if (!strcmp(e->pkg_names.v[i], k)) {
				free(k);
				return lerr(lx, kl, kc, "duplicate package '%s'",
					    e->pkg_names.v[i]);
			}
		skip_ws(lx);
		if (peek(lx) != '=') {
			free(k);
			return lerr(lx, lx->line, lx->col, "expected '=' in packages");
		}
		adv(lx);
		skip_ws(lx);
		if (peek(lx) != '"' && peek(lx) != '\'') {
			free(k);
			return lerr(lx, lx->line, lx->col, "package versions must be strings");
		}
		if (lex_string(lx, &v)) {
			free(k);
			return SR_EINVAL;
		}
		strvec_push(&e->pkg_names, k);
		strvec_push(&e->pkg_versions, v);
		free(k);
		free(v);
		skip_ws(lx);
		if (peek(lx) == ',') {
			adv(lx);
			continue;
		}
		if (peek(lx) == '}') {
			adv(lx);
			return 0;
		}
		return lerr(lx, lx->line, lx->col, "expected ',' or '}' in packages");
	}
}

static size_t line_start(const char *s, size_t pos)
{
	while (pos && s[pos - 1] != '\n')
		pos--;
	return pos;
}

static int finish_entry(struct lexer *lx, struct catalogue *c, struct cat_entry *e)
{
	if (!e->toolchain_id)
		return lerr(lx, e->line, e->col, "[[image]] entry has no toolchain_id");
	if (!e->base)
		return lerr(lx, e->line, e->col, "[[image]] entry '%s' has no base",
			    e->toolchain_id);
	if (!e->digest)
		e->digest = xstrdup("");
	if (e->platform_digest && !e->platform)
		return lerr(lx, e->line, e->col, "entry '%s' has a platform_digest but no platform",
			    e->toolchain_id);
	(void)c;
	return 0;
}

static int parse_kv(struct lexer *lx, struct catalogue *c, struct cat_entry *e, bool *seen)
{
	int kl = lx->line, kc = lx->col, vl, vc, idx = -1;
	size_t kstart = lx->pos, vstart;
	char *key = NULL, *val = NULL;

	if (lex_key(lx, &key))
		return SR_EINVAL;
	for (int i = 0; known_keys[i]; i++)
		if (!strcmp(known_keys[i], key))
			idx = i;
	if (idx < 0) {
		lerr(lx, kl, kc,
		     "unknown key '%s' (known: toolchain_id, base, toolchain, packages, "
		     "digest, platform, platform_digest)",
		     key);
		free(key);
		return SR_EINVAL;
	}
	if (seen[idx]) {
		lerr(lx, kl, kc, "duplicate key '%s'", key);
		free(key);
		return SR_EINVAL;
	}
	seen[idx] = true;
	skip_ws(lx);
	if (peek(lx) != '=') {
		lerr(lx, lx->line, lx->col, "expected '=' after '%s'", key);
		free(key);
		return SR_EINVAL;
	}
	adv(lx);
	skip_ws(lx);
	vl = lx->line;
	vc = lx->col;
	vstart = lx->pos;
	if (!strcmp(key, "packages")) {
		free(key);
		if (peek(lx) != '{')
			return lerr(lx, vl, vc, "'packages' must be an inline table");
		if (parse_packages(lx, e))
			return SR_EINVAL;
		return end_of_line(lx);
	}
	if (peek(lx) != '"' && peek(lx) != '\'') {
		lerr(lx, vl, vc, "'%s' must be a string", key);
		free(key);
		return SR_EINVAL;
	}
	if (lex_string(lx, &val)) {
		free(key);
		return SR_EINVAL;
	}
	{
		struct cat_span sp = {vstart, lx->pos, 1};
		if (!strcmp(key, "toolchain_id")) {
			if (!valid_id(val)) {
				lerr(lx, vl, vc,
				     "invalid toolchain_id '%s' (want [a-z0-9][a-z0-9._-]*)", val);
				goto bad;
			}
			for (size_t i = 0; i + 1 < c->n; i++)
				if (!strcmp(c->entries[i].toolchain_id, val)) {
					lerr(lx, vl, vc, "duplicate toolchain_id '%s'", val);
					goto bad;
				}
			e->toolchain_id = val;
		} else if (!strcmp(key, "base")) {
			if (!*val || strchr(val, ' ')) {
				lerr(lx, vl, vc, "'base' must be an image reference");
				goto bad;
			}
			e->base = val;
			e->base_span = sp;
		} else if (!strcmp(key, "toolchain")) {
			e->toolchain = val;
		} else if (!strcmp(key, "digest")) {
			if (*val && !cat_digest_valid(val)) {
				lerr(lx, vl, vc,
				     "invalid digest '%s' (want \"\" or sha256:<64 hex>)", val);
				goto bad;
			}
			e->digest = val;
			e->digest_span = sp;
		} else if (!strcmp(key, "platform")) {
			if (!*val || !strchr(val, '/')) {
				lerr(lx, vl, vc, "'platform' must look like os/arch[/variant]");
				goto bad;
			}
			e->platform = val;
		} else {
			if (*val && !cat_digest_valid(val)) {
				lerr(lx, vl, vc, "invalid platform_digest '%s'", val);
				goto bad;
			}
			e->platform_digest = val;
			e->platform_digest_span = sp;
		}
	}
	(void)kstart;
	if (end_of_line(lx)) {
		free(key);
		return SR_EINVAL;
	}
	if (!strcmp(key, "base"))
		e->base_line_end = lx->pos;
	else if (!strcmp(key, "digest"))
		e->digest_line_end = lx->pos;
	free(key);
	return 0;
bad:
	free(val);
	free(key);
	return SR_EINVAL;
}

int catalogue_parse(struct catalogue *out, const char *path, const char *buf, size_t len,
		    struct sr_err *err)
{
	struct lexer lx = {.path = path, .s = buf, .len = len, .line = 1, .col = 1, .err = err};
	struct cat_entry *cur = NULL;
	bool seen[8] = {0};
	size_t alloc = 0;

	memset(out, 0, sizeof(*out));
	out->path = xstrdup(path);
	out->text = xstrndup(buf, len);
	out->len = len;
	if (memchr(buf, '\0', len)) {
		lerr(&lx, 1, 1, "the catalogue must be text (NUL byte found)");
		goto fail;
	}
	while (lx.pos < lx.len) {
		int c;
		skip_ws(&lx);
		if (skip_comment(&lx))
			goto fail;
		c = peek(&lx);
		if (c == '\r' && lx.pos + 1 < lx.len && lx.s[lx.pos + 1] == '\n') {
			adv(&lx);
			continue;
		}
		if (c == '\n') {
			adv(&lx);
			continue;
		}
		if (c == -1)
			break;
		if (c == '[') {
			int hl = lx.line, hc = lx.col;
			size_t start = lx.pos;
			char *name = NULL;
			if (lx.pos + 1 >= lx.len || lx.s[lx.pos + 1] != '[') {
				lerr(&lx, hl, hc, "only [[image]] tables are allowed");
				goto fail;
			}
			adv(&lx);
			adv(&lx);
			skip_ws(&lx);
			if (lex_key(&lx, &name))
				goto fail;
			skip_ws(&lx);
			if (strcmp(name, "image") || peek(&lx) != ']' || lx.pos + 1 >= lx.len ||
			    lx.s[lx.pos + 1] != ']') {
				free(name);
				lerr(&lx, hl, hc, "only [[image]] tables are allowed");
				goto fail;
			}
			free(name);
			adv(&lx);
			adv(&lx);
			if (cur && finish_entry(&lx, out, cur))
				goto fail;
			SR_GROW(out->entries, out->n + 1, alloc);
			cur = &out->entries[out->n++];
			memset(cur, 0, sizeof(*cur));
			cur->line = hl;
			cur->col = hc;
			(void)start;
			memset(seen, 0, sizeof(seen));
			if (end_of_line(&lx))
				goto fail;
			continue;
		}
		if (!bare_key_char(c) && c != '"' && c != '\'') {
			lerr(&lx, lx.line, lx.col, "unexpected character '%c'", c);
			goto fail;
		}
		if (!cur) {
			lerr(&lx, lx.line, lx.col, "keys must be inside an [[image]] table");
			goto fail;
		}
		if (parse_kv(&lx, out, cur, seen))
			goto fail;
	}
	if (cur && finish_entry(&lx, out, cur))
		goto fail;
	return 0;
fail:
	catalogue_release(out);
	return SR_EINVAL;
}

int catalogue_load(struct catalogue *out, const char *path, struct sr_err *err)
{
	char *buf;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sr_read_file(path, &buf, &len, err) < 0)
		return sr_err_set(err, SR_EINVAL, "cannot open catalogue '%s': %s", path,
				  strerror(errno));
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
	/* A reference may carry both tag and digest; the digest decides. */
	if (e->platform_digest && *e->platform_digest && cat_entry_pinned(e))
		return xasprintf("%s@%s", e->base, e->platform_digest);
	if (cat_entry_pinned(e))
		return xasprintf("%s@%s", e->base, e->digest);
	return xstrdup(e->base);
}

struct edit {
	size_t start, end;
	char *text;
};

static int cmp_edit(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The leading whitespace of the line holding pos, and its line ending. */
static void line_style(const char *s, size_t len, size_t pos, struct strbuf *indent,
		       const char **eol)
{
	size_t ls = line_start(s, pos), e = pos;

	while (ls < len && (s[ls] == ' ' || s[ls] == '\t'))
		strbuf_addch(indent, s[ls++]);
	while (e < len && s[e] != '\n')
		e++;
	*eol = (e > 0 && e < len && s[e - 1] == '\r') ? "\r\n" : "\n";
}

static char *replace_value(const char *s, const struct cat_span *sp, const char *val)
{
	char q = s[sp->start];
	return xasprintf("%c%s%c", q, val, q);
}

int catalogue_rewrite(char **out, size_t *outlen, const struct catalogue *c,
		      const struct cat_update *ups, size_t nups, struct sr_err *err)
{
	struct edit *ed = xcalloc(2 * nups + 1, sizeof(*ed));
	size_t ne = 0, pos = 0;
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < nups; i++) {
		const struct cat_entry *e = catalogue_find(c, ups[i].toolchain_id);
		struct strbuf ins = STRBUF_INIT, indent = STRBUF_INIT;
		const char *eol;

		if (!e) {
			for (size_t k = 0; k < ne; k++)
				free(ed[k].text);
			free(ed);
			return sr_err_set(err, SR_EINVAL, "toolchain '%s' is not in '%s'",
					  ups[i].toolchain_id, c->path);
		}
		if ((ups[i].digest && !cat_digest_valid(ups[i].digest)) ||
		    (ups[i].platform_digest && !cat_digest_valid(ups[i].platform_digest))) {
			for (size_t k = 0; k < ne; k++)
				free(ed[k].text);
			free(ed);
			return sr_err_set(err, SR_EINVAL, "invalid digest for '%s'",
					  ups[i].toolchain_id);
		}
		line_style(c->text, c->len, e->base_span.start, &indent, &eol);
		if (ups[i].digest) {
			if (e->digest_span.present) {
				ed[ne++] = (struct edit){
				    e->digest_span.start, e->digest_span.end,
				    replace_value(c->text, &e->digest_span, ups[i].digest)};
			} else {
				/* A base line without a newline ends the file: add one. */
				if (e->base_line_end == c->len && c->len &&
				    c->text[c->len - 1] != '\n')
					strbuf_addstr(&ins, eol);
				strbuf_addf(&ins, "%sdigest = \"%s\"%s",
					    indent.buf ? indent.buf : "", ups[i].digest, eol);
			}
		}
		if (ups[i].platform_digest) {
			if (e->platform_digest_span.present) {
				ed[ne++] = (struct edit){
				    e->platform_digest_span.start, e->platform_digest_span.end,
				    replace_value(c->text, &e->platform_digest_span,
						  ups[i].platform_digest)};
			} else if (e->digest_span.present) {
				struct strbuf line = STRBUF_INIT;
				size_t at = e->digest_line_end;
				if (at == c->len && c->len && c->text[c->len - 1] != '\n')
					strbuf_addstr(&line, eol);
				strbuf_addf(&line, "%splatform_digest = \"%s\"%s",
					    indent.buf ? indent.buf : "", ups[i].platform_digest,
					    eol);
				ed[ne++] = (struct edit){at, at, strbuf_detach(&line, NULL)};
			} else {
				if (!ins.len && e->base_line_end == c->len && c->len &&
				    c->text[c->len - 1] != '\n')
					strbuf_addstr(&ins, eol);
				strbuf_addf(&ins, "%splatform_digest = \"%s\"%s",
					    indent.buf ? indent.buf : "", ups[i].platform_digest,
					    eol);
			}
		}
		if (ins.len)
			ed[ne++] = (struct edit){e->base_line_end, e->base_line_end,
						 strbuf_detach(&ins, NULL)};
		strbuf_release(&ins);
		strbuf_release(&indent);
	}
	qsort(ed, ne, sizeof(*ed), cmp_edit);
	for (size_t i = 0; i < ne; i++) {
		strbuf_add(&sb, c->text + pos, ed[i].start - pos);
		strbuf_addstr(&sb, ed[i].text);
		pos = ed[i].end;
		free(ed[i].text);
	}
	strbuf_add(&sb, c->text + pos, c->len - pos);
	free(ed);
	*out = strbuf_detach(&sb, outlen);
	return 0;
}
