/* A report diff on the console and as JSON (diff.h). */
#include "runner/report/diff.h"

#include <string.h>

#include "runner/report/report_int.h"

#define C_RESET "\033[0m"
#define C_RED	"\033[1;31m"
#define C_GREEN "\033[32m"

static void name_of(struct strbuf *sb, const struct diff_row *r)
{
	strbuf_addstr(sb, r->harness);
	if (*r->payload)
		strbuf_addf(sb, "[%s]", r->payload);
}

/* "confirmed 1/1 -> not_confirmed 0/1" */
static void transition(struct strbuf *sb, const struct diff_row *r)
{
	if (r->old_outcome != OUTCOME_NONE)
		strbuf_addf(sb, "%s %u/%u", rep_oshow(r->old_outcome), r->old_fired, r->old_runs);
	else
		strbuf_addstr(sb, "(absent)");
	strbuf_addstr(sb, " -> ");
	if (r->new_outcome != OUTCOME_NONE)
		strbuf_addf(sb, "%s %u/%u", rep_oshow(r->new_outcome), r->new_fired, r->new_runs);
	else
		strbuf_addstr(sb, "(absent)");
}

static void console_row(FILE *f, const struct diff_row *r, bool color)
{
	struct strbuf raw = STRBUF_INIT, line = STRBUF_INIT;

	name_of(&raw, r);
	strbuf_addstr(&line, "  ");
	if (color)
		strbuf_addstr(&line, r->regression ? C_RED : C_GREEN);
	strbuf_addf(&line, "%-4s %-16s ", r->regression ? "REGR" : "", diff_change_name(r->change));
	if (color)
		strbuf_addstr(&line, C_RESET);
	rep_term_text(&line, raw.buf, 120);
	strbuf_reset(&raw);
	strbuf_addstr(&raw, "  ");
	transition(&raw, r);
	if (r->new_flaky && !r->old_flaky)
		strbuf_addstr(&raw, " (flaky)");
	if (r->expected != OUTCOME_NONE)
		strbuf_addf(&raw, " expected %s", rep_oshow(r->expected));
	if (r->cause && *r->cause)
		strbuf_addf(&raw, ": %s", r->cause);
	rep_term_text(&line, raw.buf, 300);
	fprintf(f, "%s\n", line.buf);
	strbuf_release(&raw);
	strbuf_release(&line);
}

static void console_fuzz(FILE *f, const struct report_diff *d)
{
	bool head = false;

	for (size_t i = 0; i < d->nrows; i++) {
		const struct diff_row *r = &d->rows[i];
		struct strbuf raw = STRBUF_INIT, line = STRBUF_INIT;

		if (!r->fuzz_old.has && !r->fuzz_new.has)
			continue;
		if (!head)
			fputs("fuzzing (old -> new):\n", f), head = true;
		name_of(&raw, r);
		strbuf_addstr(&line, "  ");
		rep_term_text(&line, raw.buf, 120);
		strbuf_addf(
		    &line,
		    "  execs %llu -> %llu, cov %llu -> %llu, corpus %llu -> %llu, started from "
		    "%llu -> %llu",
		    (unsigned long long)r->fuzz_old.execs, (unsigned long long)r->fuzz_new.execs,
		    (unsigned long long)r->fuzz_old.cov, (unsigned long long)r->fuzz_new.cov,
		    (unsigned long long)r->fuzz_old.corpus, (unsigned long long)r->fuzz_new.corpus,
		    (unsigned long long)r->fuzz_old.initial,
		    (unsigned long long)r->fuzz_new.initial);
		fprintf(f, "%s\n", line.buf);
		strbuf_release(&raw);
		strbuf_release(&line);
	}
}

void report_diff_console(FILE *f, const struct report_diff *d, bool color)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb,
		    "diff: %zu regression(s); %zu new confirmed, %zu fixed, %zu newly flaky, "
		    "%zu outcome changed, %zu added, %zu removed, %zu unchanged; crash signatures "
		    "%zu new, %zu gone",
		    d->regressions, d->counts[DIFF_NEW_CONFIRMED], d->counts[DIFF_FIXED],
		    d->counts[DIFF_NEWLY_FLAKY], d->counts[DIFF_OUTCOME_CHANGED],
		    d->counts[DIFF_ADDED], d->counts[DIFF_REMOVED], d->counts[DIFF_UNCHANGED],
		    d->new_sigs, d->gone_sigs);
	fprintf(f, "%s\n", sb.buf);
	for (int pass = 0; pass < 2; pass++) /* regressions first */
		for (size_t i = 0; i < d->nrows; i++)
			if (d->rows[i].change != DIFF_UNCHANGED && d->rows[i].regression == !pass)
				console_row(f, &d->rows[i], color);
	for (size_t i = 0; i < d->nsigs; i++) {
		if (!d->sigs[i].state)
			continue;
		strbuf_reset(&sb);
		strbuf_addf(&sb, "  %-4s %-16s ", d->sigs[i].state > 0 ? "REGR" : "",
			    d->sigs[i].state > 0 ? "new_signature" : "gone_signature");
		rep_term_text(&sb, d->sigs[i].signature, 200);
		strbuf_addstr(&sb, "  (");
		rep_term_text(&sb, d->sigs[i].first, 120);
		strbuf_addf(&sb, ", %zu run(s))", d->sigs[i].runs);
		fprintf(f, "%s\n", sb.buf);
	}
	console_fuzz(f, d);
	strbuf_release(&sb);
}

