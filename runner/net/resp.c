#include "runner/net/resp.h"

#include <string.h>

#include "lib/util.h"

/* A CRLF-terminated decimal at buf[*off..): digits only, at most 10 of
 * them, or exactly "-1" when allow_null. *v is -1 for the null form. */
static int parse_num(const char *buf, size_t len, size_t *off, long long *v, bool allow_null)
{
	size_t i = *off, digits = 0;
	long long n = 0;
	bool neg = false;

	if (i < len && buf[i] == '-') {
		neg = true;
		i++;
	}
	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		if (++digits > 10)
			return PROTO_ERROR;
		n = n * 10 + (buf[i] - '0');
		i++;
	}
	if (i == len)
		return PROTO_NEED_MORE;
	if (!digits || buf[i] != '\r')
		return PROTO_ERROR;
	if (i + 1 == len)
		return PROTO_NEED_MORE;
	if (buf[i + 1] != '\n')
		return PROTO_ERROR;
	if (neg) {
		if (!allow_null || n != 1)
			return PROTO_ERROR;
		n = -1;
	}
	*v = n;
	*off = i + 2;
	return PROTO_OK;
}

static int parse_array(struct resp_cmd *c, const char *buf, size_t len)
{
	size_t lim = len < RESP_MAX_CMD ? len : RESP_MAX_CMD;
	int short_rc = len >= RESP_MAX_CMD ? PROTO_ERROR : PROTO_NEED_MORE;
	size_t off = 1;
	long long n;
	int rc;

	rc = parse_num(buf, lim, &off, &n, true);
	if (rc != PROTO_OK)
		return rc == PROTO_NEED_MORE ? short_rc : rc;
	if (n < 0) {
		c->consumed = off;
		return PROTO_OK;
	}
	if (n > RESP_MAX_ARGS)
		return PROTO_ERROR;
	for (long long k = 0; k < n; k++) {
		long long blen;

		if (off == lim)
			return short_rc;
		if (buf[off] != '$')
			return PROTO_ERROR;
		off++;
		rc = parse_num(buf, lim, &off, &blen, false);
		if (rc != PROTO_OK)
			return rc == PROTO_NEED_MORE ? short_rc : rc;
		if (blen > RESP_MAX_BULK)
			return PROTO_ERROR;
		if ((size_t)blen + 2 > lim - off)
			return (size_t)blen + 2 > RESP_MAX_CMD - off ? PROTO_ERROR : short_rc;
		if (buf[off + (size_t)blen] != '\r' || buf[off + (size_t)blen + 1] != '\n')
			return PROTO_ERROR;
		c->argv[c->argc++] = (struct proto_span){buf + off, (size_t)blen};
		off += (size_t)blen + 2;
	}
	c->consumed = off;
	return PROTO_OK;
}

static int parse_inline(struct resp_cmd *c, const char *buf, size_t len)
{
	size_t lim = len < RESP_MAX_INLINE ? len : RESP_MAX_INLINE;
	const char *nl = memchr(buf, '\n', lim);
	size_t end, i = 0;

	if (!nl)
		return len >= RESP_MAX_INLINE ? PROTO_ERROR : PROTO_NEED_MORE;
	end = (size_t)(nl - buf);
	c->consumed = end + 1;
	if (end > 0 && buf[end - 1] == '\r')
		end--;
	c->is_inline = true;
	while (i < end) {
		size_t s;

		while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		if (i == end)
			break;
		s = i;
		while (i < end && buf[i] != ' ' && buf[i] != '\t')
			i++;
		if (c->argc == RESP_MAX_ARGS)
			return PROTO_ERROR;
		c->argv[c->argc++] = (struct proto_span){buf + s, i - s};
	}
	return PROTO_OK;
}

int resp_parse(struct resp_cmd *c, const char *buf, size_t len)
{
	c->argc = 0;
	c->consumed = 0;
	c->is_inline = false;
	if (!len)
		return PROTO_NEED_MORE;
	if (buf[0] == '*')
		return parse_array(c, buf, len);
	return parse_inline(c, buf, len);
}

static bool needs_quotes(struct proto_span a)
{
	if (!a.len)
		return true;
	for (size_t i = 0; i < a.len; i++) {
		unsigned char ch = (unsigned char)a.p[i];
		if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
			return true;
	}
	return false;
}

void resp_cmd_text(struct strbuf *out, const struct resp_cmd *cmd, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = out->len;

	for (size_t k = 0; k < cmd->argc; k++) {
		struct proto_span a = cmd->argv[k];

		if (k)
			strbuf_addch(out, ' ');
		if (!needs_quotes(a)) {
			strbuf_add(out, a.p, a.len);
		} else {
			strbuf_addch(out, '"');
			for (size_t i = 0; i < a.len && out->len - start < max; i++) {
				unsigned char ch = (unsigned char)a.p[i];
				if (ch == '"' || ch == '\\') {
					char e[2] = {'\\', (char)ch};
					strbuf_add(out, e, 2);
				} else if (ch == '\n') {
					strbuf_addstr(out, "\\n");
				} else if (ch == '\r') {
					strbuf_addstr(out, "\\r");
				} else if (ch == '\t') {
					strbuf_addstr(out, "\\t");
				} else if (ch < 0x20 || ch == 0x7f) {
					char e[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
					strbuf_add(out, e, 4);
				} else {
					/* UTF-8 passes through: JSON output keeps it readable. */
					strbuf_addch(out, (char)ch);
				}
			}
			strbuf_addch(out, '"');
		}
		if (out->len - start >= max) {
			out->len = start + max;
			out->buf[out->len] = '\0';
			strbuf_addstr(out, "...");
			return;
		}
	}
}

void resp_put_simple(struct strbuf *out, const char *s)
{
	strbuf_addf(out, "+%s\r\n", s);
}

void resp_put_error(struct strbuf *out, const char *s)
{
	strbuf_addf(out, "-%s\r\n", s);
}

void resp_put_int(struct strbuf *out, long long v)
{
	strbuf_addf(out, ":%lld\r\n", v);
}

void resp_put_bulk(struct strbuf *out, const char *p, size_t len)
{
	strbuf_addf(out, "$%zu\r\n", len);
	strbuf_add(out, p, len);
	strbuf_addstr(out, "\r\n");
}

void resp_put_null(struct strbuf *out)
{
	strbuf_addstr(out, "$-1\r\n");
}

void resp_put_array_len(struct strbuf *out, size_t n)
{
	strbuf_addf(out, "*%zu\r\n", n);
}
