/*
 * Chaos: a scenario's cluster, once its timeline has run, under random
 * faults for a while, then left alone until every service has converged.
 * The faults are drawn from the engine's PRNG, which the run's seed seeds,
 * so one seed replays exactly; the run is ecsim run's, with its
 * invariants after every tick and its event log (run.c calls
 * sc_chaos_tick each tick).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "store/store.h"
#include "api/api.h"
#include "scenario/internal.h"

/* How long a temporary fault lasts: from MIN to MIN + SPAN. */
#define DISCONNECT_MIN	(30 * 1000)
#define DISCONNECT_SPAN	(4 * 60 * 1000)
#define PULL_MIN	(60 * 1000)
#define PULL_SPAN	(2 * 60 * 1000)
#define FLAP_MIN	(60 * 1000)
#define FLAP_SPAN	(4 * 60 * 1000)
#define DRAIN_MIN	(2 * 60 * 1000)
#define DRAIN_SPAN	(8 * 60 * 1000)
/* When a terminated instance's replacement registers. */
#define REPLACE_AFTER	(2 * 60 * 1000)
/* How often convergence is looked at once the faults stopped. */
#define STEADY_EVERY	5000
#define DEFAULT_SEEDS	"1-10"

const char *const chaos_fault_names[CHAOS_NFAULTS] = { "disconnect",
    "crash", "pull_fails", "health_flaps", "terminate", "drain", "update" };
const char *const chaos_path_names[CHAOS_NPATHS] = { "circuit_breaker",
    "rollback", "launch_throttle", "drain", "placement_failure",
    "unhealthy_replacement" };
/* Per hour; docs/chaos.md. */
static const double default_rates[CHAOS_NFAULTS] = { 6, 12, 3, 3, 2, 3, 6 };

struct host {
	char				*name;
	const struct sc_instances	*g;
	int				 dead, disconnected, draining;
};

struct service {
	char	*name;
	char	*family;	/* of its task definition */
	int64_t	 desired;	/* when chaos began */
};

struct image {
	char	*name;
	int	 health;	/* has a healthCheck: can flap */
	int	 pulls_fail, flapping;
};

/* A temporary fault, or a replacement instance, due at a time. */
struct ending {
	int64_t			 due;
	enum chaos_fault	 kind;
	size_t			 which;	/* host or image */
};

struct sc_chaos {
	const struct chaos_config	*cfg;
	const struct scenario		*sc;
	struct chaos_stats		*st;
	int				 started;
	int64_t				 t0, stop;	/* ms from the start */
	int				 stopped;
	int64_t				 next[CHAOS_NFAULTS];
	struct host			*hosts;
	size_t				 nhosts, nreplaced;
	struct service			*svcs;
	size_t				 nsvcs;
	struct image			*images;
	size_t				 nimages;
	struct ending			*endings;
	size_t				 nendings;
	/* Paths: how many events were looked at, and DRAINING hosts. */
	size_t				 scanned;
	cJSON				*draining;	/* {arn: true} */
	int				 reached[CHAOS_NPATHS];
};

void
chaos_config_defaults(struct chaos_config *c)
{
	memset(c, 0, sizeof *c);
	c->duration = 30 * 60 * 1000;
	c->settle = 15 * 60 * 1000;
	memcpy(c->rates, default_rates, sizeof c->rates);
}

static void
say(struct sc_chaos *c, int64_t t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct sc_chaos *c, int64_t t, const char *fmt, ...)
{
	va_list	ap;

	if (c->cfg->trace == NULL)
		return;
	va_start(ap, fmt);
	sc_vtrace(c->cfg->trace, t, "chaos: ", fmt, ap);
	va_end(ap);
}

/* A uniform draw from [0, n). */
static uint64_t
below(struct sc_run *r, uint64_t n)
{
	return n ? prng_below(engine_prng(r->eng), n) : 0;
}

/* The gap to a fault's next firing: uniform on [0, 2 / rate) hours, so
 * rate a hour on average. */
static int64_t
gap(struct sc_run *r, double rate)
{
	return 1 + (int64_t)(prng_double(engine_prng(r->eng)) * 2 *
	    3600000.0 / rate);
}

static const struct sc_instances *
group_of(const struct scenario *sc, const char *name)
{
	size_t	i, n;

	for (i = 0; i < sc->ninstances; i++) {
		n = strlen(sc->instances[i].name);
		if (strncmp(name, sc->instances[i].name, n) == 0 &&
		    (name[n] == '\0' || name[n] == '-'))
			return &sc->instances[i];
	}
	return NULL;
}

static const char *
member(const cJSON *o, const char *name)
{
	const char	*s = cJSON_GetStringValue(cJSON_GetObjectItem(o, name));

	return s ? s : "";
}

