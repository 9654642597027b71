/* Container instances: registration rows, lookups, and the describe shape
 * with remaining resources and task counts computed from the tasks table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

void
instance_row_clear(struct instance_row *r)
{
	if (r == NULL)
		return;
	free(r->arn);
	free(r->id);
	free(r->ec2_instance_id);
	free(r->status);
	cJSON_Delete(r->ports);
	cJSON_Delete(r->ports_udp);
	cJSON_Delete(r->attributes);
	memset(r, 0, sizeof *r);
}

void
instance_rows_free(struct instance_row *rows, size_t n)
{
	size_t	i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++)
		instance_row_clear(&rows[i]);
	free(rows);
}

/* Both statements number their parameters as instance_write binds them
 * (the update leaves cluster and id, ?2 and ?3, as they are). */
static const char SQL_INSTANCE_INSERT[] =
    "INSERT INTO container_instances (arn, cluster, id, ec2_instance_id, "
    "status, agent_connected, simulated, cpu, memory, ports, ports_udp, "
    "version, registered_at, updated_at, doc) "
    "VALUES (?1, ?2, ?3, ?4, 'ACTIVE', 1, 1, ?5, ?6, ?7, ?8, 0, ?9, ?9, ?10)";
static const char SQL_INSTANCE_UPDATE[] =
    "UPDATE container_instances SET ec2_instance_id = ?4, agent_connected = 1, "
    "cpu = ?5, memory = ?6, ports = ?7, ports_udp = ?8, updated_at = ?9, "
    "doc = ?10 WHERE arn = ?1";

static int
instance_write(struct store *st, const char *sql,
    const struct instance_spec *sp, int64_t now, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, sql);

	bind_text(s, 1, sp->arn);
	bind_text(s, 2, sp->cluster);
	bind_text(s, 3, sp->id);
	bind_text(s, 4, sp->ec2_instance_id);
	bind_int(s, 5, sp->cpu);
	bind_int(s, 6, sp->memory);
	bind_json(s, 7, sp->ports);
	bind_json(s, 8, sp->ports_udp);
	bind_int(s, 9, now);
	bind_json(s, 10, sp->doc);
	return store_exec_stmt(st, s, e);
}

int
store_instance_insert(struct store *st, const struct instance_spec *sp,
    int64_t now, struct err *e)
{
	return instance_write(st, SQL_INSTANCE_INSERT, sp, now, e);
}

int
store_instance_update(struct store *st, const struct instance_spec *sp,
    int64_t now, struct err *e)
{
	return instance_write(st, SQL_INSTANCE_UPDATE, sp, now, e);
}

static const char SQL_INSTANCE_FIND[] =
    "SELECT arn, status FROM container_instances "
    "WHERE cluster = ?1 AND (arn = ?2 OR id = ?2)";

int
store_instance_find(struct store *st, const char *cluster, const char *ref,
    char **arn, char **status, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_INSTANCE_FIND);
	int		 rc, ret = -1;

	if (arn != NULL)
		*arn = NULL;
	if (status != NULL)
		*status = NULL;
	bind_text(s, 1, cluster);
	bind_text(s, 2, ref);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (arn != NULL)
			*arn = col_dup(s, 0);
		if (status != NULL)
			*status = col_dup(s, 1);
		ret = 0;
	} else if (rc == SQLITE_DONE)
		err_set(e, ERR_RESOURCE_NOT_FOUND, "container instance %s was "
		    "not found in cluster %s", ref, cluster);
	else
		store_fail(st, e, "finding a container instance");
	sqlite3_reset(s);
	return ret;
}

static const char SQL_INSTANCE_FIND_EC2[] =
    "SELECT arn FROM container_instances WHERE cluster = ?1 AND "
    "ec2_instance_id = ?2 AND status != 'INACTIVE' ORDER BY registered_at "
    "LIMIT 1";

