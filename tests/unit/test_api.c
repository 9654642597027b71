/* Unit tests for src/api/api.c: the operation table is sorted, complete and
 * documented in docs/api-coverage.md, and the dispatch path answers bad
 * requests in AWS shape without running anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>
#include <event2/event.h>

#include "api/api.h"
#include "clock/clock.h"
#include "engine/engine.h"
#include "store/store.h"
#include "util/util.h"
#include "fixture.h"
#include "check_run.h"

#define TARGET		"AmazonEC2ContainerServiceV20141113."
#define API_NOPS_ECS	77	/* operations in the ECS API model */

#ifndef ECSIM_SOURCE_DIR
#error "tests/CMakeLists.txt defines ECSIM_SOURCE_DIR"
#endif

/* docs/api-coverage.md, or $ECSIM_API_COVERAGE when set. */
static char *
read_coverage_doc(void)
{
	const char	*path = getenv("ECSIM_API_COVERAGE");
	char		*buf = NULL;
	FILE		*f;
	long		 n;

	if (path == NULL || *path == '\0')
		path = ECSIM_SOURCE_DIR "/docs/api-coverage.md";
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_gt(n, 0);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/*
 * The status cell of the table row "| `Name` | status | notes |", trimmed,
 * copied to out; returns how many rows name the operation.
 */
static int
doc_status(const char *doc, const char *name, char *out, size_t outlen)
{
	char		 key[128];
	const char	*p = doc, *cell, *end;
	int		 rows = 0;
	size_t		 len;

	snprintf(key, sizeof key, "| `%s` |", name);
	out[0] = '\0';
	while ((p = strstr(p, key)) != NULL) {
		if (p != doc && p[-1] != '\n') {
			p++;
			continue;
		}
		rows++;
		cell = p + strlen(key);
		while (*cell == ' ')
			cell++;
		end = strchr(cell, '|');
		ck_assert_ptr_nonnull(end);
		while (end > cell && end[-1] == ' ')
			end--;
		len = (size_t)(end - cell);
		if (len >= outlen)
			len = outlen - 1;
		memcpy(out, cell, len);
		out[len] = '\0';
		p = end;
	}
	return rows;
}

START_TEST(test_operations_sorted_unique_complete)
{
	const struct api_op_info	*ops;
	size_t				 n, i;
	int				 done = 0;

	ops = api_operations(&n);
	ck_assert_uint_eq(n, API_NOPS_ECS);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(ops[i].name);
		ck_assert_msg(str_is_ecs_name(ops[i].name, 64), "bad name %s",
		    ops[i].name);
		/* Strictly increasing: sorted, hence unique (api_find
		 * bisects). */
		if (i > 0)
			ck_assert_msg(strcmp(ops[i - 1].name, ops[i].name) < 0,
			    "%s is not before %s", ops[i - 1].name,
			    ops[i].name);
		ck_assert(ops[i].implemented == 0 || ops[i].implemented == 1);
		done += ops[i].implemented;
	}
	/* The core families are in the table and implemented. */
	ck_assert_int_gt(done, 30);
}
END_TEST

START_TEST(test_coverage_doc_matches_table)
{
	const struct api_op_info	*ops;
	char				*doc = read_coverage_doc();
	char				 status[64];
	const char			*p;
	size_t				 n, i;
	int				 rows, total = 0;

	ops = api_operations(&n);
	for (i = 0; i < n; i++) {
		rows = doc_status(doc, ops[i].name, status, sizeof status);
		ck_assert_msg(rows == 1, "docs/api-coverage.md has %d rows for "
		    "%s (want 1: | `%s` | status | notes |)", rows,
		    ops[i].name, ops[i].name);
		if (ops[i].implemented)
			ck_assert_msg(strcmp(status, "done") == 0 ||
			    strcmp(status, "partial") == 0,
			    "%s is implemented but docs/api-coverage.md says "
			    "'%s' (want done or partial)", ops[i].name, status);
		else
			ck_assert_msg(strcmp(status, "not yet") == 0,
			    "%s is not implemented but docs/api-coverage.md "
			    "says '%s' (want not yet)", ops[i].name, status);
	}
	/* No row for an operation the table does not have. */
	for (p = doc; (p = strstr(p, "\n| `")) != NULL; p++)
		total++;
	ck_assert_int_eq(total, (int)n);
	free(doc);
}
END_TEST

