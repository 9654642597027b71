/* The engine on a virtual clock, driven through the API dispatch table:
 * the task lifecycle, service convergence and the event outbox. */
#include <stdarg.h>

#include "engine/deploy.h"
#include "fixture.h"
#include "check_run.h"
#include "store/store-clock.h"
#include "store/internal.h"

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
 * A replay's engine (engine_config's unjournaled): a tick that fails
 * cannot be undone, so it is the engine's failure, named with what failed,
 * and the store refuses the calls after it.
 */
START_TEST(test_unjournaled_tick_fails)
{
	struct err	 e;
	cJSON		*r;

	engine_free(eng);
	cfg.unjournaled = 1;
	eng = engine_new(base, clk, st, &cfg, &e);
	ck_assert_ptr_nonnull(eng);
	instances(1);
	call_free("RegisterTaskDefinition", "{\"family\":\"job\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":128}]}");
	r = call("RunTask", "{\"taskDefinition\":\"job\"}");
	cJSON_Delete(r);
	clock_run_until(clk, T0 + 1);
	ck_assert_ptr_null(engine_failure(eng));
	ck_assert(!store_broken(st));
	/* The task's next step is refused. */
	ck_assert_int_eq(sqlite3_exec(st->db, "CREATE TRIGGER no_steps "
	    "BEFORE UPDATE OF last_status ON tasks BEGIN SELECT "
	    "RAISE(ABORT, 'steps refused by the test'); END", NULL, NULL,
	    NULL), SQLITE_OK);
	clock_run_until(clk, T0 + 5000);
	ck_assert_ptr_nonnull(engine_failure(eng));
	ck_assert_msg(strstr(engine_failure(eng), "advancing tasks: ") ==
	    engine_failure(eng) && strstr(engine_failure(eng),
	    "steps refused by the test") != NULL, "%s", engine_failure(eng));
	ck_assert(store_broken(st));
	ck_assert_int_eq(call_status("ListTasks", "{}"), 500);
}
END_TEST

/*
 * Housekeeping on the clock: a deleted task definition goes once its last
 * task stops; a deregistered instance and a stopped task stay describable
 * for an hour, then are purged.
 */
/* Gives resource a clock a fault changed (a row in clocks). */
static void
clock_fault(const char *resource)
{
	struct clock_row	c = { 0, 1, 5.0, T0, 0.05 };
	struct err		e;

	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(store_clock_put(st, resource, "default", &c, &e), 0);
	ck_assert_int_eq(store_commit(st, &e), 0);
}

static int
has_clock(const char *resource)
{
	struct clock_row	c;
	struct err		e;

	return store_clock_get(st, resource, &c, &e);
}

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
	clock_fault(task);
	clock_fault(ci);
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

	ck_assert_int_eq(has_clock(task), 1);
	ck_assert_int_eq(has_clock(ci), 1);
	clock_run_until(clk, T0 + 62 * 60000);
	/* Their clocks go with them. */
	ck_assert_int_eq(has_clock(task), 0);
	ck_assert_int_eq(has_clock(ci), 0);
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

/* The detail of the newest event (the caller's) and its type. */
static cJSON *
last_event(char **type)
{
	struct store_event	*ev;
	struct err		 e;
	size_t			 n;
	cJSON			*d;

	/* Nothing is pruned here, so seq counts the events. */
	ck_assert_int_eq(store_event_after(st, store_event_count(st) - 1, 1,
	    &ev, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	*type = xstrdup(ev[0].detail_type);
	d = cJSON_Duplicate(ev[0].detail, 1);
	store_events_free(ev, n);
	return d;
}

START_TEST(test_events_follow_versions)
{
	static const char *const order[] = { "agentConnected", "attributes",
	    "clusterArn", "containerInstanceArn", "ec2InstanceId",
	    "registeredResources", "remainingResources", "status", "version",
	    "versionInfo", "updatedAt" };
	const cJSON	*m;
	cJSON		*r, *d;
	char		*type, *arn, *body;
	int64_t		 before;
	size_t		 i;
	int		 status;

	before = store_event_count(st);
	r = call("RegisterContainerInstance", "{\"instanceIdentityDocument\":"
	    "\"{\\\"instanceId\\\":\\\"i-0aaaabbbbccccdddd\\\"}\"}");
	arn = xstrdup(cJSON_GetObjectItem(cJSON_GetObjectItem(r,
	    "containerInstance"), "containerInstanceArn")->valuestring);
	ck_assert_int_eq(num(cJSON_GetObjectItem(r, "containerInstance"),
	    "version"), 1);
	cJSON_Delete(r);
	ck_assert_int_eq(store_event_count(st), before + 1);
	d = last_event(&type);
	ck_assert_str_eq(type, "ECS Container Instance State Change");
	free(type);
	ck_assert_str_eq(cJSON_GetObjectItem(d, "containerInstanceArn")->
	    valuestring, arn);
	ck_assert_str_eq(cJSON_GetObjectItem(d, "clusterArn")->valuestring,
	    "arn:aws:ecs:us-east-1:000000000000:cluster/default");
	ck_assert_str_eq(cJSON_GetObjectItem(d, "ec2InstanceId")->valuestring,
	    "i-0aaaabbbbccccdddd");
	ck_assert_str_eq(cJSON_GetObjectItem(d, "status")->valuestring,
	    "ACTIVE");
	ck_assert_int_eq(num(d, "version"), 1);
	ck_assert_str_eq(cJSON_GetObjectItem(d, "updatedAt")->valuestring,
	    "2023-11-14T22:13:20.000Z");
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(d, "remainingResources"));
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(d, "attributes"));
	ck_assert_ptr_null(cJSON_GetObjectItem(d, "runningTasksCount"));
	/* The members in the order ECS writes them, and no others. */
	i = 0;
	cJSON_ArrayForEach(m, d) {
		ck_assert_uint_lt(i, sizeof order / sizeof order[0]);
		ck_assert_str_eq(m->string, order[i]);
		i++;
	}
	ck_assert_uint_eq(i, sizeof order / sizeof order[0]);
	cJSON_Delete(d);

	/* Draining is a change: version 2, one more event. */
	body = xprintf("{\"containerInstances\":[\"%s\"],\"status\":"
	    "\"DRAINING\"}", arn);
	call_free("UpdateContainerInstancesState", body);
	free(body);
	d = last_event(&type);
	free(type);
	ck_assert_str_eq(cJSON_GetObjectItem(d, "status")->valuestring,
	    "DRAINING");
	ck_assert_int_eq(num(d, "version"), 2);
	cJSON_Delete(d);
	ck_assert_int_eq(store_event_count(st), before + 2);

	/* A refused call leaves no event and no version bump behind. */
	body = xprintf("{\"attributes\":[{\"name\":\"bad name\",\"targetId\":"
	    "\"%s\"}]}", arn);
	r = call_st("PutAttributes", body, &status);
	ck_assert_int_eq(status, 400);
	ck_assert_str_eq(cJSON_GetObjectItem(r, "__type")->valuestring,
	    "InvalidParameterException");
	cJSON_Delete(r);
	free(body);
	ck_assert_int_eq(store_event_count(st), before + 2);

	body = xprintf("{\"containerInstance\":\"%s\"}", arn);
	r = call("DeregisterContainerInstance", body);
	free(body);
	ck_assert_int_eq(num(cJSON_GetObjectItem(r, "containerInstance"),
	    "version"), 3);
	cJSON_Delete(r);
	d = last_event(&type);
	free(type);
	ck_assert_str_eq(cJSON_GetObjectItem(d, "status")->valuestring,
	    "INACTIVE");
	cJSON_Delete(d);
	free(arn);
}
END_TEST

