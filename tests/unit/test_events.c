/* Events leaving ecsim: patterns, the envelope, the file sink and its
 * cursor, pruning, the clock tick (src/events/, store/event.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "fixture.h"
#include "events/events.h"

/* The agent-down rule of docs/events.md. */
static const char AGENT_DOWN[] =
    "{\"detail-type\": [\"ECS Container Instance State Change\"],"
    " \"detail\": {\"agentConnected\": [false], \"status\": [\"ACTIVE\"]}}";

static cJSON *
instance_envelope(int connected, const char *status)
{
	char	text[512];

	snprintf(text, sizeof text, "{\"version\":\"0\",\"detail-type\":"
	    "\"ECS Container Instance State Change\",\"source\":\"aws.ecs\","
	    "\"resources\":[\"arn:ci/1\",\"arn:ci/2\"],\"detail\":"
	    "{\"agentConnected\":%s,\"status\":\"%s\",\"version\":3,"
	    "\"ec2InstanceId\":null,\"versionInfo\":{\"agentVersion\":"
	    "\"1.0\"}}}", connected ? "true" : "false", status);
	return cJSON_Parse(text);
}

static int
matches(const char *pattern, const cJSON *env)
{
	struct err	 e;
	cJSON		*p = events_pattern_parse(pattern, &e);
	int		 m;

	ck_assert_msg(p != NULL, "pattern %s refused: %s", pattern, e.msg);
	m = events_pattern_match(p, env);
	cJSON_Delete(p);
	return m;
}

START_TEST(test_pattern_agent_down)
{
	cJSON	*down = instance_envelope(0, "ACTIVE");
	cJSON	*up = instance_envelope(1, "ACTIVE");
	cJSON	*draining = instance_envelope(0, "DRAINING");

	ck_assert_int_eq(matches(AGENT_DOWN, down), 1);
	ck_assert_int_eq(matches(AGENT_DOWN, up), 0);
	ck_assert_int_eq(matches(AGENT_DOWN, draining), 0);
	ck_assert_int_eq(matches("{\"detail-type\":[\"ECS Task State "
	    "Change\"]}", down), 0);
	/* Any of the list. */
	ck_assert_int_eq(matches("{\"detail\":{\"status\":[\"DRAINING\","
	    "\"ACTIVE\"]}}", down), 1);
	ck_assert_int_eq(events_pattern_match(NULL, down), 1);
	cJSON_Delete(down);
	cJSON_Delete(up);
	cJSON_Delete(draining);
}
END_TEST

START_TEST(test_pattern_values)
{
	cJSON	*env = instance_envelope(1, "ACTIVE");

	/* An array field matches when one element is allowed. */
	ck_assert_int_eq(matches("{\"resources\":[\"arn:ci/2\"]}", env), 1);
	ck_assert_int_eq(matches("{\"resources\":[\"arn:ci/3\"]}", env), 0);
	/* Numbers compare as numbers, null matches null only. */
	ck_assert_int_eq(matches("{\"detail\":{\"version\":[3.0]}}", env), 1);
	ck_assert_int_eq(matches("{\"detail\":{\"version\":[\"3\"]}}", env),
	    0);
	ck_assert_int_eq(matches("{\"detail\":{\"ec2InstanceId\":[null]}}",
	    env), 1);
	ck_assert_int_eq(matches("{\"detail\":{\"status\":[null]}}", env), 0);
	/* A field the event lacks never matches; nested objects recurse. */
	ck_assert_int_eq(matches("{\"detail\":{\"nothere\":[\"x\"]}}", env),
	    0);
	ck_assert_int_eq(matches("{\"detail\":{\"versionInfo\":"
	    "{\"agentVersion\":[\"1.0\"]}}}", env), 1);
	ck_assert_int_eq(matches("{\"detail\":{\"versionInfo\":"
	    "{\"agentVersion\":[\"2.0\"]}}}", env), 0);
	/* An object in the pattern wants an object in the event. */
	ck_assert_int_eq(matches("{\"source\":{\"x\":[\"y\"]}}", env), 0);
	/* Case-sensitive names and values. */
	ck_assert_int_eq(matches("{\"Source\":[\"aws.ecs\"]}", env), 0);
	ck_assert_int_eq(matches("{\"source\":[\"AWS.ECS\"]}", env), 0);
	cJSON_Delete(env);
}
END_TEST

