/* Attributes of container instances: the built-in ecs.* ones written at
 * registration and the custom ones of PutAttributes, in one table. */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

int
store_attribute_is_custom(const char *name)
{
	return !str_has_prefix(name, "ecs.") &&
	    !str_has_prefix(name, "com.amazonaws.ecs.");
}

static const char SQL_ATTRIBUTE_PUT[] =
    "INSERT INTO attributes (cluster, target_type, target_id, name, value) "
    "VALUES (?1, 'container-instance', ?2, ?3, ?4) "
    "ON CONFLICT (cluster, target_id, name) DO UPDATE SET value = ?4";

int
store_attribute_put(struct store *st, const char *cluster, const char *target,
    const char *name, const char *value, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_ATTRIBUTE_PUT);

	bind_text(s, 1, cluster);
	bind_text(s, 2, target);
	bind_text(s, 3, name);
	bind_text(s, 4, value);
	st->generation++;
	return store_exec_stmt(st, s, e);
}

static const char SQL_ATTRIBUTE_DELETE[] =
    "DELETE FROM attributes WHERE cluster = ?1 AND target_id = ?2 AND "
    "name = ?3 RETURNING value";

int
store_attribute_delete(struct store *st, const char *cluster,
    const char *target, const char *name, char **old_value, int *found,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_ATTRIBUTE_DELETE);
	int		 rc;

	*found = 0;
	if (old_value != NULL)
		*old_value = NULL;
	st->generation++;
	bind_text(s, 1, cluster);
	bind_text(s, 2, target);
	bind_text(s, 3, name);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*found = 1;
		if (old_value != NULL)
			*old_value = col_dup(s, 0);
		rc = sqlite3_step(s);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		if (old_value != NULL) {
			free(*old_value);
			*old_value = NULL;
		}
		return store_fail(st, e, "deleting an attribute");
	}
	return 0;
}

static const char SQL_ATTRIBUTE_CUSTOM_COUNT[] =
    "SELECT COUNT(*) FROM attributes WHERE cluster = ?1 AND target_id = ?2 "
    "AND name NOT GLOB 'ecs.*' AND name NOT GLOB 'com.amazonaws.ecs.*'";

int
store_attribute_custom_count(struct store *st, const char *cluster,
    const char *target, int64_t *n, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_ATTRIBUTE_CUSTOM_COUNT);
	int		 ret = 0;

	bind_text(s, 1, cluster);
	bind_text(s, 2, target);
	*n = 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	else
		ret = store_fail(st, e, "counting attributes");
	sqlite3_reset(s);
	return ret;
}

static const char SQL_ATTRIBUTES_OF[] =
    "SELECT name, value FROM attributes WHERE cluster = ?1 AND "
    "target_id = ?2 ORDER BY rowid";

cJSON *
store_attributes_of(struct store *st, const char *cluster, const char *target)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_ATTRIBUTES_OF);
	cJSON		*out = cJSON_CreateArray(), *a;

	bind_text(s, 1, cluster);
	bind_text(s, 2, target);
	while (sqlite3_step(s) == SQLITE_ROW) {
		a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "name", col_text(s, 0));
		if (col_text(s, 1) != NULL)
			cJSON_AddStringToObject(a, "value", col_text(s, 1));
		cJSON_AddItemToArray(out, a);
	}
	sqlite3_reset(s);
	return out;
}

/*
 * ?2 and ?3 are the optional name and value filters: NULL matches every
 * attribute.
 */
#define ATTRIBUTES_WHERE \
    "FROM attributes a JOIN container_instances ci ON ci.arn = a.target_id " \
    "WHERE a.cluster = ?1 AND ci.status != 'INACTIVE' AND " \
    "(?2 IS NULL OR a.name = ?2) AND (?3 IS NULL OR a.value = ?3)"
static const char SQL_ATTRIBUTES_COUNT[] =
    "SELECT COUNT(*) " ATTRIBUTES_WHERE;
static const char SQL_ATTRIBUTES_LIST[] =
    "SELECT a.name, a.value, a.target_id " ATTRIBUTES_WHERE
    " ORDER BY ci.registered_at, ci.rowid, a.rowid LIMIT ?5 OFFSET ?4";

int
store_attributes_list(struct store *st, const char *cluster, const char *name,
    const char *value, int64_t offset, int64_t limit, cJSON *out,
    int64_t *total, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_ATTRIBUTES_COUNT);
	cJSON		*a;
	int		 rc;

	bind_text(s, 1, cluster);
	bind_text(s, 2, name);
	bind_text(s, 3, value);
	rc = sqlite3_step(s);
	*total = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, e, "counting attributes");
	s = store_stmt(st, SQL_ATTRIBUTES_LIST);
	bind_text(s, 1, cluster);
	bind_text(s, 2, name);
	bind_text(s, 3, value);
	bind_int(s, 4, offset);
	bind_int(s, 5, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "name", col_text(s, 0));
		if (col_text(s, 1) != NULL)
			cJSON_AddStringToObject(a, "value", col_text(s, 1));
		cJSON_AddStringToObject(a, "targetId", col_text(s, 2));
		cJSON_AddItemToArray(out, a);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, e, "listing attributes");
	return 0;
}

static int
attribute_char_ok(int ch, int in_value)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	if (strchr("-_./\\", ch) != NULL)
		return 1;
	return in_value && strchr("@: ", ch) != NULL;
}

int
store_attribute_check(const char *name, const char *value, struct err *e)
{
	size_t	i, n;

	n = strlen(name);
	if (n < 1 || n > 128)
		return err_set(e, ERR_INVALID, "Attribute name '%.64s' must be "
		    "between 1 and 128 characters.", name);
	for (i = 0; i < n; i++)
		if (!attribute_char_ok((unsigned char)name[i], 0))
			return err_set(e, ERR_INVALID, "Attribute name '%.128s' "
			    "is not valid: a name may contain letters, numbers, "
			    "hyphens, underscores, periods, forward slashes and "
			    "back slashes.", name);
	if (value == NULL)
		return 0;
	n = strlen(value);
	if (n < 1 || n > 128)
		return err_set(e, ERR_INVALID, "The value of attribute %.128s "
		    "must be between 1 and 128 characters.", name);
	for (i = 0; i < n; i++)
		if (!attribute_char_ok((unsigned char)value[i], 1))
			return err_set(e, ERR_INVALID, "The value of attribute "
			    "%.128s is not valid: a value may contain letters, "
			    "numbers, hyphens, underscores, periods, at signs, "
			    "forward slashes, back slashes, colons and spaces.",
			    name);
	if (value[0] == ' ' || value[n - 1] == ' ')
		return err_set(e, ERR_INVALID, "The value of attribute %.128s "
		    "must not start or end with a space.", name);
	return 0;
}
