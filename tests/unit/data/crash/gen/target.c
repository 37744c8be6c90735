/* A libFuzzer target with one bug per input prefix (see gen.sh): "crash"
 * reads past a heap buffer, "abort" aborts (a deadly signal), "loop" spins
 * (a timeout), "oom" allocates without bound, "exit" calls exit(). Any other
 * input is fine. TARGET_BUGS, when set, lists the bugs that are armed, so
 * a short campaign can run to its end or find one chosen bug. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile int sink;
static void *hoard[1 << 16];
static size_t nhoard;

__attribute__((noinline)) static int decode_label(const uint8_t *data, size_t size)
{
	char *copy = malloc(size);
	memcpy(copy, data, size);
	int r = copy[size]; /* one past the end */
	free(copy);
	return r;
}

static int armed(const char *bug)
{
	const char *list = getenv("TARGET_BUGS");
	return !list || strstr(list, bug);
}

__attribute__((noinline)) static void check_header(const uint8_t *data, size_t size)
{
	if (size >= 5 && !memcmp(data, "crash", 5) && armed("crash"))
		sink = decode_label(data, size);
	if (size >= 5 && !memcmp(data, "abort", 5) && armed("abort"))
		abort();
	if (size >= 4 && !memcmp(data, "loop", 4) && armed("loop"))
		for (;;)
			sink++;
	if (size >= 3 && !memcmp(data, "oom", 3) && armed("oom"))
		for (;;) {
			char *p = malloc(1 << 20);
			memset(p, 1, 1 << 20);
			hoard[nhoard++ & 0xffff] = p;
			usleep(10000); /* ~100 MB/s: the 1 s RSS check stops it early */
		}
	if (size >= 4 && !memcmp(data, "exit", 4) && armed("exit"))
		exit(3);
	if (size >= 3 && !memcmp(data, "big", 3) && armed("big"))
		sink = ((char *)malloc((size_t)3 << 30))[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_header(data, size);
	return 0;
}
