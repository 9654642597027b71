/* Enum <-> ECS name tables. */
#include <string.h>

#include "model/model.h"

static const char *const task_status_names[TASK_STATUS_COUNT] = {
	[TASK_PROVISIONING] = "PROVISIONING",
	[TASK_PENDING] = "PENDING",
	[TASK_ACTIVATING] = "ACTIVATING",
	[TASK_RUNNING] = "RUNNING",
	[TASK_DEACTIVATING] = "DEACTIVATING",
	[TASK_STOPPING] = "STOPPING",
	[TASK_DEPROVISIONING] = "DEPROVISIONING",
	[TASK_STOPPED] = "STOPPED",
};

static const char *const stop_code_names[STOP_CODE_COUNT] = {
	[STOP_NONE] = "",
	[STOP_TASK_FAILED_TO_START] = "TaskFailedToStart",
	[STOP_ESSENTIAL_CONTAINER_EXITED] = "EssentialContainerExited",
	[STOP_USER_INITIATED] = "UserInitiated",
	[STOP_SERVICE_SCHEDULER_INITIATED] = "ServiceSchedulerInitiated",
	[STOP_SPOT_INTERRUPTION] = "SpotInterruption",
	[STOP_TERMINATION_NOTICE] = "TerminationNotice",
};

static const char *const launch_type_names[LAUNCH_TYPE_COUNT] = {
	[LAUNCH_EC2] = "EC2",
	[LAUNCH_FARGATE] = "FARGATE",
	[LAUNCH_EXTERNAL] = "EXTERNAL",
};

const char *const model_launch_types[] = { "EC2", "FARGATE", "EXTERNAL", NULL };
const char *const model_desired_statuses[] = { "RUNNING", "PENDING", "STOPPED",
    NULL };
const char *const model_scheduling_strategies[] = { "REPLICA", "DAEMON", NULL };
const char *const model_network_modes[] = { "bridge", "host", "awsvpc", "none",
    NULL };
const char *const model_instance_statuses[] = { "ACTIVE", "DRAINING",
    "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED", NULL };
const char *const model_compatibilities[] = { "EC2", "FARGATE", "EXTERNAL",
    "MANAGED_INSTANCES", NULL };

static int
lookup(const char *const *names, int n, const char *name)
{
	int	i;

	if (name == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return i;
	return -1;
}

const char *
model_task_status_name(enum task_status s)
{
	return task_status_names[s];
}

int
model_task_status_parse(const char *name)
{
	return lookup(task_status_names, TASK_STATUS_COUNT, name);
}

const char *
model_stop_code_name(enum task_stop_code c)
{
	return stop_code_names[c];
}

int
model_stop_code_parse(const char *name)
{
	return lookup(stop_code_names, STOP_CODE_COUNT, name);
}

const char *
model_launch_type_name(enum launch_type l)
{
	return launch_type_names[l];
}

int
model_launch_type_parse(const char *name)
{
	return lookup(launch_type_names, LAUNCH_TYPE_COUNT, name);
}
