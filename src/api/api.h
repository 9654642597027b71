/* The ECS JSON 1.1 API: one dispatch table, validation, AWS-shaped errors. */
#ifndef ECSIM_API_H
#define ECSIM_API_H

#include <stddef.h>
#include <stdint.h>

struct engine;

/* What the HTTP front end hands over and gets back for one request. */
struct api_reply {
	int	 status;	/* HTTP status */
	char	*body;		/* JSON text; caller frees */
	char	 request_id[40];
};

/*
 * Runs one ECS API request: target is the X-Amz-Target header (may be
 * NULL), body the raw request body. Always fills reply with an AWS-shaped
 * answer. The operation runs in one store transaction, rolled back on error.
 */
void	api_handle(struct engine *eng, const char *target, const char *body,
	    size_t len, struct api_reply *reply);
/*
 * The same for a caller that holds the request as a tree (the scenario
 * runner): the operation by name, through the same table and the same
 * transaction, without printing the request and parsing it back, nor the
 * reply. Returns the reply (caller frees), the AWS-shaped error object
 * when it failed, and sets *status to the HTTP status it would have had.
 */
struct cJSON	*api_call(struct engine *eng, const char *name,
		    const struct cJSON *req, int *status);

/*
 * The control API (api/control.c; docs/control-api.md): POST
 * /ecsim/faults/<name> with a JSON object body, one transaction calling an
 * engine_fault_* command. Always fills reply (errors in the API's shape;
 * an unknown name is a 404).
 */
void	api_control(struct engine *eng, const char *name, const char *body,
	    size_t len, struct api_reply *reply);

/* An AWS-shaped error reply without running anything (bad method, size). */
void	api_error_reply(struct engine *eng, int status, const char *type,
	    const char *message, struct api_reply *reply);

/* The operation table, for docs and tests: name and whether ecsim does it. */
struct api_op_info {
	const char	*name;
	int		 implemented;
};
const struct api_op_info *api_operations(size_t *n);

/*
 * Sees every request that named a known operation and had a JSON object
 * body, after it ran: op, the parsed body, the engine time it ran at, and
 * NULL when it succeeded or the error __type it failed with. Set by
 * ecsim serve --record (NULL: none); one per process.
 */
struct cJSON;
typedef void (*api_hook_fn)(void *arg, const char *op,
	    const struct cJSON *req, int64_t now, const char *error);
void	api_set_hook(api_hook_fn fn, void *arg);

#endif
