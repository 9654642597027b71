/* Container instance operations: register (a simulated instance with its
 * built-in attributes), describe, list, drain or reactivate, deregister. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "placement/query.h"

#define INSTANCE_MAX_PER_CLUSTER	5000
#define INSTANCE_DEFAULT_CPU		2048
#define INSTANCE_DEFAULT_MEMORY		3904

/* The ports the ECS agent reserves, in the order ECS lists them. */
static const int agent_ports[] = { 22, 2376, 2375, 51678, 51679 };

/* What the agent says the host can do: every simulated instance has all. */
static const char *const capabilities[] = {
	"com.amazonaws.ecs.capability.privileged-container",
	"com.amazonaws.ecs.capability.docker-remote-api.1.17",
	"com.amazonaws.ecs.capability.docker-remote-api.1.18",
	"com.amazonaws.ecs.capability.docker-remote-api.1.19",
	"com.amazonaws.ecs.capability.docker-remote-api.1.20",
	"com.amazonaws.ecs.capability.docker-remote-api.1.21",
	"com.amazonaws.ecs.capability.docker-remote-api.1.22",
	"com.amazonaws.ecs.capability.docker-remote-api.1.23",
	"com.amazonaws.ecs.capability.docker-remote-api.1.24",
	"com.amazonaws.ecs.capability.docker-remote-api.1.25",
	"com.amazonaws.ecs.capability.docker-remote-api.1.26",
	"com.amazonaws.ecs.capability.docker-remote-api.1.27",
	"com.amazonaws.ecs.capability.docker-remote-api.1.28",
	"com.amazonaws.ecs.capability.docker-remote-api.1.29",
	"com.amazonaws.ecs.capability.docker-remote-api.1.30",
	"com.amazonaws.ecs.capability.docker-remote-api.1.31",
	"com.amazonaws.ecs.capability.docker-remote-api.1.32",
	"com.amazonaws.ecs.capability.docker-remote-api.1.38",
	"com.amazonaws.ecs.capability.docker-remote-api.1.39",
	"com.amazonaws.ecs.capability.docker-remote-api.1.40",
	"com.amazonaws.ecs.capability.docker-remote-api.1.41",
	"com.amazonaws.ecs.capability.docker-remote-api.1.42",
	"com.amazonaws.ecs.capability.docker-remote-api.1.43",
	"com.amazonaws.ecs.capability.docker-remote-api.1.44",
	"com.amazonaws.ecs.capability.ecr-auth",
	"com.amazonaws.ecs.capability.task-iam-role",
	"com.amazonaws.ecs.capability.task-iam-role-network-host",
	"com.amazonaws.ecs.capability.logging-driver.awslogs",
	"com.amazonaws.ecs.capability.logging-driver.json-file",
	"com.amazonaws.ecs.capability.logging-driver.none",
	"com.amazonaws.ecs.capability.logging-driver.syslog",
	"com.amazonaws.ecs.capability.logging-driver.fluentd",
	"com.amazonaws.ecs.capability.logging-driver.journald",
	"com.amazonaws.ecs.capability.logging-driver.gelf",
	"ecs.capability.execution-role-awslogs",
	"ecs.capability.execution-role-ecr-pull",
	"ecs.capability.container-health-check",
	"ecs.capability.container-ordering",
	"ecs.capability.task-cpu-mem-limit",
	"ecs.capability.task-eni",
	"ecs.capability.private-registry-authentication.secretsmanager",
	"ecs.capability.secrets.asm.environment-variables",
	"ecs.capability.secrets.ssm.environment-variables",
	"ecs.capability.env-files.s3",
	"ecs.capability.full-sync",
	"ecs.capability.increased-task-cpu-limit",
	NULL
};

static const char *const include_fields[] = {
	"TAGS", "CONTAINER_INSTANCE_HEALTH", NULL
};

/* The instance's facts, from its identity document or made up. */
struct identity {
	char	instance_id[64];
	char	zone[64];
	char	type[64];
	char	image[64];
	char	vpc[64];
	char	subnet[64];
};

static void
copy_member(const cJSON *doc, const char *name, char *out, size_t len)
{
	const cJSON	*j = cJSON_GetObjectItemCaseSensitive(doc, name);

	if (cJSON_IsString(j) && j->valuestring[0] != '\0')
		snprintf(out, len, "%s", j->valuestring);
}

