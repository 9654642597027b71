/* The services, deployments and service_events tables. */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#define SERVICE_COLS "arn, cluster, name, status, desired_count, " \
	"task_definition, scheduling_strategy, created_at, updated_at, doc, " \
	"start_failures, last_failure_at"
#define DEPLOYMENT_COLS "id, service_arn, seq, status, task_definition, " \
	"desired_count, failed_tasks, rollout_state, rollout_reason, " \
	"created_at, updated_at, doc"

void
service_row_clear(struct service_row *s)
{
	if (s == NULL)
		return;
	free(s->arn);
	free(s->cluster);
	free(s->name);
	free(s->status);
	free(s->task_definition);
	free(s->scheduling_strategy);
	cJSON_Delete(s->doc);
	memset(s, 0, sizeof *s);
}

void
service_rows_free(struct service_row *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		service_row_clear(&rows[i]);
	free(rows);
}

void
deployment_row_clear(struct deployment_row *d)
{
	if (d == NULL)
		return;
	free(d->id);
	free(d->service_arn);
	free(d->status);
	free(d->task_definition);
	free(d->rollout_state);
	free(d->rollout_reason);
	cJSON_Delete(d->doc);
	memset(d, 0, sizeof *d);
}

void
deployment_rows_free(struct deployment_row *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		deployment_row_clear(&rows[i]);
	free(rows);
}

static void
service_read(sqlite3_stmt *s, struct service_row *r)
{
	r->arn = col_dup(s, 0);
	r->cluster = col_dup(s, 1);
	r->name = col_dup(s, 2);
	r->status = col_dup(s, 3);
	r->desired_count = sqlite3_column_int64(s, 4);
	r->task_definition = col_dup(s, 5);
	r->scheduling_strategy = col_dup(s, 6);
	r->created_at = sqlite3_column_int64(s, 7);
	r->updated_at = sqlite3_column_int64(s, 8);
	r->doc = col_json(s, 9);
	r->start_failures = sqlite3_column_int64(s, 10);
	r->last_failure_at = sqlite3_column_int64(s, 11);
}

static void
service_bind(sqlite3_stmt *s, const struct service_row *r)
{
	bind_text(s, 1, r->arn);
	bind_text(s, 2, r->cluster);
	bind_text(s, 3, r->name);
	bind_text(s, 4, r->status);
	bind_int(s, 5, r->desired_count);
	bind_text(s, 6, r->task_definition);
	bind_text(s, 7, r->scheduling_strategy);
	bind_int(s, 8, r->created_at);
	bind_int(s, 9, r->updated_at);
	bind_json(s, 10, r->doc);
	bind_int(s, 11, r->start_failures);
	bind_int(s, 12, r->last_failure_at);
}

static const char SQL_SERVICE_INSERT[] =
    "INSERT INTO services (" SERVICE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
    "?7, ?8, ?9, ?10, ?11, ?12)";

int
store_service_insert(struct store *st, const struct service_row *r,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_SERVICE_INSERT);

	service_bind(s, r);
	return store_exec_stmt(st, s, e);
}

static const char SQL_SERVICE_UPDATE[] =
    "UPDATE services SET status = ?4, desired_count = ?5, "
    "task_definition = ?6, updated_at = ?9, doc = ?10, start_failures = ?11, "
    "last_failure_at = ?12 WHERE arn = ?1";

int
store_service_update(struct store *st, const struct service_row *r,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_SERVICE_UPDATE);

	service_bind(s, r);
	return store_exec_stmt(st, s, e);
}

static const char SQL_SERVICE_DELETE[] = "DELETE FROM services WHERE arn = ?1";

int
store_service_delete(struct store *st, const char *arn, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_SERVICE_DELETE);

	bind_text(s, 1, arn);
	return store_exec_stmt(st, s, e);
}

/* Two queries, so each uses an index: by ARN, or by cluster and name. */
static const char SQL_SERVICE_BY_ARN[] =
    "SELECT " SERVICE_COLS " FROM services WHERE arn = ?2 AND "
    "(?1 IS NULL OR cluster = ?1)";
