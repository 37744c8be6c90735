/* The one parser of the engine's time stamps (both routes): RFC 3339
 * ("2026-11-24T08:15:00.123456789Z", "...+01:00") and Go's default time
 * format the CLI templates print ("2026-11-24 08:15:00.123 +0000 UTC"). */
#ifndef SR_RFC3339_H
#define SR_RFC3339_H

#include <stdint.h>

/* Milliseconds since the epoch (UTC; the offset applied, the fraction
 * truncated to ms). 0 for Go's zero time ("0001-01-01T00:00:00Z": never
 * happened), -1 when s is NULL or malformed. */
int64_t sr_time_parse_ms(const char *s);

#endif
