/* The rolling-update arithmetic (see deploy.h): the bounds, the circuit
 * breaker's threshold, the launch throttle's curve and the REPLICA and
 * DAEMON plans. Pure: the state comes in, the plan goes out. */
#include <stdlib.h>
#include <string.h>

#include "engine/deploy.h"
#include "util/util.h"

void
deploy_bounds(int64_t desired, int64_t maximum_percent,
    int64_t minimum_healthy_percent, struct deploy_bounds *b)
{
	/* Integer arithmetic: floor and ceil without rounding surprises. */
	b->upper = desired * maximum_percent / 100;
	b->lower = (desired * minimum_healthy_percent + 99) / 100;
}

int64_t
deploy_breaker_threshold(int64_t desired)
{
	int64_t	t = (desired + 1) / 2;

	if (t < 3)
		t = 3;
	if (t > 200)
		t = 200;
	return t;
}

int64_t
deploy_throttle_delay(int64_t failures)
{
	int64_t	d = 15 * 1000, k;

	if (failures < DEPLOY_THROTTLE_AFTER)
		return 0;
	for (k = DEPLOY_THROTTLE_AFTER; k < failures &&
	    d < DEPLOY_THROTTLE_MAX; k++)
		d *= 2;
	return d > DEPLOY_THROTTLE_MAX ? DEPLOY_THROTTLE_MAX : d;
}

void
deploy_plan_clear(struct deploy_plan *p)
{
	if (p == NULL)
		return;
	free(p->stops);
	free(p->start_on);
	memset(p, 0, sizeof *p);
}

/* Running counts that each stop keeps true. */
struct tally {
	int64_t	total;		/* not STOPPED: what the upper bound caps */
	int64_t	healthy;	/* live and healthy: the lower bound's */
	int64_t	good;		/* live PRIMARY tasks that stay */
	int64_t	good_healthy;
	int64_t	unhealthy;	/* live PRIMARY tasks failing health checks */
	int64_t	stopping;	/* being stopped before this pass */
	int64_t	in_flight;	/* live tasks that will change by themselves */
};

struct planner {
	const struct deploy_state	*st;
	struct deploy_plan		*p;
	struct tally			 t;
	char				*gone;	/* stopped (1) or held (2) */
};

static int
is_good(const struct deploy_task *t)
{
	return t->deployment == 0 && !t->unhealthy && !t->draining;
}

static int
is_live(const struct planner *pl, size_t i)
{
	return !pl->st->tasks[i].stopping && !pl->gone[i];
}

static void
planner_init(struct planner *pl, const struct deploy_state *st,
    struct deploy_plan *p)
{
	const struct deploy_task	*t;
	size_t				 i;

	memset(p, 0, sizeof *p);
	memset(pl, 0, sizeof *pl);
	pl->st = st;
	pl->p = p;
	deploy_bounds(st->desired, st->maximum_percent,
	    st->minimum_healthy_percent, &p->bounds);
	p->stops = xcalloc(st->ntasks ? st->ntasks : 1, sizeof *p->stops);
	pl->gone = xcalloc(st->ntasks ? st->ntasks : 1, 1);
	for (i = 0; i < st->ntasks; i++) {
		t = &st->tasks[i];
		pl->t.total++;
		if (t->stopping) {
			pl->t.stopping++;
			continue;
		}
		if (t->healthy)
			pl->t.healthy++;
		if (is_good(t)) {
			pl->t.good++;
			if (t->healthy)
				pl->t.good_healthy++;
		}
		if (t->deployment == 0 && t->unhealthy && !t->draining)
			pl->t.unhealthy++;
		if (!t->running || (!t->healthy && !t->unhealthy))
			pl->t.in_flight++;
	}
}

static void
planner_stop(struct planner *pl, size_t i, enum deploy_reason why)
{
	const struct deploy_task	*t = &pl->st->tasks[i];
	struct deploy_stop		*s;

	pl->gone[i] = 1;
	s = &pl->p->stops[pl->p->nstops++];
	s->task = i;
	s->reason = why;
	if (t->healthy)
		pl->t.healthy--;
	if (is_good(t)) {
		pl->t.good--;
		if (t->healthy)
			pl->t.good_healthy--;
	}
	if (t->deployment == 0 && t->unhealthy && !t->draining)
		pl->t.unhealthy--;
	if (!t->running || (!t->healthy && !t->unhealthy))
		pl->t.in_flight--;
}

/* Tasks to be replaced that are not healthy: their loss costs nothing. */
static void
stop_free(struct planner *pl, int daemon)
{
	const struct deploy_task	*t;
	size_t				 i;

	for (i = 0; i < pl->st->ntasks; i++) {
		t = &pl->st->tasks[i];
		if (!is_live(pl, i) || t->healthy)
			continue;
		if (t->deployment != 0)
			planner_stop(pl, i, t->unhealthy ? DEPLOY_UNHEALTHY :
			    DEPLOY_REPLACED);
		else if (t->draining && !daemon)
			planner_stop(pl, i, DEPLOY_DRAINING);
	}
}

