/* Placing and creating tasks: gathers each candidate instance's free
 * resources from the store, asks the pure placement library, and creates
 * a task for each choice. Fargate tasks need no instance. */
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

static const char *
attribute(const cJSON *attrs, const char *name)
{
	const cJSON	*a;

	cJSON_ArrayForEach(a, attrs)
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(a, "name")) ?
		    cJSON_GetStringValue(cJSON_GetObjectItem(a, "name")) : "",
		    name) == 0)
			return cJSON_GetStringValue(cJSON_GetObjectItem(a,
			    "value"));
	return NULL;
}

static void
add_ports(int *ports, size_t *n, const cJSON *list)
{
	const cJSON	*p;

	cJSON_ArrayForEach(p, list) {
		if (*n >= PLACEMENT_MAX_PORTS)
			break;
		if (cJSON_IsNumber(p))
			ports[(*n)++] = (int)p->valuedouble;
		else if (cJSON_IsString(p))
			ports[(*n)++] = atoi(p->valuestring);
	}
}

/* The placement view of every instance in the cluster. */
static int
candidates(struct engine *eng, const struct task_spec *spec,
    struct instance_row **rows, size_t *n, struct placement_instance **out,
    struct err *e)
{
	struct placement_instance	*pi;
	struct task_row			*tasks;
	size_t				 i, k, nt;

	if (store_instance_list(eng->st, spec->cluster, rows, n, e) != 0)
		return -1;
	pi = xcalloc(*n ? *n : 1, sizeof *pi);
	for (i = 0; i < *n; i++) {
		struct instance_row	*r = &(*rows)[i];

		pi[i].arn = r->arn;
		pi[i].id = r->id;
		pi[i].zone = attribute(r->attributes, "ecs.availability-zone");
		pi[i].active = strcmp(r->status, "ACTIVE") == 0;
		pi[i].connected = r->agent_connected;
		pi[i].cpu_free = r->cpu;
		pi[i].memory_free = r->memory;
		add_ports(pi[i].ports_used, &pi[i].nports_used, r->ports);
		add_ports(pi[i].ports_udp_used, &pi[i].nports_udp_used,
		    r->ports_udp);
		if (store_task_on_instance(eng->st, r->arn, &tasks, &nt,
		    e) != 0) {
			free(pi);
			return -1;
		}
		for (k = 0; k < nt; k++) {
			pi[i].cpu_free -= tasks[k].cpu;
			pi[i].memory_free -= tasks[k].memory;
			add_ports(pi[i].ports_used, &pi[i].nports_used,
			    tasks[k].ports);
			add_ports(pi[i].ports_udp_used, &pi[i].nports_udp_used,
			    tasks[k].ports_udp);
			if (strcmp(tasks[k].group, spec->group) == 0 &&
			    !tasks[k].desired_stopped)
				pi[i].group_tasks++;
		}
		task_rows_free(tasks, nt);
	}
	*out = pi;
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

int
engine_run_tasks(struct engine *eng, const struct run_request *rq,
    struct run_result *r, struct err *e)
{
	static const char		 zones[] = "abc";
	struct instance_row		*rows = NULL;
	struct placement_instance	*pi = NULL;
	struct placement_need		 need;
	struct placement_result		 pr;
	struct placement_share		*shares = NULL;
	size_t				 nshares = 0;
	struct task_spec		 spec = rq->spec;
	size_t				 n = 0, k, first = 0, navail;
	int64_t				 cpu, mem;
	char				*arn, zone[64];
	cJSON				*f;
	int				 i, ret = -1;

	memset(r, 0, sizeof *r);
	r->failures = cJSON_CreateArray();
	if (spec.launch_type == LAUNCH_FARGATE) {
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
	if (candidates(eng, &spec, &rows, &n, &pi, e) != 0)
		goto out;
	if (n == 0 && spec.instance_arn == NULL) {
		r->no_instances = 1;
		ret = 0;
		goto out;
	}
	navail = n;
	engine_task_need(spec.td, spec.overrides, &need, &cpu, &mem);
	if (spec.instance_arn != NULL) {
		/* StartTask: the one named instance, by ARN or id. */
		for (k = 0; k < n; k++)
			if (strcmp(pi[k].arn, spec.instance_arn) == 0 ||
			    strcmp(pi[k].id, spec.instance_arn) == 0)
				break;
		if (k == n) {
			f = cJSON_CreateObject();
			cJSON_AddStringToObject(f, "arn", spec.instance_arn);
			cJSON_AddStringToObject(f, "reason", "MISSING");
			cJSON_AddItemToArray(r->failures, f);
			ret = 0;
			goto out;
		}
		first = k;
		navail = 1;
	}
	for (i = 0; i < rq->count; i++) {
		placement_choose(pi + first, navail, &need,
		    rq->service_default ? PLACEMENT_SERVICE : PLACEMENT_RANDOM,
		    &eng->prng, &pr);
		if (pr.chosen >= 0)
			pr.chosen += (int)first;
		if (pr.closest >= 0)
			pr.closest += (int)first;
		log_debug("placement: %s", pr.why);
		if (pr.chosen < 0) {
			f = cJSON_CreateObject();
			if (pr.closest >= 0)
				cJSON_AddStringToObject(f, "arn",
				    pi[pr.closest].arn);
			cJSON_AddStringToObject(f, "reason",
			    placement_reason_name(pr.reason));
			cJSON_AddItemToArray(r->failures, f);
			free(r->closest_id);
			r->closest_id = pr.closest >= 0 ?
			    xstrdup(pi[pr.closest].id) : NULL;
			r->phrase = placement_reason_phrase(pr.reason);
			continue;
		}
		spec.instance_arn = pi[pr.chosen].arn;
		spec.zone = pi[pr.chosen].zone;
		if (engine_task_create(eng, &spec, &arn, e) != 0)
			goto out;
		result_add(r, arn);
	}
	ret = 0;
out:
	free(pi);
	free(shares);
	instance_rows_free(rows, n);
	return ret;
}
