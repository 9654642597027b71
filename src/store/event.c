/*
 * The event outbox: appending events in the transaction of the change
 * they describe, reading them back in order for the sinks and the
 * scenario runner, and pruning the oldest.
 *
 * Events are stored in blocks (schema/0009_event_blocks.sql). The events
 * a transaction appends collect in st->pend, uncompressed, and are written
 * at its commit (or when the block reaches OUTBOX_BLOCK bytes) as one row
 * of event_blocks, compressed with LZ4. A block's records follow each
 * other in seq order, first_seq first, each four NUL-terminated fields
 * and the detail:
 *
 *	time (engine ms, decimal) \0 source \0 detail-type \0 resource \0
 *	detail
 *
 * None of the four fields can hold a NUL: ARNs and names cannot. The
 * detail is the packed tree (util/json.c) after its length in four bytes,
 * low byte first: in the blocks of format 2, the packing's second version;
 * in those of format 1 (schema 10 on), its first. Blocks of format 0,
 * written before, hold it as JSON text and a NUL.
 */
#include <stdlib.h>
#include <string.h>

#include <lz4.h>

#include "store/internal.h"

/* A block is written once its uncompressed records reach this; LZ4 finds
 * repeats up to 64 KiB back, so larger blocks would compress little more
 * and cost more to read from their middle. */
#define OUTBOX_BLOCK	(64 * 1024)

#define FORMAT_TEXT	0	/* details as JSON text, NUL-terminated */
#define FORMAT_PACKED_V1 1	/* details packed, after their length */
#define FORMAT_PACKED	2	/* the same, each string followed by a NUL */

static const char SQL_BLOCK_INSERT[] =
    "INSERT INTO event_blocks (first_seq, last_seq, first_time, last_time, "
    "size, body, format) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
/* The blocks from the one holding seq ?1 (or from the first, when the
 * outbox starts after ?1) on. */
static const char SQL_BLOCKS_FROM[] =
    "SELECT first_seq, last_seq, size, body, format FROM event_blocks "
    "WHERE first_seq >= COALESCE((SELECT first_seq FROM event_blocks "
    "WHERE first_seq <= ?1 ORDER BY first_seq DESC LIMIT 1), 0) "
    "ORDER BY first_seq";
/* Blocks follow each other in seq and in time: the first row holds the
 * oldest events, the last row the newest. */
static const char SQL_EVENT_FIRST[] =
    "SELECT first_seq FROM event_blocks ORDER BY first_seq LIMIT 1";
static const char SQL_EVENT_LAST[] =
    "SELECT last_seq FROM event_blocks ORDER BY first_seq DESC LIMIT 1";
static const char SQL_EVENT_OLDEST[] =
    "SELECT first_time FROM event_blocks ORDER BY first_seq LIMIT 1";
/* Whole blocks only: one goes when all its events may. */
static const char SQL_EVENT_PRUNE[] =
    "DELETE FROM event_blocks WHERE first_seq BETWEEN ?1 AND ?2 "
    "AND last_seq <= ?2 AND (last_time < ?3 OR last_seq <= ?4)";

/*
 * A transaction reads the events it appended, as it reads its other
 * writes: the pending block is written first. A failure to write it here
 * fails the commit, which writes it again.
 */
static void
outbox_visible(struct store *st)
{
	if (st->pend.len > 0)
		(void)outbox_flush(st, NULL);
}

int64_t
store_event_first(struct store *st)
{
	outbox_visible(st);
	return store_int_query(st, SQL_EVENT_FIRST, NULL);
}

int64_t
store_event_last(struct store *st)
{
	outbox_visible(st);
	return store_int_query(st, SQL_EVENT_LAST, NULL);
}

int64_t
store_event_count(struct store *st)
{
	int64_t	first = store_event_first(st);

	return first == 0 ? 0 : store_event_last(st) - first + 1;
}

