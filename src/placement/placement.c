/* Choosing an instance for a task: filter by what fits, then apply the
 * default strategy. Pure: everything comes in through the arguments. */
#include <stdio.h>
#include <string.h>

#include "placement/placement.h"
#include "util/util.h"

const char *
placement_reason_name(enum placement_reason r)
{
	switch (r) {
	case PLACEMENT_OK:
		return NULL;
	case PLACEMENT_AGENT:
		return "AGENT";
	case PLACEMENT_INACTIVE:
		return "INACTIVE";
	case PLACEMENT_CPU:
		return "RESOURCE:CPU";
	case PLACEMENT_MEMORY:
		return "RESOURCE:MEMORY";
	case PLACEMENT_PORTS:
		return "RESOURCE:PORTS";
	case PLACEMENT_PORTS_UDP:
		return "RESOURCE:PORTS_UDP";
	}
	return NULL;
}

const char *
placement_reason_phrase(enum placement_reason r)
{
	switch (r) {
	case PLACEMENT_OK:
		return "fits";
	case PLACEMENT_AGENT:
		return "encountered error \"AGENT\"";
	case PLACEMENT_INACTIVE:
		return "is not ACTIVE";
	case PLACEMENT_CPU:
		return "has insufficient CPU units available";
	case PLACEMENT_MEMORY:
		return "has insufficient memory available";
	case PLACEMENT_PORTS:
	case PLACEMENT_PORTS_UDP:
		return "is already using a port required by your task";
	}
	return "";
}

static int
port_taken(const int *used, size_t nused, int port)
{
	size_t	i;

	for (i = 0; i < nused; i++)
		if (used[i] == port)
			return 1;
	return 0;
}

enum placement_reason
placement_fits(const struct placement_instance *in,
    const struct placement_need *need)
{
	size_t	i;

	if (!in->active)
		return PLACEMENT_INACTIVE;
	if (!in->connected)
		return PLACEMENT_AGENT;
	if (need->cpu > in->cpu_free)
		return PLACEMENT_CPU;
	if (need->memory > in->memory_free)
		return PLACEMENT_MEMORY;
	for (i = 0; i < need->nports; i++)
		if (port_taken(in->ports_used, in->nports_used, need->ports[i]))
			return PLACEMENT_PORTS;
	for (i = 0; i < need->nports_udp; i++)
		if (port_taken(in->ports_udp_used, in->nports_udp_used,
		    need->ports_udp[i]))
			return PLACEMENT_PORTS_UDP;
	return PLACEMENT_OK;
}

/*
 * The closest candidate when none fits is the one that failed latest in
 * the check order (an instance short only of ports is closer than one
 * short of CPU), as ECS's "closest matching" message reports.
 */
static int
reason_rank(enum placement_reason r)
{
	switch (r) {
	case PLACEMENT_OK:
		return 6;
	case PLACEMENT_PORTS:
	case PLACEMENT_PORTS_UDP:
		return 5;
	case PLACEMENT_MEMORY:
		return 4;
	case PLACEMENT_CPU:
		return 3;
	case PLACEMENT_AGENT:
		return 2;
	case PLACEMENT_INACTIVE:
		return 1;
	}
	return 0;
}

static int
zone_group_tasks(const struct placement_instance *ins, size_t n,
    const char *zone)
{
	size_t	i;
	int	sum = 0;

	for (i = 0; i < n; i++)
		if (ins[i].zone != NULL && zone != NULL &&
		    strcmp(ins[i].zone, zone) == 0)
			sum += ins[i].group_tasks;
	return sum;
}

static void
placement_take(struct placement_instance *in, const struct placement_need *need)
{
	size_t	i;

	in->cpu_free -= need->cpu;
	in->memory_free -= need->memory;
	for (i = 0; i < need->nports && in->nports_used < PLACEMENT_MAX_PORTS;
	    i++)
		in->ports_used[in->nports_used++] = need->ports[i];
	for (i = 0; i < need->nports_udp &&
	    in->nports_udp_used < PLACEMENT_MAX_PORTS; i++)
		in->ports_udp_used[in->nports_udp_used++] = need->ports_udp[i];
	in->group_tasks++;
}

void
placement_choose(struct placement_instance *ins, size_t n,
    const struct placement_need *need, enum placement_default strategy,
    struct prng *prng, struct placement_result *res)
{
	enum placement_reason	 r, best_fail = PLACEMENT_INACTIVE;
	size_t			 i, nties = 0;
	int			 best = -1, best_zone = 0, zone, closest = -1;

	memset(res, 0, sizeof *res);
	res->chosen = -1;
	res->closest = -1;
	for (i = 0; i < n; i++) {
		r = placement_fits(&ins[i], need);
		if (r != PLACEMENT_OK) {
			if (closest < 0 || reason_rank(r) >
			    reason_rank(best_fail)) {
				closest = (int)i;
				best_fail = r;
			}
			continue;
		}
		if (strategy == PLACEMENT_RANDOM) {
			/* Reservoir sampling: each fitting instance is
			 * equally likely. */
			nties++;
			if (prng_below(prng, nties) == 0)
				best = (int)i;
			continue;
		}
		/* Spread over zones (fewest group tasks in the zone), then
		 * fewest group tasks on the instance; ties at random. */
		zone = zone_group_tasks(ins, n, ins[i].zone);
		if (best < 0 || zone < best_zone || (zone == best_zone &&
		    ins[i].group_tasks < ins[best].group_tasks)) {
			best = (int)i;
			best_zone = zone;
			nties = 1;
		} else if (zone == best_zone &&
		    ins[i].group_tasks == ins[best].group_tasks) {
			nties++;
			if (prng_below(prng, nties) == 0)
				best = (int)i;
		}
	}
	if (best < 0) {
		res->closest = closest;
		res->reason = closest < 0 ? PLACEMENT_INACTIVE : best_fail;
		if (closest < 0)
			snprintf(res->why, sizeof res->why, "no container "
			    "instances in the cluster");
		else
			snprintf(res->why, sizeof res->why, "no instance "
			    "fits; closest %s %s", ins[closest].id,
			    placement_reason_phrase(best_fail));
		return;
	}
	res->chosen = best;
	if (strategy == PLACEMENT_RANDOM)
		snprintf(res->why, sizeof res->why, "random among %zu fitting "
		    "instances: %s", nties, ins[best].id);
	else
		snprintf(res->why, sizeof res->why, "spread: zone %s has %d "
		    "tasks of the group, %s has %d", ins[best].zone ?
		    ins[best].zone : "-", best_zone, ins[best].id,
		    ins[best].group_tasks);
	placement_take(&ins[best], need);
}

size_t
placement_provider(const struct placement_share *s, size_t n)
{
	size_t	i, best = 0;
	int64_t	extra_i, extra_b;
	int	found = 0;

	for (i = 0; i < n; i++)
		if (s[i].placed < s[i].base)
			return i;
	/* Smallest (extra + 1) / weight, compared without division. */
	for (i = 0; i < n; i++) {
		if (s[i].weight <= 0)
			continue;
		extra_i = s[i].placed - s[i].base;
		if (found) {
			extra_b = s[best].placed - s[best].base;
			if ((extra_i + 1) * s[best].weight >=
			    (extra_b + 1) * s[i].weight)
				continue;
		}
		best = i;
		found = 1;
	}
	return best;
}
