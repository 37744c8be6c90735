/* sandrun repro reads a report downloaded from CI: every byte of it is
 * hostile. What it may take from a record, checked here: the spec (inside
 * the suite root, same bytes as the record's spec_hash), the image (the
 * catalogue's reference for the spec's toolchain) and the saved input (a
 * plain relative name beneath the artifacts root, only ever read). */
#ifndef SR_REPRO_TRUST_H
#define SR_REPRO_TRUST_H

#include "catalogue/catalogue.h"
#include "runner/spec/spec.h"

/* Load the spec the record names: path (relative paths resolve against
 * suite, default the current directory) must resolve to a regular file
 * inside suite, and its XXH64 must equal want_hash; else SR_EINVAL, unless
 * allow_changed (a changed spec is then named with both hashes on stderr).
 * The spec is parsed from the very bytes that were hashed. */
int repro_load_spec(struct spec *out, const char *suite, const char *path, const char *want_hash,
		    bool allow_changed, struct sr_err *err);

/* The catalogue's reference for s's toolchain into *ref (caller frees);
 * SR_EINVAL when the toolchain is not in the catalogue or the record's
 * image differs (both named). */
int repro_image(char **ref, const struct catalogue *cat, const struct spec *s,
		const char *report_image, struct sr_err *err);

/* Copy the saved input art (a plain relative name) of the record whose
 * artifact_dir is artifact_dir (only its last two components are used:
 * <run id>/<container>) from beneath art_root to dest/art, never following
 * a link and never removing anything there. */
int repro_copy_input(const char *art_root, const char *artifact_dir, const char *art,
		     const char *dest, struct sr_err *err);

#endif
