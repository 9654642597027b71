/*
 * What placement needs to know of a cluster, kept across reconciles: each
 * instance that is not INACTIVE (its row and attributes) with the loads of
 * its live tasks. Reading all of that from the store for every placement
 * pass costs a query per instance and a JSON parse per task, which in a
 * cluster of 1,000 instances and 20,000 tasks is most of a reconcile. So
 * the engine keeps what it read and follows the changes: the store shows
 * it every task written on an instance (store_set_task_hook), which it
 * adds, updates or, once STOPPED, removes from its instance's loads; and
 * engine_instance_changed tells it of every change to an instance (the
 * version rule makes that universal), whose row it reads again before the
 * next placement, unless the change was a task placed there or stopped
 * (engine_instance_loaded), which leaves the row as it was. New or
 * deregistered instances, and what the store says it cannot show
 * (store_generation: attribute writes, rollbacks, a reset), make it read
 * the whole cluster again. engine_view_check
 * compares the kept rows with a fresh read; the tests call it.
 *
 * What each placement pass asks of an instance or a load is also kept
 * beside it (view_attr, view_load): a pass walks every load of the
 * cluster, and following pointers into each one's JSON was most of it.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "placement/placement.h"

/*
 * A live task's load, and what every placement pass asks of it kept where
 * the pass finds it: a pass walks every load of the cluster (20,000 of
 * them at the scenario benchmark's size), and following each one's group
 * string and port arrays to memory of their own was most of its time.
 */
struct view_load {
	struct task_load	 row;
	uint64_t		 arn_hash;	/* str_hash(row.arn) */
	uint64_t		 group_hash;	/* str_hash(row.group) */
	int			 has_ports;	/* row.ports or ports_udp has one */
};

/* An attribute as placement sees it, pointing into row.attributes. */
struct view_attr {
	const char		*name, *value;
};

struct view_instance {
	struct instance_row	 row;		/* with attributes */
	char			*attributes;	/* row.attributes printed */
	struct view_attr	*attrs;		/* row.attributes, for placement */
	size_t			 nattrs;
	struct view_attr	*zone;		/* among attrs, or NULL */
	struct view_load	*loads;		/* its tasks not STOPPED */
	size_t			 nloads;
	int			 dirty;		/* read it again */
};

/* An element of a view's table of its instances' ARNs. */
struct arn_at {
	char			*arn;		/* the table's key */
	size_t			 at;		/* index into in */
};

struct engine_view {
	char			*cluster;	/* name */
	struct view_instance	*in;		/* in registration order */
	size_t			 n;
	struct table		 by_arn;	/* struct arn_at */
	uint64_t		 generation;	/* the store's, when read */
	int			 valid;		/* else read all again */
	int			 dirty;		/* some instance is */
};

static void
view_instances_free(struct view_instance *in, size_t n)
{
	size_t	i, k;

	for (i = 0; i < n; i++) {
		instance_row_clear(&in[i].row);
		free(in[i].attributes);
		free(in[i].attrs);
		for (k = 0; k < in[i].nloads; k++)
			task_load_clear(&in[i].loads[k].row);
		free(in[i].loads);
	}
	free(in);
}

static void
view_empty(struct engine_view *v)
{
	view_instances_free(v->in, v->n);
	table_free(&v->by_arn);
	v->in = NULL;
	v->n = 0;
	v->valid = v->dirty = 0;
}

void
engine_view_clear(struct engine *eng)
{
	size_t	i;

	for (i = 0; i < eng->nviews; i++) {
		view_empty(&eng->views[i]);
		free(eng->views[i].cluster);
	}
	free(eng->views);
	eng->views = NULL;
	eng->nviews = 0;
}

/* Read every cluster again. */
static void
view_forget(struct engine *eng)
{
	size_t	i;

	for (i = 0; i < eng->nviews; i++)
		eng->views[i].valid = 0;
}

/* The table of the ARNs of in (n of them). */
static void
arn_index(struct table *by_arn, const struct view_instance *in, size_t n)
{
	struct arn_at	*a;
	size_t		 i;
	int		 fresh;

	table_init(by_arn, sizeof(struct arn_at));
	for (i = 0; i < n; i++) {
		a = table_get(by_arn, in[i].row.arn, &fresh);
		a->at = i;
	}
}

