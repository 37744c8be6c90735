/* What the reports say about crashes and fuzzing (DESIGN §7 `crash`, `fuzz`):
 * the raw objects of a record, and crash verdicts grouped by signature. */
#include "runner/report/report_int.h"

#include <string.h>

void rep_raw_object(struct strbuf *sb, const char *json, const char *tok)
{
	struct json_value *v = NULL;

	if (json && json_parse(&v, "crash", json, strlen(json), NULL) == 0 &&
	    v->type == JSON_OBJECT) {
		rep_redact_tree(v, tok);
		json_serialize(sb, v);
	} else {
		strbuf_addstr(sb, "null");
	}
	json_free(v);
}

static char *obj_text(const struct json_value *v)
{
	struct strbuf sb = STRBUF_INIT;

	if (!v || v->type != JSON_OBJECT)
		return NULL;
	json_serialize(&sb, v);
	return strbuf_detach(&sb, NULL);
}

static char *str_or_null(const struct json_value *v)
{
	return json_str(v) ? xstrdup(json_str(v)) : NULL;
}

void report_read_crash_fields(struct record *r, const struct json_value *rec)
{
	const struct json_value *ev = json_get(rec, "evidence"), *v;

	free(r->crash_json);
	r->crash_json = obj_text(json_get(rec, "crash"));
	free(r->signature);
	r->signature = str_or_null(json_get(json_get(rec, "crash"), "signature"));
	free(r->fuzz_json);
	r->fuzz_json = obj_text(json_get(rec, "fuzz"));
	free(r->evidence.stdout_file);
	r->evidence.stdout_file = str_or_null(json_get(ev, "stdout_file"));
	free(r->evidence.stderr_file);
	r->evidence.stderr_file = str_or_null(json_get(ev, "stderr_file"));
	v = json_get(ev, "artifacts_dropped");
	r->evidence.artifacts_dropped =
	    v && v->type == JSON_NUMBER && v->u.num.v >= 0 && v->u.num.v < 4e9
		? (unsigned)v->u.num.v
		: 0;
	strvec_clear(&r->engine_argv);
	v = json_get(rec, "engine_argv");
	for (size_t i = 0; v && v->type == JSON_ARRAY && i < v->u.arr.n; i++)
		if (json_str(v->u.arr.v[i]))
			strvec_push(&r->engine_argv, json_str(v->u.arr.v[i]));
}

void rep_crash_groups_add(struct rep_crash_groups *g, const char *signature, const char *run)
{
	const char *sig = signature && *signature ? signature : "(no signature)";

	g->crashes++;
	for (size_t i = 0; i < g->sigs.nr; i++) {
		if (!strcmp(g->sigs.v[i], sig)) {
			g->counts[i]++;
			return;
		}
	}
	SR_GROW(g->counts, g->sigs.nr + 1, g->acounts);
	g->counts[g->sigs.nr] = 1;
	strvec_push(&g->sigs, sig);
	strvec_push(&g->first, run ? run : "");
}

void rep_crash_groups_records(struct rep_crash_groups *g, const struct record *recs, size_t n)
{
	struct strbuf name = STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (recs[i].outcome != OUTCOME_CRASH)
			continue;
		char *sig = report_redact(recs[i].signature, recs[i].token);
		strbuf_reset(&name);
		rep_run_name(&name, &recs[i]);
		rep_crash_groups_add(g, sig, name.buf);
		free(sig);
	}
	strbuf_release(&name);
}

void rep_crash_groups_tree(struct rep_crash_groups *g, const struct json_value *rec)
{
	const struct json_value *o = json_get(rec, "outcome"), *v;
	const char *h = json_str(json_get(rec, "harness")), *p = json_str(json_get(rec, "payload"));
	struct strbuf name = STRBUF_INIT;

	if (!json_str(o) || strcmp(json_str(o), "crash"))
		return;
	v = json_get(rec, "repeat");
	record_selector(&name, h, p, v && v->type == JSON_NUMBER ? v->u.num.text : NULL);
	rep_crash_groups_add(g, json_str(json_get(json_get(rec, "crash"), "signature")), name.buf);
	strbuf_release(&name);
}

void rep_crash_groups_json(struct strbuf *sb, const struct rep_crash_groups *g)
{
	strbuf_addch(sb, '[');
	for (size_t i = 0; i < g->sigs.nr; i++) {
		strbuf_addstr(sb, i ? ", {\"signature\": " : "{\"signature\": ");
		json_add_str(sb, g->sigs.v[i]);
		strbuf_addf(sb, ", \"runs\": %zu, \"first\": ", g->counts[i]);
		json_add_str(sb, g->first.v[i]);
		strbuf_addch(sb, '}');
	}
	strbuf_addch(sb, ']');
}

void rep_crash_groups_release(struct rep_crash_groups *g)
{
	strvec_clear(&g->sigs);
	strvec_clear(&g->first);
	free(g->counts);
	memset(g, 0, sizeof(*g));
}

void report_console_crashes(FILE *f, const struct record *recs, size_t n)
{
	struct rep_crash_groups g = {0};

	rep_crash_groups_records(&g, recs, n);
	if (g.crashes) {
		fprintf(f, "\n  %zu crash%s, %zu unique:\n", g.crashes, g.crashes == 1 ? "" : "es",
			g.sigs.nr);
		for (size_t i = 0; i < g.sigs.nr; i++) {
			struct strbuf line = STRBUF_INIT;
			/* Signatures come from the harness's output. */
			for (const char *s = g.sigs.v[i]; *s && line.len < 200; s++)
				strbuf_addch(&line,
					     (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
			fprintf(f, "    %4zu  %s  (first: %s)\n", g.counts[i], line.buf,
				g.first.v[i]);
			strbuf_release(&line);
		}
	}
	rep_crash_groups_release(&g);
}
