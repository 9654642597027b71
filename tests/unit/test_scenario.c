/* Scenarios: the loader's errors (file:line:column and what was expected),
 * YAML to API JSON, runs that pass and fail, and the invariants. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "check_run.h"
#include "scenario/internal.h"
#include "store/store.h"

static char	path[64];

static void
write_file(const char *text)
{
	FILE	*f;
	int	 fd;

	snprintf(path, sizeof path, "/tmp/ecsim-scenario-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

/* Loading text fails with exactly PATH:want. */
static void
load_fails(const char *text, const char *want)
{
	struct scenario	*sc;
	struct err	 e;
	char		 full[600];

	write_file(text);
	sc = scenario_load(path, &e);
	unlink(path);
	ck_assert_ptr_null(sc);
	ck_assert_int_eq(e.code, ERR_INVALID);
	snprintf(full, sizeof full, "%s:%s", path, want);
	ck_assert_str_eq(e.msg, full);
}

static struct scenario *
load_ok(const char *text)
{
	struct scenario	*sc;
	struct err	 e;

	write_file(text);
	sc = scenario_load(path, &e);
	unlink(path);
	if (sc == NULL)
		ck_abort_msg("%s", e.msg);
	return sc;
}

START_TEST(test_unknown_top_key)
{
	load_fails("name: x\nseeds: 3\n", "2:1: unknown key 'seeds' in the "
	    "scenario; expected one of: name, description, seed, step, "
	    "settle, agent_flaps, region, cluster, task_definitions, "
	    "behaviours, timeline, expect, invariants");
}
END_TEST

START_TEST(test_duplicate_key)
{
	load_fails("name: x\nseed: 1\nseed: 2\n", "3:1: 'seed' is given "
	    "twice in the scenario");
}
END_TEST

START_TEST(test_missing_name)
{
	load_fails("seed: 1\n", "1:1: expected name: (what the scenario is "
	    "called)");
}
END_TEST

START_TEST(test_not_yaml)
{
	load_fails("name: x\ntimeline: [\n", "3:1: did not find expected "
	    "node content while parsing a flow node");
}
END_TEST

START_TEST(test_empty_file)
{
	load_fails("", "1:1: expected a scenario (a mapping with name:, "
	    "cluster:, timeline:, ...), found an empty file");
}
END_TEST

START_TEST(test_instances_not_a_list)
{
	load_fails("name: x\ncluster:\n  instances: {count: 2}\n",
	    "3:14: expected instances (a list), found a mapping");
}
END_TEST

START_TEST(test_unknown_instance_key)
{
	load_fails("name: x\ncluster:\n  instances:\n    - name: a\n"
	    "      zone: b\n      memroy: 512\n", "6:7: unknown key 'memroy' "
	    "in an instance; expected one of: name, count, type, cpu, "
	    "memory, zone, zones, attributes");
}
END_TEST

START_TEST(test_bad_instance_type_and_count)
{
	load_fails("name: x\ncluster:\n  instances:\n    - {name: a, type: "
	    "t9.huge}\n", "4:23: expected an instance type ecsim knows "
	    "(t3.medium, t3.large, m5.large, m5.xlarge, c5.2xlarge), or cpu "
	    "and memory");
	load_fails("name: x\ncluster:\n  instances:\n    - {name: a, count: "
	    "0}\n", "4:24: expected count (a whole number from 1 to 5000)");
}
END_TEST

START_TEST(test_bad_duration)
{
	load_fails("name: x\ntimeline:\n  - at: soon\n    call: ListClusters\n",
	    "3:9: expected at (time from the start) (a duration such as 30s, "
	    "5m, 1h or 250ms)");
}
END_TEST

START_TEST(test_step_two_actions)
{
	load_fails("name: x\ntimeline:\n  - at: 1s\n    call: ListClusters\n"
	    "    fault: {drain: a}\n", "3:5: expected exactly one of call:, "
	    "fault:, expect: or add_instances: in a timeline step");
	load_fails("name: x\ntimeline:\n  - call: ListClusters\n",
	    "3:5: expected exactly one of at:, after: or when: in a "
	    "timeline step");
}
END_TEST

