/* Real and virtual clocks, and their timers. Real timers ride on libevent;
 * virtual timers sit in a binary heap ordered by (due, sequence). */
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "clock/clock.h"
#include "util/util.h"

struct clock {
	struct event_base	 *base;
	enum clock_mode		  mode;
	double			  scale;
	int64_t			  start_ms;	/* clock time at start */
	int64_t			  mono_start_ms;/* monotonic reading at start */
	int64_t			  virtual_now;
	uint64_t		  seq;
	struct clock_timer	**heap;
	size_t			  heap_len, heap_cap;
};

struct clock_timer {
	struct clock	*c;
	clock_timer_cb	 cb;
	void		*arg;
	struct event	*ev;		/* real mode */
	int64_t		 due;
	uint64_t	 seq;
	size_t		 slot;		/* heap index + 1; 0 when not queued */
	int		 armed;
};

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct clock *
clock_new(struct event_base *base, enum clock_mode mode, double scale,
    int64_t start_ms)
{
	struct clock	*c = xcalloc(1, sizeof *c);
	struct timespec	 ts;

	c->base = base;
	c->mode = mode;
	c->scale = scale > 0 ? scale : 1.0;
	if (mode == CLOCK_REAL) {
		clock_gettime(CLOCK_REALTIME, &ts);
		c->start_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	} else
		c->start_ms = start_ms;
	c->mono_start_ms = mono_ms();
	c->virtual_now = c->start_ms;
	return c;
}

void
clock_free(struct clock *c)
{
	if (c == NULL)
		return;
	free(c->heap);
	free(c);
}

enum clock_mode
clock_mode(const struct clock *c)
{
	return c->mode;
}

int64_t
clock_now(const struct clock *c)
{
	if (c->mode == CLOCK_VIRTUAL)
		return c->virtual_now;
	return c->start_ms + (int64_t)((double)(mono_ms() - c->mono_start_ms) *
	    c->scale);
}

static int
timer_before(const struct clock_timer *a, const struct clock_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void
heap_set(struct clock *c, size_t i, struct clock_timer *t)
{
	c->heap[i] = t;
	t->slot = i + 1;
}

static void
heap_up(struct clock *c, size_t i)
{
	struct clock_timer	*t = c->heap[i];

	while (i > 0 && timer_before(t, c->heap[(i - 1) / 2])) {
		heap_set(c, i, c->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(c, i, t);
}

static void
heap_down(struct clock *c, size_t i)
{
	struct clock_timer	*t = c->heap[i];
	size_t			 child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= c->heap_len)
			break;
		if (child + 1 < c->heap_len &&
		    timer_before(c->heap[child + 1], c->heap[child]))
			child++;
		if (!timer_before(c->heap[child], t))
			break;
		heap_set(c, i, c->heap[child]);
		i = child;
	}
	heap_set(c, i, t);
}

static void
heap_remove(struct clock *c, struct clock_timer *t)
{
	size_t			 i = t->slot - 1;
	struct clock_timer	*last = c->heap[--c->heap_len];

	t->slot = 0;
	if (last == t)
		return;
	heap_set(c, i, last);
	heap_up(c, i);
	heap_down(c, last->slot - 1);
}

static void
timer_real_fire(evutil_socket_t fd, short what, void *arg)
{
	struct clock_timer	*t = arg;

	(void)fd;
	(void)what;
	t->armed = 0;
	t->cb(t->arg);
}

struct clock_timer *
clock_timer_new(struct clock *c, clock_timer_cb cb, void *arg)
{
	struct clock_timer	*t = xcalloc(1, sizeof *t);

	t->c = c;
	t->cb = cb;
	t->arg = arg;
	if (c->mode == CLOCK_REAL)
		t->ev = evtimer_new(c->base, timer_real_fire, t);
	return t;
}

void
clock_timer_free(struct clock_timer *t)
{
	if (t == NULL)
		return;
	clock_timer_cancel(t);
	if (t->ev != NULL)
		event_free(t->ev);
	free(t);
}

void
clock_timer_at(struct clock_timer *t, int64_t due)
{
	struct clock	*c = t->c;
	struct timeval	 tv;
	int64_t		 wall;

	clock_timer_cancel(t);
	t->due = due;
	t->seq = c->seq++;
	t->armed = 1;
	if (c->mode == CLOCK_REAL) {
		wall = (int64_t)((double)(due - clock_now(c)) / c->scale);
		if (wall < 0)
			wall = 0;
		tv.tv_sec = (time_t)(wall / 1000);
		tv.tv_usec = (suseconds_t)((wall % 1000) * 1000);
		evtimer_add(t->ev, &tv);
		return;
	}
	c->heap = xgrow(c->heap, c->heap_len, &c->heap_cap, sizeof *c->heap);
	c->heap[c->heap_len] = t;
	heap_up(c, c->heap_len++);
}

void
clock_timer_cancel(struct clock_timer *t)
{
	if (t == NULL || !t->armed)
		return;
	t->armed = 0;
	if (t->ev != NULL)
		evtimer_del(t->ev);
	if (t->slot != 0)
		heap_remove(t->c, t);
}

int
clock_timer_armed(const struct clock_timer *t)
{
	return t->armed;
}

int64_t
clock_timer_due(const struct clock_timer *t)
{
	return t->due;
}

uint64_t
clock_run_until(struct clock *c, int64_t until)
{
	struct clock_timer	*t;
	uint64_t		 fired = 0;

	while (c->heap_len > 0 && c->heap[0]->due <= until) {
		t = c->heap[0];
		heap_remove(c, t);
		t->armed = 0;
		if (t->due > c->virtual_now)
			c->virtual_now = t->due;
		t->cb(t->arg);
		fired++;
	}
	if (until > c->virtual_now)
		c->virtual_now = until;
	return fired;
}
