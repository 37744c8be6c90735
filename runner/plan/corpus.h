/* Corpora that persist between runs (spec `corpus: DIR`, issue 21).
 *
 * Before a run the corpus directory's files are copied into the run's
 * /work/corpus (a copy: the directory itself is never mounted, so a harness
 * cannot write to it); after the run the files libFuzzer left in
 * /work/corpus are read out of /work with the collect machinery
 * (fs_collect_budget: regular files only, no symlink followed out of /work)
 * and merged back into DIR.
 *
 * Merging is by content hash, not by libFuzzer's -merge=1: each input is
 * stored as DIR/<xxh64 of its bytes, 16 hex digits>, written to a temporary
 * dot-file in DIR and hard-linked to its final name (link(2) is atomic and
 * never replaces an existing file), so
 *   - a file is either absent or complete under its final name;
 *   - two shards or two invocations merging into one DIR at once need no
 *     lock: equal inputs land on the same name (the second link finds it
 *     there), different inputs on different names, nothing is lost;
 *   - no harness binary runs on the host and no extra container run is
 *     needed (-merge=1 would run the target again, per shard, and its
 *     minimisation, judged by one shard's coverage, can drop inputs another
 *     shard needs). A harness that wants a minimised corpus runs -merge=1
 *     itself into /work/corpus.
 * Dot-files are never seeded into a run (a merge in progress elsewhere
 * leaves no half-written input behind for a reader). The corpus is bounded:
 * an input over CORPUS_MAX_FILE_BYTES is skipped, and no input is added once
 * DIR holds CORPUS_MAX_FILES files or CORPUS_MAX_BYTES bytes (concurrent
 * merges may overshoot by what they add at the same moment). */
#ifndef SR_CORPUS_H
#define SR_CORPUS_H

#include <sys/types.h>

#include "runner/spec/spec.h"

#define CORPUS_MAX_FILE_BYTES (1u << 20)
#define CORPUS_MAX_FILES      50000u
#define CORPUS_MAX_BYTES      (256ull << 20)

struct corpus_limits {
	uint64_t max_file_bytes, max_files, max_bytes;
};

struct corpus_stats {
	size_t seeded;	/* files copied into the run */
	size_t added;	/* inputs new to DIR */
	size_t known;	/* inputs DIR already had */
	size_t dropped; /* left out for the bounds */
};

/* The default bounds above. */
void corpus_default_limits(struct corpus_limits *l);

/* Merge every regular file directly under src into dir (created 0755 when
 * missing) by content hash, within l. Returns 0 or a negative sr_code. */
int corpus_merge_dir(const char *dir, const char *src, const struct corpus_limits *l,
		     struct corpus_stats *st, struct sr_err *err);

/* Before a run: copy s->corpus's files (not dot-files) into work/corpus
 * (created when missing; owned by uid when uid != -1, so the harness may add
 * to it). Nothing when s->corpus is NULL or does not exist yet. */
int corpus_seed(const struct spec *s, const char *work, uid_t uid, struct corpus_stats *st,
		struct sr_err *err);

/* After a run: read work/corpus's files out through stage (a private
 * directory of the run, created) and merge them into s->corpus. */
int corpus_merge_back(const struct spec *s, const char *work, const char *stage,
		      struct corpus_stats *st, struct sr_err *err);

#endif
