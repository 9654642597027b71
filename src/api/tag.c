/* TagResource, UntagResource and ListTagsForResource for every taggable
 * ARN: cluster, service, task, task definition and container instance. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

/*
 * Checks that arn names a taggable resource that exists.
 *
 * - Not an ECS ARN of this region and account, or a type that cannot be
 *   tagged: InvalidParameterException.
 * - A short service, task or container-instance ARN (no cluster part):
 *   InvalidParameterException, with ECS's "Long arn format must be used
 *   for tagging operations".
 * - A cluster (or the cluster of a service, task or instance) that is not
 *   ACTIVE: ClusterNotFoundException, which the model lists for all three
 *   operations.
 * - Otherwise a resource missing from its table: ResourceNotFoundException
 *   ("The specified resource wasn't found."), which the model lists for
 *   TagResource and UntagResource; ListTagsForResource answers the same so
 *   a client sees one error for one cause.
 *
 * FARGATE and FARGATE_SPOT are AWS's own capacity providers and cannot be
 * tagged (InvalidParameterException).
 */
static int
check_target(struct api_ctx *c, const char *arn, struct err *e)
{
	static const char *const scoped[] = { "service", "task",
	    "container-instance", NULL };
	const char	*rest, *slash;
	char		*prefix = NULL, *type = NULL, *cluster = NULL, *name = NULL;
	size_t		 i;
	int		 ret = -1, found;

	prefix = engine_arn(c->eng, "%s", "");
	if (!str_has_prefix(arn, prefix)) {
		if (str_has_prefix(arn, "arn:aws:ecs:"))
			err_set(e, ERR_INVALID, "The ARN %.128s is not in this "
			    "ecsim's region and account (%.64s...).", arn,
			    prefix);
		else
			err_set(e, ERR_INVALID, "Invalid resourceArn: %.128s is "
			    "not an Amazon ECS resource ARN.", arn);
		goto out;
	}
	rest = arn + strlen(prefix);
	if ((slash = strchr(rest, '/')) == NULL || slash[1] == '\0') {
		err_set(e, ERR_INVALID, "Invalid resourceArn: %.128s does not "
		    "name a resource.", arn);
		goto out;
	}
	type = xstrndup(rest, (size_t)(slash - rest));
	if (strcmp(type, "capacity-provider") == 0) {
		err_set(e, ERR_INVALID, "The capacity provider %.64s is managed "
		    "by AWS and cannot be tagged.", slash + 1);
		goto out;
	}
	if (strcmp(type, "cluster") == 0)
		cluster = xstrdup(slash + 1);
	for (i = 0; scoped[i] != NULL; i++) {
		if (strcmp(type, scoped[i]) != 0)
			continue;
		if ((rest = strchr(slash + 1, '/')) == NULL) {
			err_set(e, ERR_INVALID, "Long arn format must be used "
			    "for tagging operations");
			goto out;
		}
		cluster = xstrndup(slash + 1, (size_t)(rest - slash - 1));
	}
	if (cluster == NULL && strcmp(type, "task-definition") != 0) {
		err_set(e, ERR_INVALID, "Invalid resourceArn: %.64s resources "
		    "cannot be tagged; taggable are clusters, services, tasks, "
		    "task definitions and container instances.", type);
		goto out;
	}
	if (cluster != NULL && store_cluster_resolve(c->st, cluster, &name,
	    e) != 0)
		goto out;
	if ((found = store_tag_target_exists(c->st, type, arn, e)) < 0)
		goto out;
	if (found == 0) {
		err_set(e, ERR_RESOURCE_NOT_FOUND, "The specified resource "
		    "wasn't found: %.180s", arn);
		goto out;
	}
	ret = 0;
out:
	free(prefix);
	free(type);
	free(cluster);
	free(name);
	return ret;
}

int
api_tag_resource(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	static const char *const members[] = { "resourceArn", "tags", NULL };
	const cJSON	*tags;
	const char	*arn;

	(void)resp;
	if (api_only_members(req, "TagResourceRequest", members, e) != 0 ||
	    api_str(req, "resourceArn", 1, &arn, e) != 0 ||
	    api_array(req, "tags", 1, STORE_TAGS_MAX, &tags, e) != 0)
		return -1;
	if (check_target(c, arn, e) != 0)
		return -1;
	return store_tags_set(c->st, arn, tags, e);
}

int
api_untag_resource(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	static const char *const members[] = { "resourceArn", "tagKeys",
	    NULL };
	const cJSON	*keys;
	const char	*arn;

	(void)resp;
	if (api_only_members(req, "UntagResourceRequest", members, e) != 0 ||
	    api_str(req, "resourceArn", 1, &arn, e) != 0 ||
	    api_str_array(req, "tagKeys", 1, 0, &keys, e) != 0)
		return -1;
	if (check_target(c, arn, e) != 0)
		return -1;
	return store_tags_remove(c->st, arn, keys, e);
}

int
api_list_tags_for_resource(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	static const char *const members[] = { "resourceArn", NULL };
	const char	*arn;

	if (api_only_members(req, "ListTagsForResourceRequest", members,
	    e) != 0 || api_str(req, "resourceArn", 1, &arn, e) != 0)
		return -1;
	if (check_target(c, arn, e) != 0)
		return -1;
	cJSON_AddItemToObject(resp, "tags", store_tags_get(c->st, arn));
	return 0;
}
