/*
 * Loading a scenario: libyaml builds the document, then each part is read
 * into struct scenario with every key checked against the ones that part
 * takes, so a misspelt key is an error at its line and column rather than
 * something silently ignored.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "scenario/internal.h"

const char *const sc_invariant_names[INV_COUNT] = {
	"one-instance", "resources", "ports", "status-forward",
	"desired-status", "deployment-bounds", "deployment-floor", "versions",
	"outbox",
};

struct ld {
	const char	*path;
	yaml_document_t	*doc;
	struct err	*e;
};

static int	fail(struct ld *, const yaml_node_t *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
fail(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvprintf(fmt, ap);
	va_end(ap);
	err_set(l->e, ERR_INVALID, "%s:%zu:%zu: %s", l->path,
	    n->start_mark.line + 1, n->start_mark.column + 1, msg);
	free(msg);
	return -1;
}

static yaml_node_t *
node(struct ld *l, int i)
{
	return yaml_document_get_node(l->doc, i);
}

static const char *
kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_NO_NODE:
		break;
	}
	return "nothing";
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int
want_map(struct ld *l, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail(l, n, "expected %s (a mapping), found %s", what,
		    kind_name(n));
	return 0;
}

static int
want_seq(struct ld *l, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(l, n, "expected %s (a list), found %s", what,
		    kind_name(n));
	return 0;
}

static yaml_node_t *
get(struct ld *l, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	    p++) {
		k = node(l, p->key);
		if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
			return node(l, p->value);
	}
	return NULL;
}

/* Every key of map n must be one of keys (NULL-terminated), once. */
static int
check_keys(struct ld *l, yaml_node_t *n, const char *what,
    const char *const *keys)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;
	char			*list;
	size_t			 i;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = node(l, p->key);
		if (k->type != YAML_SCALAR_NODE)
			return fail(l, k, "expected a key of %s, found %s",
			    what, kind_name(k));
		if (get(l, n, scalar(k)) != node(l, p->value))
			return fail(l, k, "'%s' is given twice in %s",
			    scalar(k), what);
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(keys[i], scalar(k)) == 0)
				break;
		if (keys[i] != NULL)
			continue;
		list = str_join(keys, -1, ", ");
		fail(l, k, "unknown key '%s' in %s; expected one of: %s",
		    scalar(k), what, list);
		free(list);
		return -1;
	}
	return 0;
}

static int
read_str(struct ld *l, yaml_node_t *n, const char *what, char **out)
{
	if (n->type != YAML_SCALAR_NODE || *scalar(n) == '\0')
		return fail(l, n, "expected %s (a non-empty string), found %s",
		    what, n->type == YAML_SCALAR_NODE ? "an empty value" :
		    kind_name(n));
	free(*out);
	*out = xstrdup(scalar(n));
	return 0;
}

static int
read_int(struct ld *l, yaml_node_t *n, const char *what, int64_t min,
    int64_t max, int64_t *out)
{
	char		*end;
	long long	 v;

	if (n->type == YAML_SCALAR_NODE) {
		v = strtoll(scalar(n), &end, 10);
		if (*scalar(n) != '\0' && *end == '\0' && v >= min && v <= max) {
			*out = v;
			return 0;
		}
	}
	return fail(l, n, "expected %s (a whole number from %lld to %lld)",
	    what, (long long)min, (long long)max);
}

static int
read_duration(struct ld *l, yaml_node_t *n, const char *what, int64_t *out)
{
	struct err	e;

	if (n->type != YAML_SCALAR_NODE ||
	    time_parse_duration(scalar(n), out, &e) != 0 || *out < 0)
		return fail(l, n, "expected %s (a duration such as 30s, 5m, "
		    "1h or 250ms)", what);
	return 0;
}

/*
 * YAML to JSON in the API's shape: quoting decides a scalar's type, so
 * `desiredCount: 2` is a number and `cpu: "256"` a string, as ECS wants.
 */
