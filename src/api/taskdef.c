/* Task definitions: RegisterTaskDefinition with ECS's validation and
 * defaults, Describe, List, ListFamilies, Deregister and Delete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/behaviour.h"
#include "api/internal.h"
#include "placement/placement.h"

#define TD_MAX_BYTES		65536	/* a task definition is <= 64 KiB */
#define TD_MAX_CONTAINERS	10
#define TD_MAX_TAGS		50
#define TD_MIN_CONTAINER_MEMORY	6	/* MiB */
#define TD_MAX_CPU		196608	/* 192 vCPU */
#define TD_MAX_MEMORY		(16LL * 1024 * 1024)

static const char *const td_members[] = {
	"family", "taskRoleArn", "executionRoleArn", "networkMode",
	"containerDefinitions", "volumes", "placementConstraints",
	"requiresCompatibilities", "cpu", "memory", "tags", "pidMode",
	"ipcMode", "proxyConfiguration", "inferenceAccelerators",
	"ephemeralStorage", "runtimePlatform", "enableFaultInjection", NULL
};

/* Members copied into the description as given, after a type check. */
static const struct td_passthrough {
	const char	*name;
	int		 type;		/* cJSON_String, cJSON_Array, ... */
} td_passthrough[] = {
	{ "taskRoleArn",		cJSON_String },
	{ "executionRoleArn",		cJSON_String },
	{ "proxyConfiguration",		cJSON_Object },
	{ "inferenceAccelerators",	cJSON_Array },
	{ "ephemeralStorage",		cJSON_Object },
	{ "runtimePlatform",		cJSON_Object },
	{ "enableFaultInjection",	cJSON_True },
};

static const char *const cd_members[] = {
	"name", "image", "repositoryCredentials", "cpu", "memory",
	"memoryReservation", "links", "portMappings", "essential",
	"restartPolicy", "entryPoint", "command", "environment",
	"environmentFiles", "mountPoints", "volumesFrom", "linuxParameters",
	"secrets", "dependsOn", "startTimeout", "stopTimeout",
	"versionConsistency", "hostname", "user", "workingDirectory",
	"disableNetworking", "privileged", "readonlyRootFilesystem",
	"dnsServers", "dnsSearchDomains", "extraHosts", "dockerSecurityOptions",
	"interactive", "pseudoTerminal", "dockerLabels", "ulimits",
	"logConfiguration", "healthCheck", "systemControls",
	"resourceRequirements", "firelensConfiguration", "credentialSpecs",
	NULL
};

static const char *const td_protocols[] = { "tcp", "udp", NULL };
static const char *const td_conditions[] = { "START", "COMPLETE", "SUCCESS",
	"HEALTHY", NULL };
static const char *const td_pid_modes[] = { "host", "task", NULL };
static const char *const td_ipc_modes[] = { "host", "task", "none", NULL };
static const char *const td_statuses[] = { "ACTIVE", "INACTIVE",
	"DELETE_IN_PROGRESS", NULL };
static const char *const td_family_statuses[] = { "ACTIVE", "INACTIVE",
	"ALL", NULL };
static const char *const td_sorts[] = { "ASC", "DESC", NULL };
static const char *const td_fields[] = { "TAGS", NULL };

/* What validation learns about one container. */
struct td_container {
	const char	*name;
	cJSON		*out;		/* the container as described */
	int		 essential;
	int		 has_health;
	int64_t		 cpu, memory, reservation;
	int		 has_memory, has_reservation;
};

/* What validation learns about the task. */
struct td_task {
	const char		*network_mode;	/* NULL: bridge */
	int64_t			 cpu, memory;	/* 0: not given */
	int			 fargate, external, ec2, managed;
	struct td_container	 c[TD_MAX_CONTAINERS];
	size_t			 n;
};

static int
td_is_type(const cJSON *j, int type)
{
	if (type == cJSON_True)
		return cJSON_IsBool(j);
	return (j->type & 0xff) == type;
}

/* Deletes members that are JSON null: AWS treats them as absent. */
static void
td_drop_nulls(cJSON *obj)
{
	cJSON	*j, *next;

	for (j = obj->child; j != NULL; j = next) {
		next = j->next;
		if (cJSON_IsNull(j))
			cJSON_DeleteItemFromObjectCaseSensitive(obj, j->string);
	}
}

/* Puts value at name, replacing what was there. */
static void
td_set(cJSON *obj, const char *name, cJSON *value)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, name) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, name, value);
	else
		cJSON_AddItemToObject(obj, name, value);
}

/* An integer member of a container, with a message naming it. */
static int
td_container_int(const cJSON *cd, const char *cname, const char *member,
    int64_t min, int64_t max, int64_t *out, int *present, struct err *e)
{
	if (api_int(cd, member, 0, INT32_MIN, INT32_MAX, out, present, e) != 0)
		return -1;
	if (*present && (*out < min || *out > max))
		return err_set(e, ERR_CLIENT, "Invalid '%s' setting for "
		    "container '%s'.", member, cname);
	return 0;
}

