/*
 * The invariants of DESIGN.md, checked after every tick of a replay: what
 * each event says against what the events before it said about the same
 * task or instance, and the state of instances and services against their
 * bounds. Each check is one pass over the new events or the cluster.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "engine/engine.h"
#include "scenario/internal.h"

/* What the events so far said about one task or instance. */
struct track {
	char		*arn;
	int64_t		 version;
	int		 status;	/* enum task_status */
	char		*instance;	/* container instance, or NULL */
	int		 desired_stopped;
	/* A task counted on its instance (not STOPPED), with what it needs
	 * there, read from the store once: */
	int		 counted;
	int64_t		 cpu, memory;
	cJSON		*ports, *ports_udp;
	/* A service's task: */
	const char	*service;	/* its ARN, a key of sc_inv.services */
	int		 ran;		/* was RUNNING */
	int		 unhealthy;	/* healthStatus UNHEALTHY */
	int		 lost;		/* counted in its service's lost */
};

/* What the floor invariant keeps of a REPLICA service. */
struct svc {
	char		*arn;
	unsigned	 mark;		/* the check that last named it */
	int		 deploying;	/* at the last look */
	/* While deploying: the lower bound the scheduler has reached since
	 * the deployment began (or its healthy tasks were last at the
	 * bound), at most the bound; and the tasks lost on their own since. */
	int64_t		 reached;
	int64_t		 lost;
};

/* A host port some task on an instance books, and how many do. */
struct port_use {
	int	port;
	int	udp;
	int	n;
};

/*
 * A container instance as registered (read from the store again when an
 * event shows registered resources the last reading did not have), and
 * what its tasks that are not STOPPED need: each task is counted from its
 * first event on the instance until its event says STOPPED.
 */
struct inst {
	char		*arn;
	unsigned	 mark;		/* the check that last named it */
	int		 known;		/* in the store's reading */
	char		*ec2;
	int64_t		 cpu, memory;
	cJSON		*ports, *ports_udp;	/* reserved */
	char		*registered;	/* as its last event said, packed */
	size_t		 nregistered;
	int64_t		 used_cpu, used_memory;
	struct port_use	*uses;
	size_t		 nuses, capuses;
};

/* Names of one kind (keys of a table) this check's events name. */
struct named {
	const char	**keys;
	size_t		  n, cap;
};

struct sc_inv {
	unsigned	 off;
	int64_t		 last_seq;
	struct table	 tracks;	/* struct track, on the ARN */
	struct table	 services;	/* struct svc, on the ARN */
	struct table	 instances;	/* struct inst, on the ARN */
	int		 reread;	/* the instances, before checking */
	unsigned	 mark;		/* one a check */
	struct named	 named_services, named_instances;
};

struct sc_inv *
sc_inv_new(unsigned off)
{
	struct sc_inv	*v = xcalloc(1, sizeof *v);

	v->off = off;
	table_init(&v->tracks, sizeof(struct track));
	table_init(&v->services, sizeof(struct svc));
	table_init(&v->instances, sizeof(struct inst));
	return v;
}

static void
inst_clear(struct inst *in)
{
	free(in->ec2);
	cJSON_Delete(in->ports);
	cJSON_Delete(in->ports_udp);
	in->ec2 = NULL;
	in->ports = in->ports_udp = NULL;
}

void
sc_inv_free(struct sc_inv *v)
{
	struct track	*t;
	struct inst	*in;
	size_t		 i;

	if (v == NULL)
		return;
	for (i = 0; i < v->tracks.nslots; i++) {
		t = table_at(&v->tracks, i);
		free(t->instance);
		cJSON_Delete(t->ports);
		cJSON_Delete(t->ports_udp);
	}
	for (i = 0; i < v->instances.nslots; i++) {
		in = table_at(&v->instances, i);
		inst_clear(in);
		free(in->registered);
		free(in->uses);
	}
	table_free(&v->tracks);
	table_free(&v->services);
	table_free(&v->instances);
	free(v->named_services.keys);
	free(v->named_instances.keys);
	free(v);
}

