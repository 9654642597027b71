-- An event's detail is packed in the outbox's blocks from here on (the
-- format is in src/util/json.c, json_pack): writing it costs about half of
-- printing it as JSON text, and the outbox's cost on the engine is mostly
-- that writing. Blocks written before hold their details as text: format 0.
-- ecsim reads both (src/store/event.c).
ALTER TABLE event_blocks ADD COLUMN format INTEGER NOT NULL DEFAULT 0;
