/* The task lifecycle on the engine clock: creating tasks, asking them to
 * stop, and walking them PROVISIONING -> ... -> RUNNING and DEACTIVATING ->
 * ... -> STOPPED, one event per change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "placement/placement.h"

void
engine_json_time(cJSON *obj, const char *name, int64_t ms, int iso)
{
	char	buf[TIME_ISO_LEN];

	if (ms <= 0)
		return;
	if (iso) {
		time_iso8601(ms, 1, buf);
		cJSON_AddStringToObject(obj, name, buf);
	} else
		cJSON_AddNumberToObject(obj, name, (double)ms / 1000.0);
}

int
task_is_awsvpc(const cJSON *td)
{
	const cJSON	*m = cJSON_GetObjectItem(td, "networkMode");

	return cJSON_IsString(m) && strcmp(m->valuestring, "awsvpc") == 0;
}

static int64_t
json_int(const cJSON *o, const char *name)
{
	const cJSON	*j = cJSON_GetObjectItem(o, name);

	if (cJSON_IsNumber(j))
		return (int64_t)j->valuedouble;
	if (cJSON_IsString(j))
		return strtoll(j->valuestring, NULL, 10);
	return 0;
}

static const cJSON *
container_override(const cJSON *overrides, const char *name)
{
	const cJSON	*o, *n;

	cJSON_ArrayForEach(o, cJSON_GetObjectItem(overrides,
	    "containerOverrides")) {
		n = cJSON_GetObjectItem(o, "name");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return o;
	}
	return NULL;
}

/*
 * A task needs its task-level cpu and memory when set (overrides first),
 * else the sum over containers (memory, else memoryReservation). Fixed host
 * ports come from portMappings; hostPort 0 in bridge mode is dynamic and
 * reserves nothing here, and awsvpc tasks have their own ENI.
 */
void
engine_task_need(const cJSON *td, const cJSON *overrides,
    struct placement_need *need, int64_t *cpu, int64_t *memory)
{
	const cJSON	*c, *pm, *o;
	const char	*name;
	int64_t		 ccpu = 0, cmem = 0, m, hp;
	int		 awsvpc = task_is_awsvpc(td), udp;

	memset(need, 0, sizeof *need);
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(td, "containerDefinitions")) {
		name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "name"));
		o = name ? container_override(overrides, name) : NULL;
		ccpu += json_int(o && cJSON_GetObjectItem(o, "cpu") ? o : c,
		    "cpu");
		m = json_int(o && cJSON_GetObjectItem(o, "memory") ? o : c,
		    "memory");
		if (m == 0)
			m = json_int(o && cJSON_GetObjectItem(o,
			    "memoryReservation") ? o : c, "memoryReservation");
		cmem += m;
		if (awsvpc)
			continue;
		cJSON_ArrayForEach(pm, cJSON_GetObjectItem(c, "portMappings")) {
			hp = json_int(pm, "hostPort");
			if (hp == 0 && cJSON_IsString(cJSON_GetObjectItem(td,
			    "networkMode")) && strcmp(cJSON_GetObjectItem(td,
			    "networkMode")->valuestring, "host") == 0)
				hp = json_int(pm, "containerPort");
			if (hp <= 0)
				continue;
			udp = cJSON_IsString(cJSON_GetObjectItem(pm,
			    "protocol")) && strcmp(cJSON_GetObjectItem(pm,
			    "protocol")->valuestring, "udp") == 0;
			if (udp && need->nports_udp < PLACEMENT_MAX_PORTS)
				need->ports_udp[need->nports_udp++] = (int)hp;
			else if (!udp && need->nports < PLACEMENT_MAX_PORTS)
				need->ports[need->nports++] = (int)hp;
		}
	}
	*cpu = json_int(overrides, "cpu");
	if (*cpu == 0)
		*cpu = json_int(td, "cpu");
	if (*cpu == 0)
		*cpu = ccpu;
	*memory = json_int(overrides, "memory");
	if (*memory == 0)
		*memory = json_int(td, "memory");
	if (*memory == 0)
		*memory = cmem;
	need->cpu = *cpu;
	need->memory = *memory;
}

static void
doc_set_time(cJSON *doc, const char *name, int64_t ms)
{
	cJSON	*times = cJSON_GetObjectItem(doc, "times");

	if (times == NULL)
		times = cJSON_AddObjectToObject(doc, "times");
	cJSON_DeleteItemFromObject(times, name);
	cJSON_AddNumberToObject(times, name, (double)ms);
}