/* Runs one request with its whole X-Amz-Target (or none); returns the
 * parsed body (caller frees). */
static cJSON *
target_call(const char *target, const char *body, int *status,
    char *request_id)
{
	struct api_reply	 r;
	cJSON			*j;

	api_handle(eng, target, body, body ? strlen(body) : 0, &r);
	*status = r.status;
	if (request_id != NULL)
		memcpy(request_id, r.request_id, sizeof r.request_id);
	ck_assert_ptr_nonnull(r.body);
	j = cJSON_Parse(r.body);
	ck_assert_msg(j != NULL, "reply is not JSON: %s", r.body);
	free(r.body);
	return j;
}

static void
assert_error(cJSON *j, const char *type, const char *in_message)
{
	cJSON	*t = cJSON_GetObjectItem(j, "__type");
	cJSON	*m = cJSON_GetObjectItem(j, "message");

	ck_assert(cJSON_IsString(t) && cJSON_IsString(m));
	ck_assert_str_eq(t->valuestring, type);
	ck_assert_msg(strstr(m->valuestring, in_message) != NULL,
	    "message '%s' lacks '%s'", m->valuestring, in_message);
}

START_TEST(test_dispatch_rejects_in_aws_shape)
{
	cJSON		*j;
	char		 rid[40];
	int		 status;

	j = target_call(NULL, "{}", &status, rid);
	ck_assert_int_eq(status, 400);
	assert_error(j, "UnknownOperationException", "X-Amz-Target");
	ck_assert_uint_eq(strlen(rid), 36);
	cJSON_Delete(j);

	j = target_call("SomeOtherService.CreateCluster", "{}", &status, NULL);
	ck_assert_int_eq(status, 400);
	assert_error(j, "UnknownOperationException", "X-Amz-Target");
	cJSON_Delete(j);

	j = target_call(TARGET "CreateWidget", "{}", &status, NULL);
	ck_assert_int_eq(status, 400);
	assert_error(j, "UnknownOperationException", "CreateWidget");
	cJSON_Delete(j);

	/* Names are case-sensitive, as on AWS. */
	j = target_call(TARGET "listclusters", "{}", &status, NULL);
	ck_assert_int_eq(status, 400);
	assert_error(j, "UnknownOperationException", "listclusters");
	cJSON_Delete(j);

	j = target_call(TARGET "ListClusters", "{\"maxResults\":", &status, NULL);
	ck_assert_int_eq(status, 400);
	assert_error(j, "SerializationException", "not valid JSON");
	cJSON_Delete(j);

	j = target_call(TARGET "ListClusters", "[]", &status, NULL);
	ck_assert_int_eq(status, 400);
	assert_error(j, "SerializationException", "JSON object");
	cJSON_Delete(j);

	j = target_call(TARGET "ListClusters", "\"x\"", &status, NULL);
	ck_assert_int_eq(status, 400);
	assert_error(j, "SerializationException", "JSON object");
	cJSON_Delete(j);

	j = target_call(TARGET "CreateTaskSet", "{}", &status, NULL);
	ck_assert_int_eq(status, 400);
	assert_error(j, "UnsupportedFeatureException", "CreateTaskSet");
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_dispatch_runs_and_request_ids_differ)
{
	cJSON		*j, *arns;
	char		 rid1[40], rid2[40];
	int		 status, i;

	/* An empty body is an empty request object. */
	j = target_call(TARGET "ListClusters", NULL, &status, rid1);
	ck_assert_int_eq(status, 200);
	arns = cJSON_GetObjectItem(j, "clusterArns");
	ck_assert(cJSON_IsArray(arns));
	/* engine_new created the default cluster. */
	ck_assert_int_eq(cJSON_GetArraySize(arns), 1);
	ck_assert_str_eq(cJSON_GetArrayItem(arns, 0)->valuestring,
	    "arn:aws:ecs:us-east-1:000000000000:cluster/default");
	cJSON_Delete(j);
	j = target_call(TARGET "ListClusters", "{}", &status, rid2);
	ck_assert_int_eq(status, 200);
	cJSON_Delete(j);
	ck_assert_str_ne(rid1, rid2);
	ck_assert(!store_in_transaction(st));

	/* A failed call leaves no transaction open behind it. */
	for (i = 0; i < 3; i++) {
		j = target_call(TARGET "DescribeClusters",
		    "{\"clusters\":5}", &status, NULL);
		ck_assert_int_eq(status, 400);
		cJSON_Delete(j);
		ck_assert(!store_in_transaction(st));
	}
}
END_TEST

