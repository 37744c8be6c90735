#include "lib/strset.h"

#include <string.h>

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* The slot holding s, or the empty slot where it belongs. cap is a power
 * of two and never full, so the probe ends. */
static char **probe(char **slot, size_t cap, const char *s)
{
	size_t i = (size_t)fnv1a(s) & (cap - 1);

	while (slot[i] && strcmp(slot[i], s))
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

static void rehash(struct strset *set, size_t cap)
{
	char **slot = xcalloc(cap, sizeof(*slot));

	for (size_t i = 0; i < set->cap; i++)
		if (set->slot[i])
			*probe(slot, cap, set->slot[i]) = set->slot[i];
	free(set->slot);
	set->slot = slot;
	set->cap = cap;
}

bool strset_add(struct strset *set, const char *s)
{
	char **p;

	/* keep the load factor under 1/2 so probes stay short */
	if (2 * (set->nr + 1) > set->cap)
		rehash(set, set->cap ? 2 * set->cap : 16);
	p = probe(set->slot, set->cap, s);
	if (*p)
		return false;
	*p = xstrdup(s);
	set->nr++;
	return true;
}

bool strset_has(const struct strset *set, const char *s)
{
	return set->cap && *probe(set->slot, set->cap, s);
}

void strset_clear(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
	*set = (struct strset)STRSET_INIT;
}
