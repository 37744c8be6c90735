/* HTTP/1.x request parsing: incremental input, limits, smuggling-shaped
 * ambiguities, and the response writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "runner/net/http.h"
#include "lib/util.h"

static struct http_request req;

static int parse(const char *s)
{
	return http_parse_request(&req, s, strlen(s));
}

static bool span_eq(struct proto_span sp, const char *s)
{
	return sp.len == strlen(s) && !memcmp(sp.p, s, sp.len);
}

static void test_net_http__parses_request_line_and_headers(void **state)
{
	const char *r = "GET /a?b=c HTTP/1.1\r\nHost: example\r\nX-Empty:\r\nX-Pad:  v  \r\n\r\n";
	(void)state;

	assert_int_equal(parse(r), PROTO_OK);
	assert_true(span_eq(req.method, "GET"));
	assert_true(span_eq(req.target, "/a?b=c"));
	assert_int_equal(req.minor_version, 1);
	assert_int_equal(req.nheaders, 3);
	assert_true(span_eq(req.headers[0].name, "Host"));
	assert_true(span_eq(req.headers[1].value, ""));
	assert_true(span_eq(req.headers[2].value, "v"));
	assert_true(req.keep_alive);
	assert_int_equal(req.consumed, strlen(r));
	assert_int_equal(req.body.len, 0);
	assert_non_null(http_find_header(&req, "host"));
	assert_null(http_find_header(&req, "cookie"));
}

static void test_net_http__needs_more_for_every_truncation(void **state)
{
	const char *r = "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /next";
	size_t full = strlen(r) - strlen("GET /next");
	(void)state;

	for (size_t n = 0; n < full; n++)
		assert_int_equal(http_parse_request(&req, r, n), PROTO_NEED_MORE);
	assert_int_equal(http_parse_request(&req, r, strlen(r)), PROTO_OK);
	assert_int_equal(req.consumed, full);
	assert_true(span_eq(req.body, "hello"));
}

static void test_net_http__head_len_set_while_body_is_missing(void **state)
{
	const char *r = "PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\nab";
	(void)state;

	assert_int_equal(parse(r), PROTO_NEED_MORE);
	assert_int_equal(req.head_len, strlen(r) - 2);
	assert_non_null(http_find_header(&req, "expect"));
}

static void test_net_http__rejects_oversized_header(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	strbuf_addstr(&sb, "GET / HTTP/1.1\r\nX-Big: ");
	while (sb.len < HTTP_MAX_HEAD + 10)
		strbuf_addch(&sb, 'a');
	/* No end of line yet, but already past the limit. */
	assert_int_equal(http_parse_request(&req, sb.buf, sb.len), PROTO_ERROR);
	strbuf_addstr(&sb, "\r\n\r\n");
	assert_int_equal(http_parse_request(&req, sb.buf, sb.len), PROTO_ERROR);
	strbuf_release(&sb);
}

static void test_net_http__rejects_too_many_headers(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	strbuf_addstr(&sb, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < HTTP_MAX_HEADERS; i++)
		strbuf_addf(&sb, "H%d: x\r\n", i);
	strbuf_addstr(&sb, "\r\n");
	assert_int_equal(http_parse_request(&req, sb.buf, sb.len), PROTO_OK);
	sb.len -= 2;
	strbuf_addstr(&sb, "One-More: x\r\n\r\n");
	assert_int_equal(http_parse_request(&req, sb.buf, sb.len), PROTO_ERROR);
	strbuf_release(&sb);
}

static void test_net_http__rejects_bad_content_length(void **state)
{
	const char *bad[] = {"-1",	"+5",
			     "5 5",	"",
			     "0x10",	"99999999999999999999999",
			     "1048577", "18446744073709551616"};
	(void)state;

	for (size_t i = 0; i < SR_ARRAY_SIZE(bad); i++) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "POST / HTTP/1.1\r\nContent-Length: %s\r\n\r\n", bad[i]);
		assert_int_equal(parse(sb.buf), PROTO_ERROR);
		strbuf_release(&sb);
	}
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n"),
			 PROTO_NEED_MORE);
}

static void test_net_http__rejects_smuggling_ambiguities(void **state)
{
	(void)state;
	assert_int_equal(
	    parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
	    PROTO_ERROR);
	assert_int_equal(
	    parse("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab"), PROTO_OK);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: "
			       "chunked\r\n\r\n0\r\n\r\n"),
			 PROTO_ERROR);
	assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), PROTO_ERROR);
	assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
			       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
			 PROTO_ERROR);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), PROTO_ERROR);
	assert_int_equal(parse("GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n"), PROTO_ERROR);
	assert_int_equal(http_parse_request(&req, "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 26),
			 PROTO_ERROR);
	assert_int_equal(parse("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"), PROTO_ERROR);
	assert_int_equal(parse("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), PROTO_ERROR);
}

static void test_net_http__rejects_bad_request_lines(void **state)
{
	const char *bad[] = {"GET  / HTTP/1.1\r\n\r\n",	     "GET / HTTP/2.0\r\n\r\n",
			     "GET / HTTP/1.1 extra\r\n\r\n", "GET /\r\n\r\n",
			     " GET / HTTP/1.1\r\n\r\n",	     "G(T / HTTP/1.1\r\n\r\n",
			     "GET /a\x01 HTTP/1.1\r\n\r\n",  "GET / HTTP/1.x\r\n\r\n"};
	(void)state;

	for (size_t i = 0; i < SR_ARRAY_SIZE(bad); i++)
		assert_int_equal(parse(bad[i]), PROTO_ERROR);
}

static void test_net_http__chunked_body_is_walked(void **state)
{
	const char *r =
	    "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
	    "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\n"
	    "NEXT";
	size_t full = strlen(r) - 4;
	(void)state;

	for (size_t n = 0; n < full; n++)
		assert_int_equal(http_parse_request(&req, r, n), PROTO_NEED_MORE);
	assert_int_equal(parse(r), PROTO_OK);
	assert_true(req.chunked);
	assert_int_equal(req.consumed, full);
	assert_int_equal(req.body.p - r, strstr(r, "5;ext") - r);
}

static void test_net_http__rejects_malicious_chunks(void **state)
{
	const char *h = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
	const char *bad[] = {
	    "zz\r\n", "fffffffffffffffff\r\n", "100001\r\n", "-1\r\n", "5\r\nhelloXX0\r\n\r\n",
	    "\r\n",   "5\r\nhello\r0\r\n\r\n"};
	(void)state;

	for (size_t i = 0; i < SR_ARRAY_SIZE(bad); i++) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "%s%s", h, bad[i]);
		assert_int_equal(parse(sb.buf), PROTO_ERROR);
		strbuf_release(&sb);
	}
}

