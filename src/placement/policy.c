/* Placement policies: reading ECS's placementStrategy and
 * placementConstraints shapes into checked strategies and parsed
 * constraints, ECS's defaults, and writing them back normalized. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "placement/placement.h"
#include "placement/query.h"

void
placement_policy_init(struct placement_policy *pol)
{
	memset(pol, 0, sizeof *pol);
}

void
placement_policy_clear(struct placement_policy *pol)
{
	size_t	i;

	if (pol == NULL)
		return;
	for (i = 0; i < pol->nstrategies; i++)
		free(pol->strategies[i].field_text);
	for (i = 0; i < pol->nconstraints; i++)
		query_free(pol->constraints[i].query);
	memset(pol, 0, sizeof *pol);
}

static void
strategy_set(struct placement_strategy *s, enum placement_strategy_type type,
    enum placement_field field, const char *text)
{
	s->type = type;
	s->field = field;
	s->field_text = text != NULL ? xstrdup(text) : NULL;
	s->attribute = field == PLACEMENT_FIELD_ATTRIBUTE ?
	    s->field_text + strlen("attribute:") : NULL;
}

/* The string member name of item, or NULL; -1 when it is not a string. */
static int
item_str(const cJSON *item, const char *name, const char *where, int idx,
    const char **out, struct err *e)
{
	const cJSON	*j = cJSON_GetObjectItemCaseSensitive(item, name);

	*out = NULL;
	if (j == NULL || cJSON_IsNull(j))
		return 0;
	if (!cJSON_IsString(j))
		return err_set(e, ERR_INVALID, "%s[%d].%s must be a string.",
		    where, idx, name);
	*out = j->valuestring;
	return 0;
}

/* An attribute name as ECS stores them: 1-128 of [A-Za-z0-9-_./\]. */
static int
attribute_name_ok(const char *s)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789-_./\\", s[i]) == NULL)
			return 0;
	return 1;
}

/* One placementStrategy item into s (field_text allocated on success). */
static int
strategy_read(const cJSON *item, const char *where, int idx,
    struct placement_strategy *s, struct err *e)
{
	const char	*type, *field;

	if (!cJSON_IsObject(item))
		return err_set(e, ERR_INVALID, "%s[%d] must be an object with "
		    "a type.", where, idx);
	if (item_str(item, "type", where, idx, &type, e) != 0 ||
	    item_str(item, "field", where, idx, &field, e) != 0)
		return -1;
	if (type == NULL)
		return err_set(e, ERR_INVALID, "%s[%d].type is required: "
		    "random, spread or binpack.", where, idx);
	if (strcmp(type, "random") == 0) {
		if (field != NULL)
			return err_set(e, ERR_INVALID, "%s[%d]: the random "
			    "placement strategy takes no field, not '%.64s'.",
			    where, idx, field);
		strategy_set(s, PLACEMENT_RANDOM, PLACEMENT_FIELD_NONE, NULL);
		return 0;
	}
	if (strcmp(type, "binpack") == 0) {
		if (field != NULL && strcasecmp(field, "cpu") == 0)
			strategy_set(s, PLACEMENT_BINPACK, PLACEMENT_FIELD_CPU,
			    "cpu");
		else if (field != NULL && strcasecmp(field, "memory") == 0)
			strategy_set(s, PLACEMENT_BINPACK,
			    PLACEMENT_FIELD_MEMORY, "memory");
		else
			return err_set(e, ERR_INVALID, "%s[%d]: the binpack "
			    "placement strategy takes field cpu or memory, not "
			    "'%.64s'.", where, idx, field ? field : "");
		return 0;
	}
	if (strcmp(type, "spread") == 0) {
		if (field != NULL && (strcasecmp(field, "instanceId") == 0 ||
		    strcasecmp(field, "host") == 0))
			strategy_set(s, PLACEMENT_SPREAD,
			    PLACEMENT_FIELD_INSTANCE, strcasecmp(field,
			    "host") == 0 ? "host" : "instanceId");
		else if (field != NULL && str_has_prefix(field,
		    "attribute:") && attribute_name_ok(field +
		    strlen("attribute:")))
			strategy_set(s, PLACEMENT_SPREAD,
			    PLACEMENT_FIELD_ATTRIBUTE, field);
		else
			return err_set(e, ERR_INVALID, "%s[%d]: the spread "
			    "placement strategy takes field instanceId, host or "
			    "attribute:<name>, not '%.64s'.", where, idx,
			    field ? field : "");
		return 0;
	}
	return err_set(e, ERR_INVALID, "1 validation error detected: Value "
	    "'%.64s' at '%s.%d.member.type' failed to satisfy constraint: "
	    "Member must satisfy enum value set: [random, spread, binpack]",
	    type, where, idx + 1);
}

/*
 * The prologue both lists share: 0 when there is no list, 1 when there is
 * one to read, -1 when it is not a list or would make more than max.
 */
