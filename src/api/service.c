/* CreateService, UpdateService, DescribeServices, ListServices and
 * DeleteService: validation here, behaviour in the engine. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

static const char *const include_tags[] = { "TAGS", NULL };
static const char *const propagate_values[] = { "TASK_DEFINITION", "SERVICE",
    "NONE", NULL };

/* A usable (ACTIVE) task definition; its ARN in *arn (caller frees). */
static int
active_taskdef(struct api_ctx *c, const char *ref, char **arn, cJSON **td,
    struct err *e)
{
	cJSON	*j;

	if ((j = store_taskdef_resolve(c->st, ref, e)) == NULL)
		return -1;
	if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, "status")) ?
	    cJSON_GetStringValue(cJSON_GetObjectItem(j, "status")) : "",
	    "ACTIVE") != 0) {
		cJSON_Delete(j);
		return err_set(e, ERR_CLIENT, "TaskDefinition is inactive");
	}
	*arn = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(j,
	    "taskDefinitionArn")));
	if (td != NULL)
		*td = j;
	else
		cJSON_Delete(j);
	return 0;
}

static int
check_deployment_configuration(const cJSON *dc, const char *strategy,
    struct err *e)
{
	static const char *const members[] = { "maximumPercent",
	    "minimumHealthyPercent", "deploymentCircuitBreaker", "alarms",
	    "strategy", "bakeTimeInMinutes", "lifecycleHooks", NULL };
	const cJSON	*cb;
	int64_t		 maxp = 200, minp = 100;
	int		 b, present;

	if (dc == NULL)
		return 0;
	if (api_only_members(dc, "deploymentConfiguration", members, e) != 0 ||
	    api_int(dc, "maximumPercent", 0, 0, 2000, &maxp, &present, e) != 0 ||
	    api_int(dc, "minimumHealthyPercent", 0, 0, 100, &minp, NULL,
	    e) != 0 ||
	    api_object(dc, "deploymentCircuitBreaker", 0, &cb, e) != 0)
		return -1;
	if (cb != NULL && (api_bool(cb, "enable", &b, NULL, e) != 0 ||
	    api_bool(cb, "rollback", &b, NULL, e) != 0))
		return -1;
	if (strcmp(strategy, "DAEMON") == 0 && present && maxp != 100)
		return err_set(e, ERR_INVALID, "The maximumPercent parameter "
		    "for a DAEMON service must be 100.");
	if (strcmp(strategy, "REPLICA") == 0 && maxp < 100)
		return err_set(e, ERR_INVALID, "maximumPercent must be at least "
		    "100 for a REPLICA service.");
	return 0;
}

static int
check_network(const cJSON *req, const cJSON *td, struct err *e)
{
	const cJSON	*nc, *av, *subnets;

	if (api_object(req, "networkConfiguration", 0, &nc, e) != 0)
		return -1;
	if (nc != NULL) {
		if (api_object(nc, "awsvpcConfiguration", 1, &av, e) != 0 ||
		    api_str_array(av, "subnets", 1, 16, &subnets, e) != 0)
			return -1;
		if (cJSON_GetArraySize(subnets) == 0)
			return err_set(e, ERR_INVALID, "subnets can not be "
			    "empty.");
	}
	if (td != NULL && cJSON_IsString(cJSON_GetObjectItem(td,
	    "networkMode")) && strcmp(cJSON_GetObjectItem(td,
	    "networkMode")->valuestring, "awsvpc") == 0 && nc == NULL)
		return err_set(e, ERR_INVALID, "Network Configuration must be "
		    "provided when networkMode 'awsvpc' is specified.");
	return 0;
}

/* Copies the request members a service keeps as configuration. */
static void
keep(cJSON *doc, const cJSON *req, const char *name)
{
	const cJSON	*j = cJSON_GetObjectItem(req, name);

	if (j == NULL || cJSON_IsNull(j))
		return;
	cJSON_DeleteItemFromObject(doc, name);
	cJSON_AddItemToObject(doc, name, cJSON_Duplicate(j, 1));
}

/* Sets doc's member name to v (taken) or, when v is NULL, leaves what
 * doc has ([] when it has nothing). */
