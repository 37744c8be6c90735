/* Reading sanitizer and libFuzzer reports out of a harness's output, so a
 * crash record says what broke and where (DESIGN §7 `crash` and `fuzz`).
 * Pure: no I/O, any bytes accepted (NULs, invalid UTF-8, reports cut at
 * either end, as output tails are).
 *
 * The signature groups crashes that are the same bug (ClusterFuzz's "crash
 * state"): "TYPE|F1|F2|F3", the bug type and the top three frames that are
 * not in the sanitizer or fuzzer runtime or the C library, innermost first,
 * fewer when the stack has fewer. A frame is written as
 *   - its function name without a C++ parameter list ("dns::Reader<int>::at"),
 *   - when unsymbolised, "MODULE+0xOFFSET" with MODULE the file name of the
 *     module (the offset inside the module does not move with ASLR, so it is
 *     stable across runs of one binary, not across builds),
 *   - when only a source location is known (UBSan without a stack),
 *     "FILE:LINE" with FILE the base name (stable for one build).
 * Addresses, pids, thread ids and sizes never appear in it. Frames below
 * LLVMFuzzerTestOneInput (the fuzzer driver) never count. A symbolised and
 * an unsymbolised report of one bug therefore have different signatures:
 * the unsymbolised one has no names to share. */
#ifndef SR_CRASHPARSE_H
#define SR_CRASHPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define CRASH_MAX_FRAMES 16

struct crash_frame {
	char *function; /* as printed, C++ parameters included; "" when unsymbolised */
	char *file;	/* source file, NULL when not printed */
	int line;	/* 0 when not printed */
	char *module;	/* "fuzz_target+0x4f2a1c" (base name + offset), NULL when not printed */
	bool runtime;	/* in the sanitizer/fuzzer runtime or libc: not in the signature */
};

struct crash_info {
	const char *tool; /* static: "AddressSanitizer", "UndefinedBehaviorSanitizer",
			     "MemorySanitizer", "LeakSanitizer", "ThreadSanitizer",
			     "HWAddressSanitizer" or "libFuzzer"; NULL when none */
	char *type;	  /* "heap-buffer-overflow", "signed-integer-overflow", "timeout", ... */
	char *access;	  /* "WRITE of size 1", "READ" (SEGV), or NULL */
	/* The crashing stack, from its first frame outside the runtime (from
	 * #0 when every frame is in the runtime), at most CRASH_MAX_FRAMES. */
	struct crash_frame frames[CRASH_MAX_FRAMES];
	size_t nframes;
	char *summary;	 /* the SUMMARY: line after "SUMMARY: ", or NULL */
	char *signature; /* see the top of this file */
};

/* Find the report in a run's output and fill *out (always initialised, to
 * zeroes when nothing is found; release it either way). stderr is read
 * first, stdout when stderr holds no report. Within one stream the first
 * fatal report (an ERROR: line of a sanitizer or libFuzzer, or a
 * MemorySanitizer WARNING) wins over UBSan runtime errors and ThreadSanitizer
 * warnings, which can precede it without ending the process. When the report's
 * first line was cut off, a SUMMARY: line still gives tool, type and the top
 * frame. Returns 1 when a report was found, 0 when none. */
int crash_parse(struct crash_info *out, const char *stdout_buf, size_t stdout_len,
		const char *stderr_buf, size_t stderr_len);

/* Free what ci owns and zero it. NULL-safe, idempotent. */
void crash_info_release(struct crash_info *ci);

/* Append ci as a compact JSON object: {"tool","type","access","frames":
 * [{"function","file","line","module"}...],"summary","signature"}; absent
 * strings and line 0 are null. Runtime frames inside the stack are kept. */
void crash_info_json(struct strbuf *out, const struct crash_info *ci);

/* What a libFuzzer run says about itself. A field is meaningful only when
 * its has_ flag is set. */
struct fuzz_stats {
	uint64_t execs;		 /* inputs run */
	uint64_t exec_per_s;	 /* average */
	uint64_t cov;		 /* coverage points */
	uint64_t ft;		 /* features */
	uint64_t corpus;	 /* inputs in the corpus */
	uint64_t peak_rss_mb;	 /* peak resident memory */
	uint64_t initial_corpus; /* inputs kept when loading finished (the INITED line's corp:) */
	uint64_t seed_files;	 /* inputs read at start ("INFO: seed corpus: files: N") */
	bool has_execs, has_exec_per_s, has_cov, has_ft, has_corpus, has_peak_rss_mb;
	bool has_initial_corpus, has_seed_files;
};

/* Read libFuzzer's stats from its output (normally stderr): the final
 * `stat::` lines (-print_final_stats=1) give execs, exec_per_s and
 * peak_rss_mb; the last status line (`#N DONE cov: X ft: Y corp: A/Bb ...
 * exec/s: Z rss: RMb`, or the last `#N NEW|REDUCE|pulse|...` when the run was
 * cut short) gives cov, ft and corpus, and execs, exec_per_s and peak_rss_mb
 * (the highest rss seen) when no stat:: line did. Numbers saturate at
 * UINT64_MAX. Returns 1 when any field was found, else 0 (*out zeroed). */
int fuzzstats_parse(struct fuzz_stats *out, const char *buf, size_t len);

/* Append fs as a compact JSON object {"execs","exec_per_s","cov","ft",
 * "corpus","peak_rss_mb","initial_corpus","seed_files"}, absent fields
 * null. initial_corpus and seed_files say what a run started from: a
 * persistent corpus (spec `corpus`) shows in them on the next night. */
void fuzzstats_json(struct strbuf *out, const struct fuzz_stats *fs);

#endif
