/* Services: the reconciler that keeps desiredCount tasks running with the
 * ECS rolling-update bounds, the deployments it completes, the service
 * events it says, and the Service shape the API returns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

#define SIX_HOURS	(6LL * 3600 * 1000)

void
engine_mark_service(struct engine *eng, const char *arn)
{
	size_t	i;

	for (i = 0; i < eng->nmarked; i++)
		if (strcmp(eng->marked[i], arn) == 0)
			return;
	if (eng->nmarked == eng->capmarked) {
		eng->capmarked = eng->capmarked ? eng->capmarked * 2 : 16;
		eng->marked = xrealloc(eng->marked, eng->capmarked *
		    sizeof *eng->marked);
	}
	eng->marked[eng->nmarked++] = xstrdup(arn);
}

static int64_t
doc_int(const cJSON *o, const char *name, int64_t dflt)
{
	const cJSON	*j = cJSON_GetObjectItem(o, name);

	return cJSON_IsNumber(j) ? (int64_t)j->valuedouble : dflt;
}

static const char *
short_id(const char *arn)
{
	const char	*s = strrchr(arn, '/');

	return s ? s + 1 : arn;
}

static int
service_event(struct engine *eng, const char *service_arn, const char *msg,
    struct err *e)
{
	char	uuid[ID_UUID_LEN];

	id_uuid(&eng->prng, uuid);
	return store_service_event_add(eng->st, service_arn, uuid,
	    engine_now(eng), msg, e);
}

/* Says msg unless the same message was said within six hours (ECS
 * suppresses repeats until the cause changes or six hours pass). */
static int
service_event_once(struct engine *eng, const char *service_arn,
    const char *prefix, const char *msg, struct err *e)
{
	char	*last = NULL;
	int64_t	 at = 0;
	int	 same;

	if (store_service_event_last(eng->st, service_arn, prefix, &last,
	    &at)) {
		same = strcmp(last, msg) == 0 &&
		    engine_now(eng) - at < SIX_HOURS;
		free(last);
		if (same)
			return 0;
	}
	return service_event(eng, service_arn, msg, e);
}

int
engine_deployment_new(struct engine *eng, struct service_row *s,
    const char *unused, struct err *e)
{
	struct deployment_row	 d, *old = NULL;
	char			 digits[ID_DIGITS19_LEN];
	size_t			 n = 0, i;
	int			 ret = -1;

	(void)unused;
	memset(&d, 0, sizeof d);
	if (store_deployment_list(eng->st, s->arn, &old, &n, e) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(old[i].status, "PRIMARY") != 0)
			continue;
		free(old[i].status);
		old[i].status = xstrdup("ACTIVE");
		old[i].updated_at = engine_now(eng);
		if (store_deployment_update(eng->st, &old[i], e) != 0)
			goto out;
	}
	id_digits19(&eng->prng, digits);
	d.id = xprintf("ecs-svc/%s", digits);
	d.service_arn = xstrdup(s->arn);
	d.seq = n > 0 ? old[0].seq + 1 : 1;
	d.status = xstrdup("PRIMARY");
	d.task_definition = xstrdup(s->task_definition);
	d.desired_count = n > 0 ? 0 : s->desired_count;
	d.rollout_state = xstrdup("IN_PROGRESS");
	d.rollout_reason = xprintf("ECS deployment %s in progress.", d.id);
	d.created_at = d.updated_at = engine_now(eng);
	d.doc = cJSON_CreateObject();
	cJSON_AddItemToObject(d.doc, "launchType", cJSON_Duplicate(
	    cJSON_GetObjectItem(s->doc, "launchType"), 1));
	if (cJSON_GetObjectItem(s->doc, "networkConfiguration"))
		cJSON_AddItemToObject(d.doc, "networkConfiguration",
		    cJSON_Duplicate(cJSON_GetObjectItem(s->doc,
		    "networkConfiguration"), 1));
	if (cJSON_GetObjectItem(s->doc, "capacityProviderStrategy"))
		cJSON_AddItemToObject(d.doc, "capacityProviderStrategy",
		    cJSON_Duplicate(cJSON_GetObjectItem(s->doc,
		    "capacityProviderStrategy"), 1));
	ret = store_deployment_insert(eng->st, &d, e);
	engine_mark_service(eng, s->arn);
