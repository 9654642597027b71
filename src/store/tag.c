/* Tags of any resource, keyed by ARN: validation with ECS's limits, merge,
 * removal, and whether a taggable ARN exists. Owns the tags table. */
#include <string.h>
#include <strings.h>

#include "store/internal.h"

/* Characters, not bytes: UTF-8 continuation bytes do not count. */
static size_t
utf8_len(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * ECS's tag pattern is [\p{L}\p{Z}\p{N}_.:/=+\-@]*. ASCII is checked
 * exactly; any non-ASCII character is taken as a letter, since telling
 * Unicode categories apart needs tables ecsim does not carry.
 */
static int
tag_chars_ok(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x80 || (*p >= '0' && *p <= '9') ||
		    (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			continue;
		if (strchr(" _.:/=+-@", *p) == NULL)
			return 0;
	}
	return 1;
}

static int
reserved(const char *s)
{
	return strncasecmp(s, "aws:", 4) == 0;
}

int
store_tag_key_check(const char *key, const char *what, struct err *e)
{
	size_t	n = utf8_len(key);

	if (n < 1 || n > STORE_TAG_KEY_MAX)
		return err_set(e, ERR_INVALID, "1 validation error detected: "
		    "Value '%.64s' at '%s.member.key' failed to satisfy "
		    "constraint: Member must have length between 1 and %d",
		    key, what, STORE_TAG_KEY_MAX);
	if (!tag_chars_ok(key))
		return err_set(e, ERR_INVALID, "1 validation error detected: "
		    "Value '%.64s' at '%s.member.key' failed to satisfy "
		    "constraint: Member must satisfy regular expression "
		    "pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$", key, what);
	if (reserved(key))
		return err_set(e, ERR_INVALID, "Tag key '%.64s' is not valid: "
		    "the aws: prefix is reserved for AWS use and cannot be "
		    "used in tag keys or values.", key);
	return 0;
}

static int
tag_check(const cJSON *t, const char **key, const char **value,
    struct err *e)
{
	const cJSON	*k, *v, *j;

	if (!cJSON_IsObject(t))
		return err_set(e, ERR_SERIALIZATION, "tags must be a list of "
		    "{\"key\": ..., \"value\": ...} objects");
	cJSON_ArrayForEach(j, t)
		if (strcmp(j->string, "key") != 0 &&
		    strcmp(j->string, "value") != 0)
			return err_set(e, ERR_SERIALIZATION, "a tag has an "
			    "unknown member '%.64s': tags have key and value",
			    j->string);
	k = cJSON_GetObjectItemCaseSensitive(t, "key");
	v = cJSON_GetObjectItemCaseSensitive(t, "value");
	if (k == NULL || cJSON_IsNull(k))
		return err_set(e, ERR_INVALID, "Tag key is required: every "
		    "tag needs a key of 1 to %d characters.", STORE_TAG_KEY_MAX);
	if (!cJSON_IsString(k))
		return err_set(e, ERR_SERIALIZATION, "tag key must be a string");
	if (v != NULL && !cJSON_IsNull(v) && !cJSON_IsString(v))
		return err_set(e, ERR_SERIALIZATION, "tag value must be a "
		    "string");
	*key = k->valuestring;
	*value = cJSON_IsString(v) ? v->valuestring : "";
	if (store_tag_key_check(*key, "tags", e) != 0)
		return -1;
	if (utf8_len(*value) > STORE_TAG_VALUE_MAX)
		return err_set(e, ERR_INVALID, "1 validation error detected: "
		    "Value at 'tags.member.value' of tag '%.64s' failed to "
		    "satisfy constraint: Member must have length less than or "
		    "equal to %d", *key, STORE_TAG_VALUE_MAX);
	if (!tag_chars_ok(*value))
		return err_set(e, ERR_INVALID, "1 validation error detected: "
		    "Value '%.64s' at 'tags.member.value' failed to satisfy "
		    "constraint: Member must satisfy regular expression "
		    "pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$", *value);
	if (reserved(*value))
		return err_set(e, ERR_INVALID, "Tag value '%.64s' of key "
		    "'%.64s' is not valid: the aws: prefix is reserved for AWS "
		    "use and cannot be used in tag keys or values.", *value,
		    *key);
	return 0;
}

static const char SQL_TAG_HAS[] =
    "SELECT 1 FROM tags WHERE resource_arn = ?1 AND key = ?2";
static const char SQL_TAG_PUT[] =
    "INSERT INTO tags (resource_arn, key, value) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value";

static int
tag_has(struct store *st, const char *arn, const char *key)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TAG_HAS);
	int		 found;

	bind_text(s, 1, arn);
	bind_text(s, 2, key);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return found;
}

/*
 * Everything is checked before anything is written, so a rejected call
 * leaves the tags as they were even outside a transaction. The limit
 * counts the keys the resource would have: existing ones plus new keys,
 * a key repeated in the request counted once.
 */
int
store_tags_set(struct store *st, const char *arn, const cJSON *tags,
    struct err *e)
{
	const cJSON	*t, *u;
	const char	*key, *value, *k2, *v2;
	sqlite3_stmt	*s;
	int		 added = 0, have, dup;

