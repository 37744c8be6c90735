/* Console lines and the summary table; text a harness produced never
 * reaches the terminal as control characters. */
#include "runner/report/report_int.h"
#include "runner/verdict/kofn.h"

#include <string.h>

#include "lib/sanitize.h"

#define C_RESET "\033[0m"
#define C_GREEN "\033[32m"
#define C_RED	"\033[1;31m"

/* Text safe for a terminal (lib/sanitize.h), at most max bytes. */
void rep_term_text(struct strbuf *sb, const char *str, size_t max)
{
	sr_sanitize(sb, str, max, 0);
}

void report_console_line(FILE *f, const struct record *r, bool color)
{
	struct strbuf line = STRBUF_INIT, name = STRBUF_INIT, why = STRBUF_INIT;
	bool failed = record_failed(r);
	const char *out = rep_oshow(r->outcome);
	char *cause = report_redact(r->cause, r->token);

	rep_run_name(&name, r);
	if (failed && r->expected != OUTCOME_NONE) {
		strbuf_addf(&why, "expected %s, got %s", rep_oshow(r->expected), out);
		if (cause && *cause)
			strbuf_addf(&why, " (%s)", cause);
	} else if (r->outcome == OUTCOME_ERROR) {
		strbuf_addf(&why, "%s: %s", r->phase ? r->phase : "error",
			    cause && *cause ? cause : "unknown error");
	} else if (cause) {
		strbuf_addstr(&why, cause);
	}
	strbuf_addstr(&line, "  ");
	if (color)
		strbuf_addstr(&line, failed ? C_RED : C_GREEN);
	strbuf_addstr(&line, failed ? "FAIL" : "ok  ");
	if (color)
		strbuf_addstr(&line, C_RESET);
	strbuf_addstr(&line, "  ");
	{
		size_t at = line.len;
		rep_term_text(&line, name.buf, 120);
		while (line.len - at < 28)
			strbuf_addch(&line, ' ');
	}
	strbuf_addf(&line, "  %-13s %7llums  ", out, (unsigned long long)r->duration_ms);
	rep_term_text(&line, why.buf, 240);
	while (line.len && line.buf[line.len - 1] == ' ')
		line.buf[--line.len] = '\0';
	fprintf(f, "%s\n", line.buf);
	free(cause);
	strbuf_release(&line);
	strbuf_release(&name);
	strbuf_release(&why);
}

/* "  h[p]  expected X, got Y  (fired k/n, confirm K)" for a failed verdict. */
static void failed_verdict_line(FILE *f, const struct verdict *v, const struct record *recs)
{
	const struct record *r = &recs[v->rep];
	struct strbuf line = STRBUF_INIT, name = STRBUF_INIT, why = STRBUF_INIT;
	char *cause = report_redact(r->cause, r->token);

	record_selector(&name, v->harness, v->payload, NULL);
	if (v->expected != OUTCOME_NONE)
		strbuf_addf(&why, "expected %s, got %s", rep_oshow(v->expected),
			    rep_oshow(v->outcome));
	else
		strbuf_addf(&why, "%s: %s", r->phase ? r->phase : "error",
			    cause && *cause ? cause : "unknown error");
	if (v->runs > 1)
		strbuf_addf(&why, " (fired %u/%u, confirm %u)", v->fired, v->runs, v->confirm);
	strbuf_addstr(&line, "    ");
	rep_term_text(&line, name.buf, 120);
	strbuf_addstr(&line, "  ");
	rep_term_text(&line, why.buf, 240);
	fprintf(f, "%s\n", line.buf);
	free(cause);
	strbuf_release(&line);
	strbuf_release(&name);
	strbuf_release(&why);
}

/* oob/stubs runs that ran without the host firewall (DESIGN §6): their
 * network could reach other ports of the gateway address. A cached record
 * ran nothing now (the cache keeps no isolation). */
static void unfirewalled(FILE *f, const struct record *recs, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += recs[i].isolation.network && !recs[i].isolation.firewall &&
		     recs[i].outcome != OUTCOME_ERROR && !recs[i].cached &&
		     (!strcmp(recs[i].isolation.network, "oob") ||
		      !strcmp(recs[i].isolation.network, "stubs"));
	if (k)
		fprintf(f, "  %zu oob/stubs run(s) had no firewall (isolation.firewall false)\n",
			k);
}

void report_console_summary(FILE *f, const struct record *recs, size_t n)
{
	size_t counts[NOUTCOMES] = {0}, bad[NOUTCOMES] = {0}, failed = 0, other = 0, flaky = 0;
	struct verdict *v;
	size_t nv;

	verdicts_build(&v, &nv, recs, n, verdict_confirm_of_record, NULL);
	for (size_t i = 0; i < nv; i++) {
		bool fl = !v[i].match;
		failed += fl;
		flaky += v[i].flaky;
		if (rep_oname(v[i].outcome)) {
			counts[v[i].outcome]++;
			bad[v[i].outcome] += fl;
		} else {
			other++;
		}
	}
	fprintf(f, "\n  %-14s %8s %6s %9s\n", "outcome", "verdicts", "match", "mismatch");
	for (int i = 0; i < NOUTCOMES; i++)
		fprintf(f, "  %-14s %8zu %6zu %9zu\n", outcome_name((enum outcome)i), counts[i],
			counts[i] - bad[i], bad[i]);
	if (other)
		fprintf(f, "  %-14s %8zu\n", "unknown", other);
	fprintf(f, "  %-14s %8zu %6zu %9zu\n", "total", nv, nv - failed, failed);
	if (nv != n || flaky)
		fprintf(f, "  %zu runs, %zu flaky verdict%s\n", n, flaky, flaky == 1 ? "" : "s");
	if (failed) {
		fprintf(f, "\n  failed verdicts:\n");
		for (size_t i = 0; i < nv; i++)
			if (!v[i].match)
				failed_verdict_line(f, &v[i], recs);
	}

	unfirewalled(f, recs, n);
	verdicts_free(v, nv);
}