/* Names the element (of a table) whose mark and key are given, once a
 * check. */
static void
name(struct sc_inv *v, struct named *nm, unsigned *mark, const char *key)
{
	if (*mark == v->mark)
		return;
	*mark = v->mark;
	nm->keys = xgrow(nm->keys, nm->n, &nm->cap, sizeof *nm->keys);
	nm->keys[nm->n++] = key;
}

/* The state of service arn, named by this check's events. */
static struct svc *
name_service(struct sc_inv *v, const char *arn)
{
	struct svc	*sv;
	int		 fresh;

	sv = table_get(&v->services, arn, &fresh);
	name(v, &v->named_services, &sv->mark, sv->arn);
	return sv;
}

/*
 * Instance arn, named by this check's events; registered: the resources
 * an event of the instance says it registered, packed, nregistered bytes
 * (or NULL). New ones, and ones that registered anew, are read again
 * before the check.
 */
static void
name_instance(struct sc_inv *v, const char *arn, const char *registered,
    size_t nregistered)
{
	struct inst	*in;
	int		 fresh;

	in = table_get(&v->instances, arn, &fresh);
	name(v, &v->named_instances, &in->mark, in->arn);
	if (fresh)
		v->reread = 1;
	/* The engine packs them in one order: the same bytes or not. */
	if (registered != NULL && (nregistered != in->nregistered ||
	    memcmp(registered, in->registered, nregistered) != 0)) {
		free(in->registered);
		in->registered = xmemdup(registered, nregistered);
		in->nregistered = nregistered;
		v->reread = 1;
	}
}

/* The ARN of the service a task (arn) of group service:name belongs to:
 * arn:...:task/CLUSTER/ID gives arn:...:service/CLUSTER/NAME. */
static char *
task_service(const char *arn, const char *group)
{
	const char	*p = strstr(arn, ":task/"), *slash = strrchr(arn, '/');

	if (group == NULL || !str_has_prefix(group, "service:") || p == NULL ||
	    slash < p + 6)
		return NULL;
	return xprintf("%.*s:service/%.*s/%s", (int)(p - arn), arn,
	    (int)(slash - (p + 6)), p + 6, group + 8);
}

/*
 * The members of an event's detail that check_event reads, found in one
 * pass over the packed detail, where they stay: no tree is made. The
 * engine writes each member once. Strings absent are NULL; registered
 * is the packed registeredResources, nregistered bytes (0: absent).
 */
struct detail {
	const char	*instance, *last, *desired, *group, *health;
	const char	*stop_code, *stopped_reason;
	int64_t		 version;
	const char	*registered;
	size_t		 nregistered;
};

static void
detail_read(const struct store_event *ev, struct detail *d)
{
	struct json_members	it;
	struct json_member	m;
	const char		*k;

	memset(d, 0, sizeof *d);
	if (json_members_begin(&it, ev->packed, ev->npacked) != 0)
		return;
	while (json_members_next(&it, &m) > 0) {
		k = m.key;
		switch (k[0]) {
		case 'c':
			if (strcmp(k, "containerInstanceArn") == 0)
				d->instance = m.string;
			break;
		case 'd':
			if (strcmp(k, "desiredStatus") == 0)
				d->desired = m.string;
			break;
		case 'g':
			if (strcmp(k, "group") == 0)
				d->group = m.string;
			break;
		case 'h':
			if (strcmp(k, "healthStatus") == 0)
				d->health = m.string;
			break;
		case 'l':
			if (strcmp(k, "lastStatus") == 0)
				d->last = m.string;
			break;
		case 'r':
			if (strcmp(k, "registeredResources") == 0) {
				d->registered = m.value;
				d->nregistered = m.len;
			}
			break;
		case 's':
			if (strcmp(k, "stopCode") == 0)
				d->stop_code = m.string;
			else if (strcmp(k, "stoppedReason") == 0)
				d->stopped_reason = m.string;
			break;
		case 'v':
			if (strcmp(k, "version") == 0)
				d->version = (int64_t)m.number;
			break;
		}
	}
}

