/* The cluster query language: every operator in both forms, every subject,
 * precedence, quoting, limits, and the position each bad expression names.
 * Table-driven: each row is an expression and its exact result. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement/query.h"
#include "util/util.h"
#include "check_run.h"

/*
 * Three instances that differ in every subject:
 * A: t2.small in us-east-1a, agent 1.10.0 connected, 2 running tasks of
 *    groups service:production and family:web, color blue, size 10, flag.
 * B: m5.large in us-east-1b, agent 1.9.0 disconnected, no tasks, size 9,
 *    no color.
 * C: t2.micro in us-east-1c, windows, agent version unknown, 1 task of
 *    group database, color "dark blue", size abc.
 */
static const struct query_attr attrs_a[] = {
	{ "ecs.instance-type", "t2.small" },
	{ "ecs.availability-zone", "us-east-1a" },
	{ "ecs.os-type", "linux" },
	{ "ecs.ami-id", "ami-12345678" },
	{ "color", "blue" },
	{ "size", "10" },
	{ "flag", NULL },
};
static const struct query_attr attrs_b[] = {
	{ "ecs.instance-type", "m5.large" },
	{ "ecs.availability-zone", "us-east-1b" },
	{ "ecs.os-type", "linux" },
	{ "ecs.ami-id", "ami-87654321" },
	{ "size", "9" },
};
static const struct query_attr attrs_c[] = {
	{ "ecs.instance-type", "t2.micro" },
	{ "ecs.availability-zone", "us-east-1c" },
	{ "ecs.os-type", "windows" },
	{ "ecs.ami-id", "ami-12345678" },
	{ "color", "dark blue" },
	{ "size", "abc" },
};
static const char *const groups_a[] = { "service:production", "family:web" };
static const char *const groups_c[] = { "database" };

#define N(a)	(sizeof (a) / sizeof (a)[0])

static const struct query_instance instances[3] = {
	{ "i-0aaa", "1.10.0", 1, 1529360908500LL /* 2018-06-18T22:28:28.5Z */,
	    2, attrs_a, N(attrs_a), groups_a, N(groups_a) },
	{ "i-0bbb", "1.9.0", 0, 1546300800000LL /* 2019-01-01T00:00:00Z */,
	    0, attrs_b, N(attrs_b), NULL, 0 },
	{ "i-0ccc", NULL, 1, 1529280000000LL /* 2018-06-18T00:00:00Z */,
	    1, attrs_c, N(attrs_c), groups_c, N(groups_c) },
};