/*
 * The index of the instance with arn, or -1. Every task write looks its
 * instance up: a binary search compared ten ARNs of about 95 bytes, their
 * first 75 alike.
 */
static int
find_arn(const struct table *by_arn, const char *arn)
{
	const struct arn_at	*a = table_find(by_arn, arn);

	return a != NULL ? (int)a->at : -1;
}

static int
str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    strcmp(a, b) == 0);
}

/* The cluster's view, made (empty, not valid) if the engine has none. */
static struct engine_view *
view_of(struct engine *eng, const char *cluster, size_t len, int make)
{
	size_t	i;

	for (i = 0; i < eng->nviews; i++)
		if (strlen(eng->views[i].cluster) == len &&
		    memcmp(eng->views[i].cluster, cluster, len) == 0)
			return &eng->views[i];
	if (!make)
		return NULL;
	eng->views = xrealloc(eng->views, (eng->nviews + 1) *
	    sizeof *eng->views);
	memset(&eng->views[eng->nviews], 0, sizeof *eng->views);
	eng->views[eng->nviews].cluster = xstrndup(cluster, len);
	return &eng->views[eng->nviews++];
}

/* The view of the cluster instance ARN arn names
 * ("...:container-instance/<cluster>/<id>"), if the engine has a valid
 * one, and the instance's index in it; -1 when the view must be read
 * again (the instance is new to it). */
static struct engine_view *
view_of_instance(struct engine *eng, const char *arn, int *idx)
{
	struct engine_view	*v;
	const char		*p, *slash;

	*idx = -1;
	if (eng->nviews == 0)
		return NULL;
	if ((p = strstr(arn, ":container-instance/")) == NULL ||
	    (slash = strchr(p += strlen(":container-instance/"), '/')) ==
	    NULL) {
		view_forget(eng);
		return NULL;
	}
	if ((v = view_of(eng, p, (size_t)(slash - p), 0)) == NULL ||
	    !v->valid)
		return NULL;
	if ((*idx = find_arn(&v->by_arn, arn)) < 0)
		v->valid = 0;
	return v;
}

int
engine_view_touch(struct engine *eng, const char *arn, int row_changed,
    const char **attributes, struct instance_usage *u)
{
	struct engine_view	*v;
	struct view_instance	*vi;
	const struct task_load	*ld;
	size_t			 k;
	int			 i;

	*attributes = NULL;
	memset(u, 0, sizeof *u);
	if ((v = view_of_instance(eng, arn, &i)) == NULL || i < 0)
		return 0;
	vi = &v->in[i];
	if (row_changed) {
		vi->dirty = 1;
		v->dirty = 1;
	}
	if (v->generation != store_generation(eng->st))
		return 0;
	/* Attributes change only by a write that bumps the store's
	 * generation, after which the view is read whole again. */
	if (vi->attributes == NULL)
		vi->attributes = json_print(vi->row.attributes);
	*attributes = vi->attributes;
	u->ports = cJSON_CreateArray();
	u->ports_udp = cJSON_CreateArray();
	for (k = 0; k < vi->nloads; k++) {
		ld = &vi->loads[k].row;
		u->cpu += ld->cpu;
		u->memory += ld->memory;
		u->running += !ld->desired_stopped;
		u->pending += ld->pending;
		/* Most tasks book no port: no reference to their empty
		 * lists, two allocations a task at every event. */
		if (!vi->loads[k].has_ports)
			continue;
		if (ld->ports != NULL)
			cJSON_AddItemReferenceToArray(u->ports, ld->ports);
		if (ld->ports_udp != NULL)
			cJSON_AddItemReferenceToArray(u->ports_udp,
			    ld->ports_udp);
	}
	return 1;
}

static void
load_facts(struct view_load *vl)
{
	vl->arn_hash = str_hash(vl->row.arn);
	vl->group_hash = str_hash(vl->row.group != NULL ? vl->row.group : "");
	vl->has_ports = cJSON_GetArraySize(vl->row.ports) > 0 ||
	    cJSON_GetArraySize(vl->row.ports_udp) > 0;
}

