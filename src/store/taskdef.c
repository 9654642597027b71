/* The task_definitions and task_definition_families tables: revisions,
 * status changes, look-ups by reference, and the task size rules (CPU and
 * memory strings, Fargate sizes) the API and the engine share. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/internal.h"

#define TASKDEF_MAX_REVISIONS	1000000
#define TASKDEF_ARN_PART	":task-definition/"

#define TASKDEF_COLS	"arn, status, registered_at, deregistered_at, doc"

/* Splits "<number><blanks><unit>"; unit may be empty. */
static int
size_split(const char *s, double *num, const char **unit)
{
	char	*end;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	*num = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(*num) || *num <= 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	*unit = end;
	return 0;
}

/* Scales num by mult when the result is a whole number that fits. */
static int
size_whole(double num, double mult, int64_t *out)
{
	double	v = num * mult;

	if (v != floor(v) || v < 1 || v > 1e12)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* A trailing unit, case-insensitive, then only blanks. */
static int
size_unit_is(const char *unit, const char *want)
{
	size_t	n = strlen(want);

	if (strncasecmp(unit, want, n) != 0)
		return 0;
	for (unit += n; *unit != '\0'; unit++)
		if (!isspace((unsigned char)*unit))
			return 0;
	return 1;
}

/* A whole number, or one with the unit that multiplies it by 1024. */
static int
parse_size(const char *s, const char *unit1024, int64_t *out)
{
	const char	*unit;
	double		 num;

	if (s == NULL || size_split(s, &num, &unit) != 0)
		return -1;
	if (*unit == '\0')
		return size_whole(num, 1, out);
	if (size_unit_is(unit, unit1024))
		return size_whole(num, 1024, out);
	return -1;
}

int
store_taskdef_parse_cpu(const char *s, int64_t *out)
{
	return parse_size(s, "vcpu", out);
}

int
store_taskdef_parse_memory(const char *s, int64_t *out)
{
	return parse_size(s, "gb", out);
}

/*
 * The Fargate task sizes: for each CPU value, memory from min to max in
 * steps. 256 CPU units is the exception: 512, 1024 and 2048 only.
 */
static const struct fargate_size {
	int64_t	cpu, min, max, step;
} fargate_sizes[] = {
	{ 256,		512,	2048,	0 },
	{ 512,		1024,	4096,	1024 },
	{ 1024,		2048,	8192,	1024 },
	{ 2048,		4096,	16384,	1024 },
	{ 4096,		8192,	30720,	1024 },
	{ 8192,		16384,	61440,	4096 },
	{ 16384,	32768,	122880,	8192 },
};

int
store_taskdef_fargate_size(int64_t cpu, int64_t memory)
{
	const struct fargate_size	*f;
	size_t				 i;

	for (i = 0; i < sizeof fargate_sizes / sizeof fargate_sizes[0]; i++) {
		f = &fargate_sizes[i];
		if (f->cpu != cpu)
			continue;
		if (memory < f->min || memory > f->max)
			return 0;
		if (f->step == 0)
			return memory == 512 || memory == 1024 || memory == 2048;
		return (memory - f->min) % f->step == 0;
	}
	return 0;
}

int
store_taskdef_ref_parse(const char *ref, char **family, int64_t *revision,
    struct err *e)
{
	const char	*p, *colon;
	char		*end;
	long long	 v;

	*family = NULL;
	*revision = 0;
	if (ref == NULL || *ref == '\0')
		return err_set(e, ERR_CLIENT, "Unable to describe task "
		    "definition.");
	p = ref;
	if (str_has_prefix(ref, "arn:")) {
		if ((p = strstr(ref, TASKDEF_ARN_PART)) == NULL)
			return err_set(e, ERR_CLIENT, "Unable to describe task "
			    "definition.");
		p += strlen(TASKDEF_ARN_PART);
		if (strchr(p, ':') == NULL)
			return err_set(e, ERR_CLIENT, "Unable to describe task "
			    "definition.");
	}
	if ((colon = strchr(p, ':')) == NULL) {
		*family = xstrdup(p);
		return 0;
	}
	errno = 0;
	v = strtoll(colon + 1, &end, 10);
	if (colon[1] == '\0' || !isdigit((unsigned char)colon[1]) ||
	    *end != '\0' || errno != 0 || v < 1)
		return err_set(e, ERR_CLIENT, "Invalid revision number. "
		    "Number: %.64s", colon + 1);
	*family = xstrndup(p, (size_t)(colon - p));
	*revision = v;
	return 0;
}

/* A row (TASKDEF_COLS) as the TaskDefinition shape. */
static cJSON *
taskdef_read(sqlite3_stmt *s)
{
	cJSON	*doc = col_json(s, 4);

	cJSON_DeleteItemFromObjectCaseSensitive(doc, "status");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "registeredAt");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "deregisteredAt");
	cJSON_AddStringToObject(doc, "status", col_text(s, 1));
	cJSON_AddNumberToObject(doc, "registeredAt",
	    (double)sqlite3_column_int64(s, 2) / 1000.0);
	if (sqlite3_column_type(s, 3) != SQLITE_NULL)
		cJSON_AddNumberToObject(doc, "deregisteredAt",
		    (double)sqlite3_column_int64(s, 3) / 1000.0);
	return doc;
}

