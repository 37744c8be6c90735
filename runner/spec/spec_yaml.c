/* Harness specs: the libyaml adapter, the only file that includes yaml.h.
 * The YAML stream is loaded into a small private tree (spec_int.h) that keeps
 * every node's position. Every error is "file:line:col: what", SR_EINVAL. */
#include "runner/spec/spec_int.h"
#include "runner/spec/spec.h"

#include <stddef.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH SPEC_MAX_DEPTH
#define MAX_NODES SPEC_MAX_NODES

/* The nodes, strings and child arrays of one tree live in a few blocks,
 * freed together: a spec's tree is small and built once. */
struct yblock {
	struct yblock *next;
	size_t used, cap;
	max_align_t data[];
};

void ynode_free(struct ynode *root)
{
	struct yblock *b = root ? root->arena : NULL;

	while (b) {
		struct yblock *next = b->next;
		free(b);
		b = next;
	}
}

struct loader {
	yaml_parser_t parser;
	const char *path;
	const char *buf;
	size_t len;
	size_t nodes;
	struct yblock *blocks;
	struct ynode **stack; /* children of the nodes being built */
	size_t nstack, astack;
	struct sr_err *err;
};

static void *arena_alloc(struct loader *l, size_t n)
{
	struct yblock *b = l->blocks;
	void *p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!b || b->cap - b->used < n) {
		size_t cap = b && b->cap < 65536 ? 2 * b->cap : 4096;
		if (cap < n)
			cap = n;
		b = xmalloc(sizeof(*b) + cap);
		b->next = l->blocks;
		b->used = 0;
		b->cap = cap;
		l->blocks = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

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
	size_t base = l->nstack;

	for (;;) {
		yaml_event_t ev;
		struct ynode *kid;
		int rc;

		if ((rc = next_event(l, &ev)) < 0)
			return rc;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		if ((rc = load_node(l, &ev, depth + 1, &kid)) < 0)
			return rc;
		SR_GROW(l->stack, l->nstack + 1, l->astack);
		l->stack[l->nstack++] = kid;
	}
	n->n = l->nstack - base;
	n->kids = arena_alloc(l, (n->n ? n->n : 1) * sizeof(*n->kids));
	if (n->n)
		memcpy(n->kids, l->stack + base, n->n * sizeof(*n->kids));
	l->nstack = base;
	return 0;
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
	n = arena_alloc(l, sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->line = (int)mark.line + 1;
	n->col = (int)mark.column + 1;
	if (ev->type == YAML_SCALAR_EVENT) {
		const char *v = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;
		if (memchr(v, '\0', len)) {
			yaml_event_delete(ev);
			return mark_err(l, &mark, "strings must not contain NUL bytes");
		}
		n->type = Y_SCALAR;
		n->str = arena_alloc(l, len + 1);
		memcpy(n->str, v, len);
		n->str[len] = '\0';
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		yaml_event_delete(ev);
		*out = n;
		return 0;
	}
	n->type = ev->type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
	yaml_event_delete(ev);
	if ((rc = load_children(l, n, end, depth)) < 0)
		return rc;
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

int spec_yaml_load(struct ynode **out, const char *path, const char *buf, size_t len,
		   struct sr_err *err)
{
	struct loader l = {.path = path, .buf = buf, .len = len, .err = err};
	const char *nul = len ? memchr(buf, '\0', len) : NULL;
	int rc;

	*out = NULL;
	/* libyaml stops at a NUL byte as if the input ended there. */
	if (nul) {
		size_t line, col;
		offset_pos(buf, len, (size_t)(nul - buf), &line, &col);
		return load_err(&l, line, col, "a spec must be text, found a NUL byte");
	}
	yaml_parser_initialize(&l.parser);
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)(len ? buf : ""), len);
	rc = load_doc(&l, out);
	yaml_parser_delete(&l.parser);
	free(l.stack);
	if (rc < 0 || !*out) {
		struct ynode tmp = {.arena = l.blocks};
		ynode_free(&tmp);
		*out = NULL;
	} else {
		(*out)->arena = l.blocks;
	}
	return rc;
}
