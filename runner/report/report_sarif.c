/* SARIF 2.1.0: one result per confirmed or crash verdict. */
#include "runner/report/report_int.h"
#include "runner/report/diff.h"
#include "runner/verdict/kofn.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "lib/hash.h"

/* Where a crash result points (issue 21): the top frame's own file, not
 * the spec's. The uriBaseId of source files kept as the build named them
 * (absolute paths outside the repository with no --source-map), declared
 * in originalUriBaseIds as file:///. */
#define SARIF_BUILDROOT "BUILDROOT"

/* Percent-encode everything but unreserved characters and '/'. */
static void sarif_uri_path(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
			strbuf_addch(sb, (char)c);
		else
			strbuf_addf(sb, "%%%02X", c);
	}
}

/* path with its leading "./" components dropped. */
static const char *skip_dot(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		for (p += 2; *p == '/'; p++)
			;
	return p;
}

static void relative(struct strbuf *sb, const char *rel, const char *base_id)
{
	struct strbuf uri = STRBUF_INIT;

	sarif_uri_path(&uri, skip_dot(rel));
	strbuf_addstr(sb, "{\"uri\": ");
	json_add_str(sb, uri.buf);
	strbuf_addstr(sb, ", \"uriBaseId\": ");
	json_add_str(sb, base_id);
	strbuf_addch(sb, '}');
	strbuf_release(&uri);
}

/* The part of path below dir ("" when equal), or NULL when it is not. */
static const char *below(const char *path, const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (!n || strncmp(path, dir, n) || (path[n] && path[n] != '/'))
		return NULL;
	return path[n] ? path + n + 1 : path + n;
}

/* Append {"uri": ..., "uriBaseId": "%SRCROOT%"} for path relative to cwd
 * when it can be, else an absolute file URI. */
static void sarif_file_location(struct strbuf *sb, const char *path, const char *cwd)
{
	const char *rel = path[0] == '/' ? below(path, cwd) : path;
	struct strbuf uri = STRBUF_INIT;

	if (rel && *rel) {
		relative(sb, rel, "%SRCROOT%");
		return;
	}
	strbuf_addstr(&uri, "file://");
	sarif_uri_path(&uri, path);
	strbuf_addstr(sb, "{\"uri\": ");
	json_add_str(sb, uri.buf);
	strbuf_addch(sb, '}');
	strbuf_release(&uri);
}

/* Map file by the first FROM=TO whose FROM is a directory prefix of it. */
static char *source_mapped(const char *file, const struct strvec *map)
{
	for (size_t i = 0; map && i < map->nr; i++) {
		const char *eq = strchr(map->v[i], '='), *rest;
		char *from;
		if (!eq)
			continue;
		from = xstrndup(map->v[i], (size_t)(eq - map->v[i]));
		rest = below(file, from);
		free(from);
		if (rest && *rest)
			return eq[1] ? xasprintf("%s/%s", eq + 1, rest) : xstrdup(rest);
	}
	return NULL;
}

/* The first frame that names a file and a line. */
static const char *top_file(const struct json_value *crash, int *line)
{
	const struct json_value *fr = json_get(crash, "frames");

	for (size_t i = 0; fr && fr->type == JSON_ARRAY && i < fr->u.arr.n; i++) {
		const struct json_value *f = fr->u.arr.v[i], *l = json_get(f, "line");
		const char *file = json_str(json_get(f, "file"));
		if (file && *file && l && l->type == JSON_NUMBER && l->u.num.v >= 1 &&
		    l->u.num.v < 1e9) {
			*line = (int)l->u.num.v;
			return file;
		}
	}
	return NULL;
}

/* The artifactLocation of crash's source, for the first frame that names a
 * file and a line (*line set), chosen in this order:
 *   1. the host file the run resolved (crash.location.file) when the frame
 *      is under /work (the workdir) or that file lies under cwd (the
 *      repository): relative to %SRCROOT%;
 *   2. the frame's file when it lies under cwd itself;
 *   3. the frame's file mapped by the first source_map entry "FROM=TO"
 *      whose FROM is a directory prefix of it (TO relative: to %SRCROOT%);
 *   4. the frame's file as given: an absolute path under BUILDROOT, a
 *      relative one under %SRCROOT%.
 * Returns false (nothing appended) when no frame names a file: the caller
 * points at the spec. Strings are redacted with tok. */