static cJSON *
to_json(struct ld *l, yaml_node_t *n)
{
	yaml_node_item_t	*it;
	yaml_node_pair_t	*p;
	const char		*s;
	char			*end;
	double			 d;
	cJSON			*j;

	switch (n->type) {
	case YAML_MAPPING_NODE:
		j = cJSON_CreateObject();
		for (p = n->data.mapping.pairs.start;
		    p < n->data.mapping.pairs.top; p++)
			cJSON_AddItemToObject(j, scalar(node(l, p->key)),
			    to_json(l, node(l, p->value)));
		return j;
	case YAML_SEQUENCE_NODE:
		j = cJSON_CreateArray();
		for (it = n->data.sequence.items.start;
		    it < n->data.sequence.items.top; it++)
			cJSON_AddItemToArray(j, to_json(l, node(l, *it)));
		return j;
	case YAML_SCALAR_NODE:
	case YAML_NO_NODE:
		break;
	}
	s = n->type == YAML_SCALAR_NODE ? scalar(n) : "";
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return cJSON_CreateString(s);
	if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0)
		return cJSON_CreateNull();
	if (strcmp(s, "true") == 0)
		return cJSON_CreateTrue();
	if (strcmp(s, "false") == 0)
		return cJSON_CreateFalse();
	d = strtod(s, &end);
	if (*end == '\0' && strspn(s, "+-0123456789.eE") == strlen(s))
		return cJSON_CreateNumber(d);
	return cJSON_CreateString(s);
}

/* Keys with non-object keys would lose them in JSON: refuse them. */
static int
json_keys_ok(struct ld *l, yaml_node_t *n)
{
	yaml_node_item_t	*it;
	yaml_node_pair_t	*p;

	if (n->type == YAML_MAPPING_NODE) {
		for (p = n->data.mapping.pairs.start;
		    p < n->data.mapping.pairs.top; p++) {
			if (node(l, p->key)->type != YAML_SCALAR_NODE)
				return fail(l, node(l, p->key), "expected a "
				    "key (a string), found %s",
				    kind_name(node(l, p->key)));
			if (json_keys_ok(l, node(l, p->value)) != 0)
				return -1;
		}
	} else if (n->type == YAML_SEQUENCE_NODE) {
		for (it = n->data.sequence.items.start;
		    it < n->data.sequence.items.top; it++)
			if (json_keys_ok(l, node(l, *it)) != 0)
				return -1;
	}
	return 0;
}

static int
read_json(struct ld *l, yaml_node_t *n, const char *what, int map,
    cJSON **out)
{
	if (map && want_map(l, n, what) != 0)
		return -1;
	if (json_keys_ok(l, n) != 0)
		return -1;
	cJSON_Delete(*out);
	*out = to_json(l, n);
	return 0;
}

static const char *const instance_keys[] = { "name", "count", "type",
    "cpu", "memory", "zone", "zones", "attributes", NULL };

static int
read_zone(struct ld *l, struct scenario *sc, yaml_node_t *n, char **out)
{
	if (read_str(l, n, "an availability zone", out) != 0)
		return -1;
	/* "a" is short for the region's zone a. */
	if (strlen(*out) == 1 && (**out >= 'a' && **out <= 'z')) {
		char *full = xprintf("%s%s", sc->region, *out);
		free(*out);
		*out = full;
	}
	return 0;
}

static int
read_instances(struct ld *l, struct scenario *sc, yaml_node_t *n,
    struct sc_instances **list, size_t *nlist)
{
	yaml_node_item_t	*it, *z;
	yaml_node_pair_t	*p;
	yaml_node_t		*m, *v;
	struct sc_instances	*g;
	cJSON			*a;
	char			*names;

