/* Placement: a pure library. A cluster's instances and a task's needs in,
 * a choice or a failure reason out, with the reason for either, following
 * ECS's order: resources, constraints, strategies, then a seeded tie-break.
 * No database, no I/O, no clock: the PRNG comes in as an argument. */
#ifndef ECSIM_PLACEMENT_H
#define ECSIM_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/util.h"

struct prng;
struct query;

#define PLACEMENT_MAX_PORTS		64
#define PLACEMENT_MAX_STRATEGIES	5	/* ECS's limits */
#define PLACEMENT_MAX_CONSTRAINTS	10
#define PLACEMENT_MAX_EXPRESSION	2000
#define PLACEMENT_ZONE_ATTRIBUTE	"ecs.availability-zone"

/* What a task needs from an instance (or, added to one, what it holds). */
struct placement_need {
	int64_t		 cpu;
	int64_t		 memory;
	int		 ports[PLACEMENT_MAX_PORTS];	/* fixed host TCP ports */
	size_t		 nports;
	int		 ports_udp[PLACEMENT_MAX_PORTS];
	size_t		 nports_udp;
};

/* Why an instance was rejected, in ECS's failure-reason words. */
enum placement_reason {
	PLACEMENT_OK,
	PLACEMENT_INACTIVE,		/* draining: not a candidate */
	PLACEMENT_AGENT,		/* "AGENT" */
	PLACEMENT_CPU,			/* "RESOURCE:CPU" */
	PLACEMENT_MEMORY,		/* "RESOURCE:MEMORY" */
	PLACEMENT_PORTS,		/* "RESOURCE:PORTS" */
	PLACEMENT_PORTS_UDP,		/* "RESOURCE:PORTS_UDP" */
	PLACEMENT_ATTRIBUTE,		/* "ATTRIBUTE": a constraint failed */
};

/* ECS's reason string ("RESOURCE:MEMORY"), or NULL for PLACEMENT_OK. */
const char	*placement_reason_name(enum placement_reason r);
/* The phrase of ECS's service event: "has insufficient memory available". */
const char	*placement_reason_phrase(enum placement_reason r);

/*
 * Strategies and constraints (policy.c). A policy is what one placement
 * call follows: up to five strategies applied in order, each breaking the
 * ties the previous one left, and constraints every choice must meet.
 */
enum placement_strategy_type {
	PLACEMENT_RANDOM,
	PLACEMENT_SPREAD,
	PLACEMENT_BINPACK,
};
enum placement_field {
	PLACEMENT_FIELD_NONE,		/* random */
	PLACEMENT_FIELD_INSTANCE,	/* spread instanceId (or host) */
	PLACEMENT_FIELD_ATTRIBUTE,	/* spread attribute:<name> */
	PLACEMENT_FIELD_CPU,		/* binpack cpu */
	PLACEMENT_FIELD_MEMORY,		/* binpack memory */
};
struct placement_strategy {
	enum placement_strategy_type	 type;
	enum placement_field		 field;
	char				*field_text;	/* as ECS shows it */
	const char			*attribute;	/* in field_text */
};

enum placement_constraint_type {
	PLACEMENT_DISTINCT_INSTANCE,
	PLACEMENT_MEMBER_OF,
};
struct placement_constraint {
	enum placement_constraint_type	 type;
	struct query			*query;		/* memberOf */
};

struct placement_policy {
	struct placement_strategy	 strategies[PLACEMENT_MAX_STRATEGIES];
	size_t				 nstrategies;
	struct placement_constraint	 constraints[PLACEMENT_MAX_CONSTRAINTS];
	size_t				 nconstraints;
};

void	placement_policy_init(struct placement_policy *pol);
void	placement_policy_clear(struct placement_policy *pol);

/*
 * Appends the strategies of list (ECS's placementStrategy shape; NULL is
 * none), checking each: type random, spread or binpack; binpack takes
 * field cpu or memory, spread instanceId, host or attribute:<name>, random
 * no field. where names the member in messages. -1 with ERR_INVALID naming
 * the item when one is wrong or there would be more than five.
 */
int	placement_policy_add_strategies(struct placement_policy *pol,
	    const cJSON *list, const char *where, struct err *e);
/*
 * Appends the constraints of list (placementConstraints shape): type
 * distinctInstance (no expression) or memberOf (an expression of at most
 * 2,000 characters, parsed; a bad one fails with its position). -1 with
 * ERR_INVALID when one is wrong or there would be more than ten.
 */
int	placement_policy_add_constraints(struct placement_policy *pol,
	    const cJSON *list, const char *where, struct err *e);
/*
 * Without strategies, ECS's defaults: a service spreads over
 * attribute:ecs.availability-zone then instanceId; RunTask is random.
 */
void	placement_policy_default(struct placement_policy *pol, int service);
/* The policy in ECS's shape, normalized (field names as ECS spells them,
 * only the members ECS knows). New arrays, the caller's. */
cJSON	*placement_policy_strategies_json(const struct placement_policy *pol);
cJSON	*placement_policy_constraints_json(const struct placement_policy *pol);
/* "spread(attribute:ecs.availability-zone)", for messages. */
void	placement_strategy_name(const struct placement_strategy *s, char *buf,
	    size_t len);

