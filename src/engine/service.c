/* Services: the scheduler that keeps a service's tasks the way ECS's
 * deployment controller does (rolling updates within the bounds, the
 * circuit breaker, the launch throttle, draining, unhealthy tasks, DAEMON
 * services), the service and EventBridge events it says, and the Service
 * shape the API returns. The arithmetic is deploy.c's; this file reads
 * the state, asks for a plan and carries it out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/deploy.h"
#include "engine/internal.h"

#define SIX_HOURS	(6LL * 3600 * 1000)
/* stoppedReason of a task stopped for failing its health checks. */
#define HEALTH_REASON	"Task failed container health checks"

/* The service members a deployment carries, so a rollback restores them. */
static const char *const deployment_members[] = { "launchType",
    "capacityProviderStrategy", "platformVersion", "networkConfiguration",
    "placementConstraints", "placementStrategy", NULL };

void
engine_mark_service(struct engine *eng, const char *arn)
{
	size_t	i;

	for (i = 0; i < eng->nmarked; i++)
		if (strcmp(eng->marked[i], arn) == 0)
			return;
	eng->marked = xgrow(eng->marked, eng->nmarked, &eng->capmarked,
	    sizeof *eng->marked);
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

/*
 * Timed wakes. The reconciler is level triggered: each pass of a service
 * asks again for the next moment it waits on, so a wake is one entry a
 * service, the earliest asked, and goes when it is due. A moment already
 * past is kept too: on the real clock a pass judged "not yet" at the time
 * it read, which may have gone by since.
 */
void
engine_wake_service(struct engine *eng, const char *arn, int64_t at)
{
	size_t	i;

	for (i = 0; i < eng->nwakes; i++)
		if (strcmp(eng->wakes[i].arn, arn) == 0)
			break;
	if (i == eng->nwakes) {
		eng->wakes = xgrow(eng->wakes, eng->nwakes, &eng->capwakes,
		    sizeof *eng->wakes);
		eng->wakes[eng->nwakes].arn = xstrdup(arn);
		eng->wakes[eng->nwakes++].at = at;
	} else if (at < eng->wakes[i].at)
		eng->wakes[i].at = at;
	if (eng->wake_min == 0 || at < eng->wake_min)
		eng->wake_min = at;
}

int64_t
engine_wakes_due(struct engine *eng, int64_t now)
{
	size_t	i = 0;

	if (eng->wake_min == 0 || eng->wake_min > now)
		return eng->wake_min;
	eng->wake_min = 0;
	while (i < eng->nwakes) {
		if (eng->wakes[i].at > now) {
			if (eng->wake_min == 0 || eng->wakes[i].at <
			    eng->wake_min)
				eng->wake_min = eng->wakes[i].at;
			i++;
			continue;
		}
		engine_mark_service(eng, eng->wakes[i].arn);
		free(eng->wakes[i].arn);
		eng->wakes[i] = eng->wakes[--eng->nwakes];
	}
	return eng->wake_min;
}

void
engine_wakes_clear(struct engine *eng)
{
	size_t	i;

	for (i = 0; i < eng->nwakes; i++)
		free(eng->wakes[i].arn);
	free(eng->wakes);
	eng->wakes = NULL;
	eng->nwakes = eng->capwakes = 0;
	eng->wake_min = 0;
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

/*
 * Says msg unless it would repeat itself: ECS suppresses a message until
 * its cause changes or six hours pass. With `anywhere` the same message
 * said within six hours suppresses it even if others came since; else
 * only when it is the newest. 1 said, 0 suppressed, -1 error.
 */
static int
service_event_once(struct engine *eng, const char *service_arn,
    const char *msg, int anywhere, struct err *e)
{
	char	*last = NULL;
	int64_t	 at = 0;
	int	 same;

	if (store_service_event_last(eng->st, service_arn, anywhere ? msg : "",
	    &last, &at)) {
		same = strcmp(last, msg) == 0 &&
		    engine_now(eng) - at < SIX_HOURS;
		free(last);
		if (same)
			return 0;
	}
	return service_event(eng, service_arn, msg, e) == 0 ? 1 : -1;
}

/* The start of an EventBridge detail both service event kinds share. */
static cJSON *
bridge_detail(const char *type, const char *name)
{
	cJSON	*d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "eventType", type);
	cJSON_AddStringToObject(d, "eventName", name);
	return d;
}

/* "ECS Service Action": steady state, start impaired, placement failed. */
static int
action_event(struct engine *eng, const struct service_row *s,
    const char *type, const char *name, const char *reason, struct err *e)
{
	cJSON	*d = bridge_detail(type, name);
	char	*cluster_arn, when[TIME_ISO_LEN];

	cluster_arn = engine_arn(eng, "cluster/%s", s->cluster);
	cJSON_AddStringToObject(d, "clusterArn", cluster_arn);
	free(cluster_arn);
	time_iso8601(engine_now(eng), 1, when);
	cJSON_AddStringToObject(d, "createdAt", when);
	if (reason != NULL)
		cJSON_AddStringToObject(d, "reason", reason);
	return engine_event(eng, "aws.ecs", "ECS Service Action", s->arn, d, e);
}

/* "ECS Deployment State Change" for a deployment's rollout. */
static int
deployment_event(struct engine *eng, const struct deployment_row *d,
    const char *type, const char *name, struct err *e)
{
	cJSON	*det = bridge_detail(type, name);
	char	 when[TIME_ISO_LEN];

	cJSON_AddStringToObject(det, "deploymentId", d->id);
	time_iso8601(engine_now(eng), 1, when);
	cJSON_AddStringToObject(det, "updatedAt", when);
	cJSON_AddStringToObject(det, "reason", d->rollout_reason);
	return engine_event(eng, "aws.ecs", "ECS Deployment State Change",
	    d->service_arn, det, e);
}

static void
set_str(char **field, char *value)
{
	free(*field);
	*field = value;
}

int
engine_deployment_new(struct engine *eng, struct service_row *s,
    const char *rollback_to, struct err *e)
{
	struct deployment_row	 d, *old = NULL;
	char			 digits[ID_DIGITS19_LEN];
	const cJSON		*j;
	size_t			 n = 0, i;
	int			 ret = -1, k;

	memset(&d, 0, sizeof d);
	if (store_deployment_list(eng->st, s->arn, &old, &n, e) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(old[i].status, "PRIMARY") != 0)
			continue;
		/* A new task definition clears the launch throttle. */
		if (strcmp(old[i].task_definition, s->task_definition) != 0 &&
		    s->start_failures != 0) {
			s->start_failures = 0;
			s->last_failure_at = 0;
			if (store_service_update(eng->st, s, e) != 0)
				goto out;
		}
		set_str(&old[i].status, xstrdup("ACTIVE"));
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
	d.rollout_reason = rollback_to != NULL ? xprintf("ECS deployment "
	    "circuit breaker: rolling back to deploymentId %s.", rollback_to) :
	    xprintf("ECS deployment %s in progress.", d.id);
	d.created_at = d.updated_at = engine_now(eng);
	d.doc = cJSON_CreateObject();
	for (k = 0; deployment_members[k] != NULL; k++)
		if ((j = cJSON_GetObjectItem(s->doc, deployment_members[k])))
			cJSON_AddItemToObject(d.doc, deployment_members[k],
			    cJSON_Duplicate(j, 1));
	if (store_deployment_insert(eng->st, &d, e) != 0 ||
	    deployment_event(eng, &d, "INFO", "SERVICE_DEPLOYMENT_IN_PROGRESS",
	    e) != 0)
		goto out;
	engine_mark_service(eng, s->arn);
	ret = 0;
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
	const char	*id = short_id(arn);
	size_t		 have = *list != NULL ? strlen(*list) : 0;
	size_t		 add = strlen(id) + sizeof " (task )" - 1;

	/* In place: a pass that starts a hundred tasks grew the list a
	 * hundred times, copying it through printf each time. */
	*list = xrealloc(*list, have + add + 1);
	snprintf(*list + have, add + 1, " (task %s)", id);
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

/* What the starts of one pass said, for one event each. */
struct started {
	char	*list;		/* " (task a) (task b)" */
	size_t	 n;
	char	*unable;	/* the last "unable to place" message */
	char	*reason;	/* its failure reason ("RESOURCE:MEMORY") */
};

static void
started_clear(struct started *st)
{
	free(st->list);
	free(st->unable);
	free(st->reason);
	memset(st, 0, sizeof *st);
}

static char *
unable_message(const struct service_row *s, const struct run_result *rr)
{
	if (rr->no_instances)
		return xprintf("(service %s) was unable to place a task "
		    "because no container instance met all of its "
		    "requirements. Reason: No Container Instances were found "
		    "in your cluster. For more information, see the "
		    "Troubleshooting section of the Amazon ECS Developer "
		    "Guide.", s->name);
	if (rr->closest_id != NULL)
		return xprintf("(service %s) was unable to place a task "
		    "because no container instance met all of its "
		    "requirements. The closest matching (container-instance "
		    "%s) %s. For more information, see the Troubleshooting "
		    "section of the Amazon ECS Developer Guide.", s->name,
		    rr->closest_id, rr->phrase);
	return xprintf("(service %s) was unable to place a task because no "
	    "container instance met all of its requirements. For more "
	    "information, see the Troubleshooting section of the Amazon ECS "
	    "Developer Guide.", s->name);
}

/*
 * Starts up to n tasks of the primary deployment (on instance_arn when it
 * is not NULL, as StartTask does). Returns how many started, or -1. An
 * instance a DAEMON task's constraints rule out is no failure to report.
 */
static int
start_tasks(struct engine *eng, const struct service_row *s,
    const struct deployment_row *primary, const char *instance_arn, int n,
    struct started *out, struct err *e)
{
	struct run_request	 rq;
	struct run_result	 rr;
	const cJSON		*f;
	const char		*reason;
	cJSON			*td;
	char			*group = NULL;
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
	rq.spec.placement_strategy = cJSON_GetObjectItem(s->doc,
	    "placementStrategy");
	rq.spec.placement_constraints = cJSON_GetObjectItem(s->doc,
	    "placementConstraints");
	rq.spec.instance_arn = instance_arn;
	rq.count = n;
	rq.service_default = 1;
	if (engine_run_tasks(eng, &rq, &rr, e) != 0)
		goto out;
	for (i = 0; i < rr.n; i++)
		task_list_add(&out->list, rr.arns[i]);
	out->n += rr.n;
	f = cJSON_GetArrayItem(rr.failures, cJSON_GetArraySize(rr.failures) -
	    1);
	reason = cJSON_GetStringValue(cJSON_GetObjectItem(f, "reason"));
	if ((int)rr.n < n && !(instance_arn != NULL && reason != NULL &&
	    strcmp(reason, "ATTRIBUTE") == 0)) {
		set_str(&out->unable, unable_message(s, &rr));
		set_str(&out->reason, reason ? xstrdup(reason) : NULL);
		/* Keep trying: capacity may come. */
		engine_wake_service(eng, s->arn, engine_now(eng) +
		    eng->cfg.timings.retry);
	}
	ret = (int)rr.n;
out:
	run_result_clear(&rr);
	cJSON_Delete(td);
	free(group);
	return ret;
}

/* Says what a pass's starts did: who started, what could not be placed. */
static int
started_events(struct engine *eng, const struct service_row *s,
    const struct started *st, struct err *e)
{
	char	*msg;
	int	 ret = 0, said;

	if (st->n > 0) {
		msg = xprintf("(service %s) has started %zu tasks:%s.", s->name,
		    st->n, st->list);
		ret = service_event(eng, s->arn, msg, e);
		free(msg);
	}
	if (ret == 0 && st->unable != NULL) {
		if ((said = service_event_once(eng, s->arn, st->unable, 0,
		    e)) < 0)
			return -1;
		if (said)
			ret = action_event(eng, s, "ERROR",
			    "SERVICE_TASK_PLACEMENT_FAILURE", st->reason, e);
	}
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
	set_str(&s->status, xstrdup("INACTIVE"));
	s->updated_at = engine_now(eng);
	return store_service_update(eng->st, s, e);
fail:
	free(list);
	return -1;
}

/* One reconcile of one ACTIVE service: what it read and worked out. */
struct pass {
	struct engine		*eng;
	struct service_row	*s;
	struct task_row		*tasks;
	size_t			 nt;
	struct deployment_row	*deps;
	size_t			 nd;
	int			 daemon;
	struct deploy_task	*dt;		/* one per task */
	struct instance_row	*ins;		/* DAEMON: the cluster's */
	size_t			 nins;
	struct deploy_instance	*di;
	struct deploy_state	 state;
	int64_t			 now;
	int			 look_only;	/* engine_service_floor */
};

static void
pass_clear(struct pass *p)
{
	task_rows_free(p->tasks, p->nt);
	deployment_rows_free(p->deps, p->nd);
	instance_rows_free(p->ins, p->nins);
	free(p->dt);
	free(p->di);
}

static int
breaker_enabled(const struct service_row *s)
{
	return cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(s->doc, "deploymentConfiguration"),
	    "deploymentCircuitBreaker"), "enable"));
}

