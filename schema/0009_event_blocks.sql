-- The outbox in blocks. An event's detail is about as large as the state
-- change it describes (an instance's event carries its 50 attributes), so
-- writing each as its own row doubled what a change wrote to the WAL and
-- copied back at checkpoints. Now the events a transaction appends are
-- kept in memory and written at its commit as blocks: each holds the
-- events first_seq..last_seq (no gaps, in order; blocks follow each other
-- without gaps too), at most about 64 KiB of them before compression,
-- compressed with LZ4 (size is the uncompressed length). A block's events
-- repeat each other's text, so they compress about twelvefold. The format
-- of the uncompressed records is in src/store/event.c; read them through
-- ecsim (`ecsim events`, the sinks), not with SQL.
CREATE TABLE event_blocks (
	first_seq	INTEGER PRIMARY KEY,
	last_seq	INTEGER NOT NULL,
	first_time	INTEGER NOT NULL,
	last_time	INTEGER NOT NULL,
	size		INTEGER NOT NULL,
	body		BLOB NOT NULL
) STRICT;
-- The rows of the old outbox become blocks when the store opens
-- (store/event.c, outbox_upgrade), in the same transaction as dropping
-- this table.
ALTER TABLE events RENAME TO events_v8;
