#include "lib/sanitize.h"

#include <string.h>

static uint32_t decode(const unsigned char *s, size_t k)
{
	if (k == 1)
		return s[0];
	if (k == 2)
		return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	if (k == 3)
		return ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) |
		       (s[2] & 0x3f);
	return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
	       ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
}

void sr_sanitize(struct strbuf *sb, const char *str, size_t max, int flags)
{
	const unsigned char *s = (const unsigned char *)(str ? str : ""), *end;
	size_t start = sb->len;

	end = s + strlen((const char *)s);
	while (s < end) {
		size_t k = s < end ? sr_utf8_len(s, (size_t)(end - s)) : 0;
		uint32_t cp = k ? decode(s, k) : 0;
		char esc[12] = "";

		if (!k)
			snprintf(esc, sizeof(esc), "\\x%02x", *s);
		else if ((cp == '\n' || cp == '\t') && (flags & SR_SAN_KEEP_NL))
			;
		else if (cp < 0x20 || cp == 0x7f)
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned)cp);
		else if (cp >= 0x80 && cp < 0xa0)
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
		if (max && sb->len - start + (*esc ? strlen(esc) : k) > max) {
			strbuf_addstr(sb, "...");
			return;
		}
		if (*esc)
			strbuf_addstr(sb, esc);
		else
			strbuf_add(sb, s, k);
		s += k ? k : 1;
	}
}

char *sr_sanitized(const char *s, int flags)
{
	struct strbuf sb = STRBUF_INIT;

	sr_sanitize(&sb, s, 0, flags);
	return strbuf_detach(&sb, NULL);
}

void sr_fputs_safe(const char *s, FILE *f)
{
	struct strbuf sb = STRBUF_INIT;

	sr_sanitize(&sb, s, 0, 0);
	fputs(strbuf_str(&sb), f);
	strbuf_release(&sb);
}
