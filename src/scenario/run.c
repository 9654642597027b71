/*
 * Replaying a scenario: a fresh engine on a virtual clock and an in-memory
 * store, set up and driven through the ECS API dispatch table (one
 * implementation of each operation), stepped a second of virtual time at a
 * time so conditions, expectations and invariants are looked at after
 * every tick.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "api/api.h"
#include "clock/clock.h"
#include "engine/engine.h"
#include "store/store.h"
#include "scenario/internal.h"

/* 2026-01-01T00:00:00Z: every run starts here, so runs are identical. */
#define SC_EPOCH	1767225600000LL
#define SC_TICK		1000
/* How long a when: without within: waits. */
#define SC_WHEN_MAX	(3600 * 1000)
/* Drained events leave the outbox this many at a time. */
#define PRUNE_EVERY	4096

struct result {
	int	 line;
	char	*text;
	int	 pass;		/* 1 held, 0 failed, -1 never reached */
	int64_t	 at;		/* ms from the start */
	char	*seen;		/* what was found instead */
};

/* An expectation with within:, watched until it holds or time is up. */
struct watch {
	const struct sc_check	*c;
	int64_t			 deadline;
	size_t			 result;
};

struct runner {
	struct sc_run			 r;
	const struct scenario_options	*o;
	struct clock			*clk;
	struct sc_inv			*inv;
	struct result			*res;
	size_t				 nres;
	struct watch			*watches;
	size_t				 nwatches;
	char				*broke;		/* an invariant */
	int				 broke_engine;	/* the engine, rather */
	int64_t				 broke_at;
	int64_t				 t;		/* ms from the start */
	/* Faults with for: end on their own, in due order. */
	struct ending {
		int64_t			 due;
		const struct sc_step	*s;
	}				*endings;
	size_t				 nendings;
	int64_t				 last_end;	/* of a fault */
	int64_t				 pruned;	/* outbox seqs gone */
	size_t				 fresh;		/* events this tick */
	struct store_event		*held;		/* for --trace */
	size_t				 nheld, capheld;
	struct why {
		int64_t			 at;
		char			*text;
	}				*whys;		/* --trace */
	size_t				 nwhys;
};

static void
elapsed(int64_t ms, char out[32])
{
	if (ms % 1000 != 0)
		snprintf(out, 32, "%02lld:%02lld:%02lld.%03lld",
		    (long long)(ms / 3600000), (long long)(ms / 60000 % 60),
		    (long long)(ms / 1000 % 60), (long long)(ms % 1000));
	else
		snprintf(out, 32, "%02lld:%02lld:%02lld",
		    (long long)(ms / 3600000), (long long)(ms / 60000 % 60),
		    (long long)(ms / 1000 % 60));
}

const char *
sc_instance_arn(const struct sc_run *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->nnames; i++)
		if (strcmp(r->names[i].name, name) == 0)
			return r->names[i].arn;
	return NULL;
}

static size_t
result_add(struct runner *ru, int line, int pass, char *text, char *seen)
{
	struct result	*x;

	ru->res = xrealloc(ru->res, (ru->nres + 1) * sizeof *ru->res);
	x = &ru->res[ru->nres];
	x->line = line;
	x->text = text;
	x->pass = pass;
	x->at = ru->t;
	x->seen = seen;
	return ru->nres++;
}

/* A call that must answer 200 while the cluster is set up; line: what
 * in the file it comes from (0: the cluster). */
static int
setup_call(struct runner *ru, const char *op, const cJSON *body, int line,
    cJSON **reply, struct err *e)
{
	int		 status;
	cJSON		*j = api_call(ru->r.eng, op, body, &status);
	const char	*type, *msg;

	if (status != 200) {
		type = cJSON_GetStringValue(cJSON_GetObjectItem(j, "__type"));
		msg = cJSON_GetStringValue(cJSON_GetObjectItem(j, "message"));
		err_set(e, ERR_INVALID, "%s:%.0d%s %s refused it: %s: %.150s",
		    ru->r.sc->path, line, line ? ":" : "", op,
		    type ? type : "error", msg ? msg : "");
		cJSON_Delete(j);
		return -1;
	}
	if (reply != NULL)
		*reply = j;
	else
		cJSON_Delete(j);
	return 0;
}

