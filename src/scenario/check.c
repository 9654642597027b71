/*
 * Conditions and expectations: what a check looks at is read through the
 * ECS API itself (DescribeServices, DescribeTasks, ...) or from the events
 * the run has seen, and compared member by member with what the scenario
 * wants.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/store.h"
#include "api/api.h"
#include "scenario/internal.h"

/* "1.5" for 1.5, "4" for 4: how a number is shown and compared. */
static char *
scalar_text(const cJSON *j)
{
	if (j == NULL)
		return xstrdup("nothing");
	if (cJSON_IsString(j))
		return xstrdup(j->valuestring);
	if (cJSON_IsNumber(j))
		return xprintf("%g", j->valuedouble);
	return json_print(j);
}

/*
 * want is a value, or a string ">= 2", "< 3", "!= 0" comparing with a
 * number. ARNs of task definitions compare by their family:revision.
 */
static int
match_value(const cJSON *want, const cJSON *got)
{
	static const char *const ops[] = { ">=", "<=", "!=", ">", "<", "=" };
	const char	*s, *slash;
	char		*end;
	double		 v, g;
	size_t		 i, len;

	if (got == NULL)
		return 0;
	if (cJSON_IsString(want) && cJSON_IsNumber(got)) {
		s = want->valuestring;
		for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
			len = strlen(ops[i]);
			if (strncmp(s, ops[i], len) != 0)
				continue;
			v = strtod(s + len, &end);
			if (end == s + len || *end != '\0')
				return 0;
			g = got->valuedouble;
			switch (i) {
			case 0: return g >= v;
			case 1: return g <= v;
			case 2: return g != v;
			case 3: return g > v;
			case 4: return g < v;
			default: return g == v;
			}
		}
		return 0;
	}
	if (cJSON_IsString(want) && cJSON_IsString(got)) {
		if (strcmp(want->valuestring, got->valuestring) == 0)
			return 1;
		if (str_has_prefix(got->valuestring, "arn:") &&
		    (slash = strrchr(got->valuestring, '/')) != NULL)
			return strcmp(want->valuestring, slash + 1) == 0;
		return 0;
	}
	if (cJSON_IsNumber(want) && cJSON_IsNumber(got))
		return want->valuedouble == got->valuedouble;
	if (cJSON_IsBool(want) && cJSON_IsBool(got))
		return cJSON_IsTrue(want) == cJSON_IsTrue(got);
	return cJSON_IsNull(want) && cJSON_IsNull(got);
}

/* Compares every member of want with view's; on a mismatch says what the
 * first one was. */
static int
match_members(const cJSON *want, const cJSON *view, int skip_refs,
    char **seen)
{
	const cJSON	*w;
	char		*got;

	cJSON_ArrayForEach(w, want) {
		if (skip_refs && (strcmp(w->string, "service") == 0 ||
		    strcmp(w->string, "instance") == 0))
			continue;
		if (match_value(w, cJSON_GetObjectItem(view, w->string)))
			continue;
		if (seen != NULL) {
			got = scalar_text(cJSON_GetObjectItem(view,
			    w->string));
			free(*seen);
			*seen = xprintf("%s was %s", w->string, got);
			free(got);
		}
		return 0;
	}
	return 1;
}

static char *
members_text(const cJSON *want)
{
	const cJSON	*w;
	char		*out = xstrdup(""), *v, *next;

	cJSON_ArrayForEach(w, want) {
		v = scalar_text(w);
		next = xprintf("%s%s%s %s%s", out, *out ? ", " : "", w->string,
		    cJSON_IsString(w) && strchr("<>=!", *w->valuestring) ?
		    "" : "= ", v);
		free(v);
		free(out);
		out = next;
	}
	return out;
}

char *
sc_check_text(const struct sc_check *c)
{
	char	*m = members_text(c->want), *what = NULL, *out;

	switch (c->kind) {
	case CHECK_SERVICE:
		what = xprintf("service %s", c->target);
		break;
	case CHECK_INSTANCE:
		what = xprintf("instance %s", c->target);
		break;
	case CHECK_TASKS:
		free(what);
		what = members_text(c->order);
		out = xprintf("tasks {%s}: %s", what, m);
		goto done;
	case CHECK_EVENTS:
		what = members_text(c->order);
		out = xprintf("events {%s}: %s", what, m);
		goto done;
	case CHECK_DEPLOYMENTS:
		what = members_text(c->order);
		out = xprintf("deployments {%s}: %s", what, m);
		goto done;
	case CHECK_SERVICE_EVENTS:
		what = members_text(c->order);
		out = xprintf("service events {%s}: %s", what, m);
		goto done;
	case CHECK_EVENT_ORDER:
		what = xstrdup("");
		out = xprintf("%d events in order", cJSON_GetArraySize(
		    c->order));
		goto done;
	}
	out = xprintf("%s: %s", what, m);
done:
	free(what);
	free(m);
	return out;
}

