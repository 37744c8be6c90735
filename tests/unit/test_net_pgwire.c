/* PostgreSQL v3 frontend message parsing and decoding, statement splitting,
 * command tags, and backend message encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "runner/net/pgwire.h"
#include "lib/util.h"

static void be32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

static void test_net_pg__parses_ssl_request_and_startup(void **state)
{
	static const char ssl[] = "\x00\x00\x00\x08\x04\xd2\x16\x2f";
	static const char st[] = "\x00\x00\x00\x17\x00\x03\x00\x00user\0bob\0db\0x\0\0";
	struct pg_msg m;
	struct pg_param p[4];
	size_t n;
	(void)state;

	for (size_t i = 0; i < 8; i++)
		assert_int_equal(pg_parse_startup(&m, ssl, i), PROTO_NEED_MORE);
	assert_int_equal(pg_parse_startup(&m, ssl, 8), PROTO_OK);
	assert_int_equal(m.code, PG_SSL_REQUEST);
	assert_int_equal(m.consumed, 8);
	assert_int_equal(pg_parse_startup(&m, st, sizeof(st) - 1), PROTO_OK);
	assert_int_equal(m.code, PG_PROTOCOL_V3);
	assert_int_equal(pg_decode_startup(p, 4, &n, m.body, m.len), 0);
	assert_int_equal(n, 2);
	assert_string_equal(p[0].key, "user");
	assert_string_equal(p[0].value, "bob");
	assert_string_equal(p[1].key, "db");
	/* One slot too few. */
	assert_int_equal(pg_decode_startup(p, 1, &n, m.body, m.len), -1);
}

static void test_net_pg__rejects_bad_startup_lengths(void **state)
{
	char b[16] = {0};
	struct pg_msg m;
	const uint32_t bad[] = {0, 4, 7, PG_MAX_STARTUP + 1, 0x7fffffff, 0xffffffff};
	(void)state;

	for (size_t i = 0; i < SR_ARRAY_SIZE(bad); i++) {
		be32(b, bad[i]);
		assert_int_equal(pg_parse_startup(&m, b, sizeof(b)), PROTO_ERROR);
	}
}

static void test_net_pg__rejects_malformed_startup_params(void **state)
{
	struct pg_param p[PG_MAX_PARAMS];
	size_t n;
	(void)state;

	assert_int_equal(pg_decode_startup(p, PG_MAX_PARAMS, &n, "user\0bob\0", 9), -1);
	assert_int_equal(pg_decode_startup(p, PG_MAX_PARAMS, &n, "user\0bob", 8), -1);
	assert_int_equal(pg_decode_startup(p, PG_MAX_PARAMS, &n, "user\0", 5), -1);
	assert_int_equal(pg_decode_startup(p, PG_MAX_PARAMS, &n, "", 0), -1);
	assert_int_equal(pg_decode_startup(p, PG_MAX_PARAMS, &n, "\0extra", 6), -1);
	assert_int_equal(pg_decode_startup(p, PG_MAX_PARAMS, &n, "\0", 1), 0);
	assert_int_equal(n, 0);
}

static void test_net_pg__parses_messages_incrementally(void **state)
{
	static const char q[] = "Q\x00\x00\x00\x0dselect 1\0X";
	struct pg_msg m;
	const char *sql;
	size_t len;
	(void)state;

	for (size_t i = 0; i < 14; i++)
		assert_int_equal(pg_parse_message(&m, q, i), PROTO_NEED_MORE);
	assert_int_equal(pg_parse_message(&m, q, sizeof(q) - 1), PROTO_OK);
	assert_int_equal(m.type, 'Q');
	assert_int_equal(m.consumed, 14);
	assert_int_equal(pg_decode_query(&sql, &len, m.body, m.len), 0);
	assert_string_equal(sql, "select 1");
	assert_int_equal(len, 8);
}

static void test_net_pg__rejects_bad_message_lengths(void **state)
{
	char b[8] = {'Q'};
	struct pg_msg m;
	const uint32_t bad[] = {0, 3, PG_MAX_MSG + 1, 0x80000000, 0xffffffff};
	(void)state;

	for (size_t i = 0; i < SR_ARRAY_SIZE(bad); i++) {
		be32(b + 1, bad[i]);
		assert_int_equal(pg_parse_message(&m, b, sizeof(b)), PROTO_ERROR);
	}
	be32(b + 1, 4);
	assert_int_equal(pg_parse_message(&m, b, 5), PROTO_OK);
	assert_int_equal(m.len, 0);
}

