/* DNS query parsing (label checks, no compression pointers) and response
 * building for the OOB zone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "runner/net/dns.h"
#include "lib/util.h"

static struct dns_query q;

/* Header (id 0xabcd, RD) + the given question bytes. */
static size_t packet(uint8_t *out, const void *question, size_t qlen)
{
	static const uint8_t hdr[12] = {0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};

	memcpy(out, hdr, 12);
	memcpy(out + 12, question, qlen);
	return 12 + qlen;
}

static void test_net_dns__parses_a_query(void **state)
{
	uint8_t p[512];
	size_t n = packet(p, "\3www\7Example\3com\0\0\1\0\1", 21);
	(void)state;

	assert_int_equal(dns_parse_query(&q, p, n), PROTO_OK);
	assert_int_equal(q.id, 0xabcd);
	assert_int_equal(q.opcode, 0);
	assert_string_equal(q.name, "www.Example.com");
	assert_int_equal(q.qtype, DNS_TYPE_A);
	assert_int_equal(q.qclass, DNS_CLASS_IN);
	assert_int_equal(q.qname_len, 17);
	assert_int_equal(q.question_end, n);
}

static void test_net_dns__escapes_odd_bytes_in_names(void **state)
{
	uint8_t p[512];
	size_t n = packet(p, "\4a.\\\xff\0\0\x10\0\1", 10);
	(void)state;

	assert_int_equal(dns_parse_query(&q, p, n), PROTO_OK);
	assert_string_equal(q.name, "a\\046\\092\\255");
	n = packet(p, "\0\0\2\0\1", 5);
	assert_int_equal(dns_parse_query(&q, p, n), PROTO_OK);
	assert_string_equal(q.name, ".");
}

static void test_net_dns__rejects_compression_pointers_and_loops(void **state)
{
	uint8_t p[512];
	size_t n;
	(void)state;

	/* A pointer back to the header, and one pointing at itself. */
	n = packet(p, "\xc0\x0c\0\1\0\1", 6);
	assert_int_equal(dns_parse_query(&q, p, n), PROTO_ERROR);
	assert_true(q.header_ok);
	n = packet(p, "\1a\xc0\x0e\0\1\0\1", 8);
	assert_int_equal(dns_parse_query(&q, p, n), PROTO_ERROR);
	/* Extended label types 0x40 and 0x80. */
	n = packet(p, "\x41x\0\0\1\0\1", 7);
	assert_int_equal(dns_parse_query(&q, p, n), PROTO_ERROR);
	n = packet(p, "\x80x\0\0\1\0\1", 7);
	assert_int_equal(dns_parse_query(&q, p, n), PROTO_ERROR);
}

static void test_net_dns__rejects_label_and_name_overflow(void **state)
{
	uint8_t p[1024], qs[600];
	size_t n, k = 0;
	(void)state;

	/* A label claiming more bytes than the packet has. */
	n = packet(p, "\x3fshort\0\0\1\0\1", 11);
	assert_int_equal(dns_parse_query(&q, p, n), PROTO_ERROR);
	/* Four 63-byte labels: 256 bytes of wire name, one too many. */
	for (int l = 0; l < 4; l++) {
		qs[k++] = 63;
		memset(qs + k, 'a', 63);
		k += 63;
	}
	qs[k++] = 0;
	memcpy(qs + k, "\0\1\0\1", 4);
	n = packet(p, qs, k + 4);
	assert_int_equal(dns_parse_query(&q, p, n), PROTO_ERROR);
	/* 63+63+63+61 plus length bytes and the root: exactly 255, accepted. */
	k = 0;
	for (int l = 0; l < 4; l++) {
		qs[k++] = l == 3 ? 61 : 63;
		memset(qs + k, 'a', qs[k - 1]);
		k += qs[k - 1];
	}
	qs[k++] = 0;
	memcpy(qs + k, "\0\1\0\1", 4);
	n = packet(p, qs, k + 4);
	assert_int_equal(dns_parse_query(&q, p, n), PROTO_OK);
	assert_int_equal(q.qname_len, 255);
}

static void test_net_dns__rejects_bad_headers_and_truncation(void **state)
{
	uint8_t p[512];
	size_t n = packet(p, "\1a\0\0\1\0\1", 7);
	(void)state;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(dns_parse_query(&q, p, i), PROTO_ERROR);
	assert_int_equal(dns_parse_query(&q, p, n), PROTO_OK);
	p[2] |= 0x80; /* a response */
	assert_int_equal(dns_parse_query(&q, p, n), PROTO_ERROR);
	assert_false(q.header_ok);
	p[2] &= 0x7f;
	p[5] = 2; /* two questions */
	assert_int_equal(dns_parse_query(&q, p, n), PROTO_ERROR);
	p[5] = 0;
	assert_int_equal(dns_parse_query(&q, p, n), PROTO_ERROR);
	assert_true(q.header_ok);
}