static int
td_port_mappings(struct td_task *t, struct td_container *c, const cJSON *cd,
    cJSON *host_ports, struct err *e)
{
	const cJSON	*pms, *pm;
	cJSON		*out, *o;
	const char	*protocol;
	char		 key[32];
	int64_t		 cport = 0, hport = 0;
	int		 has_cport, has_hport, has_range;
	const char	*mode = t->network_mode ? t->network_mode : "bridge";

	if (api_array(cd, "portMappings", 0, 0, &pms, e) != 0)
		return -1;
	out = cJSON_CreateArray();
	td_set(c->out, "portMappings", out);
	if (pms == NULL)
		return 0;
	if (cJSON_GetArraySize(pms) > 0 && strcmp(mode, "none") == 0)
		return err_set(e, ERR_CLIENT, "Port mappings are not allowed "
		    "when networkMode=none (container '%s').", c->name);
	cJSON_ArrayForEach(pm, pms) {
		if (!cJSON_IsObject(pm))
			return err_set(e, ERR_SERIALIZATION, "portMappings of "
			    "container '%s' must be a list of objects", c->name);
		if (td_container_int(pm, c->name, "containerPort", 1, 65535,
		    &cport, &has_cport, e) != 0 ||
		    td_container_int(pm, c->name, "hostPort", 0, 65535,
		    &hport, &has_hport, e) != 0)
			return -1;
		if (api_enum(pm, "protocol", 0, td_protocols, &protocol,
		    e) != 0)
			return -1;
		has_range = cJSON_GetObjectItemCaseSensitive(pm,
		    "containerPortRange") != NULL;
		if (!has_cport && !has_range)
			return err_set(e, ERR_CLIENT, "Invalid 'containerPort' "
			    "setting for container '%s'.", c->name);
		if ((strcmp(mode, "awsvpc") == 0 || strcmp(mode, "host") == 0) &&
		    has_hport && has_cport && hport != cport)
			return err_set(e, ERR_CLIENT, "When networkMode=%s, the "
			    "host ports and container ports in port mappings "
			    "must match.", mode);
		o = cJSON_Duplicate(pm, 1);
		td_drop_nulls(o);
		cJSON_AddItemToArray(out, o);	/* out owns o from here */
		if (strcmp(mode, "awsvpc") == 0 || strcmp(mode, "host") == 0) {
			if (!has_hport && has_cport) {
				hport = cport;
				has_hport = 1;
				td_set(o, "hostPort",
				    cJSON_CreateNumber((double)cport));
			}
		}
		if (protocol == NULL) {
			protocol = "tcp";
			td_set(o, "protocol", cJSON_CreateString("tcp"));
		}
		if (!has_hport || hport == 0)
			continue;
		snprintf(key, sizeof key, "%s/%lld", protocol, (long long)hport);
		if (cJSON_GetObjectItemCaseSensitive(host_ports, key) != NULL)
			return err_set(e, ERR_CLIENT, "%s host port '%lld' is "
			    "mapped multiple times in task.",
			    strcmp(protocol, "tcp") == 0 ? "TCP" : "UDP",
			    (long long)hport);
		cJSON_AddTrueToObject(host_ports, key);
	}
	return 0;
}

/* healthCheck: fills interval, timeout and retries as ECS does. */
static int
td_health_check(struct td_container *c, const cJSON *cd, struct err *e)
{
	static const struct {
		const char	*name;
		int64_t		 min, max, def;
	} limits[] = {
		{ "interval",		5,	300,	30 },
		{ "timeout",		2,	60,	5 },
		{ "retries",		1,	10,	3 },
		{ "startPeriod",	0,	300,	-1 },
	};
	const cJSON	*hc, *cmd, *first;
	cJSON		*o;
	int64_t		 v;
	int		 present;
	size_t		 i;

	if (api_object(cd, "healthCheck", 0, &hc, e) != 0)
		return -1;
	if (hc == NULL)
		return 0;
	if (api_str_array(hc, "command", 0, 0, &cmd, e) != 0)
		return -1;
	first = cmd ? cmd->child : NULL;
	if (first == NULL || (strcmp(first->valuestring, "CMD") != 0 &&
	    strcmp(first->valuestring, "CMD-SHELL") != 0))
		return err_set(e, ERR_CLIENT, "Invalid 'healthCheck' setting "
		    "for container '%s'. 'command' must be a non-empty list "
		    "starting with CMD or CMD-SHELL.", c->name);
	o = cJSON_Duplicate(hc, 1);
	td_drop_nulls(o);
	for (i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		if (api_int(hc, limits[i].name, 0, INT32_MIN, INT32_MAX, &v,
		    &present, e) != 0)
			goto fail;
		if (present && (v < limits[i].min || v > limits[i].max)) {
			err_set(e, ERR_CLIENT, "Invalid 'healthCheck' setting "
			    "for container '%s'. '%s' must be between %lld and "
			    "%lld.", c->name, limits[i].name,
			    (long long)limits[i].min, (long long)limits[i].max);
			goto fail;
		}
		if (!present && limits[i].def >= 0)
			td_set(o, limits[i].name,
			    cJSON_CreateNumber((double)limits[i].def));
	}
	td_set(c->out, "healthCheck", o);
	c->has_health = 1;
	return 0;
fail:
	cJSON_Delete(o);
	return -1;
}

