-- Every task written went into tasks_cluster (cluster, desiredStatus), and
-- asking one to stop moved it there: for ListTasks and the counts of
-- DescribeClusters alone. Those read live tasks through tasks_live_cluster
-- now (a task is asked to stop before it stops, so every task wanted
-- RUNNING is live); ListTasks for STOPPED reads the table.
DROP INDEX IF EXISTS tasks_cluster;
