/* ecsim: the subcommand table and the wiring of one process: one event
 * base, one clock, one store, one engine, the HTTP front end. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#ifdef ECSIM_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "api/api.h"
#include "clock/clock.h"
#include "engine/engine.h"
#include "events/events.h"
#include "http/http.h"
#include "scenario/record.h"
#include "scenario/scenario.h"
#include "store/store.h"
#include "util/util.h"

#include <cjson/cJSON.h>

#define DEFAULT_DB	"ecsim.db"

/*
 * jemalloc's settings, read when it starts (nothing reads them when the
 * C library's malloc is linked instead). Its per-thread cache keeps freed
 * blocks for the next allocations of their size; ecsim frees and builds
 * again tens of thousands of JSON nodes at a time (event details, task
 * docs), which overflowed the default cache (at most 200 blocks a size)
 * into the arena and back: 4 % of the instructions of a scenario run
 * (docs/performance.md). A larger cache, collected less often.
 */
const char *malloc_conf = "tcache_nslots_small_max:2000,"
    "lg_tcache_nslots_mul:3,tcache_gc_incr_bytes:2097152";

struct subcommand {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*summary;
};

static int	cmd_serve(int, char **);
static int	cmd_run(int, char **);
static int	cmd_events(int, char **);
static int	cmd_version(int, char **);
static int	cmd_help(int, char **);

static const struct subcommand subcommands[] = {
	{ "serve",	cmd_serve,	"run the ECS API and the engine" },
	{ "run",	cmd_run,	"replay a scenario file in virtual time" },
	{ "chaos",	chaos_main,	"a scenario under random faults" },
	{ "events",	cmd_events,	"print the event outbox of a database" },
	{ "version",	cmd_version,	"print the version (and jemalloc's)" },
	{ "help",	cmd_help,	"show this help" },
};

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: ecsim <command> [options]\n\n"
	    "ecsim is a local Amazon ECS control plane: point the AWS CLI or "
	    "an SDK at it\nwith --endpoint-url and services, tasks and "
	    "deployments behave as on ECS.\n\ncommands:\n");
	for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name,
		    subcommands[i].summary);
	fprintf(f, "\n'ecsim <command> --help' describes a command's "
	    "options.\n");
}

static int
cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

static int
cmd_version(int argc, char **argv)
{
#ifdef ECSIM_JEMALLOC
	const char	*v;
	size_t		 len = sizeof v;
#endif

	(void)argc;
	(void)argv;
	printf("ecsim %s", ECSIM_VERSION);
#ifdef ECSIM_JEMALLOC
	if (mallctl("version", &v, &len, NULL, 0) == 0)
		printf(" (jemalloc %s)", v);
#endif
	printf("\n");
	return 0;
}

static void
serve_usage(FILE *f)
{
	fprintf(f,
"usage: ecsim serve [options]\n\n"
"Serves the ECS JSON 1.1 API at POST / and ecsim's own endpoints under\n"
"/ecsim/ (GET /ecsim/health, POST /ecsim/reset, GET /ecsim/events: the\n"
"events as a server-sent-events stream, GET /ecsim/sinks, POST\n"
"/ecsim/faults/<name>: faults at run time, GET /ecsim/tasks/<task>: its\n"
"containers' metadata URIs), and each task's metadata endpoint v4 under\n"
"/v4/. SIGTERM or SIGINT stops it.\n\n"
"options:\n"
"  --listen ADDR:PORT   where to listen (default 127.0.0.1:4566; port 0 picks\n"
"                       a free port)\n"
"  --port-file FILE     write the bound port to FILE once listening\n"
"  --db PATH            SQLite database; state survives restarts (default\n"
"                       ./" DEFAULT_DB "; ':memory:' for a throwaway)\n"
"  --region REGION      region in ARNs (default us-east-1)\n"
"  --account-id ID      12-digit account in ARNs (default 000000000000)\n"
"  --instances N        register N simulated container instances at start,\n"
"                       spread over three zones, if the cluster has fewer\n"
"  --cluster NAME       cluster for --instances (default: default)\n"
"  --instance-type T    instance type for --instances: t3.medium (default),\n"
"                       t3.large, m5.large, m5.xlarge or c5.2xlarge\n"
"  --step DURATION      time each task lifecycle step takes (default 1s;\n"
"                       e.g. 500ms, 2s)\n"
"  --time-scale X       run the engine clock X times faster than the wall\n"
"  --seed N             seed of the PRNG behind ids and jitter (default 1)\n"
"  --agent-flaps N      each agent disconnects by itself N times an hour on\n"
"                       average, for 2 to 10 s each (default 0: never)\n"
"  --record FILE        write the calls that change state, with their times,\n"
"                       to FILE as a scenario for 'ecsim run' (start on a\n"
"                       fresh --db for the ARNs to replay)\n"
"  --events-file FILE   append every event to FILE as JSON lines (the\n"
"                       EventBridge envelope); repeatable\n"
"  --events-webhook URL POST every event to URL (http://), in order, with\n"
"                       retries; repeatable\n"
"  --events-pattern P   an EventBridge pattern (JSON, or @FILE) for the sink\n"
"                       named just before it, e.g.\n"
"                       '{\"detail-type\":[\"ECS Task State Change\"]}'\n"
"  --events-keep N      keep at most the newest N events (default 100000;\n"
"                       0: no count limit)\n"
"  --events-keep-for D  keep events D of engine time (default 24h; 0: no\n"
"                       age limit); undelivered events are always kept\n"
"  --tick-events D      an 'ecsim Clock Tick' event every D of engine time\n"
"                       (default 60s; 0: none)\n"
"  -v, --verbose        log debug messages\n"
"  -h, --help           show this help\n"
"\nThe events, sinks and patterns are described in docs/events.md.\n");
}

