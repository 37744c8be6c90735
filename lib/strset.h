/* A set of strings (open addressing, FNV-1a): constant-time membership for
 * checks that would otherwise compare every pair, like duplicate harness
 * names across a suite of thousands of specs. */
#ifndef SR_STRSET_H
#define SR_STRSET_H

#include "lib/util.h"

struct strset {
	char **slot; /* NULL = empty; the set owns each string */
	size_t nr, cap;
};

#define STRSET_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* Add a copy of s. Returns true when s was new, false when already present. */
bool strset_add(struct strset *set, const char *s);
bool strset_has(const struct strset *set, const char *s);
void strset_clear(struct strset *set);

#endif
