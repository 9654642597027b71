/*
 * cJSON trees as the engine uses them: printed, built under literal keys,
 * compared, and parsed from the store (each part says why it is not
 * cJSON's own).
 *
 * Printing: compact JSON, as cJSON_PrintUnformatted writes it, but
 * several times faster. Every task write, every event and every API
 * reply is printed, and cJSON formats each number with sprintf and reads
 * it back with sscanf to check it; here an integer (nearly every number
 * ECS has) is written digit by digit, and a string is copied sixteen
 * bytes at a time, looked at for bytes to escape as it goes.
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
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

void
json_out_put(struct json_out *o, const char *s, size_t n)
{
	reserve(o, n);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* The brackets and commas between values: one byte, no memcpy. */
static void
put_char(struct json_out *o, char c)
{
	reserve(o, 1);
	o->buf[o->len++] = c;
	o->buf[o->len] = '\0';
}

/* v in decimal, written from its last digit back into the room past the
 * end of o, then moved to the end. */
static void
put_integer(struct json_out *o, int64_t v)
{
	char	*end, *p;

	reserve(o, 2 * INT_TEXT_LEN);
	end = o->buf + o->len + 2 * INT_TEXT_LEN;
	p = int_digits(v, end);
	memmove(o->buf + o->len, p, (size_t)(end - p));
	o->len += (size_t)(end - p);
	o->buf[o->len] = '\0';
}

static void
put_number(struct json_out *o, double d)
{
	char	tmp[32];
	int	n;

	if (isnan(d) || isinf(d)) {
		json_out_put(o, "null", 4);
		return;
	}
	/* An integer of up to 15 digits: what "%1.15g" writes, without
	 * printf (-0 included, as printf writes it). */
	if (d == trunc(d) && fabs(d) < 1e15) {
		if (d == 0 && signbit(d))
			json_out_put(o, "-0", 2);
		else
			put_integer(o, (int64_t)d);
		return;
	}
	/* Fifteen digits when they read back the same, else seventeen. */
	n = snprintf(tmp, sizeof tmp, "%1.15g", d);
	if (strtod(tmp, NULL) != d)
		n = snprintf(tmp, sizeof tmp, "%1.17g", d);
	json_out_put(o, tmp, (size_t)n);
}

/*
 * The high bit of each byte of x below 0x20, '"' or '\\' (the bytes a
 * string must escape), and perhaps of a byte after one, which is as good:
 * any mark sends the string the slow way. (v - 0x01..) & ~v & 0x80..
 * marks the zero bytes of v, and (x - 0x20..) & ~x & 0x80.. those of x
 * below 0x20.
 */
static uint64_t
word_escapes(uint64_t x)
{
	const uint64_t	ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t	q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
	    ((b - ones) & ~b)) & high;
}

/*
 * The same for sixteen bytes at once, in the vector registers every
 * 64-bit processor has (gcc's and clang's vector extensions): each byte
 * of the result is all ones where v's needs an escape.
 */
typedef unsigned char vec16 __attribute__((vector_size(16)));

static vec16
vec_escapes(vec16 v)
{
	return (vec16)((v < 0x20) | (v == '"') | (v == '\\'));
}

/* put_string's way for a string with bytes to escape: byte by byte. Out
 * of line, so that the usual way keeps few registers to save. */
static void __attribute__((noinline))
put_escaped(struct json_out *o, const char *s, char lead, char tail)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s, *run;
	char			 esc[6];

	if (lead != '\0')
		put_char(o, lead);
	put_char(o, '"');
	while (*p != '\0') {
		for (run = p; *p >= 0x20 && *p != '"' && *p != '\\'; p++)
			;
		json_out_put(o, (const char *)run, (size_t)(p - run));
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
			json_out_put(o, esc, 6);
			p++;
			continue;
		}
		json_out_put(o, esc, 2);
		p++;
	}
	put_char(o, '"');
	if (tail != '\0')
		put_char(o, tail);
}

