/*
 * The page caches SQLite uses: SQLite's own for databases in files, with
 * one thing it does not do, and ecsim's for databases in memory.
 *
 * SQLite's cache is a hash table of pages. At every commit the pager
 * truncates its cache to the database's size (pcache1Truncate). The cache
 * knows only the largest page number it has held, iMaxKey, and when that
 * is far above the size it scans its whole hash table. It is far above
 * after almost any B-tree rebalancing: balance_nonroot puts its new pages
 * in ascending order by swapping page numbers through a spare one,
 * PENDING_BYTE / page size + 1 (262,145 with 4 KB pages), and the cache
 * never lowers iMaxKey when a page leaves that number. An in-memory
 * database keeps every page in the cache, so at the scenario benchmark's
 * size each such commit walked some 100,000 page headers: about a twelfth
 * of the run. The wrapper keeps its own bound on the page numbers present,
 * leaving the spare number out while pages only pass through it, and
 * calls the real truncation only when a page may be at or above the
 * limit. Every other method is SQLite's, unchanged.
 *
 * An in-memory database (a cache SQLite creates not purgeable) never lets
 * a page go, and its pages are numbered from 1 with no gaps: ecsim keeps
 * them in an array on the page number instead. A look-up is an index,
 * where SQLite's hashed the number (a division) and walked a chain, a
 * twentieth of the full-size benchmark; and a page's buffer is allocated
 * apart from its header and SQLite's extra bytes, each in an allocation
 * class of its size, where one block of the three took a 5 KB class for
 * 4.3 KB. The spare number has a slot of its own, and the same bound
 * spares commits their truncation.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/internal.h"

/* Where SQLite's lock byte is; the spare page number is derived from it. */
#define PENDING_BYTE	0x40000000u

/* A page of ecsim's cache: SQLite's handle on it, then SQLite's extra
 * bytes. */
struct page {
	sqlite3_pcache_page	 base;	/* first: SQLite's pointer is ours */
	unsigned		 key;
};

struct pcache {
	sqlite3_pcache	*inner;		/* SQLite's cache; NULL: ecsim's */
	unsigned	 max;		/* no page above this but the spare's */
	unsigned	 spare;		/* balance_nonroot's swap number */
	unsigned	 at_spare;	/* pages moved there and not yet away */
	/* ecsim's: */
	struct page	**pages;	/* on the page number */
	unsigned	 cap;
	struct page	*spare_page;	/* the one at the spare number */
	int		 npages;
	int		 page_size, extra;
};

static sqlite3_pcache_methods2	base;
static uint64_t			ntruncated, nskipped;

static sqlite3_pcache *
pc_create(int page_size, int extra, int purgeable)
{
	struct pcache	*c;
	sqlite3_pcache	*inner = NULL;

	if (purgeable && (inner = base.xCreate(page_size, extra,
	    purgeable)) == NULL)
		return NULL;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		if (inner != NULL)
			base.xDestroy(inner);
		return NULL;
	}
	c->inner = inner;
	c->spare = PENDING_BYTE / (unsigned)page_size + 1;
	c->page_size = page_size;
	/* Rounded up, so that a header after it stays aligned. */
	c->extra = (extra + 7) & ~7;
	return (sqlite3_pcache *)c;
}

/* The slot of page number key in ecsim's cache; NULL if the array does
 * not reach it. */
static struct page **
slot(struct pcache *c, unsigned key)
{
	if (key == c->spare)
		return &c->spare_page;
	return key < c->cap ? &c->pages[key] : NULL;
}

/* The same, the array grown to reach it. */
static struct page **
slot_made(struct pcache *c, unsigned key)
{
	unsigned	cap;

	if (key != c->spare && key >= c->cap) {
		cap = c->cap > 0 ? c->cap : 256;
		while (cap <= key)
			cap *= 2;
		c->pages = xrealloc(c->pages, cap * sizeof *c->pages);
		memset(c->pages + c->cap, 0, (cap - c->cap) *
		    sizeof *c->pages);
		c->cap = cap;
	}
	return slot(c, key);
}

static void
page_free(struct page *pg)
{
	free(pg->base.pBuf);
	free(pg);
}

static struct page *
page_new(struct pcache *c, unsigned key)
{
	struct page	*pg;

	if ((pg = malloc(sizeof *pg + (size_t)c->extra)) == NULL)
		return NULL;
	if ((pg->base.pBuf = malloc((size_t)c->page_size)) == NULL) {
		free(pg);
		return NULL;
	}
	pg->base.pExtra = pg + 1;
	/* SQLite reads the first pointer of a new page's extra bytes to
	 * know it has not set them up yet. */
	memset(pg->base.pExtra, 0, sizeof(void *));
	pg->key = key;
	return pg;
}