	if (tags == NULL)
		return 0;
	if (!cJSON_IsArray(tags))
		return err_set(e, ERR_SERIALIZATION, "tags must be a list");
	cJSON_ArrayForEach(t, tags) {
		if (tag_check(t, &key, &value, e) != 0)
			return -1;
		dup = 0;
		for (u = tags->child; u != t; u = u->next) {
			tag_check(u, &k2, &v2, NULL);
			if (strcmp(k2, key) == 0)
				dup = 1;
		}
		if (!dup && !tag_has(st, arn, key))
			added++;
	}
	have = store_tags_count(st, arn);
	if (have + added > STORE_TAGS_MAX)
		return err_set(e, ERR_LIMIT, "The resource %.120s would have %d "
		    "tags; a resource can have at most %d tags.", arn,
		    have + added, STORE_TAGS_MAX);
	cJSON_ArrayForEach(t, tags) {
		tag_check(t, &key, &value, NULL);
		s = store_stmt(st, SQL_TAG_PUT);
		bind_text(s, 1, arn);
		bind_text(s, 2, key);
		bind_text(s, 3, value);
		if (store_exec_stmt(st, s, e) != 0)
			return -1;
	}
	return 0;
}

static const char SQL_TAG_GET[] =
    "SELECT key, value FROM tags WHERE resource_arn = ?1 ORDER BY rowid";

cJSON *
store_tags_get(struct store *st, const char *arn)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TAG_GET);
	cJSON		*out = cJSON_CreateArray(), *t;

	bind_text(s, 1, arn);
	while (sqlite3_step(s) == SQLITE_ROW) {
		t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "key", col_text(s, 0));
		cJSON_AddStringToObject(t, "value", col_text(s, 1));
		cJSON_AddItemToArray(out, t);
	}
	sqlite3_reset(s);
	return out;
}

static const char SQL_TAG_DEL[] =
    "DELETE FROM tags WHERE resource_arn = ?1 AND key = ?2";

/* Keys the resource does not have are ignored, as ECS does. */
int
store_tags_remove(struct store *st, const char *arn, const cJSON *keys,
    struct err *e)
{
	const cJSON	*k;
	sqlite3_stmt	*s;

	cJSON_ArrayForEach(k, keys) {
		if (!cJSON_IsString(k))
			return err_set(e, ERR_SERIALIZATION, "tagKeys must be "
			    "a list of strings");
		if (store_tag_key_check(k->valuestring, "tagKeys", e) != 0)
			return -1;
	}
	cJSON_ArrayForEach(k, keys) {
		s = store_stmt(st, SQL_TAG_DEL);
		bind_text(s, 1, arn);
		bind_text(s, 2, k->valuestring);
		if (store_exec_stmt(st, s, e) != 0)
			return -1;
	}
	return 0;
}

static const char SQL_TAG_DROP[] = "DELETE FROM tags WHERE resource_arn = ?1";

int
store_tags_drop(struct store *st, const char *arn, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TAG_DROP);

	bind_text(s, 1, arn);
	return store_exec_stmt(st, s, e);
}

static const char SQL_TAG_COUNT[] =
    "SELECT COUNT(*) FROM tags WHERE resource_arn = ?1";

int
store_tags_count(struct store *st, const char *arn)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TAG_COUNT);
	int		 n = 0;

	bind_text(s, 1, arn);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return n;
}

static const char SQL_EXISTS_CLUSTER[] =
    "SELECT 1 FROM clusters WHERE arn = ?1 AND status = 'ACTIVE'";
static const char SQL_EXISTS_SERVICE[] =
    "SELECT 1 FROM services WHERE arn = ?1 AND status <> 'INACTIVE'";
static const char SQL_EXISTS_TASK[] =
    "SELECT 1 FROM tasks WHERE arn = ?1";
static const char SQL_EXISTS_TASKDEF[] =
    "SELECT 1 FROM task_definitions WHERE arn = ?1";
static const char SQL_EXISTS_INSTANCE[] =
    "SELECT 1 FROM container_instances WHERE arn = ?1 "
    "AND status <> 'INACTIVE'";

int
store_tag_target_exists(struct store *st, const char *type, const char *arn,
    struct err *e)
{
	static const struct {
		const char	*type;
		const char	*sql;
	} kinds[] = {
		{ "cluster",		SQL_EXISTS_CLUSTER },
		{ "service",		SQL_EXISTS_SERVICE },
		{ "task",		SQL_EXISTS_TASK },
		{ "task-definition",	SQL_EXISTS_TASKDEF },
		{ "container-instance",	SQL_EXISTS_INSTANCE },
	};
	sqlite3_stmt	*s;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].type, type) == 0)
			break;
	if (i == sizeof kinds / sizeof kinds[0])
		return err_set(e, ERR_INVALID, "resources of type %.64s "
		    "cannot be tagged", type);
	s = store_stmt(st, kinds[i].sql);
	bind_text(s, 1, arn);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, e, "looking up a resource to tag");
}