/* The attributes of vi's row as placement reads them. */
static void
instance_facts(struct view_instance *vi)
{
	const cJSON	*a;
	size_t		 n = 0;

	free(vi->attrs);
	vi->attrs = xcalloc((size_t)cJSON_GetArraySize(vi->row.attributes) + 1,
	    sizeof *vi->attrs);
	vi->zone = NULL;
	cJSON_ArrayForEach(a, vi->row.attributes) {
		vi->attrs[n].name = cJSON_GetStringValue(cJSON_GetObjectItem(a,
		    "name"));
		vi->attrs[n].value = cJSON_GetStringValue(cJSON_GetObjectItem(a,
		    "value"));
		if (vi->attrs[n].name == NULL)
			continue;
		if (vi->zone == NULL && strcmp(vi->attrs[n].name,
		    PLACEMENT_ZONE_ATTRIBUTE) == 0)
			vi->zone = &vi->attrs[n];
		n++;
	}
	vi->nattrs = n;
}

/* A task on an instance is being written: its load follows. */
static void
task_hook(void *arg, const struct task_row *t)
{
	struct engine		*eng = arg;
	struct engine_view	*v;
	struct view_instance	*vi;
	struct view_load	*vl;
	struct task_load	*ld;
	uint64_t		 h;
	size_t			 k;
	int			 i;

	if ((v = view_of_instance(eng, t->instance_arn, &i)) == NULL || i < 0)
		return;
	vi = &v->in[i];
	/* ARNs share their first fifty characters: hashes first. */
	h = str_hash(t->arn);
	for (k = 0; k < vi->nloads; k++)
		if (vi->loads[k].arn_hash == h &&
		    strcmp(vi->loads[k].row.arn, t->arn) == 0)
			break;
	if (t->last_status == TASK_STOPPED) {
		if (k < vi->nloads) {
			task_load_clear(&vi->loads[k].row);
			memmove(&vi->loads[k], &vi->loads[k + 1],
			    (vi->nloads - k - 1) * sizeof *vi->loads);
			vi->nloads--;
		}
		return;
	}
	if (k == vi->nloads) {
		vi->loads = xrealloc(vi->loads, (vi->nloads + 1) *
		    sizeof *vi->loads);
		vl = &vi->loads[vi->nloads++];
		memset(vl, 0, sizeof *vl);
		ld = &vl->row;
		ld->arn = xstrdup(t->arn);
		ld->instance_arn = xstrdup(t->instance_arn);
		ld->group = xstrdup(t->group);
		ld->cpu = t->cpu;
		ld->memory = t->memory;
	} else {
		vl = &vi->loads[k];
		ld = &vl->row;
	}
	ld->desired_stopped = t->desired_stopped;
	ld->pending = t->last_status < TASK_RUNNING;
	if (!json_equal(ld->ports, t->ports)) {
		cJSON_Delete(ld->ports);
		ld->ports = t->ports ? cJSON_Duplicate(t->ports, 1) : NULL;
	}
	if (!json_equal(ld->ports_udp, t->ports_udp)) {
		cJSON_Delete(ld->ports_udp);
		ld->ports_udp = t->ports_udp ?
		    cJSON_Duplicate(t->ports_udp, 1) : NULL;
	}
	load_facts(vl);
}

void
engine_view_init(struct engine *eng)
{
	store_set_task_hook(eng->st, task_hook, eng);
}

/* n loads moved out of from into an array of their own. */
static struct view_load *
loads_copy(const struct task_load *from, size_t n)
{
	struct view_load	*to = xcalloc(n, sizeof *to);
	size_t			 i;

	for (i = 0; i < n; i++) {
		to[i].row = from[i];
		load_facts(&to[i]);
	}
	return to;
}

/* Reads the cluster whole: instances, attributes, every live task's load. */
static int
view_read(struct engine *eng, const char *cluster, struct view_instance **out,
    size_t *nout, struct table *by_arn, struct err *e)
{
	struct instance_row	*rows = NULL;
	struct task_load	*tl = NULL;
	struct view_instance	*in;
	size_t			 n = 0, ntl = 0, i, j;
	int			 k;

	if (store_instance_list(eng->st, cluster, &rows, &n, e) != 0)
		return -1;
	if (store_task_loads(eng->st, cluster, &tl, &ntl, e) != 0) {
		instance_rows_free(rows, n);
		return -1;
	}
	in = xcalloc(n ? n : 1, sizeof *in);
	for (i = 0; i < n; i++) {
		in[i].row = rows[i];
		instance_facts(&in[i]);
	}
	free(rows);
	arn_index(by_arn, in, n);
	/* Loads come ordered by instance: each run goes to its instance. */
	for (i = 0; i < ntl; i = j) {
		for (j = i + 1; j < ntl && strcmp(tl[j].instance_arn,
		    tl[i].instance_arn) == 0; j++)
			;
		if ((k = find_arn(by_arn, tl[i].instance_arn)) < 0) {
			/* On an instance that left: not placement's. */
			for (; i < j; i++)
				task_load_clear(&tl[i]);
			continue;
		}
		in[k].loads = loads_copy(&tl[i], j - i);
		in[k].nloads = j - i;
	}
	free(tl);
	*out = in;
	*nout = n;
	return 0;
}