out:
	deployment_row_clear(&d);
	deployment_rows_free(old, n);
	return ret;
}

/* Per-deployment counts of the service's live tasks. */
struct dep_count {
	int	live;		/* desiredStatus RUNNING */
	int	running;	/* ... and lastStatus RUNNING */
	int	pending;	/* ... and not yet RUNNING */
};

static int
dep_index(const struct deployment_row *deps, size_t n, const char *id)
{
	size_t	i;

	for (i = 0; id != NULL && i < n; i++)
		if (strcmp(deps[i].id, id) == 0)
			return (int)i;
	return -1;
}

static void
count_tasks(const struct task_row *tasks, size_t nt,
    const struct deployment_row *deps, size_t nd, struct dep_count *c)
{
	size_t	i;
	int	k;

	memset(c, 0, nd * sizeof *c);
	for (i = 0; i < nt; i++) {
		if (tasks[i].desired_stopped)
			continue;
		if ((k = dep_index(deps, nd, tasks[i].deployment_id)) < 0)
			k = (int)nd - 1;	/* orphan: count as oldest */
		c[k].live++;
		if (tasks[i].last_status == TASK_RUNNING)
			c[k].running++;
		else if (tasks[i].last_status < TASK_RUNNING)
			c[k].pending++;
	}
}

/* Appends "(task <id>)" to a list being built for an event. */
static void
task_list_add(char **list, const char *arn)
{
	char	*s = xprintf("%s (task %s)", *list ? *list : "", short_id(arn));

	free(*list);
	*list = s;
}

static int
stop_tasks_event(struct engine *eng, const struct service_row *s, int n,
    const char *list, struct err *e)
{
	char	*msg;
	int	 ret;

	if (n == 0)
		return 0;
	msg = xprintf("(service %s) has stopped %d running tasks:%s.", s->name,
	    n, list);
	ret = service_event(eng, s->arn, msg, e);
	free(msg);
	return ret;
}

/* Stops task t for the scheduler, naming the deployment as ECS does. */
static int
scheduler_stop(struct engine *eng, struct task_row *t, const char *dep_id,
    char **list, int *count, struct err *e)
{
	char	*reason = xprintf("Scaling activity initiated by (deployment "
		    "%s)", dep_id);
	int	 ret;

	ret = engine_task_stop(eng, t, STOP_SERVICE_SCHEDULER_INITIATED,
	    reason, e);
	free(reason);
	if (ret == 0) {
		task_list_add(list, t->arn);
		(*count)++;
	}
	return ret;
}

/* A service launches by its launchType or, without one, by its capacity
 * provider strategy (every provider ecsim has is Fargate). */
static enum launch_type
service_launch_type(const struct service_row *s, const cJSON **strategy)
{
	const cJSON	*lt = cJSON_GetObjectItem(s->doc, "launchType");
	int		 v;

	*strategy = cJSON_GetObjectItem(s->doc, "capacityProviderStrategy");
	if (cJSON_GetArraySize(*strategy) > 0)
		return LAUNCH_FARGATE;
	v = model_launch_type_parse(cJSON_GetStringValue(lt));
	return v < 0 ? LAUNCH_EC2 : (enum launch_type)v;
}

