/* The placement library: resource checks and failure reasons, each
 * strategy alone and chained, ECS's defaults, constraints, seeded ties,
 * the sentence that says why, scale-in order, policy parsing, capacity
 * provider shares. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement/placement.h"
#include "util/util.h"
#include "check_run.h"

#define N(a)	(sizeof (a) / sizeof (a)[0])

/* A policy from JSON text (NULL: none), which must be valid. */
static void
policy(struct placement_policy *pol, const char *strategies,
    const char *constraints)
{
	cJSON		*s = strategies ? cJSON_Parse(strategies) : NULL;
	cJSON		*c = constraints ? cJSON_Parse(constraints) : NULL;
	struct err	 e;

	placement_policy_init(pol);
	err_clear(&e);
	ck_assert_msg(placement_policy_add_strategies(pol, s,
	    "placementStrategy", &e) == 0, "%s", e.msg);
	ck_assert_msg(placement_policy_add_constraints(pol, c,
	    "placementConstraints", &e) == 0, "%s", e.msg);
	cJSON_Delete(s);
	cJSON_Delete(c);
}

static size_t
add(struct placement *p, const char *id, const char *zone, int64_t cpu,
    int64_t mem)
{
	struct placement_instance	in;
	size_t				idx;

	memset(&in, 0, sizeof in);
	in.arn = id;
	in.id = id;
	in.ec2_instance_id = id;
	in.active = 1;
	in.connected = 1;
	in.cpu = cpu;
	in.memory = mem;
	idx = placement_add_instance(p, &in);
	if (zone != NULL)
		placement_add_attribute(p, idx, PLACEMENT_ZONE_ATTRIBUTE, zone);
	return idx;
}

static struct placement_need
need_of(int64_t cpu, int64_t mem)
{
	struct placement_need	n;

	memset(&n, 0, sizeof n);
	n.cpu = cpu;
	n.memory = mem;
	return n;
}

/* Places one task; returns the chosen instance's id or NULL. */
static const char *
place(struct placement *p, const struct placement_need *n, struct prng *pr,
    struct placement_result *r)
{
	struct placement_state	st;

	placement_choose(p, n, pr, r);
	if (r->chosen < 0)
		return NULL;
	placement_get(p, (size_t)r->chosen, &st);
	return st.id;
}

static int
group_tasks(struct placement *p, size_t idx)
{
	struct placement_state	st;

	placement_get(p, idx, &st);
	return st.group_tasks;
}

START_TEST(test_resource_reasons)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(512, 1024);
	struct placement_need	 load = need_of(0, 0);
	struct placement_instance in;

	policy(&pol, NULL, NULL);
	p = placement_new("family:web", &pol);
	add(p, "ok", "a", 1024, 2048);
	add(p, "cpu", "a", 100, 2048);
	add(p, "mem", "a", 1024, 1000);
	add(p, "port", "a", 1024, 2048);
	add(p, "udp", "a", 1024, 2048);
	memset(&in, 0, sizeof in);
	in.arn = in.id = "agent";
	in.active = 1;
	in.cpu = in.memory = 1 << 20;
	placement_add_instance(p, &in);
	in.arn = in.id = "draining";
	in.connected = 1;
	in.active = 0;
	placement_add_instance(p, &in);
	/* A task holding TCP 80 on "port"; an agent-reserved UDP port. */
	load.ports[load.nports++] = 80;
	placement_add_task(p, 3, "other", &load, 1);
	placement_add_reserved_port(p, 4, 53, 1);
	n.ports[n.nports++] = 80;
	n.ports_udp[n.nports_udp++] = 53;

	ck_assert_int_eq(placement_check(p, 0, &n), PLACEMENT_OK);
	ck_assert_int_eq(placement_check(p, 1, &n), PLACEMENT_CPU);
	ck_assert_int_eq(placement_check(p, 2, &n), PLACEMENT_MEMORY);
	ck_assert_int_eq(placement_check(p, 3, &n), PLACEMENT_PORTS);
	ck_assert_int_eq(placement_check(p, 4, &n), PLACEMENT_PORTS_UDP);
	ck_assert_int_eq(placement_check(p, 5, &n), PLACEMENT_AGENT);
	ck_assert_int_eq(placement_check(p, 6, &n), PLACEMENT_INACTIVE);
	ck_assert_str_eq(placement_reason_name(PLACEMENT_MEMORY),
	    "RESOURCE:MEMORY");
	ck_assert_str_eq(placement_reason_name(PLACEMENT_PORTS),
	    "RESOURCE:PORTS");
	ck_assert_str_eq(placement_reason_name(PLACEMENT_AGENT), "AGENT");
	ck_assert_str_eq(placement_reason_name(PLACEMENT_ATTRIBUTE),
	    "ATTRIBUTE");
	ck_assert_ptr_null(placement_reason_name(PLACEMENT_OK));
	ck_assert_str_eq(placement_reason_phrase(PLACEMENT_CPU),
	    "has insufficient CPU units available");
	ck_assert_str_eq(placement_reason_phrase(PLACEMENT_PORTS_UDP),
	    "is already using a port required by your task");
	ck_assert_str_eq(placement_reason_phrase(PLACEMENT_AGENT),
	    "encountered error \"AGENT\"");
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

