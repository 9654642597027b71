/* Unit tests for store/cluster.c and store/tag.c: resolve, ensure, put,
 * counts, delete checks and the tag rules, on :memory: databases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "store/store.h"
#include "check_run.h"

#define ARN(n)	"arn:aws:ecs:us-east-1:000000000000:cluster/" n

static struct store	*st;

static void
setup(void)
{
	struct err	e;

	st = store_open(":memory:", &e);
	ck_assert_msg(st != NULL, "store_open: %s", e.msg);
}

static void
teardown(void)
{
	/* Fails when a statement leaked. */
	ck_assert_int_eq(store_close(st), 0);
	st = NULL;
}

static cJSON *
tags_of(const char *json)
{
	cJSON	*j = cJSON_Parse(json);

	ck_assert_ptr_nonnull(j);
	return j;
}

START_TEST(test_resolve_name_arn_default)
{
	struct err	 e;
	char		*name = NULL;

	ck_assert_int_eq(store_cluster_ensure(st, "default", ARN("default"),
	    1000, &e), 0);
	ck_assert_int_eq(store_cluster_ensure(st, "prod", ARN("prod"), 1000,
	    &e), 0);

	ck_assert_int_eq(store_cluster_resolve(st, NULL, &name, &e), 0);
	ck_assert_str_eq(name, "default");
	free(name);
	ck_assert_int_eq(store_cluster_resolve(st, "", &name, &e), 0);
	ck_assert_str_eq(name, "default");
	free(name);
	ck_assert_int_eq(store_cluster_resolve(st, "prod", &name, &e), 0);
	ck_assert_str_eq(name, "prod");
	free(name);
	ck_assert_int_eq(store_cluster_resolve(st, ARN("prod"), &name, &e), 0);
	ck_assert_str_eq(name, "prod");
	free(name);
}
END_TEST

START_TEST(test_resolve_missing_and_inactive)
{
	struct err	 e;
	char		*name = (char *)"x";
	cJSON		*doc = store_cluster_doc_default();

	ck_assert_int_eq(store_cluster_resolve(st, "nope", &name, &e), -1);
	ck_assert_int_eq(e.code, ERR_CLUSTER_NOT_FOUND);
	ck_assert_str_eq(e.msg, "Cluster not found.");
	ck_assert_ptr_null(name);

	/* An ARN of another account is not this cluster. */
	ck_assert_int_eq(store_cluster_ensure(st, "prod", ARN("prod"), 1, &e),
	    0);
	ck_assert_int_eq(store_cluster_resolve(st,
	    "arn:aws:ecs:us-east-1:111111111111:cluster/prod", &name, &e), -1);
	ck_assert_int_eq(e.code, ERR_CLUSTER_NOT_FOUND);

	ck_assert_int_eq(store_cluster_update(st, "prod", "INACTIVE", doc, &e),
	    0);
	ck_assert_int_eq(store_cluster_resolve(st, "prod", &name, &e), -1);
	ck_assert_int_eq(e.code, ERR_CLUSTER_NOT_FOUND);
	cJSON_Delete(doc);
}
END_TEST

START_TEST(test_ensure_keeps_existing)
{
	struct err		 e;
	struct cluster_row	 r;
	cJSON			*doc = store_cluster_doc_default();

	ck_assert_int_eq(store_cluster_ensure(st, "default", ARN("default"),
	    1000, &e), 0);
	cJSON_AddStringToObject(doc, "attachmentsStatus", "UPDATE_COMPLETE");
	ck_assert_int_eq(store_cluster_update(st, "default", "INACTIVE", doc,
	    &e), 0);
	/* A second ensure neither resets nor revives it. */
	ck_assert_int_eq(store_cluster_ensure(st, "default", ARN("default"),
	    5000, &e), 0);
	ck_assert_int_eq(store_cluster_find(st, "default", &r, &e), 1);
	ck_assert_str_eq(r.status, "INACTIVE");
	ck_assert_int_eq(r.created_at, 1000);
	ck_assert_str_eq(cJSON_GetObjectItem(r.doc, "attachmentsStatus")->
	    valuestring, "UPDATE_COMPLETE");
	cluster_row_clear(&r);
	cJSON_Delete(doc);
}
END_TEST

