/* A report diff as GitHub-flavoured markdown (diff.h): a pull-request
 * comment or $GITHUB_STEP_SUMMARY. */
#include "runner/report/diff.h"

#include <string.h>

#include "lib/jsonparse.h"
#include "runner/report/report_int.h"

#define MD_CELL_MAX	 200
#define MD_UNCHANGED_MAX 200

/* str as the text of a table cell: nothing a report holds can open a link,
 * an image, markup, a mention, code, or end the cell or the row. Invalid
 * UTF-8 is U+FFFD, control characters a space, at most max bytes then an
 * ellipsis. */
static void md_text(struct strbuf *sb, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)(str ? str : ""), *end;
	size_t used = 0;

	end = s + strlen((const char *)s);
	while (s < end) {
		size_t k = json_utf8_len(s, end);
		uint32_t cp = k ? rep_utf8_decode(s, k) : 0xfffd;

		if ((used += k ? k : 1) > max) {
			strbuf_addstr(sb, "\xe2\x80\xa6");
			return;
		}
		if (!k) {
			strbuf_addstr(sb, "\xef\xbf\xbd");
			s++;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			strbuf_addch(sb, ' ');
		else if (cp == '&')
			strbuf_addstr(sb, "&amp;");
		else if (cp == '<')
			strbuf_addstr(sb, "&lt;");
		else if (cp == '>')
			strbuf_addstr(sb, "&gt;");
		else if (cp < 0x80 && strchr("|\\`*_[]()!#~@:", (int)cp))
			strbuf_addf(sb, "&#%u;", cp);
		else
			strbuf_add(sb, s, k);
		s += k;
	}
}

static void md_name(struct strbuf *sb, const struct diff_row *r)
{
	struct strbuf n = STRBUF_INIT;

	strbuf_addstr(&n, r->harness);
	if (*r->payload)
		strbuf_addf(&n, "[%s]", r->payload);
	md_text(sb, n.buf, 120);
	strbuf_release(&n);
}

static void md_side(struct strbuf *sb, enum outcome o, unsigned k, unsigned n, bool flaky)
{
	if (o == OUTCOME_NONE) {
		strbuf_addstr(sb, "—");
		return;
	}
	strbuf_addf(sb, "%s %u/%u%s", rep_oshow(o), k, n, flaky ? " (flaky)" : "");
}

static const char *change_label(enum diff_change c)
{
	static const char *const labels[DIFF_NCHANGES] = {
	    "unchanged",	 "🔴 new confirmed", "🟢 fixed", "🟡 newly flaky",
	    "🔵 outcome changed", "➕ added",	    "➖ removed",
	};
	return (unsigned)c < DIFF_NCHANGES ? labels[c] : "?";
}

static void md_row(struct strbuf *sb, const struct diff_row *r)
{
	strbuf_addstr(sb, r->regression ? "| **regression** " : "| ");
	strbuf_addf(sb, "%s%s | ", change_label(r->change), r->new_error ? " (new error)" : "");
	md_name(sb, r);
	strbuf_addstr(sb, " | ");
	md_side(sb, r->old_outcome, r->old_fired, r->old_runs, r->old_flaky);
	strbuf_addstr(sb, " | ");
	md_side(sb, r->new_outcome, r->new_fired, r->new_runs, r->new_flaky);
	strbuf_addf(sb, " | %s | ", r->expected != OUTCOME_NONE ? rep_oshow(r->expected) : "");
	md_text(sb, r->cause, MD_CELL_MAX);
	strbuf_addstr(sb, " |\n");
}

static void md_sigs(struct strbuf *sb, const struct report_diff *d)
{
	if (!d->new_sigs && !d->gone_sigs)
		return;
	strbuf_addstr(sb, "\n### Crash signatures\n\n| | Signature | Runs | First run |\n"
			  "|---|---|---|---|\n");
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < d->nsigs; i++) {
			const struct diff_sig *s = &d->sigs[i];
			if (s->state != (pass ? -1 : 1))
				continue;
			strbuf_addstr(sb, pass ? "| 🟢 gone | " : "| 🔴 **new** | ");
			md_text(sb, s->signature, MD_CELL_MAX);
			strbuf_addf(sb, " | %zu | ", s->runs);
			md_text(sb, s->first, 120);
			strbuf_addstr(sb, " |\n");
		}
}

static void md_num(struct strbuf *sb, bool has, uint64_t v)
{
	if (has)
		strbuf_addf(sb, "%llu", (unsigned long long)v);
	else
		strbuf_addstr(sb, "—");
}