	if (want_seq(l, n, "instances") != 0)
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	    it++) {
		m = node(l, *it);
		if (want_map(l, m, "an instance or group of instances") != 0 ||
		    check_keys(l, m, "an instance", instance_keys) != 0)
			return -1;
		*list = xrealloc(*list, (*nlist + 1) * sizeof **list);
		g = &(*list)[(*nlist)++];
		memset(g, 0, sizeof *g);
		if ((v = get(l, m, "name")) == NULL)
			return fail(l, m, "expected a name for the instance "
			    "(with count: the prefix of name-1, name-2, ...)");
		if (read_str(l, v, "the instance's name", &g->name) != 0)
			return -1;
		if (!str_is_ecs_name(g->name, 200))
			return fail(l, v, "expected a name of letters, digits, "
			    "- and _");
		if ((v = get(l, m, "count")) != NULL &&
		    read_int(l, v, "count", 1, 5000, &g->count) != 0)
			return -1;
		g->type = xstrdup("t3.medium");
		if ((v = get(l, m, "type")) != NULL) {
			if (read_str(l, v, "an instance type", &g->type) != 0)
				return -1;
			if (instance_type_find(g->type) == NULL) {
				names = instance_type_names();
				fail(l, v, "expected an instance type ecsim "
				    "knows (%s), or cpu and memory", names);
				free(names);
				return -1;
			}
		}
		if ((v = get(l, m, "cpu")) != NULL &&
		    read_int(l, v, "cpu units", 1, 1 << 20, &g->cpu) != 0)
			return -1;
		if ((v = get(l, m, "memory")) != NULL &&
		    read_int(l, v, "memory in MiB", 1, 1 << 24, &g->memory) != 0)
			return -1;
		if ((v = get(l, m, "zone")) != NULL) {
			g->zones = xcalloc(1, sizeof *g->zones);
			g->nzones = 1;
			if (read_zone(l, sc, v, &g->zones[0]) != 0)
				return -1;
		}
		if ((v = get(l, m, "zones")) != NULL) {
			if (g->zones != NULL)
				return fail(l, v, "expected zone or zones, "
				    "not both");
			if (want_seq(l, v, "zones") != 0)
				return -1;
			for (z = v->data.sequence.items.start;
			    z < v->data.sequence.items.top; z++) {
				g->zones = xrealloc(g->zones, (g->nzones + 1) *
				    sizeof *g->zones);
				g->zones[g->nzones] = NULL;
				if (read_zone(l, sc, node(l, *z),
				    &g->zones[g->nzones++]) != 0)
					return -1;
			}
			if (g->nzones == 0)
				return fail(l, v, "expected at least one zone");
		}
		if ((v = get(l, m, "attributes")) != NULL) {
			if (want_map(l, v, "attributes (name: value)") != 0)
				return -1;
			g->attributes = cJSON_CreateArray();
			for (p = v->data.mapping.pairs.start;
			    p < v->data.mapping.pairs.top; p++) {
				if (node(l, p->value)->type != YAML_SCALAR_NODE)
					return fail(l, node(l, p->value),
					    "expected an attribute value (a "
					    "string)");
				a = cJSON_CreateObject();
				cJSON_AddStringToObject(a, "name",
				    scalar(node(l, p->key)));
				if (*scalar(node(l, p->value)) != '\0')
					cJSON_AddStringToObject(a, "value",
					    scalar(node(l, p->value)));
				cJSON_AddItemToArray(g->attributes, a);
			}
		}
	}
	return 0;
}

static const char *const cluster_keys[] = { "name", "instances",
    "capacity_providers", NULL };

static int
read_cluster(struct ld *l, struct scenario *sc, yaml_node_t *n)
{
	yaml_node_t	*v;

	if (want_map(l, n, "the cluster") != 0 ||
	    check_keys(l, n, "cluster", cluster_keys) != 0)
		return -1;
	if ((v = get(l, n, "name")) != NULL &&
	    read_str(l, v, "the cluster's name", &sc->cluster) != 0)
		return -1;
	if ((v = get(l, n, "instances")) != NULL &&
	    read_instances(l, sc, v, &sc->instances, &sc->ninstances) != 0)
		return -1;
	if ((v = get(l, n, "capacity_providers")) != NULL) {
		if (want_seq(l, v, "capacity provider names") != 0 ||
		    read_json(l, v, "capacity providers", 0,
		    &sc->capacity_providers) != 0)
			return -1;
	}
	return 0;
}

/* What a service_events: check may say. */
static const char *const service_event_keys[] = { "service", "message",
    NULL };

/* The members a check reads besides what it compares. */
static const char *const check_meta[] = { "service", "tasks", "instance",
    "events", "events_in_order", "deployment", "service_events", "within",
    "cluster", NULL };

/*
 * A check is a mapping with one of service:, tasks:, instance:, events:,
 * events_in_order: or service_events:, and what must be true: the other
 * members.
 */
