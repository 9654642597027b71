/* The HTTP front end: one evhttp listener, a route table, limits, replies.
 * Only this module and main use <event2/http.h>. */
#ifndef ECSIM_HTTP_H
#define ECSIM_HTTP_H

#include <stdint.h>

#include "util/util.h"

struct event_base;
struct engine;
struct http_server;
struct events;

/* Largest ECS API request body accepted; above it, an AWS-shaped 413. */
#define HTTP_MAX_BODY	(1024 * 1024)

/*
 * Listens on addr:port (port 0 picks a free one) and serves the ECS API at
 * POST / and ecsim's own endpoints under /ecsim/. Free with http_free().
 */
struct http_server	*http_new(struct event_base *base, struct engine *eng,
			    const char *addr, int port, struct err *e);
void			 http_free(struct http_server *h);
/* The events hub behind GET /ecsim/events and /ecsim/sinks (borrowed;
 * free the server first). */
void			 http_set_events(struct http_server *h,
			    struct events *ev);
/* The port actually bound. */
int			 http_port(const struct http_server *h);

#endif
