/* Reports of a run (DESIGN §7): the JSON report, JUnit XML, SARIF 2.1.0, the
 * console lines, and `sandrun report merge`. Every writer leaves out
 * record.token and replaces any occurrence of it (in any letter case) in
 * record strings with "<token>": the harness chooses what ends up in its
 * output and evidence. One file per format: report_json.c, report_junit.c,
 * report_sarif.c, report_console.c, report_merge.c; shared helpers in
 * report_util.c (report_int.h). */
#ifndef SR_REPORT_H
#define SR_REPORT_H

#include <stdio.h>

#include "runner/verdict/record.h"

/* The tool's home page, written into SARIF's tool.driver.informationUri. */
#ifndef SR_INFORMATION_URI
#define SR_INFORMATION_URI "https://github.com/sandrun/sandrun"
#endif

/* Append r as one compact JSON object (no newline) with the fields of DESIGN
 * §7, in this order: harness, payload, outcome, expected, match, phase,
 * cause, exit_code, signal, duration_ms, fired ("k/n"), image, pinned,
 * cached, isolation, evidence {oob, stubs, untokened (hits without the
 * token from the run's own network), stdout_tail, stderr_tail,
 * artifacts, artifact_dir (where they were copied on the host), stdout_file,
 * stderr_file (full output, relative to artifact_dir), artifacts_dropped},
 * crash (crashparse.h's object, with signature) and fuzz (libFuzzer's
 * stats), null when absent, repro, then
 * spec (the spec path), container and repeat (1-based: the k-th run of this
 * payload). expected, phase (unless the outcome is error), exit_code (-1),
 * signal (0) and absent strings are null; match is !record_failed(r). oob and
 * stubs are r's raw JSON arrays, re-serialized compactly; a value that is not
 * a valid JSON array is kept as a one-string array of its text rather than
 * dropped. */
void report_record_json(struct strbuf *out, const struct record *r);

/* Write {"run": {...}, "records": [...]} to path atomically: one run field a
 * line, one record a line. run holds run_id, sandrun_version, started,
 * finished (ISO 8601 UTC; null when 0), host, engine, engine_version,
 * catalogue {path, xxh64}, git {head, dirty}, interrupted, shard ({"index": k,
 * "count": n} or null), fingerprint (the suite's, shard.h; null when
 * unknown), counts {error, confirmed, crash, oom, timeout, not_confirmed},
 * total, failed (records for which record_failed() holds), unattributed
 * (m's raw JSON array, [] when NULL) and crash_groups (crash records grouped
 * by signature: [{signature, runs, first}]); after "records", "verdicts": one
 * verdict_json() a line (verdicts.h). Returns 0 or a negative sr_code. */
int report_write_json(const char *path, const struct run_meta *m, const struct record *recs,
		      size_t n, struct sr_err *err);

/* Write JUnit XML to path atomically: <testsuites> with one <testsuite
 * name="sandrun"> and one <testcase classname="<harness>"
 * name="<harness>[<payload>]"> per verdict ("[<payload>]" left out for the
 * implicit payload ""). A mismatched verdict is a <failure type="mismatch"
 * message="expected X, got Y (fired k/n, confirm K)">, an error verdict
 * without expectation an <error type="<phase>">, with the details of its
 * representative run; the runs' stdout and stderr tails go to <system-out>
 * and <system-err> (each under a "--- run #k (seq S): outcome, Nms ---" line
 * when the verdict has several runs). Characters XML 1.0 forbids are dropped, invalid UTF-8 becomes
 * U+FFFD. Returns 0 or a negative sr_code. */
int report_write_junit(const char *path, const struct run_meta *m, const struct record *recs,
		       size_t n, struct sr_err *err);

/* Write a SARIF 2.1.0 log to path atomically: one run, tool.driver "sandrun"
 * with one rule per distinct harness (id = harness name, in first-seen
 * order), and one result per verdict (verdicts.h) whose outcome is
 * confirmed or crash, told by its representative run,
 * located at the spec file (relative to %SRCROOT%, the working directory;
 * line 1) with partialFingerprints["sandrunRun/v1"] = the XXH64 (lib/hash.h) of
 * harness and payload, 16 hex characters. Returns 0 or a negative sr_code. */
int report_write_sarif(const char *path, const struct run_meta *m, const struct record *recs,
		       size_t n, struct sr_err *err);

/* The one token redaction: a copy of s with every occurrence of tok (the
 * run's token; any letter case, it is hex) replaced by "<token>", as every
 * report and `repro` print it; NULL for NULL. tok NULL or empty: a plain
 * copy. Caller frees. */
char *report_redact(const char *s, const char *tok);

/* The report formats, one row each: the FORMAT of --report FORMAT:PATH and
 * of `report merge -o`, the extension of its default file name (PATH/ gives
 * PATH/sandrun.EXT), and its writer. live: recs are this invocation's own
 * runs (their start times and workers are known: the HTML timeline). */
struct report_format {
	const char *name;
	const char *ext;
	int (*write)(const char *path, const struct run_meta *m, const struct record *recs,
		     size_t n, bool live, struct sr_err *err);
};
extern const struct report_format report_formats[]; /* json first */
extern const size_t report_nformats;
/* The format called name (its first len bytes; (size_t)-1: all), or NULL. */
const struct report_format *report_format_find(const char *name, size_t len);
#define REPORT_FORMAT_NAMES "json, junit, sarif or html"

/* One line for a finished run, e.g.
 * "  ok    cmdi-ping[exploit]#1  confirmed      812ms  oob http GET /<token> ..." or
 * "  FAIL  cmdi-ping[benign]#1   timeout      10003ms  expected not_confirmed, got timeout";
 * color adds ANSI colors. Control characters in record text are replaced so a
 * harness cannot drive the terminal. */
void report_console_line(FILE *f, const struct record *r, bool color);

/* A table of verdicts (verdicts_build, each record's own confirm) per
 * outcome with matched and mismatched counts, the number of runs and flaky
 * verdicts when they differ, then the failed verdicts one a line. */
void report_console_summary(FILE *f, const struct record *recs, size_t n);

/* "N crashes, M unique" and one line per signature with its run count and
 * first run; nothing when no record crashed. */
void report_console_crashes(FILE *f, const struct record *recs, size_t n);

/* Read back what report_record_json wrote for this fields from a
 * parsed record: crash (and its signature), fuzz, evidence.stdout_file,
 * stderr_file, artifacts_dropped, engine_argv. For anything that turns a
 * JSON record into a struct record again (the result cache, merges). */
struct json_value;
void report_read_crash_fields(struct record *r, const struct json_value *rec);

/* `sandrun report merge`: read the JSON reports in_paths (as written by
 * report_write_json), concatenate their records in input order and write the
 * result to out_path atomically. run is the first input's, with counts,
 * total and failed recomputed, started the earliest and finished the latest
 * of the inputs, interrupted if any input was, shard null, unattributed the
 * concatenation, and "merged_from" the inputs' run ids (flattened when an
 * input is itself a merge); "verdicts" the inputs' verdicts concatenated,
 * their seq moved to the merged record order (shards keep every run of a
 * verdict in one input). Malformed input is SR_EINVAL with
 * "file:line:col: what". */
int report_merge(const char *out_path, const char *const *in_paths, size_t nin, struct sr_err *err);

#endif
