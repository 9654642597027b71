/* The tasks table: insert, update, look-ups for the lifecycle, the
 * reconciler and ListTasks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/*
 * TASK_BASE_COLS are every column but the JSON ones (ports and doc). A
 * brief row is those and the rowid: what the scheduler reads of each live
 * task of a service at every pass. store_task_fill reads the rest before
 * such a row is written. TASK_COLS are the columns an insert writes; a
 * whole row is read as TASK_READ_COLS.
 */
#define TASK_BASE_COLS "arn, id, cluster, task_definition, instance_arn, " \
	"service_arn, deployment_id, grp, started_by, launch_type, " \
	"last_status, desired_status, health, cpu, memory, version, " \
	"created_at, updated_at, next_at, stopped_at, stop_code, " \
	"stopped_reason, started_at"
#define TASK_COLS TASK_BASE_COLS ", ports, ports_udp, doc"
#define TASK_BRIEF_COLS TASK_BASE_COLS ", rowid"
#define TASK_READ_COLS TASK_BRIEF_COLS ", ports, ports_udp, doc"

/* The fields a block holds, in its order. */
#define BLOCK_FIELDS(t) { &(t)->arn, &(t)->id, &(t)->cluster, \
	&(t)->task_definition, &(t)->instance_arn, &(t)->service_arn, \
	&(t)->deployment_id, &(t)->group, &(t)->started_by }
#define NBLOCK	9

/*
 * Sets t's block fields to copies of the n-byte strings src (NULL stays
 * NULL), all in one allocation: reading a service's live tasks made
 * eleven allocations a row, which were most of what it cost once the
 * rows no longer came from SQLite.
 */
static void
block_fill(struct task_row *t, const char *const src[NBLOCK],
    const size_t len[NBLOCK])
{
	char	**field[] = BLOCK_FIELDS(t), *w;
	size_t	  i, total = 0;

	for (i = 0; i < NBLOCK; i++)
		total += src[i] != NULL ? len[i] + 1 : 0;
	t->nblock = total;
	w = t->block = xmalloc(total > 0 ? total : 1);
	for (i = 0; i < NBLOCK; i++) {
		if (src[i] == NULL) {
			*field[i] = NULL;
			continue;
		}
		memcpy(w, src[i], len[i]);
		w[len[i]] = '\0';
		*field[i] = w;
		w += len[i] + 1;
	}
}

void
task_row_brief_copy(struct task_row *dst, const struct task_row *src)
{
	char *const	*from[] = BLOCK_FIELDS(src);
	char		**to[] = BLOCK_FIELDS(dst);
	const char	*v[NBLOCK];
	size_t		 len[NBLOCK], i;

	*dst = *src;
	if (src->block != NULL) {
		/* The block whole, and each field at its offset in it. */
		dst->block = xmemdup(src->block, src->nblock > 0 ?
		    src->nblock : 1);
		for (i = 0; i < NBLOCK; i++)
			if (*from[i] != NULL)
				*to[i] = dst->block + (*from[i] - src->block);
	} else {
		for (i = 0; i < NBLOCK; i++) {
			v[i] = *from[i];
			len[i] = v[i] != NULL ? strlen(v[i]) : 0;
		}
		block_fill(dst, v, len);
	}
	dst->health = src->health != NULL ? xstrdup(src->health) : NULL;
	dst->stopped_reason = src->stopped_reason != NULL ?
	    xstrdup(src->stopped_reason) : NULL;
	dst->ports = dst->ports_udp = dst->doc = NULL;
	dst->doc_text = NULL;
}

/* A copy of s, or dst's own when it says the same. */
static char *
string_again(char *dst, const char *s)
{
	if (dst != NULL && s != NULL && strcmp(dst, s) == 0)
		return dst;
	free(dst);
	return s != NULL ? xstrdup(s) : NULL;
}

void
task_row_brief_update(struct task_row *dst, const struct task_row *src)
{
	struct task_row	 old = *dst;
	char		**to[] = BLOCK_FIELDS(dst);
	char *const	*from[] = BLOCK_FIELDS(&old);
	size_t		 i;

	*dst = *src;
	dst->block = old.block;
	dst->nblock = old.nblock;
	for (i = 0; i < NBLOCK; i++)
		*to[i] = *from[i];
	dst->health = string_again(old.health, src->health);
	dst->stopped_reason = string_again(old.stopped_reason,
	    src->stopped_reason);
	dst->ports = dst->ports_udp = dst->doc = NULL;
	dst->doc_text = NULL;
}

