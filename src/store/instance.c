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

/*
 * Each instance's row as ci_pack packs it, kept from one packing to the
 * next: every task placed on or stopped from an instance makes an event
 * of the instance, and at full size the engine read the row back 100,000
 * times. A kept row serves while the store's generation stands (a
 * rollback, a reset and another connection's commit move it on); every
 * write below but the touch forgets it, and the touch bumps its version
 * as it bumps the row's, found by the kept rowid.
 */
struct kept_ci {
	char		*arn;		/* the table's key */
	uint64_t	 generation;	/* the store's when read; 0: none */
	int64_t		 rowid;
	char		*cluster, *ec2, *status;
	int		 connected;
	int64_t		 cpu, memory, version, registered_at;
	cJSON		*ports, *ports_udp, *doc;
	/* registeredResources, packed once: every event has it. */
	char		*registered;
	size_t		 nregistered;
};

static void pack_resources(struct json_out *, const struct kept_ci *,
		    const struct instance_usage *);

static void
kept_clear(struct kept_ci *k)
{
	free(k->cluster);
	free(k->ec2);
	free(k->status);
	cJSON_Delete(k->ports);
	cJSON_Delete(k->ports_udp);
	cJSON_Delete(k->doc);
	free(k->registered);
	k->cluster = k->ec2 = k->status = k->registered = NULL;
	k->ports = k->ports_udp = k->doc = NULL;
	k->nregistered = 0;
	k->generation = 0;
}

void
kept_instances_init(struct table *kt)
{
	table_init(kt, sizeof(struct kept_ci));
}

void
kept_instances_free(struct table *kt)
{
	size_t	i;

	for (i = 0; i < kt->nslots; i++)
		kept_clear(table_at(kt, i));
	table_free(kt);
}

static void
kept_forget(struct store *st, const char *arn)
{
	struct kept_ci	*k = table_find(&st->kept_instances, arn);

	if (k != NULL)
		kept_clear(k);
}

static const char SQL_INSTANCE_GET[] =
    "SELECT rowid, cluster, ec2_instance_id, status, agent_connected, cpu, "
    "memory, ports, ports_udp, version, registered_at, doc "
    "FROM container_instances WHERE arn = ?1";

/* Reads instance arn's row into k: 1 found, 0 not, -1 error. */
static int
kept_read(struct store *st, const char *arn, struct kept_ci *k,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_INSTANCE_GET);
	struct json_out	 o;
	int		 rc;

	bind_text(s, 1, arn);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			return 0;
		return store_fail(st, e, "reading a container instance");
	}
	k->rowid = sqlite3_column_int64(s, 0);
	k->cluster = col_dup(s, 1);
	k->ec2 = col_dup(s, 2);
	k->status = col_dup(s, 3);
	k->connected = sqlite3_column_int(s, 4);
	k->cpu = sqlite3_column_int64(s, 5);
	k->memory = sqlite3_column_int64(s, 6);
	k->ports = col_json(s, 7);
	k->ports_udp = col_json(s, 8);
	k->version = sqlite3_column_int64(s, 9);
	k->registered_at = sqlite3_column_int64(s, 10);
	k->doc = col_json(s, 11);
	sqlite3_reset(s);
	memset(&o, 0, sizeof o);
	pack_resources(&o, k, NULL);
	k->registered = o.buf;
	k->nregistered = o.len;
	k->generation = st->generation;
	return 1;
}

#ifdef ECSIM_CHECK_VIEWS
static int
kept_same(const struct kept_ci *a, const struct kept_ci *b)
{
	return a->rowid == b->rowid && strcmp(a->cluster, b->cluster) == 0 &&
	    strcmp(a->ec2, b->ec2) == 0 && strcmp(a->status, b->status) == 0 &&
	    a->connected == b->connected && a->cpu == b->cpu &&
	    a->memory == b->memory && a->version == b->version &&
	    a->registered_at == b->registered_at &&
	    cJSON_Compare(a->ports, b->ports, 1) &&
	    cJSON_Compare(a->ports_udp, b->ports_udp, 1) &&
	    cJSON_Compare(a->doc, b->doc, 1);
}
#endif

/* Instance arn's row, kept or read now; NULL with e set when there is
 * none. It stays the store's until the next kept_row or write. */