static void test_net_dns__zone_membership_is_label_wise(void **state)
{
	uint8_t zone[DNS_MAX_WIRE], name[DNS_MAX_WIRE];
	size_t zl, nl;
	(void)state;

	assert_int_equal(dns_name_to_wire(zone, &zl, "oob.sandrun.test."), 0);
	assert_int_equal(zl, 18);
	assert_int_equal(dns_name_to_wire(name, &nl, "TOKEN.OOB.Sandrun.Test"), 0);
	assert_true(dns_name_under(name, nl, zone, zl));
	assert_int_equal(dns_name_to_wire(name, &nl, "oob.sandrun.test"), 0);
	assert_true(dns_name_under(name, nl, zone, zl));
	assert_int_equal(dns_name_to_wire(name, &nl, "xoob.sandrun.test"), 0);
	assert_false(dns_name_under(name, nl, zone, zl));
	assert_int_equal(dns_name_to_wire(name, &nl, "sandrun.test"), 0);
	assert_false(dns_name_under(name, nl, zone, zl));
	assert_int_equal(dns_name_to_wire(name, &nl, "oob.sandrun.test.evil.com"), 0);
	assert_false(dns_name_under(name, nl, zone, zl));
}

static void test_net_dns__name_to_wire_checks_labels(void **state)
{
	uint8_t w[DNS_MAX_WIRE];
	size_t n;
	char long_label[80], long_name[300];
	(void)state;

	assert_int_equal(dns_name_to_wire(w, &n, ""), -1);
	assert_int_equal(dns_name_to_wire(w, &n, "."), -1);
	assert_int_equal(dns_name_to_wire(w, &n, "a..b"), -1);
	assert_int_equal(dns_name_to_wire(w, &n, ".a"), -1);
	memset(long_label, 'x', 64);
	long_label[64] = '\0';
	assert_int_equal(dns_name_to_wire(w, &n, long_label), -1);
	for (int i = 0; i < 130; i++) {
		long_name[2 * i] = 'a';
		long_name[2 * i + 1] = '.';
	}
	long_name[259] = '\0';
	assert_int_equal(dns_name_to_wire(w, &n, long_name), -1);
}

static void test_net_dns__builds_answers(void **state)
{
	uint8_t p[512], r[DNS_MAX_PACKET];
	static const uint8_t ip[4] = {172, 30, 0, 1};
	size_t n = packet(p, "\1x\3oob\0\0\1\0\1", 11), rn;
	(void)state;

	assert_int_equal(dns_parse_query(&q, p, n), PROTO_OK);
	rn = dns_build_response(r, sizeof(r), &q, DNS_NOERROR, ip);
	assert_int_equal(rn, n + 16);
	assert_memory_equal(r, "\xab\xcd\x85\x00\0\1\0\1\0\0\0\0", 12); /* QR AA RD */
	assert_memory_equal(r + 12, p + 12, n - 12);
	assert_memory_equal(r + n, "\xc0\x0c\0\1\0\1\0\0\0\0\0\4\xac\x1e\0\1", 16);
	rn = dns_build_response(r, sizeof(r), &q, DNS_NXDOMAIN, NULL);
	assert_int_equal(rn, n);
	assert_int_equal(r[3], 0x03);
	assert_int_equal(r[7], 0);
	assert_int_equal(dns_build_response(r, n + 15, &q, DNS_NOERROR, ip), 0);
	assert_int_equal(dns_build_error(r, sizeof(r), 0x1234, 0x0100, DNS_FORMERR), 12);
	assert_memory_equal(r, "\x12\x34\x81\x01\0\0\0\0\0\0\0\0", 12);
	assert_int_equal(dns_build_error(r, 11, 1, 0, DNS_FORMERR), 0);
}

static void test_net_dns__type_names(void **state)
{
	char b[16];
	(void)state;

	assert_string_equal(dns_type_name(1, b), "A");
	assert_string_equal(dns_type_name(28, b), "AAAA");
	assert_string_equal(dns_type_name(65, b), "HTTPS");
	assert_string_equal(dns_type_name(65535, b), "TYPE65535");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_net_dns__parses_a_query),
	    cmocka_unit_test(test_net_dns__escapes_odd_bytes_in_names),
	    cmocka_unit_test(test_net_dns__rejects_compression_pointers_and_loops),
	    cmocka_unit_test(test_net_dns__rejects_label_and_name_overflow),
	    cmocka_unit_test(test_net_dns__rejects_bad_headers_and_truncation),
	    cmocka_unit_test(test_net_dns__zone_membership_is_label_wise),
	    cmocka_unit_test(test_net_dns__name_to_wire_checks_labels),
	    cmocka_unit_test(test_net_dns__builds_answers),
	    cmocka_unit_test(test_net_dns__type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
