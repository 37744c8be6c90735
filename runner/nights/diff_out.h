/* A report diff (runner/report/diff.h) written out: the console and JSON
 * (diff_text.c), markdown for a pull-request comment or GitHub's step
 * summary (diff_md.c), HTML in the report's look with the diff's columns and
 * filters (diff_html.c). */
#ifndef SR_DIFF_OUT_H
#define SR_DIFF_OUT_H

#include <stdio.h>

#include "runner/report/diff.h"

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

#endif