START_TEST(test_ensure_default_doc)
{
	struct err		 e;
	struct cluster_row	 r;
	cJSON			*s;

	ck_assert_int_eq(store_cluster_ensure(st, "default", ARN("default"),
	    42, &e), 0);
	ck_assert_int_eq(store_cluster_find(st, ARN("default"), &r, &e), 1);
	ck_assert_str_eq(r.name, "default");
	ck_assert_str_eq(r.status, "ACTIVE");
	ck_assert_int_eq(r.created_at, 42);
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(r.doc, "settings"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(s, "name")->valuestring,
	    "containerInsights");
	ck_assert_str_eq(cJSON_GetObjectItem(s, "value")->valuestring,
	    "disabled");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.doc,
	    "capacityProviders")), 0);
	cluster_row_clear(&r);
	ck_assert_int_eq(store_cluster_find(st, "other", &r, &e), 0);
}
END_TEST

START_TEST(test_put_revives_deleted_name)
{
	struct err		 e;
	struct cluster_row	 r;
	cJSON			*doc = store_cluster_doc_default();
	char			*name;

	ck_assert_int_eq(store_cluster_put(st, "a", ARN("a"), "INACTIVE", 1,
	    doc, &e), 0);
	ck_assert_int_eq(store_cluster_put(st, "a", ARN("a"), "ACTIVE", 9, doc,
	    &e), 0);
	ck_assert_int_eq(store_cluster_find(st, "a", &r, &e), 1);
	ck_assert_str_eq(r.status, "ACTIVE");
	ck_assert_int_eq(r.created_at, 9);
	cluster_row_clear(&r);
	ck_assert_int_eq(store_cluster_resolve(st, "a", &name, &e), 0);
	free(name);
	ck_assert_int_eq(store_cluster_update(st, "zz", "ACTIVE", doc, &e), -1);
	ck_assert_int_eq(e.code, ERR_CLUSTER_NOT_FOUND);
	cJSON_Delete(doc);
}
END_TEST

START_TEST(test_list_active_paged)
{
	struct err	 e;
	cJSON		*arns = cJSON_CreateArray(), *doc;
	int64_t		 total = 0;

	doc = store_cluster_doc_default();
	ck_assert_int_eq(store_cluster_put(st, "c", ARN("c"), "ACTIVE", 1, doc,
	    &e), 0);
	ck_assert_int_eq(store_cluster_put(st, "a", ARN("a"), "ACTIVE", 1, doc,
	    &e), 0);
	ck_assert_int_eq(store_cluster_put(st, "b", ARN("b"), "INACTIVE", 1,
	    doc, &e), 0);
	ck_assert_int_eq(store_cluster_put(st, "d", ARN("d"), "ACTIVE", 1, doc,
	    &e), 0);
	ck_assert_int_eq(store_cluster_list(st, 1, 1, arns, &total, &e), 0);
	ck_assert_int_eq(total, 3);
	ck_assert_int_eq(cJSON_GetArraySize(arns), 1);
	ck_assert_str_eq(cJSON_GetArrayItem(arns, 0)->valuestring, ARN("c"));
	cJSON_Delete(arns);
	cJSON_Delete(doc);
}
END_TEST

/* The counting SQL runs on empty tables; e2e tests count real rows. */
START_TEST(test_counts_empty)
{
	struct err		e;
	struct cluster_counts	c;

	ck_assert_int_eq(store_cluster_ensure(st, "default", ARN("default"),
	    1, &e), 0);
	ck_assert_int_eq(store_cluster_counts(st, "default", &c, &e), 0);
	ck_assert_int_eq(c.instances + c.running + c.pending +
	    c.active_services, 0);
	ck_assert_int_eq(store_cluster_check_empty(st, "default", &e), 0);
	ck_assert_int_eq(store_cluster_provider_in_use(st, "default",
	    "FARGATE", &e), 0);
}
END_TEST

START_TEST(test_tags_merge_and_order)
{
	struct err	 e;
	cJSON		*t, *got;

	t = tags_of("[{\"key\":\"b\",\"value\":\"1\"},{\"key\":\"a\"}]");
	ck_assert_int_eq(store_tags_set(st, ARN("x"), t, &e), 0);
	cJSON_Delete(t);
	t = tags_of("[{\"key\":\"b\",\"value\":\"2\"},{\"key\":\"c\","
	    "\"value\":\"ü @+=._:/-\"}]");
	ck_assert_int_eq(store_tags_set(st, ARN("x"), t, &e), 0);
	cJSON_Delete(t);
	ck_assert_int_eq(store_tags_count(st, ARN("x")), 3);
	got = store_tags_get(st, ARN("x"));
	ck_assert_int_eq(cJSON_GetArraySize(got), 3);
	/* Insertion order; b keeps its place and takes the new value. */
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(got, 0),
	    "key")->valuestring, "b");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(got, 0),
	    "value")->valuestring, "2");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(got, 1),
	    "value")->valuestring, "");
	cJSON_Delete(got);
	/* Other ARNs are untouched. */
	ck_assert_int_eq(store_tags_count(st, ARN("y")), 0);
	got = store_tags_get(st, ARN("y"));
	ck_assert_int_eq(cJSON_GetArraySize(got), 0);
	cJSON_Delete(got);
}
END_TEST

