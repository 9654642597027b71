/* Tasks (store/task.c): the actual state the engine drives. */
#ifndef ECSIM_STORE_TASK_H
#define ECSIM_STORE_TASK_H

#include "model/model.h"

/* One row of the tasks table. doc holds containers[], overrides,
 * attachments, timestamps and the rest of the Task shape. */
struct task_row {
	/* arn to started_by are written once, by the insert. A row the
	 * store read or copied holds them in one allocation, block, of
	 * nblock bytes; NULL: each is its own. */
	char			*block;
	size_t			 nblock;
	char			*arn;
	char			*id;
	char			*cluster;
	char			*task_definition;	/* ARN */
	char			*instance_arn;		/* NULL on Fargate */
	char			*service_arn;
	char			*deployment_id;
	char			*group;
	char			*started_by;
	enum launch_type	 launch_type;
	enum task_status	 last_status;
	int			 desired_stopped;	/* desiredStatus STOPPED */
	char			*health;		/* HEALTHY/UNHEALTHY/UNKNOWN */
	int64_t			 cpu, memory;
	cJSON			*ports, *ports_udp;	/* host ports in use */
	int64_t			 version;
	int64_t			 created_at, updated_at;
	int64_t			 next_at;		/* 0: nothing due */
	int64_t			 stopped_at;
	enum task_stop_code	 stop_code;
	char			*stopped_reason;
	int64_t			 started_at;	/* doc's times.startedAt */
	cJSON			*doc;		/* NULL in a brief row */
	char			*doc_text;	/* a due row's doc, until parsed */
	/* What the database row holds (as read, inserted or last updated),
	 * so that an update writes desiredStatus and stopped_at, which
	 * indexes name, only when they change, and finds the row by its
	 * rowid. generation is the store's when it was so; after a rollback
	 * the row is written in full, found by its ARN. */
	struct {
		uint64_t	 generation;
		int		 desired_stopped;
		int64_t		 stopped_at;
		int64_t		 rowid;
	}			 stored;
};
void	task_row_clear(struct task_row *t);
void	task_rows_free(struct task_row *rows, size_t n);

/*
 * A task is STOPPED exactly when stopped_at is set: the engine sets it
 * when the task enters STOPPED and never otherwise (schema 0008's
 * indexes rely on it). arn, id, cluster, task_definition, instance_arn,
 * service_arn, deployment_id, group, started_by, launch_type, cpu,
 * memory and created_at are written once, by the insert.
 */
int	store_task_insert(struct store *st, struct task_row *t, struct err *e);
/* Writes every mutable column and doc back. */
int	store_task_update(struct store *st, struct task_row *t, struct err *e);
/* By ARN, or by cluster and 32-hex id. 1 found, 0 not, -1 error. */
int	store_task_get(struct store *st, const char *cluster, const char *ref,
	    struct task_row *out, struct err *e);
/*
 * Tasks with next_at <= now, in (next_at, rowid) order: tasks due at the
 * same time in the order they were made. Their docs stay text until
 * store_task_doc parses one, so that a step works on a tree it has just
 * built rather than one built a thousand rows earlier.
 */
int	store_task_due(struct store *st, int64_t now, size_t max,
	    struct task_row **rows, size_t *n, struct err *e);
/* Parses a due row's doc (doc_text); nothing for a row that has its doc. */
void	store_task_doc(struct task_row *t);
/* The earliest next_at, or 0 when nothing is due. */
int64_t	store_task_next_due(struct store *st);
/* Tasks of a service that are not STOPPED, oldest first. */
int	store_task_of_service(struct store *st, const char *service_arn,
	    struct task_row **rows, size_t *n, struct err *e);
/* The same as brief rows: no doc and no ports, for reading only or
 * filled by store_task_fill before a write. */
int	store_task_brief_of_service(struct store *st, const char *service_arn,
	    struct task_row **rows, size_t *n, struct err *e);
/* Reads the doc and ports of a brief row; no-op for a whole one. */
int	store_task_fill(struct store *st, struct task_row *t, struct err *e);
/* Tasks on an instance that are not STOPPED. */
int	store_task_on_instance(struct store *st, const char *instance_arn,
	    struct task_row **rows, size_t *n, struct err *e);
/*
 * What placement needs of a task that is not STOPPED and is on an
 * instance: what it holds there and its group.
 */
struct task_load {
	char		*arn;
	char		*instance_arn;
	char		*group;
	int64_t		 cpu, memory;
	cJSON		*ports, *ports_udp;	/* host ports in use */
	int		 desired_stopped;
	int		 pending;	/* not yet RUNNING */
};
void	task_load_clear(struct task_load *ld);
void	task_loads_free(struct task_load *rows, size_t n);
/* Every such task of a cluster, in one query, ordered by instance. */
int	store_task_loads(struct store *st, const char *cluster,
	    struct task_load **rows, size_t *n, struct err *e);
/* The same of one task by ARN, whatever its state (instance_arn NULL on
 * Fargate): 1 found, 0 not, -1 error. */
int	store_task_load(struct store *st, const char *arn,
	    struct task_load *out, struct err *e);
/*
 * fn(arg, task) is called for every task inserted or updated that is on
 * an instance, before the write (inside its transaction), so that a
 * reader keeping what instances hold can follow.
 */
void	store_set_task_hook(struct store *st,
	    void (*fn)(void *, const struct task_row *), void *arg);
/* The details of the task's "ECS Task State Change" events in the outbox,
 * oldest first, as a new array (caller frees). */
int	store_task_events(struct store *st, const char *arn, cJSON **out,
	    struct err *e);
/* Deletes STOPPED tasks whose stopped_at is at or before before. */
int	store_task_purge(struct store *st, int64_t before, struct err *e);
/* The earliest stopped_at of a STOPPED task, or 0. */
int64_t	store_task_oldest_stopped(struct store *st);

/* ListTasks filters; NULL members do not filter. */
struct task_filter {
	const char	*cluster;
	const char	*instance_arn;
	const char	*family;
	const char	*started_by;
	const char	*service_arn;
	const char	*launch_type;
	int		 stopped;	/* desiredStatus STOPPED, else RUNNING */
};
/* ARNs of matching tasks from offset (at most limit) into arns (a new
 * array), and the total that match. */
int	store_task_list(struct store *st, const struct task_filter *f,
	    int64_t offset, int64_t limit, cJSON **arns, int64_t *total,
	    struct err *e);

#endif