/* Type checks for members that are kept as given. */
static int
td_container_types(const cJSON *cd, struct err *e)
{
	static const char *const str_arrays[] = { "command", "entryPoint",
		"links", "dnsServers", "dnsSearchDomains",
		"dockerSecurityOptions", "credentialSpecs", NULL };
	static const char *const arrays[] = { "environment", "mountPoints",
		"volumesFrom", "secrets", "ulimits", "extraHosts",
		"environmentFiles", "systemControls", "resourceRequirements",
		"dependsOn", NULL };
	static const char *const objects[] = { "logConfiguration",
		"linuxParameters", "repositoryCredentials",
		"firelensConfiguration", "restartPolicy", NULL };
	static const char *const strings[] = { "hostname", "user",
		"workingDirectory", "versionConsistency", NULL };
	static const char *const bools[] = { "essential", "disableNetworking",
		"privileged", "readonlyRootFilesystem", "interactive",
		"pseudoTerminal", NULL };
	const cJSON	*a, *j, *labels;
	const char	*s;
	int64_t		 v;
	int		 b, present;
	size_t		 i;

	for (i = 0; str_arrays[i] != NULL; i++)
		if (api_str_array(cd, str_arrays[i], 0, 0, &a, e) != 0)
			return -1;
	for (i = 0; arrays[i] != NULL; i++) {
		if (api_array(cd, arrays[i], 0, 0, &a, e) != 0)
			return -1;
		cJSON_ArrayForEach(j, a)
			if (!cJSON_IsObject(j))
				return err_set(e, ERR_SERIALIZATION, "%s must be "
				    "a list of objects", arrays[i]);
	}
	for (i = 0; objects[i] != NULL; i++)
		if (api_object(cd, objects[i], 0, &a, e) != 0)
			return -1;
	for (i = 0; strings[i] != NULL; i++)
		if (api_str(cd, strings[i], 0, &s, e) != 0)
			return -1;
	for (i = 0; bools[i] != NULL; i++)
		if (api_bool(cd, bools[i], &b, &present, e) != 0)
			return -1;
	if (api_int(cd, "stopTimeout", 0, 0, INT32_MAX, &v, &present, e) != 0 ||
	    api_int(cd, "startTimeout", 0, 0, INT32_MAX, &v, &present, e) != 0)
		return -1;
	if (api_array(cd, "environment", 0, 0, &a, e) != 0)
		return -1;
	cJSON_ArrayForEach(j, a) {
		if (api_str(j, "name", 0, &s, e) != 0 ||
		    api_str(j, "value", 0, &s, e) != 0)
			return -1;
	}
	if (api_object(cd, "dockerLabels", 0, &labels, e) != 0)
		return -1;
	cJSON_ArrayForEach(j, labels)
		if (!cJSON_IsString(j))
			return err_set(e, ERR_SERIALIZATION, "dockerLabels must "
			    "map strings to strings; '%.64s' is not a string",
			    j->string);
	return 0;
}

static int
td_container(struct td_task *t, const cJSON *cd, cJSON *host_ports,
    struct err *e)
{
	struct td_container	*c = &t->c[t->n];
	struct behaviour	 behaviour;
	const char		*image;
	int			 present, essential = 1;
	size_t			 i;

	memset(c, 0, sizeof *c);
	if (!cJSON_IsObject(cd))
		return err_set(e, ERR_SERIALIZATION, "containerDefinitions must "
		    "be a list of objects");
	if (api_only_members(cd, "containerDefinitions", cd_members, e) != 0 ||
	    api_str(cd, "name", 0, &c->name, e) != 0 ||
	    api_str(cd, "image", 0, &image, e) != 0)
		return -1;
	if (c->name == NULL || *c->name == '\0')
		return err_set(e, ERR_CLIENT, "Container.name should not be "
		    "null or empty.");
	if (!str_is_ecs_name(c->name, 255))
		return err_set(e, ERR_CLIENT, "Container.name contains invalid "
		    "characters.");
	for (i = 0; i < t->n; i++)
		if (strcmp(t->c[i].name, c->name) == 0)
			return err_set(e, ERR_CLIENT, "Container names must be "
			    "unique within a Task Definition.");
	if (image == NULL || *image == '\0')
		return err_set(e, ERR_CLIENT, "Container.image should not be "
		    "null or empty.");
	if (td_container_types(cd, e) != 0)
		return -1;
	/* The ecsim.* labels say how the simulated container behaves. */
	behaviour_init(&behaviour);
	if (behaviour_parse_labels(&behaviour, c->name,
	    cJSON_GetObjectItemCaseSensitive(cd, "dockerLabels"), e) != 0)
		return -1;
	c->out = cJSON_Duplicate(cd, 1);
	td_drop_nulls(c->out);
	t->n++;		/* c->out is freed with the task from here on */

	if (td_container_int(cd, c->name, "cpu", 0, TD_MAX_CPU, &c->cpu,
	    &present, e) != 0)
		return -1;
	if (!present)
		td_set(c->out, "cpu", cJSON_CreateNumber(0));
	if (td_container_int(cd, c->name, "memory", TD_MIN_CONTAINER_MEMORY,
	    TD_MAX_MEMORY, &c->memory, &c->has_memory, e) != 0 ||
	    td_container_int(cd, c->name, "memoryReservation",
	    TD_MIN_CONTAINER_MEMORY, TD_MAX_MEMORY, &c->reservation,
	    &c->has_reservation, e) != 0)
		return -1;
	if (c->has_memory && c->has_reservation && c->reservation > c->memory)
		return err_set(e, ERR_CLIENT, "Invalid setting for container "
		    "'%s'. 'memoryReservation' must be less than or equal to "
		    "'memory'.", c->name);
	if (!c->has_memory && !c->has_reservation && t->memory == 0)
		return err_set(e, ERR_CLIENT, "Invalid setting for container "
		    "'%s'. At least one of 'memory' or 'memoryReservation' "
		    "must be specified.", c->name);
	if (t->memory > 0 && c->has_memory && c->memory > t->memory)
		return err_set(e, ERR_CLIENT, "The 'memory' setting for "
		    "container '%s' is greater than for the task.", c->name);