static int64_t
doc_time(const cJSON *doc, const char *name)
{
	return json_int(cJSON_GetObjectItem(doc, "times"), name);
}

static void
set_string(cJSON *o, const char *name, const char *v)
{
	cJSON_DeleteItemFromObject(o, name);
	if (v != NULL)
		cJSON_AddStringToObject(o, name, v);
}

/* Appends the task's "ECS Task State Change" event to the outbox. */
static int
task_event(struct engine *eng, const struct task_row *t, struct err *e)
{
	cJSON	*detail = engine_task_json(eng, t, 1, 0);
	int	 ret;

	ret = store_event_append(eng->st, t->updated_at, "aws.ecs",
	    "ECS Task State Change", t->arn, detail, e);
	cJSON_Delete(detail);
	return ret;
}

static cJSON *
task_containers(struct engine *eng, const struct task_spec *spec,
    const char *task_id, const char *task_arn)
{
	cJSON		*list = cJSON_CreateArray(), *c;
	const cJSON	*def, *pm;
	char		 uuid[ID_UUID_LEN], *arn;

	cJSON_ArrayForEach(def, cJSON_GetObjectItem(spec->td,
	    "containerDefinitions")) {
		c = cJSON_CreateObject();
		id_uuid(&eng->prng, uuid);
		arn = engine_arn(eng, "container/%s/%s/%s", spec->cluster,
		    task_id, uuid);
		cJSON_AddStringToObject(c, "containerArn", arn);
		free(arn);
		cJSON_AddStringToObject(c, "taskArn", task_arn);
		cJSON_AddItemToObject(c, "name", cJSON_Duplicate(
		    cJSON_GetObjectItem(def, "name"), 1));
		cJSON_AddItemToObject(c, "image", cJSON_Duplicate(
		    cJSON_GetObjectItem(def, "image"), 1));
		cJSON_AddStringToObject(c, "lastStatus", "PENDING");
		cJSON_AddItemToObject(c, "networkBindings", cJSON_CreateArray());
		cJSON_AddItemToObject(c, "networkInterfaces",
		    cJSON_CreateArray());
		cJSON_AddStringToObject(c, "healthStatus", "UNKNOWN");
		cJSON_AddStringToObject(c, "cpu", "0");
		if (json_int(def, "cpu") > 0) {
			char	buf[24];

			snprintf(buf, sizeof buf, "%lld",
			    (long long)json_int(def, "cpu"));
			set_string(c, "cpu", buf);
		}
		if (json_int(def, "memory") > 0) {
			char	buf[24];

			snprintf(buf, sizeof buf, "%lld",
			    (long long)json_int(def, "memory"));
			cJSON_AddStringToObject(c, "memory", buf);
		}
		if (!task_is_awsvpc(spec->td))
			cJSON_ArrayForEach(pm, cJSON_GetObjectItem(def,
			    "portMappings")) {
				cJSON	*b = cJSON_CreateObject();

				cJSON_AddStringToObject(b, "bindIP", "0.0.0.0");
				cJSON_AddNumberToObject(b, "containerPort",
				    (double)json_int(pm, "containerPort"));
				cJSON_AddNumberToObject(b, "hostPort",
				    (double)json_int(pm, "hostPort"));
				cJSON_AddStringToObject(b, "protocol",
				    cJSON_GetStringValue(cJSON_GetObjectItem(
				    pm, "protocol")) ? cJSON_GetStringValue(
				    cJSON_GetObjectItem(pm, "protocol")) : "tcp");
				cJSON_AddItemToArray(cJSON_GetObjectItem(c,
				    "networkBindings"), b);
			}
		cJSON_AddItemToArray(list, c);
	}
	return list;
}

