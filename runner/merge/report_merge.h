/* `sandrun report merge` past one machine (DESIGN §2): which shard each input
 * report is, the refusals (different suites, duplicate shards, mixed
 * counts), the `error` records that stand for a missing shard, and writing
 * the merged report in several formats. The checks and the records are pure
 * functions over parsed reports (merge_shards.c); report_merge.c reads and
 * writes the files. */
#ifndef SR_REPORT_MERGE_H
#define SR_REPORT_MERGE_H

#include "lib/jsonparse.h"
#include "runner/report/report.h"
#include "runner/verdict/record.h"

/* What one input report says about its shard. */
struct merge_input {
	const char *path;
	unsigned index, count;	 /* run.shard; 0/0 when null (not sharded) */
	bool whole;		 /* a merged report of all `count` shards (index 0) */
	const char *fingerprint; /* run.fingerprint, borrowed from the doc; NULL: none */
};

/* Read run.shard ({"index": K, "count": N}, "K/N" or null) and
 * run.fingerprint (string or null) of doc into out (path borrowed for
 * messages). A report that is itself a merge of N shards (run.shards
 * {"count": N}) is `whole`: it stands for every shard 1..N, its missing ones
 * already turned into error records. Malformed: SR_EINVAL "path:line:col: what". */
int merge_input_read(struct merge_input *out, const char *path, const struct json_value *doc,
		     struct sr_err *err);

/* A harness x payload the whole suite holds, from --suite DIR. */
struct merge_run {
	const char *harness;
	const char *payload;
	const char *spec_path;
};

struct merge_suite {
	const struct merge_run *runs;
	size_t n;
	const char *fingerprint; /* the suite's own; NULL: not known */
	/* When fingerprint is NULL and root is set, report_merge_outputs
	 * computes it from these spec files with the catalogue hash the shards
	 * recorded (run.catalogue.xxh64 of the first sharded input), so a
	 * catalogue edited after the shards ran does not read as another suite
	 * (the shards' own fingerprints still have to agree). */
	const char *root;
	const char *const *spec_paths;
	size_t nspecs;
};

/* Check the sharded inputs (count != 0) of in[0..n) belong together: every
 * fingerprint present is the same (and equals suite->fingerprint when both
 * are known), every count is the same, no index appears twice (a whole
 * input holds every index). Unsharded
 * inputs take no part. On success *out_count is N (0 when nothing is
 * sharded) and *out_missing the ascending indexes 1..N no input has
 * (*out_nmissing of them; caller frees). Refusals are SR_EINVAL naming the
 * two reports that disagree. */
int merge_check_shards(unsigned **out_missing, size_t *out_nmissing, unsigned *out_count,
		       const struct merge_input *in, size_t n, const struct merge_suite *suite,
		       struct sr_err *err);

/* The records that stand for shard index/count, which wrote no report: one
 * `error` record (phase "collect") per run of suite whose harness the shard
 * selects (shard_selects), or, when suite is NULL, one `error` record whose
 * harness is "shard-KofN" and whose cause names the missing shard. Appends
 * to *recs (*nrecs entries, grown with SR_GROW via *arecs). */
void merge_missing_records(struct record **recs, size_t *nrecs, size_t *arecs, unsigned index,
			   unsigned count, const struct merge_suite *suite);

/* `report merge --baseline REPORT`: the earlier report's records. */
struct merge_baseline {
	const struct record *recs;
	size_t n;
	const char *label;  /* the path given */
	const char *run_id; /* NULL: unknown */
};

/* One -o FMT:PATH of `report merge`. */
struct merge_output {
	const struct report_format *fmt;
	const char *path;
	/* junit, sarif, html: compared with this baseline (run_meta.baseline;
	 * SARIF baselineState), NULL: none. json stays the plain merge. */
	const struct merge_baseline *baseline;
	const struct strvec *source_map; /* --source-map FROM=TO, or NULL */
};

/* Merge the reports in_paths (see report_merge in report.h) with the shard
 * checks above and the missing shards' records, and write every output.
 * *out_failed is the merged report's failed count (records for which
 * record_failed holds, missing shards included). Returns 0 or a negative
 * SR_E* code; on a refusal nothing is written. */
int report_merge_outputs(size_t *out_failed, const struct merge_output *outs, size_t nout,
			 const char *const *in_paths, size_t nin, const struct merge_suite *suite,
			 struct sr_err *err);

#endif
