/* EventBridge-style event patterns: checking one, and matching an event's
 * envelope against it. Pure: no I/O. */
#include <stdio.h>
#include <string.h>

#include "events/events.h"

/* How deep patterns may nest; EventBridge's own events are a few levels. */
#define PATTERN_DEPTH	16

static int
check_object(const cJSON *o, const char *path, int depth, struct err *e)
{
	const cJSON	*m, *v;
	char		 sub[ERR_MSG_MAX / 2];

	if (depth > PATTERN_DEPTH)
		return err_set(e, ERR_INVALID, "event pattern: %s nests more "
		    "than %d levels", path, PATTERN_DEPTH);
	if (o->child == NULL)
		return err_set(e, ERR_INVALID, "event pattern: %s is an empty "
		    "object; name the fields to match", path);
	cJSON_ArrayForEach(m, o) {
		if (snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." :
		    "", m->string) >= (int)sizeof sub)
			return err_set(e, ERR_INVALID, "event pattern: the "
			    "field names under %.40s are too long", path);
		if (cJSON_IsObject(m)) {
			if (check_object(m, sub, depth + 1, e) != 0)
				return -1;
			continue;
		}
		if (!cJSON_IsArray(m))
			return err_set(e, ERR_INVALID, "event pattern: %s must "
			    "be a list of allowed values (e.g. [\"x\"]) or an "
			    "object of fields", sub);
		if (m->child == NULL)
			return err_set(e, ERR_INVALID, "event pattern: %s is an "
			    "empty list, which nothing matches", sub);
		cJSON_ArrayForEach(v, m) {
			if (cJSON_IsObject(v) || cJSON_IsArray(v))
				return err_set(e, ERR_INVALID, "event pattern: "
				    "%s holds %s; ecsim matches exact values "
				    "only (no prefix, numeric or anything-but "
				    "filters)", sub, cJSON_IsObject(v) ?
				    "an object" : "a list");
		}
	}
	return 0;
}

cJSON *
events_pattern_parse(const char *text, struct err *e)
{
	cJSON	*p;

	if ((p = cJSON_Parse(text)) == NULL) {
		err_set(e, ERR_INVALID, "event pattern is not JSON: '%.80s'",
		    text);
		return NULL;
	}
	if (!cJSON_IsObject(p)) {
		err_set(e, ERR_INVALID, "event pattern must be a JSON object "
		    "such as {\"source\":[\"aws.ecs\"]}");
		cJSON_Delete(p);
		return NULL;
	}
	if (check_object(p, "", 0, e) != 0) {
		cJSON_Delete(p);
		return NULL;
	}
	return p;
}

/* 1 when the scalar value equals one of the allowed scalars. */
static int
value_allowed(const cJSON *allowed, const cJSON *value)
{
	const cJSON	*a;

	cJSON_ArrayForEach(a, allowed) {
		if (cJSON_IsString(a) && cJSON_IsString(value) &&
		    strcmp(a->valuestring, value->valuestring) == 0)
			return 1;
		if (cJSON_IsNumber(a) && cJSON_IsNumber(value) &&
		    a->valuedouble == value->valuedouble)
			return 1;
		if (cJSON_IsBool(a) && cJSON_IsBool(value) &&
		    cJSON_IsTrue(a) == cJSON_IsTrue(value))
			return 1;
		if (cJSON_IsNull(a) && cJSON_IsNull(value))
			return 1;
	}
	return 0;
}

static int
match_object(const cJSON *pattern, const cJSON *obj)
{
	const cJSON	*m, *field, *v;
	int		 any;

	cJSON_ArrayForEach(m, pattern) {
		/* Field names are case-sensitive, as in EventBridge. */
		field = cJSON_GetObjectItemCaseSensitive(obj, m->string);
		if (field == NULL)
			return 0;
		if (cJSON_IsObject(m)) {
			if (!cJSON_IsObject(field) || !match_object(m, field))
				return 0;
			continue;
		}
		if (cJSON_IsArray(field)) {
			any = 0;
			cJSON_ArrayForEach(v, field) {
				if (value_allowed(m, v)) {
					any = 1;
					break;
				}
			}
			if (!any)
				return 0;
		} else if (!value_allowed(m, field))
			return 0;
	}
	return 1;
}

int
events_pattern_match(const cJSON *pattern, const cJSON *envelope)
{
	if (pattern == NULL)
		return 1;
	return match_object(pattern, envelope);
}
