/* Unit tests for src/clock/: the virtual clock's timer queue (due order,
 * ties in arming order, cancel, re-arm, clock_run_until) and the real
 * clock's scale. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <event2/event.h>

#include "clock/clock.h"
#include "util/util.h"
#include "check_run.h"

#define T0	1700000000000LL

/* Each fired timer appends its label and the clock time it saw. */
struct fired {
	struct clock	*c;
	char		 order[64];
	int64_t		 at[64];
	size_t		 n;
};

struct probe {
	struct fired		*log;
	char			 label;
	struct clock_timer	*t;
	/* Optional: on firing, arm this timer at now + rearm_after. */
	struct clock_timer	*rearm;
	int64_t			 rearm_after;
};

static void
probe_fire(void *arg)
{
	struct probe	*p = arg;
	struct fired	*f = p->log;

	f->at[f->n] = clock_now(f->c);
	f->order[f->n++] = p->label;
	f->order[f->n] = '\0';
	if (p->rearm != NULL)
		clock_timer_at(p->rearm, clock_now(f->c) + p->rearm_after);
}

static struct clock *
vclock(struct fired *f)
{
	memset(f, 0, sizeof *f);
	f->c = clock_new(NULL, CLOCK_VIRTUAL, 1.0, T0);
	return f->c;
}

static void
probe_init(struct probe *p, struct fired *f, char label)
{
	memset(p, 0, sizeof *p);
	p->log = f;
	p->label = label;
	p->t = clock_timer_new(f->c, probe_fire, p);
}

START_TEST(test_virtual_starts_at_start)
{
	struct fired	 f;
	struct clock	*c = vclock(&f);

	ck_assert_int_eq(clock_mode(c), CLOCK_VIRTUAL);
	ck_assert_int_eq(clock_now(c), T0);
	/* Nothing queued: the clock just moves to until. */
	ck_assert_uint_eq(clock_run_until(c, T0 + 5000), 0);
	ck_assert_int_eq(clock_now(c), T0 + 5000);
	/* It never moves backwards. */
	ck_assert_uint_eq(clock_run_until(c, T0), 0);
	ck_assert_int_eq(clock_now(c), T0 + 5000);
	clock_free(c);
}
END_TEST

START_TEST(test_fire_in_due_order)
{
	struct fired	 f;
	struct clock	*c = vclock(&f);
	struct probe	 p[5];
	const int64_t	 due[5] = { 300, 100, 500, 200, 400 };
	int		 i;

	for (i = 0; i < 5; i++) {
		probe_init(&p[i], &f, (char)('a' + i));
		clock_timer_at(p[i].t, T0 + due[i]);
		ck_assert(clock_timer_armed(p[i].t));
		ck_assert_int_eq(clock_timer_due(p[i].t), T0 + due[i]);
	}
	ck_assert_uint_eq(clock_run_until(c, T0 + 1000), 5);
	ck_assert_str_eq(f.order, "bdaec");
	/* Each callback saw the clock at its own due time. */
	ck_assert_int_eq(f.at[0], T0 + 100);
	ck_assert_int_eq(f.at[1], T0 + 200);
	ck_assert_int_eq(f.at[2], T0 + 300);
	ck_assert_int_eq(f.at[3], T0 + 400);
	ck_assert_int_eq(f.at[4], T0 + 500);
	ck_assert_int_eq(clock_now(c), T0 + 1000);
	for (i = 0; i < 5; i++) {
		ck_assert(!clock_timer_armed(p[i].t));
		clock_timer_free(p[i].t);
	}
	clock_free(c);
}
END_TEST

START_TEST(test_ties_fire_in_arming_order)
{
	struct fired	 f;
	struct clock	*c = vclock(&f);
	struct probe	 p[8];
	int		 i;

	/* Enough timers with one due time that the heap must reorder. */
	for (i = 0; i < 8; i++) {
		probe_init(&p[i], &f, (char)('a' + i));
		clock_timer_at(p[i].t, T0 + 50);
	}
	ck_assert_uint_eq(clock_run_until(c, T0 + 50), 8);
	ck_assert_str_eq(f.order, "abcdefgh");
	for (i = 0; i < 8; i++)
		clock_timer_free(p[i].t);
	clock_free(c);
}
END_TEST

