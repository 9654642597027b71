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
	char	*arn;
	int64_t	 version;
	int	 status;		/* enum task_status */
	char	*instance;		/* container instance, or NULL */
	int	 desired_stopped;
};

struct sc_inv {
	unsigned	 off;
	int64_t		 last_seq;
	struct track	*slots;		/* open addressing on the ARN */
	size_t		 nslots, used;
};

struct sc_inv *
sc_inv_new(unsigned off)
{
	struct sc_inv	*v = xcalloc(1, sizeof *v);

	v->off = off;
	v->nslots = 256;
	v->slots = xcalloc(v->nslots, sizeof *v->slots);
	return v;
}

void
sc_inv_free(struct sc_inv *v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nslots; i++) {
		free(v->slots[i].arn);
		free(v->slots[i].instance);
	}
	free(v->slots);
	free(v);
}

/* The track of arn; *fresh says it was not seen before. */
static struct track *
track_of(struct sc_inv *v, const char *arn, int *fresh)
{
	struct track	*old;
	size_t		 i, n;

	if ((v->used + 1) * 2 > v->nslots) {
		old = v->slots;
		n = v->nslots;
		v->nslots *= 2;
		v->slots = xcalloc(v->nslots, sizeof *v->slots);
		for (i = 0; i < n; i++) {
			struct track	*t;
			size_t		 j;

			if (old[i].arn == NULL)
				continue;
			j = str_hash(old[i].arn) & (v->nslots - 1);
			while ((t = &v->slots[j])->arn != NULL)
				j = (j + 1) & (v->nslots - 1);
			*t = old[i];
		}
		free(old);
	}
	i = str_hash(arn) & (v->nslots - 1);
	while (v->slots[i].arn != NULL) {
		if (strcmp(v->slots[i].arn, arn) == 0) {
			*fresh = 0;
			return &v->slots[i];
		}
		i = (i + 1) & (v->nslots - 1);
	}
	v->used++;
	v->slots[i].arn = xstrdup(arn);
	*fresh = 1;
	return &v->slots[i];
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

static int
check_event(struct sc_inv *v, const struct store_event *ev, char **broke)
{
	struct track	*t;
	const cJSON	*d = ev->detail;
	const char	*inst, *desired;
	int64_t		 version;
	int		 fresh, status;

	if (ev->seq != v->last_seq + 1 && broken(v, INV_OUTBOX, broke,
	    "event %lld follows event %lld", (long long)ev->seq,
	    (long long)v->last_seq) != 0)
		return -1;
	v->last_seq = ev->seq;
	if (strcmp(ev->detail_type, "ECS Task State Change") != 0 &&
	    strcmp(ev->detail_type, "ECS Container Instance State Change") != 0)
		return 0;
	t = track_of(v, ev->resource, &fresh);
	version = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(d,
	    "version"));
	if (version != (fresh ? 1 : t->version + 1) && broken(v,
	    INV_VERSIONS, broke, "%s went from version %lld to %lld",
	    ev->resource, (long long)t->version, (long long)version) != 0)
		return -1;
	t->version = version;
	if (strcmp(ev->detail_type, "ECS Task State Change") != 0)
		return 0;

	status = model_task_status_parse(cJSON_GetStringValue(
	    cJSON_GetObjectItem(d, "lastStatus")));
	if (!fresh && status < t->status && broken(v, INV_STATUS_FORWARD,
	    broke, "task %s went back from %s to %s", ev->resource,
	    model_task_status_name((enum task_status)t->status),
	    model_task_status_name((enum task_status)status)) != 0)
		return -1;
	t->status = status;

	desired = cJSON_GetStringValue(cJSON_GetObjectItem(d, "desiredStatus"));
	if (t->desired_stopped && desired != NULL &&
	    strcmp(desired, "STOPPED") != 0 && broken(v, INV_DESIRED_STATUS,
	    broke, "task %s wanted %s after STOPPED", ev->resource,
	    desired) != 0)
		return -1;
	t->desired_stopped = desired != NULL && strcmp(desired, "STOPPED") == 0;

	inst = cJSON_GetStringValue(cJSON_GetObjectItem(d,
	    "containerInstanceArn"));
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
	return 0;
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

/* Host ports of one protocol on one instance: the registered reserved
 * ones and each of its tasks' (l, n), each at most once. */
static int
check_ports(struct sc_inv *v, const struct instance_row *in,
    const cJSON *reserved, const struct task_load *l, size_t n,
    int udp, char **broke)
{
	const cJSON	*p, *mine;
	cJSON		*seen = cJSON_Duplicate(reserved, 1);
	size_t		 i;
	int		 ret = 0;

	if (seen == NULL)
		seen = cJSON_CreateArray();
	for (i = 0; i < n && ret == 0; i++) {
		mine = udp ? l[i].ports_udp : l[i].ports;
		cJSON_ArrayForEach(p, mine) {
			if (port_taken(seen, (int)p->valuedouble)) {
				ret = broken(v, INV_PORTS, broke, "%s port %d "
				    "of instance %s is booked twice",
				    udp ? "UDP" : "TCP", (int)p->valuedouble,
				    in->ec2_instance_id);
				break;
			}
			cJSON_AddItemToArray(seen,
			    cJSON_CreateNumber(p->valuedouble));
		}
	}
	cJSON_Delete(seen);
	return ret;
}

/* The loads on instance arn: store_task_loads orders them by instance
 * ARN, so they are one run, found by bisection; *n of them. */
static const struct task_load *
loads_on(const struct task_load *l, size_t nl, const char *arn, size_t *n)
{
	size_t	lo = 0, hi = nl, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(l[mid].instance_arn, arn) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (hi = lo; hi < nl && strcmp(l[hi].instance_arn, arn) == 0; hi++)
		;
	*n = hi - lo;
	return l + lo;
}

static int
check_instances(struct sc_inv *v, struct sc_run *r, char **broke)
{
	struct store		*st = engine_store(r->eng);
	struct instance_row	*in = NULL;
	struct task_load	*l = NULL;
	const struct task_load	*on;
	struct err		 e;
	size_t			 nin = 0, nl = 0, non, i, j;
	int64_t			 cpu, mem;
	int			 ret = 0;

	if (store_instance_rows(st, r->sc->cluster, &in, &nin, &e) != 0 ||
	    store_task_loads(st, r->sc->cluster, &l, &nl, &e) != 0) {
		ret = broken(v, INV_RESOURCES, broke, "cannot read the "
		    "cluster: %s", e.msg);
		goto out;
	}
	for (i = 0; i < nin && ret == 0; i++) {
		cpu = mem = 0;
		on = loads_on(l, nl, in[i].arn, &non);
		for (j = 0; j < non; j++) {
			cpu += on[j].cpu;
			mem += on[j].memory;
		}
		if ((cpu > in[i].cpu || mem > in[i].memory) &&
		    (ret = broken(v, INV_RESOURCES, broke, "instance %s has "
		    "%lld CPU and %lld MiB registered but its tasks need %lld "
		    "and %lld", in[i].ec2_instance_id, (long long)in[i].cpu,
		    (long long)in[i].memory, (long long)cpu,
		    (long long)mem)) != 0)
			break;
		if ((ret = check_ports(v, &in[i], in[i].ports, on, non, 0,
		    broke)) != 0 || (ret = check_ports(v, &in[i],
		    in[i].ports_udp, on, non, 1, broke)) != 0)
			break;
	}
out:
	instance_rows_free(in, nin);
	task_loads_free(l, nl);
	return ret;
}

/* During a rollout, tasks meant to run that are not past RUNNING stay at
 * or under floor(desired × maximumPercent / 100). */
static int
check_services(struct sc_inv *v, struct sc_run *r, char **broke)
{
	struct store		*st = engine_store(r->eng);
	struct service_row	*s = NULL;
	struct deployment_row	*d = NULL;
	struct task_row		*t = NULL;
	struct err		 e;
	const cJSON		*max;
	size_t			 ns = 0, nd = 0, nt = 0, i, j;
	int64_t			 upper, live;
	int			 ret = 0, rolling;

	if (store_service_live(st, &s, &ns, &e) != 0)
		return broken(v, INV_DEPLOYMENT_BOUNDS, broke, "cannot read "
		    "the services: %s", e.msg);
	for (i = 0; i < ns && ret == 0; i++) {
		if (strcmp(s[i].scheduling_strategy, "REPLICA") != 0)
			continue;
		if (store_deployment_list(st, s[i].arn, &d, &nd, &e) != 0) {
			ret = broken(v, INV_DEPLOYMENT_BOUNDS, broke, "cannot "
			    "read deployments: %s", e.msg);
			break;
		}
		rolling = 0;
		for (j = 0; j < nd; j++)
			rolling |= strcmp(d[j].rollout_state, "IN_PROGRESS") == 0;
		deployment_rows_free(d, nd);
		d = NULL;
		if (!rolling)
			continue;
		max = cJSON_GetObjectItem(cJSON_GetObjectItem(s[i].doc,
		    "deploymentConfiguration"), "maximumPercent");
		upper = s[i].desired_count * (cJSON_IsNumber(max) ?
		    (int64_t)max->valuedouble : 200) / 100;
		if (store_task_of_service(st, s[i].arn, &t, &nt, &e) != 0) {
			ret = broken(v, INV_DEPLOYMENT_BOUNDS, broke, "cannot "
			    "read tasks: %s", e.msg);
			break;
		}
		live = 0;
		for (j = 0; j < nt; j++)
			live += !t[j].desired_stopped &&
			    t[j].last_status <= TASK_RUNNING;
		task_rows_free(t, nt);
		t = NULL;
		if (live > upper)
			ret = broken(v, INV_DEPLOYMENT_BOUNDS, broke, "service "
			    "%s has %lld tasks RUNNING or PENDING during a "
			    "deployment, above its upper bound of %lld",
			    s[i].name, (long long)live, (long long)upper);
	}
	service_rows_free(s, ns);
	return ret;
}

int
sc_inv_check(struct sc_inv *v, struct sc_run *r, const struct store_event *ev,
    size_t n, char **broke)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (check_event(v, &ev[i], broke) != 0)
			return -1;
	if (check_instances(v, r, broke) != 0)
		return -1;
	return check_services(v, r, broke);
}
