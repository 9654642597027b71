/* The resources and ports invariants: a task slipped into the store that
 * overloads one instance, or books a port another task holds there, fails
 * the run naming that instance and not another, however many instances
 * and tasks the cluster has. The deployment-floor invariant: a healthy
 * task stopped as if by the scheduler during a deployment, below the lower
 * bound, fails the run; one a user stops does not, nor does the rolling
 * deploy itself. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "api/api.h"
#include "engine/engine.h"
#include "scenario/scenario.h"
#include "store/store.h"

#ifndef ECSIM_SOURCE_DIR
#error "tests/CMakeLists.txt defines ECSIM_SOURCE_DIR"
#endif
#define SMALL	ECSIM_SOURCE_DIR "/scenarios/chaos/small.yaml"

/* What to slip in, and the ec2 id of the instance it went on. */
struct slip {
	size_t	 instance;	/* index in registration order */
	int64_t	 cpu;
	int	 port;		/* 0: none */
	int	 count;
	int	 done;
	char	 ec2[64];
};

/* Copies a real task of the cluster as count standalone tasks on one
 * instance, two minutes in, each with its first event, which names the
 * instance as a task's event does: the invariants look at the instances
 * the tick's events name. */
static void
slip_in(struct engine *eng, int64_t t, void *arg)
{
	struct slip		*sl = arg;
	struct store		*st = engine_store(eng);
	struct instance_row	*in = NULL;
	struct task_row		*tasks = NULL, row;
	struct err		 e;
	size_t			 nin = 0, nt = 0, i;
	cJSON			*d;
	char			 group[] = "family:tampered";
	int			 k;

	if (sl->done || t < 120000)
		return;
	sl->done = 1;
	ck_assert_int_eq(store_instance_list(st, "small", &in, &nin, &e), 0);
	ck_assert_uint_eq(nin, 4);
	for (i = 0; i < nin && nt == 0; i++)
		ck_assert_int_eq(store_task_on_instance(st, in[i].arn, &tasks,
		    &nt, &e), 0);
	ck_assert_uint_gt(nt, 0);
	snprintf(sl->ec2, sizeof sl->ec2, "%s", in[sl->instance].ec2_instance_id);
	for (k = 0; k < sl->count; k++) {
		row = tasks[0];
		row.arn = xprintf("arn:aws:ecs:us-east-1:000000000000:"
		    "task/small/%032d", k + 1);
		row.id = xprintf("%032d", k + 1);
		row.instance_arn = in[sl->instance].arn;
		row.cpu = sl->cpu;
		row.ports = cJSON_CreateArray();
		if (sl->port != 0)
			cJSON_AddItemToArray(row.ports,
			    cJSON_CreateNumber(sl->port));
		row.ports_udp = NULL;
		row.version = 1;
		/* A standalone task with nothing due: no service counts
		 * it and the lifecycle leaves it alone. */
		row.service_arn = NULL;
		row.deployment_id = NULL;
		row.group = group;
		row.next_at = 0;
		ck_assert_int_eq(store_task_insert(st, &row, &e), 0);
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "lastStatus", "RUNNING");
		cJSON_AddStringToObject(d, "desiredStatus", "RUNNING");
		cJSON_AddStringToObject(d, "containerInstanceArn",
		    row.instance_arn);
		cJSON_AddNumberToObject(d, "version", 1);
		ck_assert_int_eq(store_event_append(st, engine_now(eng),
		    "aws.ecs", "ECS Task State Change", row.arn, d, &e), 0);
		cJSON_Delete(row.ports);
		free(row.arn);
		free(row.id);
	}
	task_rows_free(tasks, nt);
	instance_rows_free(in, nin);
}

/* Runs small.yaml for 5 minutes of chaos without faults, with tamper
 * called after every tick; its result must be want. Returns what the seed
 * printed. */