/* Reads a changed instance's row again; 1 when the whole cluster must be
 * read (the instance left, or its place in the order moved). */
static int
view_refresh(struct engine *eng, struct view_instance *vi, struct err *e)
{
	struct instance_row	 row;
	int			 found;

	if ((found = store_instance_row(eng->st, vi->row.arn, &row, e)) < 0)
		return -1;
	if (!found || strcmp(row.status, "INACTIVE") == 0 ||
	    row.registered_at != vi->row.registered_at) {
		instance_row_clear(&row);
		return 1;
	}
	row.attributes = vi->row.attributes;
	vi->row.attributes = NULL;
	instance_row_clear(&vi->row);
	vi->row = row;
	vi->dirty = 0;
	return 0;
}

/* The view of cluster brought up to date with the store. */
static struct engine_view *
view_update(struct engine *eng, const char *cluster, struct err *e)
{
	struct engine_view	*v;
	uint64_t		 gen = store_generation(eng->st);
	size_t			 i;
	int			 r;

	v = view_of(eng, cluster, strlen(cluster), 1);
	if (v->valid && v->generation != gen)
		v->valid = 0;
	for (i = 0; v->valid && v->dirty && i < v->n; i++) {
		if (!v->in[i].dirty)
			continue;
		if ((r = view_refresh(eng, &v->in[i], e)) < 0) {
			view_empty(v);
			return NULL;
		}
		if (r > 0)
			v->valid = 0;
	}
	v->dirty = 0;
	if (!v->valid) {
		view_empty(v);
		if (view_read(eng, cluster, &v->in, &v->n, &v->by_arn, e) != 0)
			return NULL;
		v->valid = 1;
		v->generation = gen;
	}
	return v;
}

#ifdef ECSIM_CHECK_VIEWS
static int	view_compare(struct engine *, const struct engine_view *,
		    const char *, struct err *);
#endif

/* A load (or reserved ports) in placement's shape. */
static void
add_ports(int *ports, size_t *n, const cJSON *list)
{
	const cJSON	*p;

	cJSON_ArrayForEach(p, list) {
		if (*n >= PLACEMENT_MAX_PORTS)
			break;
		if (cJSON_IsNumber(p))
			ports[(*n)++] = (int)p->valuedouble;
		else if (cJSON_IsString(p))
			ports[(*n)++] = atoi(p->valuestring);
	}
}

static void
load_of(struct placement_need *ld, int64_t cpu, int64_t memory,
    const cJSON *ports, const cJSON *ports_udp)
{
	ld->cpu = cpu;
	ld->memory = memory;
	ld->nports = ld->nports_udp = 0;
	add_ports(ld->ports, &ld->nports, ports);
	add_ports(ld->ports_udp, &ld->nports_udp, ports_udp);
}

/* The agent version of arn in facts (the same instances in the same
 * order, so the search resumes where the last one ended). */
static const char *
agent_version(const struct instance_facts *facts, size_t n, size_t *k,
    const char *arn)
{
	size_t	i;

	for (i = *k; i < n; i++)
		if (strcmp(facts[i].arn, arn) == 0) {
			*k = i + 1;
			return facts[i].agent_version;
		}
	return NULL;
}

static int
has_member_of(const struct placement_policy *pol)
{
	size_t	i;

	for (i = 0; i < pol->nconstraints; i++)
		if (pol->constraints[i].type == PLACEMENT_MEMBER_OF)
			return 1;
	return 0;
}