static int
read_check(struct ld *l, yaml_node_t *n, int timed, struct sc_check *c)
{
	static const struct {
		const char		*key;
		enum sc_check_kind	 kind;
	} kinds[] = {
		{ "service", CHECK_SERVICE }, { "tasks", CHECK_TASKS },
		{ "instance", CHECK_INSTANCE }, { "events", CHECK_EVENTS },
		{ "deployment", CHECK_DEPLOYMENTS },
		{ "events_in_order", CHECK_EVENT_ORDER },
		{ "service_events", CHECK_SERVICE_EVENTS },
	};
	yaml_node_pair_t	*p;
	yaml_node_t		*v, *k, *found = NULL;
	cJSON			*msg;
	size_t			 i, j, nfound = 0;
	int			 text;

	memset(c, 0, sizeof *c);
	c->line = (int)n->start_mark.line + 1;
	c->within = -1;
	if (want_map(l, n, "a check (service:, tasks:, instance:, "
	    "deployment:, events:, events_in_order: or service_events:)") != 0)
		return -1;
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if ((v = get(l, n, kinds[i].key)) != NULL) {
			c->kind = kinds[i].kind;
			found = v;
			nfound++;
		}
	if (nfound != 1)
		return fail(l, n, "expected exactly one of service:, tasks:, "
		    "instance:, deployment:, events:, events_in_order: or "
		    "service_events: in a check");
	c->want = cJSON_CreateObject();
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = node(l, p->key);
		v = node(l, p->value);
		if (k->type != YAML_SCALAR_NODE)
			return fail(l, k, "expected a key, found %s",
			    kind_name(k));
		for (j = 0; check_meta[j] != NULL; j++)
			if (strcmp(check_meta[j], scalar(k)) == 0)
				break;
		if (check_meta[j] != NULL)
			continue;
		if (v->type != YAML_SCALAR_NODE)
			return fail(l, v, "expected the value %s must have "
			    "(a number, string or true/false, or a comparison "
			    "such as \">= 2\")", scalar(k));
		if (c->kind == CHECK_EVENT_ORDER)
			return fail(l, k, "unknown key '%s' in "
			    "events_in_order; it takes a list of events and "
			    "within", scalar(k));
		cJSON_AddItemToObject(c->want, scalar(k), to_json(l, v));
	}
	if ((v = get(l, n, "within")) != NULL) {
		if (!timed)
			return fail(l, v, "unknown key 'within' here: a "
			    "final expectation is checked when the run ends");
		if (read_duration(l, v, "within", &c->within) != 0)
			return -1;
	}
	if ((v = get(l, n, "cluster")) != NULL)
		return fail(l, v, "unknown key 'cluster' in a check: checks "
		    "look at the scenario's cluster");
	switch (c->kind) {
	case CHECK_SERVICE:
	case CHECK_INSTANCE:
		if (read_str(l, found, c->kind == CHECK_SERVICE ?
		    "a service name" : "an instance name", &c->target) != 0)
			return -1;
		if (cJSON_GetArraySize(c->want) == 0)
			return fail(l, n, "expected at least one member to "
			    "check, such as runningCount: 2");
		break;
	case CHECK_SERVICE_EVENTS:
		/*
		 * Messages carry task and deployment ids the run makes up, so
		 * a message matches by the text it contains.
		 */
		if (want_map(l, found, "the service events to count (service: "
		    "and message:)") != 0 ||
		    check_keys(l, found, "service_events",
		    service_event_keys) != 0)
			return -1;
		if (get(l, found, "service") == NULL)
			return fail(l, found, "expected service: (whose events "
			    "to count)");
		v = get(l, found, "message");
		msg = v != NULL && v->type == YAML_SCALAR_NODE ?
		    to_json(l, v) : NULL;
		text = cJSON_IsString(msg) && *msg->valuestring != '\0';
		cJSON_Delete(msg);
		if (!text)
			return fail(l, v != NULL ? v : found, "expected "
			    "message: (text the service event's message "
			    "contains; quote text that looks like a number)");
		/* FALLTHROUGH */
	case CHECK_DEPLOYMENTS:
		if (want_map(l, found, "the deployments to count (service: "
		    "and members to match)") != 0)
			return -1;
		if (get(l, found, "service") == NULL)
			return fail(l, found, "expected service: (whose "
			    "deployments to count)");
		/* FALLTHROUGH */
	case CHECK_TASKS:
	case CHECK_EVENTS:
		if (read_json(l, found, "what to match (member: value)", 1,
		    &c->order) != 0)
			return -1;
		if (cJSON_GetObjectItem(c->want, "count") == NULL)
			return fail(l, n, "expected count: (how many must "
			    "match, or a comparison such as \">= 1\")");
		break;
	case CHECK_EVENT_ORDER:
		if (want_seq(l, found, "the events, in order") != 0 ||
		    read_json(l, found, "the events", 0, &c->order) != 0)
			return -1;
		if (cJSON_GetArraySize(c->order) < 2)
			return fail(l, found, "expected at least two events");
		for (j = 0; j < (size_t)cJSON_GetArraySize(c->order); j++)
			if (!cJSON_IsObject(cJSON_GetArrayItem(c->order,
			    (int)j)))
				return fail(l, found, "expected each event as "
				    "a mapping (detail-type:, eventName:, ...)");
		break;
	}
	return 0;
}

