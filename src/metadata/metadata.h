/* The task metadata endpoint v4 (docs/metadata.md): what a container reads
 * at $ECS_CONTAINER_METADATA_URI_V4, served by ecsim serve under /v4/. */
#ifndef ECSIM_METADATA_H
#define ECSIM_METADATA_H

struct engine;

struct metadata_reply {
	int		 status;
	const char	*content_type;
	char		*body;		/* caller frees */
};

/*
 * GET /v4/<rest>: rest is "<id>" (the container), "<id>/task",
 * "<id>/taskWithTags", "<id>/stats" or "<id>/task/stats", where <id> is
 * "<32-hex task id>-<container name>". An unknown id or path is a 404 with
 * a text reason.
 */
void	metadata_v4(struct engine *eng, const char *rest,
	    struct metadata_reply *r);

/*
 * GET /ecsim/tasks/<task ARN or id>: the metadata URI of each of the
 * task's containers under base ("http://HOST:PORT"), and the environment
 * line that makes a script find it.
 */
void	metadata_task_uris(struct engine *eng, const char *ref,
	    const char *base, struct metadata_reply *r);

#endif
