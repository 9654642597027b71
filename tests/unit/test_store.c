/* Unit tests for src/store/store.c: opening and migrating, refusing a newer
 * database, transactions (with and without a journal), reset, the meta
 * counters, the event outbox, the page cache's truncations and the live
 * tasks kept of each service. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <lz4.h>

#include "store/store.h"
#include "store/internal.h"
#include "store/store-instance.h"
#include "store/store-task.h"
#include "store/store-cluster.h"
#include "store/store-clock.h"
#include "util/util.h"
#include "check_run.h"

static struct store *
open_mem(void)
{
	struct err	 e;
	struct store	*st;

	err_clear(&e);
	st = store_open(":memory:", &e);
	ck_assert_msg(st != NULL, "store_open: %s", e.msg);
	return st;
}

/* A fresh temp path (the file itself is removed, so SQLite creates it). */
static char *
temp_db(void)
{
	const char	*dir = getenv("TMPDIR");
	char		*path;
	int		 fd;

	path = xprintf("%s/ecsim-test-store-XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	close(fd);
	unlink(path);
	return path;
}

static void
remove_db(const char *path)
{
	char	*side;

	unlink(path);
	side = xprintf("%s-wal", path);
	unlink(side);
	free(side);
	side = xprintf("%s-shm", path);
	unlink(side);
	free(side);
}

/*
 * PRAGMA user_version is the big-endian 32-bit word at offset 60 of the
 * database header (the SQLite file format). Tests write it directly so that
 * only src/store/ includes <sqlite3.h>.
 */
static void
set_user_version(const char *path, uint32_t v)
{
	unsigned char	 b[4] = { (unsigned char)(v >> 24),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v };
	FILE		*f = fopen(path, "r+b");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 60, SEEK_SET), 0);
	ck_assert_uint_eq(fwrite(b, 1, 4, f), 4);
	ck_assert_int_eq(fclose(f), 0);
}

static uint32_t
get_user_version(const char *path)
{
	unsigned char	 b[4];
	FILE		*f = fopen(path, "rb");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 60, SEEK_SET), 0);
	ck_assert_uint_eq(fread(b, 1, 4, f), 4);
	fclose(f);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

START_TEST(test_open_memory_applies_migrations)
{
	struct store	*st = open_mem();

	ck_assert_int_ge(store_schema_latest(), 1);
	ck_assert_str_eq(store_migrations[0].name, "0001_core.sql");
	ck_assert_ptr_null(store_migrations[store_schema_latest()].name);
	ck_assert_int_eq(store_schema_version(st), store_schema_latest());
	ck_assert_int_eq(store_event_count(st), 0);
	ck_assert(!store_in_transaction(st));
	ck_assert_int_eq(store_close(st), 0);
	ck_assert_int_eq(store_close(NULL), 0);
}
END_TEST

START_TEST(test_migrations_sorted_and_named)
{
	int	i, n = store_schema_latest();

	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(store_migrations[i].sql);
		ck_assert_uint_eq(strspn(store_migrations[i].name,
		    "0123456789"), 4);
		ck_assert_int_eq(store_migrations[i].name[4], '_');
		ck_assert_int_eq(atoi(store_migrations[i].name), i + 1);
	}
}
END_TEST

START_TEST(test_file_reopen_keeps_data)
{
	struct err	 e;
	struct store	*st;
	char		*path = temp_db();
	int64_t		 boot = 0;

	err_clear(&e);
	st = store_open(path, &e);
	ck_assert_msg(st != NULL, "%s", e.msg);
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(store_event_append(st, 1000, "aws.ecs", "Test",
	    "arn:x", NULL, &e), 0);
	ck_assert_int_eq(store_meta_bump(st, "boots", &boot, &e), 0);
	ck_assert_int_eq(store_commit(st, &e), 0);
	ck_assert_int_eq(store_close(st), 0);
	ck_assert_uint_eq(get_user_version(path),
	    (uint32_t)store_schema_latest());

	st = store_open(path, &e);
	ck_assert_msg(st != NULL, "%s", e.msg);
	ck_assert_int_eq(store_schema_version(st), store_schema_latest());
	ck_assert_int_eq(store_event_count(st), 1);
	ck_assert_int_eq(store_meta_bump(st, "boots", &boot, &e), 0);
	ck_assert_int_eq(boot, 2);
	ck_assert_int_eq(store_close(st), 0);
	remove_db(path);
	free(path);
}
END_TEST

START_TEST(test_newer_database_refused)
{
	struct err	 e;
	struct store	*st;
	char		*path = temp_db(), want[64];

	err_clear(&e);
	st = store_open(path, &e);
	ck_assert_msg(st != NULL, "%s", e.msg);
	ck_assert_int_eq(store_close(st), 0);
	set_user_version(path, 999);

	st = store_open(path, &e);
	ck_assert_ptr_null(st);
	ck_assert_int_eq(e.code, ERR_CLIENT);
	ck_assert_msg(strstr(e.msg, "schema version 999") != NULL,
	    "message does not name the version: %s", e.msg);
	snprintf(want, sizeof want, "only up to %d", store_schema_latest());
	ck_assert_msg(strstr(e.msg, want) != NULL, "%s", e.msg);
	ck_assert_ptr_nonnull(strstr(e.msg, path));
	ck_assert_ptr_nonnull(strstr(e.msg, "newer ecsim"));
	/* Refusing leaves the file as it was. */
	ck_assert_uint_eq(get_user_version(path), 999);

	/* One version ahead is refused too; the current one is not. */
	set_user_version(path, (uint32_t)store_schema_latest() + 1);
	ck_assert_ptr_null(store_open(path, &e));
	set_user_version(path, (uint32_t)store_schema_latest());
	st = store_open(path, &e);
	ck_assert_msg(st != NULL, "%s", e.msg);
	ck_assert_int_eq(store_close(st), 0);
	remove_db(path);
	free(path);
}
END_TEST