/*
 * Deployments on the virtual clock (docs/deployments.md). The helpers
 * read the store directly so that every tick can check the bounds.
 */
#define SVC_ARN	"arn:aws:ecs:us-east-1:000000000000:service/default/web"

/* Registers n instances of 4 vCPU and 2 GiB. */
static void
big_instances(int n)
{
	int	i;

	for (i = 0; i < n; i++)
		call_free("RegisterContainerInstance", "{\"totalResources\":["
		    "{\"name\":\"CPU\",\"type\":\"INTEGER\",\"integerValue\":4096},"
		    "{\"name\":\"MEMORY\",\"type\":\"INTEGER\","
		    "\"integerValue\":2048}]}");
}

/* Registers revision after revision of family web (128 MiB). */
static void
web_revision(const char *image)
{
	char	body[256];

	snprintf(body, sizeof body, "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"%s\","
	    "\"memory\":128}]}", image);
	call_free("RegisterTaskDefinition", body);
}

/* The service's tasks that are not STOPPED, those asked to stop, and
 * the healthy ones (RUNNING for 40 s, no health check here). */
struct census {
	int	total;
	int	live;
	int	healthy;
};

static struct census
census(void)
{
	struct census	 c;
	struct task_row	*t = NULL;
	struct err	 e;
	size_t		 n = 0, i;
	int64_t		 started;

	memset(&c, 0, sizeof c);
	ck_assert_int_eq(store_task_of_service(st, SVC_ARN, &t, &n, &e), 0);
	for (i = 0; i < n; i++) {
		c.total++;
		if (t[i].desired_stopped)
			continue;
		c.live++;
		started = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(t[i].doc, "times"), "startedAt"));
		if (t[i].last_status == 3 /* RUNNING */ &&
		    clock_now(clk) >= started + 40000)
			c.healthy++;
	}
	task_rows_free(t, n);
	return c;
}

/*
 * The tasks (DescribeTasks shapes) of service name whose desiredStatus is
 * desired, or both when desired is NULL. Free with cJSON_Delete.
 */
static cJSON *
service_tasks(const char *name, const char *desired)
{
	static const char *const both[] = { "RUNNING", "STOPPED" };
	cJSON		*out = cJSON_CreateArray(), *r, *d, *t;
	const cJSON	*a;
	char		 b[16384];
	size_t		 len;
	int		 k;

	for (k = 0; k < 2; k++) {
		if (desired != NULL && strcmp(desired, both[k]) != 0)
			continue;
		snprintf(b, sizeof b, "{\"serviceName\":\"%s\","
		    "\"desiredStatus\":\"%s\"}", name, both[k]);
		r = call("ListTasks", b);
		len = (size_t)snprintf(b, sizeof b, "{\"tasks\":[");
		cJSON_ArrayForEach(a, cJSON_GetObjectItem(r, "taskArns"))
			len += (size_t)snprintf(b + len, sizeof b - len,
			    "%s\"%s\"", len > 10 ? "," : "", a->valuestring);
		snprintf(b + len, sizeof b - len, "]}");
		cJSON_Delete(r);
		if (len <= 10)
			continue;
		d = call("DescribeTasks", b);
		while ((t = cJSON_DetachItemFromArray(cJSON_GetObjectItem(d,
		    "tasks"), 0)) != NULL)
			cJSON_AddItemToArray(out, t);
		cJSON_Delete(d);
	}
	return out;
}

/* One task's DescribeTasks shape; cJSON_Delete it. */
static cJSON *
describe_task(const char *arn)
{
	char	 body[512];
	cJSON	*r, *t;

	snprintf(body, sizeof body, "{\"tasks\":[\"%s\"]}", arn);
	r = call("DescribeTasks", body);
	t = cJSON_DetachItemFromArray(cJSON_GetObjectItem(r, "tasks"), 0);
	cJSON_Delete(r);
	ck_assert_ptr_nonnull(t);
	return t;
}

/* How many of the service's live tasks run on instance ins. */
static int
tasks_on(const char *name, const char *ins)
{
	cJSON		*ts = service_tasks(name, "RUNNING");
	const cJSON	*t;
	int		 n = 0;

	cJSON_ArrayForEach(t, ts)
		if (strcmp(str_at(t, "containerInstanceArn", NULL), ins) == 0)
			n++;
	cJSON_Delete(ts);
	return n;
}

