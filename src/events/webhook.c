/* The webhook sink: POSTs each event, in order, to an http:// URL with
 * libevent's HTTP client on the server's event base, and retries with
 * backoff until the receiver takes it (at least once). */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "events/internal.h"

#define WEBHOOK_BATCH		256	/* events read from the outbox at once */
#define WEBHOOK_TIMEOUT		5	/* seconds for one POST */
#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		10000
#define SAVE_EVERY		64	/* deliveries between cursor writes */

struct webhook {
	struct sink			*sink;
	char				*host, *path;
	int				 port;
	struct evhttp_connection	*conn;
	struct event			*next;		/* retry or send next */
	int				 inflight;
	int				 broken;	/* conn to be replaced */
	int				 backoff_ms;
	unsigned			 generation;
	unsigned			 unsaved;
	/* Events read and matched, not yet delivered: q[qnext..qn). */
	struct fetched			*q;
	size_t				 qn, qnext;
	int64_t				 qupto;
};

static void	next_cb(evutil_socket_t, short, void *);

/* The parsed URL, or NULL with e set. */
static struct evhttp_uri *
parse_url(const char *url, struct err *e)
{
	struct evhttp_uri	*u;
	const char		*scheme, *host;

	if ((u = evhttp_uri_parse(url)) == NULL ||
	    (scheme = evhttp_uri_get_scheme(u)) == NULL ||
	    strcmp(scheme, "http") != 0 ||
	    (host = evhttp_uri_get_host(u)) == NULL || *host == '\0') {
		if (u != NULL)
			evhttp_uri_free(u);
		err_set(e, ERR_INVALID, "--events-webhook %s: want a URL "
		    "such as http://127.0.0.1:9000/events (http only)", url);
		return NULL;
	}
	return u;
}

int
events_webhook_check(const char *url, struct err *e)
{
	struct evhttp_uri	*u;

	if ((u = parse_url(url, e)) == NULL)
		return -1;
	evhttp_uri_free(u);
	return 0;
}

struct webhook *
webhook_new(struct sink *s, const char *url, struct err *e)
{
	struct evhttp_uri	*u;
	struct webhook		*wh;
	const char		*host, *path, *query;

	if ((u = parse_url(url, e)) == NULL)
		return NULL;
	host = evhttp_uri_get_host(u);
	wh = xcalloc(1, sizeof *wh);
	wh->sink = s;
	wh->host = xstrdup(host);
	wh->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
	path = evhttp_uri_get_path(u);
	query = evhttp_uri_get_query(u);
	wh->path = xprintf("%s%s%s", path != NULL && *path != '\0' ? path : "/",
	    query != NULL ? "?" : "", query != NULL ? query : "");
	evhttp_uri_free(u);
	wh->next = evtimer_new(s->hub->base, next_cb, wh);
	return wh;
}

void
webhook_free(struct webhook *wh)
{
	if (wh == NULL)
		return;
	/* Freeing the connection drops a request that is out without
	 * calling done_cb; the event goes again after a restart. */
	if (wh->conn != NULL)
		evhttp_connection_free(wh->conn);
	if (wh->next != NULL)
		event_free(wh->next);
	fetched_free(wh->q, wh->qn);
	free(wh->host);
	free(wh->path);
	free(wh);
}

int
webhook_busy(const struct webhook *wh)
{
	return wh->inflight || evtimer_pending(wh->next, NULL);
}

void
webhook_reset(struct webhook *wh)
{
	/* A request that is out now answers for an outbox that is gone:
	 * done_cb sees the generation changed and forgets it. */
	fetched_free(wh->q, wh->qn);
	wh->q = NULL;
	wh->qn = wh->qnext = 0;
	wh->qupto = 0;
}

static void
next_after(struct webhook *wh, int ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(wh->next, &tv);
}

static void
failed(struct webhook *wh, const char *why)
{
	struct sink	*s = wh->sink;

	s->failures++;
	snprintf(s->last_error, sizeof s->last_error, "%s", why);
	/*
	 * Backoff in wall time, from 100 ms doubling to 10 s: it paces a
	 * real receiver coming back, so --time-scale does not change it.
	 */
	wh->backoff_ms = wh->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    wh->backoff_ms * 2;
	if (wh->backoff_ms > BACKOFF_MAX_MS)
		wh->backoff_ms = BACKOFF_MAX_MS;
	log_debug("events: %s: %s; again in %d ms", s->name, why,
	    wh->backoff_ms);
	next_after(wh, wh->backoff_ms);
}