/* The sinks named on the command line, with their patterns' text. */
#define SERVE_MAX_SINKS	16
struct serve_sink {
	int		 webhook;
	const char	*target;
	const char	*pattern;
};

/* An AWS account id: 12 digits. */
static int
account_ok(const char *s)
{
	return strlen(s) == 12 && strspn(s, "0123456789") == 12;
}

/* --events-pattern: JSON, or @FILE holding it. */
static cJSON *
read_pattern(const char *arg, struct err *e)
{
	FILE	*f;
	char	*text;
	long	 n;
	cJSON	*p;

	if (arg[0] != '@')
		return events_pattern_parse(arg, e);
	if ((f = fopen(arg + 1, "r")) == NULL ||
	    fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		err_set(e, ERR_INVALID, "cannot read %s: %s", arg + 1,
		    strerror(errno));
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	text = xcalloc(1, (size_t)n + 1);
	if (fread(text, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	fclose(f);
	p = events_pattern_parse(text, e);
	free(text);
	return p;
}

static void
events_usage(FILE *f)
{
	fprintf(f,
"usage: ecsim events [options]\n\n"
"Prints the events in the outbox of an ecsim database, oldest first, one\n"
"EventBridge envelope per line: the lines --events-file writes. The outbox\n"
"is stored compressed (docs/events.md): read it with this command, the\n"
"sinks or GET /ecsim/events, not with SQL. A server may be running on the\n"
"database meanwhile.\n\n"
"options:\n"
"  --db PATH            the database (default ./" DEFAULT_DB ")\n"
"  --after SEQ          only events after SEQ, the outbox's sequence number\n"
"                       (the n-th event ecsim appended; default 0, all)\n"
"  --pattern P          only events matching an EventBridge pattern (JSON,\n"
"                       or @FILE holding it), as --events-pattern\n"
"  --region REGION      region in the envelopes (default us-east-1)\n"
"  --account-id ID      account in the envelopes (default 000000000000)\n"
"  -h, --help           show this help\n");
}

static int
cmd_events(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db",		required_argument, NULL, 'd' },
		{ "after",	required_argument, NULL, 'f' },
		{ "pattern",	required_argument, NULL, 'P' },
		{ "region",	required_argument, NULL, 'r' },
		{ "account-id",	required_argument, NULL, 'a' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char		*db = DEFAULT_DB, *region = "us-east-1";
	const char		*account = "000000000000";
	struct store		*st = NULL;
	cJSON			*pattern = NULL;
	struct err		 e;
	char			*end;
	long long		 after = 0;
	int			 c, ret = 1;

	err_clear(&e);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'f':
			after = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || after < 0) {
				fprintf(stderr, "ecsim events: --after wants a "
				    "sequence number, got '%s'\n", optarg);
				goto usage;
			}
			break;
		case 'P':
			cJSON_Delete(pattern);
			if ((pattern = read_pattern(optarg, &e)) == NULL) {
				fprintf(stderr, "ecsim events: --pattern: %s\n",
				    e.msg);
				goto usage;
			}
			break;
		case 'r':
			region = optarg;
			break;
		case 'a':
			if (!account_ok(optarg)) {
				fprintf(stderr, "ecsim events: --account-id "
				    "must be 12 digits, got '%s'\n", optarg);
				goto usage;
			}
			account = optarg;
			break;
		case 'h':
			events_usage(stdout);
			cJSON_Delete(pattern);
			return 0;
		default:
			events_usage(stderr);
			goto usage;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ecsim events: unexpected argument '%s'\n",
		    argv[optind]);
		goto usage;
	}
	/* Opening creates a database that is not there: say so instead. */
	if (strcmp(db, ":memory:") == 0 || access(db, F_OK) != 0) {
		fprintf(stderr, "ecsim events: no database at %s\n", db);
		goto usage;
	}
	if ((st = store_open(db, &e)) == NULL) {
		fprintf(stderr, "ecsim events: %s\n", e.msg);
		goto out;
	}
	if (events_print(st, region, account, after, pattern, stdout,
	    &e) != 0) {
		fprintf(stderr, "ecsim events: %s\n", e.msg);
		goto out;
	}
	ret = fflush(stdout) == 0 ? 0 : 1;
	if (ret != 0)
		fprintf(stderr, "ecsim events: writing: %s\n", strerror(errno));
out:
	store_close(st);
	cJSON_Delete(pattern);
	return ret;
usage:
	cJSON_Delete(pattern);
	return 2;
}

static volatile sig_atomic_t	stop_signal;

static void
serve_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	stop_signal = (sig_atomic_t)sig;
	event_base_loopexit(arg, NULL);
}

