-- Tasks that are not STOPPED, by service, instance and cluster. STOPPED
-- tasks stay an hour (as on ECS) and outnumber live ones in a cluster
-- that deploys often; the scheduler, placement and instance usage read
-- only live tasks, and through these indexes never visit the others. The
-- columns after the first give the order those readers want.
CREATE INDEX tasks_live_service ON tasks (service_arn, created_at, arn)
	WHERE last_status != 'STOPPED';
CREATE INDEX tasks_live_instance ON tasks (instance_arn, created_at, arn)
	WHERE last_status != 'STOPPED';
CREATE INDEX tasks_live_cluster ON tasks (cluster, instance_arn, created_at,
	arn) WHERE last_status != 'STOPPED';
-- The engine's other frequent reads, in the order they want, so that none
-- sorts: due task steps (every tick) in (next_at, arn) order, a service's
-- stopped tasks not yet accounted for in stop order, an instance's
-- attributes in the order they were set (rowid ends every index), a
-- cluster's instances in registration order.
DROP INDEX tasks_next;
CREATE INDEX tasks_next ON tasks (next_at, arn) WHERE next_at IS NOT NULL;
DROP INDEX tasks_unaccounted;
CREATE INDEX tasks_unaccounted ON tasks (service_arn, stopped_at, arn)
	WHERE last_status = 'STOPPED' AND accounted = 0;
CREATE INDEX attributes_target ON attributes (cluster, target_id);
CREATE INDEX container_instances_order ON container_instances (cluster,
	registered_at);
