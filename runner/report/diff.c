/* Comparing two reports (diff.h): the rows, the signatures, console and JSON. */
#include "runner/report/diff.h"

#include <string.h>

#include "lib/jsonparse.h"
#include "runner/report/report_int.h"
#include "runner/report/report_read.h"
#include "runner/verdict/kofn.h"

static const char *const change_names[DIFF_NCHANGES] = {
    "unchanged", "new_confirmed", "fixed", "newly_flaky", "outcome_changed", "added", "removed",
};

const char *diff_change_name(enum diff_change c)
{
	return (unsigned)c < DIFF_NCHANGES ? change_names[c] : "unchanged";
}

static void fuzz_side(struct diff_fuzz_side *f, const struct record *recs, const struct verdict *v)
{
	struct json_value *doc = NULL;
	const struct json_value *x;
	const char *text = NULL;

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < v->nseq; i++)
		if (recs[v->seq[i] - 1].fuzz_json)
			text = recs[v->seq[i] - 1].fuzz_json;
	if (!text || json_parse(&doc, "fuzz", text, strlen(text), NULL) < 0)
		return;
	f->has = true;
	if ((x = json_get(doc, "execs")) && x->type == JSON_NUMBER && x->u.num.v >= 0)
		f->has_execs = true, f->execs = (uint64_t)x->u.num.v;
	if ((x = json_get(doc, "cov")) && x->type == JSON_NUMBER && x->u.num.v >= 0)
		f->has_cov = true, f->cov = (uint64_t)x->u.num.v;
	if ((x = json_get(doc, "corpus")) && x->type == JSON_NUMBER && x->u.num.v >= 0)
		f->has_corpus = true, f->corpus = (uint64_t)x->u.num.v;
	if ((x = json_get(doc, "initial_corpus")) && x->type == JSON_NUMBER && x->u.num.v >= 0)
		f->has_initial = true, f->initial = (uint64_t)x->u.num.v;
	json_free(doc);
}

static const struct verdict *find_verdict(const struct verdict *v, size_t n, const char *h,
					  const char *p)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].harness, h) && !strcmp(v[i].payload, p))
			return &v[i];
	return NULL;
}

/* The signature of a verdict's runs: the representative run's, else any. */
static const char *verdict_sig(const struct record *recs, const struct verdict *v)
{
	if (recs[v->rep].signature)
		return recs[v->rep].signature;
	for (size_t i = 0; i < v->nseq; i++)
		if (recs[v->seq[i] - 1].signature)
			return recs[v->seq[i] - 1].signature;
	return NULL;
}

static enum diff_change classify(const struct verdict *o, const struct verdict *c)
{
	if (!o)
		return c->outcome == OUTCOME_CONFIRMED ? DIFF_NEW_CONFIRMED : DIFF_ADDED;
	if (!c)
		return DIFF_REMOVED;
	if (o->outcome != OUTCOME_CONFIRMED && c->outcome == OUTCOME_CONFIRMED)
		return DIFF_NEW_CONFIRMED;
	if (o->outcome == OUTCOME_CONFIRMED && c->outcome != OUTCOME_CONFIRMED)
		return DIFF_FIXED;
	if (!o->flaky && c->flaky)
		return DIFF_NEWLY_FLAKY;
	if (o->outcome != c->outcome)
		return DIFF_OUTCOME_CHANGED;
	return DIFF_UNCHANGED;
}

static void fill_row(struct diff_row *r, const struct record *old, const struct verdict *o,
		     const struct record *cur, const struct verdict *c)
{
	const struct verdict *v = c ? c : o;
	const struct record *rec = c ? &cur[c->rep] : &old[o->rep];
	const char *sig = c ? verdict_sig(cur, c) : verdict_sig(old, o);

	memset(r, 0, sizeof(*r));
	r->harness = xstrdup(v->harness);
	r->payload = xstrdup(v->payload);
	r->change = classify(o, c);
	r->old_outcome = o ? o->outcome : OUTCOME_NONE;
	r->new_outcome = c ? c->outcome : OUTCOME_NONE;
	r->expected = v->expected;
	if (o) {
		r->old_fired = o->fired, r->old_runs = o->runs, r->old_flaky = o->flaky;
		fuzz_side(&r->fuzz_old, old, o);
	}
	if (c) {
		r->new_fired = c->fired, r->new_runs = c->runs, r->new_flaky = c->flaky;
		fuzz_side(&r->fuzz_new, cur, c);
	}
	r->cause = rec->cause ? xstrdup(rec->cause) : NULL;
	r->signature = sig ? xstrdup(sig) : NULL;
	if (o && (sig = verdict_sig(old, o)))
		r->old_signature = xstrdup(sig);
	if (rec->spec_path)
		r->spec_path = xstrdup(rec->spec_path);
	r->new_error = c && c->outcome == OUTCOME_ERROR && r->old_outcome != OUTCOME_ERROR &&
		       c->expected != OUTCOME_ERROR;
	r->regression =
	    r->new_error || (r->change == DIFF_NEW_CONFIRMED && r->expected != OUTCOME_NONE &&
			     r->expected != OUTCOME_CONFIRMED);
}

