/* The engine on a virtual clock, driven through the API dispatch table:
 * the task lifecycle, service convergence and the event outbox. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <cjson/cJSON.h>

#include "api/api.h"
#include "clock/clock.h"
#include "engine/engine.h"
#include "store/store.h"

#define T0	1700000000000LL

static struct event_base	*base;
static struct clock		*clk;
static struct store		*st;
static struct engine		*eng;

static void
setup(void)
{
	struct engine_config	cfg;
	struct err		e;

	engine_config_defaults(&cfg);
	base = event_base_new();
	clk = clock_new(base, CLOCK_VIRTUAL, 1, T0);
	st = store_open(":memory:", &e);
	ck_assert_ptr_nonnull(st);
	eng = engine_new(base, clk, st, &cfg, &e);
	ck_assert_ptr_nonnull(eng);
}

static void
teardown(void)
{
	engine_free(eng);
	ck_assert_int_eq(store_close(st), 0);
	clock_free(clk);
	event_base_free(base);
}

/* One API call that must succeed; returns the parsed reply. */
static cJSON *
call(const char *op, const char *body)
{
	struct api_reply	 r;
	char			*target = NULL;
	cJSON			*j;

	target = malloc(strlen(op) + 64);
	strcpy(target, "AmazonEC2ContainerServiceV20141113.");
	strcat(target, op);
	api_handle(eng, target, body, strlen(body), &r);
	free(target);
	ck_assert_msg(r.status == 200, "%s: %s", op, r.body);
	j = cJSON_Parse(r.body);
	free(r.body);
	return j;
}

/* The HTTP status of one API call. */
static int
call_status(const char *op, const char *body)
{
	struct api_reply	 r;
	char			 target[128];

	snprintf(target, sizeof target, "AmazonEC2ContainerServiceV20141113.%s",
	    op);
	api_handle(eng, target, body, strlen(body), &r);
	free(r.body);
	return r.status;
}

/* cJSON_GetStringValue of a path of object members, ending in NULL. */
static const char *
str_at(const cJSON *o, ...)
{
	va_list		 ap;
	const char	*name;

	va_start(ap, o);
	while ((name = va_arg(ap, const char *)) != NULL)
		o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, atoi(name)) :
		    cJSON_GetObjectItem(o, name);
	va_end(ap);
	return cJSON_GetStringValue(o);
}

static void
call_free(const char *op, const char *body)
{
	cJSON_Delete(call(op, body));
}

static void
instances(int n)
{
	int	i;

	for (i = 0; i < n; i++)
		call_free("RegisterContainerInstance", "{\"totalResources\":["
		    "{\"name\":\"CPU\",\"type\":\"INTEGER\",\"integerValue\":2048},"
		    "{\"name\":\"MEMORY\",\"type\":\"INTEGER\","
		    "\"integerValue\":1024}]}");
}

static cJSON *
service(void)
{
	cJSON	*j = call("DescribeServices", "{\"services\":[\"web\"]}");
	cJSON	*s = cJSON_DetachItemFromArray(cJSON_GetObjectItem(j,
		    "services"), 0);

	cJSON_Delete(j);
	return s;
}

static int
num(const cJSON *o, const char *name)
{
	return (int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, name));
}