int
store_instance_find_ec2(struct store *st, const char *cluster,
    const char *ec2, char **arn, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_INSTANCE_FIND_EC2);
	int		 rc, ret = 0;

	*arn = NULL;
	bind_text(s, 1, cluster);
	bind_text(s, 2, ec2);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*arn = col_dup(s, 0);
	else if (rc != SQLITE_DONE)
		ret = store_fail(st, e, "finding an EC2 instance");
	sqlite3_reset(s);
	return ret;
}

static const char SQL_INSTANCE_SET_STATUS[] =
    "UPDATE container_instances SET status = ?2 WHERE arn = ?1";

int
store_instance_set_status(struct store *st, const char *arn,
    const char *status, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_INSTANCE_SET_STATUS);

	bind_text(s, 1, arn);
	bind_text(s, 2, status);
	return store_exec_stmt(st, s, e);
}

static const char SQL_INSTANCE_SET_CONNECTED[] =
    "UPDATE container_instances SET agent_connected = ?2 WHERE arn = ?1";

int
store_instance_set_connected(struct store *st, const char *arn,
    int connected, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_INSTANCE_SET_CONNECTED);

	bind_text(s, 1, arn);
	bind_int(s, 2, connected != 0);
	return store_exec_stmt(st, s, e);
}

static const char SQL_INSTANCE_TOUCH[] =
    "UPDATE container_instances SET version = version + 1, updated_at = ?2 "
    "WHERE arn = ?1";

int
store_instance_touch(struct store *st, const char *arn, int64_t now,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_INSTANCE_TOUCH);

	bind_text(s, 1, arn);
	bind_int(s, 2, now);
	if (store_exec_stmt(st, s, e) != 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return err_set(e, ERR_RESOURCE_NOT_FOUND, "container instance %s "
		    "not found", arn);
	return 0;
}

/* Runs a one-row, one-integer query with text parameters p1 and p2. */
static int
count_query(struct store *st, const char *sql, const char *p1,
    const char *p2, int64_t *n, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, sql);
	int		 ret = 0;

	bind_text(s, 1, p1);
	if (p2 != NULL)
		bind_text(s, 2, p2);
	*n = 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	else
		ret = store_fail(st, e, "counting");
	sqlite3_reset(s);
	return ret;
}

static const char SQL_INSTANCE_COUNT[] =
    "SELECT COUNT(*) FROM container_instances "
    "WHERE cluster = ?1 AND status != 'INACTIVE'";

int
store_instance_count(struct store *st, const char *cluster, int64_t *n,
    struct err *e)
{
	return count_query(st, SQL_INSTANCE_COUNT, cluster, NULL, n, e);
}

static const char SQL_INSTANCE_BUSY[] =
    "SELECT COUNT(*) FROM tasks WHERE instance_arn = ?1 AND "
    "stopped_at IS NULL AND desired_status = 'RUNNING'";

int
store_instance_busy_tasks(struct store *st, const char *arn, int64_t *n,
    struct err *e)
{
	return count_query(st, SQL_INSTANCE_BUSY, arn, NULL, n, e);
}

static const char SQL_INSTANCE_ARNS_ALL[] =
    "SELECT arn FROM container_instances WHERE cluster = ?1 AND "
    "status != 'INACTIVE' ORDER BY registered_at, rowid LIMIT ?3 OFFSET ?2";
static const char SQL_INSTANCE_ARNS_STATUS[] =
    "SELECT arn FROM container_instances WHERE cluster = ?1 AND "
    "status = ?4 ORDER BY registered_at, rowid LIMIT ?3 OFFSET ?2";
static const char SQL_INSTANCE_COUNT_STATUS[] =
    "SELECT COUNT(*) FROM container_instances "
    "WHERE cluster = ?1 AND status = ?2";

