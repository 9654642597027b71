/* The container behaviour model: the ecsim.* label syntax and the pure
 * functions that say when a simulated container exits, how its health
 * checks go and whether its dependencies can be met. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/behaviour.h"

/* At most this many health checks are run in one health_next() call. */
#define HEALTH_MAX_CHECKS	4096
#define LABEL_MAX_WORDS		4

void
behaviour_init(struct behaviour *b)
{
	memset(b, 0, sizeof *b);
	b->pull = -1;
	b->start = -1;
	b->health = BEHAVIOUR_HEALTHY;
}

/* ---- Labels -------------------------------------------------------- */

/* What each label accepts, for the message when a value is wrong. */
static const struct label {
	const char	*key;
	const char	*expected;
} labels[] = {
	{ "ecsim.pull",    "'<duration>', 'fail' or 'fail after <duration>'" },
	{ "ecsim.start",   "'<duration>'" },
	{ "ecsim.exit",    "'never', '<code>' or '<code> after <duration>' "
			   "(code 0-255)" },
	{ "ecsim.health",  "'healthy', 'unhealthy', 'unhealthy after "
			   "<duration>' or 'flapping <duration>'" },
	{ "ecsim.sigterm", "'exit', 'exit <code>' or 'ignore'" },
};

/* Splits value at blanks into at most LABEL_MAX_WORDS words in buf;
 * returns the count, or -1 when there are more. */
static int
label_words(const char *value, char *buf, size_t len,
    char *w[LABEL_MAX_WORDS])
{
	char	*p, *save = NULL;
	int	 n = 0;

	snprintf(buf, len, "%s", value);
	for (p = strtok_r(buf, " \t", &save); p != NULL;
	    p = strtok_r(NULL, " \t", &save)) {
		if (n == LABEL_MAX_WORDS)
			return -1;
		w[n++] = p;
	}
	return n;
}

/* A duration of 0 to 30 days, as --step takes it (30s, 500ms, 5m, 1h). */
static int
label_duration(const char *s, int64_t *ms)
{
	struct err	e;

	return time_parse_duration(s, ms, &e) == 0 && *ms >= 0 &&
	    *ms <= BEHAVIOUR_MAX_DURATION ? 0 : -1;
}

/* An exit code: 0 to 255, digits only. */
static int
label_code(const char *s, int *code)
{
	long	v = 0;

	if (*s == '\0' || strlen(s) > 3)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v > 255)
		return -1;
	*code = (int)v;
	return 0;
}

/* "X after <duration>" tails: words w[i..] are empty or "after D". */
static int
label_after(char **w, int n, int i, int64_t *ms)
{
	if (n == i) {
		*ms = 0;
		return 0;
	}
	if (n != i + 2 || strcmp(w[i], "after") != 0)
		return -1;
	return label_duration(w[i + 1], ms);
}

static int
label_apply(struct behaviour *b, size_t which, char **w, int n)
{
	int64_t	ms;
	int	code;

	switch (which) {
	case 0:		/* ecsim.pull */
		if (n == 1 && label_duration(w[0], &ms) == 0) {
			b->pull = ms;
			b->pull_fails = 0;
			return 0;
		}
		if (n >= 1 && strcmp(w[0], "fail") == 0 &&
		    label_after(w, n, 1, &ms) == 0) {
			b->pull_fails = 1;
			b->pull = n == 1 ? -1 : ms;
			return 0;
		}
		return -1;
	case 1:		/* ecsim.start */
		if (n != 1 || label_duration(w[0], &ms) != 0)
			return -1;
		b->start = ms;
		return 0;
	case 2:		/* ecsim.exit */
		if (n == 1 && strcmp(w[0], "never") == 0) {
			b->exits = 0;
			return 0;
		}
		if (n < 1 || label_code(w[0], &code) != 0 ||
		    label_after(w, n, 1, &ms) != 0)
			return -1;
		b->exits = 1;
		b->exit_code = code;
		b->exit_after = ms;
		return 0;
	case 3:		/* ecsim.health */
		if (n == 1 && strcmp(w[0], "healthy") == 0) {
			b->health = BEHAVIOUR_HEALTHY;
			b->health_after = 0;
			return 0;
		}
		if (n >= 1 && strcmp(w[0], "unhealthy") == 0 &&
		    label_after(w, n, 1, &ms) == 0) {
			b->health = BEHAVIOUR_UNHEALTHY;
			b->health_after = ms;
			return 0;
		}
		if (n == 2 && strcmp(w[0], "flapping") == 0 &&
		    label_duration(w[1], &ms) == 0 && ms > 0) {
			b->health = BEHAVIOUR_FLAPPING;
			b->health_after = ms;
			return 0;
		}
		return -1;
	case 4:		/* ecsim.sigterm */
		if (n == 1 && strcmp(w[0], "ignore") == 0) {
			b->sigterm_ignored = 1;
			return 0;
		}
		if (n >= 1 && n <= 2 && strcmp(w[0], "exit") == 0) {
			code = 0;
			if (n == 2 && label_code(w[1], &code) != 0)
				return -1;
			b->sigterm_ignored = 0;
			b->sigterm_code = code;
			return 0;
		}
		return -1;
	}
	return -1;
}

