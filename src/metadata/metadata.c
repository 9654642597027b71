/*
 * The task metadata endpoint v4: the fields the ECS agent serves a
 * container about itself and its task (ecs-reference.md §6), built from the
 * task as the store has it, its task definition and its clock. Docker ids
 * and stats are synthetic: derived by hashing, so the same task shows the
 * same ids, and the same numbers at the same engine time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/clockdrift.h"
#include "engine/engine.h"
#include "metadata/metadata.h"
#include "store/store.h"
#include "store/store-clock.h"

#define TASK_ID_LEN	32

/* One request's task, its definition and the container asked about. */
struct md {
	struct engine	*eng;
	struct store	*st;
	struct task_row	 t;
	cJSON		*task;		/* DescribeTasks shape, with tags */
	cJSON		*td;		/* the TaskDefinition */
	const cJSON	*container;	/* of task.containers, or NULL */
	int64_t		 now;
};

static void
reply_text(struct metadata_reply *r, int status, char *text)
{
	r->status = status;
	r->content_type = "text/plain";
	r->body = text;
}

static void
reply_json(struct metadata_reply *r, cJSON *j)
{
	r->status = 200;
	r->content_type = "application/json";
	r->body = json_print(j);
	cJSON_Delete(j);
}

/* A PRNG of its own for what is derived from s (and a number), so the
 * endpoint never draws from the engine's. s holds a task ARN, whose id
 * the engine's seeded PRNG drew. */
static void
derive(struct prng *p, const char *s, uint64_t n)
{
	prng_seed(p, str_hash(s) ^ (n * 0x9e3779b97f4a7c15ULL));
}

/* 64 hex digits derived from s: a docker or image id. */
static void
hex64(const char *s, char out[65])
{
	struct prng	p;
	int		i;

	derive(&p, s, 0);
	for (i = 0; i < 4; i++)
		snprintf(out + 16 * i, 17, "%016llx",
		    (unsigned long long)prng_next(&p));
}

/* An API time (epoch seconds) as RFC 3339 under name, when there is one. */
static void
add_time(cJSON *o, const char *name, const cJSON *secs)
{
	char	buf[TIME_ISO_LEN];

	if (!cJSON_IsNumber(secs) || secs->valuedouble <= 0)
		return;
	time_iso8601((int64_t)llround(secs->valuedouble * 1000.0), 1, buf);
	cJSON_AddStringToObject(o, name, buf);
}

static void
add_string(cJSON *o, const char *name, const char *v)
{
	if (v != NULL && *v != '\0')
		cJSON_AddStringToObject(o, name, v);
}

static const char *
str_of(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, name));
}

/* The container definition named name. */
static const cJSON *
container_def(const cJSON *td, const char *name)
{
	const cJSON	*c;
	const char	*n;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(td, "containerDefinitions")) {
		n = str_of(c, "name");
		if (n != NULL && strcmp(n, name) == 0)
			return c;
	}
	return NULL;
}

/* A detail of the task's network interface (awsvpc), or NULL. */
static const char *
eni_detail(const struct md *m, const char *name)
{
	const cJSON	*d;

	cJSON_ArrayForEach(d, cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(m->task, "attachments"), 0), "details")) {
		if (strcmp(str_of(d, "name") ? str_of(d, "name") : "",
		    name) == 0)
			return str_of(d, "value");
	}
	return NULL;
}

/* The Cluster field: the short name on EC2, the ARN on Fargate. */
static const char *
cluster_field(const struct md *m)
{
	return m->t.launch_type == LAUNCH_FARGATE ? str_of(m->task,
	    "clusterArn") : m->t.cluster;
}

static void
docker_name(const struct md *m, const char *name, char *id, char *out,
    size_t len)
{
	snprintf(out, len, "ecs-%s-%d-%s-%.16s", str_of(m->td, "family"),
	    (int)cJSON_GetNumberValue(cJSON_GetObjectItem(m->td, "revision")),
	    name, id);
}

