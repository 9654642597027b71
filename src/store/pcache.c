/*
 * SQLite's own page cache, with one thing it does not do: skipping a
 * truncation that has nothing to remove.
 *
 * At every commit the pager truncates its cache to the database's size
 * (pcache1Truncate). The cache knows only the largest page number it has
 * held, iMaxKey, and when that is far above the size it scans its whole
 * hash table. It is far above after almost any B-tree rebalancing:
 * balance_nonroot puts its new pages in ascending order by swapping page
 * numbers through a spare one, PENDING_BYTE / page size + 1 (262,145 with
 * 4 KB pages), and the cache never lowers iMaxKey when a page leaves that
 * number. An in-memory database keeps every page in the cache, so at the
 * scenario benchmark's size each such commit walked some 100,000 page
 * headers: about a twelfth of the run.
 *
 * The wrapper keeps its own bound on the page numbers present, leaving
 * the spare number out while pages only pass through it, and calls the
 * real truncation only when a page may be at or above the limit. Every
 * other method is SQLite's, unchanged.
 */
#include <stdlib.h>

#include <sqlite3.h>

#include "store/internal.h"

/* Where SQLite's lock byte is; the spare page number is derived from it. */
#define PENDING_BYTE	0x40000000u

struct pcache {
	sqlite3_pcache	*inner;
	unsigned	 max;		/* no page above this but the spare's */
	unsigned	 spare;		/* balance_nonroot's swap number */
	unsigned	 at_spare;	/* pages moved there and not yet away */
};

static sqlite3_pcache_methods2	base;
static uint64_t			ntruncated, nskipped;

static sqlite3_pcache *
pc_create(int page_size, int extra, int purgeable)
{
	struct pcache	*c;
	sqlite3_pcache	*inner;

	if ((inner = base.xCreate(page_size, extra, purgeable)) == NULL)
		return NULL;
	c = xcalloc(1, sizeof *c);
	c->inner = inner;
	c->spare = PENDING_BYTE / (unsigned)page_size + 1;
	return (sqlite3_pcache *)c;
}

static void
pc_cachesize(sqlite3_pcache *p, int n)
{
	base.xCachesize(((struct pcache *)p)->inner, n);
}

static int
pc_pagecount(sqlite3_pcache *p)
{
	return base.xPagecount(((struct pcache *)p)->inner);
}

static sqlite3_pcache_page *
pc_fetch(sqlite3_pcache *p, unsigned key, int create)
{
	struct pcache		*c = (struct pcache *)p;
	sqlite3_pcache_page	*pg = base.xFetch(c->inner, key, create);

	if (pg != NULL && key > c->max)
		c->max = key;
	return pg;
}

static void
pc_unpin(sqlite3_pcache *p, sqlite3_pcache_page *pg, int discard)
{
	base.xUnpin(((struct pcache *)p)->inner, pg, discard);
}

static void
pc_rekey(sqlite3_pcache *p, sqlite3_pcache_page *pg, unsigned from,
    unsigned to)
{
	struct pcache	*c = (struct pcache *)p;

	base.xRekey(c->inner, pg, from, to);
	if (from == c->spare && c->at_spare > 0)
		c->at_spare--;
	if (to == c->spare)
		c->at_spare++;
	else if (to > c->max)
		c->max = to;
}

static void
pc_truncate(sqlite3_pcache *p, unsigned limit)
{
	struct pcache	*c = (struct pcache *)p;

	if (limit > c->max && (c->at_spare == 0 || limit > c->spare)) {
		nskipped++;
		return;
	}
	ntruncated++;
	base.xTruncate(c->inner, limit);
	if (limit <= c->spare)
		c->at_spare = 0;
	if (limit > 0 && c->max >= limit)
		c->max = limit - 1;
}

static void
pc_destroy(sqlite3_pcache *p)
{
	struct pcache	*c = (struct pcache *)p;

	base.xDestroy(c->inner);
	free(c);
}

static void
pc_shrink(sqlite3_pcache *p)
{
	base.xShrink(((struct pcache *)p)->inner);
}

void
store_pcache_install(void)
{
	sqlite3_pcache_methods2	m;

	if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &base) != SQLITE_OK ||
	    base.xCreate == NULL)
		return;
	m = base;
	m.xCreate = pc_create;
	m.xCachesize = pc_cachesize;
	m.xPagecount = pc_pagecount;
	m.xFetch = pc_fetch;
	m.xUnpin = pc_unpin;
	m.xRekey = pc_rekey;
	m.xTruncate = pc_truncate;
	m.xDestroy = pc_destroy;
	m.xShrink = base.xShrink != NULL ? pc_shrink : NULL;
	(void)sqlite3_config(SQLITE_CONFIG_PCACHE2, &m);
}

void
store_pcache_counts(uint64_t *done, uint64_t *skipped)
{
	*done = ntruncated;
	*skipped = nskipped;
}
