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

/* Moves member name (a string literal) of ci to detail. */
static void
detail_take(cJSON *detail, cJSON *ci, const char *name)
{
	cJSON	*j = cJSON_DetachItemFromObjectCaseSensitive(ci, name);

	if (j != NULL)
		json_add_item(detail, name, j);
}

#ifdef ECSIM_CHECK_VIEWS
/* The sanitizer build: what the view gave an instance's event is what the
 * store says. */
static int
instance_check(struct engine *eng, const char *arn, const cJSON *ci,
    struct err *e)
{
	cJSON	*fresh;
	char	*a, *b;
	int	 same;

	if ((fresh = store_instance_describe(eng->st, arn, 0, e)) == NULL)
		return -1;
	/* As text: the view's attributes are a raw member. */
	a = json_print(ci);
	b = json_print(fresh);
	same = strcmp(a, b) == 0;
	free(a);
	free(b);
	cJSON_Delete(fresh);
	return same ? 0 : err_set(e, ERR_INTERNAL, "the placement view's "
	    "usage of %s differs from the store's", arn);
}
#endif

int
engine_instance_changed(struct engine *eng, const char *arn, struct err *e)
{
	const char		*attributes;
	struct instance_usage	 u;
	cJSON			*ci, *detail;
	char			*cluster_arn, when[TIME_ISO_LEN];
	int64_t			 now = engine_now(eng);
	int			 ret, kept;

	kept = engine_view_touch(eng, arn, &attributes, &u);
	if (store_instance_touch(eng->st, arn, now, e) != 0)
		ci = NULL;
	else
		ci = store_instance_describe_with(eng->st, arn, attributes,
		    kept ? &u : NULL, e);
	cJSON_Delete(u.ports);
	cJSON_Delete(u.ports_udp);
	if (ci == NULL)
		return -1;
#ifdef ECSIM_CHECK_VIEWS
	if (kept && instance_check(eng, arn, ci, e) != 0) {
		cJSON_Delete(ci);
		return -1;
	}
#endif
	cluster_arn = instance_cluster_arn(eng, arn);
	time_iso8601(now, 1, when);

	/* The detail members, in the order ECS writes them. */
	detail = cJSON_CreateObject();
	detail_take(detail, ci, "agentConnected");
	detail_take(detail, ci, "attributes");
	json_add_string(detail, "clusterArn", cluster_arn);
	detail_take(detail, ci, "containerInstanceArn");
	detail_take(detail, ci, "ec2InstanceId");
	detail_take(detail, ci, "registeredResources");
	detail_take(detail, ci, "remainingResources");
	detail_take(detail, ci, "status");
	detail_take(detail, ci, "version");
	detail_take(detail, ci, "versionInfo");
	json_add_string(detail, "updatedAt", when);

	ret = store_event_append(eng->st, now, "aws.ecs",
	    "ECS Container Instance State Change", arn, detail, e);
	cJSON_Delete(ci);
	free(cluster_arn);
	return ret;
}
