/* The deployment arithmetic on its own: bounds, the circuit breaker's
 * threshold, the throttle curve, and the plans of deploy.c, table-driven
 * over ECS's worked examples, then a small simulation that applies plans
 * step by step and checks the bounds at every step. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/deploy.h"
#include "check_run.h"

START_TEST(test_bounds_table)
{
	/* ECS's worked examples (reference §2.1) and a few more. */
	static const struct {
		int64_t	desired, maxp, minp, upper, lower;
	} t[] = {
		{ 4, 200, 50, 8, 2 },	/* may stop 2 before starting */
		{ 2, 200, 75, 4, 2 },	/* ceil(1.5) = 2: may stop none */
		{ 4, 200, 100, 8, 4 },	/* may start 4 first */
		{ 3, 125, 100, 3, 3 },	/* floor(3.75) = 3: may start none */
		{ 3, 150, 50, 4, 2 },
		{ 10, 100, 0, 10, 0 },
		{ 1, 200, 100, 2, 1 },
		{ 1, 200, 1, 2, 1 },
		{ 0, 200, 100, 0, 0 },
		{ 7, 133, 33, 9, 3 },
	};
	struct deploy_bounds	b;
	size_t			i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		deploy_bounds(t[i].desired, t[i].maxp, t[i].minp, &b);
		ck_assert_msg(b.upper == t[i].upper && b.lower == t[i].lower,
		    "row %zu: upper %lld lower %lld", i, (long long)b.upper,
		    (long long)b.lower);
	}
}
END_TEST

START_TEST(test_breaker_threshold)
{
	static const int64_t	t[][2] = { { 0, 3 }, { 1, 3 }, { 5, 3 },
	    { 6, 3 }, { 7, 4 }, { 10, 5 }, { 11, 6 }, { 399, 200 },
	    { 400, 200 }, { 5000, 200 } };
	size_t			i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		ck_assert_int_eq(deploy_breaker_threshold(t[i][0]), t[i][1]);
}
END_TEST

START_TEST(test_throttle_curve)
{
	static const int64_t	t[][2] = { { 0, 0 }, { 1, 0 }, { 2, 0 },
	    { 3, 15000 }, { 4, 30000 }, { 5, 60000 }, { 6, 120000 },
	    { 7, 240000 }, { 8, 480000 }, { 9, 960000 },
	    { 10, DEPLOY_THROTTLE_MAX }, { 11, DEPLOY_THROTTLE_MAX },
	    { 1000, DEPLOY_THROTTLE_MAX } };
	size_t			i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		ck_assert_int_eq(deploy_throttle_delay(t[i][0]), t[i][1]);
	ck_assert_int_eq(DEPLOY_THROTTLE_MAX, 27 * 60 * 1000);
}
END_TEST

/* Tasks for a table row: n of deployment dep, running and healthy. */
static size_t
fill(struct deploy_task *t, size_t at, size_t n, int dep, int running,
    int healthy)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		memset(&t[at + i], 0, sizeof t[0]);
		t[at + i].deployment = dep;
		t[at + i].instance = -1;
		t[at + i].running = running;
		t[at + i].healthy = healthy;
		t[at + i].order = (int)(at + i);
	}
	return at + n;
}

/* A state over tasks[0..n) with those bounds, launches allowed. */
static void
state(struct deploy_state *st, const struct deploy_task *tasks, size_t n,
    int64_t desired, int64_t maxp, int64_t minp)
{
	memset(st, 0, sizeof *st);
	st->desired = desired;
	st->maximum_percent = maxp;
	st->minimum_healthy_percent = minp;
	st->can_launch = 1;
	st->tasks = tasks;
	st->ntasks = n;
}

static size_t
count_reason(const struct deploy_plan *p, enum deploy_reason r)
{
	size_t	i, n = 0;

	for (i = 0; i < p->nstops; i++)
		if (p->stops[i].reason == r)
			n++;
	return n;
}

/*
 * The worked examples as first plans of a deployment: desired old tasks
 * of deployment 1, all healthy, and nothing yet of the new PRIMARY.
 */