static bool has_sig(const struct rep_crash_groups *g, const char *s, size_t *at)
{
	for (size_t i = 0; i < g->sigs.nr; i++)
		if (!strcmp(g->sigs.v[i], s)) {
			if (at)
				*at = i;
			return true;
		}
	return false;
}

static void add_sig(struct report_diff *d, size_t *alloc, const struct rep_crash_groups *g,
		    size_t i, int state)
{
	struct diff_sig *s;

	SR_GROW(d->sigs, d->nsigs + 1, *alloc);
	s = &d->sigs[d->nsigs++];
	s->signature = xstrdup(g->sigs.v[i]);
	s->first = xstrdup(g->first.v[i]);
	s->runs = g->counts[i];
	s->state = state;
	if (state > 0)
		d->new_sigs++;
	else if (state < 0)
		d->gone_sigs++;
}

static void build_sigs(struct report_diff *d, const struct record *old, size_t nold,
		       const struct record *cur, size_t ncur)
{
	struct rep_crash_groups go = {0}, gc = {0};
	size_t alloc = 0;

	rep_crash_groups_records(&go, old, nold);
	rep_crash_groups_records(&gc, cur, ncur);
	for (size_t i = 0; i < gc.sigs.nr; i++)
		add_sig(d, &alloc, &gc, i, has_sig(&go, gc.sigs.v[i], NULL) ? 0 : 1);
	for (size_t i = 0; i < go.sigs.nr; i++)
		if (!has_sig(&gc, go.sigs.v[i], NULL))
			add_sig(d, &alloc, &go, i, -1);
	rep_crash_groups_release(&go);
	rep_crash_groups_release(&gc);
}

void report_diff_build(struct report_diff *d, const struct record *old, size_t nold,
		       const struct record *cur, size_t ncur)
{
	struct verdict *vo, *vc;
	size_t no, nc, alloc = 0;

	memset(d, 0, sizeof(*d));
	verdicts_build(&vo, &no, old, nold, verdict_confirm_of_record, NULL);
	verdicts_build(&vc, &nc, cur, ncur, verdict_confirm_of_record, NULL);
	for (size_t i = 0; i < nc + no; i++) {
		const struct verdict *c = i < nc ? &vc[i] : NULL;
		const struct verdict *o =
		    c ? find_verdict(vo, no, c->harness, c->payload) : &vo[i - nc];
		if (!c && find_verdict(vc, nc, o->harness, o->payload))
			continue;
		SR_GROW(d->rows, d->nrows + 1, alloc);
		fill_row(&d->rows[d->nrows], old, o, cur, c);
		d->counts[d->rows[d->nrows].change]++;
		d->regressions += d->rows[d->nrows].regression;
		d->new_errors += d->rows[d->nrows].new_error;
		d->nrows++;
	}
	build_sigs(d, old, nold, cur, ncur);
	d->regressions += d->new_sigs;
	verdicts_free(vo, no);
	verdicts_free(vc, nc);
}

void report_diff_release(struct report_diff *d)
{
	for (size_t i = 0; i < d->nrows; i++) {
		free(d->rows[i].harness);
		free(d->rows[i].payload);
		free(d->rows[i].cause);
		free(d->rows[i].signature);
		free(d->rows[i].old_signature);
		free(d->rows[i].spec_path);
	}
	for (size_t i = 0; i < d->nsigs; i++) {
		free(d->sigs[i].signature);
		free(d->sigs[i].first);
	}
	free(d->rows);
	free(d->sigs);
	free(d->old_id);
	free(d->new_id);
	free(d->old_label);
	free(d->new_label);
	memset(d, 0, sizeof(*d));
}

static void free_recs(struct record *r, size_t n, struct run_meta *m)
{
	for (size_t i = 0; i < n; i++)
		record_release(&r[i]);
	free(r);
	run_meta_release(m);
}

int report_diff_files(struct report_diff *d, const char *old_path, const char *new_path,
		      struct sr_err *err)
{
	struct record *ro = NULL, *rc = NULL;
	struct run_meta mo = {0}, mc = {0};
	size_t no = 0, nc = 0;
	int rv;

