/* The shard side of `sandrun run` and `sandrun report merge`: the --shard
 * value, the default report names of a shard, and the suite fingerprint of
 * a loaded suite. Thin glue over shard.h (which stays pure). */
#ifndef SR_RUN_SHARD_H
#define SR_RUN_SHARD_H

#include "runner/cli/cli.h"
#include "runner/cli/shard.h"

/* The value of `--shard`: "auto" reads the process environment
 * (shard_from_env), anything else is K/N (shard_parse). Returns 0 and fills
 * out, or SR_EINVAL with a message naming the option or the variables. */
int run_shard_option(struct shard *out, const char *value, struct sr_err *err);

/* The file a report gets when its PATH is a directory (ends in '/'):
 * DIR/sandrun-KofN.EXT for shard K of N, DIR/sandrun.EXT without one (s NULL
 * or count 0); ext is its format's (report_formats). Caller frees. */
char *run_report_default_path(const char *dir, const char *ext, const struct shard *s);

/* Whether a report PATH names a directory: it ends in '/'. */
bool run_report_is_dir(const char *path);

/* suite_fingerprint() of every spec of su (valid or not) relative to
 * cli_suite_root(paths), with the catalogue hash: from the bytes read while
 * loading (su->fp) when they came in order, else by reading the files. */
int run_suite_fingerprint(char **out_hex, const struct cli_suite *su, const struct strvec *paths,
			  const char *catalogue_hash, struct sr_err *err);

#endif