/* One instance through RegisterContainerInstance, as an agent would. */
static int
register_instance(struct runner *ru, const struct sc_instances *g,
    const char *name, const char *zone, struct err *e)
{
	struct scenario			*sc = ru->r.sc;
	const struct instance_type	*t = instance_type_find(g->type);
	struct sc_name			*nm;
	struct instance_reg		 reg;
	cJSON				*req, *reply;

	if (sc_instance_arn(&ru->r, name) != NULL)
		return err_set(e, ERR_INVALID, "%s: two instances are called "
		    "%s", sc->path, name);
	reg.cluster = sc->cluster;
	reg.region = sc->region;
	reg.zone = zone;
	reg.account = engine_account(ru->r.eng);
	reg.type = g->type;
	reg.cpu = g->cpu ? g->cpu : t->cpu;
	reg.memory = g->memory ? g->memory : t->memory;
	req = instance_registration(&reg, engine_prng(ru->r.eng));
	if (g->attributes != NULL)
		cJSON_AddItemToObject(req, "attributes",
		    cJSON_Duplicate(g->attributes, 1));
	if (setup_call(ru, "RegisterContainerInstance", req, 0, &reply, e) != 0) {
		cJSON_Delete(req);
		return -1;
	}
	cJSON_Delete(req);
	ru->r.names = xrealloc(ru->r.names,
	    (ru->r.nnames + 1) * sizeof *ru->r.names);
	nm = &ru->r.names[ru->r.nnames++];
	nm->name = xstrdup(name);
	nm->arn = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(reply, "containerInstance"),
	    "containerInstanceArn")));
	cJSON_Delete(reply);
	return 0;
}

/* Registers each group's instances; without zones they spread over the
 * region's a, b and c, counting on from the instances already there. */
static int
add_instances(struct runner *ru, const struct sc_instances *list, size_t n,
    struct err *e)
{
	static const char		 abc[] = "abc";
	const struct sc_instances	*g;
	char				*name, *zone;
	int64_t				 i, count;
	size_t				 k;
	int				 ret;

	for (k = 0; k < n; k++) {
		g = &list[k];
		count = g->count ? g->count : 1;
		for (i = 0; i < count; i++) {
			name = g->count ? xprintf("%s-%lld", g->name,
			    (long long)i + 1) : xstrdup(g->name);
			zone = g->nzones ? xstrdup(g->zones[i %
			    (int64_t)g->nzones]) : xprintf("%s%c",
			    ru->r.sc->region, abc[ru->r.nnames % 3]);
			ret = register_instance(ru, g, name, zone, e);
			free(name);
			free(zone);
			if (ret != 0)
				return -1;
		}
	}
	return 0;
}

static int
setup(struct runner *ru, struct err *e)
{
	struct scenario		*sc = ru->r.sc;
	cJSON			*b, *td;
	size_t			 k = 0;

	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "clusterName", sc->cluster);
	if (setup_call(ru, "CreateCluster", b, 0, NULL, e) != 0)
		goto fail;
	if (sc->capacity_providers != NULL) {
		cJSON_AddItemToObject(b, "cluster",
		    cJSON_CreateString(sc->cluster));
		cJSON_DeleteItemFromObject(b, "clusterName");
		cJSON_AddItemToObject(b, "capacityProviders",
		    cJSON_Duplicate(sc->capacity_providers, 1));
		cJSON_AddItemToObject(b, "defaultCapacityProviderStrategy",
		    cJSON_CreateArray());
		if (setup_call(ru, "PutClusterCapacityProviders", b, 0,
		    NULL, e) != 0)
			goto fail;
	}
	cJSON_Delete(b);
	b = NULL;
	if (add_instances(ru, sc->instances, sc->ninstances, e) != 0)
		return -1;
	cJSON_ArrayForEach(td, sc->taskdefs) {
		b = cJSON_Duplicate(td, 1);
		sc_apply_behaviours(sc, b);
		if (setup_call(ru, "RegisterTaskDefinition", b,
		    sc->taskdef_lines[k++], NULL, e) != 0)
			goto fail;
		cJSON_Delete(b);
		b = NULL;
	}
	return 0;
fail:
	cJSON_Delete(b);
	return -1;
}

/* Instance names in containerInstances and containerInstance stand for
 * their ARNs, so steps can say StartTask on web-1. */
static void
map_names(struct sc_run *r, cJSON *body)
{
	cJSON		*a, *j;
	const char	*arn;

	if ((j = cJSON_GetObjectItem(body, "containerInstance")) != NULL &&
	    cJSON_IsString(j) && (arn = sc_instance_arn(r,
	    j->valuestring)) != NULL)
		cJSON_SetValuestring(j, arn);
	a = cJSON_GetObjectItem(body, "containerInstances");
	cJSON_ArrayForEach(j, a)
		if (cJSON_IsString(j) && (arn = sc_instance_arn(r,
		    j->valuestring)) != NULL)
			cJSON_SetValuestring(j, arn);
}

int
sc_takes_cluster(const char *op)
{
	static const char *const without[] = { "CreateCluster",
	    "ListClusters", "DescribeClusters", "RegisterTaskDefinition",
	    "DeregisterTaskDefinition", "DescribeTaskDefinition",
	    "ListTaskDefinitions", "ListTaskDefinitionFamilies",
	    "DeleteTaskDefinitions", "DescribeCapacityProviders",
	    "CreateCapacityProvider", "UpdateCapacityProvider",
	    "DeleteCapacityProvider", "TagResource", "UntagResource",
	    "ListTagsForResource", "PutAccountSetting",
	    "PutAccountSettingDefault", "DeleteAccountSetting",
	    "ListAccountSettings" };
	size_t	i;

	for (i = 0; i < sizeof without / sizeof without[0]; i++)
		if (strcmp(op, without[i]) == 0)
			return 0;
	return 1;
}