/*
 * A missing document means a simulated host: a fresh instance id from the
 * engine's PRNG, the region's first zone. Made-up VPC, subnet and AMI ids
 * are derived from the region and zone, so they are stable across runs.
 */
static int
read_identity(struct api_ctx *c, const char *text, struct identity *id,
    struct err *e)
{
	struct prng	*p = engine_prng(c->eng);
	const char	*region = engine_region(c->eng);
	cJSON		*doc = NULL;
	char		 key[256];

	memset(id, 0, sizeof *id);
	if (text != NULL) {
		doc = cJSON_Parse(text);
		if (!cJSON_IsObject(doc)) {
			cJSON_Delete(doc);
			return err_set(e, ERR_INVALID, "instanceIdentityDocument "
			    "is not a JSON instance identity document.");
		}
		copy_member(doc, "instanceId", id->instance_id,
		    sizeof id->instance_id);
		if (id->instance_id[0] == '\0') {
			cJSON_Delete(doc);
			return err_set(e, ERR_INVALID, "instanceIdentityDocument "
			    "has no instanceId.");
		}
		copy_member(doc, "availabilityZone", id->zone, sizeof id->zone);
		copy_member(doc, "instanceType", id->type, sizeof id->type);
		copy_member(doc, "imageId", id->image, sizeof id->image);
		copy_member(doc, "vpcId", id->vpc, sizeof id->vpc);
		copy_member(doc, "subnetId", id->subnet, sizeof id->subnet);
		cJSON_Delete(doc);
	} else
		snprintf(id->instance_id, sizeof id->instance_id,
		    "i-%01x%016llx", (unsigned)prng_below(p, 16),
		    (unsigned long long)prng_next(p));
	if (id->zone[0] == '\0')
		snprintf(id->zone, sizeof id->zone, "%sa", region);
	if (id->type[0] == '\0')
		snprintf(id->type, sizeof id->type, "c5.large");
	snprintf(key, sizeof key, "ami/%s", region);
	if (id->image[0] == '\0')
		snprintf(id->image, sizeof id->image, "ami-0%016llx",
		    (unsigned long long)str_hash(key));
	snprintf(key, sizeof key, "vpc/%s/%s", engine_account(c->eng), region);
	if (id->vpc[0] == '\0')
		snprintf(id->vpc, sizeof id->vpc, "vpc-0%016llx",
		    (unsigned long long)str_hash(key));
	snprintf(key, sizeof key, "subnet/%s/%s", engine_account(c->eng),
	    id->zone);
	if (id->subnet[0] == '\0')
		snprintf(id->subnet, sizeof id->subnet, "subnet-0%016llx",
		    (unsigned long long)str_hash(key));
	return 0;
}

/* A resource's number: integerValue, else longValue, else doubleValue. */
static int
resource_number(const cJSON *r, const char *name, int64_t *out, struct err *e)
{
	static const char *const members[] = {
		"integerValue", "longValue", "doubleValue", NULL
	};
	const cJSON	*j;
	size_t		 i;

	for (i = 0; members[i] != NULL; i++) {
		j = cJSON_GetObjectItemCaseSensitive(r, members[i]);
		if (cJSON_IsNumber(j) && j->valuedouble != 0) {
			if (j->valuedouble < 1 || j->valuedouble > 2147483647.0)
				return err_set(e, ERR_INVALID, "totalResources "
				    "%s must be a positive integer.", name);
			*out = (int64_t)j->valuedouble;
			return 0;
		}
	}
	return err_set(e, ERR_INVALID, "totalResources %s needs a positive "
	    "integerValue.", name);
}

static void
port_add(cJSON *set, int port)
{
	const cJSON	*q;

	cJSON_ArrayForEach(q, set)
		if (q->valueint == port)
			return;
	cJSON_AddItemToArray(set, cJSON_CreateNumber(port));
}

static int
resource_ports(const cJSON *r, const char *name, cJSON *set, struct err *e)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(r,
			    "stringSetValue"), *p;
	char		*end;
	long		 port;

	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v))
		return err_set(e, ERR_SERIALIZATION, "totalResources %s "
		    "stringSetValue must be a list of strings", name);
	cJSON_ArrayForEach(p, v) {
		if (!cJSON_IsString(p))
			return err_set(e, ERR_SERIALIZATION, "totalResources %s "
			    "stringSetValue must be a list of strings", name);
		port = strtol(p->valuestring, &end, 10);
		if (p->valuestring[0] == '\0' || *end != '\0' || port < 1 ||
		    port > 65535)
			return err_set(e, ERR_INVALID, "totalResources %s: "
			    "'%.32s' is not a port number (1-65535).", name,
			    p->valuestring);
		port_add(set, (int)port);
	}
	return 0;
}