static int
read_checks(struct ld *l, yaml_node_t *n, int timed, struct sc_check **out,
    size_t *nout)
{
	yaml_node_item_t	*it;

	if (n->type == YAML_MAPPING_NODE) {
		*out = xcalloc(1, sizeof **out);
		*nout = 1;
		return read_check(l, n, timed, *out);
	}
	if (want_seq(l, n, "expectations") != 0)
		return -1;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	    it++) {
		*out = xrealloc(*out, (*nout + 1) * sizeof **out);
		memset(&(*out)[*nout], 0, sizeof **out);
		if (read_check(l, node(l, *it), timed, &(*out)[(*nout)++]) != 0)
			return -1;
	}
	return 0;
}

static const char *const fault_keys[] = { "disconnect", "reconnect",
    "terminate", "drain", "pull_fails", "crash", "zone_down", "zone_up",
    "for", "exit_code", NULL };

static int
read_fault(struct ld *l, struct scenario *sc, yaml_node_t *n,
    struct sc_fault *f)
{
	size_t		 i, nfound = 0;
	yaml_node_t	*v, *found = NULL;
	int64_t		 code = 0;

	if (want_map(l, n, "a fault (disconnect:, reconnect:, terminate:, "
	    "drain:, pull_fails:, crash:, zone_down: or zone_up:)") != 0 ||
	    check_keys(l, n, "a fault", fault_keys) != 0)
		return -1;
	for (i = 0; i <= FAULT_ZONE_UP; i++)
		if ((v = get(l, n, fault_keys[i])) != NULL) {
			f->kind = (enum sc_fault_kind)i;
			found = v;
			nfound++;
		}
	if (nfound != 1)
		return fail(l, n, "expected exactly one of disconnect:, "
		    "reconnect:, terminate:, drain:, pull_fails:, crash:, "
		    "zone_down: or zone_up: in a fault");
	if (read_str(l, found, "what the fault hits (an instance name, "
	    "image, service or zone)", &f->target) != 0)
		return -1;
	if (f->kind == FAULT_ZONE_DOWN || f->kind == FAULT_ZONE_UP)
		if (read_zone(l, sc, found, &f->target) != 0)
			return -1;
	if ((v = get(l, n, "for")) != NULL) {
		if (f->kind != FAULT_DISCONNECT && f->kind != FAULT_ZONE_DOWN &&
		    f->kind != FAULT_PULL_FAILS)
			return fail(l, v, "unknown key 'for' here: only "
			    "disconnect, pull_fails and zone_down last for a "
			    "while");
		if (read_duration(l, v, "how long the fault lasts",
		    &f->duration) != 0)
			return -1;
	}
	f->exit_code = 1;
	if ((v = get(l, n, "exit_code")) != NULL) {
		if (f->kind != FAULT_CRASH)
			return fail(l, v, "unknown key 'exit_code' here: only "
			    "crash takes one");
		if (read_int(l, v, "an exit code", 0, 255, &code) != 0)
			return -1;
		f->exit_code = (int)code;
	}
	return 0;
}

static const char *const step_keys[] = { "at", "after", "when", "within",
    "call", "with", "expect_error", "fault", "expect", "add_instances",
    NULL };

static int
read_step(struct ld *l, struct scenario *sc, yaml_node_t *n,
    struct sc_step *s)
{
	yaml_node_t	*v, *t = NULL;
	int		 ntime = 0, nact = 0;

