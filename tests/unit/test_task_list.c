/*
 * ListTasks pages (store_task_list): walking the pages gives every task
 * once, in the order one big page gives; a page asked for after the tasks
 * changed is the page of the tasks as they are now, and a token used with
 * another filter pages that filter's tasks.
 */
#include "check_run.h"
#include "fixture.h"

/* 20 tasks of family job on two instances. */
static void
tasks(void)
{
	int	i;

	fixture_instance("i-0000000000000001", "us-east-1a", NULL);
	fixture_instance("i-0000000000000002", "us-east-1b", NULL);
	call_free("RegisterTaskDefinition", "{\"family\":\"job\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x\","
	    "\"memory\":16,\"cpu\":16}]}");
	for (i = 0; i < 2; i++)
		call_free("RunTask", "{\"taskDefinition\":\"job\","
		    "\"count\":10}");
}

/* One page: its ARNs (the caller's) and its token, copied to token (64
 * bytes; "" when there is none). */
static cJSON *
page(const char *filter, int max, char *token)
{
	cJSON	*r, *arns;
	char	 body[512];

	snprintf(body, sizeof body, "{%s%s\"maxResults\":%d%s%s%s}", filter,
	    *filter ? "," : "", max, *token ? ",\"nextToken\":\"" : "",
	    token, *token ? "\"" : "");
	r = call("ListTasks", body);
	arns = cJSON_DetachItemFromObject(r, "taskArns");
	snprintf(token, 64, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(r,
	    "nextToken")) ? cJSON_GetStringValue(cJSON_GetObjectItem(r,
	    "nextToken")) : "");
	cJSON_Delete(r);
	return arns;
}

static const char *
arn_at(const cJSON *arns, int i)
{
	return cJSON_GetStringValue(cJSON_GetArrayItem(arns, i));
}

START_TEST(test_pages_walk_every_task_once_in_order)
{
	cJSON	*all, *p;
	char	 token[64] = "";
	int	 n = 0, i, pages = 0;

	tasks();
	all = page("", 100, token);
	ck_assert_int_eq(cJSON_GetArraySize(all), 20);
	ck_assert_str_eq(token, "");
	do {
		p = page("", 3, token);
		pages++;
		for (i = 0; i < cJSON_GetArraySize(p); i++, n++)
			ck_assert_str_eq(arn_at(p, i), arn_at(all, n));
		cJSON_Delete(p);
	} while (*token != '\0');
	ck_assert_int_eq(n, 20);
	ck_assert_int_eq(pages, 7);
	cJSON_Delete(all);
}
END_TEST

/* A task of the first page stops between pages: the second page is the
 * RUNNING tasks' as they are now, one further on than before. */
START_TEST(test_page_after_a_change_is_of_the_tasks_now)
{
	cJSON	*before, *now, *p1, *p2;
	char	 token[64] = "", body[256], none[64] = "";
	int	 i;

	tasks();
	before = page("", 100, none);
	p1 = page("", 3, token);
	ck_assert_str_eq(token, "3");
	snprintf(body, sizeof body, "{\"task\":\"%s\"}", arn_at(p1, 0));
	call_free("StopTask", body);
	p2 = page("", 3, token);
	now = page("", 100, none);
	ck_assert_int_eq(cJSON_GetArraySize(now), 19);
	for (i = 0; i < 3; i++) {
		ck_assert_str_eq(arn_at(p2, i), arn_at(now, 3 + i));
		ck_assert_str_eq(arn_at(p2, i), arn_at(before, 4 + i));
	}
	cJSON_Delete(before);
	cJSON_Delete(now);
	cJSON_Delete(p1);
	cJSON_Delete(p2);
}
END_TEST

/* A token taken to another listing pages that listing. */
START_TEST(test_token_with_another_filter_pages_that_filter)
{
	cJSON	*p1, *p2, *stopped;
	char	 token[64] = "", body[256], none[64] = "";
	int	 i;

	tasks();
	p1 = page("", 5, token);
	for (i = 0; i < 4; i++) {
		snprintf(body, sizeof body, "{\"task\":\"%s\"}",
		    arn_at(p1, i));
		call_free("StopTask", body);
	}
	stopped = page("\"desiredStatus\":\"STOPPED\"", 100, none);
	ck_assert_int_eq(cJSON_GetArraySize(stopped), 4);
	snprintf(token, sizeof token, "2");
	p2 = page("\"desiredStatus\":\"STOPPED\"", 5, token);
	ck_assert_int_eq(cJSON_GetArraySize(p2), 2);
	ck_assert_str_eq(arn_at(p2, 0), arn_at(stopped, 2));
	ck_assert_str_eq(arn_at(p2, 1), arn_at(stopped, 3));
	ck_assert_str_eq(token, "");
	/* And back to RUNNING tasks, of family job, from offset 2: the
	 * first RUNNING one is the fifth task of the first page. */
	snprintf(token, sizeof token, "2");
	cJSON_Delete(p2);
	p2 = page("\"family\":\"job\"", 2, token);
	ck_assert_int_eq(cJSON_GetArraySize(p2), 2);
	ck_assert_str_eq(token, "4");
	cJSON_Delete(stopped);
	stopped = page("\"family\":\"job\"", 100, none);
	ck_assert_int_eq(cJSON_GetArraySize(stopped), 16);
	ck_assert_str_eq(arn_at(stopped, 0), arn_at(p1, 4));
	ck_assert_str_eq(arn_at(p2, 0), arn_at(stopped, 2));
	ck_assert_str_eq(arn_at(p2, 1), arn_at(stopped, 3));
	cJSON_Delete(p1);
	cJSON_Delete(p2);
	cJSON_Delete(stopped);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("task_list");
	TCase	*tc = tcase_create("pages");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_pages_walk_every_task_once_in_order);
	tcase_add_test(tc, test_page_after_a_change_is_of_the_tasks_now);
	tcase_add_test(tc, test_token_with_another_filter_pages_that_filter);
	suite_add_tcase(s, tc);
	return check_run(s);
}
