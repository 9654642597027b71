/* Clock drift: what each clock shows, read as a function of its stored
 * state and the engine clock, and the faults that change that state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/clockdrift.h"
#include "engine/internal.h"
#include "store/store-clock.h"

void
clockdrift_read(const struct clock_row *r, uint64_t seed,
    const char *resource, int64_t now, struct clock_reading *out)
{
	struct prng	p;
	int64_t		bucket = now / CLOCK_POLL_MS;

	memset(out, 0, sizeof *out);
	if (r != NULL && !r->synchronized) {
		/* The last measurement is when sync was lost (or the bound
		 * set); the bound has grown since. */
		out->reference = r->changed_at;
		out->bound = r->bound + r->drift *
		    (double)(now > r->changed_at ? now - r->changed_at : 0) /
		    1000.0;
		if (out->bound > CLOCK_BOUND_MAX)
			out->bound = CLOCK_BOUND_MAX;
		return;
	}
	out->synchronized = 1;
	out->reference = bucket * CLOCK_POLL_MS;
	if (r != NULL && r->has_bound) {
		out->bound = r->bound;
		return;
	}
	/* A PRNG of its own, seeded by what the reading is of, so reading
	 * the same clock in the same bucket gives the same bound and never
	 * moves the engine's PRNG. */
	prng_seed(&p, seed ^ str_hash(resource) ^
	    ((uint64_t)bucket * 0x9e3779b97f4a7c15ULL));
	out->bound = CLOCK_JITTER_MIN +
	    (CLOCK_JITTER_MAX - CLOCK_JITTER_MIN) * prng_double(&p);
}

cJSON *
clockdrift_json(const struct clock_reading *c)
{
	cJSON	*o = cJSON_CreateObject();
	char	 ts[TIME_ISO_LEN];

	/* Microseconds, as chrony reports them. */
	cJSON_AddNumberToObject(o, "ClockErrorBound",
	    round(c->bound * 1e6) / 1e6);
	time_iso8601(c->reference, 0, ts);
	cJSON_AddStringToObject(o, "ReferenceTimestamp", ts);
	cJSON_AddStringToObject(o, "ClockSynchronizationStatus",
	    c->synchronized ? "SYNCHRONIZED" : "NOT_SYNCHRONIZED");
	return o;
}

int
engine_clock_read(struct engine *eng, const char *resource,
    struct clock_reading *out, struct err *e)
{
	struct clock_row	r;
	int			found;

	if ((found = store_clock_get(eng->st, resource, &r, e)) < 0)
		return -1;
	clockdrift_read(found ? &r : NULL, eng->cfg.seed, resource,
	    engine_now(eng), out);
	return 0;
}

/*
 * The clock a fault names: a container instance's, or a Fargate task's
 * (an EC2 task's clock is its instance's). *name is the cluster's name,
 * *arn the clock's resource; both the caller's.
 */
static int
clock_target(struct engine *eng, const char *cluster, const char *instance,
    const char *task, char **name, char **arn, struct err *e)
{
	struct task_row	t;
	int		found, ret = -1;

	*name = *arn = NULL;
	if ((instance == NULL) == (task == NULL))
		return err_set(e, ERR_INVALID, "A clock fault needs either the "
		    "container instance or the Fargate task whose clock it "
		    "changes (one of them, not %s).", instance == NULL ?
		    "neither" : "both");
	if (instance != NULL)
		return engine_fault_instance_arn(eng, cluster, instance, name,
		    arn, e);
	if (*task == '\0')
		return err_set(e, ERR_INVALID, "A clock fault's task must be "
		    "a task ARN or id, not empty.");
	if (store_cluster_resolve(eng->st, cluster, name, e) != 0)
		return -1;
	memset(&t, 0, sizeof t);
	if ((found = store_task_get(eng->st, *name, task, &t, e)) < 0)
		goto out;
	if (found == 0)
		err_set(e, ERR_INVALID, "Task %s was not found in cluster %s.",
		    task, *name);
	else if (t.launch_type != LAUNCH_FARGATE)
		err_set(e, ERR_INVALID, "Task %s runs on container instance "
		    "%s: its clock is the instance's, so name the instance.",
		    task, t.instance_arn ? t.instance_arn : "(none)");
	else if (t.last_status == TASK_STOPPED)
		err_set(e, ERR_INVALID, "Task %s is STOPPED: it has no clock "
		    "any more.", task);
	else {
		*arn = xstrdup(t.arn);
		ret = 0;
	}
out:
	task_row_clear(&t);
	if (ret != 0) {
		free(*name);
		*name = NULL;
	}
	return ret;
}