/* Scale-in preference: not yet RUNNING, then not yet healthy, then
 * healthy; within each, the caller's order. */
static int
scale_class(const struct deploy_task *t)
{
	return !t->running ? 0 : !t->healthy ? 1 : 2;
}

static int
scale_before(const struct deploy_task *a, const struct deploy_task *b)
{
	if (scale_class(a) != scale_class(b))
		return scale_class(a) < scale_class(b);
	return a->order < b->order;
}

/*
 * Stops up to n of the tasks idx[0..nidx) by scale-in preference; healthy
 * ones only while the lower bound holds.
 */
static void
stop_surplus(struct planner *pl, size_t *idx, size_t nidx, int64_t n,
    enum deploy_reason why)
{
	const struct deploy_task	*tasks = pl->st->tasks;
	size_t				 i, k, tmp;

	for (i = 1; i < nidx; i++)
		for (k = i; k > 0 && scale_before(&tasks[idx[k]],
		    &tasks[idx[k - 1]]); k--) {
			tmp = idx[k];
			idx[k] = idx[k - 1];
			idx[k - 1] = tmp;
		}
	for (i = 0; i < nidx && n > 0; i++) {
		if (tasks[idx[i]].healthy &&
		    pl->t.healthy - 1 < pl->p->bounds.lower)
			break;
		planner_stop(pl, idx[i], why);
		n--;
	}
}

/*
 * Healthy tasks to be replaced go, oldest deployment first, while healthy
 * tasks stay at or above the lower bound. Returns how many are left.
 */
static int64_t
stop_healthy_replaced(struct planner *pl, int maxdep)
{
	const struct deploy_task	*t;
	int64_t				 left = 0;
	size_t				 i;
	int				 dep;

	for (dep = maxdep; dep >= 0; dep--)
		for (i = 0; i < pl->st->ntasks; i++) {
			t = &pl->st->tasks[i];
			if (!is_live(pl, i) || !t->healthy ||
			    t->deployment != dep || (dep == 0 && !t->draining))
				continue;
			if ((dep != 0 && pl->st->primary_failed) ||
			    pl->t.healthy - 1 < pl->p->bounds.lower) {
				left++;
				continue;
			}
			planner_stop(pl, i, t->draining ? DEPLOY_DRAINING :
			    DEPLOY_REPLACED);
		}
	return left;
}

static int
max_deployment(const struct deploy_state *st)
{
	size_t	i;
	int	m = 0;

	for (i = 0; i < st->ntasks; i++)
		if (st->tasks[i].deployment > m)
			m = st->tasks[i].deployment;
	return m;
}

/* Nothing moves, something must, and waiting changes nothing. */
static void
check_blocked(struct planner *pl, int64_t starts, int64_t need, int64_t left)
{
	const struct deploy_state	*st = pl->st;

	pl->p->blocked = starts == 0 && pl->p->nstops == 0 &&
	    st->can_launch && !st->primary_failed && pl->t.stopping == 0 &&
	    pl->t.in_flight == 0 && (need > 0 || left > 0);
}

void
deploy_plan_replica(const struct deploy_state *st, struct deploy_plan *p)
{
	struct planner			 pl;
	const struct deploy_task	*t;
	size_t				*idx, nidx = 0, i;
	int64_t				 need, room, start, left, unhealthy;
	int				 one = 0;

	planner_init(&pl, st, p);
	stop_free(&pl, 0);

	/* Scale-in: the PRIMARY's surplus. */
	idx = xcalloc(st->ntasks ? st->ntasks : 1, sizeof *idx);
	for (i = 0; i < st->ntasks; i++)
		if (is_live(&pl, i) && is_good(&st->tasks[i]))
			idx[nidx++] = i;
	if (pl.t.good > st->desired)
		stop_surplus(&pl, idx, nidx, pl.t.good - st->desired,
		    DEPLOY_SCALE_IN);
	free(idx);

	need = st->desired - pl.t.good;
	if (need < 0)
		need = 0;
	room = p->bounds.upper - pl.t.total;
	if (room < 0)
		room = 0;
	start = st->can_launch && !st->primary_failed ?
	    (need < room ? need : room) : 0;

	/*
	 * Unhealthy PRIMARY tasks: replaced first when there is room (they
	 * go once the rest, replacements included, cover desired), else one
	 * at a time to make room. They are not healthy, so stopping them
	 * never lowers the healthy count.
	 */
	unhealthy = pl.t.unhealthy;
	for (i = 0; i < st->ntasks; i++) {
		t = &st->tasks[i];
		if (!is_live(&pl, i) || t->deployment != 0 || !t->unhealthy)
			continue;
		if (pl.t.good_healthy + unhealthy - 1 >= st->desired ||
		    (start < need && pl.t.stopping == 0 && !one)) {
			if (pl.t.good_healthy + unhealthy - 1 < st->desired)
				one = 1;
			planner_stop(&pl, i, DEPLOY_UNHEALTHY);
			unhealthy--;
		}
	}

	left = stop_healthy_replaced(&pl, max_deployment(st));
	p->start = start;
	p->missing = need;
	check_blocked(&pl, start, need, left);
	free(pl.gone);
}

