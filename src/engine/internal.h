/* The engine's insides, shared by its files. Not for use outside
 * src/engine/. */
#ifndef ECSIM_ENGINE_INTERNAL_H
#define ECSIM_ENGINE_INTERNAL_H

#include "engine/engine.h"
#include "model/model.h"
#include "store/store.h"

struct clock_timer;

struct engine {
	struct event_base	*base;
	struct clock		*clock;
	struct store		*st;
	struct engine_config	 cfg;
	char			*region;
	char			*account;
	char			*arn_prefix;	/* arn:aws:ecs:REGION:ACCOUNT: */
	struct json_out		 packing;	/* an event's detail */
	struct prng		 prng;		/* ids, jitter, placement ties */
	struct prng		 request_prng;	/* x-amzn-RequestId only */
	struct engine_view	*views;		/* view.c: one a cluster */
	size_t			 nviews;

	struct clock_timer	*tick;		/* the reconcile/lifecycle tick */
	int			 poked;		/* uncommitted change seen */
	int			 reconcile_all;	/* a committed change: all */
	char			**marked;	/* services to reconcile */
	size_t			 nmarked, capmarked;
	/* Services to look at again at a time (a retry for capacity, a
	 * task turning healthy, a launch delay ending); at most one entry a
	 * service. */
	struct engine_wake {
		char	*arn;
		int64_t	 at;
	}			*wakes;
	size_t			 nwakes, capwakes;
	int64_t			 wake_min;	/* earliest at, 0 when none */

	/* agents.c: outages that end, agents that flap. */
	struct clock_timer	*agents;
	int64_t			 flap_at;	/* next flap, or its draw */
	int			 flap_drawn;	/* flap_at is a flap */

	char			*failure;	/* engine_failure */
};

/* loop.c: the tick that advances task lifecycles and reconciles. */
void	engine_loop_init(struct engine *eng);
void	engine_loop_clear(struct engine *eng);
/* Arms the tick for the earliest due work (or now). */
void	engine_schedule(struct engine *eng);

/* agents.c: the timer that ends agent outages and makes agents flap;
 * wake asks it to run at (or before) at. */
void	engine_agents_init(struct engine *eng);
void	engine_agents_clear(struct engine *eng);
void	engine_agents_wake(struct engine *eng, int64_t at);
/* fault.c: an agent disconnecting by itself for ms (its event's kind is
 * "flap"). */
int	engine_agent_flap(struct engine *eng, const char *cluster,
	    const char *instance, int64_t ms, struct err *e);
/* engine.c: appends an event now to the outbox (detail taken): source
 * "aws.ecs" for ECS's, "ecsim" for ecsim's own. */
int	engine_event(struct engine *eng, const char *source,
	    const char *detail_type, const char *resource, cJSON *detail,
	    struct err *e);

#endif

/* task.c: creating, stopping and advancing tasks. */
/* What a task definition (with overrides) needs from an instance. */
struct placement_need;
void	engine_task_need(const cJSON *td, const cJSON *overrides,
	    struct placement_need *need, int64_t *cpu, int64_t *memory);
/* Inserts a new task (PROVISIONING or PENDING) and its event. The new
 * task's ARN is returned in *arn (caller frees) when arn is not NULL. */
int	engine_task_create(struct engine *eng, const struct task_spec *spec,
	    char **arn, struct err *e);
/* Asks a task to stop (desiredStatus STOPPED); no-op if already asked. */
int	engine_task_stop(struct engine *eng, struct task_row *t,
	    enum task_stop_code code, const char *reason, struct err *e);
/* 1 when the task reached RUNNING (its startedAt is set), even if it
 * stopped since: a task that crashes at once after starting did. */
int	engine_task_ever_ran(const struct task_row *t);
/* Faults (fault.c): a task whose agent is disconnected is held (its
 * lifecycle waits, connectivity DISCONNECTED) until let go; a crash makes
 * a running container exit with code now (container NULL: the first
 * essential one), shown once the task steps (at once unless held); a lost
 * task (its host is gone) is STOPPED at once with code and reason. */