/* "web" of arn:...:task-definition/web:3. */
static char *
family_of(const char *arn)
{
	const char	*a = arn ? strrchr(arn, '/') : NULL;
	const char	*b;

	a = a ? a + 1 : arn ? arn : "";
	b = strrchr(a, ':');
	return b ? xstrndup(a, (size_t)(b - a)) : xstrdup(a);
}

static void
add_host(struct sc_chaos *c, const char *name, const struct sc_instances *g)
{
	c->hosts = xrealloc(c->hosts, (c->nhosts + 1) * sizeof *c->hosts);
	memset(&c->hosts[c->nhosts], 0, sizeof *c->hosts);
	c->hosts[c->nhosts].name = xstrdup(name);
	c->hosts[c->nhosts++].g = g;
}

static void
add_image(struct sc_chaos *c, const char *name, int health)
{
	size_t	i;

	for (i = 0; i < c->nimages; i++)
		if (strcmp(c->images[i].name, name) == 0) {
			c->images[i].health |= health;
			return;
		}
	c->images = xrealloc(c->images, (c->nimages + 1) * sizeof *c->images);
	memset(&c->images[c->nimages], 0, sizeof *c->images);
	c->images[c->nimages].name = xstrdup(name);
	c->images[c->nimages++].health = health;
}

/* What there is to break: the hosts of the file's groups, the services
 * the timeline created and the images of the task definitions. */
static void
start(struct sc_chaos *c, struct sc_run *r, int64_t t)
{
	const struct sc_instances	*g;
	cJSON				*b, *reply, *s, *td, *cd;
	const char			*image;
	int				 status;
	size_t				 i;

	c->started = 1;
	c->sc = r->sc;
	c->t0 = t;
	c->stop = t + c->cfg->duration;
	for (i = 0; i < r->nnames; i++)
		if ((g = group_of(r->sc, r->names[i].name)) != NULL)
			add_host(c, r->names[i].name, g);
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "cluster", r->sc->cluster);
	cJSON_AddNumberToObject(b, "maxResults", 100);
	reply = api_call(r->eng, "ListServices", b, &status);
	cJSON_DeleteItemFromObject(b, "maxResults");
	cJSON_AddItemToObject(b, "services", cJSON_DetachItemFromObject(reply,
	    "serviceArns"));
	cJSON_Delete(reply);
	/* DescribeServices takes ten at a time. */
	while (cJSON_GetArraySize(cJSON_GetObjectItem(b, "services")) > 0) {
		td = cJSON_CreateArray();
		for (i = 0; i < 10 && cJSON_GetArraySize(cJSON_GetObjectItem(b,
		    "services")) > 0; i++)
			cJSON_AddItemToArray(td, cJSON_DetachItemFromArray(
			    cJSON_GetObjectItem(b, "services"), 0));
		cJSON_AddItemToObject(b, "batch", td);
		s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "cluster", r->sc->cluster);
		cJSON_AddItemToObject(s, "services", cJSON_DetachItemFromObject(
		    b, "batch"));
		reply = api_call(r->eng, "DescribeServices", s, &status);
		cJSON_Delete(s);
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(reply, "services")) {
			c->svcs = xrealloc(c->svcs, (c->nsvcs + 1) *
			    sizeof *c->svcs);
			c->svcs[c->nsvcs].name = xstrdup(cJSON_GetStringValue(
			    cJSON_GetObjectItem(s, "serviceName")));
			c->svcs[c->nsvcs].family = family_of(
			    cJSON_GetStringValue(cJSON_GetObjectItem(s,
			    "taskDefinition")));
			c->svcs[c->nsvcs++].desired = (int64_t)
			    cJSON_GetNumberValue(cJSON_GetObjectItem(s,
			    "desiredCount"));
		}
		cJSON_Delete(reply);
	}
	cJSON_Delete(b);
	cJSON_ArrayForEach(td, r->sc->taskdefs)
		cJSON_ArrayForEach(cd, cJSON_GetObjectItem(td,
		    "containerDefinitions"))
			if (*(image = member(cd, "image")) != '\0')
				add_image(c, image, cJSON_GetObjectItem(cd,
				    "healthCheck") != NULL);
	for (i = 0; i < CHAOS_NFAULTS; i++)
		c->next[i] = c->cfg->rates[i] > 0 ? t + gap(r,
		    c->cfg->rates[i]) : -1;
	say(c, t, "faults from now for %lld s: %zu hosts, %zu services, "
	    "%zu images", (long long)c->cfg->duration / 1000, c->nhosts,
	    c->nsvcs, c->nimages);
}

static void
end_at(struct sc_chaos *c, int64_t due, enum chaos_fault kind, size_t which)
{
	c->endings = xrealloc(c->endings, (c->nendings + 1) *
	    sizeof *c->endings);
	c->endings[c->nendings].due = due;
	c->endings[c->nendings].kind = kind;
	c->endings[c->nendings++].which = which;
}