static int
count_events(const cJSON *s, const char *prefix)
{
	const cJSON	*ev;
	int		 n = 0;

	cJSON_ArrayForEach(ev, cJSON_GetObjectItem(s, "events"))
		if (strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(ev,
		    "message")), prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/* Done: one deployment, COMPLETED, of the expected revision. */
static int
rolled_to(const cJSON *s, int revision)
{
	const cJSON	*d = cJSON_GetArrayItem(cJSON_GetObjectItem(s,
			    "deployments"), 0);
	const char	*td = str_at(d, "taskDefinition", NULL);
	char		 want[16];

	snprintf(want, sizeof want, ":%d", revision);
	return cJSON_GetArraySize(cJSON_GetObjectItem(s, "deployments")) == 1 &&
	    strcmp(str_at(d, "rolloutState", NULL), "COMPLETED") == 0 &&
	    strlen(td) > strlen(want) && strcmp(td + strlen(td) -
	    strlen(want), want) == 0 && num(s, "runningCount") ==
	    num(s, "desiredCount");
}

/*
 * Runs the clock in half-second ticks until the service has rolled to
 * revision (0: for the whole limit), checking at every tick that the
 * tasks not STOPPED stay within the upper bound and that healthy tasks
 * never drop below min(lower, what there was).
 */
static int
run_checked(int64_t limit, int revision, int upper, int lower)
{
	struct census	c, prev = census();
	cJSON		*s;
	int64_t		 end = clock_now(clk) + limit;
	int		 done = 0, floor_;

	while (!done && clock_now(clk) < end) {
		clock_run_until(clk, clock_now(clk) + 500);
		c = census();
		ck_assert_msg(c.total <= upper, "%d tasks over upper %d",
		    c.total, upper);
		floor_ = prev.healthy < lower ? prev.healthy : lower;
		ck_assert_msg(c.healthy >= floor_, "%d healthy under %d",
		    c.healthy, floor_);
		prev = c;
		s = service();
		done = revision > 0 && rolled_to(s, revision);
		cJSON_Delete(s);
	}
	return done;
}

static const struct {
	int	desired, maxp, minp, blocked;
} rolls[] = {
	{ 4, 100, 50, 0 },	/* stop 2 old before starting */
	{ 4, 200, 50, 0 },
	{ 2, 200, 75, 0 },
	{ 2, 100, 75, 1 },	/* lower 2 = upper 2: cannot move */
	{ 4, 200, 100, 0 },	/* start 4 before stopping */
	{ 3, 125, 100, 1 },	/* upper 3 = lower 3: cannot move */
	{ 3, 125, 0, 0 },
	{ 5, 150, 60, 0 },
};

START_TEST(test_roll_within_bounds)
{
	char	body[512];
	cJSON	*s;
	int	upper, lower, done;

	big_instances(4);
	web_revision("x:1");
	web_revision("x:2");
	snprintf(body, sizeof body, "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web:1\",\"desiredCount\":%d,"
	    "\"deploymentConfiguration\":{\"maximumPercent\":%d,"
	    "\"minimumHealthyPercent\":%d}}", rolls[_i].desired,
	    rolls[_i].maxp, rolls[_i].minp);
	call_free("CreateService", body);
	upper = rolls[_i].desired * rolls[_i].maxp / 100;
	lower = (rolls[_i].desired * rolls[_i].minp + 99) / 100;
	ck_assert(run_checked(60000, 1, rolls[_i].desired, 0));
	call_free("UpdateService", "{\"service\":\"web\","
	    "\"taskDefinition\":\"web:2\"}");
	done = run_checked(300000, 2, upper, lower);
	s = service();
	ck_assert_int_eq(done, !rolls[_i].blocked);
	/* The blocked message, said once however long it stays blocked. */
	ck_assert_int_eq(count_events(s, "(service web) was unable to stop or "
	    "start tasks during a deployment because of the service deployment "
	    "configuration. Update the minimumHealthyPercent or maximumPercent "
	    "value and try again."), rolls[_i].blocked);
	if (rolls[_i].blocked) {
		ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(s,
		    "deployments")), 2);
		ck_assert_int_eq(num(cJSON_GetArrayItem(cJSON_GetObjectItem(s,
		    "deployments"), 1), "runningCount"), rolls[_i].desired);
	}
	cJSON_Delete(s);
}
END_TEST

/* Only a change that needs one starts a deployment. */
START_TEST(test_what_starts_a_deployment)
{
	cJSON	*r, *deps;

	big_instances(1);
	web_revision("x:1");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web\",\"desiredCount\":1}");
	clock_run_until(clk, T0 + 60000);
	r = call("UpdateService", "{\"service\":\"web\",\"desiredCount\":3,"
	    "\"healthCheckGracePeriodSeconds\":30,\"placementStrategy\":[],"
	    "\"deploymentConfiguration\":{\"maximumPercent\":150}}");
	deps = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "service"),
	    "deployments");
	ck_assert_int_eq(cJSON_GetArraySize(deps), 1);
	cJSON_Delete(r);
	r = call("UpdateService", "{\"service\":\"web\","
	    "\"forceNewDeployment\":true}");
	deps = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "service"),
	    "deployments");
	ck_assert_int_eq(cJSON_GetArraySize(deps), 2);
	/* The new PRIMARY comes first, with nothing yet. */
	ck_assert_str_eq(str_at(deps, "0", "status", NULL), "PRIMARY");
	ck_assert_int_eq(num(cJSON_GetArrayItem(deps, 0), "desiredCount"), 0);
	ck_assert_str_eq(str_at(deps, "0", "rolloutState", NULL),
	    "IN_PROGRESS");
	ck_assert_str_eq(str_at(deps, "1", "status", NULL), "ACTIVE");
	cJSON_Delete(r);
}
END_TEST

/* Rapid scaling during a deployment: 1 -> 10 -> 5 while the new
 * revision's tasks are on their way; the service converges to 5. */
START_TEST(test_rapid_scaling)
{
	cJSON		*s;
	struct census	 c;
	int		 i, done = 0;

	big_instances(2);
	web_revision("x:1");
	web_revision("x:2");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web:1\",\"desiredCount\":1}");
	clock_run_until(clk, T0 + 60000);
	call_free("UpdateService", "{\"service\":\"web\","
	    "\"taskDefinition\":\"web:2\",\"desiredCount\":10}");
	clock_run_until(clk, T0 + 61500);
	ck_assert_int_eq(census().live, 11);
	call_free("UpdateService", "{\"service\":\"web\",\"desiredCount\":5}");
	/* From here desired is 5: upper 10 once the surplus has stopped. */
	for (i = 0; i < 600 && !done; i++) {
		clock_run_until(clk, clock_now(clk) + 500);
		c = census();
		ck_assert_int_le(c.live, 10);
		if (i >= 6)
			ck_assert_int_le(c.total, 10);
		s = service();
		done = rolled_to(s, 2) && num(s, "runningCount") == 5;
		cJSON_Delete(s);
	}
	ck_assert(done);
	ck_assert_int_eq(census().live, 5);
}
END_TEST

