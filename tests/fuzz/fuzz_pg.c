/* libFuzzer target: PostgreSQL frontend messages, every body decoder, and
 * the SQL lexing the sql stub does on query texts. The first byte picks the
 * phase: even = startup packets, odd = regular messages. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner/net/pgwire.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static void lex(const char *sql, size_t len)
{
	size_t off = 0, st, sl, prev = 0;
	char tag[48];
	bool rows;

	while (pg_next_statement(sql, len, &off, &st, &sl)) {
		CHECK(off > prev || (off == len && prev == 0 && len == 0));
		CHECK(st + sl <= len && off <= len);
		prev = off;
		pg_command_tag(tag, sizeof(tag), sql + st, sl, &rows);
		CHECK(strlen(tag) < sizeof(tag));
	}
	CHECK(pg_count_placeholders(sql, len) <= PG_MAX_BIND_PARAMS);
}

static void decode(const struct pg_msg *m)
{
	struct pg_parse p;
	struct pg_bind b;
	const char *s;
	size_t n;
	uint32_t rows;
	char what;

	switch (m->type) {
	case 'Q':
		if (pg_decode_query(&s, &n, m->body, m->len) == 0)
			lex(s, n);
		break;
	case 'P':
		if (pg_decode_parse(&p, m->body, m->len) == 0)
			lex(p.sql, p.sql_len);
		break;
	case 'B':
		pg_decode_bind(&b, m->body, m->len);
		break;
	case 'D':
	case 'C':
		pg_decode_target(&what, &s, m->body, m->len);
		break;
	case 'E':
		pg_decode_execute(&s, &rows, m->body, m->len);
		break;
	case 'p':
		pg_decode_password(&s, &n, m->body, m->len);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data + 1;
	size_t len = size ? size - 1 : 0, off = 0;
	bool startup;
	struct pg_msg m;

	if (!size)
		return 0;
	startup = !(data[0] & 1);
	lex(buf, len);
	while (off < len) {
		int rc = startup ? pg_parse_startup(&m, buf + off, len - off)
				 : pg_parse_message(&m, buf + off, len - off);
		if (rc != PROTO_OK)
			break;
		CHECK(m.consumed > 0 && m.consumed <= len - off);
		CHECK(m.body + m.len == buf + off + m.consumed);
		if (startup) {
			struct pg_param params[PG_MAX_PARAMS];
			size_t n;

			if (m.code == PG_PROTOCOL_V3 &&
			    pg_decode_startup(params, PG_MAX_PARAMS, &n, m.body, m.len) == 0)
				for (size_t i = 0; i < n; i++)
					CHECK(params[i].key >= m.body &&
					      params[i].value < m.body + m.len);
			if (m.code >> 16 == 3)
				startup = false;
		} else {
			decode(&m);
		}
		off += m.consumed;
	}
	return 0;
}