/* Frees t's block, or each of its block fields when it has none. */
static void
block_free(struct task_row *t)
{
	char	**field[] = BLOCK_FIELDS(t);
	size_t	  i;

	if (t->block != NULL)
		free(t->block);
	else
		for (i = 0; i < NBLOCK; i++)
			free(*field[i]);
}

void
task_row_clear(struct task_row *t)
{
	if (t == NULL)
		return;
	block_free(t);
	free(t->health);
	free(t->stopped_reason);
	cJSON_Delete(t->ports);
	cJSON_Delete(t->ports_udp);
	cJSON_Delete(t->doc);
	free(t->doc_text);
	memset(t, 0, sizeof *t);
}

void
task_rows_free(struct task_row *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		task_row_clear(&rows[i]);
	free(rows);
}

static int64_t
col_int(sqlite3_stmt *s, int i)
{
	return sqlite3_column_int64(s, i);
}

static void
task_stored(struct store *st, struct task_row *t)
{
	t->stored.generation = st->generation;
	t->stored.desired_stopped = t->desired_stopped;
	t->stored.stopped_at = t->stopped_at;
}

/* The columns of a brief row, in TASK_BRIEF_COLS order. */
static void
task_read_brief(struct store *st, sqlite3_stmt *s, struct task_row *t)
{
	const char	*v[NBLOCK];
	size_t		 len[NBLOCK], i;
	int		 k;

	memset(t, 0, sizeof *t);
	for (i = 0; i < NBLOCK; i++) {
		v[i] = col_text(s, (int)i);
		len[i] = (size_t)sqlite3_column_bytes(s, (int)i);
	}
	block_fill(t, v, len);
	k = model_launch_type_parse(col_text(s, 9));
	t->launch_type = k < 0 ? LAUNCH_EC2 : (enum launch_type)k;
	k = model_task_status_parse(col_text(s, 10));
	t->last_status = k < 0 ? TASK_STOPPED : (enum task_status)k;
	t->desired_stopped = strcmp(col_text(s, 11), "STOPPED") == 0;
	t->health = col_dup(s, 12);
	t->cpu = col_int(s, 13);
	t->memory = col_int(s, 14);
	t->version = col_int(s, 15);
	t->created_at = col_int(s, 16);
	t->updated_at = col_int(s, 17);
	t->next_at = col_int(s, 18);
	t->stopped_at = col_int(s, 19);
	k = model_stop_code_parse(col_text(s, 20));
	t->stop_code = k < 0 ? STOP_NONE : (enum task_stop_code)k;
	t->stopped_reason = col_dup(s, 21);
	t->started_at = col_int(s, 22);
	t->stored.rowid = col_int(s, 23);
	task_stored(st, t);
}

/* A whole row, in TASK_READ_COLS order; with lazy, its doc as text. */
static void
task_read(struct store *st, sqlite3_stmt *s, struct task_row *t, int lazy)
{
	task_read_brief(st, s, t);
	t->ports = col_json(s, 24);
	t->ports_udp = col_json(s, 25);
	if (lazy)
		t->doc_text = col_dup(s, 26);
	else
		t->doc = col_json(s, 26);
}

void
store_task_doc(struct task_row *t)
{
	if (t->doc != NULL || t->doc_text == NULL)
		return;
	t->doc = stored_json(t->doc_text, strlen(t->doc_text));
	free(t->doc_text);
	t->doc_text = NULL;
}

/* startedAt from the doc's times, which the engine keeps. */
static int64_t
doc_started_at(const cJSON *doc)
{
	const cJSON	*j = json_member(json_member(doc, "times"),
			    "startedAt");

	return cJSON_IsNumber(j) ? (int64_t)j->valuedouble : 0;
}

/* Binds what a step may change: the columns every update sets (11, 13,
 * 16, 18, 19, 21 to 26) and the two it sets only when they change (12,
 * desiredStatus, and 20, stopped_at). */
