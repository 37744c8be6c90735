/* The live progress line of `sandrun run` on a terminal (stderr): done/total,
 * running, confirmed, crash and mismatched runs so far, elapsed and ETA,
 * redrawn in place at most PROGRESS_MIN_MS apart. Per-run lines (stdout)
 * stay as they are: the line is cleared before one is printed and drawn
 * again after. Off when stderr is not a terminal or -q; under NO_COLOR it
 * is redrawn with '\r' and spaces only, no escape codes. Not thread-safe:
 * the scheduler calls on_done under its lock. */
#ifndef SR_PROGRESS_H
#define SR_PROGRESS_H

#include <stdio.h>

#include "runner/verdict/record.h"

#define PROGRESS_MIN_MS 100

struct progress {
	FILE *f;      /* NULL: off */
	bool escapes; /* ANSI erase-line allowed */
	size_t total, done, confirmed, crash, mismatch;
	unsigned jobs;
	uint64_t start_ms, last_draw_ms;
	size_t shown; /* width of the line on screen, 0 when cleared */
};

/* Set p up for total runs on jobs workers. f NULL, not a terminal, or quiet
 * turns it off; no_color drops the escape codes. */
void progress_init(struct progress *p, FILE *f, size_t total, unsigned jobs, bool no_color,
		   uint64_t now_ms);

/* The line for now_ms, e.g. "[12/40] 4 running  3 confirmed  0 crash
 * 1 mismatch  0:12 elapsed  ETA 0:28" (no escape codes, no newline). */
void progress_render(struct strbuf *out, const struct progress *p, uint64_t now_ms);

/* Clear the line (before a per-run line is printed). */
void progress_clear(struct progress *p);

/* Count r as done and redraw when PROGRESS_MIN_MS passed since the last
 * draw, or when it was the last run. */
void progress_done(struct progress *p, const struct record *r, uint64_t now_ms);

/* Clear the line for good. */
void progress_end(struct progress *p);

#endif
