/* Unit tests for src/agent/behaviour.c (the ecsim.* label syntax, health
 * checks, exits, dependency verdicts, table-driven) and for the task
 * lifecycle that follows it, on the virtual clock through the API. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <cjson/cJSON.h>

#include "agent/behaviour.h"
#include "fixture.h"
#include "check_run.h"

#define S(x)	((int64_t)(x) * 1000)

/* ---- Labels -------------------------------------------------------- */

START_TEST(test_defaults)
{
	struct behaviour	b;

	behaviour_init(&b);
	ck_assert_int_eq(b.pull, -1);
	ck_assert_int_eq(b.pull_fails, 0);
	ck_assert_int_eq(b.start, -1);
	ck_assert_int_eq(b.exits, 0);
	ck_assert_int_eq(b.health, BEHAVIOUR_HEALTHY);
	ck_assert_int_eq(b.sigterm_ignored, 0);
	ck_assert_int_eq(b.sigterm_code, 0);
	ck_assert_int_eq(behaviour_exit_at(&b, T0), 0);
}
END_TEST

static const struct good {
	const char		*key, *value;
	int64_t			 pull;
	int			 pull_fails;
	int64_t			 start;
	int			 exits, exit_code;
	int64_t			 exit_after;
	enum behaviour_health	 health;
	int64_t			 health_after;
	int			 sigterm_ignored, sigterm_code;
} good[] = {
	{ "ecsim.pull", "5s", 5000, 0, -1, 0, 0, 0, BEHAVIOUR_HEALTHY, 0, 0,
	    0 },
	{ "ecsim.pull", "250ms", 250, 0, -1, 0, 0, 0, BEHAVIOUR_HEALTHY, 0, 0,
	    0 },
	{ "ecsim.pull", "0", 0, 0, -1, 0, 0, 0, BEHAVIOUR_HEALTHY, 0, 0, 0 },
	{ "ecsim.pull", "fail", -1, 1, -1, 0, 0, 0, BEHAVIOUR_HEALTHY, 0, 0,
	    0 },
	{ "ecsim.pull", "fail after 2m", 120000, 1, -1, 0, 0, 0,
	    BEHAVIOUR_HEALTHY, 0, 0, 0 },
	{ "ecsim.start", "1.5s", -1, 0, 1500, 0, 0, 0, BEHAVIOUR_HEALTHY, 0,
	    0, 0 },
	{ "ecsim.exit", "never", -1, 0, -1, 0, 0, 0, BEHAVIOUR_HEALTHY, 0, 0,
	    0 },
	{ "ecsim.exit", "1", -1, 0, -1, 1, 1, 0, BEHAVIOUR_HEALTHY, 0, 0, 0 },
	{ "ecsim.exit", "0 after 30s", -1, 0, -1, 1, 0, 30000,
	    BEHAVIOUR_HEALTHY, 0, 0, 0 },
	{ "ecsim.exit", "255  after\t1h", -1, 0, -1, 1, 255, 3600000,
	    BEHAVIOUR_HEALTHY, 0, 0, 0 },
	{ "ecsim.health", "healthy", -1, 0, -1, 0, 0, 0, BEHAVIOUR_HEALTHY, 0,
	    0, 0 },
	{ "ecsim.health", "unhealthy", -1, 0, -1, 0, 0, 0,
	    BEHAVIOUR_UNHEALTHY, 0, 0, 0 },
	{ "ecsim.health", "unhealthy after 90s", -1, 0, -1, 0, 0, 0,
	    BEHAVIOUR_UNHEALTHY, 90000, 0, 0 },
	{ "ecsim.health", "flapping 1m", -1, 0, -1, 0, 0, 0,
	    BEHAVIOUR_FLAPPING, 60000, 0, 0 },
	{ "ecsim.sigterm", "ignore", -1, 0, -1, 0, 0, 0, BEHAVIOUR_HEALTHY, 0,
	    1, 0 },
	{ "ecsim.sigterm", "exit", -1, 0, -1, 0, 0, 0, BEHAVIOUR_HEALTHY, 0,
	    0, 0 },
	{ "ecsim.sigterm", "exit 143", -1, 0, -1, 0, 0, 0, BEHAVIOUR_HEALTHY,
	    0, 0, 143 },
};

START_TEST(test_label_good)
{
	const struct good	*g = &good[_i];
	struct behaviour	 b;
	struct err		 e;

	behaviour_init(&b);
	ck_assert_msg(behaviour_parse_label(&b, "web", g->key, g->value,
	    &e) == 0, "%s=%s: %s", g->key, g->value, e.msg);
	ck_assert_int_eq(b.pull, g->pull);
	ck_assert_int_eq(b.pull_fails, g->pull_fails);
	ck_assert_int_eq(b.start, g->start);
	ck_assert_int_eq(b.exits, g->exits);
	ck_assert_int_eq(b.exit_code, g->exit_code);
	ck_assert_int_eq(b.exit_after, g->exit_after);
	ck_assert_int_eq(b.health, g->health);
	ck_assert_int_eq(b.health_after, g->health_after);
	ck_assert_int_eq(b.sigterm_ignored, g->sigterm_ignored);
	ck_assert_int_eq(b.sigterm_code, g->sigterm_code);
}
END_TEST

static const struct bad {
	const char	*key, *value, *expect;
} bad[] = {
	{ "ecsim.pull", "", "'<duration>', 'fail' or 'fail after <duration>'" },
	{ "ecsim.pull", "slow", "'<duration>', 'fail' or" },
	{ "ecsim.pull", "-1s", "'<duration>', 'fail' or" },
	{ "ecsim.pull", "5 s", "'<duration>', 'fail' or" },
	{ "ecsim.pull", "fail after", "'<duration>', 'fail' or" },
	{ "ecsim.pull", "fail before 5s", "'<duration>', 'fail' or" },
	{ "ecsim.pull", "31d", "'<duration>', 'fail' or" },
	{ "ecsim.pull", "800h", "'<duration>', 'fail' or" },
	{ "ecsim.start", "fast", "must be '<duration>', not 'fast'" },
	{ "ecsim.exit", "1 afterwards", "'never', '<code>' or '<code> after "
	    "<duration>' (code 0-255), not '1 afterwards'" },
	{ "ecsim.exit", "256", "(code 0-255)" },
	{ "ecsim.exit", "-1", "(code 0-255)" },
	{ "ecsim.exit", "1.0", "(code 0-255)" },
	{ "ecsim.exit", "1 after 5x", "(code 0-255)" },
	{ "ecsim.exit", "1 after 5s and more", "(code 0-255)" },
	{ "ecsim.exit", "Never", "(code 0-255)" },
	{ "ecsim.health", "sick", "'healthy', 'unhealthy', 'unhealthy after "
	    "<duration>' or 'flapping <duration>'" },
	{ "ecsim.health", "flapping", "'flapping <duration>'" },
	{ "ecsim.health", "flapping 0s", "'flapping <duration>'" },
	{ "ecsim.health", "healthy after 5s", "'flapping <duration>'" },
	{ "ecsim.sigterm", "ignored", "'exit', 'exit <code>' or 'ignore'" },
	{ "ecsim.sigterm", "exit 300", "'exit', 'exit <code>' or 'ignore'" },
	{ "ecsim.sigterm", "ignore 5s", "'exit', 'exit <code>' or 'ignore'" },
};