/*
 * A task of a service that stopped or failed its health checks on its own
 * (crashed, failed to start, lost with its instance, stopped by a user,
 * stopped for failing its health checks) counts once, if it ever ran, as
 * lost to its service: the lower bound does not hold the scheduler to it.
 * A task that comes back HEALTHY may be lost again.
 */
static void
count_lost(struct sc_inv *v, struct track *t, const struct store_event *ev,
    const struct detail *d, int newly_stopped)
{
	const char	*health, *code, *reason;
	char		*svc;
	struct svc	*sv;
	int		 fresh, own;

	if (t->service == NULL) {
		if ((svc = task_service(ev->resource, d->group)) == NULL)
			return;
		sv = table_get(&v->services, svc, &fresh);
		free(svc);
		t->service = sv->arn;
	}
	sv = name_service(v, t->service);
	t->ran |= t->status == TASK_RUNNING;
	health = d->health;
	code = d->stop_code;
	reason = d->stopped_reason;
	own = newly_stopped && ((code != NULL &&
	    strcmp(code, "ServiceSchedulerInitiated") != 0) || (reason != NULL &&
	    strcmp(reason, "Task failed container health checks") == 0));
	if (health != NULL && strcmp(health, "UNHEALTHY") == 0) {
		own |= !t->unhealthy && !t->desired_stopped;
		t->unhealthy = 1;
	} else if (health != NULL && strcmp(health, "HEALTHY") == 0) {
		t->unhealthy = 0;
		if (!t->desired_stopped)
			t->lost = 0;
	}
	if (own && t->ran && !t->lost) {
		t->lost = 1;
		sv->lost++;
	}
}

/* Two invariants read the same state: with both off, it is not read. */
static int
both_off(const struct sc_inv *v, enum sc_invariant a, enum sc_invariant b)
{
	return (v->off & (1u << a)) && (v->off & (1u << b));
}

