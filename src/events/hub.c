/* The events hub of ecsim serve: reads the outbox for its sinks and
 * streams, writes the JSON-lines file sinks, keeps the sinks' cursors,
 * prunes the outbox and appends the clock-tick events. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock/clock.h"
#include "engine/engine.h"
#include "events/internal.h"
#include "store/store.h"

/*
 * The outbox is looked at every POLL_MS of wall time. Delivery paces real
 * consumers, so it is wall time whatever --time-scale says, and polling
 * keeps the engine unaware of sinks: appending an event stays one INSERT.
 */
#define POLL_MS		20
#define PRUNE_MS	1000
#define PRUNE_LIMIT	20000
#define FILE_BATCH	512
#define FILE_MAX	8192	/* events a file sink writes per poll */

void
events_options_defaults(struct events_options *o)
{
	o->keep = EVENTS_KEEP;
	o->keep_for = EVENTS_KEEP_FOR;
	o->tick = 60 * 1000;
	o->time_scale = 1.0;
}

void
fetched_free(struct fetched *f, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(f[i].detail_type);
		free(f[i].text);
	}
	free(f);
}

int64_t
events_last(struct events *ev)
{
	if (store_in_transaction(ev->st))
		return -1;
	return store_event_last(ev->st);
}

/* events_fetch from a store, with the envelopes' region and account. */
static int
fetch(struct store *st, const char *region, const char *account,
    int64_t after, size_t max, const cJSON *pattern, struct fetched **out,
    size_t *n, int64_t *upto, struct err *e)
{
	struct store_event	*rows;
	struct fetched		*f = NULL, *one;
	size_t			 nrows, i, cap = 0;
	cJSON			*env;

	*out = NULL;
	*n = 0;
	*upto = after;
	if (store_event_after(st, after, max, &rows, &nrows, e) != 0)
		return -1;
	for (i = 0; i < nrows; i++) {
		env = events_envelope(&rows[i], region, account);
		if (events_pattern_match(pattern, env)) {
			f = xgrow(f, *n, &cap, sizeof *f);
			one = &f[(*n)++];
			one->seq = rows[i].seq;
			one->detail_type = xstrdup(rows[i].detail_type);
			one->text = json_print(env);
		}
		cJSON_Delete(env);
		*upto = rows[i].seq;
	}
	store_events_free(rows, nrows);
	*out = f;
	return 0;
}

int
events_fetch(struct events *ev, int64_t after, size_t max,
    const cJSON *pattern, struct fetched **out, size_t *n, int64_t *upto,
    struct err *e)
{
	return fetch(ev->st, engine_region(ev->eng), engine_account(ev->eng),
	    after, max, pattern, out, n, upto, e);
}

int
events_print(struct store *st, const char *region, const char *account,
    int64_t after, const cJSON *pattern, FILE *out, struct err *e)
{
	struct fetched	*f;
	size_t		 n, i;
	int64_t		 upto;

	for (;; after = upto) {
		if (fetch(st, region, account, after, FILE_BATCH, pattern, &f,
		    &n, &upto, e) != 0)
			return -1;
		for (i = 0; i < n; i++)
			fprintf(out, "%s\n", f[i].text);
		fetched_free(f, n);
		if (upto == after)
			return 0;
	}
}

void
sink_save(struct sink *s)
{
	struct store	*st = s->hub->st;
	struct err	 e;

	if (s->cursor == s->saved || store_in_transaction(st))
		return;
	if (store_begin(st, &e) != 0 ||
	    store_sink_cursor_set(st, s->name, s->cursor,
	    engine_now(s->hub->eng), &e) != 0 || store_commit(st, &e) != 0) {
		store_rollback(st);
		log_warn("events: saving the cursor of %s: %s", s->name,
		    e.msg);
		return;
	}
	s->saved = s->cursor;
}