/*
 * totalResources: CPU and MEMORY (INTEGER), PORTS and PORTS_UDP
 * (STRINGSET). Others (GPU, ...) are kept as given and shown as registered.
 */
static int
read_resources(const cJSON *req, struct instance_spec *sp, cJSON *ports,
    cJSON *ports_udp, cJSON *other, struct err *e)
{
	static const char *const allowed[] = {
		"name", "type", "doubleValue", "longValue", "integerValue",
		"stringSetValue", NULL
	};
	const cJSON	*list, *r, *name;
	size_t		 i;

	sp->cpu = INSTANCE_DEFAULT_CPU;
	sp->memory = INSTANCE_DEFAULT_MEMORY;
	for (i = 0; i < sizeof agent_ports / sizeof agent_ports[0]; i++)
		port_add(ports, agent_ports[i]);
	if (api_array(req, "totalResources", 0, 0, &list, e) != 0)
		return -1;
	if (list == NULL)
		return 0;
	cJSON_ArrayForEach(r, list) {
		if (!cJSON_IsObject(r))
			return err_set(e, ERR_SERIALIZATION, "totalResources "
			    "entries must be objects");
		if (api_only_members(r, "totalResources entry", allowed, e) != 0)
			return -1;
		name = cJSON_GetObjectItemCaseSensitive(r, "name");
		if (!cJSON_IsString(name) || name->valuestring[0] == '\0')
			return err_set(e, ERR_INVALID, "Every totalResources "
			    "entry needs a name.");
		if (strcmp(name->valuestring, "CPU") == 0) {
			if (resource_number(r, "CPU", &sp->cpu, e) != 0)
				return -1;
		} else if (strcmp(name->valuestring, "MEMORY") == 0) {
			if (resource_number(r, "MEMORY", &sp->memory, e) != 0)
				return -1;
		} else if (strcmp(name->valuestring, "PORTS") == 0) {
			if (resource_ports(r, "PORTS", ports, e) != 0)
				return -1;
		} else if (strcmp(name->valuestring, "PORTS_UDP") == 0) {
			if (resource_ports(r, "PORTS_UDP", ports_udp, e) != 0)
				return -1;
		} else
			cJSON_AddItemToArray(other, cJSON_Duplicate(r, 1));
	}
	return 0;
}

static cJSON *
read_version_info(const cJSON *req, struct err *e)
{
	static const char *const allowed[] = {
		"agentVersion", "agentHash", "dockerVersion", NULL
	};
	static const struct {
		const char	*name;
		const char	*dflt;
	} fields[] = {
		{ "agentVersion", "1.89.0" },
		{ "agentHash", "ecsim" },
		{ "dockerVersion", "DockerVersion: 25.0.8" },
	};
	const cJSON	*vi;
	const char	*v;
	cJSON		*out;
	size_t		 i;

	if (api_object(req, "versionInfo", 0, &vi, e) != 0)
		return NULL;
	if (vi != NULL && api_only_members(vi, "versionInfo", allowed, e) != 0)
		return NULL;
	out = cJSON_CreateObject();
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		v = NULL;
		if (vi != NULL && api_str_len(vi, fields[i].name, 0, 256, &v,
		    e) != 0) {
			cJSON_Delete(out);
			return NULL;
		}
		cJSON_AddStringToObject(out, fields[i].name, v != NULL &&
		    *v != '\0' ? v : fields[i].dflt);
	}
	return out;
}