/* Least remaining memory that still fits, task after task. */
START_TEST(test_binpack_memory)
{
	static const char *const want[] = { "c", "c", "b", "b", "b", "b",
	    "a" };
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(10, 512);
	struct placement_result	 r;
	struct placement_state	 st;
	struct prng		 pr;
	size_t			 i;

	prng_seed(&pr, 1);
	policy(&pol, "[{\"type\":\"binpack\",\"field\":\"memory\"}]", NULL);
	p = placement_new("family:web", &pol);
	add(p, "a", "z", 4096, 4096);
	add(p, "b", "z", 4096, 2048);
	add(p, "c", "z", 4096, 1024);
	for (i = 0; i < N(want); i++) {
		ck_assert_str_eq(place(p, &n, &pr, &r), want[i]);
		if (i == 0)
			ck_assert_str_eq(r.why, "binpack(memory): c has 512 MiB "
			    "left, the least");
	}
	placement_get(p, 2, &st);
	ck_assert_int_eq(st.memory_free, 0);
	ck_assert_int_eq(st.group_tasks, 2);
	ck_assert_int_eq(st.running, 2);
	placement_get(p, 0, &st);
	ck_assert_int_eq(st.memory_free, 4096 - 512);
	ck_assert_int_eq(st.cpu_free, 4096 - 10);
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

/* placement_add_others does what a call of placement_add_task for each
 * of the tasks does: the same free resources, running count and group
 * count, and the same choices after. */
START_TEST(test_add_others)
{
	struct placement_policy	 pol;
	struct placement	*p[2];
	struct placement_need	 n = need_of(512, 64), t = need_of(0, 0);
	struct placement_state	 a, b;
	struct placement_result	 r[2];
	struct prng		 pr[2];
	int			 k, i;

	policy(&pol, "[{\"type\":\"binpack\",\"field\":\"CPU\"}]", NULL);
	for (k = 0; k < 2; k++) {
		p[k] = placement_new("service:web", &pol);
		add(p[k], "i-1", "z", 2048, 4096);
		add(p[k], "i-2", "z", 2048, 4096);
		t = need_of(128, 256);
		placement_add_task(p[k], 1, "service:web", &t, 1);
		prng_seed(&pr[k], 3);
	}
	for (i = 0; i < 3; i++) {
		t = need_of(100 * (i + 1), 200);
		placement_add_task(p[0], 0, "service:api", &t, i != 1);
	}
	placement_add_others(p[1], 0, 600, 600, 3, 2);
	for (i = 0; i < 2; i++) {
		placement_get(p[0], (size_t)i, &a);
		placement_get(p[1], (size_t)i, &b);
		ck_assert_int_eq(a.cpu_free, b.cpu_free);
		ck_assert_int_eq(a.memory_free, b.memory_free);
		ck_assert_int_eq(a.running, b.running);
		ck_assert_int_eq(a.group_tasks, b.group_tasks);
	}
	placement_get(p[1], 0, &b);
	ck_assert_int_eq(b.cpu_free, 2048 - 600);
	ck_assert_int_eq(b.running, 2);
	for (i = 0; i < 4; i++) {
		placement_choose(p[0], &n, &pr[0], &r[0]);
		placement_choose(p[1], &n, &pr[1], &r[1]);
		ck_assert_int_eq(r[0].chosen, r[1].chosen);
	}
	ck_assert_int_eq(r[0].chosen, 1);
	placement_free(p[0]);
	placement_free(p[1]);
	placement_policy_clear(&pol);
}
END_TEST

START_TEST(test_binpack_cpu)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(256, 64);
	struct placement_result	 r;
	struct prng		 pr;

	prng_seed(&pr, 1);
	policy(&pol, "[{\"type\":\"binpack\",\"field\":\"CPU\"}]", NULL);
	p = placement_new("g", &pol);
	add(p, "big", "z", 4096, 8192);
	add(p, "small", "z", 512, 8192);
	add(p, "tiny", "z", 128, 8192);		/* does not fit */
	ck_assert_str_eq(place(p, &n, &pr, &r), "small");
	ck_assert_str_eq(r.why, "binpack(cpu): small has 256 CPU units left, "
	    "the least");
	/* Unexplained, the same choices; a failure still says why. */
	placement_set_explain(p, 0);
	ck_assert_str_eq(place(p, &n, &pr, &r), "small");
	ck_assert_str_eq(r.why, "");
	ck_assert_str_eq(place(p, &n, &pr, &r), "big");
	ck_assert_int_eq(r.chosen, 0);
	n = need_of(8192, 64);
	placement_choose(p, &n, &pr, &r);
	ck_assert_int_eq(r.chosen, -1);
	ck_assert_ptr_nonnull(strstr(r.why, "no instance fits"));
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

/* Fewest tasks of the group per instance, counting the group's live
 * tasks already there but neither other groups nor tasks being stopped. */
START_TEST(test_spread_instance)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(1, 1), load = need_of(1, 1);
	struct placement_result	 r;
	struct prng		 pr;
	int			 i;

	prng_seed(&pr, 3);
	policy(&pol, "[{\"type\":\"spread\",\"field\":\"host\"}]", NULL);
	p = placement_new("service:web", &pol);
	add(p, "i-1", "a", 1000, 1000);
	add(p, "i-2", "a", 1000, 1000);
	add(p, "i-3", "a", 1000, 1000);
	placement_add_task(p, 0, "service:web", &load, 1);
	placement_add_task(p, 0, "service:web", &load, 1);
	placement_add_task(p, 1, "service:web", &load, 1);
	for (i = 0; i < 5; i++)
		placement_add_task(p, 2, "service:other", &load, 1);
	placement_add_task(p, 2, "service:web", &load, 0);	/* stopping */
	ck_assert_str_eq(place(p, &n, &pr, &r), "i-3");
	ck_assert_str_eq(r.why, "spread(host): i-3 has 0 tasks of service:web, "
	    "the fewest");
	ck_assert_ptr_nonnull(place(p, &n, &pr, &r));
	ck_assert_ptr_nonnull(place(p, &n, &pr, &r));
	ck_assert_int_eq(group_tasks(p, 0), 2);
	ck_assert_int_eq(group_tasks(p, 1), 2);
	ck_assert_int_eq(group_tasks(p, 2), 2);
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

/* spread(attribute:<name>): tasks per value; instances without the
 * attribute share a bucket of their own. */
START_TEST(test_spread_attribute)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(1, 1);
	struct placement_result	 r;
	struct prng		 pr;
	int			 i;

	prng_seed(&pr, 5);
	policy(&pol, "[{\"type\":\"spread\",\"field\":\"attribute:rack\"}]",
	    NULL);
	p = placement_new("g", &pol);
	add(p, "x1", NULL, 100, 100);
	add(p, "x2", NULL, 100, 100);
	add(p, "x3", NULL, 100, 100);
	add(p, "x4", NULL, 100, 100);
	placement_add_attribute(p, 0, "rack", "r1");
	placement_add_attribute(p, 1, "rack", "r1");
	placement_add_attribute(p, 2, "rack", "r2");
	for (i = 0; i < 9; i++)
		ck_assert_ptr_nonnull(place(p, &n, &pr, &r));
	ck_assert_int_eq(group_tasks(p, 0) + group_tasks(p, 1), 3);
	ck_assert_int_eq(group_tasks(p, 2), 3);
	ck_assert_int_eq(group_tasks(p, 3), 3);
	ck_assert_ptr_nonnull(strstr(r.why, "spread(attribute:rack): "));
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

/* Spread over zones, then binpack on memory within the ties. */
START_TEST(test_chained)
{
	static const char *const want[] = { "a2", "b1", "a2", "b1", "b1",
	    "a1" };
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(1, 512);
	struct placement_result	 r;
	struct prng		 pr;
	size_t			 i;

	prng_seed(&pr, 1);
	policy(&pol, "[{\"type\":\"spread\",\"field\":"
	    "\"attribute:ecs.availability-zone\"},{\"type\":\"binpack\","
	    "\"field\":\"memory\"}]", NULL);
	p = placement_new("service:web", &pol);
	add(p, "a1", "a", 4096, 4096);
	add(p, "a2", "a", 4096, 1024);
	add(p, "b1", "b", 4096, 2048);
	for (i = 0; i < N(want); i++) {
		ck_assert_str_eq(place(p, &n, &pr, &r), want[i]);
		if (i == 0)
			ck_assert_str_eq(r.why, "spread(attribute:ecs."
			    "availability-zone): a has 0 tasks of service:web, "
			    "the fewest; binpack(memory): a2 has 512 MiB left, "
			    "the least");
		if (i == 5)
			ck_assert_str_eq(r.why, "spread(attribute:ecs."
			    "availability-zone): a has 2 tasks of service:web, "
			    "the fewest; binpack(memory): a1 has 3584 MiB left, "
			    "the least");
	}
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

/* A service without strategies: zones first, then instances. */
START_TEST(test_service_default)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(10, 10);
	struct placement_result	 r;
	struct placement_state	 st;
	struct prng		 pr;
	int			 i, zone_b = 0;

	prng_seed(&pr, 7);
	policy(&pol, NULL, NULL);
	placement_policy_default(&pol, 1);
	ck_assert_uint_eq(pol.nstrategies, 2);
	ck_assert_int_eq(pol.strategies[0].field, PLACEMENT_FIELD_ATTRIBUTE);
	ck_assert_str_eq(pol.strategies[0].attribute, "ecs.availability-zone");
	ck_assert_int_eq(pol.strategies[1].field, PLACEMENT_FIELD_INSTANCE);
	p = placement_new("service:web", &pol);
	/* Two instances in zone a, one in zone b: zone b gets half. */
	add(p, "i-a1", "a", 10000, 10000);
	add(p, "i-a2", "a", 10000, 10000);
	add(p, "i-b1", "b", 10000, 10000);
	for (i = 0; i < 6; i++) {
		ck_assert_ptr_nonnull(place(p, &n, &pr, &r));
		zone_b += r.chosen == 2;
	}
	ck_assert_int_eq(zone_b, 3);
	ck_assert_int_eq(group_tasks(p, 0) + group_tasks(p, 1), 3);
	ck_assert_int_eq(abs(group_tasks(p, 0) - group_tasks(p, 1)), 1);
	placement_get(p, 2, &st);
	ck_assert_int_eq(st.cpu_free, 10000 - 30);
	ck_assert_str_eq(st.zone, "b");
	placement_free(p);

	/* RunTask's default is random; given strategies stay. */
	placement_policy_clear(&pol);
	placement_policy_default(&pol, 0);
	ck_assert_uint_eq(pol.nstrategies, 1);
	ck_assert_int_eq(pol.strategies[0].type, PLACEMENT_RANDOM);
	placement_policy_clear(&pol);
	policy(&pol, "[{\"type\":\"binpack\",\"field\":\"cpu\"}]", NULL);
	placement_policy_default(&pol, 1);
	ck_assert_uint_eq(pol.nstrategies, 1);
	ck_assert_int_eq(pol.strategies[0].type, PLACEMENT_BINPACK);
	placement_policy_clear(&pol);
}
END_TEST

/* Same seed, same choices; every fitting instance gets a share. */
START_TEST(test_random_is_seeded)
{
	struct placement_policy	 pol;
	struct placement	*a, *b;
	struct placement_need	 n = need_of(1, 1);
	struct placement_result	 ra, rb;
	struct prng		 pa, pb;
	int			 i, k, seen[4] = { 0 };
	char			 id[4][8];

	policy(&pol, NULL, NULL);
	placement_policy_default(&pol, 0);
	a = placement_new("g", &pol);
	b = placement_new("g", &pol);
	for (k = 0; k < 4; k++) {
		snprintf(id[k], sizeof id[k], "i-%d", k);
		add(a, id[k], "a", 1 << 20, 1 << 20);
		add(b, id[k], "a", 1 << 20, 1 << 20);
	}
	prng_seed(&pa, 42);
	prng_seed(&pb, 42);
	for (i = 0; i < 200; i++) {
		placement_choose(a, &n, &pa, &ra);
		placement_choose(b, &n, &pb, &rb);
		ck_assert_int_eq(ra.chosen, rb.chosen);
		seen[ra.chosen]++;
	}
	for (k = 0; k < 4; k++)
		ck_assert_int_gt(seen[k], 20);
	ck_assert_ptr_nonnull(strstr(ra.why, "random among 4 fitting "
	    "instances: i-"));
	placement_free(a);
	placement_free(b);
	placement_policy_clear(&pol);
}
END_TEST

/* Random decides at its place in the chain: strategies after it cannot
 * matter, strategies before it narrow what it picks from. */
START_TEST(test_random_in_chain)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(1, 1);
	struct placement_result	 r;
	struct prng		 pr;
	int			 i, seen[3] = { 0 };

	prng_seed(&pr, 9);
	policy(&pol, "[{\"type\":\"random\"},{\"type\":\"binpack\","
	    "\"field\":\"memory\"}]", NULL);
	p = placement_new("g", &pol);
	add(p, "i-0", "a", 1 << 20, 1 << 20);
	add(p, "i-1", "a", 1 << 20, 1 << 10);
	add(p, "i-2", "a", 1 << 20, 1 << 20);
	for (i = 0; i < 60; i++) {
		placement_choose(p, &n, &pr, &r);
		seen[r.chosen]++;
	}
	ck_assert_int_gt(seen[0], 5);
	ck_assert_int_gt(seen[2], 5);
	placement_free(p);
	placement_policy_clear(&pol);

	policy(&pol, "[{\"type\":\"binpack\",\"field\":\"memory\"},"
	    "{\"type\":\"random\"}]", NULL);
	p = placement_new("g", &pol);
	add(p, "i-0", "a", 1 << 20, 1 << 20);
	add(p, "i-1", "a", 1 << 20, 1 << 10);
	for (i = 0; i < 10; i++)
		ck_assert_str_eq(place(p, &n, &pr, &r), "i-1");
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

START_TEST(test_failure_names_closest)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(512, 4096);
	struct placement_result	 r;
	struct prng		 pr;

	prng_seed(&pr, 1);
	policy(&pol, NULL, NULL);
	placement_policy_default(&pol, 0);
	p = placement_new("g", &pol);
	add(p, "i-cpu", "a", 100, 100000);	/* short of CPU */
	add(p, "i-mem", "a", 4096, 1000);	/* short of memory */
	add(p, "i-mem2", "a", 4096, 1000);
	placement_choose(p, &n, &pr, &r);
	ck_assert_int_eq(r.chosen, -1);
	/* Memory is checked after CPU, so i-mem came closer. */
	ck_assert_int_eq(r.closest, 1);
	ck_assert_int_eq(r.reason, PLACEMENT_MEMORY);
	ck_assert_str_eq(r.why, "no instance fits (1 short of CPU, 2 short of "
	    "memory); closest i-mem has insufficient memory available");
	placement_free(p);

	p = placement_new("g", &pol);
	placement_choose(p, &n, &pr, &r);
	ck_assert_int_eq(r.chosen, -1);
	ck_assert_int_eq(r.closest, -1);
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

/* distinctInstance: no instance takes two live tasks of the group. */
START_TEST(test_distinct_instance)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(1, 1), load = need_of(1, 1);
	struct placement_result	 r;
	struct prng		 pr;
	const char		*a, *b;

	prng_seed(&pr, 2);
	policy(&pol, NULL, "[{\"type\":\"distinctInstance\"}]");
	placement_policy_default(&pol, 0);
	p = placement_new("family:job", &pol);
	add(p, "i-1", "a", 100, 100);
	add(p, "i-2", "a", 100, 100);
	add(p, "i-3", "a", 100, 100);
	add(p, "i-4", "a", 100, 100);
	placement_add_task(p, 0, "family:job", &load, 1);
	placement_add_task(p, 3, "family:job", &load, 0);	/* stopping */
	ck_assert_int_eq(placement_check(p, 0, &n), PLACEMENT_ATTRIBUTE);
	ck_assert_int_eq(placement_check(p, 3, &n), PLACEMENT_OK);
	a = place(p, &n, &pr, &r);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_ne(a, "i-1");
	b = place(p, &n, &pr, &r);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_ne(a, b);
	ck_assert_ptr_nonnull(place(p, &n, &pr, &r));
	ck_assert_ptr_null(place(p, &n, &pr, &r));
	ck_assert_int_eq(r.reason, PLACEMENT_ATTRIBUTE);
	ck_assert_int_eq(r.closest, 0);
	ck_assert_str_eq(r.why, "no instance fits (4 failing a constraint); "
	    "closest i-1 is missing an attribute required by your task: "
	    "distinctInstance, it runs a task of family:job");
	/* Another group is not held back. */
	placement_free(p);
	p = placement_new("family:other", &pol);
	add(p, "i-1", "a", 100, 100);
	placement_add_task(p, 0, "family:job", &load, 1);
	ck_assert_str_eq(place(p, &n, &pr, &r), "i-1");
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

/* A view of instances i-1 and i-2 (lots of memory) under constraints;
 * pol is the caller's to clear. */
static struct placement *
constrained(struct placement_policy *pol, const char *constraints,
    const char *group)
{
	struct placement	*p;

	policy(pol, NULL, constraints);
	placement_policy_default(pol, 0);
	p = placement_new(group, pol);
	add(p, "i-1", "a", 1000, 100000);
	add(p, "i-2", "a", 1000, 100000);
	return p;
}

/* memberOf: the query sees attributes, and the running count and task
 * groups as they change during one call. */
START_TEST(test_member_of)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(1, 400), load = need_of(1, 1);
	struct placement_result	 r;
	struct prng		 pr;
	int			 i;

	prng_seed(&pr, 4);
	policy(&pol, NULL, "[{\"type\":\"memberOf\",\"expression\":"
	    "\"attribute:gpu exists\"}]");
	placement_policy_default(&pol, 0);
	p = placement_new("g", &pol);
	add(p, "i-1", "a", 1000, 1000);
	add(p, "i-2", "a", 1000, 1000);
	add(p, "i-3", "a", 1000, 1000);
	placement_add_attribute(p, 1, "gpu", "v100");
	ck_assert_str_eq(place(p, &n, &pr, &r), "i-2");
	ck_assert_str_eq(place(p, &n, &pr, &r), "i-2");
	/* i-2 is full; the others have memory but not the attribute. */
	ck_assert_ptr_null(place(p, &n, &pr, &r));
	ck_assert_int_eq(r.reason, PLACEMENT_ATTRIBUTE);
	ck_assert_int_eq(r.closest, 0);
	ck_assert_str_eq(r.why, "no instance fits (1 short of memory, 2 "
	    "failing a constraint); closest i-1 is missing an attribute "
	    "required by your task: memberOf: attribute:gpu exists is false: "
	    "the instance has no attribute gpu");
	placement_free(p);
	placement_policy_clear(&pol);

	/* runningTasksCount counts what this call placed. */
	p = constrained(&pol, "[{\"type\":\"memberOf\",\"expression\":"
	    "\"runningTasksCount < 2\"}]", "g");
	placement_add_task(p, 1, "x", &load, 1);
	for (i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(place(p, &n, &pr, &r));
	ck_assert_ptr_null(place(p, &n, &pr, &r));
	ck_assert_int_eq(group_tasks(p, 0), 2);
	ck_assert_int_eq(group_tasks(p, 1), 1);
	placement_free(p);
	placement_policy_clear(&pol);

	/* task:group: keep away from the instance running the database. */
	p = constrained(&pol, "[{\"type\":\"memberOf\",\"expression\":"
	    "\"not(task:group == database)\"}]", "web");
	placement_add_task(p, 0, "database", &load, 1);
	for (i = 0; i < 5; i++)
		ck_assert_str_eq(place(p, &n, &pr, &r), "i-2");
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

/* StartTask: the named instance, its resources and the constraints;
 * strategies have nothing to choose. */
START_TEST(test_choose_on)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(10, 600);
	struct placement_result	 r;

	policy(&pol, "[{\"type\":\"binpack\",\"field\":\"memory\"}]",
	    "[{\"type\":\"memberOf\",\"expression\":\"attribute:role == web\"}]");
	p = placement_new("g", &pol);
	add(p, "i-1", "a", 1000, 1000);
	add(p, "i-2", "a", 1000, 1000);
	placement_add_attribute(p, 1, "role", "web");
	ck_assert_int_eq(placement_find(p, "i-2"), 1);
	ck_assert_int_eq(placement_find(p, "nope"), -1);
	placement_choose_on(p, 0, &n, &r);
	ck_assert_int_eq(r.chosen, -1);
	ck_assert_int_eq(r.reason, PLACEMENT_ATTRIBUTE);
	placement_choose_on(p, 1, &n, &r);
	ck_assert_int_eq(r.chosen, 1);
	ck_assert_str_eq(r.why, "i-2 fits, the one instance that does");
	placement_choose_on(p, 1, &n, &r);
	ck_assert_int_eq(r.chosen, -1);
	ck_assert_int_eq(r.reason, PLACEMENT_MEMORY);
	ck_assert_int_eq(r.closest, 1);
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

/* Host ports are never double-booked across tasks of one call. */
START_TEST(test_many_tasks_ports)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 n = need_of(1, 1);
	struct placement_result	 r;
	struct prng		 pr;
	const char		*got[3];
	int			 i;

	prng_seed(&pr, 11);
	policy(&pol, NULL, NULL);
	placement_policy_default(&pol, 0);
	p = placement_new("g", &pol);
	add(p, "i-1", "a", 1000, 1000);
	add(p, "i-2", "a", 1000, 1000);
	add(p, "i-3", "a", 1000, 1000);
	n.ports[n.nports++] = 8080;
	for (i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(got[i] = place(p, &n, &pr, &r));
	ck_assert_str_ne(got[0], got[1]);
	ck_assert_str_ne(got[1], got[2]);
	ck_assert_str_ne(got[0], got[2]);
	ck_assert_ptr_null(place(p, &n, &pr, &r));
	ck_assert_int_eq(r.reason, PLACEMENT_PORTS);
	ck_assert_int_eq(r.closest, 0);
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

static void
victim(struct placement_victim *v, int instance, int started)
{
	memset(v, 0, sizeof *v);
	v->instance = instance;
	v->started = started;
	v->cpu = 1;
	v->memory = 1;
}

/* The reverse of the service default: the zone with most tasks, then the
 * instance with most; tasks not yet started before any. */
START_TEST(test_scale_in_spread)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 load = need_of(1, 1);
	struct placement_victim	 v[7];
	struct prng		 pr;
	size_t			 order[4], i;
	/* a1: 3 tasks, a2: 1, b1: 2, plus one not started on b1. */
	static const int	 on[7] = { 0, 0, 0, 1, 2, 2, 2 };

	prng_seed(&pr, 1);
	policy(&pol, NULL, NULL);
	placement_policy_default(&pol, 1);
	p = placement_new("service:web", &pol);
	add(p, "a1", "a", 100, 100);
	add(p, "a2", "a", 100, 100);
	add(p, "b1", "b", 100, 100);
	for (i = 0; i < N(on); i++) {
		placement_add_task(p, (size_t)on[i], "service:web", &load, 1);
		victim(&v[i], on[i], i != 6);
	}
	placement_scale_in(p, v, N(v), 4, &pr, order);
	ck_assert_uint_eq(order[0], 6);		/* not started */
	ck_assert_int_eq(v[order[1]].instance, 0);	/* zone a: 4 vs 2 */
	ck_assert_int_eq(v[order[2]].instance, 0);	/* a 3 vs 2, a1 2 */
	ck_assert_int_eq(v[order[3]].instance, 2);	/* 2 vs 2, b1 has 2 */
	for (i = 1; i < 4; i++)
		ck_assert_uint_ne(order[i], order[i - 1]);
	ck_assert_int_eq(group_tasks(p, 0), 1);
	ck_assert_int_eq(group_tasks(p, 2), 1);
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

/* binpack scales in from the instance with the most of it free. */
START_TEST(test_scale_in_binpack)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_need	 load = need_of(1, 100);
	struct placement_victim	 v[4];
	struct prng		 pr;
	size_t			 order[4], i;
	static const int	 on[4] = { 0, 0, 1, -1 };

	prng_seed(&pr, 1);
	policy(&pol, "[{\"type\":\"binpack\",\"field\":\"memory\"}]", NULL);
	p = placement_new("service:web", &pol);
	add(p, "full", "a", 100, 1000);
	add(p, "roomy", "a", 100, 4000);
	for (i = 0; i < N(on); i++) {
		if (on[i] >= 0)
			placement_add_task(p, (size_t)on[i], "service:web",
			    &load, 1);
		victim(&v[i], on[i], 1);
		v[i].memory = 100;
	}
	placement_scale_in(p, v, N(v), 3, &pr, order);
	ck_assert_uint_eq(order[0], 2);		/* roomy: 3900 free */
	/* Then full (900, then 1000 free) over the Fargate task (0). */
	ck_assert_int_eq(v[order[1]].instance, 0);
	ck_assert_int_eq(v[order[2]].instance, 0);
	placement_free(p);
	placement_policy_clear(&pol);
}
END_TEST

/* Each rule of the request shapes, with a message naming the item. */
START_TEST(test_policy_errors)
{
	static const struct {
		const char	*strategies, *constraints, *msg;
	} bad[] = {
		{ "[{\"type\":\"pack\"}]", NULL, "1 validation error detected: "
		    "Value 'pack' at 'placementStrategy.1.member.type' failed "
		    "to satisfy constraint: Member must satisfy enum value "
		    "set: [random, spread, binpack]" },
		{ "[{\"field\":\"cpu\"}]", NULL, "placementStrategy[0].type "
		    "is required: random, spread or binpack." },
		{ "[{\"type\":\"binpack\",\"field\":\"disk\"}]", NULL,
		    "placementStrategy[0]: the binpack placement strategy "
		    "takes field cpu or memory, not 'disk'." },
		{ "[{\"type\":\"binpack\"}]", NULL, "placementStrategy[0]: the "
		    "binpack placement strategy takes field cpu or memory, not "
		    "''." },
		{ "[{\"type\":\"random\"},{\"type\":\"spread\",\"field\":"
		    "\"memory\"}]", NULL, "placementStrategy[1]: the spread "
		    "placement strategy takes field instanceId, host or "
		    "attribute:<name>, not 'memory'." },
		{ "[{\"type\":\"spread\",\"field\":\"attribute:\"}]", NULL,
		    "placementStrategy[0]: the spread placement strategy takes "
		    "field instanceId, host or attribute:<name>, not "
		    "'attribute:'." },
		{ "[{\"type\":\"random\",\"field\":\"cpu\"}]", NULL,
		    "placementStrategy[0]: the random placement strategy takes "
		    "no field, not 'cpu'." },
		{ "[{\"type\":\"random\"},{\"type\":\"random\"},{\"type\":"
		    "\"random\"},{\"type\":\"random\"},{\"type\":\"random\"},"
		    "{\"type\":\"random\"}]", NULL, "Too many placement strategies: "
		    "6 with placementStrategy; at most 5 are allowed." },
		{ "{}", NULL, "placementStrategy must be a list." },
		{ NULL, "[{\"type\":\"distinctInstance\",\"expression\":"
		    "\"x\"}]", "placementConstraints[0]: a distinctInstance "
		    "constraint takes no expression." },
		{ NULL, "[{\"type\":\"memberOf\"}]", "placementConstraints[0]: "
		    "a memberOf constraint needs an expression." },
		{ NULL, "[{\"type\":\"sameZone\"}]", "1 validation error "
		    "detected: Value 'sameZone' at 'placementConstraints.1."
		    "member.type' failed to satisfy constraint: Member must "
		    "satisfy enum value set: [distinctInstance, memberOf]" },
		{ NULL, "[{\"type\":\"memberOf\",\"expression\":"
		    "\"attribute:color ==\"}]", "placementConstraints[0]."
		    "expression: Invalid query expression at position 19: " },
		{ NULL, "[\"memberOf\"]", "placementConstraints[0] must be an "
		    "object with a type." },
	};
	struct placement_policy	 pol;
	struct err		 e;
	cJSON			*s, *c;
	size_t			 k;
	int			 rc;

	for (k = 0; k < N(bad); k++) {
		s = bad[k].strategies ? cJSON_Parse(bad[k].strategies) : NULL;
		c = bad[k].constraints ? cJSON_Parse(bad[k].constraints) : NULL;
		placement_policy_init(&pol);
		err_clear(&e);
		rc = placement_policy_add_strategies(&pol, s,
		    "placementStrategy", &e);
		if (rc == 0)
			rc = placement_policy_add_constraints(&pol, c,
			    "placementConstraints", &e);
		ck_assert_msg(rc == -1, "accepted: %s %s", bad[k].strategies,
		    bad[k].constraints);
		ck_assert_int_eq(e.code, ERR_INVALID);
		ck_assert_msg(strncmp(e.msg, bad[k].msg, strlen(bad[k].msg)) ==
		    0, "got '%s', want '%s'", e.msg, bad[k].msg);
		placement_policy_clear(&pol);
		cJSON_Delete(s);
		cJSON_Delete(c);
	}
}
END_TEST

/* Ten constraints at most, counted over every list added; and what
 * goes in comes back out normalized. */
START_TEST(test_policy_limits_and_json)
{
	struct placement_policy	 pol;
	struct err		 e;
	cJSON			*six, *five, *out;
	char			*txt;

	six = cJSON_Parse("[{\"type\":\"distinctInstance\"},{\"type\":"
	    "\"distinctInstance\"},{\"type\":\"distinctInstance\"},{\"type\":"
	    "\"distinctInstance\"},{\"type\":\"distinctInstance\"},{\"type\":"
	    "\"distinctInstance\"}]");
	five = cJSON_Parse("[{\"type\":\"distinctInstance\"},{\"type\":"
	    "\"distinctInstance\"},{\"type\":\"distinctInstance\"},{\"type\":"
	    "\"distinctInstance\"},{\"type\":\"memberOf\",\"expression\":"
	    "\"attribute:a exists\"}]");
	placement_policy_init(&pol);
	ck_assert_int_eq(placement_policy_add_constraints(&pol, five, "td",
	    &e), 0);
	ck_assert_int_eq(placement_policy_add_constraints(&pol, six, "req",
	    &e), -1);
	ck_assert_str_eq(e.msg, "Too many placement constraints: 11 with req; "
	    "at most 10 are allowed.");
	ck_assert_uint_eq(pol.nconstraints, 5);
	out = placement_policy_constraints_json(&pol);
	txt = cJSON_PrintUnformatted(cJSON_GetArrayItem(out, 4));
	ck_assert_str_eq(txt, "{\"type\":\"memberOf\",\"expression\":"
	    "\"attribute:a exists\"}");
	free(txt);
	cJSON_Delete(out);
	placement_policy_clear(&pol);

	policy(&pol, "[{\"type\":\"spread\",\"field\":\"HOST\",\"x\":1},"
	    "{\"type\":\"binpack\",\"field\":\"Memory\"},{\"type\":"
	    "\"spread\",\"field\":\"attribute:ecs.instance-type\"},"
	    "{\"type\":\"random\"}]", NULL);
	out = placement_policy_strategies_json(&pol);
	txt = cJSON_PrintUnformatted(out);
	ck_assert_str_eq(txt, "[{\"type\":\"spread\",\"field\":\"host\"},"
	    "{\"type\":\"binpack\",\"field\":\"memory\"},{\"type\":\"spread\","
	    "\"field\":\"attribute:ecs.instance-type\"},{\"type\":"
	    "\"random\"}]");
	free(txt);
	cJSON_Delete(out);
	placement_policy_clear(&pol);
	cJSON_Delete(six);
	cJSON_Delete(five);
}
END_TEST

/* Two identical views of a random cluster: instances of three shapes
 * over zones and racks (some without a rack), a few draining or
 * disconnected, with tasks of the group and of others already there. */
static void
random_views(struct prng *pr, const struct placement_policy *pol,
    struct placement **a, struct placement **b)
{
	static const char *const	 zones[] = { "z1", "z2", "z3" };
	static const char *const	 racks[] = { "r1", "r2", NULL };
	struct placement_instance	 in;
	struct placement_need		 load;
	struct placement		*v[2];
	char				 id[32];
	size_t				 n = 5 + (size_t)prng_below(pr, 60), i, t;
	int				 k, shape, zone, rack, state, ntasks;

	v[0] = placement_new("service:web", pol);
	v[1] = placement_new("service:web", pol);
	for (i = 0; i < n; i++) {
		shape = (int)prng_below(pr, 3);
		zone = (int)prng_below(pr, 3);
		rack = (int)prng_below(pr, 3);
		state = (int)prng_below(pr, 20);
		ntasks = (int)prng_below(pr, 4);
		snprintf(id, sizeof id, "i-%zu", i);
		memset(&in, 0, sizeof in);
		in.arn = in.id = id;
		in.active = state != 0;
		in.connected = state != 1;
		in.cpu = 1024 << shape;
		in.memory = 2000 << shape;
		for (k = 0; k < 2; k++) {
			placement_add_instance(v[k], &in);
			placement_add_attribute(v[k], i, PLACEMENT_ZONE_ATTRIBUTE,
			    zones[zone]);
			if (racks[rack] != NULL)
				placement_add_attribute(v[k], i, "rack",
				    racks[rack]);
		}
		for (t = 0; t < (size_t)ntasks; t++) {
			load = need_of(128 * (int64_t)prng_below(pr, 4),
			    250 * (int64_t)prng_below(pr, 4));
			if (prng_below(pr, 4) == 0)
				load.ports[load.nports++] = 80;
			for (k = 0; k < 2; k++)
				placement_add_task(v[k], i, t % 2 ?
				    "service:web" : "service:db", &load, 1);
		}
	}
	placement_set_indexed(v[1], 0);
	*a = v[0];
	*b = v[1];
}

/* The index chooses exactly as the scan of every instance does, with the
 * same sentences and the same failures, for every kind of policy. */
START_TEST(test_index_matches_scan)
{
	static const char *const policies[][2] = {
		{ "[{\"type\":\"spread\",\"field\":\"attribute:ecs."
		    "availability-zone\"},{\"type\":\"binpack\",\"field\":"
		    "\"memory\"}]", NULL },
		{ NULL, NULL },		/* the service default */
		{ "[{\"type\":\"binpack\",\"field\":\"cpu\"}]", NULL },
		{ "[{\"type\":\"binpack\",\"field\":\"memory\"},{\"type\":"
		    "\"spread\",\"field\":\"instanceId\"}]", NULL },
		{ "[{\"type\":\"spread\",\"field\":\"attribute:rack\"},"
		    "{\"type\":\"spread\",\"field\":\"attribute:ecs."
		    "availability-zone\"},{\"type\":\"binpack\",\"field\":"
		    "\"cpu\"}]", NULL },
		{ "[{\"type\":\"spread\",\"field\":\"host\"},{\"type\":"
		    "\"random\"},{\"type\":\"binpack\",\"field\":"
		    "\"cpu\"}]", "[{\"type\":\"distinctInstance\"}]" },
		{ "[{\"type\":\"spread\",\"field\":\"attribute:rack\"},"
		    "{\"type\":\"binpack\",\"field\":\"memory\"}]",
		    "[{\"type\":\"memberOf\",\"expression\":"
		    "\"runningTasksCount < 6 and attribute:rack exists\"}]" },
	};
	struct placement_policy	 pol;
	struct placement	*a, *b;
	struct placement_need	 n;
	struct placement_result	 ra, rb;
	struct prng		 setup, pa, pb;
	size_t			 k, round, i;

	prng_seed(&setup, 99);
	for (k = 0; k < N(policies); k++)
		for (round = 0; round < 8; round++) {
			policy(&pol, policies[k][0], policies[k][1]);
			placement_policy_default(&pol, 1);
			random_views(&setup, &pol, &a, &b);
			prng_seed(&pa, round);
			prng_seed(&pb, round);
			for (i = 0; i < 150; i++) {
				n = need_of(64 * (int64_t)prng_below(&setup, 5),
				    100 * (int64_t)prng_below(&setup, 9));
				if (prng_below(&setup, 10) == 0)
					n.ports[n.nports++] = 80;
				placement_choose(a, &n, &pa, &ra);
				placement_choose(b, &n, &pb, &rb);
				ck_assert_msg(ra.chosen == rb.chosen, "policy %zu "
				    "round %zu task %zu: %d vs %d (%s / %s)", k,
				    round, i, ra.chosen, rb.chosen, ra.why, rb.why);
				ck_assert_int_eq(ra.closest, rb.closest);
				ck_assert_int_eq(ra.reason, rb.reason);
				ck_assert_str_eq(ra.why, rb.why);
			}
			placement_free(a);
			placement_free(b);
			placement_policy_clear(&pol);
		}
}
END_TEST

/* Base first, then the rest by weight; zero weights never get the rest. */
START_TEST(test_provider_base_then_weight)
{
	struct placement_share	s[3];
	int			i, got[3] = { 0 };

	memset(s, 0, sizeof s);
	s[0].weight = 1;
	s[0].base = 2;
	s[1].weight = 3;
	s[2].weight = 0;
	for (i = 0; i < 2; i++) {
		ck_assert_uint_eq(placement_provider(s, 3), 0);
		s[0].placed++;
	}
	for (i = 0; i < 40; i++) {
		size_t	k = placement_provider(s, 3);

		s[k].placed++;
		got[k]++;
	}
	ck_assert_int_eq(got[0], 10);
	ck_assert_int_eq(got[1], 30);
	ck_assert_int_eq(got[2], 0);

	/* One provider of weight zero still takes everything. */
	memset(s, 0, sizeof s);
	ck_assert_uint_eq(placement_provider(s, 1), 0);
	/* Counts already placed (a service's live tasks) carry over. */
	s[0].weight = 1;
	s[1].weight = 1;
	s[0].placed = 5;
	ck_assert_uint_eq(placement_provider(s, 2), 1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("placement");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_resource_reasons);
	tcase_add_test(tc, test_binpack_memory);
	tcase_add_test(tc, test_add_others);
	tcase_add_test(tc, test_binpack_cpu);
	tcase_add_test(tc, test_spread_instance);
	tcase_add_test(tc, test_spread_attribute);
	tcase_add_test(tc, test_chained);
	tcase_add_test(tc, test_service_default);
	tcase_add_test(tc, test_random_is_seeded);
	tcase_add_test(tc, test_random_in_chain);
	tcase_add_test(tc, test_failure_names_closest);
	tcase_add_test(tc, test_distinct_instance);
	tcase_add_test(tc, test_member_of);
	tcase_add_test(tc, test_choose_on);
	tcase_add_test(tc, test_many_tasks_ports);
	tcase_add_test(tc, test_scale_in_spread);
	tcase_add_test(tc, test_scale_in_binpack);
	tcase_add_test(tc, test_policy_errors);
	tcase_add_test(tc, test_policy_limits_and_json);
	tcase_add_test(tc, test_index_matches_scan);
	tcase_add_test(tc, test_provider_base_then_weight);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return check_run(s);
}