static void
run_call(struct runner *ru, const struct sc_step *s, const char *op,
    cJSON *body, char *text)
{
	cJSON		*reply;
	const char	*type, *msg;
	int		 status, pass;
	char		*seen = NULL;

	if (cJSON_GetObjectItem(body, "cluster") == NULL &&
	    sc_takes_cluster(op))
		cJSON_AddStringToObject(body, "cluster", ru->r.sc->cluster);
	if (strcmp(op, "RegisterTaskDefinition") == 0)
		sc_apply_behaviours(ru->r.sc, body);
	map_names(&ru->r, body);
	reply = api_call(ru->r.eng, op, body, &status);
	type = cJSON_GetStringValue(cJSON_GetObjectItem(reply, "__type"));
	msg = cJSON_GetStringValue(cJSON_GetObjectItem(reply, "message"));
	if (s->expect_error == NULL) {
		pass = status == 200;
		if (!pass)
			seen = xprintf("%s: %s", type ? type : "error",
			    msg ? msg : "");
	} else {
		pass = status != 200 && type != NULL &&
		    strcmp(type, s->expect_error) == 0;
		if (!pass)
			seen = status == 200 ? xstrdup("it succeeded") :
			    xprintf("%s: %s", type ? type : "error",
			    msg ? msg : "");
	}
	cJSON_Delete(reply);
	result_add(ru, s->line, pass, text, seen);
}

static const char *
str_member(const cJSON *o, const char *name)
{
	const char	*s = cJSON_GetStringValue(cJSON_GetObjectItem(o, name));

	return s ? s : "";
}

static const char *const fault_verbs[] = { "disconnect", "reconnect",
    "terminate", "drain", "pull_fails", "crash", "zone_down", "zone_up",
    "health_flaps" };

/* A RUNNING task of service name, the first ListTasks shows. */
static char *
crash_victim(struct runner *ru, const char *name, struct err *e)
{
	cJSON		*b, *reply, *t;
	const char	*arn = NULL;
	char		*out = NULL;
	int		 status;

	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "cluster", ru->r.sc->cluster);
	cJSON_AddStringToObject(b, "serviceName", name);
	reply = api_call(ru->r.eng, "ListTasks", b, &status);
	cJSON_DeleteItemFromObject(b, "serviceName");
	cJSON_AddItemToObject(b, "tasks", cJSON_DetachItemFromObject(reply,
	    "taskArns"));
	cJSON_Delete(reply);
	reply = api_call(ru->r.eng, "DescribeTasks", b, &status);
	cJSON_Delete(b);
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(reply, "tasks"))
		if (strcmp(str_member(t, "lastStatus"), "RUNNING") == 0) {
			arn = str_member(t, "taskArn");
			break;
		}
	if (arn != NULL)
		out = xstrdup(arn);
	else
		err_set(e, ERR_INVALID, "service %s has no RUNNING task to "
		    "crash", name);
	cJSON_Delete(reply);
	return out;
}

/* One fault as an engine command in its own transaction, like an API
 * call; ending: the end of a fault that lasted for a while. */
static int
fault_apply(struct runner *ru, const struct sc_fault *f, int ending,
    struct err *e)
{
	struct engine	*eng = ru->r.eng;
	struct store	*st = engine_store(eng);
	const char	*cl = ru->r.sc->cluster, *arn = NULL;
	char		*victim = NULL;
	int		 ret;

	if (f->kind == FAULT_DISCONNECT || f->kind == FAULT_RECONNECT ||
	    f->kind == FAULT_TERMINATE) {
		if ((arn = sc_instance_arn(&ru->r, f->target)) == NULL)
			return err_set(e, ERR_INVALID, "there is no instance "
			    "%s", f->target);
	}
	if (f->kind == FAULT_CRASH &&
	    (victim = crash_victim(ru, f->target, e)) == NULL)
		return -1;
	if (store_begin(st, e) != 0) {
		free(victim);
		return -1;
	}
	switch (f->kind) {
	case FAULT_DISCONNECT:
		ret = ending ? engine_fault_reconnect(eng, cl, arn, e) :
		    engine_fault_disconnect(eng, cl, arn, e);
		break;
	case FAULT_RECONNECT:
		ret = engine_fault_reconnect(eng, cl, arn, e);
		break;
	case FAULT_TERMINATE:
		ret = engine_fault_terminate(eng, cl, arn, e);
		break;
	case FAULT_PULL_FAILS:
		ret = engine_fault_image_behaviour(eng, f->target,
		    "ecsim.pull", ending ? NULL : "fail", e);
		break;
	case FAULT_CRASH:
		ret = engine_fault_crash_task(eng, cl, victim, NULL,
		    f->exit_code, e);
		break;
	case FAULT_ZONE_DOWN:
		ret = ending ? engine_fault_zone_up(eng, cl, f->target, e) :
		    engine_fault_zone_down(eng, cl, f->target, e);
		break;
	case FAULT_ZONE_UP:
		ret = engine_fault_zone_up(eng, cl, f->target, e);
		break;
	case FAULT_HEALTH_FLAPS:
		ret = engine_fault_image_behaviour(eng, f->target,
		    "ecsim.health", ending ? NULL : "flapping 20s", e);
		break;
	case FAULT_DRAIN:
	default:
		ret = err_set(e, ERR_INTERNAL, "drain is an API call");
		break;
	}
	free(victim);
	if (ret != 0 || store_commit(st, e) != 0) {
		store_rollback(st);
		engine_after_rollback(eng);
		return -1;
	}
	engine_after_commit(eng);
	return 0;
}

