/* What changed between two nights: `sandrun report diff OLD NEW` and
 * `sandrun run --baseline REPORT` (issue 21). Both reports are read with
 * report_read (untrusted input: no path found in a report is ever opened);
 * the comparison is pure over their records. Writers: diff.c (console,
 * JSON), diff_md.c (markdown for a pull-request comment or GitHub's step
 * summary), diff_html.c (the HTML report's look with the diff's columns and
 * filters). */
#ifndef SR_REPORT_DIFF_H
#define SR_REPORT_DIFF_H

#include <stdio.h>

#include "runner/verdict/record.h"

/* What happened to one harness x payload verdict, the first that applies. */
enum diff_change {
	DIFF_UNCHANGED,
	DIFF_NEW_CONFIRMED,   /* confirmed now, not before (or new harness x payload) */
	DIFF_FIXED,	      /* confirmed before, not now */
	DIFF_NEWLY_FLAKY,     /* 0 < k < n now, not before */
	DIFF_OUTCOME_CHANGED, /* another outcome */
	DIFF_ADDED,	      /* not in the old report (and not confirmed) */
	DIFF_REMOVED,	      /* not in the new report */
};
#define DIFF_NCHANGES (DIFF_REMOVED + 1)

/* "unchanged", "new_confirmed", "fixed", "newly_flaky", "outcome_changed",
 * "added", "removed". */
const char *diff_change_name(enum diff_change c);

struct diff_fuzz_side {
	bool has;			     /* the verdict had libFuzzer stats */
	bool has_execs, has_cov, has_corpus; /* which fields */
	bool has_initial;
	uint64_t execs, cov, corpus; /* the last run's (corpus: its final corpus) */
	uint64_t initial;	     /* what it started from (fuzz.initial_corpus) */
};

struct diff_row {
	char *harness, *payload;
	enum diff_change change;
	enum outcome old_outcome, new_outcome; /* OUTCOME_NONE: absent on that side */
	enum outcome expected;		       /* the new side's (the old's when removed) */
	unsigned old_fired, old_runs, new_fired, new_runs;
	bool old_flaky, new_flaky;
	bool regression;     /* see report_diff_build */
	char *cause;	     /* the new verdict's representative run (old's when removed) */
	char *signature;     /* its crash signature, or NULL */
	char *old_signature; /* the old verdict's, or NULL */
	char *spec_path;     /* the new verdict's spec (the old's when removed), or NULL */
	bool new_error;	     /* error now, not before, and not expected */
	struct diff_fuzz_side fuzz_old, fuzz_new;
};

/* A crash signature seen in either report. */
struct diff_sig {
	char *signature;
	char *first; /* "<harness>[<payload>]#k" of its first run on the side that has it */
	size_t runs; /* runs with it on that side (new's when in both) */
	int state;   /* 1: new, -1: gone, 0: in both */
};

struct report_diff {
	struct diff_row *rows;
	size_t nrows;
	struct diff_sig *sigs;
	size_t nsigs;
	size_t counts[DIFF_NCHANGES];
	size_t new_sigs, gone_sigs, new_errors;
	size_t regressions;	     /* rows with regression, plus new signatures */
	char *old_id, *new_id;	     /* the reports' run ids (NULL: unknown) */
	char *old_label, *new_label; /* what to call them: the paths given */
};

/* Compare two reports' records. A regression is a verdict that newly
 * confirms where its expect says otherwise (expected set and not
 * confirmed), a crash signature the old report does not have, or a verdict
 * newly in error that did not expect it; report_diff_build counts them in
 * d->regressions (a new signature once, however many verdicts hit it).
 * Rows: the new report's verdicts in order, then the removed ones. */
void report_diff_build(struct report_diff *d, const struct record *old, size_t nold,
		       const struct record *cur, size_t ncur);
void report_diff_release(struct report_diff *d);

/* Read the reports at old_path and new_path (report_read) and compare them;
 * labels are the paths. Malformed input is SR_EINVAL "file:line:col: what". */
int report_diff_files(struct report_diff *d, const char *old_path, const char *new_path,
		      struct sr_err *err);

/* The console text: a headline of counts, then one line per change (never
 * unchanged rows), new and gone signatures, fuzz stats side by side. Every
 * string from a report is made terminal-safe (rep_term_text). */
void report_diff_console(FILE *f, const struct report_diff *d, bool color);

/* {"old": {run_id,label}, "new": {...}, "regressions": n, "counts": {...},
 * "verdicts": [{harness, payload, change, old, new, expected, old_fired,
 * new_fired, old_flaky, new_flaky, regression, new_error, cause, signature,
 * fuzz: {old: {execs,cov,corpus}|null, new: ...}|null}], "signatures":
 * [{signature, state: new|gone|unchanged, runs, first}]}. */
void report_diff_json(struct strbuf *sb, const struct report_diff *d);

/* GitHub-flavoured markdown: a headline, a table of changed verdicts
 * (regressions first), signatures, fuzzing, and a collapsed table of the
 * unchanged. Report strings are escaped for markdown tables and HTML
 * (|, <, >, &, `, control characters) and cut to a bounded length. */
void report_diff_markdown(struct strbuf *sb, const struct report_diff *d);

/* A self-contained HTML page (report_html.h's look and CSP) with one row per
 * verdict, the diff's columns, and filters by change, regression and text
 * (URL fragment #change=fixed&regression=1&q=...). Returns 0 or SR_EFAIL. */
int report_diff_html(struct strbuf *sb, const struct report_diff *d, struct sr_err *err);

/* Write a diff in fmt ("json", "markdown", "html") to path atomically. */
int report_diff_write(const char *fmt, const char *path, const struct report_diff *d,
		      struct sr_err *err);

/* Baseline marks for `run --baseline`: the state of the verdict
 * harness x payload against d ("new" when added, newly confirmed, newly
 * crashing or otherwise changed for the worse; "fixed" for removed or
 * fixed; "unchanged" otherwise), and of a crash signature ("new",
 * "unchanged"; NULL when d has no such signature). */
const char *report_diff_verdict_state(const struct report_diff *d, const char *harness,
				      const char *payload);
const char *report_diff_sig_state(const struct report_diff *d, const char *signature);

/* SARIF's baselineState of a finding (confirmed or crash verdict) of the
 * current run: "new" (no finding there before, or a crash signature the
 * baseline does not have), "unchanged" (the same outcome and signature),
 * "updated" (a finding before, another now). */
const char *report_diff_result_state(const struct report_diff *d, const char *harness,
				     const char *payload, enum outcome o, const char *signature);

/* Whether row r was a finding in the baseline that the current run no longer
 * has (SARIF "absent"). */
bool report_diff_row_absent(const struct diff_row *r);

/* For the JSON report of `run --baseline`: run.crash_groups with each
 * group's "baseline" (new, unchanged; the baseline's groups that are gone
 * follow with runs 0 and "fixed"), and run.baseline {report, run_id,
 * regressions, verdicts: [{harness, payload, baseline, change,
 * regression}]} (every verdict of either side). */
void report_diff_json_groups(struct strbuf *sb, const struct record *recs, size_t n,
			     const struct report_diff *d);
void report_diff_json_baseline(struct strbuf *sb, const struct report_diff *d);

#endif
