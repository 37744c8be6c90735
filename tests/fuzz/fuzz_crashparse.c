/* Fuzz the sanitizer/libFuzzer report parser: any bytes give either no
 * report (everything empty) or a report with tool, type and a signature that
 * starts with the type; the same bytes on stdout give the same result; the
 * JSON written for the report and for the fuzz stats always parses. Builds
 * with libFuzzer (-fsanitize=fuzzer) or, with -DSR_FUZZ_MAIN, as a plain
 * program that replays the files named on its command line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonparse.h"
#include "runner/verdict/crashparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_json(const struct strbuf *sb)
{
	struct json_value *v = NULL;
	struct sr_err err = SR_ERR_INIT;

	if (json_parse(&v, "out", sb->buf, sb->len, &err) < 0) {
		fprintf(stderr, "invalid JSON: %s\n%s\n", err.msg, sb->buf);
		abort();
	}
	if (v->type != JSON_OBJECT)
		abort();
	json_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct crash_info a, b;
	struct fuzz_stats fs;
	struct strbuf sb = STRBUF_INIT;
	int ra = crash_parse(&a, NULL, 0, text, size);
	int rb = crash_parse(&b, text, size, "", 0);

	if (ra != rb || (ra != 0 && ra != 1))
		abort();
	if (ra) {
		if (!a.tool || !a.type || !a.signature || a.nframes > CRASH_MAX_FRAMES)
			abort();
		if (strncmp(a.signature, a.type, strlen(a.type)))
			abort();
		if (strcmp(a.signature, b.signature) || strcmp(a.type, b.type))
			abort();
		for (size_t i = 0; i < a.nframes; i++)
			if (!a.frames[i].function)
				abort();
	} else if (a.tool || a.type || a.signature || a.summary || a.access || a.nframes) {
		abort();
	}
	crash_info_json(&sb, &a);
	check_json(&sb);
	strbuf_reset(&sb);
	crash_info_release(&a);
	crash_info_release(&b);

	fuzzstats_parse(&fs, text, size);
	fuzzstats_json(&sb, &fs);
	check_json(&sb);
	strbuf_release(&sb);
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
