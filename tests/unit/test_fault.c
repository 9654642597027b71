/* Faults as engine commands (engine/fault.c) on the virtual clock: agents
 * disconnecting and coming back, hosts and zones lost, crashes, image
 * behaviour overrides, and the errors for bad arguments. */
#include "fixture.h"
#include "check_run.h"
#include "store/store-fault.h"

#define SEC		1000LL
#define SVC_ARN		"arn:aws:ecs:us-east-1:000000000000:service/default/web"

static struct err	fe;	/* the error of the last fault */

#define FAULT(call)	(fixture_tx_begin(&fe), fixture_tx_end(call))

static const char *
str(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, name));
}

static int64_t
num(const cJSON *o, const char *name)
{
	return (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(o, name));
}

/* The one resource a Describe operation shows for arn; list names both
 * the request's and the reply's array. Caller frees. */
static cJSON *
describe_one(const char *op, const char *list, const char *arn)
{
	char	 body[512];
	cJSON	*r, *one;

	snprintf(body, sizeof body, "{\"%s\":[\"%s\"]}", list, arn);
	r = call(op, body);
	one = cJSON_DetachItemFromArray(cJSON_GetObjectItem(r, list), 0);
	cJSON_Delete(r);
	ck_assert_ptr_nonnull(one);
	return one;
}

static cJSON *
describe_instance(const char *arn)
{
	return describe_one("DescribeContainerInstances", "containerInstances",
	    arn);
}

static cJSON *
describe_task(const char *arn)
{
	return describe_one("DescribeTasks", "tasks", arn);
}

/* Asserts that the task's member (a string) is want. */
static void
expect_task(const char *arn, const char *member, const char *want)
{
	cJSON	*t = describe_task(arn);

	ck_assert_str_eq(str(t, member), want);
	cJSON_Delete(t);
}

static cJSON *
service(void)
{
	cJSON	*r = call("DescribeServices", "{\"services\":[\"web\"]}");
	cJSON	*s = cJSON_DetachItemFromArray(cJSON_GetObjectItem(r,
		    "services"), 0);

	cJSON_Delete(r);
	return s;
}

/* A family of one container using image, with extra members (",..." or
 * ""). */
static void
taskdef(const char *family, const char *image, const char *extra)
{
	char	body[1024];

	snprintf(body, sizeof body, "{\"family\":\"%s\","
	    "\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"%s\","
	    "\"memory\":256%s}]}", family, image, extra);
	call_free("RegisterTaskDefinition", body);
}

static void
create_service(int desired)
{
	char	body[256];

	snprintf(body, sizeof body, "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web\",\"desiredCount\":%d}", desired);
	call_free("CreateService", body);
}

/* RunTask of family: the task's ARN into arn (256 bytes). */
static void
run_task(const char *family, char *arn)
{
	char	 body[256];
	cJSON	*r;

	snprintf(body, sizeof body, "{\"taskDefinition\":\"%s\"}", family);
	r = call("RunTask", body);
	snprintf(arn, 256, "%s", str(cJSON_GetArrayItem(cJSON_GetObjectItem(r,
	    "tasks"), 0), "taskArn"));
	cJSON_Delete(r);
}

/* One instance i-aaaa (ARN into a) running one task of family job (ARN
 * into task), just placed. */
static void
one_task(char *a, char *task)
{
	fixture_instance("i-aaaa", "us-east-1a", a);
	taskdef("job", "busybox", "");
	run_task("job", task);
}

/* Instances i-aaaa (us-east-1a) and i-bbbb (in zone_b), ARNs into a and
 * b, and service web of two tasks, one on each, after a minute. */
static void
web_on_two(char *a, char *b, const char *zone_b)
{
	fixture_instance("i-aaaa", "us-east-1a", a);
	fixture_instance("i-bbbb", zone_b, b);
	taskdef("web", "nginx", "");
	create_service(2);
	clock_run_until(clk, T0 + 60 * SEC);
}

/* The service's live tasks (desiredStatus RUNNING), and how many of them
 * are on instance arn. */
