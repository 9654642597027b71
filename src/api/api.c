/* The ECS API dispatch table and the one path every request takes: parse,
 * find the operation, run it in a transaction, shape the reply. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

#define TARGET_PREFIX	"AmazonEC2ContainerServiceV20141113."

/*
 * Every ECS operation in the API model, in its order. A NULL handler is an
 * operation ecsim does not do yet: it answers UnsupportedFeatureException
 * naming the operation, never an empty success.
 */
static const struct api_op {
	const char	*name;
	api_fn		 fn;
} api_ops[] = {
	{ "ContinueServiceDeployment",		NULL },
	{ "CreateCapacityProvider",		NULL },
	{ "CreateCluster",			api_create_cluster },
	{ "CreateDaemon",			NULL },
	{ "CreateExpressGatewayService",	NULL },
	{ "CreateService",			api_create_service },
	{ "CreateTaskSet",			NULL },
	{ "DeleteAccountSetting",		NULL },
	{ "DeleteAttributes",			api_delete_attributes },
	{ "DeleteCapacityProvider",		NULL },
	{ "DeleteCluster",			api_delete_cluster },
	{ "DeleteDaemon",			NULL },
	{ "DeleteDaemonTaskDefinition",		NULL },
	{ "DeleteExpressGatewayService",	NULL },
	{ "DeleteService",			api_delete_service },
	{ "DeleteTaskDefinitions",		api_delete_task_definitions },
	{ "DeleteTaskSet",			NULL },
	{ "DeregisterContainerInstance",	api_deregister_container_instance },
	{ "DeregisterTaskDefinition",		api_deregister_task_definition },
	{ "DescribeCapacityProviders",		api_describe_capacity_providers },
	{ "DescribeClusters",			api_describe_clusters },
	{ "DescribeContainerInstances",		api_describe_container_instances },
	{ "DescribeDaemon",			NULL },
	{ "DescribeDaemonDeployments",		NULL },
	{ "DescribeDaemonRevisions",		NULL },
	{ "DescribeDaemonTaskDefinition",	NULL },
	{ "DescribeExpressGatewayService",	NULL },
	{ "DescribeServiceDeployments",		NULL },
	{ "DescribeServiceRevisions",		NULL },
	{ "DescribeServices",			api_describe_services },
	{ "DescribeTaskDefinition",		api_describe_task_definition },
	{ "DescribeTaskSets",			NULL },
	{ "DescribeTasks",			api_describe_tasks },
	{ "DiscoverPollEndpoint",		NULL },
	{ "ExecuteCommand",			NULL },
	{ "GetTaskProtection",			NULL },
	{ "ListAccountSettings",		NULL },
	{ "ListAttributes",			api_list_attributes },
	{ "ListClusters",			api_list_clusters },
	{ "ListContainerInstances",		api_list_container_instances },
	{ "ListDaemonDeployments",		NULL },
	{ "ListDaemonTaskDefinitions",		NULL },
	{ "ListDaemons",			NULL },
	{ "ListServiceDeployments",		NULL },
	{ "ListServices",			api_list_services },
	{ "ListServicesByNamespace",		NULL },
	{ "ListTagsForResource",		api_list_tags_for_resource },
	{ "ListTaskDefinitionFamilies",		api_list_task_definition_families },
	{ "ListTaskDefinitions",		api_list_task_definitions },
	{ "ListTasks",				api_list_tasks },
	{ "PutAccountSetting",			NULL },
	{ "PutAccountSettingDefault",		NULL },
	{ "PutAttributes",			api_put_attributes },
	{ "PutClusterCapacityProviders",	api_put_cluster_capacity_providers },
	{ "RegisterContainerInstance",		api_register_container_instance },
	{ "RegisterDaemonTaskDefinition",	NULL },
	{ "RegisterTaskDefinition",		api_register_task_definition },
	{ "RunTask",				api_run_task },
	{ "StartTask",				api_start_task },
	{ "StopServiceDeployment",		NULL },
	{ "StopTask",				api_stop_task },
	{ "SubmitAttachmentStateChanges",	NULL },
	{ "SubmitContainerStateChange",		NULL },
	{ "SubmitTaskStateChange",		NULL },
	{ "TagResource",			api_tag_resource },
	{ "UntagResource",			api_untag_resource },
	{ "UpdateCapacityProvider",		NULL },
	{ "UpdateCluster",			api_update_cluster },
	{ "UpdateClusterSettings",		api_update_cluster_settings },
	{ "UpdateContainerAgent",		NULL },
	{ "UpdateContainerInstancesState",	api_update_container_instances_state },
	{ "UpdateDaemon",			NULL },
	{ "UpdateExpressGatewayService",	NULL },
	{ "UpdateService",			api_update_service },
	{ "UpdateServicePrimaryTaskSet",	NULL },
	{ "UpdateTaskProtection",		NULL },
	{ "UpdateTaskSet",			NULL },
};
#define API_NOPS (sizeof api_ops / sizeof api_ops[0])

