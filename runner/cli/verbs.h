/* Every verb's option table (opts.h), exported from one place so that the
 * parsers in cmd_*.c, `sandrun VERB --help`, `sandrun help VERB`, the global
 * usage and the unit test that walks them all read the same rows. */
#ifndef SR_VERBS_H
#define SR_VERBS_H

#include "runner/cli/opts.h"

/* Option ids, unique across all tables. */
enum {
	O_GLOBAL_CATALOGUE = 1,
	O_GLOBAL_ENGINE,
	O_GLOBAL_LOG_FORMAT,
	O_GLOBAL_VERBOSE,
	O_GLOBAL_QUIET,
	O_GLOBAL_VERSION,
	O_RUN_JOBS,
	O_RUN_SHARD,
	O_RUN_FILTER,
	O_RUN_REPORT,
	O_RUN_PULL,
	O_RUN_CACHE,
	O_RUN_KEEP,
	O_RUN_TIMEOUT_SCALE,
	O_RUN_REPEAT,
	O_RUN_REQUIRE_PINNED,
	O_RUN_OOB_GRACE,
	O_RUN_RUNTIME,
	O_RUN_SECCOMP,
	O_PULL_ALL,
	O_PULL_ALWAYS,
	O_PIN_ALL,
	O_PIN_COMMIT,
	O_PIN_BRANCH,
	O_VERIFY_PULL,
	O_LIST_FORMAT,
	O_LIST_JSON,
	O_MERGE_OUTPUT,
	O_RUN_PULL_TIMEOUT,
	O_REPRO_KEEP,
	O_RUN_REQUIRE_FIREWALL,
	O_MERGE_SUITE,
	O_REPRO_ARTIFACTS,
	O_REPRO_SUITE,
	O_REPRO_ALLOW_CHANGED_SPEC,
	O_DIFF_OUTPUT,
	O_RUN_BASELINE,
	O_RUN_FAIL_ON,
	O_RUN_SOURCE_MAP,
	O_MERGE_BASELINE,
	O_MERGE_SOURCE_MAP,
	O_PIN_DRY_RUN,
	O_PIN_VIA_ENGINE,
	O_PIN_INSECURE,
	O_VERIFY_REMOTE,
	O_VERIFY_VIA_ENGINE,
	O_VERIFY_INSECURE,
	O_NEW_KIND,
	O_NEW_TOOLCHAIN,
};

/* The verbs in the order the usage lists them. */
extern const struct sr_verb_def sr_verbs[];
extern const size_t sr_nverbs;

/* The options main.c reads before or after the verb. */
extern const struct sr_verb_def sr_global_opts;

/* The verb named name ("report" finds "report merge"), or NULL. */
const struct sr_verb_def *verb_find(const char *name);

/* The global usage: every verb with its arguments and summary, then the
 * global options one a line, then the exit codes. */
void verbs_print_usage(FILE *f);

/* What a parser does with OPT_HELP (help on stdout, returns 0) or OPT_BAD
 * (err on stderr, returns 2): the verb's exit code. */
int verb_stop(const struct sr_verb_def *verb, int id, const struct sr_err *err);

#endif