/* tmp + rename, so a reader never sees a half-written port. */
static int
write_port_file(const char *path, int port, struct err *e)
{
	char	*tmp = xprintf("%s.tmp.%ld", path, (long)getpid());
	FILE	*f;
	int	 ret = -1;

	if ((f = fopen(tmp, "w")) == NULL) {
		err_set(e, ERR_CLIENT, "cannot write %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		err_set(e, ERR_CLIENT, "cannot write %s: %s", path,
		    strerror(errno));
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(tmp);
	return ret;
}

static int
parse_listen(const char *s, char **addr, int *port, struct err *e)
{
	const char	*colon = strrchr(s, ':');
	char		*end;
	long		 p;

	if (colon == NULL)
		return err_set(e, ERR_INVALID, "--listen wants ADDR:PORT, "
		    "got '%s'", s);
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535)
		return err_set(e, ERR_INVALID, "--listen: '%s' is not a port "
		    "from 0 to 65535", colon + 1);
	if (colon == s)
		*addr = xstrdup("127.0.0.1");
	else if (s[0] == '[' && colon[-1] == ']')
		*addr = xstrndup(s + 1, (size_t)(colon - s - 2));
	else
		*addr = xstrndup(s, (size_t)(colon - s));
	*port = (int)p;
	return 0;
}

/*
 * Brings the cluster up to n simulated instances through the ECS API itself
 * (CreateCluster, RegisterContainerInstance), the way an agent would, so
 * there is one implementation of registration.
 */
static int
serve_instances(struct engine *eng, const char *cluster, long n,
    const char *type, struct err *e)
{
	static const char	 zones[] = "abc";
	const struct instance_type *t;
	struct instance_reg	 reg;
	struct api_reply	 r;
	char			*body, *zone;
	long			 have = 0, i;
	cJSON			*j, *req;

	if ((t = instance_type_find(type)) == NULL)
		return err_set(e, ERR_INVALID, "--instance-type %s is not one "
		    "ecsim knows; see ecsim serve --help", type);
	reg.cluster = cluster;
	reg.region = engine_region(eng);
	reg.account = engine_account(eng);
	reg.type = t->name;
	reg.cpu = t->cpu;
	reg.memory = t->memory;
	body = xprintf("{\"clusterName\":\"%s\"}", cluster);
	api_handle(eng, "AmazonEC2ContainerServiceV20141113.CreateCluster",
	    body, strlen(body), &r);
	free(body);
	free(r.body);
	body = xprintf("{\"cluster\":\"%s\"}", cluster);
	api_handle(eng,
	    "AmazonEC2ContainerServiceV20141113.ListContainerInstances", body,
	    strlen(body), &r);
	free(body);
	if (r.status == 200 && (j = cJSON_Parse(r.body)) != NULL) {
		have = cJSON_GetArraySize(cJSON_GetObjectItem(j,
		    "containerInstanceArns"));
		cJSON_Delete(j);
	}
	free(r.body);
	for (i = have; i < n; i++) {
		zone = xprintf("%s%c", engine_region(eng), zones[i % 3]);
		reg.zone = zone;
		req = instance_registration(&reg, engine_prng(eng));
		free(zone);
		body = json_print(req);
		cJSON_Delete(req);
		api_handle(eng, "AmazonEC2ContainerServiceV20141113."
		    "RegisterContainerInstance", body, strlen(body), &r);
		free(body);
		if (r.status != 200) {
			err_set(e, ERR_CLIENT, "registering a simulated "
			    "instance: %.200s", r.body);
			free(r.body);
			return -1;
		}
		free(r.body);
	}
	return 0;
}