/* The runner's sc_run is its first member. */
int
sc_fault_apply(struct sc_run *r, const struct sc_fault *f, int ending,
    struct err *e)
{
	return fault_apply((struct runner *)r, f, ending, e);
}

int
sc_register_instance(struct sc_run *r, const struct sc_instances *g,
    const char *name, const char *zone, struct err *e)
{
	return register_instance((struct runner *)r, g, name, zone, e);
}

void
sc_elapsed(int64_t ms, char out[32])
{
	elapsed(ms, out);
}

static void
run_fault(struct runner *ru, const struct sc_step *s)
{
	const struct sc_fault	*f = &s->fault;
	const char		*arn;
	char			*text;
	struct err		 e;
	cJSON			*b;

	text = xprintf("fault: %s %s%s", fault_verbs[f->kind], f->target,
	    f->kind == FAULT_CRASH ? " (a RUNNING task)" : "");
	if (f->kind == FAULT_DRAIN) {
		/* Draining is the API's UpdateContainerInstancesState. */
		if ((arn = sc_instance_arn(&ru->r, f->target)) == NULL) {
			result_add(ru, s->line, 0, text, xprintf("there is "
			    "no instance %s", f->target));
			return;
		}
		b = cJSON_CreateObject();
		cJSON_AddItemToObject(b, "containerInstances",
		    cJSON_CreateStringArray(&arn, 1));
		cJSON_AddStringToObject(b, "status", "DRAINING");
		run_call(ru, s, "UpdateContainerInstancesState", b, text);
		cJSON_Delete(b);
		return;
	}
	if (fault_apply(ru, f, 0, &e) != 0) {
		result_add(ru, s->line, 0, text, xstrdup(e.msg));
		return;
	}
	result_add(ru, s->line, 1, text, NULL);
	if (f->duration > 0) {
		ru->endings = xrealloc(ru->endings,
		    (ru->nendings + 1) * sizeof *ru->endings);
		ru->endings[ru->nendings].due = ru->t + f->duration;
		ru->endings[ru->nendings++].s = s;
	}
}

/* Ends the faults whose for: is up, oldest due first (ties in the order
 * they began). Returns the earliest due still ahead, or -1. */
static int64_t
end_faults(struct runner *ru)
{
	const struct sc_step	*s;
	struct err		 e;
	size_t			 i, k;
	int64_t			 next = -1;
	char			*text;

	for (;;) {
		k = ru->nendings;
		for (i = 0; i < ru->nendings; i++)
			if (ru->endings[i].due <= ru->t && (k == ru->nendings ||
			    ru->endings[i].due < ru->endings[k].due))
				k = i;
		if (k == ru->nendings)
			break;
		s = ru->endings[k].s;
		memmove(&ru->endings[k], &ru->endings[k + 1],
		    (ru->nendings - k - 1) * sizeof *ru->endings);
		ru->nendings--;
		text = xprintf("fault over: %s %s", fault_verbs[s->fault.kind],
		    s->fault.target);
		ru->last_end = ru->t;
		if (fault_apply(ru, &s->fault, 1, &e) != 0)
			result_add(ru, s->line, 0, text, xstrdup(e.msg));
		else
			result_add(ru, s->line, 1, text, NULL);
	}
	for (i = 0; i < ru->nendings; i++)
		if (next < 0 || ru->endings[i].due < next)
			next = ru->endings[i].due;
	return next;
}

static void
expect_now_or_watch(struct runner *ru, const struct sc_check *c)
{
	char	*seen = NULL, *text = sc_check_text(c), *w;
	int	 ok = sc_check_eval(&ru->r, c, &seen);
	size_t	 i;

	if (c->within < 0 || ok) {
		result_add(ru, c->line, ok, text, seen);
		return;
	}
	free(seen);
	w = xprintf("%s (within %llds)", text, (long long)c->within / 1000);
	free(text);
	i = result_add(ru, c->line, -1, w, NULL);
	ru->watches = xrealloc(ru->watches,
	    (ru->nwatches + 1) * sizeof *ru->watches);
	ru->watches[ru->nwatches].c = c;
	ru->watches[ru->nwatches].deadline = ru->t + c->within;
	ru->watches[ru->nwatches++].result = i;
}