START_TEST(test_label_bad)
{
	const struct bad	*x = &bad[_i];
	struct behaviour	 b;
	struct err		 e;

	behaviour_init(&b);
	err_clear(&e);
	ck_assert_int_eq(behaviour_parse_label(&b, "web", x->key, x->value,
	    &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	/* The message names the container, the label and what it takes. */
	ck_assert_msg(strstr(e.msg, "container 'web'") != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, x->key) != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, x->expect) != NULL, "%s=%s: %s", x->key,
	    x->value, e.msg);
}
END_TEST

START_TEST(test_labels_object)
{
	struct behaviour	 b;
	struct err		 e;
	cJSON			*l;

	/* Other labels are left alone; ecsim.* ones apply in turn. */
	l = cJSON_Parse("{\"team\":\"x\",\"ecsim\":\"y\","
	    "\"ecsim.exit\":\"2 after 1m\",\"ecsim.sigterm\":\"ignore\"}");
	behaviour_init(&b);
	ck_assert_int_eq(behaviour_parse_labels(&b, "app", l, &e), 0);
	ck_assert_int_eq(b.exits, 1);
	ck_assert_int_eq(b.exit_code, 2);
	ck_assert_int_eq(b.exit_after, 60000);
	ck_assert_int_eq(b.sigterm_ignored, 1);
	cJSON_Delete(l);

	l = cJSON_Parse("{\"ecsim.exits\":\"1\"}");
	ck_assert_int_eq(behaviour_parse_labels(&b, "app", l, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown label 'ecsim.exits'"));
	ck_assert_ptr_nonnull(strstr(e.msg, "ecsim.pull, ecsim.start, "
	    "ecsim.exit, ecsim.health and ecsim.sigterm"));
	cJSON_Delete(l);

	l = cJSON_Parse("{\"ecsim.exit\":1}");
	ck_assert_int_eq(behaviour_parse_labels(&b, "app", l, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "'ecsim.exit' must be a string"));
	cJSON_Delete(l);

	/* No labels at all is the default. */
	behaviour_init(&b);
	ck_assert_int_eq(behaviour_parse_labels(&b, "app", NULL, &e), 0);
	ck_assert_int_eq(b.exits, 0);
}
END_TEST

/* ---- Exits and SIGTERM --------------------------------------------- */

START_TEST(test_exit_and_sigterm)
{
	struct behaviour	b;
	struct err		e;
	int			code = -1;

	behaviour_init(&b);
	ck_assert_int_eq(behaviour_exit_at(&b, T0), 0);
	/* SIGTERM: exits after the engine's stopping step with 0. */
	ck_assert_int_eq(behaviour_sigterm_exit(&b, T0, S(1), S(30), &code),
	    T0 + S(1));
	ck_assert_int_eq(code, 0);
	ck_assert_int_eq(behaviour_parse_label(&b, "a", "ecsim.exit",
	    "3 after 45s", &e), 0);
	ck_assert_int_eq(behaviour_exit_at(&b, T0), T0 + S(45));
	ck_assert_int_eq(behaviour_parse_label(&b, "a", "ecsim.exit", "3",
	    &e), 0);
	ck_assert_int_eq(behaviour_exit_at(&b, T0), T0);
	ck_assert_int_eq(behaviour_parse_label(&b, "a", "ecsim.sigterm",
	    "exit 143", &e), 0);
	ck_assert_int_eq(behaviour_sigterm_exit(&b, T0, S(1), S(30), &code),
	    T0 + S(1));
	ck_assert_int_eq(code, 143);
	/* Ignored: SIGKILL after stopTimeout, 128 + 9. */
	ck_assert_int_eq(behaviour_parse_label(&b, "a", "ecsim.sigterm",
	    "ignore", &e), 0);
	ck_assert_int_eq(behaviour_sigterm_exit(&b, T0, S(1), S(30), &code),
	    T0 + S(30));
	ck_assert_int_eq(code, 137);
}
END_TEST

/* ---- Health checks ------------------------------------------------- */

static const struct passes {
	const char	*value;
	int64_t		 since;
	int		 pass;
} passes[] = {
	{ "healthy", 0, 1 },
	{ "healthy", S(86400), 1 },
	{ "unhealthy", 0, 0 },
	{ "unhealthy", S(100), 0 },
	{ "unhealthy after 60s", S(59), 1 },
	{ "unhealthy after 60s", S(60), 0 },
	{ "unhealthy after 60s", S(6000), 0 },
	{ "flapping 30s", 0, 1 },
	{ "flapping 30s", S(29), 1 },
	{ "flapping 30s", S(30), 0 },
	{ "flapping 30s", S(59), 0 },
	{ "flapping 30s", S(60), 1 },
	{ "flapping 30s", S(95), 0 },
};

START_TEST(test_check_passes)
{
	const struct passes	*p = &passes[_i];
	struct behaviour	 b;
	struct err		 e;

	behaviour_init(&b);
	ck_assert_int_eq(behaviour_parse_label(&b, "a", "ecsim.health",
	    p->value, &e), 0);
	ck_assert_msg(behaviour_check_passes(&b, p->since) == p->pass,
	    "%s at %lld", p->value, (long long)p->since);
}
END_TEST

/*
 * The health status changes a container goes through in its first
 * `horizon`, worked out by hand from Docker's rules: first check interval
 * after start; a pass ends at once, a failure after timeout; the next
 * check interval after one ends.
 */
static const struct timeline {
	const char		*value;
	int64_t			 interval, timeout, start_period;
	int			 retries;
	size_t			 n;
	int64_t			 at[4];		/* since start */
	enum health_status	 to[4];
} timelines[] = {
	/* Healthy at the first check, then never changes. */
	{ "healthy", S(30), S(5), 0, 3, 1, { S(30) }, { HEALTH_HEALTHY } },
	/* Checks at 10, 22, 34 fail (ending 12, 24, 36): UNHEALTHY at the
	 * third. */
	{ "unhealthy", S(10), S(2), 0, 3, 1, { S(36) },
	    { HEALTH_UNHEALTHY } },
	/* Failures of checks starting before 25 s do not count (10, 22);
	 * 34, 46, 58 do: UNHEALTHY at 60. */
	{ "unhealthy", S(10), S(2), S(25), 3, 1, { S(60) },
	    { HEALTH_UNHEALTHY } },
	/* Passes at 10..50; the check at 60 fails (ends 62), 72 (74): with
	 * two retries UNHEALTHY at 74. */
	{ "unhealthy after 60s", S(10), S(2), 0, 2, 2, { S(10), S(74) },
	    { HEALTH_HEALTHY, HEALTH_UNHEALTHY } },
	/* Once healthy, the start period no longer hides failures. */
	{ "unhealthy after 15s", S(10), S(2), S(100), 1, 2, { S(10), S(22) },
	    { HEALTH_HEALTHY, HEALTH_UNHEALTHY } },
	/* Pass 10, 20; 30 fails (ends 32): UNHEALTHY; 42, 54 fail; 66 passes:
	 * HEALTHY; 76, 86 pass; 96 fails (ends 98). */
	{ "flapping 30s", S(10), S(2), 0, 1, 4, { S(10), S(32), S(66), S(98) },
	    { HEALTH_HEALTHY, HEALTH_UNHEALTHY, HEALTH_HEALTHY,
	    HEALTH_UNHEALTHY } },
};

START_TEST(test_health_timeline)
{
	const struct timeline	*tl = &timelines[_i];
	struct behaviour	 b;
	struct health_check	 hc;
	struct health_state	 hs, next;
	struct err		 e;
	int64_t			 at;
	size_t			 i;
	int			 changed;

	behaviour_init(&b);
	ck_assert_int_eq(behaviour_parse_label(&b, "a", "ecsim.health",
	    tl->value, &e), 0);
	hc.interval = tl->interval;
	hc.timeout = tl->timeout;
	hc.start_period = tl->start_period;
	hc.retries = tl->retries;
	health_state_start(&hs, &hc, T0);
	ck_assert_int_eq(hs.status, HEALTH_UNKNOWN);
	for (i = 0; i < tl->n; i++) {
		at = health_next(&b, &hc, T0, &hs, &next, &changed);
		ck_assert_msg(changed == 1 && at == T0 + tl->at[i],
		    "%s change %zu: at %lld, changed %d", tl->value, i,
		    (long long)(at - T0), changed);
		ck_assert_int_eq(next.status, tl->to[i]);
		/* The next check starts an interval after this one ended. */
		ck_assert_int_eq(next.probe_at, at + hc.interval);
		hs = next;
	}
	if (strcmp(tl->value, "flapping 30s") != 0) {
		ck_assert_int_eq(health_next(&b, &hc, T0, &hs, &next,
		    &changed), 0);
		ck_assert_int_eq(changed, 0);
	}
}
END_TEST

/*
 * health_next skips checks that change nothing; running the same rules
 * one check at a time must give the same changes.
 */
static int64_t
slow_next(const struct behaviour *b, const struct health_check *hc,
    struct health_state *hs)
{
	int64_t			end;
	enum health_status	to;
	int			n;

	for (n = 0; n < 100000; n++) {
		if (behaviour_check_passes(b, hs->probe_at - T0)) {
			end = hs->probe_at;
			hs->failures = 0;
			to = HEALTH_HEALTHY;
		} else {
			end = hs->probe_at + hc->timeout;
			if ((hs->status != HEALTH_UNKNOWN ||
			    hs->probe_at - T0 >= hc->start_period) &&
			    hs->failures < hc->retries)
				hs->failures++;
			to = hs->failures >= hc->retries ? HEALTH_UNHEALTHY :
			    hs->status;
		}
		hs->probe_at = end + hc->interval;
		if (to != hs->status) {
			hs->status = to;
			return end;
		}
	}
	return 0;
}

START_TEST(test_health_skipping_matches_stepping)
{
	static const char *const values[] = { "unhealthy after 17m",
	    "flapping 7m", "flapping 45s", "unhealthy after 2h" };
	static const int64_t intervals[] = { S(5), S(30), S(300) };
	struct behaviour	b;
	struct health_check	hc;
	struct health_state	fast, slow, next;
	struct err		e;
	size_t			v, i, k;
	int64_t			a, s;
	int			changed;

	for (v = 0; v < sizeof values / sizeof values[0]; v++)
	for (i = 0; i < sizeof intervals / sizeof intervals[0]; i++) {
		behaviour_init(&b);
		ck_assert_int_eq(behaviour_parse_label(&b, "a", "ecsim.health",
		    values[v], &e), 0);
		hc.interval = intervals[i];
		hc.timeout = S(7);
		hc.retries = 2;
		hc.start_period = S(20);
		health_state_start(&fast, &hc, T0);
		slow = fast;
		for (k = 0; k < 6; k++) {
			do
				a = health_next(&b, &hc, T0, &fast, &next,
				    &changed), fast = next;
			while (a != 0 && !changed);
			s = slow_next(&b, &hc, &slow);
			if (a == 0)
				break;
			ck_assert_msg(a == s, "%s every %llds, change %zu: "
			    "%lld vs %lld", values[v],
			    (long long)(intervals[i] / 1000), k,
			    (long long)(a - T0), (long long)(s - T0));
			ck_assert_int_eq(fast.status, slow.status);
		}
	}
}
END_TEST

/* Checks that always land in passing windows change nothing: a
 * checkpoint, not an endless loop. */
START_TEST(test_health_checkpoint)
{
	struct behaviour	b;
	struct health_check	hc = { S(20), S(2), 0, 1 };
	struct health_state	hs, next;
	struct err		e;
	int64_t			at;
	int			changed;

	behaviour_init(&b);
	ck_assert_int_eq(behaviour_parse_label(&b, "a", "ecsim.health",
	    "flapping 10s", &e), 0);
	health_state_start(&hs, &hc, T0);
	at = health_next(&b, &hc, T0, &hs, &next, &changed);
	ck_assert_int_eq(at, T0 + S(20));
	ck_assert_int_eq(changed, 1);
	hs = next;
	at = health_next(&b, &hc, T0, &hs, &next, &changed);
	ck_assert_int_eq(changed, 0);
	ck_assert_int_gt(at, T0 + S(20));
	ck_assert_int_eq(next.status, HEALTH_HEALTHY);
	ck_assert_int_gt(next.probe_at, at);
}
END_TEST

/* ---- Dependencies -------------------------------------------------- */

static const struct verdict {
	const char		*cond;
	int			 started, stopped, has_exit, exit_code;
	enum health_status	 health;
	int64_t			 now;		/* since T0 */
	enum dep_verdict	 v;
	int64_t			 deadline;	/* since T0, or -1: none */
	const char		*why;
} verdicts[] = {
	{ "START", 0, 0, 0, 0, HEALTH_UNKNOWN, 0, DEP_WAIT, -1, NULL },
	{ "START", 1, 0, 0, 0, HEALTH_UNKNOWN, 0, DEP_MET, -1, NULL },
	{ "START", 1, 1, 1, 1, HEALTH_UNKNOWN, 0, DEP_MET, -1, NULL },
	{ "START", 0, 1, 0, 0, HEALTH_UNKNOWN, 0, DEP_NEVER, -1,
	    "stopped before it started" },
	{ "COMPLETE", 1, 0, 0, 0, HEALTH_UNKNOWN, S(10), DEP_WAIT, S(120),
	    NULL },
	{ "COMPLETE", 1, 1, 1, 3, HEALTH_UNKNOWN, S(10), DEP_MET, -1, NULL },
	{ "COMPLETE", 1, 0, 0, 0, HEALTH_UNKNOWN, S(120), DEP_NEVER, -1,
	    "did not exit within its startTimeout of 120s" },
	{ "SUCCESS", 1, 1, 1, 0, HEALTH_UNKNOWN, 0, DEP_MET, -1, NULL },
	{ "SUCCESS", 1, 1, 1, 1, HEALTH_UNKNOWN, 0, DEP_NEVER, -1,
	    "exited with code 1" },
	{ "SUCCESS", 0, 0, 0, 0, HEALTH_UNKNOWN, S(500), DEP_WAIT, -1, NULL },
	{ "HEALTHY", 1, 0, 0, 0, HEALTH_HEALTHY, 0, DEP_MET, -1, NULL },
	{ "HEALTHY", 1, 0, 0, 0, HEALTH_UNHEALTHY, S(50), DEP_WAIT, S(120),
	    NULL },
	{ "HEALTHY", 1, 0, 0, 0, HEALTH_UNKNOWN, S(121), DEP_NEVER, -1,
	    "was not HEALTHY within its startTimeout of 120s" },
	{ "HEALTHY", 1, 1, 1, 0, HEALTH_UNKNOWN, 0, DEP_NEVER, -1,
	    "stopped before it was HEALTHY" },
};

START_TEST(test_dep_verdict)
{
	const struct verdict	*x = &verdicts[_i];
	struct dep_target	 d;
	int64_t			 deadline = -7;
	char			 why[128] = "";
	int			 cond = behaviour_condition_parse(x->cond);

	ck_assert_int_ge(cond, 0);
	ck_assert_str_eq(behaviour_condition_name(cond), x->cond);
	memset(&d, 0, sizeof d);
	d.started = x->started;
	d.started_at = x->started ? T0 : 0;
	d.stopped = x->stopped;
	d.has_exit_code = x->has_exit;
	d.exit_code = x->exit_code;
	d.health = x->health;
	d.start_timeout = S(120);
	ck_assert_int_eq(behaviour_dep_verdict(cond, &d, T0 + x->now,
	    &deadline, why, sizeof why), x->v);
	if (x->v == DEP_WAIT)
		ck_assert_int_eq(deadline, x->deadline < 0 ? 0 :
		    T0 + x->deadline);
	if (x->why != NULL)
		ck_assert_str_eq(why, x->why);
	ck_assert_int_eq(behaviour_condition_parse("LATER"), -1);
}
END_TEST

/* ---- The lifecycle on the virtual clock ---------------------------- */

static void
instance(void)
{
	cJSON_Delete(call("RegisterContainerInstance", "{\"totalResources\":["
	    "{\"name\":\"CPU\",\"type\":\"INTEGER\",\"integerValue\":2048},"
	    "{\"name\":\"MEMORY\",\"type\":\"INTEGER\","
	    "\"integerValue\":4096}]}"));
}

/* Registers family "t" with the given containerDefinitions and runs one
 * task of it at T0; returns its ARN (static). */
static const char *
run(const char *containers)
{
	static char	 arn[256];
	char		*body = NULL;
	cJSON		*r;

	instance();
	xasprintf(&body, "{\"family\":\"t\",\"containerDefinitions\":%s}",
	    containers);
	cJSON_Delete(call("RegisterTaskDefinition", body));
	free(body);
	r = call("RunTask", "{\"taskDefinition\":\"t\"}");
	snprintf(arn, sizeof arn, "%s", cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r,
	    "tasks"), 0), "taskArn")));
	cJSON_Delete(r);
	return arn;
}