static int
cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen",		required_argument, NULL, 'l' },
		{ "port-file",		required_argument, NULL, 'p' },
		{ "db",			required_argument, NULL, 'd' },
		{ "region",		required_argument, NULL, 'r' },
		{ "account-id",		required_argument, NULL, 'a' },
		{ "instances",		required_argument, NULL, 'n' },
		{ "cluster",		required_argument, NULL, 'c' },
		{ "instance-type",	required_argument, NULL, 't' },
		{ "step",		required_argument, NULL, 's' },
		{ "time-scale",		required_argument, NULL, 'x' },
		{ "seed",		required_argument, NULL, 'S' },
		{ "agent-flaps",	required_argument, NULL, 'G' },
		{ "record",		required_argument, NULL, 'R' },
		{ "events-file",	required_argument, NULL, 'F' },
		{ "events-webhook",	required_argument, NULL, 'W' },
		{ "events-pattern",	required_argument, NULL, 'P' },
		{ "events-keep",	required_argument, NULL, 'K' },
		{ "events-keep-for",	required_argument, NULL, 'A' },
		{ "tick-events",	required_argument, NULL, 'T' },
		{ "verbose",		no_argument,	   NULL, 'v' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct engine_config	 cfg;
	struct err		 e;
	struct event_base	*base = NULL;
	struct event		*sigterm = NULL, *sigint = NULL;
	struct clock		*clk = NULL;
	struct store		*st = NULL;
	struct engine		*eng = NULL;
	struct http_server	*http = NULL;
	struct recorder		*rec = NULL;
	struct record_options	 ro;
	struct events_options	 eo;
	struct events		*events = NULL;
	struct serve_sink	 sinks[SERVE_MAX_SINKS];
	cJSON			*patterns[SERVE_MAX_SINKS] = { NULL };
	size_t			 nsinks = 0, i;
	const char		*listen = "127.0.0.1:4566", *port_file = NULL;
	const char		*db = DEFAULT_DB, *cluster = "default";
	const char		*itype = "t3.medium", *record = NULL;
	char			*addr = NULL, *end;
	double			 scale = 1.0;
	long			 ninstances = 0;
	int64_t			 step;
	int			 c, port = 0, ret = 1;

	engine_config_defaults(&cfg);
	events_options_defaults(&eo);
	err_clear(&e);
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 'p':
			port_file = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'r':
			cfg.region = optarg;
			break;
		case 'a':
			if (!account_ok(optarg)) {
				fprintf(stderr, "ecsim serve: --account-id "
				    "must be 12 digits, got '%s'\n", optarg);
				return 2;
			}
			cfg.account = optarg;
			break;
		case 'n':
			ninstances = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || ninstances < 0 ||
			    ninstances > 5000) {
				fprintf(stderr, "ecsim serve: --instances "
				    "wants 0 to 5000, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'c':
			cluster = optarg;
			break;
		case 't':
			itype = optarg;
			break;
		case 's':
			if (time_parse_duration(optarg, &step, &e) != 0) {
				fprintf(stderr, "ecsim serve: --step: %s\n",
				    e.msg);
				return 2;
			}
			cfg.timings.provisioning = cfg.timings.pending =
			    cfg.timings.activating = cfg.timings.deactivating =
			    cfg.timings.stopping = cfg.timings.deprovisioning =
			    step;
			break;
		case 'x':
			scale = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !(scale > 0) ||
			    scale > 1e6) {
				fprintf(stderr, "ecsim serve: --time-scale "
				    "wants a number above 0, got '%s'\n",
				    optarg);
				return 2;
			}
			break;
		case 'S':
			cfg.seed = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0') {
				fprintf(stderr, "ecsim serve: --seed wants a "
				    "number, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'G':
			cfg.agent_flaps = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' ||
			    !(cfg.agent_flaps >= 0) || cfg.agent_flaps > 3600) {
				fprintf(stderr, "ecsim serve: --agent-flaps "
				    "wants 0 to 3600 an hour, got '%s'\n",
				    optarg);
				return 2;
			}
			break;
		case 'R':
			record = optarg;
			break;
		case 'F':
		case 'W':
			if (nsinks == SERVE_MAX_SINKS) {
				fprintf(stderr, "ecsim serve: at most %d event "
				    "sinks\n", SERVE_MAX_SINKS);
				return 2;
			}
			sinks[nsinks].webhook = c == 'W';
			sinks[nsinks].pattern = NULL;
			sinks[nsinks++].target = optarg;
			break;
		case 'P':
			if (nsinks == 0) {
				fprintf(stderr, "ecsim serve: --events-pattern "
				    "follows the --events-file or "
				    "--events-webhook it filters\n");
				return 2;
			}
			sinks[nsinks - 1].pattern = optarg;
			break;
		case 'K':
			eo.keep = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || eo.keep < 0) {
				fprintf(stderr, "ecsim serve: --events-keep "
				    "wants a count, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'A':
		case 'T':
			if (time_parse_duration(optarg, c == 'A' ?
			    &eo.keep_for : &eo.tick, &e) != 0) {
				fprintf(stderr, "ecsim serve: --%s: %s\n",
				    c == 'A' ? "events-keep-for" :
				    "tick-events", e.msg);
				return 2;
			}
			break;
		case 'v':
			log_verbose = 1;
			break;
		case 'h':
			serve_usage(stdout);
			return 0;
		default:
			serve_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ecsim serve: unexpected argument '%s'\n",
		    argv[optind]);
		serve_usage(stderr);
		return 2;
	}
	if (parse_listen(listen, &addr, &port, &e) != 0) {
		fprintf(stderr, "ecsim serve: %s\n", e.msg);
		return 2;
	}
	for (i = 0; i < nsinks; i++) {
		if (sinks[i].webhook &&
		    events_webhook_check(sinks[i].target, &e) != 0)
			fprintf(stderr, "ecsim serve: %s\n", e.msg);
		else if (sinks[i].pattern != NULL && (patterns[i] =
		    read_pattern(sinks[i].pattern, &e)) == NULL)
			fprintf(stderr, "ecsim serve: --events-pattern for "
			    "%s: %s\n", sinks[i].target, e.msg);
		else
			continue;
		while (i-- > 0)
			cJSON_Delete(patterns[i]);
		free(addr);
		return 2;
	}
	eo.time_scale = scale;
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	clk = clock_new(base, CLOCK_REAL, scale, 0);
	if ((st = store_open(db, &e)) == NULL)
		goto out;
	if ((eng = engine_new(base, clk, st, &cfg, &e)) == NULL)
		goto out;
	if (ninstances > 0 &&
	    serve_instances(eng, cluster, ninstances, itype, &e) != 0)
		goto out;
	ro = (struct record_options){ cluster, ninstances, itype, cfg.seed,
	    cfg.timings.pending, cfg.region, cfg.account };
	if (record != NULL &&
	    (rec = record_start(eng, record, &ro, &e)) == NULL)
		goto out;
	events = events_new(base, clk, eng, &eo);
	for (i = 0; i < nsinks; i++)
		if ((sinks[i].webhook ? events_add_webhook(events,
		    sinks[i].target, patterns[i], &e) : events_add_file(events,
		    sinks[i].target, patterns[i], &e)) != 0)
			goto out;
	if ((http = http_new(base, eng, addr, port, &e)) == NULL)
		goto out;
	http_set_events(http, events);
	if (port_file != NULL &&
	    write_port_file(port_file, http_port(http), &e) != 0)
		goto out;
	sigterm = evsignal_new(base, SIGTERM, serve_signal, base);
	sigint = evsignal_new(base, SIGINT, serve_signal, base);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	log_info("serving the ECS API on http://%s:%d (database %s)", addr,
	    http_port(http), db);
	event_base_dispatch(base);
	log_info("stopping on signal %d", (int)stop_signal);
	ret = 0;
	if (record_finish(rec, &e) != 0)
		ret = 1;
	rec = NULL;
