/* libFuzzer target: HTTP/1.x request parsing and sniffing. Beyond memory
 * safety it checks the incremental contract: spans stay in the buffer, and
 * a prefix never contradicts the whole (an error or a complete request seen
 * on a prefix is the same on the full input). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner/net/http.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static void check_span(struct proto_span s, const char *buf, size_t len)
{
	CHECK(s.len == 0 || (s.p >= buf && s.p + s.len <= buf + len));
}

static struct http_request r, r2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0;
	int full;

	http_sniff(buf, size);
	full = http_parse_request(&r, buf, size);
	if (full == PROTO_OK) {
		CHECK(r.consumed > 0 && r.consumed <= size);
		CHECK(r.head_len <= r.consumed);
		check_span(r.method, buf, size);
		check_span(r.target, buf, size);
		check_span(r.body, buf, size);
		for (size_t i = 0; i < r.nheaders; i++) {
			check_span(r.headers[i].name, buf, size);
			check_span(r.headers[i].value, buf, size);
		}
	}
	/* Two prefixes: the answer on a prefix must be consistent. */
	for (size_t p = size / 2; p < size; p = p + 1 + (size - p) / 2) {
		int rc = http_parse_request(&r2, buf, p);

		if (rc == PROTO_ERROR)
			CHECK(full == PROTO_ERROR);
		if (rc == PROTO_OK)
			CHECK(full == PROTO_OK && r2.consumed == r.consumed);
	}
	/* Pipelined requests. */
	while (off < size && http_parse_request(&r, buf + off, size - off) == PROTO_OK) {
		CHECK(r.consumed > 0 && r.consumed <= size - off);
		off += r.consumed;
	}
	return 0;
}