static const struct kept_ci *
kept_row(struct store *st, const char *arn, struct err *e)
{
	struct kept_ci	*k = table_find(&st->kept_instances, arn), row;
	int		 found, made;
#ifdef ECSIM_CHECK_VIEWS
	int		 same;
#endif

	memset(&row, 0, sizeof row);
	if (k != NULL && k->generation == st->generation) {
#ifdef ECSIM_CHECK_VIEWS
		found = kept_read(st, arn, &row, e);
		same = found == 1 && kept_same(k, &row);
		kept_clear(&row);
		if (found < 0)
			return NULL;
		if (!same) {
			err_set(e, ERR_INTERNAL, "the kept row of container "
			    "instance %s differs from the store's", arn);
			return NULL;
		}
#endif
		return k;
	}
	if ((found = kept_read(st, arn, &row, e)) <= 0) {
		if (found == 0)
			err_set(e, ERR_RESOURCE_NOT_FOUND, "container instance "
			    "%s not found", arn);
		return NULL;
	}
	k = table_get(&st->kept_instances, arn, &made);
	kept_clear(k);
	row.arn = k->arn;
	*k = row;
	return k;
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
	kept_forget(st, sp->arn);
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
	kept_forget(st, arn);
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
	kept_forget(st, arn);
	return store_exec_stmt(st, s, e);
}

static const char SQL_INSTANCE_TOUCH[] =
    "UPDATE container_instances SET version = version + 1, updated_at = ?2 "
    "WHERE arn = ?1";
static const char SQL_INSTANCE_TOUCH_ROWID[] =
    "UPDATE container_instances SET version = version + 1, updated_at = ?2 "
    "WHERE rowid = ?1";

int
store_instance_touch(struct store *st, const char *arn, int64_t now,
    struct err *e)
{
	struct kept_ci	*k = table_find(&st->kept_instances, arn);
	sqlite3_stmt	*s;