/* Writes the block of pending events, if there is one. */
int
outbox_flush(struct store *st, struct err *e)
{
	sqlite3_stmt	*s;
	int		 bound, n;

	if (st->pend.len == 0)
		return 0;
	bound = LZ4_compressBound((int)st->pend.len);
	if (st->capzbuf < (size_t)bound) {
		st->capzbuf = (size_t)bound;
		st->zbuf = xrealloc(st->zbuf, st->capzbuf);
	}
	/* Acceleration 4: on ecsim's events, 30 % less time than LZ4's
	 * default for blocks about 8 % larger (14 times smaller than the
	 * events, against 15). One stream, reset the fast way for each
	 * block: LZ4_compress_fast clears a 16 KB table every time, and
	 * most blocks are a commit's few events. */
	if (st->lz == NULL) {
		st->lz = xmalloc(sizeof *st->lz);
		LZ4_initStream(st->lz, sizeof *st->lz);
	} else
		LZ4_resetStream_fast(st->lz);
	n = LZ4_compress_fast_continue(st->lz, st->pend.buf, st->zbuf,
	    (int)st->pend.len, bound, 4);
	if (n <= 0)
		return err_set(e, ERR_INTERNAL, "compressing a block of %zu "
		    "bytes of events failed", st->pend.len);
	s = store_stmt(st, SQL_BLOCK_INSERT);
	bind_int(s, 1, st->pend_first);
	bind_int(s, 2, st->next_seq - 1);
	bind_int(s, 3, st->pend_first_time);
	bind_int(s, 4, st->pend_last_time);
	bind_int(s, 5, (int64_t)st->pend.len);
	sqlite3_bind_blob(s, 6, st->zbuf, n, SQLITE_STATIC);
	bind_int(s, 7, FORMAT_PACKED);
	if (store_exec_stmt(st, s, e) != 0)
		return -1;	/* kept: the commit tries again, or rolls back */
	st->pend.len = 0;
	return 0;
}

void
outbox_forget(struct store *st)
{
	st->pend.len = 0;
	if (!store_events_off())
		st->next_seq = 0;	/* read again: a rollback may undo blocks */
	else if (st->ntold > 0)
		st->next_seq = st->told[0].seq;	/* nothing stored to read */
}

/* v and its NUL, a record's field. */
static void
pend_field(struct json_out *o, const char *v)
{
	json_out_put(o, v, strlen(v) + 1);
}

/* A record's detail: its length, then the npacked bytes at packed. */
static void
pend_detail(struct json_out *o, const char *packed, size_t npacked)
{
	char	len[4];
	int	i;

	for (i = 0; i < 4; i++)
		len[i] = (char)(npacked >> (8 * i));
	json_out_put(o, len, 4);
	json_out_put(o, packed, npacked);
}

/* Event seq's record onto the pending block, which it may begin. */
static void
pend_event(struct store *st, int64_t seq, int64_t time, const char *source,
    const char *detail_type, const char *resource, const char *packed,
    size_t npacked)
{
	char	when[INT_TEXT_LEN];

	if (st->pend.len == 0) {
		st->pend_first = seq;
		st->pend_first_time = time;
	}
	st->pend_last_time = time;
	pend_field(&st->pend, int_text(time, when));
	pend_field(&st->pend, source);
	pend_field(&st->pend, detail_type);
	pend_field(&st->pend, resource != NULL ? resource : "");
	pend_detail(&st->pend, packed, npacked);
}

/* detail packed into st->packing (an empty object for none), which holds
 * it until the next call. */
static const char *
pack_detail(struct store *st, const cJSON *detail, size_t *npacked)
{
	st->packing.len = 0;
	if (detail != NULL)
		json_pack(&st->packing, detail);
	else
		json_out_put(&st->packing, "{}", 2);	/* packed, these too */
	*npacked = st->packing.len;
	return st->packing.buf;
}

int
store_event_append(struct store *st, int64_t time, const char *source,
    const char *detail_type, const char *resource, cJSON *detail,
    struct err *e)
{
	const char	*packed;
	size_t		 npacked;

	packed = pack_detail(st, detail, &npacked);
	cJSON_Delete(detail);
	return store_event_append_packed(st, time, source, detail_type,
	    resource, packed, npacked, e);
}

int
store_event_append_packed(struct store *st, int64_t time, const char *source,
    const char *detail_type, const char *resource, const char *packed,
    size_t npacked, struct err *e)
{
	struct store_event	*ev;
	int64_t			 seq;

	if (st->next_seq == 0)
		st->next_seq = store_event_last(st) + 1;
	seq = st->next_seq++;
	if (store_events_off())
		goto told;	/* measuring: the hook is told, nothing stored */
	pend_event(st, seq, time, source, detail_type, resource, packed,
	    npacked);
	if ((!st->in_tx || st->pend.len >= OUTBOX_BLOCK) &&
	    outbox_flush(st, e) != 0) {
		/* In a transaction its rollback forgets the block; outside
		 * one, nothing would, and a later append would write it. */
		if (!st->in_tx)
			outbox_forget(st);
		return -1;
	}
told:
	if (st->event_hook == NULL)
		return 0;
	st->told = xgrow(st->told, st->ntold, &st->captold, sizeof *st->told);
	ev = &st->told[st->ntold++];
	ev->seq = seq;
	ev->time = time;
	ev->source = xstrdup(source);
	ev->detail_type = xstrdup(detail_type);
	ev->resource = xstrdup(resource != NULL ? resource : "");
	ev->detail = NULL;
	ev->packed = xmemdup(packed, npacked);
	ev->npacked = npacked;
	if (!st->in_tx)
		store_events_tell(st, 1);
	return 0;
}

