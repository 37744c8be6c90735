/* libFuzzer target: DNS query parsing, zone membership and responses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner/net/dns.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t ip[4] = {172, 30, 0, 1};
	struct dns_query q;
	uint8_t zone[DNS_MAX_WIRE], out[DNS_MAX_PACKET], w[DNS_MAX_WIRE];
	size_t zl, wl;
	char text[300];

	if (dns_parse_query(&q, data, size) == PROTO_OK) {
		size_t n;

		CHECK(q.qname_len >= 1 && q.qname_len <= DNS_MAX_WIRE);
		CHECK(q.question_end <= size);
		CHECK(strlen(q.name) < sizeof(q.name));
		dns_name_to_wire(zone, &zl, "oob.sandrun.test");
		dns_name_under(q.qname, q.qname_len, zone, zl);
		n = dns_build_response(out, sizeof(out), &q, DNS_NOERROR, ip);
		CHECK(n == DNS_HEADER + q.qname_len + 4 + 16);
		n = dns_build_response(out, sizeof(out), &q, DNS_NXDOMAIN, NULL);
		CHECK(n == DNS_HEADER + q.qname_len + 4);
		/* What we answer must parse as a name again. */
		CHECK(out[DNS_HEADER + q.qname_len - 1] == 0);
	} else if (q.header_ok) {
		CHECK(dns_build_error(out, sizeof(out), q.id, q.flags, DNS_FORMERR) == DNS_HEADER);
	}
	/* The input as a zone name in text form. */
	if (size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (dns_name_to_wire(w, &wl, text) == 0)
			CHECK(wl <= DNS_MAX_WIRE && w[wl - 1] == 0);
	}
	return 0;
}
