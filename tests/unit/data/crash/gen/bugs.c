/* Small deliberate bugs for capturing real sanitizer reports (see gen.sh).
 * argv[1] names the bug; the call chain parse_record -> read_field -> bug
 * gives the reports a few user frames above main. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char global_buf[8];
volatile int sink;

__attribute__((noinline)) static int heap_overflow(int i)
{
	char *p = malloc(8);
	p[i] = 'x';
	sink = p[0];
	free(p);
	return 0;
}

__attribute__((noinline)) static int stack_overflow(int i)
{
	char buf[8];
	memset(buf, 0, sizeof(buf));
	return buf[i];
}

__attribute__((noinline)) static int global_overflow(int i)
{
	return global_buf[i];
}

__attribute__((noinline)) static int use_after_free(int i)
{
	char *p = malloc(16);
	free(p);
	return p[i];
}

__attribute__((noinline)) static int double_free(int i)
{
	char *p = malloc(16 + i);
	free(p);
	free(p);
	return 0;
}

__attribute__((noinline)) static int null_deref(int i)
{
	int *volatile p = (int *)(long)(i * 0);
	return *p;
}

__attribute__((noinline)) static int leak(int i)
{
	char *volatile p = malloc(100 + i);
	p = NULL;
	return 0;
}

__attribute__((noinline)) static int int_overflow(int i)
{
	int x = 0x7fffffff;
	return x + i;
}

__attribute__((noinline)) static int bad_shift(int i)
{
	return 1 << (i + 32);
}

__attribute__((noinline)) static int uninit(int i)
{
	int *p = malloc(sizeof(int) * 4);
	int r = 0;
	if (p[i])
		r = 1;
	free(p);
	return r;
}

__attribute__((noinline)) static int read_field(const char *what, int i)
{
	if (!strcmp(what, "heap-overflow"))
		return heap_overflow(i + 8);
	if (!strcmp(what, "stack-overflow"))
		return stack_overflow(i + 8);
	if (!strcmp(what, "global-overflow"))
		return global_overflow(i + 8);
	if (!strcmp(what, "use-after-free"))
		return use_after_free(i);
	if (!strcmp(what, "double-free"))
		return double_free(i);
	if (!strcmp(what, "segv"))
		return null_deref(i);
	if (!strcmp(what, "leak"))
		return leak(i);
	if (!strcmp(what, "int-overflow"))
		return int_overflow(i + 1);
	if (!strcmp(what, "shift"))
		return bad_shift(i);
	if (!strcmp(what, "uninit"))
		return uninit(i);
	return -1;
}

__attribute__((noinline)) static int parse_record(const char *what)
{
	int r = read_field(what, 0);
	printf("after %s: %d\n", what, r);
	return r;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	printf("start %s\n", argv[1]);
	fflush(stdout);
	parse_record(argv[1]);
	return 0;
}