/* Starts up to n tasks of the primary deployment; says what happened. */
static int
start_tasks(struct engine *eng, const struct service_row *s,
    const struct deployment_row *primary, int n, struct err *e)
{
	struct run_request	 rq;
	struct run_result	 rr;
	cJSON			*td;
	char			*group = NULL, *list = NULL, *msg = NULL;
	size_t			 i;
	int			 ret = -1;

	if (n <= 0)
		return 0;
	if ((td = store_taskdef_resolve(eng->st, primary->task_definition,
	    e)) == NULL)
		return -1;
	memset(&rq, 0, sizeof rq);
	group = xprintf("service:%s", s->name);
	rq.spec.cluster = s->cluster;
	rq.spec.td = td;
	rq.spec.launch_type = service_launch_type(s, &rq.spec.strategy);
	rq.spec.group = group;
	rq.spec.started_by = primary->id;
	rq.spec.service_arn = s->arn;
	rq.spec.deployment_id = primary->id;
	rq.spec.network_configuration = cJSON_GetObjectItem(s->doc,
	    "networkConfiguration");
	rq.count = n;
	rq.service_default = 1;
	if (engine_run_tasks(eng, &rq, &rr, e) != 0)
		goto out;
	for (i = 0; i < rr.n; i++)
		task_list_add(&list, rr.arns[i]);
	if (rr.n > 0) {
		msg = xprintf("(service %s) has started %zu tasks:%s.", s->name,
		    rr.n, list);
		if (service_event(eng, s->arn, msg, e) != 0)
			goto out;
		free(msg);
		msg = NULL;
	}
	if ((int)rr.n < n) {
		if (rr.no_instances)
			msg = xprintf("(service %s) was unable to place a task "
			    "because no container instance met all of its "
			    "requirements. Reason: No Container Instances "
			    "were found in your cluster. For more "
			    "information, see the Troubleshooting section of "
			    "the Amazon ECS Developer Guide.", s->name);
		else if (rr.closest_id != NULL)
			msg = xprintf("(service %s) was unable to place a task "
			    "because no container instance met all of its "
			    "requirements. The closest matching "
			    "(container-instance %s) %s. For more "
			    "information, see the Troubleshooting section of "
			    "the Amazon ECS Developer Guide.", s->name,
			    rr.closest_id, rr.phrase);
		else
			msg = xprintf("(service %s) was unable to place a task "
			    "because no container instance met all of its "
			    "requirements. For more information, see the "
			    "Troubleshooting section of the Amazon ECS "
			    "Developer Guide.", s->name);
		if (service_event_once(eng, s->arn, "", msg, e) != 0)
			goto out;
		/* Keep trying: capacity may come. */
		if (eng->retry_at == 0 || eng->retry_at > engine_now(eng) +
		    eng->cfg.timings.retry)
			eng->retry_at = engine_now(eng) + eng->cfg.timings.retry;
	}
	ret = 0;
out:
	run_result_clear(&rr);
	cJSON_Delete(td);
	free(group);
	free(list);
	free(msg);
	return ret;
}

static int
reconcile_draining(struct engine *eng, struct service_row *s,
    struct task_row *tasks, size_t nt, struct err *e)
{
	char	*list = NULL;
	size_t	 i;
	int	 stopped = 0, busy = 0;

	for (i = 0; i < nt; i++) {
		if (!tasks[i].desired_stopped && scheduler_stop(eng, &tasks[i],
		    tasks[i].deployment_id ? tasks[i].deployment_id : "",
		    &list, &stopped, e) != 0)
			goto fail;
		if (tasks[i].last_status < TASK_STOPPING)
			busy = 1;
	}
	if (stop_tasks_event(eng, s, stopped, list, e) != 0)
		goto fail;
	free(list);
	if (busy)
		return 0;
	free(s->status);
	s->status = xstrdup("INACTIVE");
	s->updated_at = engine_now(eng);
	return store_service_update(eng->st, s, e);
fail:
	free(list);
	return -1;
}

/*
 * One pass of the deployment controller for a REPLICA service:
 *   upper = floor(desired * maximumPercent / 100) caps live tasks;
 *   lower = ceil(desired * minimumHealthyPercent / 100) RUNNING tasks stay.
 * New tasks of the PRIMARY deployment start within the upper bound; tasks
 * of older deployments stop (those not yet running first) only while the
 * running count stays at or above the lower bound: make one, break one.
 */