static int
apply(struct sc_chaos *c, struct sc_run *r, int64_t t, enum sc_fault_kind k,
    const char *target, int ending)
{
	struct sc_fault	f;
	struct err	e;

	memset(&f, 0, sizeof f);
	f.kind = k;
	f.target = (char *)target;
	f.exit_code = 137;
	if (sc_fault_apply(r, &f, ending, &e) == 0)
		return 0;
	say(c, t, "could not: %s", e.msg);
	return -1;
}

/* An API call that should answer 200. */
static int
call(struct sc_chaos *c, struct sc_run *r, int64_t t, const char *op,
    cJSON *body)
{
	cJSON	*reply;
	int	 status;

	if (cJSON_GetObjectItem(body, "cluster") == NULL)
		cJSON_AddStringToObject(body, "cluster", r->sc->cluster);
	reply = api_call(r->eng, op, body, &status);
	if (status != 200)
		say(c, t, "%s refused: %s", op, cJSON_GetStringValue(
		    cJSON_GetObjectItem(reply, "message")));
	cJSON_Delete(reply);
	cJSON_Delete(body);
	return status == 200 ? 0 : -1;
}

static int
set_drain(struct sc_chaos *c, struct sc_run *r, int64_t t, size_t h, int on)
{
	cJSON		*b = cJSON_CreateObject();
	const char	*arn = sc_instance_arn(r, c->hosts[h].name);

	cJSON_AddItemToObject(b, "containerInstances",
	    cJSON_CreateStringArray(&arn, 1));
	cJSON_AddStringToObject(b, "status", on ? "DRAINING" : "ACTIVE");
	if (call(c, r, t, "UpdateContainerInstancesState", b) != 0)
		return -1;
	c->hosts[h].draining = on;
	return 0;
}

/* A random i < n for which ok(c, i, arg), or -1 when there is none. */
static ssize_t
pick(struct sc_chaos *c, struct sc_run *r, size_t n,
    int (*ok)(const struct sc_chaos *, size_t, const void *), const void *arg)
{
	size_t	i, m = 0, k;

	for (i = 0; i < n; i++)
		m += ok(c, i, arg) != 0;
	if (m == 0)
		return -1;
	k = below(r, m);
	for (i = 0; i < n; i++)
		if (ok(c, i, arg) && k-- == 0)
			return (ssize_t)i;
	return -1;
}

/* A host that is alive, connected and not draining. */
static int
usable_host(const struct sc_chaos *c, size_t i, const void *arg)
{
	(void)arg;
	return !c->hosts[i].dead && !c->hosts[i].disconnected &&
	    !c->hosts[i].draining;
}

/* An image whose pulls do not fail yet (arg NULL), or one with a health
 * check that does not flap yet. */
static int
usable_image(const struct sc_chaos *c, size_t i, const void *arg)
{
	return arg == NULL ? !c->images[i].pulls_fail :
	    c->images[i].health && !c->images[i].flapping;
}

static int
runs_image(const struct sc_chaos *c, size_t i, const void *image)
{
	const cJSON	*td, *cd;

	cJSON_ArrayForEach(td, c->sc->taskdefs) {
		if (strcmp(member(td, "family"), c->svcs[i].family) != 0)
			continue;
		cJSON_ArrayForEach(cd, cJSON_GetObjectItem(td,
		    "containerDefinitions"))
			if (strcmp(member(cd, "image"), image) == 0)
				return 1;
	}
	return 0;
}

/* Only tasks started from now flap: a service that runs image gets a new
 * deployment, as a bad release would. */
static void
redeploy(struct sc_chaos *c, struct sc_run *r, int64_t t, const char *image)
{
	ssize_t	i;
	cJSON	*b;

	if ((i = pick(c, r, c->nsvcs, runs_image, image)) < 0)
		return;
	say(c, t, "update %s: forceNewDeployment, its new tasks flap",
	    c->svcs[i].name);
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "service", c->svcs[i].name);
	cJSON_AddBoolToObject(b, "forceNewDeployment", 1);
	call(c, r, t, "UpdateService", b);
}

static size_t
alive(const struct sc_chaos *c)
{
	size_t	i, n = 0;

	for (i = 0; i < c->nhosts; i++)
		n += !c->hosts[i].dead;
	return n;
}

/* A temporary fault of kind k on which lasts from min to min + span;
 * returns how long, in seconds. */
static long long
lasting(struct sc_chaos *c, struct sc_run *r, int64_t t, enum chaos_fault k,
    size_t which, int64_t min, int64_t span)
{
	int64_t	d = min + (int64_t)below(r, (uint64_t)span);

	end_at(c, t + d, k, which);
	return (long long)d / 1000;
}

/* Fires one fault of kind k; 0, or -1 when there was nothing to do it to
 * or the engine refused. */