	s->line = (int)n->start_mark.line + 1;
	if (want_map(l, n, "a timeline step") != 0 ||
	    check_keys(l, n, "a timeline step", step_keys) != 0)
		return -1;
	if ((v = get(l, n, "at")) != NULL) {
		s->timing = AT_TIME;
		ntime++;
		if (read_duration(l, v, "at (time from the start)",
		    &s->time) != 0)
			return -1;
	}
	if ((v = get(l, n, "after")) != NULL) {
		s->timing = AT_AFTER;
		ntime++;
		if (read_duration(l, v, "after (time after the previous "
		    "step)", &s->time) != 0)
			return -1;
	}
	if ((v = get(l, n, "when")) != NULL) {
		s->timing = AT_WHEN;
		ntime++;
		s->when = xcalloc(1, sizeof *s->when);
		if (read_check(l, v, 0, s->when) != 0)
			return -1;
		if ((t = get(l, n, "within")) != NULL &&
		    read_duration(l, t, "within", &s->when->within) != 0)
			return -1;
	}
	if (ntime != 1)
		return fail(l, n, "expected exactly one of at:, after: or "
		    "when: in a timeline step");
	if (get(l, n, "within") != NULL && s->timing != AT_WHEN &&
	    get(l, n, "expect") == NULL)
		return fail(l, get(l, n, "within"), "unknown key 'within' "
		    "here: it goes with when: or inside an expectation");
	if ((v = get(l, n, "call")) != NULL) {
		s->action = ACT_CALL;
		nact++;
		if (read_str(l, v, "an ECS operation name", &s->op) != 0)
			return -1;
		if ((v = get(l, n, "with")) != NULL) {
			if (read_json(l, v, "the request body", 1,
			    &s->body) != 0)
				return -1;
		} else
			s->body = cJSON_CreateObject();
		if ((v = get(l, n, "expect_error")) != NULL &&
		    read_str(l, v, "an error type such as "
		    "InvalidParameterException", &s->expect_error) != 0)
			return -1;
	} else {
		if ((v = get(l, n, "with")) != NULL)
			return fail(l, v, "unknown key 'with' here: it is the "
			    "body of a call:");
		if ((v = get(l, n, "expect_error")) != NULL)
			return fail(l, v, "unknown key 'expect_error' here: "
			    "it goes with call:");
	}
	if ((v = get(l, n, "fault")) != NULL) {
		s->action = ACT_FAULT;
		nact++;
		if (read_fault(l, sc, v, &s->fault) != 0)
			return -1;
	}
	if ((v = get(l, n, "expect")) != NULL) {
		s->action = ACT_EXPECT;
		nact++;
		if (read_checks(l, v, 1, &s->checks, &s->nchecks) != 0)
			return -1;
		if (s->timing == AT_WHEN)
			return fail(l, v, "expected call: or fault: after "
			    "when: (a when: is itself a check)");
	}
	if ((v = get(l, n, "add_instances")) != NULL) {
		s->action = ACT_ADD_INSTANCES;
		nact++;
		if (read_instances(l, sc, v, &s->add, &s->nadd) != 0)
			return -1;
	}
	if (nact != 1 && !(nact == 0 && s->timing == AT_WHEN))
		return fail(l, n, "expected exactly one of call:, fault:, "
		    "expect: or add_instances: in a timeline step");
	if (nact == 0)
		s->action = ACT_EXPECT;		/* a bare when: waits */
	return 0;
}

static int
read_invariants(struct ld *l, struct scenario *sc, yaml_node_t *n)
{
	static const char *const keys[] = { "off", NULL };
	yaml_node_pair_t	*p;
	yaml_node_t		*off, *k, *v;
	char			*names;
	size_t			 i;

	if (want_map(l, n, "invariants") != 0 ||
	    check_keys(l, n, "invariants", keys) != 0)
		return -1;
	if ((off = get(l, n, "off")) == NULL)
		return 0;
	if (want_map(l, off, "the invariants to turn off (name: reason)") != 0)
		return -1;
	for (p = off->data.mapping.pairs.start; p < off->data.mapping.pairs.top;
	    p++) {
		k = node(l, p->key);
		v = node(l, p->value);
		for (i = 0; i < INV_COUNT; i++)
			if (k->type == YAML_SCALAR_NODE &&
			    strcmp(scalar(k), sc_invariant_names[i]) == 0)
				break;
		if (i == INV_COUNT) {
			names = str_join(sc_invariant_names, INV_COUNT, ", ");
			fail(l, k, "expected an invariant name, one of: %s",
			    names);
			free(names);
			return -1;
		}
		if (v->type != YAML_SCALAR_NODE || *scalar(v) == '\0')
			return fail(l, v, "expected the reason %s is off (a "
			    "sentence)", sc_invariant_names[i]);
		sc->invariants_off |= 1u << i;
	}
	return 0;
}