static const char SQL_TD_BY_REV[] =
    "SELECT " TASKDEF_COLS " FROM task_definitions "
    "WHERE family = ?1 AND revision = ?2";
static const char SQL_TD_LATEST[] =
    "SELECT " TASKDEF_COLS " FROM task_definitions "
    "WHERE family = ?1 AND status = 'ACTIVE' ORDER BY revision DESC LIMIT 1";

cJSON *
store_taskdef_resolve(struct store *st, const char *ref, struct err *e)
{
	sqlite3_stmt	*s;
	cJSON		*doc = NULL;
	char		*family;
	int64_t		 revision;
	int		 rc;

	if (store_taskdef_ref_parse(ref, &family, &revision, e) != 0)
		return NULL;
	if (revision == 0) {
		s = store_stmt(st, SQL_TD_LATEST);
		bind_text(s, 1, family);
	} else {
		s = store_stmt(st, SQL_TD_BY_REV);
		bind_text(s, 1, family);
		bind_int(s, 2, revision);
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		doc = taskdef_read(s);
	else if (rc == SQLITE_DONE)
		err_set(e, ERR_CLIENT, "Unable to describe task definition.");
	else
		store_fail(st, e, "looking up a task definition");
	sqlite3_reset(s);
	free(family);
	return doc;
}

static const char SQL_TD_NEXT_REV[] =
    "INSERT INTO task_definition_families (family, last_revision) "
    "VALUES (?1, 1) ON CONFLICT (family) DO UPDATE "
    "SET last_revision = last_revision + 1 RETURNING last_revision";

int
store_taskdef_next_revision(struct store *st, const char *family,
    int64_t *revision, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TD_NEXT_REV);
	int		 ret = -1;

	bind_text(s, 1, family);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*revision = sqlite3_column_int64(s, 0);
		ret = 0;
	} else
		store_fail(st, e, "numbering a task definition revision");
	sqlite3_reset(s);
	if (ret == 0 && *revision > TASKDEF_MAX_REVISIONS)
		return err_set(e, ERR_LIMIT, "Family %s has reached the limit "
		    "of %d revisions.", family, TASKDEF_MAX_REVISIONS);
	return ret;
}

static const char SQL_TD_INSERT[] =
    "INSERT INTO task_definitions (arn, family, revision, status, "
    "registered_at, deregistered_at, doc) "
    "VALUES (?1, ?2, ?3, 'ACTIVE', ?4, NULL, ?5)";

int
store_taskdef_insert(struct store *st, const char *arn, const char *family,
    int64_t revision, int64_t registered_at, const cJSON *doc, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TD_INSERT);

	bind_text(s, 1, arn);
	bind_text(s, 2, family);
	bind_int(s, 3, revision);
	bind_int(s, 4, registered_at);
	bind_json(s, 5, doc);
	return store_exec_stmt(st, s, e);
}

static const char SQL_TD_DEREGISTER[] =
    "UPDATE task_definitions SET status = 'INACTIVE', deregistered_at = ?2 "
    "WHERE arn = ?1";
static const char SQL_TD_DELETE[] =
    "UPDATE task_definitions SET status = 'DELETE_IN_PROGRESS', "
    "doc = json_set(doc, '$.deleteRequestedAt', ?2 / 1000.0) WHERE arn = ?1";

int
store_taskdef_set_status(struct store *st, const char *arn,
    const char *status, int64_t at, struct err *e)
{
	sqlite3_stmt	*s;

	if (strcmp(status, "INACTIVE") == 0)
		s = store_stmt(st, SQL_TD_DEREGISTER);
	else if (strcmp(status, "DELETE_IN_PROGRESS") == 0)
		s = store_stmt(st, SQL_TD_DELETE);
	else
		return err_set(e, ERR_INTERNAL, "task definition status %s "
		    "cannot be set", status);
	bind_text(s, 1, arn);
	bind_int(s, 2, at);
	return store_exec_stmt(st, s, e);
}

