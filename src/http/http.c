/* The evhttp shell shared by ecsim's HTTP endpoints: the route table, the
 * limits libevent does not set by itself, and the one function that sends a
 * reply. */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <cjson/cJSON.h>

#include "api/api.h"
#include "engine/engine.h"
#include "events/events.h"
#include "http/http.h"
#include "metadata/metadata.h"

struct http_server {
	struct event_base		*base;
	struct engine			*eng;
	struct events			*events;	/* or NULL */
	struct evhttp			*http;
	struct evhttp_bound_socket	*sock;
	int				 port;
};

typedef void (*http_route_fn)(struct http_server *, struct evhttp_request *);

static void	route_api(struct http_server *, struct evhttp_request *);
static void	route_health(struct http_server *, struct evhttp_request *);
static void	route_reset(struct http_server *, struct evhttp_request *);
static void	route_events(struct http_server *, struct evhttp_request *);
static void	route_sinks(struct http_server *, struct evhttp_request *);
static void	route_control(struct http_server *, struct evhttp_request *);
static void	route_metadata(struct http_server *, struct evhttp_request *);
static void	route_task_uris(struct http_server *, struct evhttp_request *);

/* Exact paths, or prefixes ending in '*'; the method is checked by the
 * handler so a wrong one gets an AWS-shaped answer instead of libevent's
 * HTML page. */
static const struct http_route {
	const char	*path;
	http_route_fn	 fn;
} http_routes[] = {
	{ "/",			route_api },
	{ "/ecsim/health",	route_health },
	{ "/ecsim/reset",	route_reset },
	{ "/ecsim/events",	route_events },
	{ "/ecsim/sinks",	route_sinks },
	{ "/ecsim/faults/*",	route_control },
	{ "/ecsim/tasks/*",	route_task_uris },
	{ "/v4/*",		route_metadata },
};

static void
http_send(struct evhttp_request *req, int status, const char *content_type,
    const char *request_id, const char *body)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evbuffer		*out = evhttp_request_get_output_buffer(req);

	evhttp_add_header(h, "Content-Type", content_type);
	if (request_id != NULL && request_id[0] != '\0')
		evhttp_add_header(h, "x-amzn-RequestId", request_id);
	evbuffer_add(out, body, strlen(body));
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", NULL);
}

static void
http_send_api(struct evhttp_request *req, struct api_reply *r)
{
	http_send(req, r->status, "application/x-amz-json-1.1", r->request_id,
	    r->body);
	free(r->body);
}

static void
route_api(struct http_server *h, struct evhttp_request *req)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct api_reply	 r;
	size_t			 len = evbuffer_get_length(in);
	const char		*target;
	char			 msg[128];

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		api_error_reply(h->eng, 405, "UnknownOperationException",
		    "the ECS API takes POST / with an X-Amz-Target header",
		    &r);
		http_send_api(req, &r);
		return;
	}
	if (len > HTTP_MAX_BODY) {
		snprintf(msg, sizeof msg, "the request body of %zu bytes is "
		    "over the limit of %d bytes", len, HTTP_MAX_BODY);
		api_error_reply(h->eng, 413, "RequestEntityTooLargeException",
		    msg, &r);
		http_send_api(req, &r);
		return;
	}
	target = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-Amz-Target");
	api_handle(h->eng, target, (const char *)evbuffer_pullup(in, -1), len,
	    &r);
	http_send_api(req, &r);
}

static void
route_health(struct http_server *h, struct evhttp_request *req)
{
	(void)h;
	http_send(req, 200, "application/json", NULL,
	    "{\"status\":\"ok\",\"version\":\"" ECSIM_VERSION "\"}");
}

static void
route_reset(struct http_server *h, struct evhttp_request *req)
{
	struct err	 e;
	cJSON		*o;
	char		*body;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		http_send(req, 405, "application/json", NULL,
		    "{\"message\":\"POST /ecsim/reset clears all state\"}");
		return;
	}
	o = cJSON_CreateObject();
	if (engine_reset(h->eng, &e) != 0)
		cJSON_AddStringToObject(o, "message", e.msg);
	else {
		cJSON_AddStringToObject(o, "status", "reset");
		if (h->events != NULL)
			events_reset(h->events);
	}
	body = json_print(o);
	http_send(req, cJSON_GetObjectItem(o, "status") ? 200 : 500,
	    "application/json", NULL, body);
	free(body);
	cJSON_Delete(o);
}

static void
route_events(struct http_server *h, struct evhttp_request *req)
{
	if (h->events == NULL) {
		http_send(req, 404, "application/json", NULL,
		    "{\"message\":\"this server has no event stream\"}");
		return;
	}
	events_sse_open(h->events, req);
}

static void
route_sinks(struct http_server *h, struct evhttp_request *req)
{
	cJSON	*o;
	char	*body;

	if (h->events == NULL) {
		http_send(req, 404, "application/json", NULL,
		    "{\"message\":\"this server has no event sinks\"}");
		return;
	}
	o = events_status(h->events);
	body = json_print(o);
	http_send(req, 200, "application/json", NULL, body);
	free(body);
	cJSON_Delete(o);
}

