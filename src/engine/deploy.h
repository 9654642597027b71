/* The deployment arithmetic of ECS's rolling update ("make one, break
 * one"): pure functions from a service's state to a plan of which tasks to
 * start and which to stop, and why. No database, no clock, no I/O, so the
 * rules can be tested (and explained) on their own. */
#ifndef ECSIM_ENGINE_DEPLOY_H
#define ECSIM_ENGINE_DEPLOY_H

#include <stddef.h>
#include <stdint.h>

/* A task with no container health check (and no load balancer) counts as
 * healthy this long after it reached RUNNING. */
#define DEPLOY_HEALTHY_AFTER	(40LL * 1000)
/* The longest launch delay of a service whose tasks keep failing. */
#define DEPLOY_THROTTLE_MAX	(27LL * 60 * 1000)
/* Consecutive start failures before the delay begins. */
#define DEPLOY_THROTTLE_AFTER	3

/*
 * upper = floor(desired * maximumPercent / 100) caps the service's tasks
 * that are not STOPPED (RUNNING, PENDING and STOPPING ones);
 * lower = ceil(desired * minimumHealthyPercent / 100) healthy RUNNING
 * tasks must stay.
 */
struct deploy_bounds {
	int64_t	upper;
	int64_t	lower;
};
void	deploy_bounds(int64_t desired, int64_t maximum_percent,
	    int64_t minimum_healthy_percent, struct deploy_bounds *b);

/* The circuit breaker's failure threshold: ceil(desired / 2) within
 * [3, 200]. */
int64_t	deploy_breaker_threshold(int64_t desired);

/*
 * How long a service waits before launching again after `failures`
 * consecutive tasks stopped before reaching RUNNING: nothing for the first
 * DEPLOY_THROTTLE_AFTER - 1, then 15 s doubling with each failure, at most
 * DEPLOY_THROTTLE_MAX (15 s, 30 s, 1 m, 2 m, 4 m, 8 m, 16 m, 27 m, ...).
 */
int64_t	deploy_throttle_delay(int64_t failures);

/* One task of the service that is not STOPPED, as the engine saw it. */
struct deploy_task {
	int	deployment;	/* index in deployments, 0 the PRIMARY */
	int	instance;	/* DAEMON: index in the instances, or -1 */
	int	stopping;	/* desiredStatus STOPPED, not yet STOPPED */
	int	running;	/* lastStatus RUNNING */
	int	healthy;	/* counts toward the lower bound */
	int	unhealthy;	/* failed health checks past the grace period */
	int	draining;	/* on a DRAINING container instance */
	int	order;		/* scale-in preference: lower stops first */
};

/* One container instance of the cluster, for a DAEMON service. */
struct deploy_instance {
	int	wanted;		/* ACTIVE and meets the constraints */
	int	can_place;	/* connected, and a task fits there */
	int	draining;
	int	others;		/* live tasks of other services on it */
};

struct deploy_state {
	int64_t				 desired;
	int64_t				 maximum_percent;
	int64_t				 minimum_healthy_percent;
	int				 can_launch;	/* not throttled */
	int				 primary_failed; /* rolloutState FAILED */
	const struct deploy_task	*tasks;
	size_t				 ntasks;
	const struct deploy_instance	*instances;	/* DAEMON only */
	size_t				 ninstances;
};

enum deploy_reason {
	DEPLOY_SCALE_IN,	/* more tasks than desired */
	DEPLOY_REPLACED,	/* an older deployment's task */
	DEPLOY_UNHEALTHY,	/* failed its container health checks */
	DEPLOY_DRAINING,	/* on a DRAINING instance */
	DEPLOY_UNWANTED,	/* DAEMON: its instance no longer qualifies */
};

struct deploy_stop {
	size_t			task;	/* index in state->tasks */
	enum deploy_reason	reason;
};

struct deploy_plan {
	struct deploy_bounds	 bounds;
	int64_t			 start;		/* REPLICA: primary tasks */
	size_t			*start_on;	/* DAEMON: instance indexes */
	size_t			 nstart_on;
	struct deploy_stop	*stops;
	size_t			 nstops;
	int64_t			 missing;	/* primary tasks lacking */
	/* The bounds allow no move although tasks need replacing and
	 * nothing in flight will change that. */
	int			 blocked;
};
void	deploy_plan_clear(struct deploy_plan *p);

/*
 * One pass of the REPLICA scheduler. In order:
 *  - tasks to be replaced that are not healthy go at once: an older
 *    deployment's, and those not yet RUNNING on a DRAINING instance;
 *  - the PRIMARY's surplus goes (scale-in), by `order`;
 *  - the PRIMARY's unhealthy tasks go once their replacements are healthy,
 *    or, when the upper bound leaves no room to start a replacement first,
 *    one at a time;
 *  - healthy tasks to be replaced (older deployments', on DRAINING
 *    instances) go, oldest deployment first, only while healthy tasks stay
 *    at or above the lower bound; none while the PRIMARY has FAILED;
 *  - the PRIMARY's missing tasks start within the upper bound.
 * Tasks being stopped still count toward the upper bound.
 */
void	deploy_plan_replica(const struct deploy_state *st,
	    struct deploy_plan *p);

/*
 * One pass of the DAEMON scheduler: one task of the PRIMARY on each wanted
 * instance. The same bounds apply (maximumPercent is 100), per instance: an
 * older deployment's task goes (healthy ones within the lower bound) and
 * the new one starts once the instance has no task of the service left.
 * Tasks on instances no longer wanted go; on DRAINING ones, once the
 * other services' tasks there are gone.
 */
void	deploy_plan_daemon(const struct deploy_state *st,
	    struct deploy_plan *p);

/* A DAEMON service's desired count: the wanted instances that run a task
 * of the service or can take one. */
int64_t	deploy_daemon_desired(const struct deploy_state *st);

/* Steady state: every task not being stopped is the PRIMARY's, RUNNING,
 * healthy and not draining, and there are exactly desired of them. */
int	deploy_steady(const struct deploy_state *st);

#endif