static int
service_tasks(const char *arn, int *on)
{
	struct task_row	*t = NULL;
	struct err	 e;
	size_t		 n = 0, i;
	int		 live = 0;

	*on = 0;
	ck_assert_int_eq(store_task_of_service(st, SVC_ARN, &t, &n, &e), 0);
	for (i = 0; i < n; i++) {
		if (t[i].desired_stopped)
			continue;
		live++;
		if (arn != NULL && t[i].instance_arn != NULL &&
		    strcmp(t[i].instance_arn, arn) == 0)
			(*on)++;
	}
	task_rows_free(t, n);
	return live;
}

/* The ARN of the service's first live task on instance arn, into out. */
static void
service_task_on(const char *arn, char *out)
{
	struct task_row	*t = NULL;
	struct err	 e;
	size_t		 n = 0, i;

	out[0] = '\0';
	ck_assert_int_eq(store_task_of_service(st, SVC_ARN, &t, &n, &e), 0);
	for (i = 0; i < n; i++)
		if (!t[i].desired_stopped && t[i].instance_arn != NULL &&
		    strcmp(t[i].instance_arn, arn) == 0) {
			snprintf(out, 256, "%s", t[i].arn);
			break;
		}
	task_rows_free(t, n);
	ck_assert_str_ne(out, "");
}

/*
 * A disconnected agent: agentConnected false (one instance change), its
 * task keeps running, stays counted and shows DISCONNECTED (one task
 * change); nothing new is placed there and nothing is moved off it, however
 * long it lasts. Reconnecting is one change again.
 */
START_TEST(test_disconnect_keeps_tasks)
{
	char	 a[256], b[256], task[256];
	cJSON	*ci, *t, *s;
	int64_t	 ci_version, t_version, events;
	int	 on;

	web_on_two(a, b, "us-east-1a");
	ck_assert_int_eq(service_tasks(a, &on), 2);
	ck_assert_int_eq(on, 1);
	service_task_on(a, task);

	ci = describe_instance(a);
	ci_version = num(ci, "version");
	cJSON_Delete(ci);
	t = describe_task(task);
	t_version = num(t, "version");
	ck_assert_str_eq(str(t, "connectivity"), "CONNECTED");
	cJSON_Delete(t);
	events = store_event_count(st);

	/* By EC2 instance id. */
	ck_assert_int_eq(FAULT(engine_fault_disconnect(eng, NULL, "i-aaaa",
	    &fe)), 0);
	/* The instance's and the task's, and the fault's own. */
	ck_assert_int_eq(store_event_count(st) - events, 3);
	ci = describe_instance(a);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(ci, "agentConnected")));
	ck_assert_int_eq(num(ci, "version"), ci_version + 1);
	ck_assert_str_eq(str(ci, "status"), "ACTIVE");
	ck_assert_int_eq(num(ci, "runningTasksCount"), 1);
	cJSON_Delete(ci);
	t = describe_task(task);
	ck_assert_int_eq(num(t, "version"), t_version + 1);
	ck_assert_str_eq(str(t, "connectivity"), "DISCONNECTED");
	ck_assert_str_eq(str(t, "lastStatus"), "RUNNING");
	cJSON_Delete(t);
	/* Again: already disconnected, no change. */
	events = store_event_count(st);
	ck_assert_int_eq(FAULT(engine_fault_disconnect(eng, NULL, a, &fe)), 0);
	ck_assert_int_eq(store_event_count(st), events);

	/* Ten minutes: the task stays, counted; scaling up places on b only. */
	clock_run_until(clk, T0 + 10 * 60 * SEC);
	s = service();
	ck_assert_int_eq(num(s, "runningCount"), 2);
	cJSON_Delete(s);
	call_free("UpdateService", "{\"service\":\"web\",\"desiredCount\":4}");
	clock_run_until(clk, T0 + 11 * 60 * SEC);
	ck_assert_int_eq(service_tasks(a, &on), 4);
	ck_assert_int_eq(on, 1);
	ck_assert_int_eq(service_tasks(b, &on), 4);
	ck_assert_int_eq(on, 3);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "lastStatus"), "RUNNING");
	ck_assert_str_eq(str(t, "desiredStatus"), "RUNNING");
	ck_assert_int_eq(num(t, "version"), t_version + 1);
	cJSON_Delete(t);

	/* Back, by container-instance ARN. */
	ci = describe_instance(a);
	ci_version = num(ci, "version");
	cJSON_Delete(ci);
	events = store_event_count(st);
	ck_assert_int_eq(FAULT(engine_fault_reconnect(eng, NULL, a, &fe)), 0);
	ck_assert_int_eq(store_event_count(st) - events, 3);
	ci = describe_instance(a);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(ci, "agentConnected")));
	ck_assert_int_eq(num(ci, "version"), ci_version + 1);
	cJSON_Delete(ci);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "connectivity"), "CONNECTED");
	ck_assert_int_eq(num(t, "version"), t_version + 2);
	cJSON_Delete(t);
	clock_run_until(clk, T0 + 12 * 60 * SEC);
	s = service();
	ck_assert_int_eq(num(s, "runningCount"), 4);
	cJSON_Delete(s);
}
END_TEST