/* Tags as ECS limits them: at most 50, key 1-128, value 0-256. */
static int
check_tags(const cJSON *tags, struct err *e)
{
	const cJSON	*t, *k, *v;

	if (cJSON_GetArraySize(tags) > 50)
		return err_set(e, ERR_INVALID, "Too many tags: a resource can "
		    "have at most 50.");
	cJSON_ArrayForEach(t, tags) {
		k = cJSON_GetObjectItemCaseSensitive(t, "key");
		v = cJSON_GetObjectItemCaseSensitive(t, "value");
		if (!cJSON_IsObject(t) || !cJSON_IsString(k) ||
		    (v != NULL && !cJSON_IsNull(v) && !cJSON_IsString(v)))
			return err_set(e, ERR_SERIALIZATION, "tags entries must "
			    "be objects with a string key and value");
		if (k->valuestring[0] == '\0' || strlen(k->valuestring) > 128)
			return err_set(e, ERR_INVALID, "Tag keys must be between "
			    "1 and 128 characters.");
		if (cJSON_IsString(v) && strlen(v->valuestring) > 256)
			return err_set(e, ERR_INVALID, "The value of tag %.128s "
			    "must be at most 256 characters.", k->valuestring);
	}
	return 0;
}

/* Built-in attributes, then the capabilities, then what the agent sent. */
static int
write_attributes(struct api_ctx *c, const char *cluster, const char *arn,
    const struct identity *id, const cJSON *attrs, struct err *e)
{
	const struct {
		const char	*name;
		const char	*value;
	} builtin[] = {
		{ "ecs.availability-zone", id->zone },
		{ "ecs.instance-type", id->type },
		{ "ecs.os-type", "linux" },
		{ "ecs.os-family", "LINUX" },
		{ "ecs.cpu-architecture", "x86_64" },
		{ "ecs.ami-id", id->image },
		{ "ecs.vpc-id", id->vpc },
		{ "ecs.subnet-id", id->subnet },
	};
	const cJSON	*a, *n, *v;
	const char	*value;
	int64_t		 custom;
	size_t		 i;

	for (i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		if (store_attribute_put(c->st, cluster, arn, builtin[i].name,
		    builtin[i].value, e) != 0)
			return -1;
	for (i = 0; capabilities[i] != NULL; i++)
		if (store_attribute_put(c->st, cluster, arn, capabilities[i],
		    NULL, e) != 0)
			return -1;
	if (attrs == NULL)
		return 0;
	cJSON_ArrayForEach(a, attrs) {
		n = cJSON_GetObjectItemCaseSensitive(a, "name");
		v = cJSON_GetObjectItemCaseSensitive(a, "value");
		if (!cJSON_IsObject(a) || !cJSON_IsString(n) ||
		    (v != NULL && !cJSON_IsNull(v) && !cJSON_IsString(v)))
			return err_set(e, ERR_SERIALIZATION, "attributes entries "
			    "must be objects with a string name and value");
		value = cJSON_IsString(v) ? v->valuestring : NULL;
		if (store_attribute_check(n->valuestring, value, e) != 0 ||
		    store_attribute_put(c->st, cluster, arn, n->valuestring,
		    value, e) != 0)
			return -1;
	}
	if (store_attribute_custom_count(c->st, cluster, arn, &custom, e) != 0)
		return -1;
	if (custom > 10)
		return err_set(e, ERR_ATTRIBUTE_LIMIT, "You can apply up to 10 "
		    "custom attributes for each resource; this registration "
		    "would give %lld.", (long long)custom);
	return 0;
}

/*
 * Which instance a registration is for: the containerInstanceArn given,
 * else an instance of the cluster with the same EC2 instance id (the agent
 * registering again), else a new one. *arn is NULL for a new one.
 */
static int
registration_target(struct api_ctx *c, const cJSON *req, const char *cluster,
    const char *ec2, char **arn, struct err *e)
{
	const char	*given;
	char		*status = NULL;
	int		 ret = -1;

	*arn = NULL;
	if (api_str(req, "containerInstanceArn", 0, &given, e) != 0)
		return -1;
	if (given == NULL)
		return store_instance_find_ec2(c->st, cluster, ec2, arn, e);
	if (store_instance_find(c->st, cluster, given, arn, &status, e) != 0) {
		err_set(e, ERR_INVALID, "containerInstanceArn %s is not a "
		    "container instance of cluster %s.", given, cluster);
		goto out;
	}
	if (strcmp(status, "INACTIVE") == 0) {
		err_set(e, ERR_CLIENT, "Container instance %s was deregistered "
		    "(INACTIVE) and cannot register again; register without "
		    "containerInstanceArn to get a new one.", given);
		free(*arn);
		*arn = NULL;
		goto out;
	}
	ret = 0;
out:
	free(status);
	return ret;
}

/* Re-registering without a document keeps the EC2 instance id it had. */
static int
keep_ec2_id(struct api_ctx *c, const char *arn, struct identity *id,
    struct err *e)
{
	cJSON		*ci;
	const cJSON	*ec2;

	if ((ci = store_instance_describe(c->st, arn, 0, e)) == NULL)
		return -1;
	ec2 = cJSON_GetObjectItemCaseSensitive(ci, "ec2InstanceId");
	if (cJSON_IsString(ec2))
		snprintf(id->instance_id, sizeof id->instance_id, "%s",
		    ec2->valuestring);
	cJSON_Delete(ci);
	return 0;
}

/*
 * After (de)registration: the instance's version and event, a poke (its
 * capacity changed), and the reply's containerInstance.
 */
static int
changed_reply(struct api_ctx *c, const char *arn, cJSON *resp, struct err *e)
{
	cJSON	*ci;

	if (engine_instance_changed(c->eng, arn, e) != 0)
		return -1;
	engine_poke(c->eng);
	if ((ci = store_instance_describe(c->st, arn, 1, e)) == NULL)
		return -1;
	cJSON_AddItemToObject(resp, "containerInstance", ci);
	return 0;
}

int
api_register_container_instance(struct api_ctx *c, const cJSON *req,
    cJSON *resp, struct err *e)
{
	static const char *const allowed[] = {
		"cluster", "instanceIdentityDocument",
		"instanceIdentityDocumentSignature", "totalResources",
		"versionInfo", "containerInstanceArn", "attributes",
		"platformDevices", "tags", NULL
	};
	struct instance_spec	 sp;
	struct identity		 id;
	const cJSON		*attrs, *tags;
	const char		*ref, *doc_text;
	char			*cluster = NULL, *arn = NULL, id32[ID_HEX32_LEN];
	cJSON			*ports = cJSON_CreateArray();
	cJSON			*ports_udp = cJSON_CreateArray();
	cJSON			*doc = cJSON_CreateObject(), *other, *vi;
	int64_t			 n;
	int			 ret = -1;

	memset(&sp, 0, sizeof sp);
	other = cJSON_AddArrayToObject(doc, "otherResources");
	if (api_only_members(req, "RegisterContainerInstance", allowed, e) != 0)
		goto out;
	if (api_str(req, "cluster", 0, &ref, e) != 0 ||
	    api_str(req, "instanceIdentityDocument", 0, &doc_text, e) != 0 ||
	    api_array(req, "attributes", 0, 0, &attrs, e) != 0 ||
	    api_array(req, "tags", 0, 0, &tags, e) != 0)
		goto out;
	if (read_resources(req, &sp, ports, ports_udp, other, e) != 0)
		goto out;
	if ((vi = read_version_info(req, e)) == NULL)
		goto out;
	cJSON_AddItemToObject(doc, "versionInfo", vi);
	if (tags != NULL && check_tags(tags, e) != 0)
		goto out;
	if (store_cluster_resolve(c->st, ref, &cluster, e) != 0)
		goto out;
	if (read_identity(c, doc_text, &id, e) != 0)
		goto out;
	if (registration_target(c, req, cluster, id.instance_id, &arn, e) != 0)
		goto out;
	if (arn != NULL && doc_text == NULL && keep_ec2_id(c, arn, &id,
	    e) != 0)
		goto out;

	sp.cluster = cluster;
	sp.ec2_instance_id = id.instance_id;
	sp.ports = ports;
	sp.ports_udp = ports_udp;
	sp.doc = doc;
	if (arn != NULL) {
		sp.arn = arn;
		/* An agent registering again is back: its held tasks go on,
		 * as after a reconnect (nothing happens if it never left). */
		if (engine_fault_reconnect(c->eng, cluster, arn, e) != 0 ||
		    store_instance_update(c->st, &sp, c->now, e) != 0)
			goto out;
	} else {
		if (store_instance_count(c->st, cluster, &n, e) != 0)
			goto out;
		if (n >= INSTANCE_MAX_PER_CLUSTER) {
			err_set(e, ERR_LIMIT, "Cluster %s already has %d "
			    "container instances, the most ECS allows.",
			    cluster, INSTANCE_MAX_PER_CLUSTER);
			goto out;
		}
		id_hex32(engine_prng(c->eng), id32);
		arn = engine_arn(c->eng, "container-instance/%s/%s", cluster,
		    id32);
		sp.arn = arn;
		sp.id = id32;
		if (store_instance_insert(c->st, &sp, c->now, e) != 0)
			goto out;
	}
	if (write_attributes(c, cluster, arn, &id, attrs, e) != 0)
		goto out;
	if (tags != NULL && cJSON_GetArraySize(tags) > 0 &&
	    store_tags_set(c->st, arn, tags, e) != 0)
		goto out;
	if (changed_reply(c, arn, resp, e) != 0)
		goto out;
	ret = 0;
out:
	free(cluster);
	free(arn);
	cJSON_Delete(ports);
	cJSON_Delete(ports_udp);
	cJSON_Delete(doc);
	return ret;
}

/* The ARN failures[] shows for a reference: itself, or the ARN an id has. */
static char *
failure_arn(struct api_ctx *c, const char *cluster, const char *ref)
{
	if (str_has_prefix(ref, "arn:"))
		return xstrdup(ref);
	return engine_arn(c->eng, "container-instance/%s/%s", cluster, ref);
}

/* Resolves a containerInstance reference; ECS's error when there is none. */
static int
find_instance(struct api_ctx *c, const char *cluster, const char *ref,
    char **arn, char **status, struct err *e)
{
	if (store_instance_find(c->st, cluster, ref, arn, status, e) == 0)
		return 0;
	if (e != NULL && e->code != ERR_RESOURCE_NOT_FOUND)
		return -1;
	return err_set(e, ERR_INVALID, "The referenced container instance %s "
	    "was not found in cluster %s.", ref, cluster);
}

int
api_deregister_container_instance(struct api_ctx *c, const cJSON *req,
    cJSON *resp, struct err *e)
{
	static const char *const allowed[] = {
		"cluster", "containerInstance", "force", NULL
	};
	const char	*ref, *ci_ref;
	char		*cluster = NULL, *arn = NULL, *status = NULL;
	int64_t		 busy;
	int		 force = 0, ret = -1;

	if (api_only_members(req, "DeregisterContainerInstance", allowed,
	    e) != 0 ||
	    api_str(req, "cluster", 0, &ref, e) != 0 ||
	    api_str(req, "containerInstance", 1, &ci_ref, e) != 0 ||
	    api_bool(req, "force", &force, NULL, e) != 0)
		goto out;
	if (store_cluster_resolve(c->st, ref, &cluster, e) != 0)
		goto out;
	if (find_instance(c, cluster, ci_ref, &arn, &status, e) != 0)
		goto out;
	if (strcmp(status, "INACTIVE") == 0) {
		err_set(e, ERR_INVALID, "Container instance %s is already "
		    "deregistered (INACTIVE).", arn);
		goto out;
	}
	if (store_instance_busy_tasks(c->st, arn, &busy, e) != 0)
		goto out;
	if (busy > 0 && !force) {
		err_set(e, ERR_INVALID, "Found running tasks on the instance.");
		goto out;
	}
	if (store_instance_set_status(c->st, arn, "INACTIVE", e) != 0 ||
	    engine_instance_deregistered(c->eng, arn, e) != 0 ||
	    changed_reply(c, arn, resp, e) != 0)
		goto out;
	ret = 0;
out:
	free(cluster);
	free(arn);
	free(status);
	return ret;
}

/*
 * Simulated hosts have no container runtime to fail, so the one health
 * check ECS reports is OK while the agent is connected and unknown
 * (INSUFFICIENT_DATA) while it is not.
 */
static void
add_health(struct api_ctx *c, cJSON *ci)
{
	cJSON		*h, *details, *d;
	const char	*state;
	const cJSON	*reg = cJSON_GetObjectItemCaseSensitive(ci,
			    "registeredAt");

	state = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ci,
	    "agentConnected")) ? "OK" : "INSUFFICIENT_DATA";
	h = cJSON_AddObjectToObject(ci, "healthStatus");
	cJSON_AddStringToObject(h, "overallStatus", state);
	details = cJSON_AddArrayToObject(h, "details");
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "type", "CONTAINER_RUNTIME");
	cJSON_AddStringToObject(d, "status", state);
	api_add_time(d, "lastUpdated", c->now);
	if (cJSON_IsNumber(reg))
		cJSON_AddNumberToObject(d, "lastStatusChange", reg->valuedouble);
	cJSON_AddItemToArray(details, d);
}

