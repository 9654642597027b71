/* Faults as engine commands: agents disconnecting and coming back, hosts
 * and zones lost, containers crashing, images behaving badly. Each runs in
 * the caller's transaction, as an API handler does (docs/faults.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/behaviour.h"
#include "clock/clock.h"
#include "engine/internal.h"
#include "store/store-clock.h"
#include "store/store-fault.h"

#define FAULT_IMAGE_MAX	255	/* as long as an image name may be */

/* The cluster's instances that are not INACTIVE; *name is the cluster's. */
static int
fault_instances(struct engine *eng, const char *cluster, char **name,
    struct instance_row **rows, size_t *n, struct err *e)
{
	*rows = NULL;
	*n = 0;
	if (store_cluster_resolve(eng->st, cluster, name, e) != 0)
		return -1;
	return store_instance_list(eng->st, *name, rows, n, e);
}

/*
 * The instance ref names among rows: its ARN, 32-hex id or EC2 instance
 * id. NULL with e set when there is none (a deregistered one says so).
 */
static struct instance_row *
fault_find(struct engine *eng, const char *cluster, struct instance_row *rows,
    size_t n, const char *ref, struct err *e)
{
	char	*status = NULL;
	size_t	 i;

	if (ref == NULL || *ref == '\0') {
		err_set(e, ERR_INVALID, "A fault needs the container instance "
		    "it happens to (ARN, id or EC2 instance id).");
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (strcmp(rows[i].arn, ref) == 0 ||
		    strcmp(rows[i].id, ref) == 0 ||
		    strcmp(rows[i].ec2_instance_id, ref) == 0)
			return &rows[i];
	if (store_instance_find(eng->st, cluster, ref, NULL, &status,
	    e) == 0 && strcmp(status, "INACTIVE") == 0)
		err_set(e, ERR_INVALID, "Container instance %s of cluster %s is "
		    "deregistered (INACTIVE).", ref, cluster);
	else
		err_set(e, ERR_INVALID, "Container instance %s was not found in "
		    "cluster %s.", ref, cluster);
	free(status);
	return NULL;
}

/*
 * The fault's own "ecsim Fault Injected" event: kind, target (an ARN, a
 * zone, an image), the cluster's ARN when it has one, the duration in
 * seconds for a fault that ends by itself (null: for good), and what else
 * the fault says (more, taken; NULL: nothing).
 */
static int
fault_event(struct engine *eng, const char *kind, const char *cluster,
    const char *target, int64_t duration, cJSON *more, struct err *e)
{
	cJSON	*d = more != NULL ? more : cJSON_CreateObject();
	char	*arn = NULL;
	int	 ret;

	cJSON_AddStringToObject(d, "kind", kind);
	cJSON_AddStringToObject(d, "target", target);
	if (cluster != NULL) {
		arn = engine_arn(eng, "cluster/%s", cluster);
		cJSON_AddStringToObject(d, "clusterArn", arn);
	}
	if (duration > 0)
		cJSON_AddNumberToObject(d, "duration",
		    (double)duration / 1000.0);
	else if (duration == 0)
		cJSON_AddNullToObject(d, "duration");
	/* The event is about an ARN: the target's, else (a zone) the
	 * cluster's; an image override has none. */
	ret = engine_event(eng, "ecsim", "ecsim Fault Injected",
	    str_has_prefix(target, "arn:") ? target : arn != NULL ? arn : "",
	    d, e);
	free(arn);
	return ret;
}

int
engine_fault_instance_arn(struct engine *eng, const char *cluster,
    const char *instance, char **name, char **arn, struct err *e)
{
	struct instance_row	*rows, *r;
	size_t			 n;

	*arn = NULL;
	if (fault_instances(eng, cluster, name, &rows, &n, e) == 0 &&
	    (r = fault_find(eng, *name, rows, n, instance, e)) != NULL)
		*arn = xstrdup(r->arn);
	instance_rows_free(rows, n);
	if (*arn == NULL) {
		free(*name);
		*name = NULL;
		return -1;
	}
	return 0;
}

/*
 * The agent of r disconnects (connected 0) or comes back (1): one instance
 * change, then one change for each of its tasks, held or let go. Capacity
 * changed, so every service is looked at after the commit. No-op when the
 * agent already is that way.
 */
static int
agent_set(struct engine *eng, const struct instance_row *r, int connected,
    struct err *e)
{
	struct task_row	*tasks;
	size_t		 n, i;
	int		 ret = 0;

	if (r->agent_connected == connected)
		return 0;
	if (store_instance_set_connected(eng->st, r->arn, connected, e) != 0 ||
	    engine_instance_changed(eng, r->arn, e) != 0 ||
	    store_task_on_instance(eng->st, r->arn, &tasks, &n, e) != 0)
		return -1;
	for (i = 0; i < n && ret == 0; i++)
		ret = engine_task_hold(eng, &tasks[i], !connected, e);
	task_rows_free(tasks, n);
	engine_poke(eng);
	return ret;
}

/*
 * Disconnects one instance (for ms, or for good when ms is 0) or
 * reconnects it (ms -1). A disconnection for a time is an outage row the
 * agents timer ends (engine/agents.c); any other change of the agent ends
 * the outage. kind names the fault in its event ("flap" for the agents
 * that disconnect by themselves).
 */
static int
fault_agent(struct engine *eng, const char *cluster, const char *instance,
    int64_t ms, const char *kind, struct err *e)
{
	struct instance_row	*rows, *r;
	char			*name = NULL;
	size_t			 n;
	int			 ret = -1, changed;

	if (ms < -1)
		return err_set(e, ERR_INVALID, "A disconnection lasts for a "
		    "time above 0 or for good.");
	if (fault_instances(eng, cluster, &name, &rows, &n, e) != 0 ||
	    (r = fault_find(eng, name, rows, n, instance, e)) == NULL)
		goto out;
	changed = r->agent_connected != (ms < 0);
	if (agent_set(eng, r, ms < 0, e) != 0)
		goto out;
	if (ms > 0) {
		if (store_outage_put(eng->st, r->arn, name,
		    engine_now(eng) + ms, e) != 0)
			goto out;
		engine_agents_wake(eng, engine_now(eng) + ms);
	} else if (store_outage_delete(eng->st, r->arn, e) != 0)
		goto out;
	/* Asking for what already is changes nothing: no event. */
	ret = changed || ms > 0 ? fault_event(eng, kind, name, r->arn, ms, NULL,
	    e) : 0;
out:
	instance_rows_free(rows, n);
	free(name);
	return ret;
}

int
engine_fault_disconnect(struct engine *eng, const char *cluster,
    const char *instance, struct err *e)
{
	return fault_agent(eng, cluster, instance, 0, "disconnect", e);
}

int
engine_fault_disconnect_for(struct engine *eng, const char *cluster,
    const char *instance, int64_t ms, struct err *e)
{
	if (ms <= 0)
		return err_set(e, ERR_INVALID, "A disconnection for a time "
		    "needs a duration above 0.");
	return fault_agent(eng, cluster, instance, ms, "disconnect", e);
}

int
engine_agent_flap(struct engine *eng, const char *cluster,
    const char *instance, int64_t ms, struct err *e)
{
	return fault_agent(eng, cluster, instance, ms, "flap", e);
}

int
engine_fault_reconnect(struct engine *eng, const char *cluster,
    const char *instance, struct err *e)
{
	return fault_agent(eng, cluster, instance, -1, "reconnect", e);
}

/*
 * The host is gone: ECS deregisters its container instance (INACTIVE, agent
 * disconnected: one change) and its tasks are STOPPED at once, each
 * releasing the instance (one change each); services replace them.
 */
int
engine_fault_terminate(struct engine *eng, const char *cluster,
    const char *instance, struct err *e)
{
	struct instance_row	*rows, *r;
	struct task_row		*tasks = NULL;
	char			*name = NULL, *reason = NULL;
	size_t			 n, nt = 0, i;
	int			 ret = -1;

	if (fault_instances(eng, cluster, &name, &rows, &n, e) != 0 ||
	    (r = fault_find(eng, name, rows, n, instance, e)) == NULL)
		goto out;
	if (store_instance_set_connected(eng->st, r->arn, 0, e) != 0 ||
	    store_instance_set_status(eng->st, r->arn, "INACTIVE", e) != 0 ||
	    engine_instance_changed(eng, r->arn, e) != 0 ||
	    store_task_on_instance(eng->st, r->arn, &tasks, &nt, e) != 0)
		goto out;
	reason = xprintf("Host EC2 (instance %s) terminated.",
	    r->ec2_instance_id);
	for (i = 0; i < nt; i++)
		if (engine_task_lost(eng, &tasks[i], STOP_TERMINATION_NOTICE,
		    reason, e) != 0)
			goto out;
	engine_poke(eng);
	if (store_outage_delete(eng->st, r->arn, e) != 0 ||
	    fault_event(eng, "terminate", name, r->arn, -1, NULL, e) != 0)
		goto out;
	ret = 0;
out:
	task_rows_free(tasks, nt);
	instance_rows_free(rows, n);
	free(reason);
	free(name);
	return ret;
}

int
engine_fault_crash_task(struct engine *eng, const char *cluster,
    const char *task, const char *container, int exit_code, struct err *e)
{
	struct task_row	 t;
	cJSON		*more;
	char		*name = NULL;
	int		 ret = -1, found;

	memset(&t, 0, sizeof t);
	if (exit_code < 0 || exit_code > 255)
		return err_set(e, ERR_INVALID, "A crash's exit code must be 0 to "
		    "255, not %d.", exit_code);
	if (task == NULL || *task == '\0')
		return err_set(e, ERR_INVALID, "A crash needs the task it "
		    "happens to (ARN or id).");
	if (store_cluster_resolve(eng->st, cluster, &name, e) != 0)
		return -1;
	if ((found = store_task_get(eng->st, name, task, &t, e)) < 0)
		goto out;
	if (found == 0) {
		err_set(e, ERR_INVALID, "Task %s was not found in cluster %s.",
		    task, name);
		goto out;
	}
	if (engine_task_crash(eng, &t, container, exit_code, e) != 0)
		goto out;
	/* The exit is due now: take it in this transaction, so the caller
	 * sees the task stopping. A held task shows it when its agent is
	 * back. */
	if (!engine_task_held(&t) && engine_tasks_advance(eng, e) != 0)
		goto out;
	more = cJSON_CreateObject();
	if (container != NULL)
		cJSON_AddStringToObject(more, "container", container);
	cJSON_AddNumberToObject(more, "exitCode", exit_code);
	if (fault_event(eng, "crash", name, t.arn, -1, more, e) != 0)
		goto out;
	ret = 0;
out:
	task_row_clear(&t);
	free(name);
	return ret;
}

int
engine_fault_image_behaviour(struct engine *eng, const char *image,
    const char *key, const char *value, struct err *e)
{
	struct behaviour	 b;
	struct err		 why;
	cJSON			*more;
	const char		*star, *p;

	if (image == NULL || *image == '\0' || strlen(image) > FAULT_IMAGE_MAX)
		return err_set(e, ERR_INVALID, "A behaviour override needs an "
		    "image of 1 to %d characters.", FAULT_IMAGE_MAX);
	if ((star = strchr(image, '*')) != NULL && star[1] != '\0')
		return err_set(e, ERR_INVALID, "Image pattern '%s' may have one "
		    "'*', at its end (a prefix).", image);
	if (key == NULL || !str_has_prefix(key, BEHAVIOUR_LABEL_PREFIX))
		return err_set(e, ERR_INVALID, "Behaviour override for image "
		    "'%s': the key must be an ecsim.* label, not '%.64s'.",
		    image, key ? key : "");
	if (value != NULL) {
		/* The label parser's message, for the image instead of a
		 * container. */
		behaviour_init(&b);
		if (behaviour_parse_label(&b, image, key, value, &why) != 0) {
			p = strstr(why.msg, "': ");
			return err_set(e, ERR_INVALID, "Invalid behaviour override "
			    "for image '%s': %s", image, p != NULL ? p + 3 :
			    why.msg);
		}
	}
	if (store_image_behaviour_set(eng->st, image, key, value, e) != 0)
		return -1;
	more = cJSON_CreateObject();
	cJSON_AddStringToObject(more, "key", key);
	if (value != NULL)
		cJSON_AddStringToObject(more, "value", value);
	else
		cJSON_AddNullToObject(more, "value");
	return fault_event(eng, "image", NULL, image, -1, more, e);
}

/* The value of attribute name among an instance's [{name, value}]. */
static const char *
attribute_value(const cJSON *attributes, const char *name)
{
	const cJSON	*a;
	const char	*n;

	cJSON_ArrayForEach(a, attributes) {
		n = cJSON_GetStringValue(cJSON_GetObjectItem(a, "name"));
		if (n != NULL && strcmp(n, name) == 0)
			return cJSON_GetStringValue(cJSON_GetObjectItem(a,
			    "value"));
	}
	return NULL;
}

/* Every instance of the cluster in zone disconnects or reconnects, each
 * for good: a zone outage ends when the zone is up. */
static int
fault_zone(struct engine *eng, const char *cluster, const char *zone,
    int connected, struct err *e)
{
	struct instance_row	*rows;
	const char		*z;
	char			*name = NULL;
	size_t			 n, i, hit = 0;
	int			 ret = -1;

	if (zone == NULL || *zone == '\0')
		return err_set(e, ERR_INVALID, "A zone fault needs the "
		    "availability zone it happens to.");
	if (fault_instances(eng, cluster, &name, &rows, &n, e) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		z = attribute_value(rows[i].attributes,
		    "ecs.availability-zone");
		if (z == NULL || strcmp(z, zone) != 0)
			continue;
		hit++;
		if (agent_set(eng, &rows[i], connected, e) != 0 ||
		    store_outage_delete(eng->st, rows[i].arn, e) != 0)
			goto out;
	}
	if (hit == 0) {
		err_set(e, ERR_INVALID, "No container instance of cluster %s is "
		    "in availability zone %s.", name, zone);
		goto out;
	}
	ret = fault_event(eng, connected ? "zone-up" : "zone-down", name, zone,
	    connected ? -1 : 0, NULL, e);
out:
	instance_rows_free(rows, n);
	free(name);
	return ret;
}

int
engine_fault_zone_down(struct engine *eng, const char *cluster,
    const char *zone, struct err *e)
{
	return fault_zone(eng, cluster, zone, 0, e);
}

int
engine_fault_zone_up(struct engine *eng, const char *cluster,
    const char *zone, struct err *e)
{
	return fault_zone(eng, cluster, zone, 1, e);
}
