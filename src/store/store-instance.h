/* Container instances and attributes (store/instance.c, store/attribute.c). */
#ifndef ECSIM_STORE_INSTANCE_H
#define ECSIM_STORE_INSTANCE_H

/* What placement needs of one container instance. */
struct instance_row {
	char		*arn;
	char		*id;
	char		*ec2_instance_id;
	char		*status;		/* ACTIVE, DRAINING, ... */
	int		 agent_connected;
	int		 simulated;
	int64_t		 cpu, memory;		/* registered */
	cJSON		*ports, *ports_udp;	/* registered reserved ports */
	cJSON		*attributes;		/* [{name, value}], ecs.* too */
	int64_t		 registered_at;
};
void	instance_row_clear(struct instance_row *r);
void	instance_rows_free(struct instance_row *rows, size_t n);

/*
 * Every container instance of a cluster that is not INACTIVE, in
 * registration order. *rows is the caller's (instance_rows_free).
 */
int	store_instance_list(struct store *st, const char *cluster,
	    struct instance_row **rows, size_t *n, struct err *e);
/* The same without attributes (NULL), one query however many instances:
 * for readers that look only at registered resources. */
int	store_instance_rows(struct store *st, const char *cluster,
	    struct instance_row **rows, size_t *n, struct err *e);
/* One instance's row as store_instance_rows reads it (no attributes):
 * 1 when found, 0 when not, -1 on error. Clear with instance_row_clear. */
int	store_instance_row(struct store *st, const char *arn,
	    struct instance_row *out, struct err *e);

/* What the cluster query language asks of one container instance. */
struct instance_attr {
	char		*name;
	char		*value;			/* NULL: no value */
};
struct instance_facts {
	char			*arn;
	char			*ec2_instance_id;
	char			*agent_version;		/* NULL when not reported */
	int			 agent_connected;
	int64_t			 registered_at;
	int64_t			 running_tasks;		/* runningTasksCount */
	struct instance_attr	*attrs;			/* ecs.* and custom */
	size_t			 nattrs;
	char			**groups;		/* of tasks not STOPPED, each once */
	size_t			 ngroups;
};
void	instance_facts_free(struct instance_facts *rows, size_t n);
/*
 * The facts of every instance of cluster with status (NULL: every status
 * but INACTIVE), in registration order, read with one query each for the
 * instances, their attributes and their tasks, however many instances
 * there are. *rows is the caller's (instance_facts_free).
 */
int	store_instance_facts(struct store *st, const char *cluster,
	    const char *status, struct instance_facts **rows, size_t *n,
	    struct err *e);

/*
 * One instance as DescribeContainerInstances shows it, with
 * remainingResources, runningTasksCount and pendingTasksCount computed from
 * the tasks table. NULL with e set when there is no such ARN.
 */
cJSON	*store_instance_describe(struct store *st, const char *arn,
	    int with_tags, struct err *e);
/*
 * What an instance's live tasks take of it: CPU and memory summed, the
 * tasks wanted RUNNING and those not yet RUNNING counted, and each task's
 * host ports (arrays of port arrays; the caller deletes them).
 */
struct instance_usage {
	int64_t	 cpu, memory, running, pending;
	cJSON	*ports, *ports_udp;
};
/*
 * The detail of the instance's "ECS Container Instance State Change"
 * event, packed (json_pack_open and the rest, util/util.h) into the
 * store's buffer, which holds it until the next packing; with the
 * instance's attributes and its tasks' usage as the caller already holds
 * them (NULL reads them). The attributes are JSON text, the array printed,
 * and are packed as raw text: an instance's event carries a few kilobytes
 * of them, which need not be built as a tree. NULL with e set when there
 * is no such ARN.
 */
const struct json_out *store_instance_event_pack(struct store *st,
	    const char *arn, const char *attributes,
	    const struct instance_usage *usage, const char *cluster_arn,
	    const char *updated_at, struct err *e);

/* Bumps version and updated_at after a change (a task placed or stopped). */
int	store_instance_touch(struct store *st, const char *arn, int64_t now,
	    struct err *e);

