#include "lib/rfc3339.h"

#include <string.h>
#include <time.h>

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* ".123456789": up to nine digits, kept to ms; *p moves past them. */
static int fraction_ms(const char **p)
{
	int ms = 0, nd = 0;

	if (**p != '.')
		return 0;
	for ((*p)++; **p >= '0' && **p <= '9'; (*p)++, nd++)
		if (nd < 3)
			ms = ms * 10 + (**p - '0');
	if (!nd || nd > 9)
		return -1;
	for (; nd < 3; nd++)
		ms *= 10;
	return ms;
}

/* "Z", "+hh:mm" or Go's " +hhmm ZONE": seconds east of UTC into *off. */
static int zone_offset(const char *p, int64_t *off)
{
	int hh, mm;
	size_t n;

	if (*p == 'Z' && !p[1]) {
		*off = 0;
		return 0;
	}
	if (*p == ' ')
		p++;
	if (*p != '+' && *p != '-')
		return -1;
	hh = digits(p + 1, 2);
	n = p[3] == ':' ? 4 : 3;
	mm = digits(p + n, 2);
	if (hh < 0 || mm < 0 || hh > 23 || mm > 59)
		return -1;
	/* Go's format names the zone after the offset: " UTC", " CET". */
	if (p[n + 2] && (p[n + 2] != ' ' || n == 4 || !p[n + 3]))
		return -1;
	for (const char *z = p[n + 2] ? p + n + 3 : p + n + 2; *z; z++)
		if (!(*z >= 'A' && *z <= 'Z') && !(*z >= 'a' && *z <= 'z') && *z != '+' &&
		    *z != '-' && !(*z >= '0' && *z <= '9'))
			return -1;
	*off = (int64_t)(hh * 60 + mm) * 60 * (*p == '-' ? -1 : 1);
	return 0;
}

int64_t sr_time_parse_ms(const char *s)
{
	struct tm tm = {0};
	int64_t off;
	const char *p;
	int ms;

	if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 5, 2) - 1;
	tm.tm_mday = digits(s + 8, 2);
	tm.tm_hour = digits(s + 11, 2);
	tm.tm_min = digits(s + 14, 2);
	tm.tm_sec = digits(s + 17, 2);
	if (tm.tm_year < -1899 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		return -1;
	p = s + 19;
	if ((ms = fraction_ms(&p)) < 0 || zone_offset(p, &off) < 0)
		return -1;
	if (tm.tm_year + 1900 == 1) /* Go's zero time: never happened */
		return 0;
	return ((int64_t)timegm(&tm) - off) * 1000 + ms;
}