START_TEST(test_first_move_table)
{
	static const struct {
		int64_t	desired, maxp, minp;
		int64_t	start;		/* new tasks started */
		size_t	stop;		/* old tasks stopped */
		int	blocked;
	} t[] = {
		{ 4, 100, 50, 0, 2, 0 },	/* stop 2 before any start */
		{ 4, 200, 50, 4, 2, 0 },
		{ 2, 100, 75, 0, 0, 1 },	/* lower 2, upper 2: stuck */
		{ 2, 200, 75, 2, 0, 0 },
		{ 4, 200, 100, 4, 0, 0 },	/* start 4 before stopping */
		{ 3, 125, 100, 0, 0, 1 },	/* upper 3, lower 3: stuck */
		{ 3, 125, 0, 0, 3, 0 },		/* may start none: stop first */
		{ 3, 125, 66, 0, 1, 0 },
		{ 10, 150, 100, 5, 0, 0 },
		{ 1, 100, 100, 0, 0, 1 },
		{ 1, 100, 0, 0, 1, 0 },
	};
	struct deploy_task	tasks[16];
	struct deploy_state	st;
	struct deploy_plan	p;
	size_t			i, n;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		n = fill(tasks, 0, (size_t)t[i].desired, 1, 1, 1);
		state(&st, tasks, n, t[i].desired, t[i].maxp, t[i].minp);
		deploy_plan_replica(&st, &p);
		ck_assert_msg(p.start == t[i].start && p.nstops == t[i].stop &&
		    p.blocked == t[i].blocked, "row %zu: start %lld stops %zu "
		    "blocked %d", i, (long long)p.start, p.nstops, p.blocked);
		ck_assert_int_eq(count_reason(&p, DEPLOY_REPLACED), t[i].stop);
		ck_assert_int_eq(p.missing, t[i].desired);
		deploy_plan_clear(&p);
	}
}
END_TEST

/* Make one, break one: old tasks go only as new ones become healthy. */
START_TEST(test_break_as_new_become_healthy)
{
	struct deploy_task	tasks[8];
	struct deploy_state	st;
	struct deploy_plan	p;
	size_t			n;

	/* 4 old healthy, 4 new RUNNING of which 1 is healthy: one goes. */
	n = fill(tasks, 0, 4, 1, 1, 1);
	n = fill(tasks, n, 1, 0, 1, 1);
	n = fill(tasks, n, 3, 0, 1, 0);
	state(&st, tasks, n, 4, 200, 100);
	deploy_plan_replica(&st, &p);
	ck_assert_int_eq(p.start, 0);
	ck_assert_uint_eq(p.nstops, 1);
	ck_assert_int_eq(tasks[p.stops[0].task].deployment, 1);
	ck_assert_int_eq(p.blocked, 0);
	deploy_plan_clear(&p);

	/* The PRIMARY has FAILED: old healthy tasks stay. */
	st.primary_failed = 1;
	deploy_plan_replica(&st, &p);
	ck_assert_uint_eq(p.nstops, 0);
	ck_assert_int_eq(p.blocked, 0);
	deploy_plan_clear(&p);
}
END_TEST

/* Older deployments' tasks that are not healthy go at once; several
 * older deployments drain oldest first. */
START_TEST(test_superseded_deployments)
{
	struct deploy_task	tasks[12];
	struct deploy_state	st;
	struct deploy_plan	p;
	size_t			n, i;

	n = fill(tasks, 0, 3, 2, 1, 1);		/* A: healthy */
	n = fill(tasks, n, 2, 1, 1, 0);		/* B: running, not healthy */
	n = fill(tasks, n, 1, 1, 0, 0);		/* B: pending */
	state(&st, tasks, n, 3, 200, 50);	/* lower 2 */
	deploy_plan_replica(&st, &p);
	/* B's three go, and one of A's (3 healthy, lower 2). Tasks being
	 * stopped still count: 6 of upper 6, nothing starts yet. */
	ck_assert_uint_eq(p.nstops, 4);
	for (i = 0; i < p.nstops; i++)
		ck_assert_int_eq(p.stops[i].reason, DEPLOY_REPLACED);
	ck_assert_int_eq(p.start, 0);
	ck_assert_int_eq(p.missing, 3);
	deploy_plan_clear(&p);
}
END_TEST

START_TEST(test_scale_in_order)
{
	struct deploy_task	tasks[6];
	struct deploy_state	st;
	struct deploy_plan	p;
	size_t			n;

	n = fill(tasks, 0, 3, 0, 1, 1);		/* 0-2 healthy */
	n = fill(tasks, n, 1, 0, 1, 0);		/* 3 running, not healthy */
	n = fill(tasks, n, 2, 0, 0, 0);		/* 4, 5 pending */
	tasks[5].order = -1;			/* preferred over 4 */
	tasks[1].order = -5;			/* preferred over 0, 2 */
	state(&st, tasks, n, 1, 200, 100);
	deploy_plan_replica(&st, &p);
	ck_assert_uint_eq(p.nstops, 5);
	ck_assert_uint_eq(p.stops[0].task, 5);
	ck_assert_uint_eq(p.stops[1].task, 4);
	ck_assert_uint_eq(p.stops[2].task, 3);
	ck_assert_uint_eq(p.stops[3].task, 1);
	ck_assert_int_eq(p.stops[4].reason, DEPLOY_SCALE_IN);
	ck_assert_int_eq(p.start, 0);
	deploy_plan_clear(&p);
}
END_TEST