/* A registration or re-registration; every field borrowed. */
struct instance_spec {
	const char	*arn;
	const char	*cluster;
	const char	*id;			/* the 32-hex id in the ARN */
	const char	*ec2_instance_id;
	int64_t		 cpu, memory;
	const cJSON	*ports, *ports_udp;	/* arrays of port numbers */
	const cJSON	*doc;			/* versionInfo, otherResources */
};

/*
 * Inserts an ACTIVE, connected, simulated instance at version 0, so the
 * engine_instance_changed that follows makes it version 1.
 */
int	store_instance_insert(struct store *st, const struct instance_spec *sp,
	    int64_t now, struct err *e);
/* Re-registration: new resources and doc, agent connected again. */
int	store_instance_update(struct store *st, const struct instance_spec *sp,
	    int64_t now, struct err *e);
/*
 * Finds the instance ref names in cluster: its ARN or its 32-hex id. *arn
 * and *status (either may be NULL) are the caller's to free. Fails with
 * ERR_RESOURCE_NOT_FOUND when there is none.
 */
int	store_instance_find(struct store *st, const char *cluster,
	    const char *ref, char **arn, char **status, struct err *e);
/* The instance of cluster, not INACTIVE, that has EC2 id ec2; *arn NULL
 * (and 0 returned) when none. */
int	store_instance_find_ec2(struct store *st, const char *cluster,
	    const char *ec2, char **arn, struct err *e);
int	store_instance_set_status(struct store *st, const char *arn,
	    const char *status, struct err *e);
/* Sets agentConnected (0 or 1). */
int	store_instance_set_connected(struct store *st, const char *arn,
	    int connected, struct err *e);
/* Instances of cluster that are not INACTIVE. */
int	store_instance_count(struct store *st, const char *cluster, int64_t *n,
	    struct err *e);
/* Tasks on arn that are not STOPPED and whose desired status is RUNNING. */
int	store_instance_busy_tasks(struct store *st, const char *arn,
	    int64_t *n, struct err *e);
/*
 * Appends to out (a JSON array) the ARNs of cluster's instances with status
 * (NULL: every status but INACTIVE), from offset, at most limit, in
 * registration order; *total counts every match.
 */
int	store_instance_arns(struct store *st, const char *cluster,
	    const char *status, int64_t offset, int64_t limit, cJSON *out,
	    int64_t *total, struct err *e);

/*
 * Attributes (store/attribute.c). target is a container instance ARN; value
 * may be NULL. Custom attributes are those outside the ecs.* and
 * com.amazonaws.ecs.* names that ECS and its agent set.
 */
int	store_attribute_is_custom(const char *name);
/*
 * ECS's rules for what is stored: a name of 1-128 letters, digits and
 * - _ . / and backslash; a value (NULL for none) of 1-128 of those and
 * @ : and space, not starting or ending with a space. -1 with ERR_INVALID
 * naming the attribute otherwise.
 */
int	store_attribute_check(const char *name, const char *value,
	    struct err *e);
int	store_attribute_put(struct store *st, const char *cluster,
	    const char *target, const char *name, const char *value,
	    struct err *e);
/* *found says whether it existed; *old_value (may be NULL) is the caller's. */
int	store_attribute_delete(struct store *st, const char *cluster,
	    const char *target, const char *name, char **old_value, int *found,
	    struct err *e);
int	store_attribute_custom_count(struct store *st, const char *cluster,
	    const char *target, int64_t *n, struct err *e);
/* [{name, value?}] of one target, in the order they were set; caller frees. */
cJSON	*store_attributes_of(struct store *st, const char *cluster,
	    const char *target);
/*
 * ListAttributes: appends {name, value?, targetId} of the cluster's
 * instances that are not INACTIVE, filtered by name and value when given,
 * from offset, at most limit; *total counts every match.
 */
int	store_attributes_list(struct store *st, const char *cluster,
	    const char *name, const char *value, int64_t offset, int64_t limit,
	    cJSON *out, int64_t *total, struct err *e);

/* Deletes instances INACTIVE since before or earlier, with their attributes
 * and tags. */
int	store_instance_purge(struct store *st, int64_t before, struct err *e);
/* The earliest updated_at of an INACTIVE instance, or 0. */
int64_t	store_instance_oldest_inactive(struct store *st);

#endif
