/* `sandrun report merge`: shard reports into one. */
#include "runner/report/diff.h"
#include "runner/report/report_int.h"
#include "runner/merge/report_merge.h"
#include "runner/report/report_html.h"
#include "runner/report/report_read.h"
#include "runner/verdict/kofn.h"
#include "runner/cli/shard.h"

#include <stdlib.h>
#include <string.h>

static int merr(struct sr_err *err, const char *path, const struct json_value *at, const char *fmt,
		...) SR_PRINTF(4, 5);
static int merr(struct sr_err *err, const char *path, const struct json_value *at, const char *fmt,
		...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	sr_err_set(err, SR_EINVAL, "%s:%u:%u: %s", path, at->line, at->col, strbuf_str(&sb));
	strbuf_release(&sb);
	return SR_EINVAL;
}

/* The member of obj that must exist and be of type t. */
static int need(const struct json_value **out, const char *path, const struct json_value *obj,
		const char *key, enum json_type t, struct sr_err *err)
{
	const struct json_value *v = json_get(obj, key);

	*out = v;
	if (!v)
		return merr(err, path, obj, "missing \"%s\"", key);
	if (v->type != t)
		return merr(err, path, v, "\"%s\" must be %s %s, not %s", key,
			    t == JSON_ARRAY || t == JSON_OBJECT ? "an" : "a", json_type_name(t),
			    json_type_name(v->type));
	return 0;
}

/* An outcome name in v (a JSON string), or null when nullable. */
static int outcome_value(enum outcome *out, const char *path, const struct json_value *v,
			 const char *key, bool nullable, struct sr_err *err)
{
	*out = OUTCOME_NONE;
	if (nullable && v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_STRING)
		return merr(err, path, v, "\"%s\" must be an outcome name", key);
	*out = rep_outcome_of(v->u.str.s, v->u.str.len);
	if (*out == OUTCOME_NONE)
		return merr(err, path, v, "unknown outcome in \"%s\"", key);
	return 0;
}

struct merge_state {
	size_t counts[NOUTCOMES];
	size_t total, failed;
	unsigned shard_count; /* N of the sharded inputs, 0: none */
	unsigned *missing;    /* the shards no input has */
	size_t nmissing;
	const struct json_value *started, *finished; /* earliest / latest strings */
	bool interrupted;
	struct strbuf unattributed; /* comma-separated serialized elements */
	struct strbuf run_ids;	    /* comma-separated serialized strings */
	struct rep_crash_groups crashes;
};

static int merge_one(struct merge_state *st, const char *path, const struct json_value *doc,
		     struct sr_err *err)
{
	const struct json_value *run, *recs, *v;

	if (doc->type != JSON_OBJECT)
		return merr(err, path, doc, "a report must be an object, not %s",
			    json_type_name(doc->type));
	if (need(&run, path, doc, "run", JSON_OBJECT, err) < 0 ||
	    need(&recs, path, doc, "records", JSON_ARRAY, err) < 0)
		return SR_EINVAL;

	if ((v = json_get(run, "merged_from")) && v->type != JSON_NULL) {
		if (v->type != JSON_ARRAY)
			return merr(err, path, v, "\"merged_from\" must be an array");
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (v->u.arr.v[i]->type != JSON_STRING)
				return merr(err, path, v->u.arr.v[i],
					    "\"merged_from\" must hold run ids");
			if (st->run_ids.len)
				strbuf_addstr(&st->run_ids, ", ");
			json_serialize(&st->run_ids, v->u.arr.v[i]);
		}
	} else {
		if (need(&v, path, run, "run_id", JSON_STRING, err) < 0)
			return SR_EINVAL;
		if (st->run_ids.len)
			strbuf_addstr(&st->run_ids, ", ");
		json_serialize(&st->run_ids, v);
	}
	if ((v = json_get(run, "started")) && v->type == JSON_STRING &&
	    (!st->started || strcmp(v->u.str.s, st->started->u.str.s) < 0))
		st->started = v;
	if ((v = json_get(run, "finished")) && v->type == JSON_STRING &&
	    (!st->finished || strcmp(v->u.str.s, st->finished->u.str.s) > 0))
		st->finished = v;
	if ((v = json_get(run, "interrupted")) && v->type == JSON_BOOL && v->u.b)
		st->interrupted = true;
	if ((v = json_get(run, "unattributed")) && v->type != JSON_NULL) {
		if (v->type != JSON_ARRAY)
			return merr(err, path, v, "\"unattributed\" must be an array");
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (st->unattributed.len)
				strbuf_addch(&st->unattributed, ',');
			json_serialize(&st->unattributed, v->u.arr.v[i]);
		}
	}

	for (size_t i = 0; i < recs->u.arr.n; i++) {
		const struct json_value *rec = recs->u.arr.v[i];
		const struct json_value *o, *e;
		enum outcome out, exp = OUTCOME_NONE;

		if (rec->type != JSON_OBJECT)
			return merr(err, path, rec, "a record must be an object, not %s",
				    json_type_name(rec->type));
		if (!(o = json_get(rec, "outcome")))
			return merr(err, path, rec, "record without \"outcome\"");
		if (outcome_value(&out, path, o, "outcome", false, err) < 0)
			return SR_EINVAL;
		if ((e = json_get(rec, "expected")) &&
		    outcome_value(&exp, path, e, "expected", true, err) < 0)
			return SR_EINVAL;
		st->counts[out]++;
		rep_crash_groups_tree(&st->crashes, rec);
		st->total++;
		st->failed += exp == OUTCOME_NONE ? out == OUTCOME_ERROR : out != exp;
	}
	return 0;
}

