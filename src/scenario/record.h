/* ecsim serve --record: the API calls a server gets, written as a
 * scenario (docs/scenarios.md, "Recording a scenario"). */
#ifndef ECSIM_SCENARIO_RECORD_H
#define ECSIM_SCENARIO_RECORD_H

#include <stdint.h>

#include "util/util.h"

struct engine;

/*
 * Writes the API calls the server gets as
 * a scenario that ecsim run replays. The cluster is the one --instances
 * filled at start, described by the options below.
 */
struct record_options {
	const char	*cluster;	/* serve's --cluster */
	long		 instances;	/* --instances */
	const char	*instance_type;
	uint64_t	 seed;
	int64_t		 step;		/* lifecycle step, ms */
	const char	*region;
	const char	*account;
};
struct recorder;

/* Opens path and writes the scenario's head; from now on every call that
 * reaches the API dispatch is written as a step as it comes. */
struct recorder	*record_start(struct engine *eng, const char *path,
		    const struct record_options *o, struct err *e);
/* Writes the final expect: section (each ACTIVE service's desiredCount
 * and taskDefinition), closes the file and frees r. 0, or -1 with e set
 * when the file could not be written. */
int		 record_finish(struct recorder *r, struct err *e);

#endif
