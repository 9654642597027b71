/* Shared by the API's resource files: handler type, request readers and
 * response writers. Not for use outside src/api/. */
#ifndef ECSIM_API_INTERNAL_H
#define ECSIM_API_INTERNAL_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "api/api.h"
#include "engine/engine.h"
#include "model/model.h"
#include "store/store.h"
#include "util/util.h"

/* Everything a handler needs; valid for the one request. */
struct api_ctx {
	struct engine	*eng;
	struct store	*st;
	int64_t		 now;		/* engine clock at the request */
};

/*
 * A handler reads req (a JSON object, never NULL) and fills resp (an empty
 * object it owns the contents of). It returns 0, or -1 with e set; on -1
 * the transaction is rolled back and resp discarded.
 */
typedef int (*api_fn)(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e);

/* The request body as a JSON object (empty: {}), or NULL with e set
 * (SerializationException) saying where it is not one. */
cJSON	*api_parse_body(const char *body, size_t len, struct err *e);
/* Runs fn on req in one transaction, rolled back when it fails (-1, e
 * set); *now is the engine time it ran at. */
int	api_run(struct engine *eng, api_fn fn, const cJSON *req, cJSON *resp,
	    int64_t *now, struct err *e);
/* A 200 reply with resp (taken) as its body and a request id. */
void	api_ok_reply(struct engine *eng, cJSON *resp, struct api_reply *reply);
/* The AWS-shaped error reply for e (its __type and status). */
void	api_err_reply(struct engine *eng, const struct err *e,
	    struct api_reply *reply);

/*
 * Request readers. Each returns 0 when the member is absent (and not
 * required) or valid, setting *present when given; -1 with e set naming the
 * member when it is missing but required, of the wrong JSON type
 * (SerializationException), or out of its range or enum
 * (InvalidParameterException with ECS's "1 validation error detected" text).
 */
int	api_str(const cJSON *req, const char *name, int required,
	    const char **out, struct err *e);
/* Also enforces 1..max characters (max 0: any length). */
int	api_str_len(const cJSON *req, const char *name, int required,
	    size_t max, const char **out, struct err *e);
int	api_int(const cJSON *req, const char *name, int required, int64_t min,
	    int64_t max, int64_t *out, int *present, struct err *e);
int	api_bool(const cJSON *req, const char *name, int *out, int *present,
	    struct err *e);
/* values is NULL-terminated. */
int	api_enum(const cJSON *req, const char *name, int required,
	    const char *const *values, const char **out, struct err *e);
/* Arrays and objects: *out borrowed from req (NULL when absent). */
int	api_array(const cJSON *req, const char *name, int required,
	    size_t max, const cJSON **out, struct err *e);
int	api_object(const cJSON *req, const char *name, int required,
	    const cJSON **out, struct err *e);
/* An array of strings with at most max entries. */
int	api_str_array(const cJSON *req, const char *name, int required,
	    size_t max, const cJSON **out, struct err *e);
/* Rejects any member of obj not in allowed (NULL-terminated). */
int	api_only_members(const cJSON *obj, const char *where,
	    const char *const *allowed, struct err *e);

/*
 * Pagination: nextToken is an opaque offset. api_page reads maxResults
 * (1..100, default 100) and nextToken; api_page_token writes nextToken to
 * resp when more remain after offset + limit.
 */
struct api_page {
	int64_t	offset;
	int64_t	limit;
};
int	api_page(const cJSON *req, struct api_page *p, struct err *e);
void	api_page_token(cJSON *resp, const struct api_page *p, int64_t total);

/* The request's "cluster" member (absent: default) resolved to the name of
 * an ACTIVE cluster; *name is the caller's to free. */
int	api_cluster(struct api_ctx *c, const cJSON *req, char **name,
	    struct err *e);

/* A string member, or the object itself, of element idx of the list
 * named list; errors name the path ("list[2].name"). */
int	api_item_str(const cJSON *obj, const char *list, int idx,
	    const char *name, int required, const char **out, struct err *e);