static char *
run_small(void (*tamper)(struct engine *, int64_t, void *), void *arg,
    int want)
{
	struct scenario		*sc;
	struct chaos_config	 c;
	struct err		 e;
	char			*buf = NULL;
	size_t			 len = 0, k;

	sc = scenario_load(SMALL, &e);
	ck_assert_msg(sc != NULL, "%s", e.msg);
	chaos_config_defaults(&c);
	c.duration = 5 * 60 * 1000;
	for (k = 0; k < CHAOS_NFAULTS; k++)
		c.rates[k] = 0;
	c.tamper = tamper;
	c.tamper_arg = arg;
	c.out = open_memstream(&buf, &len);
	ck_assert_int_eq(chaos_run_seed(sc, &c, 1, NULL, &e), want);
	fclose(c.out);
	scenario_free(sc);
	return buf;
}

/* small.yaml with sl slipped in. */
static char *
run_with(struct slip *sl, int want)
{
	char	*out = run_small(slip_in, sl, want);

	ck_assert_int_eq(sl->done, 1);
	return out;
}

/* The run fails saying head, the slipped-onto instance's ec2 id, tail. */
static void
fails_naming(struct slip *sl, const char *head, const char *tail)
{
	char	*out = run_with(sl, 1);
	char	*want = xprintf("%s%s%s", head, sl->ec2, tail);

	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(want);
	free(out);
}

START_TEST(overloaded_instance_is_named)
{
	struct slip	 sl = { .instance = 3, .cpu = 4096, .count = 1 };

	/* A t3.large registers 2048 CPU units. */
	fails_naming(&sl, "invariant resources: instance ", " has 2048 CPU "
	    "and ");
}
END_TEST

START_TEST(port_booked_twice_is_named)
{
	struct slip	 sl = { .instance = 1, .cpu = 1, .port = 8080,
			    .count = 2 };

	fails_naming(&sl, "invariant ports: TCP port 8080 of instance ",
	    " is booked twice");
}
END_TEST

/* One task with the port is no conflict: the run passes. */
START_TEST(port_once_holds)
{
	struct slip	 sl = { .instance = 2, .cpu = 1, .port = 8080,
			    .count = 1 };
	char		*out = run_with(&sl, 0);

	ck_assert_msg(strstr(out, "invariants held after every tick: "
	    "one-instance resources ports") != NULL, "%s", out);
	ck_assert_ptr_null(strstr(out, "invariant ports:"));
	free(out);
}
END_TEST

#define WORKER	"arn:aws:ecs:us-east-1:000000000000:service/small/worker"

/* A rolling deploy of worker (2 tasks, minimumHealthyPercent 100: lower
 * bound 2) two minutes in; a tick later, with stop set, one of its healthy
 * tasks stops with stop_code. */
struct rollout {
	int			 stop;
	enum task_stop_code	 stop_code;
	int			 step;
	int			 healthy;	/* the bound's count then */
};

