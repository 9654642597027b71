/* PutAttributes, DeleteAttributes and ListAttributes: custom and built-in
 * attributes of container instances, the one target type ECS has. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

#define ATTRIBUTES_PER_CALL	10
#define CUSTOM_PER_RESOURCE	10

static const char *const target_types[] = { "container-instance", NULL };

/* One attributes[] entry, validated, with its target resolved. */
struct attr_req {
	const char	*name;
	const char	*value;
	const char	*target_type;
	const char	*target_id;	/* as given */
	char		*arn;		/* the instance it names */
};

static void
attr_reqs_free(struct attr_req *v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].arn);
	free(v);
}

static int
read_target(struct api_ctx *c, const char *cluster, struct attr_req *a,
    struct err *e)
{
	char	*status = NULL;

	if (a->target_id == NULL)
		return err_set(e, ERR_INVALID, "Attribute %s has no targetId: "
		    "name the container instance it is for.", a->name);
	if (!str_has_prefix(a->target_id, "arn:") && a->target_type == NULL)
		return err_set(e, ERR_INVALID, "Attribute %s: targetType is "
		    "required when targetId is a short ID (%.64s).", a->name,
		    a->target_id);
	if (store_instance_find(c->st, cluster, a->target_id, &a->arn, &status,
	    e) != 0) {
		if (e != NULL && e->code != ERR_RESOURCE_NOT_FOUND)
			return -1;
		return err_set(e, ERR_TARGET_NOT_FOUND, "Could not find "
		    "container instance %s in cluster %s.", a->target_id,
		    cluster);
	}
	if (strcmp(status, "INACTIVE") == 0) {
		free(status);
		return err_set(e, ERR_TARGET_NOT_FOUND, "Container instance %s "
		    "is deregistered (INACTIVE).", a->target_id);
	}
	free(status);
	return 0;
}

/*
 * Reads the cluster and attributes[] shared by PutAttributes and
 * DeleteAttributes. *out is the caller's (attr_reqs_free).
 */
static int
read_attr_reqs(struct api_ctx *c, const cJSON *req, const char *op,
    char **cluster, struct attr_req **out, size_t *n, struct err *e)
{
	static const char *const allowed[] = { "cluster", "attributes", NULL };
	static const char *const entry[] = {
		"name", "value", "targetType", "targetId", NULL
	};
	const cJSON	*list, *j;
	const char	*ref;
	struct attr_req	*v = NULL, *a;
	size_t		 len = 0;

	*cluster = NULL;
	if (api_only_members(req, op, allowed, e) != 0 ||
	    api_str(req, "cluster", 0, &ref, e) != 0 ||
	    api_array(req, "attributes", 1, ATTRIBUTES_PER_CALL, &list, e) != 0)
		return -1;
	if (cJSON_GetArraySize(list) == 0)
		return err_set(e, ERR_INVALID, "attributes can not be empty.");
	v = xcalloc((size_t)cJSON_GetArraySize(list), sizeof *v);
	cJSON_ArrayForEach(j, list) {
		a = &v[len++];
		if (!cJSON_IsObject(j)) {
			err_set(e, ERR_SERIALIZATION, "attributes entries must "
			    "be objects");
			goto fail;
		}
		if (api_only_members(j, "attributes entry", entry, e) != 0 ||
		    api_str(j, "name", 1, &a->name, e) != 0 ||
		    api_str(j, "value", 0, &a->value, e) != 0 ||
		    api_enum(j, "targetType", 0, target_types, &a->target_type,
		    e) != 0 ||
		    api_str(j, "targetId", 0, &a->target_id, e) != 0)
			goto fail;
		if (store_attribute_check(a->name, a->value, e) != 0)
			goto fail;
	}
	if (store_cluster_resolve(c->st, ref, cluster, e) != 0)
		goto fail;
	for (a = v; a < v + len; a++)
		if (read_target(c, *cluster, a, e) != 0)
			goto fail;
	*out = v;
	*n = len;
	return 0;
fail:
	attr_reqs_free(v, len);
	free(*cluster);
	*cluster = NULL;
	return -1;
}

static cJSON *
attr_echo(const struct attr_req *a, const char *value)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", a->name);
	if (value != NULL)
		cJSON_AddStringToObject(o, "value", value);
	if (a->target_type != NULL)
		cJSON_AddStringToObject(o, "targetType", a->target_type);
	cJSON_AddStringToObject(o, "targetId", a->target_id);
	return o;
}