static int
breaker_rollback(const struct service_row *s)
{
	return cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(s->doc, "deploymentConfiguration"),
	    "deploymentCircuitBreaker"), "rollback"));
}

/*
 * Looks once at each of the service's tasks that stopped since the last
 * pass. A task that stopped before RUNNING because it failed to start (or
 * its essential container exited) feeds the launch throttle; that, a task
 * that crashed after starting, and one stopped for failing its health
 * checks are failures of its deployment while it is IN_PROGRESS.
 */
static int
account_outcomes(struct pass *p, struct err *e)
{
	struct engine		*eng = p->eng;
	struct service_row	*s = p->s;
	struct task_outcome	*o = NULL;
	size_t			 n = 0, i;
	char			*msg = NULL;
	int			 k, start_fail, failed, ret = -1, said;

	if (store_service_outcomes(eng->st, s->arn, &o, &n, e) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		start_fail = !o[i].reached_running &&
		    (o[i].stop_code == STOP_TASK_FAILED_TO_START ||
		    o[i].stop_code == STOP_ESSENTIAL_CONTAINER_EXITED);
		failed = start_fail || o[i].stop_code ==
		    STOP_ESSENTIAL_CONTAINER_EXITED ||
		    (o[i].stop_code == STOP_SERVICE_SCHEDULER_INITIATED &&
		    o[i].stopped_reason != NULL &&
		    strcmp(o[i].stopped_reason, HEALTH_REASON) == 0);
		k = dep_index(p->deps, p->nd, o[i].deployment_id);
		if (failed && k >= 0 && strcmp(p->deps[k].rollout_state,
		    "IN_PROGRESS") == 0) {
			p->deps[k].failed_tasks++;
			p->deps[k].updated_at = p->now;
			if (store_deployment_update(eng->st, &p->deps[k],
			    e) != 0)
				goto out;
		}
		if (!start_fail)
			continue;
		s->start_failures++;
		s->last_failure_at = p->now;
		if (store_service_update(eng->st, s, e) != 0)
			goto out;
		if (s->start_failures < DEPLOY_THROTTLE_AFTER)
			continue;
		/* The throttle begins; said again after six hours. */
		msg = xprintf("(service %s) is unable to consistently start "
		    "tasks successfully.", s->name);
		if ((said = service_event_once(eng, s->arn, msg,
		    s->start_failures > DEPLOY_THROTTLE_AFTER, e)) < 0)
			goto out;
		free(msg);
		msg = NULL;
		if (said && action_event(eng, s, "WARN",
		    "SERVICE_TASK_START_IMPAIRED", NULL, e) != 0)
			goto out;
	}
	ret = n > 0 ? store_service_outcomes_done(eng->st, s->arn, e) : 0;
out:
	free(msg);
	task_outcomes_free(o, n);
	return ret;
}