out:
	if (ret != 0)
		fprintf(stderr, "ecsim serve: %s\n", e.msg);
	record_finish(rec, &e);
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	http_free(http);
	events_free(events);
	for (i = 0; i < nsinks; i++)
		cJSON_Delete(patterns[i]);
	engine_free(eng);
	if (store_close(st) != 0)
		ret = 1;
	clock_free(clk);
	if (base != NULL)
		event_base_free(base);
	free(addr);
	return ret;
}

static void
run_usage(FILE *f)
{
	fprintf(f,
"usage: ecsim run FILE.yaml [options]\n\n"
"Replays the scenario in FILE (docs/scenarios.md) on a virtual clock that\n"
"starts at 2026-01-01T00:00:00Z, checks its expectations and the engine's\n"
"invariants after every second of virtual time, and prints a summary.\n"
"Exit status: 0 every expectation held, 1 one failed, an invariant broke or\n"
"the engine failed (which ends the run), 2 the file or the options are\n"
"wrong.\n\n"
"options:\n"
"  --seed N         seed of the PRNG (default: the file's seed:, else 1);\n"
"                   the same file, seed and build replay identically\n"
"  --events FILE    write every event, with its virtual time, to FILE as\n"
"                   JSON lines ('-' for standard output)\n"
"  --trace          say on standard error what happens and why, with the\n"
"                   virtual time of each line\n"
"  --until D        stop after D of virtual time (e.g. 90s, 10m, 2h)\n"
"  -h, --help       show this help\n");
}

