/* The engine's insides, shared by its files. Not for use outside
 * src/engine/. */
#ifndef ECSIM_ENGINE_INTERNAL_H
#define ECSIM_ENGINE_INTERNAL_H

#include "engine/engine.h"
#include "model/model.h"
#include "store/store.h"

struct clock_timer;

struct engine {
	struct event_base	*base;
	struct clock		*clock;
	struct store		*st;
	struct engine_config	 cfg;
	char			*region;
	char			*account;
	struct prng		 prng;		/* ids, jitter, placement ties */
	struct prng		 request_prng;	/* x-amzn-RequestId only */

	struct clock_timer	*tick;		/* the reconcile/lifecycle tick */
	int			 poked;		/* uncommitted change seen */
	int			 in_tick;
};

/* loop.c: the tick that advances task lifecycles and reconciles. */
void	engine_loop_init(struct engine *eng);
void	engine_loop_clear(struct engine *eng);
/* Arms the tick for the earliest due work (or now). */
void	engine_schedule(struct engine *eng);

#endif