	if (api_bool(cd, "essential", &essential, &present, e) != 0)
		return -1;
	c->essential = essential;
	td_set(c->out, "essential", cJSON_CreateBool(essential));
	if (td_port_mappings(t, c, cd, host_ports, e) != 0 ||
	    td_health_check(c, cd, e) != 0)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(c->out, "environment") == NULL)
		cJSON_AddItemToObject(c->out, "environment",
		    cJSON_CreateArray());
	if (cJSON_GetObjectItemCaseSensitive(c->out, "mountPoints") == NULL)
		cJSON_AddItemToObject(c->out, "mountPoints",
		    cJSON_CreateArray());
	if (cJSON_GetObjectItemCaseSensitive(c->out, "volumesFrom") == NULL)
		cJSON_AddItemToObject(c->out, "volumesFrom",
		    cJSON_CreateArray());
	return 0;
}

static struct td_container *
td_find(struct td_task *t, const char *name)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->c[i].name, name) == 0)
			return &t->c[i];
	return NULL;
}

/* Depth-first search for a dependsOn cycle from container i. */
static int
td_cycle(struct td_task *t, size_t i, int *state)
{
	const cJSON		*deps, *d, *name;
	struct td_container	*to;

	if (state[i] == 1)
		return 1;
	if (state[i] == 2)
		return 0;
	state[i] = 1;
	deps = cJSON_GetObjectItemCaseSensitive(t->c[i].out, "dependsOn");
	cJSON_ArrayForEach(d, deps) {
		name = cJSON_GetObjectItemCaseSensitive(d, "containerName");
		if (!cJSON_IsString(name) ||
		    (to = td_find(t, name->valuestring)) == NULL)
			continue;
		if (td_cycle(t, (size_t)(to - t->c), state))
			return 1;
	}
	state[i] = 2;
	return 0;
}

/* dependsOn needs every container known, so it runs after them all. */
static int
td_depends_on(struct td_task *t, struct err *e)
{
	struct td_container	*c, *to;
	const cJSON		*deps, *d;
	const char		*target, *cond;
	int			 state[TD_MAX_CONTAINERS] = { 0 };
	size_t			 i;

	for (i = 0; i < t->n; i++) {
		c = &t->c[i];
		deps = cJSON_GetObjectItemCaseSensitive(c->out, "dependsOn");
		cJSON_ArrayForEach(d, deps) {
			if (api_str(d, "containerName", 1, &target, e) != 0 ||
			    api_enum(d, "condition", 1, td_conditions, &cond,
			    e) != 0)
				return -1;
			if (strcmp(target, c->name) == 0)
				return err_set(e, ERR_CLIENT, "Invalid "
				    "'dependsOn' setting for container '%s'. A "
				    "container cannot depend on itself.",
				    c->name);
			if ((to = td_find(t, target)) == NULL)
				return err_set(e, ERR_CLIENT, "Invalid "
				    "'dependsOn' setting for container '%s'. "
				    "Container '%s' is not in this task "
				    "definition.", c->name, target);
			if (strcmp(cond, "HEALTHY") == 0 && !to->has_health)
				return err_set(e, ERR_CLIENT, "Invalid "
				    "'dependsOn' setting for container '%s'. "
				    "The HEALTHY condition needs a healthCheck "
				    "on container '%s'.", c->name, target);
			if ((strcmp(cond, "SUCCESS") == 0 ||
			    strcmp(cond, "COMPLETE") == 0) && to->essential)
				return err_set(e, ERR_CLIENT, "A dependency "
				    "container with SUCCESS or COMPLETE "
				    "condition cannot be an essential "
				    "container");
		}
	}
	for (i = 0; i < t->n; i++)
		if (td_cycle(t, i, state))
			return err_set(e, ERR_CLIENT, "Invalid 'dependsOn' "
			    "setting: the container dependencies of '%s' form a "
			    "cycle.", t->c[i].name);
	return 0;
}

/* Task-level cpu and memory strings, normalised to units and MiB. */
static int
td_task_size(const cJSON *req, struct td_task *t, struct err *e)
{
	const char	*cpu, *memory;

	if (api_str(req, "cpu", 0, &cpu, e) != 0 ||
	    api_str(req, "memory", 0, &memory, e) != 0)
		return -1;
	if (cpu != NULL && (store_taskdef_parse_cpu(cpu, &t->cpu) != 0 ||
	    t->cpu < 128 || t->cpu > TD_MAX_CPU))
		return err_set(e, ERR_CLIENT, "Invalid 'cpu' setting for task.");
	if (memory != NULL && (store_taskdef_parse_memory(memory,
	    &t->memory) != 0 || t->memory < TD_MIN_CONTAINER_MEMORY ||
	    t->memory > TD_MAX_MEMORY))
		return err_set(e, ERR_CLIENT, "Invalid 'memory' setting for "
		    "task.");
	return 0;
}

