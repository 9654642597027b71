-- Event sinks that must not lose an event (JSON-lines files, webhooks):
-- the last event each delivered, so ecsim serve resumes after it when it
-- starts again. name is the sink's kind and target ("file:/x.jsonl").
CREATE TABLE IF NOT EXISTS sink_cursors (
	name		TEXT PRIMARY KEY,
	seq		INTEGER NOT NULL,
	updated_at	INTEGER NOT NULL
) STRICT;