static int
reconcile_active(struct engine *eng, struct service_row *s,
    struct task_row *tasks, size_t nt, struct deployment_row *deps,
    size_t nd, struct err *e)
{
	const cJSON		*dc = cJSON_GetObjectItem(s->doc,
				    "deploymentConfiguration");
	struct dep_count	*c = xcalloc(nd, sizeof *c);
	struct deployment_row	*primary = &deps[0];
	int64_t			 desired = s->desired_count;
	int64_t			 maxp = doc_int(dc, "maximumPercent", 200);
	int64_t			 minp = doc_int(dc, "minimumHealthyPercent", 100);
	int64_t			 upper, lower, live = 0, running = 0, extra;
	char			*list = NULL, *msg = NULL;
	size_t			 i, k;
	int			 stopped = 0, ret = -1, pass;

	upper = (int64_t)floor((double)desired * (double)maxp / 100.0);
	lower = (int64_t)ceil((double)desired * (double)minp / 100.0);
	if (upper < desired && nd == 1)
		upper = desired;	/* scaling alone is not a deployment */
	count_tasks(tasks, nt, deps, nd, c);
	for (k = 0; k < nd; k++) {
		live += c[k].live;
		running += c[k].running;
	}
	if (primary->desired_count != desired) {
		primary->desired_count = desired;
		primary->updated_at = engine_now(eng);
		if (store_deployment_update(eng->st, primary, e) != 0)
			goto out;
	}
	/* Scale-in: the primary's surplus goes, not-yet-running first. */
	extra = c[0].live - desired;
	for (pass = 0; pass < 2 && extra > 0; pass++)
		for (i = nt; i-- > 0 && extra > 0;) {
			struct task_row	*t = &tasks[i];

			if (t->desired_stopped || dep_index(deps, nd,
			    t->deployment_id) != 0 ||
			    (pass == 0) != (t->last_status < TASK_RUNNING))
				continue;
			if (scheduler_stop(eng, t, primary->id, &list,
			    &stopped, e) != 0)
				goto out;
			if (t->last_status == TASK_RUNNING)
				running--;
			live--;
			extra--;
		}
	/* Old deployments: not-yet-running tasks go at once, running ones
	 * only while the lower bound holds. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < nt; i++) {
			struct task_row	*t = &tasks[i];
			int		 is_running;

			if (t->desired_stopped || dep_index(deps, nd,
			    t->deployment_id) == 0)
				continue;
			is_running = t->last_status == TASK_RUNNING;
			if ((pass == 0) == is_running)
				continue;
			if (is_running && running - 1 < lower)
				continue;
			if (scheduler_stop(eng, t, primary->id, &list,
			    &stopped, e) != 0)
				goto out;
			if (is_running)
				running--;
			live--;
		}
	if (stop_tasks_event(eng, s, stopped, list, e) != 0)
		goto out;
	count_tasks(tasks, nt, deps, nd, c);
	/* Start the primary's missing tasks within the upper bound. */
	if (desired - c[0].live > 0 && upper - live > 0 && strcmp(
	    primary->rollout_state, "FAILED") != 0)
		if (start_tasks(eng, s, primary, (int)(desired - c[0].live <
		    upper - live ? desired - c[0].live : upper - live), e) != 0)
			goto out;
	/* Older deployments with nothing left are done. */
	for (k = 1; k < nd; k++) {
		if (c[k].live > 0)
			continue;
		free(deps[k].status);
		deps[k].status = xstrdup("INACTIVE");
		deps[k].updated_at = engine_now(eng);
		if (store_deployment_update(eng->st, &deps[k], e) != 0)
			goto out;
	}
	ret = 0;
out:
	free(c);
	free(list);
	free(msg);
	return ret;
}

