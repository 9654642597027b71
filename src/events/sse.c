/* GET /ecsim/events: the outbox as a server-sent-events stream, one
 * chunked reply per client, each with its own cursor and pattern. */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "events/internal.h"
#include "store/store.h"

#define SSE_BATCH	256
#define SSE_MAX_QUEUED	(1024 * 1024)	/* bytes a slow client may owe */
#define SSE_WRITE_TIMEOUT 60		/* seconds a client may not read */

struct sse_client {
	TAILQ_ENTRY(sse_client)		 entry;
	struct events			*hub;
	struct evhttp_request		*req;
	struct evhttp_connection	*conn;
	cJSON				*pattern;
	int64_t				 cursor;
};

static void
client_free(struct sse_client *c)
{
	TAILQ_REMOVE(&c->hub->clients, c, entry);
	c->hub->nclients--;
	events_poll_update(c->hub);
	cJSON_Delete(c->pattern);
	free(c);
}

/*
 * libevent calls this when the connection goes. A client that went away
 * leaves the request ours (detached from its connection): ending the
 * reply frees it. When the server is shutting down the connection still
 * holds the request and frees it itself.
 */
static void
close_cb(struct evhttp_connection *conn, void *arg)
{
	struct sse_client	*c = arg;

	(void)conn;
	if (evhttp_request_get_connection(c->req) == NULL)
		evhttp_send_reply_end(c->req);
	log_debug("events: an event stream closed");
	client_free(c);
}

static void
refuse(struct evhttp_request *req, int status, const char *msg)
{
	cJSON	*o = cJSON_CreateObject();
	char	*body;

	cJSON_AddStringToObject(o, "message", msg);
	body = json_print(o);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	evhttp_send_reply(req, status, status == 405 ? "Method Not Allowed" :
	    "Bad Request", NULL);
	free(body);
	cJSON_Delete(o);
}

static void
send_text(struct evhttp_request *req, const char *text)
{
	struct evbuffer	*b = evbuffer_new();

	evbuffer_add(b, text, strlen(text));
	evhttp_send_reply_chunk(req, b);
	evbuffer_free(b);
}

/* A seq from a header or query value: digits only. */
static int
parse_seq(const char *s, int64_t *out)
{
	char	*end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 0)
		return -1;
	*out = v;
	return 0;
}

void
events_sse_open(struct events *ev, struct evhttp_request *req)
{
	struct evkeyvalq	 q;
	struct sse_client	*c;
	struct bufferevent	*bev;
	struct timeval		 tv;
	struct err		 e;
	const char		*uri, *query, *pat, *after, *last_id;
	char			 msg[ERR_MSG_MAX + 32];
	cJSON			*pattern = NULL;
	int64_t			 cursor, newest;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		refuse(req, 405, "GET /ecsim/events streams the events");
		return;
	}
	TAILQ_INIT(&q);
	uri = evhttp_request_get_uri(req);
	query = strchr(uri, '?');
	if (query != NULL && evhttp_parse_query_str(query + 1, &q) != 0) {
		refuse(req, 400, "the query string is not key=value&...");
		return;
	}
	pat = evhttp_find_header(&q, "pattern");
	after = evhttp_find_header(&q, "after");
	last_id = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Last-Event-ID");
	newest = store_event_last(ev->st);
	cursor = newest;
	if (last_id != NULL && parse_seq(last_id, &cursor) != 0) {
		snprintf(msg, sizeof msg, "Last-Event-ID '%.80s' is not an "
		    "event id (a seq, 0 for the oldest event)", last_id);
		goto bad;
	}
	if (last_id == NULL && after != NULL && parse_seq(after, &cursor) != 0) {
		snprintf(msg, sizeof msg, "after=%.80s is not an event id (a "
		    "seq, 0 for the oldest event)", after);
		goto bad;
	}
	/* Beyond the newest: the outbox was reset since; start over. */
	if (cursor > newest)
		cursor = 0;
	if (pat != NULL && (pattern = events_pattern_parse(pat, &e)) == NULL) {
		snprintf(msg, sizeof msg, "%s", e.msg);
		goto bad;
	}
	evhttp_clear_headers(&q);

	c = xcalloc(1, sizeof *c);
	c->hub = ev;
	c->req = req;
	c->conn = evhttp_request_get_connection(req);
	c->pattern = pattern;
	c->cursor = cursor;
	TAILQ_INSERT_TAIL(&ev->clients, c, entry);
	ev->nclients++;
	events_poll_update(ev);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/event-stream");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-cache");
	evhttp_send_reply_start(req, 200, "OK");
	/* The server's 60 s timeout is for requests: a stream reads nothing,
	 * so only a client that stops taking what is written is dropped. */
	bev = evhttp_connection_get_bufferevent(c->conn);
	tv.tv_sec = SSE_WRITE_TIMEOUT;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(bev, NULL, &tv);
	evhttp_connection_set_closecb(c->conn, close_cb, c);
	/* A comment first, so the client sees the stream is open. */
	snprintf(msg, sizeof msg, ": ecsim events after %lld\n\n",
	    (long long)cursor);
	send_text(req, msg);
	log_debug("events: an event stream opened after event %lld",
	    (long long)cursor);
	sse_pump(ev);
	return;
bad:
	evhttp_clear_headers(&q);
	refuse(req, 400, msg);
}

static void
pump_one(struct sse_client *c, int64_t last)
{
	struct bufferevent	*bev = evhttp_connection_get_bufferevent(c->conn);
	struct fetched		*f;
	struct evbuffer		*b;
	struct err		 e;
	size_t			 n, i;
	int64_t			 upto;

	while (c->cursor < last && evbuffer_get_length(
	    bufferevent_get_output(bev)) < SSE_MAX_QUEUED) {
		if (events_fetch(c->hub, c->cursor, SSE_BATCH, c->pattern, &f,
		    &n, &upto, &e) != 0) {
			log_warn("events: reading the outbox for a stream: %s",
			    e.msg);
			return;
		}
		if (upto == c->cursor)
			return;
		b = evbuffer_new();
		for (i = 0; i < n; i++)
			evbuffer_add_printf(b, "id: %lld\nevent: %s\ndata: "
			    "%s\n\n", (long long)f[i].seq, f[i].detail_type,
			    f[i].text);
		fetched_free(f, n);
		if (evbuffer_get_length(b) > 0)
			evhttp_send_reply_chunk(c->req, b);
		evbuffer_free(b);
		c->cursor = upto;
	}
}

void
sse_pump(struct events *ev)
{
	struct sse_client	*c;
	int64_t			 last;

	if ((last = events_last(ev)) < 0)
		return;
	TAILQ_FOREACH(c, &ev->clients, entry)
		pump_one(c, last);
}

void
sse_keepalive(struct events *ev)
{
	struct sse_client	*c;

	/* A comment line: proxies keep the stream open, and a client that
	 * went away is found out by the write failing. */
	TAILQ_FOREACH(c, &ev->clients, entry)
		send_text(c->req, ":\n\n");
}

void
sse_reset(struct events *ev)
{
	struct sse_client	*c;

	TAILQ_FOREACH(c, &ev->clients, entry)
		c->cursor = 0;
}

void
sse_close_all(struct events *ev)
{
	struct sse_client	*c;

	/* Only streams the HTTP server has not closed yet (it frees its
	 * connections first, which runs close_cb). */
	while ((c = TAILQ_FIRST(&ev->clients)) != NULL) {
		evhttp_connection_set_closecb(c->conn, NULL, NULL);
		evhttp_send_reply_end(c->req);
		client_free(c);
	}
}