/*
 * Whether placing under pol looks at attribute name: memberOf
 * expressions may name any; otherwise only the zone (every placement
 * reports it) and what spread strategies spread over. An instance has a
 * dozen ecs.* attributes, and copying them all into every view was most
 * of building it.
 */
static int
attribute_wanted(const struct placement_policy *pol, int member_of,
    const char *name)
{
	size_t	i;

	if (member_of || strcmp(name, PLACEMENT_ZONE_ATTRIBUTE) == 0)
		return 1;
	for (i = 0; i < pol->nstrategies; i++)
		if (pol->strategies[i].field == PLACEMENT_FIELD_ATTRIBUTE &&
		    strcmp(pol->strategies[i].attribute, name) == 0)
			return 1;
	return 0;
}

/* Whether the zone is the only attribute placing under pol looks at, as
 * it is unless memberOf expressions or spread over another attribute. */
static int
zone_only(const struct placement_policy *pol, int member_of)
{
	size_t	i;

	if (member_of)
		return 0;
	for (i = 0; i < pol->nstrategies; i++)
		if (pol->strategies[i].field == PLACEMENT_FIELD_ATTRIBUTE &&
		    strcmp(pol->strategies[i].attribute,
		    PLACEMENT_ZONE_ATTRIBUTE) != 0)
			return 0;
	return 1;
}

/*
 * The placement view of a cluster for group: every instance that is not
 * INACTIVE with its attributes and reserved ports, and what its live
 * tasks hold. Agent versions, which only memberOf expressions ask about,
 * are read from the store only for them.
 */
struct placement *
engine_view(struct engine *eng, const char *cluster, const char *group,
    const struct placement_policy *pol, struct err *e)
{
	struct engine_view		*v;
	struct view_instance		*vi;
	struct placement		*p;
	struct placement_instance	 pi;
	struct placement_need		 ld;
	struct instance_facts		*facts = NULL;
	const struct view_load		*vl;
	const char			*g;
	uint64_t			 ghash;
	size_t				 i, k, nf = 0, f = 0;
	int				 member_of, all_groups, only_zone;
	struct {
		int64_t			 cpu, memory;
		size_t			 n, running;
	}				 others;

	if ((v = view_update(eng, cluster, e)) == NULL)
		return NULL;
#ifdef ECSIM_CHECK_VIEWS
	if (view_compare(eng, v, cluster, e) != 0) {
		log_warn("%s", e->msg);
		abort();
	}
#endif
	member_of = has_member_of(pol);
	only_zone = zone_only(pol, member_of);
	if (member_of && store_instance_facts(eng->st, cluster, NULL, &facts,
	    &nf, e) != 0)
		return NULL;
	p = placement_new(group, pol);
	/* Why an instance was chosen is for the debug log alone. */
	placement_set_explain(p, log_debug_on());
	memset(&ld, 0, sizeof ld);
	for (i = 0; i < v->n; i++) {
		vi = &v->in[i];
		memset(&pi, 0, sizeof pi);
		pi.arn = vi->row.arn;
		pi.id = vi->row.id;
		pi.ec2_instance_id = vi->row.ec2_instance_id;
		pi.agent_version = agent_version(facts, nf, &f, vi->row.arn);
		pi.active = strcmp(vi->row.status, "ACTIVE") == 0;
		pi.connected = vi->row.agent_connected;
		pi.registered_at = vi->row.registered_at;
		pi.cpu = vi->row.cpu;
		pi.memory = vi->row.memory;
		placement_add_instance(p, &pi);
		if (only_zone && vi->zone != NULL)
			placement_add_attribute(p, i, vi->zone->name,
			    vi->zone->value);
		for (k = 0; !only_zone && k < vi->nattrs; k++)
			if (attribute_wanted(pol, member_of, vi->attrs[k].name))
				placement_add_attribute(p, i, vi->attrs[k].name,
				    vi->attrs[k].value);
		load_of(&ld, 0, 0, vi->row.ports, vi->row.ports_udp);
		for (k = 0; k < ld.nports; k++)
			placement_add_reserved_port(p, i, ld.ports[k], 0);
		for (k = 0; k < ld.nports_udp; k++)
			placement_add_reserved_port(p, i, ld.ports_udp[k], 1);
	}
	/* A load of another group is shown to placement as "" unless
	 * memberOf expressions ask which groups run where: its own group
	 * string need not be read. (Without a group of its own, placement
	 * is shown every load's.) */
	all_groups = member_of || group == NULL || *group == '\0';
	ghash = str_hash(group != NULL ? group : "");
	for (i = 0; i < v->n; i++) {
		vi = &v->in[i];
		/* Most loads are another group's and hold no port: summed,
		 * and shown to placement at once. */
		memset(&others, 0, sizeof others);
		for (k = 0; k < vi->nloads; k++) {
			vl = &vi->loads[k];
			if (!all_groups && !vl->has_ports &&
			    (vl->group_hash != ghash ||
			    !str_same(vl->row.group, group))) {
				others.cpu += vl->row.cpu;
				others.memory += vl->row.memory;
				others.n++;
				others.running += !vl->row.desired_stopped;
				continue;
			}
			load_of(&ld, vl->row.cpu, vl->row.memory,
			    vl->has_ports ? vl->row.ports : NULL,
			    vl->has_ports ? vl->row.ports_udp : NULL);
			if (all_groups)
				g = vl->row.group;
			else if (vl->group_hash == ghash &&
			    str_same(vl->row.group, group))
				g = group;
			else
				g = "";
			placement_add_task(p, i, g, &ld,
			    !vl->row.desired_stopped);
		}
		if (others.n > 0)
			placement_add_others(p, i, others.cpu, others.memory,
			    others.n, others.running);
	}
	instance_facts_free(facts, nf);
	return p;
}