static void
keep_or_empty(cJSON *doc, const char *name, cJSON *v)
{
	if (v != NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(doc, name);
	else if (cJSON_GetObjectItem(doc, name) == NULL)
		v = cJSON_CreateArray();
	if (v != NULL)
		cJSON_AddItemToObject(doc, name, v);
}

/*
 * placementStrategy and placementConstraints of req, checked against the
 * task definition and kept in the service's doc normalized; members the
 * request leaves out keep what the doc has ([] for a new service).
 */
static int
keep_placement(cJSON *doc, const cJSON *req, const cJSON *td, struct err *e)
{
	cJSON	*strategies, *constraints;

	if (api_placement_read(req, td, &strategies, &constraints, e) != 0)
		return -1;
	keep_or_empty(doc, "placementStrategy", strategies);
	keep_or_empty(doc, "placementConstraints", constraints);
	return 0;
}

/* ECS's defaults: 200/100 for REPLICA, 100/0 for DAEMON. */
static void
deployment_defaults(cJSON *doc, const char *strategy)
{
	cJSON	*dc = cJSON_GetObjectItem(doc, "deploymentConfiguration");
	int	 daemon = strcmp(strategy, "DAEMON") == 0;

	if (dc == NULL)
		dc = cJSON_AddObjectToObject(doc, "deploymentConfiguration");
	if (!cJSON_GetObjectItem(dc, "deploymentCircuitBreaker"))
		cJSON_AddItemToObject(dc, "deploymentCircuitBreaker",
		    cJSON_Parse("{\"enable\":false,\"rollback\":false}"));
	if (!cJSON_GetObjectItem(dc, "maximumPercent"))
		cJSON_AddNumberToObject(dc, "maximumPercent", daemon ? 100 : 200);
	if (!cJSON_GetObjectItem(dc, "minimumHealthyPercent"))
		cJSON_AddNumberToObject(dc, "minimumHealthyPercent",
		    daemon ? 0 : 100);
}

/*
 * What a DAEMON service may not have: a desiredCount (it is one task per
 * instance), placement strategies (it places on every instance) or
 * Fargate capacity (it runs on container instances).
 */
static int
check_daemon(const cJSON *req, int desired_given, const struct api_launch *l,
    struct err *e)
{
	if (desired_given)
		return err_set(e, ERR_INVALID, "The daemon scheduling strategy "
		    "does not support a desired count for services.");
	if (cJSON_GetArraySize(cJSON_GetObjectItem(req,
	    "placementStrategy")) > 0)
		return err_set(e, ERR_INVALID, "Placement strategies are not "
		    "supported with the DAEMON scheduling strategy.");
	if (l != NULL && l->type == LAUNCH_FARGATE)
		return err_set(e, ERR_INVALID, "The DAEMON scheduling strategy "
		    "does not support Fargate or capacity provider strategies; "
		    "use launchType EC2.");
	return 0;
}

/* The service shows launchType, or the capacity provider strategy it
 * launches by (taken from l), never both. */
static void
launch_set(cJSON *doc, struct api_launch *l)
{
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "launchType");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "capacityProviderStrategy");
	if (l->strategy != NULL) {
		cJSON_AddItemToObject(doc, "capacityProviderStrategy",
		    l->strategy);
		l->strategy = NULL;
	} else
		cJSON_AddStringToObject(doc, "launchType",
		    model_launch_types[l->type]);
}

