/* The images.toml model (DESIGN §3): a strict parser of the TOML subset the
 * catalogue uses, validation, image references, and a format-preserving
 * rewrite of digest values. */
#ifndef SR_CATALOGUE_H
#define SR_CATALOGUE_H

#include "lib/util.h"

/* Byte span of a value in the source text (the whole token, quotes included). */
struct cat_span {
	size_t start, end;
	int present;
};

struct cat_entry {
	char *toolchain_id;
	char *base;
	char *toolchain;       /* NULL when absent */
	char *digest;	       /* "" when unpinned or absent */
	char *platform;	       /* NULL when absent */
	char *platform_digest; /* NULL when absent, "" when unpinned */
	char *runtime;	       /* engine runtime (runsc...), NULL: the engine's */
	char *seccomp; /* "default" | "strict" | a profile path (relative: to the file); NULL */
	struct strvec pkg_names, pkg_versions; /* packages, in file order */
	int line, col;			       /* of the [[image]] header */
	struct cat_span base_span, digest_span, platform_digest_span;
	size_t base_line_end;	/* offset just past the newline ending the base line */
	size_t digest_line_end; /* same for the digest line (when digest_span.present) */
};

struct catalogue {
	char *path;
	char *text; /* the original bytes, NUL-terminated */
	size_t len;
	struct cat_entry *entries;
	size_t n;
};

#define CATALOGUE_MAX_BYTES (1024 * 1024)

/* Read path (a regular file of at most CATALOGUE_MAX_BYTES) and parse it. A file that cannot be
 * read is SR_EINVAL too
 * ("cannot open catalogue ..."): the CLI treats it as invalid input. */
int catalogue_load(struct catalogue *out, const char *path, struct sr_err *err);

/* Parse and validate buf (len bytes, need not be NUL-terminated); path only
 * names the file in messages. Every error is SR_EINVAL with err->msg exactly
 * "path:line:col: what" (1-based, columns count code points) pointing at the
 * offending token; on error *out is left released. An empty file, or one
 * with only comments, is a valid empty catalogue. */
int catalogue_parse(struct catalogue *out, const char *path, const char *buf, size_t len,
		    struct sr_err *err);

/* Free everything c owns and zero it; safe on a zeroed or released c. */
void catalogue_release(struct catalogue *c);

/* The entry with toolchain_id id, NULL when there is none. Borrowed from c. */
const struct cat_entry *catalogue_find(const struct catalogue *c, const char *id);

static inline int cat_entry_pinned(const struct cat_entry *e)
{
	return e->digest && e->digest[0];
}

/* The reference a run uses: base@platform_digest when both are pinned,
 * base@digest when pinned, else base. Caller frees. */
char *cat_entry_ref(const struct cat_entry *e);

/* An engine runtime name: [A-Za-z0-9][A-Za-z0-9._-]*. */
bool cat_runtime_valid(const char *s);

/* A digest is "sha256:" followed by 64 lowercase hex digits. */
int cat_digest_valid(const char *d);

/* An image reference as Docker reads it, without a digest:
 * [host[:port]/]path[:tag]. On failure *why (static) says what is wrong. */
int cat_reference_valid(const char *ref, const char **why);

struct cat_update {
	const char *toolchain_id;
	const char *digest;	     /* new digest value, NULL: leave alone */
	const char *platform_digest; /* new platform_digest, NULL: leave alone */
};

/* Rewrite c->text with the given digests, keeping every other byte: existing
 * values are replaced in place (quote style kept; a value already equal is
 * left byte for byte), a missing digest key is inserted on the line after
 * base with the same indentation and line ending, a missing platform_digest
 * after digest. The result always parses again. SR_EINVAL for an unknown or
 * repeated id, an invalid digest, a platform_digest for an entry without a
 * platform or without a digest. *out (NUL-terminated) is owned by the caller. */
int catalogue_rewrite(char **out, size_t *outlen, const struct catalogue *c,
		      const struct cat_update *ups, size_t nups, struct sr_err *err);

#endif