static void test_net_http__chunked_body_is_bounded(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	strbuf_addstr(&sb, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
	/* Many small chunks whose raw encoding outgrows the body limit. */
	while (sb.len < HTTP_MAX_BODY + 200)
		strbuf_addstr(&sb, "1\r\na\r\n");
	assert_int_equal(http_parse_request(&req, sb.buf, sb.len), PROTO_ERROR);
	strbuf_release(&sb);
}

static void test_net_http__keep_alive_follows_version_and_connection(void **state)
{
	(void)state;
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n"), PROTO_OK);
	assert_false(req.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), PROTO_OK);
	assert_true(req.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n"), PROTO_OK);
	assert_false(req.keep_alive);
	assert_int_equal(parse("\r\nGET / HTTP/1.1\n\n"), PROTO_OK); /* bare LF, leading CRLF */
	assert_true(req.keep_alive);
}

static void test_net_http__sniff_tells_http_from_raw(void **state)
{
	(void)state;
	assert_int_equal(http_sniff("GET /x HTTP/1.1\r\n", 17), PROTO_OK);
	assert_int_equal(http_sniff("OPTIONS * HTTP/1.0\n", 19), PROTO_OK);
	assert_int_equal(http_sniff("", 0), PROTO_NEED_MORE);
	assert_int_equal(http_sniff("GE", 2), PROTO_NEED_MORE);
	assert_int_equal(http_sniff("GET /x HTT", 10), PROTO_NEED_MORE);
	assert_int_equal(http_sniff("GET /x HTTP/1.1\r", 16), PROTO_NEED_MORE);
	assert_int_equal(http_sniff("\x16\x03\x01", 3), PROTO_ERROR);
	assert_int_equal(http_sniff("SSH-2.0-OpenSSH\r\n", 17), PROTO_ERROR);
	assert_int_equal(http_sniff("hello world\n", 12), PROTO_ERROR);
	assert_int_equal(http_sniff("PRI * HTTP/2.0\r\n", 16), PROTO_ERROR);
	assert_int_equal(http_sniff("GET /x\n", 7), PROTO_ERROR);
	assert_int_equal(http_sniff("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ", 36), PROTO_ERROR);
}

static void test_net_http__response_shapes(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	http_put_response(&sb, 200, "ok", 2, true, false);
	assert_string_equal(sb.buf,
			    "HTTP/1.1 200 OK\r\nServer: sandrun\r\nContent-Type: text/plain\r\n"
			    "Content-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
	strbuf_reset(&sb);
	http_put_response(&sb, 200, "ok", 2, false, true); /* HEAD */
	assert_non_null(strstr(sb.buf, "Content-Length: 2\r\nConnection: close\r\n\r\n"));
	assert_string_equal(strstr(sb.buf, "\r\n\r\n"), "\r\n\r\n");
	strbuf_reset(&sb);
	http_put_response(&sb, 204, "ignored", 7, true, false);
	assert_non_null(strstr(sb.buf, "HTTP/1.1 204 No Content\r\n"));
	assert_null(strstr(sb.buf, "Content-Length"));
	assert_string_equal(strstr(sb.buf, "\r\n\r\n"), "\r\n\r\n");
	strbuf_reset(&sb);
	http_put_response(&sb, 99, "", 0, true, false);
	assert_non_null(strstr(sb.buf, "HTTP/1.1 200 OK"));
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_net_http__parses_request_line_and_headers),
	    cmocka_unit_test(test_net_http__needs_more_for_every_truncation),
	    cmocka_unit_test(test_net_http__head_len_set_while_body_is_missing),
	    cmocka_unit_test(test_net_http__rejects_oversized_header),
	    cmocka_unit_test(test_net_http__rejects_too_many_headers),
	    cmocka_unit_test(test_net_http__rejects_bad_content_length),
	    cmocka_unit_test(test_net_http__rejects_smuggling_ambiguities),
	    cmocka_unit_test(test_net_http__rejects_bad_request_lines),
	    cmocka_unit_test(test_net_http__chunked_body_is_walked),
	    cmocka_unit_test(test_net_http__rejects_malicious_chunks),
	    cmocka_unit_test(test_net_http__chunked_body_is_bounded),
	    cmocka_unit_test(test_net_http__keep_alive_follows_version_and_connection),
	    cmocka_unit_test(test_net_http__sniff_tells_http_from_raw),
	    cmocka_unit_test(test_net_http__response_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
