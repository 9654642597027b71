/* The engine tick: one timer, armed for the earliest due work. A tick
 * advances due task lifecycles, reconciles the services that changed (each
 * in its own transaction) and keeps house: tasks stopped and container
 * instances deregistered over an hour ago are purged, and task definitions
 * being deleted go once nothing uses them. */
#include <stdlib.h>
#include <string.h>

#include "clock/clock.h"
#include "engine/internal.h"

/*
 * Runs fn in one transaction; on failure logs and rolls back. A replay's
 * transactions have no journal to roll back with (docs/engine.md): the
 * first failure is the engine's, which stops (the store would refuse
 * every transaction after it anyway).
 */
static void
in_tx(struct engine *eng, const char *what,
    int (*fn)(struct engine *, const char *, struct err *), const char *arg)
{
	struct err	e;

	if (eng->failure != NULL)
		return;
	err_clear(&e);
	if ((eng->cfg.unjournaled ? store_begin_unjournaled(eng->st, &e) :
	    store_begin(eng->st, &e)) != 0 || fn(eng, arg, &e) != 0 ||
	    store_commit(eng->st, &e) != 0) {
		store_rollback(eng->st);
		log_warn("%s: %s", what, e.msg);
		if (store_broken(eng->st) && eng->failure == NULL)
			eng->failure = xprintf("%s: %s", what, e.msg);
	}
}

static int
tx_advance(struct engine *eng, const char *arg, struct err *e)
{
	(void)arg;
	return engine_tasks_advance(eng, e);
}

static int
tx_purge(struct engine *eng, const char *arg, struct err *e)
{
	int64_t	before = engine_now(eng) - eng->cfg.timings.retention;

	(void)arg;
	return store_task_purge(eng->st, before, e) != 0 ||
	    store_instance_purge(eng->st, before, e) != 0 ||
	    store_taskdef_purge(eng->st, e) != 0 ? -1 : 0;
}

/* The earliest time something is due to be purged, or 0. */
static int64_t
purge_due(struct engine *eng)
{
	int64_t	a = store_task_oldest_stopped(eng->st);
	int64_t	b = store_instance_oldest_inactive(eng->st);

	if (a == 0 || (b != 0 && b < a))
		a = b;
	return a == 0 ? 0 : a + eng->cfg.timings.retention;
}

static int
tx_all(struct engine *eng, const char *arg, struct err *e)
{
	(void)arg;
	return engine_reconcile_all(eng, e);
}

static void
engine_tick(void *arg)
{
	struct engine	*eng = arg;
	int64_t		 now = engine_now(eng), due;
	char		**marked;
	size_t		 n, i;
	int		 rounds;

	if (eng->reconcile_all) {
		eng->reconcile_all = 0;
		in_tx(eng, "listing services", tx_all, NULL);
	}
	engine_wakes_due(eng, now);
	/* A reconcile can start tasks whose first step is due at once, and a
	 * step can mark a service: loop a bounded number of rounds. */
	for (rounds = 0; rounds < 8; rounds++) {
		in_tx(eng, "advancing tasks", tx_advance, NULL);
		if (eng->nmarked == 0)
			break;
		marked = eng->marked;
		n = eng->nmarked;
		eng->marked = NULL;
		eng->nmarked = eng->capmarked = 0;
		for (i = 0; i < n; i++) {
			in_tx(eng, "reconciling a service",
			    engine_reconcile_service, marked[i]);
			free(marked[i]);
		}
		free(marked);
	}
	due = purge_due(eng);
	if ((due != 0 && due <= now) || store_taskdef_deleting(eng->st) > 0)
		in_tx(eng, "purging", tx_purge, NULL);
	eng->poked = 0;
	engine_schedule(eng);
}

void
engine_loop_init(struct engine *eng)
{
	eng->tick = clock_timer_new(eng->clock, engine_tick, eng);
	engine_view_init(eng);
	/* After a restart, tasks mid-lifecycle and services pick up. */
	eng->reconcile_all = 1;
	clock_timer_at(eng->tick, engine_now(eng));
}

void
engine_loop_clear(struct engine *eng)
{
	size_t	i;

	clock_timer_free(eng->tick);
	eng->tick = NULL;
	engine_view_clear(eng);
	engine_wakes_clear(eng);
	for (i = 0; i < eng->nmarked; i++)
		free(eng->marked[i]);
	free(eng->marked);
	eng->marked = NULL;
	eng->nmarked = eng->capmarked = 0;
}

/* Arms the tick for the earliest of: due task steps, a service's wake
 * (a retry, a task turning healthy, ...), the next purge; at once when
 * services are marked. */
void
engine_schedule(struct engine *eng)
{
	int64_t	due = 0, t, now = engine_now(eng);

	if (eng->tick == NULL || eng->failure != NULL)
		return;
	if (eng->nmarked > 0 || eng->reconcile_all) {
		clock_timer_at(eng->tick, now);
		return;
	}
	if ((t = store_task_next_due(eng->st)) != 0)
		due = t;
	if (eng->wake_min != 0 && (due == 0 || eng->wake_min < due))
		due = eng->wake_min;
	if ((t = purge_due(eng)) != 0 && (due == 0 || t < due))
		due = t;
	if (due != 0)
		clock_timer_at(eng->tick, due < now ? now : due);
	else
		clock_timer_cancel(eng->tick);
}

void
engine_poke(struct engine *eng)
{
	eng->poked = 1;
}

/* A poke (capacity changed) reconciles every service; a change to one
 * service or task has marked just that service. Either way the tick is
 * re-armed, since new tasks have lifecycle steps due. */
void
engine_after_commit(struct engine *eng)
{
	if (eng->poked)
		eng->reconcile_all = 1;
	eng->poked = 0;
	engine_schedule(eng);
}

void
engine_after_rollback(struct engine *eng)
{
	size_t	i;

	eng->poked = 0;
	for (i = 0; i < eng->nmarked; i++)
		free(eng->marked[i]);
	eng->nmarked = 0;
}

/*
 * A force-deregistered instance's tasks are orphaned: ECS stops tracking
 * them, so they stop and services replace them elsewhere. Those held by a
 * disconnected agent have no agent to walk them down: STOPPED at once.
 */
int
engine_instance_deregistered(struct engine *eng, const char *arn,
    struct err *e)
{
	struct task_row	*tasks;
	size_t		 n, i;
	int		 ret = 0;

	if (store_task_on_instance(eng->st, arn, &tasks, &n, e) != 0)
		return -1;
	for (i = 0; i < n && ret == 0; i++) {
		if (engine_task_held(&tasks[i]))
			ret = engine_task_lost(eng, &tasks[i],
			    STOP_SERVICE_SCHEDULER_INITIATED,
			    "Container instance deregistered", e);
		else if (!tasks[i].desired_stopped)
			ret = engine_task_stop(eng, &tasks[i],
			    STOP_SERVICE_SCHEDULER_INITIATED,
			    "Container instance deregistered", e);
	}
	task_rows_free(tasks, n);
	engine_poke(eng);
	return ret;
}