/* The task as DescribeTasks shows it at time T0 + ms (caller frees). */
static cJSON *
task_at(const char *arn, int64_t ms)
{
	char	 body[512];
	cJSON	*r, *t;

	clock_run_until(clk, T0 + ms);
	snprintf(body, sizeof body, "{\"tasks\":[\"%s\"]}", arn);
	r = call("DescribeTasks", body);
	t = cJSON_DetachItemFromArray(cJSON_GetObjectItem(r, "tasks"), 0);
	cJSON_Delete(r);
	ck_assert_ptr_nonnull(t);
	return t;
}

static const char *
str(const cJSON *o, const char *name)
{
	const char	*s = cJSON_GetStringValue(cJSON_GetObjectItem(o, name));

	return s ? s : "(none)";
}

static int64_t
num(const cJSON *o, const char *name)
{
	const cJSON	*j = cJSON_GetObjectItem(o, name);

	return j ? (int64_t)(cJSON_GetNumberValue(j) * 1000 + 0.5) : -1;
}

/* A time member of the Task shape, in ms since T0 (-1: absent). */
static int64_t
when(const cJSON *t, const char *name)
{
	int64_t	v = num(t, name);

	return v < 0 ? -1 : v - T0;
}

static const cJSON *
container(const cJSON *t, const char *name)
{
	const cJSON	*c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(t, "containers"))
		if (strcmp(str(c, "name"), name) == 0)
			return c;
	ck_abort_msg("no container %s", name);
	return NULL;
}

