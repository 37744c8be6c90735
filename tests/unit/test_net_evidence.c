/* The evidence store: token attribution across appends, the memory budget,
 * bounded JSON, stub matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "runner/net/evidence.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

static void test_net_evidence__token_split_across_appends_attributes(void **state)
{
	struct ev_store st;
	struct ev_rec *r;
	char *cause = NULL;
	const char *stream = "xx" TOKEN "yy";
	(void)state;

	ev_init(&st, TOKEN, 1 << 20);
	r = ev_add(&st, -1, "tcp", "10.0.0.2", 5555, NULL, NULL, 0);
	/* One byte at a time: only the carry can see the token. */
	for (size_t i = 0; i < strlen(stream); i++)
		ev_append(&st, r, stream + i, 1);
	ev_done(&st, r);
	assert_true(ev_fired(&st, &cause));
	assert_string_equal(cause, "oob tcp 36 bytes from 10.0.0.2");
	free(cause);
	assert_int_equal(st.n_attributed, 1);
	assert_int_equal(st.n_unattributed, 0);
	ev_release(&st);
}

static void test_net_evidence__near_misses_do_not_attribute(void **state)
{
	struct ev_store st;
	struct ev_rec *r;
	(void)state;

	ev_init(&st, TOKEN, 1 << 20);
	r = ev_add(&st, -1, "tcp", "10.0.0.2", 1, NULL, TOKEN, 31);
	ev_append(&st, r, "X", 1);	  /* 31 bytes of it, another byte, */
	ev_append(&st, r, &TOKEN[1], 31); /* and the other 31 */
	ev_done(&st, r);
	assert_false(ev_fired(&st, NULL));
	ev_release(&st);
	/* No token configured: nothing ever attributes. */
	ev_init(&st, "", 1 << 20);
	r = ev_add(&st, -1, "http", "10.0.0.2", 1, "GET /", "GET / HTTP/1.1", 14);
	ev_done(&st, r);
	assert_false(ev_fired(&st, NULL));
	ev_release(&st);
}

static void test_net_evidence__budget_drops_records_not_decisions(void **state)
{
	struct ev_store st;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT;
	char *cause = NULL;
	(void)state;

	ev_init(&st, TOKEN, 4096);
	for (int i = 0; i < 100; i++) {
		struct ev_rec *r = ev_add(&st, -1, "http", "10.0.0.2", 1, "GET /x", "GET /x", 6);
		ev_done(&st, r);
	}
	{
		struct ev_rec *r = ev_add(&st, -1, "http", "10.0.0.3", 2, "GET /t", TOKEN, 32);
		ev_done(&st, r);
	}
	assert_true(st.n_dropped > 0);
	assert_true(st.used <= st.budget);
	assert_true(ev_fired(&st, &cause));
	assert_string_equal(cause, "oob http GET /t from 10.0.0.3");
	free(cause);
	ev_json(&st, 1 << 16, NULL, NULL, &a, &b, &c);
	assert_string_equal(a.buf, "[]"); /* the attributed hit itself was not kept */
	assert_string_equal(b.buf, "[]");
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&c);
	ev_release(&st);
}

static void test_net_evidence__json_is_bounded_with_marker(void **state)
{
	struct ev_store st;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT;
	char big[10000];
	(void)state;

	memset(big, '\x01', sizeof(big)); /* escapes to six bytes each */
	ev_init(&st, TOKEN, 1 << 24);
	for (int i = 0; i < 50; i++) {
		struct ev_rec *r = ev_add(&st, -1, "tcp", "10.0.0.2", 1, NULL, big, sizeof(big));
		ev_done(&st, r);
	}
	ev_json(&st, 8192, NULL, NULL, &a, &b, &c);
	assert_true(c.len <= 8192);
	assert_non_null(strstr(c.buf, "\"truncated\":true}"));
	assert_non_null(strstr(c.buf, ",{\"truncated\":true,\"omitted\":"));
	assert_string_equal(c.buf + c.len - 1, "]");
	assert_non_null(strstr(c.buf, "\"summary\":\"10000 bytes\""));
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&c);
	ev_release(&st);
}

