/*
 * ecsim serve --record: every call that changes something, as it reaches
 * the API dispatch, becomes a timeline step of a scenario that ecsim run
 * replays. Each step is flushed as it is written, so a server that dies
 * loses none of the calls before; SIGTERM adds the final expectations.
 *
 * Bodies are written as JSON, which is YAML's flow style: the loader reads
 * a quoted scalar as a string and a plain one as a number, boolean or
 * null, so a body comes back exactly as the client sent it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "engine/engine.h"
#include "scenario/internal.h"
#include "scenario/record.h"

struct recorder {
	struct engine	*eng;
	FILE		*f;
	char		*path;
	char		*cluster;
	int64_t		 start;		/* engine time of the first step's 0 */
	size_t		 nsteps;
	int		 failed;	/* a write failed: errno */
};

/* Operations that only read: replaying them proves nothing, so they are
 * left out. Everything else can change state or is refused as it was. */
static int
reads_only(const char *op)
{
	static const char *const prefixes[] = { "Describe", "List", "Get",
	    "DiscoverPollEndpoint" };
	size_t	i;

	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (str_has_prefix(op, prefixes[i]))
			return 1;
	return 0;
}

/* A string as a YAML scalar that reads back as that string. */
static void
put_str(FILE *f, const char *s)
{
	cJSON	*j = cJSON_CreateString(s);
	char	*text = json_print(j);

	fputs(text, f);
	free(text);
	cJSON_Delete(j);
}

static void
record_check(struct recorder *r)
{
	if (!r->failed && ferror(r->f))
		r->failed = errno ? errno : EIO;
}

static void
record_hook(void *arg, const char *op, const cJSON *req, int64_t now,
    const char *error)
{
	struct recorder	*r = arg;
	cJSON		*body;
	char		*text;

	if (reads_only(op))
		return;
	body = cJSON_Duplicate(req, 1);
	/*
	 * On the server a call without a cluster means "default"; the replay
	 * gives it the scenario's cluster, which is --cluster. Say which.
	 */
	if (strcmp(r->cluster, "default") != 0 && sc_takes_cluster(op) &&
	    cJSON_GetObjectItem(body, "cluster") == NULL)
		cJSON_AddStringToObject(body, "cluster", "default");
	text = json_print(body);
	cJSON_Delete(body);
	if (r->nsteps++ == 0)
		fputs("\ntimeline:\n", r->f);
	fprintf(r->f, "  - at: %lldms\n    call: %s\n    with: %s\n",
	    (long long)(now > r->start ? now - r->start : 0), op, text);
	if (error != NULL)
		fprintf(r->f, "    expect_error: %s\n", error);
	free(text);
	fflush(r->f);
	record_check(r);
}