/*
 * Reads the records of one block (its row in s) into rows, those with
 * seq above after, until *n reaches max. 1 when the block ended short of
 * max, 0 when max was reached, -1 when the block is damaged.
 */
static int
block_read(sqlite3_stmt *s, int64_t after, size_t max,
    struct store_event **rows, size_t *n, size_t *cap, struct json_out *raw)
{
	int64_t			 first = sqlite3_column_int64(s, 0);
	int64_t			 last = sqlite3_column_int64(s, 1);
	int64_t			 size = sqlite3_column_int64(s, 2);
	const char		*body = sqlite3_column_blob(s, 3);
	int			 blen = sqlite3_column_bytes(s, 3);
	int64_t			 format = sqlite3_column_int64(s, 4);
	const char		*p, *end, *f[4], *detail, *z;
	struct store_event	*ev;
	int64_t			 seq;
	size_t			 dlen;
	int			 i;

	if (size <= 0 || size > INT32_MAX || last < first ||
	    (format != FORMAT_TEXT && format != FORMAT_PACKED_V1 &&
	    format != FORMAT_PACKED))
		return -1;
	if (raw->cap < (size_t)size) {
		raw->cap = (size_t)size;
		raw->buf = xrealloc(raw->buf, raw->cap);
	}
	if (LZ4_decompress_safe(body, raw->buf, blen, (int)size) != size)
		return -1;
	p = raw->buf;
	end = raw->buf + size;
	for (seq = first; seq <= last; seq++) {
		for (i = 0; i < 4; i++) {
			if ((z = memchr(p, '\0', (size_t)(end - p))) == NULL)
				return -1;
			f[i] = p;
			p = z + 1;
		}
		if (format == FORMAT_TEXT) {
			if ((z = memchr(p, '\0', (size_t)(end - p))) == NULL)
				return -1;
			detail = p;
			dlen = (size_t)(z - p);
			p = z + 1;
		} else {
			if (end - p < 4)
				return -1;
			for (dlen = 0, i = 0; i < 4; i++)
				dlen |= (size_t)(unsigned char)p[i] << (8 * i);
			if (dlen > (size_t)(end - p - 4))
				return -1;
			detail = p + 4;
			p = detail + dlen;
		}
		if (seq <= after)
			continue;
		if (*n == max)
			return 0;
		*rows = xgrow(*rows, *n, cap, sizeof **rows);
		ev = &(*rows)[(*n)++];
		ev->seq = seq;
		ev->time = strtoll(f[0], NULL, 10);
		ev->source = xstrdup(f[1]);
		ev->detail_type = xstrdup(f[2]);
		ev->resource = xstrdup(f[3]);
		if (format == FORMAT_TEXT)
			ev->detail = stored_json(detail, dlen);
		else if ((ev->detail = format == FORMAT_PACKED ?
		    json_unpack(detail, dlen) : json_unpack_v1(detail,
		    dlen)) == NULL)
			return -1;
	}
	return p == end ? 1 : -1;
}
void
store_event_clear(struct store_event *ev)
{
	free(ev->source);
	free(ev->detail_type);
	free(ev->resource);
	cJSON_Delete(ev->detail);
	free(ev->packed);
	memset(ev, 0, sizeof *ev);
}

void
store_events_free(struct store_event *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		store_event_clear(&rows[i]);
	free(rows);
}

int
store_event_after(struct store *st, int64_t after, size_t max,
    struct store_event **rows, size_t *n, struct err *e)
{
	sqlite3_stmt	*s;
	struct json_out	 raw = { NULL, 0, 0 };
	size_t		 cap = 0;
	int		 rc, more = 1;

