-- Every task inserted went into tasks_id too, at a random place (an ID is
-- 32 random hex digits), for the look-ups by a task's ID alone: the task
-- metadata endpoint's, and DescribeTasks and StopTask given an ID. Those
-- now make the task's ARN from its cluster's (the engine makes both the
-- same way) and find it by that, and read the table when it is not there
-- (a task made under another region or account than its cluster).
DROP INDEX IF EXISTS tasks_id;
