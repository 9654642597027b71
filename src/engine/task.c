/* The task lifecycle on the engine clock: creating tasks, asking them to
 * stop, and walking them PROVISIONING -> ... -> RUNNING and DEACTIVATING ->
 * ... -> STOPPED, one event per change, with each container doing what its
 * behaviour (agent/behaviour.h) says: pulls, starts in dependency order,
 * exits, health checks and SIGTERM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/behaviour.h"
#include "engine/internal.h"
#include "store/store-fault.h"
#include "placement/placement.h"

#define TASK_MAX_CONTAINERS	10	/* ECS's limit per task definition */
#define STOP_TIMEOUT_DEFAULT	30	/* s: ECS_CONTAINER_STOP_TIMEOUT */
#define START_TIMEOUT_DEFAULT	180	/* s: the agent's 3-minute start wait */

void
engine_json_time(cJSON *obj, const char *name, int64_t ms, int iso)
{
	char	buf[TIME_ISO_LEN];

	if (ms <= 0)
		return;
	if (iso) {
		time_iso8601(ms, 1, buf);
		json_add_string(obj, name, buf);
	} else
		json_add_number(obj, name, (double)ms / 1000.0);
}

/* Whether the definition's networkMode is mode. */
static int
network_mode_is(const cJSON *td, const char *mode)
{
	const char	*m = cJSON_GetStringValue(json_member(td,
			    "networkMode"));

	return m != NULL && strcmp(m, mode) == 0;
}

int
task_is_awsvpc(const cJSON *td)
{
	return network_mode_is(td, "awsvpc");
}

/*
 * Members of what ecsim wrote itself (a task's doc and its sim state, a
 * registered definition, which the API rebuilt with ECS's names) are
 * looked up by their exact names with json_member: cJSON_GetObjectItem
 * compares each key case-insensitively, a byte at a time, and was 5 % of
 * a scenario run. What a user sent as it was (overrides) keeps
 * cJSON_GetObjectItem.
 */

static int64_t
number_of(const cJSON *j)
{
	if (cJSON_IsNumber(j))
		return (int64_t)j->valuedouble;
	if (cJSON_IsString(j))
		return strtoll(j->valuestring, NULL, 10);
	return 0;
}

static int64_t
json_int(const cJSON *o, const char *name)
{
	return number_of(cJSON_GetObjectItem(o, name));
}

