/* JUnit XML: one testcase per record, failure on mismatch; every byte the
 * harness produced is cleaned to what XML 1.0 accepts and escaped. */
#include "lib/quote.h"
#include "runner/report/report_int.h"
#include "runner/verdict/kofn.h"

#include <string.h>

static bool xml_char_ok(uint32_t cp)
{
	return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
	       (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/* s as text XML 1.0 accepts: valid UTF-8 (invalid bytes become U+FFFD),
 * characters outside the XML Char production dropped. */
static void xml_clean(struct strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);

	while (s < end) {
		size_t k = json_utf8_len(s, end);
		if (!k) {
			strbuf_addstr(sb, "\xef\xbf\xbd");
			s++;
			continue;
		}
		if (xml_char_ok(rep_utf8_decode(s, k)))
			strbuf_add(sb, s, k);
		s += k;
	}
}

/* Escaped for character data (attr false) or a double-quoted attribute. */
static void xml_add(struct strbuf *sb, const char *s, const char *tok, bool attr)
{
	struct strbuf clean = STRBUF_INIT;
	char *red = report_redact(s ? s : "", tok);

	xml_clean(&clean, red);
	free(red);
	for (size_t i = 0; i < clean.len; i++) {
		char c = clean.buf[i];
		switch (c) {
		case '&':
			strbuf_addstr(sb, "&amp;");
			break;
		case '<':
			strbuf_addstr(sb, "&lt;");
			break;
		case '>':
			strbuf_addstr(sb, "&gt;");
			break;
		case '"':
			strbuf_addstr(sb, attr ? "&quot;" : "\"");
			break;
		case '\'':
			strbuf_addstr(sb, attr ? "&apos;" : "'");
			break;
		case '\r':
			strbuf_addstr(sb, "&#13;");
			break;
		case '\n':
			strbuf_addstr(sb, attr ? "&#10;" : "\n");
			break;
		case '\t':
			strbuf_addstr(sb, attr ? "&#9;" : "\t");
			break;
		default:
			strbuf_addch(sb, c);
		}
	}
	strbuf_release(&clean);
}

/* A CDATA section; "]]>" inside s is split across two sections, and line
 * ends become "\n" as an XML parser would read them anyway. */
static void xml_cdata(struct strbuf *sb, const char *s, const char *tok)
{
	struct strbuf clean = STRBUF_INIT;
	char *red = report_redact(s, tok);
	const char *p, *hit;
	size_t j = 0;

	xml_clean(&clean, red);
	free(red);
	for (size_t i = 0; i < clean.len; i++) {
		if (clean.buf[i] == '\r' && i + 1 < clean.len && clean.buf[i + 1] == '\n')
			continue;
		clean.buf[j++] = clean.buf[i] == '\r' ? '\n' : clean.buf[i];
	}
	if (clean.buf) {
		clean.len = j;
		clean.buf[j] = '\0';
	}
	strbuf_addstr(sb, "<![CDATA[");
	for (p = strbuf_str(&clean); (hit = strstr(p, "]]>")); p = hit + 3) {
		strbuf_add(sb, p, (size_t)(hit - p));
		strbuf_addstr(sb, "]]]]><![CDATA[>");
	}
	strbuf_addstr(sb, p);
	strbuf_addstr(sb, "]]>");
	strbuf_release(&clean);
}

/* Plain-text details of a run for a JUnit failure or error body. */
static void run_details(struct strbuf *sb, const struct record *r)
{
	if (r->spec_path)
		strbuf_addf(sb, "spec: %s\n", r->spec_path);
	strbuf_addf(sb, "outcome: %s\n", rep_oshow(r->outcome));
	if (rep_oname(r->expected))
		strbuf_addf(sb, "expected: %s\n", rep_oname(r->expected));
	if (r->outcome == OUTCOME_ERROR && r->phase)
		strbuf_addf(sb, "phase: %s\n", r->phase);
	if (r->cause)
		strbuf_addf(sb, "cause: %s\n", r->cause);
	if (r->exit_code != -1)
		strbuf_addf(sb, "exit code: %d\n", r->exit_code);
	if (r->signal)
		strbuf_addf(sb, "signal: %d\n", r->signal);
	if (r->image)
		strbuf_addf(sb, "image: %s%s\n", r->image, r->pinned ? "" : " (not pinned)");
	for (size_t i = 0; i < r->evidence.artifacts.nr; i++)
		strbuf_addf(sb, "artifact: %s\n", r->evidence.artifacts.v[i]);
	if (r->evidence.artifact_dir)
		strbuf_addf(sb, "artifacts copied to: %s\n", r->evidence.artifact_dir);
	if (r->repro.nr) {
		strbuf_addstr(sb, "repro: ");
		sr_shell_quote_argv(sb, r->repro.v); /* nr > 0: v is set */
		strbuf_addch(sb, '\n');
	}
}

static void xml_property(struct strbuf *sb, const char *name, const char *value)
{
	if (!value)
		return;
	strbuf_addf(sb, "      <property name=\"%s\" value=\"", name);
	xml_add(sb, value, NULL, true);
	strbuf_addstr(sb, "\"/>\n");
}

/* The runs of v for <system-out>/<system-err>: a single run's tail as it
 * is; several runs' tails each under a "--- run #k (seq S): outcome ---" line. */
static void verdict_stream(struct strbuf *sb, const struct verdict *v, const struct record *recs,
			   bool err_stream)
{
	struct strbuf body = STRBUF_INIT;
	const char *tok = NULL;

	for (size_t i = 0; i < v->nseq; i++) {
		const struct record *r = &recs[v->seq[i] - 1];
		const char *tail = err_stream ? r->evidence.stderr_tail : r->evidence.stdout_tail;
		char *red;
		if (v->nseq > 1)
			strbuf_addf(&body, "--- run #%u (seq %zu): %s, %llums ---\n",
				    r->repeat_index + 1, v->seq[i], rep_oshow(r->outcome),
				    (unsigned long long)r->duration_ms);
		if (!tail || !*tail)
			continue;
		/* Each run has its own token: redact it here, before joining. */
		red = report_redact(tail, r->token);
		strbuf_addstr(&body, red);
		if (v->nseq > 1 && body.buf[body.len - 1] != '\n')
			strbuf_addch(&body, '\n');
		free(red);
	}
	if (body.len) {
		strbuf_addstr(sb, err_stream ? "      <system-err>" : "      <system-out>");
		xml_cdata(sb, body.buf, tok);
		strbuf_addstr(sb, err_stream ? "</system-err>\n" : "</system-out>\n");
	}
	strbuf_release(&body);
}

/* One <testcase> for verdict v, its representative run's details on failure. */
static void verdict_testcase(struct strbuf *sb, const struct verdict *v, const struct record *recs)
{
	const struct record *r = &recs[v->rep];
	const char *tok = r->token;
	struct strbuf name = STRBUF_INIT, det = STRBUF_INIT;
	uint64_t ms = 0;

	for (size_t i = 0; i < v->nseq; i++)
		ms += recs[v->seq[i] - 1].duration_ms;
	record_selector(&name, v->harness, v->payload, NULL);
	strbuf_addstr(sb, "    <testcase classname=\"");
	xml_add(sb, v->harness, tok, true);
	strbuf_addstr(sb, "\" name=\"");
	xml_add(sb, name.buf, tok, true);
	/* No file= attribute: the Jenkins xUnit schema rejects it; the spec
	 * path is in the failure text instead. */
	strbuf_addf(sb, "\" time=\"%.3f\">\n", (double)ms / 1000.0);
	if (!v->match) {
		run_details(&det, r);
		if (v->expected != OUTCOME_NONE) {
			strbuf_addf(sb,
				    "      <failure message=\"expected %s, got %s (fired %u/%u, "
				    "confirm %u)\" type=\"mismatch\">",
				    rep_oshow(v->expected), rep_oshow(v->outcome), v->fired,
				    v->runs, v->confirm);
		} else {
			struct strbuf msg = STRBUF_INIT;
			const char *cause = r->cause ? r->cause : "unknown error";
			strbuf_addf(&msg, "%s: %.*s", r->phase ? r->phase : "error",
				    (int)strcspn(cause, "\n"), cause);
			strbuf_addstr(sb, "      <error message=\"");
			xml_add(sb, msg.buf, tok, true);
			strbuf_addstr(sb, "\" type=\"");
			xml_add(sb, r->phase ? r->phase : "error", NULL, true);
			strbuf_addstr(sb, "\">");
			strbuf_release(&msg);
		}
		xml_add(sb, det.buf, tok, false);
		strbuf_addstr(sb, v->expected != OUTCOME_NONE ? "</failure>\n" : "</error>\n");
	}
	verdict_stream(sb, v, recs, false);
	verdict_stream(sb, v, recs, true);
	strbuf_addstr(sb, "    </testcase>\n");
	strbuf_release(&name);
	strbuf_release(&det);
}

int report_write_junit(const char *path, const struct run_meta *m, const struct record *recs,
		       size_t n, struct sr_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t failures = 0, errors = 0, nv;
	struct verdict *v;
	uint64_t total_ms = 0;
	char ts[64] = "1970-01-01T00:00:00";
	double secs;
	int rc;

	verdicts_build(&v, &nv, recs, n, verdict_confirm_of_record, NULL);
	for (size_t i = 0; i < n; i++)
		total_ms += recs[i].duration_ms;
	for (size_t i = 0; i < nv; i++) {
		if (v[i].match)
			continue;
		if (v[i].expected == OUTCOME_NONE)
			errors++;
		else
			failures++;
	}
	secs = m->end_wall_ms > m->start_wall_ms
		   ? (double)(m->end_wall_ms - m->start_wall_ms) / 1000.0
		   : (double)total_ms / 1000.0;
	if (m->start_wall_ms) {
		/* xs:dateTime without zone, as the JUnit schemas want; it is UTC. */
		sr_fmt_time(ts, sizeof(ts), m->start_wall_ms);
		ts[19] = '\0';
	}

	strbuf_addstr(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	strbuf_addf(&sb,
		    "<testsuites name=\"sandrun\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		    "time=\"%.3f\">\n",
		    nv, failures, errors, secs);
	strbuf_addf(&sb,
		    "  <testsuite name=\"sandrun\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		    "skipped=\"0\" time=\"%.3f\" timestamp=\"%s\" hostname=\"",
		    nv, failures, errors, secs, ts);
	xml_add(&sb, m->host ? m->host : "localhost", NULL, true);
	strbuf_addstr(&sb, "\" id=\"0\" package=\"sandrun\">\n");

	strbuf_addstr(&sb, "    <properties>\n");
	xml_property(&sb, "run_id", m->run_id);
	xml_property(&sb, "sandrun_version", m->tool_version);
	xml_property(&sb, "engine", m->engine);
	xml_property(&sb, "engine_version", m->engine_version);
	xml_property(&sb, "catalogue", m->catalogue_path);
	xml_property(&sb, "catalogue_xxh64", m->catalogue_hash);
	xml_property(&sb, "git_head", m->git_head);
	xml_property(&sb, "interrupted", m->interrupted ? "true" : "false");
	strbuf_addstr(&sb, "    </properties>\n");

	for (size_t i = 0; i < nv; i++)
		verdict_testcase(&sb, &v[i], recs);
	verdicts_free(v, nv);
	strbuf_addstr(&sb, "  </testsuite>\n</testsuites>\n");
	rc = sr_write_file_atomic(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return rc;
}
