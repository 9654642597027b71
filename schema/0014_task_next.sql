-- tasks_next was (next_at, arn): every step of every task deletes its key
-- and inserts another, some 100 bytes each with the ARN. Tasks due at the
-- same time are now taken in the order they were made (rowid, which every
-- index entry ends with) rather than by ARN, and a key is the time alone.
DROP INDEX IF EXISTS tasks_next;
CREATE INDEX tasks_next ON tasks (next_at) WHERE next_at IS NOT NULL;