/* One container as /v4/<id> shows it. */
static cJSON *
container_json(const struct md *m, const cJSON *c)
{
	const cJSON	*def, *j;
	cJSON		*o = cJSON_CreateObject(), *labels, *limits, *h, *nets;
	cJSON		*net;
	const char	*name = str_of(c, "name"), *image, *status, *ip;
	char		 id[65], img[65], dname[512], rev[24], *key;

	def = container_def(m->td, name);
	key = xprintf("%s/%s", m->t.arn, name);
	hex64(key, id);
	free(key);
	image = str_of(c, "image");
	hex64(image != NULL ? image : "", img);
	docker_name(m, name, id, dname, sizeof dname);
	cJSON_AddStringToObject(o, "DockerId", id);
	cJSON_AddStringToObject(o, "Name", name);
	cJSON_AddStringToObject(o, "DockerName", dname);
	add_string(o, "Image", image);
	key = xprintf("sha256:%s", img);
	cJSON_AddStringToObject(o, "ImageID", key);
	free(key);
	labels = cJSON_AddObjectToObject(o, "Labels");
	cJSON_ArrayForEach(j, cJSON_GetObjectItem(def, "dockerLabels"))
		if (cJSON_IsString(j))
			cJSON_AddStringToObject(labels, j->string,
			    j->valuestring);
	cJSON_AddStringToObject(labels, "com.amazonaws.ecs.cluster",
	    cluster_field(m));
	cJSON_AddStringToObject(labels, "com.amazonaws.ecs.container-name",
	    name);
	cJSON_AddStringToObject(labels, "com.amazonaws.ecs.task-arn", m->t.arn);
	cJSON_AddStringToObject(labels,
	    "com.amazonaws.ecs.task-definition-family", str_of(m->td, "family"));
	snprintf(rev, sizeof rev, "%d", (int)cJSON_GetNumberValue(
	    cJSON_GetObjectItem(m->td, "revision")));
	cJSON_AddStringToObject(labels,
	    "com.amazonaws.ecs.task-definition-version", rev);
	cJSON_AddStringToObject(o, "DesiredStatus", str_of(m->task,
	    "desiredStatus"));
	status = str_of(c, "lastStatus");
	add_string(o, "KnownStatus", status);
	if ((j = cJSON_GetObjectItem(c, "exitCode")) != NULL)
		cJSON_AddNumberToObject(o, "ExitCode", j->valuedouble);
	limits = cJSON_AddObjectToObject(o, "Limits");
	cJSON_AddNumberToObject(limits, "CPU", cJSON_GetNumberValue(
	    cJSON_GetObjectItem(def, "cpu")) > 0 ? cJSON_GetNumberValue(
	    cJSON_GetObjectItem(def, "cpu")) : 0);
	if ((j = cJSON_GetObjectItem(def, "memory")) != NULL)
		cJSON_AddNumberToObject(limits, "Memory", j->valuedouble);
	/* The agent's container times are the task's as ECS shows them. */
	add_time(o, "CreatedAt", cJSON_GetObjectItem(m->task, "pullStoppedAt"));
	if (status != NULL && strcmp(status, "PENDING") != 0)
		add_time(o, "StartedAt", cJSON_GetObjectItem(m->task,
		    "startedAt"));
	if (status != NULL && strcmp(status, "STOPPED") == 0)
		add_time(o, "FinishedAt", cJSON_GetObjectItem(m->task,
		    "executionStoppedAt"));
	cJSON_AddStringToObject(o, "Type", "NORMAL");
	if (cJSON_GetObjectItem(def, "healthCheck") != NULL) {
		h = cJSON_AddObjectToObject(o, "Health");
		cJSON_AddStringToObject(h, "status", str_of(c, "healthStatus") ?
		    str_of(c, "healthStatus") : "UNKNOWN");
		add_time(h, "statusSince", cJSON_GetObjectItem(m->task,
		    "startedAt"));
	}
	add_string(o, "ContainerARN", str_of(c, "containerArn"));
	nets = cJSON_AddArrayToObject(o, "Networks");
	net = cJSON_CreateObject();
	cJSON_AddStringToObject(net, "NetworkMode", str_of(m->td,
	    "networkMode") ? str_of(m->td, "networkMode") : "bridge");
	if ((ip = eni_detail(m, "privateIPv4Address")) != NULL)
		cJSON_AddItemToObject(net, "IPv4Addresses",
		    cJSON_CreateStringArray(&ip, 1));
	add_string(net, "MACAddress", eni_detail(m, "macAddress"));
	cJSON_AddItemToArray(nets, net);
	return o;
}