static const char *const top_keys[] = { "name", "description", "seed",
    "step", "settle", "agent_flaps", "region", "cluster", "task_definitions",
    "behaviours", "timeline", "expect", "invariants", NULL };

static int
read_scenario(struct ld *l, struct scenario *sc, yaml_node_t *root)
{
	yaml_node_item_t	*it;
	yaml_node_pair_t	*p;
	yaml_node_t		*v;
	cJSON			*td;
	int64_t			 seed = 0;

	if (want_map(l, root, "a scenario") != 0 ||
	    check_keys(l, root, "the scenario", top_keys) != 0)
		return -1;
	if ((v = get(l, root, "name")) == NULL)
		return fail(l, root, "expected name: (what the scenario is "
		    "called)");
	if (read_str(l, v, "the scenario's name", &sc->name) != 0)
		return -1;
	if ((v = get(l, root, "description")) != NULL &&
	    read_str(l, v, "a description", &sc->description) != 0)
		return -1;
	if ((v = get(l, root, "seed")) != NULL) {
		if (read_int(l, v, "a seed", 0, INT64_MAX, &seed) != 0)
			return -1;
		sc->seed = (uint64_t)seed;
	}
	if ((v = get(l, root, "step")) != NULL &&
	    (read_duration(l, v, "the lifecycle step", &sc->step) != 0))
		return -1;
	if ((v = get(l, root, "settle")) != NULL &&
	    read_duration(l, v, "the settle time", &sc->settle) != 0)
		return -1;
	if ((v = get(l, root, "agent_flaps")) != NULL &&
	    read_int(l, v, "agent flaps an hour", 0, 3600,
	    &sc->agent_flaps) != 0)
		return -1;
	if ((v = get(l, root, "region")) != NULL &&
	    read_str(l, v, "a region", &sc->region) != 0)
		return -1;
	if ((v = get(l, root, "cluster")) != NULL &&
	    read_cluster(l, sc, v) != 0)
		return -1;
	if ((v = get(l, root, "task_definitions")) != NULL) {
		if (want_seq(l, v, "task definitions") != 0)
			return -1;
		for (it = v->data.sequence.items.start;
		    it < v->data.sequence.items.top; it++) {
			td = NULL;
			if (read_json(l, node(l, *it), "a task definition "
			    "(the RegisterTaskDefinition body)", 1, &td) != 0)
				return -1;
			cJSON_AddItemToArray(sc->taskdefs, td);
			sc->taskdef_lines = xrealloc(sc->taskdef_lines,
			    (size_t)cJSON_GetArraySize(sc->taskdefs) *
			    sizeof *sc->taskdef_lines);
			sc->taskdef_lines[cJSON_GetArraySize(sc->taskdefs) - 1] =
			    (int)node(l, *it)->start_mark.line + 1;
		}
	}
	if ((v = get(l, root, "behaviours")) != NULL) {
		if (want_map(l, v, "behaviours (image: {label: value})") != 0)
			return -1;
		for (p = v->data.mapping.pairs.start;
		    p < v->data.mapping.pairs.top; p++)
			if (want_map(l, node(l, p->value), "the image's "
			    "ecsim.* labels") != 0)
				return -1;
		if (read_json(l, v, "behaviours", 1, &sc->behaviours) != 0)
			return -1;
	}
	if ((v = get(l, root, "timeline")) != NULL) {
		if (want_seq(l, v, "the timeline") != 0)
			return -1;
		for (it = v->data.sequence.items.start;
		    it < v->data.sequence.items.top; it++) {
			sc->steps = xrealloc(sc->steps,
			    (sc->nsteps + 1) * sizeof *sc->steps);
			memset(&sc->steps[sc->nsteps], 0, sizeof *sc->steps);
			if (read_step(l, sc, node(l, *it),
			    &sc->steps[sc->nsteps++]) != 0)
				return -1;
		}
	}
	if ((v = get(l, root, "expect")) != NULL &&
	    read_checks(l, v, 0, &sc->expects, &sc->nexpects) != 0)
		return -1;
	if ((v = get(l, root, "invariants")) != NULL &&
	    read_invariants(l, sc, v) != 0)
		return -1;
	return 0;
}