/* exitCode of a container, -1 when it has none. */
static int
exit_code(const cJSON *t, const char *name)
{
	const cJSON	*j = cJSON_GetObjectItem(container(t, name),
			    "exitCode");

	return j ? (int)cJSON_GetNumberValue(j) : -1;
}

/*
 * The task's events as "lastStatus/desiredStatus@seconds" joined by
 * spaces, seconds since T0; with a container name, that container's
 * lastStatus is added after a colon.
 */
static char *
history(const char *arn, const char *cname)
{
	cJSON		*evs, *d;
	char		*out = calloc(1, 4096), part[128];
	char		 iso[TIME_ISO_LEN];
	struct err	 e;
	int64_t		 v = 0, at;
	const char	*u;

	ck_assert_int_eq(store_task_events(st, arn, &evs, &e), 0);
	time_iso8601(T0, 1, iso);
	cJSON_ArrayForEach(d, evs) {
		/* One event per version, without gaps. */
		ck_assert_int_eq((int64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(d, "version")), ++v);
		/* updatedAt as 2023-11-14T22:13:20.000Z: the same day as T0
		 * in these tests, so the time of day tells the offset. */
		u = str(d, "updatedAt");
		ck_assert_int_eq(strncmp(u, iso, 11), 0);
		at = ((atoi(u + 11) - atoi(iso + 11)) * 3600 +
		    (atoi(u + 14) - atoi(iso + 14)) * 60) * 1000 +
		    (int64_t)(atof(u + 17) * 1000 + 0.5) -
		    (int64_t)(atof(iso + 17) * 1000 + 0.5);
		snprintf(part, sizeof part, "%s%s/%s@%g", *out ? " " : "",
		    str(d, "lastStatus"), str(d, "desiredStatus"),
		    (double)at / 1000);
		strcat(out, part);
		if (cname != NULL) {
			snprintf(part, sizeof part, ":%s", str(container(d,
			    cname), "lastStatus"));
			strcat(out, part);
		}
	}
	cJSON_Delete(evs);
	return out;
}

#define ASSERT_HISTORY(arn, cname, want) do {				\
	char	*h_ = history(arn, cname);				\
									\
	ck_assert_str_eq(h_, want);					\
	free(h_);							\
} while (0)