/* POST /ecsim/faults/<name>: the control API. */
static void
route_control(struct http_server *h, struct evhttp_request *req)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct api_reply	 r;
	const char		*uri = evhttp_request_get_uri(req);
	char			*name;
	size_t			 len = evbuffer_get_length(in);

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		http_send(req, 405, "application/json", NULL, "{\"message\":"
		    "\"the control API takes POST /ecsim/faults/<name> with a "
		    "JSON body\"}");
		return;
	}
	if (len > HTTP_MAX_BODY) {
		http_send(req, 413, "application/json", NULL,
		    "{\"message\":\"the request body is too large\"}");
		return;
	}
	name = xstrndup(uri + strlen("/ecsim/faults/"),
	    strcspn(uri + strlen("/ecsim/faults/"), "?#"));
	api_control(h->eng, name, (const char *)evbuffer_pullup(in, -1), len,
	    &r);
	free(name);
	http_send(req, r.status, "application/json", r.request_id, r.body);
	free(r.body);
}

static void
send_metadata(struct evhttp_request *req, struct metadata_reply *r)
{
	http_send(req, r->status, r->content_type, NULL, r->body);
	free(r->body);
}

/* GET /v4/<container id>[/task|/taskWithTags|/stats|/task/stats]. */
static void
route_metadata(struct http_server *h, struct evhttp_request *req)
{
	struct metadata_reply	 r;
	const char		*uri = evhttp_request_get_uri(req);
	char			*rest;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		http_send(req, 405, "text/plain", NULL, "The task metadata "
		    "endpoint answers GET only");
		return;
	}
	rest = xstrndup(uri + strlen("/v4/"), strcspn(uri + strlen("/v4/"),
	    "?#"));
	metadata_v4(h->eng, rest, &r);
	free(rest);
	send_metadata(req, &r);
}

/* GET /ecsim/tasks/<task>: where its containers' metadata is. */
static void
route_task_uris(struct http_server *h, struct evhttp_request *req)
{
	struct metadata_reply	 r;
	const char		*uri = evhttp_request_get_uri(req), *host;
	char			*ref, *base;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		http_send(req, 405, "application/json", NULL, "{\"message\":"
		    "\"GET /ecsim/tasks/<task ARN or id>\"}");
		return;
	}
	host = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Host");
	base = host != NULL ? xprintf("http://%s", host) :
	    xprintf("http://127.0.0.1:%d", h->port);
	ref = xstrndup(uri + strlen("/ecsim/tasks/"),
	    strcspn(uri + strlen("/ecsim/tasks/"), "?#"));
	metadata_task_uris(h->eng, ref, base, &r);
	free(ref);
	free(base);
	send_metadata(req, &r);
}

static void
http_dispatch(struct evhttp_request *req, void *arg)
{
	struct http_server	*h = arg;
	struct api_reply	 r;
	const char		*uri = evhttp_request_get_uri(req), *p;
	char			*path;
	size_t			 i, n;

	n = strcspn(uri, "?#");
	path = xstrndup(uri, n);
	for (i = 0; i < sizeof http_routes / sizeof http_routes[0]; i++) {
		p = http_routes[i].path;
		if (p[strlen(p) - 1] == '*' ? strncmp(p, path,
		    strlen(p) - 1) == 0 : strcmp(p, path) == 0) {
			free(path);
			http_routes[i].fn(h, req);
			return;
		}
	}
	free(path);
	api_error_reply(h->eng, 404, "UnknownOperationException", "no such "
	    "path: the ECS API is POST /, ecsim's own endpoints are under "
	    "/ecsim/", &r);
	http_send_api(req, &r);
}

struct http_server *
http_new(struct event_base *base, struct engine *eng, const char *addr,
    int port, struct err *e)
{
	struct http_server	*h = xcalloc(1, sizeof *h);
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof ss;
	evutil_socket_t		 fd;

	h->base = base;
	h->eng = eng;
	h->http = evhttp_new(base);
	/* libevent 2.1's defaults are unlimited sizes and no timeout. Leave
	 * headroom above HTTP_MAX_BODY so route_api can answer in AWS shape. */
	evhttp_set_max_body_size(h->http, 16 * HTTP_MAX_BODY);
	evhttp_set_max_headers_size(h->http, 64 * 1024);
	evhttp_set_timeout(h->http, 60);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_default_content_type(h->http, "application/json");
	evhttp_set_gencb(h->http, http_dispatch, h);
	h->sock = evhttp_bind_socket_with_handle(h->http, addr,
	    (ev_uint16_t)port);
	if (h->sock == NULL) {
		err_set(e, ERR_CLIENT, "cannot listen on %s:%d (in use, or not "
		    "an address of this host)", addr, port);
		http_free(h);
		return NULL;
	}
	fd = evhttp_bound_socket_get_fd(h->sock);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0) {
		if (ss.ss_family == AF_INET)
			h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			h->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return h;
}

void
http_free(struct http_server *h)
{
	if (h == NULL)
		return;
	if (h->http != NULL)
		evhttp_free(h->http);
	free(h);
}

void
http_set_events(struct http_server *h, struct events *ev)
{
	h->events = ev;
}

int
http_port(const struct http_server *h)
{
	return h->port;
}
