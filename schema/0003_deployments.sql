-- Deployments: what the service scheduler must remember between passes.
-- A service's launch throttle: consecutive tasks that stopped before
-- reaching RUNNING, and when the last of them stopped.
ALTER TABLE services ADD COLUMN start_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN last_failure_at INTEGER NOT NULL DEFAULT 0;
-- A STOPPED service task is counted once (circuit breaker, throttle): the
-- scheduler sets accounted when it has looked at how the task ended.
ALTER TABLE tasks ADD COLUMN accounted INTEGER NOT NULL DEFAULT 0;
UPDATE tasks SET accounted = 1 WHERE last_status = 'STOPPED';
CREATE INDEX tasks_unaccounted ON tasks (service_arn)
	WHERE last_status = 'STOPPED' AND accounted = 0;
