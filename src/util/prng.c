/* The seeded PRNG and the identifiers drawn from it. */
#include <stdio.h>
#include <string.h>

#include "util/util.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
prng_seed(struct prng *p, uint64_t seed)
{
	int	i;

	for (i = 0; i < 4; i++)
		p->s[i] = splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
prng_next(struct prng *p)
{
	uint64_t	*s = p->s;
	uint64_t	 result = rotl(s[1] * 5, 7) * 9;
	uint64_t	 t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Lemire's rejection method would be faster; the modulo bias of a 64-bit
 * draw is negligible for the ranges ecsim uses, but reject anyway so that
 * results are exactly uniform. */
uint64_t
prng_below(struct prng *p, uint64_t n)
{
	uint64_t	limit = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = prng_next(p);
	while (x >= limit);
	return x % n;
}

double
prng_double(struct prng *p)
{
	return (double)(prng_next(p) >> 11) * 0x1.0p-53;
}

/* The low n hex digits of v, lower case, at out. */
static char *
hex_put(char *out, uint64_t v, int n)
{
	static const char	digits[] = "0123456789abcdef";
	int			i;

	for (i = n - 1; i >= 0; i--, v >>= 4)
		out[i] = digits[v & 15];
	return out + n;
}

void
id_hex32(struct prng *p, char out[ID_HEX32_LEN])
{
	uint64_t	a = prng_next(p), b = prng_next(p);

	/* The second draw first: the IDs a gcc build always made, when a
	 * printf call's arguments (evaluated last to first) drew them. */
	hex_put(hex_put(out, b, 16), a, 16)[0] = '\0';
}

void
id_uuid(struct prng *p, char out[ID_UUID_LEN])
{
	uint64_t	a = prng_next(p), b = prng_next(p);

	/* Version 4, variant 1. */
	a = (a & ~0xf000ULL) | 0x4000ULL;
	b = (b & ~(3ULL << 62)) | (2ULL << 62);
	/* 8-4-4-4-12 digits. */
	out = hex_put(out, a >> 32, 8);
	*out++ = '-';
	out = hex_put(out, a >> 16, 4);
	*out++ = '-';
	out = hex_put(out, a, 4);
	*out++ = '-';
	out = hex_put(out, b >> 48, 4);
	*out++ = '-';
	hex_put(out, b, 12)[0] = '\0';
}

void
id_digits19(struct prng *p, char out[ID_DIGITS19_LEN])
{
	/* 19 digits, no leading zero, as ECS deployment ids look. */
	uint64_t	v = 1000000000000000000ULL +
	    prng_below(p, 9000000000000000000ULL);

	snprintf(out, ID_DIGITS19_LEN, "%llu", (unsigned long long)v);
}