int
api_create_service(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	struct service_row	 s, old;
	struct api_launch	 l;
	const char		*name, *tdref, *lt, *strategy, *prop;
	const cJSON		*dc, *arr, *tags, *ctrl;
	cJSON			*td = NULL;
	char			*cluster = NULL, *tdarn = NULL;
	int64_t			 desired = 0, grace;
	int			 present, found, ret = -1, b, daemon;

	memset(&s, 0, sizeof s);
	memset(&old, 0, sizeof old);
	memset(&l, 0, sizeof l);
	if (api_cluster(c, req, &cluster, e) != 0)
		goto out;
	if (api_str_len(req, "serviceName", 1, 255, &name, e) != 0 ||
	    api_str(req, "taskDefinition", 0, &tdref, e) != 0 ||
	    api_enum(req, "launchType", 0, model_launch_types, &lt, e) != 0 ||
	    api_enum(req, "schedulingStrategy", 0, model_scheduling_strategies,
	    &strategy, e) != 0 ||
	    api_int(req, "desiredCount", 0, 0, 5000, &desired, &present,
	    e) != 0 ||
	    api_int(req, "healthCheckGracePeriodSeconds", 0, 0, 2147483647,
	    &grace, NULL, e) != 0 ||
	    api_object(req, "deploymentConfiguration", 0, &dc, e) != 0 ||
	    api_array(req, "capacityProviderStrategy", 0, 20, &arr, e) != 0 ||
	    api_array(req, "loadBalancers", 0, 0, &arr, e) != 0 ||
	    api_array(req, "tags", 0, 50, &tags, e) != 0 ||
	    api_object(req, "deploymentController", 0, &ctrl, e) != 0 ||
	    api_enum(req, "propagateTags", 0, propagate_values, &prop, e) != 0 ||
	    api_bool(req, "enableECSManagedTags", &b, NULL, e) != 0 ||
	    api_bool(req, "enableExecuteCommand", &b, NULL, e) != 0)
		goto out;
	if (!str_is_ecs_name(name, 255)) {
		err_set(e, ERR_INVALID, "serviceName '%.64s' may contain only "
		    "letters, numbers, hyphens and underscores, up to 255.",
		    name);
		goto out;
	}
	if (strategy == NULL)
		strategy = "REPLICA";
	daemon = strcmp(strategy, "DAEMON") == 0;
	if (daemon && check_daemon(req, present, NULL, e) != 0)
		goto out;
	if (!present && !daemon) {
		err_set(e, ERR_INVALID, "desiredCount is required for a "
		    "REPLICA service.");
		goto out;
	}
	if (tdref == NULL) {
		err_set(e, ERR_INVALID, "TaskDefinition must be specified for "
		    "the ECS deployment controller.");
		goto out;
	}
	if (ctrl != NULL && cJSON_GetStringValue(cJSON_GetObjectItem(ctrl,
	    "type")) != NULL && strcmp(cJSON_GetStringValue(
	    cJSON_GetObjectItem(ctrl, "type")), "ECS") != 0) {
		err_set(e, ERR_UNSUPPORTED, "ecsim runs only the ECS deployment "
		    "controller (rolling update)");
		goto out;
	}
	if (check_deployment_configuration(dc, strategy, e) != 0 ||
	    active_taskdef(c, tdref, &tdarn, &td, e) != 0 ||
	    api_launch(c, req, cluster, td, &l, e) != 0 ||
	    (daemon && check_daemon(req, 0, &l, e) != 0) ||
	    check_network(req, td, e) != 0)
		goto out;
	if ((found = store_service_get(c->st, cluster, name, &old, e)) < 0)
		goto out;
	if (found && strcmp(old.status, "INACTIVE") != 0) {
		err_set(e, ERR_INVALID, "Creation of service was not "
		    "idempotent.");
		goto out;
	}
	if (found && store_service_delete(c->st, old.arn, e) != 0)
		goto out;
	s.arn = engine_arn(c->eng, "service/%s/%s", cluster, name);
	s.cluster = xstrdup(cluster);
	s.name = xstrdup(name);
	s.status = xstrdup("ACTIVE");
	s.desired_count = desired;
	s.task_definition = xstrdup(tdarn);
	s.scheduling_strategy = xstrdup(strategy);
	s.created_at = s.updated_at = c->now;
	s.doc = cJSON_CreateObject();
	launch_set(s.doc, &l);
	if (l.type == LAUNCH_FARGATE)
		cJSON_AddStringToObject(s.doc, "platformVersion", "LATEST");
	keep(s.doc, req, "platformVersion");
	keep(s.doc, req, "deploymentConfiguration");
	deployment_defaults(s.doc, strategy);
	cJSON_AddItemToObject(s.doc, "loadBalancers", cJSON_CreateArray());
	keep(s.doc, req, "loadBalancers");
	cJSON_AddItemToObject(s.doc, "serviceRegistries", cJSON_CreateArray());
	keep(s.doc, req, "serviceRegistries");
	if (keep_placement(s.doc, req, td, e) != 0)
		goto out;
	keep(s.doc, req, "networkConfiguration");
	keep(s.doc, req, "healthCheckGracePeriodSeconds");
	cJSON_AddItemToObject(s.doc, "deploymentController",
	    cJSON_Parse("{\"type\":\"ECS\"}"));
	keep(s.doc, req, "roleArn");
	cJSON_AddBoolToObject(s.doc, "enableECSManagedTags", 0);
	keep(s.doc, req, "enableECSManagedTags");
	cJSON_AddStringToObject(s.doc, "propagateTags", "NONE");
	keep(s.doc, req, "propagateTags");
	cJSON_AddBoolToObject(s.doc, "enableExecuteCommand", 0);
	keep(s.doc, req, "enableExecuteCommand");
	if (engine_service_create(c->eng, &s, e) != 0)
		goto out;
	if (tags != NULL && store_tags_set(c->st, s.arn, tags, e) != 0)
		goto out;
	cJSON_AddItemToObject(resp, "service", engine_service_describe(c->eng,
	    &s, 0));
	ret = 0;
out:
	cJSON_Delete(td);
	api_launch_clear(&l);
	free(cluster);
	free(tdarn);
	service_row_clear(&s);
	service_row_clear(&old);
	return ret;
}

