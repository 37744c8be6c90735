/* Diagnostics on stderr (util.h: sr_log, sr_debug): text through the one
 * sanitiser, or one JSON object a line with --log-format json. Above both
 * util.c and sanitize.c, so neither includes the other's user. */
#include "lib/sanitize.h"
#include "lib/util.h"

#include <stdio.h>

int sr_verbosity;
bool sr_log_json;

void sr_log(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	/* Diagnostics are never silenced: -q hides progress, not errors. */
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (sr_log_json) {
		struct strbuf line = STRBUF_INIT;
		char ts[40];
		sr_fmt_time(ts, sizeof(ts), sr_wall_ms());
		strbuf_addf(&line, "{\"time\":\"%s\",\"msg\":", ts);
		json_add_str(&line, strbuf_str(&sb));
		strbuf_addstr(&line, "}\n");
		fputs(line.buf, stderr);
		strbuf_release(&line);
	} else {
		/* Messages quote specs, reports and engine output: one
		 * sanitiser shows their control bytes escaped. */
		struct strbuf safe = STRBUF_INIT;
		sr_sanitize(&safe, strbuf_str(&sb), 0, SR_SAN_KEEP_NL);
		fprintf(stderr, "sandrun: %s\n", strbuf_str(&safe));
		strbuf_release(&safe);
	}
	strbuf_release(&sb);
}

void sr_debug(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (sr_verbosity < 1)
		return;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	sr_log("%s", strbuf_str(&sb));
	strbuf_release(&sb);
}