/* The task as /v4/<id>/task shows it (with tags: /taskWithTags). */
static cJSON *
task_json(const struct md *m, int with_tags)
{
	struct clock_reading	 clock;
	struct err		 e;
	const cJSON		*c, *j;
	cJSON			*o = cJSON_CreateObject(), *limits, *list, *tags;
	char			 rev[24];
	const char		*svc;

	cJSON_AddStringToObject(o, "Cluster", cluster_field(m));
	cJSON_AddStringToObject(o, "TaskARN", m->t.arn);
	cJSON_AddStringToObject(o, "Family", str_of(m->td, "family"));
	snprintf(rev, sizeof rev, "%d", (int)cJSON_GetNumberValue(
	    cJSON_GetObjectItem(m->td, "revision")));
	cJSON_AddStringToObject(o, "Revision", rev);
	cJSON_AddStringToObject(o, "DesiredStatus", str_of(m->task,
	    "desiredStatus"));
	cJSON_AddStringToObject(o, "KnownStatus", str_of(m->task,
	    "lastStatus"));
	limits = cJSON_AddObjectToObject(o, "Limits");
	if (m->t.cpu > 0)
		cJSON_AddNumberToObject(limits, "CPU", (double)m->t.cpu / 1024);
	if (m->t.memory > 0)
		cJSON_AddNumberToObject(limits, "Memory", (double)m->t.memory);
	add_time(o, "PullStartedAt", cJSON_GetObjectItem(m->task,
	    "pullStartedAt"));
	add_time(o, "PullStoppedAt", cJSON_GetObjectItem(m->task,
	    "pullStoppedAt"));
	add_time(o, "ExecutionStoppedAt", cJSON_GetObjectItem(m->task,
	    "executionStoppedAt"));
	add_string(o, "AvailabilityZone", str_of(m->task, "availabilityZone"));
	cJSON_AddStringToObject(o, "LaunchType",
	    model_launch_type_name(m->t.launch_type));
	if (m->t.service_arn != NULL &&
	    (svc = strrchr(m->t.service_arn, '/')) != NULL)
		cJSON_AddStringToObject(o, "ServiceName", svc + 1);
	list = cJSON_AddArrayToObject(o, "Containers");
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(m->task, "containers"))
		cJSON_AddItemToArray(list, container_json(m, c));
	err_clear(&e);
	if (engine_clock_read(m->eng, m->t.instance_arn != NULL ?
	    m->t.instance_arn : m->t.arn, &clock, &e) == 0)
		cJSON_AddItemToObject(o, "ClockDrift", clockdrift_json(&clock));
	if (with_tags) {
		tags = cJSON_AddObjectToObject(o, "TaskTags");
		cJSON_ArrayForEach(j, cJSON_GetObjectItem(m->task, "tags"))
			cJSON_AddStringToObject(tags, str_of(j, "key"),
			    str_of(j, "value"));
		if (m->t.instance_arn != NULL) {
			list = store_tags_get(m->st, m->t.instance_arn);
			tags = cJSON_AddObjectToObject(o,
			    "ContainerInstanceTags");
			cJSON_ArrayForEach(j, list)
				cJSON_AddStringToObject(tags, str_of(j, "key"),
				    str_of(j, "value"));
			cJSON_Delete(list);
		}
	}
	return o;
}

/*
 * Docker stats of a running container, synthetic: a steady CPU share and
 * memory use drawn for the container, counters that grow with the time it
 * has run, the memory wobbling from second to second. null when the
 * container is not running, as Docker has none.
 */