/* Whether a task definition's essential containers have a health check. */
static int
td_health_checked(const cJSON *td)
{
	const cJSON	*c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(td, "containerDefinitions"))
		if (!cJSON_IsFalse(cJSON_GetObjectItem(c, "essential")) &&
		    cJSON_IsObject(cJSON_GetObjectItem(c, "healthCheck")))
			return 1;
	return 0;
}

/* Task definitions seen in one pass: whether each has a health check. */
struct td_seen {
	const char	*arn;
	int		 checked;
};

static int
health_checked(struct pass *p, struct td_seen *seen, size_t *nseen,
    const char *arn)
{
	cJSON	*td;
	size_t	 i;

	for (i = 0; i < *nseen; i++)
		if (strcmp(seen[i].arn, arn) == 0)
			return seen[i].checked;
	td = store_taskdef_resolve(p->eng->st, arn, NULL);
	seen[*nseen].arn = arn;
	seen[*nseen].checked = td != NULL && td_health_checked(td);
	cJSON_Delete(td);
	return seen[(*nseen)++].checked;
}

/*
 * The planner's view of each task. Healthy (toward the lower bound): with
 * a container health check, once HEALTHY; without one, 40 s after RUNNING.
 * Unhealthy (to be replaced): UNHEALTHY once the grace period is over.
 * The reconciler wakes when one of those is due.
 */
