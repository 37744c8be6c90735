/* Where a crash result points in SARIF (issue 21): the top frame's own
 * file, not the spec's. Private to report_sarif.c. */
#ifndef SR_SARIF_LOC_H
#define SR_SARIF_LOC_H

#include "lib/jsonparse.h"

/* The uriBaseId of source files kept as the build named them (absolute
 * paths outside the repository with no --source-map), declared in
 * originalUriBaseIds as file:///. */
#define SARIF_BUILDROOT "BUILDROOT"

/* Percent-encode everything but unreserved characters and '/'. */
void sarif_uri_path(struct strbuf *sb, const char *s);

/* Append {"uri": ..., "uriBaseId": "%SRCROOT%"} for path relative to cwd
 * when it can be, else an absolute file URI. */
void sarif_file_location(struct strbuf *sb, const char *path, const char *cwd);

/* The artifactLocation of crash's source, for the first frame that names a
 * file and a line (*line set), chosen in this order:
 *   1. the host file the run resolved (crash.location.file) when the frame
 *      is under /work (the workdir) or that file lies under cwd (the
 *      repository): relative to %SRCROOT%;
 *   2. the frame's file when it lies under cwd itself;
 *   3. the frame's file mapped by the first source_map entry "FROM=TO"
 *      whose FROM is a directory prefix of it (TO relative: to %SRCROOT%);
 *   4. the frame's file as given: an absolute path under BUILDROOT, a
 *      relative one under %SRCROOT%.
 * Returns false (nothing appended) when no frame names a file: the caller
 * points at the spec. Strings are redacted with tok. */
bool sarif_crash_location(struct strbuf *sb, int *line, const struct json_value *crash,
			  const char *cwd, const struct strvec *source_map, const char *tok);

#endif