/* An awsvpc task's elastic network interface, as ECS shows it. */
static cJSON *
task_eni(struct engine *eng, const cJSON *netcfg)
{
	cJSON		*att = cJSON_CreateObject(), *details, *d;
	const cJSON	*subnets;
	const char	*subnet = "subnet-00000000000000000";
	char		 uuid[ID_UUID_LEN], buf[64];
	uint64_t	 r = prng_next(&eng->prng);

	subnets = cJSON_GetObjectItem(cJSON_GetObjectItem(netcfg,
	    "awsvpcConfiguration"), "subnets");
	if (cJSON_GetArraySize(subnets) > 0 &&
	    cJSON_IsString(cJSON_GetArrayItem(subnets, 0)))
		subnet = cJSON_GetArrayItem(subnets, 0)->valuestring;
	id_uuid(&eng->prng, uuid);
	cJSON_AddStringToObject(att, "id", uuid);
	cJSON_AddStringToObject(att, "type", "ElasticNetworkInterface");
	cJSON_AddStringToObject(att, "status", "PRECREATED");
	details = cJSON_AddArrayToObject(att, "details");
#define DETAIL(n, v) do {						\
	d = cJSON_CreateObject();					\
	cJSON_AddStringToObject(d, "name", n);				\
	cJSON_AddStringToObject(d, "value", v);				\
	cJSON_AddItemToArray(details, d);				\
} while (0)
	DETAIL("subnetId", subnet);
	snprintf(buf, sizeof buf, "eni-%017llx",
	    (unsigned long long)(r & 0xfffffffffffffffULL));
	DETAIL("networkInterfaceId", buf);
	snprintf(buf, sizeof buf, "0a:%02x:%02x:%02x:%02x:%02x",
	    (unsigned)(r >> 8 & 0xff), (unsigned)(r >> 16 & 0xff),
	    (unsigned)(r >> 24 & 0xff), (unsigned)(r >> 32 & 0xff),
	    (unsigned)(r >> 40 & 0xff));
	DETAIL("macAddress", buf);
	snprintf(buf, sizeof buf, "10.0.%u.%u", (unsigned)(r >> 48 & 0xff),
	    (unsigned)(r >> 56 & 0xfe) + 1);
	DETAIL("privateIPv4Address", buf);
#undef DETAIL
	return att;
}

int
engine_task_create(struct engine *eng, const struct task_spec *spec,
    char **arn_out, struct err *e)
{
	struct task_row		 t;
	struct placement_need	 need;
	char			 id[ID_HEX32_LEN];
	const cJSON		*tdarn = cJSON_GetObjectItem(spec->td,
				    "taskDefinitionArn");
	int64_t			 now = engine_now(eng);
	size_t			 i;
	int			 ret = -1, awsvpc = task_is_awsvpc(spec->td);

	memset(&t, 0, sizeof t);
	id_hex32(&eng->prng, id);
	t.arn = engine_arn(eng, "task/%s/%s", spec->cluster, id);
	t.id = xstrdup(id);
	t.cluster = xstrdup(spec->cluster);
	t.task_definition = xstrdup(cJSON_GetStringValue(tdarn));
	t.instance_arn = spec->instance_arn ? xstrdup(spec->instance_arn) :
	    NULL;
	t.service_arn = spec->service_arn ? xstrdup(spec->service_arn) : NULL;
	t.deployment_id = spec->deployment_id ? xstrdup(spec->deployment_id) :
	    NULL;
	t.group = xstrdup(spec->group);
	t.started_by = spec->started_by ? xstrdup(spec->started_by) : NULL;
	t.launch_type = spec->launch_type;
	/* Only awsvpc tasks have ENI work to provision. */
	t.last_status = awsvpc ? TASK_PROVISIONING : TASK_PENDING;
	t.health = xstrdup("UNKNOWN");
	engine_task_need(spec->td, spec->overrides, &need, &t.cpu, &t.memory);
	t.ports = cJSON_CreateArray();
	for (i = 0; i < need.nports; i++)
		cJSON_AddItemToArray(t.ports, cJSON_CreateNumber(need.ports[i]));
	t.ports_udp = cJSON_CreateArray();
	for (i = 0; i < need.nports_udp; i++)
		cJSON_AddItemToArray(t.ports_udp,
		    cJSON_CreateNumber(need.ports_udp[i]));
	t.version = 1;
	t.created_at = t.updated_at = now;
	t.next_at = now + (awsvpc ? eng->cfg.timings.provisioning :
	    eng->cfg.timings.pending);
	t.doc = cJSON_CreateObject();
	cJSON_AddItemToObject(t.doc, "containers",
	    task_containers(eng, spec, id, t.arn));
	if (spec->overrides != NULL)
		cJSON_AddItemToObject(t.doc, "overrides",
		    cJSON_Duplicate(spec->overrides, 1));
	cJSON_AddItemToObject(t.doc, "attachments", cJSON_CreateArray());
	if (awsvpc)
		cJSON_AddItemToArray(cJSON_GetObjectItem(t.doc, "attachments"),
		    task_eni(eng, spec->network_configuration));
	if (spec->zone != NULL)
		cJSON_AddStringToObject(t.doc, "availabilityZone", spec->zone);
	if (spec->capacity_provider != NULL)
		cJSON_AddStringToObject(t.doc, "capacityProviderName",
		    spec->capacity_provider);
	doc_set_time(t.doc, "createdAt", now);
	if (store_task_insert(eng->st, &t, e) != 0)
		goto out;
	if (spec->tags != NULL && cJSON_GetArraySize(spec->tags) > 0 &&
	    store_tags_set(eng->st, t.arn, spec->tags, e) != 0)
		goto out;
	if (task_event(eng, &t, e) != 0)
		goto out;
	if (t.instance_arn != NULL &&
	    engine_instance_changed(eng, t.instance_arn, e) != 0)
		goto out;
	if (arn_out != NULL)
		*arn_out = xstrdup(t.arn);
	ret = 0;
out:
	task_row_clear(&t);
	return ret;
}