static void
view_tasks(struct pass *p)
{
	struct td_seen	*seen;
	struct task_row	*t;
	struct deploy_task *d;
	cJSON		*draining, *a;
	int64_t		 grace, started;
	size_t		 i, nseen = 0, k;

	grace = doc_int(p->s->doc, "healthCheckGracePeriodSeconds", 0) * 1000;
	draining = p->daemon ? NULL : store_service_draining_tasks(p->eng->st,
	    p->s->arn);
	seen = xcalloc(p->nt ? p->nt : 1, sizeof *seen);
	p->dt = xcalloc(p->nt ? p->nt : 1, sizeof *p->dt);
	for (i = 0; i < p->nt; i++) {
		t = &p->tasks[i];
		d = &p->dt[i];
		if ((d->deployment = dep_index(p->deps, p->nd,
		    t->deployment_id)) < 0)
			d->deployment = (int)p->nd;	/* orphan: oldest */
		d->instance = -1;
		for (k = 0; k < p->nins && t->instance_arn != NULL; k++)
			if (strcmp(p->ins[k].arn, t->instance_arn) == 0)
				d->instance = (int)k;
		d->stopping = t->desired_stopped;
		d->running = t->last_status == TASK_RUNNING;
		d->order = (int)(p->nt - i);	/* newest first */
		cJSON_ArrayForEach(a, draining)
			if (strcmp(a->valuestring, t->arn) == 0)
				d->draining = 1;
		if (!d->running || d->stopping)
			continue;
		started = t->started_at;
		if (strcmp(t->health, "UNHEALTHY") == 0) {
			if (p->now >= started + grace)
				d->unhealthy = 1;
			else if (!p->look_only)
				engine_wake_service(p->eng, p->s->arn,
				    started + grace);
		} else if (health_checked(p, seen, &nseen, t->task_definition))
			d->healthy = strcmp(t->health, "HEALTHY") == 0;
		else if (p->now >= started + DEPLOY_HEALTHY_AFTER)
			d->healthy = 1;
		else if (!p->look_only)
			engine_wake_service(p->eng, p->s->arn, started +
			    DEPLOY_HEALTHY_AFTER);
	}
	free(seen);
	cJSON_Delete(draining);
}

