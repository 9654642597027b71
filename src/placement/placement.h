/* Placement: a pure library. Candidate instances and a task's needs in, a
 * choice or a failure reason out, with the reason for either. No database,
 * no I/O, no clock. */
#ifndef ECSIM_PLACEMENT_H
#define ECSIM_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

struct prng;

#define PLACEMENT_MAX_PORTS	64

/* One candidate instance, as the caller saw it before this placement. */
struct placement_instance {
	const char	*arn;
	const char	*id;		/* short id, for messages */
	const char	*zone;		/* ecs.availability-zone */
	int		 active;	/* status ACTIVE (not DRAINING) */
	int		 connected;	/* agentConnected */
	int64_t		 cpu_free;
	int64_t		 memory_free;
	int		 ports_used[PLACEMENT_MAX_PORTS];	/* TCP */
	size_t		 nports_used;
	int		 ports_udp_used[PLACEMENT_MAX_PORTS];
	size_t		 nports_udp_used;
	int		 group_tasks;	/* tasks of the same service or group */
};

struct placement_need {
	int64_t		 cpu;
	int64_t		 memory;
	int		 ports[PLACEMENT_MAX_PORTS];	/* fixed host TCP ports */
	size_t		 nports;
	int		 ports_udp[PLACEMENT_MAX_PORTS];
	size_t		 nports_udp;
};

enum placement_default {
	PLACEMENT_SERVICE,	/* spread over zones, then fewest group tasks */
	PLACEMENT_RANDOM,	/* RunTask's default */
};

/* Why an instance was rejected, in ECS's failure-reason words. */
enum placement_reason {
	PLACEMENT_OK,
	PLACEMENT_AGENT,		/* "AGENT" */
	PLACEMENT_INACTIVE,		/* draining: not a candidate */
	PLACEMENT_CPU,			/* "RESOURCE:CPU" */
	PLACEMENT_MEMORY,		/* "RESOURCE:MEMORY" */
	PLACEMENT_PORTS,		/* "RESOURCE:PORTS" */
	PLACEMENT_PORTS_UDP,		/* "RESOURCE:PORTS_UDP" */
};

struct placement_result {
	int			 chosen;	/* index, or -1 */
	/* On failure: the instance that came closest and why it failed. */
	int			 closest;
	enum placement_reason	 reason;
	char			 why[160];	/* a sentence for --trace */
};

/* ECS's reason string ("RESOURCE:MEMORY"), or NULL for PLACEMENT_OK. */
const char	*placement_reason_name(enum placement_reason r);
/* The phrase of ECS's service event: "has insufficient memory available". */
const char	*placement_reason_phrase(enum placement_reason r);

/* Would the need fit this instance? PLACEMENT_OK or the first failure. */
enum placement_reason placement_fits(const struct placement_instance *in,
		    const struct placement_need *need);

/*
 * Chooses an instance for one task. On success the chosen instance's free
 * resources and group count are updated in place, so a caller placing
 * several tasks calls this once per task. Ties are broken with prng.
 */
void	placement_choose(struct placement_instance *ins, size_t n,
	    const struct placement_need *need, enum placement_default strategy,
	    struct prng *prng, struct placement_result *res);

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
