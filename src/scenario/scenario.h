/* Scenarios: a YAML file that says what happens to a cluster and what must
 * hold, replayed in virtual time by ecsim run (docs/scenarios.md). */
#ifndef ECSIM_SCENARIO_H
#define ECSIM_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

struct scenario;

/*
 * Loads and checks path. A file that is not a scenario fails with
 * ERR_INVALID and a message "PATH:LINE:COLUMN: what was expected there".
 * Free with scenario_free().
 */
struct scenario	*scenario_load(const char *path, struct err *e);
void		 scenario_free(struct scenario *sc);
/* The seed the file names (1 when it names none). */
uint64_t	 scenario_seed(const struct scenario *sc);

struct scenario_options {
	uint64_t	 seed;
	int64_t		 until;		/* virtual ms from the start; 0: none */
	FILE		*out;		/* the summary */
	FILE		*events;	/* JSON lines of every event, or NULL */
	FILE		*trace;		/* decisions and reasons, or NULL */
	int		 progress;	/* a progress line on stderr */
	const char	*replay;	/* the command that replays this run */
};

/*
 * Replays sc. Returns 0 when every expectation held, 1 when one failed or
 * an invariant broke, -1 with e set when the run could not be done.
 */
int	scenario_run(struct scenario *sc, const struct scenario_options *o,
	    struct err *e);

#endif
