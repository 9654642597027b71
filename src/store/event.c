/* Reading the event outbox in order, for sinks and the scenario runner. */
#include <stdlib.h>

#include "store/internal.h"

static const char SQL_EVENT_AFTER[] =
    "SELECT seq, time, source, detail_type, resource, detail FROM events "
    "WHERE seq > ?1 ORDER BY seq LIMIT ?2";

void
store_events_free(struct store_event *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(rows[i].source);
		free(rows[i].detail_type);
		free(rows[i].resource);
		cJSON_Delete(rows[i].detail);
	}
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
