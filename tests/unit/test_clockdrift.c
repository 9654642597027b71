/* Clock drift (engine/clockdrift.c): the model read as a function of a
 * clock's state and the time, the clock faults and their events, and the
 * agents that come back after a time or flap by themselves
 * (engine/agents.c). */
#include <math.h>

#include "fixture.h"
#include "check_run.h"
#include "engine/clockdrift.h"
#include "store/store-clock.h"

#define SEC		1000LL
#define RES		"arn:aws:ecs:us-east-1:000000000000:container-instance/" \
			    "default/0123456789abcdef0123456789abcdef"

static struct err	fe;

#define FAULT(call)	(fixture_tx_begin(&fe), fixture_tx_end(call))

/* The events of detail type dt from the outbox, oldest first. */
static cJSON *
events_of(const char *dt)
{
	struct store_event	*rows;
	struct err		 e;
	size_t			 n, i;
	cJSON			*list = cJSON_CreateArray(), *o;

	ck_assert_int_eq(store_event_after(st, 0, 100000, &rows, &n, &e), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].detail_type, dt) != 0)
			continue;
		ck_assert_str_eq(rows[i].source, "ecsim");
		o = cJSON_Duplicate(rows[i].detail, 1);
		cJSON_AddNumberToObject(o, "_time", (double)rows[i].time);
		cJSON_AddItemToArray(list, o);
	}
	store_events_free(rows, n);
	return list;
}

static const char *
str(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, name));
}

static double
num(const cJSON *o, const char *name)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, name));
}

START_TEST(test_synchronized_jitter)
{
	struct clock_reading	a, b;
	int64_t			t;
	double			lo = 1, hi = 0;
	int			changes = 0;

	/* A clock no fault touched: synchronized, the bound in range, the
	 * reference the start of the poll, the same all through a poll. */
	for (t = T0; t < T0 + 200 * CLOCK_POLL_MS; t += CLOCK_POLL_MS / 4) {
		clockdrift_read(NULL, 1, RES, t, &a);
		ck_assert_int_eq(a.synchronized, 1);
		ck_assert(a.bound >= CLOCK_JITTER_MIN);
		ck_assert(a.bound < CLOCK_JITTER_MAX);
		ck_assert(a.reference <= t && a.reference > t - CLOCK_POLL_MS);
		ck_assert_int_eq(a.reference % CLOCK_POLL_MS, 0);
		clockdrift_read(NULL, 1, RES, a.reference + CLOCK_POLL_MS - 1,
		    &b);
		ck_assert(a.bound == b.bound);
		clockdrift_read(NULL, 1, RES, t - CLOCK_POLL_MS, &b);
		changes += a.bound != b.bound;
		lo = fmin(lo, a.bound);
		hi = fmax(hi, a.bound);
	}
	/* It jitters over the whole range, not around one value. */
	ck_assert_int_gt(changes, 700);
	ck_assert(lo < 0.3 && hi > 0.7);
	/* Another seed or clock reads otherwise; the same reads the same. */
	clockdrift_read(NULL, 1, RES, T0, &a);
	clockdrift_read(NULL, 2, RES, T0, &b);
	ck_assert(a.bound != b.bound);
	clockdrift_read(NULL, 1, RES "0", T0, &b);
	ck_assert(a.bound != b.bound);
	clockdrift_read(NULL, 1, RES, T0, &b);
	ck_assert(a.bound == b.bound);
}
END_TEST