int
store_instance_arns(struct store *st, const char *cluster, const char *status,
    int64_t offset, int64_t limit, cJSON *out, int64_t *total, struct err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (status == NULL) {
		if (count_query(st, SQL_INSTANCE_COUNT, cluster, NULL, total,
		    e) != 0)
			return -1;
		s = store_stmt(st, SQL_INSTANCE_ARNS_ALL);
	} else {
		if (count_query(st, SQL_INSTANCE_COUNT_STATUS, cluster, status,
		    total, e) != 0)
			return -1;
		s = store_stmt(st, SQL_INSTANCE_ARNS_STATUS);
		bind_text(s, 4, status);
	}
	bind_text(s, 1, cluster);
	bind_int(s, 2, offset);
	bind_int(s, 3, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cJSON_AddItemToArray(out, cJSON_CreateString(col_text(s, 0)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, e, "listing container instances");
	return 0;
}

#define INSTANCE_ROW_COLS \
    "arn, id, ec2_instance_id, status, agent_connected, simulated, cpu, " \
    "memory, ports, ports_udp, registered_at"
static const char SQL_INSTANCE_LIST[] =
    "SELECT " INSTANCE_ROW_COLS " FROM container_instances "
    "WHERE cluster = ?1 AND status != 'INACTIVE' ORDER BY registered_at, rowid";
static const char SQL_INSTANCE_ROW[] =
    "SELECT " INSTANCE_ROW_COLS " FROM container_instances WHERE arn = ?1";

static void
instance_row_read(sqlite3_stmt *s, struct instance_row *r)
{
	memset(r, 0, sizeof *r);
	r->arn = col_dup(s, 0);
	r->id = col_dup(s, 1);
	r->ec2_instance_id = col_dup(s, 2);
	r->status = col_dup(s, 3);
	r->agent_connected = sqlite3_column_int(s, 4);
	r->simulated = sqlite3_column_int(s, 5);
	r->cpu = sqlite3_column_int64(s, 6);
	r->memory = sqlite3_column_int64(s, 7);
	r->ports = col_json(s, 8);
	r->ports_udp = col_json(s, 9);
	r->registered_at = sqlite3_column_int64(s, 10);
}

int
store_instance_rows(struct store *st, const char *cluster,
    struct instance_row **rows, size_t *n, struct err *e)
{
	sqlite3_stmt		*s = store_stmt(st, SQL_INSTANCE_LIST);
	struct instance_row	*v = NULL;
	size_t			 len = 0, cap = 0;
	int			 rc;

	bind_text(s, 1, cluster);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, len, &cap, sizeof *v);
		instance_row_read(s, &v[len++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		instance_rows_free(v, len);
		return store_fail(st, e, "listing container instances");
	}
	*rows = v;
	*n = len;
	return 0;
}

int
store_instance_row(struct store *st, const char *arn,
    struct instance_row *out, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_INSTANCE_ROW);
	int		 rc;

	memset(out, 0, sizeof *out);
	bind_text(s, 1, arn);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		instance_row_read(s, out);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, e, "reading a container instance");
}

int
store_instance_list(struct store *st, const char *cluster,
    struct instance_row **rows, size_t *n, struct err *e)
{
	size_t	i;

	if (store_instance_rows(st, cluster, rows, n, e) != 0)
		return -1;
	/* Attributes after the scan: store_stmt would reset a shared cursor. */
	for (i = 0; i < *n; i++)
		(*rows)[i].attributes = store_attributes_of(st, cluster,
		    (*rows)[i].arn);
	return 0;
}

void
instance_facts_free(struct instance_facts *rows, size_t n)
{
	size_t	i, j;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(rows[i].arn);
		free(rows[i].ec2_instance_id);
		free(rows[i].agent_version);
		for (j = 0; j < rows[i].nattrs; j++) {
			free(rows[i].attrs[j].name);
			free(rows[i].attrs[j].value);
		}
		free(rows[i].attrs);
		for (j = 0; j < rows[i].ngroups; j++)
			free(rows[i].groups[j]);
		free(rows[i].groups);
	}
	free(rows);
}

/*
 * The three statements select the same instances in the same order
 * (registration time, then rowid), so attributes and tasks are matched to
 * their instance by walking both lists together.
 */