START_TEST(test_check_errors)
{
	load_fails("name: x\nexpect:\n  - runningCount: 2\n", "3:5: expected "
	    "exactly one of service:, tasks:, instance:, deployment:, events:, "
	    "events_in_order: or service_events: in a check");
	load_fails("name: x\nexpect:\n  - deployment: {status: PRIMARY}\n"
	    "    count: 1\n", "3:17: expected service: (whose deployments to "
	    "count)");
	load_fails("name: x\nexpect:\n  - events: {detail-type: X}\n",
	    "3:5: expected count: (how many must match, or a comparison "
	    "such as \">= 1\")");
	load_fails("name: x\nexpect:\n  - service: web\n    within: 5m\n"
	    "    runningCount: 1\n", "4:13: unknown key 'within' here: a "
	    "final expectation is checked when the run ends");
}
END_TEST

START_TEST(test_fault_errors)
{
	load_fails("name: x\ntimeline:\n  - at: 1s\n    fault: {terminate: a, "
	    "for: 5m}\n", "4:32: unknown key 'for' here: only disconnect, "
	    "pull_fails and zone_down last for a while");
	load_fails("name: x\ntimeline:\n  - at: 1s\n    fault: {explode: a}\n",
	    "4:13: unknown key 'explode' in a fault; expected one of: "
	    "disconnect, reconnect, terminate, drain, pull_fails, crash, "
	    "zone_down, zone_up, for, exit_code");
}
END_TEST

START_TEST(test_invariant_errors)
{
	load_fails("name: x\ninvariants:\n  off: {speed: fast}\n", "3:9: "
	    "expected an invariant name, one of: one-instance, resources, "
	    "ports, status-forward, desired-status, deployment-bounds, "
	    "deployment-floor, versions, outbox");
	load_fails("name: x\ninvariants:\n  off: {ports: \"\"}\n", "3:16: "
	    "expected the reason ports is off (a sentence)");
}
END_TEST

START_TEST(test_yaml_to_api_json)
{
	struct scenario	*sc = load_ok("name: x\ntimeline:\n  - at: 0s\n"
	    "    call: CreateService\n    with: {serviceName: web, "
	    "desiredCount: 2, enableECSManagedTags: true, taskDefinition: "
	    "\"7\", tags: ~}\n"
	    "task_definitions:\n  - {family: f, cpu: \"256\", containerDefinitions: "
	    "[{name: a, image: \"img:1\", memory: 128}]}\n"
	    "behaviours:\n  \"img:1\": {ecsim.exit: 1, ecsim.pull: 2s}\n");
	const cJSON	*b = sc->steps[0].body;
	cJSON		*td, *labels;

	ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(b, "desiredCount")));
	ck_assert_int_eq(cJSON_GetObjectItem(b, "desiredCount")->valueint, 2);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(b, "enableECSManagedTags")));
	ck_assert_str_eq(cJSON_GetObjectItem(b, "taskDefinition")->valuestring,
	    "7");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(b, "tags")));
	td = cJSON_Duplicate(cJSON_GetArrayItem(sc->taskdefs, 0), 1);
	ck_assert_str_eq(cJSON_GetObjectItem(td, "cpu")->valuestring, "256");
	sc_apply_behaviours(sc, td);
	labels = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(td,
	    "containerDefinitions"), 0), "dockerLabels");
	ck_assert_str_eq(cJSON_GetObjectItem(labels, "ecsim.exit")->valuestring,
	    "1");
	ck_assert_str_eq(cJSON_GetObjectItem(labels, "ecsim.pull")->valuestring,
	    "2s");
	cJSON_Delete(td);
	scenario_free(sc);
}
END_TEST

static const char small[] =
    "name: small\n"
    "cluster:\n  instances: [{name: n, count: 2}]\n"
    "task_definitions:\n  - {family: w, containerDefinitions: [{name: a, "
    "image: \"img:1\", memory: 128}]}\n"
    "timeline:\n"
    "  - at: 0s\n    call: CreateService\n"
    "    with: {serviceName: s, taskDefinition: w, desiredCount: %d}\n"
    "  - at: 1s\n    call: DeleteCluster\n    with: {}\n"
    "    expect_error: ClusterContainsServicesException\n"
    "settle: 2m\n"
    "expect:\n  - service: s\n    runningCount: 2\n"
    "  - instance: n-1\n    runningTasksCount: 1\n";

/* Runs small with desiredCount n; returns scenario_run's answer and the
 * summary in out. */