/* A member of what ecsim wrote as an integer; dflt when it is absent. */
static int64_t
doc_int(const cJSON *o, const char *name, int64_t dflt)
{
	const cJSON	*j = json_member(o, name);

	return j != NULL ? number_of(j) : dflt;
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
	int		 awsvpc = task_is_awsvpc(td), host, udp;
	const char	*proto;

	memset(need, 0, sizeof *need);
	cJSON_ArrayForEach(c, json_member(td, "containerDefinitions")) {
		name = cJSON_GetStringValue(json_member(c, "name"));
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
		host = network_mode_is(td, "host");
		cJSON_ArrayForEach(pm, json_member(c, "portMappings")) {
			hp = json_int(pm, "hostPort");
			if (hp == 0 && host)
				hp = json_int(pm, "containerPort");
			if (hp <= 0)
				continue;
			proto = cJSON_GetStringValue(json_member(pm,
			    "protocol"));
			udp = proto != NULL && strcmp(proto, "udp") == 0;
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

/*
 * Sets number member name of o to v, in place when o has it: a step sets
 * a dozen times and sim states, and removing each member to add it again
 * freed and made a node and its key every time. None when v is 0 and
 * !keep_zero.
 */
static void
set_number(cJSON *o, const char *name, int64_t v, int keep_zero)
{
	cJSON	*j = json_member(o, name);

	if (v == 0 && !keep_zero) {
		if (j != NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(o, name);
	} else if (cJSON_IsNumber(j))
		cJSON_SetNumberValue(j, (double)v);
	else {
		if (j != NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(o, name);
		cJSON_AddNumberToObject(o, name, (double)v);
	}
}

static void
doc_set_time(cJSON *doc, const char *name, int64_t ms)
{
	cJSON	*times = json_member(doc, "times");

	if (times == NULL)
		times = cJSON_AddObjectToObject(doc, "times");
	set_number(times, name, ms, 1);
}

static int64_t
doc_time(const cJSON *doc, const char *name)
{
	return doc_int(json_member(doc, "times"), name, 0);
}

static void
set_string(cJSON *o, const char *name, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, name);
	if (v != NULL)
		cJSON_AddStringToObject(o, name, v);
}

/* Copies member name (a string literal) of from into to, when from has
 * it. */
static void
copy_member(cJSON *to, const cJSON *from, const char *name)
{
	const cJSON	*j = json_member(from, name);

	if (j != NULL)
		json_add_item(to, name, cJSON_Duplicate(j, 1));
}

static const struct json_out *task_pack(struct engine *,
		    const struct task_row *, int, int);

/* Appends the task's "ECS Task State Change" event to the outbox. */
static int
task_event(struct engine *eng, const struct task_row *t, struct err *e)
{
	const struct json_out	*o = task_pack(eng, t, 1, 0);

	return store_event_append_packed(eng->st, t->updated_at, "aws.ecs",
	    "ECS Task State Change", t->arn, o->buf, o->len, e);
}

/*
 * The simulated containers of a task. When a task is created, each
 * container's settings (essential, ecsim.* labels, dependsOn, healthCheck,
 * stopTimeout, startTimeout) are copied from its definition into the
 * task's doc under "sim", and what happens to it (ready, started, stopped,
 * SIGTERM, exit code, health checks) is written there as it happens, so a
 * restart carries on from the database alone. doc.containers is what
 * DescribeTasks shows; "sim" is never shown.
 */
struct sim {
	const char		*name;
	cJSON			*shown;		/* its doc.containers entry */
	cJSON			*state;		/* its doc.sim.containers entry */
	struct behaviour	 b;
	int			 essential;
	int			 has_hc;
	struct health_check	 hc;
	int64_t			 stop_timeout, start_timeout;	/* ms */
	size_t			 ndeps;
	size_t			 dep[TASK_MAX_CONTAINERS];
	enum dep_condition	 cond[TASK_MAX_CONTAINERS];
	/* What has happened, at engine times; 0: not yet. */
	int64_t			 ready_at;	/* pulled, dependencies met */
	int64_t			 started_at, stopped_at, sigterm_at;
	int			 has_exit, exit_code;
	struct health_state	 health;
};

struct tsim {
	struct sim	 c[TASK_MAX_CONTAINERS];
	size_t		 n;
	cJSON		*doc;		/* doc.sim */
	int64_t		 pending_at;	/* the pulls began */
};

/* The events of a running task's containers, in the order they are taken
 * when due at the same time. */
enum sim_event {
	SIM_NONE,
	SIM_START,
	SIM_EXIT,
	SIM_HEALTH,
	SIM_DEPENDENCY,
};

/* Sets a number member; 0 deletes it (0 is "not yet"). */
static void
set_ms(cJSON *o, const char *name, int64_t v)
{
	set_number(o, name, v, 0);
}

/* An image override's pattern: the image itself, or a prefix ending in
 * '*'. */
static int
image_matches(const char *pattern, const char *image)
{
	size_t	len = strlen(pattern);

	if (len > 0 && pattern[len - 1] == '*')
		return strncmp(image, pattern, len - 1) == 0;
	return strcmp(image, pattern) == 0;
}

/*
 * The "sim" member of a new task's doc, from its task definition. The
 * behaviour overrides by image (faults, least specific first) are applied
 * on top of each container's own ecsim.* labels: a scenario overrides the
 * task definition.
 */
static cJSON *
sim_new(const cJSON *td, const cJSON *image_overrides)
{
	cJSON		*sim = cJSON_CreateObject(), *list, *c, *labels;
	const cJSON	*def, *j, *o;
	const char	*image, *key;

	list = cJSON_AddArrayToObject(sim, "containers");
	cJSON_ArrayForEach(def, json_member(td,
	    "containerDefinitions")) {
		c = cJSON_CreateObject();
		copy_member(c, def, "name");
		cJSON_AddBoolToObject(c, "essential", !cJSON_IsFalse(
		    json_member(def, "essential")));
		labels = cJSON_AddObjectToObject(c, "labels");
		cJSON_ArrayForEach(j, json_member(def, "dockerLabels"))
			if (j->string != NULL && str_has_prefix(j->string,
			    BEHAVIOUR_LABEL_PREFIX))
				cJSON_AddItemToObject(labels, j->string,
				    cJSON_Duplicate(j, 1));
		image = cJSON_GetStringValue(json_member(def, "image"));
		cJSON_ArrayForEach(o, image_overrides) {
			key = cJSON_GetStringValue(cJSON_GetObjectItem(o, "key"));
			if (image == NULL || key == NULL || !image_matches(
			    cJSON_GetStringValue(cJSON_GetObjectItem(o,
			    "pattern")), image))
				continue;
			cJSON_DeleteItemFromObject(labels, key);
			cJSON_AddStringToObject(labels, key, cJSON_GetStringValue(
			    cJSON_GetObjectItem(o, "value")));
		}
		copy_member(c, def, "dependsOn");
		copy_member(c, def, "healthCheck");
		cJSON_AddNumberToObject(c, "stopTimeout", (double)(json_int(def,
		    "stopTimeout") > 0 ? json_int(def, "stopTimeout") :
		    STOP_TIMEOUT_DEFAULT));
		cJSON_AddNumberToObject(c, "startTimeout", (double)(json_int(
		    def, "startTimeout") > 0 ? json_int(def, "startTimeout") :
		    START_TIMEOUT_DEFAULT));
		cJSON_AddItemToArray(list, c);
	}
	return sim;
}

/* A member in seconds as milliseconds, dflt seconds when absent. */
static int64_t
json_secs(const cJSON *o, const char *name, int64_t dflt)
{
	return doc_int(o, name, dflt) * 1000;
}

static void
sim_read(struct engine *eng, struct sim *c, cJSON *st)
{
	const cJSON	*hc = json_member(st, "healthCheck"), *j;
	struct err	 e;
	int64_t		 crash_at;
	int		 v;

	c->state = st;
	c->name = cJSON_GetStringValue(json_member(st, "name"));
	if (c->name == NULL)
		c->name = "";
	c->essential = !cJSON_IsFalse(json_member(st, "essential"));
	behaviour_init(&c->b);
	/* Validated at registration; a definition from before that keeps
	 * the defaults. */
	if (behaviour_parse_labels(&c->b, c->name, json_member(st,
	    "labels"), &e) != 0) {
		log_warn("%s", e.msg);
		behaviour_init(&c->b);
	}
	if (c->b.pull < 0)
		c->b.pull = eng->cfg.timings.pending;
	if (c->b.start < 0)
		c->b.start = eng->cfg.timings.activating;
	if ((c->has_hc = hc != NULL)) {
		c->hc.interval = json_secs(hc, "interval", 30);
		if (c->hc.interval < 1000)
			c->hc.interval = 1000;
		c->hc.timeout = json_secs(hc, "timeout", 5);
		c->hc.retries = (int)doc_int(hc, "retries", 3);
		c->hc.start_period = json_secs(hc, "startPeriod", 0);
	}
	c->stop_timeout = json_secs(st, "stopTimeout", STOP_TIMEOUT_DEFAULT);
	c->start_timeout = json_secs(st, "startTimeout",
	    START_TIMEOUT_DEFAULT);
	c->ready_at = doc_int(st, "readyAt", 0);
	c->started_at = doc_int(st, "startedAt", 0);
	c->stopped_at = doc_int(st, "stoppedAt", 0);
	c->sigterm_at = doc_int(st, "sigtermAt", 0);
	if ((c->has_exit = (j = json_member(st, "exitCode")) != NULL))
		c->exit_code = (int)number_of(j);
	/* A crash (engine_task_crash) is an exit at that time, unless the
	 * container's own exit comes first. */
	crash_at = doc_int(st, "crashAt", 0);
	if (crash_at != 0 && c->started_at != 0 && (!c->b.exits ||
	    c->started_at + c->b.exit_after > crash_at)) {
		c->b.exits = 1;
		c->b.exit_code = (int)doc_int(st, "crashCode", 0);
		c->b.exit_after = crash_at - c->started_at;
	}
	j = json_member(st, "health");
	v = behaviour_health_parse(cJSON_GetStringValue(j));
	c->health.status = v < 0 ? HEALTH_UNKNOWN : (enum health_status)v;
	c->health.failures = (int)doc_int(st, "failures", 0);
	c->health.probe_at = doc_int(st, "probeAt", 0);
}

/* The task's containers from its doc. A task from before the behaviour
 * model gets default containers. */
static void
sim_load(struct engine *eng, struct task_row *t, struct tsim *ts)
{
	cJSON		*shown = json_member(t->doc, "containers");
	cJSON		*list, *st, *j;
	const cJSON	*d;
	const char	*dep;
	struct sim	*c;
	size_t		 i, k;
	int		 cond;

	memset(ts, 0, sizeof *ts);
	if ((ts->doc = json_member(t->doc, "sim")) == NULL) {
		/* Its containers were pulled, and started, with the task. */
		ts->doc = cJSON_AddObjectToObject(t->doc, "sim");
		list = cJSON_AddArrayToObject(ts->doc, "containers");
		cJSON_ArrayForEach(j, shown) {
			st = cJSON_CreateObject();
			copy_member(st, j, "name");
			set_ms(st, "readyAt", doc_time(t->doc, "pullStoppedAt"));
			set_ms(st, "startedAt", doc_time(t->doc, "startedAt"));
			cJSON_AddItemToArray(list, st);
		}
	}
	ts->pending_at = doc_int(ts->doc, "pendingAt", 0);
	if (ts->pending_at == 0)
		ts->pending_at = t->created_at;
	cJSON_ArrayForEach(st, json_member(ts->doc, "containers")) {
		if (ts->n == TASK_MAX_CONTAINERS)
			break;
		c = &ts->c[ts->n];
		sim_read(eng, c, st);
		c->shown = cJSON_GetArrayItem(shown, (int)ts->n);
		ts->n++;
	}
	/* dependsOn by name, now that every container is known. */
	for (i = 0; i < ts->n; i++) {
		c = &ts->c[i];
		cJSON_ArrayForEach(d, json_member(c->state,
		    "dependsOn")) {
			cond = behaviour_condition_parse(cJSON_GetStringValue(
			    json_member(d, "condition")));
			if ((dep = cJSON_GetStringValue(json_member(d,
			    "containerName"))) == NULL)
				dep = "";
			for (k = 0; k < ts->n; k++)
				if (strcmp(ts->c[k].name, dep) == 0)
					break;
			if (cond < 0 || k == ts->n || k == i ||
			    c->ndeps == TASK_MAX_CONTAINERS)
				continue;
			c->dep[c->ndeps] = k;
			c->cond[c->ndeps++] = (enum dep_condition)cond;
		}
	}
}

/* Writes what happened back into doc.sim. */
static void
sim_save(struct tsim *ts)
{
	struct sim	*c;
	size_t		 i;

	set_ms(ts->doc, "pendingAt", ts->pending_at);
	for (i = 0; i < ts->n; i++) {
		c = &ts->c[i];
		set_ms(c->state, "readyAt", c->ready_at);
		set_ms(c->state, "startedAt", c->started_at);
		set_ms(c->state, "stoppedAt", c->stopped_at);
		set_ms(c->state, "sigtermAt", c->sigterm_at);
		cJSON_DeleteItemFromObjectCaseSensitive(c->state, "exitCode");
		if (c->has_exit)
			cJSON_AddNumberToObject(c->state, "exitCode",
			    c->exit_code);
		set_string(c->state, "health", c->health.status ==
		    HEALTH_UNKNOWN ? NULL : behaviour_health_name(
		    c->health.status));
		set_ms(c->state, "failures", c->health.failures);
		set_ms(c->state, "probeAt", c->health.probe_at);
	}
}

static int
sim_running(const struct sim *c)
{
	return c->started_at != 0 && c->stopped_at == 0;
}

/* Container c has stopped at at, with an exit code when code >= 0. */
static void
sim_stop(struct sim *c, int64_t at, int code)
{
	c->stopped_at = at;
	set_string(c->shown, "lastStatus", "STOPPED");
	if (code < 0)
		return;
	c->has_exit = 1;
	c->exit_code = code;
	cJSON_DeleteItemFromObjectCaseSensitive(c->shown, "exitCode");
	cJSON_AddNumberToObject(c->shown, "exitCode", code);
}

/* Stops what still runs (as SIGTERM would end it) or never started. */
static void
sim_stop_rest(struct tsim *ts, int64_t at)
{
	struct sim	*c;
	size_t		 i;

	for (i = 0; i < ts->n; i++) {
		c = &ts->c[i];
		if (c->stopped_at != 0)
			continue;
		sim_stop(c, at, c->started_at == 0 ? -1 :
		    c->b.sigterm_ignored ? 137 : c->b.sigterm_code);
	}
}

/* The task's health over its essential containers: UNHEALTHY > UNKNOWN >
 * HEALTHY. A container without a health check is UNKNOWN. */
static enum health_status
sim_task_health(const struct tsim *ts)
{
	enum health_status	h = HEALTH_HEALTHY;
	size_t			i, n = 0;

	for (i = 0; i < ts->n; i++) {
		if (!ts->c[i].essential)
			continue;
		n++;
		if (ts->c[i].health.status == HEALTH_UNHEALTHY)
			return HEALTH_UNHEALTHY;
		if (ts->c[i].health.status == HEALTH_UNKNOWN)
			h = HEALTH_UNKNOWN;
	}
	return n == 0 ? HEALTH_UNKNOWN : h;
}

/*
 * Whether container i's dependencies are met at at. On DEP_WAIT,
 * *deadline is the earliest time a wait gives up (0: none); on DEP_NEVER,
 * why says which dependency cannot be met and why.
 */
static enum dep_verdict
sim_deps(const struct tsim *ts, size_t i, int64_t at, int64_t *deadline,
    char *why, size_t len)
{
	const struct sim	*c = &ts->c[i], *to;
	struct dep_target	 d;
	enum dep_verdict	 v, all = DEP_MET;
	int64_t			 dl;
	char			 buf[96];
	size_t			 k;

	*deadline = 0;
	for (k = 0; k < c->ndeps; k++) {
		to = &ts->c[c->dep[k]];
		d.started = to->started_at != 0;
		d.started_at = to->started_at;
		d.stopped = to->stopped_at != 0;
		d.has_exit_code = to->has_exit;
		d.exit_code = to->exit_code;
		d.health = to->health.status;
		d.start_timeout = to->start_timeout;
		v = behaviour_dep_verdict(c->cond[k], &d, at, &dl, buf,
		    sizeof buf);
		if (v == DEP_NEVER) {
			snprintf(why, len, "CannotStartContainerError: "
			    "container %s: dependency %s (condition %s) %s",
			    c->name, to->name,
			    behaviour_condition_name(c->cond[k]), buf);
			return DEP_NEVER;
		}
		if (v == DEP_WAIT) {
			all = DEP_WAIT;
			if (dl != 0 && (*deadline == 0 || dl < *deadline))
				*deadline = dl;
		}
	}
	return all;
}

/* Containers whose dependencies are met at at become ready to start.
 * Returns the index of one whose dependencies never can be, or -1. */
static int
sim_ready(struct tsim *ts, int64_t at, char *why, size_t len)
{
	struct sim	*c;
	int64_t		 dl;
	size_t		 i;

	for (i = 0; i < ts->n; i++) {
		c = &ts->c[i];
		if (c->ready_at != 0 || c->stopped_at != 0)
			continue;
		switch (sim_deps(ts, i, at, &dl, why, len)) {
		case DEP_MET:
			c->ready_at = at;
			break;
		case DEP_NEVER:
			return (int)i;
		case DEP_WAIT:
			break;
		}
	}
	return -1;
}

/* When the pulls end, from pending_at: at the first failing one, else
 * when the slowest is done. *failed is the failing container or -1. */
static int64_t
sim_pull_end(const struct tsim *ts, int *failed)
{
	int64_t	done = 0, fail = -1;
	size_t	i;

	*failed = -1;
	for (i = 0; i < ts->n; i++) {
		if (ts->c[i].b.pull_fails) {
			if (fail < 0 || ts->c[i].b.pull < fail) {
				fail = ts->c[i].b.pull;
				*failed = (int)i;
			}
		} else if (ts->c[i].b.pull > done)
			done = ts->c[i].b.pull;
	}
	return ts->pending_at + (fail >= 0 ? fail : done);
}

/* The next event of a task's containers while it starts and runs: its
 * time (0: none) and *kind. */
static int64_t
sim_plan(const struct tsim *ts, int64_t at, enum sim_event *kind)
{
	const struct sim	*c;
	struct health_state	 next;
	int64_t			 best = 0, x;
	enum sim_event		 k;
	size_t			 i;
	int			 changed;
	char			 why[ERR_MSG_MAX];

	*kind = SIM_NONE;
	for (i = 0; i < ts->n; i++) {
		c = &ts->c[i];
		x = 0;
		k = SIM_NONE;
		if (c->stopped_at != 0)
			continue;
		if (c->started_at == 0 && c->ready_at != 0) {
			x = c->ready_at + c->b.start;
			k = SIM_START;
		} else if (c->started_at == 0) {
			/* A wait that can never end is due now. */
			if (sim_deps(ts, i, at, &x, why, sizeof why) ==
			    DEP_NEVER)
				x = at;
			k = SIM_DEPENDENCY;
		} else {
			if ((x = behaviour_exit_at(&c->b, c->started_at)) != 0)
				k = SIM_EXIT;
			if (c->has_hc) {
				int64_t	h = health_next(&c->b, &c->hc,
				    c->started_at, &c->health, &next, &changed);

				if (h != 0 && (x == 0 || h < x)) {
					x = h;
					k = SIM_HEALTH;
				}
			}
		}
		if (x != 0 && (best == 0 || x < best ||
		    (x == best && k < *kind))) {
			best = x;
			*kind = k;
		}
	}
	return best;
}

/* The next SIGTERM exit of a stopping task's containers, or 0. */
static int64_t
sim_kill_plan(const struct engine *eng, const struct tsim *ts)
{
	const struct sim	*c;
	int64_t			 best = 0, x;
	size_t			 i;
	int			 code;

	for (i = 0; i < ts->n; i++) {
		c = &ts->c[i];
		if (!sim_running(c) || c->sigterm_at == 0)
			continue;
		x = behaviour_sigterm_exit(&c->b, c->sigterm_at,
		    eng->cfg.timings.stopping, c->stop_timeout, &code);
		if (best == 0 || x < best)
			best = x;
	}
	return best;
}

/* SIGTERM in reverse dependency order: a running container gets it once
 * no running container depends on it. */
static void
sim_sigterm(struct tsim *ts, int64_t at)
{
	size_t	i, j, k;
	int	blocked;

	for (i = 0; i < ts->n; i++) {
		if (!sim_running(&ts->c[i]) || ts->c[i].sigterm_at != 0)
			continue;
		blocked = 0;
		for (j = 0; j < ts->n && !blocked; j++) {
			if (j == i || !sim_running(&ts->c[j]))
				continue;
			for (k = 0; k < ts->c[j].ndeps; k++)
				if (ts->c[j].dep[k] == i)
					blocked = 1;
		}
		if (!blocked)
			ts->c[i].sigterm_at = at;
	}
}

/* The time the last container stopped, or 0 if one still runs. */
static int64_t
sim_all_stopped(const struct tsim *ts)
{
	int64_t	last = 0;
	size_t	i;

	for (i = 0; i < ts->n; i++) {
		if (ts->c[i].stopped_at == 0)
			return 0;
		if (ts->c[i].stopped_at > last)
			last = ts->c[i].stopped_at;
	}
	return last;
}

static cJSON *
task_containers(struct engine *eng, const struct task_spec *spec,
    const char *task_id, const char *task_arn)
{
	cJSON		*list = cJSON_CreateArray(), *c;
	const cJSON	*def, *pm;
	const char	*proto;
	char		 uuid[ID_UUID_LEN], *arn, buf[INT_TEXT_LEN];
	int64_t		 v;

	cJSON_ArrayForEach(def, json_member(spec->td,
	    "containerDefinitions")) {
		c = cJSON_CreateObject();
		id_uuid(&eng->prng, uuid);
		arn = engine_arn(eng, "container/%s/%s/%s", spec->cluster,
		    task_id, uuid);
		cJSON_AddStringToObject(c, "containerArn", arn);
		free(arn);
		cJSON_AddStringToObject(c, "taskArn", task_arn);
		copy_member(c, def, "name");
		copy_member(c, def, "image");
		cJSON_AddStringToObject(c, "lastStatus", "PENDING");
		cJSON_AddItemToObject(c, "networkBindings", cJSON_CreateArray());
		cJSON_AddItemToObject(c, "networkInterfaces",
		    cJSON_CreateArray());
		cJSON_AddStringToObject(c, "healthStatus", "UNKNOWN");
		cJSON_AddStringToObject(c, "cpu", "0");
		if ((v = json_int(def, "cpu")) > 0)
			set_string(c, "cpu", int_text(v, buf));
		if ((v = json_int(def, "memory")) > 0)
			cJSON_AddStringToObject(c, "memory", int_text(v, buf));
		if (!task_is_awsvpc(spec->td))
			cJSON_ArrayForEach(pm, json_member(def,
			    "portMappings")) {
				cJSON	*b = cJSON_CreateObject();

				cJSON_AddStringToObject(b, "bindIP", "0.0.0.0");
				cJSON_AddNumberToObject(b, "containerPort",
				    (double)json_int(pm, "containerPort"));
				cJSON_AddNumberToObject(b, "hostPort",
				    (double)json_int(pm, "hostPort"));
				proto = cJSON_GetStringValue(json_member(pm,
				    "protocol"));
				cJSON_AddStringToObject(b, "protocol",
				    proto != NULL ? proto : "tcp");
				cJSON_AddItemToArray(json_member(c,
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
	struct tsim		 ts;
	struct placement_need	 need;
	char			 id[ID_HEX32_LEN];
	const cJSON		*tdarn = json_member(spec->td,
				    "taskDefinitionArn");
	int64_t			 now = engine_now(eng);
	size_t			 i;
	int			 ret = -1, awsvpc = task_is_awsvpc(spec->td);
	int			 failed;
	cJSON			*images;

	memset(&t, 0, sizeof t);
	if ((images = store_image_behaviours(eng->st, e)) == NULL)
		return -1;
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
	t.doc = cJSON_CreateObject();
	cJSON_AddItemToObject(t.doc, "containers",
	    task_containers(eng, spec, id, t.arn));
	cJSON_AddItemToObject(t.doc, "sim", sim_new(spec->td, images));
	/* A PENDING task's pulls begin now. */
	sim_load(eng, &t, &ts);
	if (!awsvpc)
		ts.pending_at = now;
	t.next_at = awsvpc ? now + eng->cfg.timings.provisioning :
	    sim_pull_end(&ts, &failed);
	sim_save(&ts);
	if (spec->overrides != NULL)
		cJSON_AddItemToObject(t.doc, "overrides",
		    cJSON_Duplicate(spec->overrides, 1));
	cJSON_AddItemToObject(t.doc, "attachments", cJSON_CreateArray());
	if (awsvpc)
		cJSON_AddItemToArray(json_member(t.doc, "attachments"),
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
	    engine_instance_loaded(eng, t.instance_arn, e) != 0)
		goto out;
	if (arn_out != NULL)
		*arn_out = xstrdup(t.arn);
	ret = 0;
out:
	cJSON_Delete(images);
	task_row_clear(&t);
	return ret;
}

static void
attachments_set(struct task_row *t, const char *status)
{
	cJSON	*a;

	cJSON_ArrayForEach(a, json_member(t->doc, "attachments"))
		set_string(a, "status", status);
}

/* The next status on the way down; awsvpc tasks deprovision their ENI. */
static enum task_status
stop_next(const struct task_row *t)
{
	int	eni = cJSON_GetArraySize(json_member(t->doc,
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

/*
 * A task whose instance's agent is disconnected is held: what needs the
 * agent waits, and nothing ECS could only learn from the agent (a step, a
 * container exit, a health change) is shown until the agent is back
 * (docs/faults.md).
 */
int
engine_task_held(const struct task_row *t)
{
	return cJSON_IsTrue(json_member(json_member(t->doc,
	    "sim"), "held"));
}

/* When ECS sees a change that happened at at: what happened while the
 * agent was away is reported, and shown, when it reconnects. */
static int64_t
task_seen_at(const struct task_row *t, int64_t at)
{
	int64_t	back = doc_int(json_member(t->doc, "sim"), "resumedAt",
		    0);

	return at < back ? back : at;
}

/* When the task's next step is due after a change at at (0: none). */
static int64_t
task_next_at(const struct engine *eng, const struct task_row *t,
    const struct tsim *ts, int64_t at)
{
	enum sim_event	kind;
	int64_t		x;
	int		failed;

	if (engine_task_held(t))
		return 0;
	if (t->desired_stopped && t->last_status <= TASK_RUNNING)
		return at;	/* the stop begins */
	switch (t->last_status) {
	case TASK_PROVISIONING:
	case TASK_DEACTIVATING:
	case TASK_DEPROVISIONING:
		return at + step_time(eng, t->last_status);
	case TASK_PENDING:
		return sim_pull_end(ts, &failed);
	case TASK_ACTIVATING:
	case TASK_RUNNING:
		return sim_plan(ts, at, &kind);
	case TASK_STOPPING:
		/* Nothing left to stop: on at once. */
		return (x = sim_kill_plan(eng, ts)) != 0 ? x : at;
	case TASK_STOPPED:
	case TASK_STATUS_COUNT:
		break;
	}
	return 0;
}

/* Writes the task and its event: one change, version + 1. */
static int
task_changed(struct engine *eng, struct task_row *t, struct tsim *ts,
    int64_t at, struct err *e)
{
	t->version++;
	t->updated_at = task_seen_at(t, at);
	t->next_at = task_next_at(eng, t, ts, at);
	sim_save(ts);
	return store_task_update(eng->st, t, e) != 0 ||
	    task_event(eng, t, e) != 0 ? -1 : 0;
}

/* Stores what changed inside the task without a change ECS would show
 * (a container became ready, a health check changed nothing). */
static int
task_touch(struct engine *eng, struct task_row *t, struct tsim *ts,
    int64_t at, struct err *e)
{
	t->next_at = task_next_at(eng, t, ts, at);
	sim_save(ts);
	return store_task_update(eng->st, t, e);
}

/* Moves a task to status s at time at: fields, version, event. */
static int
task_enter(struct engine *eng, struct task_row *t, struct tsim *ts,
    enum task_status s, int64_t at, struct err *e)
{
	int	was_running = t->last_status >= TASK_RUNNING;
	char	why[ERR_MSG_MAX];
	int64_t	last;

	at = task_seen_at(t, at);
	t->last_status = s;
	switch (s) {
	case TASK_PROVISIONING:
		break;
	case TASK_PENDING:
		attachments_set(t, "ATTACHED");
		ts->pending_at = at;
		break;
	case TASK_ACTIVATING:
		doc_set_time(t->doc, "pullStartedAt", ts->pending_at);
		doc_set_time(t->doc, "pullStoppedAt", at);
		/* Nothing has started, so no dependency fails yet. */
		(void)sim_ready(ts, at, why, sizeof why);
		break;
	case TASK_RUNNING:
		doc_set_time(t->doc, "startedAt", at);
		doc_set_time(t->doc, "connectivityAt", at);
		set_string(t->doc, "connectivity", "CONNECTED");
		break;
	case TASK_DEACTIVATING:
		break;
	case TASK_STOPPING:
		sim_sigterm(ts, at);
		break;
	case TASK_DEPROVISIONING:
	case TASK_STOPPED:
		if (doc_time(t->doc, "executionStoppedAt") == 0) {
			sim_stop_rest(ts, at);
			if (was_running && (last = sim_all_stopped(ts)) != 0)
				doc_set_time(t->doc, "executionStoppedAt",
				    last);
		}
		if (s == TASK_DEPROVISIONING) {
			attachments_set(t, "DELETED");
			break;
		}
		t->stopped_at = at;
		doc_set_time(t->doc, "stoppedAt", at);
		break;
	case TASK_STATUS_COUNT:
		break;
	}
	if (task_changed(eng, t, ts, at, e) != 0)
		return -1;
	if (s == TASK_STOPPED && t->instance_arn != NULL &&
	    engine_instance_loaded(eng, t->instance_arn, e) != 0)
		return -1;
	if (t->service_arn != NULL &&
	    (s == TASK_RUNNING || s == TASK_STOPPED || s == TASK_STOPPING))
		engine_mark_service(eng, t->service_arn);
	return 0;
}

/* Asks a task to stop at time at (desiredStatus STOPPED), with its stop
 * code and reason; no-op if already asked. */
static int
task_stop_at(struct engine *eng, struct task_row *t, enum task_stop_code code,
    const char *reason, int64_t at, struct err *e)
{
	if (t->desired_stopped || t->last_status == TASK_STOPPED)
		return 0;
	/* The scheduler reads brief rows. */
	if (store_task_fill(eng->st, t, e) != 0)
		return -1;
	at = task_seen_at(t, at);
	t->desired_stopped = 1;
	t->stop_code = code;
	free(t->stopped_reason);
	t->stopped_reason = xstrdup(reason);
	t->version++;
	t->updated_at = at;
	doc_set_time(t->doc, "stoppingAt", at);
	/* The stop begins now, whatever step was due; a held task's when
	 * its agent is back. */
	t->next_at = engine_task_held(t) ? 0 : at;
	if (store_task_update(eng->st, t, e) != 0 || task_event(eng, t, e) != 0)
		return -1;
	if (t->service_arn != NULL)
		engine_mark_service(eng, t->service_arn);
	if (code == STOP_USER_INITIATED && store_tags_drop(eng->st, t->arn,
	    e) != 0)
		return -1;
	return 0;
}

int
engine_task_stop(struct engine *eng, struct task_row *t,
    enum task_stop_code code, const char *reason, struct err *e)
{
	return task_stop_at(eng, t, code, reason, engine_now(eng), e);
}

int
engine_task_ever_ran(const struct task_row *t)
{
	return doc_time(t->doc, "startedAt") != 0;
}

/* A container's dependencies can never be met: the task fails to start. */
static int
task_dependency_failed(struct engine *eng, struct task_row *t,
    struct tsim *ts, int i, const char *why, int64_t at, struct err *e)
{
	set_string(ts->c[i].shown, "reason", why);
	sim_save(ts);
	return task_stop_at(eng, t, STOP_TASK_FAILED_TO_START, why, at, e);
}

/* The pulls are over at at: a failure stops the task before it starts. */
static int
step_pull(struct engine *eng, struct task_row *t, struct tsim *ts,
    int64_t now, struct err *e)
{
	char		 why[ERR_MSG_MAX];
	const char	*image;
	int		 failed;
	int64_t		 at = sim_pull_end(ts, &failed);

	if (at > now)
		return task_touch(eng, t, ts, now, e);
	if (failed < 0)
		return task_enter(eng, t, ts, TASK_ACTIVATING, at, e);
	/* ECS's wording, as the Docker daemon gives it for a missing tag. */
	image = cJSON_GetStringValue(json_member(ts->c[failed].shown,
	    "image"));
	snprintf(why, sizeof why, "CannotPullContainerError: Error response "
	    "from daemon: manifest for %.128s not found: manifest unknown: "
	    "manifest unknown", image ? image : "");
	set_string(ts->c[failed].shown, "reason", why);
	doc_set_time(t->doc, "pullStartedAt", ts->pending_at);
	doc_set_time(t->doc, "pullStoppedAt", at);
	sim_save(ts);
	return task_stop_at(eng, t, STOP_TASK_FAILED_TO_START, why, at, e);
}

/*
 * The containers of a starting or running task: the events due at the
 * earliest time, of one kind (starts, then exits, then health changes,
 * then dependency waits that give up), as one change.
 */
static int
step_containers(struct engine *eng, struct task_row *t, struct tsim *ts,
    int64_t now, struct err *e)
{
	struct health_state	 next;
	struct sim		*c;
	enum sim_event		 kind;
	enum health_status	 h;
	char			 why[ERR_MSG_MAX];
	int64_t			 at = sim_plan(ts, t->next_at, &kind);
	size_t			 i;
	int			 changed = 0, essential = 0, moved, failed;
	int			 progress = 0;

	if (at == 0 || at > now)
		return task_touch(eng, t, ts, now, e);
	for (i = 0; i < ts->n; i++) {
		c = &ts->c[i];
		switch (kind) {
		case SIM_START:
			if (c->started_at != 0 || c->ready_at == 0 ||
			    c->stopped_at != 0 || c->ready_at + c->b.start != at)
				break;
			c->started_at = at;
			set_string(c->shown, "lastStatus", "RUNNING");
			if (c->has_hc)
				health_state_start(&c->health, &c->hc, at);
			changed = 1;
			break;
		case SIM_EXIT:
			if (!sim_running(c) ||
			    behaviour_exit_at(&c->b, c->started_at) != at)
				break;
			sim_stop(c, at, c->b.exit_code);
			essential |= c->essential;
			changed = 1;
			break;
		case SIM_HEALTH:
			if (!sim_running(c) || !c->has_hc ||
			    health_next(&c->b, &c->hc, c->started_at,
			    &c->health, &next, &moved) != at)
				break;
			c->health = next;
			progress = 1;
			if (moved) {
				set_string(c->shown, "healthStatus",
				    behaviour_health_name(next.status));
				changed = 1;
			}
			break;
		case SIM_DEPENDENCY:
		case SIM_NONE:
			break;
		}
	}
	if (essential) {
		sim_save(ts);
		return task_stop_at(eng, t, STOP_ESSENTIAL_CONTAINER_EXITED,
		    "Essential container in task exited", at, e);
	}
	if ((failed = sim_ready(ts, at, why, sizeof why)) >= 0)
		return task_dependency_failed(eng, t, ts, failed, why, at, e);
	if (kind == SIM_HEALTH && changed) {
		h = sim_task_health(ts);
		free(t->health);
		t->health = xstrdup(behaviour_health_name(h));
		if (t->service_arn != NULL)
			engine_mark_service(eng, t->service_arn);
	}
	if (t->last_status == TASK_ACTIVATING) {
		for (i = 0; i < ts->n && ts->c[i].started_at != 0; i++)
			;
		if (i == ts->n)
			return task_enter(eng, t, ts, TASK_RUNNING, at, e);
	}
	if (changed)
		return task_changed(eng, t, ts, at, e);
	if (progress)
		return task_touch(eng, t, ts, at, e);
	/* The plan and its events disagree: never spin on the same time. */
	log_warn("task %s: nothing to do at its next step; timer cleared",
	    t->arn);
	t->next_at = 0;
	sim_save(ts);
	return store_task_update(eng->st, t, e);
}

/* A stopping task's containers exit after SIGTERM, dependents first; the
 * task moves on when the last has exited. */
static int
step_stopping(struct engine *eng, struct task_row *t, struct tsim *ts,
    int64_t now, struct err *e)
{
	struct sim	*c;
	int64_t		 at = sim_kill_plan(eng, ts);
	size_t		 i;
	int		 code;

	if (at == 0)
		return task_enter(eng, t, ts, stop_next(t), t->next_at, e);
	if (at > now)
		return task_touch(eng, t, ts, now, e);
	for (i = 0; i < ts->n; i++) {
		c = &ts->c[i];
		if (sim_running(c) && c->sigterm_at != 0 &&
		    behaviour_sigterm_exit(&c->b, c->sigterm_at,
		    eng->cfg.timings.stopping, c->stop_timeout, &code) == at)
			sim_stop(c, at, code);
	}
	sim_sigterm(ts, at);
	if (sim_all_stopped(ts) != 0)
		return task_enter(eng, t, ts, stop_next(t), at, e);
	return task_changed(eng, t, ts, at, e);
}

/* One step of a task whose next_at has come. */
static int
task_step(struct engine *eng, struct task_row *t, struct err *e)
{
	struct tsim	ts;
	int64_t		now = engine_now(eng);

	store_task_doc(t);
	sim_load(eng, t, &ts);
	if (t->desired_stopped) {
		if (t->last_status == TASK_STOPPING)
			return step_stopping(eng, t, &ts, now, e);
		if (t->last_status != TASK_STOPPED)
			return task_enter(eng, t, &ts, stop_next(t), t->next_at,
			    e);
	}
	switch (t->last_status) {
	case TASK_PROVISIONING:
		return task_enter(eng, t, &ts, TASK_PENDING, t->next_at, e);
	case TASK_PENDING:
		return step_pull(eng, t, &ts, now, e);
	case TASK_ACTIVATING:
	case TASK_RUNNING:
		return step_containers(eng, t, &ts, now, e);
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
		/* Each row is freed once stepped, while its tree is still in
		 * the CPU's caches. */
		for (i = 0; i < n && ret == 0; i++) {
			ret = task_step(eng, &rows[i], e);
			task_row_clear(&rows[i]);
		}
		task_rows_free(rows, n);
		if (ret != 0 || n == 0)
			break;
	}
	return ret;
}

/* A member holding a time: ISO 8601 text (events) or epoch seconds (the
 * API); none before the time has come (0). */
static void
pack_time(struct json_out *o, const char *name, int64_t ms, int iso)
{
	char	buf[TIME_ISO_LEN];

	if (ms <= 0)
		return;
	json_pack_key(o, name);
	if (iso) {
		time_iso8601(ms, 1, buf);
		json_pack_string(o, buf);
	} else
		json_pack_number(o, (double)ms / 1000.0);
}

/* Member name of the doc as it is, when the doc has it. */
static void
pack_member(struct json_out *o, const cJSON *doc, const char *name)
{
	const cJSON	*j = json_member(doc, name);

	if (j == NULL)
		return;
	json_pack_key(o, name);
	json_pack(o, j);
}

/*
 * The Task shape, packed straight from the row and its doc into the
 * engine's buffer, which holds it until the next packing: an event's
 * detail is written this way, with no tree to build and free (a task's
 * has about a hundred nodes), and the API's is this unpacked.
 */
static const struct json_out *
task_pack(struct engine *eng, const struct task_row *t, int iso,
    int with_tags)
{
	struct json_out	*o = &eng->packing;
	const cJSON	*d = t->doc, *times;
	cJSON		*tags;
	char		*cluster_arn, buf[INT_TEXT_LEN];
	static const char *const doc_times[] = { "connectivityAt",
	    "pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt",
	    "executionStoppedAt", "stoppedAt" };
	size_t		 i;

	o->len = 0;
	json_pack_open(o, 1);
	pack_member(o, d, "attachments");
	json_pack_empty_member(o, "attributes", 0);
	pack_member(o, d, "availabilityZone");
	pack_member(o, d, "capacityProviderName");
	cluster_arn = engine_arn(eng, "cluster/%s", t->cluster);
	json_pack_string_member(o, "clusterArn", cluster_arn);
	free(cluster_arn);
	pack_member(o, d, "connectivity");
	json_pack_string_member(o, "containerInstanceArn", t->instance_arn);
	pack_member(o, d, "containers");
	json_pack_string_member(o, "cpu", int_text(t->cpu, buf));
	pack_time(o, "createdAt", t->created_at, iso);
	json_pack_string_member(o, "desiredStatus", t->desired_stopped ? "STOPPED" :
	    "RUNNING");
	json_pack_key(o, "enableExecuteCommand");
	json_pack_bool(o, 0);
	json_pack_string_member(o, "group", t->group);
	json_pack_string_member(o, "healthStatus", t->health);
	json_pack_string_member(o, "lastStatus", model_task_status_name(t->last_status));
	json_pack_string_member(o, "launchType", model_launch_type_name(t->launch_type));
	json_pack_string_member(o, "memory", int_text(t->memory, buf));
	if (json_member(d, "overrides") != NULL)
		pack_member(o, d, "overrides");
	else {
		/* Most tasks have none. */
		json_pack_key(o, "overrides");
		json_pack_open(o, 1);
		json_pack_empty_member(o, "containerOverrides", 0);
		json_pack_empty_member(o, "inferenceAcceleratorOverrides", 0);
		json_pack_close(o, 1);
	}
	if (t->launch_type == LAUNCH_FARGATE) {
		json_pack_string_member(o, "platformVersion", "1.4.0");
		json_pack_string_member(o, "platformFamily", "Linux");
		json_pack_key(o, "ephemeralStorage");
		json_pack_open(o, 1);
		json_pack_key(o, "sizeInGiB");
		json_pack_number(o, 20);
		json_pack_close(o, 1);
	}
	times = json_member(d, "times");
	for (i = 0; i < sizeof doc_times / sizeof doc_times[0]; i++)
		pack_time(o, doc_times[i], doc_int(times, doc_times[i], 0),
		    iso);
	json_pack_string_member(o, "startedBy", t->started_by);
	if (t->stop_code != STOP_NONE)
		json_pack_string_member(o, "stopCode", model_stop_code_name(t->stop_code));
	json_pack_string_member(o, "stoppedReason", t->stopped_reason);
	json_pack_string_member(o, "taskArn", t->arn);
	json_pack_string_member(o, "taskDefinitionArn", t->task_definition);
	if (iso)
		pack_time(o, "updatedAt", t->updated_at, 1);
	json_pack_key(o, "version");
	json_pack_number(o, (double)t->version);
	if (with_tags) {
		if ((tags = store_tags_get(eng->st, t->arn)) != NULL) {
			json_pack_key(o, "tags");
			json_pack(o, tags);
			cJSON_Delete(tags);
		} else
			json_pack_empty_member(o, "tags", 0);
	}
	json_pack_close(o, 1);
	return o;
}

cJSON *
engine_task_json(struct engine *eng, const struct task_row *t, int iso,
    int with_tags)
{
	const struct json_out	*o = task_pack(eng, t, iso, with_tags);

	return json_unpack(o->buf, o->len);
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

/*
 * Faults (engine/fault.c). Holding a task marks its connectivity
 * DISCONNECTED and stops its clock as ECS sees it; letting it go marks it
 * CONNECTED, and what happened meanwhile is caught up at once, shown at the
 * reconnection. Each is one change: version + 1 and an event.
 */
int
engine_task_hold(struct engine *eng, struct task_row *t, int hold,
    struct err *e)
{
	struct tsim	ts;
	int64_t		now = engine_now(eng);

	if (t->last_status == TASK_STOPPED || engine_task_held(t) == !!hold)
		return 0;
	sim_load(eng, t, &ts);
	cJSON_DeleteItemFromObjectCaseSensitive(ts.doc, "held");
	if (hold)
		cJSON_AddTrueToObject(ts.doc, "held");
	else
		set_ms(ts.doc, "resumedAt", now);
	set_string(t->doc, "connectivity", hold ? "DISCONNECTED" : "CONNECTED");
	doc_set_time(t->doc, "connectivityAt", now);
	return task_changed(eng, t, &ts, now, e);
}

int
engine_task_crash(struct engine *eng, struct task_row *t,
    const char *container, int code, struct err *e)
{
	struct tsim	 ts;
	struct sim	*c;
	size_t		 i;

	if (t->last_status != TASK_RUNNING || t->desired_stopped)
		return err_set(e, ERR_INVALID, "Task %s is not running "
		    "(lastStatus %s, desiredStatus %s): only a RUNNING task's "
		    "container can crash.", t->arn, model_task_status_name(
		    t->last_status), t->desired_stopped ? "STOPPED" : "RUNNING");
	sim_load(eng, t, &ts);
	for (i = 0; i < ts.n; i++)
		if (container != NULL ? strcmp(ts.c[i].name, container) == 0 :
		    ts.c[i].essential)
			break;
	if (i == ts.n)
		return container != NULL ? err_set(e, ERR_INVALID, "Task %s has "
		    "no container named %.64s.", t->arn, container) :
		    err_set(e, ERR_INVALID, "Task %s has no essential "
		    "container.", t->arn);
	c = &ts.c[i];
	if (!sim_running(c))
		return err_set(e, ERR_INVALID, "Container %s of task %s is not "
		    "running.", c->name, t->arn);
	set_ms(c->state, "crashAt", engine_now(eng));
	cJSON_DeleteItemFromObjectCaseSensitive(c->state, "crashCode");
	cJSON_AddNumberToObject(c->state, "crashCode", code);
	t->next_at = engine_task_held(t) ? 0 : engine_now(eng);
	return store_task_update(eng->st, t, e);
}

int
engine_task_lost(struct engine *eng, struct task_row *t,
    enum task_stop_code code, const char *reason, struct err *e)
{
	struct tsim	ts;
	int64_t		now = engine_now(eng);
	size_t		i;

	if (t->last_status == TASK_STOPPED)
		return 0;
	sim_load(eng, t, &ts);
	for (i = 0; i < ts.n; i++)
		if (ts.c[i].stopped_at == 0)
			sim_stop(&ts.c[i], now, -1);
	cJSON_DeleteItemFromObjectCaseSensitive(ts.doc, "held");
	if (!t->desired_stopped) {
		t->desired_stopped = 1;
		t->stop_code = code;
		free(t->stopped_reason);
		t->stopped_reason = xstrdup(reason);
		doc_set_time(t->doc, "stoppingAt", now);
	}
	attachments_set(t, "DELETED");
	return task_enter(eng, t, &ts, TASK_STOPPED, now, e);
}
