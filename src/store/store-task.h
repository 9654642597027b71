/* tasks (store/task.c). */
#ifndef ECSIM_STORE_TASK_H
#define ECSIM_STORE_TASK_H

#endif