/*
 * Three task definitions in a row while deployments are in flight, on an
 * instance with room for six tasks: each new PRIMARY supersedes, the
 * older deployments drain toward the newest (the oldest first), and the
 * service converges within 200/100 at every tick.
 */
START_TEST(test_three_revisions_in_flight)
{
	cJSON	*s;

	call_free("RegisterContainerInstance", "{\"totalResources\":["
	    "{\"name\":\"CPU\",\"type\":\"INTEGER\",\"integerValue\":4096},"
	    "{\"name\":\"MEMORY\",\"type\":\"INTEGER\",\"integerValue\":768}]}");
	web_revision("x:1");
	web_revision("x:2");
	web_revision("x:3");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web:1\",\"desiredCount\":4}");
	ck_assert(run_checked(60000, 1, 4, 0));
	call_free("UpdateService", "{\"service\":\"web\","
	    "\"taskDefinition\":\"web:2\"}");
	/* Two of web:2 fit; healthy 40 s later, two of web:1 make room for
	 * the other two. */
	run_checked(50000, 0, 8, 4);
	call_free("UpdateService", "{\"service\":\"web\","
	    "\"taskDefinition\":\"web:3\"}");
	clock_run_until(clk, clock_now(clk) + 1000);
	s = service();
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(s,
	    "deployments")), 3);
	ck_assert_str_eq(str_at(s, "deployments", "0", "status", NULL),
	    "PRIMARY");
	ck_assert_ptr_nonnull(strstr(str_at(s, "deployments", "0",
	    "taskDefinition", NULL), "web:3"));
	ck_assert_str_eq(str_at(s, "deployments", "1", "status", NULL),
	    "ACTIVE");
	ck_assert_int_eq(num(cJSON_GetArrayItem(cJSON_GetObjectItem(s,
	    "deployments"), 1), "runningCount"), 2);
	ck_assert_str_eq(str_at(s, "deployments", "2", "status", NULL),
	    "ACTIVE");
	ck_assert_int_eq(num(cJSON_GetArrayItem(cJSON_GetObjectItem(s,
	    "deployments"), 2), "runningCount"), 2);
	/* The superseded deployment stays IN_PROGRESS while it drains. */
	ck_assert_str_eq(str_at(s, "deployments", "1", "rolloutState", NULL),
	    "IN_PROGRESS");
	ck_assert_str_eq(str_at(s, "deployments", "2", "rolloutState", NULL),
	    "COMPLETED");
	cJSON_Delete(s);
	ck_assert(run_checked(400000, 3, 8, 4));
	ck_assert_int_eq(census().live, 4);
}
END_TEST

/* A DRAINING instance: PENDING service tasks stop at once, RUNNING ones
 * are replaced within the bounds, standalone tasks stay; with 100/100
 * draining cannot progress, and the service says so once. */
START_TEST(test_draining_instance)
{
	cJSON		*r, *s;
	const cJSON	*a;
	char		 body[512], ci[256], job[256];

	big_instances(1);
	web_revision("x:1");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web\",\"desiredCount\":3}");
	/* A standalone task, on the only instance. */
	r = call("RunTask", "{\"taskDefinition\":\"web\","
	    "\"startedBy\":\"job\"}");
	snprintf(job, sizeof job, "%s", str_at(r, "tasks", "0", "taskArn",
	    NULL));
	snprintf(ci, sizeof ci, "%s", str_at(r, "tasks", "0",
	    "containerInstanceArn", NULL));
	cJSON_Delete(r);
	clock_run_until(clk, T0 + 60000);
	big_instances(1);
	snprintf(body, sizeof body, "{\"containerInstances\":[\"%s\"],"
	    "\"status\":\"DRAINING\"}", ci);
	call_free("UpdateContainerInstancesState", body);
	run_checked(120000, 0, 6, 3);
	/* Every service task now runs on the other instance. */
	ck_assert_int_eq(census().live, 3);
	ck_assert_int_eq(tasks_on("web", ci), 0);
	/* The standalone task was left alone. */
	r = describe_task(job);
	ck_assert_str_eq(str_at(r, "lastStatus", NULL), "RUNNING");
	ck_assert_str_eq(str_at(r, "desiredStatus", NULL), "RUNNING");
	cJSON_Delete(r);

	/* 100/100: draining the other instance cannot progress. */
	call_free("UpdateService", "{\"service\":\"web\","
	    "\"deploymentConfiguration\":{\"maximumPercent\":100,"
	    "\"minimumHealthyPercent\":100}}");
	snprintf(body, sizeof body, "{\"containerInstances\":[\"%s\"],"
	    "\"status\":\"ACTIVE\"}", ci);
	call_free("UpdateContainerInstancesState", body);
	r = call("ListContainerInstances", "{\"status\":\"ACTIVE\"}");
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(r, "containerInstanceArns"))
		if (strcmp(a->valuestring, ci) != 0) {
			snprintf(body, sizeof body, "{\"containerInstances\":"
			    "[\"%s\"],\"status\":\"DRAINING\"}", a->valuestring);
			call_free("UpdateContainerInstancesState", body);
		}
	cJSON_Delete(r);
	run_checked(120000, 0, 3, 3);
	s = service();
	ck_assert_int_eq(num(s, "runningCount"), 3);
	ck_assert_int_eq(count_events(s, "(service web) was unable to stop or "
	    "start tasks during a deployment because of the service deployment "
	    "configuration."), 1);
	cJSON_Delete(s);
	ck_assert_int_eq(census().live, 3);
}
END_TEST

/* A force-deregistered instance's tasks are orphaned; the service
 * replaces them on another instance. */
START_TEST(test_deregister_orphans)
{
	cJSON	*r, *s;
	char	 body[512], ci[256];

	big_instances(1);
	web_revision("x:1");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web\",\"desiredCount\":2}");
	clock_run_until(clk, T0 + 60000);
	r = call("ListContainerInstances", "{}");
	snprintf(ci, sizeof ci, "%s", str_at(r, "containerInstanceArns", "0",
	    NULL));
	cJSON_Delete(r);
	big_instances(1);
	snprintf(body, sizeof body, "{\"containerInstance\":\"%s\","
	    "\"force\":true}", ci);
	call_free("DeregisterContainerInstance", body);
	clock_run_until(clk, T0 + 120000);
	s = service();
	ck_assert(rolled_to(s, 1));
	ck_assert_int_eq(num(s, "runningCount"), 2);
	cJSON_Delete(s);
}
END_TEST