/* Writes what the file sink has not had yet, up to FILE_MAX events. */
static void
file_pump(struct sink *s, int64_t last)
{
	struct fetched	*f;
	struct err	 e;
	size_t		 n, i, done = 0;
	int64_t		 upto;

	while (s->cursor < last && done < FILE_MAX) {
		if (events_fetch(s->hub, s->cursor, FILE_BATCH, s->pattern, &f,
		    &n, &upto, &e) != 0) {
			snprintf(s->last_error, sizeof s->last_error, "%s",
			    e.msg);
			break;
		}
		if (upto == s->cursor)
			break;
		for (i = 0; i < n; i++)
			if (fprintf(s->f, "%s\n", f[i].text) < 0)
				break;
		fetched_free(f, n);
		if (i < n || fflush(s->f) != 0) {
			/* A full disk: try again at the next poll; the lines
			 * already out may be written twice (at least once). */
			snprintf(s->last_error, sizeof s->last_error,
			    "writing %s: %s", s->target, strerror(errno));
			s->failures++;
			clearerr(s->f);
			break;
		}
		s->delivered += n;
		s->cursor = upto;
		done += FILE_BATCH;
	}
	sink_save(s);
}

void
events_poll_update(struct events *ev)
{
	struct timeval	tv;

	/* Nobody to deliver to, no wakeups. */
	if (ev->nsinks == 0 && ev->nclients == 0)
		event_del(ev->poll);
	else if (!event_pending(ev->poll, EV_TIMEOUT, NULL)) {
		tv.tv_sec = 0;
		tv.tv_usec = POLL_MS * 1000;
		event_add(ev->poll, &tv);
	}
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	events_flush(arg);
}

void
events_flush(struct events *ev)
{
	struct sink	*s;
	int64_t		 last;
	size_t		 i;

	if ((last = events_last(ev)) < 0)
		return;
	for (i = 0; i < ev->nsinks; i++) {
		s = ev->sinks[i];
		switch (s->kind) {
		case SINK_FILE:
			if (s->cursor < last)
				file_pump(s, last);
			break;
		case SINK_WEBHOOK:
			webhook_kick(s->wh);
			break;
		}
	}
	if (ev->nclients > 0)
		sse_pump(ev);
}

int64_t
events_prune(struct events *ev, int64_t limit, struct err *e)
{
	struct store_prune	 p;
	int64_t			 deleted, last;
	size_t			 i;

	if (store_in_transaction(ev->st))
		return 0;
	last = store_event_last(ev->st);
	p.before = ev->o.keep_for > 0 ? engine_now(ev->eng) - ev->o.keep_for :
	    INT64_MIN;
	p.upto = ev->o.keep > 0 ? last - ev->o.keep : 0;
	/* Never an event a sink has not delivered: the outbox waits for the
	 * slowest sink (docs/events.md). */
	p.below = INT64_MAX;
	for (i = 0; i < ev->nsinks; i++)
		if (ev->sinks[i]->cursor + 1 < p.below)
			p.below = ev->sinks[i]->cursor + 1;
	p.limit = limit;
	if (store_begin(ev->st, e) != 0)
		return -1;
	if (store_event_prune(ev->st, &p, &deleted, e) != 0 ||
	    store_commit(ev->st, e) != 0) {
		store_rollback(ev->st);
		return -1;
	}
	if (deleted > 0)
		log_debug("events: pruned %lld old events from the outbox",
		    (long long)deleted);
	return deleted;
}

static void
prune_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events	*ev = arg;
	struct err	 e;

	(void)fd;
	(void)what;
	if (events_prune(ev, PRUNE_LIMIT, &e) < 0)
		log_warn("events: pruning the outbox: %s", e.msg);
}

static void
keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sse_keepalive(arg);
}

/* The next multiple of the interval after now, so ticks fall on whole
 * minutes (or whatever the interval divides) of engine time. */
static void
tick_arm(struct events *ev)
{
	int64_t	now = clock_now(ev->clk), t = ev->o.tick;

	clock_timer_at(ev->tick, (now / t + 1) * t);
}