/*
 * A DAEMON service's view of the cluster: every ACTIVE instance wants a
 * task; a connected one can take it (unless a placement there failed in
 * this pass); a DRAINING one keeps it until the REPLICA tasks there are
 * gone.
 */
static int
view_instances(struct pass *p, struct err *e)
{
	struct instance_row	*r;
	size_t			 i;

	if (store_instance_list(p->eng->st, p->s->cluster, &p->ins, &p->nins,
	    e) != 0)
		return -1;
	p->di = xcalloc(p->nins ? p->nins : 1, sizeof *p->di);
	for (i = 0; i < p->nins; i++) {
		r = &p->ins[i];
		p->di[i].wanted = strcmp(r->status, "ACTIVE") == 0;
		p->di[i].can_place = p->di[i].wanted && r->agent_connected;
		p->di[i].draining = strcmp(r->status, "DRAINING") == 0;
		if (p->di[i].draining)
			p->di[i].others = (int)store_service_replica_tasks_on(
			    p->eng->st, r->arn);
	}
	return 0;
}

/*
 * When the PRIMARY has more tasks than desired, placement says which go
 * first: the reverse of the service's strategies (docs/placement.md).
 */
static int
scale_in_order(struct pass *p, struct err *e)
{
	struct task_spec	  spec;
	struct task_row		**pick;
	size_t			 *order, *idx, n = 0, i;
	char			 *group;
	int			  ret;

	for (i = 0; i < p->nt; i++)
		if (!p->dt[i].stopping && p->dt[i].deployment == 0 &&
		    !p->dt[i].unhealthy && !p->dt[i].draining)
			n++;
	if ((int64_t)n <= p->state.desired || p->daemon)
		return 0;
	pick = xcalloc(n, sizeof *pick);
	idx = xcalloc(n, sizeof *idx);
	order = xcalloc(n, sizeof *order);
	for (i = 0, n = 0; i < p->nt; i++)
		if (!p->dt[i].stopping && p->dt[i].deployment == 0 &&
		    !p->dt[i].unhealthy && !p->dt[i].draining) {
			idx[n] = i;
			pick[n++] = &p->tasks[i];
		}
	memset(&spec, 0, sizeof spec);
	group = xprintf("service:%s", p->s->name);
	spec.cluster = p->s->cluster;
	spec.group = group;
	spec.service_arn = p->s->arn;
	spec.placement_strategy = cJSON_GetObjectItem(p->s->doc,
	    "placementStrategy");
	spec.placement_constraints = cJSON_GetObjectItem(p->s->doc,
	    "placementConstraints");
	if ((ret = engine_scale_in_order(p->eng, &spec, pick, n, n, order,
	    e)) == 0)
		for (i = 0; i < n; i++)
			p->dt[idx[order[i]]].order = (int)i;
	free(group);
	free(pick);
	free(idx);
	free(order);
	return ret;
}

/* Reads the service's tasks and deployments and works out each task's
 * view and the bounds' inputs. */
static int
pass_read(struct pass *p, struct err *e)
{
	const cJSON	*dc = cJSON_GetObjectItem(p->s->doc,
			    "deploymentConfiguration");

	p->now = engine_now(p->eng);
	p->daemon = strcmp(p->s->scheduling_strategy, "DAEMON") == 0;
	if (store_task_brief_of_service(p->eng->st, p->s->arn, &p->tasks,
	    &p->nt, e) != 0 ||
	    store_deployment_list(p->eng->st, p->s->arn, &p->deps, &p->nd,
	    e) != 0 ||
	    (p->daemon && view_instances(p, e) != 0))
		return -1;
	view_tasks(p);
	p->state.tasks = p->dt;
	p->state.ntasks = p->nt;
	p->state.instances = p->di;
	p->state.ninstances = p->nins;
	p->state.maximum_percent = doc_int(dc, "maximumPercent",
	    p->daemon ? 100 : 200);
	p->state.minimum_healthy_percent = doc_int(dc,
	    "minimumHealthyPercent", p->daemon ? 0 : 100);
	p->state.desired = p->daemon ? deploy_daemon_desired(&p->state) :
	    p->s->desired_count;
	return 0;
}

static int
pass_load(struct pass *p, struct err *e)
{
	if (pass_read(p, e) != 0)
		return -1;
	return scale_in_order(p, e);
}

/*
 * The lower bound as the scheduler sees it now, from the same reading a
 * pass makes, without asking for wakes (looking must not change what the
 * scheduler does next).
 */
int
engine_service_floor(struct engine *eng, const char *service_arn,
    struct engine_floor *out, struct err *e)
{
	struct service_row	 s;
	struct deploy_bounds	 b;
	struct pass		 p;
	size_t			 i;
	int			 found, ret = -1;