/* An unhealthy task: replaced first when maximumPercent leaves room,
 * stopped first (one at a time) when it does not. */
START_TEST(test_unhealthy_replacement)
{
	struct deploy_task	tasks[8];
	struct deploy_state	st;
	struct deploy_plan	p;
	size_t			n;

	n = fill(tasks, 0, 3, 0, 1, 1);
	n = fill(tasks, n, 1, 0, 1, 0);
	tasks[3].unhealthy = 1;
	state(&st, tasks, n, 4, 200, 100);
	deploy_plan_replica(&st, &p);
	ck_assert_int_eq(p.start, 1);
	ck_assert_uint_eq(p.nstops, 0);
	deploy_plan_clear(&p);

	/* The replacement is healthy: now the unhealthy one goes. */
	n = fill(tasks, n, 1, 0, 1, 1);
	st.ntasks = n;
	deploy_plan_replica(&st, &p);
	ck_assert_int_eq(p.start, 0);
	ck_assert_uint_eq(p.nstops, 1);
	ck_assert_uint_eq(p.stops[0].task, 3);
	ck_assert_int_eq(p.stops[0].reason, DEPLOY_UNHEALTHY);
	deploy_plan_clear(&p);

	/* No room (100/100), two unhealthy: one is stopped, then none
	 * while it is being stopped. */
	n = fill(tasks, 0, 2, 0, 1, 1);
	n = fill(tasks, n, 2, 0, 1, 0);
	tasks[2].unhealthy = tasks[3].unhealthy = 1;
	st.maximum_percent = 100;
	st.ntasks = n;
	deploy_plan_replica(&st, &p);
	ck_assert_int_eq(p.start, 0);
	ck_assert_uint_eq(p.nstops, 1);
	ck_assert_int_eq(p.stops[0].reason, DEPLOY_UNHEALTHY);
	deploy_plan_clear(&p);
	tasks[2].stopping = 1;
	deploy_plan_replica(&st, &p);
	ck_assert_uint_eq(p.nstops, 0);
	ck_assert_int_eq(p.start, 0);
	ck_assert_int_eq(p.blocked, 0);
	deploy_plan_clear(&p);
}
END_TEST

START_TEST(test_draining_table)
{
	static const struct {
		int64_t	maxp, minp, start;
		size_t	stop;
		int	blocked;
	} t[] = {
		{ 200, 100, 2, 0, 0 },	/* replacements first */
		{ 100, 100, 0, 0, 1 },	/* cannot progress, and says so */
		{ 100, 50, 0, 1, 0 },	/* stop one, then replace */
		{ 150, 100, 1, 0, 0 },
	};
	struct deploy_task	tasks[6];
	struct deploy_state	st;
	struct deploy_plan	p;
	size_t			i, n;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		/* desired 2: both tasks on a DRAINING instance. */
		n = fill(tasks, 0, 2, 0, 1, 1);
		tasks[0].draining = tasks[1].draining = 1;
		state(&st, tasks, n, 2, t[i].maxp, t[i].minp);
		deploy_plan_replica(&st, &p);
		ck_assert_msg(p.start == t[i].start && p.nstops == t[i].stop &&
		    p.blocked == t[i].blocked, "row %zu: start %lld stops %zu "
		    "blocked %d", i, (long long)p.start, p.nstops, p.blocked);
		ck_assert_int_eq(count_reason(&p, DEPLOY_DRAINING), t[i].stop);
		deploy_plan_clear(&p);
	}
	/* A task not yet RUNNING on a DRAINING instance stops at once. */
	n = fill(tasks, 0, 1, 0, 0, 0);
	tasks[0].draining = 1;
	st.maximum_percent = 100;
	st.minimum_healthy_percent = 100;
	st.desired = 1;
	st.ntasks = n;
	deploy_plan_replica(&st, &p);
	ck_assert_uint_eq(p.nstops, 1);
	ck_assert_int_eq(p.stops[0].reason, DEPLOY_DRAINING);
	deploy_plan_clear(&p);
}
END_TEST

