/*
 * The control API: ecsim's own POST /ecsim/faults/<name> endpoints, which
 * break things at run time while a monitor watches (docs/control-api.md).
 * One table; each request is one transaction calling an engine_fault_*
 * command, with the ECS API's readers and error shapes.
 */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "engine/clockdrift.h"

/* Members each endpoint takes; any other is refused by name. */
static const char *const M_AGENT[] = { "cluster", "containerInstance", NULL };
static const char *const M_DISCONNECT[] = { "cluster", "containerInstance",
    "for", NULL };
static const char *const M_CRASH[] = { "cluster", "task", "container",
    "exitCode", NULL };
static const char *const M_ZONE[] = { "cluster", "zone", NULL };
static const char *const M_IMAGE[] = { "image", "key", "value", NULL };
static const char *const M_CLOCK[] = { "cluster", "containerInstance", "task",
    NULL };
static const char *const M_CLOCK_LOSE[] = { "cluster", "containerInstance",
    "task", "driftRate", NULL };
static const char *const M_CLOCK_BOUND[] = { "cluster", "containerInstance",
    "task", "bound", "status", NULL };
static const char *const CLOCK_STATUSES[] = { "SYNCHRONIZED",
    "NOT_SYNCHRONIZED", NULL };

/* "for": a duration ("30s", "2m", "1500ms") or a number of seconds, above
 * 0; absent, *ms is 0 (for good). */
static int
read_for(const cJSON *req, int64_t *ms, struct err *e)
{
	const cJSON	*j = cJSON_GetObjectItemCaseSensitive(req, "for");
	struct err	 why;

	*ms = 0;
	if (j == NULL || cJSON_IsNull(j))
		return 0;
	if (cJSON_IsNumber(j))
		*ms = (int64_t)(j->valuedouble * 1000.0);
	else if (!cJSON_IsString(j) ||
	    time_parse_duration(j->valuestring, ms, &why) != 0)
		return err_set(e, ERR_INVALID, "'for' must be a duration such "
		    "as \"30s\", \"2m\" or \"1500ms\", or a number of seconds.");
	if (*ms <= 0 || *ms > 7 * 24 * 3600 * 1000LL)
		return err_set(e, ERR_INVALID, "'for' must be above 0 and at "
		    "most 7 days; leave it out to disconnect for good.");
	return 0;
}

/* A number member, required or not (*present says). */
static int
read_number(const cJSON *req, const char *name, int required, double *out,
    int *present, struct err *e)
{
	const cJSON	*j = cJSON_GetObjectItemCaseSensitive(req, name);

	*present = 0;
	if (j == NULL || cJSON_IsNull(j))
		return required ? err_set(e, ERR_INVALID, "%s is required and "
		    "was not given.", name) : 0;
	if (!cJSON_IsNumber(j))
		return err_set(e, ERR_SERIALIZATION, "%s must be a number.",
		    name);
	*out = j->valuedouble;
	*present = 1;
	return 0;
}

/* The cluster and container instance most endpoints name. */
static int
read_agent(const cJSON *req, const char **cluster, const char **instance,
    struct err *e)
{
	return api_str(req, "cluster", 0, cluster, e) != 0 ||
	    api_str(req, "containerInstance", 1, instance, e) != 0 ? -1 : 0;
}

/* resp says which instance, and whether its agent is connected now. */
static int
agent_reply(struct api_ctx *c, const char *cluster, const char *instance,
    cJSON *resp, struct err *e)
{
	cJSON	*ci;
	char	*name, *arn;

	if (engine_fault_instance_arn(c->eng, cluster, instance, &name, &arn,
	    e) != 0) {
		/* A terminated instance is described as it is now. */
		err_clear(e);
		return 0;
	}
	if ((ci = store_instance_describe(c->st, arn, 0, e)) != NULL) {
		cJSON_AddStringToObject(resp, "containerInstanceArn", arn);
		cJSON_AddItemToObject(resp, "agentConnected", cJSON_Duplicate(
		    cJSON_GetObjectItem(ci, "agentConnected"), 1));
		cJSON_AddItemToObject(resp, "status", cJSON_Duplicate(
		    cJSON_GetObjectItem(ci, "status"), 1));
		cJSON_Delete(ci);
	}
	free(name);
	free(arn);
	return ci != NULL ? 0 : -1;
}