static int
list_check(const cJSON *list, const char *where, const char *what,
    size_t have, size_t max, struct err *e)
{
	size_t	n;

	if (list == NULL || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return err_set(e, ERR_INVALID, "%s must be a list.", where);
	n = have + (size_t)cJSON_GetArraySize(list);
	if (n > max)
		return err_set(e, ERR_INVALID, "Too many placement %s: %zu with "
		    "%s; at most %zu are allowed.", what, n, where, max);
	return 1;
}

int
placement_policy_add_strategies(struct placement_policy *pol,
    const cJSON *list, const char *where, struct err *e)
{
	const cJSON	*item;
	int		 idx = 0, rc;

	if ((rc = list_check(list, where, "strategies", pol->nstrategies,
	    PLACEMENT_MAX_STRATEGIES, e)) <= 0)
		return rc;
	cJSON_ArrayForEach(item, list) {
		if (strategy_read(item, where, idx++,
		    &pol->strategies[pol->nstrategies], e) != 0)
			return -1;
		pol->nstrategies++;
	}
	return 0;
}

/* One placementConstraints item into c (query allocated on success). */
static int
constraint_read(const cJSON *item, const char *where, int idx,
    struct placement_constraint *c, struct err *e)
{
	struct err	 qe;
	const char	*type, *expr;

	if (!cJSON_IsObject(item))
		return err_set(e, ERR_INVALID, "%s[%d] must be an object with "
		    "a type.", where, idx);
	if (item_str(item, "type", where, idx, &type, e) != 0 ||
	    item_str(item, "expression", where, idx, &expr, e) != 0)
		return -1;
	if (type == NULL)
		return err_set(e, ERR_INVALID, "%s[%d].type is required: "
		    "distinctInstance or memberOf.", where, idx);
	memset(c, 0, sizeof *c);
	if (strcmp(type, "distinctInstance") == 0) {
		if (expr != NULL && *expr != '\0')
			return err_set(e, ERR_INVALID, "%s[%d]: a "
			    "distinctInstance constraint takes no expression.",
			    where, idx);
		c->type = PLACEMENT_DISTINCT_INSTANCE;
		return 0;
	}
	if (strcmp(type, "memberOf") != 0)
		return err_set(e, ERR_INVALID, "1 validation error detected: "
		    "Value '%.64s' at '%s.%d.member.type' failed to satisfy "
		    "constraint: Member must satisfy enum value set: "
		    "[distinctInstance, memberOf]", type, where, idx + 1);
	if (expr == NULL || *expr == '\0')
		return err_set(e, ERR_INVALID, "%s[%d]: a memberOf constraint "
		    "needs an expression.", where, idx);
	if (strlen(expr) > PLACEMENT_MAX_EXPRESSION)
		return err_set(e, ERR_INVALID, "%s[%d].expression has %zu "
		    "characters; at most %d are allowed.", where, idx,
		    strlen(expr), PLACEMENT_MAX_EXPRESSION);
	err_clear(&qe);
	if (query_parse(expr, &c->query, &qe) != 0)
		return err_set(e, ERR_INVALID, "%s[%d].expression: %s", where,
		    idx, qe.msg);
	c->type = PLACEMENT_MEMBER_OF;
	return 0;
}

int
placement_policy_add_constraints(struct placement_policy *pol,
    const cJSON *list, const char *where, struct err *e)
{
	const cJSON	*item;
	int		 idx = 0, rc;

	if ((rc = list_check(list, where, "constraints", pol->nconstraints,
	    PLACEMENT_MAX_CONSTRAINTS, e)) <= 0)
		return rc;
	cJSON_ArrayForEach(item, list) {
		if (constraint_read(item, where, idx++,
		    &pol->constraints[pol->nconstraints], e) != 0)
			return -1;
		pol->nconstraints++;
	}
	return 0;
}

void
placement_policy_default(struct placement_policy *pol, int service)
{
	if (pol->nstrategies > 0)
		return;
	if (!service) {
		strategy_set(&pol->strategies[0], PLACEMENT_RANDOM,
		    PLACEMENT_FIELD_NONE, NULL);
		pol->nstrategies = 1;
		return;
	}
	strategy_set(&pol->strategies[0], PLACEMENT_SPREAD,
	    PLACEMENT_FIELD_ATTRIBUTE, "attribute:" PLACEMENT_ZONE_ATTRIBUTE);
	strategy_set(&pol->strategies[1], PLACEMENT_SPREAD,
	    PLACEMENT_FIELD_INSTANCE, "instanceId");
	pol->nstrategies = 2;
}

static const char *
strategy_type_name(enum placement_strategy_type t)
{
	switch (t) {
	case PLACEMENT_RANDOM:
		return "random";
	case PLACEMENT_SPREAD:
		return "spread";
	case PLACEMENT_BINPACK:
		return "binpack";
	}
	return "";
}

cJSON *
placement_policy_strategies_json(const struct placement_policy *pol)
{
	cJSON	*list = cJSON_CreateArray(), *o;
	size_t	 i;

	for (i = 0; i < pol->nstrategies; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type",
		    strategy_type_name(pol->strategies[i].type));
		if (pol->strategies[i].field_text != NULL)
			cJSON_AddStringToObject(o, "field",
			    pol->strategies[i].field_text);
		cJSON_AddItemToArray(list, o);
	}
	return list;
}

cJSON *
placement_policy_constraints_json(const struct placement_policy *pol)
{
	cJSON	*list = cJSON_CreateArray(), *o;
	size_t	 i;

	for (i = 0; i < pol->nconstraints; i++) {
		o = cJSON_CreateObject();
		switch (pol->constraints[i].type) {
		case PLACEMENT_DISTINCT_INSTANCE:
			cJSON_AddStringToObject(o, "type", "distinctInstance");
			break;
		case PLACEMENT_MEMBER_OF:
			cJSON_AddStringToObject(o, "type", "memberOf");
			cJSON_AddStringToObject(o, "expression",
			    query_text(pol->constraints[i].query));
			break;
		}
		cJSON_AddItemToArray(list, o);
	}
	return list;
}

void
placement_strategy_name(const struct placement_strategy *s, char *buf,
    size_t len)
{
	if (s->field_text != NULL)
		snprintf(buf, len, "%s(%s)", strategy_type_name(s->type),
		    s->field_text);
	else
		snprintf(buf, len, "%s", strategy_type_name(s->type));
}
