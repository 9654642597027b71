/*
 * Agents that come and go: the timer that ends disconnections made for a
 * time (a fault's duration, a flap), and, with --agent-flaps, agents that
 * disconnect by themselves for a few seconds now and then, as ECS agents do
 * (docs/faults.md). Every draw is from the engine's PRNG, made when a flap
 * happens, so a seed replays the same flaps.
 */
#include <math.h>
#include <stdlib.h>

#include "clock/clock.h"
#include "engine/internal.h"
#include "store/store-clock.h"

#define FLAP_MIN_MS	2000	/* a flap lasts 2 to 10 s */
#define FLAP_MAX_MS	10000
#define FLAP_IDLE_MS	60000	/* with no agent to flap, look again */

/* Runs what one transaction of the timer does; logs a failure. */
static int
agents_tx(struct engine *eng, const char *what,
    int (*fn)(struct engine *, void *, struct err *), void *arg)
{
	struct err	e;

	err_clear(&e);
	if (store_begin(eng->st, &e) != 0 || fn(eng, arg, &e) != 0 ||
	    store_commit(eng->st, &e) != 0) {
		store_rollback(eng->st);
		engine_after_rollback(eng);
		log_warn("%s: %s", what, e.msg);
		return -1;
	}
	engine_after_commit(eng);
	return 0;
}

static int
tx_return(struct engine *eng, void *arg, struct err *e)
{
	struct outage_row	*o = arg;

	return engine_fault_reconnect(eng, o->cluster, o->instance_arn, e);
}

static int
tx_forget(struct engine *eng, void *arg, struct err *e)
{
	struct outage_row	*o = arg;

	return store_outage_delete(eng->st, o->instance_arn, e);
}

/*
 * One flap: an agent drawn among the connected ones disconnects for a
 * drawn time; the next flap of the whole fleet is drawn from an
 * exponential law, agent_flaps an hour for each agent there is now.
 */
static int
tx_flap(struct engine *eng, void *arg, struct err *e)
{
	struct outage_row	*rows, *o;
	size_t			 n;
	int64_t			 now = engine_now(eng), ms;
	double			 mean;
	int			 ret = 0;

	(void)arg;
	if (store_agents_connected(eng->st, &rows, &n, e) != 0)
		return -1;
	if (n == 0) {
		eng->flap_at = now + FLAP_IDLE_MS;
		eng->flap_drawn = 0;
		return 0;
	}
	if (eng->flap_drawn) {
		o = &rows[prng_below(&eng->prng, n)];
		ms = FLAP_MIN_MS + (int64_t)prng_below(&eng->prng,
		    FLAP_MAX_MS - FLAP_MIN_MS + 1);
		ret = engine_agent_flap(eng, o->cluster, o->instance_arn, ms,
		    e);
	}
	mean = 3600000.0 / (eng->cfg.agent_flaps * (double)n);
	eng->flap_at = now + 1 + (int64_t)(-log(1.0 -
	    prng_double(&eng->prng)) * mean);
	eng->flap_drawn = 1;
	outage_rows_free(rows, n);
	return ret;
}

static void
agents_arm(struct engine *eng)
{
	int64_t	at = store_outage_next(eng->st);

	if (eng->cfg.agent_flaps > 0 && (at == 0 || eng->flap_at < at))
		at = eng->flap_at;
	if (at != 0)
		clock_timer_at(eng->agents, at);
	else
		clock_timer_cancel(eng->agents);
}

static void
agents_tick(void *arg)
{
	struct engine		*eng = arg;
	struct outage_row	*rows;
	struct err		 e;
	size_t			 n, i;
	int64_t			 now = engine_now(eng);

	err_clear(&e);
	if (store_outage_due(eng->st, now, &rows, &n, &e) != 0)
		log_warn("agent outages: %s", e.msg);
	else {
		/* An agent whose instance or cluster went meanwhile
		 * cannot come back: its outage is forgotten. */
		for (i = 0; i < n; i++)
			if (agents_tx(eng, "an agent coming back", tx_return,
			    &rows[i]) != 0)
				agents_tx(eng, "an agent outage", tx_forget,
				    &rows[i]);
		outage_rows_free(rows, n);
	}
	if (eng->cfg.agent_flaps > 0 && now >= eng->flap_at)
		agents_tx(eng, "an agent flapping", tx_flap, NULL);
	agents_arm(eng);
}

void
engine_agents_init(struct engine *eng)
{
	eng->agents = clock_timer_new(eng->clock, agents_tick, eng);
	/* The first tick only draws when the first flap is. */
	eng->flap_at = engine_now(eng);
	eng->flap_drawn = 0;
	if (eng->cfg.agent_flaps > 0)
		clock_timer_at(eng->agents, eng->flap_at);
	else
		agents_arm(eng);
}

void
engine_agents_clear(struct engine *eng)
{
	clock_timer_free(eng->agents);
	eng->agents = NULL;
}

void
engine_agents_wake(struct engine *eng, int64_t at)
{
	if (!clock_timer_armed(eng->agents) ||
	    clock_timer_due(eng->agents) > at)
		clock_timer_at(eng->agents, at);
}
