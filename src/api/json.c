/* Reading requests and writing responses: the validation every operation
 * shares, with ECS's messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

static const char *
json_kind(const cJSON *j)
{
	if (cJSON_IsString(j))
		return "a string";
	if (cJSON_IsNumber(j))
		return "a number";
	if (cJSON_IsBool(j))
		return "a boolean";
	if (cJSON_IsArray(j))
		return "a list";
	if (cJSON_IsObject(j))
		return "an object";
	return "null";
}

static int
wrong_type(const char *name, const char *want, const cJSON *got, struct err *e)
{
	return err_set(e, ERR_SERIALIZATION, "%s must be %s, not %s", name, want,
	    json_kind(got));
}

static int
missing(const char *name, struct err *e)
{
	return err_set(e, ERR_INVALID, "%s is required and was not given.",
	    name);
}

/* ECS (like every AWS JSON service) treats an explicit null as absent. */
static const cJSON *
member(const cJSON *req, const char *name)
{
	const cJSON	*j = cJSON_GetObjectItemCaseSensitive(req, name);

	return cJSON_IsNull(j) ? NULL : j;
}

int
api_str(const cJSON *req, const char *name, int required, const char **out,
    struct err *e)
{
	return api_str_len(req, name, required, 0, out, e);
}

int
api_str_len(const cJSON *req, const char *name, int required, size_t max,
    const char **out, struct err *e)
{
	const cJSON	*j = member(req, name);
	size_t		 n;

	*out = NULL;
	if (j == NULL)
		return required ? missing(name, e) : 0;
	if (!cJSON_IsString(j))
		return wrong_type(name, "a string", j, e);
	n = strlen(j->valuestring);
	if (max > 0 && n > max)
		return err_set(e, ERR_INVALID, "1 validation error detected: "
		    "Value at '%s' failed to satisfy constraint: Member must "
		    "have length less than or equal to %zu", name, max);
	*out = j->valuestring;
	return 0;
}

int
api_int(const cJSON *req, const char *name, int required, int64_t min,
    int64_t max, int64_t *out, int *present, struct err *e)
{
	const cJSON	*j = member(req, name);
	double		 v;

	if (present != NULL)
		*present = 0;
	if (j == NULL)
		return required ? missing(name, e) : 0;
	if (!cJSON_IsNumber(j))
		return wrong_type(name, "an integer", j, e);
	v = j->valuedouble;
	if (v != floor(v) || !isfinite(v))
		return wrong_type(name, "an integer", j, e);
	if (v < (double)min || v > (double)max)
		return err_set(e, ERR_INVALID, "1 validation error detected: "
		    "Value '%.0f' at '%s' failed to satisfy constraint: Member "
		    "must be between %lld and %lld", v, name, (long long)min,
		    (long long)max);
	*out = (int64_t)v;
	if (present != NULL)
		*present = 1;
	return 0;
}

int
api_bool(const cJSON *req, const char *name, int *out, int *present,
    struct err *e)
{
	const cJSON	*j = member(req, name);

	if (present != NULL)
		*present = 0;
	if (j == NULL)
		return 0;
	if (!cJSON_IsBool(j))
		return wrong_type(name, "true or false", j, e);
	*out = cJSON_IsTrue(j);
	if (present != NULL)
		*present = 1;
	return 0;
}

int
api_enum(const cJSON *req, const char *name, int required,
    const char *const *values, const char **out, struct err *e)
{
	char	 list[512];
	size_t	 i, off = 0;

	if (api_str(req, name, required, out, e) != 0)
		return -1;
	if (*out == NULL)
		return 0;
	for (i = 0; values[i] != NULL; i++)
		if (strcmp(values[i], *out) == 0)
			return 0;
	list[0] = '\0';
	for (i = 0; values[i] != NULL && off < sizeof list; i++)
		off += (size_t)snprintf(list + off, sizeof list - off, "%s%s",
		    i ? ", " : "", values[i]);
	return err_set(e, ERR_INVALID, "1 validation error detected: Value "
	    "'%.64s' at '%s' failed to satisfy constraint: Member must satisfy "
	    "enum value set: [%s]", *out, name, list);
}

