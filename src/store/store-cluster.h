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
 * Tags of any resource ARN, as ECS's [{"key","value"}] array. set merges
 * (a key given again is overwritten); get returns a new array (caller frees
 * with cJSON_Delete); drop deletes all of an ARN's tags.
 */
int	store_tags_set(struct store *st, const char *arn, const cJSON *tags,
	    struct err *e);
cJSON	*store_tags_get(struct store *st, const char *arn);
int	store_tags_remove(struct store *st, const char *arn, const cJSON *keys,
	    struct err *e);
int	store_tags_drop(struct store *st, const char *arn, struct err *e);
int	store_tags_count(struct store *st, const char *arn);

#endif