static api_hook_fn	 api_hook;
static void		*api_hook_arg;

void
api_set_hook(api_hook_fn fn, void *arg)
{
	api_hook = fn;
	api_hook_arg = arg;
}

const struct api_op_info *
api_operations(size_t *n)
{
	static struct api_op_info	info[API_NOPS];
	size_t				i;

	for (i = 0; i < API_NOPS; i++) {
		info[i].name = api_ops[i].name;
		info[i].implemented = api_ops[i].fn != NULL;
	}
	*n = API_NOPS;
	return info;
}

static const struct api_op *
api_find(const char *name)
{
	size_t	lo = 0, hi = API_NOPS, mid;
	int	c;

	/* The table is sorted by name. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(name, api_ops[mid].name);
		if (c == 0)
			return &api_ops[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The one mapping from an engine error to an AWS __type and status. */
static void
api_error_type(enum err_code code, const char **type, int *status)
{
	*status = 400;
	switch (code) {
	case ERR_NONE:
	case ERR_INTERNAL:
		*type = "ServerException";
		*status = 500;
		break;
	case ERR_INVALID:
		*type = "InvalidParameterException";
		break;
	case ERR_CLIENT:
		*type = "ClientException";
		break;
	case ERR_CLUSTER_NOT_FOUND:
		*type = "ClusterNotFoundException";
		break;
	case ERR_SERVICE_NOT_FOUND:
		*type = "ServiceNotFoundException";
		break;
	case ERR_SERVICE_NOT_ACTIVE:
		*type = "ServiceNotActiveException";
		break;
	case ERR_CLUSTER_HAS_SERVICES:
		*type = "ClusterContainsServicesException";
		break;
	case ERR_CLUSTER_HAS_INSTANCES:
		*type = "ClusterContainsContainerInstancesException";
		break;
	case ERR_CLUSTER_HAS_TASKS:
		*type = "ClusterContainsTasksException";
		break;
	case ERR_RESOURCE_NOT_FOUND:
		*type = "ResourceNotFoundException";
		break;
	case ERR_RESOURCE_IN_USE:
		*type = "ResourceInUseException";
		break;
	case ERR_TARGET_NOT_FOUND:
		*type = "TargetNotFoundException";
		break;
	case ERR_ATTRIBUTE_LIMIT:
		*type = "AttributeLimitExceededException";
		break;
	case ERR_LIMIT:
		*type = "LimitExceededException";
		break;
	case ERR_UNSUPPORTED:
	case ERR_NOT_IMPLEMENTED:
		*type = "UnsupportedFeatureException";
		break;
	case ERR_UNKNOWN_OPERATION:
		*type = "UnknownOperationException";
		break;
	case ERR_SERIALIZATION:
		*type = "SerializationException";
		break;
	case ERR_ACCESS_DENIED:
		*type = "AccessDeniedException";
		break;
	}
}

/* The body of an error reply: {"__type": ..., "message": ...}. */
static cJSON *
error_body(const char *type, const char *message)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "__type", type);
	cJSON_AddStringToObject(o, "message", message);
	return o;
}

void
api_error_reply(struct engine *eng, int status, const char *type,
    const char *message, struct api_reply *reply)
{
	cJSON	*o = error_body(type, message);

	engine_request_id(eng, reply->request_id);
	reply->status = status;
	reply->body = json_print(o);
	cJSON_Delete(o);
}

void
api_ok_reply(struct engine *eng, cJSON *resp, struct api_reply *reply)
{
	engine_request_id(eng, reply->request_id);
	reply->status = 200;
	reply->body = json_print(resp);
	cJSON_Delete(resp);
}

void
api_err_reply(struct engine *eng, const struct err *e, struct api_reply *reply)
{
	const char	*type = "ServerException";
	int		 status = 500;

	api_error_type(e->code, &type, &status);
	api_error_reply(eng, status, type, e->msg, reply);
}

