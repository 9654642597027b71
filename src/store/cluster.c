/* Clusters: lookup by name or ARN, create, update, list, and the counts
 * DescribeClusters shows, computed from the instance, task and service
 * tables. Owns the clusters table. */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

void
cluster_row_clear(struct cluster_row *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->arn);
	free(r->status);
	cJSON_Delete(r->doc);
	memset(r, 0, sizeof *r);
}

cJSON *
store_cluster_doc_default(void)
{
	cJSON	*doc = cJSON_CreateObject(), *set, *s;

	set = cJSON_AddArrayToObject(doc, "settings");
	s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "name", "containerInsights");
	cJSON_AddStringToObject(s, "value", "disabled");
	cJSON_AddItemToArray(set, s);
	cJSON_AddArrayToObject(doc, "capacityProviders");
	cJSON_AddArrayToObject(doc, "defaultCapacityProviderStrategy");
	return doc;
}

static const char SQL_CLUSTER_BY_NAME[] =
    "SELECT name, arn, status, created_at, doc FROM clusters WHERE name = ?1";
static const char SQL_CLUSTER_BY_ARN[] =
    "SELECT name, arn, status, created_at, doc FROM clusters WHERE arn = ?1";

int
store_cluster_find(struct store *st, const char *ref, struct cluster_row *out,
    struct err *e)
{
	sqlite3_stmt	*s;
	int		 rc, ret;

	memset(out, 0, sizeof *out);
	if (ref == NULL || *ref == '\0')
		ref = "default";
	if (str_has_prefix(ref, "arn:"))
		s = store_stmt(st, SQL_CLUSTER_BY_ARN);
	else
		s = store_stmt(st, SQL_CLUSTER_BY_NAME);
	bind_text(s, 1, ref);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->name = col_dup(s, 0);
		out->arn = col_dup(s, 1);
		out->status = col_dup(s, 2);
		out->created_at = sqlite3_column_int64(s, 3);
		out->doc = col_json(s, 4);
		ret = 1;
	} else if (rc == SQLITE_DONE)
		ret = 0;
	else
		ret = store_fail(st, e, "looking up a cluster");
	sqlite3_reset(s);
	return ret;
}

int
store_cluster_resolve(struct store *st, const char *ref, char **name,
    struct err *e)
{
	struct cluster_row	r;
	int			found;

	*name = NULL;
	if ((found = store_cluster_find(st, ref, &r, e)) < 0)
		return -1;
	if (found == 0 || strcmp(r.status, "ACTIVE") != 0) {
		cluster_row_clear(&r);
		return err_set(e, ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
	}
	*name = r.name;
	r.name = NULL;
	cluster_row_clear(&r);
	return 0;
}

static const char SQL_CLUSTER_ENSURE[] =
    "INSERT INTO clusters (name, arn, status, created_at, doc) "
    "VALUES (?1, ?2, 'ACTIVE', ?3, ?4) ON CONFLICT (name) DO NOTHING";

/*
 * A cluster that was deleted stays INACTIVE here: "missing" means no row,
 * as with an account whose default cluster was deleted.
 */
int
store_cluster_ensure(struct store *st, const char *name, const char *arn,
    int64_t now, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_CLUSTER_ENSURE);
	cJSON		*doc = store_cluster_doc_default();
	int		 ret;

	bind_text(s, 1, name);
	bind_text(s, 2, arn);
	bind_int(s, 3, now);
	bind_json(s, 4, doc);
	ret = store_exec_stmt(st, s, e);
	cJSON_Delete(doc);
	return ret;
}

static const char SQL_CLUSTER_PUT[] =
    "INSERT INTO clusters (name, arn, status, created_at, doc) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET "
    "arn = excluded.arn, status = excluded.status, "
    "created_at = excluded.created_at, doc = excluded.doc";

int
store_cluster_put(struct store *st, const char *name, const char *arn,
    const char *status, int64_t created_at, const cJSON *doc, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_CLUSTER_PUT);

	bind_text(s, 1, name);
	bind_text(s, 2, arn);
	bind_text(s, 3, status);
	bind_int(s, 4, created_at);
	bind_json(s, 5, doc);
	return store_exec_stmt(st, s, e);
}

static const char SQL_CLUSTER_UPDATE[] =
    "UPDATE clusters SET status = ?2, doc = ?3 WHERE name = ?1";

int
store_cluster_update(struct store *st, const char *name, const char *status,
    const cJSON *doc, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_CLUSTER_UPDATE);

	bind_text(s, 1, name);
	bind_text(s, 2, status);
	bind_json(s, 3, doc);
	if (store_exec_stmt(st, s, e) != 0)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return err_set(e, ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
	return 0;
}

static const char SQL_CLUSTER_COUNT_ACTIVE[] =
    "SELECT COUNT(*) FROM clusters WHERE status = 'ACTIVE'";
static const char SQL_CLUSTER_LIST[] =
    "SELECT arn FROM clusters WHERE status = 'ACTIVE' ORDER BY name "
    "LIMIT ?1 OFFSET ?2";

int
store_cluster_list(struct store *st, int64_t offset, int64_t limit,
    cJSON *arns, int64_t *total, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_CLUSTER_COUNT_ACTIVE);
	int		 rc;

	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_fail(st, e, "counting clusters");
	}
	*total = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	s = store_stmt(st, SQL_CLUSTER_LIST);
	bind_int(s, 1, limit);
	bind_int(s, 2, offset);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cJSON_AddItemToArray(arns, cJSON_CreateString(col_text(s, 0)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, e, "listing clusters");
	return 0;
}

