/* Fuzz the JSON parser: any bytes either fail cleanly with a positioned
 * error or parse; a parsed value must serialize to text that parses back to
 * an equal value and serializes to the same text again. Builds with
 * libFuzzer (-fsanitize=fuzzer) or, with -DSR_FUZZ_MAIN, as a plain program
 * that replays the files named on its command line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_value *v = NULL, *w = NULL;
	struct sr_err err = SR_ERR_INIT;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

	if (json_parse(&v, "fuzz", (const char *)data, size, &err) < 0) {
		if (v || err.code != SR_EINVAL || strncmp(err.msg, "fuzz:", 5))
			abort();
		return 0;
	}
	json_serialize(&a, v);
	if (json_parse(&w, "reparse", a.buf, a.len, &err) < 0) {
		fprintf(stderr, "serialized output does not parse: %s\n%s\n", err.msg, a.buf);
		abort();
	}
	if (!json_equal(v, w))
		abort();
	json_serialize(&b, w);
	if (a.len != b.len || memcmp(a.buf, b.buf, a.len))
		abort();
	json_free(v);
	json_free(w);
	strbuf_release(&a);
	strbuf_release(&b);
	return 0;
}

#ifdef SR_FUZZ_MAIN
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *text = NULL;
		size_t len = 0;
		struct sr_err err = SR_ERR_INIT;
		if (sr_read_file(argv[i], &text, &len, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)text, len);
		free(text);
	}
	return 0;
}
#endif
