/* Clock drift: the clock of each container instance and Fargate task, as
 * the metadata endpoint's ClockDrift shows it (docs/metadata.md). */
#ifndef ECSIM_ENGINE_CLOCKDRIFT_H
#define ECSIM_ENGINE_CLOCKDRIFT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/util.h"

struct engine;
struct clock_row;

/*
 * A synchronized clock measures every CLOCK_POLL_MS (Amazon Time Sync's
 * chrony polls every 16 s): its bound is drawn anew for each such bucket,
 * in [CLOCK_JITTER_MIN, CLOCK_JITTER_MAX) ms. A clock out of sync grows its
 * bound at CLOCK_DRIFT_DEFAULT ms a second (50 ppm, the worse end of a
 * free-running quartz clock) unless the fault gives another rate.
 */
#define CLOCK_POLL_MS		16000
#define CLOCK_JITTER_MIN	0.2
#define CLOCK_JITTER_MAX	0.8
#define CLOCK_DRIFT_DEFAULT	0.05
#define CLOCK_DRIFT_MAX		1000.0	/* ms a second */
#define CLOCK_BOUND_MAX		3.6e6	/* ms: an hour */

struct clock_reading {
	double	bound;		/* ClockErrorBound, ms */
	int64_t	reference;	/* ReferenceTimestamp, ms since the epoch */
	int	synchronized;	/* ClockSynchronizationStatus */
};

/*
 * What the clock of resource (an ARN), in state r (NULL: never changed by a
 * fault), shows at now. A pure function: the jitter is a hash of seed,
 * resource and the poll bucket, so reading never draws from a PRNG.
 */
void	clockdrift_read(const struct clock_row *r, uint64_t seed,
	    const char *resource, int64_t now, struct clock_reading *out);
/* {ClockErrorBound, ReferenceTimestamp, ClockSynchronizationStatus}. */
cJSON	*clockdrift_json(const struct clock_reading *c);

/* The clock of resource now (an instance ARN, or a Fargate task's ARN). */
int	engine_clock_read(struct engine *eng, const char *resource,
	    struct clock_reading *out, struct err *e);

/*
 * Clock faults, each inside the caller's transaction like every
 * engine_fault_*: the clock of a container instance (instance: ARN, id or
 * EC2 id) or of a Fargate task (task: ARN or id), exactly one of them.
 * Each appends an "ecsim Clock Drift Change" event with the new state.
 * lose: out of sync, the bound growing from what it is now at drift ms a
 * second (0: CLOCK_DRIFT_DEFAULT). restore: synchronized, jitter again.
 * bound: the bound is bound ms now; synchronized is 1 or 0, or -1 to keep
 * the status (out of sync it grows from bound). *resource (when resource
 * is not NULL) is the ARN of the clock changed, the caller's.
 */
int	engine_fault_clock_lose(struct engine *eng, const char *cluster,
	    const char *instance, const char *task, double drift,
	    char **resource, struct err *e);
int	engine_fault_clock_restore(struct engine *eng, const char *cluster,
	    const char *instance, const char *task, char **resource,
	    struct err *e);
int	engine_fault_clock_bound(struct engine *eng, const char *cluster,
	    const char *instance, const char *task, double bound,
	    int synchronized, char **resource, struct err *e);

#endif
