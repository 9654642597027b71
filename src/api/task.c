/* RunTask, StartTask, StopTask, DescribeTasks and ListTasks. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

/* The members RunTask and StartTask share. */
struct run_args {
	const char	*td_ref;
	const char	*group;
	const char	*started_by;
	const cJSON	*overrides;
	const cJSON	*network;
	const cJSON	*tags;
	cJSON		*td;
	char		*group_buf;
	cJSON		*strategies;	/* placement, normalized */
	cJSON		*constraints;
};

static int
run_args_read(struct api_ctx *c, const cJSON *req, struct run_args *a,
    struct err *e)
{
	const cJSON	*j;
	const char	*family;

	memset(a, 0, sizeof *a);
	if (api_str(req, "taskDefinition", 1, &a->td_ref, e) != 0 ||
	    api_str_len(req, "group", 0, 255, &a->group, e) != 0 ||
	    api_str_len(req, "startedBy", 0, 36, &a->started_by, e) != 0 ||
	    api_object(req, "overrides", 0, &a->overrides, e) != 0 ||
	    api_object(req, "networkConfiguration", 0, &a->network, e) != 0 ||
	    api_array(req, "tags", 0, 50, &a->tags, e) != 0)
		return -1;
	if (a->overrides != NULL && api_array(a->overrides,
	    "containerOverrides", 0, 0, &j, e) != 0)
		return -1;
	if ((a->td = store_taskdef_resolve(c->st, a->td_ref, e)) == NULL)
		return -1;
	if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(a->td, "status")) ?
	    cJSON_GetStringValue(cJSON_GetObjectItem(a->td, "status")) : "",
	    "ACTIVE") != 0)
		return err_set(e, ERR_CLIENT, "TaskDefinition is inactive");
	if (task_is_awsvpc(a->td) && a->network == NULL)
		return err_set(e, ERR_INVALID, "Network Configuration must be "
		    "provided when networkMode 'awsvpc' is specified.");
	if (api_placement_read(req, a->td, &a->strategies, &a->constraints,
	    e) != 0)
		return -1;
	if (a->group == NULL) {
		family = cJSON_GetStringValue(cJSON_GetObjectItem(a->td,
		    "family"));
		a->group_buf = xprintf("family:%s", family ? family : "");
		a->group = a->group_buf;
	}
	return 0;
}

static void
run_args_clear(struct run_args *a)
{
	cJSON_Delete(a->td);
	cJSON_Delete(a->strategies);
	cJSON_Delete(a->constraints);
	free(a->group_buf);
}

/* What RunTask and StartTask ask of every task alike. */
static void
run_spec(struct task_spec *spec, const char *cluster, const struct run_args *a)
{
	spec->cluster = cluster;
	spec->td = a->td;
	spec->group = a->group;
	spec->started_by = a->started_by;
	spec->overrides = a->overrides;
	spec->network_configuration = a->network;
	spec->tags = a->tags;
	spec->placement_constraints = a->constraints;
}

static void
add_tasks(struct api_ctx *c, cJSON *list, char **arns, size_t n,
    const char *cluster)
{
	struct task_row	 t;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (store_task_get(c->st, cluster, arns[i], &t, NULL) != 1)
			continue;
		cJSON_AddItemToArray(list, engine_task_describe(c->eng, &t, 0));
		task_row_clear(&t);
	}
}