#define FACTS_INSTANCES \
    "ci.cluster = ?1 AND ((?2 IS NULL AND ci.status != 'INACTIVE') OR " \
    "ci.status = ?2)"
static const char SQL_FACTS_INSTANCES[] =
    "SELECT ci.arn, ci.ec2_instance_id, ci.agent_connected, "
    "ci.registered_at, json_extract(ci.doc, '$.versionInfo.agentVersion') "
    "FROM container_instances ci WHERE " FACTS_INSTANCES
    " ORDER BY ci.registered_at, ci.rowid";
static const char SQL_FACTS_ATTRIBUTES[] =
    "SELECT a.target_id, a.name, a.value FROM attributes a "
    "JOIN container_instances ci ON ci.arn = a.target_id "
    "WHERE a.cluster = ?1 AND " FACTS_INSTANCES
    " ORDER BY ci.registered_at, ci.rowid, a.rowid";
static const char SQL_FACTS_TASKS[] =
    "SELECT t.instance_arn, t.grp, t.desired_status = 'RUNNING' FROM tasks t "
    "JOIN container_instances ci ON ci.arn = t.instance_arn "
    "WHERE t.stopped_at IS NULL AND " FACTS_INSTANCES
    " ORDER BY ci.registered_at, ci.rowid, t.created_at, t.rowid";

/* The row of rows, from *k on, whose ARN is arn; NULL when none. */
static struct instance_facts *
facts_seek(struct instance_facts *rows, size_t n, size_t *k, const char *arn)
{
	while (*k < n && strcmp(rows[*k].arn, arn) != 0)
		(*k)++;
	return *k < n ? &rows[*k] : NULL;
}

static void
facts_attribute(struct instance_facts *f, sqlite3_stmt *s)
{
	struct instance_attr	*a;

	f->attrs = xrealloc(f->attrs, (f->nattrs + 1) * sizeof *f->attrs);
	a = &f->attrs[f->nattrs++];
	a->name = col_dup(s, 1);
	a->value = col_dup(s, 2);
}

/* A live task: its group, once, and whether it counts as running. */
static void
facts_task(struct instance_facts *f, sqlite3_stmt *s)
{
	const char	*group = col_text(s, 1);
	size_t		 i;

	f->running_tasks += sqlite3_column_int(s, 2);
	for (i = 0; i < f->ngroups; i++)
		if (strcmp(f->groups[i], group) == 0)
			return;
	f->groups = xrealloc(f->groups, (f->ngroups + 1) * sizeof *f->groups);
	f->groups[f->ngroups++] = xstrdup(group);
}

/* Runs sql and hands each row to the instance its first column names. */
static int
facts_each(struct store *st, const char *sql, const char *cluster,
    const char *status, struct instance_facts *v, size_t len,
    void (*fn)(struct instance_facts *, sqlite3_stmt *))
{
	sqlite3_stmt		*s = store_stmt(st, sql);
	struct instance_facts	*f;
	size_t			 k = 0;
	int			 rc;

	bind_text(s, 1, cluster);
	bind_text(s, 2, status);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((f = facts_seek(v, len, &k, col_text(s, 0))) != NULL)
			fn(f, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_instance_facts(struct store *st, const char *cluster,
    const char *status, struct instance_facts **rows, size_t *n,
    struct err *e)
{
	sqlite3_stmt		*s = store_stmt(st, SQL_FACTS_INSTANCES);
	struct instance_facts	*v = NULL, *f;
	size_t			 len = 0, cap = 0;
	int			 rc;

	*rows = NULL;
	*n = 0;
	bind_text(s, 1, cluster);
	bind_text(s, 2, status);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, len, &cap, sizeof *v);
		f = &v[len++];
		f->arn = col_dup(s, 0);
		f->ec2_instance_id = col_dup(s, 1);
		f->agent_connected = sqlite3_column_int(s, 2);
		f->registered_at = sqlite3_column_int64(s, 3);
		f->agent_version = col_dup(s, 4);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE ||
	    facts_each(st, SQL_FACTS_ATTRIBUTES, cluster, status, v, len,
	    facts_attribute) != 0 ||
	    facts_each(st, SQL_FACTS_TASKS, cluster, status, v, len,
	    facts_task) != 0) {
		instance_facts_free(v, len);
		return store_fail(st, e, "reading container instances for a "
		    "query");
	}
	*rows = v;
	*n = len;
	return 0;
}