/* Writes the clock's new state and its "ecsim Clock Drift Change" event. */
static int
clock_change(struct engine *eng, const char *name, const char *arn,
    const char *change, const struct clock_row *r, struct err *e)
{
	struct clock_reading	 c;
	cJSON			*detail;
	char			*cluster_arn;

	if (store_clock_put(eng->st, arn, name, r, e) != 0)
		return -1;
	clockdrift_read(r, eng->cfg.seed, arn, engine_now(eng), &c);
	detail = clockdrift_json(&c);
	cJSON_AddStringToObject(detail, "change", change);
	cJSON_AddStringToObject(detail, "resource", arn);
	cluster_arn = engine_arn(eng, "cluster/%s", name);
	cJSON_AddStringToObject(detail, "clusterArn", cluster_arn);
	free(cluster_arn);
	if (!r->synchronized)
		cJSON_AddNumberToObject(detail, "driftRate", r->drift);
	return engine_event(eng, "ecsim", "ecsim Clock Drift Change", arn,
	    detail, e);
}

/* Resolves the target, lets fn set the new row from the current reading,
 * and records the change. */
static int
clock_fault(struct engine *eng, const char *cluster, const char *instance,
    const char *task, const char *change, double drift, double bound,
    int synchronized, char **resource, struct err *e)
{
	struct clock_row	 r;
	struct clock_reading	 now;
	char			*name, *arn;
	int			 found, ret = -1;

	if (clock_target(eng, cluster, instance, task, &name, &arn, e) != 0)
		return -1;
	memset(&r, 0, sizeof r);
	if ((found = store_clock_get(eng->st, arn, &r, e)) < 0)
		goto out;
	clockdrift_read(found ? &r : NULL, eng->cfg.seed, arn,
	    engine_now(eng), &now);
	if (!found)
		r.drift = CLOCK_DRIFT_DEFAULT;
	r.changed_at = engine_now(eng);
	if (strcmp(change, "lose-sync") == 0) {
		r.synchronized = 0;
		r.has_bound = 1;
		r.bound = now.bound;
		r.drift = drift > 0 ? drift : CLOCK_DRIFT_DEFAULT;
	} else if (strcmp(change, "restore-sync") == 0) {
		r.synchronized = 1;
		r.has_bound = 0;
		r.bound = 0;
	} else {
		r.synchronized = synchronized < 0 ? now.synchronized :
		    synchronized;
		r.has_bound = 1;
		r.bound = bound;
	}
	ret = clock_change(eng, name, arn, change, &r, e);
out:
	free(name);
	if (ret == 0 && resource != NULL)
		*resource = arn;
	else
		free(arn);
	return ret;
}

int
engine_fault_clock_lose(struct engine *eng, const char *cluster,
    const char *instance, const char *task, double drift, char **resource,
    struct err *e)
{
	if (!(drift >= 0 && drift <= CLOCK_DRIFT_MAX))
		return err_set(e, ERR_INVALID, "A drift rate must be 0 to %g "
		    "ms a second (0: the default, %g), not %g.",
		    CLOCK_DRIFT_MAX, CLOCK_DRIFT_DEFAULT, drift);
	return clock_fault(eng, cluster, instance, task, "lose-sync", drift, 0,
	    0, resource, e);
}

int
engine_fault_clock_restore(struct engine *eng, const char *cluster,
    const char *instance, const char *task, char **resource, struct err *e)
{
	return clock_fault(eng, cluster, instance, task, "restore-sync", 0, 0,
	    1, resource, e);
}

int
engine_fault_clock_bound(struct engine *eng, const char *cluster,
    const char *instance, const char *task, double bound, int synchronized,
    char **resource, struct err *e)
{
	if (!(bound >= 0 && bound <= CLOCK_BOUND_MAX))
		return err_set(e, ERR_INVALID, "A clock error bound must be 0 "
		    "to %g ms, not %g.", CLOCK_BOUND_MAX, bound);
	if (synchronized < -1 || synchronized > 1)
		return err_set(e, ERR_INVALID, "A clock's status is "
		    "SYNCHRONIZED or NOT_SYNCHRONIZED.");
	return clock_fault(eng, cluster, instance, task, "set-bound", 0, bound,
	    synchronized, resource, e);
}