static void
refused(const char *pattern, const char *want)
{
	struct err	 e;
	cJSON		*p;

	err_clear(&e);
	p = events_pattern_parse(pattern, &e);
	ck_assert_msg(p == NULL, "pattern %s was taken", pattern);
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_msg(strstr(e.msg, want) != NULL, "'%s' lacks '%s'", e.msg,
	    want);
}

START_TEST(test_pattern_refused)
{
	refused("{\"source\":", "not JSON");
	refused("[\"aws.ecs\"]", "must be a JSON object");
	refused("{}", "empty object");
	refused("{\"source\":\"aws.ecs\"}", "source must be a list");
	refused("{\"detail\":{\"status\":[]}}", "detail.status is an empty "
	    "list");
	refused("{\"detail\":{\"status\":[{\"prefix\":\"A\"}]}}",
	    "exact values only");
	refused("{\"detail\":{\"x\":{}}}", "detail.x is an empty object");
}
END_TEST

START_TEST(test_envelope)
{
	struct store_event	 ev;
	cJSON			*a, *b, *c, *d;
	char			 src[] = "aws.ecs", type[] = "ECS Task State Change";
	char			 res[] = "arn:aws:ecs:us-east-1:000000000000:task/d/abc";
	char			 none[] = "";

	memset(&ev, 0, sizeof ev);
	ev.seq = 7;
	ev.time = 1700000000123LL;
	ev.source = src;
	ev.detail_type = type;
	ev.resource = res;
	ev.detail = cJSON_Parse("{\"lastStatus\":\"RUNNING\",\"version\":2}");
	a = events_envelope(&ev, "eu-west-1", "123456789012");
	ck_assert_str_eq(cJSON_GetObjectItem(a, "version")->valuestring, "0");
	ck_assert_str_eq(cJSON_GetObjectItem(a, "detail-type")->valuestring,
	    "ECS Task State Change");
	ck_assert_str_eq(cJSON_GetObjectItem(a, "source")->valuestring,
	    "aws.ecs");
	ck_assert_str_eq(cJSON_GetObjectItem(a, "account")->valuestring,
	    "123456789012");
	ck_assert_str_eq(cJSON_GetObjectItem(a, "region")->valuestring,
	    "eu-west-1");
	/* Whole seconds in the envelope. */
	ck_assert_str_eq(cJSON_GetObjectItem(a, "time")->valuestring,
	    "2023-11-14T22:13:20Z");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(a,
	    "resources")), 1);
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(a,
	    "resources"), 0)->valuestring, ev.resource);
	ck_assert(cJSON_Compare(cJSON_GetObjectItem(a, "detail"), ev.detail,
	    1));
	ck_assert_int_eq((int)strlen(cJSON_GetObjectItem(a, "id")->valuestring),
	    36);

	/* The same row, the same id; another row, another id. */
	b = events_envelope(&ev, "eu-west-1", "123456789012");
	ck_assert_str_eq(cJSON_GetObjectItem(a, "id")->valuestring,
	    cJSON_GetObjectItem(b, "id")->valuestring);
	ev.seq = 8;
	ev.resource = none;
	c = events_envelope(&ev, "eu-west-1", "123456789012");
	ck_assert_str_ne(cJSON_GetObjectItem(a, "id")->valuestring,
	    cJSON_GetObjectItem(c, "id")->valuestring);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(c,
	    "resources")), 0);
	/* The envelope owns a copy of the detail. */
	d = cJSON_GetObjectItem(c, "detail");
	ck_assert_ptr_ne(d, ev.detail);
	cJSON_Delete(ev.detail);
	ck_assert_str_eq(cJSON_GetObjectItem(d, "lastStatus")->valuestring,
	    "RUNNING");
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
}
END_TEST

