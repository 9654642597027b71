/* The engine: commands that change state, the task lifecycle and the
 * reconciler that drives services toward their desired state. */
#ifndef ECSIM_ENGINE_H
#define ECSIM_ENGINE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/util.h"

struct event_base;
struct clock;
struct store;
struct engine;

/* Lifecycle step durations in milliseconds of engine time. */
struct engine_timings {
	int64_t	provisioning;	/* PROVISIONING -> PENDING */
	int64_t	pending;	/* PENDING -> ACTIVATING (image pull) */
	int64_t	activating;	/* ACTIVATING -> RUNNING */
	int64_t	deactivating;	/* DEACTIVATING -> STOPPING */
	int64_t	stopping;	/* STOPPING -> DEPROVISIONING (SIGTERM to exit) */
	int64_t	deprovisioning;	/* DEPROVISIONING -> STOPPED */
	int64_t	retention;	/* how long STOPPED tasks stay describable */
	int64_t	retry;		/* service retry after a placement failure */
};

struct engine_config {
	const char		*region;
	const char		*account;
	uint64_t		 seed;
	struct engine_timings	 timings;
	/* Disconnections an hour of each agent by itself (0: none, the
	 * default; docs/faults.md). */
	double			 agent_flaps;
	/* The tick's transactions without a rollback journal, as a replay
	 * runs them (store_begin_unjournaled): a failed one breaks the
	 * store and is the engine's failure (engine_failure). */
	int			 unjournaled;
};

/* Defaults: a few seconds a step, one hour of retention. */
void	engine_config_defaults(struct engine_config *cfg);

/*
 * The engine borrows base, clock and store for its lifetime. It creates the
 * "default" cluster if it is missing. Free with engine_free().
 */
struct engine	*engine_new(struct event_base *base, struct clock *clock,
		    struct store *st, const struct engine_config *cfg,
		    struct err *e);
void		 engine_free(struct engine *eng);

struct store	*engine_store(struct engine *eng);
/* What failed in a tick that could not be undone (engine_config's
 * unjournaled), or NULL. */
