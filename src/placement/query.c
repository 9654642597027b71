/* The cluster query language: a recursive-descent parser into a small tree
 * of and/or/not nodes over conditions, and its evaluation against one
 * instance. Pure: what it reads comes in through the arguments. */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement/query.h"

enum query_subject {
	QUERY_ATTRIBUTE,
	QUERY_AGENT_CONNECTED,
	QUERY_AGENT_VERSION,
	QUERY_EC2_INSTANCE_ID,
	QUERY_REGISTERED_AT,
	QUERY_RUNNING_TASKS_COUNT,
	QUERY_TASK_GROUP,
};

enum query_op {
	QUERY_EQ,
	QUERY_NE,
	QUERY_GT,
	QUERY_GE,
	QUERY_LT,
	QUERY_LE,
	QUERY_EXISTS,
	QUERY_NOT_EXISTS,
	QUERY_IN,
	QUERY_NOT_IN,
	QUERY_MATCHES,
	QUERY_NOT_MATCHES,
};

#define OP(o)		(1u << (o))
#define OPS_ORDER	(OP(QUERY_GT) | OP(QUERY_GE) | OP(QUERY_LT) | OP(QUERY_LE))
#define OPS_EQUAL	(OP(QUERY_EQ) | OP(QUERY_NE))
#define OPS_LIST	(OP(QUERY_IN) | OP(QUERY_NOT_IN))
#define OPS_REGEX	(OP(QUERY_MATCHES) | OP(QUERY_NOT_MATCHES))
#define OPS_EXISTS	(OP(QUERY_EXISTS) | OP(QUERY_NOT_EXISTS))

enum query_arg {
	ARG_NONE,
	ARG_VALUE,
	ARG_LIST,
	ARG_REGEX,
};

/*
 * Each operator in its symbol and word forms. A negated operator is
 * evaluated as its positive one, then inverted: that is what makes "!="
 * true of an instance that lacks the attribute while "==" is false.
 */
static const struct op_def {
	const char	*symbol;	/* NULL: the word form only */
	const char	*word;
	enum query_op	 op;
	enum query_op	 positive;
	enum query_arg	 arg;
} op_defs[] = {
	{ "==",		"equals",		QUERY_EQ,	   QUERY_EQ,	  ARG_VALUE },
	{ "!=",		"not_equals",		QUERY_NE,	   QUERY_EQ,	  ARG_VALUE },
	{ ">",		"greater_than",		QUERY_GT,	   QUERY_GT,	  ARG_VALUE },
	{ ">=",		"greater_than_equal",	QUERY_GE,	   QUERY_GE,	  ARG_VALUE },
	{ "<",		"less_than",		QUERY_LT,	   QUERY_LT,	  ARG_VALUE },
	{ "<=",		"less_than_equal",	QUERY_LE,	   QUERY_LE,	  ARG_VALUE },
	{ NULL,		"exists",		QUERY_EXISTS,	   QUERY_EXISTS,  ARG_NONE },
	{ "!exists",	"not_exists",		QUERY_NOT_EXISTS,  QUERY_EXISTS,  ARG_NONE },
	{ NULL,		"in",			QUERY_IN,	   QUERY_IN,	  ARG_LIST },
	{ "!in",	"not_in",		QUERY_NOT_IN,	   QUERY_IN,	  ARG_LIST },
	{ "=~",		"matches",		QUERY_MATCHES,	   QUERY_MATCHES, ARG_REGEX },
	{ "!~",		"not_matches",		QUERY_NOT_MATCHES, QUERY_MATCHES, ARG_REGEX },
};
#define NOPS	(sizeof op_defs / sizeof op_defs[0])

/* The subjects, with the operators ECS documents for each. */
static const struct subject_def {
	const char		*name;
	enum query_subject	 subject;
	unsigned		 ops;
} subject_defs[] = {
	{ "attribute:",		QUERY_ATTRIBUTE,	OPS_EQUAL | OPS_ORDER |
	    OPS_EXISTS | OPS_LIST | OPS_REGEX },
	{ "agentConnected",	QUERY_AGENT_CONNECTED,	OPS_EQUAL | OPS_LIST |
	    OPS_REGEX },
	{ "agentVersion",	QUERY_AGENT_VERSION,	OPS_EQUAL | OPS_ORDER },
	{ "ec2InstanceId",	QUERY_EC2_INSTANCE_ID,	OPS_EQUAL | OPS_LIST |
	    OPS_REGEX },
	{ "registeredAt",	QUERY_REGISTERED_AT,	OPS_EQUAL | OPS_ORDER },
	{ "runningTasksCount",	QUERY_RUNNING_TASKS_COUNT, OPS_EQUAL |
	    OPS_ORDER | OPS_LIST },
	{ "task:group",		QUERY_TASK_GROUP,	OPS_EQUAL | OPS_LIST },
};
#define NSUBJECTS	(sizeof subject_defs / sizeof subject_defs[0])