int
behaviour_parse_label(struct behaviour *b, const char *container,
    const char *key, const char *value, struct err *e)
{
	char	 buf[128], *w[LABEL_MAX_WORDS];
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (strcmp(key, labels[i].key) == 0)
			break;
	if (i == sizeof labels / sizeof labels[0])
		return err_set(e, ERR_INVALID, "Invalid dockerLabels for "
		    "container '%.64s': unknown label '%.64s'. The ecsim labels "
		    "are ecsim.pull, ecsim.start, ecsim.exit, ecsim.health and "
		    "ecsim.sigterm.", container, key);
	n = strlen(value) < sizeof buf ? label_words(value, buf, sizeof buf,
	    w) : -1;
	if (n <= 0 || label_apply(b, i, w, n) != 0)
		return err_set(e, ERR_INVALID, "Invalid dockerLabels for "
		    "container '%.64s': '%s' must be %s, not '%.40s'. Durations "
		    "are like 500ms, 30s or 5m.", container, key,
		    labels[i].expected, value);
	return 0;
}

int
behaviour_parse_labels(struct behaviour *b, const char *container,
    const cJSON *labels_obj, struct err *e)
{
	const cJSON	*j;

	cJSON_ArrayForEach(j, labels_obj) {
		if (j->string == NULL ||
		    !str_has_prefix(j->string, BEHAVIOUR_LABEL_PREFIX))
			continue;
		if (!cJSON_IsString(j))
			return err_set(e, ERR_INVALID, "Invalid dockerLabels for "
			    "container '%.64s': '%.64s' must be a string.",
			    container, j->string);
		if (behaviour_parse_label(b, container, j->string,
		    j->valuestring, e) != 0)
			return -1;
	}
	return 0;
}