static bool sarif_crash_location(struct strbuf *sb, int *line, const struct json_value *crash,
				 const char *cwd, const struct strvec *source_map, const char *tok)
{
	const struct json_value *loc = json_get(crash, "location");
	const char *host = json_str(json_get(loc, "file")), *frame = top_file(crash, line);
	char *f = NULL, *m;

	if (!frame) { /* an older record: the resolved location alone */
		const struct json_value *l = json_get(loc, "line");
		if (!host || !l || l->type != JSON_NUMBER || l->u.num.v < 1 || l->u.num.v >= 1e9)
			return false;
		*line = (int)l->u.num.v;
		f = report_redact(host, tok);
		sarif_file_location(sb, f, cwd);
		free(f);
		return true;
	}
	if (host && (!strncmp(frame, "/work/", 6) || (host[0] == '/' && below(host, cwd)))) {
		f = report_redact(host, tok);
		sarif_file_location(sb, f, cwd);
	} else if (frame[0] == '/' && below(frame, cwd) && *below(frame, cwd)) {
		f = report_redact(frame, tok);
		sarif_file_location(sb, f, cwd);
	} else if ((m = source_mapped(frame, source_map))) {
		f = report_redact(m, tok);
		free(m);
		sarif_file_location(sb, f, cwd);
	} else {
		f = report_redact(frame, tok);
		relative(sb, f[0] == '/' ? f + 1 : f, f[0] == '/' ? SARIF_BUILDROOT : "%SRCROOT%");
	}
	free(f);
	return true;
}

static void add_file_location(struct strbuf *sb, const char *spec, const char *cwd)
{
	sarif_file_location(sb, spec, cwd);
}

static void add_spec_location(struct strbuf *sb, const struct record *r, const char *cwd)
{
	struct strbuf fallback = STRBUF_INIT;
	const char *spec = r->spec_path;

	if (!spec || !*spec) {
		strbuf_addf(&fallback, "%s.yaml",
			    r->harness && *r->harness ? r->harness : "harness");
		spec = fallback.buf;
	}
	add_file_location(sb, spec, cwd);
	strbuf_release(&fallback);
}

/* What a crash record's SARIF result says beyond the spec: its type (the
 * rule), its place in the sources and its signature. */
struct crash_bits {
	struct json_value *doc;
	const char *type, *file, *signature;
	int line;
};

static void crash_bits(struct crash_bits *cb, const struct record *r)
{
	const struct json_value *loc, *line;

	memset(cb, 0, sizeof(*cb));
	if (r->outcome != OUTCOME_CRASH || !r->crash_json ||
	    json_parse(&cb->doc, "crash", r->crash_json, strlen(r->crash_json), NULL) < 0)
		return;
	cb->type = json_str(json_get(cb->doc, "type"));
	cb->signature = json_str(json_get(cb->doc, "signature"));
	loc = json_get(cb->doc, "location");
	line = json_get(loc, "line");
	if (json_str(json_get(loc, "file")) && line && line->type == JSON_NUMBER &&
	    line->u.num.v >= 1) {
		cb->file = json_str(json_get(loc, "file"));
		cb->line = (int)line->u.num.v;
	}
}

/* The rule a record's result is under: its crash type, else its harness. */
static char *rule_of(const struct record *r)
{
	struct crash_bits cb;
	char *id;

	crash_bits(&cb, r);
	id = report_redact(cb.type ? cb.type : r->harness ? r->harness : "", r->token);
	json_free(cb.doc);
	return id;
}

static bool is_finding(const struct record *r)
{
	return r->outcome == OUTCOME_CONFIRMED || r->outcome == OUTCOME_CRASH;
}

