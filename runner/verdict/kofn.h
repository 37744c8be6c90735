/* Verdicts (DESIGN §7): one per harness x payload, its runs aggregated k-of-n.
 * Pure: no I/O, no engine, no clock. */
#ifndef SR_VERDICTS_H
#define SR_VERDICTS_H

#include "runner/verdict/record.h"

struct verdict {
	char *harness; /* owned copies; "" when the record had none */
	char *payload;
	enum outcome outcome;
	enum outcome expected; /* the first run's; OUTCOME_NONE: no expectation */
	bool match;	       /* expected none ? outcome != error : outcome == expected */
	unsigned fired;	       /* k: runs whose outcome is confirmed */
	unsigned runs;	       /* n: runs found (fewer than asked when interrupted) */
	unsigned confirm;      /* K: confirmed runs needed, >= 1 */
	bool flaky;	       /* 0 < k < n */
	size_t *seq;	       /* the runs' seq (record index + 1), ascending; owned */
	size_t nseq;	       /* == runs */
	size_t rep;	       /* record index of the first run whose outcome is the verdict's */
	char *signature;       /* crash signature shared by the runs, or NULL (not yet parsed) */
};

/* K of a record's harness x payload, e.g. from the spec's repeat.confirm.
 * A result of 0 counts as 1. */
typedef unsigned (*verdict_confirm_fn)(const struct record *r, void *ctx);

/* Group recs[0..n) by (harness, payload) in first-seen order and aggregate
 * each group: outcome is confirmed when k >= K (K from confirm_of of the
 * group's first record; confirm_of NULL means K = 1), otherwise the
 * highest-precedence outcome (error > crash > oom > timeout > not_confirmed)
 * among the runs that are not confirmed, or not_confirmed when every run was
 * confirmed but there were fewer than K of them. *out is owned by the caller
 * (verdicts_free); *nout may be 0 (then *out is NULL). Returns 0. */
int verdicts_build(struct verdict **out, size_t *nout, const struct record *recs, size_t n,
		   verdict_confirm_fn confirm_of, void *ctx);

/* A verdict_confirm_fn: the record's own confirm (its spec's repeat.confirm). */
unsigned verdict_confirm_of_record(const struct record *r, void *ctx);

/* NULL-safe. */
void verdicts_free(struct verdict *v, size_t n);

/* Append v as one compact JSON object: harness, payload, outcome, expected
 * (null for none), match, fired ("k/n"), confirm, flaky, seq, signature. */
void verdict_json(struct strbuf *out, const struct verdict *v);

#endif
