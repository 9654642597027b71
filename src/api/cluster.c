/* Clusters and capacity providers: CreateCluster, DescribeClusters,
 * ListClusters, DeleteCluster, UpdateCluster, UpdateClusterSettings,
 * PutClusterCapacityProviders and DescribeCapacityProviders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

#define CLUSTER_NAME_MAX	255
#define STRATEGY_MAX		20	/* capacity providers in a strategy */

/* DescribeClusters include flags. */
#define INC_ATTACHMENTS		0x01
#define INC_CONFIGURATIONS	0x02
#define INC_SETTINGS		0x04
#define INC_STATISTICS		0x08
#define INC_TAGS		0x10

/* What a cluster that was just changed shows, as ECS answers. */
#define INC_CHANGED		(INC_CONFIGURATIONS | INC_SETTINGS | INC_TAGS)

static const char *const cluster_fields[] = {
	"ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS", NULL
};

/* The capacity providers ecsim has: AWS's two Fargate ones. */
static const char *const capacity_providers[] = {
	"FARGATE", "FARGATE_SPOT", NULL
};

static const char *const insights_values[] = {
	"enabled", "disabled", "enhanced", NULL
};

static int
in_list(const char *const *list, const char *s)
{
	size_t	i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* include[]: each entry one of fields; the bit of entry i is 1 << i. */
static int
read_include(const cJSON *req, const char *const *fields, int *flags,
    struct err *e)
{
	const cJSON	*inc, *j;
	char		 list[256];
	size_t		 i, off = 0;
	int		 n = 0;

	*flags = 0;
	if (api_str_array(req, "include", 0, 0, &inc, e) != 0)
		return -1;
	cJSON_ArrayForEach(j, inc) {
		n++;
		for (i = 0; fields[i] != NULL; i++)
			if (strcmp(fields[i], j->valuestring) == 0)
				break;
		if (fields[i] != NULL) {
			*flags |= 1 << i;
			continue;
		}
		list[0] = '\0';
		for (i = 0; fields[i] != NULL && off < sizeof list; i++)
			off += (size_t)snprintf(list + off, sizeof list - off,
			    "%s%s", i ? ", " : "", fields[i]);
		return err_set(e, ERR_INVALID, "1 validation error detected: "
		    "Value '%.64s' at 'include.%d.member' failed to satisfy "
		    "constraint: Member must satisfy enum value set: [%s]",
		    j->valuestring, n, list);
	}
	return 0;
}

/*
 * settings[]: {name: containerInsights, value: enabled|disabled|enhanced}.
 * Merged into doc's settings, replacing a setting of the same name.
 */
static int
merge_settings(cJSON *doc, const cJSON *settings, struct err *e)
{
	static const char *const members[] = { "name", "value", NULL };
	const cJSON	*j;
	const char	*name, *value;
	cJSON		*have, *s, *n;
	int		 i = 0;

	cJSON_ArrayForEach(j, settings) {
		if (api_item_object(j, "settings", i, members, e) != 0 ||
		    api_item_str(j, "settings", i, "name", 1, &name, e) != 0 ||
		    api_item_str(j, "settings", i, "value", 1, &value, e) != 0)
			return -1;
		if (strcmp(name, "containerInsights") != 0)
			return err_set(e, ERR_INVALID, "1 validation error "
			    "detected: Value '%.64s' at 'settings.%d.member."
			    "name' failed to satisfy constraint: Member must "
			    "satisfy enum value set: [containerInsights]", name,
			    i + 1);
		if (!in_list(insights_values, value))
			return err_set(e, ERR_INVALID, "The value '%.64s' of "
			    "the containerInsights setting is not valid. Valid "
			    "values are enabled, disabled and enhanced.", value);
		i++;
	}
	if ((have = cJSON_GetObjectItemCaseSensitive(doc, "settings")) == NULL)
		have = cJSON_AddArrayToObject(doc, "settings");
	cJSON_ArrayForEach(j, settings) {
		name = cJSON_GetObjectItem(j, "name")->valuestring;
		value = cJSON_GetObjectItem(j, "value")->valuestring;
		cJSON_ArrayForEach(s, have) {
			n = cJSON_GetObjectItem(s, "name");
			if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
				break;
		}
		if (s == NULL) {
			s = cJSON_CreateObject();
			cJSON_AddStringToObject(s, "name", name);
			cJSON_AddItemToArray(have, s);
		}
		cJSON_DeleteItemFromObjectCaseSensitive(s, "value");
		cJSON_AddStringToObject(s, "value", value);
	}
	return 0;
}

/* configuration: executeCommandConfiguration, managedStorageConfiguration. */
static int
check_configuration(const cJSON *conf, struct err *e)
{
	static const char *const top[] = { "executeCommandConfiguration",
	    "managedStorageConfiguration", NULL };
	static const char *const exec[] = { "kmsKeyId", "logging",
	    "logConfiguration", NULL };
	static const char *const logc[] = { "cloudWatchLogGroupName",
	    "cloudWatchEncryptionEnabled", "s3BucketName", "s3EncryptionEnabled",
	    "s3KeyPrefix", NULL };
	static const char *const storage[] = { "kmsKeyId",
	    "fargateEphemeralStorageKmsKeyId", NULL };
	static const char *const logging[] = { "NONE", "DEFAULT", "OVERRIDE",
	    NULL };
	const cJSON	*ex, *lc, *ms;
	const char	*v;
	int		 b;

	if (api_only_members(conf, "configuration", top, e) != 0 ||
	    api_object(conf, "executeCommandConfiguration", 0, &ex, e) != 0 ||
	    api_object(conf, "managedStorageConfiguration", 0, &ms, e) != 0)
		return -1;
	if (ex != NULL) {
		if (api_only_members(ex, "executeCommandConfiguration", exec,
		    e) != 0 || api_str(ex, "kmsKeyId", 0, &v, e) != 0 ||
		    api_enum(ex, "logging", 0, logging, &v, e) != 0 ||
		    api_object(ex, "logConfiguration", 0, &lc, e) != 0)
			return -1;
		if (lc != NULL && (api_only_members(lc, "logConfiguration",
		    logc, e) != 0 ||
		    api_str(lc, "cloudWatchLogGroupName", 0, &v, e) != 0 ||
		    api_str(lc, "s3BucketName", 0, &v, e) != 0 ||
		    api_str(lc, "s3KeyPrefix", 0, &v, e) != 0 ||
		    api_bool(lc, "cloudWatchEncryptionEnabled", &b, NULL, e) != 0 ||
		    api_bool(lc, "s3EncryptionEnabled", &b, NULL, e) != 0))
			return -1;
	}
	if (ms != NULL && (api_only_members(ms, "managedStorageConfiguration",
	    storage, e) != 0 || api_str(ms, "kmsKeyId", 0, &v, e) != 0 ||
	    api_str(ms, "fargateEphemeralStorageKmsKeyId", 0, &v, e) != 0))
		return -1;
	return 0;
}

/* serviceConnectDefaults {namespace}: set, or removed by namespace "". */
static int
set_service_connect(cJSON *doc, const cJSON *scd, struct err *e)
{
	static const char *const members[] = { "namespace", NULL };
	const char	*ns;
	cJSON		*o;

	if (api_only_members(scd, "serviceConnectDefaults", members, e) != 0 ||
	    api_str_len(scd, "namespace", 1, 1024, &ns, e) != 0)
		return -1;
	if (strpbrk(ns, "<>\"/") != NULL && !str_has_prefix(ns, "arn:"))
		return err_set(e, ERR_INVALID, "serviceConnectDefaults.namespace "
		    "'%.64s' is not valid: a namespace name cannot contain <, "
		    ">, \" or /.", ns);
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "serviceConnectDefaults");
	if (*ns == '\0')
		return 0;
	o = cJSON_AddObjectToObject(doc, "serviceConnectDefaults");
	cJSON_AddStringToObject(o, "namespace", ns);
	return 0;
}

