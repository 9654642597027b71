/* Time formatting, duration parsing and small string helpers. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

/* Two digits of v at p. */
static char *
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/*
 * Every event and every task document carries several times, so this is
 * written without gmtime and snprintf, which took a tenth of a replay:
 * the civil date comes from the day number by Howard Hinnant's
 * days-to-civil arithmetic (proleptic Gregorian, as gmtime). Years
 * outside 0-9999 still go through gmtime and snprintf.
 */
static void
iso8601(int64_t ms, int millis, char out[TIME_ISO_LEN])
{
	struct tm	 tm;
	time_t		 t;
	int64_t		 secs, days, z, era, doe, yoe, doy, mp, y;
	int		 frac, sod, m, d;
	char		*p = out;

	secs = ms / 1000;
	frac = (int)(ms % 1000);
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	days = secs / 86400;
	sod = (int)(secs % 86400);
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (int)(doy - (153 * mp + 2) / 5 + 1);
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y = yoe + era * 400 + (m <= 2);
	if (y < 0 || y > 9999) {
		t = (time_t)secs;
		gmtime_r(&t, &tm);
		snprintf(out, TIME_ISO_LEN, "%04d-%02d-%02dT%02d:%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		p = out + strlen(out);
	} else {
		p = put2(p, (int)(y / 100));
		p = put2(p, (int)(y % 100));
		*p++ = '-';
		p = put2(p, m);
		*p++ = '-';
		p = put2(p, d);
		*p++ = 'T';
		p = put2(p, sod / 3600);
		*p++ = ':';
		p = put2(p, sod / 60 % 60);
		*p++ = ':';
		p = put2(p, sod % 60);
	}
	if (millis) {
		*p++ = '.';
		*p++ = (char)('0' + frac / 100);
		p = put2(p, frac % 100);
	}
	*p++ = 'Z';
	*p = '\0';
}

/*
 * The last texts made, by their time: a task's event writes its eight
 * times again at every change, and a tick's events share theirs. ecsim
 * formats on one thread.
 */
void
time_iso8601(int64_t ms, int millis, char out[TIME_ISO_LEN])
{
	static struct {
		int64_t	 ms;
		int	 millis;
		char	 text[32];
	}		 seen[256];
	size_t		 h = (size_t)((uint64_t)ms * 0x9e3779b97f4a7c15ULL >> 56);

	if (seen[h].ms != ms || seen[h].millis != millis ||
	    seen[h].text[0] == '\0') {
		iso8601(ms, millis, out);
		if (strlen(out) >= sizeof seen[h].text)
			return;
		seen[h].ms = ms;
		seen[h].millis = millis;
		memcpy(seen[h].text, out, sizeof seen[h].text);
		return;
	}
	memcpy(out, seen[h].text, sizeof seen[h].text);
}

int
time_parse_duration(const char *s, int64_t *ms, struct err *e)
{
	char	*end;
	double	 v, unit = 1000;

	if (s == NULL || *s == '\0')
		return err_set(e, ERR_INVALID, "empty duration");
	v = strtod(s, &end);
	if (end == s || v < 0 || !isfinite(v))
		return err_set(e, ERR_INVALID,
		    "'%s' is not a duration (try 30s, 5m, 2h or 250ms)", s);
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		unit = 1000;
	else if (strcmp(end, "ms") == 0)
		unit = 1;
	else if (strcmp(end, "m") == 0)
		unit = 60000;
	else if (strcmp(end, "h") == 0)
		unit = 3600000;
	else
		return err_set(e, ERR_INVALID,
		    "'%s' has an unknown unit '%s' (use ms, s, m or h)", s, end);
	*ms = (int64_t)llround(v * unit);
	return 0;
}

char *
int_digits(int64_t v, char *end)
{
	static const char	pairs[] =
	    "00010203040506070809101112131415161718192021222324252627282930"
	    "31323334353637383940414243444546474849505152535455565758596061"
	    "62636465666768697071727374757677787980818283848586878889909192"
	    "93949596979899";
	uint64_t		u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	unsigned		k;

	/* Two digits a division: times in milliseconds have thirteen. */
	while (u >= 100) {
		k = (unsigned)(u % 100) * 2;
		u /= 100;
		*--end = pairs[k + 1];
		*--end = pairs[k];
	}
	if (u >= 10) {
		*--end = pairs[u * 2 + 1];
		*--end = pairs[u * 2];
	} else
		*--end = (char)('0' + u);
	if (v < 0)
		*--end = '-';
	return end;
}

char *
int_text(int64_t v, char buf[INT_TEXT_LEN])
{
	char	 tmp[INT_TEXT_LEN], *p;

	tmp[sizeof tmp - 1] = '\0';
	p = int_digits(v, tmp + sizeof tmp - 1);
	memcpy(buf, p, (size_t)(tmp + sizeof tmp - p));
	return buf;
}

int
str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
str_is_ecs_name(const char *s, size_t max)
{
	size_t	n = 0;

	for (; *s != '\0'; s++, n++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	}
	return n >= 1 && n <= max;
}

/*
 * Eight bytes at a time, each word mixed in by a multiply and a shift, the
 * length in the last: the keys hashed most are ARNs of about 90 bytes,
 * which FNV-1a, a byte at a time, took 300 cycles to hash. The words are
 * read in the machine's byte order, so a value is the same run after run
 * on one machine, which is all its users (seeds, tables) need.
 */
uint64_t
str_hash(const char *s)
{
	uint64_t	h = 0x9e3779b97f4a7c15ULL, w;
	size_t		n = strlen(s), i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s + i, n - i);
	h = (h ^ w ^ (uint64_t)n << 56) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ h >> 29;
}

char *
str_join(const char *const *items, int n, const char *sep)
{
	size_t	len = 1, i, count;
	char	*out;

	for (count = 0; n < 0 ? items[count] != NULL : count < (size_t)n;
	    count++)
		len += strlen(items[count]) + strlen(sep);
	out = xmalloc(len);
	out[0] = '\0';
	for (i = 0; i < count; i++) {
		if (i > 0)
			strcat(out, sep);
		strcat(out, items[i]);
	}
	return out;
}