static int
td_compatibilities(const cJSON *req, struct td_task *t, struct err *e)
{
	const cJSON	*rc, *j;

	if (api_str_array(req, "requiresCompatibilities", 0, 0, &rc, e) != 0)
		return -1;
	cJSON_ArrayForEach(j, rc) {
		if (strcmp(j->valuestring, "EC2") == 0)
			t->ec2 = 1;
		else if (strcmp(j->valuestring, "FARGATE") == 0)
			t->fargate = 1;
		else if (strcmp(j->valuestring, "EXTERNAL") == 0)
			t->external = 1;
		else if (strcmp(j->valuestring, "MANAGED_INSTANCES") == 0)
			t->managed = 1;
		else
			return err_set(e, ERR_INVALID, "1 validation error "
			    "detected: Value '%.64s' at "
			    "'requiresCompatibilities' failed to satisfy "
			    "constraint: Member must satisfy enum value set: "
			    "[EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES]",
			    j->valuestring);
	}
	if (!t->fargate)
		return 0;
	if (t->network_mode == NULL || strcmp(t->network_mode, "awsvpc") != 0)
		return err_set(e, ERR_CLIENT, "Fargate only supports network "
		    "mode \xe2\x80\x98" "awsvpc\xe2\x80\x99.");
	if (t->cpu == 0)
		return err_set(e, ERR_CLIENT, "Fargate requires that 'cpu' be "
		    "defined at the task level.");
	if (t->memory == 0)
		return err_set(e, ERR_CLIENT, "Fargate requires that 'memory' "
		    "be defined at the task level.");
	if (!store_taskdef_fargate_size(t->cpu, t->memory))
		return err_set(e, ERR_CLIENT, "No Fargate configuration exists "
		    "for given values: %lld CPU, %lld memory. See the Amazon "
		    "ECS documentation for the valid values.",
		    (long long)t->cpu, (long long)t->memory);
	return 0;
}

/* Sums over the containers against the task size. */
static int
td_totals(struct td_task *t, struct err *e)
{
	int64_t	cpu = 0, reservation = 0;
	size_t	i, essential = 0;

	for (i = 0; i < t->n; i++) {
		cpu += t->c[i].cpu;
		if (t->c[i].has_reservation)
			reservation += t->c[i].reservation;
		essential += t->c[i].essential;
	}
	if (essential == 0)
		return err_set(e, ERR_CLIENT, "Task definition doesn't have any "
		    "essential container.");
	if (t->cpu > 0 && cpu > t->cpu)
		return err_set(e, ERR_CLIENT, "The sum of all container 'cpu' "
		    "values cannot be greater than the value of the task "
		    "'cpu'.");
	if (t->memory > 0 && reservation > t->memory)
		return err_set(e, ERR_CLIENT, "The sum of all container "
		    "'memoryReservation' values cannot be greater than the "
		    "value of the task 'memory'.");
	return 0;
}

/* ECS: task definitions take only memberOf constraints, at most ten, each
 * expression one the cluster query language parses. */
static int
td_placement_constraints(const cJSON *req, struct err *e)
{
	struct placement_policy	 pol;
	const cJSON		*pcs, *pc;
	const char		*type;
	int			 ret;

	if (api_array(req, "placementConstraints", 0, 10, &pcs, e) != 0)
		return -1;
	cJSON_ArrayForEach(pc, pcs) {
		type = cJSON_GetStringValue(cJSON_GetObjectItem(pc, "type"));
		if (type != NULL && strcmp(type, "distinctInstance") == 0)
			return err_set(e, ERR_CLIENT, "Task definition placement "
			    "constraints must be of type memberOf, not "
			    "'distinctInstance'.");
	}
	placement_policy_init(&pol);
	ret = placement_policy_add_constraints(&pol, pcs,
	    "placementConstraints", e);
	placement_policy_clear(&pol);
	return ret;
}

static int
td_tags(const cJSON *req, const cJSON **tags, struct err *e)
{
	const cJSON	*tag;
	const char	*key, *value;
	int		 i = 0;

	if (api_array(req, "tags", 0, TD_MAX_TAGS, tags, e) != 0)
		return -1;
	cJSON_ArrayForEach(tag, *tags) {
		i++;
		if (!cJSON_IsObject(tag))
			return err_set(e, ERR_SERIALIZATION, "tags must be a "
			    "list of {key, value} objects");
		if (api_str(tag, "key", 0, &key, e) != 0 ||
		    api_str(tag, "value", 0, &value, e) != 0)
			return -1;
		if (key == NULL || *key == '\0' || strlen(key) > 128)
			return err_set(e, ERR_INVALID, "1 validation error "
			    "detected: Value at 'tags.%d.member.key' failed to "
			    "satisfy constraint: Member must have length between "
			    "1 and 128", i);
		if (value != NULL && strlen(value) > 256)
			return err_set(e, ERR_INVALID, "1 validation error "
			    "detected: Value at 'tags.%d.member.value' failed to "
			    "satisfy constraint: Member must have length less "
			    "than or equal to 256", i);
		if (str_has_prefix(key, "aws:"))
			return err_set(e, ERR_INVALID, "Tag keys that start "
			    "with 'aws:' are reserved.");
	}
	return 0;
}

