/* k-of-n verdicts over repeated runs (DESIGN §7), checked against a simple
 * oracle written here over every mix of outcomes for small N and K. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "runner/verdict/kofn.h"

#define NOUT 6

static unsigned confirm_from_ctx(const struct record *r, void *ctx)
{
	(void)r;
	return *(unsigned *)ctx;
}

/* The rule stated plainly: K confirmed runs make it confirmed; otherwise the
 * first of this list present among the other runs. */
static enum outcome oracle(const enum outcome *runs, unsigned n, unsigned K)
{
	static const enum outcome order[] = {OUTCOME_ERROR, OUTCOME_CRASH, OUTCOME_OOM,
					     OUTCOME_TIMEOUT, OUTCOME_NOT_CONFIRMED};
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		k += runs[i] == OUTCOME_CONFIRMED;
	if (k >= K)
		return OUTCOME_CONFIRMED;
	for (size_t j = 0; j < sizeof(order) / sizeof(order[0]); j++)
		for (unsigned i = 0; i < n; i++)
			if (runs[i] == order[j])
				return order[j];
	return OUTCOME_NOT_CONFIRMED;
}

static void fill(struct record *recs, const enum outcome *runs, unsigned n, enum outcome expected)
{
	for (unsigned i = 0; i < n; i++) {
		record_init(&recs[i]);
		recs[i].harness = "h";
		recs[i].payload = "p";
		recs[i].outcome = runs[i];
		recs[i].expected = expected;
		recs[i].repeat_index = i;
	}
}

