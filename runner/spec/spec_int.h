/* Private to the spec modules: the position-keeping YAML tree that the
 * libyaml adapter (spec_yaml.c) builds and the validator (spec_validate.c)
 * reads. No libyaml type appears here. */
#ifndef SR_SPEC_INT_H
#define SR_SPEC_INT_H

#include "lib/util.h"

struct spec; /* spec.h: the internal header sits below it, no circle */

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
#define SPEC_MAX_DEPTH 32
#define SPEC_MAX_NODES 20000

/* Largest spec file spec_load reads (DESIGN §4). */
#define SPEC_MAX_BYTES (1u << 20)

/* Parse buf (len bytes, one YAML document) into *out; anchors, aliases, NUL
 * bytes, more than one document and trees beyond the bounds above are
 * refused with "path:line:col: what" and SR_EINVAL. */
int spec_yaml_load(struct ynode **out, const char *path, const char *buf, size_t len,
		   struct sr_err *err);
void ynode_free(struct ynode *n);

/* Fill s (defaults already set, s->path and s->dir filled) from root, checking
 * every key of DESIGN §4; dir is the realpath relative paths resolve against. */
int spec_validate(struct spec *s, const struct ynode *root, struct sr_err *err);

#endif
