/* Unit tests for src/util/: err_set, the seeded PRNG, identifier shapes,
 * ISO 8601 formatting, duration parsing and JSON printing. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "util/util.h"
#include "check_run.h"

START_TEST(test_err_set_returns_minus_one_and_fills)
{
	struct err	e;

	err_clear(&e);
	ck_assert_int_eq(e.code, ERR_NONE);
	ck_assert_str_eq(e.msg, "");
	ck_assert_int_eq(err_set(&e, ERR_CLUSTER_NOT_FOUND, "cluster %s: %d",
	    "web", 7), -1);
	ck_assert_int_eq(e.code, ERR_CLUSTER_NOT_FOUND);
	ck_assert_str_eq(e.msg, "cluster web: 7");
	err_clear(&e);
	ck_assert_int_eq(e.code, ERR_NONE);
	ck_assert_str_eq(e.msg, "");
}
END_TEST

START_TEST(test_err_set_null_and_truncation)
{
	struct err	 e;
	char		 big[1000];

	/* A NULL err is allowed: the caller only wants the -1. */
	ck_assert_int_eq(err_set(NULL, ERR_INVALID, "ignored %d", 1), -1);
	err_clear(NULL);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	err_set(&e, ERR_INVALID, "%s", big);
	ck_assert_uint_eq(strlen(e.msg), ERR_MSG_MAX - 1);
	ck_assert_int_eq(e.code, ERR_INVALID);
}
END_TEST

START_TEST(test_prng_same_seed_same_sequence)
{
	struct prng	a, b, c;
	int		i, differ = 0;

	prng_seed(&a, 42);
	prng_seed(&b, 42);
	prng_seed(&c, 43);
	for (i = 0; i < 1000; i++) {
		uint64_t x = prng_next(&a), y = prng_next(&b);

		ck_assert_uint_eq(x, y);
		if (x != prng_next(&c))
			differ++;
	}
	/* Another seed gives another sequence. */
	ck_assert_int_gt(differ, 990);
}
END_TEST

START_TEST(test_prng_known_first_value)
{
	struct prng	p;
	uint64_t	first;

	/* Seeding twice restarts the sequence: replays depend on it. */
	prng_seed(&p, 1);
	first = prng_next(&p);
	prng_next(&p);
	prng_seed(&p, 1);
	ck_assert_uint_eq(prng_next(&p), first);
	ck_assert_uint_ne(first, 0);
}
END_TEST

START_TEST(test_prng_below_range_and_spread)
{
	struct prng	p;
	int		seen[7] = { 0 };
	int		i;

	prng_seed(&p, 7);
	for (i = 0; i < 7000; i++) {
		uint64_t v = prng_below(&p, 7);

		ck_assert_uint_lt(v, 7);
		seen[v]++;
	}
	/* Each of 7 buckets gets about 1000: far from 0 and from 7000. */
	for (i = 0; i < 7; i++) {
		ck_assert_int_gt(seen[i], 800);
		ck_assert_int_lt(seen[i], 1200);
	}
	for (i = 0; i < 100; i++)
		ck_assert_uint_eq(prng_below(&p, 1), 0);
}
END_TEST

START_TEST(test_prng_double_range)
{
	struct prng	p;
	double		lo = 1, hi = 0, d;
	int		i;

	prng_seed(&p, 99);
	for (i = 0; i < 10000; i++) {
		d = prng_double(&p);
		ck_assert(d >= 0.0 && d < 1.0);
		if (d < lo)
			lo = d;
		if (d > hi)
			hi = d;
	}
	ck_assert(lo < 0.01);
	ck_assert(hi > 0.99);
}
END_TEST