/* Sets every container's lastStatus (and exit code when stopping). */
static void
containers_set(struct task_row *t, const char *status, int exit_code)
{
	cJSON	*c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(t->doc, "containers")) {
		set_string(c, "lastStatus", status);
		if (exit_code >= 0) {
			cJSON_DeleteItemFromObject(c, "exitCode");
			cJSON_AddNumberToObject(c, "exitCode", exit_code);
		}
	}
}

static void
attachments_set(struct task_row *t, const char *status)
{
	cJSON	*a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(t->doc, "attachments"))
		set_string(a, "status", status);
}

/* The next status on the way down; awsvpc tasks deprovision their ENI. */
static enum task_status
stop_next(const struct task_row *t)
{
	int	eni = cJSON_GetArraySize(cJSON_GetObjectItem(t->doc,
		    "attachments")) > 0;

	switch (t->last_status) {
	case TASK_PROVISIONING:
	case TASK_PENDING:
	case TASK_ACTIVATING:
		/* Never ran: straight down, as ECS does. */
		return eni ? TASK_DEPROVISIONING : TASK_STOPPED;
	case TASK_RUNNING:
		return TASK_DEACTIVATING;
	case TASK_DEACTIVATING:
		return TASK_STOPPING;
	case TASK_STOPPING:
		return eni ? TASK_DEPROVISIONING : TASK_STOPPED;
	case TASK_DEPROVISIONING:
	case TASK_STOPPED:
	case TASK_STATUS_COUNT:
		break;
	}
	return TASK_STOPPED;
}

static int64_t
step_time(const struct engine *eng, enum task_status s)
{
	const struct engine_timings	*tm = &eng->cfg.timings;

	switch (s) {
	case TASK_PROVISIONING:
		return tm->provisioning;
	case TASK_PENDING:
		return tm->pending;
	case TASK_ACTIVATING:
		return tm->activating;
	case TASK_DEACTIVATING:
		return tm->deactivating;
	case TASK_STOPPING:
		return tm->stopping;
	case TASK_DEPROVISIONING:
		return tm->deprovisioning;
	case TASK_RUNNING:
	case TASK_STOPPED:
	case TASK_STATUS_COUNT:
		break;
	}
	return 0;
}