int
api_run_task(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	struct run_args		 a;
	struct run_request	 rq;
	struct run_result	 rr;
	struct api_launch	 l;
	char			*cluster = NULL;
	int64_t			 count = 1;
	int			 ret = -1;

	memset(&a, 0, sizeof a);
	memset(&rr, 0, sizeof rr);
	memset(&rq, 0, sizeof rq);
	memset(&l, 0, sizeof l);
	if (api_cluster(c, req, &cluster, e) != 0 ||
	    api_int(req, "count", 0, 1, 10, &count, NULL, e) != 0 ||
	    run_args_read(c, req, &a, e) != 0 ||
	    api_launch(c, req, cluster, a.td, &l, e) != 0)
		goto out;
	run_spec(&rq.spec, cluster, &a);
	rq.spec.launch_type = l.type;
	rq.spec.strategy = l.strategy;
	rq.spec.placement_strategy = a.strategies;
	rq.count = (int)count;
	if (engine_run_tasks(c->eng, &rq, &rr, e) != 0)
		goto out;
	if (rr.no_instances) {
		err_set(e, ERR_INVALID, "No Container Instances were found in "
		    "your cluster.");
		goto out;
	}
	add_tasks(c, cJSON_AddArrayToObject(resp, "tasks"), rr.arns, rr.n,
	    cluster);
	cJSON_AddItemToObject(resp, "failures", rr.failures);
	rr.failures = NULL;
	ret = 0;
out:
	run_result_clear(&rr);
	run_args_clear(&a);
	api_launch_clear(&l);
	free(cluster);
	return ret;
}

int
api_start_task(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	struct run_args		 a;
	struct run_request	 rq;
	struct run_result	 rr;
	const cJSON		*ids, *j;
	cJSON			*tasks, *failures;
	char			*cluster = NULL;
	int			 ret = -1;

	memset(&a, 0, sizeof a);
	memset(&rr, 0, sizeof rr);
	if (api_cluster(c, req, &cluster, e) != 0 ||
	    api_str_array(req, "containerInstances", 1, 10, &ids, e) != 0 ||
	    run_args_read(c, req, &a, e) != 0)
		goto out;
	if (cJSON_GetArraySize(ids) == 0) {
		err_set(e, ERR_INVALID, "containerInstances can not be empty.");
		goto out;
	}
	tasks = cJSON_AddArrayToObject(resp, "tasks");
	failures = cJSON_AddArrayToObject(resp, "failures");
	cJSON_ArrayForEach(j, ids) {
		memset(&rq, 0, sizeof rq);
		/* The named instance: constraints hold, strategies have
		 * nothing to choose between. */
		run_spec(&rq.spec, cluster, &a);
		rq.spec.launch_type = LAUNCH_EC2;
		rq.spec.instance_arn = j->valuestring;
		rq.count = 1;
		if (engine_run_tasks(c->eng, &rq, &rr, e) != 0)
			goto out;
		add_tasks(c, tasks, rr.arns, rr.n, cluster);
		while (cJSON_GetArraySize(rr.failures) > 0)
			cJSON_AddItemToArray(failures,
			    cJSON_DetachItemFromArray(rr.failures, 0));
		run_result_clear(&rr);
	}
	ret = 0;
out:
	run_result_clear(&rr);
	run_args_clear(&a);
	free(cluster);
	return ret;
}

int
api_stop_task(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	struct task_row	 t;
	const char	*ref, *reason;
	char		*cluster = NULL;
	int		 found, ret = -1;

	memset(&t, 0, sizeof t);
	if (api_cluster(c, req, &cluster, e) != 0 ||
	    api_str(req, "task", 1, &ref, e) != 0 ||
	    api_str_len(req, "reason", 0, 255, &reason, e) != 0)
		goto out;
	if ((found = store_task_get(c->st, cluster, ref, &t, e)) < 0)
		goto out;
	if (!found || strcmp(t.cluster, cluster) != 0) {
		err_set(e, ERR_INVALID, "The referenced task was not found.");
		goto out;
	}
	if (engine_task_stop_user(c->eng, &t, reason, e) != 0)
		goto out;
	cJSON_AddItemToObject(resp, "task", engine_task_describe(c->eng, &t,
	    0));
	ret = 0;
out:
	task_row_clear(&t);
	free(cluster);
	return ret;
}

