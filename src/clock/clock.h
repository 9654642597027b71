/* The one source of time: the wall clock (optionally scaled) or a virtual
 * clock that jumps to the next timer. Nothing else reads the system time. */
#ifndef ECSIM_CLOCK_H
#define ECSIM_CLOCK_H

#include <stdint.h>

struct event_base;
struct clock;
struct clock_timer;

typedef void (*clock_timer_cb)(void *arg);

enum clock_mode {
	CLOCK_REAL,	/* wall clock, times scale */
	CLOCK_VIRTUAL,	/* discrete events; clock_run drives it */
};

/*
 * Real mode starts at the wall time now; virtual mode starts at start_ms.
 * scale (real mode) makes the clock run that many times faster than the
 * wall. Free with clock_free().
 */
struct clock	*clock_new(struct event_base *base, enum clock_mode mode,
		    double scale, int64_t start_ms);
void		 clock_free(struct clock *c);
enum clock_mode	 clock_mode(const struct clock *c);

/* Milliseconds since the Unix epoch on this clock. */
int64_t		 clock_now(const struct clock *c);

/* A timer belongs to its owner, which frees it with clock_timer_free(). */
struct clock_timer *clock_timer_new(struct clock *c, clock_timer_cb cb,
		    void *arg);
void		 clock_timer_free(struct clock_timer *t);
/* Fire at clock time due (re-arming moves it); a past due fires at once. */
void		 clock_timer_at(struct clock_timer *t, int64_t due);
void		 clock_timer_cancel(struct clock_timer *t);
int		 clock_timer_armed(const struct clock_timer *t);
int64_t		 clock_timer_due(const struct clock_timer *t);

/*
 * Virtual mode: fire timers in due order (ties in the order they were
 * armed), moving the clock to each, until none is due at or before until.
 * Then the clock stands at until. Returns the number of timers fired.
 */
uint64_t	 clock_run_until(struct clock *c, int64_t until);

#endif
