/* Clusters and tags (store/cluster.c, store/tag.c). */
#ifndef ECSIM_STORE_CLUSTER_H
#define ECSIM_STORE_CLUSTER_H

/*
 * Resolves a cluster reference (NULL or "" means "default", a name, or a
 * cluster ARN) to the name of an ACTIVE cluster. *name is the caller's to
 * free. Fails with ERR_CLUSTER_NOT_FOUND, "Cluster not found.".
 */
int	store_cluster_resolve(struct store *st, const char *ref, char **name,
	    struct err *e);

/* Creates the cluster if it does not exist (used for "default"). */
int	store_cluster_ensure(struct store *st, const char *name,
	    const char *arn, int64_t now, struct err *e);

/*
 * One cluster row. doc holds the rest of the ECS shape: settings,
 * capacityProviders, defaultCapacityProviderStrategy and, when set,
 * configuration, serviceConnectDefaults and attachmentsStatus.
 */
struct cluster_row {
	char	*name;
	char	*arn;
	char	*status;	/* ACTIVE or INACTIVE */
	int64_t	 created_at;
	cJSON	*doc;
};
void	cluster_row_clear(struct cluster_row *r);

/* The doc of a new cluster: containerInsights disabled, no providers. */
cJSON	*store_cluster_doc_default(void);

/*
 * Finds a cluster by name or ARN whatever its status. Returns 1 and fills
 * *out (clear with cluster_row_clear), 0 when there is none, -1 on error.
 */
int	store_cluster_find(struct store *st, const char *ref,
	    struct cluster_row *out, struct err *e);

/*
 * Inserts the cluster, or replaces the row of the same name (a deleted
 * cluster's name comes back as a new cluster).
 */
int	store_cluster_put(struct store *st, const char *name, const char *arn,
	    const char *status, int64_t created_at, const cJSON *doc,
	    struct err *e);
/* Sets status and doc of an existing cluster. */
int	store_cluster_update(struct store *st, const char *name,
	    const char *status, const cJSON *doc, struct err *e);

/*
 * Appends to arns the ARNs of ACTIVE clusters, by name, from offset, at
 * most limit; *total is how many ACTIVE clusters there are.
 */
int	store_cluster_list(struct store *st, int64_t offset, int64_t limit,
	    cJSON *arns, int64_t *total, struct err *e);

/* What DescribeClusters counts, computed from the other tables. */
struct cluster_counts {
	int64_t	instances;		/* container instances ACTIVE or DRAINING */
	int64_t	running;		/* tasks lastStatus RUNNING */
	int64_t	pending;		/* PROVISIONING, PENDING, ACTIVATING */
	int64_t	active_services;	/* services ACTIVE */
	/* By launch type: [0] EC2, [1] FARGATE, [2] EXTERNAL. */
	int64_t	running_by[3];
	int64_t	pending_by[3];
	int64_t	active_services_by[3];
	int64_t	draining_services_by[3];
};
int	store_cluster_counts(struct store *st, const char *name,
	    struct cluster_counts *c, struct err *e);

/*
 * Fails with ECS's error when the cluster cannot be deleted:
 * ERR_CLUSTER_HAS_SERVICES (services ACTIVE or DRAINING),
 * ERR_CLUSTER_HAS_INSTANCES (instances not INACTIVE),
 * ERR_CLUSTER_HAS_TASKS (tasks not STOPPED).
 */
int	store_cluster_check_empty(struct store *st, const char *name,
	    struct err *e);

/*
 * 1 when a service that is not INACTIVE has provider in its
 * capacityProviderStrategy, or a task that is not STOPPED runs on it;
 * 0 when not; -1 on error.
 */
int	store_cluster_provider_in_use(struct store *st, const char *name,
	    const char *provider, struct err *e);

/*
 * Tags of any resource ARN, as ECS's [{"key","value"}] array. set merges
 * (a key given again is overwritten); get returns a new array (caller frees
 * with cJSON_Delete); drop deletes all of an ARN's tags.
 *
 * store_tags_set validates every tag first and writes nothing when one is
 * wrong: ERR_SERIALIZATION for a wrong JSON type, ERR_INVALID for a key
 * outside 1-128 characters, a value over 256, characters outside ECS's tag
 * pattern or the reserved aws: prefix, ERR_LIMIT when the resource would
 * have more than 50 tags.
 */
#define STORE_TAGS_MAX		50
#define STORE_TAG_KEY_MAX	128
#define STORE_TAG_VALUE_MAX	256
int	store_tags_set(struct store *st, const char *arn, const cJSON *tags,
	    struct err *e);
cJSON	*store_tags_get(struct store *st, const char *arn);
int	store_tags_remove(struct store *st, const char *arn, const cJSON *keys,
	    struct err *e);
int	store_tags_drop(struct store *st, const char *arn, struct err *e);
int	store_tags_count(struct store *st, const char *arn);
/* Checks one tag key (what = "tagKeys" or "tags") as store_tags_set does. */
int	store_tag_key_check(const char *key, const char *what, struct err *e);

/*
 * Whether a taggable resource exists: type is "cluster" (ACTIVE only),
 * "service" (not INACTIVE), "task", "task-definition" or
 * "container-instance" (not INACTIVE). 1 yes, 0 no, -1 error.
 */
int	store_tag_target_exists(struct store *st, const char *type,
	    const char *arn, struct err *e);

#endif