	memset(out, 0, sizeof *out);
	if ((found = store_service_get(eng->st, NULL, service_arn, &s,
	    e)) <= 0)
		return found < 0 ? -1 : err_set(e, ERR_SERVICE_NOT_FOUND,
		    "there is no service %s", service_arn);
	memset(&p, 0, sizeof p);
	p.eng = eng;
	p.s = &s;
	p.look_only = 1;
	if (pass_read(&p, e) != 0)
		goto out;
	deploy_bounds(p.state.desired, p.state.maximum_percent,
	    p.state.minimum_healthy_percent, &b);
	out->desired = p.state.desired;
	out->lower = b.lower;
	out->upper = b.upper;
	out->daemon = p.daemon;
	for (i = 0; i < p.nt; i++) {
		out->healthy += p.dt[i].healthy;
		out->live += !p.tasks[i].desired_stopped &&
		    p.tasks[i].last_status <= TASK_RUNNING;
	}
	for (i = 0; i < p.nd; i++)
		if (strcmp(p.deps[i].rollout_state, "IN_PROGRESS") == 0)
			out->deploying = 1;
	out->active = strcmp(s.status, "ACTIVE") == 0;
	ret = 0;
out:
	pass_clear(&p);
	service_row_clear(&s);
	return ret;
}

/*
 * Consecutive failures end once the deployment has a task that counts as
 * healthy; the throttle ends once a task reached RUNNING after the last
 * failure.
 */
static int
reset_counters(struct pass *p, struct err *e)
{
	size_t	i;
	int	k;

	for (i = 0; i < p->nt; i++) {
		k = p->dt[i].deployment;
		if (p->dt[i].healthy && k < (int)p->nd &&
		    p->deps[k].failed_tasks != 0) {
			p->deps[k].failed_tasks = 0;
			p->deps[k].updated_at = p->now;
			if (store_deployment_update(p->eng->st, &p->deps[k],
			    e) != 0)
				return -1;
		}
		if (p->s->start_failures != 0 && p->dt[i].running &&
		    p->tasks[i].started_at >= p->s->last_failure_at) {
			p->s->start_failures = 0;
			p->s->last_failure_at = 0;
			if (store_service_update(p->eng->st, p->s, e) != 0)
				return -1;
		}
	}
	return 0;
}

/* Applies the last COMPLETED deployment's configuration to the service
 * and starts a deployment of it. 0 when there is none to go back to. */
static int
rollback(struct engine *eng, struct service_row *s, struct err *e)
{
	struct deployment_row	 done;
	const cJSON		*j;
	int			 found, k, ret = -1;

	if ((found = store_deployment_last_completed(eng->st, s->arn, &done,
	    e)) <= 0)
		return found;
	set_str(&s->task_definition, xstrdup(done.task_definition));
	for (k = 0; deployment_members[k] != NULL; k++) {
		cJSON_DeleteItemFromObjectCaseSensitive(s->doc,
		    deployment_members[k]);
		if ((j = cJSON_GetObjectItem(done.doc, deployment_members[k])))
			cJSON_AddItemToObject(s->doc, deployment_members[k],
			    cJSON_Duplicate(j, 1));
	}
	s->updated_at = engine_now(eng);
	if (store_service_update(eng->st, s, e) == 0 &&
	    engine_deployment_new(eng, s, done.id, e) == 0)
		ret = 1;
	deployment_row_clear(&done);
	return ret;
}

/*
 * The circuit breaker: the PRIMARY fails when its consecutive failures
 * reach the threshold, and with rollback the last COMPLETED deployment's
 * configuration comes back as a new PRIMARY. 1 when it tripped.
 */
static int
breaker(struct pass *p, struct err *e)
{
	struct deployment_row	*d = &p->deps[0];
	char			*msg;
	int			 ret;

	if (!breaker_enabled(p->s) || strcmp(d->rollout_state,
	    "IN_PROGRESS") != 0 || d->failed_tasks <
	    deploy_breaker_threshold(p->state.desired))
		return 0;
	set_str(&d->rollout_state, xstrdup("FAILED"));
	set_str(&d->rollout_reason, xstrdup("ECS deployment circuit breaker: "
	    "tasks failed to start."));
	d->updated_at = p->now;
	msg = xprintf("(service %s) (deployment %s) deployment failed: tasks "
	    "failed to start.", p->s->name, d->id);
	ret = store_deployment_update(p->eng->st, d, e) != 0 ||
	    deployment_event(p->eng, d, "ERROR", "SERVICE_DEPLOYMENT_FAILED",
	    e) != 0 || service_event(p->eng, p->s->arn, msg, e) != 0 ||
	    (breaker_rollback(p->s) && rollback(p->eng, p->s, e) < 0) ? -1 : 1;
	free(msg);
	engine_mark_service(p->eng, p->s->arn);
	return ret;
}

/* Carries out the plan's stops; says them in one event (and one per task
 * stopped for failing its health checks). */
