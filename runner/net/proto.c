#include "runner/net/proto.h"

#include <string.h>

#include "lib/util.h"

static inline unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

const char *proto_memcasemem(const char *hay, size_t hay_len, const char *needle, size_t needle_len)
{
	const unsigned char *h = (const unsigned char *)hay;
	const unsigned char *n = (const unsigned char *)needle;
	unsigned char first;

	if (!needle_len || hay_len < needle_len)
		return NULL;
	first = lower(n[0]);
	for (size_t i = 0; i + needle_len <= hay_len; i++) {
		size_t k;

		if (lower(h[i]) != first)
			continue;
		for (k = 1; k < needle_len; k++)
			if (lower(h[i + k]) != lower(n[k]))
				break;
		if (k == needle_len)
			return hay + i;
	}
	return NULL;
}

void proto_add_printable(struct strbuf *out, const char *s, size_t len, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t written = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;

		if (written + need > max) {
			strbuf_addstr(out, "...");
			return;
		}
		if (need == 1) {
			strbuf_addch(out, (char)c);
		} else {
			char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
			strbuf_add(out, esc, sizeof(esc));
		}
		written += need;
	}
}