static int
fire(struct sc_chaos *c, struct sc_run *r, int64_t t, enum chaos_fault k)
{
	struct service	*s = NULL;
	struct host	*h = NULL;
	struct image	*im;
	ssize_t		 i = -1;
	int64_t		 n;
	cJSON		*b;

	if (k == CHAOS_DISCONNECT || k == CHAOS_TERMINATE ||
	    k == CHAOS_DRAIN) {
		/* The last host stays, so there is something to run on. */
		if ((k == CHAOS_TERMINATE && alive(c) < 2) || (i = pick(c, r,
		    c->nhosts, usable_host, NULL)) < 0)
			return -1;
		h = &c->hosts[i];
	} else if (k == CHAOS_CRASH || k == CHAOS_UPDATE) {
		if (c->nsvcs == 0)
			return -1;
		s = &c->svcs[below(r, c->nsvcs)];
	}
	switch (k) {
	case CHAOS_DISCONNECT:
		if (apply(c, r, t, FAULT_DISCONNECT, h->name, 0) != 0)
			return -1;
		h->disconnected = 1;
		say(c, t, "disconnect %s for %llds", h->name, lasting(c, r, t,
		    k, (size_t)i, DISCONNECT_MIN, DISCONNECT_SPAN));
		return 0;
	case CHAOS_TERMINATE:
		if (apply(c, r, t, FAULT_TERMINATE, h->name, 0) != 0)
			return -1;
		h->dead = 1;
		end_at(c, t + REPLACE_AFTER, k, (size_t)i);
		say(c, t, "terminate %s; a replacement in %llds", h->name,
		    (long long)REPLACE_AFTER / 1000);
		return 0;
	case CHAOS_DRAIN:
		if (set_drain(c, r, t, (size_t)i, 1) != 0)
			return -1;
		say(c, t, "drain %s for %llds", h->name, lasting(c, r, t, k,
		    (size_t)i, DRAIN_MIN, DRAIN_SPAN));
		return 0;
	case CHAOS_CRASH:
		say(c, t, "crash a RUNNING task of %s", s->name);
		return apply(c, r, t, FAULT_CRASH, s->name, 0);
	case CHAOS_PULL_FAILS:
		if ((i = pick(c, r, c->nimages, usable_image, NULL)) < 0 ||
		    apply(c, r, t, FAULT_PULL_FAILS, c->images[i].name, 0) != 0)
			return -1;
		im = &c->images[i];
		im->pulls_fail = 1;
		say(c, t, "pulls fail for %s for %llds", im->name, lasting(c,
		    r, t, k, (size_t)i, PULL_MIN, PULL_SPAN));
		return 0;
	case CHAOS_HEALTH_FLAPS:
		if ((i = pick(c, r, c->nimages, usable_image, "")) < 0 ||
		    apply(c, r, t, FAULT_HEALTH_FLAPS, c->images[i].name,
		    0) != 0)
			return -1;
		im = &c->images[i];
		im->flapping = 1;
		say(c, t, "health flaps for %s for %llds", im->name, lasting(c,
		    r, t, k, (size_t)i, FLAP_MIN, FLAP_SPAN));
		redeploy(c, r, t, im->name);
		return 0;
	case CHAOS_UPDATE:
		b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "service", s->name);
		if (below(r, 2) == 0) {
			cJSON_AddBoolToObject(b, "forceNewDeployment", 1);
			say(c, t, "update %s: forceNewDeployment", s->name);
		} else {
			/* One either side of where it was, at least one. */
			n = s->desired - 1 + (int64_t)below(r, 3);
			n = n < 1 ? 1 : n;
			cJSON_AddNumberToObject(b, "desiredCount", (double)n);
			say(c, t, "update %s: desiredCount %lld", s->name,
			    (long long)n);
		}
		return call(c, r, t, "UpdateService", b);
	case CHAOS_NFAULTS:
		break;
	}
	return -1;
}