static void
deploy_then_stop(struct engine *eng, int64_t t, void *arg)
{
	static const char	 body[] = "{\"cluster\":\"small\",\"service\":"
				    "\"worker\",\"forceNewDeployment\":true}";
	struct rollout		*ro = arg;
	struct store		*st = engine_store(eng);
	struct engine_floor	 f;
	struct api_reply	 reply;
	struct task_row		*tasks = NULL, *row = NULL;
	struct err		 e;
	size_t			 nt = 0, i;
	cJSON			*d;
	char			*text;

	if (t < 120000 || ro->step == 2)
		return;
	if (ro->step == 0) {
		api_handle(eng, "AmazonEC2ContainerServiceV20141113."
		    "UpdateService", body, strlen(body), &reply);
		ck_assert_msg(reply.status == 200, "%s", reply.body);
		free(reply.body);
		ro->step = ro->stop ? 1 : 2;
		return;
	}
	ro->step = 2;
	ck_assert_int_eq(engine_service_floor(eng, WORKER, &f, &e), 0);
	ck_assert_int_eq(f.deploying, 1);
	ck_assert_int_eq(f.lower, 2);
	ro->healthy = (int)f.healthy;
	ck_assert_int_eq(store_task_of_service(st, WORKER, &tasks, &nt, &e), 0);
	for (i = 0; i < nt && row == NULL; i++)
		if (tasks[i].last_status == TASK_RUNNING &&
		    !tasks[i].desired_stopped)
			row = &tasks[i];
	ck_assert_ptr_nonnull(row);
	if (ro->stop_code == STOP_USER_INITIATED) {
		text = xprintf("{\"cluster\":\"small\",\"task\":\"%s\"}",
		    row->arn);
		api_handle(eng, "AmazonEC2ContainerServiceV20141113.StopTask",
		    text, strlen(text), &reply);
		ck_assert_msg(reply.status == 200, "%s", reply.body);
		free(reply.body);
		free(text);
		task_rows_free(tasks, nt);
		return;
	}
	/* What a stop says, without the lifecycle that follows: the task
	 * stays RUNNING, wanted STOPPED, and the run ends before it matters. */
	row->desired_stopped = 1;
	row->stop_code = ro->stop_code;
	free(row->stopped_reason);
	row->stopped_reason = xstrdup("Scaling activity initiated by "
	    "(deployment tampered)");
	row->version++;
	ck_assert_int_eq(store_task_update(st, row, &e), 0);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "group", "service:worker");
	cJSON_AddStringToObject(d, "lastStatus", "RUNNING");
	cJSON_AddStringToObject(d, "desiredStatus", "STOPPED");
	cJSON_AddStringToObject(d, "containerInstanceArn", row->instance_arn);
	cJSON_AddStringToObject(d, "stopCode",
	    model_stop_code_name(ro->stop_code));
	cJSON_AddStringToObject(d, "stoppedReason", row->stopped_reason);
	cJSON_AddNumberToObject(d, "version", (double)row->version);
	ck_assert_int_eq(store_event_append(st, engine_now(eng), "aws.ecs",
	    "ECS Task State Change", row->arn, d, &e), 0);
	task_rows_free(tasks, nt);
}

/* small.yaml with ro's deploy (and stop). */
static char *
rollout_run(struct rollout *ro, int want)
{
	char	*out = run_small(deploy_then_stop, ro, want);

	ck_assert_int_eq(ro->step, 2);
	return out;
}

START_TEST(floor_holds_through_a_rolling_deploy)
{
	struct rollout	 ro = { .stop = 0 };
	char		*out = rollout_run(&ro, 0);

	ck_assert_msg(strstr(out, "deployment-bounds deployment-floor") !=
	    NULL, "%s", out);
	ck_assert_ptr_null(strstr(out, "invariant deployment-floor"));
	free(out);
}
END_TEST

START_TEST(scheduler_stop_below_floor_breaks)
{
	struct rollout	 ro = { .stop = 1,
			    .stop_code = STOP_SERVICE_SCHEDULER_INITIATED };
	char		*out = rollout_run(&ro, 1);

	/* Both old tasks were healthy and the new ones not yet. */
	ck_assert_int_eq(ro.healthy, 2);
	ck_assert_msg(strstr(out, "invariant deployment-floor: service worker "
	    "has 1 healthy tasks during a deployment, below its lower bound "
	    "of 2 (0 more were lost on their own)") != NULL, "%s", out);
	free(out);
}
END_TEST

/* A user's StopTask is the task lost on its own, not the scheduler's
 * doing: the run goes on, and the deployment completes. */
START_TEST(user_stop_below_floor_holds)
{
	struct rollout	 ro = { .stop = 1, .stop_code = STOP_USER_INITIATED };
	char		*out = rollout_run(&ro, 0);

	ck_assert_int_eq(ro.healthy, 2);
	ck_assert_ptr_null(strstr(out, "invariant deployment-floor"));
	free(out);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("invariant");
	TCase	*tc = tcase_create("instances");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, overloaded_instance_is_named);
	tcase_add_test(tc, port_booked_twice_is_named);
	tcase_add_test(tc, port_once_holds);
	suite_add_tcase(s, tc);
	tc = tcase_create("floor");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, floor_holds_through_a_rolling_deploy);
	tcase_add_test(tc, scheduler_stop_below_floor_breaks);
	tcase_add_test(tc, user_stop_below_floor_holds);
	suite_add_tcase(s, tc);
	return check_run(s);
}