/* The index of name in names[0..n), or -1. */
static int
name_index(const char *const *names, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

/* ---- Exits --------------------------------------------------------- */

int64_t
behaviour_exit_at(const struct behaviour *b, int64_t started_at)
{
	return b->exits ? started_at + b->exit_after : 0;
}

int64_t
behaviour_sigterm_exit(const struct behaviour *b, int64_t sigterm_at,
    int64_t stop_step, int64_t stop_timeout, int *code)
{
	if (b->sigterm_ignored) {
		*code = 137;	/* 128 + SIGKILL */
		return sigterm_at + stop_timeout;
	}
	*code = b->sigterm_code;
	return sigterm_at + stop_step;
}

/* ---- Health -------------------------------------------------------- */

static const char *const health_names[] = { "UNKNOWN", "HEALTHY",
	"UNHEALTHY" };

const char *
behaviour_health_name(enum health_status h)
{
	return health_names[h];
}

int
behaviour_health_parse(const char *name)
{
	return name_index(health_names, 3, name);
}

/*
 * Whether a check run `since` ms after start passes, and until when (since
 * start) the answer stays the same: *until is 0 when it never changes.
 */
static int
check_window(const struct behaviour *b, int64_t since, int64_t *until)
{
	int64_t	p = b->health_after;

	*until = 0;
	switch (b->health) {
	case BEHAVIOUR_HEALTHY:
		return 1;
	case BEHAVIOUR_UNHEALTHY:
		if (since < p) {
			*until = p;
			return 1;
		}
		return 0;
	case BEHAVIOUR_FLAPPING:
		/* Healthy first: [0, p) passes, [p, 2p) fails, ... */
		*until = (since / p + 1) * p;
		return (since / p) % 2 == 0;
	}
	return 1;
}

int
behaviour_check_passes(const struct behaviour *b, int64_t since)
{
	int64_t	until;

	return check_window(b, since, &until);
}

void
health_state_start(struct health_state *hs, const struct health_check *hc,
    int64_t started_at)
{
	hs->status = HEALTH_UNKNOWN;
	hs->failures = 0;
	hs->probe_at = started_at + hc->interval;
}

int64_t
health_next(const struct behaviour *b, const struct health_check *hc,
    int64_t started_at, const struct health_state *hs,
    struct health_state *next, int *changed)
{
	struct health_state	s = *hs;
	enum health_status	to;
	int64_t			end = 0, until, cycle, k;
	int			n, pass;

	*changed = 0;
	for (n = 0; n < HEALTH_MAX_CHECKS; n++) {
		pass = check_window(b, s.probe_at - started_at, &until);
		/* Settled: the same answer from here on changes nothing. */
		if (until == 0 && ((pass && s.status == HEALTH_HEALTHY) ||
		    (!pass && s.status == HEALTH_UNHEALTHY))) {
			*next = s;
			return 0;
		}
		/* Within a window, checks that change nothing are skipped. */
		cycle = hc->interval + (pass ? 0 : hc->timeout);
		if (until != 0 && cycle > 0 &&
		    ((pass && s.status == HEALTH_HEALTHY) ||
		    (!pass && s.status == HEALTH_UNHEALTHY))) {
			k = (started_at + until - s.probe_at + cycle - 1) / cycle;
			if (k > 1) {
				s.probe_at += (k - 1) * cycle;
				continue;
			}
		}
		if (pass) {
			end = s.probe_at;
			s.failures = 0;
			to = HEALTH_HEALTHY;
		} else {
			end = s.probe_at + hc->timeout;
			/* Docker: a container that never passed does not
			 * count failures during its start period. */
			if ((s.status != HEALTH_UNKNOWN ||
			    s.probe_at - started_at >= hc->start_period) &&
			    s.failures < hc->retries)
				s.failures++;
			to = s.failures >= hc->retries ? HEALTH_UNHEALTHY :
			    s.status;
		}
		s.probe_at = end + hc->interval;
		if (to != s.status) {
			s.status = to;
			*next = s;
			*changed = 1;
			return end;
		}
	}
	/* A checkpoint, at a check that changed nothing. */
	*next = s;
	return end > hs->probe_at ? end : hs->probe_at;
}

/* ---- Dependencies -------------------------------------------------- */

static const char *const condition_names[] = { "START", "COMPLETE",
	"SUCCESS", "HEALTHY" };

int
behaviour_condition_parse(const char *name)
{
	return name_index(condition_names, 4, name);
}

const char *
behaviour_condition_name(enum dep_condition c)
{
	return condition_names[c];
}

enum dep_verdict
behaviour_dep_verdict(enum dep_condition cond, const struct dep_target *d,
    int64_t now, int64_t *deadline, char *why, size_t whylen)
{
	const char	*waiting = NULL;

	*deadline = 0;
	switch (cond) {
	case DEP_START:
		if (d->started)
			return DEP_MET;
		if (d->stopped) {
			snprintf(why, whylen, "stopped before it started");
			return DEP_NEVER;
		}
		/* Its own dependencies time out, not this wait. */
		return DEP_WAIT;
	case DEP_COMPLETE:
	case DEP_SUCCESS:
		if (d->stopped && !d->has_exit_code) {
			snprintf(why, whylen, "stopped before it started");
			return DEP_NEVER;
		}
		if (d->stopped && cond == DEP_SUCCESS && d->exit_code != 0) {
			snprintf(why, whylen, "exited with code %d",
			    d->exit_code);
			return DEP_NEVER;
		}
		if (d->stopped)
			return DEP_MET;
		waiting = "did not exit";
		break;
	case DEP_HEALTHY:
		if (d->health == HEALTH_HEALTHY)
			return DEP_MET;
		if (d->stopped) {
			snprintf(why, whylen, "stopped before it was HEALTHY");
			return DEP_NEVER;
		}
		waiting = "was not HEALTHY";
		break;
	}
	if (!d->started || d->start_timeout <= 0)
		return DEP_WAIT;
	*deadline = d->started_at + d->start_timeout;
	if (now < *deadline)
		return DEP_WAIT;
	snprintf(why, whylen, "%s within its startTimeout of %llds", waiting,
	    (long long)(d->start_timeout / 1000));
	return DEP_NEVER;
}
