/* How a task is launched: launchType, or a capacity provider strategy given
 * in the request or taken from the cluster's default. Shared by RunTask,
 * CreateService, UpdateService and the cluster's own default strategy. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"

#define WEIGHT_MAX		1000
#define BASE_MAX		100000

int
api_item_str(const cJSON *obj, const char *list, int idx, const char *name,
    int required, const char **out, struct err *e)
{
	const cJSON	*j = cJSON_GetObjectItemCaseSensitive(obj, name);

	*out = NULL;
	if (j == NULL || cJSON_IsNull(j)) {
		if (required)
			return err_set(e, ERR_INVALID, "%s[%d].%s is required "
			    "and was not given.", list, idx, name);
		return 0;
	}
	if (!cJSON_IsString(j))
		return err_set(e, ERR_SERIALIZATION, "%s[%d].%s must be a "
		    "string", list, idx, name);
	*out = j->valuestring;
	return 0;
}

int
api_item_object(const cJSON *j, const char *list, int idx,
    const char *const *members, struct err *e)
{
	char	where[64];

	if (!cJSON_IsObject(j))
		return err_set(e, ERR_SERIALIZATION, "%s[%d] must be an object",
		    list, idx);
	snprintf(where, sizeof where, "%s[%d]", list, idx);
	return api_only_members(j, where, members, e);
}

static int
listed(const cJSON *list, const char *s)
{
	const cJSON	*k;

	cJSON_ArrayForEach(k, list)
		if (cJSON_IsString(k) && strcmp(k->valuestring, s) == 0)
			return 1;
	return 0;
}

cJSON *
api_strategy(const cJSON *strategy, const char *member,
    const cJSON *providers, struct err *e)
{
	static const char *const members[] = { "capacityProvider", "weight",
	    "base", NULL };
	const cJSON	*j, *k;
	const char	*cp;
	cJSON		*out, *item;
	int64_t		 weight, base, weights = 0;
	int		 i = 0, bases = 0;

	out = cJSON_CreateArray();
	cJSON_ArrayForEach(j, strategy) {
		if (api_item_object(j, member, i, members, e) != 0 ||
		    api_item_str(j, member, i, "capacityProvider", 1, &cp,
		    e) != 0)
			goto fail;
		weight = base = 0;
		if (api_int(j, "weight", 0, 0, WEIGHT_MAX, &weight, NULL,
		    e) != 0 || api_int(j, "base", 0, 0, BASE_MAX, &base, NULL,
		    e) != 0)
			goto fail;
		if (base > 0 && ++bases > 1) {
			err_set(e, ERR_INVALID, "The capacity provider "
			    "strategy cannot contain more than one capacity "
			    "provider with a base value greater than zero.");
			goto fail;
		}
		weights += weight;
		if (!listed(providers, cp)) {
			err_set(e, ERR_INVALID, "The specified capacity "
			    "provider strategy cannot contain a capacity "
			    "provider that is not associated with the cluster "
			    "(%.64s). Associate the capacity provider with the "
			    "cluster or specify a valid capacity provider and "
			    "try again.", cp);
			goto fail;
		}
		for (k = strategy->child; k != j; k = k->next)
			if (strcmp(cJSON_GetObjectItem(k, "capacityProvider")->
			    valuestring, cp) == 0) {
				err_set(e, ERR_INVALID, "The capacity provider "
				    "%.64s is specified more than once in the "
				    "capacity provider strategy.", cp);
				goto fail;
			}
		item = cJSON_CreateObject();
		cJSON_AddStringToObject(item, "capacityProvider", cp);
		cJSON_AddNumberToObject(item, "weight", (double)weight);
		cJSON_AddNumberToObject(item, "base", (double)base);
		cJSON_AddItemToArray(out, item);
		i++;
	}
	if (i > 1 && weights == 0) {
		err_set(e, ERR_INVALID, "The capacity provider strategy must "
		    "contain at least one capacity provider with a weight "
		    "greater than zero.");
		goto fail;
	}
	return out;
fail:
	cJSON_Delete(out);
	return NULL;
}

void
api_launch_clear(struct api_launch *l)
{
	cJSON_Delete(l->strategy);
	memset(l, 0, sizeof *l);
}

int
api_launch(struct api_ctx *c, const cJSON *req, const char *cluster,
    const cJSON *td, struct api_launch *l, struct err *e)
{
	struct cluster_row	 row;
	const cJSON		*given, *dflt, *j;
	const char		*name;
	int			 found, fargate_ok = 0;

	memset(l, 0, sizeof *l);
	memset(&row, 0, sizeof row);
	if (api_enum(req, "launchType", 0, model_launch_types, &name, e) != 0 ||
	    api_array(req, "capacityProviderStrategy", 0, 20, &given, e) != 0)
		return -1;
	if (name != NULL && cJSON_GetArraySize(given) > 0)
		return err_set(e, ERR_INVALID, "Specifying both a launch type "
		    "and capacity provider strategy is not supported. Remove "
		    "one and try again.");
	if (name == NULL) {
		if ((found = store_cluster_find(c->st, cluster, &row, e)) < 0)
			return -1;
		dflt = found ? cJSON_GetObjectItem(row.doc,
		    "defaultCapacityProviderStrategy") : NULL;
		if (cJSON_GetArraySize(given) > 0)
			l->strategy = api_strategy(given,
			    "capacityProviderStrategy", found ?
			    cJSON_GetObjectItem(row.doc, "capacityProviders") :
			    NULL, e);
		else if (cJSON_GetArraySize(dflt) > 0) {
			l->strategy = cJSON_Duplicate(dflt, 1);
			l->from_default = 1;
		} else
			l->strategy = cJSON_CreateArray();
		cluster_row_clear(&row);
		if (l->strategy == NULL)
			return -1;
		if (cJSON_GetArraySize(l->strategy) == 0) {
			cJSON_Delete(l->strategy);
			l->strategy = NULL;
			name = "EC2";
		} else
			name = "FARGATE";	/* every provider is Fargate */
	}
	l->type = (enum launch_type)model_launch_type_parse(name);
	if (l->type != LAUNCH_FARGATE)
		return 0;
	cJSON_ArrayForEach(j, cJSON_GetObjectItem(td, "compatibilities"))
		if (cJSON_IsString(j) && strcmp(j->valuestring, "FARGATE") == 0)
			fargate_ok = 1;
	if (!fargate_ok) {
		api_launch_clear(l);
		return err_set(e, ERR_INVALID, "Task definition does not "
		    "support launch_type FARGATE.");
	}
	return 0;
}