/* After the moves: completion and steady state, from fresh counts. */
static int
reconcile_settle(struct engine *eng, struct service_row *s, struct err *e)
{
	struct deployment_row	*deps = NULL;
	struct task_row		*tasks = NULL;
	struct dep_count	 c;
	size_t			 nd = 0, nt = 0;
	char			*msg = NULL;
	int			 ret = -1;

	if (store_deployment_list(eng->st, s->arn, &deps, &nd, e) != 0 ||
	    store_task_of_service(eng->st, s->arn, &tasks, &nt, e) != 0)
		goto out;
	ret = 0;
	if (nd != 1)
		goto out;
	count_tasks(tasks, nt, deps, 1, &c);
	if (c.running != s->desired_count || c.live != s->desired_count)
		goto out;
	ret = -1;
	if (strcmp(deps[0].rollout_state, "IN_PROGRESS") == 0) {
		free(deps[0].rollout_state);
		deps[0].rollout_state = xstrdup("COMPLETED");
		free(deps[0].rollout_reason);
		deps[0].rollout_reason = xprintf("ECS deployment %s completed.",
		    deps[0].id);
		deps[0].updated_at = engine_now(eng);
		if (store_deployment_update(eng->st, &deps[0], e) != 0)
			goto out;
		msg = xprintf("(service %s) (deployment %s) deployment "
		    "completed.", s->name, deps[0].id);
		if (service_event(eng, s->arn, msg, e) != 0)
			goto out;
		free(msg);
	}
	msg = xprintf("(service %s) has reached a steady state.", s->name);
	if (service_event_once(eng, s->arn, "", msg, e) != 0)
		goto out;
	ret = 0;
out:
	free(msg);
	deployment_rows_free(deps, nd);
	task_rows_free(tasks, nt);
	return ret;
}

int
engine_reconcile_service(struct engine *eng, const char *arn, struct err *e)
{
	struct service_row	 s;
	struct task_row		*tasks = NULL;
	struct deployment_row	*deps = NULL;
	size_t			 nt = 0, nd = 0;
	int			 ret = -1, found;

	if ((found = store_service_get(eng->st, NULL, arn, &s, e)) <= 0)
		return found;
	if (strcmp(s.status, "INACTIVE") == 0) {
		ret = 0;
		goto out;
	}
	if (store_task_of_service(eng->st, arn, &tasks, &nt, e) != 0 ||
	    store_deployment_list(eng->st, arn, &deps, &nd, e) != 0)
		goto out;
	if (strcmp(s.status, "DRAINING") == 0)
		ret = reconcile_draining(eng, &s, tasks, nt, e);
	else if (nd == 0)
		ret = 0;
	else if ((ret = reconcile_active(eng, &s, tasks, nt, deps, nd,
	    e)) == 0)
		ret = reconcile_settle(eng, &s, e);
out:
	service_row_clear(&s);
	task_rows_free(tasks, nt);
	deployment_rows_free(deps, nd);
	return ret;
}

int
engine_reconcile_all(struct engine *eng, struct err *e)
{
	struct service_row	*rows;
	size_t			 n, i;

	if (store_service_live(eng->st, &rows, &n, e) != 0)
		return -1;
	for (i = 0; i < n; i++)
		engine_mark_service(eng, rows[i].arn);
	service_rows_free(rows, n);
	return 0;
}

static cJSON *
deployment_json(const struct deployment_row *d, const struct dep_count *c)
{
	cJSON		*o = cJSON_CreateObject();
	const cJSON	*j;

	cJSON_AddStringToObject(o, "id", d->id);
	cJSON_AddStringToObject(o, "status", d->status);
	cJSON_AddStringToObject(o, "taskDefinition", d->task_definition);
	cJSON_AddNumberToObject(o, "desiredCount", (double)d->desired_count);
	cJSON_AddNumberToObject(o, "pendingCount", c->pending);
	cJSON_AddNumberToObject(o, "runningCount", c->running);
	cJSON_AddNumberToObject(o, "failedTasks", (double)d->failed_tasks);
	engine_json_time(o, "createdAt", d->created_at, 0);
	engine_json_time(o, "updatedAt", d->updated_at, 0);
	if ((j = cJSON_GetObjectItem(d->doc, "launchType")) != NULL &&
	    cJSON_IsString(j))
		cJSON_AddItemToObject(o, "launchType", cJSON_Duplicate(j, 1));
	if ((j = cJSON_GetObjectItem(d->doc, "capacityProviderStrategy")))
		cJSON_AddItemToObject(o, "capacityProviderStrategy",
		    cJSON_Duplicate(j, 1));
	if ((j = cJSON_GetObjectItem(d->doc, "networkConfiguration")))
		cJSON_AddItemToObject(o, "networkConfiguration",
		    cJSON_Duplicate(j, 1));
	cJSON_AddStringToObject(o, "rolloutState", d->rollout_state);
	cJSON_AddStringToObject(o, "rolloutStateReason", d->rollout_reason);
	return o;
}

