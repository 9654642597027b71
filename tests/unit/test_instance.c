/* Container instances and attributes: the describe shape, remaining
 * resources and task counts from the tasks table, lookups, lists and
 * attribute rules (the state change event is test_engine's). */
#include <stdlib.h>
#include <string.h>

#include <check.h>

/* Tests only: the raw handle, to write task rows that belong to others. */
#include "store/internal.h"
#include "check_run.h"

#define ARN1 "arn:aws:ecs:us-east-1:000000000000:container-instance/default/" \
	    "11111111111111111111111111111111"
#define ARN2 "arn:aws:ecs:us-east-1:000000000000:container-instance/default/" \
	    "22222222222222222222222222222222"
#define ARN3 "arn:aws:ecs:us-east-1:000000000000:container-instance/other/" \
	    "33333333333333333333333333333333"

static struct store *
open_store(void)
{
	struct err	 e;
	struct store	*st;

	err_clear(&e);
	st = store_open(":memory:", &e);
	ck_assert_msg(st != NULL, "%s", e.msg);
	return st;
}

/* Registers (insert) or registers again (update) an instance. */
static void
write_instance(struct store *st, const char *arn, const char *cluster,
    int64_t cpu, int64_t memory, int64_t now,
    int (*write)(struct store *, const struct instance_spec *, int64_t,
    struct err *))
{
	struct instance_spec	 sp;
	struct err		 e;
	cJSON			*ports = cJSON_Parse("[22,2376,2375,51678,51679]");
	cJSON			*udp = cJSON_CreateArray();
	cJSON			*doc = cJSON_Parse("{\"versionInfo\":"
				    "{\"agentVersion\":\"1.89.0\"}}");

	memset(&sp, 0, sizeof sp);
	sp.arn = arn;
	sp.cluster = cluster;
	sp.id = strrchr(arn, '/') + 1;
	sp.ec2_instance_id = "i-0123456789abcdef0";
	sp.cpu = cpu;
	sp.memory = memory;
	sp.ports = ports;
	sp.ports_udp = udp;
	sp.doc = doc;
	err_clear(&e);
	ck_assert_msg(write(st, &sp, now, &e) == 0, "%s", e.msg);
	cJSON_Delete(ports);
	cJSON_Delete(udp);
	cJSON_Delete(doc);
}

static void
insert_instance(struct store *st, const char *arn, const char *cluster,
    int64_t cpu, int64_t memory, int64_t now)
{
	write_instance(st, arn, cluster, cpu, memory, now,
	    store_instance_insert);
}

/* A task row as the task module would write it: only what we read. */
static void
insert_task(struct store *st, const char *id, const char *instance,
    const char *last, const char *desired, int cpu, int memory,
    const char *ports, const char *ports_udp)
{
	static const char sql[] = "INSERT INTO tasks (arn, id, cluster, "
	    "task_definition, instance_arn, grp, launch_type, last_status, "
	    "desired_status, health, cpu, memory, ports, ports_udp, version, "
	    "created_at, updated_at, stopped_at, doc) VALUES ('task/' || ?1, "
	    "?1, 'default', 'td:1', ?2, 'family:td', 'EC2', ?3, ?4, 'UNKNOWN', "
	    "?5, ?6, ?7, ?8, 1, 1, 1, CASE ?3 WHEN 'STOPPED' THEN 1 END, '{}')";
	sqlite3_stmt	*s;

	ck_assert_int_eq(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, instance, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, last, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, desired, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 5, cpu);
	sqlite3_bind_int(s, 6, memory);
	sqlite3_bind_text(s, 7, ports, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 8, ports_udp, -1, SQLITE_TRANSIENT);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
}

/* The entry named name of resources array which (of ci). */
static const cJSON *
resource(const cJSON *ci, const char *which, const char *name)
{
	const cJSON	*r;

	cJSON_ArrayForEach(r, cJSON_GetObjectItem(ci, which))
		if (strcmp(cJSON_GetObjectItem(r, "name")->valuestring,
		    name) == 0)
			return r;
	ck_abort_msg("no %s in %s", name, which);
	return NULL;
}

static int64_t
int_value(const cJSON *ci, const char *which, const char *name)
{
	return (int64_t)cJSON_GetObjectItem(resource(ci, which, name),
	    "integerValue")->valuedouble;
}