static int
ctl_disconnect(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	const char	*cluster, *instance;
	int64_t		 ms;

	if (read_agent(req, &cluster, &instance, e) != 0 ||
	    read_for(req, &ms, e) != 0)
		return -1;
	if ((ms > 0 ? engine_fault_disconnect_for(c->eng, cluster, instance,
	    ms, e) : engine_fault_disconnect(c->eng, cluster, instance, e)) != 0)
		return -1;
	if (ms > 0)
		api_add_time(resp, "reconnectAt", c->now + ms);
	return agent_reply(c, cluster, instance, resp, e);
}

static int
ctl_reconnect(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	const char	*cluster, *instance;

	if (read_agent(req, &cluster, &instance, e) != 0 ||
	    engine_fault_reconnect(c->eng, cluster, instance, e) != 0)
		return -1;
	return agent_reply(c, cluster, instance, resp, e);
}

static int
ctl_terminate(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	const char	*cluster, *instance;
	char		*name, *arn;

	if (read_agent(req, &cluster, &instance, e) != 0 ||
	    engine_fault_instance_arn(c->eng, cluster, instance, &name, &arn,
	    e) != 0)
		return -1;
	cJSON_AddStringToObject(resp, "containerInstanceArn", arn);
	cJSON_AddStringToObject(resp, "status", "INACTIVE");
	free(name);
	free(arn);
	return engine_fault_terminate(c->eng, cluster, instance, e);
}

static int
ctl_crash(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	const char	*cluster, *task, *container;
	int64_t		 code = 1;

	if (api_str(req, "cluster", 0, &cluster, e) != 0 ||
	    api_str(req, "task", 1, &task, e) != 0 ||
	    api_str(req, "container", 0, &container, e) != 0 ||
	    api_int(req, "exitCode", 0, 0, 255, &code, NULL, e) != 0 ||
	    engine_fault_crash_task(c->eng, cluster, task, container,
	    (int)code, e) != 0)
		return -1;
	cJSON_AddStringToObject(resp, "task", task);
	cJSON_AddNumberToObject(resp, "exitCode", (double)code);
	return 0;
}

static int
ctl_zone(struct api_ctx *c, const cJSON *req, cJSON *resp, int up,
    struct err *e)
{
	const char	*cluster, *zone;

	if (api_str(req, "cluster", 0, &cluster, e) != 0 ||
	    api_str(req, "zone", 1, &zone, e) != 0 ||
	    (up ? engine_fault_zone_up(c->eng, cluster, zone, e) :
	    engine_fault_zone_down(c->eng, cluster, zone, e)) != 0)
		return -1;
	cJSON_AddStringToObject(resp, "zone", zone);
	cJSON_AddBoolToObject(resp, "agentConnected", up);
	return 0;
}

static int
ctl_zone_down(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	return ctl_zone(c, req, resp, 0, e);
}

static int
ctl_zone_up(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	return ctl_zone(c, req, resp, 1, e);
}

static int
ctl_image(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	const char	*image, *key, *value;

	if (api_str(req, "image", 1, &image, e) != 0 ||
	    api_str(req, "key", 1, &key, e) != 0 ||
	    api_str(req, "value", 0, &value, e) != 0 ||
	    engine_fault_image_behaviour(c->eng, image, key, value, e) != 0)
		return -1;
	cJSON_AddStringToObject(resp, "image", image);
	cJSON_AddStringToObject(resp, "key", key);
	if (value != NULL)
		cJSON_AddStringToObject(resp, "value", value);
	else
		cJSON_AddNullToObject(resp, "value");
	return 0;
}

/* The clock a clock fault names, and the reply: its ARN and ClockDrift. */
static int
read_clock(const cJSON *req, const char **cluster, const char **instance,
    const char **task, struct err *e)
{
	return api_str(req, "cluster", 0, cluster, e) != 0 ||
	    api_str(req, "containerInstance", 0, instance, e) != 0 ||
	    api_str(req, "task", 0, task, e) != 0 ? -1 : 0;
}

static int
clock_reply(struct api_ctx *c, char *resource, cJSON *resp, struct err *e)
{
	struct clock_reading	r;
	int			ret;

	if ((ret = engine_clock_read(c->eng, resource, &r, e)) == 0) {
		cJSON_AddStringToObject(resp, "resource", resource);
		cJSON_AddItemToObject(resp, "ClockDrift", clockdrift_json(&r));
	}
	free(resource);
	return ret;
}