/* Without labels a task does what it always did: steps of 1 s, exit 0 on
 * SIGTERM. */
START_TEST(test_default_unchanged)
{
	const char	*arn = run("[{\"name\":\"a\",\"image\":\"x\","
			    "\"memory\":128}]");
	char		 body[512];
	cJSON		*t;

	t = task_at(arn, S(10));
	ck_assert_str_eq(str(t, "lastStatus"), "RUNNING");
	ck_assert_int_eq(when(t, "pullStartedAt"), 0);
	ck_assert_int_eq(when(t, "pullStoppedAt"), S(1));
	ck_assert_int_eq(when(t, "startedAt"), S(2));
	ck_assert_str_eq(str(t, "healthStatus"), "UNKNOWN");
	cJSON_Delete(t);
	snprintf(body, sizeof body, "{\"task\":\"%s\"}", arn);
	cJSON_Delete(call("StopTask", body));
	t = task_at(arn, S(20));
	ck_assert_int_eq(when(t, "stoppingAt"), S(10));
	ck_assert_int_eq(when(t, "executionStoppedAt"), S(12));
	ck_assert_int_eq(when(t, "stoppedAt"), S(12));
	ck_assert_int_eq(exit_code(t, "a"), 0);
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, "a", "PENDING/RUNNING@0:PENDING "
	    "ACTIVATING/RUNNING@1:PENDING RUNNING/RUNNING@2:RUNNING "
	    "RUNNING/STOPPED@10:RUNNING DEACTIVATING/STOPPED@10:RUNNING "
	    "STOPPING/STOPPED@11:RUNNING STOPPED/STOPPED@12:STOPPED");
}
END_TEST

START_TEST(test_pull_and_start_times)
{
	const char	*arn = run("[{\"name\":\"a\",\"image\":\"x\","
			    "\"memory\":128,\"dockerLabels\":{\"ecsim.pull\":"
			    "\"5s\",\"ecsim.start\":\"3s\"}},{\"name\":\"b\","
			    "\"image\":\"y\",\"memory\":128}]");
	cJSON		*t;

	t = task_at(arn, S(4));
	ck_assert_str_eq(str(t, "lastStatus"), "PENDING");
	cJSON_Delete(t);
	/* The slowest pull ends ACTIVATING's wait; b starts 1 s later, a
	 * 3 s later, and the task is RUNNING when both are. */
	t = task_at(arn, S(20));
	ck_assert_int_eq(when(t, "pullStartedAt"), 0);
	ck_assert_int_eq(when(t, "pullStoppedAt"), S(5));
	ck_assert_int_eq(when(t, "startedAt"), S(8));
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, "a", "PENDING/RUNNING@0:PENDING "
	    "ACTIVATING/RUNNING@5:PENDING ACTIVATING/RUNNING@6:PENDING "
	    "RUNNING/RUNNING@8:RUNNING");
}
END_TEST

START_TEST(test_pull_failure)
{
	const char	*arn = run("[{\"name\":\"a\",\"image\":\"nginx:nope\","
			    "\"memory\":128,\"dockerLabels\":{\"ecsim.pull\":"
			    "\"fail after 3s\"}},{\"name\":\"b\",\"image\":"
			    "\"y\",\"memory\":128}]");
	cJSON		*t = task_at(arn, S(30));
	const char	*why = "CannotPullContainerError: Error response from "
			    "daemon: manifest for nginx:nope not found: "
			    "manifest unknown: manifest unknown";

	ck_assert_str_eq(str(t, "lastStatus"), "STOPPED");
	ck_assert_str_eq(str(t, "stopCode"), "TaskFailedToStart");
	ck_assert_str_eq(str(t, "stoppedReason"), why);
	ck_assert_str_eq(str(container(t, "a"), "reason"), why);
	ck_assert_str_eq(str(container(t, "b"), "reason"), "(none)");
	ck_assert_str_eq(str(container(t, "a"), "lastStatus"), "STOPPED");
	/* Never started: no startedAt, no exit codes. */
	ck_assert_int_eq(when(t, "startedAt"), -1);
	ck_assert_int_eq(when(t, "executionStoppedAt"), -1);
	ck_assert_int_eq(exit_code(t, "a"), -1);
	ck_assert_int_eq(when(t, "pullStartedAt"), 0);
	ck_assert_int_eq(when(t, "pullStoppedAt"), S(3));
	ck_assert_int_eq(when(t, "stoppedAt"), S(3));
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, NULL, "PENDING/RUNNING@0 PENDING/STOPPED@3 "
	    "STOPPED/STOPPED@3");
}
END_TEST

START_TEST(test_essential_exit)
{
	const char	*arn = run("[{\"name\":\"a\",\"image\":\"x\","
			    "\"memory\":128,\"dockerLabels\":{\"ecsim.exit\":"
			    "\"3 after 10s\"}}]");
	cJSON		*t = task_at(arn, S(11));

	ck_assert_str_eq(str(t, "lastStatus"), "RUNNING");
	ck_assert_int_eq(exit_code(t, "a"), -1);
	cJSON_Delete(t);
	t = task_at(arn, S(60));
	ck_assert_str_eq(str(t, "lastStatus"), "STOPPED");
	ck_assert_str_eq(str(t, "stopCode"), "EssentialContainerExited");
	ck_assert_str_eq(str(t, "stoppedReason"),
	    "Essential container in task exited");
	ck_assert_int_eq(exit_code(t, "a"), 3);
	ck_assert_int_eq(when(t, "startedAt"), S(2));
	ck_assert_int_eq(when(t, "stoppingAt"), S(12));
	ck_assert_int_eq(when(t, "executionStoppedAt"), S(12));
	/* Nothing left to SIGTERM: STOPPING moves on at once. */
	ck_assert_int_eq(when(t, "stoppedAt"), S(13));
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, "a", "PENDING/RUNNING@0:PENDING "
	    "ACTIVATING/RUNNING@1:PENDING RUNNING/RUNNING@2:RUNNING "
	    "RUNNING/STOPPED@12:STOPPED DEACTIVATING/STOPPED@12:STOPPED "
	    "STOPPING/STOPPED@13:STOPPED STOPPED/STOPPED@13:STOPPED");
}
END_TEST

/* The application crashes at start: RUNNING first, then stopped. */
START_TEST(test_crash_at_start)
{
	const char	*arn = run("[{\"name\":\"a\",\"image\":\"x\","
			    "\"memory\":128,\"dockerLabels\":{\"ecsim.exit\":"
			    "\"1\"}}]");
	cJSON		*t = task_at(arn, S(30));

	ck_assert_str_eq(str(t, "stopCode"), "EssentialContainerExited");
	ck_assert_int_eq(exit_code(t, "a"), 1);
	ck_assert_int_eq(when(t, "startedAt"), S(2));
	ck_assert_int_eq(when(t, "executionStoppedAt"), S(2));
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, "a", "PENDING/RUNNING@0:PENDING "
	    "ACTIVATING/RUNNING@1:PENDING RUNNING/RUNNING@2:RUNNING "
	    "RUNNING/STOPPED@2:STOPPED DEACTIVATING/STOPPED@2:STOPPED "
	    "STOPPING/STOPPED@3:STOPPED STOPPED/STOPPED@3:STOPPED");
}
END_TEST