/* The stringSetValue joined with commas, for comparing. */
static char *
set_value(const cJSON *ci, const char *which, const char *name)
{
	const cJSON	*p;
	char		*out = xstrdup(""), *tmp;

	cJSON_ArrayForEach(p, cJSON_GetObjectItem(resource(ci, which, name),
	    "stringSetValue")) {
		tmp = xprintf("%s%s%s", out, *out ? "," : "", p->valuestring);
		free(out);
		out = tmp;
	}
	return out;
}

static int64_t
num(const cJSON *o, const char *name)
{
	const cJSON	*j = cJSON_GetObjectItem(o, name);

	ck_assert_msg(cJSON_IsNumber(j), "%s is not a number", name);
	return (int64_t)j->valuedouble;
}

START_TEST(test_describe_fresh_instance)
{
	struct store	*st = open_store();
	struct err	 e;
	cJSON		*ci;
	const cJSON	*r;
	char		*ports;

	insert_instance(st, ARN1, "default", 2048, 3904, 1700000000123LL);
	err_clear(&e);
	ci = store_instance_describe(st, ARN1, 0, &e);
	ck_assert_msg(ci != NULL, "%s", e.msg);
	ck_assert_str_eq(cJSON_GetObjectItem(ci, "containerInstanceArn")->
	    valuestring, ARN1);
	ck_assert_str_eq(cJSON_GetObjectItem(ci, "status")->valuestring,
	    "ACTIVE");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(ci, "agentConnected")));
	ck_assert_int_eq(num(ci, "version"), 0);
	ck_assert_int_eq(num(ci, "runningTasksCount"), 0);
	ck_assert_int_eq(num(ci, "pendingTasksCount"), 0);
	ck_assert(cJSON_GetObjectItem(ci, "registeredAt")->valuedouble ==
	    1700000000.123);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(ci,
	    "versionInfo"), "agentVersion")->valuestring, "1.89.0");
	ck_assert_ptr_null(cJSON_GetObjectItem(ci, "tags"));

	/* ECS's exact entry shape: all numeric members, sets only for sets. */
	r = resource(ci, "registeredResources", "CPU");
	ck_assert_str_eq(cJSON_GetObjectItem(r, "type")->valuestring, "INTEGER");
	ck_assert_int_eq(num(r, "integerValue"), 2048);
	ck_assert_int_eq(num(r, "longValue"), 0);
	ck_assert_int_eq(num(r, "doubleValue"), 0);
	ck_assert_ptr_null(cJSON_GetObjectItem(r, "stringSetValue"));
	r = resource(ci, "registeredResources", "PORTS_UDP");
	ck_assert_str_eq(cJSON_GetObjectItem(r, "type")->valuestring,
	    "STRINGSET");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r,
	    "stringSetValue")), 0);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(ci,
	    "registeredResources")), 4);
	ck_assert_int_eq(int_value(ci, "remainingResources", "MEMORY"), 3904);
	ports = set_value(ci, "remainingResources", "PORTS");
	ck_assert_str_eq(ports, "22,2376,2375,51678,51679");
	free(ports);
	cJSON_Delete(ci);

	ck_assert_ptr_null(store_instance_describe(st, ARN2, 0, &e));
	ck_assert_int_eq(e.code, ERR_RESOURCE_NOT_FOUND);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