int
api_array(const cJSON *req, const char *name, int required, size_t max,
    const cJSON **out, struct err *e)
{
	const cJSON	*j = member(req, name);

	*out = NULL;
	if (j == NULL)
		return required ? missing(name, e) : 0;
	if (!cJSON_IsArray(j))
		return wrong_type(name, "a list", j, e);
	if (max > 0 && (size_t)cJSON_GetArraySize(j) > max)
		return err_set(e, ERR_INVALID, "1 validation error detected: "
		    "Value at '%s' failed to satisfy constraint: Member must "
		    "have at most %zu items", name, max);
	*out = j;
	return 0;
}

int
api_str_array(const cJSON *req, const char *name, int required, size_t max,
    const cJSON **out, struct err *e)
{
	const cJSON	*j;

	if (api_array(req, name, required, max, out, e) != 0)
		return -1;
	cJSON_ArrayForEach(j, *out)
		if (!cJSON_IsString(j))
			return wrong_type(name, "a list of strings", j, e);
	return 0;
}

int
api_object(const cJSON *req, const char *name, int required,
    const cJSON **out, struct err *e)
{
	const cJSON	*j = member(req, name);

	*out = NULL;
	if (j == NULL)
		return required ? missing(name, e) : 0;
	if (!cJSON_IsObject(j))
		return wrong_type(name, "an object", j, e);
	*out = j;
	return 0;
}

int
api_only_members(const cJSON *obj, const char *where,
    const char *const *allowed, struct err *e)
{
	const cJSON	*j;
	size_t		 i;

	cJSON_ArrayForEach(j, obj) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], j->string) == 0)
				break;
		if (allowed[i] == NULL)
			return err_set(e, ERR_SERIALIZATION, "%s has an unknown "
			    "member '%.64s'", where, j->string);
	}
	return 0;
}

int
api_page(const cJSON *req, struct api_page *p, struct err *e)
{
	const char	*token;
	char		*end;
	int		 present;

	p->offset = 0;
	p->limit = 100;
	if (api_int(req, "maxResults", 0, 1, 100, &p->limit, &present, e) != 0)
		return -1;
	if (api_str(req, "nextToken", 0, &token, e) != 0)
		return -1;
	if (token != NULL) {
		p->offset = strtoll(token, &end, 10);
		if (*token == '\0' || *end != '\0' || p->offset < 0)
			return err_set(e, ERR_INVALID, "nextToken '%.64s' is not "
			    "one this server gave out", token);
	}
	return 0;
}

void
api_page_token(cJSON *resp, const struct api_page *p, int64_t total)
{
	char	buf[32];

	if (p->offset + p->limit < total) {
		snprintf(buf, sizeof buf, "%lld", (long long)(p->offset +
		    p->limit));
		cJSON_AddStringToObject(resp, "nextToken", buf);
	}
}

cJSON *
api_time(int64_t ms)
{
	return cJSON_CreateNumber((double)ms / 1000.0);
}

void
api_add_time(cJSON *obj, const char *name, int64_t ms)
{
	if (ms > 0)
		cJSON_AddItemToObject(obj, name, api_time(ms));
}

void
api_add_failure(cJSON *failures, const char *arn, const char *reason,
    const char *detail)
{
	cJSON	*f = cJSON_CreateObject();

	if (arn != NULL)
		cJSON_AddStringToObject(f, "arn", arn);
	cJSON_AddStringToObject(f, "reason", reason);
	if (detail != NULL)
		cJSON_AddStringToObject(f, "detail", detail);
	cJSON_AddItemToArray(failures, f);
}

int
api_cluster(struct api_ctx *c, const cJSON *req, char **name, struct err *e)
{
	const char	*ref;

	*name = NULL;
	if (api_str(req, "cluster", 0, &ref, e) != 0)
		return -1;
	return store_cluster_resolve(c->st, ref, name, e);
}