START_TEST(test_non_essential_exit)
{
	const char	*arn = run("[{\"name\":\"app\",\"image\":\"x\","
			    "\"memory\":128},{\"name\":\"side\",\"image\":"
			    "\"y\",\"memory\":128,\"essential\":false,"
			    "\"dockerLabels\":{\"ecsim.exit\":\"2 after 5s\"}}]");
	char		 body[512];
	cJSON		*t = task_at(arn, S(30));

	ck_assert_str_eq(str(t, "lastStatus"), "RUNNING");
	ck_assert_str_eq(str(t, "desiredStatus"), "RUNNING");
	ck_assert_str_eq(str(container(t, "app"), "lastStatus"), "RUNNING");
	ck_assert_str_eq(str(container(t, "side"), "lastStatus"), "STOPPED");
	ck_assert_int_eq(exit_code(t, "side"), 2);
	ck_assert_int_eq(exit_code(t, "app"), -1);
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(t,
	    "version")), 4);
	cJSON_Delete(t);
	snprintf(body, sizeof body, "{\"task\":\"%s\"}", arn);
	cJSON_Delete(call("StopTask", body));
	t = task_at(arn, S(60));
	ck_assert_int_eq(exit_code(t, "app"), 0);
	ck_assert_int_eq(exit_code(t, "side"), 2);
	ck_assert_int_eq(when(t, "executionStoppedAt"), S(32));
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, "side", "PENDING/RUNNING@0:PENDING "
	    "ACTIVATING/RUNNING@1:PENDING RUNNING/RUNNING@2:RUNNING "
	    "RUNNING/RUNNING@7:STOPPED RUNNING/STOPPED@30:STOPPED "
	    "DEACTIVATING/STOPPED@30:STOPPED STOPPING/STOPPED@31:STOPPED "
	    "STOPPED/STOPPED@32:STOPPED");
}
END_TEST

START_TEST(test_sigterm_ignored)
{
	const char	*arn = run("[{\"name\":\"a\",\"image\":\"x\","
			    "\"memory\":128,\"dockerLabels\":{\"ecsim.sigterm\":"
			    "\"ignore\"}},{\"name\":\"b\",\"image\":\"x\","
			    "\"memory\":128,\"stopTimeout\":10,"
			    "\"dockerLabels\":{\"ecsim.sigterm\":\"ignore\"}},"
			    "{\"name\":\"c\",\"image\":\"x\",\"memory\":128,"
			    "\"dockerLabels\":{\"ecsim.sigterm\":\"exit 143\"}}]");
	char		 body[512];
	cJSON		*t;

	clock_run_until(clk, T0 + S(5));
	snprintf(body, sizeof body, "{\"task\":\"%s\"}", arn);
	cJSON_Delete(call("StopTask", body));
	/* SIGTERM at 6 s (STOPPING); c exits at 7, b is killed at 16 after
	 * its stopTimeout, a at 36 after the default 30 s. */
	t = task_at(arn, S(20));
	ck_assert_str_eq(str(t, "lastStatus"), "STOPPING");
	ck_assert_int_eq(exit_code(t, "c"), 143);
	ck_assert_int_eq(exit_code(t, "b"), 137);
	ck_assert_int_eq(exit_code(t, "a"), -1);
	cJSON_Delete(t);
	t = task_at(arn, S(60));
	ck_assert_str_eq(str(t, "lastStatus"), "STOPPED");
	ck_assert_int_eq(exit_code(t, "a"), 137);
	ck_assert_int_eq(when(t, "executionStoppedAt"), S(36));
	ck_assert_int_eq(when(t, "stoppedAt"), S(36));
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, "a", "PENDING/RUNNING@0:PENDING "
	    "ACTIVATING/RUNNING@1:PENDING RUNNING/RUNNING@2:RUNNING "
	    "RUNNING/STOPPED@5:RUNNING DEACTIVATING/STOPPED@5:RUNNING "
	    "STOPPING/STOPPED@6:RUNNING STOPPING/STOPPED@7:RUNNING "
	    "STOPPING/STOPPED@16:RUNNING STOPPED/STOPPED@36:STOPPED");
}
END_TEST

/* Health checks every 10 s, timeout 2 s, 2 retries. */
#define HC "\"healthCheck\":{\"command\":[\"CMD\",\"true\"],\"interval\":10," \
	"\"timeout\":2,\"retries\":2}"

START_TEST(test_health)
{
	const char	*arn = run("[{\"name\":\"web\",\"image\":\"x\","
			    "\"memory\":128," HC ",\"dockerLabels\":{"
			    "\"ecsim.health\":\"unhealthy after 30s\"}},"
			    "{\"name\":\"side\",\"image\":\"x\",\"memory\":128,"
			    "\"essential\":false," HC ",\"dockerLabels\":{"
			    "\"ecsim.health\":\"unhealthy\"}}]");
	cJSON		*t;

	/* Started at 2; first check at 12. */
	t = task_at(arn, S(11));
	ck_assert_str_eq(str(t, "healthStatus"), "UNKNOWN");
	ck_assert_str_eq(str(container(t, "web"), "healthStatus"), "UNKNOWN");
	cJSON_Delete(t);
	t = task_at(arn, S(12));
	ck_assert_str_eq(str(t, "healthStatus"), "HEALTHY");
	ck_assert_str_eq(str(container(t, "web"), "healthStatus"), "HEALTHY");
	cJSON_Delete(t);
	/* side fails at 12 (ends 14) and 24 (ends 26): UNHEALTHY, but it is
	 * not essential. */
	t = task_at(arn, S(30));
	ck_assert_str_eq(str(container(t, "side"), "healthStatus"),
	    "UNHEALTHY");
	ck_assert_str_eq(str(t, "healthStatus"), "HEALTHY");
	cJSON_Delete(t);
	/* web passes at 12 and 22; fails at 32 (ends 34) and 44 (46). */
	t = task_at(arn, S(45));
	ck_assert_str_eq(str(t, "healthStatus"), "HEALTHY");
	cJSON_Delete(t);
	t = task_at(arn, S(46));
	ck_assert_str_eq(str(t, "healthStatus"), "UNHEALTHY");
	ck_assert_str_eq(str(container(t, "web"), "healthStatus"),
	    "UNHEALTHY");
	/* A standalone task keeps running while unhealthy. */
	ck_assert_str_eq(str(t, "lastStatus"), "RUNNING");
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, "side", "PENDING/RUNNING@0:PENDING "
	    "ACTIVATING/RUNNING@1:PENDING RUNNING/RUNNING@2:RUNNING "
	    "RUNNING/RUNNING@12:RUNNING RUNNING/RUNNING@26:RUNNING "
	    "RUNNING/RUNNING@46:RUNNING");
}
END_TEST

/* The task's health over essential containers: UNHEALTHY > UNKNOWN >
 * HEALTHY; a container without a health check is UNKNOWN. */
