/* Shared vocabulary of the network protocol parsers in runner/net/.
 *
 * Every parser is pure: it looks at a caller-owned byte buffer, never
 * allocates, never reads past len, and answers with one enum proto_rc. Parsed
 * fields point into the caller's buffer and live as long as it does. Each
 * parser has hard limits (in its header) so a hostile peer cannot make the
 * caller buffer more than a bounded amount before an answer is known. */
#ifndef SR_NET_PROTO_H
#define SR_NET_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum proto_rc {
	PROTO_ERROR = -1,    /* malformed, or over a hard limit: give up on the stream */
	PROTO_NEED_MORE = 0, /* a valid prefix: read more bytes and call again */
	PROTO_OK = 1,	     /* one complete unit; its consumed field says where the next starts */
};

/* A borrowed byte range inside the parsed buffer (not NUL-terminated). */
struct proto_span {
	const char *p;
	size_t len;
};

/* First case-insensitive (ASCII) occurrence of needle in hay, or NULL. An
 * empty needle never matches: a missing token must not attribute anything. */
const char *proto_memcasemem(const char *hay, size_t hay_len, const char *needle,
			     size_t needle_len);

/* Append s[0..len) to out as printable ASCII: bytes outside 0x20..0x7e and
 * the backslash become \xHH. Stops (appending "...") once max output bytes
 * were written. Used for summaries and causes that end up in text logs. */
struct strbuf;
void proto_add_printable(struct strbuf *out, const char *s, size_t len, size_t max);

#endif