/*
 * lead (',' between members, or '\0' for nothing), s quoted, then tail
 * (':' after a key, or '\0' for nothing). Nearly every string has
 * nothing to escape, so it is copied into the room past the end of o and
 * looked at as it goes: sixteen bytes at a time (the last sixteen
 * overlapping the block before them), or two overlapping words of eight,
 * or byte by byte under eight. Only when a byte needed an escape is the
 * copy dropped and the string written again byte by byte.
 */
static void
put_string(struct json_out *o, const char *s, char lead, char tail)
{
	size_t			 n = strlen(s), i;
	char			*w;
	uint64_t		 x, marks = 0;
	vec16			 v, vmarks = { 0 };

	reserve(o, n + 4);
	w = o->buf + o->len;
	if (lead != '\0')
		*w++ = lead;
	*w++ = '"';
	if (n >= 16) {
		for (i = 0; i + 16 <= n; i += 16) {
			memcpy(&v, s + i, 16);
			vmarks |= vec_escapes(v);
			memcpy(w + i, &v, 16);
		}
		memcpy(&v, s + n - 16, 16);
		vmarks |= vec_escapes(v);
		memcpy(w + n - 16, &v, 16);
		memcpy(&x, &vmarks, 8);
		memcpy(&marks, (char *)&vmarks + 8, 8);
		marks |= x;
	} else if (n >= 8) {
		memcpy(&x, s, 8);
		marks = word_escapes(x);
		memcpy(w, &x, 8);
		memcpy(&x, s + n - 8, 8);
		marks |= word_escapes(x);
		memcpy(w + n - 8, &x, 8);
	} else {
		x = 0x6161616161616161ULL;	/* 'a's: nothing to escape */
		for (i = 0; i < n; i++)
			((char *)&x)[i] = w[i] = s[i];
		marks = word_escapes(x);
	}
	if (marks == 0) {
		w += n;
		*w++ = '"';
		if (tail != '\0')
			*w++ = tail;
		*w = '\0';
		o->len = (size_t)(w - o->buf);
		return;
	}
	put_escaped(o, s, lead, tail);
}

void
json_write(struct json_out *o, const cJSON *j)
{
	const cJSON	*c;
	int		 obj;
	char		 lead;

	switch (j->type & 0xff) {
	case cJSON_False:
		json_out_put(o, "false", 5);
		break;
	case cJSON_True:
		json_out_put(o, "true", 4);
		break;
	case cJSON_NULL:
		json_out_put(o, "null", 4);
		break;
	case cJSON_Number:
		put_number(o, j->valuedouble);
		break;
	case cJSON_String:
		put_string(o, j->valuestring != NULL ? j->valuestring : "",
		    '\0', '\0');
		break;
	case cJSON_Raw:
		if (j->valuestring != NULL)
			json_out_put(o, j->valuestring, strlen(j->valuestring));
		else
			json_out_put(o, "null", 4);
		break;
	case cJSON_Array:
	case cJSON_Object:
		obj = (j->type & 0xff) == cJSON_Object;
		put_char(o, obj ? '{' : '[');
		for (c = j->child; c != NULL; c = c->next) {
			lead = c != j->child ? ',' : '\0';
			if (obj)
				put_string(o, c->string != NULL ? c->string :
				    "", lead, ':');
			else if (lead != '\0')
				put_char(o, lead);
			/* Most values are strings: no call for them. */
			if ((c->type & 0xff) == cJSON_String &&
			    c->valuestring != NULL)
				put_string(o, c->valuestring, '\0', '\0');
			else
				json_write(o, c);
		}
		put_char(o, obj ? '}' : ']');
		break;
	default:
		json_out_put(o, "null", 4);
		break;
	}
}

void
json_add_item(cJSON *o, const char *key, cJSON *item)
{
	if (item != NULL && !cJSON_AddItemToObjectCS(o, key, item))
		cJSON_Delete(item);
}

void
json_add_string(cJSON *o, const char *key, const char *value)
{
	json_add_item(o, key, cJSON_CreateString(value));
}

void
json_add_number(cJSON *o, const char *key, double value)
{
	json_add_item(o, key, cJSON_CreateNumber(value));
}