static void
td_task_clear(struct td_task *t)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		cJSON_Delete(t->c[i].out);
	t->n = 0;
}

/*
 * Validates the request and builds the TaskDefinition (without arn,
 * revision, status and times) into *out.
 */
static int
td_build(const cJSON *req, cJSON **out, struct err *e)
{
	struct td_task		 t;
	const cJSON		*cds, *cd, *j;
	cJSON			*td = NULL, *list, *host_ports = NULL, *compat;
	const char		*family, *s;
	size_t			 i;

	memset(&t, 0, sizeof t);
	*out = NULL;
	if (api_only_members(req, "RegisterTaskDefinitionRequest", td_members,
	    e) != 0 || api_str(req, "family", 1, &family, e) != 0)
		return -1;
	if (*family == '\0')
		return err_set(e, ERR_CLIENT, "Family should not be null or "
		    "empty.");
	if (strlen(family) > 255)
		return err_set(e, ERR_CLIENT, "Family name must be at most 255 "
		    "characters.");
	if (!str_is_ecs_name(family, 255))
		return err_set(e, ERR_CLIENT, "Family contains invalid "
		    "characters.");
	if (api_enum(req, "networkMode", 0, model_network_modes,
	    &t.network_mode, e) != 0 ||
	    api_enum(req, "pidMode", 0, td_pid_modes, &s, e) != 0 ||
	    api_enum(req, "ipcMode", 0, td_ipc_modes, &s, e) != 0 ||
	    td_task_size(req, &t, e) != 0 ||
	    td_compatibilities(req, &t, e) != 0 ||
	    td_placement_constraints(req, e) != 0 ||
	    api_array(req, "volumes", 0, 0, &j, e) != 0 ||
	    api_array(req, "containerDefinitions", 1, 0, &cds, e) != 0)
		return -1;
	for (i = 0; i < sizeof td_passthrough / sizeof td_passthrough[0]; i++) {
		j = cJSON_GetObjectItemCaseSensitive(req, td_passthrough[i].name);
		if (j != NULL && !cJSON_IsNull(j) &&
		    !td_is_type(j, td_passthrough[i].type))
			return err_set(e, ERR_SERIALIZATION, "%s has the wrong "
			    "type", td_passthrough[i].name);
	}
	if (cJSON_GetArraySize(cds) == 0)
		return err_set(e, ERR_CLIENT, "Container list cannot be empty.");
	if (cJSON_GetArraySize(cds) > TD_MAX_CONTAINERS)
		return err_set(e, ERR_CLIENT, "Too many containers.");

	host_ports = cJSON_CreateObject();
	cJSON_ArrayForEach(cd, cds)
		if (td_container(&t, cd, host_ports, e) != 0)
			goto fail;
	if (td_totals(&t, e) != 0 || td_depends_on(&t, e) != 0)
		goto fail;

	td = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(td, "containerDefinitions");
	for (i = 0; i < t.n; i++) {
		cJSON_AddItemToArray(list, t.c[i].out);
		t.c[i].out = NULL;
	}
	cJSON_AddStringToObject(td, "family", family);
	for (i = 0; i < sizeof td_passthrough / sizeof td_passthrough[0]; i++) {
		j = cJSON_GetObjectItemCaseSensitive(req, td_passthrough[i].name);
		if (j != NULL && !cJSON_IsNull(j))
			cJSON_AddItemToObject(td, td_passthrough[i].name,
			    cJSON_Duplicate(j, 1));
	}
	if (t.network_mode != NULL)
		cJSON_AddStringToObject(td, "networkMode", t.network_mode);
	j = cJSON_GetObjectItemCaseSensitive(req, "volumes");
	cJSON_AddItemToObject(td, "volumes", cJSON_IsArray(j) ?
	    cJSON_Duplicate(j, 1) : cJSON_CreateArray());
	cJSON_AddArrayToObject(td, "requiresAttributes");
	j = cJSON_GetObjectItemCaseSensitive(req, "placementConstraints");
	cJSON_AddItemToObject(td, "placementConstraints", cJSON_IsArray(j) ?
	    cJSON_Duplicate(j, 1) : cJSON_CreateArray());

	/*
	 * compatibilities: every task definition runs on EC2; on Fargate
	 * when it has awsvpc and a Fargate task size; EXTERNAL and
	 * MANAGED_INSTANCES (EC2 rules) when asked for.
	 */
	compat = cJSON_AddArrayToObject(td, "compatibilities");
	cJSON_AddItemToArray(compat, cJSON_CreateString("EC2"));
	if (t.network_mode != NULL && strcmp(t.network_mode, "awsvpc") == 0 &&
	    store_taskdef_fargate_size(t.cpu, t.memory))
		cJSON_AddItemToArray(compat, cJSON_CreateString("FARGATE"));
	if (t.external)
		cJSON_AddItemToArray(compat, cJSON_CreateString("EXTERNAL"));
	if (t.managed)
		cJSON_AddItemToArray(compat,
		    cJSON_CreateString("MANAGED_INSTANCES"));
	j = cJSON_GetObjectItemCaseSensitive(req, "requiresCompatibilities");
	if (cJSON_IsArray(j))
		cJSON_AddItemToObject(td, "requiresCompatibilities",
		    cJSON_Duplicate(j, 1));
	if (t.cpu > 0) {
		char	buf[24];

		snprintf(buf, sizeof buf, "%lld", (long long)t.cpu);
		cJSON_AddStringToObject(td, "cpu", buf);
	}
	if (t.memory > 0) {
		char	buf[24];

		snprintf(buf, sizeof buf, "%lld", (long long)t.memory);
		cJSON_AddStringToObject(td, "memory", buf);
	}
	if (api_str(req, "pidMode", 0, &s, e) == 0 && s != NULL)
		cJSON_AddStringToObject(td, "pidMode", s);
	if (api_str(req, "ipcMode", 0, &s, e) == 0 && s != NULL)
		cJSON_AddStringToObject(td, "ipcMode", s);
	cJSON_Delete(host_ports);
	*out = td;
	return 0;
fail:
	td_task_clear(&t);
	cJSON_Delete(host_ports);
	return -1;
}