/*
 * ECS writes every resource with all three numeric members, and
 * stringSetValue only for STRINGSET ones.
 */
static cJSON *
resource_int(const char *name, int64_t v)
{
	cJSON	*r = cJSON_CreateObject();

	json_add_string(r, "name", name);
	json_add_string(r, "type", "INTEGER");
	json_add_number(r, "doubleValue", 0.0);
	json_add_number(r, "longValue", 0);
	json_add_number(r, "integerValue", (double)v);
	return r;
}

/* Whether set (strings) holds port. */
static int
ports_have(const cJSON *set, int port)
{
	const cJSON	*q;

	cJSON_ArrayForEach(q, set)
		if (atoi(q->valuestring) == port)
			return 1;
	return 0;
}

static void
ports_add(cJSON *set, int port)
{
	char	buf[INT_TEXT_LEN];

	cJSON_AddItemToArray(set, cJSON_CreateString(int_text(port, buf)));
}

static int
int_order(const void *a, const void *b)
{
	int	x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/*
 * A STRINGSET of ports: the registered ones as registered, then those the
 * tasks use (used: an array of port arrays) in ascending order, so that
 * it does not depend on the order the tasks come in.
 */
static cJSON *
resource_ports(const char *name, const cJSON *registered, const cJSON *used)
{
	cJSON		*r = cJSON_CreateObject(), *set;
	const cJSON	*u, *p;
	int		*add = NULL;
	size_t		 n = 0, cap = 0, i;

	json_add_string(r, "name", name);
	json_add_string(r, "type", "STRINGSET");
	json_add_number(r, "doubleValue", 0.0);
	json_add_number(r, "longValue", 0);
	json_add_number(r, "integerValue", 0);
	set = cJSON_AddArrayToObject(r, "stringSetValue");
	cJSON_ArrayForEach(p, registered)
		if (cJSON_IsNumber(p) && !ports_have(set, p->valueint))
			ports_add(set, p->valueint);
	cJSON_ArrayForEach(u, used)
		cJSON_ArrayForEach(p, u)
			if (cJSON_IsNumber(p) && !ports_have(set, p->valueint)) {
				add = xgrow(add, n, &cap, sizeof *add);
				add[n++] = p->valueint;
			}
	if (n > 1)
		qsort(add, n, sizeof *add, int_order);
	for (i = 0; i < n; i++)
		if (i == 0 || add[i] != add[i - 1])
			ports_add(set, add[i]);
	free(add);
	return r;
}

static const char SQL_INSTANCE_GET[] =
    "SELECT cluster, ec2_instance_id, status, agent_connected, cpu, memory, "
    "ports, ports_udp, version, registered_at, doc "
    "FROM container_instances WHERE arn = ?1";
static const char SQL_INSTANCE_USAGE[] =
    "SELECT cpu, memory, desired_status = 'RUNNING', "
    "(last_status = 'PROVISIONING' OR last_status = 'PENDING' OR "
    "last_status = 'ACTIVATING'), ports, "
    "ports_udp FROM tasks WHERE instance_arn = ?1 AND "
    "stopped_at IS NULL ORDER BY created_at, arn";

static int
instance_usage(struct store *st, const char *arn, struct instance_usage *u,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_INSTANCE_USAGE);
	int		 rc;

	memset(u, 0, sizeof *u);
	u->ports = cJSON_CreateArray();
	u->ports_udp = cJSON_CreateArray();
	bind_text(s, 1, arn);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		u->cpu += sqlite3_column_int64(s, 0);
		u->memory += sqlite3_column_int64(s, 1);
		u->running += sqlite3_column_int64(s, 2);
		u->pending += sqlite3_column_int64(s, 3);
		cJSON_AddItemToArray(u->ports, col_json(s, 4));
		cJSON_AddItemToArray(u->ports_udp, col_json(s, 5));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(u->ports);
		cJSON_Delete(u->ports_udp);
		return store_fail(st, e, "summing an instance's tasks");
	}
	return 0;
}