static int
ctl_clock_lose(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	const char	*cluster, *instance, *task;
	char		*resource = NULL;
	double		 drift = 0;
	int		 present;

	if (read_clock(req, &cluster, &instance, &task, e) != 0 ||
	    read_number(req, "driftRate", 0, &drift, &present, e) != 0 ||
	    engine_fault_clock_lose(c->eng, cluster, instance, task, drift,
	    &resource, e) != 0)
		return -1;
	return clock_reply(c, resource, resp, e);
}

static int
ctl_clock_restore(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	const char	*cluster, *instance, *task;
	char		*resource = NULL;

	if (read_clock(req, &cluster, &instance, &task, e) != 0 ||
	    engine_fault_clock_restore(c->eng, cluster, instance, task,
	    &resource, e) != 0)
		return -1;
	return clock_reply(c, resource, resp, e);
}

static int
ctl_clock_bound(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	const char	*cluster, *instance, *task, *status;
	char		*resource = NULL;
	double		 bound = 0;
	int		 present, synced = -1;

	if (read_clock(req, &cluster, &instance, &task, e) != 0 ||
	    read_number(req, "bound", 1, &bound, &present, e) != 0 ||
	    api_enum(req, "status", 0, CLOCK_STATUSES, &status, e) != 0)
		return -1;
	if (status != NULL)
		synced = strcmp(status, "SYNCHRONIZED") == 0;
	if (engine_fault_clock_bound(c->eng, cluster, instance, task, bound,
	    synced, &resource, e) != 0)
		return -1;
	return clock_reply(c, resource, resp, e);
}

static const struct control_op {
	const char		*name;		/* after /ecsim/faults/ */
	api_fn			 fn;
	const char *const	*members;
} control_ops[] = {
	{ "disconnect",		ctl_disconnect,		M_DISCONNECT },
	{ "reconnect",		ctl_reconnect,		M_AGENT },
	{ "terminate",		ctl_terminate,		M_AGENT },
	{ "crash",		ctl_crash,		M_CRASH },
	{ "zone-down",		ctl_zone_down,		M_ZONE },
	{ "zone-up",		ctl_zone_up,		M_ZONE },
	{ "image",		ctl_image,		M_IMAGE },
	{ "clock/lose-sync",	ctl_clock_lose,		M_CLOCK_LOSE },
	{ "clock/restore-sync",	ctl_clock_restore,	M_CLOCK },
	{ "clock/set-bound",	ctl_clock_bound,	M_CLOCK_BOUND },
};

void
api_control(struct engine *eng, const char *name, const char *body,
    size_t len, struct api_reply *reply)
{
	const struct control_op	*op = NULL;
	struct err		 e;
	cJSON			*req = NULL, *resp = NULL;
	char			*names;
	const char		*list[sizeof control_ops /
				    sizeof control_ops[0]];
	size_t			 i;
	int64_t			 now;

	err_clear(&e);
	memset(reply, 0, sizeof *reply);
	for (i = 0; i < sizeof control_ops / sizeof control_ops[0]; i++) {
		list[i] = control_ops[i].name;
		if (strcmp(control_ops[i].name, name) == 0)
			op = &control_ops[i];
	}
	if (op == NULL) {
		names = str_join(list, (int)i, ", ");
		err_set(&e, ERR_UNKNOWN_OPERATION, "no fault '%.64s': POST "
		    "/ecsim/faults/ one of %s", name, names);
		free(names);
		api_err_reply(eng, &e, reply);
		reply->status = 404;
		return;
	}
	resp = cJSON_CreateObject();
	if ((req = api_parse_body(body, len, &e)) == NULL ||
	    api_only_members(req, "the request", op->members, &e) != 0 ||
	    api_run(eng, op->fn, req, resp, &now, &e) != 0)
		goto fail;
	cJSON_AddStringToObject(resp, "fault", op->name);
	api_ok_reply(eng, resp, reply);
	cJSON_Delete(req);
	return;
fail:
	if (e.code == ERR_INTERNAL)
		log_warn("/ecsim/faults/%s: %s", op->name, e.msg);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	api_err_reply(eng, &e, reply);
}
