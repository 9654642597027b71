/* Shared by the scenario loader and runner. Not for use outside
 * src/scenario/. */
#ifndef ECSIM_SCENARIO_INTERNAL_H
#define ECSIM_SCENARIO_INTERNAL_H

#include <stdarg.h>

#include <cjson/cJSON.h>

#include "scenario/scenario.h"

/* One instance, or a group of count instances named name-1..name-N. */
struct sc_instances {
	char		*name;
	int64_t		 count;		/* 0: one, named name */
	char		*type;
	int64_t		 cpu, memory;	/* 0: the type's */
	char		**zones;	/* cycled over; full names */
	size_t		 nzones;
	cJSON		*attributes;	/* [{name, value}] */
};

enum sc_check_kind {
	CHECK_SERVICE,
	CHECK_TASKS,
	CHECK_INSTANCE,
	CHECK_DEPLOYMENTS,
	CHECK_EVENTS,
	CHECK_EVENT_ORDER,
	CHECK_SERVICE_EVENTS,
};

/* A condition (when:) or an expectation: what to look at and what must
 * be true of it. */
struct sc_check {
	int			 line;
	char			*text;		/* how the summary names it */
	enum sc_check_kind	 kind;
	char			*target;	/* service or instance name */
	cJSON			*want;		/* {member: value or "op value"} */
	cJSON			*order;		/* EVENT_ORDER: [match objects] */
	int64_t			 within;	/* ms; -1: at once */
};

enum sc_fault_kind {
	FAULT_DISCONNECT,
	FAULT_RECONNECT,
	FAULT_TERMINATE,
	FAULT_DRAIN,
	FAULT_PULL_FAILS,
	FAULT_CRASH,
	FAULT_ZONE_DOWN,
	FAULT_ZONE_UP,
	FAULT_HEALTH_FLAPS,	/* chaos only: ecsim.health flapping 20s */
};

struct sc_fault {
	enum sc_fault_kind	 kind;
	char			*target;	/* instance, image, zone, service */
	int64_t			 duration;	/* for: ms; 0: for good */
	int			 exit_code;	/* crash */
};

enum sc_timing {
	AT_TIME,	/* at: from the start */
	AT_AFTER,	/* after: from the previous step */
	AT_WHEN,	/* when: the condition holds (within) */
};

enum sc_action {
	ACT_CALL,
	ACT_FAULT,
	ACT_EXPECT,
	ACT_ADD_INSTANCES,
};

struct sc_step {
	int			 line;
	enum sc_timing		 timing;
	int64_t			 time;		/* at/after, ms */
	struct sc_check		*when;
	enum sc_action		 action;
	char			*op;		/* call */
	cJSON			*body;
	char			*expect_error;	/* the error __type wanted */
	struct sc_fault		 fault;
	struct sc_check		*checks;	/* expect */
	size_t			 nchecks;
	struct sc_instances	*add;		/* add_instances */
	size_t			 nadd;
};

struct scenario {
	char			*path;
	char			*name;
	char			*description;
	uint64_t		 seed;
	int64_t			 step;		/* lifecycle step, ms */
	int64_t			 settle;	/* after the last step, ms */
	int64_t			 agent_flaps;	/* an hour, each agent */
	char			*region;
	char			*cluster;
	struct sc_instances	*instances;
	size_t			 ninstances;
	cJSON			*capacity_providers;	/* [names] or NULL */
	cJSON			*taskdefs;	/* [RegisterTaskDefinition bodies] */
	int			*taskdef_lines;	/* where each is in the file */
	cJSON			*behaviours;	/* {image: {label: value}} */
	struct sc_step		*steps;
	size_t			 nsteps;
	struct sc_check		*expects;
	size_t			 nexpects;
	unsigned		 invariants_off;	/* 1 << enum sc_invariant */
};

enum sc_invariant {
	INV_ONE_INSTANCE,
	INV_RESOURCES,
	INV_PORTS,
	INV_STATUS_FORWARD,
	INV_DESIRED_STATUS,
	INV_DEPLOYMENT_BOUNDS,
	INV_DEPLOYMENT_FLOOR,
	INV_VERSIONS,
	INV_OUTBOX,
	INV_COUNT
};
extern const char *const sc_invariant_names[INV_COUNT];