static const char SQL_SERVICE_BY_NAME[] =
    "SELECT " SERVICE_COLS " FROM services WHERE cluster = ?1 AND name = ?2";

int
store_service_get(struct store *st, const char *cluster, const char *ref,
    struct service_row *out, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, cluster == NULL ||
			    str_has_prefix(ref, "arn:") ? SQL_SERVICE_BY_ARN :
			    SQL_SERVICE_BY_NAME);
	int		 rc, ret;

	memset(out, 0, sizeof *out);
	bind_text(s, 1, cluster);
	bind_text(s, 2, ref);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		service_read(s, out);
		ret = 1;
	} else if (rc == SQLITE_DONE)
		ret = 0;
	else
		ret = store_fail(st, e, "reading a service");
	sqlite3_reset(s);
	return ret;
}

static const char SQL_SERVICE_LIVE[] =
    "SELECT " SERVICE_COLS " FROM services WHERE status IN ('ACTIVE', "
    "'DRAINING') ORDER BY created_at, arn";

int
store_service_live(struct store *st, struct service_row **rows, size_t *n,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_SERVICE_LIVE);
	size_t		 cap = 0;
	int		 rc;

	*rows = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*rows = xgrow(*rows, *n, &cap, sizeof **rows);
		service_read(s, &(*rows)[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, e, "listing services");
	return 0;
}

static const char SQL_SERVICE_LIST[] =
    "SELECT arn, COUNT(*) OVER () FROM services WHERE cluster = ?1 AND "
    "status = 'ACTIVE' AND (?2 IS NULL OR json_extract(doc, '$.launchType') "
    "= ?2) AND (?3 IS NULL OR scheduling_strategy = ?3) "
    "ORDER BY created_at, arn LIMIT ?4 OFFSET ?5";

int
store_service_list(struct store *st, const char *cluster,
    const char *launch_type, const char *scheduling_strategy, int64_t offset,
    int64_t limit, cJSON **arns, int64_t *total, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_SERVICE_LIST);
	int		 rc;

	bind_text(s, 1, cluster);
	bind_text(s, 2, launch_type);
	bind_text(s, 3, scheduling_strategy);
	bind_int(s, 4, limit);
	bind_int(s, 5, offset);
	*arns = cJSON_CreateArray();
	*total = offset;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		cJSON_AddItemToArray(*arns, cJSON_CreateString(col_text(s, 0)));
		*total = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(*arns);
		*arns = NULL;
		return store_fail(st, e, "listing services");
	}
	return 0;
}

static void
deployment_read(sqlite3_stmt *s, struct deployment_row *d)
{
	memset(d, 0, sizeof *d);
	d->id = col_dup(s, 0);
	d->service_arn = col_dup(s, 1);
	d->seq = sqlite3_column_int64(s, 2);
	d->status = col_dup(s, 3);
	d->task_definition = col_dup(s, 4);
	d->desired_count = sqlite3_column_int64(s, 5);
	d->failed_tasks = sqlite3_column_int64(s, 6);
	d->rollout_state = col_dup(s, 7);
	d->rollout_reason = col_dup(s, 8);
	d->created_at = sqlite3_column_int64(s, 9);
	d->updated_at = sqlite3_column_int64(s, 10);
	d->doc = col_json(s, 11);
}

static void
deployment_bind(sqlite3_stmt *s, const struct deployment_row *d)
{
	bind_text(s, 1, d->id);
	bind_text(s, 2, d->service_arn);
	bind_int(s, 3, d->seq);
	bind_text(s, 4, d->status);
	bind_text(s, 5, d->task_definition);
	bind_int(s, 6, d->desired_count);
	bind_int(s, 7, d->failed_tasks);
	bind_text(s, 8, d->rollout_state);
	bind_text(s, 9, d->rollout_reason);
	bind_int(s, 10, d->created_at);
	bind_int(s, 11, d->updated_at);
	bind_json(s, 12, d->doc);
}

static const char SQL_DEPLOYMENT_INSERT[] =
    "INSERT INTO deployments (" DEPLOYMENT_COLS ") VALUES (?1, ?2, ?3, ?4, "
    "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