int64_t
deploy_daemon_desired(const struct deploy_state *st)
{
	char	*has;
	size_t	 i;
	int64_t	 n = 0;

	has = xcalloc(st->ninstances ? st->ninstances : 1, 1);
	for (i = 0; i < st->ntasks; i++)
		if (!st->tasks[i].stopping && st->tasks[i].instance >= 0 &&
		    (size_t)st->tasks[i].instance < st->ninstances)
			has[st->tasks[i].instance] = 1;
	for (i = 0; i < st->ninstances; i++)
		if (st->instances[i].wanted && (has[i] ||
		    st->instances[i].can_place))
			n++;
	free(has);
	return n;
}

void
deploy_plan_daemon(const struct deploy_state *st, struct deploy_plan *p)
{
	struct planner			 pl;
	const struct deploy_task	*t;
	const struct deploy_instance	*in;
	size_t				*idx, nidx, i, j;
	int64_t				*on, need = 0, left;
	int				 launch;

	planner_init(&pl, st, p);
	p->start_on = xcalloc(st->ninstances ? st->ninstances : 1,
	    sizeof *p->start_on);

	/* Tasks on instances that no longer want one. */
	for (i = 0; i < st->ntasks; i++) {
		t = &st->tasks[i];
		if (!is_live(&pl, i))
			continue;
		in = t->instance >= 0 && (size_t)t->instance <
		    st->ninstances ? &st->instances[t->instance] : NULL;
		if (in != NULL && in->wanted)
			continue;
		/* Daemon tasks leave a draining instance last: until then
		 * the task is held, out of every later step. */
		if (in != NULL && in->draining) {
			if (!t->running || in->others == 0)
				planner_stop(&pl, i, DEPLOY_DRAINING);
			else
				pl.gone[i] = 2;
		} else
			planner_stop(&pl, i, DEPLOY_UNWANTED);
	}
	stop_free(&pl, 1);
	/* An unhealthy task is replaced on its own instance, where the
	 * maximum of 100% leaves no room to start one first. */
	for (i = 0; i < st->ntasks; i++)
		if (is_live(&pl, i) && st->tasks[i].deployment == 0 &&
		    st->tasks[i].unhealthy)
			planner_stop(&pl, i, DEPLOY_UNHEALTHY);

	/* One PRIMARY task per instance: the surplus goes. */
	idx = xcalloc(st->ntasks ? st->ntasks : 1, sizeof *idx);
	for (j = 0; j < st->ninstances; j++) {
		nidx = 0;
		for (i = 0; i < st->ntasks; i++)
			if (is_live(&pl, i) && is_good(&st->tasks[i]) &&
			    st->tasks[i].instance == (int)j)
				idx[nidx++] = i;
		if (nidx > 1)
			stop_surplus(&pl, idx, nidx, (int64_t)nidx - 1,
			    DEPLOY_SCALE_IN);
	}
	free(idx);

	left = stop_healthy_replaced(&pl, max_deployment(st));

	/* Start where the instance has no task of the service left at all
	 * (a task being stopped still holds its place). */
	on = xcalloc(st->ninstances ? st->ninstances : 1, sizeof *on);
	for (i = 0; i < st->ntasks; i++)
		if (st->tasks[i].instance >= 0 &&
		    (size_t)st->tasks[i].instance < st->ninstances)
			on[st->tasks[i].instance]++;
	launch = st->can_launch && !st->primary_failed;
	for (j = 0; j < st->ninstances; j++) {
		in = &st->instances[j];
		if (!in->wanted || !in->can_place)
			continue;
		for (i = 0; i < st->ntasks; i++)
			if (is_live(&pl, i) && is_good(&st->tasks[i]) &&
			    st->tasks[i].instance == (int)j)
				break;
		if (i < st->ntasks)
			continue;
		need++;
		if (launch && on[j] == 0)
			p->start_on[p->nstart_on++] = j;
	}
	free(on);
	p->missing = need;
	check_blocked(&pl, (int64_t)p->nstart_on, need, left);
	free(pl.gone);
}

int
deploy_steady(const struct deploy_state *st)
{
	const struct deploy_task	*t;
	size_t				 i;
	int64_t				 n = 0;

	for (i = 0; i < st->ntasks; i++) {
		t = &st->tasks[i];
		if (t->stopping)
			continue;
		if (t->deployment != 0 || !t->running || !t->healthy ||
		    t->unhealthy || t->draining)
			return 0;
		n++;
	}
	return n == st->desired;
}