/* The service named by the request; ServiceNotFoundException if none. */
static int
service_of(struct api_ctx *c, const cJSON *req, char **cluster,
    struct service_row *s, struct err *e)
{
	const char	*ref;
	int		 found;

	if (api_cluster(c, req, cluster, e) != 0 ||
	    api_str(req, "service", 1, &ref, e) != 0)
		return -1;
	if ((found = store_service_get(c->st, *cluster, ref, s, e)) < 0)
		return -1;
	if (!found)
		return err_set(e, ERR_SERVICE_NOT_FOUND, "Service not found.");
	return 0;
}

int
api_update_service(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	struct service_row	 s;
	struct api_launch	 l;
	const char		*tdref;
	const cJSON		*dc, *arr;
	char			*cluster = NULL, *tdarn = NULL;
	cJSON			*td = NULL, *before = NULL;
	int64_t			 desired, grace;
	int			 present, force = 0, deploy = 0, ret = -1, b;

	memset(&s, 0, sizeof s);
	memset(&l, 0, sizeof l);
	if (service_of(c, req, &cluster, &s, e) != 0)
		goto out;
	before = cJSON_Duplicate(s.doc, 1);
	if (strcmp(s.status, "ACTIVE") != 0) {
		err_set(e, ERR_SERVICE_NOT_ACTIVE, "Service was not ACTIVE.");
		goto out;
	}
	if (api_str(req, "taskDefinition", 0, &tdref, e) != 0 ||
	    api_int(req, "desiredCount", 0, 0, 5000, &desired, &present,
	    e) != 0 ||
	    api_int(req, "healthCheckGracePeriodSeconds", 0, 0, 2147483647,
	    &grace, NULL, e) != 0 ||
	    api_object(req, "deploymentConfiguration", 0, &dc, e) != 0 ||
	    api_bool(req, "forceNewDeployment", &force, NULL, e) != 0 ||
	    api_bool(req, "enableExecuteCommand", &b, NULL, e) != 0 ||
	    api_array(req, "capacityProviderStrategy", 0, 20, &arr, e) != 0 ||
	    check_deployment_configuration(dc, s.scheduling_strategy, e) != 0)
		goto out;
	if (strcmp(s.scheduling_strategy, "DAEMON") == 0 &&
	    check_daemon(req, present, NULL, e) != 0)
		goto out;
	if (tdref != NULL) {
		if (active_taskdef(c, tdref, &tdarn, &td, e) != 0)
			goto out;
		if (strcmp(tdarn, s.task_definition) != 0) {
			free(s.task_definition);
			s.task_definition = xstrdup(tdarn);
			deploy = 1;
		}
	} else if ((td = store_taskdef_resolve(c->st, s.task_definition,
	    e)) == NULL)
		goto out;
	if (cJSON_GetObjectItem(req, "networkConfiguration") != NULL) {
		if (check_network(req, td, e) != 0)
			goto out;
		keep(s.doc, req, "networkConfiguration");
	}
	if (cJSON_GetObjectItem(req, "capacityProviderStrategy") != NULL) {
		/* A new strategy (or, given [], the cluster's default). */
		if (api_launch(c, req, cluster, td, &l, e) != 0 ||
		    (strcmp(s.scheduling_strategy, "DAEMON") == 0 &&
		    check_daemon(req, 0, &l, e) != 0))
			goto out;
		launch_set(s.doc, &l);
	}
	if (keep_placement(s.doc, req, td, e) != 0)
		goto out;
	keep(s.doc, req, "platformVersion");
	keep(s.doc, req, "healthCheckGracePeriodSeconds");
	keep(s.doc, req, "enableExecuteCommand");
	if (dc != NULL) {
		keep(s.doc, req, "deploymentConfiguration");
		deployment_defaults(s.doc, s.scheduling_strategy);
	}
	if (present)
		s.desired_count = desired;
	/* desiredCount, the grace period or the deployment configuration
	 * alone start no deployment; forceNewDeployment always does. */
	deploy |= engine_service_needs_deployment(before, s.doc);
	if (engine_service_update(c->eng, &s, deploy || force, e) != 0)
		goto out;
	cJSON_AddItemToObject(resp, "service", engine_service_describe(c->eng,
	    &s, 0));
	ret = 0;
out:
	cJSON_Delete(td);
	cJSON_Delete(before);
	api_launch_clear(&l);
	free(cluster);
	free(tdarn);
	service_row_clear(&s);
	return ret;
}

