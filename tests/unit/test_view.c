/* The placement views the engine keeps across reconciles (engine/view.c):
 * after every kind of change they must equal a fresh read of the store,
 * and a change made behind the engine's back must be seen as a difference. */
#include "fixture.h"
#include "check_run.h"
#include "store/store-task.h"

#define SEC	1000LL

/* Moves the clock by ms in half-second steps, the view checked at each. */
static void
run_checked(int64_t ms)
{
	struct err	e;
	int64_t		t = clock_now(clk), end = t + ms;

	for (; t < end; t += 500) {
		clock_run_until(clk, t + 500);
		if (engine_view_check(eng, "default", &e) != 0)
			ck_abort_msg("at %lld ms: %s", (long long)(t + 500 -
			    T0), e.msg);
	}
}

static void
service(const char *name, int count)
{
	char	body[512];

	snprintf(body, sizeof body, "{\"serviceName\":\"%s\","
	    "\"taskDefinition\":\"web\",\"desiredCount\":%d}", name, count);
	call_free("CreateService", body);
}

static void
setup(void)
{
	fixture_setup();
	call_free("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"nginx\","
	    "\"cpu\":256,\"memory\":256,\"portMappings\":[{\"containerPort\":"
	    "80,\"hostPort\":8080}]}]}");
}

START_TEST(test_view_follows_every_change)
{
	struct err	e;
	char		a[256], b[256], d[256], body[1024];

	fixture_instance("i-a", "us-east-1a", a);
	fixture_instance("i-b", "us-east-1b", b);
	service("web", 2);
	run_checked(60 * SEC);
	/* A rolling deploy: tasks start and stop on both instances. */
	call_free("UpdateService", "{\"service\":\"web\","
	    "\"forceNewDeployment\":true}");
	run_checked(120 * SEC);
	/* Attributes change what memberOf sees. */
	snprintf(body, sizeof body, "{\"attributes\":[{\"name\":\"stack\","
	    "\"value\":\"blue\",\"targetId\":\"%s\"}]}", a);
	call_free("PutAttributes", body);
	run_checked(2 * SEC);
	/* An agent goes away and comes back: one with tasks, and one
	 * without, where nothing but the instance changes. */
	fixture_instance("i-d", "us-east-1a", d);
	ck_assert_int_eq(engine_view_check(eng, "default", &e), 0);
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(engine_fault_disconnect(eng, "default", d, &e), 0);
	ck_assert_int_eq(store_commit(st, &e), 0);
	engine_after_commit(eng);
	ck_assert_int_eq(engine_view_check(eng, "default", &e), 0);
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(engine_fault_disconnect(eng, "default", b, &e), 0);
	ck_assert_int_eq(store_commit(st, &e), 0);
	engine_after_commit(eng);
	ck_assert_int_eq(engine_view_check(eng, "default", &e), 0);
	run_checked(5 * SEC);
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(engine_fault_reconnect(eng, "default", b, &e), 0);
	ck_assert_int_eq(store_commit(st, &e), 0);
	engine_after_commit(eng);
	ck_assert_int_eq(engine_view_check(eng, "default", &e), 0);
	/* Draining moves the tasks; a new instance joins. */
	snprintf(body, sizeof body, "{\"containerInstances\":[\"%s\"],"
	    "\"status\":\"DRAINING\"}", a);
	call_free("UpdateContainerInstancesState", body);
	fixture_instance("i-c", "us-east-1c", NULL);
	run_checked(120 * SEC);
	/* A forced deregistration orphans what was left. */
	snprintf(body, sizeof body, "{\"containerInstance\":\"%s\","
	    "\"force\":true}", b);
	call_free("DeregisterContainerInstance", body);
	run_checked(120 * SEC);
	call_free("UpdateService", "{\"service\":\"web\",\"desiredCount\":0}");
	run_checked(60 * SEC);
}
END_TEST

/* One instance (its ARN into a) running one task of a service; the
 * task's row, asked to stop but not yet written, into *tasks. */
static void
one_task_stopping(char *a, struct task_row **tasks)
{
	struct err	e;
	size_t		n;

	fixture_instance("i-a", "us-east-1a", a);
	service("web", 1);
	run_checked(30 * SEC);
	ck_assert_int_eq(store_task_on_instance(st, a, tasks, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	(*tasks)[0].desired_stopped = 1;
}

/* A task written with the engine not told (the hook removed) is a
 * difference the check reports, naming the instance. */
START_TEST(test_view_check_sees_a_change_behind_its_back)
{
	struct task_row	*tasks;
	struct err	 e;
	char		 a[256];

	one_task_stopping(a, &tasks);
	store_set_task_hook(st, NULL, NULL);
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(store_task_update(st, &tasks[0], &e), 0);
	ck_assert_int_eq(store_commit(st, &e), 0);
	task_rows_free(tasks, 1);
	ck_assert_int_eq(engine_view_check(eng, "default", &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, a));
}
END_TEST

/* A write the view followed, then rolled back: the view must not keep
 * it, whoever rolled back (the engine's own tick rolls back without
 * telling anyone but the store). */
START_TEST(test_view_forgets_a_rollback)
{
	struct task_row	*tasks;
	struct err	 e;
	char		 a[256];

	one_task_stopping(a, &tasks);
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(store_task_update(st, &tasks[0], &e), 0);
	store_rollback(st);
	task_rows_free(tasks, 1);
	if (engine_view_check(eng, "default", &e) != 0)
		ck_abort_msg("%s", e.msg);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("view");
	TCase	*tc = tcase_create("view");

	tcase_add_checked_fixture(tc, setup, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_view_follows_every_change);
	tcase_add_test(tc, test_view_check_sees_a_change_behind_its_back);
	tcase_add_test(tc, test_view_forgets_a_rollback);
	suite_add_tcase(s, tc);
	return check_run(s);
}
