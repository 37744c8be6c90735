/* Content hashing (the xxhash adapter): keys for the result cache and the
 * catalogue fingerprint in reports. */
#ifndef SR_HASH_H
#define SR_HASH_H

#include "lib/util.h"

struct sr_hasher;

struct sr_hasher *sr_hasher_new(void);
void sr_hasher_add(struct sr_hasher *h, const void *data, size_t len);
/* Add a string with its length, so ("ab","c") and ("a","bc") differ. */
void sr_hasher_add_str(struct sr_hasher *h, const char *s);
/* 16 lowercase hex chars of the 64-bit digest; frees h. */
void sr_hasher_finish(struct sr_hasher *h, char out[17]);

/* One-shot XXH64 of a buffer as 16 hex chars. */
void sr_hash_hex(const void *data, size_t len, char out[17]);

#endif
