/*
 * An open-addressing hash table on string keys (util.h, struct table).
 * The scenario runner's invariants, the store's kept live tasks and the
 * placement view's instances each look strings up in one.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void
table_init(struct table *tb, size_t elem)
{
	tb->elem = elem;
	tb->nslots = 16;
	tb->used = 0;
	tb->slots = xcalloc(tb->nslots, elem);
	tb->hashes = xcalloc(tb->nslots, sizeof *tb->hashes);
}

void *
table_at(const struct table *tb, size_t i)
{
	return tb->slots + i * tb->elem;
}

static const char *
key_at(const struct table *tb, size_t i)
{
	return *(char **)table_at(tb, i);
}

void
table_free(struct table *tb)
{
	size_t	i;

	for (i = 0; i < tb->nslots; i++)
		free(*(char **)table_at(tb, i));
	free(tb->slots);
	free(tb->hashes);
	memset(tb, 0, sizeof *tb);
}

/* The slot of key (hash h), or the empty one where it would go. */
static size_t
probe(const struct table *tb, const char *key, uint64_t h)
{
	size_t	i = h & (tb->nslots - 1);

	while (key_at(tb, i) != NULL &&
	    (tb->hashes[i] != h || strcmp(key_at(tb, i), key) != 0))
		i = (i + 1) & (tb->nslots - 1);
	return i;
}

/* Twice the slots, every element moved over. */
static void
grow(struct table *tb)
{
	struct table	old = *tb;
	size_t		i, j;

	tb->nslots *= 2;
	tb->slots = xcalloc(tb->nslots, tb->elem);
	tb->hashes = xcalloc(tb->nslots, sizeof *tb->hashes);
	for (i = 0; i < old.nslots; i++) {
		if (key_at(&old, i) == NULL)
			continue;
		for (j = old.hashes[i] & (tb->nslots - 1); key_at(tb, j) !=
		    NULL; j = (j + 1) & (tb->nslots - 1))
			;
		memcpy(table_at(tb, j), table_at(&old, i), tb->elem);
		tb->hashes[j] = old.hashes[i];
	}
	free(old.slots);
	free(old.hashes);
}

void *
table_get(struct table *tb, const char *key, int *fresh)
{
	uint64_t	h = str_hash(key);
	size_t		i;
	char		*k;

	if ((tb->used + 1) * 2 > tb->nslots)
		grow(tb);
	i = probe(tb, key, h);
	*fresh = key_at(tb, i) == NULL;
	if (*fresh) {
		tb->used++;
		k = xstrdup(key);
		memcpy(table_at(tb, i), &k, sizeof k);
		tb->hashes[i] = h;
	}
	return table_at(tb, i);
}

void *
table_find(const struct table *tb, const char *key)
{
	size_t	i;

	if (tb->nslots == 0)
		return NULL;	/* freed, or never made */
	i = probe(tb, key, str_hash(key));
	return key_at(tb, i) != NULL ? table_at(tb, i) : NULL;
}
