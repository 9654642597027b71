/* Container instance changes: the version bump and the "ECS Container
 * Instance State Change" event, in the transaction of the change. */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

/* "arn:...:container-instance/<cluster>/<id>" -> the cluster's ARN. */
static char *
instance_cluster_arn(struct engine *eng, const char *arn)
{
	const char	*p, *slash;

	if ((p = strstr(arn, ":container-instance/")) == NULL)
		return engine_arn(eng, "cluster/default");
	p += strlen(":container-instance/");
	if ((slash = strchr(p, '/')) == NULL)
		return engine_arn(eng, "cluster/default");
	return engine_arn(eng, "cluster/%.*s", (int)(slash - p), p);
}

static void
detail_take(cJSON *detail, cJSON *ci, const char *name)
{
	cJSON	*j = cJSON_DetachItemFromObjectCaseSensitive(ci, name);

	if (j != NULL)
		cJSON_AddItemToObject(detail, name, j);
}

int
engine_instance_changed(struct engine *eng, const char *arn, struct err *e)
{
	const cJSON	*attributes = engine_view_touch(eng, arn);
	cJSON		*ci, *detail;
	char		*cluster_arn, when[TIME_ISO_LEN];
	int64_t		 now = engine_now(eng);
	int		 ret;

	if (store_instance_touch(eng->st, arn, now, e) != 0)
		return -1;
	if ((ci = store_instance_describe_with(eng->st, arn, attributes,
	    e)) == NULL)
		return -1;
	cluster_arn = instance_cluster_arn(eng, arn);
	time_iso8601(now, 1, when);

	/* The detail members, in the order ECS writes them. */
	detail = cJSON_CreateObject();
	detail_take(detail, ci, "agentConnected");
	detail_take(detail, ci, "attributes");
	cJSON_AddStringToObject(detail, "clusterArn", cluster_arn);
	detail_take(detail, ci, "containerInstanceArn");
	detail_take(detail, ci, "ec2InstanceId");
	detail_take(detail, ci, "registeredResources");
	detail_take(detail, ci, "remainingResources");
	detail_take(detail, ci, "status");
	detail_take(detail, ci, "version");
	detail_take(detail, ci, "versionInfo");
	cJSON_AddStringToObject(detail, "updatedAt", when);

	ret = store_event_append(eng->st, now, "aws.ecs",
	    "ECS Container Instance State Change", arn, detail, e);
	cJSON_Delete(detail);
	cJSON_Delete(ci);
	free(cluster_arn);
	return ret;
}
