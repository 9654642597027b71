/* Placing and creating tasks: takes the placement view of a cluster
 * (view.c), asks the pure placement library, and creates a task for each
 * choice. Fargate tasks need no instance. Also the scale-in order for
 * services. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "placement/placement.h"

void
run_result_clear(struct run_result *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		free(r->arns[i]);
	free(r->arns);
	cJSON_Delete(r->failures);
	free(r->closest_id);
	memset(r, 0, sizeof *r);
}

/*
 * What a placement follows: the request's (or service's) strategies
 * unless strategies is 0, the task definition's constraints and then the
 * request's, and ECS's default strategies when none are given.
 */
static int
policy_of(const struct task_spec *spec, int strategies, int service,
    struct placement_policy *pol, struct err *e)
{
	placement_policy_init(pol);
	if ((strategies && placement_policy_add_strategies(pol,
	    spec->placement_strategy, "placementStrategy", e) != 0) ||
	    placement_policy_add_constraints(pol, cJSON_GetObjectItem(spec->td,
	    "placementConstraints"), "taskDefinition.placementConstraints",
	    e) != 0 ||
	    placement_policy_add_constraints(pol, spec->placement_constraints,
	    "placementConstraints", e) != 0) {
		placement_policy_clear(pol);
		return -1;
	}
	placement_policy_default(pol, service);
	return 0;
}

int
engine_scale_in_order(struct engine *eng, const struct task_spec *spec,
    struct task_row *const *tasks, size_t n, size_t k, size_t *order,
    struct err *e)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_victim	*v;
	size_t			 i;

	if (policy_of(spec, 1, 1, &pol, e) != 0)
		return -1;
	if ((p = engine_view(eng, spec->cluster, spec->group, &pol, e)) == NULL) {
		placement_policy_clear(&pol);
		return -1;
	}
	v = xcalloc(n ? n : 1, sizeof *v);
	for (i = 0; i < n; i++) {
		v[i].instance = tasks[i]->instance_arn != NULL ?
		    placement_find(p, tasks[i]->instance_arn) : -1;
		v[i].started = tasks[i]->last_status >= TASK_RUNNING;
		v[i].cpu = tasks[i]->cpu;
		v[i].memory = tasks[i]->memory;
	}
	placement_scale_in(p, v, n, k, &eng->prng, order);
	free(v);
	placement_free(p);
	placement_policy_clear(&pol);
	return 0;
}

/*
 * The strategy's items with, for a service, how many of its live tasks
 * each provider already runs, so that base and weight hold across calls.
 */
static int
provider_shares(struct engine *eng, const struct task_spec *spec,
    struct placement_share **out, size_t *n, struct err *e)
{
	struct placement_share	*s;
	struct task_row		*tasks = NULL;
	const cJSON		*item;
	const char		*cp;
	size_t			 i, k, nt = 0;

	*out = NULL;
	*n = (size_t)cJSON_GetArraySize(spec->strategy);
	if (*n == 0)
		return 0;
	s = xcalloc(*n, sizeof *s);
	k = 0;
	cJSON_ArrayForEach(item, spec->strategy) {
		s[k].base = (int64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(item, "base"));
		s[k].weight = (int64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(item, "weight"));
		k++;
	}
	if (spec->service_arn != NULL && *n > 1) {
		if (store_task_of_service(eng->st, spec->service_arn, &tasks,
		    &nt, e) != 0) {
			free(s);
			return -1;
		}
		for (i = 0; i < nt; i++) {
			if (tasks[i].desired_stopped)
				continue;
			cp = cJSON_GetStringValue(cJSON_GetObjectItem(
			    tasks[i].doc, "capacityProviderName"));
			k = 0;
			cJSON_ArrayForEach(item, spec->strategy) {
				if (cp != NULL && strcmp(cp,
				    cJSON_GetStringValue(cJSON_GetObjectItem(
				    item, "capacityProvider"))) == 0)
					s[k].placed++;
				k++;
			}
		}
		task_rows_free(tasks, nt);
	}
	*out = s;
	return 0;
}

static void
result_add(struct run_result *r, char *arn)
{
	r->arns = xrealloc(r->arns, (r->n + 1) * sizeof *r->arns);
	r->arns[r->n++] = arn;
}