START_TEST(test_task_health_priority)
{
	const char	*arn = run("[{\"name\":\"a\",\"image\":\"x\","
			    "\"memory\":128," HC "},{\"name\":\"b\",\"image\":"
			    "\"x\",\"memory\":128}]");
	cJSON		*t = task_at(arn, S(100));

	ck_assert_str_eq(str(container(t, "a"), "healthStatus"), "HEALTHY");
	ck_assert_str_eq(str(container(t, "b"), "healthStatus"), "UNKNOWN");
	ck_assert_str_eq(str(t, "healthStatus"), "UNKNOWN");
	cJSON_Delete(t);
}
END_TEST

START_TEST(test_flapping)
{
	const char	*arn = run("[{\"name\":\"a\",\"image\":\"x\","
			    "\"memory\":128,\"healthCheck\":{\"command\":"
			    "[\"CMD\",\"true\"],\"interval\":10,\"timeout\":2,"
			    "\"retries\":1},\"dockerLabels\":{\"ecsim.health\":"
			    "\"flapping 30s\"}}]");
	cJSON		*t;

	/* Started at 2: the timeline of test_health_timeline, shifted. */
	t = task_at(arn, S(101));
	ck_assert_str_eq(str(t, "healthStatus"), "UNHEALTHY");
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, NULL, "PENDING/RUNNING@0 ACTIVATING/RUNNING@1 "
	    "RUNNING/RUNNING@2 RUNNING/RUNNING@12 RUNNING/RUNNING@34 "
	    "RUNNING/RUNNING@68 RUNNING/RUNNING@100");
}
END_TEST

START_TEST(test_depends_on_success)
{
	const char	*arn = run("[{\"name\":\"init\",\"image\":\"x\","
			    "\"memory\":128,\"essential\":false,"
			    "\"dockerLabels\":{\"ecsim.exit\":\"0 after 5s\"}},"
			    "{\"name\":\"app\",\"image\":\"x\",\"memory\":128,"
			    "\"dependsOn\":[{\"containerName\":\"init\","
			    "\"condition\":\"SUCCESS\"}]}]");
	cJSON		*t = task_at(arn, S(30));

	/* init runs 2..7, app starts a step after: RUNNING at 8. */
	ck_assert_str_eq(str(t, "lastStatus"), "RUNNING");
	ck_assert_int_eq(when(t, "startedAt"), S(8));
	ck_assert_int_eq(exit_code(t, "init"), 0);
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, "app", "PENDING/RUNNING@0:PENDING "
	    "ACTIVATING/RUNNING@1:PENDING ACTIVATING/RUNNING@2:PENDING "
	    "ACTIVATING/RUNNING@7:PENDING RUNNING/RUNNING@8:RUNNING");
}
END_TEST

START_TEST(test_depends_on_never_met)
{
	const char	*arn = run("[{\"name\":\"init\",\"image\":\"x\","
			    "\"memory\":128,\"essential\":false,"
			    "\"dockerLabels\":{\"ecsim.exit\":\"1 after 5s\"}},"
			    "{\"name\":\"app\",\"image\":\"x\",\"memory\":128,"
			    "\"dependsOn\":[{\"containerName\":\"init\","
			    "\"condition\":\"SUCCESS\"}]}]");
	const char	*why = "CannotStartContainerError: container app: "
			    "dependency init (condition SUCCESS) exited with "
			    "code 1";
	cJSON		*t = task_at(arn, S(30));

	ck_assert_str_eq(str(t, "lastStatus"), "STOPPED");
	ck_assert_str_eq(str(t, "stopCode"), "TaskFailedToStart");
	ck_assert_str_eq(str(t, "stoppedReason"), why);
	ck_assert_str_eq(str(container(t, "app"), "reason"), why);
	ck_assert_int_eq(exit_code(t, "init"), 1);
	ck_assert_int_eq(exit_code(t, "app"), -1);
	ck_assert_int_eq(when(t, "startedAt"), -1);
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, "app", "PENDING/RUNNING@0:PENDING "
	    "ACTIVATING/RUNNING@1:PENDING ACTIVATING/RUNNING@2:PENDING "
	    "ACTIVATING/STOPPED@7:PENDING STOPPED/STOPPED@7:STOPPED");
}
END_TEST

START_TEST(test_depends_on_healthy)
{
	const char	*arn = run("[{\"name\":\"db\",\"image\":\"x\","
			    "\"memory\":128,\"healthCheck\":{\"command\":"
			    "[\"CMD\",\"true\"],\"interval\":5}},"
			    "{\"name\":\"app\",\"image\":\"x\",\"memory\":128,"
			    "\"dependsOn\":[{\"containerName\":\"db\","
			    "\"condition\":\"HEALTHY\"}]}]");
	cJSON		*t = task_at(arn, S(30));

	/* db starts at 2, HEALTHY at 7; app starts at 8. */
	ck_assert_int_eq(when(t, "startedAt"), S(8));
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, "app", "PENDING/RUNNING@0:PENDING "
	    "ACTIVATING/RUNNING@1:PENDING ACTIVATING/RUNNING@2:PENDING "
	    "ACTIVATING/RUNNING@7:PENDING RUNNING/RUNNING@8:RUNNING");
}
END_TEST

START_TEST(test_depends_on_timeout)
{
	const char	*arn = run("[{\"name\":\"db\",\"image\":\"x\","
			    "\"memory\":128,\"startTimeout\":20,\"healthCheck\":"
			    "{\"command\":[\"CMD\",\"true\"],\"interval\":5,"
			    "\"retries\":1},\"dockerLabels\":{\"ecsim.health\":"
			    "\"unhealthy\"}},{\"name\":\"app\",\"image\":\"x\","
			    "\"memory\":128,\"dependsOn\":[{\"containerName\":"
			    "\"db\",\"condition\":\"HEALTHY\"}]}]");
	cJSON		*t = task_at(arn, S(21));

	/* db started at 2: the wait gives up at 22. */
	ck_assert_str_eq(str(t, "lastStatus"), "ACTIVATING");
	cJSON_Delete(t);
	t = task_at(arn, S(60));
	ck_assert_str_eq(str(t, "stopCode"), "TaskFailedToStart");
	ck_assert_str_eq(str(t, "stoppedReason"), "CannotStartContainerError: "
	    "container app: dependency db (condition HEALTHY) was not HEALTHY "
	    "within its startTimeout of 20s");
	ck_assert_int_eq(when(t, "stoppingAt"), S(22));
	/* db was running: it stops as SIGTERM ends it. */
	ck_assert_int_eq(exit_code(t, "db"), 0);
	cJSON_Delete(t);
}
END_TEST

/* Shutdown in reverse dependency order: app, which depends on db, gets
 * SIGTERM first; db once app has exited. */
