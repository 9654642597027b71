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
