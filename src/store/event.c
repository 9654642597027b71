/* Reading the event outbox in order, for sinks and the scenario runner. */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

static const char SQL_EVENT_AFTER[] =
    "SELECT seq, time, source, detail_type, resource, detail FROM events "
    "WHERE seq > ?1 ORDER BY seq LIMIT ?2";

void
store_event_clear(struct store_event *ev)
{
	free(ev->source);
	free(ev->detail_type);
	free(ev->resource);
	cJSON_Delete(ev->detail);
	memset(ev, 0, sizeof *ev);
}

void
store_events_free(struct store_event *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		store_event_clear(&rows[i]);
	free(rows);
}

int
store_event_after(struct store *st, int64_t after, size_t max,
    struct store_event **rows, size_t *n, struct err *e)
{
	sqlite3_stmt		*s = store_stmt(st, SQL_EVENT_AFTER);
	struct store_event	*r = NULL, *ev;
	size_t			 cap = 0;
	int			 rc;

	*rows = NULL;
	*n = 0;
	bind_int(s, 1, after);
	bind_int(s, 2, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = xgrow(r, *n, &cap, sizeof *r);
		ev = &r[(*n)++];
		ev->seq = sqlite3_column_int64(s, 0);
		ev->time = sqlite3_column_int64(s, 1);
		ev->source = col_dup(s, 2);
		ev->detail_type = col_dup(s, 3);
		ev->resource = col_dup(s, 4);
		ev->detail = col_json(s, 5);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_events_free(r, *n);
		*n = 0;
		return store_fail(st, e, "reading the event outbox");
	}
	*rows = r;
	return 0;
}

/*
 * The bounds of the outbox, sink cursors and pruning (ecsim serve's
 * sinks, src/events/). Pruning never deletes the newest event, so seq,
 * MAX(seq) + 1 on append, never goes back while a serve runs.
 */
static const char SQL_EVENT_FIRST[] = "SELECT MIN(seq) FROM events";
static const char SQL_EVENT_LAST[] = "SELECT MAX(seq) FROM events";
static const char SQL_SINK_GET[] =
    "SELECT seq FROM sink_cursors WHERE name = ?1";
static const char SQL_SINK_SET[] =
    "INSERT INTO sink_cursors (name, seq, updated_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (name) DO UPDATE SET seq = ?2, updated_at = ?3";
static const char SQL_SINK_RESET[] = "UPDATE sink_cursors SET seq = 0";
static const char SQL_EVENT_OLDEST[] =
    "SELECT time FROM events ORDER BY seq LIMIT 1";
static const char SQL_EVENT_PRUNE[] =
    "DELETE FROM events WHERE seq BETWEEN ?1 AND ?2 "
    "AND (time < ?3 OR seq <= ?4)";

int64_t
store_event_first(struct store *st)
{
	return store_int_query(st, SQL_EVENT_FIRST, NULL);
}

int64_t
store_event_last(struct store *st)
{
	return store_int_query(st, SQL_EVENT_LAST, NULL);
}

int
store_sink_cursor_get(struct store *st, const char *name, int64_t *seq,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_SINK_GET);
	int		 rc, ret = 1;

	bind_text(s, 1, name);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		ret = 0;
	} else if (rc != SQLITE_DONE)
		ret = store_fail(st, e, "reading a sink's cursor");
	sqlite3_reset(s);
	return ret;
}

int
store_sink_cursor_set(struct store *st, const char *name, int64_t seq,
    int64_t now, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_SINK_SET);

	bind_text(s, 1, name);
	bind_int(s, 2, seq);
	bind_int(s, 3, now);
	return store_exec_stmt(st, s, e);
}

int
store_sink_cursor_reset(struct store *st, struct err *e)
{
	return store_exec_stmt(st, store_stmt(st, SQL_SINK_RESET), e);
}

int
store_event_prune(struct store *st, const struct store_prune *p,
    int64_t *deleted, struct err *e)
{
	sqlite3_stmt	*s;
	int64_t		 first, hi;

	*deleted = 0;
	first = store_event_first(st);
	hi = store_event_last(st) - 1;
	if (p->below - 1 < hi)
		hi = p->below - 1;
	if (first + p->limit - 1 < hi)
		hi = first + p->limit - 1;
	if (first == 0 || hi < first)
		return 0;
	/* The oldest event is neither too old nor over the count: nothing
	 * is (events come in time order), and the range need not be read. */
	if (first > p->upto &&
	    store_int_query(st, SQL_EVENT_OLDEST, NULL) >= p->before)
		return 0;
	s = store_stmt(st, SQL_EVENT_PRUNE);
	bind_int(s, 1, first);
	bind_int(s, 2, hi);
	bind_int(s, 3, p->before);
	bind_int(s, 4, p->upto);
	if (store_exec_stmt(st, s, e) != 0)
		return -1;
	*deleted = sqlite3_changes(st->db);
	return 0;
}

int
store_events_off(void)
{
	static int	off = -1;

	if (off < 0)
		off = getenv("ECSIM_BENCH_NO_EVENTS") != NULL;
	return off;
}
