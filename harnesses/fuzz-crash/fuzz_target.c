/*
 * libFuzzer target with a real bug: a parser of "FUZ" records that trusts
 * the record's own length byte.
 *
 *   record := "FUZ" len:u8 body[...]
 *
 * The body is copied into a heap buffer sized by the bytes actually present,
 * then checksummed over `len` bytes: any record whose length byte claims more
 * than it carries reads past the buffer (heap-buffer-overflow). libFuzzer
 * finds such an input within seconds from nothing; work/corpus/ holds one,
 * so the crash is deterministic and happens on the first input.
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
	uint8_t *body;
	size_t avail;
};

static int record_parse(struct record *r, const uint8_t *data, size_t size)
{
	if (size < 4 || memcmp(data, "FUZ", 3) != 0)
		return -1;
	r->len = data[3];
	r->avail = size - 4;
	r->body = malloc(r->avail + 1);
	if (!r->body)
		return -1;
	memcpy(r->body, data + 4, r->avail);
	r->body[r->avail] = '\0';
	return 0;
}

static unsigned record_checksum(const struct record *r)
{
	unsigned sum = 0;

	/* BUG: bounded by the claimed length, not by r->avail. */
	for (size_t i = 0; i < r->len; i++)
		sum = sum * 31u + r->body[i];
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record r;
	volatile unsigned sink;

	if (record_parse(&r, data, size) < 0)
		return 0;
	sink = record_checksum(&r);
	(void)sink;
	free(r.body);
	return 0;
}