/* Whether the kept instance and loads equal what the store says. */
static int
instance_same(const struct view_instance *a, const struct view_instance *b)
{
	const struct view_load	*x, *y;
	size_t			 i, k;

	if (!str_same(a->row.arn, b->row.arn) ||
	    !str_same(a->row.status, b->row.status) ||
	    a->row.agent_connected != b->row.agent_connected ||
	    a->row.cpu != b->row.cpu || a->row.memory != b->row.memory ||
	    a->row.registered_at != b->row.registered_at ||
	    !json_equal(a->row.ports, b->row.ports) ||
	    !json_equal(a->row.ports_udp, b->row.ports_udp) ||
	    !json_equal(a->row.attributes, b->row.attributes) ||
	    a->nloads != b->nloads)
		return 0;
	/* The same loads, in any order. */
	for (i = 0; i < b->nloads; i++) {
		for (k = 0; k < a->nloads; k++)
			if (strcmp(a->loads[k].row.arn, b->loads[i].row.arn) == 0)
				break;
		if (k == a->nloads)
			return 0;
		x = &a->loads[k];
		y = &b->loads[i];
		if (!str_same(x->row.group, y->row.group) ||
		    x->row.cpu != y->row.cpu ||
		    x->row.memory != y->row.memory ||
		    x->row.desired_stopped != y->row.desired_stopped ||
		    x->row.pending != y->row.pending ||
		    !json_equal(x->row.ports, y->row.ports) ||
		    !json_equal(x->row.ports_udp, y->row.ports_udp) ||
		    x->arn_hash != y->arn_hash ||
		    x->group_hash != y->group_hash ||
		    x->has_ports != y->has_ports)
			return 0;
	}
	return 1;
}

/* Whether what v keeps is what the store holds; -1 says where not. */
static int
view_compare(struct engine *eng, const struct engine_view *v,
    const char *cluster, struct err *e)
{
	struct view_instance	*fresh;
	struct table		 by_arn;
	size_t			 n, i;
	int			 ret = 0;

	if (view_read(eng, cluster, &fresh, &n, &by_arn, e) != 0)
		return -1;
	if (n != v->n)
		ret = err_set(e, ERR_INTERNAL, "the placement view of %s keeps "
		    "%zu instances; the store has %zu", cluster, v->n, n);
	for (i = 0; ret == 0 && i < n; i++)
		if (!instance_same(&v->in[i], &fresh[i]))
			ret = err_set(e, ERR_INTERNAL, "the placement view of "
			    "%s is out of date for %s", cluster,
			    fresh[i].row.arn);
	view_instances_free(fresh, n);
	table_free(&by_arn);
	return ret;
}

int
engine_view_check(struct engine *eng, const char *cluster, struct err *e)
{
	struct engine_view	*v;

	if ((v = view_update(eng, cluster, e)) == NULL)
		return -1;
	return view_compare(eng, v, cluster, e);
}