int
api_describe_container_instances(struct api_ctx *c, const cJSON *req,
    cJSON *resp, struct err *e)
{
	static const char *const allowed[] = {
		"cluster", "containerInstances", "include", NULL
	};
	const cJSON	*refs, *inc, *r, *i;
	const char	*ref;
	char		*cluster = NULL, *arn, *farn;
	cJSON		*list, *failures, *ci;
	int		 tags = 0, health = 0, ret = -1, k;

	if (api_only_members(req, "DescribeContainerInstances", allowed,
	    e) != 0 ||
	    api_str(req, "cluster", 0, &ref, e) != 0 ||
	    api_str_array(req, "containerInstances", 1, 100, &refs, e) != 0 ||
	    api_str_array(req, "include", 0, 0, &inc, e) != 0)
		goto out;
	if (cJSON_GetArraySize(refs) == 0) {
		err_set(e, ERR_INVALID, "containerInstances can not be empty.");
		goto out;
	}
	if (inc != NULL)
		cJSON_ArrayForEach(i, inc) {
			for (k = 0; include_fields[k] != NULL; k++)
				if (strcmp(include_fields[k], i->valuestring) == 0)
					break;
			if (include_fields[k] == NULL) {
				err_set(e, ERR_INVALID, "1 validation error "
				    "detected: Value '[%.64s]' at 'include' "
				    "failed to satisfy constraint: Member must "
				    "satisfy enum value set: [TAGS, "
				    "CONTAINER_INSTANCE_HEALTH]",
				    i->valuestring);
				goto out;
			}
			if (k == 0)
				tags = 1;
			else
				health = 1;
		}
	if (store_cluster_resolve(c->st, ref, &cluster, e) != 0)
		goto out;
	list = cJSON_AddArrayToObject(resp, "containerInstances");
	failures = cJSON_AddArrayToObject(resp, "failures");
	cJSON_ArrayForEach(r, refs) {
		if (store_instance_find(c->st, cluster, r->valuestring, &arn,
		    NULL, e) != 0) {
			if (e != NULL && e->code != ERR_RESOURCE_NOT_FOUND)
				goto out;
			err_clear(e);
			farn = failure_arn(c, cluster, r->valuestring);
			api_add_failure(failures, farn, "MISSING", NULL);
			free(farn);
			continue;
		}
		ci = store_instance_describe(c->st, arn, tags, e);
		free(arn);
		if (ci == NULL)
			goto out;
		if (health)
			add_health(c, ci);
		cJSON_AddItemToArray(list, ci);
	}
	ret = 0;
out:
	free(cluster);
	return ret;
}