const char	*engine_failure(const struct engine *eng);
struct prng	*engine_prng(struct engine *eng);
int64_t		 engine_now(const struct engine *eng);
const char	*engine_region(const struct engine *eng);
const char	*engine_account(const struct engine *eng);
/* "arn:aws:ecs:<region>:<account>:" followed by the formatted rest. */
char		*engine_arn(const struct engine *eng, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 engine_request_id(struct engine *eng, char out[40]);

/*
 * Front ends call these around each command's transaction. engine_poke
 * marks that desired state changed, so the reconciler runs once the
 * transaction commits; after a rollback the mark is dropped.
 */
void	engine_poke(struct engine *eng);
void	engine_after_commit(struct engine *eng);
void	engine_after_rollback(struct engine *eng);

/* Clears all state and re-creates the default cluster. */
int	engine_reset(struct engine *eng, struct err *e);

/*
 * Container instances. Call inside the command's transaction.
 * engine_instance_changed bumps the instance's version and appends its
 * "ECS Container Instance State Change" event.
 * engine_instance_deregistered orphans the instance's tasks (they stop and
 * services replace them elsewhere) and pokes the reconciler.
 */
int	engine_instance_changed(struct engine *eng, const char *arn,
	    struct err *e);
int	engine_instance_deregistered(struct engine *eng, const char *arn,
	    struct err *e);
/* For tests: -1 (e says where) when what the engine keeps of cluster for
 * placement differs from what the store holds. */
int	engine_view_check(struct engine *eng, const char *cluster,
	    struct err *e);


/*
 * Faults (engine/fault.c; docs/faults.md), for scenarios, chaos runs and
 * the control API. Each runs inside the caller's transaction like an API
 * command: it changes the store, appends its events and marks what the
 * reconciler must look at; -1 with e set (ERR_INVALID naming the problem,
 * ERR_CLUSTER_NOT_FOUND) changes nothing the caller commits. cluster is a
 * name or ARN (NULL: default). An instance is named by its
 * container-instance ARN, its 32-hex id, or its EC2 instance id.
 */
/* The instance a fault names, not INACTIVE: its ARN and its cluster's
 * name (both the caller's), or -1 with the fault's error. */
int	engine_fault_instance_arn(struct engine *eng, const char *cluster,
	    const char *instance, char **name, char **arn, struct err *e);
/* The agent disconnects: agentConnected false; its tasks keep running,
 * stay counted and wait (connectivity DISCONNECTED); nothing is placed
 * there. No-op when already disconnected. */
int	engine_fault_disconnect(struct engine *eng, const char *cluster,
	    const char *instance, struct err *e);
/* The same, for ms above 0: the agent comes back by itself then. A
 * disconnection for good (engine_fault_disconnect) or any other change of
 * the agent ends the wait. */
int	engine_fault_disconnect_for(struct engine *eng, const char *cluster,
	    const char *instance, int64_t ms, struct err *e);
/* The agent is back; what happened meanwhile is reported now. */
int	engine_fault_reconnect(struct engine *eng, const char *cluster,
	    const char *instance, struct err *e);
/* The EC2 instance terminates: INACTIVE, disconnected, its tasks STOPPED
 * (TerminationNotice, "Host EC2 (instance i-...) terminated."). */
int	engine_fault_terminate(struct engine *eng, const char *cluster,
	    const char *instance, struct err *e);
/* A RUNNING task's container exits with exit_code (0-255); container NULL:
 * the first essential one. task: ARN or 32-hex id. */
int	engine_fault_crash_task(struct engine *eng, const char *cluster,
	    const char *task, const char *container, int exit_code,
	    struct err *e);
/* Behaviour override for tasks created from now on whose container image
 * is image (or starts with it, when it ends in '*'): key is an ecsim.*
 * label, value its value (as in dockerLabels), NULL to remove it. The
 * override wins over the container's own label. */
int	engine_fault_image_behaviour(struct engine *eng, const char *image,
	    const char *key, const char *value, struct err *e);
/* Every instance of the cluster in the availability zone disconnects
 * (zone_down) or reconnects (zone_up). */
int	engine_fault_zone_down(struct engine *eng, const char *cluster,
	    const char *zone, struct err *e);
int	engine_fault_zone_up(struct engine *eng, const char *cluster,
	    const char *zone, struct err *e);

/*
 * Services and tasks, for the API (inside its transaction). Rows and
 * TaskDefinition JSON are the store's (store/store.h).
 */
struct service_row;
struct task_row;
struct run_result;
cJSON	*engine_service_describe(struct engine *eng,
	    const struct service_row *s, int with_tags);
int	engine_service_create(struct engine *eng, struct service_row *s,
	    struct err *e);
/* new_deployment: the change needs one (task definition, network, ...). */
int	engine_service_update(struct engine *eng, struct service_row *s,
	    int new_deployment, struct err *e);
/* 1 when a service's configuration (its doc) changed in a member a
 * deployment carries: launch type or capacity providers, platform
 * version, network configuration, placement. */
int	engine_service_needs_deployment(const cJSON *before, const cJSON *after);
int	engine_service_delete(struct engine *eng, struct service_row *s,
	    struct err *e);
/*
 * A service's bounds as its scheduler sees them now: desired, the lower
 * bound and the healthy tasks that count toward it (engine/service.c's
 * view of each task), the upper bound and the live tasks (desired RUNNING,
 * not past RUNNING), whether a deployment is IN_PROGRESS and whether the
 * service is ACTIVE. For the scenario invariants; it changes nothing.
 */
struct engine_floor {
	int64_t	desired;
	int64_t	lower;
	int64_t	upper;
	int64_t	healthy;
	int64_t	live;
	int	deploying;
	int	active;
	int	daemon;
};
int	engine_service_floor(struct engine *eng, const char *service_arn,
	    struct engine_floor *out, struct err *e);
cJSON	*engine_task_describe(struct engine *eng, const struct task_row *t,
	    int with_tags);
int	engine_task_stop_user(struct engine *eng, struct task_row *t,
	    const char *reason, struct err *e);

/* Placing and creating tasks (RunTask, StartTask, services). */
#include "model/model.h"
struct task_spec {
	const char		*cluster;
	const cJSON		*td;		/* resolved TaskDefinition */
	enum launch_type	 launch_type;
	/* Fargate: the capacity provider strategy ([] or NULL for the
	 * FARGATE launch type); each task goes to one of its providers. */
	const cJSON		*strategy;
	const char		*group;
	const char		*started_by;
	const char		*service_arn;
	const char		*deployment_id;
	const cJSON		*overrides;
	const cJSON		*network_configuration;
	const cJSON		*tags;
	/*
	 * EC2 placement, in ECS's request shape (NULL: none): the
	 * placementStrategy and placementConstraints arrays of the request
	 * or service, as api_placement_read returns them. The task
	 * definition's constraints are added by engine_run_tasks; without
	 * strategies it uses ECS's default (run_request.service_default).
	 */
	const cJSON		*placement_strategy;
	const cJSON		*placement_constraints;
	/* Filled by engine_run_tasks for each task it places (StartTask
	 * names instance_arn itself). */
	const char		*instance_arn;	/* NULL on Fargate */
	const char		*zone;
	const char		*capacity_provider;	/* or NULL */
};

struct run_request {
	struct task_spec	 spec;		/* instance_arn/zone are filled */
	int			 count;
	/* Without placement_strategy: 1 spreads over zones then instances
	 * (services), 0 is random (RunTask). */
	int			 service_default;
};
struct run_result {
	char			**arns;		/* created tasks */
	size_t			  n;
	cJSON			 *failures;	/* [{arn, reason}], owned */
	/* The last placement failure, for service events. */
	char			 *closest_id;	/* instance id or NULL */
	const char		 *phrase;	/* placement_reason_phrase */
	int			  no_instances;
};
void	run_result_clear(struct run_result *r);
/* Places and creates up to count tasks. Failing to place is not an error:
 * it is in r->failures. */
int	engine_run_tasks(struct engine *eng, const struct run_request *rq,
	    struct run_result *r, struct err *e);
/* 1 when the task definition's networkMode is awsvpc. */
int	task_is_awsvpc(const cJSON *td);

#endif