	*rows = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	outbox_visible(st);
	s = store_stmt(st, SQL_BLOCKS_FROM);
	bind_int(s, 1, after + 1);
	while (more > 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		more = block_read(s, after, max, rows, n, &cap, &raw);
	if (more > 0 && rc != SQLITE_DONE)
		more = -2;
	sqlite3_reset(s);
	free(raw.buf);
	if (more < 0) {
		store_events_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		if (more == -2)
			return store_fail(st, e, "reading the event outbox");
		return err_set(e, ERR_INTERNAL, "the event outbox has a "
		    "damaged block after seq %lld", (long long)after);
	}
	return 0;
}

/*
 * The outbox before blocks (schema 8) kept a row per event, renamed
 * events_v8 by the migration to 9. Its rows become blocks, with their
 * seqs, in the transaction that drops it.
 */
static const char SQL_V8_EXISTS[] =
    "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND "
    "name = 'events_v8'";
static const char SQL_V8_ROWS[] =
    "SELECT seq, time, source, detail_type, resource, detail FROM events_v8 "
    "ORDER BY seq";
static const char SQL_V8_DROP[] = "DROP TABLE events_v8";

int
outbox_upgrade(struct store *st, struct err *e)
{
	sqlite3_stmt	*s;
	cJSON		*detail;
	const char	*packed;
	size_t		 npacked;
	int64_t		 seq, time;
	int		 rc;

	if (store_int_query(st, SQL_V8_EXISTS, NULL) == 0)
		return 0;
	if (store_begin(st, e) != 0)
		return -1;
	s = store_stmt(st, SQL_V8_ROWS);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0);
		time = sqlite3_column_int64(s, 1);
		/* A gap (there should be none) starts a block of its own. */
		if (st->pend.len > 0 && (seq != st->next_seq ||
		    st->pend.len >= OUTBOX_BLOCK) && outbox_flush(st, e) != 0)
			break;
		st->next_seq = seq + 1;
		detail = col_json(s, 5);
		packed = pack_detail(st, detail, &npacked);
		pend_event(st, seq, time, col_text(s, 2), col_text(s, 3),
		    col_text(s, 4), packed, npacked);
		cJSON_Delete(detail);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_fail(st, e, "reading the outbox of schema 8");
	sqlite3_reset(s);
	if (rc != SQLITE_DONE || outbox_flush(st, e) != 0 ||
	    store_exec_stmt(st, store_stmt(st, SQL_V8_DROP), e) != 0 ||
	    store_commit(st, e) != 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

/* Event sinks' cursors: the last seq each delivered (src/events/). */
static const char SQL_SINK_GET[] =
    "SELECT seq FROM sink_cursors WHERE name = ?1";
static const char SQL_SINK_SET[] =
    "INSERT INTO sink_cursors (name, seq, updated_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (name) DO UPDATE SET seq = ?2, updated_at = ?3";
static const char SQL_SINK_RESET[] = "UPDATE sink_cursors SET seq = 0";

int
store_sink_cursor_get(struct store *st, const char *name, int64_t *seq,
    struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_SINK_GET);
	int		 rc, ret = 1;

	bind_text(s, 1, name);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		ret = 0;
	} else if (rc != SQLITE_DONE)
		ret = store_fail(st, e, "reading a sink's cursor");
	sqlite3_reset(s);
	return ret;
}

int
store_sink_cursor_set(struct store *st, const char *name, int64_t seq,
    int64_t now, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, SQL_SINK_SET);

	bind_text(s, 1, name);
	bind_int(s, 2, seq);
	bind_int(s, 3, now);
	return store_exec_stmt(st, s, e);
}

int
store_sink_cursor_reset(struct store *st, struct err *e)
{
	return store_exec_stmt(st, store_stmt(st, SQL_SINK_RESET), e);
}

int
store_event_prune(struct store *st, const struct store_prune *p,
    int64_t *deleted, struct err *e)
{
	sqlite3_stmt	*s;
	int64_t		 first, hi;

	*deleted = 0;
	first = store_event_first(st);
	hi = store_event_last(st) - 1;
	if (p->below - 1 < hi)
		hi = p->below - 1;
	if (first + p->limit - 1 < hi)
		hi = first + p->limit - 1;
	if (first == 0 || hi < first)
		return 0;
	/* The oldest event is neither too old nor over the count: nothing
	 * is (events come in time order), and the range need not be read. */
	if (first > p->upto &&
	    store_int_query(st, SQL_EVENT_OLDEST, NULL) >= p->before)
		return 0;
	s = store_stmt(st, SQL_EVENT_PRUNE);
	bind_int(s, 1, first);
	bind_int(s, 2, hi);
	bind_int(s, 3, p->before);
	bind_int(s, 4, p->upto);
	if (store_exec_stmt(st, s, e) != 0)
		return -1;
	/* The newest block stays: the first left is the count gone. */
	*deleted = store_event_first(st) - first;
	return 0;
}

int
store_events_off(void)
{
	static int	off = -1;

	if (off < 0)
		off = getenv("ECSIM_BENCH_NO_EVENTS") != NULL;
	return off;
}