/* Appends n events of detail-type type at engine time at, one
 * transaction, as the engine would. */
static void
append(int n, const char *type, int64_t at)
{
	struct err	 e;
	cJSON		*d;
	int		 i;

	ck_assert_int_eq(store_begin(st, &e), 0);
	for (i = 0; i < n; i++) {
		d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "i", i);
		ck_assert_int_eq(store_event_append(st, at, "aws.ecs", type,
		    "arn:x", d, &e), 0);
	}
	ck_assert_int_eq(store_commit(st, &e), 0);
}

/* n events of one type at engine time at, each in a transaction of its
 * own: each a block of its own in the outbox. */
static void
append_each(int n, const char *type, int64_t at)
{
	int	i;

	for (i = 0; i < n; i++)
		append(1, type, at);
}

/* The lines of a file, each parsed; *n how many. */
static cJSON **
read_lines(const char *path, size_t *n)
{
	FILE	*f = fopen(path, "r");
	char	 line[65536];
	cJSON	**v = NULL;
	size_t	 cap = 0;

	*n = 0;
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f) != NULL) {
		v = xgrow(v, *n, &cap, sizeof *v);
		v[*n] = cJSON_Parse(line);
		ck_assert_msg(v[*n] != NULL, "not JSON: %s", line);
		(*n)++;
	}
	fclose(f);
	return v;
}

static void
free_lines(cJSON **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		cJSON_Delete(v[i]);
	free(v);
}

static struct events *
hub(int64_t keep, int64_t keep_for, int64_t tick)
{
	struct events_options	o;

	events_options_defaults(&o);
	o.keep = keep;
	o.keep_for = keep_for;
	o.tick = tick;
	return events_new(base, clk, eng, &o);
}

START_TEST(test_file_sink_resumes)
{
	char		 path[] = "/tmp/ecsim-test-events-XXXXXX";
	char		 tasks[] = "/tmp/ecsim-test-tasks-XXXXXX";
	struct events	*ev;
	struct err	 e;
	cJSON		**lines, *pat;
	size_t		 n, i;
	int64_t		 first;
	int		 fd;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	close(fd);
	ck_assert_int_ge(fd = mkstemp(tasks), 0);
	close(fd);
	first = store_event_last(st);
	pat = events_pattern_parse("{\"detail-type\":[\"ECS Task State "
	    "Change\"]}", &e);
	ck_assert_ptr_nonnull(pat);

	ev = hub(0, 0, 0);
	ck_assert_int_eq(events_add_file(ev, path, NULL, &e), 0);
	ck_assert_int_eq(events_add_file(ev, tasks, pat, &e), 0);
	append(3, "ECS Task State Change", T0);
	append(2, "ECS Service Action", T0);
	events_flush(ev);
	events_free(ev);

	/* A second serve on the same database: only what is new. */
	ev = hub(0, 0, 0);
	ck_assert_int_eq(events_add_file(ev, path, NULL, &e), 0);
	ck_assert_int_eq(events_add_file(ev, tasks, pat, &e), 0);
	append(1, "ECS Task State Change", T0 + 1000);
	events_free(ev);

	lines = read_lines(path, &n);
	/* Whatever the engine said at start (the default cluster), then
	 * the six, each once, in order. */
	ck_assert_int_eq((int)n, (int)(first + 6));
	for (i = 0; i < n; i++)
		ck_assert_str_eq(cJSON_GetObjectItem(lines[i], "version")->
		    valuestring, "0");
	ck_assert_str_eq(cJSON_GetObjectItem(lines[n - 1], "detail-type")->
	    valuestring, "ECS Task State Change");
	ck_assert_str_eq(cJSON_GetObjectItem(lines[n - 2], "detail-type")->
	    valuestring, "ECS Service Action");
	ck_assert_str_eq(cJSON_GetObjectItem(lines[n - 1], "time")->
	    valuestring, "2023-11-14T22:13:21Z");
	free_lines(lines, n);
	lines = read_lines(tasks, &n);
	ck_assert_int_eq((int)n, 4);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(cJSON_GetObjectItem(lines[i], "detail-type")->
		    valuestring, "ECS Task State Change");
	free_lines(lines, n);
	cJSON_Delete(pat);
	unlink(path);
	unlink(tasks);
}
END_TEST