struct recorder *
record_start(struct engine *eng, const char *path,
    const struct record_options *o, struct err *e)
{
	struct recorder	*r;
	char		 when[TIME_ISO_LEN];
	FILE		*f;

	if ((f = fopen(path, "w")) == NULL) {
		err_set(e, ERR_CLIENT, "--record: cannot write %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->eng = eng;
	r->f = f;
	r->path = xstrdup(path);
	r->cluster = xstrdup(o->cluster);
	r->start = engine_now(eng);
	time_iso8601(r->start, 0, when);
	fprintf(f, "# Recorded by ecsim serve --record from %s.\n"
	    "# ARNs replay as recorded only with this seed, the same calls in "
	    "the same\n# order, and a server that started on a fresh "
	    "database.\n", when);
	if (strcmp(o->account, "000000000000") != 0)
		fprintf(f, "# The server's account was %s; ecsim run uses "
		    "000000000000.\n", o->account);
	fputs("name: ", f);
	put_str(f, path);
	fprintf(f, "\ndescription: API calls to ecsim serve from %s, with "
	    "their times\nseed: %llu\nstep: %lldms\nregion: ", when,
	    (unsigned long long)o->seed, (long long)o->step);
	put_str(f, o->region);
	fputs("\n\ncluster:\n  name: ", f);
	put_str(f, o->cluster);
	fputc('\n', f);
	if (o->instances > 0) {
		fprintf(f, "  instances:    # ecsim serve --instances\n"
		    "    - {name: serve, count: %ld, type: ", o->instances);
		put_str(f, o->instance_type);
		fputs(", zones: [a, b, c]}\n", f);
	}
	fflush(f);
	record_check(r);
	if (r->failed) {
		err_set(e, ERR_CLIENT, "--record: cannot write %s: %s", path,
		    strerror(r->failed));
		fclose(f);
		free(r->path);
		free(r->cluster);
		free(r);
		return NULL;
	}
	api_set_hook(record_hook, r);
	return r;
}

/* One API call for the final state; NULL unless it answered 200. */
static cJSON *
record_call(struct recorder *r, const char *op, const cJSON *body)
{
	cJSON	*j;
	int	 status;

	j = api_call(r->eng, op, body, &status);
	if (status == 200)
		return j;
	cJSON_Delete(j);
	return NULL;
}

/*
 * The final expect: what the calls themselves decided about each ACTIVE
 * service of the cluster, its desiredCount and task definition. How far
 * a deployment had got when the server stopped depends on when it
 * stopped, and the replay settles for five minutes more, so running
 * counts are not stated.
 */
static void
record_expect(struct recorder *r)
{
	cJSON		*list, *b, *page = NULL, *desc, *s, *arns;
	const char	*token = NULL, *status;
	int		 n = 0, k;

	list = cJSON_CreateArray();
	do {
		b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "cluster", r->cluster);
		cJSON_AddNumberToObject(b, "maxResults", 100);
		if (token != NULL)
			cJSON_AddStringToObject(b, "nextToken", token);
		cJSON_Delete(page);
		page = record_call(r, "ListServices", b);
		cJSON_Delete(b);
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(page, "serviceArns"))
			cJSON_AddItemToArray(list, cJSON_Duplicate(s, 0));
		token = cJSON_GetStringValue(cJSON_GetObjectItem(page,
		    "nextToken"));
	} while (token != NULL);
	cJSON_Delete(page);
	while (cJSON_GetArraySize(list) > 0) {
		arns = cJSON_CreateArray();
		for (k = 0; k < 10 && cJSON_GetArraySize(list) > 0; k++)
			cJSON_AddItemToArray(arns,
			    cJSON_DetachItemFromArray(list, 0));
		b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "cluster", r->cluster);
		cJSON_AddItemToObject(b, "services", arns);
		desc = record_call(r, "DescribeServices", b);
		cJSON_Delete(b);
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(desc, "services")) {
			status = cJSON_GetStringValue(cJSON_GetObjectItem(s,
			    "status"));
			if (status == NULL || strcmp(status, "ACTIVE") != 0)
				continue;
			if (n++ == 0)
				fputs("\nexpect:     # when the server "
				    "stopped\n", r->f);
			fputs("  - service: ", r->f);
			put_str(r->f, cJSON_GetStringValue(
			    cJSON_GetObjectItem(s, "serviceName")));
			fprintf(r->f, "\n    status: ACTIVE\n"
			    "    desiredCount: %d\n    taskDefinition: ",
			    cJSON_GetObjectItem(s, "desiredCount")->valueint);
			put_str(r->f, cJSON_GetStringValue(
			    cJSON_GetObjectItem(s, "taskDefinition")));
			fputc('\n', r->f);
		}
		cJSON_Delete(desc);
	}
	cJSON_Delete(list);
	if (n == 0)
		fputs("\n# No ACTIVE service when the server stopped: no final "
		    "expect.\n", r->f);
}

int
record_finish(struct recorder *r, struct err *e)
{
	int	ret = 0;

	if (r == NULL)
		return 0;
	api_set_hook(NULL, NULL);
	if (r->nsteps == 0)
		fputs("\n# No call changed anything: no timeline.\n", r->f);
	record_expect(r);
	record_check(r);
	if (fclose(r->f) != 0 && !r->failed)
		r->failed = errno;
	if (r->failed) {
		err_set(e, ERR_CLIENT, "--record: writing %s: %s", r->path,
		    strerror(r->failed));
		ret = -1;
	}
	free(r->path);
	free(r->cluster);
	free(r);
	return ret;
}