/*
 * Steps that need the agent wait while it is away: a PENDING task does not
 * start and a stop is not carried out; both go on once it is back, shown
 * at the reconnection.
 */
START_TEST(test_steps_wait_for_the_agent)
{
	char	 a[256], task[256], body[512];
	cJSON	*t;

	one_task(a, task);
	ck_assert_int_eq(FAULT(engine_fault_disconnect(eng, NULL, a, &fe)), 0);
	clock_run_until(clk, T0 + 30 * SEC);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "lastStatus"), "PENDING");
	ck_assert_str_eq(str(t, "connectivity"), "DISCONNECTED");
	/* created, held */
	ck_assert_int_eq(num(t, "version"), 2);
	cJSON_Delete(t);

	ck_assert_int_eq(FAULT(engine_fault_reconnect(eng, NULL, a, &fe)), 0);
	clock_run_until(clk, T0 + 40 * SEC);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "lastStatus"), "RUNNING");
	/* Pulled meanwhile (seen at 30 s), started a step later. */
	ck_assert_int_eq((int64_t)(cJSON_GetNumberValue(cJSON_GetObjectItem(t,
	    "startedAt")) * 1000), T0 + 31 * SEC);
	cJSON_Delete(t);

	ck_assert_int_eq(FAULT(engine_fault_disconnect(eng, NULL, a, &fe)), 0);
	snprintf(body, sizeof body, "{\"task\":\"%s\"}", task);
	call_free("StopTask", body);
	clock_run_until(clk, T0 + 100 * SEC);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "desiredStatus"), "STOPPED");
	ck_assert_str_eq(str(t, "lastStatus"), "RUNNING");
	cJSON_Delete(t);
	ck_assert_int_eq(FAULT(engine_fault_reconnect(eng, NULL, a, &fe)), 0);
	clock_run_until(clk, T0 + 110 * SEC);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "lastStatus"), "STOPPED");
	ck_assert_str_eq(str(t, "stopCode"), "UserInitiated");
	/* DEACTIVATING at 100 s, STOPPING at 101 s, exit 102 s. */
	ck_assert_int_eq((int64_t)(cJSON_GetNumberValue(cJSON_GetObjectItem(t,
	    "stoppedAt")) * 1000), T0 + 102 * SEC);
	cJSON_Delete(t);
}
END_TEST

/* An agent that registers again after a disconnect is back: the same
 * instance, connected, and its held task goes on to RUNNING. */
START_TEST(test_register_again_reconnects)
{
	char	 a[256], again[256], task[256];
	cJSON	*t;

	one_task(a, task);
	ck_assert_int_eq(FAULT(engine_fault_disconnect(eng, NULL, a, &fe)), 0);
	clock_run_until(clk, T0 + 30 * SEC);
	fixture_instance("i-aaaa", "us-east-1a", again);
	ck_assert_str_eq(again, a);
	clock_run_until(clk, T0 + 40 * SEC);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "lastStatus"), "RUNNING");
	ck_assert_str_eq(str(t, "connectivity"), "CONNECTED");
	cJSON_Delete(t);
	t = describe_one("DescribeContainerInstances", "containerInstances", a);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(t, "agentConnected")));
	cJSON_Delete(t);
}
END_TEST

/*
 * Health stays as last heard while the agent is away; the checks that
 * failed meanwhile are reported when it is back.
 */