static void
task_bind_state(sqlite3_stmt *s, const struct task_row *t)
{
	bind_text(s, 11, model_task_status_name(t->last_status));
	bind_text(s, 12, t->desired_stopped ? "STOPPED" : "RUNNING");
	bind_text(s, 13, t->health ? t->health : "UNKNOWN");
	bind_int(s, 16, t->version);
	bind_int(s, 18, t->updated_at);
	if (t->next_at > 0)
		bind_int(s, 19, t->next_at);
	else
		sqlite3_bind_null(s, 19);
	if (t->stopped_at > 0)
		bind_int(s, 20, t->stopped_at);
	else
		sqlite3_bind_null(s, 20);
	bind_text(s, 21, t->stop_code == STOP_NONE ? NULL :
	    model_stop_code_name(t->stop_code));
	bind_text(s, 22, t->stopped_reason);
	if (t->started_at > 0)
		bind_int(s, 23, t->started_at);
	else
		sqlite3_bind_null(s, 23);
	if (t->ports != NULL)
		bind_json(s, 24, t->ports);
	else
		bind_text(s, 24, "[]");
	if (t->ports_udp != NULL)
		bind_json(s, 25, t->ports_udp);
	else
		bind_text(s, 25, "[]");
	bind_json(s, 26, t->doc);
}

/* Binds the 26 columns in TASK_COLS order. */
static void
task_bind(sqlite3_stmt *s, const struct task_row *t)
{
	bind_text(s, 1, t->arn);
	bind_text(s, 2, t->id);
	bind_text(s, 3, t->cluster);
	bind_text(s, 4, t->task_definition);
	bind_text(s, 5, t->instance_arn);
	bind_text(s, 6, t->service_arn);
	bind_text(s, 7, t->deployment_id);
	bind_text(s, 8, t->group);
	bind_text(s, 9, t->started_by);
	bind_text(s, 10, model_launch_type_name(t->launch_type));
	bind_int(s, 14, t->cpu);
	bind_int(s, 15, t->memory);
	bind_int(s, 17, t->created_at);
	task_bind_state(s, t);
}

/*
 * Checks what every write needs and takes startedAt from the doc. A
 * brief row has no doc: written as it is, it would lose it.
 */
static int
task_writable(struct task_row *t, struct err *e)
{
	if (t->doc == NULL)
		return err_set(e, ERR_INTERNAL, "task %s was read without its "
		    "document and not filled before a write", t->arn);
	if (t->last_status == TASK_STOPPED && t->stopped_at == 0)
		return err_set(e, ERR_INTERNAL, "task %s is STOPPED with no "
		    "stoppedAt", t->arn);
	t->started_at = doc_started_at(t->doc);
	return 0;
}

static const char SQL_TASK_INSERT[] =
    "INSERT INTO tasks (" TASK_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
    "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
    "?22, ?23, ?24, ?25, ?26)";

void
store_set_task_hook(struct store *st,
    void (*fn)(void *, const struct task_row *), void *arg)
{
	st->task_hook = fn;
	st->task_hook_arg = arg;
}

static void
task_told(struct store *st, const struct task_row *t)
{
	if (st->task_hook != NULL && t->instance_arn != NULL)
		st->task_hook(st->task_hook_arg, t);
}

int
store_task_insert(struct store *st, struct task_row *t, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TASK_INSERT);

	if (task_writable(t, e) != 0)
		return -1;
	task_told(st, t);
	task_bind(s, t);
	if (store_exec_stmt(st, s, e) != 0)
		return -1;
	t->stored.rowid = sqlite3_last_insert_rowid(st->db);
	task_stored(st, t);
	briefs_written(st, t);
	return 0;
}

/*
 * Most steps change a task's status, times and doc and nothing an index
 * names but next_at. SQLite updates an index whenever the statement sets
 * a column the index names, in its key or its WHERE, changed or not; so
 * an update sets desiredStatus (tasks_cluster) and stopped_at (the live,
 * stopped and unaccounted indexes) only when they change: asking a task
 * to stop sets the one, its stopping the other. [k]: k's bit 0 says
 * desiredStatus changes, bit 1 stopped_at. The row is found by its rowid,
 * with no walk down the ARN's index (some 60,000 keys of 90 bytes at the
 * benchmark's size), unless the row was read before a rollback: then by
 * its ARN, every column written.
 */