START_TEST(test_tags_remove_and_drop)
{
	struct err	 e;
	cJSON		*t, *keys, *got;

	t = tags_of("[{\"key\":\"a\",\"value\":\"1\"},{\"key\":\"b\","
	    "\"value\":\"2\"},{\"key\":\"c\",\"value\":\"3\"}]");
	ck_assert_int_eq(store_tags_set(st, ARN("x"), t, &e), 0);
	ck_assert_int_eq(store_tags_set(st, ARN("y"), t, &e), 0);
	cJSON_Delete(t);
	keys = tags_of("[\"a\",\"missing\"]");
	ck_assert_int_eq(store_tags_remove(st, ARN("x"), keys, &e), 0);
	cJSON_Delete(keys);
	got = store_tags_get(st, ARN("x"));
	ck_assert_int_eq(cJSON_GetArraySize(got), 2);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(got, 0),
	    "key")->valuestring, "b");
	cJSON_Delete(got);
	ck_assert_int_eq(store_tags_drop(st, ARN("x"), &e), 0);
	ck_assert_int_eq(store_tags_count(st, ARN("x")), 0);
	ck_assert_int_eq(store_tags_count(st, ARN("y")), 3);
}
END_TEST

START_TEST(test_tags_rejected_change_nothing)
{
	static const struct {
		const char	*json;
		enum err_code	 code;
		const char	*in_msg;
	} bad[] = {
		{ "[{\"key\":\"ok\"},{\"key\":\"\"}]", ERR_INVALID, "length" },
		{ "[{\"key\":\"ok\"},{\"value\":\"v\"}]", ERR_INVALID,
		    "required" },
		{ "[{\"key\":\"aws:thing\",\"value\":\"v\"}]", ERR_INVALID,
		    "aws:" },
		{ "[{\"key\":\"AWS:thing\",\"value\":\"v\"}]", ERR_INVALID,
		    "aws:" },
		{ "[{\"key\":\"k\",\"value\":\"Aws:v\"}]", ERR_INVALID, "aws:" },
		{ "[{\"key\":\"semi;colon\"}]", ERR_INVALID, "pattern" },
		{ "[{\"key\":7}]", ERR_SERIALIZATION, "string" },
		{ "[\"k\"]", ERR_SERIALIZATION, "key" },
		{ "[{\"key\":\"k\",\"colour\":\"red\"}]", ERR_SERIALIZATION,
		    "colour" },
	};
	struct err	 e;
	cJSON		*t;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = tags_of(bad[i].json);
		err_clear(&e);
		ck_assert_int_eq(store_tags_set(st, ARN("x"), t, &e), -1);
		ck_assert_msg(e.code == bad[i].code, "%s: code %d", bad[i].json,
		    e.code);
		ck_assert_msg(strstr(e.msg, bad[i].in_msg) != NULL, "%s: %s",
		    bad[i].json, e.msg);
		cJSON_Delete(t);
		/* The valid tag before the bad one was not written either. */
		ck_assert_int_eq(store_tags_count(st, ARN("x")), 0);
	}
}
END_TEST