int	engine_task_held(const struct task_row *t);
int	engine_task_hold(struct engine *eng, struct task_row *t, int hold,
	    struct err *e);
int	engine_task_crash(struct engine *eng, struct task_row *t,
	    const char *container, int code, struct err *e);
int	engine_task_lost(struct engine *eng, struct task_row *t,
	    enum task_stop_code code, const char *reason, struct err *e);
/* Advances every task whose next step is due; marks their services. */
int	engine_tasks_advance(struct engine *eng, struct err *e);
/* The Task shape: epoch numbers (iso 0, the API) or ISO strings (events). */
cJSON	*engine_task_json(struct engine *eng, const struct task_row *t,
	    int iso, int with_tags);

/* view.c: what placement knows of each cluster, kept across reconciles
 * and read again only where the store changed. */
struct placement;
struct placement_policy;
void	engine_view_init(struct engine *eng);
void	engine_view_clear(struct engine *eng);
/*
 * Instance arn changed: with row_changed, its row is read again before the
 * next placement (a task placed or stopped changes only its loads, which
 * the view follows by the task hook). When the view's attributes and
 * loads of it are up to date, returns 1
 * with the attributes as JSON text (borrowed, printed once for as long as
 * the view keeps them) and what its tasks take, whose port arrays refer to
 * the view's (cJSON_Delete them at once); the instance's event carries
 * both. Else 0.
 */
int	engine_view_touch(struct engine *eng, const char *arn,
	    int row_changed, const char **attributes, struct instance_usage *u);
/* engine_instance_changed for a task placed on the instance or stopped
 * there: the instance's row is as it was, its tasks' usage is not. */
int	engine_instance_loaded(struct engine *eng, const char *arn,
	    struct err *e);
/* The placement view of cluster for group under pol (placement_free). */
struct placement *engine_view(struct engine *eng, const char *cluster,
	    const char *group, const struct placement_policy *pol,
	    struct err *e);

/* run.c: placement. */
/*
 * Scale-in: which k of a service's live tasks to stop first, the reverse
 * of placement by the service's strategies (spec: cluster, group,
 * placement_strategy; none means ECS's default spread over zones then
 * instances). Not-yet-running tasks go first. order[0..k) receives indexes
 * into tasks, k <= n.
 */
int	engine_scale_in_order(struct engine *eng, const struct task_spec *spec,
	    struct task_row *const *tasks, size_t n, size_t k, size_t *order,
	    struct err *e);

/* service.c: the reconciler. */
int	engine_reconcile_all(struct engine *eng, struct err *e);
int	engine_reconcile_service(struct engine *eng, const char *arn,
	    struct err *e);
/* Services to reconcile on the next tick (by ARN). */
void	engine_mark_service(struct engine *eng, const char *arn);
/* Reconcile a service at (or before) at; the earliest asked wins. */
void	engine_wake_service(struct engine *eng, const char *arn, int64_t at);
/* Marks the services whose wake is due; returns the next wake or 0. */
int64_t	engine_wakes_due(struct engine *eng, int64_t now);
void	engine_wakes_clear(struct engine *eng);

/* Helpers shared by the engine's files. engine_json_time adds time ms
 * (when set) as name, a string literal (json_add_*), in ISO 8601 or as
 * epoch seconds. */
void	engine_json_time(cJSON *obj, const char *name, int64_t ms, int iso);


/* service.c: service JSON for the API. */
cJSON	*engine_service_json(struct engine *eng, const struct service_row *s,
	    int with_tags);
/* A new deployment (PRIMARY) of the service's configuration; older ones
 * become ACTIVE. rollback_to: the circuit breaker rolls back to that
 * deployment (its reason says so), else NULL. */
int	engine_deployment_new(struct engine *eng, struct service_row *s,
	    const char *rollback_to, struct err *e);