START_TEST(test_drift_model)
{
	struct clock_row	r = { 0, 1, 0.5, T0, 0.05 };
	struct clock_reading	c;
	cJSON			*j;

	/* Out of sync: the bound grows linearly from where it was lost, the
	 * reference stays at the loss. */
	clockdrift_read(&r, 1, RES, T0, &c);
	ck_assert_int_eq(c.synchronized, 0);
	ck_assert_double_eq_tol(c.bound, 0.5, 1e-9);
	ck_assert_int_eq(c.reference, T0);
	clockdrift_read(&r, 1, RES, T0 + 10 * SEC, &c);
	ck_assert_double_eq_tol(c.bound, 1.0, 1e-9);
	clockdrift_read(&r, 1, RES, T0 + 3600 * SEC, &c);
	ck_assert_double_eq_tol(c.bound, 180.5, 1e-9);
	ck_assert_int_eq(c.reference, T0);
	/* A set bound while synchronized holds, without jitter. */
	r.synchronized = 1;
	r.bound = 3.25;
	clockdrift_read(&r, 1, RES, T0 + 3600 * SEC, &c);
	ck_assert_int_eq(c.synchronized, 1);
	ck_assert_double_eq_tol(c.bound, 3.25, 1e-9);
	/* Capped at an hour of error. */
	r.synchronized = 0;
	r.drift = CLOCK_DRIFT_MAX;
	clockdrift_read(&r, 1, RES, T0 + 100000 * SEC, &c);
	ck_assert_double_eq_tol(c.bound, CLOCK_BOUND_MAX, 1e-9);

	/* The metadata shape: microseconds, RFC 3339, the status. */
	c.bound = 1.23456789;
	c.reference = T0 + 1234;
	c.synchronized = 0;
	j = clockdrift_json(&c);
	ck_assert_double_eq_tol(num(j, "ClockErrorBound"), 1.234568, 1e-12);
	ck_assert_str_eq(str(j, "ReferenceTimestamp"), "2023-11-14T22:13:21Z");
	ck_assert_str_eq(str(j, "ClockSynchronizationStatus"),
	    "NOT_SYNCHRONIZED");
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_clock_faults)
{
	struct clock_reading	 c, before;
	struct prng		 p;
	char			 a[256], *res = NULL;
	cJSON			*ev;
	double			 lost;

	fixture_instance("i-0aaa", "us-east-1a", a);
	ck_assert_int_eq(engine_clock_read(eng, a, &before, &fe), 0);
	ck_assert_int_eq(before.synchronized, 1);
	/* Reading never draws from the engine's PRNG. */
	p = *engine_prng(eng);
	ck_assert_int_eq(engine_clock_read(eng, a, &c, &fe), 0);
	ck_assert_mem_eq(&p, engine_prng(eng), sizeof p);

	clock_run_until(clk, T0 + 5 * SEC);
	ck_assert_int_eq(engine_clock_read(eng, a, &c, &fe), 0);
	lost = c.bound;
	ck_assert_int_eq(FAULT(engine_fault_clock_lose(eng, NULL, "i-0aaa",
	    NULL, 0, &res, &fe)), 0);
	ck_assert_str_eq(res, a);
	free(res);
	clock_run_until(clk, T0 + 25 * SEC);
	ck_assert_int_eq(engine_clock_read(eng, a, &c, &fe), 0);
	ck_assert_int_eq(c.synchronized, 0);
	ck_assert_double_eq_tol(c.bound, lost + 20 * CLOCK_DRIFT_DEFAULT,
	    1e-9);
	ck_assert(c.bound > 1.0);
	ck_assert_int_eq(c.reference, T0 + 5 * SEC);

	/* A bound set out of sync grows from there, at the rate given. */
	ck_assert_int_eq(FAULT(engine_fault_clock_lose(eng, NULL, a, NULL, 0.5,
	    NULL, &fe)), 0);
	ck_assert_int_eq(FAULT(engine_fault_clock_bound(eng, NULL, a, NULL,
	    2.0, -1, NULL, &fe)), 0);
	clock_run_until(clk, T0 + 27 * SEC);
	ck_assert_int_eq(engine_clock_read(eng, a, &c, &fe), 0);
	ck_assert_double_eq_tol(c.bound, 3.0, 1e-9);
	ck_assert_int_eq(c.synchronized, 0);

	ck_assert_int_eq(FAULT(engine_fault_clock_restore(eng, NULL, a, NULL,
	    NULL, &fe)), 0);
	ck_assert_int_eq(engine_clock_read(eng, a, &c, &fe), 0);
	ck_assert_int_eq(c.synchronized, 1);
	ck_assert(c.bound >= CLOCK_JITTER_MIN && c.bound < CLOCK_JITTER_MAX);

	/* One event each, with the new state. */
	ev = events_of("ecsim Clock Drift Change");
	ck_assert_int_eq(cJSON_GetArraySize(ev), 4);
	ck_assert_str_eq(str(cJSON_GetArrayItem(ev, 0), "change"),
	    "lose-sync");
	ck_assert_str_eq(str(cJSON_GetArrayItem(ev, 0), "resource"), a);
	ck_assert_str_eq(str(cJSON_GetArrayItem(ev, 0),
	    "ClockSynchronizationStatus"), "NOT_SYNCHRONIZED");
	ck_assert_double_eq_tol(num(cJSON_GetArrayItem(ev, 0), "driftRate"),
	    CLOCK_DRIFT_DEFAULT, 1e-12);
	ck_assert_double_eq_tol(num(cJSON_GetArrayItem(ev, 0), "_time"),
	    T0 + 5 * SEC, 0.5);
	ck_assert_double_eq_tol(num(cJSON_GetArrayItem(ev, 1), "driftRate"),
	    0.5, 1e-12);
	ck_assert_str_eq(str(cJSON_GetArrayItem(ev, 2), "change"),
	    "set-bound");
	ck_assert_double_eq_tol(num(cJSON_GetArrayItem(ev, 2),
	    "ClockErrorBound"), 2.0, 1e-9);
	ck_assert_str_eq(str(cJSON_GetArrayItem(ev, 3),
	    "ClockSynchronizationStatus"), "SYNCHRONIZED");
	cJSON_Delete(ev);
}
END_TEST

