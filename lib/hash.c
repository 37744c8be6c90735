#include "lib/hash.h"

#include <stdio.h>
#include <string.h>
#include <xxhash.h>

struct sr_hasher {
	XXH64_state_t *st;
};

struct sr_hasher *sr_hasher_new(void)
{
	struct sr_hasher *h = xmalloc(sizeof(*h));

	h->st = XXH64_createState();
	if (!h->st)
		abort();
	XXH64_reset(h->st, 0);
	return h;
}

void sr_hasher_add(struct sr_hasher *h, const void *data, size_t len)
{
	XXH64_update(h->st, data, len);
}

void sr_hasher_add_str(struct sr_hasher *h, const char *s)
{
	uint64_t n = s ? strlen(s) : UINT64_MAX;

	XXH64_update(h->st, &n, sizeof(n));
	if (s)
		XXH64_update(h->st, s, (size_t)n);
}

void sr_hasher_finish(struct sr_hasher *h, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)XXH64_digest(h->st));
	XXH64_freeState(h->st);
	free(h);
}

void sr_hash_hex(const void *data, size_t len, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)XXH64(data, len, 0));
}