/* ?1 family or NULL for all, ?2 status. */
static const char SQL_TD_LIST_ASC[] =
    "SELECT arn FROM task_definitions "
    "WHERE (?1 IS NULL OR family = ?1) AND status = ?2 "
    "ORDER BY family ASC, revision ASC";
static const char SQL_TD_LIST_DESC[] =
    "SELECT arn FROM task_definitions "
    "WHERE (?1 IS NULL OR family = ?1) AND status = ?2 "
    "ORDER BY family DESC, revision DESC";

int
store_taskdef_list(struct store *st, const char *family, const char *status,
    int desc, cJSON *arns, struct err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	s = store_stmt(st, desc ? SQL_TD_LIST_DESC : SQL_TD_LIST_ASC);
	bind_text(s, 1, family);
	bind_text(s, 2, status);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cJSON_AddItemToArray(arns, cJSON_CreateString(col_text(s, 0)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, e, "listing task definitions");
	return 0;
}

/* ?1 prefix or NULL, ?2 ACTIVE | INACTIVE | ALL. substr() rather than LIKE,
 * so '%' and '_' in a prefix match themselves. */
static const char SQL_TD_FAMILIES[] =
    "SELECT f.family FROM task_definition_families f "
    "WHERE (?1 IS NULL OR substr(f.family, 1, length(?1)) = ?1) "
    "AND (?2 = 'ALL' OR (?2 = 'ACTIVE') = EXISTS (SELECT 1 FROM "
    "task_definitions t WHERE t.family = f.family AND t.status = 'ACTIVE')) "
    "ORDER BY f.family";

int
store_taskdef_families(struct store *st, const char *prefix,
    const char *status, cJSON *families, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TD_FAMILIES);
	int		 rc;

	bind_text(s, 1, prefix);
	bind_text(s, 2, status);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cJSON_AddItemToArray(families,
		    cJSON_CreateString(col_text(s, 0)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, e, "listing task definition families");
	return 0;
}

/*
 * A revision in DELETE_IN_PROGRESS is deleted once no task that is not
 * STOPPED runs it and no service or deployment names it. Its family's
 * last revision stays, so revision numbers never repeat.
 */
static const char SQL_TD_UNUSED[] =
    "SELECT arn FROM task_definitions d WHERE status = 'DELETE_IN_PROGRESS' "
    "AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.task_definition = d.arn "
    "AND t.stopped_at IS NULL) "
    "AND NOT EXISTS (SELECT 1 FROM services s WHERE s.task_definition = "
    "d.arn AND s.status != 'INACTIVE') "
    "AND NOT EXISTS (SELECT 1 FROM deployments p JOIN services s ON "
    "s.arn = p.service_arn WHERE p.task_definition = d.arn AND "
    "p.status != 'INACTIVE' AND s.status != 'INACTIVE')";
static const char SQL_TD_PURGE_TAGS[] =
    "DELETE FROM tags WHERE resource_arn = ?1";
static const char SQL_TD_PURGE[] =
    "DELETE FROM task_definitions WHERE arn = ?1";

int
store_taskdef_purge(struct store *st, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TD_UNUSED), *d;
	char		**arns = NULL;
	size_t		  n = 0, i;
	int		  rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		arns = xrealloc(arns, (n + 1) * sizeof *arns);
		arns[n++] = col_dup(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		ret = store_fail(st, e, "finding task definitions to delete");
	for (i = 0; i < n && ret == 0; i++) {
		d = store_stmt(st, SQL_TD_PURGE_TAGS);
		bind_text(d, 1, arns[i]);
		if (store_exec_stmt(st, d, e) != 0) {
			ret = -1;
			break;
		}
		d = store_stmt(st, SQL_TD_PURGE);
		bind_text(d, 1, arns[i]);
		if (store_exec_stmt(st, d, e) != 0)
			ret = -1;
	}
	for (i = 0; i < n; i++)
		free(arns[i]);
	free(arns);
	return ret;
}

static const char SQL_TD_DELETING[] =
    "SELECT COUNT(*) FROM task_definitions WHERE status = "
    "'DELETE_IN_PROGRESS'";

int64_t
store_taskdef_deleting(struct store *st)
{
	return store_int_query(st, SQL_TD_DELETING, NULL);
}