/*
 * capacityProviders[] and defaultCapacityProviderStrategy[]: providers
 * known and not repeated, the strategy as api_strategy checks it. On
 * success doc holds both, the strategy with base and weight filled in.
 */
static int
set_providers(cJSON *doc, const cJSON *providers, const cJSON *strategy,
    struct err *e)
{
	const cJSON	*j, *k;
	cJSON		*list, *strat;

	cJSON_ArrayForEach(j, providers) {
		if (!in_list(capacity_providers, j->valuestring))
			return err_set(e, ERR_INVALID, "The specified capacity "
			    "provider '%.64s' does not exist. ecsim has the "
			    "FARGATE and FARGATE_SPOT capacity providers.",
			    j->valuestring);
		for (k = providers->child; k != j; k = k->next)
			if (strcmp(k->valuestring, j->valuestring) == 0)
				return err_set(e, ERR_INVALID, "The capacity "
				    "provider %.64s is specified more than "
				    "once in capacityProviders.",
				    j->valuestring);
	}
	if ((strat = api_strategy(strategy, "defaultCapacityProviderStrategy",
	    providers, e)) == NULL)
		return -1;
	list = cJSON_Duplicate(providers, 1);
	cJSON_ReplaceItemInObjectCaseSensitive(doc, "capacityProviders", list);
	cJSON_ReplaceItemInObjectCaseSensitive(doc,
	    "defaultCapacityProviderStrategy", strat);
	if (cJSON_GetArraySize(list) > 0 ||
	    cJSON_GetObjectItem(doc, "attachmentsStatus") != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(doc,
		    "attachmentsStatus");
		cJSON_AddStringToObject(doc, "attachmentsStatus",
		    "UPDATE_COMPLETE");
	}
	return 0;
}