START_TEST(test_throttled_launch)
{
	struct deploy_task	tasks[2];
	struct deploy_state	st;
	struct deploy_plan	p;

	memset(tasks, 0, sizeof tasks);
	state(&st, tasks, 0, 2, 200, 100);
	st.can_launch = 0;
	deploy_plan_replica(&st, &p);
	ck_assert_int_eq(p.start, 0);
	ck_assert_int_eq(p.missing, 2);
	ck_assert_int_eq(p.blocked, 0);	/* throttled, not misconfigured */
	deploy_plan_clear(&p);
	st.can_launch = 1;
	deploy_plan_replica(&st, &p);
	ck_assert_int_eq(p.start, 2);
	deploy_plan_clear(&p);
}
END_TEST

START_TEST(test_steady)
{
	struct deploy_task	tasks[3];
	struct deploy_state	st;

	fill(tasks, 0, 3, 0, 1, 1);
	state(&st, tasks, 3, 2, 200, 100);
	ck_assert_int_eq(deploy_steady(&st), 0);
	tasks[2].stopping = 1;
	ck_assert_int_eq(deploy_steady(&st), 1);
	tasks[1].healthy = 0;
	ck_assert_int_eq(deploy_steady(&st), 0);
	tasks[1].healthy = 1;
	tasks[0].deployment = 1;
	ck_assert_int_eq(deploy_steady(&st), 0);
}
END_TEST

/* DAEMON: one per wanted instance; per instance the old task goes first
 * (minimumHealthyPercent 0) and the new one starts once it is gone. */
START_TEST(test_daemon_plan)
{
	struct deploy_instance	ins[4];
	struct deploy_task	tasks[4];
	struct deploy_state	st;
	struct deploy_plan	p;
	size_t			i;

	memset(ins, 0, sizeof ins);
	ins[0].wanted = ins[0].can_place = 1;
	ins[1].wanted = ins[1].can_place = 1;
	ins[2].wanted = 1;			/* disconnected: keeps its task */
	ins[3].draining = 1;
	ins[3].others = 2;			/* replica tasks still there */
	fill(tasks, 0, 4, 1, 1, 1);
	for (i = 0; i < 4; i++)
		tasks[i].instance = (int)i;
	tasks[1].deployment = 0;
	state(&st, tasks, 4, 0, 100, 0);
	st.instances = ins;
	st.ninstances = 4;
	st.desired = deploy_daemon_desired(&st);
	ck_assert_int_eq(st.desired, 3);
	deploy_plan_daemon(&st, &p);
	/* Old tasks on 0 and 2 go; 3 waits for the replica tasks. */
	ck_assert_uint_eq(p.nstops, 2);
	ck_assert_uint_eq(p.stops[0].task, 0);
	ck_assert_uint_eq(p.stops[1].task, 2);
	ck_assert_uint_eq(p.nstart_on, 0);	/* 0 still holds its place */
	deploy_plan_clear(&p);

	/* Once the old tasks are stopped and the replica ones gone. */
	st.ntasks = 2;
	tasks[0] = tasks[1];			/* the new one on 1 */
	tasks[1] = tasks[3];			/* the old one on 3 */
	ins[3].others = 0;
	st.desired = deploy_daemon_desired(&st);
	ck_assert_int_eq(st.desired, 2);	/* 0 and 1: 2 has no task */
	deploy_plan_daemon(&st, &p);
	ck_assert_uint_eq(p.nstops, 1);
	ck_assert_int_eq(p.stops[0].reason, DEPLOY_DRAINING);
	ck_assert_uint_eq(p.nstart_on, 1);
	ck_assert_uint_eq(p.start_on[0], 0);
	deploy_plan_clear(&p);

	/* minimumHealthyPercent 100 with maximumPercent 100: stuck. */
	fill(tasks, 0, 2, 1, 1, 1);
	tasks[0].instance = 0;
	tasks[1].instance = 1;
	st.ntasks = 2;
	st.ninstances = 2;
	st.minimum_healthy_percent = 100;
	st.desired = deploy_daemon_desired(&st);
	deploy_plan_daemon(&st, &p);
	ck_assert_uint_eq(p.nstops, 0);
	ck_assert_uint_eq(p.nstart_on, 0);
	ck_assert_int_eq(p.blocked, 1);
	deploy_plan_clear(&p);
}
END_TEST

/*
 * A small simulation: tasks walk pending -> running -> healthy one step
 * at a time, stops take one step, and a new deployment can arrive
 * mid-flight. At every step the upper bound holds, and the lower bound
 * holds whenever the service was already at it (nothing dies on its own
 * here). Each configuration converges to the newest deployment.
 */