START_TEST(test_remaining_resources_from_tasks)
{
	struct store	*st = open_store();
	struct err	 e;
	cJSON		*ci;
	char		*ports;
	int64_t		 busy;

	insert_instance(st, ARN1, "default", 2048, 4096, 1);
	insert_instance(st, ARN2, "default", 2048, 4096, 2);
	insert_task(st, "a", ARN1, "RUNNING", "RUNNING", 512, 1024, "[8080]",
	    "[53]");
	insert_task(st, "b", ARN1, "PENDING", "RUNNING", 256, 256,
	    "[8081,22]", "[]");
	insert_task(st, "c", ARN1, "PROVISIONING", "RUNNING", 128, 128, "[]",
	    "[]");
	/* Stopping: still holds its resources, but is not counted running. */
	insert_task(st, "d", ARN1, "DEACTIVATING", "STOPPED", 64, 64, "[9000]",
	    "[]");
	/* Stopped, and on another instance: neither counts here. */
	insert_task(st, "e", ARN1, "STOPPED", "STOPPED", 1000, 1000, "[7000]",
	    "[]");
	insert_task(st, "f", ARN2, "RUNNING", "RUNNING", 1000, 1000, "[7001]",
	    "[]");

	err_clear(&e);
	ci = store_instance_describe(st, ARN1, 0, &e);
	ck_assert_msg(ci != NULL, "%s", e.msg);
	ck_assert_int_eq(int_value(ci, "remainingResources", "CPU"),
	    2048 - 512 - 256 - 128 - 64);
	ck_assert_int_eq(int_value(ci, "remainingResources", "MEMORY"),
	    4096 - 1024 - 256 - 128 - 64);
	ck_assert_int_eq(int_value(ci, "registeredResources", "CPU"), 2048);
	ports = set_value(ci, "remainingResources", "PORTS");
	ck_assert_str_eq(ports, "22,2376,2375,51678,51679,8080,8081,9000");
	free(ports);
	ports = set_value(ci, "remainingResources", "PORTS_UDP");
	ck_assert_str_eq(ports, "53");
	free(ports);
	ports = set_value(ci, "registeredResources", "PORTS");
	ck_assert_str_eq(ports, "22,2376,2375,51678,51679");
	free(ports);
	ck_assert_int_eq(num(ci, "runningTasksCount"), 3);
	ck_assert_int_eq(num(ci, "pendingTasksCount"), 2);
	cJSON_Delete(ci);

	/* Only tasks meant to keep running block a plain deregistration. */
	ck_assert_int_eq(store_instance_busy_tasks(st, ARN1, &busy, &e), 0);
	ck_assert_int_eq(busy, 3);

	/* Overbooked (a forced placement): remaining stays at zero. */
	insert_task(st, "g", ARN2, "RUNNING", "RUNNING", 2000, 4000, "[]",
	    "[]");
	ci = store_instance_describe(st, ARN2, 0, &e);
	ck_assert_int_eq(int_value(ci, "remainingResources", "CPU"), 0);
	ck_assert_int_eq(int_value(ci, "remainingResources", "MEMORY"), 0);
	cJSON_Delete(ci);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

START_TEST(test_find_list_and_status)
{
	struct store		*st = open_store();
	struct instance_row	*rows;
	struct err		 e;
	size_t			 n;
	cJSON			*arns;
	char			*arn, *status;
	int64_t			 total, count;

	insert_instance(st, ARN1, "default", 1024, 1024, 10);
	insert_instance(st, ARN2, "default", 2048, 2048, 20);
	insert_instance(st, ARN3, "other", 4096, 4096, 30);
	err_clear(&e);
	ck_assert_int_eq(store_attribute_put(st, "default", ARN2,
	    "ecs.os-type", "linux", &e), 0);

	/* By ARN or short id, only inside the cluster. */
	ck_assert_int_eq(store_instance_find(st, "default",
	    "22222222222222222222222222222222", &arn, &status, &e), 0);
	ck_assert_str_eq(arn, ARN2);
	ck_assert_str_eq(status, "ACTIVE");
	free(arn);
	free(status);
	ck_assert_int_eq(store_instance_find(st, "default", ARN1, &arn, NULL,
	    &e), 0);
	free(arn);
	ck_assert_int_eq(store_instance_find(st, "default", ARN3, &arn, NULL,
	    &e), -1);
	ck_assert_int_eq(e.code, ERR_RESOURCE_NOT_FOUND);
	ck_assert_ptr_null(arn);

	ck_assert_int_eq(store_instance_set_status(st, ARN1, "INACTIVE", &e), 0);
	ck_assert_int_eq(store_instance_count(st, "default", &count, &e), 0);
	ck_assert_int_eq(count, 1);
	ck_assert_int_eq(store_instance_list(st, "default", &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].arn, ARN2);
	ck_assert_int_eq(rows[0].cpu, 2048);
	ck_assert_int_eq(rows[0].registered_at, 20);
	ck_assert_int_eq(cJSON_GetArraySize(rows[0].ports), 5);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    rows[0].attributes, 0), "value")->valuestring, "linux");
	instance_rows_free(rows, n);

	/* Lists: INACTIVE left out by default, pages, status filter. */
	ck_assert_int_eq(store_instance_set_status(st, ARN1, "ACTIVE", &e), 0);
	arns = cJSON_CreateArray();
	ck_assert_int_eq(store_instance_arns(st, "default", NULL, 1, 1, arns,
	    &total, &e), 0);
	ck_assert_int_eq(total, 2);
	ck_assert_int_eq(cJSON_GetArraySize(arns), 1);
	ck_assert_str_eq(cJSON_GetArrayItem(arns, 0)->valuestring, ARN2);
	cJSON_Delete(arns);
	ck_assert_int_eq(store_instance_set_status(st, ARN2, "DRAINING", &e), 0);
	arns = cJSON_CreateArray();
	ck_assert_int_eq(store_instance_arns(st, "default", "DRAINING", 0, 100,
	    arns, &total, &e), 0);
	ck_assert_int_eq(total, 1);
	ck_assert_str_eq(cJSON_GetArrayItem(arns, 0)->valuestring, ARN2);
	cJSON_Delete(arns);

	/* Touch bumps the version; an unknown ARN is an error. */
	ck_assert_int_eq(store_instance_touch(st, ARN2, 99, &e), 0);
	ck_assert_int_eq(store_instance_touch(st, "nope", 99, &e), -1);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