static void
add_stat(cJSON *stats, const char *name, int64_t v)
{
	cJSON	*s = cJSON_CreateObject();
	char	 buf[32];

	snprintf(buf, sizeof buf, "%lld", (long long)v);
	cJSON_AddStringToObject(s, "name", name);
	cJSON_AddStringToObject(s, "value", buf);
	cJSON_AddItemToArray(stats, s);
}

/* One statistic a launch type, in cluster_counts order: the name is
 * what, then EC2, Fargate or External, then unit. */
static void
add_stats(cJSON *stats, const char *what, const char *unit,
    const int64_t by[3])
{
	static const char *const types[] = { "EC2", "Fargate", "External" };
	char	name[64];
	int	i;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "%s%s%s", what, types[i], unit);
		add_stat(stats, name, by[i]);
	}
}

static void
copy_member(cJSON *to, const cJSON *from, const char *name)
{
	const cJSON	*j = cJSON_GetObjectItemCaseSensitive(from, name);

	if (j != NULL)
		cJSON_AddItemToObject(to, name, cJSON_Duplicate(j, 1));
}

/* The Cluster shape for one row; inc says which optional parts to show. */
static cJSON *
cluster_json(struct api_ctx *c, const struct cluster_row *r, int inc,
    struct err *e)
{
	struct cluster_counts	 n;
	cJSON			*o, *stats;

	if (store_cluster_counts(c->st, r->name, &n, e) != 0)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "clusterArn", r->arn);
	cJSON_AddStringToObject(o, "clusterName", r->name);
	if (inc & INC_CONFIGURATIONS)
		copy_member(o, r->doc, "configuration");
	cJSON_AddStringToObject(o, "status", r->status);
	cJSON_AddNumberToObject(o, "registeredContainerInstancesCount",
	    (double)n.instances);
	cJSON_AddNumberToObject(o, "runningTasksCount", (double)n.running);
	cJSON_AddNumberToObject(o, "pendingTasksCount", (double)n.pending);
	cJSON_AddNumberToObject(o, "activeServicesCount",
	    (double)n.active_services);
	stats = cJSON_AddArrayToObject(o, "statistics");
	if (inc & INC_STATISTICS) {
		add_stats(stats, "running", "TasksCount", n.running_by);
		add_stats(stats, "pending", "TasksCount", n.pending_by);
		add_stats(stats, "active", "ServiceCount", n.active_services_by);
		add_stats(stats, "draining", "ServiceCount",
		    n.draining_services_by);
	}
	if (inc & INC_TAGS)
		cJSON_AddItemToObject(o, "tags", store_tags_get(c->st, r->arn));
	else
		cJSON_AddArrayToObject(o, "tags");
	copy_member(o, r->doc, "settings");
	copy_member(o, r->doc, "capacityProviders");
	copy_member(o, r->doc, "defaultCapacityProviderStrategy");
	if (inc & INC_ATTACHMENTS)
		cJSON_AddArrayToObject(o, "attachments");
	copy_member(o, r->doc, "attachmentsStatus");
	copy_member(o, r->doc, "serviceConnectDefaults");
	return o;
}