/* The end of a temporary fault, or a replacement registering. */
static void
heal(struct sc_chaos *c, struct sc_run *r, int64_t t, const struct ending *x)
{
	static const char	 abc[] = "abc";
	struct host		*h = NULL;
	struct image		*im = NULL;
	const struct sc_instances *g;
	struct err		 e;
	char			*name, *zone;

	if (x->kind == CHAOS_PULL_FAILS || x->kind == CHAOS_HEALTH_FLAPS)
		im = &c->images[x->which];
	else
		h = &c->hosts[x->which];
	switch (x->kind) {
	case CHAOS_DISCONNECT:
		say(c, t, "reconnect %s", h->name);
		if (apply(c, r, t, FAULT_DISCONNECT, h->name, 1) == 0)
			h->disconnected = 0;
		break;
	case CHAOS_PULL_FAILS:
		say(c, t, "pulls of %s work again", im->name);
		if (apply(c, r, t, FAULT_PULL_FAILS, im->name, 1) == 0)
			im->pulls_fail = 0;
		break;
	case CHAOS_HEALTH_FLAPS:
		say(c, t, "health of new %s tasks steady again", im->name);
		if (apply(c, r, t, FAULT_HEALTH_FLAPS, im->name, 1) == 0)
			im->flapping = 0;
		break;
	case CHAOS_DRAIN:
		say(c, t, "%s ACTIVE again", h->name);
		set_drain(c, r, t, x->which, 0);
		break;
	case CHAOS_TERMINATE:
		/* As an autoscaling group would: the same group, a zone it
		 * may use. */
		g = h->g;
		name = xprintf("%s-r%zu", g->name, ++c->nreplaced);
		zone = g->nzones ? xstrdup(g->zones[below(r, g->nzones)]) :
		    xprintf("%s%c", r->sc->region, abc[below(r, 3)]);
		say(c, t, "%s registers in place of %s, in %s", name, h->name,
		    zone);
		if (sc_register_instance(r, g, name, zone, &e) != 0)
			say(c, t, "could not: %s", e.msg);
		else
			add_host(c, name, g);
		free(name);
		free(zone);
		break;
	default:
		break;
	}
}

/* Ends what is due by t (all when t < 0), oldest first. */
static void
heal_due(struct sc_chaos *c, struct sc_run *r, int64_t t, int64_t now)
{
	struct ending	x;
	size_t		i, k;

	for (;;) {
		k = c->nendings;
		for (i = 0; i < c->nendings; i++)
			if ((t < 0 || c->endings[i].due <= t) &&
			    (k == c->nendings ||
			    c->endings[i].due < c->endings[k].due))
				k = i;
		if (k == c->nendings)
			return;
		x = c->endings[k];
		memmove(&c->endings[k], &c->endings[k + 1],
		    (c->nendings - k - 1) * sizeof *c->endings);
		c->nendings--;
		heal(c, r, now, &x);
	}
}

/* Faults stop: every temporary one ends, replacements register and
 * desired counts go back to what they were. */
static void
stop(struct sc_chaos *c, struct sc_run *r, int64_t t)
{
	size_t	i;
	cJSON	*b;

	c->stopped = 1;
	say(c, t, "faults stop; every service must be steady within %llds",
	    (long long)c->cfg->settle / 1000);
	heal_due(c, r, -1, t);
	for (i = 0; i < c->nsvcs; i++) {
		b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "service", c->svcs[i].name);
		cJSON_AddNumberToObject(b, "desiredCount",
		    (double)c->svcs[i].desired);
		call(c, r, t, "UpdateService", b);
	}
}

/* NULL when every service is steady: one COMPLETED deployment and as many
 * running as desired; else what was seen. */
static char *
unsteady(struct sc_chaos *c, struct sc_run *r)
{
	cJSON		*b, *reply, *s, *d, *names;
	char		*out = NULL, *x;
	const char	*state;
	size_t		 i, k;
	int		 status, nd;
	int64_t		 run, want;

	for (i = 0; i < c->nsvcs; i += 10) {
		b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "cluster", r->sc->cluster);
		names = cJSON_AddArrayToObject(b, "services");
		for (k = i; k < c->nsvcs && k < i + 10; k++)
			cJSON_AddItemToArray(names,
			    cJSON_CreateString(c->svcs[k].name));
		reply = api_call(r->eng, "DescribeServices", b, &status);
		cJSON_Delete(b);
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(reply, "services")) {
			d = cJSON_GetObjectItem(s, "deployments");
			nd = cJSON_GetArraySize(d);
			state = cJSON_GetStringValue(cJSON_GetObjectItem(
			    cJSON_GetArrayItem(d, 0), "rolloutState"));
			run = (int64_t)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(s, "runningCount"));
			want = (int64_t)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(s, "desiredCount"));
			if (nd == 1 && state != NULL &&
			    strcmp(state, "COMPLETED") == 0 && run == want)
				continue;
			x = xprintf("%s%s%s: %lld of %lld running, %d "
			    "deployment%s, the primary %s", out ? out : "",
			    out ? "; " : "", cJSON_GetStringValue(
			    cJSON_GetObjectItem(s, "serviceName")),
			    (long long)run, (long long)want, nd,
			    nd == 1 ? "" : "s", state ? state : "without a "
			    "rolloutState");
			free(out);
			out = x;
		}
		cJSON_Delete(reply);
	}
	return out;
}

static void
reach(struct sc_chaos *c, enum chaos_path p)
{
	if (c->st != NULL)
		c->st->reached[p]++;
	c->reached[p] = 1;
}

/* String member name of the event's packed detail, or "". */
static const char *
detail_string(const struct store_event *ev, const char *name)
{
	const char	*s = json_packed_string(ev->packed, ev->npacked, name);

	return s ? s : "";
}