/*
 * ListContainerInstances with a filter: the expression is evaluated against
 * every instance with the status asked for, and the matches are then
 * paginated, so nextToken counts matching instances and stays stable.
 */
static int
list_filtered(struct api_ctx *c, const char *cluster, const char *status,
    const struct query *q, const struct api_page *page, cJSON *arns,
    int64_t *total, struct err *e)
{
	struct instance_facts	*rows;
	struct query_instance	 in;
	struct query_attr	*attrs = NULL;
	size_t			 n, i, j;

	if (store_instance_facts(c->st, cluster, status, &rows, &n, e) != 0)
		return -1;
	*total = 0;
	for (i = 0; i < n; i++) {
		attrs = xrealloc(attrs, (rows[i].nattrs + 1) * sizeof *attrs);
		for (j = 0; j < rows[i].nattrs; j++) {
			attrs[j].name = rows[i].attrs[j].name;
			attrs[j].value = rows[i].attrs[j].value;
		}
		memset(&in, 0, sizeof in);
		in.ec2_instance_id = rows[i].ec2_instance_id;
		in.agent_version = rows[i].agent_version;
		in.agent_connected = rows[i].agent_connected;
		in.registered_at = rows[i].registered_at;
		in.running_tasks_count = rows[i].running_tasks;
		in.attrs = attrs;
		in.nattrs = rows[i].nattrs;
		in.task_groups = (const char *const *)rows[i].groups;
		in.ntask_groups = rows[i].ngroups;
		if (!query_match(q, &in))
			continue;
		if (*total >= page->offset && *total < page->offset + page->limit)
			cJSON_AddItemToArray(arns,
			    cJSON_CreateString(rows[i].arn));
		(*total)++;
	}
	free(attrs);
	instance_facts_free(rows, n);
	return 0;
}

