/* Shared foundations: allocation that aborts on OOM, error values, growable
 * strings and argv vectors, time and JSON helpers. Every module uses these. */
#ifndef SR_UTIL_H
#define SR_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define SR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SR_PRINTF(f, a)	 __attribute__((format(printf, f, a)))

/* Error codes, returned negated-style by functions that fail. The CLI maps
 * them to exit codes: SR_EINVAL -> 2, SR_EENGINE -> 3, others -> 1. */
enum sr_code {
	SR_OK = 0,
	SR_EFAIL = -1,	  /* generic failure */
	SR_EINVAL = -2,	  /* invalid input: spec, catalogue, usage */
	SR_EENGINE = -3,  /* the container engine cannot be reached */
	SR_ETIMEOUT = -4, /* a deadline passed */
	SR_EINTR = -5,	  /* interrupted by a signal */
};

/* An error value filled by the callee, owned by the caller (fixed storage,
 * nothing to free). Messages start lowercase and quote their subject. */
struct sr_err {
	int code;
	char msg[2048];
};
#define SR_ERR_INIT                                                                                \
	{                                                                                          \
		0, ""                                                                              \
	}

/* Set err (may be NULL) and return code. */
int sr_err_set(struct sr_err *err, int code, const char *fmt, ...) SR_PRINTF(3, 4);
/* Prefix context to the existing message: "<ctx>: <old>". Returns err->code. */
int sr_err_wrap(struct sr_err *err, const char *fmt, ...) SR_PRINTF(2, 3);
void sr_err_clear(struct sr_err *err);

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) SR_PRINTF(1, 2);
/* Grow *p (of *alloc elements of size sz) so that it holds at least nr. */
void *xgrow(void *p, size_t sz, size_t nr, size_t *alloc);
#define SR_GROW(p, nr, alloc) ((p) = xgrow((p), sizeof(*(p)), (nr), &(alloc)))

static inline void sr_freep(void *p)
{
	free(*(void **)p);
}
#define cleanup_free __attribute__((cleanup(sr_freep)))

/* Growable NUL-terminated byte string (may hold NULs). As in git, an
 * initialised strbuf is always a valid C string: before the first growth buf
 * points at a shared empty "slop" byte (alloc 0), so no caller needs
 * `buf ? buf : ""`. A zeroed struct (buf NULL) is accepted too. */
extern char sr_strbuf_slop[1];
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};
#define STRBUF_INIT                                                                                \
	{                                                                                          \
		sr_strbuf_slop, 0, 0                                                               \
	}
void strbuf_init(struct strbuf *sb);
/* Shorten (never lengthen) to len bytes, keeping the terminating NUL. */
void strbuf_setlen(struct strbuf *sb, size_t len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
/* Append keeping at most the last cap bytes of everything appended so far
 * (output tails); the buffer may grow to 2*cap before it is compacted, so the
 * cost is amortised. Call strbuf_trim_tail(sb, cap) before reading it. */
void strbuf_add_tail(struct strbuf *sb, const void *data, size_t n, size_t cap);
/* Keep only the last cap bytes. */
void strbuf_trim_tail(struct strbuf *sb, size_t cap);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) SR_PRINTF(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
void strbuf_reset(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
/* Return the buffer (never NULL) and reset sb; the caller owns the result. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Always a valid C string (empty when nothing was added). */
const char *strbuf_str(const struct strbuf *sb);

/* NULL-terminated argv vector of owned strings. */
struct strvec {
	char **v;
	size_t nr;
	size_t alloc;
};
#define STRVEC_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...) SR_PRINTF(2, 3);
void strvec_pushv(struct strvec *sv, const char *const *v);
void strvec_clear(struct strvec *sv);
/* Always a valid NULL-terminated array, even when empty. */
char *const *strvec_argv(struct strvec *sv);

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 when the
 * bytes there are not valid UTF-8 (overlong, surrogate, out of range). */
size_t sr_utf8_len(const unsigned char *s, size_t n);
/* Append code point cp (<= 0x10ffff) encoded as UTF-8. */
void strbuf_add_utf8(struct strbuf *sb, uint32_t cp);

/* JSON: append s (len bytes, may contain any byte) as a quoted JSON string;
 * invalid UTF-8 bytes become U+FFFD. */
void json_add_str(struct strbuf *sb, const char *s);
void json_add_strn(struct strbuf *sb, const char *s, size_t len);

/* Milliseconds on CLOCK_MONOTONIC / CLOCK_REALTIME. */
uint64_t sr_now_ms(void);
uint64_t sr_wall_ms(void);
/* ISO 8601 UTC timestamp of a wall-clock millisecond value. */
void sr_fmt_time(char *out, size_t outsz, uint64_t wall_ms);

/* Fill buf with random bytes from getrandom(2). Returns 0 or SR_EFAIL. */
int sr_random(void *buf, size_t len, struct sr_err *err);
/* 128 random bits as 32 lowercase hex chars plus NUL into out[33]. */
int sr_token(char out[33], struct sr_err *err);

/* Parse "10s", "500ms", "2m", "1h" (a bare number is seconds). */
int sr_parse_duration_ms(const char *s, uint64_t *out);
/* Parse "64m", "1g", "512k", "100" (bytes), case-insensitive, optional "b". */
int sr_parse_size(const char *s, uint64_t *out);

/* Read a whole file; *out is NUL-terminated and owned by the caller. */
int sr_read_file(const char *path, char **out, size_t *len, struct sr_err *err);
/* Write a report-style file so that a reader never sees a partial one: a
 * temp file created exclusively (O_EXCL|O_NOFOLLOW, random name) beside the
 * target, written, fsynced, renamed over it. A symlink is followed (the file
 * it names is replaced); an existing device or FIFO is written in place.
 * Every write, fsync and close error is SR_EFAIL naming path; on failure
 * nothing is left under the final name that was not there before. Path "-"
 * is standard output. */
int sr_write_file_atomic(const char *path, const char *data, size_t len, struct sr_err *err);

/* Whether sr_write_file_atomic(path) can succeed as far as can be known
 * before writing: an existing device/FIFO writable, or the (link target's)
 * directory existing and writable. SR_EINVAL with the reason otherwise. */
int sr_check_writable(const char *path, struct sr_err *err);

/* Global verbosity: -1 quiet, 0 normal, 1+ verbose. */
extern int sr_verbosity;
extern bool sr_log_json;
void sr_log(const char *fmt, ...) SR_PRINTF(1, 2);   /* "sandrun: ..." on stderr */
void sr_debug(const char *fmt, ...) SR_PRINTF(1, 2); /* only with -v */

#endif