/* Steady state is said once, then again every six hours. */
START_TEST(test_steady_state_repeats)
{
	cJSON	*s;

	big_instances(1);
	web_revision("x:1");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web\",\"desiredCount\":1}");
	clock_run_until(clk, T0 + 3600000);
	s = service();
	ck_assert_int_eq(count_events(s, "(service web) has reached a steady "
	    "state."), 1);
	cJSON_Delete(s);
	clock_run_until(clk, T0 + 13 * 3600000LL);
	s = service();
	ck_assert_int_eq(count_events(s, "(service web) has reached a steady "
	    "state."), 3);
	cJSON_Delete(s);
}
END_TEST

/* Task definitions for the failure tests: web:1 is good, then one that
 * fails as label says. */
static void
web_failing(const char *label, const char *value)
{
	char	body[512];

	snprintf(body, sizeof body, "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x:bad\","
	    "\"memory\":128,\"dockerLabels\":{\"%s\":\"%s\"}}]}", label,
	    value);
	call_free("RegisterTaskDefinition", body);
}

/* How many tasks of the service (any status) run revision. */
static int
tasks_of_revision(int revision)
{
	cJSON		*ts = service_tasks("web", NULL);
	const cJSON	*t;
	char		 want[16];
	int		 n = 0;

	snprintf(want, sizeof want, "web:%d", revision);
	cJSON_ArrayForEach(t, ts)
		if (strstr(str_at(t, "taskDefinitionArn", NULL), want) != NULL)
			n++;
	cJSON_Delete(ts);
	return n;
}

/*
 * The circuit breaker without rollback: the new deployment FAILED after
 * ceil(desired/2) clamped to 3 consecutive failures, with ECS's reason;
 * it launches nothing more, and the old tasks keep running.
 */
START_TEST(test_breaker_without_rollback)
{
	cJSON	*s, *deps;
	char	 msg[256];
	int	 n;

	big_instances(2);
	web_revision("x:1");
	web_failing("ecsim.pull", "fail");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web:1\",\"desiredCount\":2,"
	    "\"deploymentConfiguration\":{\"deploymentCircuitBreaker\":"
	    "{\"enable\":true,\"rollback\":false}}}");
	ck_assert(run_checked(60000, 1, 2, 0));
	call_free("UpdateService", "{\"service\":\"web\","
	    "\"taskDefinition\":\"web:2\"}");
	run_checked(60000, 0, 4, 2);
	s = service();
	deps = cJSON_GetObjectItem(s, "deployments");
	ck_assert_int_eq(cJSON_GetArraySize(deps), 2);
	ck_assert_str_eq(str_at(deps, "0", "status", NULL), "PRIMARY");
	ck_assert_str_eq(str_at(deps, "0", "rolloutState", NULL), "FAILED");
	ck_assert_str_eq(str_at(deps, "0", "rolloutStateReason", NULL),
	    "ECS deployment circuit breaker: tasks failed to start.");
	ck_assert_int_ge(num(cJSON_GetArrayItem(deps, 0), "failedTasks"), 3);
	ck_assert_int_eq(num(cJSON_GetArrayItem(deps, 1), "runningCount"), 2);
	snprintf(msg, sizeof msg, "(service web) (deployment %s) deployment "
	    "failed: tasks failed to start.", str_at(deps, "0", "id", NULL));
	ck_assert_int_eq(count_events(s, msg), 1);
	cJSON_Delete(s);
	/* A FAILED deployment launches nothing new. */
	n = tasks_of_revision(2);
	ck_assert_int_ge(n, 3);
	run_checked(600000, 0, 4, 2);
	ck_assert_int_eq(tasks_of_revision(2), n);
	s = service();
	ck_assert_int_eq(num(s, "runningCount"), 2);
	cJSON_Delete(s);
	/* A new revision moves on from there. */
	web_revision("x:3");
	call_free("UpdateService", "{\"service\":\"web\","
	    "\"taskDefinition\":\"web:3\"}");
	ck_assert(run_checked(120000, 3, 4, 2));
}
END_TEST

/* Stage 2: tasks that start and then crash count too, and the rollback
 * brings back the last COMPLETED deployment's task definition. */
START_TEST(test_breaker_crash_loop_rolls_back)
{
	cJSON	*s;
	char	 first[64];

	big_instances(2);
	web_revision("x:1");
	web_failing("ecsim.exit", "1 after 5s");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web:1\",\"desiredCount\":4,"
	    "\"deploymentConfiguration\":{\"deploymentCircuitBreaker\":"
	    "{\"enable\":true,\"rollback\":true}}}");
	ck_assert(run_checked(60000, 1, 4, 0));
	s = service();
	snprintf(first, sizeof first, "%s", str_at(s, "deployments", "0", "id",
	    NULL));
	cJSON_Delete(s);
	call_free("UpdateService", "{\"service\":\"web\","
	    "\"taskDefinition\":\"web:2\"}");
	ck_assert(run_checked(300000, 1, 8, 4));
	s = service();
	ck_assert_str_eq(str_at(s, "taskDefinition", NULL),
	    "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1");
	ck_assert_str_ne(str_at(s, "deployments", "0", "id", NULL), first);
	/* Completed, failed, completed (the rollback). */
	ck_assert_int_eq(count_events(s, "(service web) (deployment "), 3);
	ck_assert_int_eq(count_events(s, "(service web) (deployment ecs-svc/"),
	    3);
	cJSON_Delete(s);
	ck_assert_int_ge(tasks_of_revision(2), 3);
}
END_TEST

/* createdAt (ms) of every task of the service, oldest first. */
static int
creation_times(int64_t *at, int max)
{
	cJSON		*ts = service_tasks("web", NULL);
	const cJSON	*t;
	int		 n = 0, i, j;
	int64_t		 tmp;

	cJSON_ArrayForEach(t, ts)
		if (n < max)
			at[n++] = (int64_t)(cJSON_GetNumberValue(
			    cJSON_GetObjectItem(t, "createdAt")) * 1000 + 0.5);
	cJSON_Delete(ts);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && at[j] < at[j - 1]; j--) {
			tmp = at[j];
			at[j] = at[j - 1];
			at[j - 1] = tmp;
		}
	return n;
}

