/* DNS over UDP (RFC 1035): the one-question queries resolvers send, and the
 * answers of the OOB zone: an A record, NODATA, NXDOMAIN, REFUSED, ... */
#ifndef SR_NET_DNS_H
#define SR_NET_DNS_H

#include "runner/net/proto.h"

#define DNS_HEADER     12
#define DNS_MAX_WIRE   255 /* a name in wire form, terminal zero label included */
#define DNS_MAX_LABEL  63
#define DNS_MAX_TEXT   1024 /* presentation form, escapes included */
#define DNS_MAX_PACKET 1232 /* what we answer with; queries are read up to 4096 */

enum dns_rcode {
	DNS_NOERROR = 0,
	DNS_FORMERR = 1,
	DNS_SERVFAIL = 2,
	DNS_NXDOMAIN = 3,
	DNS_NOTIMP = 4,
	DNS_REFUSED = 5,
};

#define DNS_TYPE_A   1
#define DNS_CLASS_IN 1

struct dns_query {
	bool header_ok; /* id and flags are valid even when parsing failed */
	uint16_t id, flags;
	unsigned opcode;
	uint8_t qname[DNS_MAX_WIRE]; /* wire form */
	size_t qname_len;
	char name[DNS_MAX_TEXT]; /* presentation form without the final dot, "." for the root;
				    bytes other than [A-Za-z0-9_-] and '*' are \DDD escaped */
	uint16_t qtype, qclass;
	size_t question_end; /* offset just past the question in the packet */
};

/* Parse a query packet: header with QR clear and exactly one question whose
 * name has labels of 1..63 bytes, at most 255 bytes in all, and no
 * compression pointer (a query has nothing to point back to, and refusing
 * them rules out pointer loops). Additional records (EDNS) are ignored.
 * PROTO_OK or PROTO_ERROR; header_ok tells whether a FORMERR can be sent. */
int dns_parse_query(struct dns_query *q, const uint8_t *pkt, size_t len);

/* Convert "oob.sandrun.test" (an optional final dot allowed) to wire form.
 * Returns 0, or -1 for an empty label, a label over 63 bytes or a name over
 * 255 bytes. */
int dns_name_to_wire(uint8_t out[DNS_MAX_WIRE], size_t *out_len, const char *text);

/* Is the wire name equal to zone, or under it (label-wise, ASCII
 * case-insensitive)? */
bool dns_name_under(const uint8_t *name, size_t name_len, const uint8_t *zone, size_t zone_len);

/* Build the response to q into out (cap bytes): header with QR and AA set,
 * RD copied, the question echoed, and when a is non-NULL one A record (TTL
 * 0, so every lookup reaches us). Returns the length, or 0 if cap is too
 * small. */
size_t dns_build_response(uint8_t *out, size_t cap, const struct dns_query *q, enum dns_rcode rcode,
			  const uint8_t a[4]);
/* A header-only response (no question), for packets whose question is
 * unusable. Returns the length (12) or 0. */
size_t dns_build_error(uint8_t *out, size_t cap, uint16_t id, uint16_t query_flags,
		       enum dns_rcode rcode);

/* "A", "AAAA", "TXT", ... or "TYPE<n>". */
const char *dns_type_name(uint16_t type, char buf[16]);

#endif
