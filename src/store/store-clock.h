/* Clocks, agent outages and the task lookup of the metadata endpoint
 * (store/clockdrift.c). Include after store/store.h. */
#ifndef ECSIM_STORE_CLOCK_H
#define ECSIM_STORE_CLOCK_H

/* A clock as a fault last left it (the clocks table). */
struct clock_row {
	int	synchronized;
	int	has_bound;	/* else: jitter while synchronized */
	double	bound;		/* ms, at changed_at */
	int64_t	changed_at;
	double	drift;		/* ms of bound a second, not synchronized */
};

/* The clock of resource (an instance or task ARN): 1 found, 0 none (the
 * clock never changed), -1 error. */
int	store_clock_get(struct store *st, const char *resource,
	    struct clock_row *r, struct err *e);
int	store_clock_put(struct store *st, const char *resource,
	    const char *cluster, const struct clock_row *r, struct err *e);

/* Agents disconnected until a time. put replaces the instance's row. */
struct outage_row {
	char	*instance_arn;
	char	*cluster;
	int64_t	 until;
};
void	outage_rows_free(struct outage_row *rows, size_t n);
int	store_outage_put(struct store *st, const char *instance_arn,
	    const char *cluster, int64_t until, struct err *e);
int	store_outage_delete(struct store *st, const char *instance_arn,
	    struct err *e);
/* The earliest until, or 0 when no agent is out for a time. */
int64_t	store_outage_next(struct store *st);
/* Outages whose until is at or before now, in (until, arn) order. */
int	store_outage_due(struct store *st, int64_t now,
	    struct outage_row **rows, size_t *n, struct err *e);

/* The instances whose agent may disconnect by itself: connected, ACTIVE
 * or DRAINING, of every cluster, by registration (until is 0). */
int	store_agents_connected(struct store *st, struct outage_row **rows,
	    size_t *n, struct err *e);

/* The cluster (name) of the task whose 32-hex id is id: 1 found (*cluster
 * the caller's), 0 none, -1 error. */
int	store_task_cluster(struct store *st, const char *id, char **cluster,
	    struct err *e);

#endif