/* The event at the head of the queue is done with (taken or refused). */
static void
advance(struct webhook *wh)
{
	struct sink	*s = wh->sink;

	s->cursor = wh->q[wh->qnext++].seq;
	if (wh->qnext == wh->qn && wh->qupto > s->cursor)
		s->cursor = wh->qupto;
	if (++wh->unsaved >= SAVE_EVERY || wh->qnext == wh->qn) {
		sink_save(s);
		wh->unsaved = 0;
	}
}

static void
done_cb(struct evhttp_request *req, void *arg)
{
	struct webhook	*wh = arg;
	struct sink	*s = wh->sink;
	char		 why[ERR_MSG_MAX];
	int		 code;

	wh->inflight = 0;
	if (wh->generation != s->hub->generation) {
		wh->generation = s->hub->generation;
		next_after(wh, 0);
		return;
	}
	code = req != NULL ? evhttp_request_get_response_code(req) : 0;
	if (code >= 200 && code < 300) {
		s->delivered++;
		wh->backoff_ms = 0;
		s->last_error[0] = '\0';
		advance(wh);
		/* Not from inside the connection's own callback. */
		next_after(wh, 0);
		return;
	}
	if (code >= 400 && code < 500 && code != 408 && code != 429) {
		/* The receiver refuses this event for good: going on is
		 * the only way forward; say so. */
		log_warn("events: %s refused event %lld with HTTP %d; "
		    "skipping it", s->name, (long long)wh->q[wh->qnext].seq,
		    code);
		s->rejected++;
		wh->backoff_ms = 0;
		advance(wh);
		next_after(wh, 0);
		return;
	}
	if (code == 0) {
		snprintf(why, sizeof why, "POST to %s failed: no connection, "
		    "or no answer in %d s", s->target, WEBHOOK_TIMEOUT);
		wh->broken = 1;
	} else
		snprintf(why, sizeof why, "POST to %s answered HTTP %d",
		    s->target, code);
	failed(wh, why);
}

static void
webhook_send(struct webhook *wh)
{
	struct evhttp_request	*req;
	struct evkeyvalq	*h;
	struct fetched		*f = &wh->q[wh->qnext];
	char			 seq[32];

	if (wh->conn == NULL) {
		wh->conn = evhttp_connection_base_new(wh->sink->hub->base,
		    NULL, wh->host, (unsigned short)wh->port);
		evhttp_connection_set_timeout(wh->conn, WEBHOOK_TIMEOUT);
		evhttp_connection_set_retries(wh->conn, 0);
	}
	req = evhttp_request_new(done_cb, wh);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", wh->host);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "X-Ecsim-Event-Type", f->detail_type);
	snprintf(seq, sizeof seq, "%lld", (long long)f->seq);
	evhttp_add_header(h, "X-Ecsim-Seq", seq);
	evbuffer_add(evhttp_request_get_output_buffer(req), f->text,
	    strlen(f->text));
	wh->generation = wh->sink->hub->generation;
	if (evhttp_make_request(wh->conn, req, EVHTTP_REQ_POST,
	    wh->path) != 0) {
		/* libevent has freed req. */
		wh->broken = 1;
		failed(wh, "could not start the POST");
		return;
	}
	wh->inflight = 1;
}

/* Fills the queue; 0 when there is an event to send. */
static int
refill(struct webhook *wh)
{
	struct sink	*s = wh->sink;
	struct err	 e;
	int64_t		 last, upto;
	int		 rounds;

	if ((last = events_last(s->hub)) < 0)
		return -1;
	for (rounds = 0; rounds < 16 && s->cursor < last; rounds++) {
		fetched_free(wh->q, wh->qn);
		wh->q = NULL;
		wh->qn = wh->qnext = 0;
		if (events_fetch(s->hub, s->cursor, WEBHOOK_BATCH, s->pattern,
		    &wh->q, &wh->qn, &upto, &e) != 0) {
			snprintf(s->last_error, sizeof s->last_error, "%s",
			    e.msg);
			return -1;
		}
		wh->qupto = upto;
		if (wh->qn > 0)
			return 0;
		/* Nothing here for this sink's pattern: pass over. */
		s->cursor = upto;
	}
	sink_save(s);
	return -1;
}

void
webhook_kick(struct webhook *wh)
{
	if (webhook_busy(wh))
		return;
	if (wh->qnext == wh->qn && refill(wh) != 0)
		return;
	webhook_send(wh);
}

static void
next_cb(evutil_socket_t fd, short what, void *arg)
{
	struct webhook	*wh = arg;

	(void)fd;
	(void)what;
	if (wh->broken) {
		if (wh->conn != NULL)
			evhttp_connection_free(wh->conn);
		wh->conn = NULL;
		wh->broken = 0;
	}
	webhook_kick(wh);
}
