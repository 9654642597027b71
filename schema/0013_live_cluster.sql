-- tasks_live_cluster was (cluster, instance_arn, created_at, arn) and
-- tasks_live_instance (instance_arn, created_at, arn): keys of some 220
-- and 190 bytes, each task inserted into both at a random place (its
-- instance's), together about a third of what an insert cost at the
-- scenario benchmark's size. Their readers want a cluster's or an
-- instance's live tasks: counts, whether there are any, ListTasks (which
-- sorts anyway), an instance's usage and tasks (a few, sorted when read),
-- and the placement view's reading of a whole cluster, which is rare
-- (store_generation) and now sorts its rows. Keyed on the cluster and on
-- the instance alone, a task goes in at the end of its own.
DROP INDEX IF EXISTS tasks_live_cluster;
CREATE INDEX tasks_live_cluster ON tasks (cluster) WHERE stopped_at IS NULL;
DROP INDEX IF EXISTS tasks_live_instance;
CREATE INDEX tasks_live_instance ON tasks (instance_arn)
	WHERE stopped_at IS NULL;