/*
 * The launch throttle: tasks that never reach RUNNING slow the launches
 * down (15 s after the third failure, doubling, at most 27 minutes), the
 * service says so, and a new task definition clears it.
 */
START_TEST(test_launch_throttle)
{
	cJSON	*s;
	int64_t	 at[64], gap, last_gap = 0;
	int	 n, i;

	big_instances(1);
	web_failing("ecsim.pull", "fail");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web:1\",\"desiredCount\":1}");
	clock_run_until(clk, T0 + 20 * 60000);
	n = creation_times(at, 64);
	/* 3 at once, then 15 s, 30 s, 1, 2, 4, 8 minutes: 9 in 20 minutes. */
	ck_assert_int_eq(n, 9);
	for (i = 1; i < n; i++) {
		gap = at[i] - at[i - 1];
		/* i tasks have failed: the delay after them, plus the
		 * failing pull of the previous task. */
		ck_assert_int_ge(gap, deploy_throttle_delay(i));
		ck_assert_int_lt(gap, deploy_throttle_delay(i) + 5000);
		if (i >= 3)
			ck_assert_int_gt(gap, last_gap);
		last_gap = gap;
	}
	s = service();
	ck_assert_int_eq(count_events(s, "(service web) is unable to "
	    "consistently start tasks successfully."), 1);
	ck_assert_int_ge(count_events(s, "(service web) operations are being "
	    "throttled. Will try again later."), 1);
	ck_assert_int_eq(num(s, "runningCount"), 0);
	cJSON_Delete(s);
	/* A new task definition clears the throttle: it starts at once. */
	web_revision("x:2");
	call_free("UpdateService", "{\"service\":\"web\","
	    "\"taskDefinition\":\"web:2\"}");
	clock_run_until(clk, clock_now(clk) + 5000);
	s = service();
	ck_assert_int_eq(num(s, "runningCount"), 1);
	cJSON_Delete(s);
}
END_TEST

/* A task definition whose container turns unhealthy after a while. */
static void
web_unhealthy_after(const char *after)
{
	char	body[512];

	snprintf(body, sizeof body, "{\"family\":\"web\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":128,\"healthCheck\":{\"command\":[\"CMD-SHELL\","
	    "\"true\"],\"interval\":5,\"timeout\":2,\"retries\":1},"
	    "\"dockerLabels\":{\"ecsim.health\":\"unhealthy after %s\"}}]}",
	    after);
	call_free("RegisterTaskDefinition", body);
}

/* Stopped service tasks with the health-check reason. */
static int
health_stops(void)
{
	cJSON		*ts = service_tasks("web", "STOPPED");
	const cJSON	*t;
	int		 n = 0;

	cJSON_ArrayForEach(t, ts)
		if (strcmp(str_at(t, "stoppedReason", NULL),
		    "Task failed container health checks") == 0) {
			ck_assert_str_eq(str_at(t, "stopCode", NULL),
			    "ServiceSchedulerInitiated");
			n++;
		}
	cJSON_Delete(ts);
	return n;
}

/*
 * Unhealthy service tasks are replaced within the bounds: with room, the
 * replacement starts first and the unhealthy task goes once it is
 * healthy; a standalone task is left running.
 */
START_TEST(test_unhealthy_replaced)
{
	cJSON		*r, *s;
	const cJSON	*t;
	char		 job[256];
	int		 i;

	big_instances(2);
	web_unhealthy_after("60s");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web:1\",\"desiredCount\":2}");
	r = call("RunTask", "{\"taskDefinition\":\"web:1\"}");
	snprintf(job, sizeof job, "%s", str_at(r, "tasks", "0", "taskArn",
	    NULL));
	cJSON_Delete(r);
	/* Healthy (the check passes) well before 40 s: completed. */
	clock_run_until(clk, T0 + 30000);
	s = service();
	ck_assert(rolled_to(s, 1));
	cJSON_Delete(s);
	/* Unhealthy from about 65 s: replacements first, within 4. */
	for (i = 0; i < 120; i++) {
		struct census	c;

		clock_run_until(clk, clock_now(clk) + 500);
		c = census();
		ck_assert_int_le(c.total, 4);
		if (health_stops() > 0)
			break;
		/* Until the replacements are healthy, nothing stops. */
		ck_assert_int_eq(c.live, c.total);
	}
	ck_assert_int_ge(health_stops(), 1);
	/* By then the replacements run and pass their checks. */
	r = service_tasks("web", "RUNNING");
	ck_assert_int_eq(cJSON_GetArraySize(r), 2);
	cJSON_ArrayForEach(t, r) {
		ck_assert_str_eq(str_at(t, "lastStatus", NULL), "RUNNING");
		ck_assert_str_eq(str_at(t, "healthStatus", NULL), "HEALTHY");
	}
	cJSON_Delete(r);
	s = service();
	ck_assert_int_ge(count_events(s, "(service web) (task "), 1);
	ck_assert_int_eq(count_events(s, "(service web) (task "),
	    health_stops());
	cJSON_Delete(s);
	r = describe_task(job);
	ck_assert_str_eq(str_at(r, "lastStatus", NULL), "RUNNING");
	ck_assert_str_eq(str_at(r, "healthStatus", NULL), "UNHEALTHY");
	cJSON_Delete(r);
}
END_TEST

/* Health results are ignored during healthCheckGracePeriodSeconds. */
START_TEST(test_grace_period)
{
	big_instances(2);
	web_unhealthy_after("10s");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web:1\",\"desiredCount\":1,"
	    "\"healthCheckGracePeriodSeconds\":120}");
	clock_run_until(clk, T0 + 100000);
	ck_assert_int_eq(health_stops(), 0);
	ck_assert_int_eq(census().total, 1);
	clock_run_until(clk, T0 + 200000);
	ck_assert_int_ge(health_stops(), 1);
}
END_TEST

/* The DAEMON service's desiredCount. */
static int
daemon_desired(void)
{
	cJSON	*r = call("DescribeServices", "{\"services\":[\"daemon\"]}");
	int	 n = num(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "services"),
		    0), "desiredCount");

	cJSON_Delete(r);
	return n;
}

/* The instances of the DAEMON service's live tasks (of family_rev when
 * not NULL); returns how many tasks. */
