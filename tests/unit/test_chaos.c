/* Chaos: a seed replays to the same event log, a small run passes with
 * faults fired, a broken invariant and a service that cannot converge
 * fail the seed with the replay command. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "engine/engine.h"
#include "scenario/scenario.h"
#include "store/store.h"

#ifndef ECSIM_SOURCE_DIR
#error "tests/CMakeLists.txt defines ECSIM_SOURCE_DIR"
#endif
#define SMALL	ECSIM_SOURCE_DIR "/scenarios/chaos/small.yaml"

static struct scenario *
load(const char *path)
{
	struct scenario	*sc;
	struct err	 e;

	sc = scenario_load(path, &e);
	ck_assert_msg(sc != NULL, "%s", e.msg);
	return sc;
}

/* Short runs with every fault often, so each kind has a chance. */
static void
config(struct chaos_config *c)
{
	size_t	k;

	chaos_config_defaults(c);
	c->duration = 10 * 60 * 1000;
	for (k = 0; k < CHAOS_NFAULTS; k++)
		c->rates[k] = 30;
}

/* One seed's event log, its result in *ret. */
static char *
events_of(struct scenario *sc, uint64_t seed, int *ret,
    struct chaos_stats *st)
{
	struct chaos_config	 c;
	struct err		 e;
	char			*buf = NULL;
	size_t			 len = 0;

	config(&c);
	c.events = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(c.events);
	*ret = chaos_run_seed(sc, &c, seed, st, &e);
	ck_assert_msg(*ret >= 0, "%s", e.msg);
	fclose(c.events);
	return buf;
}

START_TEST(same_seed_same_events)
{
	struct scenario		*sc = load(SMALL);
	struct chaos_stats	 st;
	char			*a, *b, *other;
	int			 ra, rb, ro;

	memset(&st, 0, sizeof st);
	a = events_of(sc, 7, &ra, &st);
	b = events_of(sc, 7, &rb, NULL);
	other = events_of(sc, 8, &ro, NULL);
	ck_assert_int_eq(ra, rb);
	ck_assert_uint_gt(strlen(a), 1000);
	ck_assert_str_eq(a, b);
	/* Another seed draws other faults, so another log. */
	ck_assert_str_ne(a, other);
	/* The faults are in the log: an instance went DRAINING or was
	 * disconnected, and a task was crashed. */
	ck_assert_uint_gt(st.fired[CHAOS_CRASH] + st.fired[CHAOS_DRAIN] +
	    st.fired[CHAOS_DISCONNECT], 0);
	ck_assert(strstr(a, "\"agentConnected\":false") != NULL ||
	    strstr(a, "\"status\":\"DRAINING\"") != NULL);
	free(a);
	free(b);
	free(other);
	scenario_free(sc);
}
END_TEST

START_TEST(small_run_passes)
{
	struct scenario		*sc = load(SMALL);
	struct chaos_config	 c;
	struct chaos_stats	 st;
	struct err		 e;
	uint64_t		 seed, fired = 0;
	size_t			 k;

	config(&c);
	memset(&st, 0, sizeof st);
	for (seed = 1; seed <= 3; seed++)
		ck_assert_int_eq(chaos_run_seed(sc, &c, seed, &st, &e), 0);
	for (k = 0; k < CHAOS_NFAULTS; k++)
		fired += st.fired[k];
	/* 7 kinds at 30 an hour for 10 minutes: about 35 a seed. */
	ck_assert_uint_gt(fired, 30);
	ck_assert_uint_gt(st.fired[CHAOS_TERMINATE], 0);
	ck_assert_uint_gt(st.fired[CHAOS_UPDATE], 0);
	ck_assert_uint_gt(st.events, 100);
	scenario_free(sc);
}
END_TEST

/* Appends a task event whose version skips, once, 2 minutes in. */
static void
skip_version(struct engine *eng, int64_t t, void *arg)
{
	int		*done = arg;
	cJSON		*d;
	struct err	 e;

	if (*done || t < 120000)
		return;
	*done = 1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "lastStatus", "RUNNING");
	cJSON_AddNumberToObject(d, "version", 5);
	ck_assert_int_eq(store_event_append(engine_store(eng), engine_now(eng),
	    "aws.ecs", "ECS Task State Change",
	    "arn:aws:ecs:us-east-1:000000000000:task/small/tampered", d, &e),
	    0);
}

START_TEST(broken_invariant_fails_the_seed)
{
	struct scenario		*sc = load(SMALL);
	struct chaos_config	 c;
	struct err		 e;
	char			*buf = NULL;
	size_t			 len = 0;
	int			 done = 0;

	config(&c);
	c.tamper = skip_version;
	c.tamper_arg = &done;
	c.out = open_memstream(&buf, &len);
	ck_assert_int_eq(chaos_run_seed(sc, &c, 4, NULL, &e), 1);
	fclose(c.out);
	ck_assert_int_eq(done, 1);
	ck_assert_msg(strstr(buf, "invariant versions: arn:aws:ecs:us-east-1:"
	    "000000000000:task/small/tampered went from version 0 to 5") !=
	    NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "replay: ecsim chaos " SMALL " --seeds 4\n")
	    != NULL, "%s", buf);
	free(buf);
	scenario_free(sc);
}
END_TEST

/* A service of more tasks than the cluster holds never converges. */
static const char too_big[] =
"name: too-big\n"
"cluster:\n"
"  instances: [{name: host, count: 2, type: t3.medium}]\n"
"task_definitions:\n"
"  - family: fat\n"
"    containerDefinitions:\n"
"      - {name: app, image: \"fat:1\", memory: 1500, cpu: 2048}\n"
"timeline:\n"
"  - at: 0s\n"
"    call: CreateService\n"
"    with: {serviceName: fat, taskDefinition: fat, desiredCount: 3}\n";

START_TEST(no_convergence_fails_the_seed)
{
	struct scenario		*sc;
	struct chaos_config	 c;
	struct err		 e;
	char			 path[] = "/tmp/ecsim-chaos-XXXXXX";
	char			*buf = NULL;
	size_t			 len = 0, k;
	FILE			*f;
	int			 fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(too_big, f);
	fclose(f);
	sc = load(path);
	unlink(path);
	chaos_config_defaults(&c);
	for (k = 0; k < CHAOS_NFAULTS; k++)
		c.rates[k] = 0;
	c.duration = 60 * 1000;
	c.settle = 2 * 60 * 1000;
	c.out = open_memstream(&buf, &len);
	c.replay = " --duration 1m --settle 2m";
	ck_assert_int_eq(chaos_run_seed(sc, &c, 9, NULL, &e), 1);
	fclose(c.out);
	ck_assert_msg(strstr(buf, "FAIL  00:03:00  line 0    chaos: every "
	    "service steady once the faults stopped") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "seen instead: 00:02:00 after the faults "
	    "stopped: fat: 2 of 3 running, 1 deployment, the primary "
	    "IN_PROGRESS") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, " --seeds 9 --duration 1m --settle 2m\n") !=
	    NULL, "%s", buf);
	free(buf);
	scenario_free(sc);
}
END_TEST

static Suite *
chaos_suite(void)
{
	Suite	*s = suite_create("chaos");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, same_seed_same_events);
	tcase_add_test(tc, small_run_passes);
	tcase_add_test(tc, broken_invariant_fails_the_seed);
	tcase_add_test(tc, no_convergence_fails_the_seed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(chaos_suite());
}
