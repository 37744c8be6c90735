/* The reaper: removes finished containers and networks off the hot path,
 * below both the scheduler (which starts and drains it) and the runs
 * (which hand it what they created). */
#ifndef SR_REAPER_H
#define SR_REAPER_H

#include "runner/exec/runner.h"

/* Start the removal thread of r (r->reaper); without it, reap_later
 * removes at once. */
void reaper_start(struct runner *r);
/* Remove what is still queued, then stop the thread. */
void reaper_finish(struct runner *r);

/* Remove container (network false) or network name: queued to the reaper
 * while run_all is active, else removed at once. Best effort; what is left
 * is swept by gc. */
void reap_later(struct runner *r, const char *name, bool network);

#endif