START_TEST(test_run_until_stops_at_until)
{
	struct fired	 f;
	struct clock	*c = vclock(&f);
	struct probe	 a, b, d;

	probe_init(&a, &f, 'a');
	probe_init(&b, &f, 'b');
	probe_init(&d, &f, 'd');
	clock_timer_at(a.t, T0 + 100);
	clock_timer_at(b.t, T0 + 200);
	clock_timer_at(d.t, T0 + 201);
	/* A timer due exactly at until fires; one after it waits. */
	ck_assert_uint_eq(clock_run_until(c, T0 + 200), 2);
	ck_assert_str_eq(f.order, "ab");
	ck_assert_int_eq(clock_now(c), T0 + 200);
	ck_assert(clock_timer_armed(d.t));
	ck_assert_uint_eq(clock_run_until(c, T0 + 201), 1);
	ck_assert_str_eq(f.order, "abd");
	clock_timer_free(a.t);
	clock_timer_free(b.t);
	clock_timer_free(d.t);
	clock_free(c);
}
END_TEST

START_TEST(test_cancel)
{
	struct fired	 f;
	struct clock	*c = vclock(&f);
	struct probe	 a, b, d;

	probe_init(&a, &f, 'a');
	probe_init(&b, &f, 'b');
	probe_init(&d, &f, 'd');
	clock_timer_at(a.t, T0 + 10);
	clock_timer_at(b.t, T0 + 20);
	clock_timer_at(d.t, T0 + 30);
	clock_timer_cancel(b.t);
	ck_assert(!clock_timer_armed(b.t));
	/* Cancelling twice, or a NULL timer, is harmless. */
	clock_timer_cancel(b.t);
	clock_timer_cancel(NULL);
	ck_assert_uint_eq(clock_run_until(c, T0 + 100), 2);
	ck_assert_str_eq(f.order, "ad");
	/* Freeing an armed timer takes it out of the queue. */
	clock_timer_at(a.t, T0 + 150);
	clock_timer_free(a.t);
	ck_assert_uint_eq(clock_run_until(c, T0 + 200), 0);
	ck_assert_str_eq(f.order, "ad");
	clock_timer_free(b.t);
	clock_timer_free(d.t);
	clock_timer_free(NULL);
	clock_free(c);
}
END_TEST

START_TEST(test_rearm_moves_the_timer)
{
	struct fired	 f;
	struct clock	*c = vclock(&f);
	struct probe	 a, b;

	probe_init(&a, &f, 'a');
	probe_init(&b, &f, 'b');
	clock_timer_at(a.t, T0 + 10);
	clock_timer_at(b.t, T0 + 20);
	/* Re-arming a queued timer moves it (it fires once, later). */
	clock_timer_at(a.t, T0 + 30);
	ck_assert_int_eq(clock_timer_due(a.t), T0 + 30);
	ck_assert_uint_eq(clock_run_until(c, T0 + 100), 2);
	ck_assert_str_eq(f.order, "ba");
	ck_assert_int_eq(f.at[1], T0 + 30);
	/* Re-arming to the same time as another puts it after that one. */
	clock_timer_at(a.t, T0 + 200);
	clock_timer_at(b.t, T0 + 200);
	clock_timer_at(a.t, T0 + 200);
	ck_assert_uint_eq(clock_run_until(c, T0 + 200), 2);
	ck_assert_str_eq(f.order, "baba");
	clock_timer_free(a.t);
	clock_timer_free(b.t);
	clock_free(c);
}
END_TEST

START_TEST(test_rearm_from_callback_and_past_due)
{
	struct fired	 f;
	struct clock	*c = vclock(&f);
	struct probe	 a;

	/* A timer that re-arms itself 100 ms later, like a periodic tick. */
	probe_init(&a, &f, 'a');
	a.rearm = a.t;
	a.rearm_after = 100;
	clock_timer_at(a.t, T0 + 100);
	ck_assert_uint_eq(clock_run_until(c, T0 + 450), 4);
	ck_assert_str_eq(f.order, "aaaa");
	ck_assert_int_eq(f.at[3], T0 + 400);
	ck_assert(clock_timer_armed(a.t));
	ck_assert_int_eq(clock_timer_due(a.t), T0 + 500);
	/* A due time in the past fires at the next run, at the current time. */
	a.rearm = NULL;
	clock_timer_at(a.t, T0);
	ck_assert_uint_eq(clock_run_until(c, clock_now(c)), 1);
	ck_assert_int_eq(f.at[4], T0 + 450);
	ck_assert_int_eq(clock_now(c), T0 + 450);
	clock_timer_free(a.t);
	clock_free(c);
}
END_TEST