cJSON *
engine_service_json(struct engine *eng, const struct service_row *s,
    int with_tags)
{
	struct deployment_row	*deps = NULL;
	struct task_row		*tasks = NULL;
	struct dep_count	*c = NULL, total;
	size_t			 nd = 0, nt = 0, k;
	cJSON			*o = cJSON_CreateObject(), *arr, *tags;
	const cJSON		*j;
	char			*cluster_arn;

	store_deployment_list(eng->st, s->arn, &deps, &nd, NULL);
	store_task_of_service(eng->st, s->arn, &tasks, &nt, NULL);
	c = xcalloc(nd ? nd : 1, sizeof *c);
	if (nd > 0)
		count_tasks(tasks, nt, deps, nd, c);
	memset(&total, 0, sizeof total);
	for (k = 0; k < nd; k++) {
		total.running += c[k].running;
		total.pending += c[k].pending;
	}
	cJSON_AddStringToObject(o, "serviceArn", s->arn);
	cJSON_AddStringToObject(o, "serviceName", s->name);
	cluster_arn = engine_arn(eng, "cluster/%s", s->cluster);
	cJSON_AddStringToObject(o, "clusterArn", cluster_arn);
	free(cluster_arn);
	cJSON_ArrayForEach(j, s->doc)
		cJSON_AddItemToObject(o, j->string, cJSON_Duplicate(j, 1));
	cJSON_AddStringToObject(o, "status", s->status);
	cJSON_AddNumberToObject(o, "desiredCount", (double)s->desired_count);
	cJSON_AddNumberToObject(o, "runningCount", total.running);
	cJSON_AddNumberToObject(o, "pendingCount", total.pending);
	cJSON_AddStringToObject(o, "taskDefinition", s->task_definition);
	arr = cJSON_AddArrayToObject(o, "deployments");
	for (k = 0; k < nd; k++)
		cJSON_AddItemToArray(arr, deployment_json(&deps[k], &c[k]));
	cJSON_AddItemToObject(o, "events", store_service_events(eng->st,
	    s->arn));
	engine_json_time(o, "createdAt", s->created_at, 0);
	cJSON_AddStringToObject(o, "schedulingStrategy",
	    s->scheduling_strategy);
	if (with_tags) {
		tags = store_tags_get(eng->st, s->arn);
		cJSON_AddItemToObject(o, "tags", tags ? tags :
		    cJSON_CreateArray());
	}
	free(c);
	deployment_rows_free(deps, nd);
	task_rows_free(tasks, nt);
	return o;
}

cJSON *
engine_service_describe(struct engine *eng, const struct service_row *s,
    int with_tags)
{
	return engine_service_json(eng, s, with_tags);
}

int
engine_service_create(struct engine *eng, struct service_row *s,
    struct err *e)
{
	if (store_service_insert(eng->st, s, e) != 0)
		return -1;
	return engine_deployment_new(eng, s, NULL, e);
}

int
engine_service_update(struct engine *eng, struct service_row *s,
    int new_deployment, struct err *e)
{
	s->updated_at = engine_now(eng);
	if (store_service_update(eng->st, s, e) != 0)
		return -1;
	engine_mark_service(eng, s->arn);
	return new_deployment ? engine_deployment_new(eng, s, NULL, e) : 0;
}

int
engine_service_delete(struct engine *eng, struct service_row *s,
    struct err *e)
{
	free(s->status);
	s->status = xstrdup("DRAINING");
	s->desired_count = 0;
	return engine_service_update(eng, s, 0, e);
}
