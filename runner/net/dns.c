#include "runner/net/dns.h"

#include <stdio.h>
#include <string.h>

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool plain_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '*';
}

int dns_parse_query(struct dns_query *q, const uint8_t *pkt, size_t len)
{
	size_t off = DNS_HEADER, tlen = 0;

	memset(q, 0, sizeof(*q));
	if (len < DNS_HEADER)
		return PROTO_ERROR;
	q->id = rd16(pkt);
	q->flags = rd16(pkt + 2);
	q->opcode = (q->flags >> 11) & 15;
	if (q->flags & 0x8000) /* a response: never answer those (reflection loops) */
		return PROTO_ERROR;
	q->header_ok = true;
	if (rd16(pkt + 4) != 1)
		return PROTO_ERROR;
	for (;;) {
		uint8_t l;

		if (off >= len)
			return PROTO_ERROR;
		l = pkt[off];
		if (l == 0) {
			if (q->qname_len + 1 > DNS_MAX_WIRE)
				return PROTO_ERROR;
			q->qname[q->qname_len++] = 0;
			off++;
			break;
		}
		/* 0xc0: compression pointer; 0x40/0x80: extended label types. */
		if (l > DNS_MAX_LABEL)
			return PROTO_ERROR;
		if (len - off - 1 < l || q->qname_len + 1 + l + 1 > DNS_MAX_WIRE)
			return PROTO_ERROR;
		memcpy(q->qname + q->qname_len, pkt + off, (size_t)l + 1);
		q->qname_len += (size_t)l + 1;
		if (tlen)
			q->name[tlen++] = '.';
		for (size_t i = 0; i < l; i++) {
			uint8_t c = pkt[off + 1 + i];

			/* 255 wire bytes at 4 text bytes each stays below DNS_MAX_TEXT. */
			if (plain_char(c))
				q->name[tlen++] = (char)c;
			else
				tlen += (size_t)snprintf(q->name + tlen, 5, "\\%03u", c);
		}
		off += (size_t)l + 1;
	}
	if (!tlen)
		q->name[tlen++] = '.';
	q->name[tlen] = '\0';
	if (len - off < 4)
		return PROTO_ERROR;
	q->qtype = rd16(pkt + off);
	q->qclass = rd16(pkt + off + 2);
	q->question_end = off + 4;
	return PROTO_OK;
}

int dns_name_to_wire(uint8_t out[DNS_MAX_WIRE], size_t *out_len, const char *text)
{
	size_t n = 0, tl = strlen(text);

	if (tl && text[tl - 1] == '.')
		tl--;
	if (!tl)
		return -1;
	for (size_t i = 0; i <= tl;) {
		size_t j = i;

		while (j < tl && text[j] != '.')
			j++;
		if (j == i || j - i > DNS_MAX_LABEL || n + 1 + (j - i) + 1 > DNS_MAX_WIRE)
			return -1;
		out[n++] = (uint8_t)(j - i);
		memcpy(out + n, text + i, j - i);
		n += j - i;
		i = j + 1;
	}
	out[n++] = 0;
	*out_len = n;
	return 0;
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

bool dns_name_under(const uint8_t *name, size_t name_len, const uint8_t *zone, size_t zone_len)
{
	size_t off = 0;

	/* Try every label boundary of name as the start of zone. */
	while (off < name_len) {
		if (name_len - off == zone_len) {
			size_t k = 0;

			while (k < zone_len && lower(name[off + k]) == lower(zone[k]))
				k++;
			if (k == zone_len)
				return true;
		}
		if (name[off] == 0)
			break;
		off += (size_t)name[off] + 1;
	}
	return false;
}

size_t dns_build_response(uint8_t *out, size_t cap, const struct dns_query *q, enum dns_rcode rcode,
			  const uint8_t a[4])
{
	size_t n = DNS_HEADER + q->qname_len + 4;
	uint16_t flags;

	if (cap < n + (a ? 16 : 0))
		return 0;
	/* QR, opcode copied, AA, RD copied; RA clear: we are not a resolver. */
	flags =
	    (uint16_t)(0x8000 | (q->flags & 0x7800) | 0x0400 | (q->flags & 0x0100) | (rcode & 15));
	wr16(out, q->id);
	wr16(out + 2, flags);
	wr16(out + 4, 1);
	wr16(out + 6, a ? 1 : 0);
	wr16(out + 8, 0);
	wr16(out + 10, 0);
	memcpy(out + DNS_HEADER, q->qname, q->qname_len);
	wr16(out + DNS_HEADER + q->qname_len, q->qtype);
	wr16(out + DNS_HEADER + q->qname_len + 2, q->qclass);
	if (a) {
		uint8_t *p = out + n;

		wr16(p, 0xc000 | DNS_HEADER); /* pointer to the question's name */
		wr16(p + 2, DNS_TYPE_A);
		wr16(p + 4, DNS_CLASS_IN);
		memset(p + 6, 0, 4); /* TTL 0 */
		wr16(p + 10, 4);
		memcpy(p + 12, a, 4);
		n += 16;
	}
	return n;
}

size_t dns_build_error(uint8_t *out, size_t cap, uint16_t id, uint16_t query_flags,
		       enum dns_rcode rcode)
{
	if (cap < DNS_HEADER)
		return 0;
	memset(out, 0, DNS_HEADER);
	wr16(out, id);
	wr16(out + 2,
	     (uint16_t)(0x8000 | (query_flags & 0x7800) | (query_flags & 0x0100) | (rcode & 15)));
	return DNS_HEADER;
}

const char *dns_type_name(uint16_t type, char buf[16])
{
	switch (type) {
	case 1:
		return "A";
	case 2:
		return "NS";
	case 5:
		return "CNAME";
	case 6:
		return "SOA";
	case 12:
		return "PTR";
	case 15:
		return "MX";
	case 16:
		return "TXT";
	case 28:
		return "AAAA";
	case 33:
		return "SRV";
	case 64:
		return "SVCB";
	case 65:
		return "HTTPS";
	case 255:
		return "ANY";
	default:
		snprintf(buf, 16, "TYPE%u", type);
		return buf;
	}
}
