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

#endif