START_TEST(test_health_frozen_while_disconnected)
{
	char	 a[256], task[256];
	cJSON	*t;

	fixture_instance("i-aaaa", "us-east-1a", a);
	taskdef("job", "busybox", ",\"healthCheck\":{\"command\":[\"CMD\","
	    "\"true\"],\"interval\":5,\"timeout\":2,\"retries\":1},"
	    "\"dockerLabels\":{\"ecsim.health\":\"unhealthy after 20s\"}");
	run_task("job", task);
	/* RUNNING at 2 s, the first check passes at 7 s. */
	clock_run_until(clk, T0 + 15 * SEC);
	expect_task(task, "healthStatus", "HEALTHY");
	ck_assert_int_eq(FAULT(engine_fault_disconnect(eng, NULL, a, &fe)), 0);
	clock_run_until(clk, T0 + 120 * SEC);
	expect_task(task, "healthStatus", "HEALTHY");
	ck_assert_int_eq(FAULT(engine_fault_reconnect(eng, NULL, a, &fe)), 0);
	clock_run_until(clk, T0 + 121 * SEC);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "healthStatus"), "UNHEALTHY");
	ck_assert_str_eq(str(t, "lastStatus"), "RUNNING");
	cJSON_Delete(t);
}
END_TEST

/*
 * A terminated host: its instance INACTIVE and disconnected, its task
 * STOPPED at once with TerminationNotice, and the service replaces it on
 * the other instance.
 */
START_TEST(test_terminate_replaces_elsewhere)
{
	char	 a[256], b[256], task[256];
	cJSON	*ci, *t, *s;
	int64_t	 events, version;
	int	 on;

	web_on_two(a, b, "us-east-1b");
	service_task_on(a, task);
	ci = describe_instance(a);
	version = num(ci, "version");
	cJSON_Delete(ci);
	events = store_event_count(st);

	ck_assert_int_eq(FAULT(engine_fault_terminate(eng, "default", "i-aaaa",
	    &fe)), 0);
	/* The instance deregistered, the task stopped and released it; the
	 * fault's own event. */
	ck_assert_int_eq(store_event_count(st) - events, 4);
	ci = describe_instance(a);
	ck_assert_str_eq(str(ci, "status"), "INACTIVE");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(ci, "agentConnected")));
	ck_assert_int_eq(num(ci, "version"), version + 2);
	ck_assert_int_eq(num(ci, "runningTasksCount"), 0);
	cJSON_Delete(ci);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "lastStatus"), "STOPPED");
	ck_assert_str_eq(str(t, "desiredStatus"), "STOPPED");
	ck_assert_str_eq(str(t, "stopCode"), "TerminationNotice");
	ck_assert_str_eq(str(t, "stoppedReason"),
	    "Host EC2 (instance i-aaaa) terminated.");
	ck_assert_str_eq(str(cJSON_GetArrayItem(cJSON_GetObjectItem(t,
	    "containers"), 0), "lastStatus"), "STOPPED");
	cJSON_Delete(t);

	clock_run_until(clk, T0 + 120 * SEC);
	ck_assert_int_eq(service_tasks(b, &on), 2);
	ck_assert_int_eq(on, 2);
	s = service();
	ck_assert_int_eq(num(s, "runningCount"), 2);
	cJSON_Delete(s);
	/* Gone for good. */
	ck_assert_int_eq(FAULT(engine_fault_terminate(eng, NULL, a, &fe)), -1);
	ck_assert_int_eq(fe.code, ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(fe.msg, "INACTIVE"));
}
END_TEST

/* A disconnected instance deregistered with force: its held tasks stop at
 * once, as there is no agent to stop them. */
START_TEST(test_deregister_disconnected)
{
	char	 a[256], task[256], body[512];
	cJSON	*t;

	one_task(a, task);
	clock_run_until(clk, T0 + 10 * SEC);
	ck_assert_int_eq(FAULT(engine_fault_disconnect(eng, NULL, a, &fe)), 0);
	snprintf(body, sizeof body, "{\"containerInstance\":\"%s\","
	    "\"force\":true}", a);
	call_free("DeregisterContainerInstance", body);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "lastStatus"), "STOPPED");
	ck_assert_str_eq(str(t, "stoppedReason"),
	    "Container instance deregistered");
	cJSON_Delete(t);
}
END_TEST