static int
all_hex(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

START_TEST(test_id_shapes)
{
	struct prng	p;
	char		hex[ID_HEX32_LEN], hex2[ID_HEX32_LEN];
	char		uuid[ID_UUID_LEN], digits[ID_DIGITS19_LEN];
	int		i;

	prng_seed(&p, 5);
	for (i = 0; i < 200; i++) {
		id_hex32(&p, hex);
		ck_assert_uint_eq(strlen(hex), 32);
		ck_assert(all_hex(hex, 32));

		id_uuid(&p, uuid);
		ck_assert_uint_eq(strlen(uuid), 36);
		ck_assert(uuid[8] == '-' && uuid[13] == '-' &&
		    uuid[18] == '-' && uuid[23] == '-');
		ck_assert(all_hex(uuid, 8) && all_hex(uuid + 9, 4) &&
		    all_hex(uuid + 14, 4) && all_hex(uuid + 19, 4) &&
		    all_hex(uuid + 24, 12));
		/* Version 4, variant 10xx. */
		ck_assert_int_eq(uuid[14], '4');
		ck_assert(strchr("89ab", uuid[19]) != NULL);

		id_digits19(&p, digits);
		ck_assert_uint_eq(strlen(digits), 19);
		ck_assert_uint_eq(strspn(digits, "0123456789"), 19);
		ck_assert_int_ne(digits[0], '0');
	}
	id_hex32(&p, hex);
	id_hex32(&p, hex2);
	ck_assert_str_ne(hex, hex2);
}
END_TEST

/* The digits of each ID are those of its draws, in the order ecsim has
 * always written them: a task ID the second draw first. */
START_TEST(test_id_digits)
{
	struct prng		p, q;
	char			got[ID_UUID_LEN], want[ID_UUID_LEN];
	unsigned long long	a, b;
	int			i;

	prng_seed(&p, 11);
	prng_seed(&q, 11);
	for (i = 0; i < 100; i++) {
		id_hex32(&p, got);
		a = prng_next(&q);
		b = prng_next(&q);
		snprintf(want, sizeof want, "%016llx%016llx", b, a);
		ck_assert_str_eq(got, want);

		id_uuid(&p, got);
		a = (prng_next(&q) & ~0xf000ULL) | 0x4000ULL;
		b = (prng_next(&q) & ~(3ULL << 62)) | (2ULL << 62);
		snprintf(want, sizeof want, "%08llx-%04llx-%04llx-%04llx-%012llx",
		    a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48,
		    b & 0xffffffffffffULL);
		ck_assert_str_eq(got, want);
	}
}
END_TEST

START_TEST(test_ids_replay_with_seed)
{
	struct prng	a, b;
	char		x[ID_UUID_LEN], y[ID_UUID_LEN];

	prng_seed(&a, 1234);
	prng_seed(&b, 1234);
	id_uuid(&a, x);
	id_uuid(&b, y);
	ck_assert_str_eq(x, y);
}
END_TEST

START_TEST(test_time_iso8601)
{
	char	buf[TIME_ISO_LEN];

	time_iso8601(0, 0, buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	time_iso8601(0, 1, buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
	time_iso8601(1579802278123LL, 1, buf);
	ck_assert_str_eq(buf, "2020-01-23T17:57:58.123Z");
	time_iso8601(1579802278123LL, 0, buf);
	ck_assert_str_eq(buf, "2020-01-23T17:57:58Z");
	/* A leap day and the last millisecond of a year. */
	time_iso8601(1709164800000LL, 0, buf);
	ck_assert_str_eq(buf, "2024-02-29T00:00:00Z");
	time_iso8601(1704067199999LL, 1, buf);
	ck_assert_str_eq(buf, "2023-12-31T23:59:59.999Z");
	/* Before the epoch the fraction still counts forward. */
	time_iso8601(-1, 1, buf);
	ck_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
	/* Asked again (the texts made are kept), in either form. */
	time_iso8601(1579802278123LL, 0, buf);
	ck_assert_str_eq(buf, "2020-01-23T17:57:58Z");
	time_iso8601(1579802278123LL, 1, buf);
	ck_assert_str_eq(buf, "2020-01-23T17:57:58.123Z");
	time_iso8601(0, 1, buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
}
END_TEST

/* The date arithmetic against gmtime, from year 1 to past 9999, where
 * the formatter falls back to gmtime itself. */
START_TEST(test_time_iso8601_gmtime)
{
	char		 buf[TIME_ISO_LEN], want[TIME_ISO_LEN];
	struct tm	 tm;
	time_t		 t;
	int64_t		 ms;
	uint64_t	 x = 88172645463325252ULL;
	int		 i;

	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* From -62135596800000 (0001-01-01) over ~10,100 years. */
		ms = -62135596800000LL + (int64_t)(x % 318700000000000ULL);
		if (i < 2000)	/* and densely around the epoch */
			ms = (int64_t)(x % 200000000000ULL) - 100000000000LL;
		t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
		gmtime_r(&t, &tm);
		snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (int)(ms - (int64_t)t * 1000));
		time_iso8601(ms, 1, buf);
		ck_assert_msg(strcmp(buf, want) == 0, "%lld: %s, gmtime %s",
		    (long long)ms, buf, want);
	}
}
END_TEST

START_TEST(test_time_parse_duration_ok)
{
	struct err	e;
	int64_t		ms = -1;

	err_clear(&e);
	ck_assert_int_eq(time_parse_duration("90", &ms, &e), 0);
	ck_assert_int_eq(ms, 90000);
	ck_assert_int_eq(time_parse_duration("90s", &ms, &e), 0);
	ck_assert_int_eq(ms, 90000);
	ck_assert_int_eq(time_parse_duration("1.5m", &ms, &e), 0);
	ck_assert_int_eq(ms, 90000);
	ck_assert_int_eq(time_parse_duration("2h", &ms, &e), 0);
	ck_assert_int_eq(ms, 7200000);
	ck_assert_int_eq(time_parse_duration("250ms", &ms, &e), 0);
	ck_assert_int_eq(ms, 250);
	ck_assert_int_eq(time_parse_duration("0", &ms, &e), 0);
	ck_assert_int_eq(ms, 0);
	ck_assert_int_eq(e.code, ERR_NONE);
}
END_TEST

START_TEST(test_time_parse_duration_errors)
{
	struct err	e;
	int64_t		ms = 77;

	err_clear(&e);
	ck_assert_int_eq(time_parse_duration("", &ms, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_str_eq(e.msg, "empty duration");

	ck_assert_int_eq(time_parse_duration(NULL, &ms, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);

	err_clear(&e);
	ck_assert_int_eq(time_parse_duration("soon", &ms, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.msg, "'soon' is not a duration"));

	ck_assert_int_eq(time_parse_duration("-5s", &ms, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "'-5s'"));

	ck_assert_int_eq(time_parse_duration("5d", &ms, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown unit 'd'"));

	ck_assert_int_eq(time_parse_duration("5 s", &ms, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown unit"));

	ck_assert_int_eq(time_parse_duration("inf", &ms, &e), -1);
	ck_assert_int_eq(time_parse_duration("nan", &ms, &e), -1);
	/* A failed parse leaves the output alone. */
	ck_assert_int_eq(ms, 77);
}
END_TEST

START_TEST(test_str_helpers)
{
	char	name[300];

	ck_assert(str_has_prefix("arn:aws:ecs:x", "arn:aws:ecs:"));
	ck_assert(!str_has_prefix("arn", "arn:aws"));
	ck_assert(str_has_prefix("abc", ""));

	ck_assert(str_is_ecs_name("web-app_2", 255));
	ck_assert(!str_is_ecs_name("", 255));
	ck_assert(!str_is_ecs_name("has space", 255));
	ck_assert(!str_is_ecs_name("dot.name", 255));
	memset(name, 'a', 255);
	name[255] = '\0';
	ck_assert(str_is_ecs_name(name, 255));
	name[255] = 'a';
	name[256] = '\0';
	ck_assert(!str_is_ecs_name(name, 255));

	/* Seeds derive from it: the same value run after run. */
	ck_assert_uint_eq(str_hash(""), 0x90f8749b0fb13233ULL);
	ck_assert_uint_eq(str_hash("a"), 0xecaf79ec055e86c7ULL);
	ck_assert_uint_ne(str_hash("ab"), str_hash("ba"));
	/* Every byte counts, in the words and in the tail. */
	ck_assert_uint_ne(str_hash("0123456789abcdefX"),
	    str_hash("0123456789abcdeX"));
	ck_assert_uint_ne(str_hash("0123456789abcdefX"),
	    str_hash("1123456789abcdefX"));
	ck_assert_uint_ne(str_hash("a"), str_hash("a\001"));
}
END_TEST

/* json_member finds what cJSON_GetObjectItemCaseSensitive finds: keys
 * sharing a first byte, a key in another case, no key, no object. */
START_TEST(test_json_member)
{
	cJSON		*o = cJSON_Parse("{\"times\":1,\"time\":2,\"t\":3,"
			    "\"Times\":4,\"\":5,\"list\":[6,7]}");
	const char	*keys[] = { "times", "time", "t", "Times", "", "list",
			    "tim", "timesx", "x", "TIMES" };
	size_t		 i;

	ck_assert_ptr_nonnull(o);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		ck_assert_ptr_eq(json_member(o, keys[i]),
		    cJSON_GetObjectItemCaseSensitive(o, keys[i]));
	ck_assert_int_eq((int)json_member(o, "time")->valuedouble, 2);
	ck_assert_int_eq((int)json_member(o, "")->valuedouble, 5);
	ck_assert_ptr_null(json_member(o, "x"));
	/* An array's items have no keys. */
	ck_assert_ptr_null(json_member(json_member(o, "list"), "6"));
	ck_assert_ptr_null(json_member(NULL, "times"));
	cJSON_Delete(o);
}
END_TEST

/* The string table: each key once, found again after the table grew,
 * and not found when absent. */
START_TEST(test_table)
{
	struct elem {
		char	*key;
		int	 v;
	}		*el;
	struct table	 tb;
	char		 key[32];
	int		 i, fresh, seen;
	size_t		 k;

	table_init(&tb, sizeof(struct elem));
	ck_assert_ptr_null(table_find(&tb, "a"));
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "arn:task/%d", i);
		el = table_get(&tb, key, &fresh);
		ck_assert(fresh);
		ck_assert_str_eq(el->key, key);
		ck_assert_int_eq(el->v, 0);
		el->v = i + 1;
	}
	ck_assert_uint_eq(tb.used, 1000);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "arn:task/%d", i);
		el = table_find(&tb, key);
		ck_assert_ptr_nonnull(el);
		ck_assert_int_eq(el->v, i + 1);
		ck_assert_ptr_eq(table_get(&tb, key, &fresh), el);
		ck_assert(!fresh);
	}
	ck_assert_ptr_null(table_find(&tb, "arn:task/1000"));
	for (k = 0, seen = 0; k < tb.nslots; k++)
		seen += ((struct elem *)table_at(&tb, k))->key != NULL;
	ck_assert_int_eq(seen, 1000);
	table_free(&tb);
	ck_assert_ptr_null(table_find(&tb, "arn:task/1"));
}
END_TEST

/* int_text writes what "%lld" writes. */
START_TEST(test_int_text)
{
	static const int64_t	 v[] = { 0, 7, -1, 10, -42, 1767225600000LL,
				    INT64_MAX, INT64_MIN, INT64_MIN + 1 };
	char			 buf[INT_TEXT_LEN], want[32];
	size_t			 i;

	int64_t			 x;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		snprintf(want, sizeof want, "%lld", (long long)v[i]);
		ck_assert_str_eq(int_text(v[i], buf), want);
	}
	/* Every count of digits, odd and even, either side of a power of
	 * ten, and both signs. */
	for (x = 1; x <= INT64_MAX / 10; x *= 10)
		for (i = 0; i < 6; i++) {
			int64_t	y = (i < 3 ? x : -x) + (int64_t)(i % 3) - 1;

			snprintf(want, sizeof want, "%lld", (long long)y);
			ck_assert_str_eq(int_text(y, buf), want);
		}
}
END_TEST

START_TEST(test_xprintf_and_xstrndup)
{
	char	*s = xprintf("%s-%d", "task", 12);
	char	*t = xstrndup("abcdef", 3);

	char	 want[1024];
	size_t	 n;

	ck_assert_str_eq(s, "task-12");
	ck_assert_str_eq(t, "abc");
	free(s);
	free(t);
	/* Formats of strings alone are written without vsnprintf: the same
	 * text. */
	s = xprintf("cluster/%s", "default");
	ck_assert_str_eq(s, "cluster/default");
	free(s);
	s = xprintf("%s:task/%s/%s", "arn:aws:ecs", "c", "0123");
	ck_assert_str_eq(s, "arn:aws:ecs:task/c/0123");
	free(s);
	s = xprintf("cluster/%.*s|%.*s|%%|%s", 3, "abcdef", 9, "ab", "");
	ck_assert_str_eq(s, "cluster/abc|ab|%|");
	free(s);
	s = xprintf("100%% %s", "sure");
	ck_assert_str_eq(s, "100% sure");
	free(s);
	s = xprintf("no conversion");
	ck_assert_str_eq(s, "no conversion");
	free(s);
	/* Around the 256 bytes formatted on the stack, and well past. */
	for (n = 250; n < 1000; n += (n < 260 ? 1 : 250)) {
		memset(want, 'x', n);
		want[n] = '\0';
		s = xprintf("%s%c", want + 1, 'x');
		ck_assert_uint_eq(strlen(s), n);
		ck_assert_str_eq(s, want);
		free(s);
		s = xprintf("x%s", want + 1);
		ck_assert_str_eq(s, want);
		free(s);
	}
}
END_TEST

/* json_print writes what cJSON_PrintUnformatted does, number for number
 * and escape for escape. */
START_TEST(test_json_print_matches_cjson)
{
	static const char *const docs[] = {
		"{}", "[]", "null", "true", "false", "0", "-0", "7", "-42",
		"1767225600000", "0.5", "-2.25", "0.1", "3.14159265358979",
		"1e300", "-1e-300", "123456789012345678", "999999999999999",
		"1000000000000000", "-4503599627370497",
		"\"\"", "\"plain\"", "\"q\\\"b\\\\s\\/\"",
		"\"\\b\\f\\n\\r\\t\\u0001\\u001f\"", "\"caf\u00e9 \u2603\"",
		"{\"a\":[1,2,{\"b\":null}],\"c\":{\"d\":[]},\"e\":\"x\"}",
		"[[[]],{},[{\"k\\n\":1.5}]]",
	};
	size_t	 i;
	cJSON	*j;
	char	*want, *got;

	for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		j = cJSON_Parse(docs[i]);
		ck_assert_msg(j != NULL, "%s", docs[i]);
		want = cJSON_PrintUnformatted(j);
		got = json_print(j);
		ck_assert_str_eq(got, want);
		free(want);
		free(got);
		cJSON_Delete(j);
	}
	/* Not numbers JSON has: null, as cJSON writes them. */
	j = cJSON_CreateNumber(0.0 / 0.0);
	got = json_print(j);
	ck_assert_str_eq(got, "null");
	free(got);
	cJSON_Delete(j);
	/* A raw member is written as it is. */
	j = cJSON_CreateObject();
	cJSON_AddRawToObject(j, "r", "[1,2]");
	got = json_print(j);
	ck_assert_str_eq(got, "{\"r\":[1,2]}");
	free(got);
	cJSON_Delete(j);
	got = json_print(NULL);
	ck_assert_str_eq(got, "null");
	free(got);
}
END_TEST

/* Strings are looked at sixteen, eight or one byte at a time, by their
 * length: every byte that must be escaped, and bytes next to the ones
 * that must, at every position of strings of up to 40 bytes (two blocks
 * of sixteen and a part), as keys and as values, first in their object or
 * array and after a comma. */
START_TEST(test_json_print_escapes_everywhere)
{
	static const unsigned char	 odd[] = { 0x01, 0x1f, '"', '\\',
					    '\n', 0x20, 0x21, '#', '[', ']',
					    0x7f, 0x80, 0xc3, 0xff };
	char				 s[41], *want, *got;
	size_t				 len, pos, k;
	cJSON				*j, *a;

	for (len = 1; len <= 40; len++)
		for (pos = 0; pos < len; pos++)
			for (k = 0; k < sizeof odd; k++) {
				memset(s, 'a', len);
				s[len] = '\0';
				s[pos] = (char)odd[k];
				j = cJSON_CreateObject();
				cJSON_AddStringToObject(j, s, s);
				a = cJSON_AddArrayToObject(j, "z");
				cJSON_AddItemToArray(a, cJSON_CreateString(s));
				cJSON_AddItemToArray(a, cJSON_CreateString(s));
				cJSON_AddStringToObject(j, s, s);
				want = cJSON_PrintUnformatted(j);
				got = json_print(j);
				ck_assert_msg(strcmp(got, want) == 0,
				    "byte 0x%02x at %zu of %zu: %s, cJSON %s",
				    odd[k], pos, len, got, want);
				free(want);
				free(got);
				cJSON_Delete(j);
			}
}
END_TEST

/* a and b are the same tree, field for field, as cJSON links it (the
 * first child's prev is the last). */
static void
assert_same_tree(const cJSON *a, const cJSON *b, const char *text)
{
	const cJSON	*ca, *cb;

	ck_assert_msg(a->type == b->type, "type %d, cJSON %d in %s", a->type,
	    b->type, text);
	ck_assert_msg((a->string == NULL) == (b->string == NULL) &&
	    (a->string == NULL || strcmp(a->string, b->string) == 0),
	    "key in %s", text);
	ck_assert_msg((a->valuestring == NULL) == (b->valuestring == NULL) &&
	    (a->valuestring == NULL || strcmp(a->valuestring,
	    b->valuestring) == 0), "string in %s", text);
	ck_assert_msg(a->valueint == b->valueint, "valueint %d, cJSON %d in "
	    "%s", a->valueint, b->valueint, text);
	ck_assert_msg(memcmp(&a->valuedouble, &b->valuedouble,
	    sizeof a->valuedouble) == 0, "valuedouble %.17g, cJSON %.17g in "
	    "%s", a->valuedouble, b->valuedouble, text);
	for (ca = a->child, cb = b->child; ca != NULL && cb != NULL;
	    ca = ca->next, cb = cb->next) {
		assert_same_tree(ca, cb, text);
		if (ca->next == NULL)
			ck_assert_msg(a->child->prev == ca && cb->next == NULL,
			    "the last child in %s", text);
	}
	ck_assert_msg(ca == NULL && cb == NULL, "children in %s", text);
}

/* json_parse(text, len) builds what cJSON_ParseWithLength does, or
 * refuses what it refuses. */
static void
assert_parses_as_cjson(const char *text, size_t len)
{
	cJSON	*mine = json_parse(text, len);
	cJSON	*want = cJSON_ParseWithLength(text, len);

	ck_assert_msg((mine == NULL) == (want == NULL), "%.*s: %s, cJSON %s",
	    (int)len, text, mine ? "parsed" : "refused",
	    want ? "parsed" : "refused");
	if (mine != NULL)
		assert_same_tree(mine, want, text);
	cJSON_Delete(mine);
	cJSON_Delete(want);
}

START_TEST(test_json_parse_matches_cjson)
{
	static const char *const docs[] = {
		"{}", "[]", " \t\n[ ]", "null", "true", "false", "0", "-0",
		"7", "-42", "01", "1767225600000", "999999999999999",
		"1000000000000000", "123456789012345678901234567890",
		"2147483647", "2147483648", "-2147483648", "-2147483649",
		"0.5", "-2.25", "1e300", "1E+2", "-1e-300", "1e400", "1.5e",
		"-", "--1", "+1", ".5", "1.", "[1,2,3]", "[1 2]", "[1,]",
		"{\"a\":1,}", "{\"a\" 1}", "{1:2}", "{\"a\":}", "[",
		"{", "\"abc", "\"\"", "\"plain\"",
		"\"q\\\"b\\\\s\\/\"", "\"\\b\\f\\n\\r\\t\"",
		"\"\\x\"", "\"\\u00e9\\u2603\\uD83D\\uDE00\"",
		"\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
		"\"\\u12\"", "tru", "nul", "fals",
		"nullx", "[true,false,null]", "\xef\xbb\xbf[1]",
		"{\"a\":[1,2,{\"b\":null}],\"c\":{\"d\":[]},\"e\":\"x\"}",
		"{\"k\":1,\"k\":2}", "[[[]],{},[{\"k\\n\":1.5}]] trailing",
	};
	char	*text;
	size_t	 i, n, len, at;
	cJSON	*j;
	int	 d;

	for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		/* Whole, and cut short at every byte. */
		for (n = 0; n <= strlen(docs[i]); n++)
			assert_parses_as_cjson(docs[i], n);
	}
	/* Not JSON, though cJSON reads a \\u escape that is not hex as
	 * U+0000. */
	ck_assert_ptr_null(json_parse("\"\\u12g4\"", 8));
	ck_assert_ptr_null(json_parse("\"\\uD83D\\uDEzz\"", 14));
	/* Nesting as deep as cJSON allows, and one deeper. */
	for (d = 999; d <= 1001; d++) {
		text = xmalloc((size_t)d * 2 + 1);
		memset(text, '[', (size_t)d);
		memset(text + d, ']', (size_t)d);
		text[d * 2] = '\0';
		assert_parses_as_cjson(text, strlen(text));
		free(text);
	}
	/* Strings past the sixteen bytes a string is scanned by: an escape
	 * at every place in and around them, whole and cut short. */
	text = xmalloc(64);
	for (len = 0; len <= 40; len++)
		for (at = 0; at <= len; at++) {
			memset(text, 'a', 64);
			text[0] = '"';
			memcpy(text + 1 + at, at % 2 ? "\\\"" : "\\n", 2);
			text[len + 3] = '"';
			for (n = 0; n <= len + 4; n++)
				assert_parses_as_cjson(text, n);
		}
	free(text);
	/* What ecsim prints: a task document, compact and formatted. */
	j = cJSON_Parse("{\"containers\":[{\"name\":\"app\",\"cpu\":\"64\","
	    "\"exitCode\":-1,\"bindings\":[]}],\"sim\":{\"readyAt\":"
	    "1767225601000,\"ratio\":0.1,\"essential\":true,\"labels\":{}},"
	    "\"reason\":\"caf\u00e9 \\\"quoted\\\"\\n\",\"held\":null}");
	ck_assert_ptr_nonnull(j);
	text = json_print(j);
	assert_parses_as_cjson(text, strlen(text));
	free(text);
	text = cJSON_Print(j);
	assert_parses_as_cjson(text, strlen(text));
	free(text);
	cJSON_Delete(j);
}
END_TEST

/* json_unpack(json_pack(j)) is j, node for node; a packed value cut
 * short anywhere, or followed by more, is refused. */
static void
assert_packs(const cJSON *j, const char *what)
{
	struct json_out	 o = { NULL, 0, 0 };
	cJSON		*back;
	size_t		 n;

	json_pack(&o, j);
	back = json_unpack(o.buf, o.len);
	ck_assert_msg(back != NULL, "%s did not unpack", what);
	assert_same_tree(back, j, what);
	cJSON_Delete(back);
	for (n = 0; n < o.len; n++)
		ck_assert_msg(json_unpack(o.buf, n) == NULL,
		    "%s cut to %zu of %zu bytes unpacked", what, n, o.len);
	json_out_put(&o, "n", 1);
	ck_assert_msg(json_unpack(o.buf, o.len) == NULL,
	    "%s with a byte after it unpacked", what);
	free(o.buf);
}

START_TEST(test_json_pack_round_trip)
{
	static const double	 numbers[] = { 0, 1, -1, 63, 64, -64, -65,
				    127, 128, 300, 4096, 15576, 2147483647.0,
				    2147483648.0, -2147483649.0, 1767225600000.0,
				    9007199254740991.0, -9007199254740991.0,
				    9007199254740992.0, 1e15 + 1, 0.5, -2.25,
				    1e300, -1e-300, 5e-324 };
	static const char *const texts[] = {
		"{}", "[]", "[[[]],{},[{\"k\\n\":1.5}]]",
		"{\"a\":[1,2,{\"b\":null}],\"c\":{\"d\":[]},\"e\":\"x\"}",
		"[true,false,null,\"\",\"caf\u00e9 \\\"q\\\" \\u0001\"]",
		"{\"\":1,\"k\":\"\",\"k\":2}",
	};
	char	 what[64], big[300];
	cJSON	*j, *raw, *want;
	size_t	 i;

	for (i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		j = cJSON_CreateNumber(numbers[i]);
		snprintf(what, sizeof what, "%.17g", numbers[i]);
		assert_packs(j, what);
		cJSON_Delete(j);
	}
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		j = cJSON_Parse(texts[i]);
		ck_assert_ptr_nonnull(j);
		assert_packs(j, texts[i]);
		cJSON_Delete(j);
	}
	/* Lengths of one and two varint bytes. */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, big, big);
	cJSON_AddStringToObject(j, big + 200, big + 173);
	assert_packs(j, "long strings");
	cJSON_Delete(j);

	/* -0 keeps its sign, and what is not finite is null, as printed. */
	j = cJSON_CreateNumber(-0.0);
	assert_packs(j, "-0");
	cJSON_Delete(j);
	j = cJSON_CreateArray();
	cJSON_AddItemToArray(j, cJSON_CreateNumber(NAN));
	cJSON_AddItemToArray(j, cJSON_CreateNumber(-INFINITY));
	want = cJSON_Parse("[null,null]");
	{
		struct json_out	 o = { NULL, 0, 0 };
		cJSON		*back;

		json_pack(&o, j);
		back = json_unpack(o.buf, o.len);
		assert_same_tree(back, want, "NaN and -inf");
		cJSON_Delete(back);
		free(o.buf);
	}
	cJSON_Delete(want);
	cJSON_Delete(j);

	/* Raw text (an instance's attributes) comes back parsed. */
	j = cJSON_CreateObject();
	raw = cJSON_CreateRaw("[{\"name\":\"ecs.os-type\",\"value\":\"linux\"}]");
	cJSON_AddItemToObject(j, "attributes", raw);
	cJSON_AddNumberToObject(j, "version", 3);
	{
		struct json_out	 o = { NULL, 0, 0 };
		cJSON		*back;
		char		*text = json_print(j);

		want = cJSON_Parse(text);
		json_pack(&o, j);
		back = json_unpack(o.buf, o.len);
		ck_assert_ptr_nonnull(back);
		assert_same_tree(back, want, text);
		cJSON_Delete(back);
		cJSON_Delete(want);
		free(text);
		free(o.buf);
	}
	cJSON_Delete(j);

	/* Not a packed value: an unknown tag, a member without its key's
	 * tag, a varint that never ends. */
	ck_assert_ptr_null(json_unpack("x", 1));
	ck_assert_ptr_null(json_unpack("{s\001a}", 5));
	ck_assert_ptr_null(json_unpack("i\377\377\377\377\377\377\377\377\377\377\377",
	    12));
}
END_TEST

