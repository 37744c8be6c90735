/* Sharding a suite across machines: which shard this process is (from
 * `--shard K/N` or from the batch system that started it), which harnesses
 * belong to it, and the fingerprint that tells `report merge` whether shard
 * reports come from the same suite. Pure: no getenv, no global state. */
#ifndef SR_SHARD_H
#define SR_SHARD_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/util.h"

/* Upper bound on N: far above any array or matrix a scheduler allows. */
#define SHARD_MAX 1000000u

/* Shard K of N, K 1-based as in `--shard K/N` (1 <= index <= count). */
struct shard {
	unsigned index;
	unsigned count;
	/* Static text naming where it came from, for logs: "--shard",
	 * "SANDRUN_SHARD", "slurm", "kubernetes". */
	const char *source;
};

/* Parse "K/N": decimal digits only (no sign, space or leading '+'), 1 <= K <= N
 * <= SHARD_MAX. On success fills out (source "--shard") and returns 0; else
 * SR_EINVAL with a message quoting s. */
int shard_parse(struct shard *out, const char *s, struct sr_err *err);

/* `--shard auto`: read K/N from envp (a NULL-terminated "NAME=value" array,
 * e.g. environ), the first source present winning:
 *   1. SANDRUN_SHARD=K/N                           K as is
 *   2. Slurm array: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_MIN and
 *      SLURM_ARRAY_TASK_MAX (optionally SLURM_ARRAY_TASK_STEP) or
 *      SLURM_ARRAY_TASK_COUNT                      K = (ID - MIN) / STEP + 1,
 *                                                  N = (MAX - MIN) / STEP + 1
 *      so --array=1-8 and --array=0-7 both give 1/8..8/8. When COUNT is also
 *      set it must equal N: a sparse array (--array=1,4,9) has no dense
 *      numbering and is refused.
 *   3. Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based) with
 *      SANDRUN_SHARD_COUNT                         K = INDEX + 1, N = COUNT
 * A source that is present but malformed or inconsistent is an error; it does
 * not fall through to the next. No source at all: SR_EINVAL naming every
 * variable. Returns 0 and fills out, or SR_EINVAL. */
int shard_from_env(struct shard *out, const char *const *envp, struct sr_err *err);

/* Whether harness `name` belongs to shard s: XXH64(name) mod N == K - 1, so
 * all runs of one harness land on one shard, the same on every machine. */
bool shard_selects(const struct shard *s, const char *name);

/* The suite fingerprint, 16 lowercase hex chars in *out_hex (caller frees):
 * XXH64 over the spec files' paths relative to `root` and their contents,
 * sorted by relative path (byte order), then catalogue_hash (NULL counts as
 * ""). Relative paths keep the fingerprint equal across checkouts at
 * different places; sorting makes it independent of the order found. Both
 * root and each spec's directory are resolved with realpath (the file's own
 * name is not, so a symlinked spec counts under its link name); a spec outside
 * root is SR_EINVAL. The same file given twice counts once. An unreadable
 * spec is SR_EFAIL with its path. Only spec files take part, not workdirs.
 * Returns 0 or a negative SR_E* code. */
int suite_fingerprint(char **out_hex, const char *root, const char *const *spec_paths, size_t n,
		      const char *catalogue_hash, struct sr_err *err);

/* The same fingerprint fed while the specs are read, from the bytes read:
 * suite_fp_add once per spec file in the order of their relative paths,
 * with real_dir the file's resolved directory and name its last component.
 * A file out of that order (or twice), outside the root, or a caller that
 * calls suite_fp_break (a file it could not read, or one the list dropped
 * after it was added) breaks the stream: suite_fp_finish then returns -1 and
 * suite_fingerprint must read the files again. Otherwise suite_fp_finish
 * gives the value suite_fingerprint gives (once). */
struct suite_fp;
struct suite_fp *suite_fp_new(const char *root_real);
void suite_fp_add(struct suite_fp *fp, const char *real_dir, const char *name, const char *buf,
		  size_t len);
void suite_fp_break(struct suite_fp *fp);
/* How many files were added (broken or not). */
long suite_fp_files(const struct suite_fp *fp);
int suite_fp_finish(struct suite_fp *fp, const char *catalogue_hash, char **out_hex);
void suite_fp_free(struct suite_fp *fp);

#endif