int
store_deployment_insert(struct store *st, const struct deployment_row *d,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_DEPLOYMENT_INSERT);

	deployment_bind(s, d);
	return store_exec_stmt(st, s, e);
}

static const char SQL_DEPLOYMENT_UPDATE[] =
    "UPDATE deployments SET status = ?4, desired_count = ?6, "
    "failed_tasks = ?7, rollout_state = ?8, rollout_reason = ?9, "
    "updated_at = ?11, doc = ?12 WHERE id = ?1";

int
store_deployment_update(struct store *st, const struct deployment_row *d,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_DEPLOYMENT_UPDATE);

	deployment_bind(s, d);
	return store_exec_stmt(st, s, e);
}

static int
deployment_read_all(struct store *st, sqlite3_stmt *s,
    struct deployment_row **rows, size_t *n, struct err *e)
{
	size_t	cap = 0;
	int	rc;

	*rows = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*rows = xgrow(*rows, *n, &cap, sizeof **rows);
		deployment_read(s, &(*rows)[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, e, "listing deployments");
	return 0;
}

static const char SQL_DEPLOYMENT_LIST[] =
    "SELECT " DEPLOYMENT_COLS " FROM deployments WHERE service_arn = ?1 AND "
    "status != 'INACTIVE' ORDER BY seq DESC";

int
store_deployment_list(struct store *st, const char *service_arn,
    struct deployment_row **rows, size_t *n, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_DEPLOYMENT_LIST);

	bind_text(s, 1, service_arn);
	return deployment_read_all(st, s, rows, n, e);
}

static const char SQL_DEPLOYMENT_LAST_COMPLETED[] =
    "SELECT " DEPLOYMENT_COLS " FROM deployments WHERE service_arn = ?1 AND "
    "rollout_state = 'COMPLETED' ORDER BY seq DESC LIMIT 1";

int
store_deployment_last_completed(struct store *st, const char *service_arn,
    struct deployment_row *out, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_DEPLOYMENT_LAST_COMPLETED);
	int		 rc, ret;

	bind_text(s, 1, service_arn);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		deployment_read(s, out);
		ret = 1;
	} else if (rc == SQLITE_DONE)
		ret = 0;
	else
		ret = store_fail(st, e, "reading a deployment");
	sqlite3_reset(s);
	return ret;
}

void
task_outcomes_free(struct task_outcome *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(rows[i].arn);
		free(rows[i].deployment_id);
		free(rows[i].stopped_reason);
	}
	free(rows);
}

static const char SQL_OUTCOMES[] =
    "SELECT arn, deployment_id, stop_code, stopped_reason, "
    "started_at IS NOT NULL FROM tasks "
    "WHERE service_arn = ?1 AND stopped_at IS NOT NULL AND accounted = 0 "
    "ORDER BY stopped_at, arn";

int
store_service_outcomes(struct store *st, const char *service_arn,
    struct task_outcome **rows, size_t *n, struct err *e)
{
	sqlite3_stmt		*s = store_stmt(st, SQL_OUTCOMES);
	struct task_outcome	*o;
	size_t			 cap = 0;
	int			 rc, code;

	*rows = NULL;
	*n = 0;
	bind_text(s, 1, service_arn);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*rows = xgrow(*rows, *n, &cap, sizeof **rows);
		o = &(*rows)[(*n)++];
		o->arn = col_dup(s, 0);
		o->deployment_id = col_dup(s, 1);
		code = model_stop_code_parse(col_text(s, 2));
		o->stop_code = code < 0 ? STOP_NONE : (enum task_stop_code)code;
		o->stopped_reason = col_dup(s, 3);
		o->reached_running = sqlite3_column_int(s, 4);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		task_outcomes_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return store_fail(st, e, "listing stopped tasks");
	}
	return 0;
}

static const char SQL_OUTCOMES_DONE[] =
    "UPDATE tasks SET accounted = 1 WHERE service_arn = ?1 AND "
    "stopped_at IS NOT NULL AND accounted = 0";

int
store_service_outcomes_done(struct store *st, const char *service_arn,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_OUTCOMES_DONE);

	bind_text(s, 1, service_arn);
	return store_exec_stmt(st, s, e);
}