enum {
	O_STARTED,
	O_FINISHED,
	O_INTERRUPTED,
	O_SHARD,
	O_COUNTS,
	O_TOTAL,
	O_FAILED,
	O_UNATTRIBUTED,
	O_SHARDS,
	O_MERGED_FROM,
	O_CRASH_GROUPS,
	O_N
};
static const char *const override_keys[O_N] = {
    "started", "finished",     "interrupted", "shard",	     "counts",	     "total",
    "failed",  "unattributed", "shards",      "merged_from", "crash_groups",
};

static void merge_override(struct strbuf *sb, int which, const struct merge_state *st)
{
	switch (which) {
	case O_STARTED:
		json_serialize(sb, st->started);
		break;
	case O_FINISHED:
		json_serialize(sb, st->finished);
		break;
	case O_INTERRUPTED:
		strbuf_addstr(sb, rep_jbool(st->interrupted));
		break;
	case O_SHARD:
		strbuf_addstr(sb, "null");
		break;
	case O_COUNTS:
		rep_counts(sb, st->counts);
		break;
	case O_TOTAL:
		strbuf_addf(sb, "%zu", st->total);
		break;
	case O_FAILED:
		strbuf_addf(sb, "%zu", st->failed);
		break;
	case O_UNATTRIBUTED:
		strbuf_addf(sb, "[%s]", strbuf_str(&st->unattributed));
		break;
	case O_SHARDS:
		if (!st->shard_count) {
			strbuf_addstr(sb, "null");
			break;
		}
		strbuf_addf(sb, "{\"count\": %u, \"missing\": [", st->shard_count);
		for (size_t i = 0; i < st->nmissing; i++)
			strbuf_addf(sb, "%s%u", i ? ", " : "", st->missing[i]);
		strbuf_addstr(sb, "]}");
		break;
	case O_MERGED_FROM:
		strbuf_addf(sb, "[%s]", strbuf_str(&st->run_ids));
		break;
	case O_CRASH_GROUPS:
		rep_crash_groups_json(sb, &st->crashes);
		break;
	}
}

static int override_index(const struct json_member *m, const struct merge_state *st)
{
	for (int k = 0; k < O_N; k++) {
		if (strlen(override_keys[k]) != m->key_len ||
		    memcmp(override_keys[k], m->key, m->key_len))
			continue;
		/* Without a timestamp in any input, the first input's value stays. */
		if ((k == O_STARTED && !st->started) || (k == O_FINISHED && !st->finished))
			return -1;
		return k;
	}
	return -1;
}

/* The input order records go out in: by shard index, unsharded first,
 * otherwise as given (stable). */
static size_t *input_order(const struct merge_input *in, size_t n)
{
	size_t *ord = xcalloc(n ? n : 1, sizeof(*ord));

	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		for (; j > 0 && in[ord[j - 1]].index > in[i].index; j--)
			ord[j] = ord[j - 1];
		ord[j] = i;
	}
	return ord;
}

/* The verdict object v with every number of its "seq" moved by off: the
 * records of the input it came from now start at off + 1. */
static void shifted_verdict(struct strbuf *sb, const struct json_value *v, size_t off)
{
	strbuf_addch(sb, '{');
	for (size_t i = 0; i < v->u.obj.n; i++) {
		const struct json_member *mb = &v->u.obj.m[i];
		const struct json_value *x = mb->value;
		if (i)
			strbuf_addch(sb, ',');
		json_add_strn(sb, mb->key, mb->key_len);
		strbuf_addch(sb, ':');
		if (strcmp(mb->key, "seq") || x->type != JSON_ARRAY) {
			json_serialize(sb, x);
			continue;
		}
		strbuf_addch(sb, '[');
		for (size_t k = 0; k < x->u.arr.n; k++)
			strbuf_addf(sb, "%s%.0f", k ? "," : "",
				    x->u.arr.v[k]->type == JSON_NUMBER
					? x->u.arr.v[k]->u.num.v + (double)off
					: 0.0);
		strbuf_addch(sb, ']');
	}
	strbuf_addch(sb, '}');
}