void
json_add_bool(cJSON *o, const char *key, int value)
{
	json_add_item(o, key, cJSON_CreateBool(value));
}

cJSON *
json_member(const cJSON *o, const char *name)
{
	cJSON	*j;

	if (o == NULL)
		return NULL;
	/* Most keys differ in their first byte: no call for those. */
	for (j = o->child; j != NULL; j = j->next)
		if (j->string != NULL && j->string[0] == name[0] &&
		    strcmp(j->string, name) == 0)
			return j;
	return NULL;
}

int
json_equal(const cJSON *a, const cJSON *b)
{
	const cJSON	*x, *y;

	if (a == NULL || b == NULL)
		return a == b;
	if ((a->type & 0xff) != (b->type & 0xff))
		return 0;
	switch (a->type & 0xff) {
	case cJSON_Number:
		return a->valuedouble == b->valuedouble;
	case cJSON_String:
	case cJSON_Raw:
		return a->valuestring != NULL && b->valuestring != NULL ?
		    strcmp(a->valuestring, b->valuestring) == 0 :
		    a->valuestring == b->valuestring;
	case cJSON_Array:
	case cJSON_Object:
		for (x = a->child, y = b->child; x != NULL && y != NULL;
		    x = x->next, y = y->next) {
			if ((a->type & 0xff) == cJSON_Object &&
			    (x->string == NULL || y->string == NULL ||
			    strcmp(x->string, y->string) != 0))
				return 0;
			if (!json_equal(x, y))
				return 0;
		}
		return x == NULL && y == NULL;
	default:
		return 1;
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

/*
 * Parsing: the trees cJSON_Parse builds, node for node, from the text the
 * store holds, about twice as fast. Every task step reads its task's
 * document back, and cJSON compares each value with "null", "true" and
 * "false" before looking at it, copies every number into a buffer for
 * strtod and walks each string twice. Here an integer of up to 15 digits
 * (nearly every number ECS has) is read digit by digit, which is exactly
 * what strtod gives for it, and a string without escapes is copied at
 * once. For any text cJSON reads it builds the same tree, but for a \u
 * escape that is not four hex digits, which cJSON reads as U+0000 and
 * this refuses. For text from elsewhere, whose faults must be reported,
 * cJSON_ParseWithLengthOpts says where they are.
 */
struct json_in {
	const char	*p, *end;
	int		 depth;
	int		 nul;	/* unpacking: a NUL follows each string */
};

static cJSON *parse_value(struct json_in *in);

static void
skip_space(struct json_in *in)
{
	/* As cJSON: every byte up to the space counts as white space. */
	while (in->p < in->end && (unsigned char)*in->p <= ' ')
		in->p++;
}

/* From cJSON's allocator, which cJSON_Delete frees with. */
static void *
json_alloc(size_t n)
{
	void	*p = cJSON_malloc(n);

	if (p == NULL) {
		fprintf(stderr, "ecsim: out of memory (%zu bytes)\n", n);
		abort();
	}
	return p;
}

static cJSON *
new_node(int type)
{
	cJSON	*n = json_alloc(sizeof *n);

	memset(n, 0, sizeof *n);
	n->type = type;
	return n;
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned	v = 0;
	int		i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= (unsigned)(p[i] - '0');
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= (unsigned)(p[i] - 'a' + 10);
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= (unsigned)(p[i] - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A \u escape at p (after the backslash), with its low surrogate when it
 * is a high one, as UTF-8 at w; the bytes read, or -1. */
static int
unicode_escape(const char *p, const char *end, char **w)
{
	unsigned	cp, lo;
	unsigned char	*o = (unsigned char *)*w;
	int		used = 5;

	if (end - p < 5 || hex4(p + 1, &cp) != 0)
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return -1;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (end - p < 11 || p[5] != '\\' || p[6] != 'u' ||
		    hex4(p + 7, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		cp = 0x10000 + (((cp & 0x3ff) << 10) | (lo & 0x3ff));
		used = 11;
	}
	if (cp < 0x80)
		*o++ = (unsigned char)cp;
	else if (cp < 0x800) {
		*o++ = (unsigned char)(0xc0 | (cp >> 6));
		*o++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (unsigned char)(0xe0 | (cp >> 12));
		*o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (unsigned char)(0xf0 | (cp >> 18));
		*o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*w = (char *)o;
	return used;
}

/* The string at in->p (its opening quote), as a new C string, or NULL. */
/*
 * The first '"' or '\\' from p on, or end: sixteen bytes at a time while
 * sixteen are left (vec16, above), the way put_string looks for what to
 * escape. A task's document is mostly strings (ARNs of about 100 bytes),
 * which a byte at a time took most of its parsing.
 */
static const char *
string_stop(const char *p, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	vec16		v, m;
	uint64_t	half[2];

	for (; end - p >= 16; p += 16) {
		memcpy(&v, p, sizeof v);
		m = (vec16)((v == '"') | (v == '\\'));
		memcpy(half, &m, sizeof half);
		/* The lowest set byte is the first in memory. */
		if (half[0] != 0)
			return p + __builtin_ctzll(half[0]) / 8;
		if (half[1] != 0)
			return p + 8 + __builtin_ctzll(half[1]) / 8;
	}
#endif
	while (p < end && *p != '"' && *p != '\\')
		p++;
	return p;
}

static char *
parse_string(struct json_in *in)
{
	const char	*s = in->p + 1, *q = s;
	char		*out, *w;
	int		 escapes = 0, used;

	/* A backslash: skip it and the byte it escapes. */
	while ((q = string_stop(q, in->end)) < in->end && *q != '"') {
		escapes = 1;
		if (in->end - q < 2)
			return NULL;
		q += 2;
	}
	if (q == in->end)
		return NULL;
	/* An escape never writes more than it reads. */
	out = json_alloc((size_t)(q - s) + 1);
	in->p = q + 1;
	if (!escapes) {
		memcpy(out, s, (size_t)(q - s));
		out[q - s] = '\0';
		return out;
	}
	for (w = out; s < q; ) {
		if (*s != '\\') {
			*w++ = *s++;
			continue;
		}
		switch (s[1]) {
		case 'b':	*w++ = '\b'; break;
		case 'f':	*w++ = '\f'; break;
		case 'n':	*w++ = '\n'; break;
		case 'r':	*w++ = '\r'; break;
		case 't':	*w++ = '\t'; break;
		case '"':
		case '\\':
		case '/':	*w++ = s[1]; break;
		case 'u':
			if ((used = unicode_escape(s + 1, q, &w)) < 0) {
				cJSON_free(out);
				return NULL;
			}
			s += 1 + used;
			continue;
		default:
			cJSON_free(out);
			return NULL;
		}
		s += 2;
	}
	*w = '\0';
	return out;
}

/* A number as cJSON makes it: valueint is d within int's range. */
static cJSON *
number_node(double d)
{
	cJSON	*n = new_node(cJSON_Number);

	n->valuedouble = d;
	if (d >= INT_MAX)
		n->valueint = INT_MAX;
	else if (d <= (double)INT_MIN)
		n->valueint = INT_MIN;
	else
		n->valueint = (int)d;
	return n;
}

static cJSON *
parse_number(struct json_in *in)
{
	const char	*s = in->p, *q = s, *digits;
	char		 buf[64], *end;
	double		 d;
	uint64_t	 u = 0;

	if (q < in->end && *q == '-')
		q++;
	digits = q;
	while (q < in->end && *q >= '0' && *q <= '9')
		u = u * 10 + (uint64_t)(*q++ - '0');
	if (q > digits && q - digits <= 15 && (q == in->end ||
	    strchr(".eE+-", *q) == NULL || *q == '\0')) {
		/* Exact in a double, as strtod reads it (-0 included). */
		d = (double)u;
		if (digits > s)
			d = -d;
	} else {
		/* What cJSON hands strtod: the run of number characters. */
		while (q < in->end && *q != '\0' &&
		    strchr("0123456789+-eE.", *q) != NULL)
			q++;
		if (q - s >= (ptrdiff_t)sizeof buf)
			return NULL;
		memcpy(buf, s, (size_t)(q - s));
		buf[q - s] = '\0';
		d = strtod(buf, &end);
		if (end == buf)
			return NULL;
		q = s + (end - buf);
	}
	in->p = q;
	return number_node(d);
}

/* A new array or object one level deeper, or NULL past cJSON's limit. */
static cJSON *
list_begin(struct json_in *in, int obj)
{
	if (++in->depth > CJSON_NESTING_LIMIT)
		return NULL;
	return new_node(obj ? cJSON_Object : cJSON_Array);
}

/* item, under key (NULL in an array), after *tail as list's last child. */
static void
list_link(cJSON *list, cJSON **tail, cJSON *item, char *key)
{
	item->string = key;
	if (*tail == NULL)
		list->child = item;
	else {
		(*tail)->next = item;
		item->prev = *tail;
	}
	*tail = item;
}

/* A list whose last child is tail, as cJSON keeps it: the first child's
 * prev is the last. Then done, or freed when it failed (NULL). */
static cJSON *
list_end(struct json_in *in, cJSON *list, cJSON *tail, int ok)
{
	if (list->child != NULL)
		list->child->prev = tail;
	if (!ok) {
		cJSON_Delete(list);
		return NULL;
	}
	in->depth--;
	return list;
}

/* An array or an object, at its opening bracket. */
static cJSON *
parse_list(struct json_in *in, int obj)
{
	cJSON	*list, *tail = NULL, *item;
	char	*key = NULL;

	if ((list = list_begin(in, obj)) == NULL)
		return NULL;
	in->p++;
	skip_space(in);
	if (in->p < in->end && *in->p == (obj ? '}' : ']')) {
		in->p++;
		in->depth--;
		return list;
	}
	for (;;) {
		skip_space(in);
		if (obj) {
			if (in->p == in->end || *in->p != '"' ||
			    (key = parse_string(in)) == NULL)
				goto fail;
			skip_space(in);
			if (in->p == in->end || *in->p != ':') {
				cJSON_free(key);
				goto fail;
			}
			in->p++;
			skip_space(in);
		}
		if ((item = parse_value(in)) == NULL) {
			cJSON_free(key);
			goto fail;
		}
		list_link(list, &tail, item, key);
		key = NULL;
		skip_space(in);
		if (in->p == in->end)
			goto fail;
		if (*in->p == ',') {
			in->p++;
			continue;
		}
		if (*in->p != (obj ? '}' : ']'))
			goto fail;
		in->p++;
		break;
	}
	return list_end(in, list, tail, 1);
fail:
	return list_end(in, list, tail, 0);
}

static cJSON *
parse_value(struct json_in *in)
{
	size_t	 left = (size_t)(in->end - in->p);
	cJSON	*n;
	char	*s;

	if (left == 0)
		return NULL;
	switch (*in->p) {
	case '"':
		if ((s = parse_string(in)) == NULL)
			return NULL;
		n = new_node(cJSON_String);
		n->valuestring = s;
		return n;
	case '{':
		return parse_list(in, 1);
	case '[':
		return parse_list(in, 0);
	case 'n':
		if (left < 4 || memcmp(in->p, "null", 4) != 0)
			return NULL;
		in->p += 4;
		return new_node(cJSON_NULL);
	case 't':
		if (left < 4 || memcmp(in->p, "true", 4) != 0)
			return NULL;
		in->p += 4;
		n = new_node(cJSON_True);
		n->valueint = 1;
		return n;
	case 'f':
		if (left < 5 || memcmp(in->p, "false", 5) != 0)
			return NULL;
		in->p += 5;
		return new_node(cJSON_False);
	default:
		if (*in->p == '-' || (*in->p >= '0' && *in->p <= '9'))
			return parse_number(in);
		return NULL;
	}
}

cJSON *
json_parse(const char *text, size_t len)
{
	struct json_in	in;

	if (text == NULL)
		return NULL;
	/* A byte order mark, which cJSON passes over too. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	in.p = text;
	in.end = text + len;
	in.depth = 0;
	skip_space(&in);
	return parse_value(&in);
}

/*
 * Packing: a tree as bytes, the outbox's form of an event's detail
 * (store/event.c). Writing it costs about half of printing the same tree
 * as JSON: no byte is looked at for escapes, no quote or comma is
 * placed. Each value is a tag byte and what follows it:
 *
 *	'n' null	't' true	'f' false
 *	'i' an integer (exactly a double's, |v| < 2^53, not -0): its
 *	    zigzag varint (0, -1, 1, -2 ... as 0, 1, 2, 3 ..., seven bits a
 *	    byte, low bits first, the high bit set on all bytes but the last)
 *	'd' any other number: its eight bytes of IEEE 754, low byte first
 *	's' a string: its length as a varint, its bytes, then a NUL that
 *	    the length does not count, so that a reader can use it in place
 *	'r' raw JSON text (cJSON_Raw), the same way; unpacked as parsed
 *	'[' the values of an array, then ']'
 *	'{' the members of an object, each 'k', the key as a string's
 *	    length, bytes and NUL, then its value; then '}'
 *
 * Numbers that are not finite are packed as null, as JSON prints them.
 * The first version of the format (JSON_PACKED_V1) had no NUL after a
 * string; outboxes written then still hold it.
 */
static char *
pack_varint(char *w, uint64_t v)
{
	while (v >= 0x80) {
		*w++ = (char)(v | 0x80);
		v >>= 7;
	}
	*w++ = (char)v;
	return w;
}

/* tag, s's length, its bytes and a NUL. */
static void
pack_text(struct json_out *o, char tag, const char *s)
{
	size_t	 n = strlen(s);
	char	*w;

	reserve(o, n + 12);
	w = o->buf + o->len;
	*w++ = tag;
	w = pack_varint(w, n);
	memcpy(w, s, n);
	w += n;
	*w++ = '\0';
	*w = '\0';
	o->len = (size_t)(w - o->buf);
}

static void
pack_number(struct json_out *o, double d)
{
	uint64_t	 bits;
	int64_t		 v;
	char		*w;
	int		 i;

	reserve(o, 11);
	w = o->buf + o->len;
	if (isnan(d) || isinf(d))
		*w++ = 'n';
	else if (d == trunc(d) && fabs(d) < 9007199254740992.0 &&
	    !(d == 0 && signbit(d))) {
		v = (int64_t)d;
		*w++ = 'i';
		w = pack_varint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
	} else {
		memcpy(&bits, &d, sizeof bits);
		*w++ = 'd';
		for (i = 0; i < 8; i++)
			*w++ = (char)(bits >> (8 * i));
	}
	*w = '\0';
	o->len = (size_t)(w - o->buf);
}

void
json_pack(struct json_out *o, const cJSON *j)
{
	const cJSON	*c;
	int		 obj;

	switch (j->type & 0xff) {
	case cJSON_False:
		put_char(o, 'f');
		break;
	case cJSON_True:
		put_char(o, 't');
		break;
	case cJSON_Number:
		pack_number(o, j->valuedouble);
		break;
	case cJSON_String:
		pack_text(o, 's', j->valuestring != NULL ? j->valuestring : "");
		break;
	case cJSON_Raw:
		if (j->valuestring != NULL)
			pack_text(o, 'r', j->valuestring);
		else
			put_char(o, 'n');
		break;
	case cJSON_Array:
	case cJSON_Object:
		obj = (j->type & 0xff) == cJSON_Object;
		put_char(o, obj ? '{' : '[');
		for (c = j->child; c != NULL; c = c->next) {
			if (obj)
				pack_text(o, 'k', c->string != NULL ?
				    c->string : "");
			/* Most values are strings: no call for them. */
			if ((c->type & 0xff) == cJSON_String &&
			    c->valuestring != NULL)
				pack_text(o, 's', c->valuestring);
			else
				json_pack(o, c);
		}
		put_char(o, obj ? '}' : ']');
		break;
	default:
		put_char(o, 'n');
		break;
	}
}

void
json_pack_open(struct json_out *o, int obj)
{
	put_char(o, obj ? '{' : '[');
}

void
json_pack_close(struct json_out *o, int obj)
{
	put_char(o, obj ? '}' : ']');
}

void
json_pack_key(struct json_out *o, const char *key)
{
	pack_text(o, 'k', key);
}

void
json_pack_string(struct json_out *o, const char *s)
{
	pack_text(o, 's', s);
}

void
json_pack_number(struct json_out *o, double d)
{
	pack_number(o, d);
}

void
json_pack_bool(struct json_out *o, int v)
{
	put_char(o, v ? 't' : 'f');
}

void
json_pack_raw(struct json_out *o, const char *text)
{
	pack_text(o, 'r', text);
}

void
json_pack_string_member(struct json_out *o, const char *key, const char *s)
{
	if (s == NULL)
		return;
	json_pack_key(o, key);
	json_pack_string(o, s);
}

void
json_pack_number_member(struct json_out *o, const char *key, double d)
{
	json_pack_key(o, key);
	pack_number(o, d);
}

void
json_pack_empty_member(struct json_out *o, const char *key, int obj)
{
	json_pack_key(o, key);
	json_pack_open(o, obj);
	json_pack_close(o, obj);
}

static int
unpack_varint(struct json_in *in, uint64_t *v)
{
	unsigned	shift;

	*v = 0;
	for (shift = 0; shift < 64 && in->p < in->end; shift += 7) {
		*v |= (uint64_t)(*in->p & 0x7f) << shift;
		if ((*in->p++ & 0x80) == 0)
			return 0;
	}
	return -1;
}

/*
 * A string's length and bytes where in->p is, stepped over with the NUL
 * after them (none in JSON_PACKED_V1): where they begin, or NULL when
 * they run past the end.
 */
static const char *
text_at(struct json_in *in, size_t *len)
{
	uint64_t	 n;
	const char	*s;

	if (unpack_varint(in, &n) != 0 ||
	    n + (uint64_t)in->nul > (uint64_t)(in->end - in->p) ||
	    (in->nul && in->p[n] != '\0'))
		return NULL;
	s = in->p;
	in->p += n + (uint64_t)in->nul;
	if (len != NULL)
		*len = (size_t)n;
	return s;
}

/* A string's bytes, copied and NUL-terminated, or NULL. */
static char *
unpack_text(struct json_in *in, size_t *len)
{
	const char	*p;
	size_t		 n;
	char		*s;

	if ((p = text_at(in, &n)) == NULL)
		return NULL;
	s = json_alloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	if (len != NULL)
		*len = n;
	return s;
}

/* The number after tag 'i' or 'd' into *d; -1 when it runs past the
 * end. */
static int
unpack_number(struct json_in *in, char tag, double *d)
{
	uint64_t	u, bits = 0;
	int		i;

	if (tag == 'i') {
		if (unpack_varint(in, &u) != 0)
			return -1;
		*d = (double)((int64_t)(u >> 1) ^ -(int64_t)(u & 1));
		return 0;
	}
	if (in->end - in->p < 8)
		return -1;
	for (i = 0; i < 8; i++)
		bits |= (uint64_t)(unsigned char)*in->p++ << (8 * i);
	memcpy(d, &bits, sizeof *d);
	return 0;
}

static cJSON *unpack_value(struct json_in *in);

static cJSON *
unpack_list(struct json_in *in, int obj)
{
	cJSON	*list, *tail = NULL, *item;
	char	*key = NULL;

	if ((list = list_begin(in, obj)) == NULL)
		return NULL;
	for (;;) {
		if (in->p == in->end)
			goto fail;
		if (*in->p == (obj ? '}' : ']')) {
			in->p++;
			break;
		}
		if (obj && (*in->p++ != 'k' ||
		    (key = unpack_text(in, NULL)) == NULL))
			goto fail;
		if ((item = unpack_value(in)) == NULL) {
			cJSON_free(key);
			goto fail;
		}
		list_link(list, &tail, item, key);
		key = NULL;
	}
	return list_end(in, list, tail, 1);
fail:
	return list_end(in, list, tail, 0);
}

static cJSON *
unpack_value(struct json_in *in)
{
	cJSON		*n;
	char		*s, tag;
	double		 d;
	size_t		 len;

	if (in->p == in->end)
		return NULL;
	switch ((tag = *in->p++)) {
	case 'n':
		return new_node(cJSON_NULL);
	case 't':
		n = new_node(cJSON_True);
		n->valueint = 1;
		return n;
	case 'f':
		return new_node(cJSON_False);
	case 'i':
	case 'd':
		if (unpack_number(in, tag, &d) != 0)
			return NULL;
		return number_node(d);
	case 's':
		if ((s = unpack_text(in, NULL)) == NULL)
			return NULL;
		n = new_node(cJSON_String);
		n->valuestring = s;
		return n;
	case 'r':
		if ((s = unpack_text(in, &len)) == NULL)
			return NULL;
		n = json_parse(s, len);
		cJSON_free(s);
		return n;
	case '[':
		return unpack_list(in, 0);
	case '{':
		return unpack_list(in, 1);
	default:
		return NULL;
	}
}

static cJSON *
unpack(const char *p, size_t len, int nul)
{
	struct json_in	 in;
	cJSON		*j;

	in.p = p;
	in.end = p + len;
	in.depth = 0;
	in.nul = nul;
	if ((j = unpack_value(&in)) != NULL && in.p != in.end) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

cJSON *
json_unpack(const char *p, size_t len)
{
	return unpack(p, len, 1);
}

cJSON *
json_unpack_v1(const char *p, size_t len)
{
	return unpack(p, len, 0);
}

/* Steps over the packed value at in->p: 0, or -1 when it is damaged. */
static int
skip_value(struct json_in *in)
{
	double	d;
	int	depth = 0;
	char	tag;

	for (;;) {
		if (in->p == in->end)
			return -1;
		switch ((tag = *in->p++)) {
		case 'n':
		case 't':
		case 'f':
			break;
		case 'i':
		case 'd':
			if (unpack_number(in, tag, &d) != 0)
				return -1;
			break;
		case 's':
		case 'r':
			if (text_at(in, NULL) == NULL)
				return -1;
			break;
		case 'k':
			if (depth == 0 || text_at(in, NULL) == NULL)
				return -1;
			continue;	/* its value follows */
		case '[':
		case '{':
			if (++depth > CJSON_NESTING_LIMIT)
				return -1;
			continue;
		case ']':
		case '}':
			if (--depth < 0)
				return -1;
			break;
		default:
			return -1;
		}
		if (depth == 0)
			return 0;
	}
}

int
json_members_begin(struct json_members *it, const char *p, size_t len)
{
	if (p == NULL || len < 2 || *p != '{' || p[len - 1] != '}')
		return -1;
	it->p = p + 1;
	it->end = p + len;
	return 0;
}

int
json_members_next(struct json_members *it, struct json_member *m)
{
	struct json_in	in;

	in.p = it->p;
	in.end = it->end;
	in.depth = 0;
	in.nul = 1;
	if (in.p == in.end)
		return -1;
	if (*in.p == '}')
		return 0;
	if (*in.p++ != 'k' || (m->key = text_at(&in, NULL)) == NULL ||
	    in.p == in.end)
		return -1;
	m->value = in.p;
	m->tag = *in.p;
	m->string = NULL;
	m->number = 0;
	if (m->tag == 's') {
		in.p++;
		if ((m->string = text_at(&in, NULL)) == NULL)
			return -1;
	} else if (m->tag == 'i' || m->tag == 'd') {
		in.p++;
		if (unpack_number(&in, m->tag, &m->number) != 0)
			return -1;
	} else if (skip_value(&in) != 0)
		return -1;
	m->len = (size_t)(in.p - m->value);
	it->p = in.p;
	return 1;
}

const char *
json_packed_string(const char *p, size_t len, const char *key)
{
	struct json_members	it;
	struct json_member	m;

	if (json_members_begin(&it, p, len) != 0)
		return NULL;
	while (json_members_next(&it, &m) > 0)
		if (strcmp(m.key, key) == 0)
			return m.string;
	return NULL;
}
