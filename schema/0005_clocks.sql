-- Clocks and agent outages (issue 5).
--
-- clocks: the clock of a container instance or of a Fargate task, by its
-- ARN, once a fault changed it; a resource without a row is synchronized
-- with the small jittering bound of a healthy host. What the clock shows at
-- any time is a function of the row and that time (docs/metadata.md):
-- synchronized, the bound is the row's (NULL: jitter); not synchronized, it
-- grows from bound at drift ms per second since changed_at.
CREATE TABLE clocks (
	resource	TEXT PRIMARY KEY,
	cluster		TEXT NOT NULL,
	synchronized	INTEGER NOT NULL,
	bound		REAL,
	changed_at	INTEGER NOT NULL,
	drift		REAL NOT NULL
) STRICT;

-- agent_outages: agents disconnected for a time, by a fault with a duration
-- or by ecsim serve --agent-flaps; each reconnects at until. An agent
-- disconnected for good has no row.
CREATE TABLE agent_outages (
	instance_arn	TEXT PRIMARY KEY,
	cluster		TEXT NOT NULL,
	until		INTEGER NOT NULL
) STRICT;
CREATE INDEX agent_outages_until ON agent_outages (until);

-- The metadata endpoint finds a task by its id alone.
CREATE INDEX tasks_id ON tasks (id);