static int
daemon_tasks(const char *family_rev, char ins[][256], int max)
{
	cJSON		*ts = service_tasks("daemon", "RUNNING");
	const cJSON	*t;
	int		 n = 0;

	cJSON_ArrayForEach(t, ts) {
		if (family_rev != NULL && strstr(str_at(t,
		    "taskDefinitionArn", NULL), family_rev) == NULL)
			continue;
		if (n < max)
			snprintf(ins[n], 256, "%s", str_at(t,
			    "containerInstanceArn", NULL));
		n++;
	}
	cJSON_Delete(ts);
	return n;
}

/* DAEMON: one task per ACTIVE instance, following instances as they
 * join, drain and leave; a new revision replaces them instance by
 * instance. */
START_TEST(test_daemon_follows_instances)
{
	cJSON	*r, *s;
	char	 ins[8][256], body[512];
	int	 i, j;

	big_instances(2);
	web_revision("x:1");
	web_revision("x:2");
	r = call("CreateService", "{\"serviceName\":\"daemon\","
	    "\"taskDefinition\":\"web:1\",\"schedulingStrategy\":\"DAEMON\"}");
	ck_assert_str_eq(str_at(r, "service", "schedulingStrategy", NULL),
	    "DAEMON");
	ck_assert_int_eq(num(cJSON_GetObjectItem(cJSON_GetObjectItem(r,
	    "service"), "deploymentConfiguration"), "maximumPercent"), 100);
	ck_assert_int_eq(num(cJSON_GetObjectItem(cJSON_GetObjectItem(r,
	    "service"), "deploymentConfiguration"), "minimumHealthyPercent"),
	    0);
	cJSON_Delete(r);
	clock_run_until(clk, T0 + 60000);
	r = call("DescribeServices", "{\"services\":[\"daemon\"]}");
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "services"), 0);
	ck_assert_int_eq(num(s, "desiredCount"), 2);
	ck_assert_int_eq(num(s, "runningCount"), 2);
	ck_assert_str_eq(str_at(s, "deployments", "0", "rolloutState", NULL),
	    "COMPLETED");
	cJSON_Delete(r);
	ck_assert_int_eq(daemon_tasks(NULL, ins, 8), 2);
	ck_assert_str_ne(ins[0], ins[1]);

	/* An instance joins. */
	big_instances(1);
	clock_run_until(clk, T0 + 70000);
	ck_assert_int_eq(daemon_tasks(NULL, ins, 8), 3);
	for (i = 0; i < 3; i++)
		for (j = i + 1; j < 3; j++)
			ck_assert_str_ne(ins[i], ins[j]);

	/* One drains: its task goes (nothing else runs there). */
	snprintf(body, sizeof body, "{\"containerInstances\":[\"%s\"],"
	    "\"status\":\"DRAINING\"}", ins[0]);
	call_free("UpdateContainerInstancesState", body);
	clock_run_until(clk, T0 + 80000);
	ck_assert_int_eq(daemon_tasks(NULL, ins, 8), 2);
	ck_assert_int_eq(daemon_desired(), 2);

	/* A new revision: replaced instance by instance (100/0). */
	call_free("UpdateService", "{\"service\":\"daemon\","
	    "\"taskDefinition\":\"web:2\"}");
	clock_run_until(clk, T0 + 200000);
	ck_assert_int_eq(daemon_tasks("web:2", ins, 8), 2);
	ck_assert_int_eq(daemon_tasks(NULL, ins, 8), 2);
	r = call("DescribeServices", "{\"services\":[\"daemon\"]}");
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "services"), 0);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(s,
	    "deployments")), 1);
	ck_assert_str_eq(str_at(s, "deployments", "0", "rolloutState", NULL),
	    "COMPLETED");
	cJSON_Delete(r);

	/* One leaves (forced): the service follows. */
	snprintf(body, sizeof body, "{\"containerInstance\":\"%s\","
	    "\"force\":true}", ins[0]);
	call_free("DeregisterContainerInstance", body);
	clock_run_until(clk, T0 + 220000);
	ck_assert_int_eq(daemon_tasks(NULL, ins, 8), 1);
	ck_assert_int_eq(daemon_desired(), 1);
}
END_TEST

/* A DAEMON task leaves a DRAINING instance after the REPLICA tasks. */
START_TEST(test_daemon_leaves_draining_last)
{
	char	 ins[8][256], body[512], drained[256];
	cJSON	*r;
	int	 k;

	big_instances(1);
	web_revision("x:1");
	call_free("CreateService", "{\"serviceName\":\"daemon\","
	    "\"taskDefinition\":\"web\",\"schedulingStrategy\":\"DAEMON\"}");
	call_free("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web\",\"desiredCount\":2}");
	clock_run_until(clk, T0 + 60000);
	ck_assert_int_eq(daemon_tasks(NULL, ins, 8), 1);
	snprintf(drained, sizeof drained, "%s", ins[0]);
	big_instances(1);
	snprintf(body, sizeof body, "{\"containerInstances\":[\"%s\"],"
	    "\"status\":\"DRAINING\"}", ins[0]);
	call_free("UpdateContainerInstancesState", body);
	/* The replacements are not healthy yet: the daemon task stays. */
	clock_run_until(clk, T0 + 70000);
	r = call("ListTasks", "{\"serviceName\":\"daemon\"}");
	k = cJSON_GetArraySize(cJSON_GetObjectItem(r, "taskArns"));
	cJSON_Delete(r);
	ck_assert_int_eq(k, 2);		/* the new instance's and the old */
	clock_run_until(clk, T0 + 200000);
	ck_assert_int_eq(daemon_tasks(NULL, ins, 8), 1);
	ck_assert_str_ne(ins[0], drained);
	ck_assert_int_eq(census().live, 2);
}
END_TEST

/* The container instance ARNs of the cluster, in registration order. */
static int
instance_arns(char ins[][256], int max)
{
	cJSON		*r = call("ListContainerInstances", "{}");
	const cJSON	*a;
	int		 n = 0;

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(r, "containerInstanceArns"))
		if (n < max)
			snprintf(ins[n++], 256, "%s", a->valuestring);
	cJSON_Delete(r);
	return n;
}

static void
put_attribute(const char *instance, const char *name, const char *value)
{
	char	body[512];

	snprintf(body, sizeof body, "{\"attributes\":[{\"name\":\"%s\","
	    "\"value\":\"%s\",\"targetId\":\"%s\"}]}", name, value, instance);
	call_free("PutAttributes", body);
}

/*
 * A service's placement: its constraints and strategies are checked like
 * RunTask's, its tasks follow them, changing them starts a deployment,
 * and scale-in is placement in reverse.
 */