static void
poll_watches(struct runner *ru, int final)
{
	struct watch	*w;
	struct result	*x;
	char		*seen = NULL;
	size_t		 i = 0;
	int		 ok;

	while (i < ru->nwatches) {
		w = &ru->watches[i];
		x = &ru->res[w->result];
		ok = sc_check_eval(&ru->r, w->c, &seen);
		if (!ok && ru->t < w->deadline && !final) {
			i++;
			continue;
		}
		x->pass = ok;
		x->at = ru->t;
		free(x->seen);
		x->seen = seen;
		seen = NULL;
		ru->watches[i] = ru->watches[--ru->nwatches];
	}
	free(seen);
}

static char *
when_text(const struct sc_step *s, const int64_t *within)
{
	char	*c = sc_check_text(s->when), *out;

	if (within != NULL)
		out = xprintf("when %s (within %llds)", c,
		    (long long)*within / 1000);
	else
		out = xprintf("when %s", c);
	free(c);
	return out;
}

static void
run_step(struct runner *ru, const struct sc_step *s)
{
	struct err	e;
	size_t		i;

	switch (s->action) {
	case ACT_CALL:
		run_call(ru, s, s->op, s->body, xprintf("call %s", s->op));
		break;
	case ACT_FAULT:
		run_fault(ru, s);
		break;
	case ACT_ADD_INSTANCES:
		if (add_instances(ru, s->add, s->nadd, &e) != 0)
			result_add(ru, s->line, 0, xstrdup("add instances"),
			    xstrdup(e.msg));
		else
			result_add(ru, s->line, 1, xprintf("add instances "
			    "(%zu in the cluster now)", ru->r.nnames), NULL);
		break;
	case ACT_EXPECT:
		if (s->nchecks == 0)	/* a bare when: held */
			result_add(ru, s->line, 1, when_text(s, NULL), NULL);
		for (i = 0; i < s->nchecks; i++)
			expect_now_or_watch(ru, &s->checks[i]);
		break;
	}
}

