/* Container instance changes: version bumps and their events. */
#include "engine/internal.h"

int
engine_instance_changed(struct engine *eng, const char *arn, struct err *e)
{
	return store_instance_touch(eng->st, arn, engine_now(eng), e);
}
