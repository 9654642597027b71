/* Shared by the store's resource files: statement cache and column helpers.
 * Not for use outside src/store/. */
#ifndef ECSIM_STORE_INTERNAL_H
#define ECSIM_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

struct task_row;

/* The last ListTasks listing, for its later pages (store/task.c). */
struct task_listing {
	int		 valid;
	sqlite3_int64	 changes;	/* the connection's, when read */
	char		*filter;	/* which listing */
	char		**arns;
	size_t		 n, cap;
};
void	task_listing_clear(struct task_listing *l);

/*
 * Each service's live tasks as brief rows (store/brief.c), kept true by
 * the task writes and read again after the store's generation moves on.
 * briefs_lookup gives copies, in created_at, arn order, and returns 1 when
 * it has the service's; briefs_keep keeps what the database said;
 * briefs_written is told of every task row written.
 */
void	briefs_init(struct table *bs);
int	briefs_lookup(struct store *st, const char *service_arn,
	    struct task_row **rows, size_t *n);
void	briefs_keep(struct store *st, const char *service_arn,
	    const struct task_row *rows, size_t n);
void	briefs_written(struct store *st, const struct task_row *t);
void	briefs_free(struct table *bs);
/* A brief copy of src: its columns but the JSON ones (store/task.c). */
void	task_row_brief_copy(struct task_row *dst, const struct task_row *src);
/* dst, a brief copy of the same task, brought up to src: the columns
 * written once stay in dst's block. */
void	task_row_brief_update(struct task_row *dst,
	    const struct task_row *src);

/* Each instance's row as its packing reads it (store/instance.c), kept
 * until written or until the store's generation moves on. */
void	kept_instances_init(struct table *kt);
void	kept_instances_free(struct table *kt);

/* SQLite's page cache without its needless truncations (pcache.c); before
 * SQLite initializes. */
void	store_pcache_install(void);

struct store {
	sqlite3		*db;
	int		 in_tx;
	int		 memory;	/* the database is in memory */
	int		 unjournaled;	/* its journal is off */
	int		 broken;	/* see store_begin_unjournaled */
	struct stmt_slot {
		const char	*sql;	/* the literal's address is the key */
		sqlite3_stmt	*stmt;
	}		*stmts;
	size_t		 nstmts, capstmts;
	/* Told of every task written that is on an instance (the engine's
	 * placement views); see store_generation for the rest. */
	void		(*task_hook)(void *, const struct task_row *);
	void		*task_hook_arg;
	uint64_t	 generation;
	/* Events appended in the open transaction, for the event hook. */
	store_event_fn	 event_hook;
	void		*event_hook_arg;
	struct store_event *told;
	size_t		 ntold, captold;
	/* The outbox's block being built (store/event.c): records of the
	 * events first..next_seq - 1, written at commit. next_seq is 0
	 * until read from the outbox, and again after a rollback. */
	struct json_out	 pend;
	struct json_out	 packing;	/* a detail being packed */
	int64_t		 pend_first, pend_first_time, pend_last_time;
	int64_t		 next_seq;
	char		*zbuf;		/* a compressed block */
	size_t		 capzbuf;
	union LZ4_stream_u *lz;		/* its compressor's state */
	struct task_listing listing;
	struct table	 briefs;		/* struct brief_set, by service */
	struct table	 kept_instances;	/* struct kept_ci, by ARN */
	cJSON		*behaviours;		/* store_image_behaviours' */
	uint64_t	 behaviours_generation;
	int64_t		 data_version;	/* PRAGMA data_version at BEGIN */
	struct task_row	*scratch;	/* task_read_all's */
	size_t		 capscratch;
	struct sql_profile *profile;	/* ECSIM_SQL_PROFILE set */
};

/* The outbox (store/event.c): writes the block of events pending; drops
 * it (a rollback); turns the outbox of schema 8 into blocks (at open);
 * tells the event hook of the events the transaction appended, or forgets
 * them (store.c). */
int	outbox_flush(struct store *st, struct err *e);
void	outbox_forget(struct store *st);
int	outbox_upgrade(struct store *st, struct err *e);
void	store_events_tell(struct store *st, int committed);

/*
 * The cached prepared statement for sql, which must be a string literal
 * (its address is the key). Reset and cleared of bindings, ready to bind.
 */
sqlite3_stmt	*store_stmt(struct store *st, const char *sql);

/* Binds helpers: NULL text binds NULL. */
void	bind_text(sqlite3_stmt *s, int i, const char *v);
void	bind_int(sqlite3_stmt *s, int i, int64_t v);
void	bind_json(sqlite3_stmt *s, int i, const cJSON *v);

/* Steps a statement that returns no rows; resets it. */
int	store_exec_stmt(struct store *st, sqlite3_stmt *s, struct err *e);
/* Sets e from the database's last error, naming what failed. */
int	store_fail(struct store *st, struct err *e, const char *what);

/* The one integer a query answers, ?1 bound to arg unless it is NULL;
 * 0 when it answers no row or NULL. For counts and earliest times. */
int64_t	store_int_query(struct store *st, const char *sql, const char *arg);

/* Runs each of the n deletions in sql with ?1 bound to before: what a
 * resource leaves behind (tags, attributes, clocks), then its rows. */
int	store_purge_rows(struct store *st, const char *const *sql, size_t n,
	    int64_t before, struct err *e);

/*
 * SQL for the ARN of the task with ID id (an SQL expression) in cluster
 * row c (an alias of clusters): the cluster's ARN with "cluster/NAME"
 * replaced by "task/NAME/ID", as the engine makes both. Tasks have no
 * index on their ID (schema 0012).
 */
#define TASK_ARN_OF_ID(c, id) "substr(" c ".arn, 1, length(" c ".arn) - " \
	"length(" c ".name) - 8) || 'task/' || " c ".name || '/' || " id

/* Column helpers: copies (caller frees); NULL for SQL NULL. */
char	*col_dup(sqlite3_stmt *s, int i);
cJSON	*col_json(sqlite3_stmt *s, int i);
/* The tree of JSON text the store wrote (an empty object if it is not). */
cJSON	*stored_json(const char *text, size_t len);
const char *col_text(sqlite3_stmt *s, int i);

#endif
