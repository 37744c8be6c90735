/* What a finished run leaves besides its verdict (DESIGN §4 collect, §7
 * crash and fuzz): the crash report and libFuzzer's stats read from the full
 * captured output, the `collect` globs and libFuzzer's reproducers copied out
 * of /work within the run's artifact budget, and the full output kept as
 * artifacts when the run is worth a second look. */
#ifndef SR_RESULTS_H
#define SR_RESULTS_H

#include "lib/fsutil.h"
#include "runner/verdict/record.h"
#include "runner/spec/spec.h"

/* Fill rec->crash_json and rec->signature when rec's outcome is crash and
 * the output holds a sanitizer or libFuzzer report (cause becomes its
 * SUMMARY: line when it has one), and rec->fuzz_json when the output holds
 * libFuzzer's stats, whatever the outcome. out and err are the whole
 * captures (up to limits.output each). The crash object gains
 * "location": {"file", "line"} (results_source_path of the top frame outside
 * the runtime) when that source is found on the host. */
void results_parse(struct record *rec, const struct spec *s, const struct strbuf *out,
		   const struct strbuf *err);

/* Where the source file a report names (as compiled: "/work/x.c",
 * "/src/fuzz_target.c") is on the host: under s's workdir for /work paths,
 * else its base name in the workdir or the spec's directory; only a regular
 * file that resolves inside those directories counts (any other host path
 * a forged frame names is never looked at). NULL when none. Caller frees. */
char *results_source_path(const struct spec *s, const char *file);

/* Where libFuzzer writes its reproducers, relative to /work: the
 * -artifact_prefix= of command ("out/" for "/work/out/", "" when absent, as
 * the harness runs in /work). NULL when the prefix is outside /work. Caller
 * frees. */
char *results_fuzz_prefix(const struct strvec *command);

/* Copy s->collect's matches, and libFuzzer's reproducers (crash-*,
 * timeout-*, oom-*, leak-* under the artifact prefix) when rec's outcome is
 * crash, timeout or oom, from work to dest, within b. Relative paths go to
 * rec->evidence.artifacts (a file matched twice once), artifact_dir is set
 * when something was copied, artifacts_dropped counts what b left out. */
int results_collect(struct record *rec, const struct spec *s, const char *work, const char *dest,
		    struct fs_budget *b, struct sr_err *err);

/* Whether a run ending as rec did keeps its full output: crash, confirmed,
 * timeout, oom, error, or an outcome that differs from the expected one. */
bool results_keep_output(const struct record *rec);

/* When results_keep_output(rec): write out and err to dest/stdout.txt and
 * dest/stderr.txt and name them in rec (artifact_dir set to dest when
 * unset). Failures are logged, never fatal: the tails stay in the record. */
void results_save_output(struct record *rec, const char *dest, const struct strbuf *out,
			 const struct strbuf *err);

#endif