static void
tick_cb(void *arg)
{
	struct events	*ev = arg;
	struct err	 e;
	char		 when[TIME_ISO_LEN];
	int64_t		 now = clock_timer_due(ev->tick);
	cJSON		*d;

	tick_arm(ev);
	if (store_in_transaction(ev->st))
		return;
	d = cJSON_CreateObject();
	time_iso8601(now, 1, when);
	cJSON_AddStringToObject(d, "clockTime", when);
	cJSON_AddNumberToObject(d, "epochMillis", (double)now);
	cJSON_AddNumberToObject(d, "intervalSeconds",
	    (double)ev->o.tick / 1000.0);
	cJSON_AddNumberToObject(d, "timeScale", ev->o.time_scale);
	if (store_begin(ev->st, &e) != 0) {
		cJSON_Delete(d);
		log_warn("events: the clock tick event: %s", e.msg);
		return;
	}
	if (store_event_append(ev->st, now, "ecsim", "ecsim Clock Tick", "",
	    d, &e) != 0 || store_commit(ev->st, &e) != 0) {
		store_rollback(ev->st);
		log_warn("events: the clock tick event: %s", e.msg);
	}
}

struct events *
events_new(struct event_base *base, struct clock *clk, struct engine *eng,
    const struct events_options *o)
{
	struct events	*ev = xcalloc(1, sizeof *ev);
	struct timeval	 tv;

	ev->base = base;
	ev->clk = clk;
	ev->eng = eng;
	ev->st = engine_store(eng);
	ev->o = *o;
	TAILQ_INIT(&ev->clients);
	ev->poll = event_new(base, -1, EV_PERSIST, poll_cb, ev);
	ev->prune = event_new(base, -1, EV_PERSIST, prune_cb, ev);
	tv.tv_sec = PRUNE_MS / 1000;
	tv.tv_usec = 0;
	event_add(ev->prune, &tv);
	ev->keepalive = event_new(base, -1, EV_PERSIST, keepalive_cb, ev);
	tv.tv_sec = 15;
	event_add(ev->keepalive, &tv);
	if (o->tick > 0) {
		ev->tick = clock_timer_new(clk, tick_cb, ev);
		tick_arm(ev);
	}
	return ev;
}

static void
sink_free(struct sink *s)
{
	if (s == NULL)
		return;
	if (s->wh != NULL)
		webhook_free(s->wh);
	if (s->f != NULL)
		fclose(s->f);
	cJSON_Delete(s->pattern);
	free(s->name);
	free(s->target);
	free(s);
}

void
events_free(struct events *ev)
{
	size_t	i;

	if (ev == NULL)
		return;
	sse_close_all(ev);
	for (i = 0; i < ev->nsinks; i++) {
		/* What the engine said up to the end goes to the files. */
		if (ev->sinks[i]->kind == SINK_FILE && events_last(ev) >= 0)
			file_pump(ev->sinks[i], events_last(ev));
		sink_save(ev->sinks[i]);
		sink_free(ev->sinks[i]);
	}
	free(ev->sinks);
	if (ev->tick != NULL)
		clock_timer_free(ev->tick);
	event_free(ev->poll);
	event_free(ev->prune);
	event_free(ev->keepalive);
	free(ev);
}

/*
 * A new sink: its cursor from the store, else just before the oldest event
 * the outbox holds. A cursor beyond the newest event means the outbox was
 * emptied (POST /ecsim/reset) while the sink was away: it starts over.
 */
static struct sink *
sink_add(struct events *ev, enum sink_kind kind, const char *target,
    const cJSON *pattern, struct err *e)
{
	struct sink	*s = xcalloc(1, sizeof *s);
	int64_t		 first, last;
	int		 rc;

	s->hub = ev;
	s->kind = kind;
	s->target = xstrdup(target);
	s->name = xprintf("%s:%s", kind == SINK_FILE ? "file" : "webhook",
	    target);
	s->pattern = pattern != NULL ? cJSON_Duplicate(pattern, 1) : NULL;
	first = store_event_first(ev->st);
	last = store_event_last(ev->st);
	if ((rc = store_sink_cursor_get(ev->st, s->name, &s->cursor, e)) < 0) {
		sink_free(s);
		return NULL;
	}
	if (rc == 1)
		s->cursor = first > 0 ? first - 1 : 0;
	else if (s->cursor > last)
		s->cursor = 0;
	else if (first > 0 && s->cursor < first - 1)
		log_warn("events: %s resumes at event %lld; events %lld to "
		    "%lld were pruned while it was not configured", s->name,
		    (long long)first, (long long)s->cursor + 1,
		    (long long)first - 1);
	s->saved = rc == 0 ? s->cursor : -1;
	ev->sinks = xgrow(ev->sinks, ev->nsinks, &ev->capsinks,
	    sizeof *ev->sinks);
	ev->sinks[ev->nsinks++] = s;
	events_poll_update(ev);
	return s;
}