struct scenario *
scenario_load(const char *path, struct err *e)
{
	struct scenario	*sc;
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	yaml_node_t	*root;
	struct ld	 l = { path, &doc, e };
	FILE		*f;
	int		 ok = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		err_set(e, ERR_INVALID, "%s: cannot open: %s", path,
		    strerror(errno));
		return NULL;
	}
	sc = xcalloc(1, sizeof *sc);
	sc->path = xstrdup(path);
	sc->seed = 1;
	sc->step = 1000;
	sc->settle = 5 * 60 * 1000;
	sc->region = xstrdup("us-east-1");
	sc->cluster = xstrdup("default");
	sc->taskdefs = cJSON_CreateArray();
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		err_set(e, ERR_INVALID, "%s:%zu:%zu: %s%s%s", path,
		    parser.problem_mark.line + 1,
		    parser.problem_mark.column + 1,
		    parser.problem ? parser.problem : "not YAML",
		    parser.context ? " " : "",
		    parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(f);
		scenario_free(sc);
		return NULL;
	}
	if ((root = yaml_document_get_root_node(&doc)) == NULL)
		err_set(e, ERR_INVALID, "%s:1:1: expected a scenario (a "
		    "mapping with name:, cluster:, timeline:, ...), found an "
		    "empty file", path);
	else
		ok = read_scenario(&l, sc, root);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (ok != 0) {
		scenario_free(sc);
		return NULL;
	}
	return sc;
}

static void
instances_free(struct sc_instances *g, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		free(g[i].name);
		free(g[i].type);
		for (j = 0; j < g[i].nzones; j++)
			free(g[i].zones[j]);
		free(g[i].zones);
		cJSON_Delete(g[i].attributes);
	}
	free(g);
}

static void
check_clear(struct sc_check *c)
{
	free(c->text);
	free(c->target);
	cJSON_Delete(c->want);
	cJSON_Delete(c->order);
}

void
scenario_free(struct scenario *sc)
{
	size_t	i, j;

	if (sc == NULL)
		return;
	instances_free(sc->instances, sc->ninstances);
	for (i = 0; i < sc->nsteps; i++) {
		if (sc->steps[i].when != NULL)
			check_clear(sc->steps[i].when);
		free(sc->steps[i].when);
		free(sc->steps[i].op);
		cJSON_Delete(sc->steps[i].body);
		free(sc->steps[i].expect_error);
		free(sc->steps[i].fault.target);
		for (j = 0; j < sc->steps[i].nchecks; j++)
			check_clear(&sc->steps[i].checks[j]);
		free(sc->steps[i].checks);
		instances_free(sc->steps[i].add, sc->steps[i].nadd);
	}
	free(sc->steps);
	for (i = 0; i < sc->nexpects; i++)
		check_clear(&sc->expects[i]);
	free(sc->expects);
	cJSON_Delete(sc->capacity_providers);
	cJSON_Delete(sc->taskdefs);
	free(sc->taskdef_lines);
	cJSON_Delete(sc->behaviours);
	free(sc->path);
	free(sc->name);
	free(sc->description);
	free(sc->region);
	free(sc->cluster);
	free(sc);
}

uint64_t
scenario_seed(const struct scenario *sc)
{
	return sc->seed;
}

void
sc_apply_behaviours(const struct scenario *sc, cJSON *td)
{
	cJSON		*c, *labels, *l;
	const cJSON	*b;
	const char	*image;
	char		*text;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(td, "containerDefinitions")) {
		image = cJSON_GetStringValue(cJSON_GetObjectItem(c, "image"));
		if (image == NULL ||
		    (b = cJSON_GetObjectItem(sc->behaviours, image)) == NULL)
			continue;
		if ((labels = cJSON_GetObjectItem(c, "dockerLabels")) == NULL)
			labels = cJSON_AddObjectToObject(c, "dockerLabels");
		if (!cJSON_IsObject(labels))
			continue;	/* RegisterTaskDefinition says why */
		cJSON_ArrayForEach(l, b) {
			if (cJSON_GetObjectItem(labels, l->string) != NULL)
				continue;
			/* Labels are strings: `ecsim.exit: 1` means "1". */
			if (cJSON_IsString(l))
				text = xstrdup(l->valuestring);
			else if (cJSON_IsNumber(l))
				text = xprintf("%g", l->valuedouble);
			else
				text = xstrdup(cJSON_IsTrue(l) ? "true" :
				    cJSON_IsFalse(l) ? "false" : "");
			cJSON_AddStringToObject(labels, l->string, text);
			free(text);
		}
	}
}
