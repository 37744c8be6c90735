/* Spans into a run's output bytes, shared by the crash-report parser
 * (crashparse.c) and libFuzzer's stats (fuzzstats.c). Private to
 * runner/verdict/. */
#ifndef SR_SPAN_H
#define SR_SPAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* Everything works on spans into the caller's bytes: the input is not NUL-
 * terminated and may hold NULs, so no str* function touches it. */
struct span {
	const char *p;
	size_t n;
};

static inline struct span span_of(const char *p, const char *end)
{
	return (struct span){p, (size_t)(end - p)};
}

static inline bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline struct span span_trim(struct span s)
{
	while (s.n && is_space(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

static inline bool span_starts(struct span s, const char *prefix)
{
	size_t k = strlen(prefix);
	return s.n >= k && !memcmp(s.p, prefix, k);
}

static inline bool span_ends(struct span s, const char *suffix)
{
	size_t k = strlen(suffix);
	return s.n >= k && !memcmp(s.p + s.n - k, suffix, k);
}

static inline bool span_eq(struct span s, const char *str)
{
	return s.n == strlen(str) && (!s.n || !memcmp(s.p, str, s.n));
}

/* Offset of needle (not empty) in s, or -1. */
static inline long span_find(struct span s, const char *needle)
{
	const char *hit = s.n ? memmem(s.p, s.n, needle, strlen(needle)) : NULL;
	return hit ? hit - s.p : -1;
}

static inline struct span span_from(struct span s, size_t off)
{
	return off >= s.n ? (struct span){s.p + s.n, 0} : (struct span){s.p + off, s.n - off};
}

static inline struct span span_upto(struct span s, size_t off)
{
	return (struct span){s.p, off < s.n ? off : s.n};
}

static inline char *span_dup(struct span s)
{
	return s.n ? xstrndup(s.p, s.n) : xstrdup("");
}

/* A copy with control characters (NUL included) as '?'. */
static inline char *dup_printable(struct span s)
{
	char *out = xmalloc(s.n + 1);

	for (size_t i = 0; i < s.n; i++)
		out[i] = (unsigned char)s.p[i] < 0x20 ? '?' : s.p[i];
	out[s.n] = '\0';
	return out;
}

/* The text after the last '/' (a path's file name). */
static inline struct span span_basename(struct span s)
{
	const char *slash = s.n ? memrchr(s.p, '/', s.n) : NULL;
	return slash ? span_of(slash + 1, s.p + s.n) : s;
}

/* Parse leading decimal digits, saturating. Returns digits consumed. */
static inline size_t parse_u64(struct span s, uint64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;

	while (i < s.n && is_digit(s.p[i])) {
		unsigned d = (unsigned)(s.p[i] - '0');
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
		i++;
	}
	*out = v;
	return i;
}

/* Line iterator: *cur advances past the line and its '\n'. */
static inline bool next_line(const char **cur, const char *end, struct span *line)
{
	const char *nl;

	if (*cur >= end)
		return false;
	nl = memchr(*cur, '\n', (size_t)(end - *cur));
	*line = span_of(*cur, nl ? nl : end);
	*cur = nl ? nl + 1 : end;
	return true;
}

#endif