START_TEST(test_clock_fault_errors)
{
	struct clock_reading	c;
	char			a[256], task[256];
	cJSON			*r;
	int64_t			events;

	fixture_instance("i-0bbb", "us-east-1a", a);
	call_free("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"nginx\","
	    "\"memory\":128}]}");
	r = call("RunTask", "{\"taskDefinition\":\"web\"}");
	snprintf(task, sizeof task, "%s", str(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(r, "tasks"), 0), "taskArn"));
	cJSON_Delete(r);
	events = store_event_count(st);

	ck_assert_int_eq(FAULT(engine_fault_clock_lose(eng, NULL, NULL, NULL,
	    0, NULL, &fe)), -1);
	ck_assert_int_eq(fe.code, ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(fe.msg, "not neither"));
	ck_assert_int_eq(FAULT(engine_fault_clock_lose(eng, NULL, a, task, 0,
	    NULL, &fe)), -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "not both"));
	ck_assert_int_eq(FAULT(engine_fault_clock_lose(eng, NULL, "i-nope",
	    NULL, 0, NULL, &fe)), -1);
	ck_assert_str_eq(fe.msg, "Container instance i-nope was not found in "
	    "cluster default.");
	ck_assert_int_eq(FAULT(engine_fault_clock_lose(eng, NULL, NULL, task,
	    0, NULL, &fe)), -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "its clock is the instance's"));
	ck_assert_int_eq(FAULT(engine_fault_clock_lose(eng, NULL, a, NULL, -1,
	    NULL, &fe)), -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "drift rate"));
	ck_assert_int_eq(FAULT(engine_fault_clock_bound(eng, NULL, a, NULL,
	    -0.5, -1, NULL, &fe)), -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "error bound must be"));
	ck_assert_int_eq(FAULT(engine_fault_clock_restore(eng, "nope", a, NULL,
	    NULL, &fe)), -1);
	ck_assert_int_eq(fe.code, ERR_CLUSTER_NOT_FOUND);

	/* Nothing changed: no event, the clock synchronized. */
	ck_assert_int_eq(store_event_count(st), events);
	ck_assert_int_eq(engine_clock_read(eng, a, &c, &fe), 0);
	ck_assert_int_eq(c.synchronized, 1);
}
END_TEST

/* agentConnected of the instance arn, from DescribeContainerInstances. */
static int
connected(const char *arn)
{
	char	 body[512];
	cJSON	*r;
	int	 v;

	snprintf(body, sizeof body, "{\"containerInstances\":[\"%s\"]}", arn);
	r = call("DescribeContainerInstances", body);
	v = cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(r, "containerInstances"), 0),
	    "agentConnected"));
	cJSON_Delete(r);
	return v;
}

START_TEST(test_disconnect_for_a_time)
{
	char	 a[256];
	cJSON	*ev;

	fixture_instance("i-0ccc", "us-east-1a", a);
	ck_assert_int_eq(FAULT(engine_fault_disconnect_for(eng, NULL, "i-0ccc",
	    30 * SEC, &fe)), 0);
	ck_assert_int_eq(connected(a), 0);
	clock_run_until(clk, T0 + 29 * SEC);
	ck_assert_int_eq(connected(a), 0);
	clock_run_until(clk, T0 + 30 * SEC);
	ck_assert_int_eq(connected(a), 1);
	ck_assert_int_eq(store_outage_next(st), 0);

	/* For good: no return; a reconnection ends it. */
	ck_assert_int_eq(FAULT(engine_fault_disconnect_for(eng, NULL, a,
	    10 * SEC, &fe)), 0);
	ck_assert_int_eq(FAULT(engine_fault_disconnect(eng, NULL, a, &fe)), 0);
	clock_run_until(clk, T0 + 300 * SEC);
	ck_assert_int_eq(connected(a), 0);
	ck_assert_int_eq(FAULT(engine_fault_disconnect_for(eng, NULL, a, 0,
	    &fe)), -1);
	ck_assert_int_eq(fe.code, ERR_INVALID);
	ck_assert_int_eq(FAULT(engine_fault_reconnect(eng, NULL, a, &fe)), 0);
	ck_assert_int_eq(FAULT(engine_fault_disconnect(eng, NULL, a, &fe)), 0);

	/* The disconnection for good of an agent already out changed no
	 * connection: no event of its own. */
	ev = events_of("ecsim Fault Injected");
	ck_assert_int_eq(cJSON_GetArraySize(ev), 5);
	ck_assert_str_eq(str(cJSON_GetArrayItem(ev, 0), "kind"), "disconnect");
	ck_assert_str_eq(str(cJSON_GetArrayItem(ev, 0), "target"), a);
	ck_assert_double_eq_tol(num(cJSON_GetArrayItem(ev, 0), "duration"), 30,
	    1e-9);
	ck_assert_str_eq(str(cJSON_GetArrayItem(ev, 1), "kind"), "reconnect");
	ck_assert_double_eq_tol(num(cJSON_GetArrayItem(ev, 1), "_time"),
	    T0 + 30 * SEC, 0.5);
	ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 1),
	    "duration"));
	ck_assert_double_eq_tol(num(cJSON_GetArrayItem(ev, 2), "duration"), 10,
	    1e-9);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 4),
	    "duration")));
	cJSON_Delete(ev);
}
END_TEST

