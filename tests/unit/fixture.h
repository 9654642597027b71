/*
 * A fresh engine on a virtual clock for unit tests, driven through the
 * API dispatch table as a client would drive it. Include it in one test
 * file; register fixture_setup and fixture_teardown as a checked fixture.
 * Time starts at T0 and moves only with clock_run_until.
 */
#ifndef ECSIM_TEST_FIXTURE_H
#define ECSIM_TEST_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <cjson/cJSON.h>

#include "api/api.h"
#include "clock/clock.h"
#include "engine/engine.h"
#include "store/store.h"

#define T0		1700000000000LL
#define FIXTURE_FN	static __attribute__((unused))

static struct event_base	*base;
static struct clock		*clk;
static struct store		*st;
static struct engine		*eng;
static struct engine_config	 cfg;	/* what fixture_setup gave the engine */

FIXTURE_FN void
fixture_setup(void)
{
	struct err	e;

	engine_config_defaults(&cfg);	/* steps of 1 s */
	base = event_base_new();
	clk = clock_new(base, CLOCK_VIRTUAL, 1, T0);
	st = store_open(":memory:", &e);
	ck_assert_ptr_nonnull(st);
	eng = engine_new(base, clk, st, &cfg, &e);
	ck_assert_ptr_nonnull(eng);
}

FIXTURE_FN void
fixture_teardown(void)
{
	engine_free(eng);
	ck_assert_int_eq(store_close(st), 0);
	clock_free(clk);
	event_base_free(base);
}

/* One API call: the parsed reply (NULL if it is not JSON), its status in
 * *status. */
FIXTURE_FN cJSON *
call_st(const char *op, const char *body, int *status)
{
	struct api_reply	 r;
	char			 target[128];
	cJSON			*j;

	snprintf(target, sizeof target, "AmazonEC2ContainerServiceV20141113.%s",
	    op);
	api_handle(eng, target, body, strlen(body), &r);
	*status = r.status;
	j = cJSON_Parse(r.body);
	free(r.body);
	return j;
}

/* One API call that must succeed; returns the parsed reply. */
FIXTURE_FN cJSON *
call(const char *op, const char *body)
{
	int	 status;
	cJSON	*j = call_st(op, body, &status);
	char	*text;

	if (status != 200) {
		text = cJSON_PrintUnformatted(j);
		ck_abort_msg("%s: %d %s", op, status, text ? text : "");
	}
	return j;
}

/* The HTTP status of one API call. */
FIXTURE_FN int
call_status(const char *op, const char *body)
{
	int	 status;

	cJSON_Delete(call_st(op, body, &status));
	return status;
}

FIXTURE_FN void
call_free(const char *op, const char *body)
{
	cJSON_Delete(call(op, body));
}

/*
 * One engine command in its own transaction, as a front end runs it:
 * (fixture_tx_begin(&e), fixture_tx_end(call)) is call's result, committed
 * when 0 and rolled back otherwise, with e cleared before.
 */
FIXTURE_FN int
fixture_tx_begin(struct err *e)
{
	err_clear(e);
	ck_assert_int_eq(store_begin(st, e), 0);
	return 0;
}

FIXTURE_FN int
fixture_tx_end(int rc)
{
	struct err	e;

	if (rc == 0) {
		ck_assert_int_eq(store_commit(st, &e), 0);
		engine_after_commit(eng);
	} else {
		store_rollback(st);
		engine_after_rollback(eng);
	}
	return rc;
}

/* Registers an instance with EC2 id ec2 in zone, 2 vCPU and 1 GiB; its ARN
 * is copied into arn (256 bytes) when arn is not NULL. */
FIXTURE_FN void
fixture_instance(const char *ec2, const char *zone, char *arn)
{
	char	 body[512];
	cJSON	*r;

	snprintf(body, sizeof body, "{\"instanceIdentityDocument\":"
	    "\"{\\\"instanceId\\\":\\\"%s\\\",\\\"availabilityZone\\\":"
	    "\\\"%s\\\"}\",\"totalResources\":["
	    "{\"name\":\"CPU\",\"type\":\"INTEGER\",\"integerValue\":2048},"
	    "{\"name\":\"MEMORY\",\"type\":\"INTEGER\",\"integerValue\":1024}]}",
	    ec2, zone);
	r = call("RegisterContainerInstance", body);
	if (arn != NULL)
		snprintf(arn, 256, "%s", cJSON_GetStringValue(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(r,
		    "containerInstance"), "containerInstanceArn")));
	cJSON_Delete(r);
}

#endif
