/* How a simulated container behaves: the ecsim.* dockerLabels that say so,
 * parsed into a plain struct, and the pure timeline functions the task
 * lifecycle asks "what happens next, and when". No I/O, no clock. */
#ifndef ECSIM_AGENT_BEHAVIOUR_H
#define ECSIM_AGENT_BEHAVIOUR_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/util.h"

/* Every label the parser knows starts with this. */
#define BEHAVIOUR_LABEL_PREFIX	"ecsim."
/* The longest duration a label may give: 30 days. */
#define BEHAVIOUR_MAX_DURATION	(30LL * 24 * 3600 * 1000)

enum behaviour_health {
	BEHAVIOUR_HEALTHY,	/* every health check passes */
	BEHAVIOUR_UNHEALTHY,	/* checks fail (after health_after, if set) */
	BEHAVIOUR_FLAPPING,	/* pass for health_after, fail as long, ... */
};

/*
 * One container's behaviour. Times are milliseconds of engine time; -1
 * means "the engine's step" (the lifecycle's default). behaviour_init()
 * gives the default: pulls and starts in one step each, runs until
 * stopped, passes its health checks, exits 0 at once on SIGTERM.
 */
struct behaviour {
	int64_t			pull;		/* image pull time */
	int			pull_fails;	/* the pull ends in an error */
	int64_t			start;		/* pulled to RUNNING */
	int			exits;		/* exits by itself ... */
	int			exit_code;	/* ... with this code ... */
	int64_t			exit_after;	/* ... this long after RUNNING */
	enum behaviour_health	health;
	int64_t			health_after;	/* see enum behaviour_health */
	int			sigterm_ignored; /* killed after stopTimeout */
	int			sigterm_code;	/* exit code on SIGTERM */
};

void	behaviour_init(struct behaviour *b);

/*
 * Label parsing, separate from the model so that scenarios can fill the
 * same struct their own way. behaviour_parse_label applies one ecsim.*
 * label (key with its prefix); behaviour_parse_labels applies every
 * ecsim.* member of a dockerLabels object (others are ignored) on top of
 * what b holds. Both fail with ERR_INVALID naming the container, the label
 * and what was expected; b is then partly updated.
 */
int	behaviour_parse_label(struct behaviour *b, const char *container,
	    const char *key, const char *value, struct err *e);
int	behaviour_parse_labels(struct behaviour *b, const char *container,
	    const cJSON *labels, struct err *e);

/* Whether a health check run `since` ms after the container started
 * passes. */
int	behaviour_check_passes(const struct behaviour *b, int64_t since);

/* When a container that started at started_at exits by itself, or 0 if
 * it runs until stopped. */
int64_t	behaviour_exit_at(const struct behaviour *b, int64_t started_at);

/*
 * When a container sent SIGTERM at sigterm_at exits, and its exit code:
 * after stop_step (the engine's STOPPING step) with sigterm_code, or, when
 * it ignores SIGTERM, killed after stop_timeout with 137.
 */
int64_t	behaviour_sigterm_exit(const struct behaviour *b, int64_t sigterm_at,
	    int64_t stop_step, int64_t stop_timeout, int *code);

/*
 * Container health checks, as Docker runs them for ECS (times in ms). The
 * first check starts `interval` after the container starts and the next
 * `interval` after one ends. A passing check ends at once; a failing one
 * is a hung command, ended by `timeout`. A pass makes the container
 * HEALTHY and clears the failure count; `retries` failures in a row make
 * it UNHEALTHY. While a container has never passed, failures of checks
 * that start within `start_period` do not count.
 */
struct health_check {
	int64_t	interval, timeout, start_period;
	int	retries;
};

enum health_status {
	HEALTH_UNKNOWN,
	HEALTH_HEALTHY,
	HEALTH_UNHEALTHY,
};
/* The ECS names: UNKNOWN, HEALTHY, UNHEALTHY. */
const char	*behaviour_health_name(enum health_status h);
int		 behaviour_health_parse(const char *name);

struct health_state {
	enum health_status	status;
	int			failures;	/* in a row */
	int64_t			probe_at;	/* the next check starts */
};

void	health_state_start(struct health_state *hs,
	    const struct health_check *hc, int64_t started_at);
/*
 * Runs checks from *hs on until the status changes, and returns when it
 * does with *next the state just after; *changed is 1. When it never
 * changes, returns 0. A long run without a change stops at a checkpoint:
 * the time of its last check, *next that state and *changed 0, so that the
 * caller can store it and ask again from there.
 */
int64_t	health_next(const struct behaviour *b, const struct health_check *hc,
	    int64_t started_at, const struct health_state *hs,
	    struct health_state *next, int *changed);

/*
 * Container dependencies (dependsOn). A condition on a dependency is met,
 * still to wait for, or can never be met; a wait ends by the dependency's
 * startTimeout counted from when it started.
 */
enum dep_condition {
	DEP_START,	/* the dependency has started */
	DEP_COMPLETE,	/* it has exited, with any code */
	DEP_SUCCESS,	/* it has exited with 0 */
	DEP_HEALTHY,	/* its health check passed */
};
/* Each returns -1 for an unknown name. */
int		 behaviour_condition_parse(const char *name);
const char	*behaviour_condition_name(enum dep_condition c);

enum dep_verdict {
	DEP_WAIT,
	DEP_MET,
	DEP_NEVER,
};

/* What the model needs to know about a dependency. */
struct dep_target {
	int			started;	/* it reached RUNNING */
	int64_t			started_at;
	int			stopped;	/* it exited (or never will run) */
	int			has_exit_code;
	int			exit_code;
	enum health_status	health;
	int64_t			start_timeout;	/* ms; 0: waits for ever */
};

/*
 * The verdict at time now. On DEP_WAIT, *deadline is when the wait gives
 * up (0: only a change can end it). On DEP_NEVER, why (of size whylen)
 * says what went wrong, as "exited with code 1".
 */
enum dep_verdict behaviour_dep_verdict(enum dep_condition cond,
	    const struct dep_target *d, int64_t now, int64_t *deadline,
	    char *why, size_t whylen);

#endif