/* One argument value. Numbers, booleans and dates are read at parse time. */
struct qvalue {
	char	*s;
	int64_t	 lo, hi;	/* count or boolean in lo; a date is [lo, hi) */
	double	 num;		/* attributes: the value as a number */
	int	 is_num;
};

enum node_kind {
	NODE_AND,
	NODE_OR,
	NODE_NOT,
	NODE_COND,
};

struct node {
	enum node_kind		 kind;
	size_t			 start, end;	/* bytes of the source text */
	struct node		**kids;
	size_t			 nkids;

	const struct subject_def *subject;
	char			*attr;		/* attribute name */
	const struct op_def	*op;
	struct qvalue		*vals;
	size_t			 nvals;
	regex_t			 re;
	int			 has_re;
};

struct query {
	char		*text;
	struct node	*root;
};

struct parser {
	const char	*text;
	size_t		 pos;
	int		 depth;
	struct err	*e;
};

/* Characters that end a bare word: blanks, punctuation and operators. */
static int
word_char(unsigned char c)
{
	return c > ' ' && c != 0x7f && strchr("()[],'\"!=<>&|~", c) == NULL;
}

static size_t
word_len(const struct parser *p, size_t at)
{
	size_t	n = 0;

	while (word_char((unsigned char)p->text[at + n]))
		n++;
	return n;
}

static void
skip_blanks(struct parser *p)
{
	while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' ||
	    p->text[p->pos] == '\n' || p->text[p->pos] == '\r')
		p->pos++;
}