/* The engine paths an event shows. */
void
sc_chaos_event(struct sc_chaos *c, const struct store_event *ev)
{
	const char	*name, *host;

	c->scanned++;
	if (strcmp(ev->detail_type,
	    "ECS Deployment State Change") == 0) {
		name = detail_string(ev, "eventName");
		if (strcmp(name, "SERVICE_DEPLOYMENT_FAILED") == 0)
			reach(c, CHAOS_BREAKER);
		else if (strstr(detail_string(ev, "reason"), "rolling back") !=
		    NULL)
			reach(c, CHAOS_ROLLBACK);
	} else if (strcmp(ev->detail_type, "ECS Service Action") == 0) {
		name = detail_string(ev, "eventName");
		if (strcmp(name, "SERVICE_TASK_START_IMPAIRED") == 0)
			reach(c, CHAOS_THROTTLE);
		else if (strcmp(name,
		    "SERVICE_TASK_PLACEMENT_FAILURE") == 0)
			reach(c, CHAOS_PLACEMENT);
	} else if (strcmp(ev->detail_type,
	    "ECS Container Instance State Change") == 0) {
		cJSON_DeleteItemFromObject(c->draining, ev->resource);
		if (strcmp(detail_string(ev, "status"), "DRAINING") == 0)
			cJSON_AddTrueToObject(c->draining,
			    ev->resource);
	} else if (strcmp(ev->detail_type, "ECS Task State Change") ==
	    0 && strcmp(detail_string(ev, "lastStatus"), "STOPPED") == 0 &&
	    strncmp(detail_string(ev, "group"), "service:", 8) == 0) {
		host = detail_string(ev, "containerInstanceArn");
		if (strcmp(detail_string(ev, "stoppedReason"),
		    "Task failed container health checks") == 0)
			reach(c, CHAOS_UNHEALTHY);
		else if (cJSON_GetObjectItem(c->draining, host) !=
		    NULL && strcmp(detail_string(ev, "stopCode"),
		    "ServiceSchedulerInitiated") == 0)
			reach(c, CHAOS_DRAINED);
	}
}

int
sc_chaos_tick(struct sc_chaos *c, struct sc_run *r, int64_t t,
    int timeline_done, char **fail)
{
	char	when[32], *seen;
	size_t	k;

	*fail = NULL;
	if (!timeline_done)
		return 1;
	if (!c->started)
		start(c, r, t);
	if (c->cfg->tamper != NULL)
		c->cfg->tamper(r->eng, t, c->cfg->tamper_arg);
	if (!c->stopped && t < c->stop) {
		heal_due(c, r, t, t);
		for (k = 0; k < CHAOS_NFAULTS; k++)
			while (c->next[k] >= 0 && c->next[k] <= t) {
				c->next[k] += gap(r, c->cfg->rates[k]);
				if (fire(c, r, t, (enum chaos_fault)k) == 0 &&
				    c->st != NULL)
					c->st->fired[k]++;
			}
		return 1;
	}
	if (!c->stopped) {
		stop(c, r, t);
		return 1;
	}
	if ((t - c->stop) % STEADY_EVERY != 0 &&
	    t < c->stop + c->cfg->settle)
		return 1;
	if ((seen = unsteady(c, r)) == NULL) {
		say(c, t, "every service is steady");
		return 0;
	}
	if (t < c->stop + c->cfg->settle) {
		free(seen);
		return 1;
	}
	sc_elapsed(c->cfg->settle, when);
	*fail = xprintf("%s after the faults stopped: %s", when, seen);
	free(seen);
	return 0;
}

int
chaos_run_seed(struct scenario *sc, const struct chaos_config *cfg,
    uint64_t seed, struct chaos_stats *st, struct err *e)
{
	struct scenario_options	 o;
	struct sc_chaos		 c;
	FILE			*devnull = NULL;
	char			*replay;
	size_t			 i;
	int			 ret;

	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.st = st;
	c.draining = cJSON_CreateObject();
	memset(&o, 0, sizeof o);
	o.seed = seed;
	o.events = cfg->events;
	o.trace = cfg->trace;
	o.chaos = &c;
	if ((o.out = cfg->out) == NULL &&
	    (o.out = devnull = fopen("/dev/null", "w")) == NULL) {
		cJSON_Delete(c.draining);
		return err_set(e, ERR_INTERNAL, "/dev/null: %s",
		    strerror(errno));
	}
	replay = xprintf("ecsim chaos %s --seeds %llu%s", sc->path,
	    (unsigned long long)seed, cfg->replay ? cfg->replay : "");
	o.replay = replay;
	ret = scenario_run(sc, &o, e);
	if (st != NULL && ret >= 0) {
		for (i = 0; i < CHAOS_NPATHS; i++)
			st->seeds_reaching[i] += c.reached[i];
		st->events += c.scanned;
	}
	free(replay);
	if (devnull != NULL)
		fclose(devnull);
	for (i = 0; i < c.nhosts; i++)
		free(c.hosts[i].name);
	free(c.hosts);
	for (i = 0; i < c.nsvcs; i++) {
		free(c.svcs[i].name);
		free(c.svcs[i].family);
	}
	free(c.svcs);
	for (i = 0; i < c.nimages; i++)
		free(c.images[i].name);
	free(c.images);
	free(c.endings);
	cJSON_Delete(c.draining);
	return ret;
}