cJSON *
api_parse_body(const char *body, size_t len, struct err *e)
{
	const char	*end = NULL;
	cJSON		*req;

	if (len == 0)
		return cJSON_CreateObject();
	if ((req = cJSON_ParseWithLengthOpts(body, len, &end, 0)) == NULL) {
		err_set(e, ERR_SERIALIZATION, "the request body is not valid "
		    "JSON (near byte %zu)", end != NULL && end >= body ?
		    (size_t)(end - body) : (size_t)0);
		return NULL;
	}
	/* Only white space may follow the value. */
	while (end < body + len && *end != '\0' &&
	    strchr(" \t\r\n", *end) != NULL)
		end++;
	if (end < body + len) {
		err_set(e, ERR_SERIALIZATION, "the request body has more after "
		    "its JSON value (at byte %zu)", (size_t)(end - body));
		cJSON_Delete(req);
		return NULL;
	}
	if (!cJSON_IsObject(req)) {
		err_set(e, ERR_SERIALIZATION, "the request body must be a JSON "
		    "object");
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

int
api_run(struct engine *eng, api_fn fn, const cJSON *req, cJSON *resp,
    int64_t *now, struct err *e)
{
	struct api_ctx	c;

	c.eng = eng;
	c.st = engine_store(eng);
	c.now = *now = engine_now(eng);
	if (store_begin(c.st, e) != 0)
		return -1;
	if (fn(&c, req, resp, e) != 0) {
		store_rollback(c.st);
		engine_after_rollback(eng);
		return -1;
	}
	if (store_commit(c.st, e) != 0) {
		engine_after_rollback(eng);
		return -1;
	}
	engine_after_commit(eng);
	return 0;
}

/* The operation called name, or NULL with e set: unknown, or one ecsim
 * does not do yet. */
static const struct api_op *
op_named(const char *name, struct err *e)
{
	const struct api_op	*op;

	if ((op = api_find(name)) == NULL) {
		err_set(e, ERR_UNKNOWN_OPERATION, "%s is not an ECS "
		    "operation", name);
		return NULL;
	}
	if (op->fn == NULL) {
		err_set(e, ERR_NOT_IMPLEMENTED, "ecsim does not implement "
		    "%s yet; see docs/api-coverage.md for what it does",
		    op->name);
		return NULL;
	}
	return op;
}

/* Runs op on req: its reply, or NULL with e set. The hook hears of both;
 * of a failure only when there was an operation and an object to run. */
static cJSON *
run_op(struct engine *eng, const struct api_op *op, const cJSON *req,
    struct err *e)
{
	cJSON		*resp = NULL;
	const char	*type;
	int64_t		 now;
	int		 status;

	if (op != NULL && req != NULL) {
		resp = cJSON_CreateObject();
		if (api_run(eng, op->fn, req, resp, &now, e) == 0) {
			if (api_hook != NULL)
				api_hook(api_hook_arg, op->name, req, now,
				    NULL);
			return resp;
		}
		cJSON_Delete(resp);
	}
	if (e->code == ERR_INTERNAL)
		log_warn("%s: %s", op ? op->name : "request", e->msg);
	if (api_hook != NULL && op != NULL && cJSON_IsObject(req)) {
		api_error_type(e->code, &type, &status);
		api_hook(api_hook_arg, op->name, req, engine_now(eng), type);
	}
	return NULL;
}

void
api_handle(struct engine *eng, const char *target, const char *body,
    size_t len, struct api_reply *reply)
{
	const struct api_op	*op = NULL;
	struct err		 e;
	cJSON			*req = NULL, *resp;

	err_clear(&e);
	memset(reply, 0, sizeof *reply);
	if (target == NULL || !str_has_prefix(target, TARGET_PREFIX))
		err_set(&e, ERR_UNKNOWN_OPERATION, "missing or unknown "
		    "X-Amz-Target header: the ECS API wants "
		    "X-Amz-Target: " TARGET_PREFIX "<Operation>");
	else if ((op = op_named(target + strlen(TARGET_PREFIX), &e)) != NULL)
		req = api_parse_body(body, len, &e);
	if ((resp = run_op(eng, op, req, &e)) != NULL)
		api_ok_reply(eng, resp, reply);
	else
		api_err_reply(eng, &e, reply);
	cJSON_Delete(req);
}

cJSON *
api_call(struct engine *eng, const char *name, const cJSON *req,
    int *status)
{
	const struct api_op	*op;
	struct err		 e;
	cJSON			*resp = NULL;
	const char		*type;
	char			 id[40];

	err_clear(&e);
	engine_request_id(eng, id);	/* as every reply takes one */
	*status = 200;
	if ((op = op_named(name, &e)) != NULL && !cJSON_IsObject(req))
		err_set(&e, ERR_SERIALIZATION, "the request body must be a "
		    "JSON object");
	else if ((resp = run_op(eng, op, req, &e)) != NULL)
		return resp;
	api_error_type(e.code, &type, status);
	return error_body(type, e.msg);
}