/* Each instance changed once: its version and event, then a poke. */
static int
targets_changed(struct api_ctx *c, const struct attr_req *v, size_t n,
    const int *touched, struct err *e)
{
	size_t	i, k;

	for (i = 0; i < n; i++) {
		if (!touched[i])
			continue;
		for (k = 0; k < i; k++)
			if (touched[k] && strcmp(v[k].arn, v[i].arn) == 0)
				break;
		if (k < i)
			continue;
		if (engine_instance_changed(c->eng, v[i].arn, e) != 0)
			return -1;
		engine_poke(c->eng);
	}
	return 0;
}

int
api_put_attributes(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	struct attr_req	*v = NULL;
	size_t		 n = 0, i;
	char		*cluster = NULL;
	cJSON		*out;
	int64_t		 custom;
	int		*touched = NULL, ret = -1;

	if (read_attr_reqs(c, req, "PutAttributes", &cluster, &v, &n, e) != 0)
		return -1;
	touched = xcalloc(n, sizeof *touched);
	for (i = 0; i < n; i++) {
		if (store_attribute_put(c->st, cluster, v[i].arn, v[i].name,
		    v[i].value, e) != 0)
			goto out;
		touched[i] = 1;
	}
	/* The whole call fails (and rolls back) if a target passes 10. */
	for (i = 0; i < n; i++) {
		if (store_attribute_custom_count(c->st, cluster, v[i].arn,
		    &custom, e) != 0)
			goto out;
		if (custom > CUSTOM_PER_RESOURCE) {
			err_set(e, ERR_ATTRIBUTE_LIMIT, "You can apply up to %d "
			    "custom attributes for each resource; container "
			    "instance %s would have %lld.", CUSTOM_PER_RESOURCE,
			    v[i].target_id, (long long)custom);
			goto out;
		}
	}
	if (targets_changed(c, v, n, touched, e) != 0)
		goto out;
	out = cJSON_AddArrayToObject(resp, "attributes");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(out, attr_echo(&v[i], v[i].value));
	ret = 0;
out:
	free(touched);
	attr_reqs_free(v, n);
	free(cluster);
	return ret;
}

int
api_delete_attributes(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	struct attr_req	*v = NULL;
	size_t		 n = 0, i;
	char		*cluster = NULL, *old;
	cJSON		*out;
	int		*touched = NULL, ret = -1;

	if (read_attr_reqs(c, req, "DeleteAttributes", &cluster, &v, &n,
	    e) != 0)
		return -1;
	touched = xcalloc(n, sizeof *touched);
	out = cJSON_AddArrayToObject(resp, "attributes");
	for (i = 0; i < n; i++) {
		if (store_attribute_delete(c->st, cluster, v[i].arn, v[i].name,
		    &old, &touched[i], e) != 0)
			goto out;
		/* ECS answers with what was deleted, value included. */
		cJSON_AddItemToArray(out, attr_echo(&v[i], touched[i] ? old :
		    v[i].value));
		free(old);
	}
	if (targets_changed(c, v, n, touched, e) != 0)
		goto out;
	ret = 0;
out:
	free(touched);
	attr_reqs_free(v, n);
	free(cluster);
	return ret;
}

int
api_list_attributes(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	static const char *const allowed[] = {
		"cluster", "targetType", "attributeName", "attributeValue",
		"nextToken", "maxResults", NULL
	};
	struct api_page	 page;
	const char	*ref, *type, *name, *value;
	char		*cluster = NULL;
	cJSON		*out;
	int64_t		 total;
	int		 ret = -1;

	if (api_only_members(req, "ListAttributes", allowed, e) != 0 ||
	    api_str(req, "cluster", 0, &ref, e) != 0 ||
	    api_enum(req, "targetType", 1, target_types, &type, e) != 0 ||
	    api_str(req, "attributeName", 0, &name, e) != 0 ||
	    api_str(req, "attributeValue", 0, &value, e) != 0 ||
	    api_page(req, &page, e) != 0)
		goto out;
	if (value != NULL && name == NULL) {
		err_set(e, ERR_INVALID, "attributeValue can only be used "
		    "together with attributeName.");
		goto out;
	}
	if (store_cluster_resolve(c->st, ref, &cluster, e) != 0)
		goto out;
	out = cJSON_AddArrayToObject(resp, "attributes");
	if (store_attributes_list(c->st, cluster, name, value, page.offset,
	    page.limit, out, &total, e) != 0)
		goto out;
	api_page_token(resp, &page, total);
	ret = 0;
out:
	free(cluster);
	return ret;
}
