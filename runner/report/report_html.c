/* The self-contained HTML report. */
#include "runner/report/report_html.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "runner/report/report.h"
#include "lib/jsonparse.h"
#include "lib/quote.h"

#define NOUTCOMES (OUTCOME_NOT_CONFIRMED + 1)

/* ---- escaping ---- */

static uint32_t utf8_cp(const unsigned char *s, size_t k)
{
	static const unsigned char lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t cp = s[0] & lead_mask[k];

	for (size_t i = 1; i < k; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* Controls that reorder text and could make a line read other than it is. */
static bool is_bidi_control(uint32_t cp)
{
	return cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061c;
}

/* len bytes of s as HTML text, also safe inside a double- or single-quoted
 * attribute: markup characters become references, invalid UTF-8 U+FFFD,
 * control characters other than tab, newline and CRLF their Control Pictures
 * (NUL shows as U+2400), C1 and bidi controls "\uXXXX". */
static void h_escn(struct strbuf *sb, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;

	while (s < end) {
		size_t k = json_utf8_len(s, end);
		uint32_t cp;

		if (!k) {
			strbuf_addstr(sb, "\xef\xbf\xbd");
			s++;
			continue;
		}
		cp = utf8_cp(s, k);
		switch (cp) {
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
			strbuf_addstr(sb, "&quot;");
			break;
		case '\'':
			strbuf_addstr(sb, "&#39;");
			break;
		case '\t':
		case '\n':
			strbuf_addch(sb, (char)cp);
			break;
		case '\r':
			/* CRLF reads as a line end; a lone CR, which could hide what
			 * came before it on a terminal, stays visible. */
			if (s + 1 < end && s[1] == '\n')
				break;
			strbuf_addstr(sb, "&#x240d;");
			break;
		default:
			if (cp < 0x20)
				strbuf_addf(sb, "&#x%x;", 0x2400 + cp);
			else if (cp == 0x7f)
				strbuf_addstr(sb, "&#x2421;");
			else if ((cp >= 0x80 && cp < 0xa0) || is_bidi_control(cp))
				strbuf_addf(sb, "\\u%04x", cp);
			else
				strbuf_add(sb, s, k);
		}
		s += k;
	}
}

static void h_esc(struct strbuf *sb, const char *s)
{
	if (s)
		h_escn(sb, s, strlen(s));
}

/* A JSON value as text: a string's own bytes, anything else compact JSON. */
static void h_json(struct strbuf *sb, const struct json_value *v)
{
	struct strbuf tmp = STRBUF_INIT;

	if (!v || v->type == JSON_NULL)
		return;
	if (v->type == JSON_STRING) {
		h_escn(sb, v->u.str.s, v->u.str.len);
		return;
	}
	json_serialize(&tmp, v);
	h_escn(sb, tmp.buf, tmp.len);
	strbuf_release(&tmp);
}

/* ---- record views ---- */

/* Records as report_record_json() writes them, parsed back: the one place
 * tokens are redacted and strings made valid UTF-8, shared with the JSON
 * report. NULL for a record that could not be read back. */
static struct json_value **record_docs(const struct record *recs, size_t n)
{
	struct json_value **docs = n ? xcalloc(n, sizeof(*docs)) : NULL;
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		strbuf_reset(&sb);
		report_record_json(&sb, &recs[i]);
		if (json_parse(&docs[i], "record", sb.buf, sb.len, NULL) < 0)
			docs[i] = NULL;
	}
	strbuf_release(&sb);
	return docs;
}

/* The member at a dotted path ("evidence.stdout_tail"), or NULL. */
static const struct json_value *jat(const struct json_value *doc, const char *path)
{
	char key[64];

	while (doc && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		doc = json_get(doc, key);
		path += n + (path[n] == '.');
	}
	return doc;
}

static bool jnull(const struct json_value *v)
{
	return !v || v->type == JSON_NULL;
}

static const char *oname(enum outcome o)
{
	return o >= OUTCOME_ERROR && o <= OUTCOME_NOT_CONFIRMED ? outcome_name(o) : "none";
}

static void add_ms(struct strbuf *sb, uint64_t ms)
{
	if (ms < 10000)
		strbuf_addf(sb, "%llu ms", (unsigned long long)ms);
	else if (ms < 600000)
		strbuf_addf(sb, "%.1f s", (double)ms / 1000.0);
	else
		strbuf_addf(sb, "%llu min %llu s", (unsigned long long)(ms / 60000),
			    (unsigned long long)(ms / 1000 % 60));
}

/* ---- links ---- */

/* Percent-encode a path for an href: only unreserved characters and '/'
 * stay, so no scheme, query or fragment can appear. */
static void url_path(struct strbuf *sb, const char *p)
{
	for (const unsigned char *s = (const unsigned char *)p; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~/", *s))
			strbuf_addch(sb, (char)*s);
		else
			strbuf_addf(sb, "%%%02X", *s);
	}
}

/* Next path component of *p (skipping "" and "."), or 0 at the end. */
static size_t component(const char **p, const char **start)
{
	for (;;) {
		size_t n;
		while (**p == '/')
			(*p)++;
		n = strcspn(*p, "/");
		*start = *p;
		*p += n;
		if (n != 1 || **start != '.')
			return n;
	}
}

/* target (absolute) relative to the directory base (absolute), always
 * starting with "./" or "../". */
static void relpath(struct strbuf *sb, const char *base, const char *target)
{
	const char *b = base, *t = target, *bs, *ts, *tmark;
	size_t bn, tn;

	for (;;) {
		tmark = t;
		bn = component(&b, &bs);
		tn = component(&t, &ts);
		if (!bn || bn != tn || memcmp(bs, ts, bn))
			break;
	}
	if (!bn)
		strbuf_addstr(sb, "./");
	for (; bn; bn = component(&b, &bs))
		strbuf_addstr(sb, "../");
	while (*tmark == '/')
		tmark++;
	strbuf_addstr(sb, tmark);
}

/* An artifact: a link to where it was copied on the host when that is known,
 * else its name as text. */
static void add_artifact(struct strbuf *sb, const char *dir, const char *name,
			 const struct html_opts *o)
{
	struct strbuf abs = STRBUF_INIT, rel = STRBUF_INIT;
	char cwd[PATH_MAX];

	if (!dir || !o->base_dir || o->base_dir[0] != '/') {
		strbuf_addstr(sb, "<code>");
		h_esc(sb, name);
		strbuf_addstr(sb, "</code>");
		return;
	}
	if (dir[0] != '/') {
		const char *wd = o->cwd ? o->cwd : getcwd(cwd, sizeof(cwd));
		strbuf_addf(&abs, "%s/", wd ? wd : "");
	}
	strbuf_addf(&abs, "%s/%s", dir, name);
	relpath(&rel, o->base_dir, abs.buf);
	strbuf_addstr(sb, "<a href=\"");
	url_path(sb, rel.buf);
	strbuf_addstr(sb, "\"><code>");
	h_esc(sb, name);
	strbuf_addstr(sb, "</code></a>");
	strbuf_release(&abs);
	strbuf_release(&rel);
}

/* ---- page parts ---- */

static void meta_row(struct strbuf *sb, const char *id, const char *label, const char *value)
{
	strbuf_addf(sb, "<dt>%s</dt><dd id=\"meta-%s\">", label, id);
	if (value)
		h_esc(sb, value);
	else
		strbuf_addstr(sb, "<span class=\"muted\">unknown</span>");
	strbuf_addstr(sb, "</dd>\n");
}

static void add_meta(struct strbuf *sb, const struct run_meta *m)
{
	char ts[64];
	struct strbuf t = STRBUF_INIT;

	strbuf_addstr(sb, "<dl class=\"meta\">\n");
	meta_row(sb, "run-id", "run id", m->run_id);
	if (m->start_wall_ms)
		sr_fmt_time(ts, sizeof(ts), m->start_wall_ms);
	meta_row(sb, "started", "started", m->start_wall_ms ? ts : NULL);
	if (m->start_wall_ms && m->end_wall_ms >= m->start_wall_ms)
		add_ms(&t, m->end_wall_ms - m->start_wall_ms);
	meta_row(sb, "wall", "wall time", t.len ? t.buf : NULL);
	meta_row(sb, "host", "host", m->host);
	strbuf_reset(&t);
	if (m->engine)
		strbuf_addf(&t, "%s %s", m->engine, m->engine_version ? m->engine_version : "");
	meta_row(sb, "engine", "engine", m->engine ? t.buf : NULL);
	strbuf_reset(&t);
	if (m->catalogue_path || m->catalogue_hash)
		strbuf_addf(&t, "%s (xxh64 %s)", m->catalogue_path ? m->catalogue_path : "?",
			    m->catalogue_hash ? m->catalogue_hash : "?");
	meta_row(sb, "catalogue", "catalogue", t.len ? t.buf : NULL);
	strbuf_reset(&t);
	if (m->git_head)
		strbuf_addf(&t, "%s%s", m->git_head,
			    m->git_dirty > 0	? " (dirty)"
			    : m->git_dirty == 0 ? " (clean)"
						: "");
	meta_row(sb, "git", "git HEAD", m->git_head ? t.buf : NULL);
	strbuf_reset(&t);
	if (m->shard_n)
		strbuf_addf(&t, "%u/%u", m->shard_k, m->shard_n);
	meta_row(sb, "shard", "shard", m->shard_n ? t.buf : "none");
	meta_row(sb, "version", "sandrun", m->tool_version);
	if (m->interrupted)
		meta_row(sb, "interrupted", "interrupted", "yes: the run was stopped early");
	strbuf_addstr(sb, "</dl>\n");
	strbuf_release(&t);
}

static void add_counts(struct strbuf *sb, const struct record *recs, size_t n,
		       const struct verdict *v, size_t nv)
{
	size_t vc[NOUTCOMES] = {0}, rc[NOUTCOMES] = {0}, bad = 0, flaky = 0, failed = 0;

	for (size_t i = 0; i < nv; i++) {
		if (v[i].outcome >= 0 && v[i].outcome < NOUTCOMES)
			vc[v[i].outcome]++;
		bad += !v[i].match;
		flaky += v[i].flaky;
	}
	for (size_t i = 0; i < n; i++) {
		if (recs[i].outcome >= 0 && recs[i].outcome < NOUTCOMES)
			rc[recs[i].outcome]++;
		failed += record_failed(&recs[i]);
	}
	strbuf_addf(
	    sb,
	    "<p id=\"summary\"><span id=\"nverdicts\" data-count=\"%zu\">%zu verdicts</span>"
	    " from <span id=\"nruns\" data-count=\"%zu\">%zu runs</span>: "
	    "<span id=\"mismatches\" data-count=\"%zu\" class=\"%s\">%zu mismatch%s</span>, "
	    "<span id=\"nflaky\" data-count=\"%zu\">%zu flaky</span>, "
	    "<span id=\"nfailed\" data-count=\"%zu\">%zu failed runs</span></p>\n",
	    nv, nv, n, n, bad, bad ? "st-bad" : "st-ok", bad, bad == 1 ? "" : "es", flaky, flaky,
	    failed, failed);
	strbuf_addstr(sb, "<table id=\"counts\"><thead><tr><th>outcome</th><th>verdicts</th>"
			  "<th>runs</th></tr></thead><tbody>\n");
	for (int o = 0; o < NOUTCOMES; o++)
		strbuf_addf(sb,
			    "<tr><td><span class=\"o o-%s\">%s</span></td>"
			    "<td id=\"count-%s\" data-count=\"%zu\">%zu</td>"
			    "<td id=\"runs-%s\" data-count=\"%zu\">%zu</td></tr>\n",
			    oname(o), oname(o), oname(o), vc[o], vc[o], oname(o), rc[o], rc[o]);
	strbuf_addstr(sb, "</tbody></table>\n");
}

static void add_filters(struct strbuf *sb)
{
	strbuf_addstr(sb, "<div id=\"filters\"><label>outcome <select id=\"f-outcome\">"
			  "<option value=\"\">all</option>");
	for (int o = 0; o < NOUTCOMES; o++)
		strbuf_addf(sb, "<option value=\"%s\">%s</option>", oname(o), oname(o));
	strbuf_addstr(sb, "</select></label>\n<label>match <select id=\"f-match\">"
			  "<option value=\"\">all</option><option value=\"mismatch\">mismatches"
			  "</option><option value=\"match\">matches</option></select></label>\n"
			  "<label><input type=\"checkbox\" id=\"f-flaky\"> flaky only</label>\n"
			  "<label>harness <input type=\"search\" id=\"f-q\" "
			  "placeholder=\"name contains\"></label>\n"
			  "<span id=\"shown\" class=\"muted\"></span></div>\n");
}

/* An evidence array (OOB or stub hits) as a small table: one row per hit,
 * one column per key seen (first-seen order); values that are not strings
 * are shown as JSON. */
static void add_evidence(struct strbuf *sb, const char *title, const struct json_value *arr)
{
	const char **keys = NULL;
	size_t nk = 0, ak = 0;

	if (!arr || arr->type != JSON_ARRAY || !arr->u.arr.n)
		return;
	for (size_t i = 0; i < arr->u.arr.n; i++) {
		const struct json_value *e = arr->u.arr.v[i];
		for (size_t j = 0; e->type == JSON_OBJECT && j < e->u.obj.n; j++) {
			size_t k = 0;
			while (k < nk && strcmp(keys[k], e->u.obj.m[j].key))
				k++;
			if (k == nk) {
				SR_GROW(keys, nk + 1, ak);
				keys[nk++] = e->u.obj.m[j].key;
			}
		}
	}
	strbuf_addf(sb, "<h5>%s (%zu)</h5><table class=\"ev\"><thead><tr>", title, arr->u.arr.n);
	for (size_t k = 0; k < nk; k++) {
		strbuf_addstr(sb, "<th>");
		h_esc(sb, keys[k]);
		strbuf_addstr(sb, "</th>");
	}
	if (!nk)
		strbuf_addstr(sb, "<th>value</th>");
	strbuf_addstr(sb, "</tr></thead><tbody>\n");
	for (size_t i = 0; i < arr->u.arr.n; i++) {
		const struct json_value *e = arr->u.arr.v[i];
		strbuf_addstr(sb, "<tr>");
		for (size_t k = 0; k < (nk ? nk : 1); k++) {
			strbuf_addstr(sb, "<td>");
			h_json(sb, e->type == JSON_OBJECT ? json_get(e, keys[k]) : e);
			strbuf_addstr(sb, "</td>");
		}
		strbuf_addstr(sb, "</tr>\n");
	}
	strbuf_addstr(sb, "</tbody></table>\n");
	free(keys);
}

static void add_pre(struct strbuf *sb, const char *title, const struct json_value *v)
{
	if (jnull(v) || (v->type == JSON_STRING && !v->u.str.len))
		return;
	strbuf_addf(sb, "<h5>%s</h5><pre>", title);
	h_json(sb, v);
	strbuf_addstr(sb, "</pre>\n");
}

/* The repro argv as one shell-quoted line (lib/quote.h). */
static void shell_words(struct strbuf *sb, const struct json_value *argv)
{
	struct strvec words = STRVEC_INIT;

	for (size_t i = 0; argv && argv->type == JSON_ARRAY && i < argv->u.arr.n; i++)
		strvec_push(&words, json_str(argv->u.arr.v[i]) ? json_str(argv->u.arr.v[i]) : "");
	sr_shell_quote_argv(sb, strvec_argv(&words));
	strvec_clear(&words);
}

static void dl_json(struct strbuf *sb, const char *label, const struct json_value *v)
{
	if (jnull(v))
		return;
	strbuf_addf(sb, "<dt>%s</dt><dd>", label);
	h_json(sb, v);
	strbuf_addstr(sb, "</dd>\n");
}

static void add_run(struct strbuf *sb, size_t seq, const struct record *r,
		    const struct json_value *d, const struct html_opts *o)
{
	struct strbuf t = STRBUF_INIT;
	const struct json_value *arts = jat(d, "evidence.artifacts");
	const char *dir = json_str(jat(d, "evidence.artifact_dir"));

	strbuf_addf(sb,
		    "<div class=\"run\" id=\"run-%zu\" data-outcome=\"%s\"><h4>#%zu run %u "
		    "<span class=\"o o-%s\">%s</span></h4>\n<dl class=\"meta\">\n",
		    seq, oname(r->outcome), seq, r->repeat_index + 1, oname(r->outcome),
		    oname(r->outcome));
	dl_json(sb, "cause", jat(d, "cause"));
	if (r->outcome == OUTCOME_ERROR)
		dl_json(sb, "phase", jat(d, "phase"));
	dl_json(sb, "exit code", jat(d, "exit_code"));
	dl_json(sb, "signal", jat(d, "signal"));
	add_ms(&t, r->duration_ms);
	strbuf_addf(sb, "<dt>duration</dt><dd>%s</dd>\n", t.buf);
	dl_json(sb, "image", jat(d, "image"));
	strbuf_addf(sb, "<dt>pinned / cached</dt><dd>%s / %s</dd>\n", r->pinned ? "yes" : "no",
		    r->cached ? "yes" : "no");
	dl_json(sb, "network", jat(d, "isolation.network"));
	dl_json(sb, "runtime", jat(d, "isolation.runtime"));
	dl_json(sb, "seccomp", jat(d, "isolation.seccomp"));
	if (r->isolation.network && strcmp(r->isolation.network, "none") &&
	    strcmp(r->isolation.network, "open") && !r->isolation.firewall && !r->cached &&
	    r->outcome != OUTCOME_ERROR)
		strbuf_addstr(sb, "<dt>firewall</dt><dd>none: the run's network could reach "
				  "other ports of its gateway address</dd>\n");
	dl_json(sb, "spec", jat(d, "spec"));
	dl_json(sb, "container", jat(d, "container"));
	strbuf_addstr(sb, "</dl>\n");
	add_evidence(sb, "OOB hits", jat(d, "evidence.oob"));
	add_evidence(sb, "stub traffic", jat(d, "evidence.stubs"));
	add_pre(sb, "stdout (tail)", jat(d, "evidence.stdout_tail"));
	add_pre(sb, "stderr (tail)", jat(d, "evidence.stderr_tail"));
	if (arts && arts->type == JSON_ARRAY && arts->u.arr.n) {
		strbuf_addstr(sb, "<h5>artifacts</h5><ul class=\"artifacts\">\n");
		for (size_t i = 0; i < arts->u.arr.n; i++) {
			const char *a = json_str(arts->u.arr.v[i]);
			strbuf_addstr(sb, "<li>");
			add_artifact(sb, dir, a ? a : "", o);
			strbuf_addstr(sb, "</li>\n");
		}
		strbuf_addstr(sb, "</ul>\n");
	}
	strbuf_reset(&t);
	shell_words(&t, jat(d, "repro"));
	if (t.len) {
		strbuf_addstr(sb, "<h5>reproduce</h5><div class=\"repro\"><pre><code>");
		h_escn(sb, t.buf, t.len);
		strbuf_addstr(sb,
			      "</code></pre><button type=\"button\" class=\"copy\">copy</button>"
			      "</div>\n");
	}
	strbuf_addstr(sb, "</div>\n");
	strbuf_release(&t);
}

#define NCOLS 8

static void add_verdict(struct strbuf *sb, size_t idx, const struct verdict *v,
			const struct record *recs, struct json_value *const *docs,
			const struct html_opts *o)
{
	const struct json_value *rep = docs[v->rep];
	const struct json_value *h = jat(rep, "harness"), *p = jat(rep, "payload");
	struct strbuf t = STRBUF_INIT;
	uint64_t total = 0;

	for (size_t i = 0; i < v->nseq; i++)
		total += recs[v->seq[i] - 1].duration_ms;
	strbuf_addf(sb,
		    "<tr class=\"verdict%s\" id=\"v%zu\" data-outcome=\"%s\" data-match=\"%d\" "
		    "data-flaky=\"%d\" data-name=\"",
		    v->match ? "" : " mismatch", idx + 1, oname(v->outcome), v->match, v->flaky);
	h_json(sb, h);
	if (!jnull(p) && p->type == JSON_STRING && p->u.str.len) {
		strbuf_addch(sb, '[');
		h_json(sb, p);
		strbuf_addch(sb, ']');
	}
	strbuf_addf(sb, "\">\n<td data-v=\"%d\">%s</td><td class=\"harness\">", v->match,
		    v->match ? "<span class=\"st-ok\">&#x2713; ok</span>"
			     : "<span class=\"st-bad\">&#x2717; MISMATCH</span>");
	h_json(sb, h);
	strbuf_addstr(sb, "</td><td class=\"payload\">");
	h_json(sb, p);
	strbuf_addf(sb, "</td><td data-v=\"%d\"><span class=\"o o-%s\">%s</span>%s</td>",
		    (int)v->outcome, oname(v->outcome), oname(v->outcome),
		    v->flaky ? "<span class=\"flaky\" title=\"some runs confirmed, some not\">"
			       "flaky</span>"
			     : "");
	strbuf_addf(sb, "<td>%s</td>",
		    v->expected == OUTCOME_NONE ? "<span class=\"muted\">none</span>"
						: oname(v->expected));
	strbuf_addf(sb, "<td data-v=\"%u\" title=\"confirmed runs / runs (K=%u needed)\">%u/%u",
		    v->fired, v->confirm, v->fired, v->runs);
	if (v->confirm > 1)
		strbuf_addf(sb, " <span class=\"muted\">K=%u</span>", v->confirm);
	add_ms(&t, total);
	strbuf_addf(sb, "</td><td data-v=\"%llu\">%s</td><td class=\"cause\">",
		    (unsigned long long)total, t.buf);
	h_json(sb, jat(rep, "cause"));
	strbuf_addf(sb,
		    "</td></tr>\n<tr class=\"runs\" data-for=\"v%zu\"><td colspan=\"%d\">"
		    "<details><summary>%zu run%s</summary>\n",
		    idx + 1, NCOLS, v->nseq, v->nseq == 1 ? "" : "s");
	for (size_t i = 0; i < v->nseq; i++)
		add_run(sb, v->seq[i], &recs[v->seq[i] - 1], docs[v->seq[i] - 1], o);
	strbuf_addstr(sb, "</details></td></tr>\n");
	strbuf_release(&t);
}

static void add_table(struct strbuf *sb, const struct record *recs, struct json_value *const *docs,
		      const struct verdict *v, size_t nv, const struct html_opts *o)
{
	strbuf_addf(sb,
		    "<table id=\"verdicts\" data-visible=\"%zu\"><thead><tr>"
		    "<th>status</th><th>harness</th><th>payload</th><th>outcome</th>"
		    "<th>expected</th><th>fired</th><th>time</th><th>cause</th>"
		    "</tr></thead>\n<tbody>\n",
		    nv);
	/* Mismatches first, each group in suite order. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < nv; i++)
			if (v[i].match == (pass == 1))
				add_verdict(sb, i, &v[i], recs, docs, o);
	strbuf_addstr(sb, "</tbody></table>\n");
}

/* The verdict index (0-based) each record belongs to. */
static size_t *verdict_of(const struct verdict *v, size_t nv, size_t n)
{
	size_t *of = n ? xcalloc(n, sizeof(*of)) : NULL;

	for (size_t i = 0; i < nv; i++)
		for (size_t j = 0; j < v[i].nseq; j++)
			if (v[i].seq[j] >= 1 && v[i].seq[j] <= n)
				of[v[i].seq[j] - 1] = i;
	return of;
}

static void add_bar(struct strbuf *sb, const struct record *r, struct json_value *const *docs,
		    size_t i, size_t vi, double left, double width)
{
	struct strbuf t = STRBUF_INIT;

	add_ms(&t, r->duration_ms);
	strbuf_addf(sb,
		    "<div class=\"bar o-%s\" data-seq=\"%zu\" data-verdict=\"v%zu\" "
		    "style=\"left:%.3f%%;width:%.3f%%\" title=\"#%zu ",
		    oname(r->outcome), i + 1, vi + 1, left, width, i + 1);
	h_json(sb, jat(docs[i], "harness"));
	strbuf_addf(sb, " %s, %s\"></div>", oname(r->outcome), t.buf);
	strbuf_release(&t);
}

static void add_timeline(struct strbuf *sb, const struct record *recs,
			 struct json_value *const *docs, size_t n, const struct verdict *v,
			 size_t nv, const struct html_timing *tm)
{
	size_t *of = verdict_of(v, nv, n);
	uint64_t span = 1;
	int lanes = 0;

	strbuf_addstr(sb, "<h2>Timeline</h2><div id=\"timeline\">\n");
	for (size_t i = 0; i < n; i++) {
		uint64_t end = (tm ? tm[i].start_ms : 0) + recs[i].duration_ms;
		if (end > span)
			span = end;
		if (tm && tm[i].worker + 1 > lanes)
			lanes = tm[i].worker + 1;
	}
	if (!tm) {
		strbuf_addstr(sb, "<p class=\"muted\">The records carry no start times: one bar "
				  "per run, its length the run's duration.</p>\n");
		for (size_t i = 0; i < n; i++) {
			strbuf_addf(sb, "<div class=\"tl-row\"><span class=\"lane-label\">#%zu ",
				    i + 1);
			h_json(sb, jat(docs[i], "harness"));
			strbuf_addf(sb, "</span><div class=\"lane\" data-lane=\"run-%zu\">", i + 1);
			add_bar(sb, &recs[i], docs, i, of[i], 0.0,
				100.0 * (double)recs[i].duration_ms / (double)span);
			strbuf_addstr(sb, "</div></div>\n");
		}
	}
	/* Lane -1 collects runs whose worker is unknown. */
	for (int lane = tm ? -1 : 0; tm && lane < lanes; lane++) {
		bool any = false;
		for (size_t i = 0; i < n && !any; i++)
			any = tm[i].worker == lane || (lane == -1 && tm[i].worker < -1);
		if (!any)
			continue;
		if (lane < 0)
			strbuf_addstr(sb, "<div class=\"tl-row\"><span class=\"lane-label\">worker "
					  "unknown</span>");
		else
			strbuf_addf(sb,
				    "<div class=\"tl-row\"><span class=\"lane-label\">worker %d"
				    "</span>",
				    lane + 1);
		strbuf_addf(sb, "<div class=\"lane\" data-lane=\"%d\">", lane);
		for (size_t i = 0; i < n; i++)
			if (tm[i].worker == lane || (lane == -1 && tm[i].worker < -1))
				add_bar(sb, &recs[i], docs, i, of[i],
					100.0 * (double)tm[i].start_ms / (double)span,
					100.0 * (double)recs[i].duration_ms / (double)span);
		strbuf_addstr(sb, "</div></div>\n");
	}
	strbuf_addstr(sb, "</div>\n");
	free(of);
}

static void add_unattributed(struct strbuf *sb, const char *json)
{
	struct json_value *v = NULL;

	if (!json || json_parse(&v, "unattributed", json, strlen(json), NULL) < 0)
		return;
	if (v->type == JSON_ARRAY && v->u.arr.n) {
		strbuf_addstr(sb, "<h2>Unattributed hits</h2><p class=\"muted\">Callbacks that "
				  "carried no token of this run.</p>\n");
		add_evidence(sb, "hits", v);
	}
	json_free(v);
}

int report_html_write(struct strbuf *out, const struct run_meta *meta, const struct record *recs,
		      size_t n, const struct verdict *v, size_t nv, const struct html_opts *opts,
		      struct sr_err *err)
{
	static const struct html_opts none = {0};
	const struct html_opts *o = opts ? opts : &none;
	struct json_value **docs;
	char nonce[33];

	if (o->nonce)
		snprintf(nonce, sizeof(nonce), "%s", o->nonce);
	else if (sr_token(nonce, err) < 0)
		return SR_EFAIL;
	nonce[strspn(nonce, "0123456789abcdefABCDEF")] = '\0';
	docs = record_docs(recs, n);
	strbuf_addf(out,
		    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		    "style-src 'unsafe-inline'; script-src 'nonce-%s'; base-uri 'none'; "
		    "form-action 'none'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>sandrun report ",
		    nonce);
	h_esc(out, meta->run_id);
	strbuf_addf(out,
		    "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>sandrun report</h1>\n",
		    report_html_style);
	add_meta(out, meta);
	add_counts(out, recs, n, v, nv);
	strbuf_addstr(out, "<h2>Verdicts</h2>\n");
	add_filters(out);
	add_table(out, recs, docs, v, nv, o);
	add_timeline(out, recs, docs, n, v, nv, o->timing);
	add_unattributed(out, meta->unattributed_json);
	strbuf_addf(out, "<script nonce=\"%s\">\n%s</script>\n</body>\n</html>\n", nonce,
		    report_html_script);
	for (size_t i = 0; i < n; i++)
		json_free(docs[i]);
	free(docs);
	return 0;
}

int report_html_write_file(const char *path, const struct run_meta *meta, const struct record *recs,
			   size_t n, const struct verdict *v, size_t nv,
			   const struct html_timing *timing, struct sr_err *err)
{
	struct strbuf sb = STRBUF_INIT, base = STRBUF_INIT;
	struct html_opts o = {.timing = timing};
	char cwd[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int rc;

	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	if (path[0] != '/' && cwd[0])
		strbuf_addf(&base, "%s/", cwd);
	if (slash)
		strbuf_add(&base, path, (size_t)(slash - path) + (slash == path));
	o.base_dir = base.len && base.buf[0] == '/' ? base.buf : NULL;
	o.cwd = cwd[0] ? cwd : NULL;
	rc = report_html_write(&sb, meta, recs, n, v, nv, &o, err);
	if (!rc)
		rc = sr_write_file_atomic(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	strbuf_release(&base);
	return rc;
}

void report_html_escape(struct strbuf *sb, const char *s)
{
	h_esc(sb, s);
}

const char *report_html_css(void)
{
	return report_html_style;
}