int
api_list_container_instances(struct api_ctx *c, const cJSON *req,
    cJSON *resp, struct err *e)
{
	static const char *const allowed[] = {
		"cluster", "filter", "nextToken", "maxResults", "status", NULL
	};
	struct api_page	 page;
	struct query	*q = NULL;
	const char	*ref, *filter, *status;
	char		*cluster = NULL;
	cJSON		*arns;
	int64_t		 total;
	int		 ret = -1;

	if (api_only_members(req, "ListContainerInstances", allowed, e) != 0 ||
	    api_str(req, "cluster", 0, &ref, e) != 0 ||
	    api_str(req, "filter", 0, &filter, e) != 0 ||
	    api_enum(req, "status", 0, model_instance_statuses, &status,
	    e) != 0 ||
	    api_page(req, &page, e) != 0)
		goto out;
	if (filter != NULL && filter[0] != '\0' &&
	    query_parse(filter, &q, e) != 0)
		goto out;
	if (store_cluster_resolve(c->st, ref, &cluster, e) != 0)
		goto out;
	arns = cJSON_AddArrayToObject(resp, "containerInstanceArns");
	if (q != NULL) {
		if (list_filtered(c, cluster, status, q, &page, arns, &total,
		    e) != 0)
			goto out;
	} else if (store_instance_arns(c->st, cluster, status, page.offset,
	    page.limit, arns, &total, e) != 0)
		goto out;
	api_page_token(resp, &page, total);
	ret = 0;
out:
	query_free(q);
	free(cluster);
	return ret;
}