#define TASK_UPDATE_SET "last_status = ?11, health = ?13, version = ?16, " \
	"updated_at = ?18, next_at = ?19, stop_code = ?21, " \
	"stopped_reason = ?22, started_at = ?23, ports = ?24, " \
	"ports_udp = ?25, doc = ?26"
static const char SQL_TASK_UPDATE[] =
    "UPDATE tasks SET " TASK_UPDATE_SET " WHERE rowid = ?27";
static const char SQL_TASK_UPDATE_DESIRED[] =
    "UPDATE tasks SET " TASK_UPDATE_SET ", desired_status = ?12 "
    "WHERE rowid = ?27";
static const char SQL_TASK_UPDATE_STOPPED[] =
    "UPDATE tasks SET " TASK_UPDATE_SET ", stopped_at = ?20 "
    "WHERE rowid = ?27";
static const char SQL_TASK_UPDATE_BOTH[] =
    "UPDATE tasks SET " TASK_UPDATE_SET ", desired_status = ?12, "
    "stopped_at = ?20 WHERE arn = ?1 RETURNING rowid";
static const char *const task_updates[] = { SQL_TASK_UPDATE,
	SQL_TASK_UPDATE_DESIRED, SQL_TASK_UPDATE_STOPPED, SQL_TASK_UPDATE_BOTH };

int
store_task_update(struct store *st, struct task_row *t, struct err *e)
{
	sqlite3_stmt	*s;
	int		 k, rc;

	if (task_writable(t, e) != 0)
		return -1;
	/* After a rollback, or for a row made by hand: both. */
	if (t->stored.generation != st->generation)
		k = 3;
	else
		k = (t->stored.desired_stopped != t->desired_stopped) |
		    (t->stored.stopped_at != t->stopped_at) << 1;
	s = store_stmt(st, task_updates[k]);
	task_told(st, t);
	if (k == 3)
		bind_text(s, 1, t->arn);
	else
		bind_int(s, 27, t->stored.rowid);
	task_bind_state(s, t);
	if (k == 3) {
		/* The rowid, for the updates after. No row: the task's
		 * insert was undone, and nothing was written. */
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			t->stored.rowid = sqlite3_column_int64(s, 0);
			rc = sqlite3_step(s);
		} else
			t->stored.rowid = 0;
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return store_fail(st, e, "updating a task");
		if (t->stored.rowid == 0)
			return 0;
	} else if (store_exec_stmt(st, s, e) != 0)
		return -1;
	task_stored(st, t);
	briefs_written(st, t);
	return 0;
}

/*
 * A task by its ARN, or by its ID within a cluster: one statement each,
 * as an OR of the two would probe two indexes for every look-up. There is
 * no index on the ID (schema 0012): the ARN is made from the cluster's
 * (prefix, "task/", name, "/", ID, as the engine makes both), and only a
 * task that is not there has the table read for its ID.
 */
static const char SQL_TASK_BY_ARN[] =
    "SELECT " TASK_READ_COLS " FROM tasks WHERE arn = ?1";
static const char SQL_TASK_BY_ID[] =
    "SELECT " TASK_READ_COLS " FROM tasks WHERE arn = (SELECT "
    TASK_ARN_OF_ID("c", "?1") " FROM clusters c WHERE c.name = ?2)";
static const char SQL_TASK_BY_ID_SCAN[] =
    "SELECT " TASK_READ_COLS " FROM tasks WHERE cluster = ?2 AND id = ?1";

static int
task_get(struct store *st, const char *sql, const char *cluster,
    const char *ref, struct task_row *out, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, sql);
	int		 rc, ret;

	bind_text(s, 1, ref);
	if (sql != SQL_TASK_BY_ARN)
		bind_text(s, 2, cluster);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		task_read(st, s, out, 0);
		ret = 1;
	} else if (rc == SQLITE_DONE)
		ret = 0;
	else
		ret = store_fail(st, e, "reading a task");
	sqlite3_reset(s);
	return ret;
}

int
store_task_get(struct store *st, const char *cluster, const char *ref,
    struct task_row *out, struct err *e)
{
	int	found;

