/* Domain enums and their ECS names: the one place a status string is spelt. */
#ifndef ECSIM_MODEL_H
#define ECSIM_MODEL_H

/* Task lastStatus, in lifecycle order: status only moves forward. */
enum task_status {
	TASK_PROVISIONING,
	TASK_PENDING,
	TASK_ACTIVATING,
	TASK_RUNNING,
	TASK_DEACTIVATING,
	TASK_STOPPING,
	TASK_DEPROVISIONING,
	TASK_STOPPED,
	TASK_STATUS_COUNT
};

enum task_stop_code {
	STOP_NONE,
	STOP_TASK_FAILED_TO_START,
	STOP_ESSENTIAL_CONTAINER_EXITED,
	STOP_USER_INITIATED,
	STOP_SERVICE_SCHEDULER_INITIATED,
	STOP_SPOT_INTERRUPTION,
	STOP_TERMINATION_NOTICE,
	STOP_CODE_COUNT
};

enum launch_type {
	LAUNCH_EC2,
	LAUNCH_FARGATE,
	LAUNCH_EXTERNAL,
	LAUNCH_TYPE_COUNT
};

/* Each table is indexed by its enum; parse returns -1 for an unknown name. */
const char	*model_task_status_name(enum task_status s);
int		 model_task_status_parse(const char *name);
const char	*model_stop_code_name(enum task_stop_code c);
int		 model_stop_code_parse(const char *name);
const char	*model_launch_type_name(enum launch_type l);
int		 model_launch_type_parse(const char *name);

/* Enum value lists, NULL-terminated, for the API's validation messages. */
extern const char *const model_launch_types[];
extern const char *const model_desired_statuses[];
extern const char *const model_scheduling_strategies[];
extern const char *const model_network_modes[];
extern const char *const model_instance_statuses[];
extern const char *const model_compatibilities[];

#endif
