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
	size_t n;
	void *arena; /* the root only: the blocks every node of the tree lives in */
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
/* Free the tree of a root spec_yaml_load gave (every node at once). */
void ynode_free(struct ynode *root);

/* spec_parse with the spec's directory already resolved (real_dir: its
 * realpath, which discovery knows without asking the kernel again). */
int spec_parse_real(struct spec *out, const char *path, const char *real_dir, const char *buf,
		    size_t len, struct sr_err *err);

/* Fill s (defaults already set, s->path and s->dir filled) from root, checking
 * every key of DESIGN §4; dir is the realpath relative paths resolve against. */
int spec_validate(struct spec *s, const struct ynode *root, struct sr_err *err);

/* The validator's context and typed readers (spec_get.c), private to
 * runner/spec/: each returns 0 or SR_EINVAL with "file:line:col: what". */
#define MAX_DEPTH SPEC_MAX_DEPTH
#define MAX_NAME  128

struct ctx {
	const char *path;
	const char *dir; /* realpath of the spec's directory */
	struct sr_err *err;
};

int verr(struct ctx *c, const struct ynode *n, const char *fmt, ...) SR_PRINTF(3, 4);
bool is_null(const struct ynode *n);
const char *type_word(const struct ynode *n);
int want_map(struct ctx *c, const struct ynode *n, const char *what);
int check_keys(struct ctx *c, const struct ynode *m, const char *const *known, const char *what);
const struct ynode *get(const struct ynode *m, const char *key);
int get_str(struct ctx *c, const struct ynode *n, const char *key, bool nonempty, char **out);
int get_bool(struct ctx *c, const struct ynode *n, const char *key, bool *out);
bool is_digit(char ch);
int get_int(struct ctx *c, const struct ynode *n, const char *key, long lo, long hi, long *out);
bool valid_name(const char *s);
bool valid_stub_name(const char *s);
bool valid_env_name(const char *s);
int get_duration(struct ctx *c, const struct ynode *n, const char *key, uint64_t *out);
int get_size(struct ctx *c, const struct ynode *n, const char *key, uint64_t *out);
int get_number(struct ctx *c, const struct ynode *n, const char *key, double *out);
bool path_within(const char *dir, const char *p);
bool lexically_escapes(const char *rel);
int get_path(struct ctx *c, const struct ynode *n, const char *key, bool want_dir, char **out);
int get_corpus(struct ctx *c, const struct ynode *n, char **out);

#endif