/*
 * An image that cannot be pulled, set by a fault: the override wins over
 * the task definition's own label, applies to tasks created from then on,
 * by exact image or prefix, and goes when removed.
 */
START_TEST(test_image_pull_failure)
{
	char	 task[256];
	cJSON	*t, *c;
	int	 on;

	fixture_instance("i-aaaa", "us-east-1a", NULL);
	taskdef("web", "registry/app:v2", ",\"dockerLabels\":"
	    "{\"ecsim.pull\":\"2s\"}");
	ck_assert_int_eq(FAULT(engine_fault_image_behaviour(eng,
	    "registry/app:*", "ecsim.pull", "fail", &fe)), 0);
	run_task("web", task);
	clock_run_until(clk, T0 + 10 * SEC);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "lastStatus"), "STOPPED");
	ck_assert_str_eq(str(t, "stopCode"), "TaskFailedToStart");
	ck_assert(str_has_prefix(str(t, "stoppedReason"),
	    "CannotPullContainerError: "));
	c = cJSON_GetArrayItem(cJSON_GetObjectItem(t, "containers"), 0);
	ck_assert_ptr_nonnull(strstr(str(c, "reason"), "registry/app:v2"));
	/* Failed after one step, not the label's 2 s. */
	ck_assert_int_eq((int64_t)(cJSON_GetNumberValue(cJSON_GetObjectItem(t,
	    "stoppedAt")) * 1000), T0 + 1 * SEC);
	cJSON_Delete(t);

	/* An exact image is more specific than the prefix. */
	ck_assert_int_eq(FAULT(engine_fault_image_behaviour(eng,
	    "registry/app:v2", "ecsim.pull", "3s", &fe)), 0);
	run_task("web", task);
	clock_run_until(clk, T0 + 20 * SEC);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "lastStatus"), "RUNNING");
	ck_assert_int_eq((int64_t)(cJSON_GetNumberValue(cJSON_GetObjectItem(t,
	    "pullStoppedAt")) * 1000), T0 + 13 * SEC);
	cJSON_Delete(t);

	/* Both removed: the service's tasks run with the label's pull. */
	ck_assert_int_eq(FAULT(engine_fault_image_behaviour(eng,
	    "registry/app:*", "ecsim.pull", NULL, &fe)), 0);
	ck_assert_int_eq(FAULT(engine_fault_image_behaviour(eng,
	    "registry/app:v2", "ecsim.pull", NULL, &fe)), 0);
	create_service(1);
	clock_run_until(clk, T0 + 30 * SEC);
	ck_assert_int_eq(service_tasks(NULL, &on), 1);
	{
		cJSON	*s = service();

		ck_assert_int_eq(num(s, "runningCount"), 1);
		cJSON_Delete(s);
	}
}
END_TEST

/* A service whose image fails to pull after a fault: its tasks never run
 * and the failures count against the deployment. */
START_TEST(test_image_fault_on_service)
{
	cJSON	*s, *d;

	fixture_instance("i-aaaa", "us-east-1a", NULL);
	taskdef("web", "nginx:1.27", "");
	ck_assert_int_eq(FAULT(engine_fault_image_behaviour(eng, "nginx:1.27",
	    "ecsim.pull", "fail", &fe)), 0);
	create_service(1);
	clock_run_until(clk, T0 + 30 * SEC);
	s = service();
	ck_assert_int_eq(num(s, "runningCount"), 0);
	d = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "deployments"), 0);
	ck_assert_int_ge(num(d, "failedTasks"), 2);
	cJSON_Delete(s);
}
END_TEST

/*
 * A crash: the essential container exits with the code, the task stops
 * with EssentialContainerExited in the fault's own transaction, and the
 * service replaces it.
 */