static void test_net_evidence__stub_match_needs_both_tests_on_one_record(void **state)
{
	static const char *const names[] = {"db", "api"}, *const kinds[] = {"sql", "http"};
	struct ev_store st;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT;
	regex_t re;
	char *cause = NULL;
	(void)state;

	ev_init(&st, TOKEN, 1 << 20);
	ev_done(&st, ev_add(&st, 0, "sql", "10.0.0.2", 1, "query", "select 1", 8));
	ev_done(&st, ev_add(&st, 0, "sql", "10.0.0.2", 1, "query", "select * from users", 19));
	ev_done(&st, ev_add(&st, 1, "http", "10.0.0.2", 1, "GET /", "GET /users", 10));
	assert_int_equal(regcomp(&re, "^select [0-9]$", REG_EXTENDED | REG_NOSUB), 0);
	assert_true(ev_stub_match(&st, 0, "db", "sql", "select", &re, &cause));
	assert_string_equal(cause, "stub db sql \"select 1\" from 10.0.0.2");
	free(cause);
	assert_false(ev_stub_match(&st, 0, "db", "sql", "users", &re, NULL));
	assert_true(ev_stub_match(&st, 0, "db", "sql", "users", NULL, NULL));
	assert_true(ev_stub_match(&st, 1, "api", "http", "users", NULL, NULL));
	assert_true(ev_stub_match(&st, 1, "api", "http", NULL, NULL, NULL));
	regfree(&re);
	ev_json(&st, 1 << 16, names, kinds, &a, &b, &c);
	assert_non_null(strstr(b.buf, "{\"stub\":\"db\",\"kind\":\"sql\",\"time\":\""));
	assert_non_null(strstr(b.buf, "\"summary\":\"query\",\"bytes\":8,\"text\":\"select 1\"}"));
	assert_non_null(strstr(b.buf, "{\"stub\":\"api\",\"kind\":\"http\""));
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&c);
	ev_release(&st);
}

#define TOKEN2 "fedcba9876543210fedcba9876543210"

/* A warm container's next payload (ev_next): a late hit with the first
 * payload's token confirms nothing and is no one's untokened evidence; a
 * stream the first payload left open attributes to no one; the second
 * payload's own hits and interactions are all its evidence shows. */
static void test_net_evidence__next_epoch_forgets_and_drops_late_tokens(void **state)
{
	struct ev_store st;
	struct ev_rec *open, *r;
	struct strbuf oob = STRBUF_INIT, stubs = STRBUF_INIT, un = STRBUF_INIT;
	const char *names[] = {"api"}, *kinds[] = {"http"};
	(void)state;

	ev_init(&st, TOKEN, 1 << 20);
	r = ev_add(&st, -1, "http", "10.0.0.2", 1, "GET /" TOKEN, "GET /" TOKEN, 37);
	ev_done(&st, r);
	ev_done(&st, ev_add(&st, 0, "http", "10.0.0.2", 1, "POST /", "first", 5));
	open = ev_add(&st, -1, "tcp", "10.0.0.2", 2, NULL, "xx", 2);
	assert_true(ev_fired(&st, NULL));
	ev_next(&st, TOKEN2);
	assert_false(ev_fired(&st, NULL));
	/* The open stream goes on with either token: it is the first payload's. */
	ev_append(&st, open, TOKEN2 TOKEN, 64);
	ev_done(&st, open);
	r = ev_add(&st, -1, "http", "10.0.0.2", 3, "GET /late", "GET /" TOKEN, 37);
	ev_done(&st, r);
	assert_false(ev_fired(&st, NULL));
	r = ev_add(&st, -1, "dns", "10.0.0.3", 4, "A other.example", "other.example", 13);
	ev_done(&st, r);
	ev_done(&st, ev_add(&st, 0, "http", "10.0.0.2", 1, "POST /", "second", 6));
	ev_json(&st, 1 << 16, names, kinds, &oob, &stubs, &un);
	assert_string_equal(oob.buf, "[]");
	assert_null(strstr(un.buf, "late"));
	assert_non_null(strstr(un.buf, "other.example"));
	assert_null(strstr(stubs.buf, "first"));
	assert_non_null(strstr(stubs.buf, "second"));
	r = ev_add(&st, -1, "http", "10.0.0.2", 5, "GET /x", "GET /" TOKEN2, 37);
	ev_done(&st, r);
	assert_true(ev_fired(&st, NULL));
	strbuf_release(&oob);
	strbuf_release(&stubs);
	strbuf_release(&un);
	ev_release(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_net_evidence__token_split_across_appends_attributes),
	    cmocka_unit_test(test_net_evidence__near_misses_do_not_attribute),
	    cmocka_unit_test(test_net_evidence__budget_drops_records_not_decisions),
	    cmocka_unit_test(test_net_evidence__json_is_bounded_with_marker),
	    cmocka_unit_test(test_net_evidence__stub_match_needs_both_tests_on_one_record),
	    cmocka_unit_test(test_net_evidence__next_epoch_forgets_and_drops_late_tokens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
