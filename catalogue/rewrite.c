/* images.toml: the format-preserving rewrite `pin` uses (catalogue.h):
 * digest values replaced or inserted at the byte spans the parser kept
 * (catalogue.c), every other byte left alone. */
#include "catalogue/catalogue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct edit {
	size_t start, end;
	char *text;
};

static int cmp_edit(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The blanks that open the line holding pos. */
static void line_indent(const struct catalogue *c, size_t pos, struct strbuf *out)
{
	size_t ls = pos;

	while (ls && c->text[ls - 1] != '\n')
		ls--;
	while (ls < c->len && (c->text[ls] == ' ' || c->text[ls] == '\t'))
		strbuf_addch(out, c->text[ls++]);
}

/* The ending of the line that ends at line_end (just past its newline). A
 * last line without one borrows the file's first line ending. */
static const char *line_eol(const struct catalogue *c, size_t line_end)
{
	const char *nl;

	if (line_end && c->text[line_end - 1] == '\n')
		return line_end >= 2 && c->text[line_end - 2] == '\r' ? "\r\n" : "\n";
	nl = memchr(c->text, '\n', c->len);
	return nl && nl > c->text && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* Append "<indent>key = "value"<eol>" to sb, inserted at offset at; a line
 * inserted after an unterminated last line first ends that line. */
static void add_line(struct strbuf *sb, const struct catalogue *c, size_t at, const char *indent,
		     const char *eol, const char *key, const char *value)
{
	if (!sb->len && at == c->len && c->len && c->text[c->len - 1] != '\n')
		strbuf_addstr(sb, eol);
	strbuf_addf(sb, "%s%s = \"%s\"%s", indent, key, value, eol);
}

static void push_edit(struct edit **ed, size_t *ne, size_t *alloc, size_t start, size_t end,
		      char *text)
{
	SR_GROW(*ed, *ne + 1, *alloc);
	(*ed)[(*ne)++] = (struct edit){start, end, text};
}

/* The value token at sp with its content replaced, its quote kept. */
static char *requote(const struct catalogue *c, const struct cat_span *sp, const char *val)
{
	char q = c->text[sp->start];
	return xasprintf("%c%s%c", q, val, q);
}

static int check_update(const struct catalogue *c, const struct cat_update *ups, size_t i,
			const struct cat_entry **out, struct sr_err *err)
{
	const struct cat_update *u = &ups[i];
	const struct cat_entry *e = u->toolchain_id ? catalogue_find(c, u->toolchain_id) : NULL;

	if (!e)
		return sr_err_set(err, SR_EINVAL, "toolchain '%s' is not in catalogue '%s'",
				  u->toolchain_id ? u->toolchain_id : "(null)", c->path);
	for (size_t k = 0; k < i; k++)
		if (!strcmp(ups[k].toolchain_id, u->toolchain_id))
			return sr_err_set(err, SR_EINVAL, "toolchain '%s' is updated twice",
					  u->toolchain_id);
	if (u->digest && !cat_digest_valid(u->digest))
		return sr_err_set(err, SR_EINVAL, "invalid digest '%s' for toolchain '%s'",
				  u->digest, u->toolchain_id);
	if (u->platform_digest) {
		if (!cat_digest_valid(u->platform_digest))
			return sr_err_set(err, SR_EINVAL,
					  "invalid platform_digest '%s' for toolchain '%s'",
					  u->platform_digest, u->toolchain_id);
		if (!e->platform)
			return sr_err_set(err, SR_EINVAL,
					  "toolchain '%s' has no platform: no platform_digest "
					  "to set",
					  u->toolchain_id);
		if (!u->digest && !cat_entry_pinned(e))
			return sr_err_set(err, SR_EINVAL,
					  "toolchain '%s' has no digest: a platform_digest needs "
					  "one",
					  u->toolchain_id);
	}
	*out = e;
	return 0;
}

int catalogue_rewrite(char **out, size_t *outlen, const struct catalogue *c,
		      const struct cat_update *ups, size_t nups, struct sr_err *err)
{
	struct edit *ed = NULL;
	size_t ne = 0, alloc = 0, pos = 0;
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;

	*out = NULL;
	if (outlen)
		*outlen = 0;
	for (size_t i = 0; i < nups; i++) {
		const struct cat_update *u = &ups[i];
		const struct cat_entry *e = NULL;
		struct strbuf after_base = STRBUF_INIT, indent = STRBUF_INIT;
		const char *eol;

		if ((rc = check_update(c, ups, i, &e, err)) < 0)
			goto done;
		line_indent(c, e->base_span.start, &indent);
		eol = line_eol(c, e->base_line_end);
		if (u->digest) {
			if (!e->digest_span.present)
				add_line(&after_base, c, e->base_line_end, strbuf_str(&indent), eol,
					 "digest", u->digest);
			else if (strcmp(e->digest, u->digest))
				push_edit(&ed, &ne, &alloc, e->digest_span.start,
					  e->digest_span.end,
					  requote(c, &e->digest_span, u->digest));
		}
		if (u->platform_digest) {
			const char *pd = u->platform_digest;
			if (e->platform_digest_span.present) {
				if (strcmp(e->platform_digest, pd))
					push_edit(&ed, &ne, &alloc, e->platform_digest_span.start,
						  e->platform_digest_span.end,
						  requote(c, &e->platform_digest_span, pd));
			} else if (e->digest_span.present) {
				struct strbuf line = STRBUF_INIT, dindent = STRBUF_INIT;
				size_t at = e->digest_line_end;
				line_indent(c, e->digest_span.start, &dindent);
				add_line(&line, c, at, strbuf_str(&dindent), line_eol(c, at),
					 "platform_digest", pd);
				push_edit(&ed, &ne, &alloc, at, at, strbuf_detach(&line, NULL));
				strbuf_release(&dindent);
			} else {
				add_line(&after_base, c, e->base_line_end, strbuf_str(&indent), eol,
					 "platform_digest", pd);
			}
		}
		if (after_base.len)
			push_edit(&ed, &ne, &alloc, e->base_line_end, e->base_line_end,
				  strbuf_detach(&after_base, NULL));
		strbuf_release(&after_base);
		strbuf_release(&indent);
	}
	if (ne)
		qsort(ed, ne, sizeof(*ed), cmp_edit);
	for (size_t i = 0; i < ne; i++) {
		/* Spans come from distinct lines; an overlap would be a parser bug. */
		if (ed[i].start < pos || ed[i].end > c->len) {
			rc = sr_err_set(err, SR_EFAIL, "internal error: overlapping edits in '%s'",
					c->path);
			goto done;
		}
		strbuf_add(&sb, c->text + pos, ed[i].start - pos);
		strbuf_addstr(&sb, ed[i].text);
		pos = ed[i].end;
	}
	strbuf_add(&sb, c->text + pos, c->len - pos);
	*out = strbuf_detach(&sb, outlen);
done:
	for (size_t i = 0; i < ne; i++)
		free(ed[i].text);
	free(ed);
	strbuf_release(&sb);
	return rc;
}
