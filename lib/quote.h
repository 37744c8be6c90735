/* The one shell quoter: command lines that `explain`, logs and error
 * messages print, so a reader can paste them into a POSIX shell. */
#ifndef SR_QUOTE_H
#define SR_QUOTE_H

#include "lib/util.h"

/* Append arg to out, single-quoted unless every byte is in a small set that
 * no shell treats specially ([A-Za-z0-9_./:,=+@%-]); the empty string
 * prints as ''. */
void sr_shell_quote(struct strbuf *out, const char *arg);

/* Append the NULL-terminated argv as one line: each element through
 * sr_shell_quote, separated by single spaces, no trailing newline. */
void sr_shell_quote_argv(struct strbuf *out, char *const *argv);

#endif