	if (k != NULL && k->generation == st->generation) {
		s = store_stmt(st, SQL_INSTANCE_TOUCH_ROWID);
		bind_int(s, 1, k->rowid);
	} else {
		k = NULL;
		s = store_stmt(st, SQL_INSTANCE_TOUCH);
		bind_text(s, 1, arn);
	}
	bind_int(s, 2, now);
	if (store_exec_stmt(st, s, e) != 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return err_set(e, ERR_RESOURCE_NOT_FOUND, "container instance %s "
		    "not found", arn);
	if (k != NULL)
		k->version++;
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
 * The ContainerInstance shape, packed straight from the instance's row
 * (util/json.c's packing): the API unpacks it, and an instance's event,
 * which the engine writes at every task placed or stopped, is the packing
 * itself, in the event's order, with no tree built and freed.
 */
enum ci_member {
	CI_AGENT_CONNECTED, CI_ATTACHMENTS, CI_ATTRIBUTES, CI_CLUSTER_ARN,
	CI_ARN, CI_EC2, CI_PENDING, CI_REGISTERED_AT, CI_REGISTERED,
	CI_REMAINING, CI_RUNNING, CI_STATUS, CI_TAGS, CI_UPDATED_AT,
	CI_VERSION, CI_VERSION_INFO
};
/* DescribeContainerInstances writes them so. */
static const enum ci_member API_ORDER[] = { CI_ARN, CI_EC2, CI_VERSION,
	CI_VERSION_INFO, CI_REGISTERED, CI_REMAINING, CI_STATUS,
	CI_AGENT_CONNECTED, CI_RUNNING, CI_PENDING, CI_ATTRIBUTES,
	CI_REGISTERED_AT, CI_ATTACHMENTS, CI_TAGS };
/* The detail of "ECS Container Instance State Change", as ECS writes it. */
static const enum ci_member EVENT_ORDER[] = { CI_AGENT_CONNECTED,
	CI_ATTRIBUTES, CI_CLUSTER_ARN, CI_ARN, CI_EC2, CI_REGISTERED,
	CI_REMAINING, CI_STATUS, CI_VERSION, CI_VERSION_INFO, CI_UPDATED_AT };

/* What a packing is made of: the row, the tasks' usage, and the rest. */
struct ci_pack {
	const char			*arn;
	const struct kept_ci		*row;
	const struct instance_usage	*usage;
	const char			*attributes;	/* text; NULL: read */
	int				 with_tags;
	const char			*cluster_arn, *updated_at; /* event */
};

/*
 * A resource: ECS writes every one with all three numeric members, and
 * stringSetValue only for STRINGSET ones. ports, for a STRINGSET, are its
 * n values.
 */
static void
pack_resource(struct json_out *o, const char *name, int64_t v,
    const int *ports, size_t n, int set)
{
	char	buf[INT_TEXT_LEN];
	size_t	i;

	json_pack_open(o, 1);
	json_pack_string_member(o, "name", name);
	json_pack_string_member(o, "type", set ? "STRINGSET" : "INTEGER");
	json_pack_number_member(o, "doubleValue", 0.0);
	json_pack_number_member(o, "longValue", 0);
	json_pack_number_member(o, "integerValue", (double)v);
	if (set) {
		json_pack_key(o, "stringSetValue");
		json_pack_open(o, 0);
		for (i = 0; i < n; i++)
			json_pack_string(o, int_text(ports[i], buf));
		json_pack_close(o, 0);
	}
	json_pack_close(o, 1);
}

static int
ports_have(const int *v, size_t n, int port)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (v[i] == port)
			return 1;
	return 0;
}

static int
int_order(const void *a, const void *b)
{
	int	x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/*
 * A PORTS or PORTS_UDP resource: the registered ports (reserved) in their
 * order, then the ports the tasks in used (arrays of port arrays) book
 * besides, in ascending order; each port once.
 */
static void
pack_ports(struct json_out *o, const char *name, const cJSON *registered,
    const cJSON *used)
{
	const cJSON	*u, *p;
	int		*v = NULL;
	size_t		 n = 0, cap = 0, nreg, i, k;

	cJSON_ArrayForEach(p, registered)
		if (cJSON_IsNumber(p) && !ports_have(v, n, p->valueint)) {
			v = xgrow(v, n, &cap, sizeof *v);
			v[n++] = p->valueint;
		}
	nreg = n;
	cJSON_ArrayForEach(u, used)
		cJSON_ArrayForEach(p, u)
			if (cJSON_IsNumber(p) &&
			    !ports_have(v, nreg, p->valueint)) {
				v = xgrow(v, n, &cap, sizeof *v);
				v[n++] = p->valueint;
			}
	if (n - nreg > 1)
		qsort(v + nreg, n - nreg, sizeof *v, int_order);
	for (i = k = nreg; i < n; i++)
		if (i == nreg || v[i] != v[i - 1])
			v[k++] = v[i];
	pack_resource(o, name, 0, v, k, 1);
	free(v);
}

/* registeredResources (used NULL) or remainingResources. */
static void
pack_resources(struct json_out *o, const struct kept_ci *row,
    const struct instance_usage *used)
{
	const cJSON	*other = json_member(row->doc, "otherResources"), *r;
	int64_t		 cpu = row->cpu, memory = row->memory;

	if (used != NULL) {
		/* Never negative, even if a forced placement overbooked. */
		cpu = cpu > used->cpu ? cpu - used->cpu : 0;
		memory = memory > used->memory ? memory - used->memory : 0;
	}
	json_pack_open(o, 0);
	pack_resource(o, "CPU", cpu, NULL, 0, 0);
	pack_resource(o, "MEMORY", memory, NULL, 0, 0);
	pack_ports(o, "PORTS", row->ports, used ? used->ports : NULL);
	pack_ports(o, "PORTS_UDP", row->ports_udp, used ? used->ports_udp : NULL);
	/* Other registered resources (GPU, ...) are shown as registered. */
	if (cJSON_IsArray(other))
		cJSON_ArrayForEach(r, other)
			json_pack(o, r);
	json_pack_close(o, 0);
}

static void
pack_ci_member(struct store *st, struct json_out *o, const struct ci_pack *c,
    enum ci_member m)
{
	const cJSON	*vi;
	cJSON		*j;

	switch (m) {
	case CI_AGENT_CONNECTED:
		json_pack_key(o, "agentConnected");
		json_pack_bool(o, c->row->connected);
		break;
	case CI_ATTACHMENTS:
		json_pack_empty_member(o, "attachments", 0);
		break;
	case CI_ATTRIBUTES:
		json_pack_key(o, "attributes");
		if (c->attributes != NULL) {
			json_pack_raw(o, c->attributes);
			break;
		}
		j = store_attributes_of(st, c->row->cluster, c->arn);
		json_pack(o, j);
		cJSON_Delete(j);
		break;
	case CI_CLUSTER_ARN:
		json_pack_string_member(o, "clusterArn", c->cluster_arn);
		break;
	case CI_ARN:
		json_pack_string_member(o, "containerInstanceArn", c->arn);
		break;
	case CI_EC2:
		json_pack_string_member(o, "ec2InstanceId", c->row->ec2);
		break;
	case CI_PENDING:
		json_pack_number_member(o, "pendingTasksCount", (double)c->usage->pending);
		break;
	case CI_REGISTERED_AT:
		json_pack_number_member(o, "registeredAt", (double)c->row->registered_at / 1000.0);
		break;
	case CI_REGISTERED:
		json_pack_key(o, "registeredResources");
		json_out_put(o, c->row->registered, c->row->nregistered);
		break;
	case CI_REMAINING:
		json_pack_key(o, "remainingResources");
		pack_resources(o, c->row, c->usage);
		break;
	case CI_RUNNING:
		json_pack_number_member(o, "runningTasksCount", (double)c->usage->running);
		break;
	case CI_STATUS:
		json_pack_string_member(o, "status", c->row->status);
		break;
	case CI_TAGS:
		if (!c->with_tags)
			break;
		if ((j = store_tags_get(st, c->arn)) == NULL) {
			json_pack_empty_member(o, "tags", 0);
			break;
		}
		json_pack_key(o, "tags");
		json_pack(o, j);
		cJSON_Delete(j);
		break;
	case CI_UPDATED_AT:
		json_pack_string_member(o, "updatedAt", c->updated_at);
		break;
	case CI_VERSION:
		json_pack_number_member(o, "version", (double)c->row->version);
		break;
	case CI_VERSION_INFO:
		vi = cJSON_GetObjectItemCaseSensitive(c->row->doc, "versionInfo");
		if (!cJSON_IsObject(vi)) {
			json_pack_empty_member(o, "versionInfo", 1);
			break;
		}
		json_pack_key(o, "versionInfo");
		json_pack(o, vi);
		break;
	}
}

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

/*
 * Packs instance c->arn into the store's packing buffer, its members in
 * order: its row, kept or read, and its tasks' usage unless c->usage has it. NULL
 * with e set when there is no such instance.
 */
static const struct json_out *
ci_pack(struct store *st, struct ci_pack *c, const enum ci_member *order,
    size_t n, struct err *e)
{
	struct json_out		*o = &st->packing;
	struct instance_usage	 u;
	size_t			 i;

	if ((c->row = kept_row(st, c->arn, e)) == NULL)
		return NULL;
	memset(&u, 0, sizeof u);
	if (c->usage == NULL) {
		if (instance_usage(st, c->arn, &u, e) != 0)
			return NULL;
		c->usage = &u;
	}
	o->len = 0;
	json_pack_open(o, 1);
	for (i = 0; i < n; i++)
		pack_ci_member(st, o, c, order[i]);
	json_pack_close(o, 1);
	if (c->usage == &u) {
		cJSON_Delete(u.ports);
		cJSON_Delete(u.ports_udp);
		c->usage = NULL;
	}
	return o;
}

cJSON *
store_instance_describe(struct store *st, const char *arn, int with_tags,
    struct err *e)
{
	struct ci_pack		 c;
	const struct json_out	*o;

	memset(&c, 0, sizeof c);
	c.arn = arn;
	c.with_tags = with_tags;
	if ((o = ci_pack(st, &c, API_ORDER, sizeof API_ORDER /
	    sizeof API_ORDER[0], e)) == NULL)
		return NULL;
	return json_unpack(o->buf, o->len);
}

const struct json_out *
store_instance_event_pack(struct store *st, const char *arn,
    const char *attributes, const struct instance_usage *usage,
    const char *cluster_arn, const char *updated_at, struct err *e)
{
	struct ci_pack	c;

	memset(&c, 0, sizeof c);
	c.arn = arn;
	c.attributes = attributes;
	c.usage = usage;
	c.cluster_arn = cluster_arn;
	c.updated_at = updated_at;
	return ci_pack(st, &c, EVENT_ORDER, sizeof EVENT_ORDER /
	    sizeof EVENT_ORDER[0], e);
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
	size_t			 i;

	/* Rowids may come back: nothing kept outlives a purge. */
	for (i = 0; i < st->kept_instances.nslots; i++)
		kept_clear(table_at(&st->kept_instances, i));
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
