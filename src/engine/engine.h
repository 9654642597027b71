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

#endif