START_TEST(test_cursor_store)
{
	struct err	e;
	int64_t		seq = -1;

	ck_assert_int_eq(store_sink_cursor_get(st, "file:/x", &seq, &e), 1);
	ck_assert_int_eq(store_sink_cursor_set(st, "file:/x", 41, T0, &e), 0);
	ck_assert_int_eq(store_sink_cursor_set(st, "file:/x", 42, T0, &e), 0);
	ck_assert_int_eq(store_sink_cursor_get(st, "file:/x", &seq, &e), 0);
	ck_assert_int_eq(seq, 42);
	ck_assert_int_eq(store_sink_cursor_reset(st, &e), 0);
	ck_assert_int_eq(store_sink_cursor_get(st, "file:/x", &seq, &e), 0);
	ck_assert_int_eq(seq, 0);
}
END_TEST

START_TEST(test_prune_by_count_and_age)
{
	struct events	*ev;
	struct err	 e;
	int64_t		 last;

	ev = hub(10, 3600 * 1000, 0);
	append_each(30, "ECS Task State Change", T0);
	last = store_event_last(st);
	/* In batches of at most the limit. */
	ck_assert_int_eq(events_prune(ev, 5, &e), 5);
	ck_assert_int_ge(events_prune(ev, 1000, &e), 15);
	ck_assert_int_eq(store_event_count(st), 10);
	ck_assert_int_eq(store_event_first(st), last - 9);
	ck_assert_int_eq(events_prune(ev, 1000, &e), 0);

	/* Two hours on, all ten are too old, but the newest stays (seq
	 * must not go back). */
	clock_run_until(clk, T0 + 2 * 3600 * 1000);
	ck_assert_int_eq(events_prune(ev, 1000, &e), 9);
	ck_assert_int_eq(store_event_count(st), 1);
	ck_assert_int_eq(store_event_last(st), last);
	append(1, "ECS Task State Change", T0 + 2 * 3600 * 1000);
	ck_assert_int_eq(store_event_last(st), last + 1);
	events_free(ev);
}
END_TEST

/* The outbox is kept in blocks, one per transaction here, and pruning
 * takes only whole blocks: a block goes when all its events may. */
START_TEST(test_prune_whole_blocks)
{
	struct events	*ev;
	struct err	 e;
	int64_t		 first;

	ev = hub(10, 0, 0);
	append(30, "ECS Task State Change", T0);
	first = store_event_first(st);
	append(1, "ECS Task State Change", T0);
	/* 31 events against a count of 10, but the block of 30 holds nine
	 * of the newest ten: it stays whole. */
	ck_assert_int_eq(events_prune(ev, 1000, &e), 0);
	ck_assert_int_eq(store_event_count(st), 31);
	append_each(20, "ECS Task State Change", T0);
	/* Now the whole block of 30 and the single blocks up to the newest
	 * ten are over the count. */
	ck_assert_int_eq(events_prune(ev, 1000, &e), 41);
	ck_assert_int_eq(store_event_count(st), 10);
	ck_assert_int_eq(store_event_first(st), first + 41);
	events_free(ev);
}
END_TEST