int	api_item_object(const cJSON *j, const char *list, int idx,
	    const char *const *members, struct err *e);

/*
 * A capacity provider strategy (the request member named member) checked
 * against the cluster's providers: each item names one of them once,
 * weight 0-1000, base 0-100000, at most one base; with several items some
 * weight above zero. Returns the strategy with weight and base filled in
 * (the caller's), or NULL with e set.
 */
cJSON	*api_strategy(const cJSON *strategy, const char *member,
	    const cJSON *providers, struct err *e);

/*
 * How RunTask and CreateService launch: launchType, or
 * capacityProviderStrategy, or the cluster's default strategy, or EC2.
 * A Fargate launch needs a task definition compatible with FARGATE.
 */
struct api_launch {
	enum launch_type	 type;
	cJSON			*strategy;	/* owned; NULL for launchType */
	int			 from_default;	/* the cluster's strategy */
};
int	api_launch(struct api_ctx *c, const cJSON *req, const char *cluster,
	    const cJSON *td, struct api_launch *l, struct err *e);
void	api_launch_clear(struct api_launch *l);

/*
 * placementStrategy (at most 5: random, spread instanceId|host|
 * attribute:<name>, binpack cpu|memory) and placementConstraints
 * (distinctInstance, or memberOf with an expression the cluster query
 * language parses; at most 10 with the task definition's, td may be NULL)
 * of req, checked. *strategies and *constraints are normalized copies (the
 * caller's), NULL when the member is absent. -1 with ERR_INVALID naming
 * the item otherwise (a bad expression with its position).
 */
int	api_placement_read(const cJSON *req, const cJSON *td,
	    cJSON **strategies, cJSON **constraints, struct err *e);

/* Response writers. */
cJSON	*api_time(int64_t ms);	/* epoch seconds with a millisecond fraction */
void	 api_add_time(cJSON *obj, const char *name, int64_t ms);
/* failures[] entries: {arn, reason, detail?}. */
void	 api_add_failure(cJSON *failures, const char *arn, const char *reason,
	    const char *detail);

/* Handlers, one per operation; the dispatch table in api.c names them. */
#define API_HANDLER(fn)	int fn(struct api_ctx *, const cJSON *, cJSON *, \
			    struct err *)
/* cluster.c */
API_HANDLER(api_create_cluster);
API_HANDLER(api_describe_clusters);
API_HANDLER(api_list_clusters);
API_HANDLER(api_delete_cluster);
API_HANDLER(api_update_cluster);
API_HANDLER(api_update_cluster_settings);
API_HANDLER(api_put_cluster_capacity_providers);
API_HANDLER(api_describe_capacity_providers);
/* tag.c */
API_HANDLER(api_tag_resource);
API_HANDLER(api_untag_resource);
API_HANDLER(api_list_tags_for_resource);
/* taskdef.c */
API_HANDLER(api_register_task_definition);
API_HANDLER(api_describe_task_definition);
API_HANDLER(api_list_task_definitions);
API_HANDLER(api_list_task_definition_families);
API_HANDLER(api_deregister_task_definition);
API_HANDLER(api_delete_task_definitions);
/* instance.c */
API_HANDLER(api_register_container_instance);
API_HANDLER(api_deregister_container_instance);
API_HANDLER(api_describe_container_instances);
API_HANDLER(api_list_container_instances);
API_HANDLER(api_update_container_instances_state);
/* attribute.c */
API_HANDLER(api_put_attributes);
API_HANDLER(api_list_attributes);
API_HANDLER(api_delete_attributes);
/* service.c */
API_HANDLER(api_create_service);
API_HANDLER(api_update_service);
API_HANDLER(api_describe_services);
API_HANDLER(api_list_services);
API_HANDLER(api_delete_service);
/* task.c */
API_HANDLER(api_run_task);
API_HANDLER(api_start_task);
API_HANDLER(api_stop_task);
API_HANDLER(api_describe_tasks);
API_HANDLER(api_list_tasks);

#endif