static int
run_text(const char *text, char *out, size_t len)
{
	struct scenario_options	 o;
	struct scenario		*sc;
	struct err		 e;
	FILE			*f;
	int			 ret;

	sc = load_ok(text);
	memset(&o, 0, sizeof o);
	o.seed = 1;
	o.replay = "ecsim run small.yaml --seed 1";
	o.out = f = fmemopen(out, len, "w");
	ret = scenario_run(sc, &o, &e);
	fclose(f);
	scenario_free(sc);
	return ret;
}

static int
run_small(int n, char *out, size_t len)
{
	char	text[sizeof small + 8];

	snprintf(text, sizeof text, small, n);
	return run_text(text, out, len);
}

START_TEST(test_run_passes)
{
	char	out[4096];

	ck_assert_int_eq(run_small(2, out, sizeof out), 0);
	ck_assert_ptr_nonnull(strstr(out, "PASS  00:00:01  line 10   call "
	    "DeleteCluster\n"));
	ck_assert_ptr_nonnull(strstr(out, "PASS  00:02:01  line 16   service "
	    "s: runningCount = 2\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nPASS: 4 held, 0 failed; virtual "
	    "time 00:02:01"));
	ck_assert_ptr_null(strstr(out, "replay:"));
}
END_TEST

START_TEST(test_run_fails_with_what_was_seen)
{
	char	out[4096];

	ck_assert_int_eq(run_small(3, out, sizeof out), 1);
	ck_assert_ptr_nonnull(strstr(out, "FAIL  00:02:01  line 16   service "
	    "s: runningCount = 2\n"));
	ck_assert_ptr_nonnull(strstr(out, "seen instead: runningCount was "
	    "3\n"));
	ck_assert_ptr_nonnull(strstr(out, "FAIL  00:02:01  line 18   instance "
	    "n-1: runningTasksCount = 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nFAIL: 2 held, 2 failed;"));
	ck_assert_ptr_nonnull(strstr(out, "\nreplay: ecsim run small.yaml "
	    "--seed 1\n"));
}
END_TEST

static const char failing[] =
    "name: t\n"
    "cluster:\n  capacity_providers: [FARGATE]\n  instances: [{name: n}]\n"
    "task_definitions:\n  - {family: w, containerDefinitions: [{name: a, "
    "image: \"img:1\", memory: 128}]}\n"
    "timeline:\n"
    "  - when: {service: s, runningCount: 1}\n    within: 20s\n"
    "    call: ListClusters\n"
    "  - after: 0s\n    fault: {disconnect: nope}\n"
    "  - after: 0s\n    fault: {crash: s}\n"
    "  - after: 0s\n    expect: {instance: n, runningTasksCount: 1, "
    "within: 30s}\n"
    "  - after: 0s\n    call: DescribeCapacityProviders\n"
    "    with: {capacityProviders: [FARGATE]}\n"
    "  - after: 0s\n    call: CreateService\n"
    "    with: {serviceName: s, taskDefinition: w, desiredCount: 0}\n"
    "    expect_error: InvalidParameterException\n"
    "settle: 10s\n";

/* Each way a step fails says why, at the time it was decided. */
START_TEST(test_steps_fail_with_reasons)
{
	struct scenario_options	 o;
	struct scenario		*sc = load_ok(failing);
	struct err		 e;
	char			 out[4096];
	FILE			*f;

	memset(&o, 0, sizeof o);
	o.seed = 1;
	o.replay = "r";
	o.out = f = fmemopen(out, sizeof out, "w");
	ck_assert_int_eq(scenario_run(sc, &o, &e), 1);
	fclose(f);
	scenario_free(sc);
	ck_assert_ptr_nonnull(strstr(out,
	    "  FAIL  00:00:20  line 8    when service s: runningCount = 1 "
	    "(within 20s)\n"
	    "                         seen instead: there is no service s\n"
	    "  FAIL  00:00:20  line 11   fault: disconnect nope\n"
	    "                         seen instead: there is no instance nope\n"
	    "  FAIL  00:00:20  line 13   fault: crash s (a RUNNING task)\n"
	    "                         seen instead: service s has no RUNNING "
	    "task to crash\n"
	    "  FAIL  00:00:50  line 16   instance n: runningTasksCount = 1 "
	    "(within 30s)\n"
	    "                         seen instead: runningTasksCount was 0\n"
	    "  PASS  00:00:20  line 17   call DescribeCapacityProviders\n"
	    "  FAIL  00:00:20  line 20   call CreateService\n"
	    "                         seen instead: it succeeded\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nFAIL: 1 held, 5 failed; virtual "
	    "time 00:00:50,"));
}
END_TEST