	if (str_has_prefix(ref, "arn:"))
		return task_get(st, SQL_TASK_BY_ARN, cluster, ref, out, e);
	if ((found = task_get(st, SQL_TASK_BY_ID, cluster, ref, out, e)) != 0)
		return found;
	return task_get(st, SQL_TASK_BY_ID_SCAN, cluster, ref, out, e);
}

/* How task_read_all reads each row. */
enum task_read_as { READ_WHOLE, READ_BRIEF, READ_LAZY };

/* Reads all rows of a bound statement into a new array. */
static int
task_read_all(struct store *st, sqlite3_stmt *s, enum task_read_as as,
    struct task_row **rows, size_t *n, struct err *e)
{
	struct task_row	*r;
	int		 rc;

	/* Rows gather in the store's scratch array, which stays, and leave
	 * in one array of their size: growing each list by doubling was
	 * most of what reading a service's tasks cost the allocator. */
	*rows = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		st->scratch = xgrow(st->scratch, *n, &st->capscratch,
		    sizeof *st->scratch);
		r = &st->scratch[(*n)++];
		if (as == READ_BRIEF)
			task_read_brief(st, s, r);
		else
			task_read(st, s, r, as == READ_LAZY);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		while (*n > 0)
			task_row_clear(&st->scratch[--(*n)]);
		return store_fail(st, e, "listing tasks");
	}
	if (*n > 0) {
		*rows = xmalloc(*n * sizeof **rows);
		memcpy(*rows, st->scratch, *n * sizeof **rows);
	}
	return 0;
}

static const char SQL_TASK_DUE[] =
    "SELECT " TASK_READ_COLS " FROM tasks WHERE next_at IS NOT NULL AND "
    "next_at <= ?1 ORDER BY next_at, rowid LIMIT ?2";

int
store_task_due(struct store *st, int64_t now, size_t max,
    struct task_row **rows, size_t *n, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TASK_DUE);

	bind_int(s, 1, now);
	bind_int(s, 2, (int64_t)max);
	return task_read_all(st, s, READ_LAZY, rows, n, e);
}

static const char SQL_TASK_NEXT_DUE[] =
    "SELECT MIN(next_at) FROM tasks WHERE next_at IS NOT NULL";

int64_t
store_task_next_due(struct store *st)
{
	return store_int_query(st, SQL_TASK_NEXT_DUE, NULL);
}

static const char SQL_TASK_OF_SERVICE[] =
    "SELECT " TASK_READ_COLS " FROM tasks WHERE service_arn = ?1 AND "
    "stopped_at IS NULL ORDER BY created_at, arn";
static const char SQL_TASK_BRIEF_OF_SERVICE[] =
    "SELECT " TASK_BRIEF_COLS " FROM tasks WHERE service_arn = ?1 AND "
    "stopped_at IS NULL ORDER BY created_at, arn";

static int
of_service(struct store *st, const char *service_arn, int brief,
    struct task_row **rows, size_t *n, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, brief ? SQL_TASK_BRIEF_OF_SERVICE :
			    SQL_TASK_OF_SERVICE);

	bind_text(s, 1, service_arn);
	return task_read_all(st, s, brief ? READ_BRIEF : READ_WHOLE, rows, n,
	    e);
}

int
store_task_of_service(struct store *st, const char *service_arn,
    struct task_row **rows, size_t *n, struct err *e)
{
	return of_service(st, service_arn, 0, rows, n, e);
}

#ifdef ECSIM_CHECK_VIEWS
static int
str_same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* Two brief rows say the same. */
static int
task_rows_same(const struct task_row *a, const struct task_row *b)
{
	return str_same(a->arn, b->arn) && str_same(a->id, b->id) &&
	    str_same(a->cluster, b->cluster) &&
	    str_same(a->task_definition, b->task_definition) &&
	    str_same(a->instance_arn, b->instance_arn) &&
	    str_same(a->service_arn, b->service_arn) &&
	    str_same(a->deployment_id, b->deployment_id) &&
	    str_same(a->group, b->group) &&
	    str_same(a->started_by, b->started_by) &&
	    a->launch_type == b->launch_type &&
	    a->last_status == b->last_status &&
	    a->desired_stopped == b->desired_stopped &&
	    str_same(a->health, b->health) && a->cpu == b->cpu &&
	    a->memory == b->memory && a->version == b->version &&
	    a->created_at == b->created_at && a->updated_at == b->updated_at &&
	    a->next_at == b->next_at && a->stopped_at == b->stopped_at &&
	    a->stop_code == b->stop_code &&
	    str_same(a->stopped_reason, b->stopped_reason) &&
	    a->started_at == b->started_at &&
	    a->stored.generation == b->stored.generation &&
	    a->stored.desired_stopped == b->stored.desired_stopped &&
	    a->stored.stopped_at == b->stored.stopped_at &&
	    a->stored.rowid == b->stored.rowid;
}