static void test_net_pg__decoders_reject_truncated_bodies(void **state)
{
	struct pg_parse p;
	struct pg_bind b;
	const char *s, *name;
	size_t n;
	uint32_t rows;
	char what;
	(void)state;

	assert_int_equal(pg_decode_query(&s, &n, "select", 6), -1);
	assert_int_equal(pg_decode_query(&s, &n, "a\0b", 3), -1);
	assert_int_equal(pg_decode_parse(&p, "s\0select $1\0\0\1\0\0\0\x17", 18), 0);
	assert_string_equal(p.sql, "select $1");
	assert_int_equal(p.ntypes, 1);
	assert_int_equal(pg_decode_parse(&p, "s\0select\0\xff\xff", 11), -1);
	assert_int_equal(pg_decode_parse(&p, "s\0select", 8), -1);
	/* Bind: one text parameter, one NULL. */
	assert_int_equal(pg_decode_bind(&b, "p\0s\0\0\0\0\2\0\0\0\1x\xff\xff\xff\xff\0\0", 19), 0);
	assert_int_equal(b.nparams, 2);
	assert_string_equal(b.portal, "p");
	/* A value length past the end, a negative one, a huge count. */
	assert_int_equal(pg_decode_bind(&b, "\0\0\0\0\0\1\0\0\0\x09x\0\0", 13), -1);
	assert_int_equal(pg_decode_bind(&b, "\0\0\0\0\0\1\xff\xff\xff\xfex\0\0", 13), -1);
	assert_int_equal(pg_decode_bind(&b, "\0\0\0\0\xff\xff", 6), -1);
	assert_int_equal(pg_decode_bind(&b, "\0\0\0\x02\0\0\0\0\0\0", 10),
			 -1); /* 2 formats, 0 params */
	assert_int_equal(pg_decode_target(&what, &name, "Sstmt\0", 6), 0);
	assert_int_equal(what, 'S');
	assert_string_equal(name, "stmt");
	assert_int_equal(pg_decode_target(&what, &name, "Xstmt\0", 6), -1);
	assert_int_equal(pg_decode_target(&what, &name, "P", 1), -1);
	assert_int_equal(pg_decode_execute(&name, &rows, "\0\0\0\0\x05", 5), 0);
	assert_int_equal(rows, 5);
	assert_int_equal(pg_decode_execute(&name, &rows, "\0\0\0", 3), -1);
}

static void split(const char *sql, struct strbuf *out)
{
	size_t off = 0, st, sl;

	while (pg_next_statement(sql, strlen(sql), &off, &st, &sl)) {
		strbuf_add(out, sql + st, sl);
		strbuf_addch(out, '|');
	}
}

static void test_net_pg__splits_statements_outside_quotes(void **state)
{
	struct {
		const char *in, *out;
	} cases[] = {
	    {"select 1", "select 1|"},
	    {" a ; b;c ", "a|b|c|"},
	    {";;", "||"},
	    {"select ';' ; x", "select ';'|x|"},
	    {"select 'it''s;' ; x", "select 'it''s;'|x|"},
	    {"select E'\\';' ; x", "select E'\\';'|x|"},
	    {"select \"a;b\"; x", "select \"a;b\"|x|"},
	    {"select $$a;b$$; x", "select $$a;b$$|x|"},
	    {"select $f$a;$$;b$f$; x", "select $f$a;$$;b$f$|x|"},
	    {"select $1; x", "select $1|x|"},
	    {"a -- c;d\n; b", "a -- c;d|b|"},
	    {"a /* x /* y; */ ; */ ; b", "a /* x /* y; */ ; */|b|"},
	    {"select 'unterminated; x", "select 'unterminated; x|"},
	    {"select $$never closed; x", "select $$never closed; x|"},
	};
	(void)state;

	for (size_t i = 0; i < SR_ARRAY_SIZE(cases); i++) {
		struct strbuf sb = STRBUF_INIT;
		split(cases[i].in, &sb);
		if (strcmp(strbuf_str(&sb), cases[i].out))
			fail_msg("'%s' split as '%s'", cases[i].in, strbuf_str(&sb));
		strbuf_release(&sb);
	}
}

