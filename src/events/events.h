/* Events leaving ecsim: the EventBridge envelope, EventBridge-style
 * patterns, and the sinks that deliver the outbox (a JSON-lines file, a
 * webhook, the server-sent-events stream), with their cursors, the outbox
 * pruning and the clock-tick events. docs/events.md says what users see. */
#ifndef ECSIM_EVENTS_H
#define ECSIM_EVENTS_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "util/util.h"

struct event_base;
struct evhttp_request;
struct clock;
struct engine;
struct store;
struct store_event;
struct events;

/*
 * The EventBridge envelope of one outbox event: version "0", an id that is
 * the same every time the event is delivered (a uuid made from its seq and
 * time, so a consumer can drop duplicates), detail-type, source, account,
 * time (ISO-8601, whole seconds), region, resources ([] when the event has
 * none) and detail (copied). The caller frees it with cJSON_Delete.
 */
cJSON	*events_envelope(const struct store_event *ev, const char *region,
	    const char *account);
/*
 * Writes the store's events after seq after that pattern matches (NULL:
 * every one) to out, a line each, as the file sink writes them, through
 * the sinks' own reading: what `ecsim events` prints. 0, or -1 with e set.
 */
int	events_print(struct store *st, const char *region,
	    const char *account, int64_t after, const cJSON *pattern,
	    FILE *out, struct err *e);

/*
 * Patterns, as EventBridge rules write them: an object whose members name
 * envelope fields (source, detail-type, resources, account, region, ...)
 * or, under "detail", nested detail fields; each member is a non-empty
 * list of allowed values (strings, numbers, booleans, null), or an object
 * that recurses. An event matches when every member matches: a scalar
 * field equal to one of the values, an array field (resources) with one
 * element equal to one of them.
 *
 * events_pattern_parse checks text and returns the pattern (the caller's,
 * cJSON_Delete), or NULL with e (ERR_INVALID) naming what is wrong.
 */
cJSON	*events_pattern_parse(const char *text, struct err *e);
/* 1 when envelope matches pattern; a NULL pattern matches everything. */
int	 events_pattern_match(const cJSON *pattern, const cJSON *envelope);

/* Defaults of struct events_options. */
#define EVENTS_KEEP		100000
#define EVENTS_KEEP_FOR		(24 * 3600 * 1000LL)

struct events_options {
	/* Outbox retention: events older than keep_for of engine time, or
	 * beyond the newest keep, are deleted unless a sink has not
	 * delivered them yet (0: no limit of that kind). */
	int64_t		 keep;
	int64_t		 keep_for;
	/* An "ecsim Clock Tick" event every tick of engine time (0: none). */
	int64_t		 tick;
	double		 time_scale;	/* reported in the tick's detail */
};
void	events_options_defaults(struct events_options *o);

/*
 * The hub behind ecsim serve: borrows base, clock and engine (and the
 * engine's store) for its lifetime. Free with events_free() after the HTTP
 * server that hands it SSE clients is freed.
 */
struct events	*events_new(struct event_base *base, struct clock *clk,
		    struct engine *eng, const struct events_options *o);
void		 events_free(struct events *ev);

/*
 * Sinks that never lose an event: each remembers in the store the last
 * event it delivered and resumes after it when serve starts again; a new
 * one starts at the oldest event the outbox holds. pattern (borrowed,
 * NULL: every event) filters. -1 with e when the file cannot be opened or
 * the URL is not http://host[:port][/path].
 */
int	events_add_file(struct events *ev, const char *path,
	    const cJSON *pattern, struct err *e);
int	events_add_webhook(struct events *ev, const char *url,
	    const cJSON *pattern, struct err *e);

/* 0 when url is one events_add_webhook takes (http://host[:port][/path]);
 * else -1 with e saying what it wants. */
int	events_webhook_check(const char *url, struct err *e);

/*
 * GET /ecsim/events: takes over req and streams the events as server-sent
 * events (id: <seq>, event: <detail-type>, data: <envelope>), from after
 * the Last-Event-ID header (or ?after=N), else from the newest event on.
 * ?pattern=<JSON> filters; a bad one is a 400 with the reason.
 */
void	events_sse_open(struct events *ev, struct evhttp_request *req);

/* The sinks' and streams' state for GET /ecsim/sinks; the caller frees
 * it with cJSON_Delete. */
cJSON	*events_status(struct events *ev);

/* The outbox was emptied (POST /ecsim/reset): every sink and stream
 * starts again from its first event. */
void	events_reset(struct events *ev);

/* Hands every sink and stream what is new now, as the wall-clock poll
 * does (events_free does it once more for the file sinks). */
void	events_flush(struct events *ev);

/* Deletes what the retention allows now, at most limit events; returns the
 * number deleted, or -1 with e. events_new runs it every second. */
int64_t	events_prune(struct events *ev, int64_t limit, struct err *e);

#endif