struct sim_task {
	int	dep, age, stopping, gone;
};

static int
sim_run(int64_t desired, int64_t maxp, int64_t minp, int redeploy_at,
    int *steps)
{
	struct sim_task		sim[256];
	struct deploy_task	dt[256];
	struct deploy_state	st;
	struct deploy_plan	p;
	struct deploy_bounds	b;
	size_t			n = 0, i, k, live;
	int64_t			healthy, total, j;
	int			step, newest = 0;

	deploy_bounds(desired, maxp, minp, &b);
	for (i = 0; i < (size_t)desired; i++) {
		memset(&sim[n], 0, sizeof sim[n]);
		sim[n].dep = 0;
		sim[n++].age = 10;
	}
	newest = 1;	/* the update that starts the test */
	for (step = 0; step < 200; step++) {
		if (step == redeploy_at)
			newest++;
		/* The view: deployment index counts back from the newest. */
		for (i = k = 0; i < n; i++) {
			if (sim[i].gone)
				continue;
			memset(&dt[k], 0, sizeof dt[k]);
			dt[k].deployment = newest - sim[i].dep;
			dt[k].instance = -1;
			dt[k].stopping = sim[i].stopping;
			dt[k].running = sim[i].age >= 1;
			dt[k].healthy = sim[i].age >= 2 && !sim[i].stopping;
			dt[k].order = (int)i;
			k++;
		}
		healthy = total = 0;
		for (i = 0; i < k; i++) {
			total++;
			healthy += dt[i].healthy;
		}
		ck_assert_msg(total <= (b.upper > desired ? b.upper : desired),
		    "step %d: %lld tasks over upper %lld", step,
		    (long long)total, (long long)b.upper);
		ck_assert_msg(step == 0 || healthy >= b.lower, "step %d: %lld "
		    "healthy under lower %lld", step, (long long)healthy,
		    (long long)b.lower);
		state(&st, dt, k, desired, maxp, minp);
		if (deploy_steady(&st) && step > redeploy_at) {
			*steps = step;
			return 1;
		}
		deploy_plan_replica(&st, &p);
		ck_assert_int_eq(p.blocked, 0);
		/* Map plan indexes back to sim tasks. */
		for (i = 0; i < p.nstops; i++) {
			for (j = 0, live = 0; (size_t)j < n; j++) {
				if (sim[j].gone)
					continue;
				if (live++ == p.stops[i].task)
					break;
			}
			sim[j].stopping = 1;
		}
		/* Time passes: stops finish, tasks age. */
		for (i = 0; i < n; i++) {
			if (sim[i].stopping)
				sim[i].gone = 1;
			else
				sim[i].age++;
		}
		for (j = 0; j < p.start; j++) {
			memset(&sim[n], 0, sizeof sim[n]);
			sim[n++].dep = newest;
		}
		deploy_plan_clear(&p);
	}
	return 0;
}

START_TEST(test_simulated_rollouts)
{
	static const struct {
		int64_t	desired, maxp, minp;
		int	redeploy_at;
	} t[] = {
		{ 4, 200, 100, -1 }, { 4, 200, 50, -1 }, { 4, 100, 50, -1 },
		{ 4, 100, 0, -1 }, { 2, 200, 75, -1 }, { 3, 150, 100, -1 },
		{ 10, 120, 90, -1 }, { 5, 200, 100, 2 }, { 5, 150, 60, 3 },
		{ 1, 200, 100, 1 }, { 8, 125, 75, 4 },
	};
	size_t	i;
	int	steps = 0;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		ck_assert_msg(sim_run(t[i].desired, t[i].maxp, t[i].minp,
		    t[i].redeploy_at, &steps), "row %zu did not converge", i);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("deploy");
	TCase	*tc = tcase_create("plans");

	tcase_add_test(tc, test_bounds_table);
	tcase_add_test(tc, test_breaker_threshold);
	tcase_add_test(tc, test_throttle_curve);
	tcase_add_test(tc, test_first_move_table);
	tcase_add_test(tc, test_break_as_new_become_healthy);
	tcase_add_test(tc, test_superseded_deployments);
	tcase_add_test(tc, test_scale_in_order);
	tcase_add_test(tc, test_unhealthy_replacement);
	tcase_add_test(tc, test_draining_table);
	tcase_add_test(tc, test_throttled_launch);
	tcase_add_test(tc, test_steady);
	tcase_add_test(tc, test_daemon_plan);
	tcase_add_test(tc, test_simulated_rollouts);
	suite_add_tcase(s, tc);
	return check_run(s);
}
