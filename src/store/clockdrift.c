/* Clocks and agent outages as faults leave them (schema/0005_clocks.sql),
 * and finding a task by its id alone for the metadata endpoint. */
#include <stdlib.h>

#include "store/internal.h"
#include "store/store-clock.h"

static const char SQL_CLOCK_GET[] =
    "SELECT synchronized, bound, changed_at, drift FROM clocks "
    "WHERE resource = ?1";
static const char SQL_CLOCK_PUT[] =
    "INSERT INTO clocks (resource, cluster, synchronized, bound, changed_at, "
    "drift) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (resource) DO UPDATE SET synchronized = excluded.synchronized, "
    "bound = excluded.bound, changed_at = excluded.changed_at, "
    "drift = excluded.drift";

int
store_clock_get(struct store *st, const char *resource, struct clock_row *r,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_CLOCK_GET);
	int		 rc, found = 0;

	bind_text(s, 1, resource);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r->synchronized = sqlite3_column_int(s, 0);
		r->has_bound = sqlite3_column_type(s, 1) != SQLITE_NULL;
		r->bound = sqlite3_column_double(s, 1);
		r->changed_at = sqlite3_column_int64(s, 2);
		r->drift = sqlite3_column_double(s, 3);
		found = 1;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, e, "reading a clock");
	return found;
}

int
store_clock_put(struct store *st, const char *resource, const char *cluster,
    const struct clock_row *r, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_CLOCK_PUT);

	bind_text(s, 1, resource);
	bind_text(s, 2, cluster);
	bind_int(s, 3, r->synchronized);
	if (r->has_bound)
		sqlite3_bind_double(s, 4, r->bound);
	bind_int(s, 5, r->changed_at);
	sqlite3_bind_double(s, 6, r->drift);
	return store_exec_stmt(st, s, e);
}

static const char SQL_OUTAGE_PUT[] =
    "INSERT INTO agent_outages (instance_arn, cluster, until) "
    "VALUES (?1, ?2, ?3) ON CONFLICT (instance_arn) DO UPDATE SET "
    "cluster = excluded.cluster, until = excluded.until";
static const char SQL_OUTAGE_DELETE[] =
    "DELETE FROM agent_outages WHERE instance_arn = ?1";
static const char SQL_OUTAGE_NEXT[] =
    "SELECT min(until) FROM agent_outages";
static const char SQL_OUTAGE_DUE[] =
    "SELECT instance_arn, cluster, until FROM agent_outages "
    "WHERE until <= ?1 ORDER BY until, instance_arn";

void
outage_rows_free(struct outage_row *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(rows[i].instance_arn);
		free(rows[i].cluster);
	}
	free(rows);
}

int
store_outage_put(struct store *st, const char *instance_arn,
    const char *cluster, int64_t until, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_OUTAGE_PUT);

	bind_text(s, 1, instance_arn);
	bind_text(s, 2, cluster);
	bind_int(s, 3, until);
	return store_exec_stmt(st, s, e);
}

int
store_outage_delete(struct store *st, const char *instance_arn,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_OUTAGE_DELETE);

	bind_text(s, 1, instance_arn);
	return store_exec_stmt(st, s, e);
}

int64_t
store_outage_next(struct store *st)
{
	return store_int_query(st, SQL_OUTAGE_NEXT, NULL);
}

static const char SQL_AGENTS_CONNECTED[] =
    "SELECT arn, cluster, 0 FROM container_instances WHERE agent_connected "
    "AND status IN ('ACTIVE', 'DRAINING') ORDER BY registered_at, arn";

/* The rows of s (arn, cluster, until), bound and ready to step. */
static int
outage_rows(struct store *st, sqlite3_stmt *s, struct outage_row **rows,
    size_t *n, struct err *e)
{
	struct outage_row	*r = NULL, *o;
	size_t			 cap = 0;
	int			 rc;

	*rows = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = xgrow(r, *n, &cap, sizeof *r);
		o = &r[(*n)++];
		o->instance_arn = col_dup(s, 0);
		o->cluster = col_dup(s, 1);
		o->until = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		outage_rows_free(r, *n);
		*n = 0;
		return store_fail(st, e, "reading agent outages");
	}
	*rows = r;
	return 0;
}

int
store_outage_due(struct store *st, int64_t now, struct outage_row **rows,
    size_t *n, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_OUTAGE_DUE);

	bind_int(s, 1, now);
	return outage_rows(st, s, rows, n, e);
}

int
store_agents_connected(struct store *st, struct outage_row **rows,
    size_t *n, struct err *e)
{
	return outage_rows(st, store_stmt(st, SQL_AGENTS_CONNECTED), rows, n,
	    e);
}

/* There is no index on a task's ID (store/task.c, store_task_get): its
 * ARN is made from each cluster's, and the table is read only when none
 * has it. */
static const char SQL_TASK_CLUSTER[] =
    "SELECT t.cluster FROM clusters c JOIN tasks t ON t.arn = "
    TASK_ARN_OF_ID("c", "?1");
static const char SQL_TASK_CLUSTER_SCAN[] =
    "SELECT cluster FROM tasks WHERE id = ?1";

int
store_task_cluster(struct store *st, const char *id, char **cluster,
    struct err *e)
{
	static const char *const sql[] = { SQL_TASK_CLUSTER,
	    SQL_TASK_CLUSTER_SCAN };
	sqlite3_stmt	*s;
	size_t		 i;
	int		 rc = SQLITE_DONE;

	*cluster = NULL;
	for (i = 0; i < 2 && *cluster == NULL && rc == SQLITE_DONE; i++) {
		s = store_stmt(st, sql[i]);
		bind_text(s, 1, id);
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			*cluster = col_dup(s, 0);
			rc = SQLITE_DONE;
		}
		sqlite3_reset(s);
	}
	if (rc != SQLITE_DONE)
		return store_fail(st, e, "finding a task by id");
	return *cluster != NULL;
}