static int
apply_stops(struct pass *p, const struct deploy_plan *plan, struct err *e)
{
	const struct deploy_stop	*st;
	struct task_row			*t;
	char				*list = NULL, *msg;
	size_t				 i;
	int				 n = 0, ret = -1;

	for (i = 0; i < plan->nstops; i++) {
		st = &plan->stops[i];
		t = &p->tasks[st->task];
		p->dt[st->task].stopping = 1;
		/* DAEMON tasks there may go once these have. */
		if (st->reason == DEPLOY_DRAINING && !p->daemon)
			p->eng->reconcile_all = 1;
		if (st->reason != DEPLOY_UNHEALTHY) {
			if (scheduler_stop(p->eng, t, p->deps[0].id, &list, &n,
			    e) != 0)
				goto out;
			continue;
		}
		if (engine_task_stop(p->eng, t,
		    STOP_SERVICE_SCHEDULER_INITIATED, HEALTH_REASON, e) != 0)
			goto out;
		msg = xprintf("(service %s) (task %s) failed container health "
		    "checks.", p->s->name, t->id);
		ret = service_event(p->eng, p->s->arn, msg, e);
		free(msg);
		if (ret != 0)
			goto out;
		ret = -1;
	}
	ret = stop_tasks_event(p->eng, p->s, n, list, e);
out:
	free(list);
	return ret;
}

/* Starts what the plan asks for; a DAEMON instance where placement fails
 * cannot take the task, so it leaves the desired count. */
static int
apply_starts(struct pass *p, const struct deploy_plan *plan, size_t *started,
    struct err *e)
{
	struct started	 st;
	size_t		 i, j;
	int		 ret = -1, n;

	memset(&st, 0, sizeof st);
	if (!p->daemon && start_tasks(p->eng, p->s, &p->deps[0], NULL,
	    (int)plan->start, &st, e) < 0)
		goto out;
	for (i = 0; i < plan->nstart_on; i++) {
		j = plan->start_on[i];
		if ((n = start_tasks(p->eng, p->s, &p->deps[0], p->ins[j].arn,
		    1, &st, e)) < 0)
			goto out;
		if (n == 0)
			p->di[j].can_place = 0;
	}
	*started = st.n;
	ret = started_events(p->eng, p->s, &st, e);
out:
	started_clear(&st);
	return ret;
}

/*
 * Deployment bookkeeping after the moves: the PRIMARY wants desired
 * tasks, an older deployment wants what it still runs and becomes
 * INACTIVE (leaving deployments[]) once it runs nothing.
 */
static int
update_deployments(struct pass *p, struct err *e)
{
	int64_t	*live = xcalloc(p->nd, sizeof *live), want;
	size_t	 i;
	int	 ret = -1;

	for (i = 0; i < p->nt; i++)
		if (!p->dt[i].stopping && p->dt[i].deployment < (int)p->nd)
			live[p->dt[i].deployment]++;
	for (i = 0; i < p->nd; i++) {
		want = i == 0 ? p->state.desired : live[i];
		if (i > 0 && live[i] == 0)
			set_str(&p->deps[i].status, xstrdup("INACTIVE"));
		else if (p->deps[i].desired_count == want)
			continue;
		p->deps[i].desired_count = want;
		p->deps[i].updated_at = p->now;
		if (store_deployment_update(p->eng->st, &p->deps[i], e) != 0)
			goto out;
	}
	ret = 0;
out:
	free(live);
	return ret;
}

/* At steady state the PRIMARY completes and the service says so (again
 * six hours later if nothing else happens). */
static int
settle(struct pass *p, struct err *e)
{
	struct deployment_row	*d = &p->deps[0];
	char			*msg, *last = NULL;
	int64_t			 at = 0;
	int			 said, ret = -1;

	if (!deploy_steady(&p->state))
		return 0;
	if (strcmp(d->rollout_state, "IN_PROGRESS") == 0) {
		set_str(&d->rollout_state, xstrdup("COMPLETED"));
		set_str(&d->rollout_reason, xprintf("ECS deployment %s "
		    "completed.", d->id));
		d->updated_at = p->now;
		msg = xprintf("(service %s) (deployment %s) deployment "
		    "completed.", p->s->name, d->id);
		ret = store_deployment_update(p->eng->st, d, e) != 0 ||
		    deployment_event(p->eng, d, "INFO",
		    "SERVICE_DEPLOYMENT_COMPLETED", e) != 0 ||
		    service_event(p->eng, p->s->arn, msg, e) != 0 ? -1 : 0;
		free(msg);
		if (ret != 0)
			return -1;
		ret = -1;
	}
	msg = xprintf("(service %s) has reached a steady state.", p->s->name);
	if ((said = service_event_once(p->eng, p->s->arn, msg, 0, e)) < 0 ||
	    (said && action_event(p->eng, p->s, "INFO", "SERVICE_STEADY_STATE",
	    NULL, e) != 0))
		goto out;
	if (store_service_event_last(p->eng->st, p->s->arn, msg, &last, &at))
		engine_wake_service(p->eng, p->s->arn, at + SIX_HOURS);
	ret = 0;
out:
	free(last);
	free(msg);
	return ret;
}