static cJSON	*instance_describe(struct store *, const char *, int,
		    const char *, const struct instance_usage *, struct err *);

/* Adds registeredResources and remainingResources to ci. */
static void
add_resources(cJSON *ci, int64_t cpu, int64_t memory, const cJSON *ports,
    const cJSON *ports_udp, const cJSON *other, const struct instance_usage *u)
{
	cJSON		*reg, *rem;
	const cJSON	*o;
	int64_t		 cpu_left = cpu - u->cpu, mem_left = memory - u->memory;

	reg = cJSON_AddArrayToObject(ci, "registeredResources");
	cJSON_AddItemToArray(reg, resource_int("CPU", cpu));
	cJSON_AddItemToArray(reg, resource_int("MEMORY", memory));
	cJSON_AddItemToArray(reg, resource_ports("PORTS", ports, NULL));
	cJSON_AddItemToArray(reg, resource_ports("PORTS_UDP", ports_udp, NULL));
	rem = cJSON_AddArrayToObject(ci, "remainingResources");
	/* Never negative, even if a forced placement overbooked it. */
	cJSON_AddItemToArray(rem, resource_int("CPU", cpu_left < 0 ? 0 :
	    cpu_left));
	cJSON_AddItemToArray(rem, resource_int("MEMORY", mem_left < 0 ? 0 :
	    mem_left));
	cJSON_AddItemToArray(rem, resource_ports("PORTS", ports, u->ports));
	cJSON_AddItemToArray(rem, resource_ports("PORTS_UDP", ports_udp,
	    u->ports_udp));
	/* Other registered resources (GPU, ...) are shown as registered. */
	if (cJSON_IsArray(other))
		cJSON_ArrayForEach(o, other) {
			cJSON_AddItemToArray(reg, cJSON_Duplicate(o, 1));
			cJSON_AddItemToArray(rem, cJSON_Duplicate(o, 1));
		}
}

cJSON *
store_instance_describe(struct store *st, const char *arn, int with_tags,
    struct err *e)
{
	return instance_describe(st, arn, with_tags, NULL, NULL, e);
}

cJSON *
store_instance_describe_with(struct store *st, const char *arn,
    const char *attributes, const struct instance_usage *usage,
    struct err *e)
{
	return instance_describe(st, arn, 0, attributes, usage, e);
}

static cJSON *
instance_describe(struct store *st, const char *arn, int with_tags,
    const char *attributes, const struct instance_usage *usage,
    struct err *e)
{
	sqlite3_stmt		*s = store_stmt(st, SQL_INSTANCE_GET);
	struct instance_usage	 u;
	cJSON			*ci = NULL, *doc = NULL, *ports = NULL;
	cJSON			*ports_udp = NULL, *vi, *tags;
	char			*cluster = NULL, *ec2 = NULL, *status = NULL;
	int64_t			 cpu, memory, version, registered_at;
	int			 connected, rc;