static int
member_is(const cJSON *o, const char *name, const char *v)
{
	const char	*got = cJSON_GetStringValue(cJSON_GetObjectItem(o, name));

	return got != NULL && strcmp(got, v) == 0;
}

static cJSON *
cluster_body(struct sc_run *r)
{
	cJSON	*b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "cluster", r->sc->cluster);
	return b;
}

/* The service as DescribeServices shows it, or NULL. */
static cJSON *
service_get(struct sc_run *r, const char *name)
{
	cJSON	*b = cluster_body(r), *reply, *svc;
	int	 status;

	cJSON_AddItemToObject(b, "services", cJSON_CreateStringArray(&name, 1));
	reply = api_call(r->eng, "DescribeServices", b, &status);
	cJSON_Delete(b);
	svc = cJSON_DetachItemFromArray(cJSON_GetObjectItem(reply, "services"),
	    0);
	cJSON_Delete(reply);
	return svc;
}

/* The service with the PRIMARY deployment's rolloutState and failedTasks
 * and a count of deployments. */
static cJSON *
service_view(struct sc_run *r, const char *name)
{
	cJSON	*svc = service_get(r, name), *d, *dep;
	int	 n = 0;

	if (svc == NULL)
		return NULL;
	cJSON_ArrayForEach(d, cJSON_GetObjectItem(svc, "deployments")) {
		n++;
		if (!member_is(d, "status", "PRIMARY"))
			continue;
		if ((dep = cJSON_GetObjectItem(d, "rolloutState")) != NULL)
			cJSON_AddItemToObject(svc, "rolloutState",
			    cJSON_Duplicate(dep, 0));
		if ((dep = cJSON_GetObjectItem(d, "failedTasks")) != NULL)
			cJSON_AddItemToObject(svc, "failedTasks",
			    cJSON_Duplicate(dep, 0));
	}
	cJSON_ReplaceItemInObject(svc, "deployments", cJSON_CreateNumber(n));
	return svc;
}

static cJSON *
instance_view(struct sc_run *r, const char *name)
{
	const char	*arn = sc_instance_arn(r, name);
	cJSON		*b, *reply, *ci;
	int		 status;

	if (arn == NULL)
		return NULL;
	b = cluster_body(r);
	cJSON_AddItemToObject(b, "containerInstances",
	    cJSON_CreateStringArray(&arn, 1));
	reply = api_call(r->eng, "DescribeContainerInstances", b, &status);
	cJSON_Delete(b);
	ci = cJSON_DetachItemFromArray(cJSON_GetObjectItem(reply,
	    "containerInstances"), 0);
	cJSON_Delete(reply);
	return ci;
}

/* service: and instance: in a match name the task's group and instance. */
static int
task_matches(struct sc_run *r, const cJSON *match, const cJSON *t)
{
	const cJSON	*svc = cJSON_GetObjectItem(match, "service");
	const cJSON	*in = cJSON_GetObjectItem(match, "instance");
	const char	*arn, *group;

	if (svc != NULL) {
		group = cJSON_GetStringValue(cJSON_GetObjectItem(t, "group"));
		if (group == NULL || !cJSON_IsString(svc) ||
		    !str_has_prefix(group, "service:") ||
		    strcmp(group + 8, svc->valuestring) != 0)
			return 0;
	}
	if (in != NULL) {
		arn = cJSON_IsString(in) ? sc_instance_arn(r,
		    in->valuestring) : NULL;
		if (arn == NULL || !member_is(t, "containerInstanceArn", arn))
			return 0;
	}
	return match_members(match, t, 1, NULL);
}

/* How many of the tasks DescribeTasks still shows match, a page at a
 * time: the whole cluster at once is hundreds of megabytes of JSON at
 * 20,000 tasks and an hour of stopped ones. */