/*
 * One pass of the deployment controller for an ACTIVE service: account
 * for tasks that ended, trip the circuit breaker if it must, plan with
 * deploy.c, stop, start, say why nothing moves when the bounds forbid it,
 * keep the deployments' books, and settle.
 */
static int
reconcile_active(struct engine *eng, struct service_row *s, struct err *e)
{
	struct pass		 p;
	struct deploy_plan	 plan;
	int64_t			 until;
	size_t			 started = 0;
	char			*msg = NULL;
	int			 ret = -1, tripped, throttled;

	memset(&p, 0, sizeof p);
	memset(&plan, 0, sizeof plan);
	p.eng = eng;
	p.s = s;
	if (pass_load(&p, e) != 0)
		goto out;
	if (p.nd == 0) {
		ret = 0;
		goto out;
	}
	if (account_outcomes(&p, e) != 0 || reset_counters(&p, e) != 0 ||
	    (tripped = breaker(&p, e)) < 0)
		goto out;
	if (tripped) {
		ret = 0;	/* the next pass plans with the new state */
		goto out;
	}
	if (p.daemon && s->desired_count != p.state.desired) {
		s->desired_count = p.state.desired;
		if (store_service_update(eng->st, s, e) != 0)
			goto out;
	}
	until = s->last_failure_at + deploy_throttle_delay(s->start_failures);
	throttled = s->start_failures > 0 && p.now < until;
	p.state.can_launch = !throttled;
	p.state.primary_failed = strcmp(p.deps[0].rollout_state,
	    "FAILED") == 0;
	if (p.daemon)
		deploy_plan_daemon(&p.state, &plan);
	else
		deploy_plan_replica(&p.state, &plan);
	if (apply_stops(&p, &plan, e) != 0 ||
	    apply_starts(&p, &plan, &started, e) != 0)
		goto out;
	if (throttled && plan.missing > 0 && !p.state.primary_failed) {
		engine_wake_service(eng, s->arn, until);
		msg = xprintf("(service %s) operations are being throttled. "
		    "Will try again later.", s->name);
		if (service_event_once(eng, s->arn, msg, 0, e) < 0)
			goto out;
		free(msg);
		msg = NULL;
	}
	if (plan.blocked) {
		msg = xprintf("(service %s) was unable to stop or start tasks "
		    "during a deployment because of the service deployment "
		    "configuration. Update the minimumHealthyPercent or "
		    "maximumPercent value and try again.", s->name);
		if (service_event_once(eng, s->arn, msg, 0, e) < 0)
			goto out;
	}
	if (p.daemon && s->desired_count != deploy_daemon_desired(&p.state)) {
		s->desired_count = p.state.desired =
		    deploy_daemon_desired(&p.state);
		if (store_service_update(eng->st, s, e) != 0)
			goto out;
	}
	if (update_deployments(&p, e) != 0)
		goto out;
	ret = started > 0 ? 0 : settle(&p, e);
out:
	free(msg);
	deploy_plan_clear(&plan);
	pass_clear(&p);
	return ret;
}

int
engine_reconcile_service(struct engine *eng, const char *arn, struct err *e)
{
	struct service_row	 s;
	struct task_row		*tasks = NULL;
	size_t			 nt = 0;
	int			 ret = 0, found;

	if ((found = store_service_get(eng->st, NULL, arn, &s, e)) <= 0)
		return found;
	if (strcmp(s.status, "ACTIVE") == 0)
		ret = reconcile_active(eng, &s, e);
	else if (strcmp(s.status, "DRAINING") == 0)
		ret = store_task_of_service(eng->st, arn, &tasks, &nt, e) != 0 ?
		    -1 : reconcile_draining(eng, &s, tasks, nt, e);
	service_row_clear(&s);
	task_rows_free(tasks, nt);
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
	if ((j = cJSON_GetObjectItem(d->doc, "platformVersion")))
		cJSON_AddItemToObject(o, "platformVersion",
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
	/* Counting needs no doc: the store's kept brief rows. */
	store_task_brief_of_service(eng->st, s->arn, &tasks, &nt, NULL);
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
engine_service_needs_deployment(const cJSON *before, const cJSON *after)
{
	const cJSON	*a, *b;
	int		 k;

	for (k = 0; deployment_members[k] != NULL; k++) {
		a = cJSON_GetObjectItem(before, deployment_members[k]);
		b = cJSON_GetObjectItem(after, deployment_members[k]);
		if ((a == NULL) != (b == NULL) || (a != NULL &&
		    !cJSON_Compare(a, b, 1)))
			return 1;
	}
	return 0;
}

int
engine_service_delete(struct engine *eng, struct service_row *s,
    struct err *e)
{
	set_str(&s->status, xstrdup("DRAINING"));
	s->desired_count = 0;
	return engine_service_update(eng, s, 0, e);
}