/* Packing as a value is made gives the bytes json_pack gives for the
 * same tree. */
START_TEST(test_json_pack_streamed)
{
	struct json_out	 a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	cJSON		*j = cJSON_Parse("{\"s\":\"x\",\"n\":-3,\"d\":0.5,"
			    "\"b\":[true,false],\"o\":{},\"e\":\"\"}");

	ck_assert_ptr_nonnull(j);
	json_pack(&a, j);
	json_pack_open(&b, 1);
	json_pack_key(&b, "s");
	json_pack_string(&b, "x");
	json_pack_key(&b, "n");
	json_pack_number(&b, -3);
	json_pack_key(&b, "d");
	json_pack_number(&b, 0.5);
	json_pack_key(&b, "b");
	json_pack_open(&b, 0);
	json_pack_bool(&b, 1);
	json_pack_bool(&b, 0);
	json_pack_close(&b, 0);
	json_pack_key(&b, "o");
	json_pack_open(&b, 1);
	json_pack_close(&b, 1);
	json_pack_key(&b, "e");
	json_pack_string(&b, "");
	json_pack_close(&b, 1);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_mem_eq(a.buf, b.buf, a.len);
	free(a.buf);
	free(b.buf);
	cJSON_Delete(j);
}
END_TEST

/*
 * json_members reads a packed object's members where they are: keys,
 * strings and numbers, and the bytes of any value, nested ones stepped
 * over; the object cut short is damaged, never read past its end.
 */