START_TEST(test_service_converges_and_rolls)
{
	cJSON	*s, *deps, *ev;

	instances(2);
	call_free("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":256}]}");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web\",\"desiredCount\":4}");
	/* Steps of 1 s: PENDING -> ACTIVATING -> RUNNING in 2 s. */
	clock_run_until(clk, T0 + 1500);
	s = service();
	ck_assert_int_eq(num(s, "runningCount"), 0);
	ck_assert_int_eq(num(s, "pendingCount"), 4);
	cJSON_Delete(s);
	/* RUNNING at 2 s, healthy 40 s later: the deployment completes. */
	clock_run_until(clk, T0 + 45000);
	s = service();
	ck_assert_int_eq(num(s, "runningCount"), 4);
	deps = cJSON_GetObjectItem(s, "deployments");
	ck_assert_int_eq(cJSON_GetArraySize(deps), 1);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(deps, 0), "rolloutState")), "COMPLETED");
	ev = cJSON_GetObjectItem(s, "events");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(ev, 0), "message")),
	    "(service web) has reached a steady state.");
	cJSON_Delete(s);

	/* A new revision: make one, break one within 100/200. Memory for
	 * 8 tasks of 256 MiB on 2 x 1024 MiB: all 4 new start at once. */
	call_free("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"y\","
	    "\"memory\":256}]}");
	call_free("UpdateService", "{\"service\":\"web\","
	    "\"taskDefinition\":\"web:2\"}");
	clock_run_until(clk, T0 + 45500);
	s = service();
	deps = cJSON_GetObjectItem(s, "deployments");
	ck_assert_int_eq(cJSON_GetArraySize(deps), 2);
	ck_assert_int_eq(num(cJSON_GetArrayItem(deps, 0), "pendingCount"), 4);
	ck_assert_int_eq(num(cJSON_GetArrayItem(deps, 1), "runningCount"), 4);
	cJSON_Delete(s);
	/* The old tasks go once the new ones are healthy (40 s). */
	clock_run_until(clk, T0 + 100000);
	s = service();
	deps = cJSON_GetObjectItem(s, "deployments");
	ck_assert_int_eq(cJSON_GetArraySize(deps), 1);
	ck_assert_int_eq(num(s, "runningCount"), 4);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(s,
	    "taskDefinition")),
	    "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2");
	cJSON_Delete(s);
}
END_TEST

START_TEST(test_capacity_short_then_added)
{
	cJSON	*s;
	char	*msg;

	instances(1);
	call_free("RegisterTaskDefinition", "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":600}]}");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web\",\"desiredCount\":2}");
	clock_run_until(clk, T0 + 60000);
	s = service();
	ck_assert_int_eq(num(s, "runningCount"), 1);
	msg = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(s, "events"), 0), "message"));
	ck_assert_ptr_nonnull(strstr(msg, "was unable to place a task"));
	ck_assert_ptr_nonnull(strstr(msg, "has insufficient memory available"));
	/* Retried every 10 s, said once. */
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(s, "events")),
	    2);
	cJSON_Delete(s);
	instances(1);
	clock_run_until(clk, T0 + 120000);
	s = service();
	ck_assert_int_eq(num(s, "runningCount"), 2);
	cJSON_Delete(s);
}
END_TEST

START_TEST(test_task_lifecycle_events)
{
	cJSON	*r, *t;
	int64_t	 before;

	instances(1);
	call_free("RegisterTaskDefinition", "{\"family\":\"job\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":128}]}");
	before = store_event_count(st);
	r = call("RunTask", "{\"taskDefinition\":\"job\"}");
	t = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "tasks"), 0);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(t,
	    "lastStatus")), "PENDING");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(t,
	    "group")), "family:job");
	clock_run_until(clk, T0 + 5000);
	{
		char	*body = NULL;
		cJSON	*d;

		body = malloc(256);
		strcpy(body, "{\"task\":\"");
		strcat(body, cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "taskArn")));
		strcat(body, "\"}");
		call_free("StopTask", body);
		clock_run_until(clk, T0 + 20000);
		strcpy(body, "{\"tasks\":[\"");
		strcat(body, cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "taskArn")));
		strcat(body, "\"]}");
		d = call("DescribeTasks", body);
		free(body);
		t = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "tasks"), 0);
		ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "lastStatus")), "STOPPED");
		ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "stopCode")), "UserInitiated");
		/* PENDING, ACTIVATING, RUNNING, stop asked, DEACTIVATING,
		 * STOPPING, STOPPED: version 7. */
		ck_assert_int_eq(num(t, "version"), 7);
		cJSON_Delete(d);
	}
	/* 7 task events and 2 instance events (placed, released). */
	ck_assert_int_eq(store_event_count(st) - before, 9);
	cJSON_Delete(r);
}
END_TEST

