-- Housekeeping: a deregistered container instance is purged an hour after
-- it became INACTIVE (updated_at), and a task definition in
-- DELETE_IN_PROGRESS goes once no task and no service uses it.
CREATE INDEX container_instances_inactive ON container_instances (updated_at)
	WHERE status = 'INACTIVE';
CREATE INDEX tasks_task_definition ON tasks (task_definition, last_status);
