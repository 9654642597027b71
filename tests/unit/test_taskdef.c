/* Unit tests for src/store/taskdef.c: task size strings, the Fargate size
 * table, reference parsing, revision numbering that never reuses a number,
 * resolve by family, family:revision and ARN, status changes and lists. */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "store/store.h"
#include "util/util.h"
#include "check_run.h"

#define ARN_PREFIX	"arn:aws:ecs:us-east-1:123456789012:task-definition/"

static int64_t
cpu_of(const char *s)
{
	int64_t	v = -42;

	return store_taskdef_parse_cpu(s, &v) == 0 ? v : -1;
}

static int64_t
mem_of(const char *s)
{
	int64_t	v = -42;

	return store_taskdef_parse_memory(s, &v) == 0 ? v : -1;
}

START_TEST(test_parse_cpu)
{
	ck_assert_int_eq(cpu_of("256"), 256);
	ck_assert_int_eq(cpu_of("1024"), 1024);
	ck_assert_int_eq(cpu_of("1 vCPU"), 1024);
	ck_assert_int_eq(cpu_of("1 vcpu"), 1024);
	ck_assert_int_eq(cpu_of("2vCPU"), 2048);
	ck_assert_int_eq(cpu_of("0.5 vcpu"), 512);
	ck_assert_int_eq(cpu_of("0.25 VCPU"), 256);
	ck_assert_int_eq(cpu_of(" 4 vCPU "), 4096);
	/* Not CPU sizes. */
	ck_assert_int_eq(cpu_of(""), -1);
	ck_assert_int_eq(cpu_of("abc"), -1);
	ck_assert_int_eq(cpu_of("1 GB"), -1);
	ck_assert_int_eq(cpu_of("-256"), -1);
	ck_assert_int_eq(cpu_of("0"), -1);
	ck_assert_int_eq(cpu_of("256.5"), -1);
	ck_assert_int_eq(cpu_of("1 vcpus"), -1);
	ck_assert_int_eq(cpu_of("0.0001 vcpu"), -1);
	ck_assert_int_eq(store_taskdef_parse_cpu(NULL, &(int64_t){0}), -1);
}
END_TEST

START_TEST(test_parse_memory)
{
	ck_assert_int_eq(mem_of("512"), 512);
	ck_assert_int_eq(mem_of("1 GB"), 1024);
	ck_assert_int_eq(mem_of("2GB"), 2048);
	ck_assert_int_eq(mem_of("0.5 gb"), 512);
	ck_assert_int_eq(mem_of("30 GB"), 30720);
	ck_assert_int_eq(mem_of("1.5GB"), 1536);
	ck_assert_int_eq(mem_of("GB"), -1);
	ck_assert_int_eq(mem_of("1 vCPU"), -1);
	ck_assert_int_eq(mem_of("1 GiB"), -1);
	ck_assert_int_eq(mem_of("12x"), -1);
	ck_assert_int_eq(mem_of("100.5"), -1);
}
END_TEST