static void check_one(const enum outcome *runs, unsigned n, unsigned K, enum outcome expected)
{
	struct record recs[8];
	struct verdict *v;
	size_t nv;
	unsigned k = 0;
	enum outcome want = oracle(runs, n, K);

	for (unsigned i = 0; i < n; i++)
		k += runs[i] == OUTCOME_CONFIRMED;
	fill(recs, runs, n, expected);
	assert_int_equal(verdicts_build(&v, &nv, recs, n, confirm_from_ctx, &K), 0);
	assert_int_equal(nv, 1);
	assert_int_equal(v->outcome, want);
	assert_int_equal(v->fired, k);
	assert_int_equal(v->runs, n);
	assert_int_equal(v->confirm, K);
	assert_int_equal(v->flaky, k > 0 && k < n);
	assert_int_equal(v->expected, expected);
	assert_int_equal(v->match,
			 expected == OUTCOME_NONE ? want != OUTCOME_ERROR : want == expected);
	assert_int_equal(v->nseq, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(v->seq[i], i + 1);
	assert_int_equal(recs[v->rep].outcome, want == OUTCOME_NOT_CONFIRMED && k == n
						   ? OUTCOME_CONFIRMED /* K > n: no run has it */
						   : want);
	assert_null(v->signature);
	verdicts_free(v, nv);
}

static void test_verdicts__every_mix_of_outcomes_matches_the_rule(void **state)
{
	enum outcome runs[4];
	size_t cases = 0;
	(void)state;

	for (unsigned n = 1; n <= 4; n++) {
		unsigned total = 1;
		for (unsigned i = 0; i < n; i++)
			total *= NOUT;
		for (unsigned code = 0; code < total; code++) {
			unsigned c = code;
			for (unsigned i = 0; i < n; i++, c /= NOUT)
				runs[i] = (enum outcome)(c % NOUT);
			/* K up to n + 1: an interrupted run leaves fewer runs than K. */
			for (unsigned K = 1; K <= n + 1; K++) {
				for (int e = OUTCOME_NONE; e < NOUT; e++) {
					check_one(runs, n, K, (enum outcome)e);
					cases++;
				}
			}
		}
	}
	assert_true(cases > 10000);
}

static void build(struct verdict **v, size_t *nv, const enum outcome *runs, unsigned n, unsigned K,
		  enum outcome expected, struct record *recs)
{
	fill(recs, runs, n, expected);
	assert_int_equal(verdicts_build(v, nv, recs, n, confirm_from_ctx, &K), 0);
	assert_int_equal(*nv, 1);
}

static void test_verdicts__four_of_six_with_k3_is_confirmed_and_flaky(void **state)
{
	const enum outcome runs[6] = {OUTCOME_CONFIRMED, OUTCOME_NOT_CONFIRMED, OUTCOME_CONFIRMED,
				      OUTCOME_CONFIRMED, OUTCOME_NOT_CONFIRMED, OUTCOME_CONFIRMED};
	struct record recs[6];
	struct verdict *v;
	size_t nv;
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	build(&v, &nv, runs, 6, 3, OUTCOME_CONFIRMED, recs);
	assert_int_equal(v->outcome, OUTCOME_CONFIRMED);
	assert_true(v->flaky);
	assert_true(v->match);
	assert_int_equal(v->fired, 4);
	assert_int_equal(v->runs, 6);
	verdict_json(&sb, v);
	assert_string_equal(sb.buf,
			    "{\"harness\":\"h\",\"payload\":\"p\",\"outcome\":\"confirmed\","
			    "\"expected\":\"confirmed\",\"match\":true,\"fired\":\"4/6\","
			    "\"confirm\":3,\"flaky\":true,\"seq\":[1,2,3,4,5,6],"
			    "\"signature\":null}");
	strbuf_release(&sb);
	verdicts_free(v, nv);
}

static void test_verdicts__two_of_six_with_k3_is_not_confirmed_but_flaky(void **state)
{
	const enum outcome runs[6] = {OUTCOME_NOT_CONFIRMED, OUTCOME_CONFIRMED,
				      OUTCOME_NOT_CONFIRMED, OUTCOME_NOT_CONFIRMED,
				      OUTCOME_CONFIRMED,     OUTCOME_NOT_CONFIRMED};
	struct record recs[6];
	struct verdict *v;
	size_t nv;
	(void)state;

	build(&v, &nv, runs, 6, 3, OUTCOME_CONFIRMED, recs);
	assert_int_equal(v->outcome, OUTCOME_NOT_CONFIRMED);
	assert_true(v->flaky);
	assert_false(v->match);
	assert_int_equal(v->fired, 2);
	assert_int_equal(v->rep, 0);
	verdicts_free(v, nv);
}

static void test_verdicts__an_error_run_wins_unless_k_runs_confirmed(void **state)
{
	const enum outcome runs[3] = {OUTCOME_CONFIRMED, OUTCOME_ERROR, OUTCOME_TIMEOUT};
	struct record recs[3];
	struct verdict *v;
	size_t nv;
	(void)state;

	build(&v, &nv, runs, 3, 2, OUTCOME_NONE, recs);
	assert_int_equal(v->outcome, OUTCOME_ERROR);
	assert_false(v->match); /* an error without expectation fails */
	assert_int_equal(v->rep, 1);
	verdicts_free(v, nv);

	build(&v, &nv, runs, 3, 1, OUTCOME_NONE, recs);
	assert_int_equal(v->outcome, OUTCOME_CONFIRMED);
	assert_true(v->match);
	verdicts_free(v, nv);
}

static void test_verdicts__groups_interleaved_runs_by_harness_and_payload(void **state)
{
	struct record recs[6];
	const char *h[6] = {"a", "a", "b", "a", "b", NULL};
	const char *p[6] = {"x", "y", "x", "x", "x", ""};
	const enum outcome o[6] = {OUTCOME_CRASH,     OUTCOME_CONFIRMED, OUTCOME_OOM,
				   OUTCOME_CONFIRMED, OUTCOME_TIMEOUT,	 OUTCOME_ERROR};
	struct verdict *v;
	size_t nv;
	(void)state;

	for (int i = 0; i < 6; i++) {
		record_init(&recs[i]);
		recs[i].harness = (char *)h[i];
		recs[i].payload = (char *)p[i];
		recs[i].outcome = o[i];
	}
	assert_int_equal(verdicts_build(&v, &nv, recs, 6, NULL, NULL), 0);
	assert_int_equal(nv, 4);
	assert_string_equal(v[0].harness, "a");
	assert_string_equal(v[0].payload, "x");
	assert_int_equal(v[0].nseq, 2);
	assert_int_equal(v[0].seq[0], 1);
	assert_int_equal(v[0].seq[1], 4);
	assert_int_equal(v[0].outcome, OUTCOME_CONFIRMED); /* K defaults to 1 */
	assert_true(v[0].flaky);
	assert_string_equal(v[1].payload, "y");
	assert_false(v[1].flaky);
	assert_string_equal(v[2].harness, "b");
	assert_int_equal(v[2].outcome, OUTCOME_OOM);
	assert_int_equal(v[2].seq[1], 5);
	assert_string_equal(v[3].harness, "");
	assert_int_equal(v[3].outcome, OUTCOME_ERROR);
	verdicts_free(v, nv);
}

static void test_verdicts__no_records_no_verdicts(void **state)
{
	struct verdict *v = (struct verdict *)1;
	size_t nv = 7;
	(void)state;

	assert_int_equal(verdicts_build(&v, &nv, NULL, 0, NULL, NULL), 0);
	assert_int_equal(nv, 0);
	assert_null(v);
	verdicts_free(v, nv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verdicts__every_mix_of_outcomes_matches_the_rule),
	    cmocka_unit_test(test_verdicts__four_of_six_with_k3_is_confirmed_and_flaky),
	    cmocka_unit_test(test_verdicts__two_of_six_with_k3_is_not_confirmed_but_flaky),
	    cmocka_unit_test(test_verdicts__an_error_run_wins_unless_k_runs_confirmed),
	    cmocka_unit_test(test_verdicts__groups_interleaved_runs_by_harness_and_payload),
	    cmocka_unit_test(test_verdicts__no_records_no_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