/* An expression and which of A, B, C it matches ("101": A and C). */
static const struct {
	const char	*expr;
	const char	*want;
} matches[] = {
	/* Each operator, symbol and word form. */
	{ "attribute:ecs.instance-type == t2.small", "100" },
	{ "attribute:ecs.instance-type equals t2.small", "100" },
	{ "attribute:ecs.instance-type != t2.small", "011" },
	{ "attribute:ecs.instance-type not_equals t2.small", "011" },
	{ "runningTasksCount > 1", "100" },
	{ "runningTasksCount greater_than 1", "100" },
	{ "runningTasksCount >= 1", "101" },
	{ "runningTasksCount greater_than_equal 1", "101" },
	{ "runningTasksCount < 1", "010" },
	{ "runningTasksCount less_than 1", "010" },
	{ "runningTasksCount <= 1", "011" },
	{ "runningTasksCount less_than_equal 1", "011" },
	{ "attribute:color exists", "101" },
	{ "attribute:color !exists", "010" },
	{ "attribute:color not_exists", "010" },
	{ "attribute:flag exists", "100" },
	{ "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
	    "110" },
	{ "attribute:ecs.availability-zone !in [us-east-1a, us-east-1b]",
	    "001" },
	{ "attribute:ecs.availability-zone not_in [us-east-1a,us-east-1b]",
	    "001" },
	{ "attribute:ecs.instance-type =~ t2.*", "101" },
	{ "attribute:ecs.instance-type matches t2.*", "101" },
	{ "attribute:ecs.instance-type !~ t2.*", "010" },
	{ "attribute:ecs.instance-type not_matches t2.*", "010" },
	/* Patterns match the whole value, not a part of it. */
	{ "attribute:ecs.instance-type =~ small", "000" },
	{ "attribute:ecs.instance-type =~ .*small", "100" },
	{ "attribute:ecs.instance-type =~ 't2\\.(small|micro)'", "101" },
	{ "attribute:ecs.instance-type =~ \"m5\\.[a-z]+\"", "010" },
	{ "attribute:ecs.instance-type =~ 't2|m5.large'", "010" },
	/* Repeats that are not hostile run. */
	{ "ec2InstanceId =~ 'i-0[a-c]{3}'", "111" },
	{ "ec2InstanceId =~ 'i-0(a{3}|b{3})'", "110" },
	{ "attribute:ecs.ami-id =~ 'ami-([0-9]+[a-z]*)+'", "111" },
	{ "attribute:size =~ '.{0,255}'", "111" },
	{ "attribute:size =~ '[[:digit:]]{1,2}'", "110" },
	/* A missing attribute: only the negative forms hold. */
	{ "attribute:color == blue", "100" },
	{ "attribute:color != blue", "011" },
	{ "attribute:color in [blue, red]", "100" },
	{ "attribute:color !in [blue, red]", "011" },
	{ "attribute:color =~ .*blue", "101" },
	{ "attribute:color !~ .*blue", "010" },
	{ "attribute:color > a", "101" },
	{ "attribute:color <= a", "000" },
	{ "attribute:flag == x", "000" },
	{ "attribute:flag != x", "111" },
	{ "attribute:flag =~ .*", "000" },
	{ "attribute:nothing !exists", "111" },
	/* Numbers compare as numbers when both sides are, else as text. */
	{ "attribute:size > 9", "101" },
	{ "attribute:size < 9.5", "010" },
	{ "attribute:size <= 10", "110" },
	{ "attribute:size == 10", "100" },
	{ "attribute:size == 10.0", "000" },
	{ "attribute:ecs.availability-zone < us-east-1b", "100" },
	/* Subjects. */
	{ "agentConnected == true", "101" },
	{ "agentConnected == false", "010" },
	{ "agentConnected != true", "010" },
	{ "agentConnected in [false]", "010" },
	{ "agentConnected =~ t.*", "101" },
	{ "agentVersion > 1.9.0", "100" },
	{ "agentVersion >= 1.9", "110" },
	{ "agentVersion == 1.10", "100" },
	{ "agentVersion < 1.10.0", "010" },
	{ "agentVersion != 1.9.0", "101" },
	{ "ec2InstanceId == i-0bbb", "010" },
	{ "ec2InstanceId in ['i-0aaa', \"i-0ccc\"]", "101" },
	{ "ec2InstanceId =~ 'i-0[ab]+'", "110" },
	{ "registeredAt == 2018-06-18", "101" },
	{ "registeredAt < 2018-06-19", "101" },
	{ "registeredAt > 2018-06-18", "010" },
	{ "registeredAt >= 2018-06-18", "111" },
	{ "registeredAt <= 2018-06-18T00:00:00", "001" },
	{ "registeredAt == 2018-06-18T22:28:28Z", "100" },
	{ "registeredAt == 2018-06-19T00:28:28+02:00", "100" },
	{ "registeredAt > 2018-12-31T23:59:59", "010" },
	{ "registeredAt != 2019-01-01", "101" },
	{ "runningTasksCount == 0", "010" },
	{ "runningTasksCount in [0, 1]", "011" },
	{ "runningTasksCount !in [0, 1]", "100" },
	{ "task:group == service:production", "100" },
	{ "task:group != database", "110" },
	{ "task:group in [database, family:web]", "101" },
	{ "task:group !in [database]", "110" },
	/* and/or/not, precedence not > and > or, parentheses. */
	{ "attribute:ecs.instance-type =~ t2.* and "
	    "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
	    "100" },
	{ "not(task:group == database)", "110" },
	{ "(task:group == database) or attribute:color == blue", "101" },
	{ "runningTasksCount == 0 or agentConnected == true and "
	    "attribute:ecs.os-type == windows", "011" },
	{ "(runningTasksCount == 0 or agentConnected == true) and "
	    "attribute:ecs.os-type == windows", "001" },
	{ "not runningTasksCount == 0 and agentConnected == true", "101" },
	{ "not (runningTasksCount == 0 and agentConnected == false)", "101" },
	{ "!agentConnected == true", "010" },
	{ "runningTasksCount == 0 || task:group == database && "
	    "agentConnected == true", "011" },
	{ "not not attribute:color exists", "101" },
	{ "((((attribute:color exists))))", "101" },
	/* Blanks are free. */
	{ "runningTasksCount>=1&&attribute:ecs.os-type==linux", "100" },
	{ "attribute:color\texists\nor\trunningTasksCount == 0", "111" },
	{ "  task:group==database  ", "001" },
	/* Quoting. */
	{ "attribute:color == 'dark blue'", "001" },
	{ "attribute:color == \"dark blue\"", "001" },
	{ "attribute:color in [\"dark blue\", 'blue']", "101" },
	{ "attribute:color == \"it's\"", "000" },
	{ "task:group == \"service:production\"", "100" },
};

