/* The EC2 instance types ecsim can simulate by name. */
#include <string.h>

#include "util/util.h"

static const struct instance_type instance_types[] = {
	{ "t3.medium",	2048,	3904 },
	{ "t3.large",	2048,	7936 },
	{ "m5.large",	2048,	7681 },
	{ "m5.xlarge",	4096,	15576 },
	{ "c5.2xlarge",	8192,	15434 },
};

const struct instance_type *
instance_type_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof instance_types / sizeof instance_types[0]; i++)
		if (strcmp(instance_types[i].name, name) == 0)
			return &instance_types[i];
	return NULL;
}
