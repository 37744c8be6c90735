#include "runner/net/http.h"

#include <string.h>

#include "lib/util.h"

/* RFC 9110 tchar: the characters of methods and header names. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool span_ieq(struct proto_span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && proto_memcasemem(s.p, s.len, lit, n) == s.p;
}

/* Find the end of the line starting at off: *eol is the index of '\n',
 * *content_end excludes an optional '\r'. False if no '\n' before len. */
static bool find_line(const char *buf, size_t len, size_t off, size_t *eol, size_t *content_end)
{
	const char *nl = memchr(buf + off, '\n', len - off);

	if (!nl)
		return false;
	*eol = (size_t)(nl - buf);
	*content_end = *eol;
	if (*content_end > off && buf[*content_end - 1] == '\r')
		(*content_end)--;
	return true;
}

/* Request line "METHOD SP target SP HTTP/1.d" in buf[off..end). */
static int parse_request_line(struct http_request *r, const char *buf, size_t off, size_t end)
{
	size_t i = off, t;

	while (i < end && is_tchar((unsigned char)buf[i]))
		i++;
	if (i == off || i - off > HTTP_MAX_METHOD || i >= end || buf[i] != ' ')
		return PROTO_ERROR;
	r->method = (struct proto_span){buf + off, i - off};
	t = ++i;
	while (i < end && (unsigned char)buf[i] > 0x20 && (unsigned char)buf[i] != 0x7f)
		i++;
	if (i == t || i - t > HTTP_MAX_TARGET || i >= end || buf[i] != ' ')
		return PROTO_ERROR;
	r->target = (struct proto_span){buf + t, i - t};
	i++;
	if (end - i != 8 || memcmp(buf + i, "HTTP/1.", 7) || buf[i + 7] < '0' || buf[i + 7] > '9')
		return PROTO_ERROR;
	r->minor_version = buf[i + 7] - '0';
	return PROTO_OK;
}

/* "name: value" in buf[off..end). */
static int parse_header(struct http_header *h, const char *buf, size_t off, size_t end)
{
	size_t i = off, v;

	/* A folded continuation line is obsolete and a smuggling vector. */
	if (buf[off] == ' ' || buf[off] == '\t')
		return PROTO_ERROR;
	while (i < end && is_tchar((unsigned char)buf[i]))
		i++;
	if (i == off || i >= end || buf[i] != ':')
		return PROTO_ERROR;
	h->name = (struct proto_span){buf + off, i - off};
	i++;
	while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	v = end;
	while (v > i && (buf[v - 1] == ' ' || buf[v - 1] == '\t'))
		v--;
	for (size_t k = i; k < v; k++)
		if (buf[k] == '\0' || buf[k] == '\r')
			return PROTO_ERROR;
	h->value = (struct proto_span){buf + i, v - i};
	return PROTO_OK;
}

/* Decimal Content-Length, bounded by HTTP_MAX_BODY; no sign, no spaces. */
static int parse_length(struct proto_span v, size_t *out)
{
	size_t n = 0;

	if (!v.len)
		return PROTO_ERROR;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return PROTO_ERROR;
		n = n * 10 + (size_t)(v.p[i] - '0');
		if (n > HTTP_MAX_BODY)
			return PROTO_ERROR;
	}
	*out = n;
	return PROTO_OK;
}