/* Moves a task to status s at time at: fields, version, event. */
static int
task_enter(struct engine *eng, struct task_row *t, enum task_status s,
    int64_t at, struct err *e)
{
	int	was_running = t->last_status >= TASK_RUNNING;

	t->last_status = s;
	t->version++;
	t->updated_at = at;
	t->next_at = 0;
	switch (s) {
	case TASK_PROVISIONING:
		break;
	case TASK_PENDING:
		attachments_set(t, "ATTACHED");
		break;
	case TASK_ACTIVATING:
		doc_set_time(t->doc, "pullStartedAt", at -
		    eng->cfg.timings.pending);
		doc_set_time(t->doc, "pullStoppedAt", at);
		break;
	case TASK_RUNNING:
		doc_set_time(t->doc, "startedAt", at);
		doc_set_time(t->doc, "connectivityAt", at);
		set_string(t->doc, "connectivity", "CONNECTED");
		containers_set(t, "RUNNING", -1);
		break;
	case TASK_DEACTIVATING:
		break;
	case TASK_STOPPING:
		break;
	case TASK_DEPROVISIONING:
		if (was_running) {
			containers_set(t, "STOPPED", 0);
			doc_set_time(t->doc, "executionStoppedAt", at);
		}
		attachments_set(t, "DELETED");
		break;
	case TASK_STOPPED:
		if (was_running && doc_time(t->doc, "executionStoppedAt") == 0) {
			containers_set(t, "STOPPED", 0);
			doc_set_time(t->doc, "executionStoppedAt", at);
		} else if (!was_running)
			containers_set(t, "STOPPED", -1);
		t->stopped_at = at;
		doc_set_time(t->doc, "stoppedAt", at);
		break;
	case TASK_STATUS_COUNT:
		break;
	}
	if (s != TASK_STOPPED && s != TASK_RUNNING)
		t->next_at = at + step_time(eng, s);
	else if (s == TASK_RUNNING && t->desired_stopped)
		t->next_at = at;
	if (store_task_update(eng->st, t, e) != 0 || task_event(eng, t, e) != 0)
		return -1;
	if (s == TASK_STOPPED && t->instance_arn != NULL &&
	    engine_instance_changed(eng, t->instance_arn, e) != 0)
		return -1;
	if (t->service_arn != NULL &&
	    (s == TASK_RUNNING || s == TASK_STOPPED || s == TASK_STOPPING))
		engine_mark_service(eng, t->service_arn);
	return 0;
}

int
engine_task_stop(struct engine *eng, struct task_row *t,
    enum task_stop_code code, const char *reason, struct err *e)
{
	int64_t	now = engine_now(eng);

	if (t->desired_stopped || t->last_status == TASK_STOPPED)
		return 0;
	t->desired_stopped = 1;
	t->stop_code = code;
	free(t->stopped_reason);
	t->stopped_reason = xstrdup(reason);
	t->version++;
	t->updated_at = now;
	doc_set_time(t->doc, "stoppingAt", now);
	/* The stop begins now, whatever step was due. */
	t->next_at = now;
	if (store_task_update(eng->st, t, e) != 0 || task_event(eng, t, e) != 0)
		return -1;
	if (t->service_arn != NULL)
		engine_mark_service(eng, t->service_arn);
	if (code == STOP_USER_INITIATED && store_tags_drop(eng->st, t->arn,
	    e) != 0)
		return -1;
	return 0;
}

/* One step of a task whose next_at has come. */
static int
task_step(struct engine *eng, struct task_row *t, struct err *e)
{
	int64_t	at = t->next_at;

	if (t->desired_stopped)
		return task_enter(eng, t, stop_next(t), at, e);
	switch (t->last_status) {
	case TASK_PROVISIONING:
		return task_enter(eng, t, TASK_PENDING, at, e);
	case TASK_PENDING:
		return task_enter(eng, t, TASK_ACTIVATING, at, e);
	case TASK_ACTIVATING:
		return task_enter(eng, t, TASK_RUNNING, at, e);
	case TASK_RUNNING:
	case TASK_DEACTIVATING:
	case TASK_STOPPING:
	case TASK_DEPROVISIONING:
	case TASK_STOPPED:
	case TASK_STATUS_COUNT:
		break;
	}
	/* Nothing to do: clear the stale timer. */
	t->next_at = 0;
	return store_task_update(eng->st, t, e);
}

int
engine_tasks_advance(struct engine *eng, struct err *e)
{
	struct task_row	*rows;
	size_t		 n, i;
	int64_t		 now = engine_now(eng);
	int		 ret = 0, rounds;

	/* Bounded work per tick; a step due at once is taken in the same
	 * tick, up to the number of lifecycle states. */
	for (rounds = 0; rounds < TASK_STATUS_COUNT; rounds++) {
		if (store_task_due(eng->st, now, 1000, &rows, &n, e) != 0)
			return -1;
		for (i = 0; i < n && ret == 0; i++)
			ret = task_step(eng, &rows[i], e);
		task_rows_free(rows, n);
		if (ret != 0 || n == 0)
			break;
	}
	return ret;
}

