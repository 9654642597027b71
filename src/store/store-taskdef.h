/* Task definitions (store/taskdef.c). */
#ifndef ECSIM_STORE_TASKDEF_H
#define ECSIM_STORE_TASKDEF_H

/*
 * Resolves "family" (latest ACTIVE revision), "family:revision" or a task
 * definition ARN to the whole TaskDefinition as DescribeTaskDefinition
 * returns it (taskDefinitionArn, family, revision, status,
 * containerDefinitions, cpu, memory, networkMode, requiresCompatibilities,
 * registeredAt, ...). Caller frees with cJSON_Delete. NULL with e set
 * (ERR_CLIENT "Unable to describe task definition.") when there is none.
 */
cJSON	*store_taskdef_resolve(struct store *st, const char *ref, struct err *e);

/*
 * Splits a reference into its family (caller frees) and revision (0 when
 * the reference is a bare family). A revision that is not a positive
 * number fails with ERR_CLIENT "Invalid revision number. Number: <it>".
 */
int	store_taskdef_ref_parse(const char *ref, char **family,
	    int64_t *revision, struct err *e);

/*
 * Takes the next revision of family: 1 for a new family, else one more
 * than the last ever given, even if that one was deregistered or deleted.
 * Fails with ERR_LIMIT past 1,000,000 revisions.
 */
int	store_taskdef_next_revision(struct store *st, const char *family,
	    int64_t *revision, struct err *e);

/*
 * Stores a new ACTIVE revision. doc is the TaskDefinition without status,
 * registeredAt and deregisteredAt, which come from the columns.
 */
int	store_taskdef_insert(struct store *st, const char *arn,
	    const char *family, int64_t revision, int64_t registered_at,
	    const cJSON *doc, struct err *e);

/*
 * Moves a revision to INACTIVE (setting deregisteredAt) or to
 * DELETE_IN_PROGRESS (setting deleteRequestedAt); at is milliseconds.
 */
int	store_taskdef_set_status(struct store *st, const char *arn,
	    const char *status, int64_t at, struct err *e);

/*
 * Appends to arns (a cJSON array) the ARNs of the revisions with status,
 * of family only when family is not NULL, ordered by family then
 * revision, descending when desc.
 */
int	store_taskdef_list(struct store *st, const char *family,
	    const char *status, int desc, cJSON *arns, struct err *e);

/*
 * Appends to families the family names starting with prefix (NULL: all):
 * status "ACTIVE" those with an ACTIVE revision, "INACTIVE" those with
 * none, "ALL" every family ever registered.
 */
int	store_taskdef_families(struct store *st, const char *prefix,
	    const char *status, cJSON *families, struct err *e);

/*
 * Task size strings as ECS takes them. cpu: CPU units ("256") or vCPUs
 * ("1 vCPU", "0.5 vcpu"); memory: MiB ("512") or GB ("1 GB", "2GB").
 * Sets *out to CPU units or MiB; -1 when the string is neither.
 */
int	store_taskdef_parse_cpu(const char *s, int64_t *out);
int	store_taskdef_parse_memory(const char *s, int64_t *out);

/* 1 when cpu units and memory MiB are a Fargate task size. */
int	store_taskdef_fargate_size(int64_t cpu, int64_t memory);

/* Deletes the DELETE_IN_PROGRESS revisions nothing uses any more. */
int	store_taskdef_purge(struct store *st, struct err *e);
/* How many revisions are DELETE_IN_PROGRESS. */
int64_t	store_taskdef_deleting(struct store *st);

#endif