/* A task definition ECS refuses makes the file wrong, at its line. */
START_TEST(test_setup_refused)
{
	struct scenario_options	 o;
	struct scenario		*sc = load_ok("name: x\ntask_definitions:\n"
	    "  - {family: ok, containerDefinitions: [{name: a, image: i, "
	    "memory: 64}]}\n  - {family: f, containerDefinitions: []}\n");
	struct err		 e;
	char			 want[300];

	memset(&o, 0, sizeof o);
	o.seed = 1;
	o.out = stdout;
	ck_assert_int_eq(scenario_run(sc, &o, &e), -1);
	scenario_free(sc);
	ck_assert_int_eq(e.code, ERR_INVALID);
	snprintf(want, sizeof want, "%s:4: RegisterTaskDefinition refused "
	    "it: ClientException: Container list cannot be empty.", path);
	ck_assert_str_eq(e.msg, want);
}
END_TEST

/* JSON text packed, as the engine packs an event's detail; *n bytes. */
static char *
pack(const char *text, size_t *n)
{
	struct json_out	 o = { NULL, 0, 0 };
	cJSON		*j = cJSON_Parse(text);

	ck_assert_ptr_nonnull(j);
	json_pack(&o, j);
	cJSON_Delete(j);
	*n = o.len;
	return o.buf;
}

/* An event as the event hook tells it, for the invariants. */
static struct store_event
event(int64_t seq, const char *type, const char *arn, const char *detail)
{
	struct store_event	ev;

	ev.seq = seq;
	ev.time = T0;
	ev.source = (char *)"aws.ecs";
	ev.detail_type = (char *)type;
	ev.resource = (char *)arn;
	ev.detail = NULL;
	ev.packed = pack(detail, &ev.npacked);
	return ev;
}

/* Feeds the events to fresh invariants; NULL when they held, else what
 * broke (caller frees). */
static char *
feed(unsigned off, struct store_event *ev, size_t n)
{
	struct scenario	 sc;
	struct sc_run	 r;
	struct sc_inv	*v = sc_inv_new(off);
	char		*broke = NULL;
	size_t		 i;

	memset(&sc, 0, sizeof sc);
	sc.cluster = (char *)"default";
	memset(&r, 0, sizeof r);
	r.sc = &sc;
	r.eng = eng;
	sc_inv_check(v, &r, ev, n, &broke);
	sc_inv_free(v);
	for (i = 0; i < n; i++)
		free(ev[i].packed);
	return broke;
}

#define TASK	"ECS Task State Change"

START_TEST(test_invariants_hold_on_a_good_sequence)
{
	struct store_event	ev[3] = {
		event(1, TASK, "t1", "{\"version\":1,\"lastStatus\":\"PENDING\","
		    "\"desiredStatus\":\"RUNNING\",\"containerInstanceArn\":\"i1\"}"),
		event(2, TASK, "t1", "{\"version\":2,\"lastStatus\":\"RUNNING\","
		    "\"desiredStatus\":\"STOPPED\",\"containerInstanceArn\":\"i1\"}"),
		event(3, TASK, "t1", "{\"version\":3,\"lastStatus\":\"STOPPED\","
		    "\"desiredStatus\":\"STOPPED\",\"containerInstanceArn\":\"i1\"}"),
	};

	ck_assert_ptr_null(feed(0, ev, 3));
}
END_TEST