cJSON *
engine_task_json(struct engine *eng, const struct task_row *t, int iso,
    int with_tags)
{
	cJSON		*o = cJSON_CreateObject(), *tags;
	const cJSON	*d = t->doc, *j;
	char		*cluster_arn, buf[24];
	static const char *const doc_times[] = { "connectivityAt",
	    "pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt",
	    "executionStoppedAt", "stoppedAt" };
	size_t		 i;

	cJSON_AddItemToObject(o, "attachments", cJSON_Duplicate(
	    cJSON_GetObjectItem(d, "attachments"), 1));
	cJSON_AddItemToObject(o, "attributes", cJSON_CreateArray());
	if ((j = cJSON_GetObjectItem(d, "availabilityZone")) != NULL)
		cJSON_AddItemToObject(o, "availabilityZone",
		    cJSON_Duplicate(j, 1));
	if ((j = cJSON_GetObjectItem(d, "capacityProviderName")) != NULL)
		cJSON_AddItemToObject(o, "capacityProviderName",
		    cJSON_Duplicate(j, 1));
	cluster_arn = engine_arn(eng, "cluster/%s", t->cluster);
	cJSON_AddStringToObject(o, "clusterArn", cluster_arn);
	free(cluster_arn);
	if ((j = cJSON_GetObjectItem(d, "connectivity")) != NULL)
		cJSON_AddItemToObject(o, "connectivity", cJSON_Duplicate(j, 1));
	if (t->instance_arn != NULL)
		cJSON_AddStringToObject(o, "containerInstanceArn",
		    t->instance_arn);
	cJSON_AddItemToObject(o, "containers", cJSON_Duplicate(
	    cJSON_GetObjectItem(d, "containers"), 1));
	snprintf(buf, sizeof buf, "%lld", (long long)t->cpu);
	cJSON_AddStringToObject(o, "cpu", buf);
	engine_json_time(o, "createdAt", t->created_at, iso);
	cJSON_AddStringToObject(o, "desiredStatus", t->desired_stopped ?
	    "STOPPED" : "RUNNING");
	cJSON_AddBoolToObject(o, "enableExecuteCommand", 0);
	cJSON_AddStringToObject(o, "group", t->group);
	cJSON_AddStringToObject(o, "healthStatus", t->health);
	cJSON_AddStringToObject(o, "lastStatus",
	    model_task_status_name(t->last_status));
	cJSON_AddStringToObject(o, "launchType",
	    model_launch_type_name(t->launch_type));
	snprintf(buf, sizeof buf, "%lld", (long long)t->memory);
	cJSON_AddStringToObject(o, "memory", buf);
	if ((j = cJSON_GetObjectItem(d, "overrides")) != NULL)
		cJSON_AddItemToObject(o, "overrides", cJSON_Duplicate(j, 1));
	else
		cJSON_AddItemToObject(o, "overrides", cJSON_Parse(
		    "{\"containerOverrides\":[],"
		    "\"inferenceAcceleratorOverrides\":[]}"));
	if (t->launch_type == LAUNCH_FARGATE) {
		cJSON_AddStringToObject(o, "platformVersion", "1.4.0");
		cJSON_AddStringToObject(o, "platformFamily", "Linux");
		cJSON_AddItemToObject(o, "ephemeralStorage",
		    cJSON_Parse("{\"sizeInGiB\":20}"));
	}
	for (i = 0; i < sizeof doc_times / sizeof doc_times[0]; i++)
		engine_json_time(o, doc_times[i], doc_time(d, doc_times[i]),
		    iso);
	if (t->started_by != NULL)
		cJSON_AddStringToObject(o, "startedBy", t->started_by);
	if (t->stop_code != STOP_NONE)
		cJSON_AddStringToObject(o, "stopCode",
		    model_stop_code_name(t->stop_code));
	if (t->stopped_reason != NULL)
		cJSON_AddStringToObject(o, "stoppedReason", t->stopped_reason);
	cJSON_AddStringToObject(o, "taskArn", t->arn);
	cJSON_AddStringToObject(o, "taskDefinitionArn", t->task_definition);
	if (iso)
		engine_json_time(o, "updatedAt", t->updated_at, 1);
	cJSON_AddNumberToObject(o, "version", (double)t->version);
	if (with_tags) {
		tags = store_tags_get(eng->st, t->arn);
		cJSON_AddItemToObject(o, "tags", tags ? tags :
		    cJSON_CreateArray());
	}
	return o;
}

cJSON *
engine_task_describe(struct engine *eng, const struct task_row *t,
    int with_tags)
{
	return engine_task_json(eng, t, 0, with_tags);
}

int
engine_task_stop_user(struct engine *eng, struct task_row *t,
    const char *reason, struct err *e)
{
	return engine_task_stop(eng, t, STOP_USER_INITIATED,
	    reason ? reason : "Task stopped by user", e);
}