int
api_register_task_definition(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	const cJSON	*tags;
	cJSON		*td = NULL, *full, *item;
	char		*text, *arn = NULL;
	const char	*family;
	size_t		 len;
	int64_t		 revision;
	int		 ret = -1;

	text = json_print(req);
	len = strlen(text);
	free(text);
	if (len > TD_MAX_BYTES)
		return err_set(e, ERR_CLIENT, "The task definition is %zu "
		    "bytes; the maximum size is 64 KiB (%d bytes).", len,
		    TD_MAX_BYTES);
	if (td_build(req, &td, e) != 0 || td_tags(req, &tags, e) != 0)
		goto out;
	family = cJSON_GetObjectItemCaseSensitive(td, "family")->valuestring;
	if (store_taskdef_next_revision(c->st, family, &revision, e) != 0)
		goto out;
	arn = engine_arn(c->eng, "task-definition/%s:%lld", family,
	    (long long)revision);
	/* Put the ARN first and the revision after the family, as ECS does. */
	cJSON_AddItemToObject(td, "revision", cJSON_CreateNumber(
	    (double)revision));
	full = cJSON_CreateObject();
	cJSON_AddStringToObject(full, "taskDefinitionArn", arn);
	while ((item = td->child) != NULL) {
		cJSON_DetachItemViaPointer(td, item);
		cJSON_AddItemToArray(full, item);	/* keeps item->string */
	}
	cJSON_Delete(td);
	td = full;
	if (store_taskdef_insert(c->st, arn, family, revision, c->now, td,
	    e) != 0)
		goto out;
	if (tags != NULL && cJSON_GetArraySize(tags) > 0 &&
	    store_tags_set(c->st, arn, tags, e) != 0)
		goto out;
	if ((full = store_taskdef_resolve(c->st, arn, e)) == NULL)
		goto out;
	cJSON_AddItemToObject(resp, "taskDefinition", full);
	if (tags != NULL)
		cJSON_AddItemToObject(resp, "tags", store_tags_get(c->st, arn));
	ret = 0;
out:
	cJSON_Delete(td);
	free(arn);
	return ret;
}

int
api_describe_task_definition(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	const cJSON	*include, *j, *arn;
	const char	*ref;
	cJSON		*td;
	int		 tags = 0;

	if (api_str(req, "taskDefinition", 1, &ref, e) != 0 ||
	    api_str_array(req, "include", 0, 0, &include, e) != 0)
		return -1;
	cJSON_ArrayForEach(j, include) {
		if (strcmp(j->valuestring, td_fields[0]) != 0)
			return err_set(e, ERR_INVALID, "1 validation error "
			    "detected: Value '[%.64s]' at 'include' failed to "
			    "satisfy constraint: Member must satisfy enum value "
			    "set: [TAGS]", j->valuestring);
		tags = 1;
	}
	if ((td = store_taskdef_resolve(c->st, ref, e)) == NULL)
		return -1;
	cJSON_AddItemToObject(resp, "taskDefinition", td);
	arn = cJSON_GetObjectItemCaseSensitive(td, "taskDefinitionArn");
	if (tags)
		cJSON_AddItemToObject(resp, "tags", store_tags_get(c->st,
		    arn->valuestring));
	return 0;
}

/* Copies the page [offset, offset + limit) of all into resp[name]. */
static void
td_page_out(cJSON *resp, const char *name, const cJSON *all,
    const struct api_page *p)
{
	cJSON		*list = cJSON_AddArrayToObject(resp, name);
	const cJSON	*j;
	int64_t		 i = 0;

	cJSON_ArrayForEach(j, all) {
		if (i >= p->offset && i < p->offset + p->limit)
			cJSON_AddItemToArray(list, cJSON_Duplicate(j, 0));
		i++;
	}
	api_page_token(resp, p, i);
}

int
api_list_task_definitions(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	struct api_page	 p;
	const char	*family, *status, *sort;
	cJSON		*all;
	int		 ret = -1;

	if (api_page(req, &p, e) != 0 ||
	    api_str(req, "familyPrefix", 0, &family, e) != 0 ||
	    api_enum(req, "status", 0, td_statuses, &status, e) != 0 ||
	    api_enum(req, "sort", 0, td_sorts, &sort, e) != 0)
		return -1;
	all = cJSON_CreateArray();
	if (store_taskdef_list(c->st, family, status ? status : "ACTIVE",
	    sort != NULL && strcmp(sort, "DESC") == 0, all, e) != 0)
		goto out;
	td_page_out(resp, "taskDefinitionArns", all, &p);
	ret = 0;
out:
	cJSON_Delete(all);
	return ret;
}

