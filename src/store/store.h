/* The SQLite store: the source of truth for desired and actual state. Only
 * this module includes <sqlite3.h>. Resource-family declarations live in the
 * store-*.h headers included at the end, one per family. */
#ifndef ECSIM_STORE_H
#define ECSIM_STORE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/util.h"

struct store;

/* One migration: schema/NNNN_*.sql embedded by the build. */
struct store_migration {
	const char		*name;
	const unsigned char	*sql;
};
extern const struct store_migration store_migrations[];

/*
 * Opens (creating if needed) the database at path, or ":memory:", and
 * applies the migrations it lacks. A database written by a newer ecsim is
 * refused. Close with store_close().
 */
struct store	*store_open(const char *path, struct err *e);
/* Returns -1 (and logs) if statements leaked; NULL is fine. */
int		 store_close(struct store *st);
int		 store_schema_version(struct store *st);
int		 store_schema_latest(void);

/*
 * Transactions. store_begin starts a write transaction; store_commit ends
 * it; store_rollback undoes it (and is a no-op outside one). Every engine
 * command is exactly one transaction.
 */
int	store_begin(struct store *st, struct err *e);
/*
 * A write transaction that cannot be undone, for a replay's engine ticks
 * (docs/engine.md#transactions): an in-memory database keeps no rollback
 * journal for it, the copy of every page a transaction first changes. A
 * database in a file journals it as store_begin does. When such a
 * transaction fails, store_rollback ends it but leaves its changes, and
 * the store is broken from then on: every store_begin fails, saying so.
 */
int	store_begin_unjournaled(struct store *st, struct err *e);
/* The store holds half of a change that failed unjournaled. */
int	store_broken(const struct store *st);
/*
 * Changes whenever the store changed in a way a reader keeping rows
 * cannot follow through the task hook (store_set_task_hook): attributes
 * written or deleted, a transaction rolled back (what the hook showed
 * did not happen), a reset. Such a reader reads everything again.
 */
uint64_t store_generation(const struct store *st);
int	store_commit(struct store *st, struct err *e);
void	store_rollback(struct store *st);
int	store_in_transaction(const struct store *st);

/*
 * The page cache's truncations since the process started (store/pcache.c):
 * those it handed to SQLite and those it skipped, having no page at or
 * above the limit. For tests.
 */
void	store_pcache_counts(uint64_t *done, uint64_t *skipped);

/* Deletes every resource, task and event (POST /ecsim/reset). */
int	store_reset(struct store *st, struct err *e);

/* A counter in the meta table, incremented and returned (boot count). */
int	store_meta_bump(struct store *st, const char *key, int64_t *out,
	    struct err *e);

/*
 * The event outbox. Appends one event; call inside the transaction of the
 * change it describes. The detail is taken, whatever happens: packed into
 * the outbox, then freed. store_event_append_packed does the same with a
 * detail already packed (json_pack_open and the rest, util/util.h), which
 * it copies: the way the engine writes its most frequent events, with no
 * tree to build and free.
 */
int	store_event_append(struct store *st, int64_t time, const char *source,
	    const char *detail_type, const char *resource, cJSON *detail,
	    struct err *e);
int	store_event_append_packed(struct store *st, int64_t time,
	    const char *source, const char *detail_type, const char *resource,
	    const char *packed, size_t npacked, struct err *e);
int64_t	store_event_count(struct store *st);
/* 1 when ECSIM_BENCH_NO_EVENTS is set in the environment: appends store
 * nothing, though they still number the events and tell the event hook.
 * Only to measure what the outbox costs (docs/performance.md). */
int	store_events_off(void);
/*
 * One event of the outbox. store_event_after gives its detail as a tree
 * (packed NULL); the event hook as the packed object the engine wrote
 * (detail NULL), which a scenario run reads in place (json_members_begin).
 */
struct store_event {
	int64_t	 seq, time;
	char	*source, *detail_type, *resource;
	cJSON	*detail;
	char	*packed;
	size_t	 npacked;
};
void	store_event_clear(struct store_event *ev);
void	store_events_free(struct store_event *rows, size_t n);
/*
 * Told of each event appended, in seq order, once the transaction that
 * appended it has committed (at once outside a transaction); never of one
 * a rollback undid. The hook takes the members of *ev (store_event_clear
 * frees them). This is how a scenario run reads its events: from the
 * details as the engine packed them, not read back out of the outbox.
 */
typedef void	(*store_event_fn)(void *arg, struct store_event *ev);
void	store_set_event_hook(struct store *st, store_event_fn fn, void *arg);
/* At most max events with seq above after, in seq order; *rows is the
 * caller's (store_events_free). Inside a transaction, its own events too.
 * A block that does not decompress is an error (ERR_INTERNAL). */
int	store_event_after(struct store *st, int64_t after, size_t max,
	    struct store_event **rows, size_t *n, struct err *e);
/* The lowest and highest seq the outbox holds (0 when it is empty). */
int64_t	store_event_first(struct store *st);
int64_t	store_event_last(struct store *st);
/* Event sinks' cursors (the last seq each delivered), by sink name:
 * get returns 1 when the sink has none; reset sets every one to 0. */
int	store_sink_cursor_get(struct store *st, const char *name,
	    int64_t *seq, struct err *e);
int	store_sink_cursor_set(struct store *st, const char *name, int64_t seq,
	    int64_t now, struct err *e);
int	store_sink_cursor_reset(struct store *st, struct err *e);
/*
 * Deletes the oldest events that are older than before (engine time) or
 * have seq <= upto, but only seqs below below and never the newest event;
 * at most limit at once. *deleted says how many went.
 */
struct store_prune {
	int64_t	before, upto, below, limit;
};
int	store_event_prune(struct store *st, const struct store_prune *p,
	    int64_t *deleted, struct err *e);

#include "store/store-cluster.h"
#include "store/store-taskdef.h"
#include "store/store-instance.h"
#include "store/store-service.h"
#include "store/store-task.h"

#endif