/* One reportingDescriptor: a harness, with the texts GitHub shows. */
/* A rule for one crash type, whichever harness hit it. */
static void add_crash_rule(struct strbuf *sb, const char *id)
{
	struct strbuf t = STRBUF_INIT;

	strbuf_addstr(sb, "{\"id\": ");
	json_add_str(sb, id);
	strbuf_addf(&t, "%s", id);
	strbuf_addstr(sb, ", \"shortDescription\": {\"text\": ");
	json_add_str(sb, t.buf);
	strbuf_reset(&t);
	strbuf_addf(&t,
		    "A sanitizer or libFuzzer reported %s inside a sandrun harness; results "
		    "with the same sandrunCrash/v1 fingerprint are one bug.",
		    id);
	strbuf_addstr(sb, "}, \"fullDescription\": {\"text\": ");
	json_add_str(sb, t.buf);
	strbuf_addstr(sb, "}, \"help\": {\"text\": \"Run the result's `sandrun repro` line "
			  "to run the saved input again.\"}, \"defaultConfiguration\": "
			  "{\"level\": \"error\"}, \"properties\": {\"tags\": [\"security\", "
			  "\"sandrun\", \"crash\"], \"precision\": \"very-high\", "
			  "\"problem.severity\": \"error\"}}");
	strbuf_release(&t);
}

static void add_rule(struct strbuf *sb, const char *id, const char *spec)
{
	struct strbuf t = STRBUF_INIT;

	strbuf_addstr(sb, "{\"id\": ");
	json_add_str(sb, id);
	strbuf_addf(&t, "sandrun harness %s fired", id);
	strbuf_addstr(sb, ", \"shortDescription\": {\"text\": ");
	json_add_str(sb, t.buf);
	strbuf_reset(&t);
	strbuf_addf(&t,
		    "The sandrun harness %s%s%s%s confirmed its vulnerability or crashed the "
		    "target inside its sandbox.",
		    id, spec ? " (" : "", spec ? spec : "", spec ? ")" : "");
	strbuf_addstr(sb, "}, \"fullDescription\": {\"text\": ");
	json_add_str(sb, t.buf);
	strbuf_reset(&t);
	strbuf_addf(
	    &t, "Run `sandrun run %s` to reproduce; the result's properties carry the evidence.",
	    spec ? spec : id);
	strbuf_addstr(sb, "}, \"help\": {\"text\": ");
	json_add_str(sb, t.buf);
	strbuf_addstr(sb, "}, \"defaultConfiguration\": {\"level\": \"error\"}, "
			  "\"properties\": {\"tags\": [\"security\", \"sandrun\"], "
			  "\"precision\": \"very-high\", \"problem.severity\": \"error\"}}");
	strbuf_release(&t);
}