static size_t
count_tasks(struct sc_run *r, const cJSON *match)
{
	static const char *const desired[] = { "RUNNING", "STOPPED" };
	cJSON		*b, *reply, *arns, *t, *task;
	const char	*token;
	size_t		 i, n = 0;
	int		 status;

	for (i = 0; i < 2; i++) {
		token = NULL;
		reply = NULL;
		do {
			b = cluster_body(r);
			cJSON_AddStringToObject(b, "desiredStatus", desired[i]);
			cJSON_AddNumberToObject(b, "maxResults", 100);
			if (token != NULL)
				cJSON_AddStringToObject(b, "nextToken", token);
			cJSON_Delete(reply);
			reply = api_call(r->eng, "ListTasks", b, &status);
			cJSON_Delete(b);
			arns = cJSON_GetObjectItem(reply, "taskArns");
			if (cJSON_GetArraySize(arns) > 0) {
				b = cluster_body(r);
				cJSON_AddItemToObject(b, "tasks",
				    cJSON_Duplicate(arns, 1));
				t = api_call(r->eng, "DescribeTasks", b,
				    &status);
				cJSON_Delete(b);
				cJSON_ArrayForEach(task, cJSON_GetObjectItem(t,
				    "tasks"))
					n += task_matches(r, match, task);
				cJSON_Delete(t);
			}
			token = cJSON_GetStringValue(cJSON_GetObjectItem(reply,
			    "nextToken"));
		} while (token != NULL);
		cJSON_Delete(reply);
	}
	return n;
}

/* Member key of the event's packed detail, unpacked (the caller frees
 * it), or NULL; keys compare as cJSON_GetObjectItem's do, ignoring case. */
static cJSON *
event_member(const struct store_event *ev, const char *key)
{
	struct json_members	it;
	struct json_member	m;

	if (json_members_begin(&it, ev->packed, ev->npacked) != 0)
		return NULL;
	while (json_members_next(&it, &m) > 0)
		if (strcasecmp(m.key, key) == 0)
			return json_unpack(m.value, m.len);
	return NULL;
}

/* detail-type: and service: in a match name the event's type and the
 * service it is about (its resource, or a task's group). */
static int
event_matches(struct sc_run *r, const cJSON *match, const struct store_event *ev)
{
	const cJSON	*w;
	const char	*group, *slash;
	cJSON		*got;
	int		 ok;

	cJSON_ArrayForEach(w, match) {
		if (strcmp(w->string, "detail-type") == 0) {
			if (!cJSON_IsString(w) ||
			    strcmp(w->valuestring, ev->detail_type) != 0)
				return 0;
		} else if (strcmp(w->string, "service") == 0) {
			group = json_packed_string(ev->packed, ev->npacked,
			    "group");
			slash = strrchr(ev->resource, '/');
			if (!cJSON_IsString(w))
				return 0;
			if (group != NULL) {
				if (!str_has_prefix(group, "service:") ||
				    strcmp(group + 8, w->valuestring) != 0)
					return 0;
			} else if (!str_has_prefix(ev->resource, "arn:aws:ecs:") ||
			    strstr(ev->resource, ":service/") == NULL ||
			    slash == NULL || strcmp(slash + 1,
			    w->valuestring) != 0)
				return 0;
		} else if (strcmp(w->string, "instance") == 0) {
			if (!cJSON_IsString(w) || sc_instance_arn(r,
			    w->valuestring) == NULL || strcmp(sc_instance_arn(r,
			    w->valuestring), ev->resource) != 0)
				return 0;
		} else {
			got = event_member(ev, w->string);
			ok = match_value(w, got);
			cJSON_Delete(got);
			if (!ok)
				return 0;
		}
	}
	return 1;
}

static void
add_matches(struct sc_run *r, const struct sc_check *c)
{
	const cJSON	*m;

	if (c->kind == CHECK_EVENTS) {
		r->matches = xrealloc(r->matches, (r->nmatches + 1) *
		    sizeof *r->matches);
		r->matches[r->nmatches++] = c->order;
	} else if (c->kind == CHECK_EVENT_ORDER)
		cJSON_ArrayForEach(m, c->order) {
			r->matches = xrealloc(r->matches, (r->nmatches + 1) *
			    sizeof *r->matches);
			r->matches[r->nmatches++] = m;
		}
}

void
sc_event_checks(struct sc_run *r)
{
	const struct scenario	*sc = r->sc;
	size_t			 i, k;

	for (i = 0; i < sc->nsteps; i++) {
		if (sc->steps[i].when != NULL)
			add_matches(r, sc->steps[i].when);
		for (k = 0; k < sc->steps[i].nchecks; k++)
			add_matches(r, &sc->steps[i].checks[k]);
	}
	for (i = 0; i < sc->nexpects; i++)
		add_matches(r, &sc->expects[i]);
}

