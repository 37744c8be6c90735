/* `.sandrunignore` (DESIGN §4): gitignore-syntax patterns at the root of a
 * directory given to `sandrun run`, naming files and directories discovery
 * skips. Supported: blank lines and '#' comments, '\' escapes ("\#", "\!",
 * "\ "), trailing spaces trimmed, '!' negation (the last matching pattern
 * wins), a trailing '/' (directories only), a leading or inner '/' anchoring
 * the pattern at the root (otherwise it matches a name at any depth), and
 * the globs '*', '?', '[...]' (none of which match '/') and '**'
 * ("**" + "/" = any leading directories, "/" + "**" = everything inside,
 * "/" + "**" + "/" = zero or more directories). As in git, a file inside an
 * ignored directory cannot be re-included: discovery never enters it. */
#ifndef SR_SPEC_IGNORE_H
#define SR_SPEC_IGNORE_H

#include "lib/util.h"

struct spec_ignore;

/* Patterns from text (len bytes); never fails. */
struct spec_ignore *spec_ignore_parse(const char *text, size_t len);

/* *out gets the patterns of root/.sandrunignore, or an empty set when there is
 * no such file. A .sandrunignore that is not a regular file of at most 1 MiB
 * is SR_EINVAL. */
int spec_ignore_load(struct spec_ignore **out, const char *root, struct sr_err *err);
/* The same for the directory open at dfd; root names it in messages. */
int spec_ignore_load_at(struct spec_ignore **out, int dfd, const char *root, struct sr_err *err);

/* No pattern at all: nothing is ignored. */
bool spec_ignore_empty(const struct spec_ignore *ig);

/* Is rel (relative to the root, '/'-separated, no leading '/') ignored?
 * is_dir says whether rel names a directory. */
bool spec_ignore_match(const struct spec_ignore *ig, const char *rel, bool is_dir);

/* NULL-safe. */
void spec_ignore_free(struct spec_ignore *ig);

#endif