START_TEST(test_fargate_sizes)
{
	static const struct {
		int64_t	cpu, memory;
		int	ok;
	} cases[] = {
		{ 256, 512, 1 }, { 256, 1024, 1 }, { 256, 2048, 1 },
		{ 256, 1536, 0 }, { 256, 3072, 0 }, { 256, 256, 0 },
		{ 512, 1024, 1 }, { 512, 4096, 1 }, { 512, 512, 0 },
		{ 512, 1536, 0 }, { 512, 5120, 0 },
		{ 1024, 2048, 1 }, { 1024, 8192, 1 }, { 1024, 1024, 0 },
		{ 1024, 9216, 0 },
		{ 2048, 4096, 1 }, { 2048, 16384, 1 }, { 2048, 5120, 1 },
		{ 2048, 2048, 0 },
		{ 4096, 8192, 1 }, { 4096, 30720, 1 }, { 4096, 31744, 0 },
		{ 8192, 16384, 1 }, { 8192, 20480, 1 }, { 8192, 17408, 0 },
		{ 8192, 61440, 1 }, { 8192, 65536, 0 },
		{ 16384, 32768, 1 }, { 16384, 40960, 1 }, { 16384, 36864, 0 },
		{ 16384, 122880, 1 }, { 16384, 131072, 0 },
		{ 128, 512, 0 }, { 3072, 8192, 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(store_taskdef_fargate_size(cases[i].cpu,
		    cases[i].memory) == cases[i].ok, "cpu %lld memory %lld",
		    (long long)cases[i].cpu, (long long)cases[i].memory);
}
END_TEST

START_TEST(test_ref_parse)
{
	struct err	 e;
	char		*family;
	int64_t		 rev;

	ck_assert_int_eq(store_taskdef_ref_parse("web", &family, &rev, &e), 0);
	ck_assert_str_eq(family, "web");
	ck_assert_int_eq(rev, 0);
	free(family);
	ck_assert_int_eq(store_taskdef_ref_parse("web:12", &family, &rev, &e),
	    0);
	ck_assert_str_eq(family, "web");
	ck_assert_int_eq(rev, 12);
	free(family);
	ck_assert_int_eq(store_taskdef_ref_parse(ARN_PREFIX "api_v2:3", &family,
	    &rev, &e), 0);
	ck_assert_str_eq(family, "api_v2");
	ck_assert_int_eq(rev, 3);
	free(family);

	ck_assert_int_eq(store_taskdef_ref_parse("web:abc", &family, &rev, &e),
	    -1);
	ck_assert_int_eq(e.code, ERR_CLIENT);
	ck_assert_str_eq(e.msg, "Invalid revision number. Number: abc");
	ck_assert_ptr_null(family);
	ck_assert_int_eq(store_taskdef_ref_parse("web:0", &family, &rev, &e),
	    -1);
	ck_assert_int_eq(store_taskdef_ref_parse("web:", &family, &rev, &e),
	    -1);
	/* An ARN must name a revision. */
	ck_assert_int_eq(store_taskdef_ref_parse(ARN_PREFIX "web", &family,
	    &rev, &e), -1);
	ck_assert_str_eq(e.msg, "Unable to describe task definition.");
	ck_assert_int_eq(store_taskdef_ref_parse("", &family, &rev, &e), -1);
}
END_TEST

/* Registers the next revision of family as register does. */
static int64_t
add(struct store *st, const char *family, int64_t now)
{
	struct err	 e;
	cJSON		*doc;
	char		*arn;
	int64_t		 rev;

	ck_assert_int_eq(store_taskdef_next_revision(st, family, &rev, &e), 0);
	arn = xprintf(ARN_PREFIX "%s:%lld", family, (long long)rev);
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "taskDefinitionArn", arn);
	cJSON_AddStringToObject(doc, "family", family);
	cJSON_AddNumberToObject(doc, "revision", (double)rev);
	cJSON_AddArrayToObject(doc, "containerDefinitions");
	ck_assert_int_eq(store_taskdef_insert(st, arn, family, rev, now, doc,
	    &e), 0);
	cJSON_Delete(doc);
	free(arn);
	return rev;
}

static char *
arn_of(const char *family, int64_t rev)
{
	return xprintf(ARN_PREFIX "%s:%lld", family, (long long)rev);
}

/* The status and revision that ref resolves to ("" when none). */
static void
check_resolve(struct store *st, const char *ref, int64_t rev,
    const char *status)
{
	struct err	 e;
	cJSON		*td = store_taskdef_resolve(st, ref, &e);

	if (rev == 0) {
		ck_assert_msg(td == NULL, "%s resolved", ref);
		ck_assert_int_eq(e.code, ERR_CLIENT);
		ck_assert_str_eq(e.msg, "Unable to describe task definition.");
		return;
	}
	ck_assert_msg(td != NULL, "%s: %s", ref, e.msg);
	ck_assert_int_eq(cJSON_GetObjectItem(td, "revision")->valueint, rev);
	ck_assert_str_eq(cJSON_GetObjectItem(td, "status")->valuestring,
	    status);
	cJSON_Delete(td);
}

START_TEST(test_revisions_never_reused)
{
	struct err	 e;
	struct store	*st = store_open(":memory:", &e);
	char		*arn;

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(add(st, "web", 1000), 1);
	ck_assert_int_eq(add(st, "web", 2000), 2);
	ck_assert_int_eq(add(st, "db", 3000), 1);
	ck_assert_int_eq(add(st, "web", 4000), 3);

	/* Deregister and delete the newest: numbering still goes on. */
	arn = arn_of("web", 3);
	ck_assert_int_eq(store_taskdef_set_status(st, arn, "INACTIVE", 5000,
	    &e), 0);
	ck_assert_int_eq(store_taskdef_set_status(st, arn,
	    "DELETE_IN_PROGRESS", 6000, &e), 0);
	free(arn);
	ck_assert_int_eq(add(st, "web", 7000), 4);
	ck_assert_int_eq(store_taskdef_set_status(st, "x", "ACTIVE", 1, &e),
	    -1);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

START_TEST(test_resolve)
{
	struct err	 e;
	struct store	*st = store_open(":memory:", &e);
	cJSON		*td;
	char		*arn;

	ck_assert_ptr_nonnull(st);
	add(st, "web", 1500);
	add(st, "web", 2500);
	check_resolve(st, "web", 2, "ACTIVE");
	check_resolve(st, "web:1", 1, "ACTIVE");
	check_resolve(st, ARN_PREFIX "web:2", 2, "ACTIVE");
	check_resolve(st, "web:3", 0, NULL);
	check_resolve(st, "nope", 0, NULL);

	/* registeredAt is epoch seconds; deregisteredAt appears on INACTIVE. */
	td = store_taskdef_resolve(st, "web:1", &e);
	ck_assert_double_eq(cJSON_GetObjectItem(td, "registeredAt")->valuedouble,
	    1.5);
	ck_assert_ptr_null(cJSON_GetObjectItem(td, "deregisteredAt"));
	cJSON_Delete(td);

	/* The latest ACTIVE revision, skipping an INACTIVE newer one. */
	arn = arn_of("web", 2);
	ck_assert_int_eq(store_taskdef_set_status(st, arn, "INACTIVE", 9250,
	    &e), 0);
	check_resolve(st, "web", 1, "ACTIVE");
	check_resolve(st, "web:2", 2, "INACTIVE");
	td = store_taskdef_resolve(st, arn, &e);
	ck_assert_double_eq(cJSON_GetObjectItem(td,
	    "deregisteredAt")->valuedouble, 9.25);
	cJSON_Delete(td);
	ck_assert_int_eq(store_taskdef_set_status(st, arn,
	    "DELETE_IN_PROGRESS", 10500, &e), 0);
	td = store_taskdef_resolve(st, arn, &e);
	ck_assert_str_eq(cJSON_GetObjectItem(td, "status")->valuestring,
	    "DELETE_IN_PROGRESS");
	ck_assert_double_eq(cJSON_GetObjectItem(td,
	    "deleteRequestedAt")->valuedouble, 10.5);
	cJSON_Delete(td);
	free(arn);

	/* No ACTIVE revision left: a bare family resolves to nothing. */
	arn = arn_of("web", 1);
	ck_assert_int_eq(store_taskdef_set_status(st, arn, "INACTIVE", 11000,
	    &e), 0);
	free(arn);
	check_resolve(st, "web", 0, NULL);
	check_resolve(st, "web:1", 1, "INACTIVE");
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

static void
check_list(const cJSON *list, const char *want)
{
	char	*text = cJSON_PrintUnformatted(list);

	ck_assert_str_eq(text, want);
	cJSON_free(text);
}

START_TEST(test_lists)
{
	struct err	 e;
	struct store	*st = store_open(":memory:", &e);
	cJSON		*l;
	char		*arn;

	ck_assert_ptr_nonnull(st);
	add(st, "b", 1);
	add(st, "a", 2);
	add(st, "b", 3);
	add(st, "a_x", 4);
	arn = arn_of("a_x", 1);
	ck_assert_int_eq(store_taskdef_set_status(st, arn, "INACTIVE", 5, &e),
	    0);
	free(arn);

	l = cJSON_CreateArray();
	ck_assert_int_eq(store_taskdef_list(st, NULL, "ACTIVE", 0, l, &e), 0);
	check_list(l, "[\"" ARN_PREFIX "a:1\",\"" ARN_PREFIX "b:1\",\""
	    ARN_PREFIX "b:2\"]");
	cJSON_Delete(l);
	l = cJSON_CreateArray();
	ck_assert_int_eq(store_taskdef_list(st, NULL, "ACTIVE", 1, l, &e), 0);
	check_list(l, "[\"" ARN_PREFIX "b:2\",\"" ARN_PREFIX "b:1\",\""
	    ARN_PREFIX "a:1\"]");
	cJSON_Delete(l);
	/* familyPrefix is the whole family name in ListTaskDefinitions. */
	l = cJSON_CreateArray();
	ck_assert_int_eq(store_taskdef_list(st, "a", "ACTIVE", 0, l, &e), 0);
	check_list(l, "[\"" ARN_PREFIX "a:1\"]");
	cJSON_Delete(l);
	l = cJSON_CreateArray();
	ck_assert_int_eq(store_taskdef_list(st, NULL, "INACTIVE", 0, l, &e), 0);
	check_list(l, "[\"" ARN_PREFIX "a_x:1\"]");
	cJSON_Delete(l);

	l = cJSON_CreateArray();
	ck_assert_int_eq(store_taskdef_families(st, NULL, "ALL", l, &e), 0);
	check_list(l, "[\"a\",\"a_x\",\"b\"]");
	cJSON_Delete(l);
	l = cJSON_CreateArray();
	ck_assert_int_eq(store_taskdef_families(st, NULL, "ACTIVE", l, &e), 0);
	check_list(l, "[\"a\",\"b\"]");
	cJSON_Delete(l);
	l = cJSON_CreateArray();
	ck_assert_int_eq(store_taskdef_families(st, NULL, "INACTIVE", l, &e),
	    0);
	check_list(l, "[\"a_x\"]");
	cJSON_Delete(l);
	/* A prefix, where '_' is not a wildcard. */
	l = cJSON_CreateArray();
	ck_assert_int_eq(store_taskdef_families(st, "a", "ALL", l, &e), 0);
	check_list(l, "[\"a\",\"a_x\"]");
	cJSON_Delete(l);
	l = cJSON_CreateArray();
	ck_assert_int_eq(store_taskdef_families(st, "a_", "ALL", l, &e), 0);
	check_list(l, "[\"a_x\"]");
	cJSON_Delete(l);
	l = cJSON_CreateArray();
	ck_assert_int_eq(store_taskdef_families(st, "ax", "ALL", l, &e), 0);
	check_list(l, "[]");
	cJSON_Delete(l);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

static Suite *
taskdef_suite(void)
{
	Suite	*s = suite_create("taskdef");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_parse_cpu);
	tcase_add_test(tc, test_parse_memory);
	tcase_add_test(tc, test_fargate_sizes);
	tcase_add_test(tc, test_ref_parse);
	tcase_add_test(tc, test_revisions_never_reused);
	tcase_add_test(tc, test_resolve);
	tcase_add_test(tc, test_lists);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(taskdef_suite());
}