static void md_delta(struct strbuf *sb, bool ho, uint64_t o, bool hn, uint64_t n)
{
	md_num(sb, ho, o);
	strbuf_addstr(sb, " → ");
	md_num(sb, hn, n);
	if (ho && hn && n != o)
		strbuf_addf(sb, " (%s%lld)", n > o ? "+" : "-", (long long)(n > o ? n - o : o - n));
	strbuf_addstr(sb, " | ");
}

static void md_fuzz(struct strbuf *sb, const struct report_diff *d)
{
	bool head = false;

	for (size_t i = 0; i < d->nrows; i++) {
		const struct diff_row *r = &d->rows[i];
		const struct diff_fuzz_side *o = &r->fuzz_old, *n = &r->fuzz_new;

		if (!o->has && !n->has)
			continue;
		if (!head) {
			strbuf_addstr(
			    sb, "\n### Fuzzing\n\n| Harness | Execs | Coverage | Corpus | Started "
				"from |\n|---|---|---|---|---|\n");
			head = true;
		}
		strbuf_addstr(sb, "| ");
		md_name(sb, r);
		strbuf_addstr(sb, " | ");
		md_delta(sb, o->has_execs, o->execs, n->has_execs, n->execs);
		md_delta(sb, o->has_cov, o->cov, n->has_cov, n->cov);
		md_delta(sb, o->has_corpus, o->corpus, n->has_corpus, n->corpus);
		md_delta(sb, o->has_initial, o->initial, n->has_initial, n->initial);
		strbuf_addch(sb, '\n');
	}
}

static void md_unchanged(struct strbuf *sb, const struct report_diff *d)
{
	size_t shown = 0;

	if (!d->counts[DIFF_UNCHANGED])
		return;
	strbuf_addf(sb,
		    "\n<details><summary>%zu unchanged verdict(s)</summary>\n\n"
		    "| Verdict | Outcome |\n|---|---|\n",
		    d->counts[DIFF_UNCHANGED]);
	for (size_t i = 0; i < d->nrows && shown < MD_UNCHANGED_MAX; i++) {
		const struct diff_row *r = &d->rows[i];
		if (r->change != DIFF_UNCHANGED)
			continue;
		strbuf_addstr(sb, "| ");
		md_name(sb, r);
		strbuf_addstr(sb, " | ");
		md_side(sb, r->new_outcome, r->new_fired, r->new_runs, r->new_flaky);
		strbuf_addstr(sb, " |\n");
		shown++;
	}
	if (shown < d->counts[DIFF_UNCHANGED])
		strbuf_addf(sb, "\n…and %zu more\n", d->counts[DIFF_UNCHANGED] - shown);
	strbuf_addstr(sb, "\n</details>\n");
}

void report_diff_markdown(struct strbuf *sb, const struct report_diff *d)
{
	size_t changed = d->nrows - d->counts[DIFF_UNCHANGED];

	strbuf_addstr(sb, "## sandrun: ");
	if (d->regressions)
		strbuf_addf(sb, "❌ %zu regression(s)\n\n", d->regressions);
	else
		strbuf_addstr(sb, "✅ no regression\n\n");
	strbuf_addstr(sb, "Compared with ");
	md_text(sb, d->old_id ? d->old_id : d->old_label, 120);
	strbuf_addstr(sb, ": ");
	strbuf_addf(sb,
		    "**%zu** new confirmed, **%zu** fixed, **%zu** newly flaky, **%zu** outcome "
		    "changed, **%zu** added, **%zu** removed, %zu unchanged; crash signatures "
		    "**%zu** new, **%zu** gone.\n",
		    d->counts[DIFF_NEW_CONFIRMED], d->counts[DIFF_FIXED],
		    d->counts[DIFF_NEWLY_FLAKY], d->counts[DIFF_OUTCOME_CHANGED],
		    d->counts[DIFF_ADDED], d->counts[DIFF_REMOVED], d->counts[DIFF_UNCHANGED],
		    d->new_sigs, d->gone_sigs);
	if (changed) {
		strbuf_addstr(sb, "\n| | Change | Verdict | Before | Now | Expected | Cause |\n"
				  "|---|---|---|---|---|---|---|\n");
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < d->nrows; i++)
				if (d->rows[i].change != DIFF_UNCHANGED &&
				    d->rows[i].regression == !pass)
					md_row(sb, &d->rows[i]);
	}
	md_sigs(sb, d);
	md_fuzz(sb, d);
	md_unchanged(sb, d);
}
