/* libFuzzer target: RESP commands (arrays and inline) and their text form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner/net/resp.h"
#include "lib/util.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static struct resp_cmd cmd;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0;

	while (off < size) {
		struct strbuf sb = STRBUF_INIT;
		int rc = resp_parse(&cmd, buf + off, size - off);

		if (rc != PROTO_OK)
			break;
		CHECK(cmd.consumed > 0 && cmd.consumed <= size - off);
		CHECK(cmd.argc <= RESP_MAX_ARGS);
		for (size_t i = 0; i < cmd.argc; i++)
			CHECK(cmd.argv[i].len == 0 ||
			      (cmd.argv[i].p >= buf + off &&
			       cmd.argv[i].p + cmd.argv[i].len <= buf + off + cmd.consumed));
		resp_cmd_text(&sb, &cmd, 256);
		CHECK(sb.len <= 256 + 3 + 1);
		strbuf_release(&sb);
		off += cmd.consumed;
	}
	return 0;
}