/* The sanitizer build: a kept set is what the database says. */
static int
briefs_check(struct store *st, const char *service_arn,
    const struct task_row *kept, size_t nkept, struct err *e)
{
	struct task_row	*rows;
	size_t		 n, i;
	int		 same;

	if (of_service(st, service_arn, 1, &rows, &n, e) != 0)
		return -1;
	same = n == nkept;
	for (i = 0; same && i < n; i++)
		same = task_rows_same(&rows[i], &kept[i]);
	task_rows_free(rows, n);
	return same ? 0 : err_set(e, ERR_INTERNAL, "the live tasks kept of "
	    "%s differ from the store's", service_arn);
}
#endif

int
store_task_brief_of_service(struct store *st, const char *service_arn,
    struct task_row **rows, size_t *n, struct err *e)
{
	if (briefs_lookup(st, service_arn, rows, n)) {
#ifdef ECSIM_CHECK_VIEWS
		if (briefs_check(st, service_arn, *rows, *n, e) != 0) {
			task_rows_free(*rows, *n);
			*rows = NULL;
			*n = 0;
			return -1;
		}
#endif
		return 0;
	}
	if (of_service(st, service_arn, 1, rows, n, e) != 0)
		return -1;
	briefs_keep(st, service_arn, *rows, *n);
	return 0;
}

/* By rowid when the row was read in this generation, as an update finds
 * it; else by ARN. */
static const char SQL_TASK_FILL[] =
    "SELECT ports, ports_udp, doc FROM tasks WHERE arn = ?1";
static const char SQL_TASK_FILL_ROWID[] =
    "SELECT ports, ports_udp, doc FROM tasks WHERE rowid = ?1";

int
store_task_fill(struct store *st, struct task_row *t, struct err *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (t->doc != NULL)
		return 0;
	if (t->stored.generation == st->generation && t->stored.rowid != 0) {
		s = store_stmt(st, SQL_TASK_FILL_ROWID);
		bind_int(s, 1, t->stored.rowid);
	} else {
		s = store_stmt(st, SQL_TASK_FILL);
		bind_text(s, 1, t->arn);
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		t->ports = col_json(s, 0);
		t->ports_udp = col_json(s, 1);
		t->doc = col_json(s, 2);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return err_set(e, ERR_INTERNAL, "task %s is gone", t->arn);
	return rc == SQLITE_ROW ? 0 : store_fail(st, e, "reading a task");
}

static const char SQL_TASK_ON_INSTANCE[] =
    "SELECT " TASK_READ_COLS " FROM tasks WHERE instance_arn = ?1 AND "
    "stopped_at IS NULL ORDER BY created_at, arn";

int
store_task_on_instance(struct store *st, const char *instance_arn,
    struct task_row **rows, size_t *n, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TASK_ON_INSTANCE);

	bind_text(s, 1, instance_arn);
	return task_read_all(st, s, READ_WHOLE, rows, n, e);
}

void
task_load_clear(struct task_load *ld)
{
	free(ld->arn);
	free(ld->instance_arn);
	free(ld->group);
	cJSON_Delete(ld->ports);
	cJSON_Delete(ld->ports_udp);
	memset(ld, 0, sizeof *ld);
}

void
task_loads_free(struct task_load *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		task_load_clear(&rows[i]);
	free(rows);
}

/* Not IN (...): SQLite builds a table for the list at every execution. */
#define TASK_LOAD_COLS "instance_arn, grp, cpu, memory, ports, ports_udp, " \
	"desired_status, arn, (last_status = 'PROVISIONING' OR " \
	"last_status = 'PENDING' OR last_status = 'ACTIVATING')"