int
api_describe_services(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	struct service_row	 s;
	const cJSON		*names, *inc, *j;
	cJSON			*list, *failures;
	char			*cluster = NULL;
	int			 with_tags = 0, found;

	if (api_cluster(c, req, &cluster, e) != 0)
		return -1;
	if (api_str_array(req, "services", 1, 10, &names, e) != 0 ||
	    api_str_array(req, "include", 0, 1, &inc, e) != 0) {
		free(cluster);
		return -1;
	}
	cJSON_ArrayForEach(j, inc) {
		if (strcmp(j->valuestring, include_tags[0]) != 0) {
			free(cluster);
			return err_set(e, ERR_INVALID, "1 validation error "
			    "detected: Value '%.32s' at 'include' failed to "
			    "satisfy constraint: Member must satisfy enum value "
			    "set: [TAGS]", j->valuestring);
		}
		with_tags = 1;
	}
	list = cJSON_AddArrayToObject(resp, "services");
	failures = cJSON_AddArrayToObject(resp, "failures");
	cJSON_ArrayForEach(j, names) {
		if ((found = store_service_get(c->st, cluster, j->valuestring,
		    &s, e)) < 0) {
			free(cluster);
			return -1;
		}
		if (!found) {
			char	*arn = str_has_prefix(j->valuestring, "arn:") ?
			    xstrdup(j->valuestring) : engine_arn(c->eng,
			    "service/%s/%s", cluster, j->valuestring);

			api_add_failure(failures, arn, "MISSING", NULL);
			free(arn);
			continue;
		}
		cJSON_AddItemToArray(list, engine_service_describe(c->eng, &s,
		    with_tags));
		service_row_clear(&s);
	}
	free(cluster);
	return 0;
}

int
api_list_services(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	struct api_page	 p;
	const char	*lt, *strategy;
	char		*cluster = NULL;
	cJSON		*arns;
	int64_t		 total;
	int		 ret = -1;

	if (api_cluster(c, req, &cluster, e) != 0)
		return -1;
	if (api_page(req, &p, e) != 0 ||
	    api_enum(req, "launchType", 0, model_launch_types, &lt, e) != 0 ||
	    api_enum(req, "schedulingStrategy", 0, model_scheduling_strategies,
	    &strategy, e) != 0)
		goto out;
	if (store_service_list(c->st, cluster, lt, strategy, p.offset, p.limit,
	    &arns, &total, e) != 0)
		goto out;
	cJSON_AddItemToObject(resp, "serviceArns", arns);
	api_page_token(resp, &p, total);
	ret = 0;
out:
	free(cluster);
	return ret;
}

int
api_delete_service(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	struct service_row	 s;
	char			*cluster = NULL;
	int			 force = 0, ret = -1;

	memset(&s, 0, sizeof s);
	if (service_of(c, req, &cluster, &s, e) != 0 ||
	    api_bool(req, "force", &force, NULL, e) != 0)
		goto out;
	if (strcmp(s.status, "ACTIVE") != 0) {
		err_set(e, ERR_SERVICE_NOT_ACTIVE, "Service was not ACTIVE.");
		goto out;
	}
	/* A DAEMON service's count is not the user's to scale down. */
	if (s.desired_count > 0 && !force &&
	    strcmp(s.scheduling_strategy, "DAEMON") != 0) {
		err_set(e, ERR_INVALID, "The service cannot be stopped while it "
		    "is scaled above 0.");
		goto out;
	}
	if (engine_service_delete(c->eng, &s, e) != 0)
		goto out;
	cJSON_AddItemToObject(resp, "service", engine_service_describe(c->eng,
	    &s, 0));
	ret = 0;
out:
	free(cluster);
	service_row_clear(&s);
	return ret;
}