START_TEST(test_shutdown_order)
{
	const char	*arn = run("[{\"name\":\"db\",\"image\":\"x\","
			    "\"memory\":128},{\"name\":\"app\",\"image\":\"x\","
			    "\"memory\":128,\"dependsOn\":[{\"containerName\":"
			    "\"db\",\"condition\":\"START\"}]}]");
	char		 body[512];
	cJSON		*t;

	clock_run_until(clk, T0 + S(10));
	snprintf(body, sizeof body, "{\"task\":\"%s\"}", arn);
	cJSON_Delete(call("StopTask", body));
	t = task_at(arn, S(30));
	ck_assert_int_eq(when(t, "startedAt"), S(3));
	ck_assert_int_eq(when(t, "executionStoppedAt"), S(13));
	cJSON_Delete(t);
	ASSERT_HISTORY(arn, "app", "PENDING/RUNNING@0:PENDING "
	    "ACTIVATING/RUNNING@1:PENDING ACTIVATING/RUNNING@2:PENDING "
	    "RUNNING/RUNNING@3:RUNNING RUNNING/STOPPED@10:RUNNING "
	    "DEACTIVATING/STOPPED@10:RUNNING STOPPING/STOPPED@11:RUNNING "
	    "STOPPING/STOPPED@12:STOPPED STOPPED/STOPPED@13:STOPPED");
	ASSERT_HISTORY(arn, "db", "PENDING/RUNNING@0:PENDING "
	    "ACTIVATING/RUNNING@1:PENDING ACTIVATING/RUNNING@2:RUNNING "
	    "RUNNING/RUNNING@3:RUNNING RUNNING/STOPPED@10:RUNNING "
	    "DEACTIVATING/STOPPED@10:RUNNING STOPPING/STOPPED@11:RUNNING "
	    "STOPPING/STOPPED@12:RUNNING STOPPED/STOPPED@13:STOPPED");
}
END_TEST

/* Everything a behaviour needs is in the database: a new engine on the
 * same store carries the task on. */
START_TEST(test_restart_carries_on)
{
	const char	*arn = run("[{\"name\":\"a\",\"image\":\"x\","
			    "\"memory\":128,\"healthCheck\":{\"command\":"
			    "[\"CMD\",\"true\"],\"interval\":5,\"retries\":1},"
			    "\"dockerLabels\":{\"ecsim.exit\":\"4 after 30s\","
			    "\"ecsim.health\":\"unhealthy after 12s\"}}]");
	struct err	 e;
	cJSON		*t;

	clock_run_until(clk, T0 + S(10));
	engine_free(eng);
	eng = engine_new(base, clk, st, &cfg, &e);
	ck_assert_ptr_nonnull(eng);
	/* Started at 2: HEALTHY at 7, fails at 17 (ends 22). */
	t = task_at(arn, S(22));
	ck_assert_str_eq(str(t, "healthStatus"), "UNHEALTHY");
	cJSON_Delete(t);
	t = task_at(arn, S(60));
	ck_assert_str_eq(str(t, "stopCode"), "EssentialContainerExited");
	ck_assert_int_eq(exit_code(t, "a"), 4);
	ck_assert_int_eq(when(t, "executionStoppedAt"), S(32));
	cJSON_Delete(t);
}
END_TEST

/* A task stored before the behaviour model (no "sim" in its doc) carries
 * on with default containers, started with the task. */
START_TEST(test_task_without_sim)
{
	const char	*arn = run("[{\"name\":\"a\",\"image\":\"x\","
			    "\"memory\":128}]");
	struct task_row	 row;
	struct err	 e;
	char		 body[512];
	cJSON		*t;

	clock_run_until(clk, T0 + S(10));
	ck_assert_int_eq(store_task_get(st, "default", arn, &row, &e), 1);
	cJSON_DeleteItemFromObject(row.doc, "sim");
	ck_assert_int_eq(store_task_update(st, &row, &e), 0);
	task_row_clear(&row);
	snprintf(body, sizeof body, "{\"task\":\"%s\"}", arn);
	cJSON_Delete(call("StopTask", body));
	t = task_at(arn, S(30));
	ck_assert_str_eq(str(t, "lastStatus"), "STOPPED");
	ck_assert_int_eq(exit_code(t, "a"), 0);
	ck_assert_int_eq(when(t, "executionStoppedAt"), S(12));
	cJSON_Delete(t);
}
END_TEST

START_TEST(test_bad_label_refused)
{
	int	 status;
	cJSON	*r;

	r = call_st("RegisterTaskDefinition", "{\"family\":\"t\","
	    "\"containerDefinitions\":[{\"name\":\"web\",\"image\":\"x\","
	    "\"memory\":128,\"dockerLabels\":{\"ecsim.exit\":\"soon\"}}]}",
	    &status);
	ck_assert_int_eq(status, 400);
	ck_assert_str_eq(str(r, "__type"), "InvalidParameterException");
	ck_assert_str_eq(str(r, "message"), "Invalid dockerLabels for "
	    "container 'web': 'ecsim.exit' must be 'never', '<code>' or "
	    "'<code> after <duration>' (code 0-255), not 'soon'. Durations "
	    "are like 500ms, 30s or 5m.");
	cJSON_Delete(r);
	/* Nothing was registered. */
	r = call_st("DescribeTaskDefinition", "{\"taskDefinition\":\"t\"}",
	    &status);
	ck_assert_int_eq(status, 400);
	cJSON_Delete(r);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("behaviour");
	TCase	*tc = tcase_create("model");
	TCase	*life = tcase_create("lifecycle");

	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_label_good, 0,
	    sizeof good / sizeof good[0]);
	tcase_add_loop_test(tc, test_label_bad, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, test_labels_object);
	tcase_add_test(tc, test_exit_and_sigterm);
	tcase_add_loop_test(tc, test_check_passes, 0,
	    sizeof passes / sizeof passes[0]);
	tcase_add_loop_test(tc, test_health_timeline, 0,
	    sizeof timelines / sizeof timelines[0]);
	tcase_add_test(tc, test_health_skipping_matches_stepping);
	tcase_add_test(tc, test_health_checkpoint);
	tcase_add_loop_test(tc, test_dep_verdict, 0,
	    sizeof verdicts / sizeof verdicts[0]);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(life, fixture_setup, fixture_teardown);
	tcase_set_timeout(life, 30);
	tcase_add_test(life, test_default_unchanged);
	tcase_add_test(life, test_pull_and_start_times);
	tcase_add_test(life, test_pull_failure);
	tcase_add_test(life, test_essential_exit);
	tcase_add_test(life, test_crash_at_start);
	tcase_add_test(life, test_non_essential_exit);
	tcase_add_test(life, test_sigterm_ignored);
	tcase_add_test(life, test_health);
	tcase_add_test(life, test_task_health_priority);
	tcase_add_test(life, test_flapping);
	tcase_add_test(life, test_depends_on_success);
	tcase_add_test(life, test_depends_on_never_met);
	tcase_add_test(life, test_depends_on_healthy);
	tcase_add_test(life, test_depends_on_timeout);
	tcase_add_test(life, test_shutdown_order);
	tcase_add_test(life, test_restart_carries_on);
	tcase_add_test(life, test_task_without_sim);
	tcase_add_test(life, test_bad_label_refused);
	suite_add_tcase(s, life);
	return check_run(s);
}