START_TEST(test_service_placement)
{
	struct api_reply	 rep;
	char			 ins[4][256];
	cJSON			*r, *s;
	const char		*bad = "{\"serviceName\":\"bad\","
				    "\"taskDefinition\":\"web\",\"desiredCount\":1,"
				    "\"placementConstraints\":[{\"type\":\"memberOf\","
				    "\"expression\":\"attribute:stack ==\"}]}";

	big_instances(2);
	ck_assert_int_eq(instance_arns(ins, 4), 2);
	put_attribute(ins[0], "stack", "blue");
	web_revision("x:1");
	api_handle(eng, "AmazonEC2ContainerServiceV20141113.CreateService",
	    bad, strlen(bad), &rep);
	ck_assert_int_eq(rep.status, 400);
	ck_assert_ptr_nonnull(strstr(rep.body, "InvalidParameterException"));
	ck_assert_ptr_nonnull(strstr(rep.body, "position"));
	free(rep.body);
	ck_assert_int_eq(call_status("CreateService", "{\"serviceName\":"
	    "\"bad\",\"taskDefinition\":\"web\",\"desiredCount\":1,"
	    "\"placementStrategy\":[{\"type\":\"binpack\",\"field\":"
	    "\"disk\"}]}"), 400);

	r = call("CreateService", "{\"serviceName\":\"web\","
	    "\"taskDefinition\":\"web\",\"desiredCount\":3,"
	    "\"placementConstraints\":[{\"type\":\"memberOf\","
	    "\"expression\":\"attribute:stack == blue\"}]}");
	ck_assert_str_eq(str_at(r, "service", "placementConstraints", "0",
	    "type", NULL), "memberOf");
	cJSON_Delete(r);
	clock_run_until(clk, T0 + 60000);
	ck_assert_int_eq(tasks_on("web", ins[0]), 3);
	s = service();
	ck_assert(rolled_to(s, 1));
	cJSON_Delete(s);

	/* New placement: a deployment. */
	r = call("UpdateService", "{\"service\":\"web\","
	    "\"placementConstraints\":[],\"placementStrategy\":[{\"type\":"
	    "\"spread\",\"field\":\"instanceId\"}]}");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(r, "service"), "deployments")), 2);
	cJSON_Delete(r);
	ck_assert(run_checked(120000, 1, 6, 3));
	/* Spread counts the old tasks too: the new ones went to the
	 * instance that had none. */
	ck_assert_int_eq(tasks_on("web", ins[1]), 3);
	ck_assert_int_eq(tasks_on("web", ins[0]), 0);

	/* Scale out to 6 (3 each) and in to 2: spread in reverse leaves one
	 * on each instance. */
	call_free("UpdateService", "{\"service\":\"web\",\"desiredCount\":6}");
	clock_run_until(clk, clock_now(clk) + 60000);
	ck_assert_int_eq(tasks_on("web", ins[0]), 3);
	ck_assert_int_eq(tasks_on("web", ins[1]), 3);
	call_free("UpdateService", "{\"service\":\"web\",\"desiredCount\":2}");
	clock_run_until(clk, clock_now(clk) + 10000);
	ck_assert_int_eq(tasks_on("web", ins[0]), 1);
	ck_assert_int_eq(tasks_on("web", ins[1]), 1);
}
END_TEST

/* A DAEMON service with a memberOf constraint runs only where it holds,
 * and the others are not failures. */
START_TEST(test_daemon_constraints)
{
	char	 ins[4][256];
	cJSON	*r, *s;

	big_instances(3);
	ck_assert_int_eq(instance_arns(ins, 4), 3);
	put_attribute(ins[0], "role", "edge");
	put_attribute(ins[2], "role", "edge");
	web_revision("x:1");
	call_free("CreateService", "{\"serviceName\":\"daemon\","
	    "\"taskDefinition\":\"web\",\"schedulingStrategy\":\"DAEMON\","
	    "\"placementConstraints\":[{\"type\":\"memberOf\","
	    "\"expression\":\"attribute:role == edge\"}]}");
	clock_run_until(clk, T0 + 60000);
	ck_assert_int_eq(tasks_on("daemon", ins[0]), 1);
	ck_assert_int_eq(tasks_on("daemon", ins[1]), 0);
	ck_assert_int_eq(tasks_on("daemon", ins[2]), 1);
	r = call("DescribeServices", "{\"services\":[\"daemon\"]}");
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "services"), 0);
	ck_assert_int_eq(num(s, "desiredCount"), 2);
	ck_assert_int_eq(num(s, "runningCount"), 2);
	ck_assert_int_eq(count_events(s, "(service daemon) was unable"), 0);
	ck_assert_str_eq(str_at(s, "deployments", "0", "rolloutState", NULL),
	    "COMPLETED");
	cJSON_Delete(r);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("engine");
	TCase	*tc = tcase_create("virtual clock");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_service_converges_and_rolls);
	tcase_add_test(tc, test_capacity_short_then_added);
	tcase_add_test(tc, test_task_lifecycle_events);
	tcase_add_test(tc, test_unjournaled_tick_fails);
	tcase_add_test(tc, test_housekeeping);
	tcase_add_test(tc, test_events_follow_versions);
	suite_add_tcase(s, tc);
	tc = tcase_create("deployments");
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_roll_within_bounds, 0,
	    sizeof rolls / sizeof rolls[0]);
	tcase_add_test(tc, test_what_starts_a_deployment);
	tcase_add_test(tc, test_rapid_scaling);
	tcase_add_test(tc, test_three_revisions_in_flight);
	tcase_add_test(tc, test_draining_instance);
	tcase_add_test(tc, test_deregister_orphans);
	tcase_add_test(tc, test_steady_state_repeats);
	tcase_add_test(tc, test_daemon_follows_instances);
	tcase_add_test(tc, test_daemon_leaves_draining_last);
	tcase_add_test(tc, test_breaker_without_rollback);
	tcase_add_test(tc, test_breaker_crash_loop_rolls_back);
	tcase_add_test(tc, test_launch_throttle);
	tcase_add_test(tc, test_unhealthy_replaced);
	tcase_add_test(tc, test_grace_period);
	tcase_add_test(tc, test_service_placement);
	tcase_add_test(tc, test_daemon_constraints);
	suite_add_tcase(s, tc);
	return check_run(s);
}