/* Does the comma-separated list v contain token tok (case-insensitive)? */
static bool list_has(struct proto_span v, const char *tok)
{
	size_t i = 0;

	while (i < v.len) {
		size_t s, e;

		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
			i++;
		s = i;
		while (i < v.len && v.p[i] != ',')
			i++;
		e = i;
		while (e > s && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
			e--;
		if (e > s && span_ieq((struct proto_span){v.p + s, e - s}, tok))
			return true;
	}
	return false;
}

/* Is "chunked" the last transfer coding of v? Anything else leaves the body
 * length unknowable, which a server must refuse. */
static bool last_is_chunked(struct proto_span v)
{
	size_t e = v.len, s;

	while (e > 0 && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
		e--;
	s = e;
	while (s > 0 && v.p[s - 1] != ',' && v.p[s - 1] != ' ' && v.p[s - 1] != '\t')
		s--;
	return span_ieq((struct proto_span){v.p + s, e - s}, "chunked");
}

/* Walk a chunked body starting at off; on PROTO_OK *end is just past the
 * trailer section. The raw encoding may span at most HTTP_MAX_BODY bytes. */
static int walk_chunked(const char *buf, size_t len, size_t off, size_t *end)
{
	size_t cap = off + HTTP_MAX_BODY;
	size_t lim = len < cap ? len : cap;
	/* Out of bytes: wait for more unless the cap is what stopped us. */
	int short_rc = len >= cap ? PROTO_ERROR : PROTO_NEED_MORE;
	size_t i = off, eol, ce;

	for (;;) {
		size_t size = 0, k = i, digits = 0;

		if (!find_line(buf, lim, i, &eol, &ce))
			return short_rc;
		while (k < ce) {
			char c = buf[k];
			unsigned d;

			if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				d = (unsigned)(c - 'A' + 10);
			else
				break;
			size = size * 16 + d;
			if (++digits > 8 || size > HTTP_MAX_BODY)
				return PROTO_ERROR;
			k++;
		}
		if (!digits || (k < ce && buf[k] != ';' && buf[k] != ' ' && buf[k] != '\t'))
			return PROTO_ERROR;
		i = eol + 1;
		if (size == 0)
			break;
		if (size > lim - i)
			return size > cap - i ? PROTO_ERROR : short_rc;
		i += size;
		if (i >= lim)
			return short_rc;
		if (buf[i] == '\n') {
			i++;
		} else if (buf[i] == '\r') {
			if (i + 1 >= lim)
				return short_rc;
			if (buf[i + 1] != '\n')
				return PROTO_ERROR;
			i += 2;
		} else {
			return PROTO_ERROR;
		}
	}
	/* Trailer fields until an empty line. */
	for (;;) {
		bool empty;

		if (!find_line(buf, lim, i, &eol, &ce))
			return short_rc;
		empty = ce == i;
		i = eol + 1;
		if (empty)
			break;
	}
	*end = i;
	return PROTO_OK;
}

int http_parse_request(struct http_request *r, const char *buf, size_t len)
{
	size_t off = 0, eol, ce, body_off, clen = 0;
	size_t lim = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
	int short_rc = len >= HTTP_MAX_HEAD ? PROTO_ERROR : PROTO_NEED_MORE;
	bool have_clen = false, have_te = false, conn_close = false, conn_keep = false;
	int rc;

	memset(r, 0, sizeof(*r));
	/* RFC 9112 2.2: ignore at least one empty line before a request. */
	while (off < lim && off < 8 && (buf[off] == '\r' || buf[off] == '\n'))
		off++;
	if (off == lim)
		return short_rc;
	if (!find_line(buf, lim, off, &eol, &ce))
		return short_rc;
	rc = parse_request_line(r, buf, off, ce);
	if (rc != PROTO_OK)
		return rc;
	off = eol + 1;
	for (;;) {
		struct http_header *h;

		if (!find_line(buf, lim, off, &eol, &ce))
			return short_rc;
		if (ce == off) {
			off = eol + 1;
			break;
		}
		if (r->nheaders == HTTP_MAX_HEADERS)
			return PROTO_ERROR;
		h = &r->headers[r->nheaders];
		if (parse_header(h, buf, off, ce) != PROTO_OK)
			return PROTO_ERROR;
		r->nheaders++;
		off = eol + 1;
		if (span_ieq(h->name, "content-length")) {
			size_t v;

			if (parse_length(h->value, &v) != PROTO_OK || (have_clen && v != clen))
				return PROTO_ERROR;
			clen = v;
			have_clen = true;
		} else if (span_ieq(h->name, "transfer-encoding")) {
			if (have_te || !last_is_chunked(h->value))
				return PROTO_ERROR;
			have_te = true;
		} else if (span_ieq(h->name, "connection")) {
			conn_close |= list_has(h->value, "close");
			conn_keep |= list_has(h->value, "keep-alive");
		}
	}
	if (have_te && have_clen)
		return PROTO_ERROR;
	r->head_len = off;
	body_off = off;
	if (have_te) {
		size_t end;

		rc = walk_chunked(buf, len, body_off, &end);
		if (rc != PROTO_OK)
			return rc;
		r->chunked = true;
		r->body = (struct proto_span){buf + body_off, end - body_off};
	} else {
		if (clen > len - body_off)
			return PROTO_NEED_MORE;
		r->body = (struct proto_span){buf + body_off, clen};
	}
	r->consumed = body_off + r->body.len;
	r->keep_alive = r->minor_version >= 1 ? !conn_close : (conn_keep && !conn_close);
	return PROTO_OK;
}

int http_sniff(const char *buf, size_t len)
{
	static const char ver[] = " HTTP/1.";
	size_t i = 0, t;
	size_t lim = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;

	while (i < lim && i < HTTP_MAX_METHOD && buf[i] >= 'A' && buf[i] <= 'Z')
		i++;
	if (i == lim)
		return i < HTTP_MAX_METHOD && lim < HTTP_MAX_HEAD ? PROTO_NEED_MORE : PROTO_ERROR;
	if (i == 0 || buf[i] != ' ')
		return PROTO_ERROR;
	t = ++i;
	while (i < lim && (unsigned char)buf[i] > 0x20 && (unsigned char)buf[i] != 0x7f &&
	       i - t <= HTTP_MAX_TARGET)
		i++;
	if (i - t > HTTP_MAX_TARGET)
		return PROTO_ERROR;
	if (i == lim)
		return lim < HTTP_MAX_HEAD ? PROTO_NEED_MORE : PROTO_ERROR;
	if (i == t || buf[i] != ' ')
		return PROTO_ERROR;
	for (size_t k = 0; k < sizeof(ver) - 1; k++, i++) {
		if (i == lim)
			return PROTO_NEED_MORE;
		if (buf[i] != ver[k])
			return PROTO_ERROR;
	}
	if (i == lim)
		return PROTO_NEED_MORE;
	if (buf[i] < '0' || buf[i] > '9')
		return PROTO_ERROR;
	i++;
	if (i == lim)
		return PROTO_NEED_MORE;
	if (buf[i] == '\n')
		return PROTO_OK;
	if (buf[i] != '\r')
		return PROTO_ERROR;
	i++;
	if (i == lim)
		return PROTO_NEED_MORE;
	return buf[i] == '\n' ? PROTO_OK : PROTO_ERROR;
}

const struct http_header *http_find_header(const struct http_request *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (span_ieq(r->headers[i].name, name))
			return &r->headers[i];
	return NULL;
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Content Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

void http_put_response(struct strbuf *out, int status, const char *body, size_t body_len,
		       bool keep_alive, bool head_only)
{
	bool no_body;

	if (status < 200 || status > 599)
		status = 200;
	no_body = status == 204 || status == 304;
	if (no_body)
		body_len = 0;
	strbuf_addf(out, "HTTP/1.1 %d %s\r\nServer: sandrun\r\nContent-Type: text/plain\r\n",
		    status, reason(status));
	/* RFC 9110 8.6: no Content-Length on 204; 304 has no body to size. */
	if (!no_body)
		strbuf_addf(out, "Content-Length: %zu\r\n", body_len);
	strbuf_addf(out, "Connection: %s\r\n\r\n", keep_alive ? "keep-alive" : "close");
	if (!head_only && body_len)
		strbuf_add(out, body, body_len);
}
