-- tasks_live_service was (service_arn, created_at, arn): a key of some 140
-- bytes that every task's insert and stop writes. Its columns after the
-- first gave the order of a service's live tasks without a sort, but the
-- store keeps their brief rows in memory (src/store/brief.c), read again
-- only when its generation moves on, and the whole rows are read only for
-- a service being deleted or spread over capacity providers. Keyed on the
-- service alone, an entry is some 60 bytes and goes in at the end of its
-- service's; those readers sort the rows they read.
DROP INDEX IF EXISTS tasks_live_service;
CREATE INDEX tasks_live_service ON tasks (service_arn) WHERE stopped_at IS NULL;
-- A registration without containerInstanceArn looks for the live instance
-- of its EC2 instance: it read every instance row of the cluster.
DROP INDEX IF EXISTS container_instances_ec2;
CREATE INDEX container_instances_ec2 ON container_instances (cluster,
	ec2_instance_id, registered_at) WHERE status != 'INACTIVE';