static int	broken(struct sc_inv *, enum sc_invariant, char **,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

static int
broken(struct sc_inv *v, enum sc_invariant which, char **broke,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (v->off & (1u << which))
		return 0;
	va_start(ap, fmt);
	msg = xvprintf(fmt, ap);
	va_end(ap);
	free(*broke);
	*broke = xprintf("%s: %s", sc_invariant_names[which], msg);
	free(msg);
	return -1;
}

/* Adds (k 1) or takes back (k -1) the host ports a task books. */
static void
use_ports(struct inst *in, const cJSON *ports, int udp, int k)
{
	const cJSON	*p;
	size_t		 i;

	cJSON_ArrayForEach(p, ports) {
		for (i = 0; i < in->nuses; i++)
			if (in->uses[i].port == (int)p->valuedouble &&
			    in->uses[i].udp == udp)
				break;
		if (i == in->nuses) {
			in->uses = xgrow(in->uses, in->nuses, &in->capuses,
			    sizeof *in->uses);
			in->uses[in->nuses].port = (int)p->valuedouble;
			in->uses[in->nuses].udp = udp;
			in->uses[in->nuses++].n = 0;
		}
		in->uses[i].n += k;
	}
}

/*
 * Counts task t on its instance while it is not STOPPED: what it needs,
 * read from the store at its first event there (a task's resources and
 * host ports are fixed when it is placed).
 */
static int
count_load(struct sc_inv *v, struct sc_run *r, struct track *t, int status,
    char **broke)
{
	struct task_load ld;
	struct inst	*in;
	struct err	 e;
	int		 found, fresh;

	if (t->instance == NULL || t->counted == (status != TASK_STOPPED))
		return 0;
	in = table_get(&v->instances, t->instance, &fresh);
	if (t->counted) {
		in->used_cpu -= t->cpu;
		in->used_memory -= t->memory;
		use_ports(in, t->ports, 0, -1);
		use_ports(in, t->ports_udp, 1, -1);
		t->counted = 0;
		return 0;
	}
	if ((found = store_task_load(engine_store(r->eng), t->arn, &ld,
	    &e)) <= 0)
		return found == 0 ? 0 : broken(v, INV_RESOURCES, broke,
		    "cannot read task %s: %s", t->arn, e.msg);
	t->cpu = ld.cpu;
	t->memory = ld.memory;
	cJSON_Delete(t->ports);
	cJSON_Delete(t->ports_udp);
	t->ports = ld.ports;
	t->ports_udp = ld.ports_udp;
	ld.ports = ld.ports_udp = NULL;
	task_load_clear(&ld);
	in->used_cpu += t->cpu;
	in->used_memory += t->memory;
	use_ports(in, t->ports, 0, 1);
	use_ports(in, t->ports_udp, 1, 1);
	t->counted = 1;
	return 0;
}

static int
check_event(struct sc_inv *v, struct sc_run *r, const struct store_event *ev,
    char **broke)
{
	struct detail	 d;
	struct track	*t;
	const char	*inst, *desired;
	int64_t		 version;
	int		 fresh, status, stopped;

	if (ev->seq != v->last_seq + 1 && broken(v, INV_OUTBOX, broke,
	    "event %lld follows event %lld", (long long)ev->seq,
	    (long long)v->last_seq) != 0)
		return -1;
	v->last_seq = ev->seq;
	if (strcmp(ev->detail_type, "ECS Task State Change") != 0 &&
	    strcmp(ev->detail_type, "ECS Container Instance State Change") != 0) {
		/* Service actions and deployment changes name their service. */
		if (strstr(ev->resource, ":service/") != NULL)
			name_service(v, ev->resource);
		return 0;
	}
	detail_read(ev, &d);
	inst = d.instance;
	if (strcmp(ev->detail_type, "ECS Task State Change") != 0)
		name_instance(v, ev->resource, d.registered, d.nregistered);
	else if (inst != NULL)
		name_instance(v, inst, NULL, 0);
	t = table_get(&v->tracks, ev->resource, &fresh);
	version = d.version;
	if (version != (fresh ? 1 : t->version + 1) && broken(v,
	    INV_VERSIONS, broke, "%s went from version %lld to %lld",
	    ev->resource, (long long)t->version, (long long)version) != 0)
		return -1;
	t->version = version;
	if (strcmp(ev->detail_type, "ECS Task State Change") != 0)
		return 0;

	status = model_task_status_parse(d.last);
	if (!fresh && status < t->status && broken(v, INV_STATUS_FORWARD,
	    broke, "task %s went back from %s to %s", ev->resource,
	    model_task_status_name((enum task_status)t->status),
	    model_task_status_name((enum task_status)status)) != 0)
		return -1;
	t->status = status;

	desired = d.desired;
	if (t->desired_stopped && desired != NULL &&
	    strcmp(desired, "STOPPED") != 0 && broken(v, INV_DESIRED_STATUS,
	    broke, "task %s wanted %s after STOPPED", ev->resource,
	    desired) != 0)
		return -1;
	stopped = desired != NULL && strcmp(desired, "STOPPED") == 0;
	/* A task stops only after it is asked to: ListTasks finds the tasks
	 * wanted RUNNING among the live ones (store/task.c). */
	if (status == TASK_STOPPED && !stopped && broken(v,
	    INV_DESIRED_STATUS, broke, "task %s stopped while wanted %s",
	    ev->resource, desired != NULL ? desired : "nothing") != 0)
		return -1;
	count_lost(v, t, ev, &d, stopped && !t->desired_stopped);
	t->desired_stopped = stopped;

	if (!fresh && (inst == NULL) != (t->instance == NULL) &&
	    broken(v, INV_ONE_INSTANCE, broke, "task %s moved from %s to %s",
	    ev->resource, t->instance ? t->instance : "no instance",
	    inst ? inst : "no instance") != 0)
		return -1;
	if (!fresh && inst != NULL && t->instance != NULL &&
	    strcmp(inst, t->instance) != 0 && broken(v, INV_ONE_INSTANCE,
	    broke, "task %s moved from %s to %s", ev->resource, t->instance,
	    inst) != 0)
		return -1;
	if (fresh && inst != NULL)
		t->instance = xstrdup(inst);
	return both_off(v, INV_RESOURCES, INV_PORTS) ? 0 :
	    count_load(v, r, t, status, broke);
}

static int
port_taken(const cJSON *a, int port)
{
	const cJSON	*p;

	cJSON_ArrayForEach(p, a)
		if (cJSON_IsNumber(p) && (int)p->valuedouble == port)
			return 1;
	return 0;
}

/* The cluster's instances as registered, into the table. */
static int
read_instances(struct sc_inv *v, struct sc_run *r, struct err *e)
{
	struct instance_row	*rows = NULL;
	struct inst		*in;
	size_t			 n = 0, i;
	int			 fresh;

	if (store_instance_rows(engine_store(r->eng), r->sc->cluster, &rows,
	    &n, e) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		in = table_get(&v->instances, rows[i].arn, &fresh);
		inst_clear(in);
		in->known = 1;
		in->ec2 = xstrdup(rows[i].ec2_instance_id);
		in->cpu = rows[i].cpu;
		in->memory = rows[i].memory;
		in->ports = cJSON_Duplicate(rows[i].ports, 1);
		in->ports_udp = cJSON_Duplicate(rows[i].ports_udp, 1);
	}
	instance_rows_free(rows, n);
	v->reread = 0;
	return 0;
}

/* One instance of the scenario's cluster: its tasks that are not STOPPED
 * need no more than it registered, and book each port once, none it
 * reserved. */
static int
check_instance(struct sc_inv *v, const struct inst *in, char **broke)
{
	const struct port_use	*u;
	size_t			 i;

	if (in->used_cpu > in->cpu || in->used_memory > in->memory)
		return broken(v, INV_RESOURCES, broke, "instance %s has %lld "
		    "CPU and %lld MiB registered but its tasks need %lld and "
		    "%lld", in->ec2, (long long)in->cpu, (long long)in->memory,
		    (long long)in->used_cpu, (long long)in->used_memory);
	for (i = 0; i < in->nuses; i++) {
		u = &in->uses[i];
		if (u->n + port_taken(u->udp ? in->ports_udp : in->ports,
		    u->port) > 1)
			return broken(v, INV_PORTS, broke, "%s port %d of "
			    "instance %s is booked twice", u->udp ? "UDP" :
			    "TCP", u->port, in->ec2);
	}
	return 0;
}

static int
check_instances(struct sc_inv *v, struct sc_run *r, char **broke)
{
	const struct inst	*in;
	struct err		 e;
	size_t			 i;
	int			 fresh;

	if (both_off(v, INV_RESOURCES, INV_PORTS))
		return 0;
	if (v->reread && read_instances(v, r, &e) != 0)
		return broken(v, INV_RESOURCES, broke, "cannot read the "
		    "cluster: %s", e.msg);
	for (i = 0; i < v->named_instances.n; i++) {
		in = table_get(&v->instances, v->named_instances.keys[i],
		    &fresh);
		if (in->known && check_instance(v, in, broke) != 0)
			return -1;
	}
	return 0;
}

/*
 * A REPLICA service its events named, while a deployment is in progress.
 * deployment-bounds: its tasks meant to run that are not past RUNNING stay
 * at or under the upper bound, floor(desired × maximumPercent / 100).
 * deployment-floor: the scheduler stops no healthy task (as it counts
 * them) that would take them below the lower bound, ceil(desired ×
 * minimumHealthyPercent / 100), or below what they had reached toward it;
 * tasks lost on their own since then are not its doing.
 */
static int
check_service(struct sc_inv *v, struct sc_run *r, struct svc *sv,
    char **broke)
{
	struct engine_floor	 f;
	struct err		 e;
	const char		*name = strrchr(sv->arn, '/') + 1;
	int64_t			 need;

	if (engine_service_floor(r->eng, sv->arn, &f, &e) != 0) {
		if (e.code == ERR_SERVICE_NOT_FOUND)
			return 0;
		return broken(v, INV_DEPLOYMENT_BOUNDS, broke, "cannot read "
		    "service %s: %s", name, e.msg);
	}
	if (!f.deploying || f.daemon) {
		sv->deploying = 0;
		return 0;
	}
	if (f.live > f.upper && broken(v, INV_DEPLOYMENT_BOUNDS, broke,
	    "service %s has %lld tasks RUNNING or PENDING during a "
	    "deployment, above its upper bound of %lld", name,
	    (long long)f.live, (long long)f.upper) != 0)
		return -1;
	if (!f.active)
		return 0;
	if (!sv->deploying) {
		sv->deploying = 1;
		sv->lost = 0;
		sv->reached = f.healthy < f.lower ? f.healthy : f.lower;
		return 0;
	}
	need = sv->reached < f.lower ? sv->reached : f.lower;
	if (f.healthy + sv->lost < need && broken(v, INV_DEPLOYMENT_FLOOR,
	    broke, "service %s has %lld healthy tasks during a deployment, "
	    "below %s of %lld (%lld more were lost on their own)", name,
	    (long long)f.healthy, need < f.lower ? "the healthy tasks it had "
	    "reached toward its lower bound" : "its lower bound",
	    (long long)need, (long long)sv->lost) != 0)
		return -1;
	if (f.healthy >= f.lower) {
		sv->lost = 0;
		sv->reached = f.lower;
	} else if (f.healthy + sv->lost > sv->reached)
		sv->reached = f.healthy + sv->lost < f.lower ?
		    f.healthy + sv->lost : f.lower;
	return 0;
}

static int
check_services(struct sc_inv *v, struct sc_run *r, char **broke)
{
	int	 fresh;
	size_t	 i;

	if (both_off(v, INV_DEPLOYMENT_BOUNDS, INV_DEPLOYMENT_FLOOR))
		return 0;
	for (i = 0; i < v->named_services.n; i++)
		if (check_service(v, r, table_get(&v->services,
		    v->named_services.keys[i], &fresh), broke) != 0)
			return -1;
	return 0;
}

void
sc_inv_begin(struct sc_inv *v)
{
	v->mark++;
	v->named_services.n = v->named_instances.n = 0;
}

int
sc_inv_events(struct sc_inv *v, struct sc_run *r, const struct store_event *ev,
    size_t n, char **broke)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (check_event(v, r, &ev[i], broke) != 0)
			return -1;
	return 0;
}

int
sc_inv_outbox(struct sc_inv *v, int64_t newest, char **broke)
{
	if (newest == v->last_seq)
		return 0;
	return broken(v, INV_OUTBOX, broke, "the outbox ends at event %lld, "
	    "the last event checked is %lld", (long long)newest,
	    (long long)v->last_seq);
}

int
sc_inv_state(struct sc_inv *v, struct sc_run *r, char **broke)
{
	if (check_instances(v, r, broke) != 0)
		return -1;
	return check_services(v, r, broke);
}

int
sc_inv_check(struct sc_inv *v, struct sc_run *r, const struct store_event *ev,
    size_t n, char **broke)
{
	sc_inv_begin(v);
	if (sc_inv_events(v, r, ev, n, broke) != 0)
		return -1;
	return sc_inv_state(v, r, broke);
}