static void
chaos_usage(FILE *f)
{
	size_t	k;

	fprintf(f,
"usage: ecsim chaos FILE.yaml [options]\n\n"
"Runs the scenario in FILE (docs/scenarios.md): its timeline first, then\n"
"random faults for --duration of virtual time, then no faults until every\n"
"service is steady (one COMPLETED deployment, runningCount == desiredCount),\n"
"which must happen within --settle. The engine's invariants are checked\n"
"after every second. The faults come from the seeded PRNG: a seed replays\n"
"exactly. See docs/chaos.md.\n"
"Exit status: 0 every seed passed, 1 one failed, 2 the file or the options\n"
"are wrong.\n\n"
"options:\n"
"  --seeds A-B|N     the seeds to run (default " DEFAULT_SEEDS ")\n"
"  --duration D      faults for D after the timeline (default 30m)\n"
"  --settle D        time to converge once faults stop (default 15m)\n"
"  --rate NAME=N     fault NAME N times an hour on average (0: never);\n"
"                    may be repeated. Names and defaults:\n");
	for (k = 0; k < CHAOS_NFAULTS; k++)
		fprintf(f, "%22s%-13s %g\n", "", chaos_fault_names[k],
		    default_rates[k]);
	fprintf(f,
"  --events FILE     write every event of every seed to FILE as JSON lines\n"
"                    ('-' for standard output)\n"
"  --trace           say on standard error what happens, faults included\n"
"  --quiet           no progress and no line per seed; failures and the\n"
"                    summary only\n"
"  -h, --help        show this help\n");
}

static int
parse_seeds(const char *s, uint64_t *a, uint64_t *b)
{
	char	*end;

	if (*s < '0' || *s > '9')
		return -1;
	*a = *b = strtoull(s, &end, 10);
	if (*end == '-') {
		s = end + 1;
		if (*s < '0' || *s > '9')
			return -1;
		*b = strtoull(s, &end, 10);
	}
	return *end == '\0' && *a <= *b ? 0 : -1;
}

static int
parse_rate(const char *s, struct chaos_config *cfg)
{
	const char	*eq = strchr(s, '=');
	char		*end;
	double		 v;
	size_t		 k;

	if (eq == NULL || eq[1] == '\0')
		return -1;
	v = strtod(eq + 1, &end);
	if (*end != '\0' || !(v >= 0 && v <= 100000))
		return -1;
	for (k = 0; k < CHAOS_NFAULTS; k++)
		if (strlen(chaos_fault_names[k]) == (size_t)(eq - s) &&
		    strncmp(s, chaos_fault_names[k], (size_t)(eq - s)) == 0) {
			cfg->rates[k] = v;
			return 0;
		}
	return -1;
}

/* The progress bar on a terminal; a line a seed otherwise. */
static void
report_seed(int tty, uint64_t seed, uint64_t done, uint64_t total,
    uint64_t failed, int ok)
{
	char	bar[31];
	size_t	n = (size_t)(done * 30 / total);

	if (!tty) {
		fprintf(stderr, "seed %llu: %s\n", (unsigned long long)seed,
		    ok ? "PASS" : "FAIL");
		return;
	}
	memset(bar, '#', n);
	memset(bar + n, '.', 30 - n);
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %llu/%llu seeds, %llu failed", bar,
	    (unsigned long long)done, (unsigned long long)total,
	    (unsigned long long)failed);
	if (done == total)
		fputc('\n', stderr);
}

static void
summary(FILE *f, const struct chaos_stats *st, uint64_t passed,
    uint64_t failed)
{
	size_t	k;

	fprintf(f, "%s: %llu seeds passed, %llu failed; %llu events\n",
	    failed ? "FAIL" : "PASS", (unsigned long long)passed,
	    (unsigned long long)failed, (unsigned long long)st->events);
	fprintf(f, "faults fired:\n");
	for (k = 0; k < CHAOS_NFAULTS; k++)
		fprintf(f, "  %-22s %llu\n", chaos_fault_names[k],
		    (unsigned long long)st->fired[k]);
	fprintf(f, "engine paths reached (times, seeds):\n");
	for (k = 0; k < CHAOS_NPATHS; k++)
		fprintf(f, "  %-22s %llu in %llu\n", chaos_path_names[k],
		    (unsigned long long)st->reached[k],
		    (unsigned long long)st->seeds_reaching[k]);
}

