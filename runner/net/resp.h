/* RESP2 (the Redis protocol): client commands as arrays of bulk strings or
 * inline lines, and the replies the redis stub sends. */
#ifndef SR_NET_RESP_H
#define SR_NET_RESP_H

#include "runner/net/proto.h"

struct strbuf;

#define RESP_MAX_ARGS	1024	     /* elements of one command array */
#define RESP_MAX_BULK	(512u << 10) /* one bulk string */
#define RESP_MAX_INLINE (64u << 10)  /* one inline command line */
#define RESP_MAX_CMD	(1u << 20)   /* one whole command, framing included */

struct resp_cmd {
	size_t argc; /* 0: an empty line or a null array, skip it */
	struct proto_span argv[RESP_MAX_ARGS];
	bool is_inline;
	size_t consumed;
};

/* Parse one command at the start of buf. A buffer starting with '*' is a
 * RESP array whose elements must all be bulk strings ('$'); anything else
 * is an inline command split on spaces and tabs. Lengths must be plain
 * decimal without sign (a null array "*-1" is tolerated and yields
 * argc 0); limits above give PROTO_ERROR. */
int resp_parse(struct resp_cmd *out, const char *buf, size_t len);

/* Append the command as one line of text, e.g. "SET k v": arguments that
 * are empty or hold spaces, quotes or non-printable bytes are quoted with
 * C escapes so the text reads unambiguously. At most max bytes of output. */
void resp_cmd_text(struct strbuf *out, const struct resp_cmd *cmd, size_t max);

void resp_put_simple(struct strbuf *out, const char *s); /* +s */
void resp_put_error(struct strbuf *out, const char *s);	 /* -s */
void resp_put_int(struct strbuf *out, long long v);	 /* :v */
void resp_put_bulk(struct strbuf *out, const char *p, size_t len);
void resp_put_null(struct strbuf *out);		       /* $-1 */
void resp_put_array_len(struct strbuf *out, size_t n); /* *n, elements follow */

#endif