/* Maps a launch type to its slot in cluster_counts' arrays. */
static int
launch_slot(const char *lt)
{
	if (lt != NULL && strcmp(lt, "FARGATE") == 0)
		return 1;
	if (lt != NULL && strcmp(lt, "EXTERNAL") == 0)
		return 2;
	return 0;
}

static const char SQL_COUNT_INSTANCES[] =
    "SELECT COUNT(*) FROM container_instances "
    "WHERE cluster = ?1 AND status IN ('ACTIVE', 'DRAINING')";
static const char SQL_COUNT_TASKS[] =
    "SELECT launch_type, last_status, COUNT(*) FROM tasks "
    "WHERE cluster = ?1 AND stopped_at IS NULL AND last_status IN "
    "('PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING') "
    "GROUP BY launch_type, last_status";
/*
 * A service's launch type is in its doc; one that names a capacity
 * provider strategy instead counts as Fargate, the only providers ecsim
 * has.
 */
static const char SQL_COUNT_SERVICES[] =
    "SELECT CASE WHEN json_extract(doc, '$.launchType') IS NOT NULL "
    "THEN json_extract(doc, '$.launchType') "
    "WHEN json_array_length(doc, '$.capacityProviderStrategy') > 0 "
    "THEN 'FARGATE' ELSE 'EC2' END, status, COUNT(*) FROM services "
    "WHERE cluster = ?1 AND status IN ('ACTIVE', 'DRAINING') "
    "GROUP BY 1, 2";

int
store_cluster_counts(struct store *st, const char *name,
    struct cluster_counts *c, struct err *e)
{
	sqlite3_stmt	*s;
	const char	*status;
	int64_t		 n;
	int		 rc, slot;

	memset(c, 0, sizeof *c);
	s = store_stmt(st, SQL_COUNT_INSTANCES);
	bind_text(s, 1, name);
	if (sqlite3_step(s) == SQLITE_ROW)
		c->instances = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);

	s = store_stmt(st, SQL_COUNT_TASKS);
	bind_text(s, 1, name);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		slot = launch_slot(col_text(s, 0));
		status = col_text(s, 1);
		n = sqlite3_column_int64(s, 2);
		if (strcmp(status, "RUNNING") == 0) {
			c->running += n;
			c->running_by[slot] += n;
		} else {
			c->pending += n;
			c->pending_by[slot] += n;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, e, "counting a cluster's tasks");

	s = store_stmt(st, SQL_COUNT_SERVICES);
	bind_text(s, 1, name);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		slot = launch_slot(col_text(s, 0));
		status = col_text(s, 1);
		n = sqlite3_column_int64(s, 2);
		if (strcmp(status, "ACTIVE") == 0) {
			c->active_services += n;
			c->active_services_by[slot] += n;
		} else
			c->draining_services_by[slot] += n;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, e, "counting a cluster's services");
	return 0;
}

static const char SQL_HAS_SERVICES[] =
    "SELECT 1 FROM services WHERE cluster = ?1 "
    "AND status IN ('ACTIVE', 'DRAINING') LIMIT 1";
static const char SQL_HAS_INSTANCES[] =
    "SELECT 1 FROM container_instances WHERE cluster = ?1 "
    "AND status <> 'INACTIVE' LIMIT 1";
/* Live tasks through their own index, named so that SQLite, which has no
 * statistics, never walks another one and the stopped tasks with it. */
static const char SQL_HAS_TASKS[] =
    "SELECT 1 FROM tasks INDEXED BY tasks_live_cluster WHERE cluster = ?1 "
    "AND stopped_at IS NULL "
    "LIMIT 1";

static int
any_row(struct store *st, const char *sql, const char *name)
{
	sqlite3_stmt	*s = store_stmt(st, sql);
	int		 found;

	bind_text(s, 1, name);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return found;
}

/* ECS's own messages, in the order ECS checks. */
int
store_cluster_check_empty(struct store *st, const char *name, struct err *e)
{
	if (any_row(st, SQL_HAS_SERVICES, name))
		return err_set(e, ERR_CLUSTER_HAS_SERVICES, "The Cluster cannot "
		    "be deleted while Services are active.");
	if (any_row(st, SQL_HAS_INSTANCES, name))
		return err_set(e, ERR_CLUSTER_HAS_INSTANCES, "The Cluster "
		    "cannot be deleted while Container Instances are active.");
	if (any_row(st, SQL_HAS_TASKS, name))
		return err_set(e, ERR_CLUSTER_HAS_TASKS, "The Cluster cannot be "
		    "deleted while Tasks are active.");
	return 0;
}

static const char SQL_PROVIDER_SERVICES[] =
    "SELECT 1 FROM services, "
    "json_each(services.doc, '$.capacityProviderStrategy') AS j "
    "WHERE services.cluster = ?1 AND services.status <> 'INACTIVE' "
    "AND json_extract(j.value, '$.capacityProvider') = ?2 LIMIT 1";
static const char SQL_PROVIDER_TASKS[] =
    "SELECT 1 FROM tasks INDEXED BY tasks_live_cluster WHERE cluster = ?1 "
    "AND stopped_at IS NULL "
    "AND json_extract(doc, '$.capacityProviderName') = ?2 LIMIT 1";

int
store_cluster_provider_in_use(struct store *st, const char *name,
    const char *provider, struct err *e)
{
	const char	*sqls[] = { SQL_PROVIDER_SERVICES, SQL_PROVIDER_TASKS };
	sqlite3_stmt	*s;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
		s = store_stmt(st, sqls[i]);
		bind_text(s, 1, name);
		bind_text(s, 2, provider);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc == SQLITE_ROW)
			return 1;
		if (rc != SQLITE_DONE)
			return store_fail(st, e, "checking a capacity "
			    "provider's use");
	}
	return 0;
}