START_TEST(test_many_timers_random_order)
{
	struct fired	 f;
	struct clock	*c = vclock(&f);
	struct prng	 r;
	struct probe	 p[40];
	int64_t		 last = 0;
	int		 i;

	prng_seed(&r, 3);
	for (i = 0; i < 40; i++) {
		probe_init(&p[i], &f, 'x');
		clock_timer_at(p[i].t, T0 + (int64_t)prng_below(&r, 1000));
	}
	for (i = 0; i < 40; i += 3)
		clock_timer_cancel(p[i].t);
	ck_assert_uint_eq(clock_run_until(c, T0 + 1000), 40 - 14);
	for (i = 0; i < (int)f.n; i++) {
		ck_assert_int_ge(f.at[i], last);
		last = f.at[i];
	}
	for (i = 0; i < 40; i++)
		clock_timer_free(p[i].t);
	clock_free(c);
}
END_TEST

START_TEST(test_real_clock_tracks_wall_and_scale)
{
	struct event_base	*base = event_base_new();
	struct clock		*c1 = clock_new(base, CLOCK_REAL, 1.0, 0);
	struct clock		*c60 = clock_new(base, CLOCK_REAL, 60.0, 0);
	struct timespec		 ts, nap = { 0, 50 * 1000 * 1000 };
	int64_t			 wall, a, b;

	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	ck_assert_int_eq(clock_mode(c1), CLOCK_REAL);
	ck_assert(llabs(clock_now(c1) - wall) < 1000);
	a = clock_now(c60);
	nanosleep(&nap, NULL);
	b = clock_now(c60);
	/* 50 ms of wall time is about 3 s on a 60x clock. */
	ck_assert_int_ge(b - a, 2500);
	ck_assert_int_lt(b - a, 60000);
	clock_free(c1);
	clock_free(c60);
	event_base_free(base);
}
END_TEST

static int	real_fired;

static void
real_fire(void *arg)
{
	real_fired++;
	event_base_loopbreak(arg);
}

START_TEST(test_real_timer_fires_through_libevent)
{
	struct event_base	*base = event_base_new();
	struct clock		*c = clock_new(base, CLOCK_REAL, 100.0, 0);
	struct clock_timer	*t = clock_timer_new(c, real_fire, base);

	real_fired = 0;
	/* Two clock seconds at 100x: about 20 ms of wall time. */
	clock_timer_at(t, clock_now(c) + 2000);
	ck_assert(clock_timer_armed(t));
	event_base_dispatch(base);
	ck_assert_int_eq(real_fired, 1);
	ck_assert(!clock_timer_armed(t));
	clock_timer_free(t);
	clock_free(c);
	event_base_free(base);
}
END_TEST

static Suite *
clock_suite(void)
{
	Suite	*s = suite_create("clock");
	TCase	*tc = tcase_create("virtual");
	TCase	*real = tcase_create("real");

	tcase_add_test(tc, test_virtual_starts_at_start);
	tcase_add_test(tc, test_fire_in_due_order);
	tcase_add_test(tc, test_ties_fire_in_arming_order);
	tcase_add_test(tc, test_run_until_stops_at_until);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_rearm_moves_the_timer);
	tcase_add_test(tc, test_rearm_from_callback_and_past_due);
	tcase_add_test(tc, test_many_timers_random_order);
	suite_add_tcase(s, tc);
	tcase_add_test(real, test_real_clock_tracks_wall_and_scale);
	tcase_add_test(real, test_real_timer_fires_through_libevent);
	tcase_set_timeout(real, 10);
	suite_add_tcase(s, real);
	return s;
}

int
main(void)
{
	return check_run(clock_suite());
}