/* Removes and frees the page in slot *sl. */
static void
page_drop(struct pcache *c, struct page **sl)
{
	page_free(*sl);
	*sl = NULL;
	c->npages--;
}

static void
pc_cachesize(sqlite3_pcache *p, int n)
{
	struct pcache	*c = (struct pcache *)p;

	/* ecsim's cache keeps every page: nothing to size. */
	if (c->inner != NULL)
		base.xCachesize(c->inner, n);
}

static int
pc_pagecount(sqlite3_pcache *p)
{
	struct pcache	*c = (struct pcache *)p;

	return c->inner != NULL ? base.xPagecount(c->inner) : c->npages;
}

/* ecsim's fetch: the page at key, made when create asks and it is not
 * there; the bounds keep count of a made page. */
static sqlite3_pcache_page *
own_fetch(struct pcache *c, unsigned key, int create)
{
	struct page	**sl = slot(c, key);

	if (sl != NULL && *sl != NULL)
		return &(*sl)->base;
	if (!create)
		return NULL;
	sl = slot_made(c, key);
	if ((*sl = page_new(c, key)) == NULL)
		return NULL;
	c->npages++;
	if (key == c->spare)
		c->at_spare++;
	else if (key > c->max)
		c->max = key;
	return &(*sl)->base;
}

static sqlite3_pcache_page *
pc_fetch(sqlite3_pcache *p, unsigned key, int create)
{
	struct pcache		*c = (struct pcache *)p;
	sqlite3_pcache_page	*pg;

	if (c->inner == NULL)
		return own_fetch(c, key, create);
	pg = base.xFetch(c->inner, key, create);
	if (pg != NULL && key > c->max)
		c->max = key;
	return pg;
}

static void
pc_unpin(sqlite3_pcache *p, sqlite3_pcache_page *pg, int discard)
{
	struct pcache	*c = (struct pcache *)p;

	if (c->inner != NULL)
		base.xUnpin(c->inner, pg, discard);
	else if (discard)
		page_drop(c, slot(c, ((struct page *)pg)->key));
}

static void
pc_rekey(sqlite3_pcache *p, sqlite3_pcache_page *pg, unsigned from,
    unsigned to)
{
	struct pcache	*c = (struct pcache *)p;
	struct page	**sl;

	if (c->inner != NULL)
		base.xRekey(c->inner, pg, from, to);
	else {
		/* SQLite has dropped any page at to. */
		*slot(c, from) = NULL;
		sl = slot_made(c, to);
		((struct page *)pg)->key = to;
		*sl = (struct page *)pg;
	}
	if (from == c->spare && c->at_spare > 0)
		c->at_spare--;
	if (to == c->spare)
		c->at_spare++;
	else if (to > c->max)
		c->max = to;
}

/* ecsim's truncation: every page numbered limit or more. */
static void
own_truncate(struct pcache *c, unsigned limit)
{
	unsigned	k;

	if (c->spare_page != NULL && c->spare >= limit)
		page_drop(c, &c->spare_page);
	for (k = limit; k <= c->max && k < c->cap; k++)
		if (c->pages[k] != NULL)
			page_drop(c, &c->pages[k]);
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
	if (c->inner != NULL)
		base.xTruncate(c->inner, limit);
	else
		own_truncate(c, limit);
	if (limit <= c->spare)
		c->at_spare = 0;
	if (limit > 0 && c->max >= limit)
		c->max = limit - 1;
}

static void
pc_destroy(sqlite3_pcache *p)
{
	struct pcache	*c = (struct pcache *)p;

	if (c->inner != NULL)
		base.xDestroy(c->inner);
	else {
		if (c->spare_page != NULL)
			page_drop(c, &c->spare_page);
		while (c->cap > 0)
			if (c->pages[--c->cap] != NULL)
				page_drop(c, &c->pages[c->cap]);
		free(c->pages);
	}
	free(c);
}

static void
pc_shrink(sqlite3_pcache *p)
{
	struct pcache	*c = (struct pcache *)p;

	if (c->inner != NULL)
		base.xShrink(c->inner);
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
	m.xShrink = pc_shrink;
	(void)sqlite3_config(SQLITE_CONFIG_PCACHE2, &m);
}

void
store_pcache_counts(uint64_t *done, uint64_t *skipped)
{
	*done = ntruncated;
	*skipped = nskipped;
}