/* Close the records, then the inputs' verdicts in the order their records
 * went out (ord): shards keep every run of a verdict in one input, so they
 * concatenate, their seq moved to the merged numbering. */
static void merge_verdicts(struct strbuf *sb, struct json_value **docs, const size_t *ord,
			   size_t nin, size_t nrec)
{
	size_t off = 0, nv = 0;

	strbuf_addstr(sb, nrec ? "\n  ],\n  \"verdicts\": [" : "],\n  \"verdicts\": [");
	for (size_t i = 0; i < nin; i++) {
		const struct json_value *v = json_get(docs[ord[i]], "verdicts");
		for (size_t j = 0; v && v->type == JSON_ARRAY && j < v->u.arr.n; j++) {
			if (v->u.arr.v[j]->type != JSON_OBJECT)
				continue;
			rep_doc_record_sep(sb, nv++);
			shifted_verdict(sb, v->u.arr.v[j], off);
		}
		off += json_get(docs[ord[i]], "records")->u.arr.n;
	}
	strbuf_addstr(sb, nv ? "\n  ]\n}\n" : "]\n}\n");
}

/* The merged document into sb: the first input's run with the overrides,
 * then the records in input_order, the missing shards' records last. */
static void merged_doc(struct strbuf *sb, struct json_value **docs, const size_t *ord, size_t nin,
		       const struct merge_state *st, const struct record *miss, size_t nmiss)
{
	const struct json_value *run = json_get(docs[0], "run");
	bool done[O_N] = {false}, first = true;
	size_t nrec = 0;

	rep_doc_open_run(sb);
	for (size_t i = 0; i < run->u.obj.n; i++) {
		const struct json_member *mb = &run->u.obj.m[i];
		int k = override_index(mb, st);
		rep_doc_field_sep(sb, &first);
		json_add_strn(sb, mb->key, mb->key_len);
		strbuf_addstr(sb, ": ");
		if (k >= 0) {
			merge_override(sb, k, st);
			done[k] = true;
		} else {
			json_serialize(sb, mb->value);
		}
	}
	for (int k = 0; k < O_N; k++) {
		if (done[k] || (k == O_STARTED && !st->started) ||
		    (k == O_FINISHED && !st->finished))
			continue;
		rep_doc_field(sb, &first, override_keys[k]);
		merge_override(sb, k, st);
	}
	rep_doc_open_records(sb);
	for (size_t i = 0; i < nin; i++) {
		const struct json_value *recs = json_get(docs[ord[i]], "records");
		for (size_t j = 0; j < recs->u.arr.n; j++) {
			rep_doc_record_sep(sb, nrec++);
			json_serialize(sb, recs->u.arr.v[j]);
		}
	}
	for (size_t i = 0; i < nmiss; i++) {
		rep_doc_record_sep(sb, nrec++);
		report_record_json(sb, &miss[i]);
	}
	merge_verdicts(sb, docs, ord, nin, nrec);
}

/* The merged document text read back into records, as any report is. */
static int read_merged(struct record **recs, size_t *n, struct run_meta *m,
		       const struct strbuf *doc, struct sr_err *err)
{
	struct json_value *v = NULL;
	int rc;

	if ((rc = json_parse(&v, "merged report", doc->buf, doc->len, err)) < 0)
		return rc;
	rc = report_read_doc(recs, n, m, v, "merged report", err);
	json_free(v);
	return rc;
}

/* Any other format of the merged document text, read back like any
 * report (report_read_doc). */
static int write_converted(const struct merge_output *o, const struct strbuf *doc,
			   struct sr_err *err)
{
	struct record *r = NULL;
	struct run_meta m;
	size_t n = 0;
	int rc;

	struct report_diff d = {0};

	if ((rc = read_merged(&r, &n, &m, doc, err)) < 0)
		return rc;
	m.source_map = o->source_map;
	if (o->baseline) {
		report_diff_build(&d, o->baseline->recs, o->baseline->n, r, n);
		d.old_label = xstrdup(o->baseline->label);
		d.old_id = o->baseline->run_id ? xstrdup(o->baseline->run_id) : NULL;
		m.baseline = &d;
	}
	rc = o->fmt->write(o->path, &m, r, n, false, err);
	for (size_t i = 0; i < n; i++)
		record_release(&r[i]);
	free(r);
	run_meta_release(&m);
	report_diff_release(&d);
	return rc;
}

/* The fingerprint of suite's spec files with the catalogue hash of the first
 * sharded input; *out stays NULL when no sharded input records one. */
