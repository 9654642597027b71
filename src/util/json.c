/*
 * Printing cJSON trees: compact JSON, as cJSON_PrintUnformatted writes it,
 * but several times faster. Every task write, every event and every API
 * reply is printed, and cJSON formats each number with sprintf and reads
 * it back with sscanf to check it; here an integer (nearly every number
 * ECS has) is written digit by digit, and runs of plain characters in a
 * string are copied at once.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/util.h"

/* Room for n more bytes and the terminating NUL. */
static void
reserve(struct json_out *o, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		while (o->len + n + 1 > o->cap)
			o->cap = o->cap ? o->cap * 2 : 256;
		o->buf = xrealloc(o->buf, o->cap);
	}
}

static void
put(struct json_out *o, const char *s, size_t n)
{
	reserve(o, n);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
put_number(struct json_out *o, double d)
{
	char		 tmp[32], *p = tmp + sizeof tmp;
	uint64_t	 u;
	int		 n;

	if (isnan(d) || isinf(d)) {
		put(o, "null", 4);
		return;
	}
	/* An integer of up to 15 digits: what "%1.15g" writes, digit by
	 * digit (-0 included, as printf writes it). */
	if (d == trunc(d) && fabs(d) < 1e15) {
		u = (uint64_t)fabs(d);
		do {
			*--p = (char)('0' + u % 10);
			u /= 10;
		} while (u != 0);
		if (signbit(d))
			*--p = '-';
		put(o, p, (size_t)(tmp + sizeof tmp - p));
		return;
	}
	/* Fifteen digits when they read back the same, else seventeen. */
	n = snprintf(tmp, sizeof tmp, "%1.15g", d);
	if (strtod(tmp, NULL) != d)
		n = snprintf(tmp, sizeof tmp, "%1.17g", d);
	put(o, tmp, (size_t)n);
}

/*
 * Whether one of the eight bytes of x is below 0x20, '"' or '\\': the
 * bytes a string must escape. (v - 0x01..) & ~v & 0x80.. is nonzero
 * exactly when a byte of v is zero, and (x - 0x20..) & ~x & 0x80.. when
 * one of x is below 0x20.
 */
static int
word_escapes(uint64_t x)
{
	const uint64_t	ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t	q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return ((((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
	    ((b - ones) & ~b)) & high) != 0;
}

/* s quoted, then tail (a ':' after a key, or nothing). */
static void
put_string(struct json_out *o, const char *s, const char *tail)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s, *run;
	size_t			 n = strlen(s), nt = strlen(tail), i;
	char			 esc[6], *w;
	uint64_t		 x;

	/* Nearly every string has nothing to escape: looked at eight
	 * bytes at a time, and copied at once. */
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, p + i, 8);
		if (word_escapes(x))
			break;
	}
	for (; i < n; i++)
		if (p[i] < 0x20 || p[i] == '"' || p[i] == '\\')
			break;
	if (i == n) {
		reserve(o, n + 2 + nt);
		w = o->buf + o->len;
		*w++ = '"';
		memcpy(w, s, n);
		w += n;
		*w++ = '"';
		memcpy(w, tail, nt + 1);
		o->len += n + 2 + nt;
		return;
	}
	put(o, "\"", 1);
	while (*p != '\0') {
		for (run = p; *p >= 0x20 && *p != '"' && *p != '\\'; p++)
			;
		put(o, (const char *)run, (size_t)(p - run));
		if (*p == '\0')
			break;
		esc[0] = '\\';
		switch (*p) {
		case '"':	esc[1] = '"'; break;
		case '\\':	esc[1] = '\\'; break;
		case '\b':	esc[1] = 'b'; break;
		case '\f':	esc[1] = 'f'; break;
		case '\n':	esc[1] = 'n'; break;
		case '\r':	esc[1] = 'r'; break;
		case '\t':	esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			put(o, esc, 6);
			p++;
			continue;
		}
		put(o, esc, 2);
		p++;
	}
	put(o, "\"", 1);
	put(o, tail, nt);
}

void
json_write(struct json_out *o, const cJSON *j)
{
	const cJSON	*c;
	int		 obj;

	switch (j->type & 0xff) {
	case cJSON_False:
		put(o, "false", 5);
		break;
	case cJSON_True:
		put(o, "true", 4);
		break;
	case cJSON_NULL:
		put(o, "null", 4);
		break;
	case cJSON_Number:
		put_number(o, j->valuedouble);
		break;
	case cJSON_String:
		put_string(o, j->valuestring != NULL ? j->valuestring : "",
		    "");
		break;
	case cJSON_Raw:
		if (j->valuestring != NULL)
			put(o, j->valuestring, strlen(j->valuestring));
		else
			put(o, "null", 4);
		break;
	case cJSON_Array:
	case cJSON_Object:
		obj = (j->type & 0xff) == cJSON_Object;
		put(o, obj ? "{" : "[", 1);
		for (c = j->child; c != NULL; c = c->next) {
			if (c != j->child)
				put(o, ",", 1);
			if (obj)
				put_string(o, c->string != NULL ? c->string :
				    "", ":");
			json_write(o, c);
		}
		put(o, obj ? "}" : "]", 1);
		break;
	default:
		put(o, "null", 4);
		break;
	}
}

char *
json_print(const cJSON *j)
{
	struct json_out	o;

	memset(&o, 0, sizeof o);
	if (j == NULL)
		return xstrdup("null");
	json_write(&o, j);
	return o.buf;
}