/*
 * An event no match object matches now never counts: the instance names a
 * match uses are known before the instance has events, and nothing else
 * a match reads changes.
 */
int
sc_event_wanted(struct sc_run *r, const struct store_event *ev)
{
	size_t	i;

	for (i = 0; i < r->nmatches; i++)
		if (event_matches(r, r->matches[i], ev))
			return 1;
	return 0;
}

/* Keeps of the detail the members a match compares, and the group that
 * service: reads; none that is an array or an object. */
void
sc_event_trim(const struct sc_run *r, struct store_event *ev)
{
	struct json_members	it;
	struct json_member	m;
	struct json_out		o = { NULL, 0, 0 };
	size_t			i;
	int			keep;

	free(ev->source);
	ev->source = NULL;
	if (json_members_begin(&it, ev->packed, ev->npacked) != 0)
		return;
	json_pack_open(&o, 1);
	while (json_members_next(&it, &m) > 0) {
		if (m.tag == '[' || m.tag == '{')
			continue;
		keep = strcmp(m.key, "group") == 0;
		for (i = 0; i < r->nmatches && !keep; i++)
			keep = cJSON_GetObjectItem(r->matches[i],
			    m.key) != NULL;
		if (!keep)
			continue;
		json_pack_key(&o, m.key);
		json_out_put(&o, m.value, m.len);
	}
	json_pack_close(&o, 1);
	free(ev->packed);
	ev->packed = o.buf;
	ev->npacked = o.len;
}

static int
count_holds(const struct sc_check *c, int64_t n, char **seen)
{
	cJSON	*got = cJSON_CreateObject();
	int	 ok;

	cJSON_AddNumberToObject(got, "count", (double)n);
	ok = match_members(c->want, got, 0, seen);
	cJSON_Delete(got);
	return ok;
}

int
sc_check_eval(struct sc_run *r, const struct sc_check *c, char **seen)
{
	cJSON		*view = NULL, *t;
	const cJSON	*m, *svc;
	const char	*msg, *got;
	size_t		 i;
	int64_t		 n = 0;
	int		 ok = 0;

	switch (c->kind) {
	case CHECK_SERVICE:
		if ((view = service_view(r, c->target)) == NULL) {
			free(*seen);
			*seen = xprintf("there is no service %s", c->target);
			return 0;
		}
		ok = match_members(c->want, view, 0, seen);
		break;
	case CHECK_INSTANCE:
		if ((view = instance_view(r, c->target)) == NULL) {
			free(*seen);
			*seen = xprintf("there is no instance %s", c->target);
			return 0;
		}
		ok = match_members(c->want, view, 0, seen);
		break;
	case CHECK_TASKS:
		n = count_tasks(r, c->order);
		ok = count_holds(c, n, seen);
		break;
	case CHECK_DEPLOYMENTS:
		svc = cJSON_GetObjectItem(c->order, "service");
		if (cJSON_IsString(svc))
			view = service_get(r, svc->valuestring);
		cJSON_ArrayForEach(t, cJSON_GetObjectItem(view, "deployments"))
			n += match_members(c->order, t, 1, NULL);
		ok = count_holds(c, n, seen);
		break;
	case CHECK_SERVICE_EVENTS:
		svc = cJSON_GetObjectItem(c->order, "service");
		msg = cJSON_GetStringValue(cJSON_GetObjectItem(c->order,
		    "message"));
		if (cJSON_IsString(svc))
			view = service_get(r, svc->valuestring);
		cJSON_ArrayForEach(t, cJSON_GetObjectItem(view, "events")) {
			got = cJSON_GetStringValue(cJSON_GetObjectItem(t,
			    "message"));
			n += got != NULL && msg != NULL &&
			    strstr(got, msg) != NULL;
		}
		ok = count_holds(c, n, seen);
		break;
	case CHECK_EVENTS:
		for (i = 0; i < r->nkept; i++)
			n += event_matches(r, c->order, &r->events[i]);
		ok = count_holds(c, n, seen);
		break;
	case CHECK_EVENT_ORDER:
		m = c->order->child;
		for (i = 0; i < r->nkept && m != NULL; i++)
			if (event_matches(r, m, &r->events[i])) {
				m = m->next;
				n++;
			}
		ok = m == NULL;
		if (!ok) {
			free(*seen);
			*seen = xprintf("only the first %lld came in order; "
			    "event %lld never followed", (long long)n,
			    (long long)n + 1);
		}
		break;
	}
	cJSON_Delete(view);
	return ok;
}