/*
 * A fresh engine whose agents flap 30 times an hour each, three instances,
 * two hours of virtual time: the fault events as "kind instance time"
 * lines (the instance by its registration, the time from the start), and
 * the number of flaps.
 */
static char *
flap_run(uint64_t seed, int *flaps)
{
	struct engine_config	 c;
	struct err		 e;
	struct store		*st0 = st;
	struct engine		*eng0 = eng;
	struct clock		*clk0 = clk;
	cJSON			*ev, *j;
	char			 a[3][256], *out = xstrdup(""), *line;
	int			 i, k;

	engine_config_defaults(&c);
	c.seed = seed;
	c.agent_flaps = 30;
	clk = clock_new(base, CLOCK_VIRTUAL, 1, T0);
	st = store_open(":memory:", &e);
	eng = engine_new(base, clk, st, &c, &e);
	ck_assert_ptr_nonnull(eng);
	fixture_instance("i-0f01", "us-east-1a", a[0]);
	fixture_instance("i-0f02", "us-east-1a", a[1]);
	fixture_instance("i-0f03", "us-east-1a", a[2]);
	clock_run_until(clk, T0 + 7200 * SEC);
	ev = events_of("ecsim Fault Injected");
	*flaps = 0;
	cJSON_ArrayForEach(j, ev) {
		if (strcmp(str(j, "kind"), "flap") == 0) {
			(*flaps)++;
			ck_assert(num(j, "duration") >= 2);
			ck_assert(num(j, "duration") <= 10);
		}
		for (k = 0, i = 0; i < 3; i++)
			if (strcmp(str(j, "target"), a[i]) == 0)
				k = i + 1;
		ck_assert_int_gt(k, 0);
		line = xprintf("%s%s %d %.0f\n", out, str(j, "kind"), k,
		    num(j, "_time") - T0);
		free(out);
		out = line;
	}
	cJSON_Delete(ev);
	engine_free(eng);
	ck_assert_int_eq(store_close(st), 0);
	clock_free(clk);
	st = st0;
	eng = eng0;
	clk = clk0;
	return out;
}

START_TEST(test_agents_flap)
{
	char	*one, *two, *three, *p;
	int	 n1, n2, n3, reconnects = 0;

	one = flap_run(7, &n1);
	two = flap_run(7, &n2);
	three = flap_run(8, &n3);
	/* 3 agents x 30/h x 2 h: about 180. */
	ck_assert_int_gt(n1, 120);
	ck_assert_int_lt(n1, 250);
	/* Each flap ends in a reconnection. */
	for (p = one; (p = strstr(p, "reconnect ")) != NULL; p++)
		reconnects++;
	ck_assert_int_ge(reconnects, n1 - 1);
	ck_assert_int_le(reconnects, n1);
	/* A seed replays the same flaps; another seed others. */
	ck_assert_str_eq(one, two);
	ck_assert_str_ne(one, three);
	free(one);
	free(two);
	free(three);
}
END_TEST

START_TEST(test_agents_off_by_default)
{
	char	 a[256];
	cJSON	*ev;

	fixture_instance("i-0ddd", "us-east-1a", a);
	clock_run_until(clk, T0 + 7200 * SEC);
	ck_assert_int_eq(connected(a), 1);
	ev = events_of("ecsim Fault Injected");
	ck_assert_int_eq(cJSON_GetArraySize(ev), 0);
	cJSON_Delete(ev);
}
END_TEST

static Suite *
clockdrift_suite(void)
{
	Suite	*s = suite_create("clockdrift");
	TCase	*tc = tcase_create("clockdrift");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_synchronized_jitter);
	tcase_add_test(tc, test_drift_model);
	tcase_add_test(tc, test_clock_faults);
	tcase_add_test(tc, test_clock_fault_errors);
	tcase_add_test(tc, test_disconnect_for_a_time);
	tcase_add_test(tc, test_agents_flap);
	tcase_add_test(tc, test_agents_off_by_default);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(clockdrift_suite());
}