int
api_describe_tasks(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	struct task_row	 t;
	const cJSON	*refs, *inc, *j;
	cJSON		*tasks, *failures;
	char		*cluster = NULL, *arn;
	int		 with_tags = 0, found, ret = -1;

	if (api_cluster(c, req, &cluster, e) != 0 ||
	    api_str_array(req, "tasks", 1, 100, &refs, e) != 0 ||
	    api_str_array(req, "include", 0, 1, &inc, e) != 0)
		goto out;
	cJSON_ArrayForEach(j, inc) {
		if (strcmp(j->valuestring, "TAGS") != 0) {
			err_set(e, ERR_INVALID, "1 validation error detected: "
			    "Value '%.32s' at 'include' failed to satisfy "
			    "constraint: Member must satisfy enum value set: "
			    "[TAGS]", j->valuestring);
			goto out;
		}
		with_tags = 1;
	}
	if (cJSON_GetArraySize(refs) == 0) {
		err_set(e, ERR_INVALID, "Tasks cannot be empty.");
		goto out;
	}
	tasks = cJSON_AddArrayToObject(resp, "tasks");
	failures = cJSON_AddArrayToObject(resp, "failures");
	cJSON_ArrayForEach(j, refs) {
		if ((found = store_task_get(c->st, cluster, j->valuestring, &t,
		    e)) < 0)
			goto out;
		if (found && strcmp(t.cluster, cluster) == 0)
			cJSON_AddItemToArray(tasks, engine_task_describe(c->eng,
			    &t, with_tags));
		else {
			arn = str_has_prefix(j->valuestring, "arn:") ?
			    xstrdup(j->valuestring) : engine_arn(c->eng,
			    "task/%s/%s", cluster, j->valuestring);
			api_add_failure(failures, arn, "MISSING", NULL);
			free(arn);
		}
		if (found)
			task_row_clear(&t);
	}
	ret = 0;
out:
	free(cluster);
	return ret;
}

int
api_list_tasks(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	struct task_filter	 f;
	struct api_page		 p;
	struct service_row	 s;
	const char		*desired, *svc, *ci;
	char			*cluster = NULL, *ci_arn = NULL;
	cJSON			*arns;
	int64_t			 total;
	int			 ret = -1, found;

	memset(&f, 0, sizeof f);
	memset(&s, 0, sizeof s);
	if (api_cluster(c, req, &cluster, e) != 0 ||
	    api_page(req, &p, e) != 0 ||
	    api_str(req, "containerInstance", 0, &ci, e) != 0 ||
	    api_str_len(req, "family", 0, 255, &f.family, e) != 0 ||
	    api_str(req, "startedBy", 0, &f.started_by, e) != 0 ||
	    api_str(req, "serviceName", 0, &svc, e) != 0 ||
	    api_enum(req, "desiredStatus", 0, model_desired_statuses, &desired,
	    e) != 0 ||
	    api_enum(req, "launchType", 0, model_launch_types, &f.launch_type,
	    e) != 0)
		goto out;
	if (f.family != NULL && !str_is_ecs_name(f.family, 255)) {
		err_set(e, ERR_INVALID, "family '%.64s' is not a task "
		    "definition family name.", f.family);
		goto out;
	}
	f.cluster = cluster;
	f.stopped = desired != NULL && strcmp(desired, "STOPPED") == 0;
	if (ci != NULL)
		f.instance_arn = ci_arn = str_has_prefix(ci, "arn:") ?
		    xstrdup(ci) : engine_arn(c->eng, "container-instance/%s/%s",
		    cluster, ci);
	if (svc != NULL) {
		if ((found = store_service_get(c->st, cluster, svc, &s, e)) < 0)
			goto out;
		if (!found) {
			err_set(e, ERR_SERVICE_NOT_FOUND, "Service not found.");
			goto out;
		}
		f.service_arn = s.arn;
	}
	/* ECS never sets desiredStatus PENDING: such a filter finds none. */
	if (desired != NULL && strcmp(desired, "PENDING") == 0) {
		cJSON_AddItemToObject(resp, "taskArns", cJSON_CreateArray());
		ret = 0;
		goto out;
	}
	if (store_task_list(c->st, &f, p.offset, p.limit, &arns, &total,
	    e) != 0)
		goto out;
	cJSON_AddItemToObject(resp, "taskArns", arns);
	api_page_token(resp, &p, total);
	ret = 0;
out:
	service_row_clear(&s);
	free(ci_arn);
	free(cluster);
	return ret;
}
