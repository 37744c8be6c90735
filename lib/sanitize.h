/* The one sanitiser for diagnostics: every string that came from a spec, a
 * report or a container reaches the terminal through it. Control bytes
 * (C0, DEL, the C1 range some terminals obey as CSI) and bytes that are not
 * valid UTF-8 are shown escaped ("\x1b", "\u009b"), so a crafted cause or
 * fingerprint cannot drive the terminal. */
#ifndef SR_SANITIZE_H
#define SR_SANITIZE_H

#include <stdio.h>

#include "lib/util.h"

enum {
	SR_SAN_KEEP_NL = 1, /* newlines and tabs kept (multi-line diagnostics) */
};

/* Append s sanitised to sb, at most max bytes of it (0: no limit; a cut
 * string ends in "..."). */
void sr_sanitize(struct strbuf *sb, const char *s, size_t max, int flags);

/* s sanitised, as a new string. */
char *sr_sanitized(const char *s, int flags);

/* fputs of s sanitised. */
void sr_fputs_safe(const char *s, FILE *f);

#endif