static const char SQL_TASK_LOADS[] =
    "SELECT " TASK_LOAD_COLS " FROM tasks WHERE cluster = ?1 AND "
    "instance_arn IS NOT NULL AND stopped_at IS NULL ORDER BY "
    "instance_arn, created_at, arn";
static const char SQL_TASK_LOAD[] =
    "SELECT " TASK_LOAD_COLS " FROM tasks WHERE arn = ?1";

/* A row in TASK_LOAD_COLS order. */
static void
task_load_read(sqlite3_stmt *s, struct task_load *t)
{
	t->instance_arn = col_dup(s, 0);
	t->group = col_dup(s, 1);
	t->cpu = col_int(s, 2);
	t->memory = col_int(s, 3);
	t->ports = col_json(s, 4);
	t->ports_udp = col_json(s, 5);
	t->desired_stopped = strcmp(col_text(s, 6), "STOPPED") == 0;
	t->arn = col_dup(s, 7);
	t->pending = sqlite3_column_int(s, 8);
}

static int
task_loads_read(struct store *st, sqlite3_stmt *s, struct task_load **rows,
    size_t *n, struct err *e)
{
	size_t	cap = 0;
	int	rc;

	*rows = NULL;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*rows = xgrow(*rows, *n, &cap, sizeof **rows);
		task_load_read(s, &(*rows)[(*n)++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		task_loads_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return store_fail(st, e, "listing the tasks on instances");
	}
	return 0;
}

int
store_task_loads(struct store *st, const char *cluster,
    struct task_load **rows, size_t *n, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TASK_LOADS);

	bind_text(s, 1, cluster);
	return task_loads_read(st, s, rows, n, e);
}

int
store_task_load(struct store *st, const char *arn, struct task_load *out,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_TASK_LOAD);
	int		 rc;

	memset(out, 0, sizeof *out);
	bind_text(s, 1, arn);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		task_load_read(s, out);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	return store_fail(st, e, "reading a task");
}

int
store_task_events(struct store *st, const char *arn, cJSON **out,
    struct err *e)
{
	struct store_event	*rows;
	size_t			 i, n;
	int64_t			 after = 0;

	*out = cJSON_CreateArray();
	do {
		if (store_event_after(st, after, 1024, &rows, &n, e) != 0) {
			cJSON_Delete(*out);
			*out = NULL;
			return -1;
		}
		for (i = 0; i < n; i++) {
			after = rows[i].seq;
			if (strcmp(rows[i].resource, arn) != 0 ||
			    strcmp(rows[i].detail_type, "ECS Task State Change"))
				continue;
			cJSON_AddItemToArray(*out, rows[i].detail);
			rows[i].detail = NULL;
		}
		store_events_free(rows, n);
	} while (n > 0);
	return 0;
}

static const char SQL_TASK_PURGE_TAGS[] =
    "DELETE FROM tags WHERE resource_arn IN (SELECT arn FROM tasks WHERE "
    "stopped_at IS NOT NULL AND stopped_at <= ?1)";
static const char SQL_TASK_PURGE_CLOCKS[] =
    "DELETE FROM clocks WHERE resource IN (SELECT arn FROM tasks WHERE "
    "stopped_at IS NOT NULL AND stopped_at <= ?1)";
static const char SQL_TASK_PURGE[] =
    "DELETE FROM tasks WHERE stopped_at IS NOT NULL AND stopped_at <= ?1";

int
store_task_purge(struct store *st, int64_t before, struct err *e)
{
	static const char *const sql[] = { SQL_TASK_PURGE_TAGS,
	    SQL_TASK_PURGE_CLOCKS, SQL_TASK_PURGE };

	return store_purge_rows(st, sql, sizeof sql / sizeof sql[0], before, e);
}

static const char SQL_TASK_OLDEST_STOPPED[] =
    "SELECT MIN(stopped_at) FROM tasks WHERE stopped_at IS NOT NULL";

int64_t
store_task_oldest_stopped(struct store *st)
{
	return store_int_query(st, SQL_TASK_OLDEST_STOPPED, NULL);
}