START_TEST(test_invariants_catch_each_break)
{
	struct store_event	back[2] = {
		event(1, TASK, "t1", "{\"version\":1,\"lastStatus\":\"RUNNING\","
		    "\"desiredStatus\":\"RUNNING\",\"containerInstanceArn\":\"i1\"}"),
		event(2, TASK, "t1", "{\"version\":2,\"lastStatus\":\"PENDING\","
		    "\"desiredStatus\":\"RUNNING\",\"containerInstanceArn\":\"i1\"}"),
	}, moved[2] = {
		event(1, TASK, "t1", "{\"version\":1,\"lastStatus\":\"PENDING\","
		    "\"desiredStatus\":\"RUNNING\",\"containerInstanceArn\":\"i1\"}"),
		event(2, TASK, "t1", "{\"version\":2,\"lastStatus\":\"RUNNING\","
		    "\"desiredStatus\":\"RUNNING\",\"containerInstanceArn\":\"i2\"}"),
	}, skipped[2] = {
		event(1, TASK, "t1", "{\"version\":1,\"lastStatus\":\"PENDING\","
		    "\"desiredStatus\":\"RUNNING\"}"),
		event(2, TASK, "t1", "{\"version\":3,\"lastStatus\":\"RUNNING\","
		    "\"desiredStatus\":\"RUNNING\"}"),
	}, revived[2] = {
		event(1, TASK, "t1", "{\"version\":1,\"lastStatus\":\"RUNNING\","
		    "\"desiredStatus\":\"STOPPED\"}"),
		event(2, TASK, "t1", "{\"version\":2,\"lastStatus\":\"RUNNING\","
		    "\"desiredStatus\":\"RUNNING\"}"),
	}, unasked[2] = {
		event(1, TASK, "t1", "{\"version\":1,\"lastStatus\":\"RUNNING\","
		    "\"desiredStatus\":\"RUNNING\"}"),
		event(2, TASK, "t1", "{\"version\":2,\"lastStatus\":\"STOPPED\","
		    "\"desiredStatus\":\"RUNNING\"}"),
	}, gap[2] = {
		event(1, "ECS Service Action", "s", "{}"),
		event(3, "ECS Service Action", "s", "{}"),
	};
	char	*b;

	b = feed(0, back, 2);
	ck_assert_str_eq(b, "status-forward: task t1 went back from RUNNING "
	    "to PENDING");
	free(b);
	b = feed(0, moved, 2);
	ck_assert_str_eq(b, "one-instance: task t1 moved from i1 to i2");
	free(b);
	b = feed(0, skipped, 2);
	ck_assert_str_eq(b, "versions: t1 went from version 1 to 3");
	free(b);
	b = feed(0, revived, 2);
	ck_assert_str_eq(b, "desired-status: task t1 wanted RUNNING after "
	    "STOPPED");
	free(b);
	b = feed(0, unasked, 2);
	ck_assert_str_eq(b, "desired-status: task t1 stopped while wanted "
	    "RUNNING");
	free(b);
	b = feed(0, gap, 2);
	ck_assert_str_eq(b, "outbox: event 3 follows event 1");
	free(b);
}
END_TEST

START_TEST(test_invariant_off_is_not_checked)
{
	struct store_event	gap[2] = {
		event(1, "ECS Service Action", "s", "{}"),
		event(3, "ECS Service Action", "s", "{}"),
	};

	ck_assert_ptr_null(feed(1u << INV_OUTBOX, gap, 2));
}
END_TEST

/* The outbox must end at the last event the checks were told of: one
 * more in the store than was told breaks the outbox invariant, and off it
 * is not checked. */
START_TEST(test_outbox_ends_at_the_last_event_told)
{
	struct sc_inv		*v = sc_inv_new(0);
	struct store_event	 one = event(1, "ECS Service Action", "s", "{}");
	char			*broke = NULL;

	ck_assert_int_eq(sc_inv_outbox(v, 0, &broke), 0);
	ck_assert_int_eq(sc_inv_events(v, NULL, &one, 1, &broke), 0);
	ck_assert_int_eq(sc_inv_outbox(v, 1, &broke), 0);
	ck_assert_int_eq(sc_inv_outbox(v, 2, &broke), -1);
	ck_assert_str_eq(broke, "outbox: the outbox ends at event 2, the last "
	    "event checked is 1");
	free(broke);
	sc_inv_free(v);
	v = sc_inv_new(1u << INV_OUTBOX);
	broke = NULL;
	ck_assert_int_eq(sc_inv_outbox(v, 2, &broke), 0);
	ck_assert_ptr_null(broke);
	sc_inv_free(v);
	free(one.packed);
}
END_TEST

START_TEST(test_service_events_errors)
{
	load_fails("name: x\nexpect:\n  - service_events: {message: hi}\n"
	    "    count: 1\n", "3:21: expected service: (whose events to "
	    "count)");
	load_fails("name: x\nexpect:\n  - service_events: {service: s}\n"
	    "    count: 1\n", "3:21: expected message: (text the service "
	    "event's message contains; quote text that looks like a "
	    "number)");
	load_fails("name: x\nexpect:\n  - service_events: {service: s, "
	    "message: 42}\n    count: 1\n", "3:43: expected message: (text "
	    "the service event's message contains; quote text that looks "
	    "like a number)");
	load_fails("name: x\nexpect:\n  - service_events: {service: s, "
	    "message: \"\"}\n    count: 1\n", "3:43: expected message: (text "
	    "the service event's message contains; quote text that looks "
	    "like a number)");
	load_fails("name: x\nexpect:\n  - service_events: {service: s, "
	    "message: hi, reason: x}\n    count: 1\n", "3:47: unknown key "
	    "'reason' in service_events; expected one of: service, message");
	load_fails("name: x\nexpect:\n  - service_events: {service: s, "
	    "message: hi}\n", "3:5: expected count: (how many must match, or "
	    "a comparison such as \">= 1\")");
}
END_TEST