static int
reply_cluster(struct api_ctx *c, const char *name, int inc, cJSON *resp,
    struct err *e)
{
	struct cluster_row	 r;
	cJSON			*o;
	int			 found;

	if ((found = store_cluster_find(c->st, name, &r, e)) <= 0)
		return found < 0 ? -1 : err_set(e, ERR_CLUSTER_NOT_FOUND,
		    "Cluster not found.");
	o = cluster_json(c, &r, inc, e);
	cluster_row_clear(&r);
	if (o == NULL)
		return -1;
	cJSON_AddItemToObject(resp, "cluster", o);
	return 0;
}

/* Finds an ACTIVE cluster by name or ARN for a change. */
static int
active_cluster(struct api_ctx *c, const char *ref, struct cluster_row *r,
    struct err *e)
{
	int	found;

	if ((found = store_cluster_find(c->st, ref, r, e)) < 0)
		return -1;
	if (found == 0 || strcmp(r->status, "ACTIVE") != 0) {
		cluster_row_clear(r);
		return err_set(e, ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
	}
	return 0;
}

int
api_create_cluster(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	static const char *const members[] = { "clusterName", "tags",
	    "settings", "configuration", "capacityProviders",
	    "defaultCapacityProviderStrategy", "serviceConnectDefaults", NULL };
	struct cluster_row	 r;
	const cJSON		*tags, *settings, *conf, *providers, *strategy;
	const cJSON		*scd;
	const char		*name;
	cJSON			*doc = NULL, *empty = NULL;
	char			*arn = NULL;
	int			 found, ret = -1;

	if (api_only_members(req, "CreateClusterRequest", members, e) != 0 ||
	    api_str(req, "clusterName", 0, &name, e) != 0 ||
	    api_array(req, "tags", 0, STORE_TAGS_MAX, &tags, e) != 0 ||
	    api_array(req, "settings", 0, 0, &settings, e) != 0 ||
	    api_object(req, "configuration", 0, &conf, e) != 0 ||
	    api_str_array(req, "capacityProviders", 0, 0, &providers, e) != 0 ||
	    api_array(req, "defaultCapacityProviderStrategy", 0, STRATEGY_MAX,
	    &strategy, e) != 0 ||
	    api_object(req, "serviceConnectDefaults", 0, &scd, e) != 0)
		return -1;
	if (name == NULL)
		name = "default";
	if (!str_is_ecs_name(name, CLUSTER_NAME_MAX))
		return err_set(e, ERR_INVALID, "Cluster name must match "
		    "^[a-zA-Z0-9\\-_]{1,255}$, but was '%.64s'%s", name,
		    strlen(name) > 64 ? "..." : "");

	doc = store_cluster_doc_default();
	if (settings != NULL && merge_settings(doc, settings, e) != 0)
		goto out;
	if (conf != NULL) {
		if (check_configuration(conf, e) != 0)
			goto out;
		cJSON_AddItemToObject(doc, "configuration",
		    cJSON_Duplicate(conf, 1));
	}
	if (providers != NULL || strategy != NULL) {
		empty = cJSON_CreateArray();
		if (set_providers(doc, providers ? providers : empty,
		    strategy ? strategy : empty, e) != 0)
			goto out;
	}
	if (scd != NULL && set_service_connect(doc, scd, e) != 0)
		goto out;

	/* An ACTIVE cluster of that name is returned unchanged, as ECS does. */
	if ((found = store_cluster_find(c->st, name, &r, e)) < 0)
		goto out;
	if (found && strcmp(r.status, "ACTIVE") == 0) {
		cluster_row_clear(&r);
		ret = reply_cluster(c, name, INC_CHANGED, resp, e);
		goto out;
	}
	cluster_row_clear(&r);

	arn = engine_arn(c->eng, "cluster/%s", name);
	if (store_tags_drop(c->st, arn, e) != 0 ||
	    store_cluster_put(c->st, name, arn, "ACTIVE", c->now, doc, e) != 0 ||
	    store_tags_set(c->st, arn, tags, e) != 0)
		goto out;
	ret = reply_cluster(c, name, INC_CHANGED, resp, e);
out:
	cJSON_Delete(doc);
	cJSON_Delete(empty);
	free(arn);
	return ret;
}

int
api_describe_clusters(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	static const char *const members[] = { "clusters", "include", NULL };
	struct cluster_row	 r;
	const cJSON		*refs, *j;
	cJSON			*list, *failures, *o;
	char			*arn;
	int			 inc, found;

	if (api_only_members(req, "DescribeClustersRequest", members, e) != 0 ||
	    api_str_array(req, "clusters", 0, 100, &refs, e) != 0 ||
	    read_include(req, cluster_fields, &inc, e) != 0)
		return -1;
	list = cJSON_AddArrayToObject(resp, "clusters");
	failures = cJSON_AddArrayToObject(resp, "failures");
	if (refs == NULL || cJSON_GetArraySize(refs) == 0) {
		if ((found = store_cluster_find(c->st, "default", &r, e)) < 0)
			return -1;
		if (found == 0) {
			arn = engine_arn(c->eng, "cluster/default");
			api_add_failure(failures, arn, "MISSING", NULL);
			free(arn);
			return 0;
		}
		o = cluster_json(c, &r, inc, e);
		cluster_row_clear(&r);
		if (o == NULL)
			return -1;
		cJSON_AddItemToArray(list, o);
		return 0;
	}
	cJSON_ArrayForEach(j, refs) {
		if ((found = store_cluster_find(c->st, j->valuestring, &r,
		    e)) < 0)
			return -1;
		if (found == 0) {
			if (str_has_prefix(j->valuestring, "arn:"))
				arn = xstrdup(j->valuestring);
			else
				arn = engine_arn(c->eng, "cluster/%s",
				    j->valuestring);
			api_add_failure(failures, arn, "MISSING", NULL);
			free(arn);
			continue;
		}
		o = cluster_json(c, &r, inc, e);
		cluster_row_clear(&r);
		if (o == NULL)
			return -1;
		cJSON_AddItemToArray(list, o);
	}
	return 0;
}

int
api_list_clusters(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	static const char *const members[] = { "nextToken", "maxResults",
	    NULL };
	struct api_page	 p;
	int64_t		 total;
	cJSON		*arns;

	if (api_only_members(req, "ListClustersRequest", members, e) != 0 ||
	    api_page(req, &p, e) != 0)
		return -1;
	arns = cJSON_AddArrayToObject(resp, "clusterArns");
	if (store_cluster_list(c->st, p.offset, p.limit, arns, &total, e) != 0)
		return -1;
	api_page_token(resp, &p, total);
	return 0;
}

/*
 * Deleting an INACTIVE cluster answers it again, as ECS does. A deleted
 * cluster's tags go with it.
 */
int
api_delete_cluster(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	static const char *const members[] = { "cluster", NULL };
	struct cluster_row	 r;
	const char		*ref;
	int			 found, ret = -1;

	if (api_only_members(req, "DeleteClusterRequest", members, e) != 0 ||
	    api_str(req, "cluster", 1, &ref, e) != 0)
		return -1;
	if ((found = store_cluster_find(c->st, ref, &r, e)) < 0)
		return -1;
	if (found == 0)
		return err_set(e, ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
	if (strcmp(r.status, "ACTIVE") == 0) {
		if (store_cluster_check_empty(c->st, r.name, e) != 0 ||
		    store_cluster_update(c->st, r.name, "INACTIVE", r.doc,
		    e) != 0 || store_tags_drop(c->st, r.arn, e) != 0)
			goto out;
	}
	ret = reply_cluster(c, r.name, INC_CHANGED, resp, e);
out:
	cluster_row_clear(&r);
	return ret;
}

int
api_update_cluster(struct api_ctx *c, const cJSON *req, cJSON *resp,
    struct err *e)
{
	static const char *const members[] = { "cluster", "settings",
	    "configuration", "serviceConnectDefaults", NULL };
	struct cluster_row	 r;
	const cJSON		*settings, *conf, *scd;
	const char		*ref;
	int			 ret = -1;

	if (api_only_members(req, "UpdateClusterRequest", members, e) != 0 ||
	    api_str(req, "cluster", 1, &ref, e) != 0 ||
	    api_array(req, "settings", 0, 0, &settings, e) != 0 ||
	    api_object(req, "configuration", 0, &conf, e) != 0 ||
	    api_object(req, "serviceConnectDefaults", 0, &scd, e) != 0)
		return -1;
	if (active_cluster(c, ref, &r, e) != 0)
		return -1;
	if (settings != NULL && merge_settings(r.doc, settings, e) != 0)
		goto out;
	if (conf != NULL) {
		if (check_configuration(conf, e) != 0)
			goto out;
		cJSON_DeleteItemFromObjectCaseSensitive(r.doc, "configuration");
		cJSON_AddItemToObject(r.doc, "configuration",
		    cJSON_Duplicate(conf, 1));
	}
	if (scd != NULL && set_service_connect(r.doc, scd, e) != 0)
		goto out;
	if (store_cluster_update(c->st, r.name, r.status, r.doc, e) != 0)
		goto out;
	ret = reply_cluster(c, r.name, INC_CHANGED, resp, e);
out:
	cluster_row_clear(&r);
	return ret;
}

int
api_update_cluster_settings(struct api_ctx *c, const cJSON *req,
    cJSON *resp, struct err *e)
{
	static const char *const members[] = { "cluster", "settings", NULL };
	struct cluster_row	 r;
	const cJSON		*settings;
	const char		*ref;
	int			 ret = -1;

	if (api_only_members(req, "UpdateClusterSettingsRequest", members,
	    e) != 0 || api_str(req, "cluster", 1, &ref, e) != 0 ||
	    api_array(req, "settings", 1, 0, &settings, e) != 0)
		return -1;
	if (active_cluster(c, ref, &r, e) != 0)
		return -1;
	if (merge_settings(r.doc, settings, e) != 0 ||
	    store_cluster_update(c->st, r.name, r.status, r.doc, e) != 0)
		goto out;
	ret = reply_cluster(c, r.name, INC_CHANGED, resp, e);
out:
	cluster_row_clear(&r);
	return ret;
}

/*
 * Replaces the cluster's providers and default strategy. A provider that
 * is dropped must not be in use by a service's strategy or a task
 * (ResourceInUseException).
 */
int
api_put_cluster_capacity_providers(struct api_ctx *c, const cJSON *req,
    cJSON *resp, struct err *e)
{
	static const char *const members[] = { "cluster", "capacityProviders",
	    "defaultCapacityProviderStrategy", NULL };
	struct cluster_row	 r;
	const cJSON		*providers, *strategy, *old, *j, *k;
	cJSON			*was = NULL;
	const char		*ref;
	int			 used, ret = -1;

	if (api_only_members(req, "PutClusterCapacityProvidersRequest",
	    members, e) != 0 || api_str(req, "cluster", 1, &ref, e) != 0 ||
	    api_str_array(req, "capacityProviders", 1, 0, &providers, e) != 0 ||
	    api_array(req, "defaultCapacityProviderStrategy", 1, STRATEGY_MAX,
	    &strategy, e) != 0)
		return -1;
	if (active_cluster(c, ref, &r, e) != 0)
		return -1;
	old = cJSON_GetObjectItemCaseSensitive(r.doc, "capacityProviders");
	was = cJSON_Duplicate(old, 1);
	if (set_providers(r.doc, providers, strategy, e) != 0)
		goto out;
	cJSON_ArrayForEach(j, was) {
		if (!cJSON_IsString(j))
			continue;
		cJSON_ArrayForEach(k, providers)
			if (strcmp(k->valuestring, j->valuestring) == 0)
				break;
		if (k != NULL)
			continue;
		if ((used = store_cluster_provider_in_use(c->st, r.name,
		    j->valuestring, e)) < 0)
			goto out;
		if (used) {
			err_set(e, ERR_RESOURCE_IN_USE, "The specified "
			    "capacity provider %.64s is in use and cannot be "
			    "removed.", j->valuestring);
			goto out;
		}
	}
	if (store_cluster_update(c->st, r.name, r.status, r.doc, e) != 0)
		goto out;
	ret = reply_cluster(c, r.name, INC_CHANGED, resp, e);
out:
	cJSON_Delete(was);
	cluster_row_clear(&r);
	return ret;
}

/*
 * FARGATE and FARGATE_SPOT as ECS describes them: ACTIVE, no Auto Scaling
 * group. maxResults is 1-10 (default 10) here, unlike the other lists.
 */
int
api_describe_capacity_providers(struct api_ctx *c, const cJSON *req,
    cJSON *resp, struct err *e)
{
	static const char *const members[] = { "capacityProviders", "cluster",
	    "include", "maxResults", "nextToken", NULL };
	static const char *const fields[] = { "TAGS", NULL };
	const cJSON	*want, *j;
	const char	*cluster, *token, *name, *slash;
	const char	*found[sizeof capacity_providers /
			    sizeof capacity_providers[0]];
	cJSON		*list, *failures, *o;
	char		*cname = NULL, *arn, *end, buf[32];
	int64_t		 limit = 10, offset = 0, i, n = 0;
	int		 inc;
	size_t		 k;

	if (api_only_members(req, "DescribeCapacityProvidersRequest", members,
	    e) != 0 ||
	    api_str_array(req, "capacityProviders", 0, 100, &want, e) != 0 ||
	    api_str(req, "cluster", 0, &cluster, e) != 0 ||
	    read_include(req, fields, &inc, e) != 0 ||
	    api_int(req, "maxResults", 0, 1, 10, &limit, NULL, e) != 0 ||
	    api_str(req, "nextToken", 0, &token, e) != 0)
		return -1;
	if (token != NULL) {
		offset = strtoll(token, &end, 10);
		if (*token == '\0' || *end != '\0' || offset < 0)
			return err_set(e, ERR_INVALID, "nextToken '%.64s' is "
			    "not one this server gave out", token);
	}
	/* A cluster narrows the list to the providers it has. */
	if (cluster != NULL && store_cluster_resolve(c->st, cluster, &cname,
	    e) != 0)
		return -1;
	failures = cJSON_CreateArray();
	if (want == NULL) {
		for (k = 0; capacity_providers[k] != NULL; k++)
			found[n++] = capacity_providers[k];
	} else {
		cJSON_ArrayForEach(j, want) {
			name = j->valuestring;
			if (str_has_prefix(name, "arn:") &&
			    (slash = strstr(name, ":capacity-provider/")) != NULL)
				name = slash + strlen(":capacity-provider/");
			for (k = 0; capacity_providers[k] != NULL; k++)
				if (strcmp(capacity_providers[k], name) == 0)
					break;
			if (capacity_providers[k] == NULL) {
				if (str_has_prefix(j->valuestring, "arn:"))
					arn = xstrdup(j->valuestring);
				else
					arn = engine_arn(c->eng,
					    "capacity-provider/%s", name);
				api_add_failure(failures, arn, "MISSING", NULL);
				free(arn);
				continue;
			}
			for (i = 0; i < n; i++)
				if (found[i] == capacity_providers[k])
					break;
			if (i == n)
				found[n++] = capacity_providers[k];
		}
	}
	if (cname != NULL) {
		struct cluster_row	 r;
		const cJSON		*have;
		int64_t			 m = 0;

		if (store_cluster_find(c->st, cname, &r, e) != 1) {
			free(cname);
			cJSON_Delete(failures);
			return -1;
		}
		have = cJSON_GetObjectItemCaseSensitive(r.doc,
		    "capacityProviders");
		for (i = 0; i < n; i++) {
			cJSON_ArrayForEach(j, have)
				if (cJSON_IsString(j) &&
				    strcmp(j->valuestring, found[i]) == 0)
					break;
			if (j != NULL)
				found[m++] = found[i];
		}
		n = m;
		cluster_row_clear(&r);
		free(cname);
	}
	list = cJSON_AddArrayToObject(resp, "capacityProviders");
	for (i = offset; i < n && i < offset + limit; i++) {
		o = cJSON_CreateObject();
		arn = engine_arn(c->eng, "capacity-provider/%s", found[i]);
		cJSON_AddStringToObject(o, "capacityProviderArn", arn);
		cJSON_AddStringToObject(o, "name", found[i]);
		cJSON_AddStringToObject(o, "status", "ACTIVE");
		cJSON_AddStringToObject(o, "type", found[i]);
		if (inc & 1)
			cJSON_AddItemToObject(o, "tags",
			    store_tags_get(c->st, arn));
		free(arn);
		cJSON_AddItemToArray(list, o);
	}
	cJSON_AddItemToObject(resp, "failures", failures);
	if (offset + limit < n) {
		snprintf(buf, sizeof buf, "%lld", (long long)(offset + limit));
		cJSON_AddStringToObject(resp, "nextToken", buf);
	}
	return 0;
}
