/* Scenarios: a YAML file that says what happens to a cluster and what must
 * hold, replayed in virtual time by ecsim run (docs/scenarios.md). */
#ifndef ECSIM_SCENARIO_H
#define ECSIM_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

struct scenario;
struct sc_chaos;
struct engine;

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
	struct sc_chaos	*chaos;		/* faults after the timeline, or NULL */
};

/*
 * Replays sc. Returns 0 when every expectation held, 1 when one failed or
 * an invariant broke, -1 with e set when the run could not be done.
 */
int	scenario_run(struct scenario *sc, const struct scenario_options *o,
	    struct err *e);

/*
 * Chaos (chaos.c, docs/chaos.md): the scenario's cluster under random
 * faults drawn from the engine's PRNG, so a seed replays exactly.
 */
enum chaos_fault {
	CHAOS_DISCONNECT,
	CHAOS_CRASH,
	CHAOS_PULL_FAILS,
	CHAOS_HEALTH_FLAPS,
	CHAOS_TERMINATE,
	CHAOS_DRAIN,
	CHAOS_UPDATE,
	CHAOS_NFAULTS
};
extern const char *const chaos_fault_names[CHAOS_NFAULTS];

/* Engine paths the events show a run reached. */
enum chaos_path {
	CHAOS_BREAKER,		/* a deployment FAILED */
	CHAOS_ROLLBACK,		/* a circuit-breaker rollback began */
	CHAOS_THROTTLE,		/* SERVICE_TASK_START_IMPAIRED */
	CHAOS_DRAINED,		/* a service task stopped off a DRAINING host */
	CHAOS_PLACEMENT,	/* SERVICE_TASK_PLACEMENT_FAILURE */
	CHAOS_UNHEALTHY,	/* a task replaced for failed health checks */
	CHAOS_NPATHS
};
extern const char *const chaos_path_names[CHAOS_NPATHS];

struct chaos_config {
	int64_t		 duration;	/* ms of faults after the timeline */
	int64_t		 settle;	/* ms after that to converge */
	double		 rates[CHAOS_NFAULTS];	/* per hour */
	FILE		*out;		/* a failing seed's summary, or NULL */
	FILE		*events;	/* as in scenario_options */
	FILE		*trace;
	const char	*replay;	/* options the replay command repeats */
	/* Tests only: called after every tick of the chaos, to break an
	 * invariant on purpose. */
	void		(*tamper)(struct engine *, int64_t, void *);
	void		*tamper_arg;
};

/* What seeds did, added up over seeds. */
struct chaos_stats {
	uint64_t	 fired[CHAOS_NFAULTS];
	uint64_t	 reached[CHAOS_NPATHS];		/* times */
	uint64_t	 seeds_reaching[CHAOS_NPATHS];
	uint64_t	 events;
};

void	chaos_config_defaults(struct chaos_config *c);
/*
 * One seed of chaos on sc. Returns 0 when it passed, 1 when an invariant
 * broke, an expectation failed or a service did not converge, -1 with e
 * set when it could not be run. st (may be NULL) is added to.
 */
int	chaos_run_seed(struct scenario *sc, const struct chaos_config *c,
	    uint64_t seed, struct chaos_stats *st, struct err *e);
/* ecsim chaos: argv[0] is "chaos"; returns the exit status. */
int	chaos_main(int argc, char **argv);

#endif
