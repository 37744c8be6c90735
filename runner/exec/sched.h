/* The scheduler's side of runs: the reaper that removes finished containers
 * and networks off the hot path (run_all in run.h starts and drains it). */
#ifndef SR_SCHED_H
#define SR_SCHED_H

#include "runner/exec/run.h"

/* Remove container (network false) or network name: queued to the reaper
 * while run_all is active, else removed at once. Best effort; what is left
 * is swept by gc. */
void sched_reap(struct runner *r, const char *name, bool network);

#endif
