/* The placement library: fit checks, failure reasons, closest match and
 * the default strategies. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "placement/placement.h"
#include "util/util.h"

static void
instance(struct placement_instance *in, const char *id, const char *zone,
    int64_t cpu, int64_t mem)
{
	memset(in, 0, sizeof *in);
	in->arn = id;
	in->id = id;
	in->zone = zone;
	in->active = 1;
	in->connected = 1;
	in->cpu_free = cpu;
	in->memory_free = mem;
}

START_TEST(test_fits_reasons)
{
	struct placement_instance	in;
	struct placement_need		need;

	memset(&need, 0, sizeof need);
	need.cpu = 512;
	need.memory = 1024;
	instance(&in, "i-1", "a", 1024, 2048);
	ck_assert_int_eq(placement_fits(&in, &need), PLACEMENT_OK);
	in.cpu_free = 100;
	ck_assert_int_eq(placement_fits(&in, &need), PLACEMENT_CPU);
	in.cpu_free = 1024;
	in.memory_free = 1000;
	ck_assert_int_eq(placement_fits(&in, &need), PLACEMENT_MEMORY);
	ck_assert_str_eq(placement_reason_name(PLACEMENT_MEMORY),
	    "RESOURCE:MEMORY");
	in.memory_free = 2048;
	in.ports_used[in.nports_used++] = 80;
	need.ports[need.nports++] = 80;
	ck_assert_int_eq(placement_fits(&in, &need), PLACEMENT_PORTS);
	in.connected = 0;
	ck_assert_int_eq(placement_fits(&in, &need), PLACEMENT_AGENT);
	ck_assert_str_eq(placement_reason_name(PLACEMENT_AGENT), "AGENT");
	in.active = 0;
	ck_assert_int_eq(placement_fits(&in, &need), PLACEMENT_INACTIVE);
}
END_TEST

START_TEST(test_service_default_spreads_zones)
{
	struct placement_instance	ins[3];
	struct placement_need		need;
	struct placement_result		r;
	struct prng			p;
	int				per_zone[2] = { 0, 0 }, i;

	prng_seed(&p, 7);
	memset(&need, 0, sizeof need);
	need.cpu = 10;
	need.memory = 10;
	/* Two instances in zone a, one in zone b: zone b gets half. */
	instance(&ins[0], "i-a1", "a", 10000, 10000);
	instance(&ins[1], "i-a2", "a", 10000, 10000);
	instance(&ins[2], "i-b1", "b", 10000, 10000);
	for (i = 0; i < 6; i++) {
		placement_choose(ins, 3, &need, PLACEMENT_SERVICE, &p, &r);
		ck_assert_int_ge(r.chosen, 0);
		per_zone[r.chosen == 2]++;
	}
	ck_assert_int_eq(per_zone[0], 3);
	ck_assert_int_eq(per_zone[1], 3);
	/* Within zone a, the fewest tasks per instance: 2 and 1. */
	ck_assert_int_eq(ins[0].group_tasks + ins[1].group_tasks, 3);
	ck_assert_int_eq(abs(ins[0].group_tasks - ins[1].group_tasks), 1);
	ck_assert_int_eq(ins[2].group_tasks, 3);
	ck_assert_int_eq(ins[2].cpu_free, 10000 - 30);
}
END_TEST

START_TEST(test_failure_names_closest)
{
	struct placement_instance	ins[2];
	struct placement_need		need;
	struct placement_result		r;
	struct prng			p;

	prng_seed(&p, 1);
	memset(&need, 0, sizeof need);
	need.cpu = 512;
	need.memory = 4096;
	instance(&ins[0], "i-cpu", "a", 100, 100000);	/* short of CPU */
	instance(&ins[1], "i-mem", "a", 4096, 1000);	/* short of memory */
	placement_choose(ins, 2, &need, PLACEMENT_RANDOM, &p, &r);
	ck_assert_int_eq(r.chosen, -1);
	/* Memory is checked after CPU, so i-mem came closer. */
	ck_assert_int_eq(r.closest, 1);
	ck_assert_int_eq(r.reason, PLACEMENT_MEMORY);
	ck_assert_str_eq(placement_reason_phrase(r.reason),
	    "has insufficient memory available");
	placement_choose(ins, 0, &need, PLACEMENT_RANDOM, &p, &r);
	ck_assert_int_eq(r.chosen, -1);
	ck_assert_int_eq(r.closest, -1);
}
END_TEST

START_TEST(test_random_is_seeded)
{
	struct placement_instance	a[4], b[4];
	struct placement_need		need;
	struct placement_result		ra, rb;
	struct prng			pa, pb;
	int				i, k, seen[4] = { 0 };

	memset(&need, 0, sizeof need);
	for (k = 0; k < 4; k++) {
		instance(&a[k], "i", "a", 1 << 20, 1 << 20);
		instance(&b[k], "i", "a", 1 << 20, 1 << 20);
	}
	prng_seed(&pa, 42);
	prng_seed(&pb, 42);
	for (i = 0; i < 200; i++) {
		placement_choose(a, 4, &need, PLACEMENT_RANDOM, &pa, &ra);
		placement_choose(b, 4, &need, PLACEMENT_RANDOM, &pb, &rb);
		ck_assert_int_eq(ra.chosen, rb.chosen);
		seen[ra.chosen]++;
	}
	for (k = 0; k < 4; k++)
		ck_assert_int_gt(seen[k], 20);
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
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_fits_reasons);
	tcase_add_test(tc, test_service_default_spreads_zones);
	tcase_add_test(tc, test_failure_names_closest);
	tcase_add_test(tc, test_random_is_seeded);
	tcase_add_test(tc, test_provider_base_then_weight);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