START_TEST(test_open_unwritable_path)
{
	struct err	e;

	err_clear(&e);
	ck_assert_ptr_null(store_open("/nonexistent-dir/ecsim/x.db", &e));
	ck_assert_int_eq(e.code, ERR_CLIENT);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent-dir/ecsim/x.db"));
}
END_TEST

START_TEST(test_commit_keeps_rollback_undoes)
{
	struct store	*st = open_mem();
	struct err	 e;

	err_clear(&e);
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert(store_in_transaction(st));
	ck_assert_int_eq(store_event_append(st, 1, "aws.ecs", "A", "arn:a",
	    NULL, &e), 0);
	ck_assert_int_eq(store_commit(st, &e), 0);
	ck_assert(!store_in_transaction(st));
	ck_assert_int_eq(store_event_count(st), 1);

	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(store_event_append(st, 2, "aws.ecs", "B", "arn:b",
	    NULL, &e), 0);
	ck_assert_int_eq(store_event_append(st, 3, "aws.ecs", "C", "arn:c",
	    NULL, &e), 0);
	ck_assert_int_eq(store_event_count(st), 3);
	store_rollback(st);
	ck_assert(!store_in_transaction(st));
	ck_assert_int_eq(store_event_count(st), 1);

	/* Rollback outside a transaction is a no-op. */
	store_rollback(st);
	ck_assert_int_eq(store_event_count(st), 1);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

/*
 * A replay's transactions (store_begin_unjournaled): in memory no journal,
 * so a failed one cannot be undone and breaks the store; a journaled
 * transaction after them rolls back as before; a database in a file
 * journals them all the same.
 */
START_TEST(test_unjournaled_transactions)
{
	struct store	*st = open_mem();
	struct err	 e;
	int64_t		 v = 0;
	char		*path = temp_db();

	err_clear(&e);
	ck_assert_int_eq(store_begin_unjournaled(st, &e), 0);
	ck_assert_int_eq(store_meta_bump(st, "n", &v, &e), 0);
	ck_assert_int_eq(store_commit(st, &e), 0);
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(store_meta_bump(st, "n", &v, &e), 0);
	ck_assert_int_eq(v, 2);
	store_rollback(st);
	ck_assert(!store_broken(st));
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(store_meta_bump(st, "n", &v, &e), 0);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(store_commit(st, &e), 0);

	ck_assert_int_eq(store_begin_unjournaled(st, &e), 0);
	ck_assert_int_eq(store_meta_bump(st, "n", &v, &e), 0);
	store_rollback(st);
	ck_assert(store_broken(st));
	ck_assert(!store_in_transaction(st));
	ck_assert_int_eq(store_begin(st, &e), -1);
	ck_assert_msg(strstr(e.msg, "without a rollback journal") != NULL,
	    "%s", e.msg);
	ck_assert_int_eq(store_begin_unjournaled(st, &e), -1);
	ck_assert(!store_in_transaction(st));
	ck_assert_int_eq(store_close(st), 0);

	st = store_open(path, &e);
	ck_assert_msg(st != NULL, "%s", e.msg);
	ck_assert_int_eq(store_begin_unjournaled(st, &e), 0);
	ck_assert_int_eq(store_meta_bump(st, "n", &v, &e), 0);
	store_rollback(st);
	ck_assert(!store_broken(st));
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(store_meta_bump(st, "n", &v, &e), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(store_commit(st, &e), 0);
	ck_assert_int_eq(store_close(st), 0);
	remove_db(path);
	free(path);
}
END_TEST

#define SVC	"arn:aws:ecs:us-east-1:000000000000:service/c/web"

/* Task k of SVC, live and RUNNING, created at 1000 + k / 2 (pairs tie and
 * are ordered by ARN). */
static void
task_put(struct store *st, int k)
{
	struct task_row	t;
	struct err	e;

	memset(&t, 0, sizeof t);
	t.arn = xprintf("arn:aws:ecs:us-east-1:000000000000:task/c/%032d", k);
	t.id = xprintf("%032d", k);
	t.cluster = xstrdup("c");
	t.task_definition = xstrdup("arn:aws:ecs:us-east-1:000000000000:"
	    "task-definition/web:1");
	t.service_arn = xstrdup(SVC);
	t.group = xstrdup("service:web");
	t.last_status = TASK_RUNNING;
	t.health = xstrdup("UNKNOWN");
	t.cpu = 64;
	t.memory = 256;
	t.version = 1;
	t.created_at = t.updated_at = 1000 + k / 2;
	t.doc = cJSON_CreateObject();
	ck_assert_int_eq(store_task_insert(st, &t, &e), 0);
	task_row_clear(&t);
}

/* The numbers of SVC's live tasks as the scheduler reads them, in order;
 * and each one's desiredStatus and version as the database has them. */
static char *
live_of(struct store *st)
{
	struct task_row	*rows, whole;
	struct err	 e;
	size_t		 n, i;
	char		*out = xstrdup(""), *next;

	ck_assert_int_eq(store_task_brief_of_service(st, SVC, &rows, &n, &e),
	    0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(store_task_get(st, "c", rows[i].arn, &whole,
		    &e), 1);
		ck_assert_int_eq(whole.desired_stopped, rows[i].desired_stopped);
		ck_assert_int_eq(whole.version, rows[i].version);
		ck_assert_int_eq(whole.stopped_at, 0);
		next = xprintf("%s%s%d%s/v%d", out, i ? " " : "",
		    atoi(rows[i].id), rows[i].desired_stopped ? "S" : "",
		    (int)rows[i].version);
		free(out);
		out = next;
		task_row_clear(&whole);
	}
	task_rows_free(rows, n);
	return out;
}

/* Moves task k through store_task_get and store_task_update: desired
 * STOPPED (stop 1), STOPPED (stop 2) or a plain step (stop 0). */
static void
task_step_to(struct store *st, int k, int stop)
{
	struct task_row	 t;
	struct err	 e;
	char		*arn = xprintf("arn:aws:ecs:us-east-1:000000000000:"
			    "task/c/%032d", k);

	ck_assert_int_eq(store_task_get(st, "c", arn, &t, &e), 1);
	t.version++;
	if (stop >= 1)
		t.desired_stopped = 1;
	if (stop == 2) {
		t.last_status = TASK_STOPPED;
		t.stopped_at = 5000;
	}
	ck_assert_int_eq(store_task_update(st, &t, &e), 0);
	task_row_clear(&t);
	free(arn);
}

static void
live_is(struct store *st, const char *want)
{
	char	*got = live_of(st);

	ck_assert_str_eq(got, want);
	free(got);
}

/*
 * The live tasks the store keeps of a service follow every write: a new
 * task joins in created_at, ARN order, a step replaces its row, a task
 * asked to stop stays (desiredStatus written), a stopped one leaves
 * (stopped_at written); a rollback, and another connection's commit, make
 * the store read them again.
 */
START_TEST(test_task_briefs_follow_writes)
{
	char		*path = temp_db(), *held;
	struct store	*st, *other;
	struct task_row	 t9;
	struct err	 e;

	st = store_open(path, &e);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(store_begin(st, &e), 0);
	task_put(st, 3);
	task_put(st, 1);
	live_is(st, "1/v1 3/v1");
	task_put(st, 2);	/* created with 3: before it by ARN */
	task_put(st, 4);
	live_is(st, "1/v1 2/v1 3/v1 4/v1");
	task_step_to(st, 2, 0);
	task_step_to(st, 3, 1);
	live_is(st, "1/v1 2/v2 3S/v2 4/v1");
	task_step_to(st, 3, 2);
	live_is(st, "1/v1 2/v2 4/v1");
	ck_assert_int_eq(store_commit(st, &e), 0);

	/* A rollback forgets what the transaction wrote. */
	ck_assert_int_eq(store_begin(st, &e), 0);
	task_step_to(st, 1, 2);
	task_put(st, 9);
	live_is(st, "2/v2 4/v1 9/v1");
	held = xprintf("arn:aws:ecs:us-east-1:000000000000:task/c/%032d", 9);
	ck_assert_int_eq(store_task_get(st, "c", held, &t9, &e), 1);
	store_rollback(st);
	ck_assert_int_eq(store_begin(st, &e), 0);
	live_is(st, "1/v1 2/v2 4/v1");
	/* Task 8 may take the rowid task 9 had: task 9, held from before
	 * the rollback, is written by its ARN, and so never over task 8. */
	task_put(st, 8);
	t9.version = 7;
	ck_assert_int_eq(store_task_update(st, &t9, &e), 0);
	task_row_clear(&t9);
	free(held);
	live_is(st, "1/v1 2/v2 4/v1 8/v1");
	/* Asking a task to stop writes its desiredStatus. */
	task_step_to(st, 4, 1);
	live_is(st, "1/v1 2/v2 4S/v2 8/v1");
	ck_assert_int_eq(store_commit(st, &e), 0);

	/* Another connection's commit is seen at the next transaction. */
	other = store_open(path, &e);
	ck_assert_ptr_nonnull(other);
	ck_assert_int_eq(store_begin(other, &e), 0);
	task_step_to(other, 2, 2);
	task_put(other, 7);
	ck_assert_int_eq(store_commit(other, &e), 0);
	ck_assert_int_eq(store_close(other), 0);
	ck_assert_int_eq(store_begin(st, &e), 0);
	live_is(st, "1/v1 4S/v2 7/v1 8/v1");
	ck_assert_int_eq(store_commit(st, &e), 0);

	ck_assert_int_eq(store_close(st), 0);
	remove_db(path);
	free(path);
}
END_TEST

/*
 * A task is found by its ID alone through its cluster's ARN, and by
 * reading the table when its ARN was made under another prefix than its
 * cluster's (schema 0012 dropped the index on IDs).
 */
START_TEST(test_task_by_id)
{
	struct store	*st = open_mem();
	struct task_row	 t;
	struct err	 e;
	char		*cluster;

	ck_assert_int_eq(store_cluster_ensure(st, "c", "arn:aws:ecs:"
	    "us-east-1:000000000000:cluster/c", 1, &e), 0);
	task_put(st, 1);
	/* Made under another region than its cluster. */
	memset(&t, 0, sizeof t);
	ck_assert_int_eq(store_task_get(st, "c", "arn:aws:ecs:us-east-1:"
	    "000000000000:task/c/00000000000000000000000000000001", &t, &e), 1);
	free(t.block);
	t.block = NULL;
	t.arn = xstrdup("arn:aws:ecs:eu-west-1:000000000000:task/c/"
	    "00000000000000000000000000000002");
	t.id = xstrdup("00000000000000000000000000000002");
	t.cluster = xstrdup("c");
	t.task_definition = xstrdup("td");
	t.instance_arn = t.service_arn = t.deployment_id = NULL;
	t.started_by = NULL;
	t.group = xstrdup("family:td");
	ck_assert_int_eq(store_task_insert(st, &t, &e), 0);
	task_row_clear(&t);

	ck_assert_int_eq(store_task_get(st, "c",
	    "00000000000000000000000000000001", &t, &e), 1);
	ck_assert_str_eq(t.arn, "arn:aws:ecs:us-east-1:000000000000:task/c/"
	    "00000000000000000000000000000001");
	task_row_clear(&t);
	ck_assert_int_eq(store_task_get(st, "c",
	    "00000000000000000000000000000002", &t, &e), 1);
	ck_assert_str_eq(t.arn, "arn:aws:ecs:eu-west-1:000000000000:task/c/"
	    "00000000000000000000000000000002");
	task_row_clear(&t);
	ck_assert_int_eq(store_task_get(st, "other",
	    "00000000000000000000000000000001", &t, &e), 0);
	ck_assert_int_eq(store_task_get(st, "c",
	    "00000000000000000000000000000003", &t, &e), 0);

	ck_assert_int_eq(store_task_cluster(st,
	    "00000000000000000000000000000001", &cluster, &e), 1);
	ck_assert_str_eq(cluster, "c");
	free(cluster);
	ck_assert_int_eq(store_task_cluster(st,
	    "00000000000000000000000000000002", &cluster, &e), 1);
	ck_assert_str_eq(cluster, "c");
	free(cluster);
	ck_assert_int_eq(store_task_cluster(st,
	    "00000000000000000000000000000003", &cluster, &e), 0);
	ck_assert_ptr_null(cluster);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

START_TEST(test_transaction_misuse)
{
	struct store	*st = open_mem();
	struct err	 e;

	err_clear(&e);
	ck_assert_int_eq(store_commit(st, &e), -1);
	ck_assert_int_eq(e.code, ERR_INTERNAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "outside a transaction"));
	ck_assert_int_eq(store_begin(st, &e), 0);
	err_clear(&e);
	ck_assert_int_eq(store_begin(st, &e), -1);
	ck_assert_int_eq(e.code, ERR_INTERNAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "nested"));
	/* The outer transaction is still open and usable. */
	ck_assert(store_in_transaction(st));
	ck_assert_int_eq(store_commit(st, &e), 0);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

START_TEST(test_meta_bump_counts_per_key)
{
	struct store	*st = open_mem();
	struct err	 e;
	int64_t		 v = 0;

	err_clear(&e);
	ck_assert_int_eq(store_meta_bump(st, "boot", &v, &e), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(store_meta_bump(st, "boot", &v, &e), 0);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(store_meta_bump(st, "other", &v, &e), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(store_meta_bump(st, "boot", &v, &e), 0);
	ck_assert_int_eq(v, 3);
	/* A rolled-back bump is undone. */
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(store_meta_bump(st, "boot", &v, &e), 0);
	ck_assert_int_eq(v, 4);
	store_rollback(st);
	ck_assert_int_eq(store_meta_bump(st, "boot", &v, &e), 0);
	ck_assert_int_eq(v, 4);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

START_TEST(test_event_append_and_count)
{
	struct store	*st = open_mem();
	struct err	 e;
	cJSON		*detail;
	int		 i;

	err_clear(&e);
	for (i = 0; i < 25; i++) {
		detail = NULL;
		if (i % 2) {
			detail = cJSON_CreateObject();
			cJSON_AddStringToObject(detail, "lastStatus",
			    "RUNNING");
		}
		/* The detail is taken: the sanitizer build finds a leak. */
		ck_assert_int_eq(store_event_append(st, 1000 + i, "aws.ecs",
		    "ECS Task State Change", "arn:aws:ecs:us-east-1:0:task/x",
		    detail, &e), 0);
	}
	ck_assert_int_eq(store_event_count(st), 25);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

/* A detail of about 1 KiB, numbered: 200 of them fill several blocks. */
static cJSON *
big_detail(int i)
{
	cJSON	*d = cJSON_CreateObject();
	char	 pad[1024];

	memset(pad, 'a' + i % 26, sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	cJSON_AddNumberToObject(d, "i", i);
	cJSON_AddStringToObject(d, "pad", pad);
	return d;
}

/* Checks that rows are the events after..after+n-1 as appended. */
static void
check_rows(const struct store_event *rows, size_t n, int64_t after)
{
	size_t	i;
	int	want;

	for (i = 0; i < n; i++) {
		want = (int)(after + (int64_t)i);	/* seq - 1 */
		ck_assert_int_eq(rows[i].seq, after + (int64_t)i + 1);
		ck_assert_int_eq(rows[i].time, 5000 + want);
		ck_assert_str_eq(rows[i].source, "aws.ecs");
		ck_assert_str_eq(rows[i].detail_type, want % 2 ?
		    "ECS Task State Change" : "ECS Service Action");
		ck_assert_str_eq(rows[i].resource, want % 3 ? "arn:x" : "");
		ck_assert_int_eq(cJSON_GetObjectItem(rows[i].detail,
		    "i")->valueint, want);
		ck_assert_int_eq((int)strlen(cJSON_GetObjectItem(
		    rows[i].detail, "pad")->valuestring), 1023);
	}
}

/* One transaction of 200 events of 1 KiB: the outbox writes them as
 * several blocks, and reads them back from anywhere, across blocks. */
START_TEST(test_event_blocks_read_back)
{
	struct store		*st = open_mem();
	struct store_event	*rows;
	struct err		 e;
	size_t			 n;
	int64_t			 after;
	int			 i;

	err_clear(&e);
	ck_assert_int_eq(store_begin(st, &e), 0);
	for (i = 0; i < 200; i++)
		ck_assert_int_eq(store_event_append(st, 5000 + i, "aws.ecs",
		    i % 2 ? "ECS Task State Change" : "ECS Service Action",
		    i % 3 ? "arn:x" : NULL, big_detail(i), &e), 0);
	ck_assert_int_eq(store_commit(st, &e), 0);
	ck_assert_int_eq(store_event_first(st), 1);
	ck_assert_int_eq(store_event_last(st), 200);
	ck_assert_int_eq(store_event_count(st), 200);
	ck_assert_int_gt(store_int_query(st,
	    "SELECT COUNT(*) FROM event_blocks", NULL), 2);
	/* All at once, then in pieces that start and end inside blocks. */
	ck_assert_int_eq(store_event_after(st, 0, 1000, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 200);
	check_rows(rows, n, 0);
	store_events_free(rows, n);
	for (after = 0; after < 200; after += 37) {
		ck_assert_int_eq(store_event_after(st, after, 37, &rows, &n,
		    &e), 0);
		ck_assert_uint_eq(n, after + 37 <= 200 ? 37 : 200 - after);
		check_rows(rows, n, after);
		store_events_free(rows, n);
	}
	ck_assert_int_eq(store_event_after(st, 200, 10, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(rows);
	/* The next transaction goes on from seq 201. */
	ck_assert_int_eq(store_event_append(st, 9000, "aws.ecs", "X", "arn:y",
	    NULL, &e), 0);
	ck_assert_int_eq(store_event_after(st, 199, 10, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(rows[1].seq, 201);
	ck_assert_str_eq(rows[1].detail_type, "X");
	ck_assert_int_eq(cJSON_GetArraySize(rows[1].detail), 0);
	store_events_free(rows, n);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

/* A block that does not decompress is an error naming the outbox, not
 * events made up or skipped. */
/* A block of events seq first.. by hand: the len bytes of records at
 * recs, compressed, in the given format. */
static void
put_block(struct store *st, int64_t first, int64_t last, const char *recs,
    int len, int format)
{
	char		 z[1024];
	int		 n = LZ4_compress_default(recs, z, len, sizeof z);
	sqlite3_stmt	*s;

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sqlite3_prepare_v2(st->db, "INSERT INTO event_blocks "
	    "(first_seq, last_seq, first_time, last_time, size, body, format) "
	    "VALUES (?1, ?2, 0, 0, ?3, ?4, ?5)", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, first);
	sqlite3_bind_int64(s, 2, last);
	sqlite3_bind_int(s, 3, len);
	sqlite3_bind_blob(s, 4, z, n, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 5, format);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
}

/* store_event_after fails, saying the outbox has a damaged block. */
static void
assert_damaged(struct store *st)
{
	struct store_event	*rows;
	struct err		 e;
	size_t			 n;

	err_clear(&e);
	ck_assert_int_eq(store_event_after(st, 0, 10, &rows, &n, &e), -1);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(rows);
	ck_assert_ptr_nonnull(strstr(e.msg, "damaged block"));
}

START_TEST(test_event_block_damaged)
{
	/* A packed detail of one byte, 'x', which is no tag; one whose
	 * length runs past the block; one with a byte left after it. */
	static const char	 bad_tag[] = "1\0aws.ecs\0X\0arn:x\0\1\0\0\0x";
	static const char	 too_long[] = "1\0aws.ecs\0X\0arn:x\0\7\0\0\0{}";
	static const char	 extra[] = "1\0aws.ecs\0X\0arn:x\0\3\0\0\0{}n";
	struct store		*st = open_mem();
	struct err		 e;

	err_clear(&e);
	ck_assert_int_eq(store_event_append(st, 1, "aws.ecs", "X", "arn:x",
	    big_detail(1), &e), 0);
	ck_assert_int_eq(sqlite3_exec(st->db, "UPDATE event_blocks SET "
	    "body = zeroblob(40)", NULL, NULL, NULL), SQLITE_OK);
	assert_damaged(st);
	ck_assert_int_eq(sqlite3_exec(st->db, "DELETE FROM event_blocks",
	    NULL, NULL, NULL), SQLITE_OK);
	put_block(st, 1, 1, bad_tag, sizeof bad_tag - 1, 1);
	assert_damaged(st);
	ck_assert_int_eq(sqlite3_exec(st->db, "DELETE FROM event_blocks",
	    NULL, NULL, NULL), SQLITE_OK);
	put_block(st, 1, 1, too_long, sizeof too_long - 1, 1);
	assert_damaged(st);
	ck_assert_int_eq(sqlite3_exec(st->db, "DELETE FROM event_blocks",
	    NULL, NULL, NULL), SQLITE_OK);
	put_block(st, 1, 1, extra, sizeof extra - 1, 1);
	assert_damaged(st);
	/* And a format no ecsim writes. */
	ck_assert_int_eq(sqlite3_exec(st->db, "UPDATE event_blocks SET "
	    "format = 3", NULL, NULL, NULL), SQLITE_OK);
	assert_damaged(st);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

/* The first two events an older ecsim wrote in the tests below, from seq
 * first: a task at RUNNING, version 2, then a clock tick. */
static void
check_old_rows(const struct store_event *rows, int64_t first)
{
	ck_assert_int_eq(rows[0].seq, first);
	ck_assert_int_eq(rows[0].time, 100);
	ck_assert_str_eq(rows[0].resource, "arn:t");
	ck_assert_str_eq(cJSON_GetObjectItem(rows[0].detail,
	    "lastStatus")->valuestring, "RUNNING");
	ck_assert_int_eq(cJSON_GetObjectItem(rows[0].detail,
	    "version")->valueint, 2);
	ck_assert_int_eq(rows[1].seq, first + 1);
	ck_assert_int_eq(rows[1].time, 200);
	ck_assert_str_eq(rows[1].source, "ecsim");
	ck_assert_str_eq(rows[1].detail_type, "ecsim Clock Tick");
	ck_assert_str_eq(rows[1].resource, "");
	ck_assert_int_eq(cJSON_GetArraySize(rows[1].detail), 0);
}

/*
 * An outbox whose first block, events 4 and 5 (the len bytes of records
 * at recs), an older ecsim wrote in format, with event 6 appended after
 * it in today's: all three read back as they were written.
 */
static struct store *
old_block_read(const char *recs, int len, int format)
{
	struct store		*st = open_mem();
	struct store_event	*rows;
	struct err		 e;
	size_t			 n;

	err_clear(&e);
	put_block(st, 4, 5, recs, len, format);
	ck_assert_int_eq(store_event_append(st, 300, "aws.ecs",
	    "ECS Service Action", "arn:s", big_detail(6), &e), 0);
	ck_assert_int_eq(store_int_query(st, "SELECT COUNT(*) FROM "
	    "event_blocks WHERE format = 2", NULL), 1);
	ck_assert_int_eq(store_event_after(st, 0, 10, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 3);
	check_old_rows(rows, 4);
	ck_assert_int_eq(rows[2].seq, 6);
	ck_assert_int_eq(cJSON_GetObjectItem(rows[2].detail, "i")->valueint,
	    6);
	store_events_free(rows, n);
	return st;
}

/*
 * Blocks written before details were packed (schema 9) hold them as JSON
 * text, format 0: they read as they did, and the events appended after
 * them, packed, follow on.
 */
START_TEST(test_event_text_blocks_read)
{
	static const char	 recs[] =
	    "100\0aws.ecs\0ECS Task State Change\0arn:t\0"
	    "{\"lastStatus\":\"RUNNING\",\"version\":2}\0"
	    "200\0ecsim\0ecsim Clock Tick\0\0{}\0";
	struct store		*st = old_block_read(recs, sizeof recs - 1, 0);
	struct store_event	*rows;
	struct err		 e;
	size_t			 n;

	/* From inside the text block. */
	err_clear(&e);
	ck_assert_int_eq(store_event_after(st, 4, 10, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(rows[0].seq, 5);
	store_events_free(rows, n);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

/*
 * Blocks of format 1 hold details packed by the format's first version,
 * with no NUL after a string: they read as they did, before the blocks
 * of format 2 written after them.
 */
START_TEST(test_event_v1_blocks_read)
{
	static const char	 recs[] =
	    "100\0aws.ecs\0ECS Task State Change\0arn:t\0"
	    "\042\0\0\0{k\012lastStatuss\007RUNNINGk\007versioni\004}"
	    "200\0ecsim\0ecsim Clock Tick\0\0\002\0\0\0{}";
	struct store		*st = old_block_read(recs, sizeof recs - 1, 1);

	/* Format 2 wants the NUL after each string. */
	ck_assert_int_eq(sqlite3_exec(st->db, "UPDATE event_blocks SET "
	    "format = 2 WHERE first_seq = 4", NULL, NULL, NULL), SQLITE_OK);
	assert_damaged(st);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

/*
 * A database of schema 8 kept an outbox row per event. Opening it with
 * this ecsim turns the rows into blocks with the same seqs, times and
 * details, so the sinks' cursors still point where they did.
 */
START_TEST(test_outbox_of_schema_8_upgraded)
{
	struct store		*st;
	struct store_event	*rows;
	struct err		 e;
	char			*path = temp_db();
	sqlite3			*db;
	size_t			 n;

	err_clear(&e);
	st = store_open(path, &e);
	ck_assert_msg(st != NULL, "%s", e.msg);
	ck_assert_int_eq(store_close(st), 0);
	/* Back to schema 8 by hand: its table, rows from seq 7 on (the
	 * first six pruned). */
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
	    "DROP TABLE event_blocks;"
	    "CREATE TABLE events (seq INTEGER PRIMARY KEY, time INTEGER NOT "
	    "NULL, source TEXT NOT NULL, detail_type TEXT NOT NULL, resource "
	    "TEXT NOT NULL, detail TEXT NOT NULL) STRICT;"
	    "INSERT INTO events VALUES (7, 100, 'aws.ecs', 'ECS Task State "
	    "Change', 'arn:t', '{\"lastStatus\":\"RUNNING\",\"version\":2}'),"
	    "(8, 200, 'ecsim', 'ecsim Clock Tick', '', '{}'),"
	    "(9, 300, 'aws.ecs', 'ECS Service Action', 'arn:s', "
	    "'{\"eventName\":\"SERVICE_STEADY_STATE\"}');"
	    "PRAGMA user_version = 8;", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);

	st = store_open(path, &e);
	ck_assert_msg(st != NULL, "%s", e.msg);
	ck_assert_int_eq(store_schema_version(st), store_schema_latest());
	ck_assert_int_eq(store_int_query(st, "SELECT COUNT(*) FROM "
	    "sqlite_schema WHERE name LIKE 'events%'", NULL), 0);
	ck_assert_int_eq(store_event_first(st), 7);
	ck_assert_int_eq(store_event_last(st), 9);
	ck_assert_int_eq(store_event_after(st, 6, 10, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 3);
	check_old_rows(rows, 7);
	ck_assert_str_eq(rows[2].detail_type, "ECS Service Action");
	store_events_free(rows, n);
	/* New events follow on. */
	ck_assert_int_eq(store_event_append(st, 400, "aws.ecs", "X", "arn:x",
	    NULL, &e), 0);
	ck_assert_int_eq(store_event_last(st), 10);
	ck_assert_int_eq(store_close(st), 0);
	remove_db(path);
	free(path);
}
END_TEST

/* What the event hook was told, in order. */
struct told {
	int64_t	seq[8];
	char	type[8][8];
	int	n;
};

static void
tell(void *arg, struct store_event *ev)
{
	struct told	*t = arg;

	ck_assert_int_lt(t->n, 8);
	t->seq[t->n] = ev->seq;
	snprintf(t->type[t->n], sizeof t->type[0], "%s", ev->detail_type);
	ck_assert_ptr_null(ev->detail);
	ck_assert_str_eq(json_packed_string(ev->packed, ev->npacked, "n"),
	    ev->detail_type);
	t->n++;
	store_event_clear(ev);
}

static int
append(struct store *st, const char *type, struct err *e)
{
	cJSON	*d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "n", type);
	return store_event_append(st, 1, "aws.ecs", type, "arn:x", d, e);
}

START_TEST(test_event_hook)
{
	struct store	*st = open_mem();
	struct told	 t;
	struct err	 e;

	memset(&t, 0, sizeof t);
	err_clear(&e);
	store_set_event_hook(st, tell, &t);
	/* Outside a transaction: told at once. */
	ck_assert_int_eq(append(st, "A", &e), 0);
	ck_assert_int_eq(t.n, 1);
	/* Inside one: told at the commit, not before. */
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(append(st, "B", &e), 0);
	ck_assert_int_eq(append(st, "C", &e), 0);
	ck_assert_int_eq(t.n, 1);
	ck_assert_int_eq(store_commit(st, &e), 0);
	ck_assert_int_eq(t.n, 3);
	/* A rollback undoes the events: never told, and their seqs are
	 * used again. */
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(append(st, "X", &e), 0);
	store_rollback(st);
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(append(st, "D", &e), 0);
	ck_assert_int_eq(store_commit(st, &e), 0);
	ck_assert_int_eq(t.n, 4);
	ck_assert_str_eq(t.type[0], "A");
	ck_assert_str_eq(t.type[1], "B");
	ck_assert_str_eq(t.type[2], "C");
	ck_assert_str_eq(t.type[3], "D");
	ck_assert_int_eq(t.seq[0], 1);
	ck_assert_int_eq(t.seq[1], 2);
	ck_assert_int_eq(t.seq[2], 3);
	ck_assert_int_eq(t.seq[3], 4);
	ck_assert_int_eq(store_event_last(st), 4);
	/* Appended and never committed: freed with the store. */
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(append(st, "Y", &e), 0);
	ck_assert_int_eq(store_close(st), 0);
	ck_assert_int_eq(t.n, 4);
}
END_TEST

START_TEST(test_reset_clears_events_keeps_schema)
{
	struct store	*st = open_mem();
	struct err	 e;
	int64_t		 v = 0;

	err_clear(&e);
	ck_assert_int_eq(store_event_append(st, 1, "aws.ecs", "A", "arn:a",
	    NULL, &e), 0);
	ck_assert_int_eq(store_event_append(st, 2, "aws.ecs", "B", "arn:b",
	    NULL, &e), 0);
	ck_assert_int_eq(store_meta_bump(st, "boot", &v, &e), 0);
	ck_assert_int_eq(store_begin(st, &e), 0);
	ck_assert_int_eq(store_reset(st, &e), 0);
	ck_assert_int_eq(store_commit(st, &e), 0);
	ck_assert_int_eq(store_event_count(st), 0);
	ck_assert_int_eq(store_schema_version(st), store_schema_latest());
	/* The meta counters (boot count) outlive a reset. */
	ck_assert_int_eq(store_meta_bump(st, "boot", &v, &e), 0);
	ck_assert_int_eq(v, 2);
	/* The outbox starts again and keeps counting. */
	ck_assert_int_eq(store_event_append(st, 3, "aws.ecs", "C", "arn:c",
	    NULL, &e), 0);
	ck_assert_int_eq(store_event_count(st), 1);
	/* Resetting an empty store is fine. */
	ck_assert_int_eq(store_reset(st, &e), 0);
	ck_assert_int_eq(store_event_count(st), 0);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

/*
 * The page cache (store/pcache.c) skips the truncation at each commit when
 * no page can be at or above the database's end, which B-tree rebalancing
 * would otherwise force after nearly every commit, and still truncates
 * when a rollback shrinks the database; what is written after reads back.
 */
static void
put_attributes(struct store *st, const char *what, int from, int n)
{
	struct err	 e;
	char		 target[96];
	int		 i;

	err_clear(&e);
	for (i = from; i < from + n; i++) {
		/* Keys in no order: index pages split in their middle, which is
		 * when SQLite swaps page numbers through a spare one. */
		snprintf(target, sizeof target, "%s-%08x-long-enough-to-fill",
		    what, (unsigned)i * 2654435761u);
		ck_assert_int_eq(store_attribute_put(st, "c", target, "color",
		    "blue", &e), 0);
	}
}

/* How many of the targets put_attributes named have their attribute. */
static int
count_attributes(struct store *st, const char *what, int from, int n)
{
	struct err	 e;
	char		 target[96];
	int64_t		 k;
	int		 i, have = 0;

	err_clear(&e);
	for (i = from; i < from + n; i++) {
		snprintf(target, sizeof target, "%s-%08x-long-enough-to-fill",
		    what, (unsigned)i * 2654435761u);
		ck_assert_int_eq(store_attribute_custom_count(st, "c", target,
		    &k, &e), 0);
		have += (int)k;
	}
	return have;
}

START_TEST(test_pcache_truncations)
{
	struct store	*st = open_mem();
	struct err	 e;
	uint64_t	 done0, skipped0, done1, skipped1, done2, skipped2;
	int		 round;

	err_clear(&e);
	store_pcache_counts(&done0, &skipped0);
	for (round = 0; round < 20; round++) {
		ck_assert_int_eq(store_begin(st, &e), 0);
		put_attributes(st, "kept", round * 200, 200);
		ck_assert_int_eq(store_commit(st, &e), 0);
	}
	store_pcache_counts(&done1, &skipped1);
	ck_assert_uint_eq(done1, done0);
	ck_assert_uint_ge(skipped1, skipped0 + 20);

	ck_assert_int_eq(store_begin(st, &e), 0);
	put_attributes(st, "undone", 0, 4000);
	store_rollback(st);
	store_pcache_counts(&done2, &skipped2);
	ck_assert_uint_gt(done2, done1);
	ck_assert_int_eq(count_attributes(st, "undone", 0, 4000), 0);

	ck_assert_int_eq(store_begin(st, &e), 0);
	put_attributes(st, "again", 0, 4000);
	ck_assert_int_eq(store_commit(st, &e), 0);
	ck_assert_int_eq(count_attributes(st, "kept", 0, 4000), 4000);
	ck_assert_int_eq(count_attributes(st, "again", 0, 4000), 4000);
	ck_assert_int_eq(count_attributes(st, "undone", 0, 4000), 0);
	ck_assert_int_eq(store_close(st), 0);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite	*s = suite_create("store");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_open_memory_applies_migrations);
	tcase_add_test(tc, test_migrations_sorted_and_named);
	tcase_add_test(tc, test_file_reopen_keeps_data);
	tcase_add_test(tc, test_newer_database_refused);
	tcase_add_test(tc, test_open_unwritable_path);
	tcase_add_test(tc, test_commit_keeps_rollback_undoes);
	tcase_add_test(tc, test_unjournaled_transactions);
	tcase_add_test(tc, test_transaction_misuse);
	tcase_add_test(tc, test_meta_bump_counts_per_key);
	tcase_add_test(tc, test_event_append_and_count);
	tcase_add_test(tc, test_event_blocks_read_back);
	tcase_add_test(tc, test_event_block_damaged);
	tcase_add_test(tc, test_event_text_blocks_read);
	tcase_add_test(tc, test_event_v1_blocks_read);
	tcase_add_test(tc, test_outbox_of_schema_8_upgraded);
	tcase_add_test(tc, test_event_hook);
	tcase_add_test(tc, test_reset_clears_events_keeps_schema);
	tcase_add_test(tc, test_pcache_truncations);
	tcase_add_test(tc, test_task_briefs_follow_writes);
	tcase_add_test(tc, test_task_by_id);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(store_suite());
}
