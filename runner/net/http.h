/* HTTP/1.x requests (RFC 9112), parsed from a byte buffer for the OOB
 * listener and the http stubs, and the one response shape they send. */
#ifndef SR_NET_HTTP_H
#define SR_NET_HTTP_H

#include "runner/net/proto.h"

struct strbuf;

#define HTTP_MAX_HEAD	 16384	    /* request line + header lines + blank line */
#define HTTP_MAX_TARGET	 8192	    /* request-target */
#define HTTP_MAX_HEADERS 64	    /* header lines */
#define HTTP_MAX_BODY	 (1u << 20) /* Content-Length, or the raw chunked encoding */
#define HTTP_MAX_METHOD	 32

struct http_header {
	struct proto_span name, value; /* value without surrounding whitespace */
};

struct http_request {
	struct proto_span method, target;
	int minor_version; /* HTTP/1.<minor_version>, 0..9 */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;
	size_t head_len;	/* leading blank lines, request line, headers, blank line */
	struct proto_span body; /* Content-Length bytes, or the undecoded chunked encoding */
	bool chunked;
	bool keep_alive; /* the client's wish: version default, then Connection */
	size_t consumed; /* head_len + body.len: where a pipelined request starts */
};

/* Parse one request at the start of buf. PROTO_OK fills out (pointing into
 * buf); PROTO_NEED_MORE means buf is a valid prefix shorter than the limits
 * (when only body bytes are missing, head_len is non-zero and the request
 * line and headers are already filled, e.g. to answer "Expect: 100-continue");
 * PROTO_ERROR means the bytes are not an acceptable request: bad syntax,
 * a limit exceeded, header folding, whitespace before a colon, conflicting
 * Content-Length values, Content-Length together with Transfer-Encoding, or a
 * transfer coding other than chunked — the ambiguities request smuggling
 * lives on are refused rather than guessed. */
int http_parse_request(struct http_request *out, const char *buf, size_t len);

/* Decide whether a stream starts with an HTTP/1.x request line: PROTO_OK
 * once a complete "METHOD target HTTP/1.x" line was seen, PROTO_ERROR as soon
 * as the bytes cannot be one, PROTO_NEED_MORE otherwise. */
int http_sniff(const char *buf, size_t len);

/* The first header named name (case-insensitive), or NULL. */
const struct http_header *http_find_header(const struct http_request *r, const char *name);

/* Append a complete response: status line, Content-Type text/plain,
 * Content-Length, Connection keep-alive or close, then the body unless
 * head_only (a HEAD request) or the status forbids one (1xx, 204, 304).
 * A status outside 200..599 is sent as 200. */
void http_put_response(struct strbuf *out, int status, const char *body, size_t body_len,
		       bool keep_alive, bool head_only);

#endif