/* One replay in progress (run.c). */
struct engine;
struct store_event;
struct sc_name {
	char	*name;		/* as the scenario calls it */
	char	*arn;		/* the container instance ARN */
};
struct sc_run {
	struct scenario		*sc;
	struct engine		*eng;
	struct sc_name		*names;
	size_t			 nnames;
	size_t			 nevents;	/* so far */
	int64_t			 last_seq;	/* drained */
	/* The match objects of the file's event checks, and the events so
	 * far one of them matches, with only what they look at. */
	const cJSON		**matches;
	size_t			 nmatches;
	struct store_event	*events;
	size_t			 nkept, capkept;
};

/* Whether op has a cluster member, so a step without one means the
 * scenario's cluster. */
int	 sc_takes_cluster(const char *op);
/* The ARN of the instance the scenario calls name, or NULL. */
const char *sc_instance_arn(const struct sc_run *r, const char *name);

/*
 * Evaluates c now: 1 when it holds, 0 when not, with *seen (the caller's)
 * saying what was found instead.
 */
int	sc_check_eval(struct sc_run *r, const struct sc_check *c, char **seen);
/* The match objects of every check of sc that reads events, into
 * r->matches; then whether ev is one an event check could ever count,
 * and ev's detail cut down to what they look at. */
void	sc_event_checks(struct sc_run *r);
int	sc_event_wanted(struct sc_run *r, const struct store_event *ev);
void	sc_event_trim(const struct sc_run *r, struct store_event *ev);
/* How the summary names c; the caller frees it. */
char	*sc_check_text(const struct sc_check *c);

/* For chaos.c: one fault in its own transaction (ending: its end), one
 * more instance of group g, ms as HH:MM:SS. */
int	sc_fault_apply(struct sc_run *r, const struct sc_fault *f, int ending,
	    struct err *e);
int	sc_register_instance(struct sc_run *r, const struct sc_instances *g,
	    const char *name, const char *zone, struct err *e);
void	sc_elapsed(int64_t ms, char out[32]);
/* A --trace line: the time at, prefix, then fmt. */
void	sc_vtrace(FILE *f, int64_t at, const char *prefix, const char *fmt,
	    va_list ap) __attribute__((format(printf, 4, 0)));
/*
 * Chaos, each tick of a run with o->chaos: timeline_done says the
 * timeline has run. Returns 1 while chaos goes on, 0 when it is over, with
 * *fail (the caller's) saying what did not converge, if anything.
 */
int	sc_chaos_tick(struct sc_chaos *c, struct sc_run *r, int64_t t,
	    int timeline_done, char **fail);
/* Chaos looks at each event once, in order, for the paths it shows. */
void	sc_chaos_event(struct sc_chaos *c, const struct store_event *ev);

/* Invariants (invariant.c): reads what changed since the last call. */
struct sc_inv;
struct sc_inv	*sc_inv_new(unsigned off);
void		 sc_inv_free(struct sc_inv *v);
/* Checks the new events (ev, n) and the state now: 0, or -1 with *broke
 * (the caller's) saying which invariant broke and how. */
int		 sc_inv_check(struct sc_inv *v, struct sc_run *r,
		    const struct store_event *ev, size_t n, char **broke);
/* The same in parts, so a tick's events can be checked as they come:
 * begin, the events one or more at a time, then the state they led to. */
void		 sc_inv_begin(struct sc_inv *v);
int		 sc_inv_events(struct sc_inv *v, struct sc_run *r,
		    const struct store_event *ev, size_t n, char **broke);
int		 sc_inv_state(struct sc_inv *v, struct sc_run *r,
		    char **broke);
/* The outbox ends at newest, the last event checked: none was appended
 * that the checks did not see. */
int		 sc_inv_outbox(struct sc_inv *v, int64_t newest, char **broke);

/* Adds the behaviours' labels to each container of a task definition body
 * whose image they name, unless the container sets that label itself. */
void	sc_apply_behaviours(const struct scenario *sc, cJSON *td);

#endif