START_TEST(test_json_members)
{
	static const char	 text[] = "{\"a\":\"x\",\"n\":-3,\"d\":0.5,"
				    "\"t\":true,\"o\":{\"k\":[1,\"s\",{\"q\":null}]},"
				    "\"l\":[],\"z\":null}";
	static const char	 keys[] = "andtolz";
	struct json_out		 o = { NULL, 0, 0 };
	struct json_members	 it;
	struct json_member	 m;
	cJSON			*j = cJSON_Parse(text), *back;
	char			*a, *b;
	size_t			 i, cut;
	int			 rc;

	ck_assert_ptr_nonnull(j);
	json_pack(&o, j);
	ck_assert_int_eq(json_members_begin(&it, o.buf, o.len), 0);
	for (i = 0; (rc = json_members_next(&it, &m)) == 1; i++) {
		ck_assert_uint_lt(i, strlen(keys));
		ck_assert_int_eq(m.key[0], keys[i]);
		ck_assert_int_eq(m.key[1], '\0');
		back = json_unpack(m.value, m.len);
		ck_assert_ptr_nonnull(back);
		a = json_print(back);
		b = json_print(cJSON_GetObjectItem(j, m.key));
		ck_assert_str_eq(a, b);
		free(a);
		free(b);
		cJSON_Delete(back);
		switch (m.key[0]) {
		case 'a':
			ck_assert_int_eq(m.tag, 's');
			ck_assert_str_eq(m.string, "x");
			break;
		case 'n':
			ck_assert_int_eq(m.tag, 'i');
			ck_assert(m.number == -3);
			ck_assert_ptr_null(m.string);
			break;
		case 'd':
			ck_assert_int_eq(m.tag, 'd');
			ck_assert(m.number == 0.5);
			break;
		case 'o':
			ck_assert_int_eq(m.tag, '{');
			break;
		}
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(i, strlen(keys));
	ck_assert_str_eq(json_packed_string(o.buf, o.len, "a"), "x");
	ck_assert_ptr_null(json_packed_string(o.buf, o.len, "n"));
	ck_assert_ptr_null(json_packed_string(o.buf, o.len, "k"));
	/* Cut short, the members read end in -1, or the object is refused
	 * at once. */
	for (cut = 0; cut < o.len; cut++) {
		if (json_members_begin(&it, o.buf, cut) != 0)
			continue;
		while ((rc = json_members_next(&it, &m)) == 1)
			ck_assert(m.value + m.len <= o.buf + cut);
		ck_assert_int_eq(rc, -1);
	}
	/* An array is not an object. */
	ck_assert_int_eq(json_members_begin(&it, "[]", 2), -1);
	free(o.buf);
	cJSON_Delete(j);
}
END_TEST

/* The format's first version had no NUL after a string: json_unpack_v1
 * reads it, json_unpack refuses it. */
START_TEST(test_json_unpack_v1)
{
	static const char	 v1[] = "{k\001as\002xy}";
	cJSON			*j = json_unpack_v1(v1, sizeof v1 - 1);

	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "a")->valuestring, "xy");
	cJSON_Delete(j);
	ck_assert_ptr_null(json_unpack(v1, sizeof v1 - 1));
}
END_TEST

