/* Services, their deployments and their events (store/service.c). */
#ifndef ECSIM_STORE_SERVICE_H
#define ECSIM_STORE_SERVICE_H

#include "model/model.h"

struct service_row {
	char	*arn;
	char	*cluster;
	char	*name;
	char	*status;		/* ACTIVE, DRAINING, INACTIVE */
	int64_t	 desired_count;
	char	*task_definition;	/* ARN */
	char	*scheduling_strategy;	/* REPLICA, DAEMON */
	int64_t	 created_at, updated_at;
	cJSON	*doc;			/* the rest of the configuration */
	/* The launch throttle: consecutive tasks that stopped before
	 * RUNNING, and when the last one did. */
	int64_t	 start_failures;
	int64_t	 last_failure_at;
};
void	service_row_clear(struct service_row *s);
void	service_rows_free(struct service_row *rows, size_t n);

struct deployment_row {
	char	*id;			/* ecs-svc/<19 digits> */
	char	*service_arn;
	int64_t	 seq;			/* creation order within the service */
	char	*status;		/* PRIMARY, ACTIVE, INACTIVE */
	char	*task_definition;
	int64_t	 desired_count;
	int64_t	 failed_tasks;
	char	*rollout_state;		/* IN_PROGRESS, COMPLETED, FAILED */
	char	*rollout_reason;
	int64_t	 created_at, updated_at;
	cJSON	*doc;			/* launchType, networkConfiguration... */
};
void	deployment_row_clear(struct deployment_row *d);
void	deployment_rows_free(struct deployment_row *rows, size_t n);

int	store_service_insert(struct store *st, const struct service_row *s,
	    struct err *e);
int	store_service_update(struct store *st, const struct service_row *s,
	    struct err *e);
/* Removes a service with its deployments and events (re-creation over an
 * INACTIVE one). */
int	store_service_delete(struct store *st, const char *arn, struct err *e);
/* By name or ARN within a cluster (NULL: any cluster, by ARN), whatever
 * its status: 1, 0 or -1. */
int	store_service_get(struct store *st, const char *cluster,
	    const char *ref, struct service_row *out, struct err *e);
/* ACTIVE and DRAINING services of every cluster. */
int	store_service_live(struct store *st, struct service_row **rows,
	    size_t *n, struct err *e);
/* ListServices: ACTIVE services of a cluster, optional filters. */
int	store_service_list(struct store *st, const char *cluster,
	    const char *launch_type, const char *scheduling_strategy,
	    int64_t offset, int64_t limit, cJSON **arns, int64_t *total,
	    struct err *e);

int	store_deployment_insert(struct store *st, const struct deployment_row *d,
	    struct err *e);
int	store_deployment_update(struct store *st, const struct deployment_row *d,
	    struct err *e);
/* A service's deployments that are not INACTIVE, newest first. */
int	store_deployment_list(struct store *st, const char *service_arn,
	    struct deployment_row **rows, size_t *n, struct err *e);
/* The newest deployment of a service with rolloutState COMPLETED. */
int	store_deployment_last_completed(struct store *st,
	    const char *service_arn, struct deployment_row *out, struct err *e);

/*
 * How a STOPPED task of a service ended, for the circuit breaker and the
 * launch throttle. Each is handed out once: store_service_outcomes lists
 * the service's STOPPED tasks not yet accounted for, oldest first, and
 * store_service_outcomes_done marks them all accounted for.
 */
struct task_outcome {
	char			*arn;
	char			*deployment_id;		/* or NULL */
	enum task_stop_code	 stop_code;
	char			*stopped_reason;	/* or NULL */
	int			 reached_running;	/* has startedAt */
};
void	task_outcomes_free(struct task_outcome *rows, size_t n);
int	store_service_outcomes(struct store *st, const char *service_arn,
	    struct task_outcome **rows, size_t *n, struct err *e);
int	store_service_outcomes_done(struct store *st, const char *service_arn,
	    struct err *e);
/* ARNs (a new array of strings, the caller's) of the service's tasks that
 * are not STOPPED and run on a DRAINING container instance. */
cJSON	*store_service_draining_tasks(struct store *st, const char *service_arn);
/* Live tasks (desired RUNNING, not STOPPED) of REPLICA services on an
 * instance. */
int64_t	store_service_replica_tasks_on(struct store *st,
	    const char *instance_arn);

/* Service events: at most SERVICE_EVENTS_MAX kept, newest first. */
#define SERVICE_EVENTS_MAX	100
int	store_service_event_add(struct store *st, const char *service_arn,
	    const char *id, int64_t at, const char *message, struct err *e);
cJSON	*store_service_events(struct store *st, const char *service_arn);
/* The newest event's message (caller frees) and time; 0 when none. */
int	store_service_event_last(struct store *st, const char *service_arn,
	    const char *prefix, char **message, int64_t *at);

#endif
