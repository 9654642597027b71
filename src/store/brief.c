/*
 * The live tasks of each service, kept in memory as brief rows.
 *
 * The scheduler reads every live task of a service at each pass, and the
 * scenario runner's floor check reads them again after the tick: at full
 * size that was a tenth of the run, most of it SQLite walking the
 * tasks_live_service index and its rows. The store now keeps what it
 * read, and every task it writes keeps that reading true: the written row
 * replaces its brief row, joins the set (a new task) or leaves it (a task
 * that stopped). The set is read again from the database when it may no
 * longer be true, which the store's generation says: a rollback, a reset,
 * or another connection's commit (store_begin) moves it on, and a set read
 * in an older generation is not used.
 *
 * A set's rows are in the order of the SQL they replace: created_at, then
 * arn. Nothing else writes a live task's brief columns (the only other
 * UPDATE of tasks sets accounted, and the purge deletes stopped tasks).
 */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* One service's set: an element of the store's briefs table. */
struct brief_set {
	char		*service_arn;	/* the table's key */
	uint64_t	 generation;	/* the store's when it was read */
	struct task_row	*rows;
	size_t		 n, cap;
};

static void
set_clear(struct brief_set *b)
{
	while (b->n > 0)
		task_row_clear(&b->rows[--b->n]);
}

void
briefs_init(struct table *bs)
{
	table_init(bs, sizeof(struct brief_set));
}

void
briefs_free(struct table *bs)
{
	struct brief_set	*b;
	size_t			 i;

	for (i = 0; i < bs->nslots; i++) {
		b = table_at(bs, i);
		set_clear(b);
		free(b->rows);
	}
	table_free(bs);
}

/* The first row of b not before (created_at, arn); *same if it is it. */
static size_t
row_at(const struct brief_set *b, int64_t created_at, const char *arn,
    int *same)
{
	size_t	lo = 0, hi = b->n, mid;
	int	c;

	*same = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = b->rows[mid].created_at < created_at ? -1 :
		    b->rows[mid].created_at > created_at ? 1 :
		    strcmp(b->rows[mid].arn, arn);
		if (c == 0) {
			*same = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
briefs_lookup(struct store *st, const char *service_arn,
    struct task_row **rows, size_t *n)
{
	struct brief_set	*b = table_find(&st->briefs, service_arn);
	size_t			 i;

	*rows = NULL;
	*n = 0;
	if (b == NULL || b->generation != st->generation)
		return 0;
	if (b->n > 0) {
		*rows = xmalloc(b->n * sizeof **rows);
		for (i = 0; i < b->n; i++)
			task_row_brief_copy(&(*rows)[i], &b->rows[i]);
		*n = b->n;
	}
	return 1;
}

void
briefs_keep(struct store *st, const char *service_arn,
    const struct task_row *rows, size_t n)
{
	struct brief_set	*b;
	size_t			 i;
	int			 fresh;

	b = table_get(&st->briefs, service_arn, &fresh);
	set_clear(b);
	while (b->cap < n)
		b->rows = xgrow(b->rows, b->cap, &b->cap, sizeof *b->rows);
	for (i = 0; i < n; i++)
		task_row_brief_copy(&b->rows[i], &rows[i]);
	b->n = n;
	b->generation = st->generation;
}

void
briefs_written(struct store *st, const struct task_row *t)
{
	struct brief_set	*b;
	size_t			 i;
	int			 same;

	if (t->service_arn == NULL ||
	    (b = table_find(&st->briefs, t->service_arn)) == NULL ||
	    b->generation != st->generation)
		return;
	i = row_at(b, t->created_at, t->arn, &same);
	if (same) {
		if (t->stopped_at == 0) {
			task_row_brief_update(&b->rows[i], t);
			return;
		}
		task_row_clear(&b->rows[i]);
		memmove(&b->rows[i], &b->rows[i + 1],
		    (b->n - i - 1) * sizeof *b->rows);
		b->n--;
	} else if (t->stopped_at == 0) {
		b->rows = xgrow(b->rows, b->n, &b->cap, sizeof *b->rows);
		memmove(&b->rows[i + 1], &b->rows[i],
		    (b->n - i) * sizeof *b->rows);
		task_row_brief_copy(&b->rows[i], t);
		b->n++;
	}
}