int
api_list_task_definition_families(struct api_ctx *c, const cJSON *req,
    cJSON *resp, struct err *e)
{
	struct api_page	 p;
	const char	*prefix, *status;
	cJSON		*all;
	int		 ret = -1;

	if (api_page(req, &p, e) != 0 ||
	    api_str(req, "familyPrefix", 0, &prefix, e) != 0 ||
	    api_enum(req, "status", 0, td_family_statuses, &status, e) != 0)
		return -1;
	all = cJSON_CreateArray();
	/* ECS lists ACTIVE and INACTIVE families when no status is given. */
	if (store_taskdef_families(c->st, prefix, status ? status : "ALL", all,
	    e) != 0)
		goto out;
	td_page_out(resp, "families", all, &p);
	ret = 0;
out:
	cJSON_Delete(all);
	return ret;
}

int
api_deregister_task_definition(struct api_ctx *c, const cJSON *req,
    cJSON *resp, struct err *e)
{
	const char	*ref, *status;
	char		*family = NULL;
	int64_t		 revision;
	cJSON		*td = NULL;
	int		 ret = -1;

	if (api_str(req, "taskDefinition", 1, &ref, e) != 0 ||
	    store_taskdef_ref_parse(ref, &family, &revision, e) != 0)
		goto out;
	if (revision == 0) {
		err_set(e, ERR_CLIENT, "A revision must be specified: use "
		    "family:revision or the full task definition ARN.");
		goto out;
	}
	if ((td = store_taskdef_resolve(c->st, ref, e)) == NULL)
		goto out;
	status = cJSON_GetObjectItemCaseSensitive(td, "status")->valuestring;
	if (strcmp(status, "ACTIVE") != 0) {
		err_set(e, ERR_CLIENT, "The task definition %s:%lld is %s; only "
		    "an ACTIVE task definition can be deregistered.", family,
		    (long long)revision, status);
		goto out;
	}
	if (store_taskdef_set_status(c->st, cJSON_GetObjectItemCaseSensitive(td,
	    "taskDefinitionArn")->valuestring, "INACTIVE", c->now, e) != 0)
		goto out;
	cJSON_Delete(td);
	if ((td = store_taskdef_resolve(c->st, ref, e)) == NULL)
		goto out;
	cJSON_AddItemToObject(resp, "taskDefinition", td);
	td = NULL;
	ret = 0;
out:
	cJSON_Delete(td);
	free(family);
	return ret;
}

int
api_delete_task_definitions(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	const cJSON	*refs, *j;
	cJSON		*tds, *failures, *td;
	const char	*status, *arn;
	char		*family;
	int64_t		 revision;
	struct err	 e2;

	if (api_str_array(req, "taskDefinitions", 1, 10, &refs, e) != 0)
		return -1;
	if (cJSON_GetArraySize(refs) == 0)
		return err_set(e, ERR_INVALID, "taskDefinitions must name at "
		    "least one task definition (family:revision or ARN).");
	tds = cJSON_AddArrayToObject(resp, "taskDefinitions");
	failures = cJSON_AddArrayToObject(resp, "failures");
	cJSON_ArrayForEach(j, refs) {
		err_clear(&e2);
		family = NULL;
		if (store_taskdef_ref_parse(j->valuestring, &family, &revision,
		    &e2) != 0 || revision == 0) {
			api_add_failure(failures, j->valuestring, "The specified "
			    "task definition identifier is invalid. Specify a "
			    "valid name or ARN and try again.", NULL);
			free(family);
			continue;
		}
		free(family);
		if ((td = store_taskdef_resolve(c->st, j->valuestring,
		    &e2)) == NULL) {
			if (e2.code == ERR_INTERNAL)
				return err_set(e, e2.code, "%s", e2.msg);
			api_add_failure(failures, j->valuestring, "The specified "
			    "task definition does not exist. Specify a valid "
			    "account, family, revision and try again.", NULL);
			continue;
		}
		status = cJSON_GetObjectItemCaseSensitive(td,
		    "status")->valuestring;
		arn = cJSON_GetObjectItemCaseSensitive(td,
		    "taskDefinitionArn")->valuestring;
		if (strcmp(status, "ACTIVE") == 0) {
			api_add_failure(failures, arn, "The specified task "
			    "definition is still in ACTIVE status. Please "
			    "deregister the target and try again.", NULL);
			cJSON_Delete(td);
			continue;
		}
		if (strcmp(status, "INACTIVE") == 0) {
			if (store_taskdef_set_status(c->st, arn,
			    "DELETE_IN_PROGRESS", c->now, e) != 0) {
				cJSON_Delete(td);
				return -1;
			}
			/* The engine deletes it once nothing uses it. */
			engine_poke(c->eng);
			cJSON_Delete(td);
			if ((td = store_taskdef_resolve(c->st, j->valuestring,
			    e)) == NULL)
				return -1;
		}
		cJSON_AddItemToArray(tds, td);
	}
	return 0;
}