/* json_add_*: members under literal keys print, copy, move and free as
 * any others (the sanitizer build would catch a key freed that cJSON
 * does not own). */
START_TEST(test_json_add_literal_keys)
{
	cJSON	*o = cJSON_CreateObject(), *copy, *moved, *other;
	char	*text;

	json_add_string(o, "name", "web");
	json_add_number(o, "count", 3);
	json_add_bool(o, "ready", 1);
	json_add_item(o, "list", cJSON_CreateArray());
	json_add_string(o, "gone", NULL);	/* no member, as cJSON */
	text = json_print(o);
	ck_assert_str_eq(text, "{\"name\":\"web\",\"count\":3,\"ready\":true,"
	    "\"list\":[]}");
	free(text);
	copy = cJSON_Duplicate(o, 1);
	ck_assert(json_equal(o, copy));
	/* Moved under a key of its own, and deleted from its first home. */
	other = cJSON_CreateObject();
	moved = cJSON_DetachItemFromObjectCaseSensitive(copy, "name");
	cJSON_AddItemToObject(other, "renamed", moved);
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "count");
	text = json_print(other);
	ck_assert_str_eq(text, "{\"renamed\":\"web\"}");
	free(text);
	cJSON_Delete(other);
	cJSON_Delete(copy);
	cJSON_Delete(o);
}
END_TEST