static void
trace_line(struct runner *ru, int64_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void
sc_vtrace(FILE *f, int64_t at, const char *prefix, const char *fmt,
    va_list ap)
{
	char	when[32];

	elapsed(at, when);
	fprintf(f, "%s  %s", when, prefix);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

static void
trace_line(struct runner *ru, int64_t at, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	sc_vtrace(ru->o->trace, at, "", fmt, ap);
	va_end(ap);
}

static void
trace_hook(void *arg, const char *line)
{
	struct runner	*ru = arg;
	struct why	*w;

	/* Held until the tick's events are read, to print in time order. */
	ru->whys = xrealloc(ru->whys, (ru->nwhys + 1) * sizeof *ru->whys);
	w = &ru->whys[ru->nwhys++];
	w->at = engine_now(ru->r.eng) - SC_EPOCH;
	w->text = xstrdup(line);
}

/* Prints the reasons held up to at (all with -1): a decision comes before
 * the events it causes at the same time. */
static void
trace_whys(struct runner *ru, int64_t at)
{
	size_t	i;

	for (i = 0; i < ru->nwhys && (at < 0 || ru->whys[i].at <= at); i++) {
		trace_line(ru, ru->whys[i].at, "why: %s", ru->whys[i].text);
		free(ru->whys[i].text);
	}
	if (i == 0)
		return;
	memmove(ru->whys, ru->whys + i, (ru->nwhys - i) * sizeof *ru->whys);
	ru->nwhys -= i;
}

static const char *
instance_name(const struct sc_run *r, const char *arn)
{
	size_t	i;

	for (i = 0; arn != NULL && i < r->nnames; i++)
		if (strcmp(r->names[i].arn, arn) == 0)
			return r->names[i].name;
	return arn ? arn : "no instance";
}


static int64_t
remaining(const cJSON *d, const char *name)
{
	const cJSON	*r;

	cJSON_ArrayForEach(r, cJSON_GetObjectItem(d, "remainingResources"))
		if (strcmp(str_member(r, "name"), name) == 0)
			return (int64_t)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(r, "integerValue"));
	return 0;
}

/* One line a person learning ECS can follow, for each event. */
static void
trace_event(struct runner *ru, const struct store_event *ev)
{
	cJSON		*d = json_unpack(ev->packed, ev->npacked);
	const char	*id = strrchr(ev->resource, '/');
	int64_t		 at = ev->time - SC_EPOCH;

	id = id ? id + 1 : ev->resource;
	if (strcmp(ev->detail_type, "ECS Task State Change") == 0)
		trace_line(ru, at, "task %.8s (%s) is %s, wanted %s, on %s%s%s",
		    id, str_member(d, "group"), str_member(d, "lastStatus"),
		    str_member(d, "desiredStatus"), instance_name(&ru->r,
		    cJSON_GetStringValue(cJSON_GetObjectItem(d,
		    "containerInstanceArn"))), *str_member(d,
		    "stoppedReason") ? ": " : "", str_member(d,
		    "stoppedReason"));
	else if (strcmp(ev->detail_type,
	    "ECS Container Instance State Change") == 0)
		trace_line(ru, at, "instance %s is %s, agent %s, %lld CPU "
		    "and %lld MiB free", instance_name(&ru->r, ev->resource),
		    str_member(d, "status"), cJSON_IsTrue(cJSON_GetObjectItem(d,
		    "agentConnected")) ? "connected" : "disconnected",
		    (long long)remaining(d, "CPU"),
		    (long long)remaining(d, "MEMORY"));
	else
		trace_line(ru, at, "%s %s: %s%s%s", id, ev->detail_type,
		    str_member(d, "eventName"), *str_member(d, "reason") ?
		    ": " : "", str_member(d, "reason"));
	cJSON_Delete(d);
}

static void
write_event(struct runner *ru, const struct store_event *ev)
{
	cJSON	*j = cJSON_CreateObject();
	char	 when[TIME_ISO_LEN], *text;

	time_iso8601(ev->time, 1, when);
	cJSON_AddNumberToObject(j, "seq", (double)ev->seq);
	cJSON_AddStringToObject(j, "time", when);
	cJSON_AddStringToObject(j, "source", ev->source);
	cJSON_AddStringToObject(j, "detail-type", ev->detail_type);
	cJSON_AddItemToObject(j, "resources",
	    cJSON_CreateStringArray((const char **)&ev->resource, 1));
	cJSON_AddItemToObject(j, "detail", json_unpack(ev->packed,
	    ev->npacked));
	text = json_print(j);
	fprintf(ru->o->events, "%s\n", text);
	free(text);
	cJSON_Delete(j);
}

/*
 * Takes one event: to --events and --trace, past the invariants and
 * chaos, and into the run's list only when an event check could count it,
 * cut down to what the checks read.
 */
static void
take_event(struct runner *ru, struct store_event *ev)
{
	struct sc_run	*r = &ru->r;

	if (ru->o->events != NULL)
		write_event(ru, ev);
	if (ru->o->trace != NULL) {
		trace_whys(ru, ev->time - SC_EPOCH);
		trace_event(ru, ev);
	}
	if (ru->o->chaos != NULL)
		sc_chaos_event(ru->o->chaos, ev);
	if (ru->broke == NULL)
		(void)sc_inv_events(ru->inv, r, ev, 1, &ru->broke);
	r->nevents++;
	r->last_seq = ev->seq;
	ru->fresh++;
	if (!sc_event_wanted(r, ev)) {
		store_event_clear(ev);
		return;
	}
	sc_event_trim(r, ev);
	r->events = xgrow(r->events, r->nkept, &r->capkept, sizeof *r->events);
	r->events[r->nkept++] = *ev;
}

/*
 * The store tells the run of each event as its transaction commits, with
 * the detail the engine built (store_set_event_hook): nothing is parsed
 * back out of the outbox, and nothing piles up, even in the first tick of
 * a large cluster. With --trace the events wait for the tick's end, when
 * the instances registered in it have their names.
 */
static void
told(void *arg, struct store_event *ev)
{
	struct runner		*ru = arg;
	struct store		*st = engine_store(ru->r.eng);
	struct store_prune	 pr;
	struct err		 e;
	int64_t			 seq = ev->seq, gone;

	if (ru->o->trace == NULL)
		take_event(ru, ev);
	else {
		ru->held = xgrow(ru->held, ru->nheld, &ru->capheld,
		    sizeof *ru->held);
		ru->held[ru->nheld++] = *ev;
	}
	/* Nothing in a run reads the outbox back: what the events told
	 * leave it a few thousand at a time, even within a tick (the first
	 * of a large cluster appends tens of thousands, and the pages they
	 * took were the run's peak of memory). The newest stays, as
	 * pruning always leaves it. Outside the transaction, which has
	 * just committed. */
	if (seq - ru->pruned < PRUNE_EVERY || store_in_transaction(st))
		return;
	memset(&pr, 0, sizeof pr);
	pr.upto = seq;
	pr.below = seq + 1;
	pr.limit = seq;
	ru->pruned = seq;
	if (store_event_prune(st, &pr, &gone, &e) != 0)
		log_warn("pruning the outbox: %s", e.msg);
}

/*
 * The end of a tick: the events held for --trace, then, when anything
 * happened, the state invariants on what the tick's events touched.
 */
static void
drain_events(struct runner *ru)
{
	struct sc_run	*r = &ru->r;
	size_t		 i;

	for (i = 0; i < ru->nheld; i++)
		take_event(ru, &ru->held[i]);
	ru->nheld = 0;
	if (ru->o->trace != NULL)
		trace_whys(ru, -1);
	/* A tick failed, and nothing could undo its half-made change (the
	 * replay's transactions have no journal): the run stops here. */
	if (ru->broke == NULL && engine_failure(r->eng) != NULL) {
		ru->broke = xprintf("the engine failed, and what it had "
		    "changed could not be undone: %s", engine_failure(r->eng));
		ru->broke_engine = 1;
		ru->broke_at = ru->t;
		return;
	}
	if (ru->fresh == 0)
		return;
	ru->fresh = 0;
	/* Every change of state appends an event: without one, the state
	 * invariants cannot have changed either. The outbox must end with
	 * the last event told (unless the benchmark's knob keeps it empty). */
	if (ru->broke == NULL && !store_events_off())
		(void)sc_inv_outbox(ru->inv, store_event_last(engine_store(
		    r->eng)), &ru->broke);
	if (ru->broke == NULL)
		(void)sc_inv_state(ru->inv, r, &ru->broke);
	if (ru->broke != NULL && ru->broke_at < 0)
		ru->broke_at = ru->t;
	sc_inv_begin(ru->inv);
}

static void
progress(struct runner *ru, int64_t end)
{
	char	now[32], last[32];

	elapsed(ru->t, now);
	elapsed(end, last);
	fprintf(stderr, "\rvirtual time %s of about %s, %zu events ", now,
	    last, ru->r.nevents);
}

/* The timeline, tick by tick, until the last step has settled. */
static void
replay(struct runner *ru)
{
	struct scenario		*sc = ru->r.sc;
	const struct sc_step	*s;
	int64_t			 prev = 0, when_from = -1, next, due, within;
	int64_t			 ending, last_at = 0;
	size_t			 i = 0;
	char			*seen;
	int			 ok, chaos = ru->o->chaos != NULL;

	/* For the progress line: the run ends about settle after the last
	 * step at a fixed time. */
	for (i = 0; i < sc->nsteps; i++)
		if (sc->steps[i].timing == AT_TIME && sc->steps[i].time > last_at)
			last_at = sc->steps[i].time;
	i = 0;
	for (;;) {
		while (i < sc->nsteps && ru->broke == NULL) {
			s = &sc->steps[i];
			if (s->timing == AT_TIME && s->time > ru->t)
				break;
			if (s->timing == AT_AFTER && prev + s->time > ru->t)
				break;
			if (s->timing == AT_WHEN) {
				if (when_from < 0)
					when_from = ru->t;
				seen = NULL;
				ok = sc_check_eval(&ru->r, s->when, &seen);
				within = s->when->within >= 0 ?
				    s->when->within : SC_WHEN_MAX;
				if (!ok && ru->t < when_from + within) {
					free(seen);
					break;
				}
				if (!ok) {
					result_add(ru, s->line, 0,
					    when_text(s, &within), seen);
					prev = ru->t;
					when_from = -1;
					i++;
					continue;
				}
				free(seen);
			}
			run_step(ru, s);
			prev = ru->t;
			when_from = -1;
			i++;
		}
		ending = end_faults(ru);
		drain_events(ru);
		poll_watches(ru, 0);
		if (ru->broke != NULL)
			break;
		if (chaos && !(chaos = sc_chaos_tick(ru->o->chaos, &ru->r,
		    ru->t, i == sc->nsteps, &seen)))
			result_add(ru, 0, seen == NULL, xstrdup("chaos: every "
			    "service steady once the faults stopped"), seen);
		if (i == sc->nsteps && ru->nwatches == 0 && ending < 0 &&
		    (ru->o->chaos != NULL ? !chaos : ru->t >= (prev >
		    ru->last_end ? prev : ru->last_end) + sc->settle))
			break;
		if (ru->o->until > 0 && ru->t >= ru->o->until)
			break;
		next = ru->t + SC_TICK;
		if (i < sc->nsteps && sc->steps[i].timing != AT_WHEN) {
			s = &sc->steps[i];
			due = s->timing == AT_TIME ? s->time : prev + s->time;
			if (due > ru->t && due < next)
				next = due;
		}
		if (ending > ru->t && ending < next)
			next = ending;
		if (ru->o->until > 0 && next > ru->o->until)
			next = ru->o->until;
		clock_run_until(ru->clk, SC_EPOCH + next);
		ru->t = next;
		if (ru->o->progress && ru->t % 60000 == 0)
			progress(ru, (i == sc->nsteps ? prev : last_at > ru->t ?
			    last_at : ru->t) + sc->settle);
	}
	if (ru->o->progress)
		fprintf(stderr, "\r%60s\r", "");
	/* Steps --until cut off are listed, not run. */
	for (; i < sc->nsteps; i++)
		result_add(ru, sc->steps[i].line, -1, xstrdup("step not "
		    "reached"), NULL);
	if (ru->broke == NULL)
		poll_watches(ru, 1);
}

static int
summary(struct runner *ru)
{
	const struct scenario_options	*o = ru->o;
	struct scenario			*sc = ru->r.sc;
	struct result			*x;
	size_t				 i, failed = 0, held = 0;
	char				 when[32], *seen = NULL;
	unsigned			 k;
	int				 ok;

	for (i = 0; i < sc->nexpects && ru->broke == NULL; i++) {
		seen = NULL;
		ok = sc_check_eval(&ru->r, &sc->expects[i], &seen);
		result_add(ru, sc->expects[i].line, ok,
		    sc_check_text(&sc->expects[i]), seen);
	}
	elapsed(ru->t, when);
	fprintf(o->out, "scenario %s (%s, seed %llu)\n", sc->name, sc->path,
	    (unsigned long long)o->seed);
	for (i = 0; i < ru->nres; i++) {
		x = &ru->res[i];
		elapsed(x->at, when);
		fprintf(o->out, "  %s  %s  line %-4d %s\n", x->pass == 1 ?
		    "PASS" : x->pass == 0 ? "FAIL" : "SKIP", when, x->line,
		    x->text);
		if (x->pass == 0 && x->seen != NULL)
			fprintf(o->out, "%24s seen instead: %s\n", "", x->seen);
		held += x->pass == 1;
		failed += x->pass == 0;
	}
	if (ru->broke != NULL) {
		elapsed(ru->broke_at, when);
		fprintf(o->out, "  FAIL  %s  %s%s\n", when,
		    ru->broke_engine ? "" : "invariant ", ru->broke);
		failed++;
	} else {
		fprintf(o->out, "  invariants held after every tick:");
		for (k = 0; k < INV_COUNT; k++)
			if (!(sc->invariants_off & (1u << k)))
				fprintf(o->out, " %s", sc_invariant_names[k]);
		fputc('\n', o->out);
	}
	elapsed(ru->t, when);
	fprintf(o->out, "%s: %zu held, %zu failed; virtual time %s, %zu "
	    "events\n", failed ? "FAIL" : "PASS", held, failed, when,
	    ru->r.nevents);
	if (failed)
		fprintf(o->out, "replay: %s\n", o->replay);
	return failed ? 1 : 0;
}

int
scenario_run(struct scenario *sc, const struct scenario_options *o,
    struct err *e)
{
	struct engine_config	 cfg;
	struct event_base	*base = event_base_new();
	struct store		*st = NULL;
	struct runner		 ru;
	size_t			 i;
	int			 ret = -1;

	memset(&ru, 0, sizeof ru);
	ru.r.sc = sc;
	ru.o = o;
	engine_config_defaults(&cfg);
	cfg.seed = o->seed;
	cfg.region = sc->region;
	cfg.agent_flaps = (double)sc->agent_flaps;
	/* A replay's database lives and dies with the run: its ticks keep
	 * no rollback journal, and a tick that fails ends the run. */
	cfg.unjournaled = 1;
	cfg.timings.provisioning = cfg.timings.pending =
	    cfg.timings.activating = cfg.timings.deactivating =
	    cfg.timings.stopping = cfg.timings.deprovisioning = sc->step;
	ru.clk = clock_new(base, CLOCK_VIRTUAL, 1, SC_EPOCH);
	ru.inv = sc_inv_new(sc->invariants_off);
	if ((st = store_open(":memory:", e)) == NULL)
		goto out;
	if ((ru.r.eng = engine_new(base, ru.clk, st, &cfg, e)) == NULL)
		goto out;
	if (o->trace != NULL)
		log_set_hook(trace_hook, &ru);
	sc_event_checks(&ru.r);
	ru.broke_at = -1;
	sc_inv_begin(ru.inv);
	store_set_event_hook(st, told, &ru);
	if (setup(&ru, e) != 0)
		goto out;
	replay(&ru);
	ret = summary(&ru);
out:
	log_set_hook(NULL, NULL);
	for (i = 0; i < ru.nres; i++) {
		free(ru.res[i].text);
		free(ru.res[i].seen);
	}
	free(ru.res);
	free(ru.watches);
	free(ru.endings);
	for (i = 0; i < ru.nwhys; i++)
		free(ru.whys[i].text);
	free(ru.whys);
	free(ru.broke);
	for (i = 0; i < ru.r.nnames; i++) {
		free(ru.r.names[i].name);
		free(ru.r.names[i].arn);
	}
	free(ru.r.names);
	store_events_free(ru.r.events, ru.r.nkept);
	store_events_free(ru.held, ru.nheld);
	free(ru.r.matches);
	sc_inv_free(ru.inv);
	engine_free(ru.r.eng);
	if (store_close(st) != 0 && ret != -1)
		ret = -1;
	clock_free(ru.clk);
	event_base_free(base);
	return ret;
}
