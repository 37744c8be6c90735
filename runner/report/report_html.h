/* The HTML report (DESIGN §7): one self-contained file — inline CSS and JS,
 * no outside request (a Content-Security-Policy forbids any), readable from
 * file:// offline. Header with the run's metadata and counts, a table of
 * verdicts (mismatches first) that filters by outcome, match, flakiness and
 * harness text and sorts by column, each verdict expanding to its runs'
 * evidence, and a timeline of the runs.
 *
 * Every string of a record is taken from report_record_json(), so tokens
 * are redacted exactly as in the JSON report, then escaped for HTML text and
 * attributes: invalid UTF-8 shows as U+FFFD, NUL and other control
 * characters as their visible Control Pictures (U+2400...), bidi controls as
 * "\u202e". No record byte is ever placed inside <script> or <style>.
 *
 * The filter reads the URL fragment on load and on change, e.g.
 * report.html#outcome=crash&match=mismatch&flaky=1&q=fuzz (outcome may be a
 * comma-separated list); every verdict row (tr.verdict) and its runs row
 * (tr.runs) then carries the hidden attribute when filtered out, and
 * table#verdicts carries data-visible="<rows shown>". */
#ifndef SR_REPORT_HTML_H
#define SR_REPORT_HTML_H

#include "runner/verdict/record.h"
#include "runner/verdict/kofn.h"

/* When and where a run ran, for the timeline. */
struct html_timing {
	uint64_t start_ms; /* since the run started (monotonic) */
	int worker;	   /* 0-based worker lane; -1 unknown */
};

struct html_opts {
	/* Absolute directory the HTML file is written to: artifacts link
	 * relative to it. NULL: artifacts are listed without links. */
	const char *base_dir;
	/* Directory relative artifact_dir values are resolved against; NULL:
	 * the process's working directory. */
	const char *cwd;
	/* n entries parallel to recs, or NULL when the records carry no start
	 * times: the timeline then shows each run's duration only. */
	const struct html_timing *timing;
	/* CSP nonce of the page's one script (hex); NULL: a fresh random one. */
	const char *nonce;
};

/* Append the whole HTML document to out. v[0..nv) are the verdicts of
 * recs[0..n) (verdicts_build); opts may be NULL. Returns 0, or SR_EFAIL
 * with err set when no random nonce could be had. */
int report_html_write(struct strbuf *out, const struct run_meta *meta, const struct record *recs,
		      size_t n, const struct verdict *v, size_t nv, const struct html_opts *opts,
		      struct sr_err *err);

/* report_html_write() to path atomically, artifacts linked relative to
 * path's directory. timing as in struct html_opts. Returns 0 or a negative
 * sr_code. */
int report_html_write_file(const char *path, const struct run_meta *meta, const struct record *recs,
			   size_t n, const struct verdict *v, size_t nv,
			   const struct html_timing *timing, struct sr_err *err);

/* The page's style sheet and script (report_html_assets.c). */
extern const char report_html_style[], report_html_script[];

/* For other pages in the report's look (diff_html.c): h_esc's escaping
 * (text and quoted attributes) and the page's stylesheet. */
struct strbuf;
void report_html_escape(struct strbuf *sb, const char *s);
const char *report_html_css(void);

#endif