/* json_equal: the same values in the same order. */
START_TEST(test_json_equal)
{
	static const char *const same[] = {
		"null", "true", "0", "-2.5", "\"a\"", "[]", "{}", "[1,[2,{}]]",
		"{\"a\":1,\"b\":[\"x\",null]}",
	};
	static const char *const differ[][2] = {
		{ "1", "2" }, { "1", "\"1\"" }, { "true", "false" },
		{ "\"a\"", "\"b\"" }, { "[1,2]", "[2,1]" }, { "[1]", "[1,1]" },
		{ "{\"a\":1}", "{\"b\":1}" }, { "{\"a\":1}", "{\"a\":2}" },
		{ "{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}" },
		{ "{\"a\":1}", "{\"a\":1,\"b\":2}" }, { "[]", "{}" },
		{ "null", "false" },
	};
	cJSON	*a, *b;
	size_t	 i;

	for (i = 0; i < sizeof same / sizeof same[0]; i++) {
		a = cJSON_Parse(same[i]);
		b = cJSON_Parse(same[i]);
		ck_assert_msg(json_equal(a, b), "%s", same[i]);
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	for (i = 0; i < sizeof differ / sizeof differ[0]; i++) {
		a = cJSON_Parse(differ[i][0]);
		b = cJSON_Parse(differ[i][1]);
		ck_assert_msg(!json_equal(a, b) && !json_equal(b, a),
		    "%s and %s", differ[i][0], differ[i][1]);
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	a = cJSON_Parse("[]");
	ck_assert(json_equal(NULL, NULL));
	ck_assert(!json_equal(a, NULL) && !json_equal(NULL, a));
	cJSON_Delete(a);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite	*s = suite_create("util");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_err_set_returns_minus_one_and_fills);
	tcase_add_test(tc, test_err_set_null_and_truncation);
	tcase_add_test(tc, test_prng_same_seed_same_sequence);
	tcase_add_test(tc, test_prng_known_first_value);
	tcase_add_test(tc, test_prng_below_range_and_spread);
	tcase_add_test(tc, test_prng_double_range);
	tcase_add_test(tc, test_id_shapes);
	tcase_add_test(tc, test_ids_replay_with_seed);
	tcase_add_test(tc, test_time_iso8601);
	tcase_add_test(tc, test_time_iso8601_gmtime);
	tcase_add_test(tc, test_time_parse_duration_ok);
	tcase_add_test(tc, test_time_parse_duration_errors);
	tcase_add_test(tc, test_str_helpers);
	tcase_add_test(tc, test_xprintf_and_xstrndup);
	tcase_add_test(tc, test_id_digits);
	tcase_add_test(tc, test_int_text);
	tcase_add_test(tc, test_json_print_matches_cjson);
	tcase_add_test(tc, test_json_print_escapes_everywhere);
	tcase_add_test(tc, test_json_parse_matches_cjson);
	tcase_add_test(tc, test_json_pack_round_trip);
	tcase_add_test(tc, test_json_pack_streamed);
	tcase_add_test(tc, test_json_members);
	tcase_add_test(tc, test_json_unpack_v1);
	tcase_add_test(tc, test_json_equal);
	tcase_add_test(tc, test_json_add_literal_keys);
	tcase_add_test(tc, test_json_member);
	tcase_add_test(tc, test_table);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(util_suite());
}