START_TEST(test_prune_waits_for_a_sink)
{
	struct events	*ev;
	struct err	 e;
	cJSON		*st_json;
	int64_t		 first = store_event_first(st);

	/* A webhook nobody answers (the event loop never runs here): it
	 * delivers nothing, so nothing may be pruned. */
	ev = hub(5, 0, 0);
	ck_assert_int_eq(events_add_webhook(ev, "http://127.0.0.1:1/hook",
	    NULL, &e), 0);
	append_each(20, "ECS Task State Change", T0);
	ck_assert_int_eq(events_prune(ev, 1000, &e), 0);
	ck_assert_int_eq(store_event_first(st), first > 0 ? first : 1);
	st_json = events_status(ev);
	ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(st_json, "sinks"), 0), "behind")->valueint,
	    (int)store_event_count(st));
	cJSON_Delete(st_json);
	events_free(ev);

	/* Without it, the count limit applies. */
	ev = hub(5, 0, 0);
	ck_assert_int_gt(events_prune(ev, 1000, &e), 0);
	ck_assert_int_eq(store_event_count(st), 5);
	events_free(ev);
}
END_TEST

START_TEST(test_webhook_url_refused)
{
	struct events	*ev = hub(0, 0, 0);
	struct err	 e;

	err_clear(&e);
	ck_assert_int_eq(events_add_webhook(ev, "https://example.com/x", NULL,
	    &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "http only"));
	ck_assert_int_eq(events_add_webhook(ev, "not a url", NULL, &e), -1);
	ck_assert_int_eq(events_add_file(ev, "/nonexistent/dir/x.jsonl",
	    NULL, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/dir/x.jsonl"));
	events_free(ev);
}
END_TEST

START_TEST(test_clock_tick)
{
	struct events		*ev = hub(0, 0, 60 * 1000);
	struct store_event	*rows;
	struct err		 e;
	size_t			 n, i, ticks = 0;
	int64_t			 before = store_event_last(st), at = 0;
	const cJSON		*d;

	clock_run_until(clk, T0 + 3 * 60 * 1000 + 500);
	ck_assert_int_eq(store_event_after(st, before, 100, &rows, &n, &e), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].detail_type, "ecsim Clock Tick") != 0)
			continue;
		ck_assert_str_eq(rows[i].source, "ecsim");
		d = rows[i].detail;
		/* On whole minutes of engine time, one minute apart. */
		ck_assert_int_eq(rows[i].time % 60000, 0);
		if (at != 0)
			ck_assert_int_eq(rows[i].time - at, 60000);
		at = rows[i].time;
		ck_assert_int_eq((int64_t)cJSON_GetObjectItem(d,
		    "epochMillis")->valuedouble, rows[i].time);
		ck_assert_int_eq(cJSON_GetObjectItem(d,
		    "intervalSeconds")->valueint, 60);
		ck_assert(cJSON_GetObjectItem(d, "timeScale")->valuedouble ==
		    1.0);
		ck_assert_int_eq((int)strlen(cJSON_GetObjectItem(d,
		    "clockTime")->valuestring), 24);
		ticks++;
	}
	/* T0 is 20 s past a minute: ticks at +40 s, +100 s, +160 s. */
	ck_assert_int_eq((int)ticks, 3);
	store_events_free(rows, n);
	events_free(ev);
}
END_TEST

static Suite *
events_suite(void)
{
	Suite	*s = suite_create("events");
	TCase	*tc = tcase_create("pattern");

	tcase_add_test(tc, test_pattern_agent_down);
	tcase_add_test(tc, test_pattern_values);
	tcase_add_test(tc, test_pattern_refused);
	tcase_add_test(tc, test_envelope);
	suite_add_tcase(s, tc);
	tc = tcase_create("hub");
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_file_sink_resumes);
	tcase_add_test(tc, test_cursor_store);
	tcase_add_test(tc, test_prune_by_count_and_age);
	tcase_add_test(tc, test_prune_waits_for_a_sink);
	tcase_add_test(tc, test_prune_whole_blocks);
	tcase_add_test(tc, test_webhook_url_refused);
	tcase_add_test(tc, test_clock_tick);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(events_suite());
}
