/* The ECS cluster query language: parses expressions such as
 * "attribute:ecs.instance-type =~ t2.* and runningTasksCount < 3" and
 * evaluates them against one container instance. Pure: no database, no
 * I/O, no clock. docs/query-language.md is the user's description. */
#ifndef ECSIM_QUERY_H
#define ECSIM_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define QUERY_MAX_LEN		2000	/* characters, ECS's limit */
#define QUERY_MAX_DEPTH		32	/* nested parentheses and nots */
#define QUERY_MAX_LIST		100	/* values in one [a, b, ...] list */
#define QUERY_REGEX_GROWTH	256	/* positions {m,n} may add to a pattern */

struct query;				/* a parsed expression, opaque */

/*
 * Parses text (at most QUERY_MAX_LEN characters). On success *out is the
 * caller's, released with query_free(). On error returns -1 with e set to
 * ERR_INVALID and a message that names the position (1-based character)
 * and what was expected there, e.g. "Invalid query expression at position
 * 22: expected an operator after 'attribute:ecs.os-type'".
 */
int	query_parse(const char *text, struct query **out, struct err *e);
void	query_free(struct query *q);

/* The expression as it was given to query_parse; belongs to q. */
const char *query_text(const struct query *q);

/* What an expression can ask about one container instance. Borrowed. */
struct query_attr {
	const char	*name;
	const char	*value;		/* NULL: an attribute without value */
};
struct query_instance {
	const char		*ec2_instance_id;
	const char		*agent_version;		/* versionInfo.agentVersion or NULL */
	int			 agent_connected;
	int64_t			 registered_at;		/* epoch milliseconds */
	int64_t			 running_tasks_count;
	const struct query_attr	*attrs;			/* ecs.* built-ins and custom */
	size_t			 nattrs;
	const char *const	*task_groups;		/* groups of its tasks that are not STOPPED */
	size_t			 ntask_groups;
};

/* 1 when the instance satisfies the expression, else 0. Pure. */
int	query_match(const struct query *q, const struct query_instance *in);

/*
 * Like query_match, and writes to buf (always NUL-terminated, truncated to
 * len) a sentence saying why, for --trace and placement messages, e.g.
 * "attribute:ecs.instance-type =~ t2.* is false: ecs.instance-type is
 * m5.large". When the result is 0 the sentence names the conditions that
 * failed; when 1, those that made it true.
 */
int	query_explain(const struct query *q, const struct query_instance *in,
	    char *buf, size_t len);

#endif
