/* Opening, migrating and closing the database; transactions; the statement
 * cache; the meta table and the event outbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

int
store_schema_latest(void)
{
	int	n = 0;

	while (store_migrations[n].name != NULL)
		n++;
	return n;
}

/* Prepared once, like every statement: preparing BEGIN and COMMIT again
 * for each of the engine's many small transactions cost a tenth of a
 * scenario's run. */
static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_DATA_VERSION[] = "PRAGMA data_version";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_JOURNAL_ON[] = "PRAGMA journal_mode = MEMORY";
static const char SQL_JOURNAL_OFF[] = "PRAGMA journal_mode = OFF";

static int
exec_sql(struct store *st, const char *sql, struct err *e)
{
	char	*msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, ERR_INTERNAL, "database: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/*
 * ECSIM_SQL_PROFILE=1 in the environment: the time each statement took,
 * summed by its SQL, printed to stderr when the store closes, longest
 * first. For finding what a benchmark spends in SQLite; it costs a call
 * per statement run, so it is off otherwise.
 */
struct sql_profile {
	struct sql_cost {
		char		*text;
		uint64_t	 ns, runs;
	}		*cost;
	size_t		 n, cap;
};

static int
profile_trace(unsigned type, void *arg, void *p, void *x)
{
	struct sql_profile	*pr = arg;
	const char		*sql = sqlite3_sql(p);
	size_t			 i;

	if (type != SQLITE_TRACE_PROFILE || sql == NULL)
		return 0;
	for (i = 0; i < pr->n; i++)
		if (strcmp(pr->cost[i].text, sql) == 0)
			break;
	if (i == pr->n) {
		if (pr->n == pr->cap)
			pr->cost = xrealloc(pr->cost, (pr->cap = pr->cap ?
			    pr->cap * 2 : 64) * sizeof *pr->cost);
		pr->cost[pr->n].text = xstrdup(sql);
		pr->cost[pr->n].ns = pr->cost[pr->n].runs = 0;
		pr->n++;
	}
	pr->cost[i].ns += *(sqlite3_int64 *)x;
	pr->cost[i].runs++;
	return 0;
}

static int
profile_order(const void *a, const void *b)
{
	const struct sql_cost	*x = a, *y = b;

	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

static void
profile_print(struct sql_profile *pr)
{
	size_t	i;

	qsort(pr->cost, pr->n, sizeof *pr->cost, profile_order);
	fprintf(stderr, "%10s %10s %8s  statement\n", "ms", "runs", "us/run");
	for (i = 0; i < pr->n; i++) {
		fprintf(stderr, "%10.1f %10llu %8.2f  %.160s\n",
		    pr->cost[i].ns / 1e6, (unsigned long long)pr->cost[i].runs,
		    pr->cost[i].ns / 1e3 / (double)pr->cost[i].runs,
		    pr->cost[i].text);
		free(pr->cost[i].text);
	}
	free(pr->cost);
	free(pr);
}

int
store_schema_version(struct store *st)
{
	sqlite3_stmt	*s;
	int		 v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * Apply every migration above PRAGMA user_version, each in its own
 * BEGIN IMMEDIATE ... COMMIT together with the version bump, so a crash
 * leaves the database at a whole version.
 */
static int
store_migrate(struct store *st, const char *path, struct err *e)
{
	int	 have = store_schema_version(st), want = store_schema_latest();
	char	 bump[64];

	if (have < 0)
		return store_fail(st, e, "reading the schema version");
	if (have > want)
		return err_set(e, ERR_CLIENT, "database %s has schema version %d "
		    "but this ecsim knows only up to %d: it was written by a "
		    "newer ecsim; use that version or another --db", path, have,
		    want);
	for (; have < want; have++) {
		if (exec_sql(st, "BEGIN IMMEDIATE", e) != 0)
			return -1;
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d", have + 1);
		if (exec_sql(st, (const char *)store_migrations[have].sql, e) != 0 ||
		    exec_sql(st, bump, e) != 0) {
			exec_sql(st, "ROLLBACK", NULL);
			return err_set(e, ERR_INTERNAL, "migration %s failed: %s",
			    store_migrations[have].name, e ? e->msg : "");
		}
		if (exec_sql(st, "COMMIT", e) != 0)
			return -1;
	}
	return 0;
}

/*
 * ecsim has one thread, so SQLite needs none of its mutexes, and nothing
 * reads its memory statistics, which it would otherwise keep under a
 * mutex at every allocation: together about a twentieth of a replay.
 * This must come before SQLite initializes, which the first open does;
 * a library already initialized (or built otherwise) keeps its settings.
 */
static void
sqlite_configure(void)
{
	static int	done;

	if (done++)
		return;
	(void)sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	store_pcache_install();
}

struct store *
store_open(const char *path, struct err *e)
{
	struct store	*st = xcalloc(1, sizeof *st);
	int		 rc;

	sqlite_configure();

	/* A task row made by hand has stored.generation 0: written in full. */
	st->generation = 1;
	briefs_init(&st->briefs);
	kept_instances_init(&st->kept_instances);

	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err_set(e, ERR_CLIENT, "cannot open database %s: %s", path,
		    st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (getenv("ECSIM_SQL_PROFILE") != NULL) {
		st->profile = xcalloc(1, sizeof *st->profile);
		sqlite3_trace_v2(st->db, SQLITE_TRACE_PROFILE, profile_trace,
		    st->profile);
	}
	/* Debian builds SQLite to overwrite what it deletes with zeros:
	 * work for nothing here, where pruning the outbox deletes a few
	 * megabytes at a time. */
	if (exec_sql(st, "PRAGMA foreign_keys = ON", e) != 0 ||
	    exec_sql(st, "PRAGMA secure_delete = OFF", e) != 0)
		goto fail;
	st->memory = strcmp(path, ":memory:") == 0;
	if (!st->memory &&
	    (exec_sql(st, "PRAGMA journal_mode = WAL", e) != 0 ||
	    exec_sql(st, "PRAGMA synchronous = NORMAL", e) != 0))
		goto fail;
	if (store_migrate(st, path, e) != 0 || outbox_upgrade(st, e) != 0)
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
}

int
store_close(struct store *st)
{
	size_t	i;
	int	rc;

	if (st == NULL)
		return 0;
	for (i = 0; i < st->nstmts; i++)
		sqlite3_finalize(st->stmts[i].stmt);
	free(st->stmts);
	store_events_free(st->told, st->ntold);
	free(st->pend.buf);
	free(st->packing.buf);
	free(st->zbuf);
	free(st->lz);
	free(st->scratch);
	task_listing_clear(&st->listing);
	free(st->listing.arns);
	briefs_free(&st->briefs);
	kept_instances_free(&st->kept_instances);
	cJSON_Delete(st->behaviours);
	rc = sqlite3_close(st->db);
	if (rc != SQLITE_OK)
		log_warn("closing the database: %s (a statement leaked)",
		    sqlite3_errstr(rc));
	if (st->profile != NULL)
		profile_print(st->profile);
	free(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/*
 * Statements are cached by the address of their SQL literal. The cache is
 * small (one entry per distinct query in the code) and scanned linearly,
 * with the most recently used moved one step forward.
 */
sqlite3_stmt *
store_stmt(struct store *st, const char *sql)
{
	struct stmt_slot	 tmp;
	sqlite3_stmt		*s;
	size_t			 i;

	for (i = 0; i < st->nstmts; i++) {
		if (st->stmts[i].sql != sql)
			continue;
		s = st->stmts[i].stmt;
		if (i > 0) {
			tmp = st->stmts[i - 1];
			st->stmts[i - 1] = st->stmts[i];
			st->stmts[i] = tmp;
		}
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
	    NULL) != SQLITE_OK) {
		/* A bad literal is a bug in ecsim, never a user error. */
		fprintf(stderr, "ecsim: bad SQL: %s\n%s\n", sqlite3_errmsg(st->db),
		    sql);
		abort();
	}
	st->stmts = xgrow(st->stmts, st->nstmts, &st->capstmts,
	    sizeof *st->stmts);
	st->stmts[st->nstmts].sql = sql;
	st->stmts[st->nstmts].stmt = s;
	st->nstmts++;
	return s;
}

void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

void
bind_int(sqlite3_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(s, i, v);
}

void
bind_json(sqlite3_stmt *s, int i, const cJSON *v)
{
	/* Every task write is printed here: into one buffer that grows
	 * to the largest document and stays. SQLite copies it
	 * (SQLITE_TRANSIENT), so the next bind may reuse it at once. One
	 * thread prints, as everything in ecsim runs on one loop. */
	static struct json_out	out;

	if (v == NULL) {
		sqlite3_bind_text(s, i, "{}", -1, SQLITE_STATIC);
		return;
	}
	out.len = 0;
	json_write(&out, v);
	sqlite3_bind_text(s, i, out.buf, (int)out.len, SQLITE_TRANSIENT);
}

int
store_fail(struct store *st, struct err *e, const char *what)
{
	return err_set(e, ERR_INTERNAL, "database error while %s: %s", what,
	    sqlite3_errmsg(st->db));
}

int
store_exec_stmt(struct store *st, sqlite3_stmt *s, struct err *e)
{
	int	rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		err_set(e, ERR_INTERNAL, "database: %s", sqlite3_errmsg(st->db));
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

char *
col_dup(sqlite3_stmt *s, int i)
{
	const char	*t = col_text(s, i);

	return t == NULL ? NULL : xstrdup(t);
}

cJSON *
col_json(sqlite3_stmt *s, int i)
{
	const char	*t = col_text(s, i);

	return t != NULL ? stored_json(t, (size_t)sqlite3_column_bytes(s, i)) :
	    NULL;
}

cJSON *
stored_json(const char *text, size_t len)
{
	cJSON	*j;

	if ((j = json_parse(text, len)) == NULL)
		j = cJSON_CreateObject();	/* never stored; keep going */
	return j;
}

void
store_set_event_hook(struct store *st, store_event_fn fn, void *arg)
{
	st->event_hook = fn;
	st->event_hook_arg = arg;
}

/* Tells the hook of the events the transaction that just ended appended,
 * or forgets them when it rolled back. */
void
store_events_tell(struct store *st, int committed)
{
	struct store_event	*ev = st->told;
	size_t			 i, n = st->ntold;

	st->told = NULL;
	st->ntold = st->captold = 0;
	if (!committed) {
		store_events_free(ev, n);
		return;
	}
	for (i = 0; i < n; i++)
		st->event_hook(st->event_hook_arg, &ev[i]);
	free(ev);
}

/*
 * An in-memory database's rollback journal on or off from the next
 * transaction on. SQLite answers with the mode it is in, which must be
 * the one asked for.
 */
static int
journal_set(struct store *st, int on, struct err *e)
{
	sqlite3_stmt	*s;
	const char	*want = on ? "memory" : "off";
	int		 rc, same = 0;

	if (!st->memory || st->unjournaled == !on)
		return 0;
	s = store_stmt(st, on ? SQL_JOURNAL_ON : SQL_JOURNAL_OFF);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		same = strcmp(col_text(s, 0), want) == 0;
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, e, "setting the rollback journal");
	if (!same)
		return err_set(e, ERR_INTERNAL, "SQLite would not set the "
		    "journal of the database in memory to %s", want);
	st->unjournaled = !on;
	return 0;
}

static int
begin(struct store *st, int journal, struct err *e)
{
	int64_t	version;

	if (st->in_tx)
		return err_set(e, ERR_INTERNAL, "nested transaction");
	if (st->broken)
		return err_set(e, ERR_INTERNAL, "the database holds half of a "
		    "change that failed without a rollback journal, and "
		    "nothing more can be done with it");
	if (journal_set(st, journal, e) != 0 ||
	    store_exec_stmt(st, store_stmt(st, SQL_BEGIN), e) != 0)
		return -1;
	st->in_tx = 1;
	/* Another connection committed since our last transaction: what
	 * the store and the engine keep in memory of the database (brief
	 * sets, placement views) may no longer be true. */
	version = store_int_query(st, SQL_DATA_VERSION, NULL);
	if (version != st->data_version) {
		st->data_version = version;
		st->generation++;
	}
	return 0;
}

int
store_begin(struct store *st, struct err *e)
{
	return begin(st, 1, e);
}

int
store_begin_unjournaled(struct store *st, struct err *e)
{
	return begin(st, 0, e);
}

int
store_broken(const struct store *st)
{
	return st->broken;
}

int
store_commit(struct store *st, struct err *e)
{
	if (!st->in_tx)
		return err_set(e, ERR_INTERNAL, "commit outside a transaction");
	if (outbox_flush(st, e) != 0 ||
	    store_exec_stmt(st, store_stmt(st, SQL_COMMIT), e) != 0) {
		store_rollback(st);
		return -1;
	}
	st->in_tx = 0;
	store_events_tell(st, 1);
	return 0;
}

void
store_rollback(struct store *st)
{
	if (!st->in_tx)
		return;
	/* Without a journal SQLite ends the transaction and keeps what it
	 * wrote. */
	(void)store_exec_stmt(st, store_stmt(st, SQL_ROLLBACK), NULL);
	st->broken |= st->unjournaled;
	st->in_tx = 0;
	st->generation++;
	outbox_forget(st);
	store_events_tell(st, 0);
}

int
store_purge_rows(struct store *st, const char *const *sql, size_t n,
    int64_t before, struct err *e)
{
	sqlite3_stmt	*s;
	size_t		 i;

	for (i = 0; i < n; i++) {
		s = store_stmt(st, sql[i]);
		bind_int(s, 1, before);
		if (store_exec_stmt(st, s, e) != 0)
			return -1;
	}
	return 0;
}

uint64_t
store_generation(const struct store *st)
{
	return st->generation;
}

int
store_in_transaction(const struct store *st)
{
	return st->in_tx;
}

int
store_reset(struct store *st, struct err *e)
{
	static const char *const tables[] = {
		"DELETE FROM service_events", "DELETE FROM deployments",
		"DELETE FROM services", "DELETE FROM tasks",
		"DELETE FROM attributes", "DELETE FROM container_instances",
		"DELETE FROM task_definitions",
		"DELETE FROM task_definition_families", "DELETE FROM tags",
		"DELETE FROM clusters", "DELETE FROM event_blocks",
		"DELETE FROM image_behaviours", "DELETE FROM clocks",
		"DELETE FROM agent_outages",
	};
	size_t	i;

	st->generation++;
	outbox_forget(st);
	for (i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (store_exec_stmt(st, store_stmt(st, tables[i]), e) != 0)
			return -1;
	return 0;
}

static const char SQL_META_BUMP[] =
    "INSERT INTO meta (key, value) VALUES (?1, '1') "
    "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 "
    "RETURNING CAST(value AS INTEGER)";

int
store_meta_bump(struct store *st, const char *key, int64_t *out, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_META_BUMP);
	int		 ret = -1;

	bind_text(s, 1, key);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		ret = 0;
	} else
		store_fail(st, e, "bumping a counter");
	sqlite3_reset(s);
	return ret;
}

int64_t
store_int_query(struct store *st, const char *sql, const char *arg)
{
	sqlite3_stmt	*s = store_stmt(st, sql);
	int64_t		 v = 0;

	if (arg != NULL)
		bind_text(s, 1, arg);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return v;
}