/*
 * ListTasks: every filter is optional (NULL binds NULL, which matches
 * everything). Families match the task definition ARN's family part; a
 * family name has no GLOB metacharacters (the API checks). Tasks wanted
 * RUNNING are all live (a task is asked to stop before it stops: the
 * desired-status invariant), so that listing reads tasks_live_cluster;
 * the STOPPED one reads the table.
 */
#define TASK_LIST_WHERE "cluster = ?1 " \
	"AND (?2 IS NULL OR instance_arn = ?2) " \
	"AND (?3 IS NULL OR task_definition GLOB '*:task-definition/' || ?3 " \
	"|| ':[0-9]*') " \
	"AND (?4 IS NULL OR started_by = ?4) " \
	"AND (?5 IS NULL OR service_arn = ?5) " \
	"AND (?6 IS NULL OR launch_type = ?6) "
static const char SQL_TASK_LIST_RUNNING[] =
    "SELECT arn FROM tasks WHERE " TASK_LIST_WHERE "AND stopped_at IS NULL "
    "AND desired_status = 'RUNNING' ORDER BY created_at, arn";
static const char SQL_TASK_LIST_STOPPED[] =
    "SELECT arn FROM tasks WHERE " TASK_LIST_WHERE
    "AND desired_status = 'STOPPED' ORDER BY created_at, arn";

/*
 * The last listing in full, for the pages after its first. Every page of
 * a listing reads and sorts every match (the order is not an index's), so
 * a client paging through n tasks cost O(n) a page; now the first page
 * keeps the sorted ARNs and a later page of the same listing is a slice
 * of them, as long as nothing in the database changed since (the
 * connection's count of rows changed says so): the same pages as reading
 * again, in O(n) for the whole walk. Each store keeps its own
 * (struct task_listing), freed when it closes.
 */

void
task_listing_clear(struct task_listing *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->arns[i]);
	l->n = 0;
	free(l->filter);
	l->filter = NULL;
	l->valid = 0;
}

static char *
filter_key(const struct task_filter *f)
{
	const char	*v[] = { f->cluster, f->instance_arn, f->family,
			    f->started_by, f->service_arn, f->launch_type };
	char		*key = xstrdup(f->stopped ? "S" : "R"), *next;
	size_t		 i;

	/* A NUL-free separator, and a NULL that no value spells. */
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		next = v[i] ? xprintf("%s\x1f=%s", key, v[i]) :
		    xprintf("%s\x1f-", key);
		free(key);
		key = next;
	}
	return key;
}

static int
listing_read(struct store *st, const struct task_filter *f, char *key,
    struct err *e)
{
	struct task_listing	*l = &st->listing;
	sqlite3_stmt		*s = store_stmt(st, f->stopped ?
				    SQL_TASK_LIST_STOPPED : SQL_TASK_LIST_RUNNING);
	int			 rc;

	task_listing_clear(l);
	l->filter = key;
	bind_text(s, 1, f->cluster);
	bind_text(s, 2, f->instance_arn);
	bind_text(s, 3, f->family);
	bind_text(s, 4, f->started_by);
	bind_text(s, 5, f->service_arn);
	bind_text(s, 6, f->launch_type);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		l->arns = xgrow(l->arns, l->n, &l->cap, sizeof *l->arns);
		l->arns[l->n++] = col_dup(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, e, "listing tasks");
	l->valid = 1;
	l->changes = sqlite3_total_changes64(st->db);
	return 0;
}

int
store_task_list(struct store *st, const struct task_filter *f, int64_t offset,
    int64_t limit, cJSON **arns, int64_t *total, struct err *e)
{
	struct task_listing	*l = &st->listing;
	char			*key = filter_key(f);
	int64_t			 i;

	*arns = NULL;
	if (offset > 0 && l->valid && l->changes ==
	    sqlite3_total_changes64(st->db) && strcmp(l->filter, key) == 0)
		free(key);
	else if (listing_read(st, f, key, e) != 0)
		return -1;
	*arns = cJSON_CreateArray();
	for (i = offset; i < offset + limit && i < (int64_t)l->n; i++)
		cJSON_AddItemToArray(*arns, cJSON_CreateString(l->arns[i]));
	*total = (int64_t)l->n;
	return 0;
}