	memset(d, 0, sizeof(*d));
	if ((rv = report_read(&ro, &no, &mo, old_path, err)) < 0)
		return rv;
	if ((rv = report_read(&rc, &nc, &mc, new_path, err)) < 0) {
		free_recs(ro, no, &mo);
		return rv;
	}
	report_diff_build(d, ro, no, rc, nc);
	d->old_id = mo.run_id ? xstrdup(mo.run_id) : NULL;
	d->new_id = mc.run_id ? xstrdup(mc.run_id) : NULL;
	d->old_label = xstrdup(old_path);
	d->new_label = xstrdup(new_path);
	free_recs(ro, no, &mo);
	free_recs(rc, nc, &mc);
	return 0;
}

const char *report_diff_verdict_state(const struct report_diff *d, const char *harness,
				      const char *payload)
{
	for (size_t i = 0; d && i < d->nrows; i++) {
		const struct diff_row *r = &d->rows[i];
		if (strcmp(r->harness, harness) || strcmp(r->payload, payload))
			continue;
		switch (r->change) {
		case DIFF_UNCHANGED:
			return "unchanged";
		case DIFF_FIXED:
		case DIFF_REMOVED:
			return "fixed";
		default:
			return "new";
		}
	}
	return "new";
}

const char *report_diff_sig_state(const struct report_diff *d, const char *signature)
{
	for (size_t i = 0; d && signature && i < d->nsigs; i++)
		if (!strcmp(d->sigs[i].signature, signature))
			return d->sigs[i].state > 0   ? "new"
			       : d->sigs[i].state < 0 ? "fixed"
						      : "unchanged";
	return NULL;
}

static bool is_finding(enum outcome o)
{
	return o == OUTCOME_CONFIRMED || o == OUTCOME_CRASH;
}

bool report_diff_row_absent(const struct diff_row *r)
{
	return is_finding(r->old_outcome) && !is_finding(r->new_outcome);
}

const char *report_diff_result_state(const struct report_diff *d, const char *harness,
				     const char *payload, enum outcome o, const char *signature)
{
	const struct diff_row *r = NULL;
	const char *ss = report_diff_sig_state(d, signature);

	for (size_t i = 0; d && i < d->nrows && !r; i++)
		if (!strcmp(d->rows[i].harness, harness) && !strcmp(d->rows[i].payload, payload))
			r = &d->rows[i];
	if (!r || !is_finding(r->old_outcome))
		return "new";
	if (o == OUTCOME_CRASH && ss && !strcmp(ss, "new"))
		return "new";
	if (o != r->old_outcome)
		return "updated";
	if (o == OUTCOME_CRASH && (!signature) != (!r->old_signature))
		return "updated";
	if (o == OUTCOME_CRASH && signature && strcmp(signature, r->old_signature))
		return "updated";
	return "unchanged";
}

void report_diff_json_groups(struct strbuf *sb, const struct record *recs, size_t n,
			     const struct report_diff *d)
{
	struct rep_crash_groups g = {0};
	bool any = false;

	rep_crash_groups_records(&g, recs, n);
	strbuf_addch(sb, '[');
	for (size_t i = 0; i < g.sigs.nr; i++, any = true) {
		const char *st = report_diff_sig_state(d, g.sigs.v[i]);
		strbuf_addstr(sb, any ? ", {\"signature\": " : "{\"signature\": ");
		json_add_str(sb, g.sigs.v[i]);
		strbuf_addf(sb, ", \"runs\": %zu, \"first\": ", g.counts[i]);
		json_add_str(sb, g.first.v[i]);
		strbuf_addf(sb, ", \"baseline\": \"%s\"}", st ? st : "new");
	}
	for (size_t i = 0; i < d->nsigs; i++) {
		if (d->sigs[i].state >= 0)
			continue;
		strbuf_addstr(sb, any ? ", {\"signature\": " : "{\"signature\": ");
		json_add_str(sb, d->sigs[i].signature);
		strbuf_addstr(sb, ", \"runs\": 0, \"first\": null, \"baseline\": \"fixed\"}");
		any = true;
	}
	strbuf_addch(sb, ']');
	rep_crash_groups_release(&g);
}

void report_diff_json_baseline(struct strbuf *sb, const struct report_diff *d)
{
	strbuf_addstr(sb, "{\"report\": ");
	json_add_str(sb, d->old_label);
	strbuf_addstr(sb, ", \"run_id\": ");
	json_add_str(sb, d->old_id);
	strbuf_addf(sb, ", \"regressions\": %zu, \"verdicts\": [", d->regressions);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct diff_row *r = &d->rows[i];
		strbuf_addstr(sb, i ? ", {\"harness\": " : "{\"harness\": ");
		json_add_str(sb, r->harness);
		strbuf_addstr(sb, ", \"payload\": ");
		json_add_str(sb, r->payload);
		strbuf_addf(sb, ", \"baseline\": \"%s\", \"change\": \"%s\", \"regression\": %s}",
			    report_diff_verdict_state(d, r->harness, r->payload),
			    diff_change_name(r->change), r->regression ? "true" : "false");
	}
	strbuf_addstr(sb, "]}");
}