/* A failure entry for RunTask and the closest instance for services. */
static void
result_fail(struct run_result *r, struct placement *p,
    const struct placement_result *pr)
{
	struct placement_state	 st;
	cJSON			*f = cJSON_CreateObject();

	free(r->closest_id);
	r->closest_id = NULL;
	if (pr->closest >= 0) {
		placement_get(p, (size_t)pr->closest, &st);
		cJSON_AddStringToObject(f, "arn", st.arn);
		r->closest_id = xstrdup(st.id);
	}
	cJSON_AddStringToObject(f, "reason", placement_reason_name(pr->reason));
	cJSON_AddItemToArray(r->failures, f);
	r->phrase = placement_reason_phrase(pr->reason);
}

int
engine_run_tasks(struct engine *eng, const struct run_request *rq,
    struct run_result *r, struct err *e)
{
	static const char		 zones[] = "abc";
	struct placement_policy		 pol;
	struct placement		*p = NULL;
	struct placement_state		 st;
	struct placement_need		 need;
	struct placement_result		 pr;
	struct placement_share		*shares = NULL;
	size_t				 nshares = 0, k;
	struct task_spec		 spec = rq->spec;
	int64_t				 cpu, mem;
	char				*arn, zone[64];
	cJSON				*f;
	int				 i, only = -1, ret = -1;

	memset(r, 0, sizeof *r);
	placement_policy_init(&pol);
	r->failures = cJSON_CreateArray();
	if (spec.launch_type == LAUNCH_FARGATE) {
		/* Fargate has no instances to place on: strategies and
		 * constraints do not apply, as on ECS. */
		if (provider_shares(eng, &spec, &shares, &nshares, e) != 0)
			goto out;
		for (i = 0; i < rq->count; i++) {
			snprintf(zone, sizeof zone, "%s%c", eng->region,
			    zones[prng_below(&eng->prng, 3)]);
			spec.zone = zone;
			spec.instance_arn = NULL;
			spec.capacity_provider = NULL;
			if (nshares > 0) {
				k = placement_provider(shares, nshares);
				shares[k].placed++;
				spec.capacity_provider = cJSON_GetStringValue(
				    cJSON_GetObjectItem(cJSON_GetArrayItem(
				    spec.strategy, (int)k), "capacityProvider"));
			}
			if (engine_task_create(eng, &spec, &arn, e) != 0)
				goto out;
			result_add(r, arn);
		}
		ret = 0;
		goto out;
	}
	/* StartTask names its instance: strategies do not apply there. */
	if (policy_of(&spec, spec.instance_arn == NULL, rq->service_default,
	    &pol, e) != 0)
		goto out;
	if ((p = engine_view(eng, spec.cluster, spec.group, &pol, e)) == NULL)
		goto out;
	if (placement_count(p) == 0 && spec.instance_arn == NULL) {
		r->no_instances = 1;
		ret = 0;
		goto out;
	}
	if (spec.instance_arn != NULL &&
	    (only = placement_find(p, spec.instance_arn)) < 0) {
		f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "arn", spec.instance_arn);
		cJSON_AddStringToObject(f, "reason", "MISSING");
		cJSON_AddItemToArray(r->failures, f);
		ret = 0;
		goto out;
	}
	engine_task_need(spec.td, spec.overrides, &need, &cpu, &mem);
	for (i = 0; i < rq->count; i++) {
		if (only >= 0)
			placement_choose_on(p, (size_t)only, &need, &pr);
		else
			placement_choose(p, &need, &eng->prng, &pr);
		log_debug("placement: %s: %s", spec.group, pr.why);
		if (pr.chosen < 0) {
			result_fail(r, p, &pr);
			continue;
		}
		placement_get(p, (size_t)pr.chosen, &st);
		spec.instance_arn = st.arn;
		spec.zone = st.zone;
		if (engine_task_create(eng, &spec, &arn, e) != 0)
			goto out;
		result_add(r, arn);
	}
	ret = 0;
out:
	placement_free(p);
	placement_policy_clear(&pol);
	free(shares);
	return ret;
}