START_TEST(test_crash_replaced)
{
	char	 a[256], task[256];
	cJSON	*t, *c, *s;
	int	 on;

	fixture_instance("i-aaaa", "us-east-1a", a);
	taskdef("web", "nginx", "");
	create_service(1);
	clock_run_until(clk, T0 + 60 * SEC);
	service_task_on(a, task);
	ck_assert_int_eq(FAULT(engine_fault_crash_task(eng, NULL, task, NULL,
	    137, &fe)), 0);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "desiredStatus"), "STOPPED");
	ck_assert_str_eq(str(t, "stopCode"), "EssentialContainerExited");
	ck_assert_str_eq(str(t, "stoppedReason"),
	    "Essential container in task exited");
	c = cJSON_GetArrayItem(cJSON_GetObjectItem(t, "containers"), 0);
	ck_assert_int_eq(num(c, "exitCode"), 137);
	ck_assert_str_eq(str(c, "lastStatus"), "STOPPED");
	cJSON_Delete(t);
	clock_run_until(clk, T0 + 70 * SEC);
	expect_task(task, "lastStatus", "STOPPED");
	ck_assert_int_eq(service_tasks(a, &on), 1);
	ck_assert_int_eq(on, 1);
	s = service();
	ck_assert_int_eq(num(s, "runningCount"), 1);
	cJSON_Delete(s);
	/* It is stopped: it cannot crash again. */
	ck_assert_int_eq(FAULT(engine_fault_crash_task(eng, NULL, task, NULL,
	    1, &fe)), -1);
	ck_assert_int_eq(fe.code, ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(fe.msg, "is not running"));
}
END_TEST

/* A crash on a disconnected instance is shown when the agent is back. */
START_TEST(test_crash_while_disconnected)
{
	char	 a[256], task[256];
	cJSON	*t;

	one_task(a, task);
	clock_run_until(clk, T0 + 10 * SEC);
	ck_assert_int_eq(FAULT(engine_fault_disconnect(eng, NULL, a, &fe)), 0);
	ck_assert_int_eq(FAULT(engine_fault_crash_task(eng, NULL, task, "app",
	    2, &fe)), 0);
	clock_run_until(clk, T0 + 50 * SEC);
	expect_task(task, "desiredStatus", "RUNNING");
	ck_assert_int_eq(FAULT(engine_fault_reconnect(eng, NULL, a, &fe)), 0);
	clock_run_until(clk, T0 + 60 * SEC);
	t = describe_task(task);
	ck_assert_str_eq(str(t, "lastStatus"), "STOPPED");
	ck_assert_str_eq(str(t, "stopCode"), "EssentialContainerExited");
	ck_assert_int_eq(num(cJSON_GetArrayItem(cJSON_GetObjectItem(t,
	    "containers"), 0), "exitCode"), 2);
	/* Its container exited at 10 s; ECS heard at 50 s. */
	ck_assert_int_eq((int64_t)(cJSON_GetNumberValue(cJSON_GetObjectItem(t,
	    "executionStoppedAt")) * 1000), T0 + 10 * SEC);
	ck_assert_int_eq((int64_t)(cJSON_GetNumberValue(cJSON_GetObjectItem(t,
	    "stoppingAt")) * 1000), T0 + 50 * SEC);
	cJSON_Delete(t);
}
END_TEST

/* A zone outage disconnects every instance in the zone and nothing else;
 * the service places only in the other zone; the zone comes back. */
START_TEST(test_zone_down_up)
{
	char	 a1[256], a2[256], b[256];
	cJSON	*ci;
	int	 on;

	fixture_instance("i-a1", "us-east-1a", a1);
	fixture_instance("i-a2", "us-east-1a", a2);
	fixture_instance("i-b1", "us-east-1b", b);
	ck_assert_int_eq(FAULT(engine_fault_zone_down(eng, NULL, "us-east-1a",
	    &fe)), 0);
	ci = describe_instance(a1);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(ci, "agentConnected")));
	cJSON_Delete(ci);
	ci = describe_instance(a2);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(ci, "agentConnected")));
	cJSON_Delete(ci);
	ci = describe_instance(b);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(ci, "agentConnected")));
	cJSON_Delete(ci);

	taskdef("web", "nginx", "");
	create_service(3);
	clock_run_until(clk, T0 + 60 * SEC);
	ck_assert_int_eq(service_tasks(b, &on), 3);
	ck_assert_int_eq(on, 3);

	ck_assert_int_eq(FAULT(engine_fault_zone_up(eng, NULL, "us-east-1a",
	    &fe)), 0);
	ci = describe_instance(a2);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(ci, "agentConnected")));
	cJSON_Delete(ci);
	ck_assert_int_eq(FAULT(engine_fault_zone_down(eng, NULL, "us-east-1c",
	    &fe)), -1);
	ck_assert_int_eq(fe.code, ERR_INVALID);
	ck_assert_str_eq(fe.msg, "No container instance of cluster default is "
	    "in availability zone us-east-1c.");
}
END_TEST

