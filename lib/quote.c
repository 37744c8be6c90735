#include "lib/quote.h"

#include <string.h>

/* An allow-list, not a deny-list: bytes a shell might read specially (glob,
 * history, brace, non-ASCII) are quoted whether or not we thought of them. */
static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_-./:,=+@%", *s)))
			return false;
	return true;
}

void sr_shell_quote(struct strbuf *out, const char *arg)
{
	if (shell_safe(arg)) {
		strbuf_addstr(out, arg);
		return;
	}
	strbuf_addch(out, '\'');
	for (const char *c = arg; *c; c++) {
		if (*c == '\'')
			strbuf_addstr(out, "'\\''");
		else
			strbuf_addch(out, *c);
	}
	strbuf_addch(out, '\'');
}

void sr_shell_quote_argv(struct strbuf *out, char *const *argv)
{
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			strbuf_addch(out, ' ');
		sr_shell_quote(out, argv[i]);
	}
}