int
api_update_container_instances_state(struct api_ctx *c, const cJSON *req,
    cJSON *resp, struct err *e)
{
	static const char *const allowed[] = {
		"cluster", "containerInstances", "status", NULL
	};
	const cJSON	*refs, *r;
	const char	*ref, *want;
	char		*cluster = NULL, *arn = NULL, *status = NULL, *farn;
	cJSON		*list, *failures, *ci;
	int		 ret = -1, changed = 0;

	if (api_only_members(req, "UpdateContainerInstancesState", allowed,
	    e) != 0 ||
	    api_str(req, "cluster", 0, &ref, e) != 0 ||
	    api_str_array(req, "containerInstances", 1, 10, &refs, e) != 0 ||
	    api_enum(req, "status", 1, model_instance_statuses, &want, e) != 0)
		goto out;
	if (cJSON_GetArraySize(refs) == 0) {
		err_set(e, ERR_INVALID, "containerInstances can not be empty.");
		goto out;
	}
	if (strcmp(want, "ACTIVE") != 0 && strcmp(want, "DRAINING") != 0) {
		err_set(e, ERR_INVALID, "Container instances can only be set to "
		    "ACTIVE or DRAINING; %s is a status ECS sets itself.", want);
		goto out;
	}
	if (store_cluster_resolve(c->st, ref, &cluster, e) != 0)
		goto out;
	list = cJSON_AddArrayToObject(resp, "containerInstances");
	failures = cJSON_AddArrayToObject(resp, "failures");
	cJSON_ArrayForEach(r, refs) {
		if (store_instance_find(c->st, cluster, r->valuestring, &arn,
		    &status, e) != 0) {
			if (e != NULL && e->code != ERR_RESOURCE_NOT_FOUND)
				goto out;
			err_clear(e);
			farn = failure_arn(c, cluster, r->valuestring);
			api_add_failure(failures, farn, "MISSING", NULL);
			free(farn);
			continue;
		}
		if (strcmp(status, "ACTIVE") != 0 &&
		    strcmp(status, "DRAINING") != 0) {
			api_add_failure(failures, arn, status, "the container "
			    "instance is not ACTIVE or DRAINING");
		} else {
			if (strcmp(status, want) != 0) {
				if (store_instance_set_status(c->st, arn, want,
				    e) != 0 ||
				    engine_instance_changed(c->eng, arn, e) != 0)
					goto out;
				changed = 1;
			}
			if ((ci = store_instance_describe(c->st, arn, 1,
			    e)) == NULL)
				goto out;
			cJSON_AddItemToArray(list, ci);
		}
		free(arn);
		free(status);
		arn = status = NULL;
	}
	if (changed)
		engine_poke(c->eng);
	ret = 0;
out:
	free(cluster);
	free(arn);
	free(status);
	return ret;
}