static cJSON *
stats_json(const struct md *m, const cJSON *c)
{
	struct prng	 p;
	const cJSON	*def;
	cJSON		*o, *cpu, *pre, *u, *mem, *st, *nets, *eth, *blk;
	const char	*name = str_of(c, "name"), *status;
	char		 id[65], dname[512], ts[TIME_ISO_LEN], *key;
	double		 share, up, limit, used, rx, tx, ncpu;
	int64_t		 started;
	int		 i;

	status = str_of(c, "lastStatus");
	started = (int64_t)llround(cJSON_GetNumberValue(cJSON_GetObjectItem(
	    m->task, "startedAt")) * 1000.0);
	if (status == NULL || strcmp(status, "RUNNING") != 0 || started <= 0)
		return cJSON_CreateNull();
	def = container_def(m->td, name);
	key = xprintf("%s/%s", m->t.arn, name);
	hex64(key, id);
	derive(&p, key, 1);
	free(key);
	share = 0.02 + 0.28 * prng_double(&p);	/* of one CPU */
	limit = cJSON_GetNumberValue(cJSON_GetObjectItem(def, "memory"));
	if (!(limit > 0))
		limit = m->t.memory > 0 ? (double)m->t.memory : 512;
	limit *= 1024 * 1024;
	used = limit * (0.2 + 0.5 * prng_double(&p));
	rx = 2000 + 48000 * prng_double(&p);	/* bytes a second */
	tx = rx * (0.2 + 0.6 * prng_double(&p));
	ncpu = m->t.cpu > 1024 ? ceil((double)m->t.cpu / 1024) : 2;
	derive(&p, id, (uint64_t)(m->now / 1000));
	used *= 0.95 + 0.1 * prng_double(&p);

	o = cJSON_CreateObject();
	time_iso8601(m->now, 1, ts);
	cJSON_AddStringToObject(o, "read", ts);
	time_iso8601(m->now - 1000, 1, ts);
	cJSON_AddStringToObject(o, "preread", ts);
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "pids_stats"),
	    "current", 1 + (double)prng_below(&p, 8));
	cJSON_AddNumberToObject(o, "num_procs", 0);
	for (i = 0; i < 2; i++) {
		up = (double)(m->now - started - 1000 * i) / 1000;
		if (up < 0)
			up = 0;
		cpu = cJSON_AddObjectToObject(o, i == 0 ? "cpu_stats" :
		    "precpu_stats");
		u = cJSON_AddObjectToObject(cpu, "cpu_usage");
		cJSON_AddNumberToObject(u, "total_usage", floor(share * up *
		    1e9));
		cJSON_AddNumberToObject(u, "usage_in_kernelmode", floor(share *
		    up * 0.2e9));
		cJSON_AddNumberToObject(u, "usage_in_usermode", floor(share *
		    up * 0.8e9));
		cJSON_AddNumberToObject(cpu, "system_cpu_usage", floor(ncpu *
		    up * 1e9));
		cJSON_AddNumberToObject(cpu, "online_cpus", ncpu);
		pre = cJSON_AddObjectToObject(cpu, "throttling_data");
		cJSON_AddNumberToObject(pre, "periods", 0);
		cJSON_AddNumberToObject(pre, "throttled_periods", 0);
		cJSON_AddNumberToObject(pre, "throttled_time", 0);
	}
	up = (double)(m->now - started) / 1000;
	mem = cJSON_AddObjectToObject(o, "memory_stats");
	cJSON_AddNumberToObject(mem, "usage", floor(used));
	cJSON_AddNumberToObject(mem, "max_usage", floor(used * 1.1 < limit ?
	    used * 1.1 : limit));
	cJSON_AddNumberToObject(mem, "limit", limit);
	st = cJSON_AddObjectToObject(mem, "stats");
	cJSON_AddNumberToObject(st, "cache", floor(used * 0.1));
	cJSON_AddNumberToObject(st, "rss", floor(used * 0.9));
	blk = cJSON_AddObjectToObject(o, "blkio_stats");
	cJSON_AddArrayToObject(blk, "io_service_bytes_recursive");
	cJSON_AddArrayToObject(blk, "io_serviced_recursive");
	nets = cJSON_AddObjectToObject(o, "networks");
	eth = cJSON_AddObjectToObject(nets, "eth0");
	cJSON_AddNumberToObject(eth, "rx_bytes", floor(rx * up));
	cJSON_AddNumberToObject(eth, "rx_packets", floor(rx * up / 800));
	cJSON_AddNumberToObject(eth, "rx_errors", 0);
	cJSON_AddNumberToObject(eth, "rx_dropped", 0);
	cJSON_AddNumberToObject(eth, "tx_bytes", floor(tx * up));
	cJSON_AddNumberToObject(eth, "tx_packets", floor(tx * up / 800));
	cJSON_AddNumberToObject(eth, "tx_errors", 0);
	cJSON_AddNumberToObject(eth, "tx_dropped", 0);
	docker_name(m, name, id, dname, sizeof dname);
	key = xprintf("/%s", dname);
	cJSON_AddStringToObject(o, "name", key);
	free(key);
	cJSON_AddStringToObject(o, "id", id);
	return o;
}

static void
md_clear(struct md *m)
{
	task_row_clear(&m->t);
	cJSON_Delete(m->task);
	cJSON_Delete(m->td);
}

/*
 * Loads the task whose id is id (32 hex) and, when container is not NULL,
 * finds that container. 0, or -1 with *why the 404's reason (the caller's).
 */
