-- ecsim core schema: desired state (clusters, task definitions, services,
-- container instances) and actual state (tasks), plus the event outbox.
-- Times are milliseconds since the Unix epoch on the engine clock. Columns
-- hold what the engine queries; doc holds the rest of the API shape as JSON.

CREATE TABLE meta (
	key	TEXT PRIMARY KEY,
	value	TEXT NOT NULL
) STRICT;

CREATE TABLE clusters (
	name		TEXT PRIMARY KEY,
	arn		TEXT NOT NULL UNIQUE,
	status		TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	doc		TEXT NOT NULL
) STRICT;

CREATE TABLE tags (
	resource_arn	TEXT NOT NULL,
	key		TEXT NOT NULL,
	value		TEXT NOT NULL,
	PRIMARY KEY (resource_arn, key)
) STRICT;

CREATE TABLE task_definition_families (
	family		TEXT PRIMARY KEY,
	last_revision	INTEGER NOT NULL
) STRICT;

CREATE TABLE task_definitions (
	arn		TEXT PRIMARY KEY,
	family		TEXT NOT NULL,
	revision	INTEGER NOT NULL,
	status		TEXT NOT NULL,
	registered_at	INTEGER NOT NULL,
	deregistered_at	INTEGER,
	doc		TEXT NOT NULL,
	UNIQUE (family, revision)
) STRICT;
CREATE INDEX task_definitions_status ON task_definitions (status, family, revision);

CREATE TABLE container_instances (
	arn		TEXT PRIMARY KEY,
	cluster		TEXT NOT NULL,
	id		TEXT NOT NULL,
	ec2_instance_id	TEXT NOT NULL,
	status		TEXT NOT NULL,
	agent_connected	INTEGER NOT NULL,
	simulated	INTEGER NOT NULL,
	cpu		INTEGER NOT NULL,
	memory		INTEGER NOT NULL,
	ports		TEXT NOT NULL,
	ports_udp	TEXT NOT NULL,
	version		INTEGER NOT NULL,
	registered_at	INTEGER NOT NULL,
	updated_at	INTEGER NOT NULL,
	doc		TEXT NOT NULL
) STRICT;
CREATE INDEX container_instances_cluster ON container_instances (cluster, status);

CREATE TABLE attributes (
	cluster		TEXT NOT NULL,
	target_type	TEXT NOT NULL,
	target_id	TEXT NOT NULL,
	name		TEXT NOT NULL,
	value		TEXT,
	PRIMARY KEY (cluster, target_id, name)
) STRICT;

CREATE TABLE services (
	arn			TEXT PRIMARY KEY,
	cluster			TEXT NOT NULL,
	name			TEXT NOT NULL,
	status			TEXT NOT NULL,
	desired_count		INTEGER NOT NULL,
	task_definition		TEXT NOT NULL,
	scheduling_strategy	TEXT NOT NULL,
	created_at		INTEGER NOT NULL,
	updated_at		INTEGER NOT NULL,
	doc			TEXT NOT NULL
) STRICT;
CREATE INDEX services_cluster ON services (cluster, name);

CREATE TABLE deployments (
	id		TEXT PRIMARY KEY,
	service_arn	TEXT NOT NULL REFERENCES services (arn) ON DELETE CASCADE,
	seq		INTEGER NOT NULL,
	status		TEXT NOT NULL,
	task_definition	TEXT NOT NULL,
	desired_count	INTEGER NOT NULL,
	failed_tasks	INTEGER NOT NULL DEFAULT 0,
	rollout_state	TEXT NOT NULL,
	rollout_reason	TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	updated_at	INTEGER NOT NULL,
	doc		TEXT NOT NULL
) STRICT;
CREATE INDEX deployments_service ON deployments (service_arn, seq);

CREATE TABLE service_events (
	seq		INTEGER PRIMARY KEY AUTOINCREMENT,
	id		TEXT NOT NULL,
	service_arn	TEXT NOT NULL REFERENCES services (arn) ON DELETE CASCADE,
	created_at	INTEGER NOT NULL,
	message		TEXT NOT NULL
) STRICT;
CREATE INDEX service_events_service ON service_events (service_arn, seq);

CREATE TABLE tasks (
	arn		TEXT PRIMARY KEY,
	id		TEXT NOT NULL,
	cluster		TEXT NOT NULL,
	task_definition	TEXT NOT NULL,
	instance_arn	TEXT,
	service_arn	TEXT,
	deployment_id	TEXT,
	grp		TEXT NOT NULL,
	started_by	TEXT,
	launch_type	TEXT NOT NULL,
	last_status	TEXT NOT NULL,
	desired_status	TEXT NOT NULL,
	health		TEXT NOT NULL,
	cpu		INTEGER NOT NULL,
	memory		INTEGER NOT NULL,
	ports		TEXT NOT NULL,
	ports_udp	TEXT NOT NULL,
	version		INTEGER NOT NULL,
	created_at	INTEGER NOT NULL,
	updated_at	INTEGER NOT NULL,
	next_at		INTEGER,
	stopped_at	INTEGER,
	stop_code	TEXT,
	stopped_reason	TEXT,
	doc		TEXT NOT NULL
) STRICT;
CREATE INDEX tasks_cluster ON tasks (cluster, desired_status, last_status);
CREATE INDEX tasks_service ON tasks (service_arn, desired_status);
CREATE INDEX tasks_instance ON tasks (instance_arn, last_status);
CREATE INDEX tasks_next ON tasks (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX tasks_stopped ON tasks (stopped_at) WHERE stopped_at IS NOT NULL;

-- The outbox: every state change appends its events here in the same
-- transaction as the change. seq has no gaps.
CREATE TABLE events (
	seq		INTEGER PRIMARY KEY,
	time		INTEGER NOT NULL,
	source		TEXT NOT NULL,
	detail_type	TEXT NOT NULL,
	resource	TEXT NOT NULL,
	detail		TEXT NOT NULL
) STRICT;