/* Bad arguments: clear errors, and nothing changes. */
START_TEST(test_bad_arguments)
{
	char	 a[256], task[256];
	cJSON	*overrides;
	int64_t	 events;

	one_task(a, task);
	events = store_event_count(st);

	ck_assert_int_eq(FAULT(engine_fault_disconnect(eng, NULL, "i-nope",
	    &fe)), -1);
	ck_assert_int_eq(fe.code, ERR_INVALID);
	ck_assert_str_eq(fe.msg, "Container instance i-nope was not found in "
	    "cluster default.");
	ck_assert_int_eq(FAULT(engine_fault_reconnect(eng, "nope", a, &fe)), -1);
	ck_assert_int_eq(fe.code, ERR_CLUSTER_NOT_FOUND);
	ck_assert_int_eq(FAULT(engine_fault_terminate(eng, NULL, NULL, &fe)),
	    -1);
	ck_assert_int_eq(fe.code, ERR_INVALID);

	/* Still PENDING: nothing to crash. */
	ck_assert_int_eq(FAULT(engine_fault_crash_task(eng, NULL, task, NULL,
	    1, &fe)), -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "lastStatus PENDING"));
	ck_assert_int_eq(FAULT(engine_fault_crash_task(eng, NULL, task, NULL,
	    256, &fe)), -1);
	ck_assert_str_eq(fe.msg, "A crash's exit code must be 0 to 255, not "
	    "256.");
	ck_assert_int_eq(FAULT(engine_fault_crash_task(eng, NULL,
	    "0123456789abcdef0123456789abcdef", NULL, 1, &fe)), -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "was not found"));
	clock_run_until(clk, T0 + 5 * SEC);
	events = store_event_count(st);
	ck_assert_int_eq(FAULT(engine_fault_crash_task(eng, NULL, task, "db",
	    1, &fe)), -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "no container named db"));

	ck_assert_int_eq(FAULT(engine_fault_image_behaviour(eng, "nginx",
	    "ecsim.pull", "sometimes", &fe)), -1);
	ck_assert_int_eq(fe.code, ERR_INVALID);
	ck_assert(str_has_prefix(fe.msg, "Invalid behaviour override for image "
	    "'nginx': 'ecsim.pull' must be"));
	ck_assert_int_eq(FAULT(engine_fault_image_behaviour(eng, "nginx",
	    "ecsim.bogus", "1", &fe)), -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "unknown label 'ecsim.bogus'"));
	ck_assert_int_eq(FAULT(engine_fault_image_behaviour(eng, "ngi*nx",
	    "ecsim.pull", "fail", &fe)), -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "at its end"));
	ck_assert_int_eq(FAULT(engine_fault_image_behaviour(eng, "",
	    "ecsim.pull", "fail", &fe)), -1);
	ck_assert_int_eq(FAULT(engine_fault_zone_up(eng, NULL, NULL, &fe)), -1);

	/* No event, no override stored. */
	ck_assert_int_eq(store_event_count(st), events);
	overrides = store_image_behaviours(st, &fe);
	ck_assert_int_eq(cJSON_GetArraySize(overrides), 0);
	cJSON_Delete(overrides);
}
END_TEST

static Suite *
fault_suite(void)
{
	Suite	*s = suite_create("fault");
	TCase	*tc = tcase_create("fault");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_disconnect_keeps_tasks);
	tcase_add_test(tc, test_steps_wait_for_the_agent);
	tcase_add_test(tc, test_register_again_reconnects);
	tcase_add_test(tc, test_health_frozen_while_disconnected);
	tcase_add_test(tc, test_terminate_replaces_elsewhere);
	tcase_add_test(tc, test_deregister_disconnected);
	tcase_add_test(tc, test_image_pull_failure);
	tcase_add_test(tc, test_image_fault_on_service);
	tcase_add_test(tc, test_crash_replaced);
	tcase_add_test(tc, test_crash_while_disconnected);
	tcase_add_test(tc, test_zone_down_up);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(fault_suite());
}