static cJSON *
describe(struct store *st, const char *arn)
{
	struct err	 e;
	cJSON		*ci;

	err_clear(&e);
	ci = store_instance_describe(st, arn, 0, &e);
	ck_assert_msg(ci != NULL, "%s", e.msg);
	return ci;
}

/* The store keeps each instance's row between packings (store/instance.c):
 * every write shows in the next one, a rollback undoes a touch, and
 * nothing kept outlives a purge, after which a new instance may take the
 * purged row's rowid. */
START_TEST(test_kept_row_follows_writes)
{
	struct store	*st = open_store();
	struct err	 e;
	cJSON		*ci;

	err_clear(&e);
	insert_instance(st, ARN1, "default", 2048, 3904, 10);
	ci = describe(st, ARN1);
	ck_assert_int_eq(num(ci, "version"), 0);
	cJSON_Delete(ci);
	ck_assert_int_eq(store_instance_touch(st, ARN1, 11, &e), 0);
	ck_assert_int_eq(store_instance_touch(st, ARN1, 12, &e), 0);
	ci = describe(st, ARN1);
	ck_assert_int_eq(num(ci, "version"), 2);
	cJSON_Delete(ci);

	ck_assert_int_eq(store_instance_set_status(st, ARN1, "DRAINING", &e),
	    0);
	ci = describe(st, ARN1);
	ck_assert_str_eq(cJSON_GetObjectItem(ci, "status")->valuestring,
	    "DRAINING");
	ck_assert_int_eq(num(ci, "version"), 2);
	cJSON_Delete(ci);
	ck_assert_int_eq(store_instance_set_connected(st, ARN1, 0, &e), 0);
	ci = describe(st, ARN1);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(ci, "agentConnected")));
	cJSON_Delete(ci);

	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(store_instance_touch(st, ARN1, 13, &e), 0);
	ci = describe(st, ARN1);
	ck_assert_int_eq(num(ci, "version"), 3);
	cJSON_Delete(ci);
	store_rollback(st);
	ci = describe(st, ARN1);
	ck_assert_int_eq(num(ci, "version"), 2);
	cJSON_Delete(ci);

	write_instance(st, ARN1, "default", 4096, 3904, 14,
	    store_instance_update);
	ci = describe(st, ARN1);
	ck_assert_int_eq(int_value(ci, "registeredResources", "CPU"), 4096);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(ci, "agentConnected")));
	cJSON_Delete(ci);

	/* ARN2 takes the rowid ARN1 had: a touch of ARN1 finds nothing. */
	ck_assert_int_eq(store_instance_set_status(st, ARN1, "INACTIVE", &e),
	    0);
	cJSON_Delete(describe(st, ARN1));
	ck_assert_int_eq(store_instance_purge(st, 100, &e), 0);
	ck_assert_ptr_null(store_instance_describe(st, ARN1, 0, &e));
	insert_instance(st, ARN2, "default", 1024, 2048, 20);
	ck_assert_int_eq(store_instance_touch(st, ARN1, 21, &e), -1);
	ck_assert_int_eq(e.code, ERR_RESOURCE_NOT_FOUND);
	ci = describe(st, ARN2);
	ck_assert_int_eq(num(ci, "version"), 0);
	cJSON_Delete(ci);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

