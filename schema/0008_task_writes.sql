-- Writing a task touched ten of its twelve indexes, because each one
-- named last_status (in its key or its WHERE) or a column the update set,
-- and a task's status changes at every step: about 40 us a write. Now a
-- task is live (not STOPPED) exactly while stopped_at IS NULL: the
-- engine sets stopped_at when, and only when, a task enters STOPPED. The
-- indexes that select live or stopped tasks say so through stopped_at,
-- and a step that changes neither desiredStatus nor stopped_at writes
-- only columns no index but tasks_next names (store/task.c).
UPDATE tasks SET stopped_at = updated_at
	WHERE last_status = 'STOPPED' AND stopped_at IS NULL;
-- Unused since 0007's live-task indexes.
DROP INDEX tasks_service;
DROP INDEX tasks_instance;
DROP INDEX tasks_live_service;
CREATE INDEX tasks_live_service ON tasks (service_arn, created_at, arn)
	WHERE stopped_at IS NULL;
DROP INDEX tasks_live_instance;
CREATE INDEX tasks_live_instance ON tasks (instance_arn, created_at, arn)
	WHERE stopped_at IS NULL;
DROP INDEX tasks_live_cluster;
CREATE INDEX tasks_live_cluster ON tasks (cluster, instance_arn, created_at,
	arn) WHERE stopped_at IS NULL;
DROP INDEX tasks_unaccounted;
CREATE INDEX tasks_unaccounted ON tasks (service_arn, stopped_at, arn)
	WHERE stopped_at IS NOT NULL AND accounted = 0;
-- ListTasks by desired status, and the task definitions still in use.
DROP INDEX tasks_cluster;
CREATE INDEX tasks_cluster ON tasks (cluster, desired_status);
DROP INDEX tasks_task_definition;
CREATE INDEX tasks_task_definition ON tasks (task_definition);
-- startedAt beside the doc: the scheduler reads it for every live task of
-- a service at every pass, and now reads no task's doc to do so.
ALTER TABLE tasks ADD COLUMN started_at INTEGER;
UPDATE tasks SET started_at = json_extract(doc, '$.times.startedAt');