START_TEST(test_match_table)
{
	struct query	*q;
	struct err	 e;
	size_t		 k;
	char		 got[4];

	for (k = 0; k < N(matches); k++) {
		err_clear(&e);
		if (query_parse(matches[k].expr, &q, &e) != 0)
			ck_abort_msg("%s: %s", matches[k].expr, e.msg);
		for (size_t i = 0; i < 3; i++)
			got[i] = query_match(q, &instances[i]) ? '1' : '0';
		got[3] = '\0';
		ck_assert_msg(strcmp(got, matches[k].want) == 0,
		    "%s: matched %s, want %s", matches[k].expr, got,
		    matches[k].want);
		ck_assert_str_eq(query_text(q), matches[k].expr);
		query_free(q);
	}
}
END_TEST

/* A bad expression and the exact message it gets. */
static const struct {
	const char	*expr;
	const char	*msg;
} errors[] = {
	{ "", "Invalid query expression at position 1: expected a condition "
	    "such as attribute:ecs.instance-type == t2.small, found the end "
	    "of the expression" },
	{ "(attribute:color exists", "Invalid query expression at position "
	    "24: expected 'and', 'or' or ')' to close the '(' at position 1, "
	    "found the end of the expression" },
	{ "attribute:color exists)", "Invalid query expression at position "
	    "23: ')' closes no '('" },
	{ "attribute:color ==", "Invalid query expression at position 19: "
	    "expected a value after '==', found the end of the expression" },
	{ "attribute:color == )", "Invalid query expression at position 20: "
	    "expected a value after '==', found ')'" },
	{ "attribute:ecs.os-type", "Invalid query expression at position 22: "
	    "expected an operator after 'attribute:ecs.os-type'" },
	{ "attribute:ecs.os-type and agentConnected == true", "Invalid query "
	    "expression at position 23: expected an operator after "
	    "'attribute:ecs.os-type'" },
	{ "attribute:color is blue", "Invalid query expression at position "
	    "17: unknown operator 'is'; expected ==, !=, >, >=, <, <=, exists, "
	    "!exists, in, !in, =~ or !~ (or their word forms)" },
	{ "runningTasksCount === 1", "Invalid query expression at position "
	    "19: unknown operator '==='; expected ==, !=, >, >=, <, <=, exists, "
	    "!exists, in, !in, =~ or !~ (or their word forms)" },
	{ "color == blue", "Invalid query expression at position 1: unknown "
	    "subject 'color'; expected attribute:<name>, agentConnected, "
	    "agentVersion, ec2InstanceId, registeredAt, runningTasksCount or "
	    "task:group" },
	{ "attribute: == x", "Invalid query expression at position 11: "
	    "expected an attribute name after 'attribute:'" },
	{ "attribute:a*b exists", "Invalid query expression at position 11: "
	    "'a*b' is not an attribute name: names have letters, digits, - _ . "
	    "/ and \\" },
	{ "attribute:color in blue", "Invalid query expression at position "
	    "20: expected a list such as [a, b] after 'in'" },
	{ "attribute:color in [a, b", "Invalid query expression at position "
	    "25: expected ',' or ']' to close the list opened at position 20" },
	{ "attribute:color in []", "Invalid query expression at position 21: "
	    "expected a value in the list" },
	{ "agentVersion exists", "Invalid query expression at position 14: "
	    "'exists' cannot be used with agentVersion; use ==, !=, >, >=, <, "
	    "<=" },
	{ "task:group =~ db", "Invalid query expression at position 12: "
	    "'=~' cannot be used with task:group; use ==, !=, in, !in" },
	{ "registeredAt > 2018-13-01", "Invalid query expression at position "
	    "16: expected a date such as 2018-06-18 or 2018-06-18T22:28:28Z, "
	    "not '2018-13-01'" },
	{ "registeredAt > 2019-02-29", "Invalid query expression at position "
	    "16: expected a date such as 2018-06-18 or 2018-06-18T22:28:28Z, "
	    "not '2019-02-29'" },
	{ "agentVersion > 1.x", "Invalid query expression at position 16: "
	    "expected an agent version such as 1.10.0, not '1.x'" },
	{ "runningTasksCount in [1, two]", "Invalid query expression at "
	    "position 26: runningTasksCount is compared with a whole number, "
	    "not 'two'" },
	{ "agentConnected == yes", "Invalid query expression at position 19: "
	    "agentConnected is true or false, not 'yes'" },
	{ "attribute:color == 'blue", "Invalid query expression at position "
	    "20: the quoted value that starts here has no closing '" },
	{ "attribute:color == blue red", "Invalid query expression at "
	    "position 25: expected 'and', 'or' or the end of the expression, "
	    "found 'red'" },
	{ "attribute:color exists and", "Invalid query expression at position "
	    "27: expected a condition such as attribute:ecs.instance-type == "
	    "t2.small, found the end of the expression" },
	/* Patterns that would crash or stall the C library's regcomp. */
	{ "attribute:x =~ '(|)(\\1\\1)*'", "Invalid query expression at "
	    "position 16: '(|)(\\1\\1)*' is refused: back-references such as "
	    "\\1 are not supported" },
	{ "attribute:x =~ '((a|.*)*)?b'", "Invalid query expression at "
	    "position 16: '((a|.*)*)?b' is refused: it repeats a group that "
	    "holds a repeated group" },
	{ "attribute:x =~ '.{0,255}.{0,255}'", "Invalid query expression at "
	    "position 16: '.{0,255}.{0,255}' is refused: its {m,n} counts add "
	    "more than 256 positions" },
	{ "attribute:x =~ a{1000}", "Invalid query expression at position 16: "
	    "'a{1000}' is refused: its {m,n} counts add more than 256 "
	    "positions" },
	{ "attribute:x =~ '(ab){100}{3}'", "Invalid query expression at "
	    "position 16: '(ab){100}{3}' is refused: its {m,n} counts add more "
	    "than 256 positions" },
	/* Keywords are lowercase. */
	{ "attribute:color exists AND runningTasksCount == 0", "Invalid query "
	    "expression at position 24: expected 'and', 'or' or the end of the "
	    "expression, found 'AND'" },
	/* Positions count characters, not bytes. */
	{ "attribute:color == caf\xc3\xa9 oops", "Invalid query expression at "
	    "position 25: expected 'and', 'or' or the end of the expression, "
	    "found 'oops'" },
};