START_TEST(test_attribute_rules)
{
	struct err	e;

	err_clear(&e);
	ck_assert_int_eq(store_attribute_check("stack", "prod", &e), 0);
	ck_assert_int_eq(store_attribute_check("a/b\\c-d_e.f", NULL, &e), 0);
	ck_assert_int_eq(store_attribute_check("x", "a b@c:d/e", &e), 0);
	ck_assert_int_eq(store_attribute_check("", "v", &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_int_eq(store_attribute_check("bad name", "v", &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "bad name"));
	ck_assert_int_eq(store_attribute_check("n", " lead", &e), -1);
	ck_assert_int_eq(store_attribute_check("n", "trail ", &e), -1);
	ck_assert_int_eq(store_attribute_check("n", "", &e), -1);
	ck_assert_int_eq(store_attribute_check("n", "a#b", &e), -1);
	ck_assert_int_eq(store_attribute_check(
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    NULL, &e), 0);
	ck_assert_int_eq(store_attribute_check(
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "01234567890123456789012345678901234567890123456789012345678901234",
	    NULL, &e), -1);
	ck_assert(store_attribute_is_custom("stack"));
	ck_assert(!store_attribute_is_custom("ecs.instance-type"));
	ck_assert(!store_attribute_is_custom(
	    "com.amazonaws.ecs.capability.ecr-auth"));
	ck_assert(store_attribute_is_custom("ecsy"));
}
END_TEST

START_TEST(test_attribute_store)
{
	struct store	*st = open_store();
	struct err	 e;
	cJSON		*out, *a;
	char		*old;
	int64_t		 n, total;
	int		 found;

	insert_instance(st, ARN1, "default", 1, 1, 1);
	insert_instance(st, ARN2, "default", 1, 1, 2);
	err_clear(&e);
	ck_assert_int_eq(store_attribute_put(st, "default", ARN1, "ecs.os-type",
	    "linux", &e), 0);
	ck_assert_int_eq(store_attribute_put(st, "default", ARN1, "stack",
	    "prod", &e), 0);
	ck_assert_int_eq(store_attribute_put(st, "default", ARN1, "gpu", NULL,
	    &e), 0);
	ck_assert_int_eq(store_attribute_put(st, "default", ARN2, "stack",
	    "test", &e), 0);
	ck_assert_int_eq(store_attribute_put(st, "default", ARN1, "stack",
	    "canary", &e), 0);
	ck_assert_int_eq(store_attribute_custom_count(st, "default", ARN1, &n,
	    &e), 0);
	ck_assert_int_eq(n, 2);

	/* In the order first set; a value replaced keeps its place. */
	a = store_attributes_of(st, "default", ARN1);
	ck_assert_int_eq(cJSON_GetArraySize(a), 3);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1),
	    "value")->valuestring, "canary");
	ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 2),
	    "value"));
	cJSON_Delete(a);

	out = cJSON_CreateArray();
	ck_assert_int_eq(store_attributes_list(st, "default", "stack", NULL, 0,
	    100, out, &total, &e), 0);
	ck_assert_int_eq(total, 2);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(out, 1),
	    "targetId")->valuestring, ARN2);
	cJSON_Delete(out);
	out = cJSON_CreateArray();
	ck_assert_int_eq(store_attributes_list(st, "default", "stack", "test",
	    0, 100, out, &total, &e), 0);
	ck_assert_int_eq(total, 1);
	cJSON_Delete(out);
	/* Deregistered instances' attributes are not listed. */
	ck_assert_int_eq(store_instance_set_status(st, ARN2, "INACTIVE", &e), 0);
	out = cJSON_CreateArray();
	ck_assert_int_eq(store_attributes_list(st, "default", NULL, NULL, 1, 1,
	    out, &total, &e), 0);
	ck_assert_int_eq(total, 3);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(out, 0),
	    "name")->valuestring, "stack");
	cJSON_Delete(out);

	ck_assert_int_eq(store_attribute_delete(st, "default", ARN1, "stack",
	    &old, &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_str_eq(old, "canary");
	free(old);
	ck_assert_int_eq(store_attribute_delete(st, "default", ARN1, "stack",
	    &old, &found, &e), 0);
	ck_assert_int_eq(found, 0);
	ck_assert_ptr_null(old);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

static Suite *
instance_suite(void)
{
	Suite	*s = suite_create("instance");
	TCase	*tc = tcase_create("store");

	tcase_add_test(tc, test_describe_fresh_instance);
	tcase_add_test(tc, test_remaining_resources_from_tasks);
	tcase_add_test(tc, test_find_list_and_status);
	tcase_add_test(tc, test_kept_row_follows_writes);
	tcase_add_test(tc, test_attribute_rules);
	tcase_add_test(tc, test_attribute_store);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(instance_suite());
}