static void test_net_pg__command_tags(void **state)
{
	struct {
		const char *sql, *tag;
		bool rows;
	} cases[] = {
	    {"select 1", "SELECT 0", true},
	    {"  (SELECT 1) UNION (SELECT 2)", "SELECT 0", true},
	    {"/* hi */ -- x\n with a as (select 1) select * from a", "SELECT 0", true},
	    {"values (1)", "SELECT 0", true},
	    {"insert into t values (1)", "INSERT 0 0", false},
	    {"UPDATE t SET a = 1", "UPDATE 0", false},
	    {"delete from t", "DELETE 0", false},
	    {"create table t (a int)", "CREATE TABLE", false},
	    {"CREATE OR REPLACE FUNCTION f()", "CREATE FUNCTION", false},
	    {"create unique index i on t (a)", "CREATE INDEX", false},
	    {"drop table t", "DROP TABLE", false},
	    {"begin", "BEGIN", false},
	    {"start transaction", "BEGIN", false},
	    {"end", "COMMIT", false},
	    {"set search_path = x", "SET", false},
	    {"show server_version", "SHOW", true},
	    {"", "", false},
	    {"  -- only a comment", "", false},
	    {"123", "SELECT 0", true},
	};
	(void)state;

	for (size_t i = 0; i < SR_ARRAY_SIZE(cases); i++) {
		char tag[48];
		bool rows;

		pg_command_tag(tag, sizeof(tag), cases[i].sql, strlen(cases[i].sql), &rows);
		if (strcmp(tag, cases[i].tag) || rows != cases[i].rows)
			fail_msg("'%s' tagged '%s' rows=%d", cases[i].sql, tag, rows);
	}
}

static void test_net_pg__counts_placeholders(void **state)
{
	const char *q = "select $1, $10, '$30', \"$40\", $$ $50 $$, a$60, $2 -- $70\n";
	(void)state;

	assert_int_equal(pg_count_placeholders(q, strlen(q)), 10);
	assert_int_equal(pg_count_placeholders("select 1", 8), 0);
	assert_int_equal(pg_count_placeholders("$99999999999999999999", 21), 0);
	assert_int_equal(pg_count_placeholders("$4096", 5), 4096);
}

static void test_net_pg__backend_messages(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	static const char *const opts[] = {"_pq_.x"};
	(void)state;

	pg_put_auth_ok(&sb);
	assert_memory_equal(sb.buf, "R\0\0\0\x08\0\0\0\0", 9);
	strbuf_reset(&sb);
	pg_put_ready(&sb, 'I');
	assert_memory_equal(sb.buf, "Z\0\0\0\x05I", 6);
	strbuf_reset(&sb);
	pg_put_parameter_status(&sb, "a", "b");
	assert_memory_equal(sb.buf,
			    "S\0\0\0\x08"
			    "a\0b\0",
			    9);
	strbuf_reset(&sb);
	pg_put_command_complete(&sb, "SELECT 0");
	assert_memory_equal(sb.buf, "C\0\0\0\x0dSELECT 0\0", 14);
	strbuf_reset(&sb);
	pg_put_row_description_empty(&sb);
	assert_memory_equal(sb.buf, "T\0\0\0\x06\0\0", 7);
	strbuf_reset(&sb);
	pg_put_backend_key(&sb, 1, 2);
	assert_memory_equal(sb.buf, "K\0\0\0\x0c\0\0\0\1\0\0\0\2", 13);
	strbuf_reset(&sb);
	pg_put_negotiate(&sb, 0, opts, 1);
	assert_memory_equal(sb.buf, "v\0\0\0\x13\0\0\0\0\0\0\0\1_pq_.x\0", 20);
	strbuf_reset(&sb);
	pg_put_error(&sb, "ERROR", "42P01", "m");
	assert_memory_equal(sb.buf, "E\0\0\0\x1dSERROR\0VERROR\0C42P01\0Mm\0\0", 30);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_net_pg__parses_ssl_request_and_startup),
	    cmocka_unit_test(test_net_pg__rejects_bad_startup_lengths),
	    cmocka_unit_test(test_net_pg__rejects_malformed_startup_params),
	    cmocka_unit_test(test_net_pg__parses_messages_incrementally),
	    cmocka_unit_test(test_net_pg__rejects_bad_message_lengths),
	    cmocka_unit_test(test_net_pg__decoders_reject_truncated_bodies),
	    cmocka_unit_test(test_net_pg__splits_statements_outside_quotes),
	    cmocka_unit_test(test_net_pg__command_tags),
	    cmocka_unit_test(test_net_pg__counts_placeholders),
	    cmocka_unit_test(test_net_pg__backend_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