START_TEST(test_error_table)
{
	struct query	*q;
	struct err	 e;
	size_t		 k;

	for (k = 0; k < N(errors); k++) {
		err_clear(&e);
		q = (struct query *)&e;		/* must be reset to NULL */
		ck_assert_msg(query_parse(errors[k].expr, &q, &e) == -1,
		    "%s: parsed", errors[k].expr);
		ck_assert_ptr_null(q);
		ck_assert_int_eq(e.code, ERR_INVALID);
		ck_assert_str_eq(e.msg, errors[k].msg);
	}
}
END_TEST

START_TEST(test_bad_regex)
{
	static const char prefix[] = "Invalid query expression at position "
	    "32: 't2.(' is not a valid regular expression: ";
	struct query	*q;
	struct err	 e;

	ck_assert_int_eq(query_parse("attribute:ecs.instance-type =~ 't2.('",
	    &q, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	/* The rest is the C library's own words for the fault. */
	ck_assert_msg(strncmp(e.msg, prefix, strlen(prefix)) == 0 &&
	    strlen(e.msg) > strlen(prefix), "%s", e.msg);
}
END_TEST

/* 2,000 characters parse, 2,001 do not; characters, not bytes. */
START_TEST(test_length_limit)
{
	struct query	*q;
	struct err	 e;
	char		*text;
	size_t		 head = strlen("attribute:x == "), i;

	text = xcalloc(1, 2 * QUERY_MAX_LEN + 8);
	memcpy(text, "attribute:x == ", head);
	memset(text + head, 'a', QUERY_MAX_LEN - head);
	ck_assert_int_eq(query_parse(text, &q, &e), 0);
	query_free(q);
	text[QUERY_MAX_LEN] = 'a';
	ck_assert_int_eq(query_parse(text, &q, &e), -1);
	ck_assert_str_eq(e.msg, "Invalid query expression at position 2001: "
	    "an expression has at most 2000 characters, this one has 2001");
	/* 1,985 two-byte characters: 3,985 bytes but 2,000 characters. */
	for (i = 0; i < QUERY_MAX_LEN - head; i++)
		memcpy(text + head + 2 * i, "\xc3\xa9", 2);
	text[head + 2 * i] = '\0';
	ck_assert_int_eq(query_parse(text, &q, &e), 0);
	query_free(q);
	free(text);
}
END_TEST

/* n copies of open, then core, then n copies of close unless it is NUL. */
static void
nested(char *buf, size_t len, char open, int n, const char *core, char close)
{
	int	i, used = 0;

	for (i = 0; i < n; i++)
		buf[used++] = open;
	used += snprintf(buf + used, len - (size_t)used, "%s", core);
	for (i = 0; close != '\0' && i < n; i++)
		buf[used++] = close;
	buf[used] = '\0';
}

/* 32 levels of parentheses and nots parse; the 33rd is refused. */
START_TEST(test_depth_limit)
{
	struct query	*q;
	struct err	 e;
	char		 text[256];

	nested(text, sizeof text, '(', QUERY_MAX_DEPTH - 1,
	    "not runningTasksCount == 0", ')');
	ck_assert_int_eq(query_parse(text, &q, &e), 0);
	ck_assert_int_eq(query_match(q, &instances[0]), 1);
	ck_assert_int_eq(query_match(q, &instances[1]), 0);
	query_free(q);

	nested(text, sizeof text, '(', QUERY_MAX_DEPTH,
	    "not runningTasksCount == 0", ')');
	ck_assert_int_eq(query_parse(text, &q, &e), -1);
	ck_assert_str_eq(e.msg, "Invalid query expression at position 33: "
	    "the expression nests deeper than 32 levels of parentheses and "
	    "nots");
	/* A hostile run of nots stops at the limit too. */
	nested(text, sizeof text, '!', 60, "runningTasksCount == 0", '\0');
	ck_assert_int_eq(query_parse(text, &q, &e), -1);
	ck_assert_str_eq(e.msg, "Invalid query expression at position 33: "
	    "the expression nests deeper than 32 levels of parentheses and "
	    "nots");
}
END_TEST

/* 100 values in a list parse; 101 do not. */
START_TEST(test_list_limit)
{
	struct query	*q;
	struct err	 e;
	char		 text[1024], want[128];
	int		 i, n, at = 0;

	n = snprintf(text, sizeof text, "runningTasksCount in [");
	for (i = 0; i < QUERY_MAX_LIST; i++)
		n += snprintf(text + n, sizeof text - n, "%s%d", i ? "," : "",
		    i + 100);
	snprintf(text + n, sizeof text - n, "]");
	ck_assert_int_eq(query_parse(text, &q, &e), 0);
	ck_assert_int_eq(query_match(q, &instances[0]), 0);
	query_free(q);
	at = n + 2;		/* the 101st value, after its comma */
	snprintf(text + n, sizeof text - n, ",2]");
	ck_assert_int_eq(query_parse(text, &q, &e), -1);
	snprintf(want, sizeof want, "Invalid query expression at position "
	    "%d: a list has at most 100 values", at);
	ck_assert_str_eq(e.msg, want);
}
END_TEST

/* The sentence query_explain writes, and the result it returns. */
static const struct {
	const char	*expr;
	int		 inst;
	int		 want;
	const char	*why;
} explains[] = {
	{ "attribute:ecs.instance-type =~ t2.* and runningTasksCount == 0", 0,
	    0, "runningTasksCount == 0 is false: runningTasksCount is 2" },
	{ "attribute:ecs.instance-type =~ t2.* and runningTasksCount == 0", 1,
	    0, "attribute:ecs.instance-type =~ t2.* is false: "
	    "ecs.instance-type is m5.large" },
	{ "attribute:color == blue", 1, 0, "attribute:color == blue is false: "
	    "the instance has no attribute color" },
	{ "attribute:flag == x", 0, 0, "attribute:flag == x is false: flag "
	    "has no value" },
	{ "task:group == x or agentConnected == false", 0, 0, "task:group == "
	    "x is false: its task groups are service:production, family:web; "
	    "agentConnected == false is false: agentConnected is true" },
	{ "task:group == x or runningTasksCount > 0", 2, 1,
	    "runningTasksCount > 0 is true: runningTasksCount is 1" },
	{ "not(task:group == database)", 2, 0, "task:group == database is "
	    "true: its task groups are database" },
	{ "task:group == database", 1, 0, "task:group == database is false: "
	    "no task on the instance has a group" },
	{ "agentVersion >= 1.0.0", 2, 0, "agentVersion >= 1.0.0 is false: its "
	    "agent version is unknown" },
	{ "registeredAt > 2018-06-18 and ec2InstanceId == i-0bbb", 1, 1,
	    "registeredAt > 2018-06-18 is true: registeredAt is "
	    "2019-01-01T00:00:00.000Z; ec2InstanceId == i-0bbb is true: "
	    "ec2InstanceId is i-0bbb" },
};

START_TEST(test_explain)
{
	struct query	*q;
	struct err	 e;
	char		 buf[512], small[12];
	size_t		 k;

	for (k = 0; k < N(explains); k++) {
		ck_assert_int_eq(query_parse(explains[k].expr, &q, &e), 0);
		ck_assert_int_eq(query_explain(q, &instances[explains[k].inst],
		    buf, sizeof buf), explains[k].want);
		ck_assert_int_eq(query_match(q, &instances[explains[k].inst]),
		    explains[k].want);
		ck_assert_str_eq(buf, explains[k].why);
		query_free(q);
	}
	/* A short buffer gets the start of the sentence, terminated. */
	ck_assert_int_eq(query_parse("attribute:color == blue", &q, &e), 0);
	ck_assert_int_eq(query_explain(q, &instances[0], small, sizeof small),
	    1);
	ck_assert_str_eq(small, "attribute:c");
	query_free(q);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("query");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_match_table);
	tcase_add_test(tc, test_error_table);
	tcase_add_test(tc, test_bad_regex);
	tcase_add_test(tc, test_length_limit);
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_list_limit);
	tcase_add_test(tc, test_explain);
	suite_add_tcase(s, tc);
	return check_run(s);
}
