/* Shared by the files of src/events/: the hub, its sinks and streams.
 * Not for use outside src/events/. */
#ifndef ECSIM_EVENTS_INTERNAL_H
#define ECSIM_EVENTS_INTERNAL_H

#include <stdio.h>
#include <sys/queue.h>

#include "events/events.h"

struct webhook;
struct sse_client;

enum sink_kind {
	SINK_FILE,
	SINK_WEBHOOK,
};

/* A sink that never loses an event: its cursor is kept in the store. */
struct sink {
	struct events	*hub;
	enum sink_kind	 kind;
	char		*name;		/* "file:PATH", "webhook:URL": the key */
	char		*target;	/* PATH or URL */
	cJSON		*pattern;	/* NULL: every event */
	int64_t		 cursor;	/* last seq delivered or passed over */
	int64_t		 saved;		/* the cursor as the store has it */
	uint64_t	 delivered, failures, rejected;
	char		 last_error[ERR_MSG_MAX];
	FILE		*f;		/* SINK_FILE */
	struct webhook	*wh;		/* SINK_WEBHOOK */
};

struct events {
	struct event_base	*base;
	struct clock		*clk;
	struct engine		*eng;
	struct store		*st;
	struct events_options	 o;
	struct sink		**sinks;
	size_t			  nsinks, capsinks;
	TAILQ_HEAD(, sse_client)  clients;
	size_t			  nclients;
	struct event		 *poll, *prune, *keepalive;
	struct clock_timer	 *tick;
	/* Bumped by events_reset, so a delivery begun before it cannot
	 * move a cursor after it. */
	unsigned		  generation;
};

/* One event read for a consumer: its seq, detail-type and envelope text. */
struct fetched {
	int64_t	 seq;
	char	*detail_type;
	char	*text;
};
void	fetched_free(struct fetched *f, size_t n);
/*
 * Reads up to max events after after, and returns in *out those pattern
 * matches (the caller's: fetched_free); *upto is the last seq read (after
 * when none), so a cursor can pass over events the pattern refused.
 */
int	events_fetch(struct events *ev, int64_t after, size_t max,
	    const cJSON *pattern, struct fetched **out, size_t *n,
	    int64_t *upto, struct err *e);
/* Writes the sink's cursor to the store when it moved (outside any
 * transaction; otherwise later). */
void	sink_save(struct sink *s);
/* Arms the outbox poll while there is a sink or a stream, else stops it. */
void	events_poll_update(struct events *ev);
/* The newest seq, or -1 while a transaction is open (nothing to read
 * until it commits). */
int64_t	events_last(struct events *ev);

/* webhook.c */
struct webhook	*webhook_new(struct sink *s, const char *url, struct err *e);
void		 webhook_free(struct webhook *wh);
/* Sends what is waiting unless a request is out or a retry is due. */
void		 webhook_kick(struct webhook *wh);
void		 webhook_reset(struct webhook *wh);
int		 webhook_busy(const struct webhook *wh);

/* sse.c */
void	sse_pump(struct events *ev);
void	sse_keepalive(struct events *ev);
void	sse_reset(struct events *ev);
void	sse_close_all(struct events *ev);

#endif
