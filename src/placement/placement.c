/* Choosing instances for tasks and tasks to stop: the view of a cluster,
 * the resource and constraint checks, the strategies, and the sentence
 * that says why. Pure: everything comes in through the arguments. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement/placement.h"
#include "placement/query.h"

/*
 * What every placement reads of every instance, kept in one small array
 * apart from the rest so that a scan of thousands of instances stays in
 * the cache. state is PLACEMENT_OK, PLACEMENT_INACTIVE or PLACEMENT_AGENT;
 * member caches the memberOf constraints (-1: not evaluated since the
 * instance last changed).
 */
struct slot {
	int64_t		 cpu_free;
	int64_t		 memory_free;
	int32_t		 group_tasks;
	uint8_t		 state;
	int8_t		 member;
	uint32_t	 bucket[PLACEMENT_MAX_STRATEGIES];
};

struct ports {
	int		*v;
	size_t		 n, cap;
};

/* The rest of an instance. */
struct inst {
	char			*arn;
	char			*id;
	char			*ec2_instance_id;
	char			*agent_version;
	int			 connected;
	int64_t			 registered_at;
	int64_t			 running;
	struct ports		 tcp, udp;
	struct query_attr	*attrs;		/* strings owned */
	size_t			 nattrs;
	char			**groups;	/* of its live tasks, once each */
	size_t			 ngroups, capgroups;
};

/* String keys to indexes, open addressing; keys are borrowed. */
struct strmap {
	const char	**keys;
	size_t		 *vals;
	size_t		  cap;		/* a power of two, or 0 */
};

/* spread(attribute:<name>): tasks of the group per attribute value. */
struct buckets {
	int64_t		*tasks;
	const char	**values;	/* NULL: instances without it */
	size_t		 n;
};

struct placement {
	char				*group;
	const struct placement_policy	*pol;
	struct slot			*slots;
	struct inst			*ins;
	size_t				 n, cap;
	size_t				*ties;
	size_t				*runs;		/* where ties' runs start */
	size_t				*merged;	/* for merging them */
	int				 prepared;
	int				 has_member;	/* a memberOf constraint */
	struct buckets			 buckets[PLACEMENT_MAX_STRATEGIES];
	struct strmap			 by_ref;	/* ARN and id */
	size_t				 by_ref_n;	/* instances in it */
	int				 unindexed;	/* scan every time */
	int				 quiet;		/* no why when chosen */
	struct index {
		int		  built;
		size_t		  k;		/* strategies it serves */
		size_t		  part_k;	/* strategy partitioning */
		size_t		  order_k;	/* strategy ordering */
		size_t		  nparts;
		size_t		**part;		/* instances by partition */
		size_t		 *npart;
		size_t		 *porder;	/* partitions by tasks */
		size_t		 *ppos;		/* where each is in porder */
	}				 index;
};

static void	index_drop(struct placement *);

const char *
placement_reason_name(enum placement_reason r)
{
	switch (r) {
	case PLACEMENT_OK:
		return NULL;
	case PLACEMENT_INACTIVE:
		return "INACTIVE";
	case PLACEMENT_AGENT:
		return "AGENT";
	case PLACEMENT_CPU:
		return "RESOURCE:CPU";
	case PLACEMENT_MEMORY:
		return "RESOURCE:MEMORY";
	case PLACEMENT_PORTS:
		return "RESOURCE:PORTS";
	case PLACEMENT_PORTS_UDP:
		return "RESOURCE:PORTS_UDP";
	case PLACEMENT_ATTRIBUTE:
		return "ATTRIBUTE";
	}
	return NULL;
}

const char *
placement_reason_phrase(enum placement_reason r)
{
	switch (r) {
	case PLACEMENT_OK:
		return "fits";
	case PLACEMENT_INACTIVE:
		return "is not ACTIVE";
	case PLACEMENT_AGENT:
		return "encountered error \"AGENT\"";
	case PLACEMENT_CPU:
		return "has insufficient CPU units available";
	case PLACEMENT_MEMORY:
		return "has insufficient memory available";
	case PLACEMENT_PORTS:
	case PLACEMENT_PORTS_UDP:
		return "is already using a port required by your task";
	case PLACEMENT_ATTRIBUTE:
		return "is missing an attribute required by your task";
	}
	return "";
}

/*
 * The closest candidate when none fits is the one that failed latest in
 * the check order (an instance that has the resources but not the
 * attributes is closer than one short of ports, which is closer than one
 * short of CPU), as ECS's "closest matching" message reports.
 */