static void json_fuzz_side(struct strbuf *sb, const struct diff_fuzz_side *s)
{
	if (!s->has) {
		strbuf_addstr(sb, "null");
		return;
	}
	strbuf_addch(sb, '{');
	if (s->has_execs)
		strbuf_addf(sb, "\"execs\": %llu", (unsigned long long)s->execs);
	else
		strbuf_addstr(sb, "\"execs\": null");
	if (s->has_cov)
		strbuf_addf(sb, ", \"cov\": %llu", (unsigned long long)s->cov);
	else
		strbuf_addstr(sb, ", \"cov\": null");
	if (s->has_corpus)
		strbuf_addf(sb, ", \"corpus\": %llu", (unsigned long long)s->corpus);
	else
		strbuf_addstr(sb, ", \"corpus\": null");
	if (s->has_initial)
		strbuf_addf(sb, ", \"initial_corpus\": %llu}", (unsigned long long)s->initial);
	else
		strbuf_addstr(sb, ", \"initial_corpus\": null}");
}

static void json_row(struct strbuf *sb, const struct diff_row *r)
{
	strbuf_addstr(sb, "{\"harness\": ");
	json_add_str(sb, r->harness);
	strbuf_addstr(sb, ", \"payload\": ");
	json_add_str(sb, r->payload);
	strbuf_addf(sb, ", \"change\": \"%s\", \"old\": ", diff_change_name(r->change));
	rep_joutcome(sb, r->old_outcome);
	strbuf_addstr(sb, ", \"new\": ");
	rep_joutcome(sb, r->new_outcome);
	strbuf_addstr(sb, ", \"expected\": ");
	rep_joutcome(sb, r->expected);
	strbuf_addf(sb, ", \"old_fired\": \"%u/%u\", \"new_fired\": \"%u/%u\"", r->old_fired,
		    r->old_runs, r->new_fired, r->new_runs);
	strbuf_addf(sb, ", \"old_flaky\": %s, \"new_flaky\": %s, \"regression\": %s",
		    rep_jbool(r->old_flaky), rep_jbool(r->new_flaky), rep_jbool(r->regression));
	strbuf_addf(sb, ", \"new_error\": %s, \"cause\": ", rep_jbool(r->new_error));
	json_add_str(sb, r->cause);
	strbuf_addstr(sb, ", \"signature\": ");
	json_add_str(sb, r->signature);
	strbuf_addstr(sb, ", \"fuzz\": ");
	if (r->fuzz_old.has || r->fuzz_new.has) {
		strbuf_addstr(sb, "{\"old\": ");
		json_fuzz_side(sb, &r->fuzz_old);
		strbuf_addstr(sb, ", \"new\": ");
		json_fuzz_side(sb, &r->fuzz_new);
		strbuf_addch(sb, '}');
	} else {
		strbuf_addstr(sb, "null");
	}
	strbuf_addch(sb, '}');
}

void report_diff_json(struct strbuf *sb, const struct report_diff *d)
{
	strbuf_addstr(sb, "{\n  \"old\": {\"run_id\": ");
	json_add_str(sb, d->old_id);
	strbuf_addstr(sb, ", \"label\": ");
	json_add_str(sb, d->old_label);
	strbuf_addstr(sb, "},\n  \"new\": {\"run_id\": ");
	json_add_str(sb, d->new_id);
	strbuf_addstr(sb, ", \"label\": ");
	json_add_str(sb, d->new_label);
	strbuf_addf(sb, "},\n  \"regressions\": %zu,\n  \"counts\": {", d->regressions);
	for (int c = 0; c < DIFF_NCHANGES; c++)
		strbuf_addf(sb, "%s\"%s\": %zu", c ? ", " : "", diff_change_name(c), d->counts[c]);
	strbuf_addf(sb, ", \"new_signatures\": %zu, \"gone_signatures\": %zu, \"new_errors\": %zu}",
		    d->new_sigs, d->gone_sigs, d->new_errors);
	strbuf_addstr(sb, ",\n  \"verdicts\": [");
	for (size_t i = 0; i < d->nrows; i++) {
		strbuf_addstr(sb, i ? ",\n    " : "\n    ");
		json_row(sb, &d->rows[i]);
	}
	strbuf_addstr(sb, d->nrows ? "\n  ],\n  \"signatures\": [" : "],\n  \"signatures\": [");
	for (size_t i = 0; i < d->nsigs; i++) {
		const struct diff_sig *s = &d->sigs[i];
		strbuf_addstr(sb, i ? ",\n    {\"signature\": " : "\n    {\"signature\": ");
		json_add_str(sb, s->signature);
		strbuf_addf(sb, ", \"state\": \"%s\", \"runs\": %zu, \"first\": ",
			    s->state > 0   ? "new"
			    : s->state < 0 ? "gone"
					   : "unchanged",
			    s->runs);
		json_add_str(sb, s->first);
		strbuf_addch(sb, '}');
	}
	strbuf_addstr(sb, d->nsigs ? "\n  ]\n}\n" : "]\n}\n");
}

int report_diff_write(const char *fmt, const char *path, const struct report_diff *d,
		      struct sr_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;

	if (!strcmp(fmt, "json"))
		report_diff_json(&sb, d);
	else if (!strcmp(fmt, "markdown"))
		report_diff_markdown(&sb, d);
	else
		rc = report_diff_html(&sb, d, err);
	if (!rc)
		rc = sr_write_file_atomic(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return rc;
}