/* service_events: counts the service's events whose message contains the
 * text: what DescribeServices shows, ids and all. */
START_TEST(test_service_events_count_messages)
{
	static const char text[] =
	    "name: msgs\n"
	    "cluster:\n  instances: [{name: n, count: 2}]\n"
	    "task_definitions:\n  - {family: w, containerDefinitions: [{name: "
	    "a, image: \"img:1\", memory: 128}]}\n"
	    "timeline:\n"
	    "  - at: 0s\n    call: CreateService\n"
	    "    with: {serviceName: s, taskDefinition: w, desiredCount: 2}\n"
	    "settle: 2m\n"
	    "expect:\n"
	    "  - service_events: {service: s, message: \"(service s) has "
	    "started 2 tasks: (task \"}\n    count: 1\n"
	    "  - service_events: {service: s, message: \"has reached a steady "
	    "state.\"}\n    count: \">= 1\"\n"
	    "  - service_events: {service: s, message: \"(service s)\"}\n"
	    "    count: 3\n"
	    "  - service_events: {service: s, message: \"failed container "
	    "health checks\"}\n    count: 1\n"
	    "  - service_events: {service: nope, message: x}\n    count: 0\n";
	char	out[4096];

	ck_assert_int_eq(run_text(text, out, sizeof out), 1);
	ck_assert_ptr_nonnull(strstr(out, "PASS  00:02:00  line 12   service "
	    "events {service = s, message = (service s) has started 2 tasks: "
	    "(task }: count = 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "PASS  00:02:00  line 14   service "
	    "events {service = s, message = has reached a steady state.}: "
	    "count >= 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "PASS  00:02:00  line 16   service "
	    "events {service = s, message = (service s)}: count = 3\n"));
	ck_assert_ptr_nonnull(strstr(out, "FAIL  00:02:00  line 18   service "
	    "events {service = s, message = failed container health checks}: "
	    "count = 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "seen instead: count was 0\n"));
	ck_assert_ptr_nonnull(strstr(out, "PASS  00:02:00  line 20   service "
	    "events {service = nope, message = x}: count = 0\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nFAIL: 5 held, 1 failed;"));
}
END_TEST

static Suite *
scenario_suite(void)
{
	Suite	*s = suite_create("scenario");
	TCase	*tc = tcase_create("load");
	TCase	*run = tcase_create("run");

	tcase_add_test(tc, test_unknown_top_key);
	tcase_add_test(tc, test_duplicate_key);
	tcase_add_test(tc, test_missing_name);
	tcase_add_test(tc, test_not_yaml);
	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_instances_not_a_list);
	tcase_add_test(tc, test_unknown_instance_key);
	tcase_add_test(tc, test_bad_instance_type_and_count);
	tcase_add_test(tc, test_bad_duration);
	tcase_add_test(tc, test_step_two_actions);
	tcase_add_test(tc, test_check_errors);
	tcase_add_test(tc, test_fault_errors);
	tcase_add_test(tc, test_invariant_errors);
	tcase_add_test(tc, test_yaml_to_api_json);
	tcase_add_test(tc, test_service_events_errors);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(run, fixture_setup, fixture_teardown);
	tcase_add_test(run, test_run_passes);
	tcase_add_test(run, test_run_fails_with_what_was_seen);
	tcase_add_test(run, test_steps_fail_with_reasons);
	tcase_add_test(run, test_setup_refused);
	tcase_add_test(run, test_invariants_hold_on_a_good_sequence);
	tcase_add_test(run, test_invariants_catch_each_break);
	tcase_add_test(run, test_invariant_off_is_not_checked);
	tcase_add_test(run, test_outbox_ends_at_the_last_event_told);
	tcase_add_test(run, test_service_events_count_messages);
	suite_add_tcase(s, run);
	return s;
}

int
main(void)
{
	return check_run(scenario_suite());
}