/*
 * The view of a cluster that placements work on: every instance with what
 * it registered, its attributes and the load of its live tasks, seen from
 * one task group (a service's "service:<name>" or a standalone group) and
 * one policy. Each placement updates the view, so placing several tasks in
 * a row is correct. The policy is borrowed for the view's lifetime.
 */
struct placement;

/* One instance as the caller knows it; strings are copied. */
struct placement_instance {
	const char	*arn;
	const char	*id;		/* short id, for messages */
	const char	*ec2_instance_id;
	const char	*agent_version;	/* or NULL */
	int		 active;	/* status ACTIVE (not DRAINING) */
	int		 connected;	/* agentConnected */
	int64_t		 registered_at;	/* epoch milliseconds */
	int64_t		 cpu;		/* registered */
	int64_t		 memory;
};

/* What a view says of one of its instances now. Pointers belong to it. */
struct placement_state {
	const char	*arn;
	const char	*id;
	const char	*zone;		/* ecs.availability-zone or NULL */
	int64_t		 cpu_free;
	int64_t		 memory_free;
	int		 group_tasks;	/* live tasks of the view's group */
	int64_t		 running;	/* tasks whose desired status is RUNNING */
};

struct placement	*placement_new(const char *group,
			    const struct placement_policy *pol);
void			 placement_free(struct placement *p);
/* Adds an instance; instances keep the order they were added in. */
size_t	placement_add_instance(struct placement *p,
	    const struct placement_instance *in);
/* Call before the first placement. value may be NULL. */
void	placement_add_attribute(struct placement *p, size_t idx,
	    const char *name, const char *value);
/* A port the agent reserves (22, 2375, ...): used, like a task's. */
void	placement_add_reserved_port(struct placement *p, size_t idx, int port,
	    int udp);
/* A live task on instance idx: its group and what it holds. running: its
 * desired status is RUNNING. */
void	placement_add_task(struct placement *p, size_t idx, const char *group,
	    const struct placement_need *load, int running);
/* n live tasks on instance idx of groups other than the view's, holding
 * no ports, cpu and memory between them, running of them with desired
 * status RUNNING: what n calls of placement_add_task would do. */
void	placement_add_others(struct placement *p, size_t idx, int64_t cpu,
	    int64_t memory, size_t n, size_t running);
size_t	placement_count(const struct placement *p);
void	placement_get(const struct placement *p, size_t idx,
	    struct placement_state *out);
/* The instance's value of attribute name, NULL when it has none. */
const char *placement_attribute(const struct placement *p, size_t idx,
	    const char *name);
/* Index of the instance whose ARN or id is ref, or -1. */
int	placement_find(struct placement *p, const char *ref);

struct placement_result {
	int			 chosen;	/* index, or -1 */
	/* On failure: the instance that came closest and why it failed. */
	int			 closest;
	enum placement_reason	 reason;
	char			 why[512];	/* a sentence for --trace; empty
						   for a choice unexplained */
};

/* Would the need fit instance idx? PLACEMENT_OK or the first failure
 * (resources, then constraints). */
enum placement_reason placement_check(struct placement *p, size_t idx,
	    const struct placement_need *need);

/*
 * Chooses an instance for one task: instances that have the resources,
 * then those meeting every constraint, narrowed by each strategy in
 * order, then one of the remaining at random from prng. On success the
 * chosen instance takes the task (resources, ports, group counts).
 */
void	placement_choose(struct placement *p, const struct placement_need *need,
	    struct prng *prng, struct placement_result *res);
/*
 * Whether placement_choose uses the view's index (on by default) or looks
 * at every instance. Both choose alike; tests and the benchmark compare.
 */
void	placement_set_indexed(struct placement *p, int on);
/* Whether a choice made says why in its result (on by default); a
 * failure always does. */
void	placement_set_explain(struct placement *p, int on);
/* StartTask: the one named instance, checked for resources and
 * constraints; strategies do not apply. */
void	placement_choose_on(struct placement *p, size_t idx,
	    const struct placement_need *need, struct placement_result *res);

/*
 * Scale-in: which of a group's tasks to stop first, the reverse of
 * placement. Not-yet-started tasks go before started ones; then each
 * strategy in order: spread stops from the instance (or attribute value)
 * with the most tasks of the group, binpack from the instance with the most
 * of that resource free, random at random; remaining ties from prng.
 * Each pick updates the view (the task leaves its instance) before the
 * next, and order[0..k) receives indexes into tasks.
 */
struct placement_victim {
	int		 instance;	/* index in the view, or -1 (Fargate) */
	int		 started;	/* reached RUNNING */
	int64_t		 cpu;
	int64_t		 memory;
};
void	placement_scale_in(struct placement *p,
	    const struct placement_victim *tasks, size_t n, size_t k,
	    struct prng *prng, size_t *order);

/*
 * Capacity provider strategies. One item of a strategy, and how many of
 * the group's tasks already run on that provider.
 */
struct placement_share {
	int64_t		 base;		/* at least this many here first */
	int64_t		 weight;	/* relative share of the rest */
	int64_t		 placed;
};

/*
 * The index of the provider the next task goes to: bases are filled in
 * strategy order, then the rest is shared by weight (the provider furthest
 * below its share; ties to the earlier item). A strategy whose weights
 * are all zero puts everything past the bases on its first item.
 */
size_t	placement_provider(const struct placement_share *s, size_t n);

#endif
