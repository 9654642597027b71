/* The engine object: configuration, the PRNGs, ARNs, and the reconcile
 * trigger that front ends pull after each command. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock/clock.h"
#include "engine/internal.h"

void
engine_config_defaults(struct engine_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->region = "us-east-1";
	cfg->account = "000000000000";
	cfg->seed = 1;
	cfg->timings.provisioning = 1000;
	cfg->timings.pending = 1000;
	cfg->timings.activating = 1000;
	cfg->timings.deactivating = 1000;
	cfg->timings.stopping = 1000;
	cfg->timings.deprovisioning = 1000;
	cfg->timings.retention = 3600 * 1000;
	cfg->timings.retry = 10 * 1000;
}

static int
engine_ensure_default(struct engine *eng, struct err *e)
{
	char	*arn = engine_arn(eng, "cluster/default");
	int	 ret;

	if ((ret = store_begin(eng->st, e)) == 0) {
		ret = store_cluster_ensure(eng->st, "default", arn,
		    engine_now(eng), e);
		if (ret == 0)
			ret = store_commit(eng->st, e);
		else
			store_rollback(eng->st);
	}
	free(arn);
	return ret;
}

struct engine *
engine_new(struct event_base *base, struct clock *clock, struct store *st,
    const struct engine_config *cfg, struct err *e)
{
	struct engine	*eng = xcalloc(1, sizeof *eng);
	int64_t		 boots = 0;

	eng->base = base;
	eng->clock = clock;
	eng->st = st;
	eng->cfg = *cfg;
	eng->region = xstrdup(cfg->region);
	eng->account = xstrdup(cfg->account);
	eng->arn_prefix = xprintf("arn:aws:ecs:%s:%s:", eng->region,
	    eng->account);
	/*
	 * Ids must not repeat across restarts on one database, and a seed
	 * must replay a run: mix the seed with the database's boot count.
	 */
	if (store_begin(st, e) != 0 ||
	    store_meta_bump(st, "boots", &boots, e) != 0 ||
	    store_commit(st, e) != 0) {
		store_rollback(st);
		goto fail;
	}
	prng_seed(&eng->prng, cfg->seed ^ ((uint64_t)boots << 32));
	prng_seed(&eng->request_prng, ~cfg->seed ^ ((uint64_t)boots << 32));
	if (engine_ensure_default(eng, e) != 0)
		goto fail;
	engine_loop_init(eng);
	engine_agents_init(eng);
	return eng;
fail:
	engine_free(eng);
	return NULL;
}

void
engine_free(struct engine *eng)
{
	if (eng == NULL)
		return;
	engine_loop_clear(eng);
	engine_agents_clear(eng);
	free(eng->region);
	free(eng->account);
	free(eng->arn_prefix);
	free(eng->packing.buf);
	free(eng->failure);
	free(eng);
}

struct store *
engine_store(struct engine *eng)
{
	return eng->st;
}

const char *
engine_failure(const struct engine *eng)
{
	return eng->failure;
}

struct prng *
engine_prng(struct engine *eng)
{
	return &eng->prng;
}

int64_t
engine_now(const struct engine *eng)
{
	return clock_now(eng->clock);
}

const char *
engine_region(const struct engine *eng)
{
	return eng->region;
}

const char *
engine_account(const struct engine *eng)
{
	return eng->account;
}

char *
engine_arn(const struct engine *eng, const char *fmt, ...)
{
	va_list	 ap;
	char	*rest, *arn;

	va_start(ap, fmt);
	rest = xvprintf(fmt, ap);
	va_end(ap);
	arn = str_join((const char *const[]){ eng->arn_prefix, rest }, 2, "");
	free(rest);
	return arn;
}

void
engine_request_id(struct engine *eng, char out[40])
{
	id_uuid(&eng->request_prng, out);
}

int
engine_event(struct engine *eng, const char *source, const char *detail_type,
    const char *resource, cJSON *detail, struct err *e)
{
	return store_event_append(eng->st, engine_now(eng), source,
	    detail_type, resource, detail, e);
}

int
engine_reset(struct engine *eng, struct err *e)
{
	if (store_begin(eng->st, e) != 0)
		return -1;
	if (store_reset(eng->st, e) != 0) {
		store_rollback(eng->st);
		return -1;
	}
	if (store_commit(eng->st, e) != 0)
		return -1;
	return engine_ensure_default(eng, e);
}
