/* The EC2 instance types ecsim can simulate by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

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

char *
instance_type_names(void)
{
	const char	*names[sizeof instance_types / sizeof instance_types[0]];
	size_t		 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		names[i] = instance_types[i].name;
	return str_join(names, (int)i, ", ");
}

static cJSON *
resource(const char *name, int64_t v)
{
	cJSON	*j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "name", name);
	cJSON_AddStringToObject(j, "type", "INTEGER");
	cJSON_AddNumberToObject(j, "integerValue", (double)v);
	return j;
}

cJSON *
instance_registration(const struct instance_reg *r, struct prng *p)
{
	cJSON	*doc = cJSON_CreateObject(), *req, *res;
	char	*text, id[32];

	snprintf(id, sizeof id, "i-%017llx", (unsigned long long)
	    (prng_next(p) & 0xfffffffffffffffULL));
	cJSON_AddStringToObject(doc, "region", r->region);
	cJSON_AddStringToObject(doc, "availabilityZone", r->zone);
	cJSON_AddStringToObject(doc, "instanceId", id);
	cJSON_AddStringToObject(doc, "instanceType", r->type);
	cJSON_AddStringToObject(doc, "accountId", r->account);
	text = json_print(doc);
	cJSON_Delete(doc);
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cluster", r->cluster);
	cJSON_AddStringToObject(req, "instanceIdentityDocument", text);
	free(text);
	res = cJSON_AddArrayToObject(req, "totalResources");
	cJSON_AddItemToArray(res, resource("CPU", r->cpu));
	cJSON_AddItemToArray(res, resource("MEMORY", r->memory));
	return req;
}