/* Characters (UTF-8 code points) in the first n bytes of s. */
static size_t
char_count(const char *s, size_t n)
{
	size_t	i, chars = 0;

	for (i = 0; i < n && s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			chars++;
	return chars;
}

/* Fails the parse with a message naming the 1-based character at byte at. */
static void *
parse_fail(struct parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void *
parse_fail(struct parser *p, size_t at, const char *fmt, ...)
{
	char	what[ERR_MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	err_set(p->e, ERR_INVALID, "Invalid query expression at position "
	    "%zu: %s", char_count(p->text, at) + 1, what);
	return NULL;
}

/*
 * What stands at byte at, for "found ..." in messages: a word, one
 * character, or the end.
 */
static void
found(const struct parser *p, size_t at, char *buf, size_t len)
{
	size_t	n = word_len(p, at);

	if (p->text[at] == '\0')
		snprintf(buf, len, "the end of the expression");
	else
		snprintf(buf, len, "'%.*s'", n > 0 ? (int)(n > 40 ? 40 : n) :
		    1, p->text + at);
}

/* The keyword kw (and, or, not) at the parser's position, as a whole word. */
static int
keyword(const struct parser *p, const char *kw)
{
	size_t	n = strlen(kw);

	return strncmp(p->text + p->pos, kw, n) == 0 &&
	    !word_char((unsigned char)p->text[p->pos + n]);
}

static struct node *
node_new(enum node_kind kind, size_t start)
{
	struct node	*n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->start = start;
	return n;
}

static void
node_free(struct node *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	for (i = 0; i < n->nvals; i++)
		free(n->vals[i].s);
	free(n->vals);
	free(n->attr);
	if (n->has_re)
		regfree(&n->re);
	free(n);
}

static void
node_add(struct node *n, struct node *kid)
{
	n->kids = xrealloc(n->kids, (n->nkids + 1) * sizeof *n->kids);
	n->kids[n->nkids++] = kid;
	n->end = kid->end;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Reads exactly n digits at s into *v. */
static int
digits(const char *s, int n, int *v)
{
	int	i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * registeredAt arguments: 2018-06-18, 2018-06-18T22:28:28, and the latter
 * with Z or an offset such as +02:00. A date stands for its whole UTC day
 * and a date and time for its whole second, so *lo and *hi bound the
 * period, in epoch milliseconds, [lo, hi).
 */
static int
parse_date(const char *s, int64_t *lo, int64_t *hi)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	int	whole_day = 1;
	int64_t	t;

	if (digits(s, 4, &y) != 0 || s[4] != '-' || digits(s + 5, 2, &mo) != 0 ||
	    s[7] != '-' || digits(s + 8, 2, &d) != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0))))
		return -1;
	s += 10;
	if (*s == 'T') {
		if (digits(s + 1, 2, &h) != 0 || s[3] != ':' ||
		    digits(s + 4, 2, &mi) != 0 || s[6] != ':' ||
		    digits(s + 7, 2, &sec) != 0 || h > 23 || mi > 59 || sec > 59)
			return -1;
		whole_day = 0;
		s += 9;
		if (*s == 'Z')
			s++;
		else if (*s == '+' || *s == '-') {
			sign = *s == '+' ? 1 : -1;
			if (digits(s + 1, 2, &oh) != 0 || s[3] != ':' ||
			    digits(s + 4, 2, &om) != 0 || oh > 23 || om > 59)
				return -1;
			s += 6;
		}
	}
	if (*s != '\0')
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	*lo = t * 1000;
	*hi = *lo + (whole_day ? 86400000 : 1000);
	return 0;
}

/* A count: 1 to 18 decimal digits. */
static int
parse_count(const char *s, int64_t *v)
{
	size_t	n = strspn(s, "0123456789");

	if (n == 0 || n > 18 || s[n] != '\0')
		return -1;
	*v = strtoll(s, NULL, 10);
	return 0;
}

/* An attribute value that is a decimal number: -?[0-9]+(.[0-9]+)? */
static int
parse_number(const char *s, double *v)
{
	const char	*t = s + (*s == '-');
	size_t		 n = strspn(t, "0123456789");

	if (n == 0)
		return -1;
	t += n;
	if (*t == '.') {
		if ((n = strspn(t + 1, "0123456789")) == 0)
			return -1;
		t += 1 + n;
	}
	if (*t != '\0')
		return -1;
	*v = strtod(s, NULL);
	return 0;
}

/* A dotted agent version such as 1.10.0. */
static int
valid_version(const char *s)
{
	size_t	n;

	for (;;) {
		if ((n = strspn(s, "0123456789")) == 0)
			return 0;
		s += n;
		if (*s == '\0')
			return 1;
		if (*s++ != '.')
			return 0;
	}
}

/*
 * Compares dotted versions component by component as numbers, so 1.10.0 >
 * 1.9.0; a missing component counts as 0 (1.10 == 1.10.0) and anything
 * after a component's digits ("-beta") is ignored.
 */
static int
version_cmp(const char *a, const char *b)
{
	uint64_t	x, y;

	while (*a != '\0' || *b != '\0') {
		for (x = 0; *a >= '0' && *a <= '9'; a++)
			if (x < UINT64_MAX / 10 - 10)
				x = x * 10 + (uint64_t)(*a - '0');
		for (y = 0; *b >= '0' && *b <= '9'; b++)
			if (y < UINT64_MAX / 10 - 10)
				y = y * 10 + (uint64_t)(*b - '0');
		if (x != y)
			return x < y ? -1 : 1;
		while (*a != '\0' && *a++ != '.')
			;
		while (*b != '\0' && *b++ != '.')
			;
	}
	return 0;
}

/*
 * One value at the parser's position: a bare word or a quoted string (no
 * escapes: the other quote character quotes this one). 0 with v filled,
 * 1 when there is no value here, -1 on an unclosed quote.
 */
static int
parse_value(struct parser *p, struct qvalue *v, size_t *at)
{
	const char	*close;
	char		 q;
	size_t		 n;

	skip_blanks(p);
	*at = p->pos;
	memset(v, 0, sizeof *v);
	q = p->text[p->pos];
	if (q == '\'' || q == '"') {
		if ((close = strchr(p->text + p->pos + 1, q)) == NULL) {
			parse_fail(p, p->pos, "the quoted value that starts here "
			    "has no closing %c", q);
			return -1;
		}
		n = (size_t)(close - (p->text + p->pos + 1));
		v->s = xstrndup(p->text + p->pos + 1, n);
		p->pos += n + 2;
		return 0;
	}
	if ((n = word_len(p, p->pos)) == 0)
		return 1;
	v->s = xstrndup(p->text + p->pos, n);
	p->pos += n;
	return 0;
}

/* Reads what value v means for the condition's subject; fails at at. */
static int
value_check(struct parser *p, struct node *n, struct qvalue *v, size_t at)
{
	switch (n->subject->subject) {
	case QUERY_ATTRIBUTE:
	case QUERY_EC2_INSTANCE_ID:
		v->is_num = parse_number(v->s, &v->num) == 0;
		return 0;
	case QUERY_TASK_GROUP:
		return 0;
	case QUERY_AGENT_CONNECTED:
		if (strcmp(v->s, "true") == 0 || strcmp(v->s, "false") == 0) {
			v->lo = v->s[0] == 't';
			return 0;
		}
		parse_fail(p, at, "agentConnected is true or false, not "
		    "'%.40s'", v->s);
		return -1;
	case QUERY_AGENT_VERSION:
		if (valid_version(v->s))
			return 0;
		parse_fail(p, at, "expected an agent version such as 1.10.0, "
		    "not '%.40s'", v->s);
		return -1;
	case QUERY_REGISTERED_AT:
		if (parse_date(v->s, &v->lo, &v->hi) == 0)
			return 0;
		parse_fail(p, at, "expected a date such as 2018-06-18 or "
		    "2018-06-18T22:28:28Z, not '%.40s'", v->s);
		return -1;
	case QUERY_RUNNING_TASKS_COUNT:
		if (parse_count(v->s, &v->lo) == 0)
			return 0;
		parse_fail(p, at, "runningTasksCount is compared with a whole "
		    "number, not '%.40s'", v->s);
		return -1;
	}
	return -1;
}

/* One open group of a pattern, for regex_vet. */
struct rgroup {
	size_t	size;		/* positions, with repeat counts expanded */
	int	repeats;	/* holds a repeated group */
};

/* The last thing a repetition would apply to, for regex_vet. */
struct ratom {
	size_t	size;		/* 0: nothing repeatable */
	int	group;		/* a group ... */
	int	holds;		/* ... that holds a repeated group */
};

/*
 * A repetition applied to the last atom: refuses a repeated group that
 * holds a repeated group, and counts what {m,n} adds. NULL when fine.
 */
static const char *
regex_repeat(struct rgroup *g, struct ratom *last, size_t bound,
    size_t *growth)
{
	if (last->size == 0)
		return NULL;		/* nothing to repeat: regcomp says */
	if (last->group && last->holds)
		return "it repeats a group that holds a repeated group";
	if (last->group)
		g->repeats = 1;
	if (bound > 1) {
		if (bound > QUERY_REGEX_GROWTH ||
		    last->size * (bound - 1) > QUERY_REGEX_GROWTH - *growth)
			return "its {m,n} counts add more than 256 positions";
		*growth += last->size * (bound - 1);
		g->size += last->size * (bound - 1);
		last->size *= bound;
	}
	return NULL;
}

/*
 * glibc's regcomp crashes on some back-references (CVE-2018-20796) and
 * takes exponential time or memory on a repeated group holding repeated
 * groups and on large repeat counts, and regexec slows with the square of
 * the expanded pattern. One such filter would stall or crash the whole
 * server, so these patterns are refused before regcomp sees them. What
 * is not understood here (a stray brace, an unclosed bracket) is left for
 * regcomp to judge. Returns why a pattern is refused, or NULL.
 */
static const char *
regex_vet(const char *pat)
{
	struct rgroup	*g;
	struct ratom	 last = { 0, 0, 0 };
	const char	*why = NULL, *t;
	size_t		 depth = 0, growth = 0, m, n, size;
	int		 holds;

	g = xcalloc(strlen(pat) + 1, sizeof *g);
	while (*pat != '\0' && why == NULL) {
		switch (*pat) {
		case '\\':
			if (pat[1] >= '1' && pat[1] <= '9') {
				why = "back-references such as \\1 are not "
				    "supported";
				break;
			}
			pat += pat[1] != '\0' ? 2 : 1;
			last = (struct ratom){ 1, 0, 0 };
			g[depth].size++;
			continue;
		case '[':
			t = pat + 1 + (pat[1] == '^');
			t += *t == ']';
			while (*t != '\0' && *t != ']') {
				if (*t == '[' && strchr(":.=", t[1]) != NULL &&
				    t[1] != '\0' && (t = strchr(t + 2, ']')) ==
				    NULL)
					break;
				t++;
			}
			if (t == NULL || *t == '\0')
				goto out;	/* unclosed: regcomp says so */
			pat = t + 1;
			last = (struct ratom){ 1, 0, 0 };
			g[depth].size++;
			continue;
		case '(':
			depth++;
			memset(&g[depth], 0, sizeof g[depth]);
			last.size = 0;
			break;
		case ')':
			if (depth == 0)
				goto out;	/* unmatched: regcomp says so */
			size = g[depth].size;
			holds = g[depth].repeats;
			depth--;
			g[depth].size += size;
			last = (struct ratom){ size > 0 ? size : 1, 1, holds };
			break;
		case '*':
		case '+':
		case '?':
			why = regex_repeat(&g[depth], &last, 1, &growth);
			break;
		case '{':
			t = pat + 1;
			m = strspn(t, "0123456789");
			n = m > 0 && t[m] == ',' ? strspn(t + m + 1,
			    "0123456789") : 0;
			if (m == 0 || m > 6 || n > 6 || (t[m] != '}' &&
			    (t[m] != ',' || t[m + 1 + n] != '}'))) {
				last = (struct ratom){ 1, 0, 0 };
				g[depth].size++;
				break;		/* a literal brace */
			}
			why = regex_repeat(&g[depth], &last, strtoul(n > 0 ?
			    t + m + 1 : t, NULL, 10), &growth);
			pat = strchr(t, '}');
			break;
		case '^':
		case '$':
		case '|':
			last.size = 0;
			break;
		default:
			last = (struct ratom){ 1, 0, 0 };
			g[depth].size++;
			break;
		}
		pat++;
	}
out:
	free(g);
	return why;
}

/*
 * ECS matches a pattern against the whole value, as Java's
 * String.matches() does. POSIX regexec finds a match anywhere, so the
 * pattern is compiled once alone (to report its own errors) and then
 * anchored as ^(pattern)$.
 */
static int
regex_compile(struct parser *p, struct node *n, const char *pat, size_t at)
{
	regex_t		 re;
	const char	*refused;
	char		*anchored, why[128];
	int		 rc;

	if ((refused = regex_vet(pat)) != NULL) {
		parse_fail(p, at, "'%.60s' is refused: %s", pat, refused);
		return -1;
	}
	if ((rc = regcomp(&re, pat, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, &re, why, sizeof why);
		parse_fail(p, at, "'%.60s' is not a valid regular expression: "
		    "%s", pat, why);
		return -1;
	}
	regfree(&re);
	anchored = xprintf("^(%s)$", pat);
	rc = regcomp(&n->re, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	if (rc != 0) {
		parse_fail(p, at, "'%.60s' is not a valid regular expression",
		    pat);
		return -1;
	}
	n->has_re = 1;
	return 0;
}

static void
value_add(struct node *n, const struct qvalue *v)
{
	n->vals = xrealloc(n->vals, (n->nvals + 1) * sizeof *n->vals);
	n->vals[n->nvals++] = *v;
}

/* [a, b, ...]: at least one value, at most QUERY_MAX_LIST. */
static int
parse_list(struct parser *p, struct node *n)
{
	struct qvalue	 v;
	size_t		 open, at;
	int		 rc;

	skip_blanks(p);
	if (p->text[p->pos] != '[') {
		parse_fail(p, p->pos, "expected a list such as [a, b] after "
		    "'%s'", n->op->symbol != NULL ? n->op->symbol :
		    n->op->word);
		return -1;
	}
	open = p->pos++;
	for (;;) {
		if ((rc = parse_value(p, &v, &at)) < 0)
			return -1;
		if (rc > 0) {
			parse_fail(p, at, "expected a value in the list");
			return -1;
		}
		if (n->nvals == QUERY_MAX_LIST) {
			free(v.s);
			parse_fail(p, at, "a list has at most %d values",
			    QUERY_MAX_LIST);
			return -1;
		}
		value_add(n, &v);
		if (value_check(p, n, &n->vals[n->nvals - 1], at) != 0)
			return -1;
		skip_blanks(p);
		if (p->text[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->text[p->pos] == ']') {
			p->pos++;
			return 0;
		}
		parse_fail(p, p->pos, "expected ',' or ']' to close the list "
		    "opened at position %zu", char_count(p->text, open) + 1);
		return -1;
	}
}

/* The operator at the parser's position, in either form. */
static const struct op_def *
parse_op(struct parser *p, const struct node *n)
{
	const char	*s = p->text + p->pos;
	size_t		 len, i;

	if (*s != '\0' && strchr("!=<>~", *s) != NULL) {
		len = strspn(s, "!=<>~");
		if (len == 1 && *s == '!')
			len += strspn(s + 1, "abcdefghijklmnopqrstuvwxyz_");
	} else
		len = word_len(p, p->pos);
	if (len == 0 || (len == 3 && strncmp(s, "and", 3) == 0) ||
	    (len == 2 && strncmp(s, "or", 2) == 0))
		return parse_fail(p, p->pos, "expected an operator after "
		    "'%.*s'", (int)(n->end - n->start > 60 ? 60 :
		    n->end - n->start), p->text + n->start);
	for (i = 0; i < NOPS; i++)
		if ((op_defs[i].symbol != NULL &&
		    strlen(op_defs[i].symbol) == len &&
		    strncmp(op_defs[i].symbol, s, len) == 0) ||
		    (strlen(op_defs[i].word) == len &&
		    strncmp(op_defs[i].word, s, len) == 0)) {
			p->pos += len;
			return &op_defs[i];
		}
	return parse_fail(p, p->pos, "unknown operator '%.*s'; expected ==, "
	    "!=, >, >=, <, <=, exists, !exists, in, !in, =~ or !~ (or their "
	    "word forms)", (int)(len > 40 ? 40 : len), s);
}

/* "==, !=, in, !in": the operators a subject takes, for messages. */
static void
ops_allowed(const struct subject_def *sd, char *buf, size_t len)
{
	size_t	i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < NOPS && used < len; i++)
		if (sd->ops & OP(op_defs[i].op))
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
			    used > 0 ? ", " : "", op_defs[i].symbol != NULL ?
			    op_defs[i].symbol : op_defs[i].word);
}

/* subject operator [argument] */
static struct node *
parse_condition(struct parser *p)
{
	struct node	*n;
	struct qvalue	 v;
	const char	*w;
	char		 what[64], allowed[96];
	size_t		 len, i, op_at, at;
	int		 rc;

	skip_blanks(p);
	w = p->text + p->pos;
	if ((len = word_len(p, p->pos)) == 0) {
		found(p, p->pos, what, sizeof what);
		return parse_fail(p, p->pos, "expected a condition such as "
		    "attribute:ecs.instance-type == t2.small, found %s", what);
	}
	n = node_new(NODE_COND, p->pos);
	for (i = 0; i < NSUBJECTS; i++) {
		if (subject_defs[i].subject == QUERY_ATTRIBUTE ?
		    strncmp(w, subject_defs[i].name, 10) == 0 :
		    strlen(subject_defs[i].name) == len &&
		    strncmp(w, subject_defs[i].name, len) == 0)
			break;
	}
	if (i == NSUBJECTS) {
		node_free(n);
		return parse_fail(p, p->pos, "unknown subject '%.*s'; expected "
		    "attribute:<name>, agentConnected, agentVersion, "
		    "ec2InstanceId, registeredAt, runningTasksCount or "
		    "task:group", (int)(len > 40 ? 40 : len), w);
	}
	n->subject = &subject_defs[i];
	if (n->subject->subject == QUERY_ATTRIBUTE) {
		if (len == 10) {
			node_free(n);
			return parse_fail(p, p->pos + 10, "expected an attribute "
			    "name after 'attribute:'");
		}
		if (strspn(w + 10, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./\\") != len - 10) {
			node_free(n);
			return parse_fail(p, p->pos + 10, "'%.*s' is not an "
			    "attribute name: names have letters, digits, - _ . / "
			    "and \\", (int)(len - 10 > 40 ? 40 : len - 10),
			    w + 10);
		}
		n->attr = xstrndup(w + 10, len - 10);
	}
	p->pos += len;
	n->end = p->pos;
	skip_blanks(p);
	op_at = p->pos;
	if ((n->op = parse_op(p, n)) == NULL)
		goto fail;
	n->end = p->pos;
	if ((n->subject->ops & OP(n->op->op)) == 0) {
		ops_allowed(n->subject, allowed, sizeof allowed);
		parse_fail(p, op_at, "'%s' cannot be used with %s; use %s",
		    n->op->symbol != NULL ? n->op->symbol : n->op->word,
		    n->subject->name, allowed);
		goto fail;
	}
	switch (n->op->arg) {
	case ARG_NONE:
		return n;
	case ARG_LIST:
		if (parse_list(p, n) != 0)
			goto fail;
		break;
	case ARG_VALUE:
	case ARG_REGEX:
		if ((rc = parse_value(p, &v, &at)) < 0)
			goto fail;
		if (rc > 0) {
			found(p, at, what, sizeof what);
			parse_fail(p, at, "expected a value after '%.*s', found %s",
			    (int)(n->end - op_at), p->text + op_at, what);
			goto fail;
		}
		value_add(n, &v);
		if (n->op->arg == ARG_REGEX) {
			if (regex_compile(p, n, v.s, at) != 0)
				goto fail;
		} else if (value_check(p, n, &n->vals[0], at) != 0)
			goto fail;
		break;
	}
	n->end = p->pos;
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct node *parse_or(struct parser *);

/* not x, !x, (x), or a condition. */
static struct node *
parse_unary(struct parser *p)
{
	struct node	*n, *kid;
	size_t		 start;

	skip_blanks(p);
	start = p->pos;
	if (p->text[p->pos] == '!' || keyword(p, "not") ||
	    p->text[p->pos] == '(') {
		if (p->depth >= QUERY_MAX_DEPTH)
			return parse_fail(p, p->pos, "the expression nests "
			    "deeper than %d levels of parentheses and nots",
			    QUERY_MAX_DEPTH);
		p->depth++;
		if (p->text[p->pos] == '(') {
			p->pos++;
			if ((n = parse_or(p)) == NULL)
				return NULL;
			skip_blanks(p);
			if (p->text[p->pos] != ')') {
				char	what[64];

				found(p, p->pos, what, sizeof what);
				node_free(n);
				return parse_fail(p, p->pos, "expected 'and', "
				    "'or' or ')' to close the '(' at position "
				    "%zu, found %s", char_count(p->text,
				    start) + 1, what);
			}
			p->pos++;
		} else {
			p->pos += p->text[p->pos] == '!' ? 1 : 3;
			if ((kid = parse_unary(p)) == NULL)
				return NULL;
			n = node_new(NODE_NOT, start);
			node_add(n, kid);
		}
		p->depth--;
		return n;
	}
	return parse_condition(p);
}

/* A chain of kind (and, or) joined by the keyword or its symbol. */
static struct node *
parse_chain(struct parser *p, enum node_kind kind)
{
	struct node	*first, *n = NULL, *next;
	const char	*word = kind == NODE_AND ? "and" : "or";
	const char	*sym = kind == NODE_AND ? "&&" : "||";

	first = kind == NODE_AND ? parse_unary(p) : parse_chain(p, NODE_AND);
	if (first == NULL)
		return NULL;
	for (;;) {
		skip_blanks(p);
		if (strncmp(p->text + p->pos, sym, 2) == 0)
			p->pos += 2;
		else if (keyword(p, word))
			p->pos += strlen(word);
		else
			break;
		next = kind == NODE_AND ? parse_unary(p) :
		    parse_chain(p, NODE_AND);
		if (next == NULL) {
			node_free(n != NULL ? n : first);
			return NULL;
		}
		if (n == NULL) {
			n = node_new(kind, first->start);
			node_add(n, first);
		}
		node_add(n, next);
	}
	return n != NULL ? n : first;
}

static struct node *
parse_or(struct parser *p)
{
	return parse_chain(p, NODE_OR);
}

int
query_parse(const char *text, struct query **out, struct err *e)
{
	struct parser	 p;
	struct node	*root;
	struct query	*q;
	char		 what[64];
	size_t		 chars;

	*out = NULL;
	memset(&p, 0, sizeof p);
	p.text = text;
	p.e = e;
	if ((chars = char_count(text, strlen(text))) > QUERY_MAX_LEN)
		return err_set(e, ERR_INVALID, "Invalid query expression at "
		    "position %d: an expression has at most %d characters, "
		    "this one has %zu", QUERY_MAX_LEN + 1, QUERY_MAX_LEN, chars);
	if ((root = parse_or(&p)) == NULL)
		return -1;
	skip_blanks(&p);
	if (text[p.pos] != '\0') {
		node_free(root);
		if (text[p.pos] == ')')
			parse_fail(&p, p.pos, "')' closes no '('");
		else {
			found(&p, p.pos, what, sizeof what);
			parse_fail(&p, p.pos, "expected 'and', 'or' or the end "
			    "of the expression, found %s", what);
		}
		return -1;
	}
	q = xcalloc(1, sizeof *q);
	q->text = xstrdup(text);
	q->root = root;
	*out = q;
	return 0;
}

void
query_free(struct query *q)
{
	if (q == NULL)
		return;
	node_free(q->root);
	free(q->text);
	free(q);
}

const char *
query_text(const struct query *q)
{
	return q->text;
}

static const struct query_attr *
attr_find(const struct query_instance *in, const char *name)
{
	size_t	i;

	for (i = 0; i < in->nattrs; i++)
		if (strcmp(in->attrs[i].name, name) == 0)
			return &in->attrs[i];
	return NULL;
}

/*
 * The subject's value as text, for equality, patterns and explanations;
 * NULL when the instance has none (a missing attribute, one without a
 * value, an unknown agent version). task:group has several: not here.
 */
static const char *
subject_text(const struct node *n, const struct query_instance *in,
    char *buf, size_t len)
{
	const struct query_attr	*a;

	switch (n->subject->subject) {
	case QUERY_ATTRIBUTE:
		a = attr_find(in, n->attr);
		return a != NULL ? a->value : NULL;
	case QUERY_AGENT_CONNECTED:
		return in->agent_connected ? "true" : "false";
	case QUERY_AGENT_VERSION:
		return in->agent_version;
	case QUERY_EC2_INSTANCE_ID:
		return in->ec2_instance_id;
	case QUERY_REGISTERED_AT:
		if (len < TIME_ISO_LEN)
			return NULL;
		time_iso8601(in->registered_at, 1, buf);
		return buf;
	case QUERY_RUNNING_TASKS_COUNT:
		snprintf(buf, len, "%lld", (long long)in->running_tasks_count);
		return buf;
	case QUERY_TASK_GROUP:
		return NULL;
	}
	return NULL;
}

static int
cmp_int(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

/*
 * Orders the instance's subject against v: *cmp < 0, 0, > 0. Returns 0
 * when there is nothing to compare (the instance lacks the value).
 * Attributes compare as numbers when both sides are numbers, else as
 * strings; registeredAt compares against the period the date names.
 */
static int
compare(const struct node *n, const struct qvalue *v,
    const struct query_instance *in, int *cmp)
{
	const char	*s;
	char		 buf[TIME_ISO_LEN];
	double		 num;

	switch (n->subject->subject) {
	case QUERY_ATTRIBUTE:
	case QUERY_EC2_INSTANCE_ID:
		if ((s = subject_text(n, in, buf, sizeof buf)) == NULL)
			return 0;
		if (v->is_num && n->op->positive != QUERY_EQ &&
		    n->op->positive != QUERY_IN && parse_number(s, &num) == 0)
			*cmp = num < v->num ? -1 : num > v->num;
		else
			*cmp = strcmp(s, v->s);
		return 1;
	case QUERY_AGENT_CONNECTED:
		*cmp = cmp_int(in->agent_connected != 0, v->lo);
		return 1;
	case QUERY_AGENT_VERSION:
		if (in->agent_version == NULL)
			return 0;
		*cmp = version_cmp(in->agent_version, v->s);
		return 1;
	case QUERY_REGISTERED_AT:
		*cmp = in->registered_at < v->lo ? -1 :
		    in->registered_at >= v->hi;
		return 1;
	case QUERY_RUNNING_TASKS_COUNT:
		*cmp = cmp_int(in->running_tasks_count, v->lo);
		return 1;
	case QUERY_TASK_GROUP:
		return 0;
	}
	return 0;
}

static int
has_group(const struct query_instance *in, const char *group)
{
	size_t	i;

	for (i = 0; i < in->ntask_groups; i++)
		if (strcmp(in->task_groups[i], group) == 0)
			return 1;
	return 0;
}

/* Equality with one value; task:group holds when any task has the group. */
static int
equals(const struct node *n, const struct qvalue *v,
    const struct query_instance *in)
{
	int	cmp;

	if (n->subject->subject == QUERY_TASK_GROUP)
		return has_group(in, v->s);
	return compare(n, v, in, &cmp) && cmp == 0;
}

static int
cond_match(const struct node *n, const struct query_instance *in)
{
	const char	*s;
	char		 buf[TIME_ISO_LEN];
	size_t		 i;
	int		 r = 0, cmp;

	switch (n->op->positive) {
	case QUERY_EXISTS:
		r = n->subject->subject == QUERY_ATTRIBUTE &&
		    attr_find(in, n->attr) != NULL;
		break;
	case QUERY_EQ:
		r = equals(n, &n->vals[0], in);
		break;
	case QUERY_IN:
		for (i = 0; i < n->nvals && !r; i++)
			r = equals(n, &n->vals[i], in);
		break;
	case QUERY_GT:
	case QUERY_GE:
	case QUERY_LT:
	case QUERY_LE:
		if (!compare(n, &n->vals[0], in, &cmp))
			break;
		r = n->op->positive == QUERY_GT ? cmp > 0 :
		    n->op->positive == QUERY_GE ? cmp >= 0 :
		    n->op->positive == QUERY_LT ? cmp < 0 : cmp <= 0;
		break;
	case QUERY_MATCHES:
		s = subject_text(n, in, buf, sizeof buf);
		r = s != NULL && regexec(&n->re, s, 0, NULL, 0) == 0;
		break;
	case QUERY_NE:
	case QUERY_NOT_EXISTS:
	case QUERY_NOT_IN:
	case QUERY_NOT_MATCHES:
		break;		/* never a positive form */
	}
	return n->op->op != n->op->positive ? !r : r;
}

static int
eval(const struct node *n, const struct query_instance *in)
{
	size_t	i;

	switch (n->kind) {
	case NODE_AND:
		for (i = 0; i < n->nkids; i++)
			if (!eval(n->kids[i], in))
				return 0;
		return 1;
	case NODE_OR:
		for (i = 0; i < n->nkids; i++)
			if (eval(n->kids[i], in))
				return 1;
		return 0;
	case NODE_NOT:
		return !eval(n->kids[0], in);
	case NODE_COND:
		return cond_match(n, in);
	}
	return 0;
}

int
query_match(const struct query *q, const struct query_instance *in)
{
	return eval(q->root, in);
}

/* A bounded string builder for explanations. */
struct says {
	char	*buf;
	size_t	 len, used;
};

static void
say(struct says *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct says *w, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (w->used + 1 >= w->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->used, w->len - w->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->used += (size_t)n;
	if (w->used >= w->len)
		w->used = w->len - 1;
}

/* What the instance has for the condition's subject, in words. */
static void
say_subject(struct says *w, const struct node *n,
    const struct query_instance *in)
{
	const struct query_attr	*a;
	char			 buf[TIME_ISO_LEN];
	size_t			 i;

	switch (n->subject->subject) {
	case QUERY_ATTRIBUTE:
		if ((a = attr_find(in, n->attr)) == NULL)
			say(w, "the instance has no attribute %s", n->attr);
		else if (a->value == NULL)
			say(w, "%s has no value", n->attr);
		else
			say(w, "%s is %s", n->attr, a->value);
		return;
	case QUERY_TASK_GROUP:
		if (in->ntask_groups == 0) {
			say(w, "no task on the instance has a group");
			return;
		}
		say(w, "its task groups are ");
		for (i = 0; i < in->ntask_groups; i++)
			say(w, "%s%s", i > 0 ? ", " : "", in->task_groups[i]);
		return;
	case QUERY_AGENT_VERSION:
		if (in->agent_version == NULL) {
			say(w, "its agent version is unknown");
			return;
		}
		break;
	case QUERY_AGENT_CONNECTED:
	case QUERY_EC2_INSTANCE_ID:
	case QUERY_REGISTERED_AT:
	case QUERY_RUNNING_TASKS_COUNT:
		break;
	}
	say(w, "%s is %s", n->subject->name, subject_text(n, in, buf,
	    sizeof buf));
}

static int
explain(struct says *w, const struct query *q, const struct node *n,
    const struct query_instance *in)
{
	size_t	i, said = 0;
	int	r = eval(n, in), want;

	switch (n->kind) {
	case NODE_NOT:
		explain(w, q, n->kids[0], in);
		break;
	case NODE_COND:
		say(w, "%.*s is %s: ", (int)(n->end - n->start), q->text +
		    n->start, r ? "true" : "false");
		say_subject(w, n, in);
		break;
	case NODE_AND:
	case NODE_OR:
		/*
		 * A false "and" is explained by its first false part, a true
		 * "or" by its first true part; otherwise every part counts.
		 */
		want = n->kind == NODE_OR;
		for (i = 0; i < n->nkids; i++) {
			if (r == want && eval(n->kids[i], in) != want)
				continue;
			if (said++ > 0)
				say(w, "; ");
			explain(w, q, n->kids[i], in);
			if (r == want)
				break;
		}
		break;
	}
	return r;
}

int
query_explain(const struct query *q, const struct query_instance *in,
    char *buf, size_t len)
{
	struct says	w = { buf, len, 0 };

	if (len > 0)
		buf[0] = '\0';
	return explain(&w, q, q->root, in);
}