static int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed",	required_argument, NULL, 'S' },
		{ "events",	required_argument, NULL, 'e' },
		{ "trace",	no_argument,	   NULL, 't' },
		{ "until",	required_argument, NULL, 'u' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct scenario_options	 o;
	struct scenario		*sc = NULL;
	struct err		 e;
	const char		*events = NULL, *until = NULL;
	char			*end, *replay = NULL;
	int			 c, has_seed = 0, ret = 2;

	memset(&o, 0, sizeof o);
	err_clear(&e);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			o.seed = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' ||
			    *optarg == '-') {
				fprintf(stderr, "ecsim run: --seed wants a "
				    "number, got '%s'\n", optarg);
				return 2;
			}
			has_seed = 1;
			break;
		case 'e':
			events = optarg;
			break;
		case 't':
			o.trace = stderr;
			break;
		case 'u':
			until = optarg;
			if (time_parse_duration(optarg, &o.until, &e) != 0 ||
			    o.until <= 0) {
				fprintf(stderr, "ecsim run: --until wants a "
				    "duration above 0 such as 10m, got '%s'\n",
				    optarg);
				return 2;
			}
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "ecsim run: expected one scenario file\n");
		run_usage(stderr);
		return 2;
	}
	if ((sc = scenario_load(argv[optind], &e)) == NULL) {
		fprintf(stderr, "ecsim run: %s\n", e.msg);
		return 2;
	}
	if (!has_seed)
		o.seed = scenario_seed(sc);
	if (events != NULL && strcmp(events, "-") == 0)
		o.events = stdout;
	else if (events != NULL && (o.events = fopen(events, "w")) == NULL) {
		fprintf(stderr, "ecsim run: cannot write %s: %s\n", events,
		    strerror(errno));
		goto out;
	}
	o.out = stdout;
	o.progress = isatty(STDERR_FILENO) && o.trace == NULL;
	replay = xprintf("ecsim run %s --seed %llu%s%s", argv[optind],
	    (unsigned long long)o.seed, until ? " --until " : "",
	    until ? until : "");
	o.replay = replay;
	switch (scenario_run(sc, &o, &e)) {
	case 0:
		ret = 0;
		break;
	case 1:
		ret = 1;
		break;
	default:
		fprintf(stderr, "ecsim run: %s\n", e.msg);
		ret = e.code == ERR_INVALID ? 2 : 1;
		break;
	}
out:
	if (o.events != NULL && o.events != stdout && fclose(o.events) != 0) {
		fprintf(stderr, "ecsim run: writing %s: %s\n", events,
		    strerror(errno));
		ret = ret ? ret : 1;
	}
	free(replay);
	scenario_free(sc);
	return ret;
}

int
main(int argc, char **argv)
{
	size_t	i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(argc, argv);
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc, argv);
	for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "ecsim: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