START_TEST(test_tags_lengths)
{
	struct err	 e;
	char		 key[300], value[300];
	cJSON		*t, *o;

	memset(key, 'k', 128);
	key[128] = '\0';
	memset(value, 'v', 256);
	value[256] = '\0';
	t = cJSON_CreateArray();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "key", key);
	cJSON_AddStringToObject(o, "value", value);
	cJSON_AddItemToArray(t, o);
	ck_assert_int_eq(store_tags_set(st, ARN("x"), t, &e), 0);
	cJSON_Delete(t);

	key[128] = 'k';
	key[129] = '\0';
	t = cJSON_CreateArray();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "key", key);
	cJSON_AddItemToArray(t, o);
	ck_assert_int_eq(store_tags_set(st, ARN("x"), t, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	cJSON_Delete(t);

	value[256] = 'v';
	value[257] = '\0';
	t = cJSON_CreateArray();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "key", "k2");
	cJSON_AddStringToObject(o, "value", value);
	cJSON_AddItemToArray(t, o);
	ck_assert_int_eq(store_tags_set(st, ARN("x"), t, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	cJSON_Delete(t);

	/* 128 two-byte characters are 128 characters, not 256. */
	t = cJSON_CreateArray();
	o = cJSON_CreateObject();
	key[0] = '\0';
	for (int i = 0; i < 128; i++)
		strcat(key, "\xc3\xa9");
	cJSON_AddStringToObject(o, "key", key);
	cJSON_AddItemToArray(t, o);
	ck_assert_int_eq(store_tags_set(st, ARN("x"), t, &e), 0);
	cJSON_Delete(t);
	ck_assert_int_eq(store_tags_count(st, ARN("x")), 2);
}
END_TEST

START_TEST(test_tags_limit_50)
{
	struct err	 e;
	cJSON		*t, *o;
	char		 key[16];
	int		 i;

	t = cJSON_CreateArray();
	for (i = 0; i < 49; i++) {
		o = cJSON_CreateObject();
		snprintf(key, sizeof key, "k%d", i);
		cJSON_AddStringToObject(o, "key", key);
		cJSON_AddItemToArray(t, o);
	}
	ck_assert_int_eq(store_tags_set(st, ARN("x"), t, &e), 0);
	cJSON_Delete(t);

	/* Overwriting an existing key and adding one reaches 50 exactly. */
	t = tags_of("[{\"key\":\"k0\",\"value\":\"new\"},{\"key\":\"k49\"},"
	    "{\"key\":\"k49\"}]");
	ck_assert_int_eq(store_tags_set(st, ARN("x"), t, &e), 0);
	cJSON_Delete(t);
	ck_assert_int_eq(store_tags_count(st, ARN("x")), 50);

	/* One more is over the limit, and nothing is written. */
	t = tags_of("[{\"key\":\"k1\",\"value\":\"changed\"},{\"key\":\"k50\"}]");
	ck_assert_int_eq(store_tags_set(st, ARN("x"), t, &e), -1);
	ck_assert_int_eq(e.code, ERR_LIMIT);
	cJSON_Delete(t);
	ck_assert_int_eq(store_tags_count(st, ARN("x")), 50);
	t = store_tags_get(st, ARN("x"));
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(t, 1),
	    "value")->valuestring, "");
	cJSON_Delete(t);
}
END_TEST

START_TEST(test_tag_target_exists)
{
	struct err	e;

	ck_assert_int_eq(store_cluster_ensure(st, "a", ARN("a"), 1, &e), 0);
	ck_assert_int_eq(store_tag_target_exists(st, "cluster", ARN("a"), &e),
	    1);
	ck_assert_int_eq(store_tag_target_exists(st, "cluster", ARN("b"), &e),
	    0);
	ck_assert_int_eq(store_tag_target_exists(st, "service",
	    "arn:aws:ecs:us-east-1:000000000000:service/a/s", &e), 0);
	ck_assert_int_eq(store_tag_target_exists(st, "task",
	    "arn:aws:ecs:us-east-1:000000000000:task/a/0123", &e), 0);
	ck_assert_int_eq(store_tag_target_exists(st, "task-definition",
	    "arn:aws:ecs:us-east-1:000000000000:task-definition/f:1", &e), 0);
	ck_assert_int_eq(store_tag_target_exists(st, "container-instance",
	    "arn:aws:ecs:us-east-1:000000000000:container-instance/a/1", &e),
	    0);
	ck_assert_int_eq(store_tag_target_exists(st, "volume", ARN("a"), &e),
	    -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
}
END_TEST

static Suite *
cluster_suite(void)
{
	Suite	*s = suite_create("cluster");
	TCase	*tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_resolve_name_arn_default);
	tcase_add_test(tc, test_resolve_missing_and_inactive);
	tcase_add_test(tc, test_ensure_keeps_existing);
	tcase_add_test(tc, test_ensure_default_doc);
	tcase_add_test(tc, test_put_revives_deleted_name);
	tcase_add_test(tc, test_list_active_paged);
	tcase_add_test(tc, test_counts_empty);
	tcase_add_test(tc, test_tags_merge_and_order);
	tcase_add_test(tc, test_tags_remove_and_drop);
	tcase_add_test(tc, test_tags_rejected_change_nothing);
	tcase_add_test(tc, test_tags_lengths);
	tcase_add_test(tc, test_tags_limit_50);
	tcase_add_test(tc, test_tag_target_exists);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(cluster_suite());
}
