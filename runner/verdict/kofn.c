/* k-of-n aggregation of runs into verdicts. */
#include "runner/verdict/kofn.h"

#include <string.h>

static const char *nz(const char *s)
{
	return s ? s : "";
}

static bool same_group(const struct record *a, const struct record *b)
{
	return !strcmp(nz(a->harness), nz(b->harness)) && !strcmp(nz(a->payload), nz(b->payload));
}

/* A run's outcome rank for the fallback: lower wins; unknown values lose to
 * every known outcome. */
static int rank(enum outcome o)
{
	return o >= OUTCOME_ERROR && o <= OUTCOME_NOT_CONFIRMED ? (int)o
								: OUTCOME_NOT_CONFIRMED + 1;
}

static void aggregate(struct verdict *v, const struct record *recs)
{
	enum outcome rest = OUTCOME_NOT_CONFIRMED;

	for (size_t i = 0; i < v->nseq; i++) {
		enum outcome o = recs[v->seq[i] - 1].outcome;
		if (o == OUTCOME_CONFIRMED)
			v->fired++;
		else if (rank(o) < rank(rest))
			rest = o;
	}
	v->runs = (unsigned)v->nseq;
	v->flaky = v->fired > 0 && v->fired < v->runs;
	v->outcome = v->fired >= v->confirm ? OUTCOME_CONFIRMED : rest;
	v->match =
	    v->expected == OUTCOME_NONE ? v->outcome != OUTCOME_ERROR : v->outcome == v->expected;
	v->rep = v->seq[0] - 1;
	for (size_t i = 0; i < v->nseq; i++) {
		if (recs[v->seq[i] - 1].outcome == v->outcome) {
			v->rep = v->seq[i] - 1;
			break;
		}
	}
}

static size_t group_hash(const struct record *r)
{
	size_t h = 1469598103934665603u;

	for (const char *p = nz(r->harness); *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	h = (h ^ 0xff) * 1099511628211u; /* ("ab","c") and ("a","bc") differ */
	for (const char *p = nz(r->payload); *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	return h;
}

/* The group of recs[i] through an open-addressing table of group indexes
 * (slot value g + 1; 0 empty), so that grouping stays linear. */
static size_t *find_slot(size_t *slots, size_t mask, const struct record *recs, const size_t *first,
			 size_t i)
{
	for (size_t k = group_hash(&recs[i]) & mask;; k = (k + 1) & mask)
		if (!slots[k] || same_group(&recs[first[slots[k] - 1]], &recs[i]))
			return &slots[k];
}

int verdicts_build(struct verdict **out, size_t *nout, const struct record *recs, size_t n,
		   verdict_confirm_fn confirm_of, void *ctx)
{
	struct verdict *v = NULL;
	size_t nv = 0, av = 0, mask = 15;
	size_t *group = n ? xcalloc(n, sizeof(*group)) : NULL; /* record -> index in v */
	size_t *first = n ? xcalloc(n, sizeof(*first)) : NULL; /* v -> its first record */
	size_t *slots;

	while (mask < 2 * n)
		mask = mask * 2 + 1;
	slots = xcalloc(mask + 1, sizeof(*slots));
	for (size_t i = 0; i < n; i++) {
		size_t *slot = find_slot(slots, mask, recs, first, i);
		size_t g = *slot ? *slot - 1 : nv;
		if (g == nv) {
			*slot = nv + 1;
			unsigned k = confirm_of ? confirm_of(&recs[i], ctx) : 1;
			SR_GROW(v, nv + 1, av);
			memset(&v[nv], 0, sizeof(v[nv]));
			v[nv].harness = xstrdup(nz(recs[i].harness));
			v[nv].payload = xstrdup(nz(recs[i].payload));
			v[nv].expected = recs[i].expected;
			v[nv].confirm = k ? k : 1;
			first[nv++] = i;
		}
		group[i] = g;
		v[g].nseq++;
	}
	for (size_t g = 0; g < nv; g++) {
		size_t k = 0;
		v[g].seq = xcalloc(v[g].nseq, sizeof(size_t));
		for (size_t i = first[g]; k < v[g].nseq; i++)
			if (group[i] == g)
				v[g].seq[k++] = i + 1;
		aggregate(&v[g], recs);
	}
	free(group);
	free(first);
	free(slots);
	*out = v;
	*nout = nv;
	return 0;
}

unsigned verdict_confirm_of_record(const struct record *r, void *ctx)
{
	(void)ctx;
	return r->confirm;
}

void verdicts_free(struct verdict *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].harness);
		free(v[i].payload);
		free(v[i].seq);
		free(v[i].signature);
	}
	free(v);
}

void verdict_json(struct strbuf *out, const struct verdict *v)
{
	strbuf_addstr(out, "{\"harness\":");
	json_add_str(out, v->harness);
	strbuf_addstr(out, ",\"payload\":");
	json_add_str(out, v->payload);
	strbuf_addstr(out, ",\"outcome\":");
	json_add_str(out, outcome_name(v->outcome));
	strbuf_addstr(out, ",\"expected\":");
	json_add_str(out, v->expected == OUTCOME_NONE ? NULL : outcome_name(v->expected));
	strbuf_addf(out, ",\"match\":%s,\"fired\":\"%u/%u\",\"confirm\":%u,\"flaky\":%s,\"seq\":[",
		    v->match ? "true" : "false", v->fired, v->runs, v->confirm,
		    v->flaky ? "true" : "false");
	for (size_t i = 0; i < v->nseq; i++)
		strbuf_addf(out, "%s%zu", i ? "," : "", v->seq[i]);
	strbuf_addstr(out, "],\"signature\":");
	json_add_str(out, v->signature);
	strbuf_addch(out, '}');
}