int
events_add_file(struct events *ev, const char *path, const cJSON *pattern,
    struct err *e)
{
	struct sink	*s;
	FILE		*f;
	char		*abs, cwd[4096];

	if ((f = fopen(path, "a")) == NULL)
		return err_set(e, ERR_INVALID, "--events-file %s: %s", path,
		    strerror(errno));
	/* The cursor's key is the absolute path: the same file from
	 * another directory is the same sink. */
	if (path[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
		abs = xprintf("%s/%s", cwd, path);
	else
		abs = xstrdup(path);
	s = sink_add(ev, SINK_FILE, abs, pattern, e);
	free(abs);
	if (s == NULL) {
		fclose(f);
		return -1;
	}
	s->f = f;
	sink_save(s);
	return 0;
}

int
events_add_webhook(struct events *ev, const char *url, const cJSON *pattern,
    struct err *e)
{
	struct sink	*s;

	if ((s = sink_add(ev, SINK_WEBHOOK, url, pattern, e)) == NULL)
		return -1;
	if ((s->wh = webhook_new(s, url, e)) == NULL) {
		ev->nsinks--;
		sink_free(s);
		return -1;
	}
	sink_save(s);
	return 0;
}

void
events_reset(struct events *ev)
{
	struct err	 e;
	size_t		 i;

	ev->generation++;
	if (store_sink_cursor_reset(ev->st, &e) != 0)
		log_warn("events: resetting the sinks' cursors: %s", e.msg);
	for (i = 0; i < ev->nsinks; i++) {
		ev->sinks[i]->cursor = ev->sinks[i]->saved = 0;
		if (ev->sinks[i]->wh != NULL)
			webhook_reset(ev->sinks[i]->wh);
	}
	sse_reset(ev);
}

cJSON *
events_status(struct events *ev)
{
	cJSON		*j = cJSON_CreateObject(), *arr, *o;
	struct sink	*s;
	int64_t		 last = store_event_last(ev->st);
	size_t		 i;

	o = cJSON_AddObjectToObject(j, "outbox");
	cJSON_AddNumberToObject(o, "first", (double)store_event_first(ev->st));
	cJSON_AddNumberToObject(o, "last", (double)last);
	cJSON_AddNumberToObject(o, "count", (double)store_event_count(ev->st));
	arr = cJSON_AddArrayToObject(j, "sinks");
	for (i = 0; i < ev->nsinks; i++) {
		s = ev->sinks[i];
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "kind", s->kind == SINK_FILE ?
		    "file" : "webhook");
		cJSON_AddStringToObject(o, "target", s->target);
		cJSON_AddNumberToObject(o, "cursor", (double)s->cursor);
		cJSON_AddNumberToObject(o, "behind", (double)(last > s->cursor ?
		    last - s->cursor : 0));
		cJSON_AddNumberToObject(o, "delivered", (double)s->delivered);
		cJSON_AddNumberToObject(o, "failures", (double)s->failures);
		cJSON_AddNumberToObject(o, "rejected", (double)s->rejected);
		if (s->last_error[0] != '\0')
			cJSON_AddStringToObject(o, "lastError", s->last_error);
		if (s->pattern != NULL)
			cJSON_AddItemToObject(o, "pattern",
			    cJSON_Duplicate(s->pattern, 1));
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_AddNumberToObject(j, "streams", (double)ev->nclients);
	return j;
}