	bind_text(s, 1, arn);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			err_set(e, ERR_RESOURCE_NOT_FOUND, "container instance "
			    "%s not found", arn);
		else
			store_fail(st, e, "reading a container instance");
		return NULL;
	}
	cluster = col_dup(s, 0);
	ec2 = col_dup(s, 1);
	status = col_dup(s, 2);
	connected = sqlite3_column_int(s, 3);
	cpu = sqlite3_column_int64(s, 4);
	memory = sqlite3_column_int64(s, 5);
	ports = col_json(s, 6);
	ports_udp = col_json(s, 7);
	version = sqlite3_column_int64(s, 8);
	registered_at = sqlite3_column_int64(s, 9);
	doc = col_json(s, 10);
	sqlite3_reset(s);

	if (usage == NULL) {
		if (instance_usage(st, arn, &u, e) != 0)
			goto out;
		usage = &u;
	}
	ci = cJSON_CreateObject();
	json_add_string(ci, "containerInstanceArn", arn);
	json_add_string(ci, "ec2InstanceId", ec2);
	json_add_number(ci, "version", (double)version);
	vi = cJSON_GetObjectItemCaseSensitive(doc, "versionInfo");
	json_add_item(ci, "versionInfo", cJSON_IsObject(vi) ?
	    cJSON_Duplicate(vi, 1) : cJSON_CreateObject());
	add_resources(ci, cpu, memory, ports, ports_udp,
	    cJSON_GetObjectItemCaseSensitive(doc, "otherResources"), usage);
	json_add_string(ci, "status", status);
	json_add_bool(ci, "agentConnected", connected);
	json_add_number(ci, "runningTasksCount", (double)usage->running);
	json_add_number(ci, "pendingTasksCount", (double)usage->pending);
	if (attributes != NULL)
		cJSON_AddRawToObject(ci, "attributes", attributes);
	else
		json_add_item(ci, "attributes", store_attributes_of(st,
		    cluster, arn));
	json_add_number(ci, "registeredAt", (double)registered_at /
	    1000.0);
	json_add_item(ci, "attachments", cJSON_CreateArray());
	if (with_tags) {
		tags = store_tags_get(st, arn);
		json_add_item(ci, "tags", tags != NULL ? tags :
		    cJSON_CreateArray());
	}
	if (usage == &u) {
		cJSON_Delete(u.ports);
		cJSON_Delete(u.ports_udp);
	}
out:
	free(cluster);
	free(ec2);
	free(status);
	cJSON_Delete(ports);
	cJSON_Delete(ports_udp);
	cJSON_Delete(doc);
	return ci;
}

/* Deregistered instances: their attributes, tags and rows. */
static const char SQL_INSTANCE_PURGE_ATTRIBUTES[] =
    "DELETE FROM attributes WHERE target_id IN (SELECT arn FROM "
    "container_instances WHERE status = 'INACTIVE' AND updated_at <= ?1)";
static const char SQL_INSTANCE_PURGE_TAGS[] =
    "DELETE FROM tags WHERE resource_arn IN (SELECT arn FROM "
    "container_instances WHERE status = 'INACTIVE' AND updated_at <= ?1)";
static const char SQL_INSTANCE_PURGE_CLOCKS[] =
    "DELETE FROM clocks WHERE resource IN (SELECT arn FROM "
    "container_instances WHERE status = 'INACTIVE' AND updated_at <= ?1)";
static const char SQL_INSTANCE_PURGE[] =
    "DELETE FROM container_instances WHERE status = 'INACTIVE' AND "
    "updated_at <= ?1";

int
store_instance_purge(struct store *st, int64_t before, struct err *e)
{
	static const char *const sql[] = { SQL_INSTANCE_PURGE_ATTRIBUTES,
	    SQL_INSTANCE_PURGE_TAGS, SQL_INSTANCE_PURGE_CLOCKS,
	    SQL_INSTANCE_PURGE };

	return store_purge_rows(st, sql, sizeof sql / sizeof sql[0], before, e);
}

static const char SQL_INSTANCE_OLDEST_INACTIVE[] =
    "SELECT MIN(updated_at) FROM container_instances WHERE "
    "status = 'INACTIVE'";

int64_t
store_instance_oldest_inactive(struct store *st)
{
	return store_int_query(st, SQL_INSTANCE_OLDEST_INACTIVE, NULL);
}