static int
md_load(struct md *m, struct engine *eng, const char *id,
    const char *container, char **why)
{
	struct err	 e;
	const cJSON	*c;
	char		*cluster = NULL;
	int		 found;

	memset(m, 0, sizeof *m);
	m->eng = eng;
	m->st = engine_store(eng);
	m->now = engine_now(eng);
	err_clear(&e);
	if (strlen(id) != TASK_ID_LEN ||
	    strspn(id, "0123456789abcdef") != TASK_ID_LEN) {
		*why = xprintf("Unable to find task metadata: '%.80s' is not "
		    "a task id (32 hex digits)", id);
		return -1;
	}
	found = store_task_cluster(m->st, id, &cluster, &e);
	if (found == 1)
		found = store_task_get(m->st, cluster, id, &m->t, &e);
	free(cluster);
	if (found != 1) {
		*why = found == 0 ? xprintf("Unable to find task metadata: no "
		    "task has id %s", id) : xprintf("Unable to read task "
		    "metadata: %s", e.msg);
		return -1;
	}
	m->task = engine_task_describe(eng, &m->t, 1);
	if ((m->td = store_taskdef_resolve(m->st, m->t.task_definition,
	    &e)) == NULL) {
		*why = xprintf("Unable to read task metadata: %s", e.msg);
		return -1;
	}
	if (container == NULL)
		return 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(m->task, "containers")) {
		if (strcmp(str_of(c, "name"), container) == 0) {
			m->container = c;
			return 0;
		}
	}
	*why = xprintf("Unable to find container metadata: task %s has no "
	    "container '%.255s'", id, container);
	return -1;
}

void
metadata_v4(struct engine *eng, const char *rest, struct metadata_reply *r)
{
	struct md	 m;
	const cJSON	*c;
	cJSON		*o, *s;
	char		*key, *why = NULL, id[TASK_ID_LEN + 1];
	const char	*slash, *what;
	char		 did[65];
	size_t		 n;

	memset(r, 0, sizeof *r);
	slash = strchr(rest, '/');
	n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	what = slash != NULL ? slash : "";
	if (n < TASK_ID_LEN + 2 || rest[TASK_ID_LEN] != '-') {
		reply_text(r, 404, xprintf("Unable to find container metadata: "
		    "'%.*s' is not a container id (<task id>-<container "
		    "name>)", (int)(n > 300 ? 300 : n), rest));
		return;
	}
	memcpy(id, rest, TASK_ID_LEN);
	id[TASK_ID_LEN] = '\0';
	key = xstrndup(rest + TASK_ID_LEN + 1, n - TASK_ID_LEN - 1);
	if (md_load(&m, eng, id, key, &why) != 0) {
		reply_text(r, 404, why);
		goto out;
	}
	if (strcmp(what, "") == 0)
		reply_json(r, container_json(&m, m.container));
	else if (strcmp(what, "/task") == 0)
		reply_json(r, task_json(&m, 0));
	else if (strcmp(what, "/taskWithTags") == 0)
		reply_json(r, task_json(&m, 1));
	else if (strcmp(what, "/stats") == 0)
		reply_json(r, stats_json(&m, m.container));
	else if (strcmp(what, "/task/stats") == 0) {
		o = cJSON_CreateObject();
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(m.task,
		    "containers")) {
			s = stats_json(&m, c);
			why = xprintf("%s/%s", m.t.arn, str_of(c, "name"));
			hex64(why, did);
			free(why);
			why = NULL;
			cJSON_AddItemToObject(o, did, s);
		}
		reply_json(r, o);
	} else
		reply_text(r, 404, xprintf("Unable to find metadata: the v4 "
		    "endpoint has no path '%.80s' (it has /task, "
		    "/taskWithTags, /stats and /task/stats)", what));
out:
	md_clear(&m);
	free(key);
}

void
metadata_task_uris(struct engine *eng, const char *ref,
    const char *base, struct metadata_reply *r)
{
	struct md	 m;
	const cJSON	*c;
	cJSON		*o, *list, *one;
	const char	*id = strrchr(ref, '/');
	char		*why = NULL, *uri, *env;

	memset(r, 0, sizeof *r);
	id = id != NULL ? id + 1 : ref;
	if (md_load(&m, eng, id, NULL, &why) != 0) {
		reply_text(r, 404, why);
		md_clear(&m);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "taskArn", m.t.arn);
	list = cJSON_AddArrayToObject(o, "containers");
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(m.task, "containers")) {
		one = cJSON_CreateObject();
		cJSON_AddStringToObject(one, "name", str_of(c, "name"));
		uri = xprintf("%s/v4/%s-%s", base, m.t.id, str_of(c, "name"));
		env = xprintf("ECS_CONTAINER_METADATA_URI_V4=%s", uri);
		cJSON_AddStringToObject(one, "metadataUri", uri);
		cJSON_AddStringToObject(one, "environment", env);
		free(uri);
		free(env);
		cJSON_AddItemToArray(list, one);
	}
	md_clear(&m);
	reply_json(r, o);
}