/* One SARIF result for a confirmed or crash record, under rule index k. */
static void add_result(struct strbuf *sb, const struct record *r, size_t k,
		       const struct run_meta *m, const char *wd)
{
	const char *run_id = m->run_id;
	int line = 0;
	const char *tok = r->token, *h = r->harness ? r->harness : "";
	const char *p = r->payload ? r->payload : "";
	struct strbuf msg = STRBUF_INIT;
	struct sr_hasher *hs;
	struct crash_bits cb;
	char fp[17];

	crash_bits(&cb, r);
	strbuf_addstr(sb, "{\"ruleId\": ");
	rep_jstr(sb, cb.type ? cb.type : h, tok);
	strbuf_addf(sb, ", \"ruleIndex\": %zu, \"level\": \"error\", \"message\": {\"text\": ", k);
	strbuf_addstr(&msg, h);
	if (*p)
		strbuf_addf(&msg, " [%s]", p);
	strbuf_addf(&msg, ": %s", rep_oshow(r->outcome));
	if (r->cause && *r->cause)
		strbuf_addf(&msg, ": %s", r->cause);
	rep_jstr(sb, msg.buf, tok);
	strbuf_release(&msg);
	strbuf_addstr(sb, "}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": ");
	if (cb.doc && sarif_crash_location(sb, &line, cb.doc, wd, m->source_map, tok)) {
		strbuf_addf(sb, ", \"region\": {\"startLine\": %d}}}]", line);
	} else {
		add_spec_location(sb, r, wd);
		strbuf_addstr(sb, ", \"region\": {\"startLine\": 1}}}]");
	}
	/* Harness and payload only: the same finding keeps its fingerprint
	 * across runs, repeats and machines. */
	hs = sr_hasher_new();
	sr_hasher_add_str(hs, h);
	sr_hasher_add_str(hs, p);
	sr_hasher_finish(hs, fp);
	strbuf_addf(sb, ", \"partialFingerprints\": {\"sandrunRun/v1\": \"%s\"", fp);
	if (cb.signature) {
		/* One bug keeps its fingerprint whichever harness or run hit it. */
		hs = sr_hasher_new();
		sr_hasher_add_str(hs, cb.signature);
		sr_hasher_finish(hs, fp);
		strbuf_addf(sb, ", \"sandrunCrash/v1\": \"%s\"", fp);
	}
	strbuf_addch(sb, '}');
	if (m->baseline)
		strbuf_addf(sb, ", \"baselineState\": \"%s\"",
			    report_diff_result_state(m->baseline, h, p, r->outcome,
						     cb.signature ? cb.signature : r->signature));
	strbuf_addstr(sb, ", \"properties\": {\"outcome\": ");
	rep_joutcome(sb, r->outcome);
	strbuf_addstr(sb, ", \"expected\": ");
	rep_joutcome(sb, r->expected);
	strbuf_addstr(sb, ", \"payload\": ");
	rep_jstr(sb, p, tok);
	strbuf_addstr(sb, ", \"image\": ");
	rep_jstr(sb, r->image, tok);
	strbuf_addf(sb, ", \"pinned\": %s, \"fired\": \"%u/%u\", \"repeat\": %u",
		    rep_jbool(r->pinned), r->fired, r->runs, r->repeat_index + 1);
	if (r->exit_code != -1)
		strbuf_addf(sb, ", \"exitCode\": %d", r->exit_code);
	if (r->signal)
		strbuf_addf(sb, ", \"signal\": %d", r->signal);
	strbuf_addstr(sb, ", \"artifacts\": ");
	rep_jstrvec(sb, &r->evidence.artifacts, tok);
	if (r->evidence.artifact_dir) {
		strbuf_addstr(sb, ", \"artifactDir\": ");
		rep_jstr(sb, r->evidence.artifact_dir, tok);
	}
	if (cb.signature) {
		strbuf_addstr(sb, ", \"signature\": ");
		rep_jstr(sb, cb.signature, tok);
	}
	strbuf_addstr(sb, ", \"runId\": ");
	json_add_str(sb, run_id);
	strbuf_addstr(sb, "}}");
	json_free(cb.doc);
}

/* A finding of the baseline the run no longer has: baselineState "absent". */
static void add_absent(struct strbuf *sb, const struct diff_row *row, const char *wd)
{
	struct strbuf msg = STRBUF_INIT;
	struct record r;
	struct sr_hasher *hs;
	char fp[17];

	record_init(&r);
	r.harness = row->harness;
	r.spec_path = row->spec_path;
	strbuf_addstr(sb, "{\"ruleId\": ");
	json_add_str(sb, row->harness);
	strbuf_addstr(sb, ", \"level\": \"note\", \"message\": {\"text\": ");
	strbuf_addstr(&msg, row->harness);
	if (*row->payload)
		strbuf_addf(&msg, " [%s]", row->payload);
	strbuf_addf(&msg, ": no longer %s (now %s)", rep_oshow(row->old_outcome),
		    row->new_outcome == OUTCOME_NONE ? "not run" : rep_oshow(row->new_outcome));
	json_add_str(sb, msg.buf);
	strbuf_addstr(sb, "}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": ");
	add_spec_location(sb, &r, wd);
	strbuf_addstr(sb, ", \"region\": {\"startLine\": 1}}}]");
	hs = sr_hasher_new();
	sr_hasher_add_str(hs, row->harness);
	sr_hasher_add_str(hs, row->payload);
	sr_hasher_finish(hs, fp);
	strbuf_addf(sb, ", \"partialFingerprints\": {\"sandrunRun/v1\": \"%s\"}", fp);
	strbuf_addstr(sb, ", \"baselineState\": \"absent\"}");
	strbuf_release(&msg);
}

/* invocations (success, start and end) and %SRCROOT% (the working
 * directory, which spec paths are relative to). */
static void add_invocation(struct strbuf *sb, const struct run_meta *m, const char *wd)
{
	strbuf_addstr(sb, "      \"invocations\": [{\"executionSuccessful\": ");
	strbuf_addstr(sb, rep_jbool(!m->interrupted));
	if (m->start_wall_ms) {
		strbuf_addstr(sb, ", \"startTimeUtc\": ");
		rep_time(sb, m->start_wall_ms);
	}
	if (m->end_wall_ms) {
		strbuf_addstr(sb, ", \"endTimeUtc\": ");
		rep_time(sb, m->end_wall_ms);
	}
	strbuf_addstr(sb, "}],\n");
	if (wd && wd[0] == '/') {
		struct strbuf u = STRBUF_INIT;
		strbuf_addstr(&u, "file://");
		sarif_uri_path(&u, wd);
		if (u.buf[u.len - 1] != '/')
			strbuf_addch(&u, '/');
		strbuf_addstr(sb, "      \"originalUriBaseIds\": {\"%SRCROOT%\": {\"uri\": ");
		json_add_str(sb, u.buf);
		strbuf_addstr(sb, "}, \"" SARIF_BUILDROOT "\": {\"uri\": \"file:///\"}},\n");
		strbuf_release(&u);
	}
}

int report_write_sarif(const char *path, const struct run_meta *m, const struct record *recs,
		       size_t n, struct sr_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char **rules = NULL;
	size_t nrules = 0, arules = 0, nres = 0, nv;
	struct verdict *v;
	char cwd[PATH_MAX];
	const char *wd = getcwd(cwd, sizeof(cwd));
	int rc;

	for (size_t i = 0; i < n; i++) {
		char *h = rule_of(&recs[i]);
		size_t k = 0;
		while (k < nrules && strcmp(rules[k], h))
			k++;
		if (k == nrules) {
			SR_GROW(rules, nrules + 1, arules);
			rules[nrules++] = h;
		} else {
			free(h);
		}
	}

	strbuf_addstr(&sb, "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
			   "  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n");
	strbuf_addstr(&sb,
		      "      \"tool\": {\"driver\": {\"name\": \"sandrun\", \"informationUri\": ");
	json_add_str(&sb, SR_INFORMATION_URI);
	strbuf_addstr(&sb, ", \"version\": ");
	json_add_str(&sb, m->tool_version ? m->tool_version : "unknown");
	strbuf_addstr(&sb, ", \"rules\": [");
	for (size_t k = 0; k < nrules; k++) {
		const char *spec = NULL;
		for (size_t i = 0; i < n && !spec; i++)
			if (!strcmp(recs[i].harness ? recs[i].harness : "", rules[k]))
				spec = recs[i].spec_path;
		strbuf_addstr(&sb, k ? ",\n        " : "\n        ");
		if (!spec)
			add_crash_rule(&sb, rules[k]);
		else
			add_rule(&sb, rules[k], spec);
	}
	strbuf_addstr(&sb, nrules ? "\n      ]}},\n" : "]}},\n");

	add_invocation(&sb, m, wd);

	/* One result per confirmed or crash verdict, told by its first run
	 * with the verdict's outcome. */
	verdicts_build(&v, &nv, recs, n, verdict_confirm_of_record, NULL);
	strbuf_addstr(&sb, "      \"results\": [");
	for (size_t i = 0; i < nv; i++) {
		const struct record *r = &recs[v[i].rep];
		size_t k = 0;

		if (v[i].outcome != r->outcome || !is_finding(r))
			continue;
		char *id = rule_of(r);
		while (strcmp(rules[k], id))
			k++;
		free(id);
		strbuf_addstr(&sb, nres++ ? ",\n        " : "\n        ");
		add_result(&sb, r, k, m, wd);
	}
	for (size_t i = 0; m->baseline && i < m->baseline->nrows; i++)
		if (report_diff_row_absent(&m->baseline->rows[i])) {
			strbuf_addstr(&sb, nres++ ? ",\n        " : "\n        ");
			add_absent(&sb, &m->baseline->rows[i], wd);
		}
	strbuf_addstr(&sb, nres ? "\n      ]\n    }\n  ]\n}\n" : "]\n    }\n  ]\n}\n");
	verdicts_free(v, nv);
	for (size_t k = 0; k < nrules; k++)
		free(rules[k]);
	free(rules);
	rc = sr_write_file_atomic(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return rc;
}