static int
reason_rank(enum placement_reason r)
{
	switch (r) {
	case PLACEMENT_OK:
		return 7;
	case PLACEMENT_ATTRIBUTE:
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

/* String map. */

static size_t
strmap_slot(const struct strmap *m, const char *key)
{
	size_t	i = (size_t)str_hash(key) & (m->cap - 1);

	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* Sized for n keys; forgets what it held. */
static void
strmap_reset(struct strmap *m, size_t n)
{
	free(m->keys);
	free(m->vals);
	for (m->cap = 16; m->cap < n * 2; m->cap *= 2)
		;
	m->keys = xcalloc(m->cap, sizeof *m->keys);
	m->vals = xcalloc(m->cap, sizeof *m->vals);
}

static void
strmap_clear(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

/* The value of key, or (adding it with value v) v. */
static size_t
strmap_get_or_put(struct strmap *m, const char *key, size_t v)
{
	size_t	i = strmap_slot(m, key);

	if (m->keys[i] == NULL) {
		m->keys[i] = key;
		m->vals[i] = v;
	}
	return m->vals[i];
}

/* The view. */

struct placement *
placement_new(const char *group, const struct placement_policy *pol)
{
	struct placement	*p = xcalloc(1, sizeof *p);
	size_t			 i;

	p->group = xstrdup(group != NULL ? group : "");
	p->pol = pol;
	for (i = 0; i < pol->nconstraints; i++)
		if (pol->constraints[i].type == PLACEMENT_MEMBER_OF)
			p->has_member = 1;
	return p;
}

static void
inst_clear(struct inst *in)
{
	size_t	i;

	free(in->arn);
	free(in->id);
	free(in->ec2_instance_id);
	free(in->agent_version);
	free(in->tcp.v);
	free(in->udp.v);
	for (i = 0; i < in->nattrs; i++) {
		free((char *)in->attrs[i].name);
		free((char *)in->attrs[i].value);
	}
	free(in->attrs);
	for (i = 0; i < in->ngroups; i++)
		free(in->groups[i]);
	free(in->groups);
}

void
placement_free(struct placement *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		inst_clear(&p->ins[i]);
	for (i = 0; i < PLACEMENT_MAX_STRATEGIES; i++) {
		free(p->buckets[i].tasks);
		free(p->buckets[i].values);
	}
	strmap_clear(&p->by_ref);
	index_drop(p);
	free(p->slots);
	free(p->ins);
	free(p->ties);
	free(p->runs);
	free(p->merged);
	free(p->group);
	free(p);
}

size_t
placement_add_instance(struct placement *p, const struct placement_instance *in)
{
	struct inst	*x;
	struct slot	*s;

	assert(!p->prepared);	/* instances come before any placement */
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->ins = xrealloc(p->ins, p->cap * sizeof *p->ins);
		p->slots = xrealloc(p->slots, p->cap * sizeof *p->slots);
	}
	x = &p->ins[p->n];
	s = &p->slots[p->n];
	memset(x, 0, sizeof *x);
	memset(s, 0, sizeof *s);
	x->arn = xstrdup(in->arn ? in->arn : "");
	x->id = xstrdup(in->id ? in->id : x->arn);
	x->ec2_instance_id = in->ec2_instance_id ?
	    xstrdup(in->ec2_instance_id) : NULL;
	x->agent_version = in->agent_version ? xstrdup(in->agent_version) :
	    NULL;
	x->connected = in->connected;
	x->registered_at = in->registered_at;
	s->cpu_free = in->cpu;
	s->memory_free = in->memory;
	s->state = !in->active ? PLACEMENT_INACTIVE : !in->connected ?
	    PLACEMENT_AGENT : PLACEMENT_OK;
	s->member = -1;
	return p->n++;
}

void
placement_add_attribute(struct placement *p, size_t idx, const char *name,
    const char *value)
{
	struct inst	*x = &p->ins[idx];
	size_t		 i;

	/* Spread buckets borrow the values once placing starts. */
	assert(!p->prepared && idx < p->n);
	for (i = 0; i < x->nattrs; i++)
		if (strcmp(x->attrs[i].name, name) == 0)
			break;
	if (i == x->nattrs) {
		x->attrs = xrealloc(x->attrs, (i + 1) * sizeof *x->attrs);
		x->attrs[i].name = xstrdup(name);
		x->nattrs++;
	} else
		free((char *)x->attrs[i].value);
	x->attrs[i].value = value != NULL ? xstrdup(value) : NULL;
}

static void
ports_add(struct ports *pp, int port)
{
	pp->v = xgrow(pp->v, pp->n, &pp->cap, sizeof *pp->v);
	pp->v[pp->n++] = port;
}

static int
ports_has(const struct ports *pp, int port)
{
	size_t	i;

	for (i = 0; i < pp->n; i++)
		if (pp->v[i] == port)
			return 1;
	return 0;
}

void
placement_add_reserved_port(struct placement *p, size_t idx, int port,
    int udp)
{
	assert(idx < p->n);
	ports_add(udp ? &p->ins[idx].udp : &p->ins[idx].tcp, port);
}

static void
group_add(struct inst *x, const char *group)
{
	size_t	i;

	for (i = 0; i < x->ngroups; i++)
		if (strcmp(x->groups[i], group) == 0)
			return;
	x->groups = xgrow(x->groups, x->ngroups, &x->capgroups,
	    sizeof *x->groups);
	x->groups[x->ngroups++] = xstrdup(group);
}

/* What a task holds, onto instance idx. */
static void
load_add(struct placement *p, size_t idx, const struct placement_need *load)
{
	struct slot	*s = &p->slots[idx];
	struct inst	*x = &p->ins[idx];
	size_t		 i;

	s->cpu_free -= load->cpu;
	s->memory_free -= load->memory;
	for (i = 0; i < load->nports; i++)
		ports_add(&x->tcp, load->ports[i]);
	for (i = 0; i < load->nports_udp; i++)
		ports_add(&x->udp, load->ports_udp[i]);
	s->member = -1;		/* runningTasksCount, task:group changed */
}

/* One more (or fewer) task of the view's group on instance idx. */
static void
group_count(struct placement *p, size_t idx, int delta)
{
	size_t	k;

	p->slots[idx].group_tasks += delta;
	if (!p->prepared)
		return;
	for (k = 0; k < p->pol->nstrategies; k++)
		if (p->pol->strategies[k].field == PLACEMENT_FIELD_ATTRIBUTE)
			p->buckets[k].tasks[p->slots[idx].bucket[k]] += delta;
}

void
placement_add_task(struct placement *p, size_t idx, const char *group,
    const struct placement_need *load, int running)
{
	struct inst	*x = &p->ins[idx];

	assert(idx < p->n);
	index_drop(p);		/* rebuilt by the next placement */
	load_add(p, idx, load);
	/* Only memberOf expressions (task:group) ask which groups run here. */
	if (p->has_member)
		group_add(x, group != NULL ? group : "");
	if (running) {
		x->running++;
		if (group != NULL && strcmp(group, p->group) == 0)
			group_count(p, idx, 1);
	}
}

void
placement_add_others(struct placement *p, size_t idx, int64_t cpu,
    int64_t memory, size_t n, size_t running)
{
	struct slot	*s = &p->slots[idx];
	struct inst	*x = &p->ins[idx];

	assert(idx < p->n);
	index_drop(p);
	s->cpu_free -= cpu;
	s->memory_free -= memory;
	s->member = -1;
	/* A set of groups: "" once is as good as n times. */
	if (p->has_member && n > 0)
		group_add(x, "");
	x->running += (int64_t)running;
}

size_t
placement_count(const struct placement *p)
{
	return p->n;
}

static const char *
inst_attr(const struct inst *x, const char *name)
{
	size_t	i;

	for (i = 0; i < x->nattrs; i++)
		if (strcmp(x->attrs[i].name, name) == 0)
			return x->attrs[i].value;
	return NULL;
}

const char *
placement_attribute(const struct placement *p, size_t idx, const char *name)
{
	return idx < p->n ? inst_attr(&p->ins[idx], name) : NULL;
}

void
placement_get(const struct placement *p, size_t idx,
    struct placement_state *out)
{
	const struct inst	*x = &p->ins[idx];
	const struct slot	*s = &p->slots[idx];

	assert(idx < p->n);
	out->arn = x->arn;
	out->id = x->id;
	out->zone = inst_attr(x, PLACEMENT_ZONE_ATTRIBUTE);
	out->cpu_free = s->cpu_free;
	out->memory_free = s->memory_free;
	out->group_tasks = s->group_tasks;
	out->running = x->running;
}

int
placement_find(struct placement *p, const char *ref)
{
	size_t	i;

	if (p->n == 0 || ref == NULL)
		return -1;
	if (p->by_ref_n != p->n) {
		strmap_reset(&p->by_ref, 2 * p->n);
		for (i = 0; i < p->n; i++) {
			strmap_get_or_put(&p->by_ref, p->ins[i].arn, i);
			strmap_get_or_put(&p->by_ref, p->ins[i].id, i);
		}
		p->by_ref_n = p->n;
	}
	i = strmap_slot(&p->by_ref, ref);
	return p->by_ref.keys[i] != NULL ? (int)p->by_ref.vals[i] : -1;
}

/*
 * The buckets of a spread over attribute:<name>: one per distinct value,
 * and one for the instances that do not have the attribute (they are
 * spread over as if they shared a value of their own).
 */
static void
buckets_build(struct placement *p, size_t k)
{
	struct buckets	*b = &p->buckets[k];
	struct strmap	 m;
	const char	*name = p->pol->strategies[k].attribute, *val;
	size_t		 i, v, none = SIZE_MAX;

	memset(&m, 0, sizeof m);
	strmap_reset(&m, p->n);
	b->tasks = xcalloc(p->n + 1, sizeof *b->tasks);
	b->values = xcalloc(p->n + 1, sizeof *b->values);
	b->n = 0;
	for (i = 0; i < p->n; i++) {
		if ((val = inst_attr(&p->ins[i], name)) == NULL) {
			if (none == SIZE_MAX)
				b->values[none = b->n++] = NULL;
			v = none;
		} else if ((v = strmap_get_or_put(&m, val, b->n)) == b->n)
			b->values[b->n++] = val;
		p->slots[i].bucket[k] = (uint32_t)v;
		b->tasks[v] += p->slots[i].group_tasks;
	}
	strmap_clear(&m);
}

/* Before the first placement: the spread buckets and the tie list. */
static void
prepare(struct placement *p)
{
	size_t	k;

	if (p->prepared)
		return;
	p->ties = xcalloc(p->n ? p->n : 1, sizeof *p->ties);
	p->runs = xcalloc(p->n ? p->n : 1, sizeof *p->runs);
	p->merged = xcalloc(p->n ? p->n : 1, sizeof *p->merged);
	for (k = 0; k < p->pol->nstrategies; k++)
		if (p->pol->strategies[k].field == PLACEMENT_FIELD_ATTRIBUTE)
			buckets_build(p, k);
	p->prepared = 1;
}

static enum placement_reason
fits_ports(const struct placement *p, size_t i,
    const struct placement_need *need)
{
	size_t	k;

	for (k = 0; k < need->nports; k++)
		if (ports_has(&p->ins[i].tcp, need->ports[k]))
			return PLACEMENT_PORTS;
	for (k = 0; k < need->nports_udp; k++)
		if (ports_has(&p->ins[i].udp, need->ports_udp[k]))
			return PLACEMENT_PORTS_UDP;
	return PLACEMENT_OK;
}

/* Inline: a walk checks hundreds of instances for each placement, most
 * often for a task that books no host port. */
static inline enum placement_reason
fits_resources(const struct placement *p, size_t i,
    const struct placement_need *need)
{
	const struct slot	*s = &p->slots[i];

	if (s->state != PLACEMENT_OK)
		return (enum placement_reason)s->state;
	if (need->cpu > s->cpu_free)
		return PLACEMENT_CPU;
	if (need->memory > s->memory_free)
		return PLACEMENT_MEMORY;
	if (need->nports == 0 && need->nports_udp == 0)
		return PLACEMENT_OK;
	return fits_ports(p, i, need);
}

static void
query_view(const struct inst *x, struct query_instance *q)
{
	memset(q, 0, sizeof *q);
	q->ec2_instance_id = x->ec2_instance_id;
	q->agent_version = x->agent_version;
	q->agent_connected = x->connected;
	q->registered_at = x->registered_at;
	q->running_tasks_count = x->running;
	q->attrs = x->attrs;
	q->nattrs = x->nattrs;
	q->task_groups = (const char *const *)x->groups;
	q->ntask_groups = x->ngroups;
}

/* The first constraint instance i fails, or -1. */
static int
failed_constraint(struct placement *p, size_t i)
{
	const struct placement_policy	*pol = p->pol;
	struct slot			*s = &p->slots[i];
	struct query_instance		 q;
	size_t				 k;

	for (k = 0; k < pol->nconstraints; k++)
		if (pol->constraints[k].type == PLACEMENT_DISTINCT_INSTANCE &&
		    s->group_tasks > 0)
			return (int)k;
	if (!p->has_member || s->member == 1)
		return -1;
	query_view(&p->ins[i], &q);
	for (k = 0; k < pol->nconstraints; k++)
		if (pol->constraints[k].type == PLACEMENT_MEMBER_OF &&
		    !query_match(pol->constraints[k].query, &q)) {
			s->member = 0;
			return (int)k;
		}
	s->member = 1;
	return -1;
}

/* Resources, then constraints (binding). */
static inline enum placement_reason
check(struct placement *p, size_t i, const struct placement_need *need)
{
	enum placement_reason	r = fits_resources(p, i, need);

	if (r == PLACEMENT_OK && p->pol->nconstraints > 0 &&
	    failed_constraint(p, i) >= 0)
		r = PLACEMENT_ATTRIBUTE;
	return r;
}

enum placement_reason
placement_check(struct placement *p, size_t idx,
    const struct placement_need *need)
{
	prepare(p);
	return check(p, idx, need);
}

/* Strategies before the first random one rank; random picks among what
 * they leave, so anything after it cannot matter. */
static size_t
ranked(const struct placement_policy *pol)
{
	size_t	k;

	for (k = 0; k < pol->nstrategies; k++)
		if (pol->strategies[k].type == PLACEMENT_RANDOM)
			break;
	return k;
}

/* The measure by field f of an instance's slot for need, for the fields
 * an instance has itself (an attribute's is its bucket's): lower is
 * better. */
static inline int64_t
slot_measure(const struct slot *s, enum placement_field f,
    const struct placement_need *need)
{
	switch (f) {
	case PLACEMENT_FIELD_INSTANCE:
		return s->group_tasks;
	case PLACEMENT_FIELD_CPU:
		return s->cpu_free - need->cpu;
	case PLACEMENT_FIELD_MEMORY:
		return s->memory_free - need->memory;
	case PLACEMENT_FIELD_NONE:
	case PLACEMENT_FIELD_ATTRIBUTE:
		break;
	}
	return 0;
}

/* Strategy k's measure of instance i for need: lower is better. */
static int64_t
measure(const struct placement *p, size_t k, size_t i,
    const struct placement_need *need)
{
	const struct slot	*s = &p->slots[i];
	enum placement_field	 f = p->pol->strategies[k].field;

	if (f == PLACEMENT_FIELD_ATTRIBUTE)
		return p->buckets[k].tasks[s->bucket[k]];
	return slot_measure(s, f, need);
}

/*
 * Applying the strategies one after the other (each keeps the best by its
 * measure, the next breaks the ties) is the same as keeping the instances
 * whose measures are lowest in lexicographic order: consider() compares a
 * candidate with the best so far measure by measure and stops at the
 * first difference. The scan considers every instance, and on failure
 * counts why each was rejected and which came closest.
 */
struct scan {
	size_t			 k;
	int64_t			 best[PLACEMENT_MAX_STRATEGIES];
	size_t			 nties;		/* in p->ties */
	size_t			 nruns;		/* in p->runs (index walk) */
	size_t			 run_part;	/* the last run's partition */
	int			 closest;
	enum placement_reason	 closest_reason;
	size_t			 rejected[PLACEMENT_ATTRIBUTE + 1];
};

static void
scan_init(struct scan *sc, size_t k)
{
	memset(sc, 0, sizeof *sc);
	sc->k = k;
	sc->closest = -1;
}

/* Instance i has passed the checks: is it the best, or tied with it? */
static void
consider(struct placement *p, struct scan *sc, size_t i,
    const struct placement_need *need)
{
	int64_t	v = 0;
	size_t	d, s;

	if (sc->nties == 0) {
		for (s = 0; s < sc->k; s++)
			sc->best[s] = measure(p, s, i, need);
		p->ties[sc->nties++] = i;
		return;
	}
	for (d = 0; d < sc->k; d++)
		if ((v = measure(p, d, i, need)) != sc->best[d])
			break;
	if (d == sc->k) {
		p->ties[sc->nties++] = i;
		return;
	}
	if (v > sc->best[d])
		return;
	sc->best[d] = v;
	for (s = d + 1; s < sc->k; s++)
		sc->best[s] = measure(p, s, i, need);
	p->ties[0] = i;
	sc->nties = 1;
}

static void
scan(struct placement *p, size_t lo, size_t hi,
    const struct placement_need *need, struct scan *sc)
{
	enum placement_reason	r;
	size_t			i;

	for (i = lo; i < hi; i++) {
		if ((r = check(p, i, need)) == PLACEMENT_OK) {
			consider(p, sc, i, need);
			continue;
		}
		sc->rejected[r]++;
		if (sc->closest < 0 ||
		    reason_rank(r) > reason_rank(sc->closest_reason)) {
			sc->closest = (int)i;
			sc->closest_reason = r;
		}
	}
}

/*
 * The index spares a placement from looking at every instance. Its
 * partitions are the values of a leading spread(attribute:<name>) (one
 * partition without one), visited in ascending order of their tasks of the
 * group, so a walk stops at the first value with more tasks than the best
 * found. Within a partition, instances are sorted by the measure of the
 * first strategy that measures instances themselves (binpack, or spread
 * instanceId): binpack starts at the first instance with enough of the
 * resource, and the walk stops at the first instance worse than the best.
 * Instances walked get the same checks and comparison as in the scan, and
 * ties are put back in instance order, so both choose alike; a placement
 * with nothing found scans, to say why.
 */
#define NONE	SIZE_MAX

/* The index's order: the ordering strategy's measure for a task that
 * needs nothing. */
static int64_t
order_value(const struct placement *p, size_t i)
{
	static const struct placement_need	nothing;

	if (p->index.order_k == NONE)
		return 0;
	return slot_measure(&p->slots[i],
	    p->pol->strategies[p->index.order_k].field, &nothing);
}

/* The first position in a partition whose (value, instance) is not below
 * (v, i). */
static size_t
part_lower(const struct placement *p, const size_t *arr, size_t n,
    int64_t v, size_t i)
{
	size_t	lo = 0, hi = n, mid;
	int64_t	mv;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		mv = order_value(p, arr[mid]);
		if (mv < v || (mv == v && arr[mid] < i))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t
part_of(const struct placement *p, size_t i)
{
	return p->index.part_k == NONE ? 0 :
	    p->slots[i].bucket[p->index.part_k];
}

static int64_t
part_tasks(const struct placement *p, size_t b)
{
	return p->index.part_k == NONE ? 0 :
	    p->buckets[p->index.part_k].tasks[b];
}

static void
index_drop(struct placement *p)
{
	struct index	*ix = &p->index;
	size_t		 b;

	/* Every task added drops it: most often there is none. */
	if (!ix->built && ix->part == NULL && ix->npart == NULL &&
	    ix->porder == NULL && ix->ppos == NULL)
		return;
	for (b = 0; b < ix->nparts; b++)
		free(ix->part[b]);
	free(ix->part);
	free(ix->npart);
	free(ix->porder);
	free(ix->ppos);
	memset(ix, 0, sizeof *ix);
}

struct keyed {
	int64_t	v;
	size_t	i;
};

static int
keyed_cmp(const void *a, const void *b)
{
	const struct keyed	*x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static void
index_build(struct placement *p, size_t k)
{
	struct index	*ix = &p->index;
	struct keyed	*kv;
	size_t		 b, i, j;

	index_drop(p);
	ix->part_k = ix->order_k = NONE;
	if (k > 0 && p->pol->strategies[0].field == PLACEMENT_FIELD_ATTRIBUTE)
		ix->part_k = 0;
	j = ix->part_k == NONE ? 0 : 1;
	if (j < k && p->pol->strategies[j].field != PLACEMENT_FIELD_ATTRIBUTE)
		ix->order_k = j;
	ix->nparts = ix->part_k == NONE ? 1 : p->buckets[ix->part_k].n;
	ix->part = xcalloc(ix->nparts, sizeof *ix->part);
	ix->npart = xcalloc(ix->nparts, sizeof *ix->npart);
	for (i = 0; i < p->n; i++)
		ix->npart[part_of(p, i)]++;
	for (b = 0; b < ix->nparts; b++) {
		kv = xcalloc(ix->npart[b] ? ix->npart[b] : 1, sizeof *kv);
		for (i = j = 0; i < p->n; i++)
			if (part_of(p, i) == b) {
				kv[j].v = order_value(p, i);
				kv[j++].i = i;
			}
		qsort(kv, j, sizeof *kv, keyed_cmp);
		ix->part[b] = xcalloc(j ? j : 1, sizeof **ix->part);
		for (i = 0; i < j; i++)
			ix->part[b][i] = kv[i].i;
		free(kv);
	}
	kv = xcalloc(ix->nparts, sizeof *kv);
	for (b = 0; b < ix->nparts; b++) {
		kv[b].v = part_tasks(p, b);
		kv[b].i = b;
	}
	qsort(kv, ix->nparts, sizeof *kv, keyed_cmp);
	ix->porder = xcalloc(ix->nparts, sizeof *ix->porder);
	ix->ppos = xcalloc(ix->nparts, sizeof *ix->ppos);
	for (b = 0; b < ix->nparts; b++) {
		ix->porder[b] = kv[b].i;
		ix->ppos[kv[b].i] = b;
	}
	free(kv);
	ix->k = k;
	ix->built = 1;
}

/* Instance i leaves its place in its partition (before it changes). */
static void
index_remove(struct placement *p, size_t i)
{
	struct index	*ix = &p->index;
	size_t		 b = part_of(p, i), *arr = ix->part[b], at;

	at = part_lower(p, arr, ix->npart[b], order_value(p, i), i);
	assert(at < ix->npart[b] && arr[at] == i);
	memmove(&arr[at], &arr[at + 1], (ix->npart[b] - at - 1) *
	    sizeof *arr);
	ix->npart[b]--;
}

/* Instance i takes its new place (after it changed), and its partition
 * its place among partitions by tasks of the group. */
static void
index_insert(struct placement *p, size_t i)
{
	struct index	*ix = &p->index;
	size_t		 b = part_of(p, i), *arr = ix->part[b], at, pos, o;

	at = part_lower(p, arr, ix->npart[b], order_value(p, i), i);
	memmove(&arr[at + 1], &arr[at], (ix->npart[b] - at) * sizeof *arr);
	arr[at] = i;
	ix->npart[b]++;
	for (pos = ix->ppos[b]; pos + 1 < ix->nparts; pos++) {
		o = ix->porder[pos + 1];
		if (part_tasks(p, o) > part_tasks(p, b) ||
		    (part_tasks(p, o) == part_tasks(p, b) && o > b))
			break;
		ix->porder[pos] = o;
		ix->ppos[o] = pos;
	}
	ix->porder[pos] = b;
	ix->ppos[b] = pos;
}

/*
 * Whether the strategies the index serves are only the two it is built
 * on, the partitioning one and the ordering one: then instances with the
 * same place in the index (a partition, and one value of the ordering
 * measure) measure alike by every strategy, and compare alike with the
 * best. That is the default of a service (spread by zone, then by
 * instance) and binpack alone.
 */
static int
index_decides(const struct placement *p, size_t k)
{
	const struct index	*ix = &p->index;

	return k == (size_t)(ix->part_k != NONE) + (ix->order_k != NONE);
}

/* A tie from partition b was just added: a new run when its partition
 * is not the last one's, or when it is the first (a new best). */
static void
run_note(struct placement *p, struct scan *sc, size_t b)
{
	size_t	t = sc->nties - 1;

	if (t == 0)
		sc->nruns = 0;
	else if (b == sc->run_part)
		return;
	p->runs[sc->nruns++] = t;
	sc->run_part = b;
}

/*
 * Ties come in instance order within a partition, a run each; from
 * several partitions with as many tasks, the runs are merged back into
 * instance order, two by two.
 */
static void
ties_merge(struct placement *p, struct scan *sc)
{
	size_t	*from = p->ties, *to = p->merged, *swap;
	size_t	 nruns = sc->nruns, r, w, i, j, k, mid, hi;

	for (r = 1; r < nruns; r++)
		if (from[p->runs[r] - 1] > from[p->runs[r]])
			break;
	if (r >= nruns)
		return;
	while (nruns > 1) {
		for (r = w = 0; r < nruns; r += 2) {
			i = k = p->runs[r];
			j = mid = r + 1 < nruns ? p->runs[r + 1] : sc->nties;
			hi = r + 2 < nruns ? p->runs[r + 2] : sc->nties;
			while (i < mid || j < hi)
				to[k++] = j >= hi || (i < mid &&
				    from[i] < from[j]) ? from[i++] : from[j++];
			p->runs[w++] = p->runs[r];
		}
		nruns = w;
		swap = from;
		from = to;
		to = swap;
	}
	if (from != p->ties)
		memcpy(p->ties, from, sc->nties * sizeof *p->ties);
}

/*
 * The walk checks every instance it passes, as the scan does. Where the
 * index decides the measures, the first instance of a run (same partition,
 * same ordering measure) that passes the checks is compared with the best,
 * and the others that pass follow it: they tie with it, or lose as it
 * did. Walking the instances that tie under spread(instanceId), a third
 * of a cluster at a service's first placements, costs a check each.
 */
static void
index_walk(struct placement *p, const struct placement_need *need,
    struct scan *sc)
{
	struct index		*ix = &p->index;
	enum placement_field	 f;
	size_t			 pi, b, j, i, n;
	int64_t			 m = 0, run_m = 0;
	int			 fast = index_decides(p, sc->k);
	enum { RUN_NONE, RUN_TAKES, RUN_LOSES } run;

	f = ix->order_k != NONE ? p->pol->strategies[ix->order_k].field :
	    PLACEMENT_FIELD_NONE;
	for (pi = 0; pi < ix->nparts; pi++) {
		b = ix->porder[pi];
		if (ix->part_k != NONE && sc->nties > 0 &&
		    part_tasks(p, b) > sc->best[0])
			break;
		n = ix->npart[b];
		j = 0;
		if (f == PLACEMENT_FIELD_CPU)
			j = part_lower(p, ix->part[b], n, need->cpu, 0);
		else if (f == PLACEMENT_FIELD_MEMORY)
			j = part_lower(p, ix->part[b], n, need->memory, 0);
		run = RUN_NONE;
		for (; j < n; j++) {
			i = ix->part[b][j];
			if (ix->order_k != NONE) {
				m = slot_measure(&p->slots[i], f, need);
				if (sc->nties > 0 && m > sc->best[ix->order_k])
					break;
			}
			if (check(p, i, need) != PLACEMENT_OK)
				continue;
			if (fast && run != RUN_NONE && m == run_m) {
				if (run == RUN_TAKES) {
					p->ties[sc->nties++] = i;
					run_note(p, sc, b);
				}
				continue;
			}
			consider(p, sc, i, need);
			run_m = m;
			run = RUN_LOSES;
			if (sc->nties > 0 && p->ties[sc->nties - 1] == i) {
				run_note(p, sc, b);
				run = RUN_TAKES;
			}
		}
	}
	ties_merge(p, sc);
}

void
placement_set_indexed(struct placement *p, int on)
{
	p->unindexed = !on;
}

void
placement_set_explain(struct placement *p, int on)
{
	p->quiet = !on;
}

static void
why_add(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
why_add(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (*off >= len - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n < len - *off ? (size_t)n : len - 1 - *off;
}

/* "binpack(memory): i-3 has 512 MiB left, the least; ..." */
static void
why_chosen(const struct placement *p, const struct scan *sc, size_t i,
    struct placement_result *res)
{
	const struct placement_strategy	*st;
	const char			*val;
	char				 name[160];
	size_t				 s, off = 0, len = sizeof res->why;

	for (s = 0; s < sc->k; s++) {
		st = &p->pol->strategies[s];
		placement_strategy_name(st, name, sizeof name);
		why_add(res->why, len, &off, "%s%s: ", s ? "; " : "", name);
		switch (st->field) {
		case PLACEMENT_FIELD_NONE:
			break;
		case PLACEMENT_FIELD_INSTANCE:
			why_add(res->why, len, &off, "%s has %lld tasks of %s",
			    p->ins[i].id, (long long)sc->best[s], p->group);
			break;
		case PLACEMENT_FIELD_ATTRIBUTE:
			val = p->buckets[s].values[p->slots[i].bucket[s]];
			why_add(res->why, len, &off, "%s%s has %lld tasks of %s",
			    val ? "" : "no value of ", val ? val : st->attribute,
			    (long long)sc->best[s], p->group);
			break;
		case PLACEMENT_FIELD_CPU:
			why_add(res->why, len, &off, "%s has %lld CPU units "
			    "left", p->ins[i].id, (long long)sc->best[s]);
			break;
		case PLACEMENT_FIELD_MEMORY:
			why_add(res->why, len, &off, "%s has %lld MiB left",
			    p->ins[i].id, (long long)sc->best[s]);
			break;
		}
		why_add(res->why, len, &off, ", the %s",
		    st->type == PLACEMENT_SPREAD ? "fewest" : "least");
	}
	if (sc->k == 0 && sc->nties == 1)
		why_add(res->why, len, &off, "%s fits, the one instance that "
		    "does", p->ins[i].id);
	else if (sc->k == 0)
		why_add(res->why, len, &off, "random among %zu fitting "
		    "instances: %s", sc->nties, p->ins[i].id);
	else if (sc->nties > 1)
		why_add(res->why, len, &off, "; %s at random among %zu ties",
		    p->ins[i].id, sc->nties);
}

/* "no instance fits (2 short of memory, 1 agent disconnected); closest
 * i-2 has insufficient memory available" */
static void
why_failed(struct placement *p, const struct scan *sc,
    struct placement_result *res)
{
	static const char *const	 what[] = {
		[PLACEMENT_INACTIVE] = "not ACTIVE",
		[PLACEMENT_AGENT] = "agent disconnected",
		[PLACEMENT_CPU] = "short of CPU",
		[PLACEMENT_MEMORY] = "short of memory",
		[PLACEMENT_PORTS] = "using a TCP port it needs",
		[PLACEMENT_PORTS_UDP] = "using a UDP port it needs",
		[PLACEMENT_ATTRIBUTE] = "failing a constraint",
	};
	const struct placement_constraint *c;
	struct query_instance		 q;
	char				 expl[256];
	size_t				 r, off = 0, len = sizeof res->why;
	int				 k, first = 1;

	if (sc->closest < 0) {
		why_add(res->why, len, &off, "no container instances");
		return;
	}
	why_add(res->why, len, &off, "no instance fits (");
	for (r = PLACEMENT_INACTIVE; r <= PLACEMENT_ATTRIBUTE; r++) {
		if (sc->rejected[r] == 0)
			continue;
		why_add(res->why, len, &off, "%s%zu %s", first ? "" : ", ",
		    sc->rejected[r], what[r]);
		first = 0;
	}
	why_add(res->why, len, &off, "); closest %s %s",
	    p->ins[sc->closest].id, placement_reason_phrase(res->reason));
	if (res->reason != PLACEMENT_ATTRIBUTE ||
	    (k = failed_constraint(p, (size_t)sc->closest)) < 0)
		return;
	c = &p->pol->constraints[k];
	switch (c->type) {
	case PLACEMENT_DISTINCT_INSTANCE:
		why_add(res->why, len, &off, ": distinctInstance, it runs a "
		    "task of %s", p->group);
		break;
	case PLACEMENT_MEMBER_OF:
		query_view(&p->ins[sc->closest], &q);
		query_explain(c->query, &q, expl, sizeof expl);
		why_add(res->why, len, &off, ": memberOf: %s", expl);
		break;
	}
}

/* Instance i takes a task of the view's group; the index follows. */
static void
take(struct placement *p, size_t i, const struct placement_need *need)
{
	int	indexed = p->index.built;

	if (indexed)
		index_remove(p, i);
	load_add(p, i, need);
	group_add(&p->ins[i], p->group);
	p->ins[i].running++;
	group_count(p, i, 1);
	if (indexed)
		index_insert(p, i);
}

static void
finish(struct placement *p, const struct scan *sc,
    const struct placement_need *need, struct prng *prng,
    struct placement_result *res)
{
	size_t	pick;

	memset(res, 0, sizeof *res);
	res->chosen = -1;
	res->closest = -1;
	if (sc->nties == 0) {
		res->closest = sc->closest;
		res->reason = sc->closest < 0 ? PLACEMENT_INACTIVE :
		    sc->closest_reason;
		why_failed(p, sc, res);
		return;
	}
	pick = sc->nties > 1 ? p->ties[prng_below(prng, sc->nties)] :
	    p->ties[0];
	res->chosen = (int)pick;
	if (!p->quiet)
		why_chosen(p, sc, pick, res);
	take(p, pick, need);
}

void
placement_choose(struct placement *p, const struct placement_need *need,
    struct prng *prng, struct placement_result *res)
{
	struct scan	sc;
	size_t		k;

	prepare(p);
	k = ranked(p->pol);
	scan_init(&sc, k);
	if (!p->unindexed && k > 0) {
		if (!p->index.built || p->index.k != k)
			index_build(p, k);
		index_walk(p, need, &sc);
	}
	if (sc.nties == 0) {
		scan_init(&sc, k);
		scan(p, 0, p->n, need, &sc);
	}
	finish(p, &sc, need, prng, res);
}

void
placement_choose_on(struct placement *p, size_t idx,
    const struct placement_need *need, struct placement_result *res)
{
	struct scan	sc;

	assert(idx < p->n);
	prepare(p);
	scan_init(&sc, 0);
	scan(p, idx, idx + 1, need, &sc);
	finish(p, &sc, need, NULL, res);
}

/* Strategy k's measure for stopping a task on instance idx: lower goes
 * first, so the reverse of placing. */
static int64_t
reverse_measure(const struct placement *p, size_t k, int idx)
{
	const struct slot	*s;

	if (idx < 0)
		return 0;
	s = &p->slots[idx];
	switch (p->pol->strategies[k].field) {
	case PLACEMENT_FIELD_NONE:
		return 0;
	case PLACEMENT_FIELD_INSTANCE:
		return -(int64_t)s->group_tasks;
	case PLACEMENT_FIELD_ATTRIBUTE:
		return -p->buckets[k].tasks[s->bucket[k]];
	case PLACEMENT_FIELD_CPU:
		return -s->cpu_free;
	case PLACEMENT_FIELD_MEMORY:
		return -s->memory_free;
	}
	return 0;
}

void
placement_scale_in(struct placement *p, const struct placement_victim *tasks,
    size_t n, size_t k, struct prng *prng, size_t *order)
{
	int64_t		 best[PLACEMENT_MAX_STRATEGIES + 1];
	int64_t		 cur[PLACEMENT_MAX_STRATEGIES + 1];
	size_t		*ties, nties, pick, j, s, nk;
	char		*gone;
	int		 idx;

	memset(best, 0, sizeof best);
	prepare(p);
	index_drop(p);		/* counts change below */
	nk = ranked(p->pol);
	ties = xcalloc(n ? n : 1, sizeof *ties);
	gone = xcalloc(n ? n : 1, 1);
	for (pick = 0; pick < k && pick < n; pick++) {
		nties = 0;
		for (j = 0; j < n; j++) {
			if (gone[j])
				continue;
			cur[0] = tasks[j].started != 0;
			for (s = 0; s < nk; s++)
				cur[s + 1] = reverse_measure(p, s,
				    tasks[j].instance);
			for (s = 0; nties > 0 && s <= nk; s++)
				if (cur[s] != best[s])
					break;
			if (nties > 0 && s <= nk && cur[s] > best[s])
				continue;
			if (nties == 0 || s <= nk) {
				memcpy(best, cur, sizeof best);
				nties = 0;
			}
			ties[nties++] = j;
		}
		j = nties > 1 ? ties[prng_below(prng, nties)] : ties[0];
		order[pick] = j;
		gone[j] = 1;
		if ((idx = tasks[j].instance) < 0)
			continue;
		p->slots[idx].cpu_free += tasks[j].cpu;
		p->slots[idx].memory_free += tasks[j].memory;
		p->slots[idx].member = -1;
		p->ins[idx].running--;
		group_count(p, (size_t)idx, -1);
	}
	free(ties);
	free(gone);
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