/* api_call: the same table and answers as api_handle, as trees. */
START_TEST(test_call_answers_as_handle_does)
{
	cJSON	*req, *j, *want;
	char	*a, *b;
	int	 status;

	req = cJSON_Parse("{\"clusterName\":\"c1\"}");
	j = api_call(eng, "CreateCluster", req, &status);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(j, "cluster"), "clusterArn")),
	    "arn:aws:ecs:us-east-1:000000000000:cluster/c1");
	cJSON_Delete(j);
	cJSON_Delete(req);
	ck_assert(!store_in_transaction(st));

	/* A read answers what the text path answers. */
	req = cJSON_Parse("{\"clusters\":[\"c1\",\"nope\"]}");
	j = api_call(eng, "DescribeClusters", req, &status);
	ck_assert_int_eq(status, 200);
	want = target_call(TARGET "DescribeClusters",
	    "{\"clusters\":[\"c1\",\"nope\"]}", &status, NULL);
	a = json_print(j);
	b = json_print(want);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	cJSON_Delete(want);
	cJSON_Delete(j);
	cJSON_Delete(req);

	/* Errors come back as the AWS-shaped object with their status. */
	req = cJSON_Parse("{\"clusters\":5}");
	j = api_call(eng, "DescribeClusters", req, &status);
	ck_assert_int_eq(status, 400);
	assert_error(j, "SerializationException", "clusters");
	cJSON_Delete(j);
	ck_assert(!store_in_transaction(st));
	j = api_call(eng, "CreateWidget", req, &status);
	ck_assert_int_eq(status, 400);
	assert_error(j, "UnknownOperationException", "CreateWidget");
	cJSON_Delete(j);
	j = api_call(eng, "CreateTaskSet", req, &status);
	ck_assert_int_eq(status, 400);
	assert_error(j, "UnsupportedFeatureException", "CreateTaskSet");
	cJSON_Delete(j);
	cJSON_Delete(req);
	req = cJSON_CreateArray();
	j = api_call(eng, "ListClusters", req, &status);
	ck_assert_int_eq(status, 400);
	assert_error(j, "SerializationException", "JSON object");
	cJSON_Delete(j);
	cJSON_Delete(req);
}
END_TEST

START_TEST(test_error_reply_shape)
{
	struct api_reply	 r;
	cJSON			*j;

	api_error_reply(eng, 413, "RequestEntityTooLargeException",
	    "too big", &r);
	ck_assert_int_eq(r.status, 413);
	ck_assert_uint_eq(strlen(r.request_id), 36);
	j = cJSON_Parse(r.body);
	assert_error(j, "RequestEntityTooLargeException", "too big");
	cJSON_Delete(j);
	free(r.body);
}
END_TEST

static Suite *
api_suite(void)
{
	Suite	*s = suite_create("api");
	TCase	*table = tcase_create("table");
	TCase	*dispatch = tcase_create("dispatch");

	tcase_add_test(table, test_operations_sorted_unique_complete);
	tcase_add_test(table, test_coverage_doc_matches_table);
	suite_add_tcase(s, table);
	tcase_add_checked_fixture(dispatch, fixture_setup, fixture_teardown);
	tcase_add_test(dispatch, test_dispatch_rejects_in_aws_shape);
	tcase_add_test(dispatch, test_dispatch_runs_and_request_ids_differ);
	tcase_add_test(dispatch, test_error_reply_shape);
	tcase_add_test(dispatch, test_call_answers_as_handle_does);
	tcase_set_timeout(dispatch, 20);
	suite_add_tcase(s, dispatch);
	return s;
}

int
main(void)
{
	return check_run(api_suite());
}