static int suite_fp_from_shards(char **out, const struct merge_suite *suite,
				struct json_value **docs, const struct merge_input *in, size_t nin,
				struct sr_err *err)
{
	for (size_t i = 0; i < nin; i++) {
		const struct json_value *c =
		    json_get(json_get(json_get(docs[i], "run"), "catalogue"), "xxh64");
		if (!in[i].count || !in[i].fingerprint || !c || c->type != JSON_STRING)
			continue;
		return suite_fingerprint(out, suite->root, suite->spec_paths, suite->nspecs,
					 c->u.str.s, err);
	}
	return 0;
}

/* How many verdicts of the merged document do not match: `report merge`
 * judges the whole suite as `run` does, by k-of-n verdicts, not runs. */
static int failed_verdicts(size_t *out, const struct strbuf *doc, struct sr_err *err)
{
	struct record *r = NULL;
	struct verdict *vd;
	struct run_meta m;
	size_t n = 0, nv;
	int rc;

	*out = 0;
	if ((rc = read_merged(&r, &n, &m, doc, err)) < 0)
		return rc;
	verdicts_build(&vd, &nv, r, n, verdict_confirm_of_record, NULL);
	for (size_t i = 0; i < nv; i++)
		*out += !vd[i].match;
	verdicts_free(vd, nv);
	for (size_t i = 0; i < n; i++)
		record_release(&r[i]);
	free(r);
	run_meta_release(&m);
	return 0;
}

int report_merge_outputs(size_t *out_failed, const struct merge_output *outs, size_t nout,
			 const char *const *in_paths, size_t nin, const struct merge_suite *suite,
			 struct sr_err *err)
{
	struct json_value **docs;
	struct merge_input *in;
	struct merge_state st = {.unattributed = STRBUF_INIT, .run_ids = STRBUF_INIT};
	struct strbuf sb = STRBUF_INIT;
	struct record *miss = NULL;
	size_t nmiss = 0, amiss = 0, *ord = NULL;
	struct merge_suite su;
	char *fp = NULL;
	int rc = 0;

	if (!nin)
		return sr_err_set(err, SR_EINVAL, "report merge: no input reports");
	docs = xcalloc(nin, sizeof(*docs));
	in = xcalloc(nin, sizeof(*in));
	for (size_t i = 0; i < nin && !rc; i++) {
		rc = json_parse_file(&docs[i], in_paths[i], err);
		if (!rc)
			rc = merge_one(&st, in_paths[i], docs[i], err);
		if (!rc)
			rc = merge_input_read(&in[i], in_paths[i], docs[i], err);
	}
	if (!rc && suite && !suite->fingerprint && suite->root)
		rc = suite_fp_from_shards(&fp, suite, docs, in, nin, err);
	if (!rc && fp) {
		su = *suite;
		su.fingerprint = fp;
		suite = &su;
	}
	if (!rc)
		rc = merge_check_shards(&st.missing, &st.nmissing, &st.shard_count, in, nin, suite,
					err);
	if (rc)
		goto done;

	/* A lost shard is not a green one: its runs become errors. */
	for (size_t i = 0; i < st.nmissing; i++)
		merge_missing_records(&miss, &nmiss, &amiss, st.missing[i], st.shard_count, suite);
	for (size_t i = 0; i < nmiss; i++) {
		st.counts[miss[i].outcome]++;
		st.total++;
		st.failed += record_failed(&miss[i]);
	}
	ord = input_order(in, nin);
	merged_doc(&sb, docs, ord, nin, &st, miss, nmiss);
	for (size_t i = 0; i < nout && !rc; i++) {
		/* The JSON output is the merged document itself. */
		if (outs[i].fmt == &report_formats[0])
			rc = sr_write_file_atomic(outs[i].path, sb.buf, sb.len, err);
		else
			rc = write_converted(&outs[i], &sb, err);
	}
	if (!rc && out_failed)
		rc = failed_verdicts(out_failed, &sb, err);
done:
	for (size_t i = 0; i < nin; i++)
		json_free(docs[i]);
	for (size_t i = 0; i < nmiss; i++)
		record_release(&miss[i]);
	free(miss);
	free(docs);
	free(in);
	free(ord);
	free(st.missing);
	free(fp);
	strbuf_release(&sb);
	strbuf_release(&st.unattributed);
	strbuf_release(&st.run_ids);
	rep_crash_groups_release(&st.crashes);
	return rc;
}

int report_merge(const char *out_path, const char *const *in_paths, size_t nin, struct sr_err *err)
{
	struct merge_output o = {.fmt = &report_formats[0], .path = out_path};

	return report_merge_outputs(NULL, &o, 1, in_paths, nin, NULL, err);
}