int
chaos_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seeds",	required_argument, NULL, 's' },
		{ "duration",	required_argument, NULL, 'd' },
		{ "settle",	required_argument, NULL, 'S' },
		{ "rate",	required_argument, NULL, 'r' },
		{ "events",	required_argument, NULL, 'e' },
		{ "trace",	no_argument,	   NULL, 't' },
		{ "quiet",	no_argument,	   NULL, 'q' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct chaos_config	 cfg;
	struct chaos_stats	 st;
	struct scenario		*sc = NULL;
	struct err		 e;
	const char		*seeds = DEFAULT_SEEDS, *events = NULL;
	char			*opts = xstrdup(""), *x, *out = NULL;
	size_t			 outlen;
	uint64_t		 first, last, seed, passed = 0, failed = 0;
	int64_t			*which;
	int			 c, quiet = 0, tty, ret = 2;

	chaos_config_defaults(&cfg);
	memset(&st, 0, sizeof st);
	err_clear(&e);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			seeds = optarg;
			continue;
		case 'd':
		case 'S':
			which = c == 'd' ? &cfg.duration : &cfg.settle;
			if (time_parse_duration(optarg, which, &e) != 0 ||
			    *which <= 0) {
				fprintf(stderr, "ecsim chaos: --%s wants a "
				    "duration above 0 such as 10m, got '%s'\n",
				    c == 'd' ? "duration" : "settle", optarg);
				goto out;
			}
			break;
		case 'r':
			if (parse_rate(optarg, &cfg) != 0) {
				x = str_join(chaos_fault_names, CHAOS_NFAULTS,
				    ", ");
				fprintf(stderr, "ecsim chaos: --rate wants "
				    "NAME=PER_HOUR with NAME one of %s, got "
				    "'%s'\n", x, optarg);
				free(x);
				goto out;
			}
			break;
		case 'e':
			events = optarg;
			continue;
		case 't':
			cfg.trace = stderr;
			break;
		case 'q':
			quiet = 1;
			continue;
		case 'h':
			chaos_usage(stdout);
			ret = 0;
			goto out;
		default:
			chaos_usage(stderr);
			goto out;
		}
		/* What changes a run is repeated in its replay command. */
		x = xprintf("%s --%s%s%s", opts, c == 'd' ? "duration" :
		    c == 'S' ? "settle" : c == 'r' ? "rate" : "trace",
		    c == 't' ? "" : " ", c == 't' ? "" : optarg);
		free(opts);
		opts = x;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "ecsim chaos: expected one scenario file\n");
		chaos_usage(stderr);
		goto out;
	}
	if (parse_seeds(seeds, &first, &last) != 0) {
		fprintf(stderr, "ecsim chaos: --seeds wants N or A-B with "
		    "A <= B, got '%s'\n", seeds);
		goto out;
	}
	if ((sc = scenario_load(argv[optind], &e)) == NULL) {
		fprintf(stderr, "ecsim chaos: %s\n", e.msg);
		goto out;
	}
	if (events != NULL && strcmp(events, "-") == 0)
		cfg.events = stdout;
	else if (events != NULL && (cfg.events = fopen(events, "w")) ==
	    NULL) {
		fprintf(stderr, "ecsim chaos: cannot write %s: %s\n", events,
		    strerror(errno));
		goto out;
	}
	cfg.replay = opts;
	tty = isatty(STDERR_FILENO) && cfg.trace == NULL;
	for (seed = first;; seed++) {
		/* A failing seed's summary is printed, a passing one's not. */
		if ((cfg.out = open_memstream(&out, &outlen)) == NULL) {
			fprintf(stderr, "ecsim chaos: %s\n", strerror(errno));
			ret = 1;
			goto out;
		}
		c = chaos_run_seed(sc, &cfg, seed, &st, &e);
		fclose(cfg.out);
		if (c < 0) {
			if (tty && !quiet)
				fputc('\n', stderr);
			fprintf(stderr, "ecsim chaos: seed %llu: %s\n",
			    (unsigned long long)seed, e.msg);
			ret = e.code == ERR_INVALID ? 2 : 1;
			goto out;
		}
		if (c == 0)
			passed++;
		else {
			failed++;
			if (tty && !quiet)
				fputc('\n', stderr);
			fputs(out, stdout);
			fflush(stdout);
		}
		free(out);
		out = NULL;
		if (!quiet)
			report_seed(tty, seed, seed - first + 1,
			    last - first + 1, failed, c == 0);
		if (seed == last)
			break;
	}
	summary(stdout, &st, passed, failed);
	ret = failed ? 1 : 0;
out:
	if (cfg.events != NULL && cfg.events != stdout &&
	    fclose(cfg.events) != 0) {
		fprintf(stderr, "ecsim chaos: writing %s: %s\n", events,
		    strerror(errno));
		ret = ret ? ret : 1;
	}
	free(out);
	free(opts);
	scenario_free(sc);
	return ret;
}