/* From the cluster's DRAINING instances, which are few or none, to their
 * tasks: the scheduler asks at every pass (CROSS JOIN keeps that order). */
static const char SQL_DRAINING_TASKS[] =
    "SELECT t.arn FROM container_instances ci CROSS JOIN tasks t "
    "WHERE ci.cluster = (SELECT cluster FROM services WHERE arn = ?1) AND "
    "ci.status = 'DRAINING' AND t.instance_arn = ci.arn AND "
    "t.service_arn = ?1 AND t.stopped_at IS NULL";

cJSON *
store_service_draining_tasks(struct store *st, const char *service_arn)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_DRAINING_TASKS);
	cJSON		*a = cJSON_CreateArray();

	bind_text(s, 1, service_arn);
	while (sqlite3_step(s) == SQLITE_ROW)
		cJSON_AddItemToArray(a, cJSON_CreateString(col_text(s, 0)));
	sqlite3_reset(s);
	return a;
}

static const char SQL_REPLICA_TASKS_ON[] =
    "SELECT count(*) FROM tasks t JOIN services sv ON sv.arn = "
    "t.service_arn WHERE t.instance_arn = ?1 AND t.stopped_at IS NULL "
    "AND t.desired_status = 'RUNNING' AND "
    "sv.scheduling_strategy = 'REPLICA'";

int64_t
store_service_replica_tasks_on(struct store *st, const char *instance_arn)
{
	return store_int_query(st, SQL_REPLICA_TASKS_ON, instance_arn);
}

static const char SQL_EVENT_ADD[] =
    "INSERT INTO service_events (id, service_arn, created_at, message) "
    "VALUES (?1, ?2, ?3, ?4)";
static const char SQL_EVENT_TRIM[] =
    "DELETE FROM service_events WHERE service_arn = ?1 AND seq <= "
    "(SELECT seq FROM service_events WHERE service_arn = ?1 "
    "ORDER BY seq DESC LIMIT 1 OFFSET ?2)";

int
store_service_event_add(struct store *st, const char *service_arn,
    const char *id, int64_t at, const char *message, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_EVENT_ADD);

	bind_text(s, 1, id);
	bind_text(s, 2, service_arn);
	bind_int(s, 3, at);
	bind_text(s, 4, message);
	if (store_exec_stmt(st, s, e) != 0)
		return -1;
	s = store_stmt(st, SQL_EVENT_TRIM);
	bind_text(s, 1, service_arn);
	bind_int(s, 2, SERVICE_EVENTS_MAX);
	return store_exec_stmt(st, s, e);
}

static const char SQL_EVENTS_GET[] =
    "SELECT id, created_at, message FROM service_events WHERE "
    "service_arn = ?1 ORDER BY seq DESC LIMIT ?2";

cJSON *
store_service_events(struct store *st, const char *service_arn)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_EVENTS_GET);
	cJSON		*a = cJSON_CreateArray(), *o;

	bind_text(s, 1, service_arn);
	bind_int(s, 2, SERVICE_EVENTS_MAX);
	while (sqlite3_step(s) == SQLITE_ROW) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", col_text(s, 0));
		cJSON_AddNumberToObject(o, "createdAt",
		    (double)sqlite3_column_int64(s, 1) / 1000.0);
		cJSON_AddStringToObject(o, "message", col_text(s, 2));
		cJSON_AddItemToArray(a, o);
	}
	sqlite3_reset(s);
	return a;
}

static const char SQL_EVENT_LAST[] =
    "SELECT message, created_at FROM service_events WHERE service_arn = ?1 "
    "AND substr(message, 1, length(?2)) = ?2 ORDER BY seq DESC LIMIT 1";

int
store_service_event_last(struct store *st, const char *service_arn,
    const char *prefix, char **message, int64_t *at)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_EVENT_LAST);
	int		 found = 0;

	bind_text(s, 1, service_arn);
	bind_text(s, 2, prefix);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*message = col_dup(s, 0);
		*at = sqlite3_column_int64(s, 1);
		found = 1;
	}
	sqlite3_reset(s);
	return found;
}