/*
 * Housekeeping on the clock: a deleted task definition goes once its last
 * task stops; a deregistered instance and a stopped task stay describable
 * for an hour, then are purged.
 */
START_TEST(test_housekeeping)
{
	cJSON	*r;
	char	 body[512], task[256], ci[256];

	instances(1);
	call_free("RegisterTaskDefinition", "{\"family\":\"job\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":128}]}");
	r = call("RunTask", "{\"taskDefinition\":\"job\"}");
	snprintf(task, sizeof task, "%s", str_at(r, "tasks", "0", "taskArn",
	    NULL));
	snprintf(ci, sizeof ci, "%s", str_at(r, "tasks", "0",
	    "containerInstanceArn", NULL));
	cJSON_Delete(r);
	call_free("DeregisterTaskDefinition", "{\"taskDefinition\":\"job:1\"}");
	r = call("DeleteTaskDefinitions", "{\"taskDefinitions\":[\"job:1\"]}");
	ck_assert_str_eq(str_at(r, "taskDefinitions", "0", "status", NULL),
	    "DELETE_IN_PROGRESS");
	cJSON_Delete(r);

	/* The running task keeps its task definition. */
	clock_run_until(clk, T0 + 10000);
	r = call("DescribeTaskDefinition", "{\"taskDefinition\":\"job:1\"}");
	ck_assert_str_eq(str_at(r, "taskDefinition", "status", NULL),
	    "DELETE_IN_PROGRESS");
	cJSON_Delete(r);
	snprintf(body, sizeof body, "{\"task\":\"%s\"}", task);
	call_free("StopTask", body);
	clock_run_until(clk, T0 + 30000);
	ck_assert_int_eq(call_status("DescribeTaskDefinition",
	    "{\"taskDefinition\":\"job:1\"}"), 400);
	/* The revision number is not given again. */
	r = call("RegisterTaskDefinition", "{\"family\":\"job\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":128}]}");
	ck_assert_int_eq(num(cJSON_GetObjectItem(r, "taskDefinition"),
	    "revision"), 2);
	cJSON_Delete(r);

	snprintf(body, sizeof body, "{\"containerInstance\":\"%s\"}", ci);
	call_free("DeregisterContainerInstance", body);
	clock_run_until(clk, T0 + 30 * 60000);
	snprintf(body, sizeof body, "{\"containerInstances\":[\"%s\"]}", ci);
	r = call("DescribeContainerInstances", body);
	ck_assert_str_eq(str_at(r, "containerInstances", "0", "status", NULL),
	    "INACTIVE");
	cJSON_Delete(r);
	snprintf(body, sizeof body, "{\"tasks\":[\"%s\"]}", task);
	r = call("DescribeTasks", body);
	ck_assert_str_eq(str_at(r, "tasks", "0", "lastStatus", NULL),
	    "STOPPED");
	cJSON_Delete(r);

	clock_run_until(clk, T0 + 62 * 60000);
	r = call("DescribeTasks", body);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r, "tasks")), 0);
	ck_assert_str_eq(str_at(r, "failures", "0", "reason", NULL),
	    "MISSING");
	cJSON_Delete(r);
	snprintf(body, sizeof body, "{\"containerInstances\":[\"%s\"]}", ci);
	r = call("DescribeContainerInstances", body);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r,
	    "containerInstances")), 0);
	ck_assert_str_eq(str_at(r, "failures", "0", "reason", NULL),
	    "MISSING");
	cJSON_Delete(r);
	snprintf(body, sizeof body, "{\"resourceArn\":\"%s\"}", ci);
	ck_assert_int_eq(call_status("ListTagsForResource", body), 400);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("engine");
	TCase	*tc = tcase_create("virtual clock");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_service_converges_and_rolls);
	tcase_add_test(tc, test_capacity_short_then_added);
	tcase_add_test(tc, test_task_lifecycle_events);
	tcase_add_test(tc, test_housekeeping);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
