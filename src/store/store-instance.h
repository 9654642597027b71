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

/*
 * One instance as DescribeContainerInstances shows it, with
 * remainingResources, runningTasksCount and pendingTasksCount computed from
 * the tasks table. NULL with e set when there is no such ARN.
 */
cJSON	*store_instance_describe(struct store *st, const char *arn,
	    int with_tags, struct err *e);

/* Bumps version and updated_at after a change (a task placed or stopped). */
int	store_instance_touch(struct store *st, const char *arn, int64_t now,
	    struct err *e);

#endif
