/* The engine tick: one timer, armed for the earliest due work. Each tick
 * advances due task lifecycles and reconciles services, in transactions. */
#include <stdlib.h>

#include "clock/clock.h"
#include "engine/internal.h"

static void
engine_tick(void *arg)
{
	struct engine	*eng = arg;

	(void)eng;
}

void
engine_loop_init(struct engine *eng)
{
	eng->tick = clock_timer_new(eng->clock, engine_tick, eng);
	engine_schedule(eng);
}

void
engine_loop_clear(struct engine *eng)
{
	clock_timer_free(eng->tick);
	eng->tick = NULL;
}

void
engine_schedule(struct engine *eng)
{
	if (eng->tick != NULL)
		clock_timer_at(eng->tick, engine_now(eng));
}

void
engine_poke(struct engine *eng)
{
	eng->poked = 1;
}

void
engine_after_commit(struct engine *eng)
{
	if (eng->poked)
		engine_schedule(eng);
	eng->poked = 0;
}

void
engine_after_rollback(struct engine *eng)
{
	eng->poked = 0;
}

int
engine_instance_deregistered(struct engine *eng, const char *arn,
    struct err *e)
{
	(void)arn;
	(void)e;
	engine_poke(eng);
	return 0;
}
