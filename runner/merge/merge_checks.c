/* The shard checks and missing-shard records of `report merge`: pure
 * functions over parsed reports. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner/report/report_int.h"
#include "runner/merge/report_merge.h"
#include "runner/cli/shard.h"

static int at_err(struct sr_err *err, const char *path, const struct json_value *at,
		  const char *what)
{
	return sr_err_set(err, SR_EINVAL, "%s:%u:%u: %s", path, at->line, at->col, what);
}

/* A JSON number that is a whole number in 1..SHARD_MAX. */
static bool shard_num(const struct json_value *v, unsigned *out)
{
	if (!v || v->type != JSON_NUMBER || v->u.num.v < 1 || v->u.num.v > SHARD_MAX ||
	    v->u.num.v != (double)(unsigned)v->u.num.v)
		return false;
	*out = (unsigned)v->u.num.v;
	return true;
}

int merge_input_read(struct merge_input *out, const char *path, const struct json_value *doc,
		     struct sr_err *err)
{
	const struct json_value *run = json_get(doc, "run");
	const struct json_value *sh = json_get(run, "shard"), *fp = json_get(run, "fingerprint");

	memset(out, 0, sizeof(*out));
	out->path = path;
	if (sh && sh->type == JSON_STRING) {
		struct shard s;
		if (shard_parse(&s, sh->u.str.s, NULL) < 0)
			return at_err(err, path, sh, "\"shard\" is not K/N");
		out->index = s.index;
		out->count = s.count;
	} else if (sh && sh->type == JSON_OBJECT) {
		if (!shard_num(json_get(sh, "index"), &out->index) ||
		    !shard_num(json_get(sh, "count"), &out->count) || out->index > out->count)
			return at_err(err, path, sh,
				      "\"shard\" needs \"index\" and \"count\" with 1 <= index "
				      "<= count");
	} else if (sh && sh->type != JSON_NULL) {
		return at_err(err, path, sh, "\"shard\" must be an object or null");
	} else if ((sh = json_get(run, "shards")) && sh->type == JSON_OBJECT) {
		if (!shard_num(json_get(sh, "count"), &out->count))
			return at_err(err, path, sh, "\"shards\" needs a \"count\"");
		out->whole = true;
	}
	if (fp && fp->type == JSON_STRING)
		out->fingerprint = fp->u.str.s;
	else if (fp && fp->type != JSON_NULL)
		return at_err(err, path, fp, "\"fingerprint\" must be a string or null");
	return 0;
}

int merge_check_shards(unsigned **out_missing, size_t *out_nmissing, unsigned *out_count,
		       const struct merge_input *in, size_t n, const struct merge_suite *suite,
		       struct sr_err *err)
{
	const struct merge_input *first = NULL, *fp_first = NULL;
	const struct merge_input **by_index = NULL;
	unsigned count = 0;
	size_t nmiss = 0;

	*out_missing = NULL;
	*out_nmissing = 0;
	*out_count = 0;
	for (size_t i = 0; i < n; i++) {
		const struct merge_input *x = &in[i];
		if (!x->count)
			continue;
		if (x->fingerprint && suite && suite->fingerprint &&
		    strcmp(x->fingerprint, suite->fingerprint)) {
			free(by_index);
			return sr_err_set(err, SR_EINVAL,
					  "%s: shard %u/%u ran another suite than --suite "
					  "(fingerprint %s, the suite's is %s)",
					  x->path, x->index, x->count, x->fingerprint,
					  suite->fingerprint);
		}
		if (x->fingerprint) {
			if (fp_first && strcmp(x->fingerprint, fp_first->fingerprint)) {
				free(by_index);
				return sr_err_set(err, SR_EINVAL,
						  "%s and %s are shards of different suites "
						  "(fingerprint %s vs %s): refusing to merge",
						  fp_first->path, x->path, fp_first->fingerprint,
						  x->fingerprint);
			}
			if (!fp_first)
				fp_first = x;
		}
		if (!first) {
			first = x;
			count = x->count;
			by_index = xcalloc(count + 1, sizeof(*by_index));
		} else if (x->count != count) {
			free(by_index);
			return sr_err_set(err, SR_EINVAL,
					  "%s is shard %u/%u but %s is shard %u/%u: shards of "
					  "one run share N",
					  first->path, first->index, first->count, x->path,
					  x->index, x->count);
		}
		for (unsigned k = x->whole ? 1 : x->index; k <= (x->whole ? count : x->index);
		     k++) {
			if (by_index[k]) {
				sr_err_set(err, SR_EINVAL,
					   "%s and %s both hold shard %u/%u: refusing to merge",
					   by_index[k]->path, x->path, k, count);
				free(by_index);
				return SR_EINVAL;
			}
			by_index[k] = x;
		}
	}
	for (unsigned k = 1; k <= count; k++)
		if (!by_index[k])
			nmiss++;
	if (nmiss) {
		*out_missing = xcalloc(nmiss, sizeof(**out_missing));
		for (unsigned k = 1; k <= count; k++)
			if (!by_index[k])
				(*out_missing)[(*out_nmissing)++] = k;
	}
	*out_count = count;
	free(by_index);
	return 0;
}

static struct record *push_error(struct record **recs, size_t *nrecs, size_t *arecs, unsigned index,
				 unsigned count)
{
	struct record *r;

	SR_GROW(*recs, *nrecs + 1, *arecs);
	r = &(*recs)[(*nrecs)++];
	record_init(r);
	r->outcome = OUTCOME_ERROR;
	r->expected = OUTCOME_NONE;
	r->phase = "collect";
	r->cause =
	    xasprintf("shard %u/%u wrote no report (its machine or task was lost)", index, count);
	r->runs = 1;
	r->isolation.network = "none";
	r->isolation.user = "65534:65534";
	return r;
}

void merge_missing_records(struct record **recs, size_t *nrecs, size_t *arecs, unsigned index,
			   unsigned count, const struct merge_suite *suite)
{
	struct shard s = {.index = index, .count = count, .source = "merge"};

	if (!suite) {
		struct record *r = push_error(recs, nrecs, arecs, index, count);
		r->harness = xasprintf("shard-%uof%u", index, count);
		r->payload = xstrdup("");
		return;
	}
	for (size_t i = 0; i < suite->n; i++) {
		const struct merge_run *m = &suite->runs[i];
		struct record *r;
		if (!shard_selects(&s, m->harness))
			continue;
		r = push_error(recs, nrecs, arecs, index, count);
		r->harness = xstrdup(m->harness);
		r->payload = xstrdup(m->payload ? m->payload : "");
		r->spec_path = m->spec_path ? xstrdup(m->spec_path) : NULL;
	}
}
