/* Private to the report writers (report_*.c): the helpers they share. The
 * public API is report.h. */
#ifndef SR_REPORT_INT_H
#define SR_REPORT_INT_H

#include "runner/report/report.h"

#include "lib/jsonparse.h"

#define NOUTCOMES (OUTCOME_NOT_CONFIRMED + 1)

/* outcome_name(o) for a real outcome; NULL for OUTCOME_NONE and anything
 * out of range (a JSON null). */
const char *rep_oname(enum outcome o);
/* For text: never NULL ("?" where rep_oname has none). */
const char *rep_oshow(enum outcome o);
/* The outcome named by s (len bytes, may hold NULs), or OUTCOME_NONE. */
enum outcome rep_outcome_of(const char *s, size_t len);

/* Redact every string and key of a parsed JSON tree in place, keeping keys
 * unique. */
void rep_redact_tree(struct json_value *v, const char *tok);

/* JSON fragments: a redacted string (null for NULL), an outcome (null for
 * none), a raw JSON array from another module re-serialized compactly (kept
 * as a one-string array when it is not one), a string vector, a bool. */
void rep_jstr(struct strbuf *sb, const char *s, const char *tok);
void rep_joutcome(struct strbuf *sb, enum outcome o);
void rep_raw_array(struct strbuf *sb, const char *json, const char *tok);
void rep_jstrvec(struct strbuf *sb, const struct strvec *sv, const char *tok);
const char *rep_jbool(bool b);

/* The report document layout shared by report_write_json and report_merge:
 * one run field a line, one record a line, so that reports diff well. */
void rep_doc_open_run(struct strbuf *sb);
void rep_doc_field_sep(struct strbuf *sb, bool *first);
void rep_doc_field(struct strbuf *sb, bool *first, const char *key);
void rep_doc_open_records(struct strbuf *sb);
void rep_doc_record_sep(struct strbuf *sb, size_t i);
/* Close the records array, then "verdicts": one a line (verdicts_build of
 * recs with each record's own confirm), and the document. */
void rep_doc_verdicts(struct strbuf *sb, const struct record *recs, size_t n);
/* The same with each verdict's "baseline": new|unchanged|fixed against base
 * (diff.h; NULL: none, as rep_doc_verdicts). */
void rep_doc_verdicts_marked(struct strbuf *sb, const struct record *recs, size_t n,
			     const struct report_diff *base);

/* An ISO 8601 UTC string, or null for 0. */
void rep_time(struct strbuf *sb, uint64_t wall_ms);
/* {"error": n, ...} in outcome order. */
void rep_counts(struct strbuf *sb, const size_t counts[NOUTCOMES]);
/* Count records per outcome into counts; returns how many failed. */
size_t rep_tally(const struct record *recs, size_t n, size_t counts[NOUTCOMES]);

/* str as text safe for a terminal through the one sanitiser (lib/sanitize.h:
 * control bytes, C1 and invalid UTF-8 shown escaped), at most max bytes then
 * "..." (report_console.c). */
void rep_term_text(struct strbuf *sb, const char *str, size_t max);

/* The code point of the valid k-byte UTF-8 sequence at s. */
uint32_t rep_utf8_decode(const unsigned char *s, size_t k);
/* "<harness>[<payload>]#<k>" ("[...]" left out for the implicit payload). */
void rep_run_name(struct strbuf *sb, const struct record *r);

/* A raw JSON object from another module (crash, fuzz), redacted and
 * re-serialized; null when absent or not an object. */
void rep_raw_object(struct strbuf *sb, const char *json, const char *tok);

/* Crash runs grouped by signature, in first-seen order (report_crash.c). */
struct rep_crash_groups {
	struct strvec sigs;  /* signature, "(no signature)" when none was parsed */
	struct strvec first; /* the first run of each group, "<harness>[<payload>]#<k>" */
	size_t *counts, acounts;
	size_t crashes; /* crash runs in all */
};
void rep_crash_groups_add(struct rep_crash_groups *g, const char *signature, const char *run);
void rep_crash_groups_records(struct rep_crash_groups *g, const struct record *recs, size_t n);
/* One record of a parsed report (merge). */
void rep_crash_groups_tree(struct rep_crash_groups *g, const struct json_value *rec);
/* [{"signature": ..., "runs": n, "first": ...}, ...] */
void rep_crash_groups_json(struct strbuf *sb, const struct rep_crash_groups *g);
void rep_crash_groups_release(struct rep_crash_groups *g);

#endif
