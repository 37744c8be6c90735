/*
 * libFuzzer target without a bug: the same "FUZ" record format as
 * fuzz-crash, parsed with every length checked. A bounded campaign
 * (-runs=20000) must end without a sanitizer report: `not_confirmed`.
 *
 *   record := "FUZ" len:u8 body[len] ( "FUZ" len:u8 body[len] )*
 *
 * Build (ci/setup.sh does it):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -o work/fuzz_target fuzz_target.c
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct record {
	uint8_t len;
	const uint8_t *body;
};

/* Parses one record at data[0..size); returns the bytes consumed, 0 when the
 * input does not hold a whole record. */
static size_t record_parse(struct record *r, const uint8_t *data, size_t size)
{
	if (size < 4 || memcmp(data, "FUZ", 3) != 0)
		return 0;
	r->len = data[3];
	if (r->len > size - 4)
		return 0;
	r->body = data + 4;
	return 4 + (size_t)r->len;
}

static unsigned record_checksum(const struct record *r)
{
	unsigned sum = 0;

	for (size_t i = 0; i < r->len; i++)
		sum = sum * 31u + r->body[i];
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record r;
	volatile unsigned sink = 0;
	size_t n;
	unsigned char *copy;

	while ((n = record_parse(&r, data, size)) > 0) {
		/* Work on a private copy, sized exactly, as a real consumer would. */
		copy = malloc(r.len ? r.len : 1);
		if (!copy)
			return 0;
		memcpy(copy, r.body, r.len);
		r.body = copy;
		sink += record_checksum(&r);
		free(copy);
		data += n;
		size -= n;
	}
	(void)sink;
	return 0;
}
