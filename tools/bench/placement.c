/* ecsim-bench-placement: how fast the pure placement library places tasks.
 * It builds a cluster view of N instances over three zones and places a
 * service's tasks with spread over zones then binpack on memory, timing
 * only the library (no database, no HTTP). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "placement/placement.h"
#include "util/util.h"

#define BENCH_MAX_SIZES	16

static const char *const zones[] = { "us-east-1a", "us-east-1b",
    "us-east-1c" };
/* Instance shapes (CPU units, MiB), as m5.large, m5.xlarge, m5.2xlarge
 * register them. */
static const int64_t shapes[][2] = { { 2048, 7680 }, { 4096, 15620 },
    { 8192, 31750 } };

static double
now_seconds(void)
{
	struct timespec	ts;

	/* A benchmark measures the wall clock; the engine never does. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A view of n instances; the shape and zone of each come from prng. */
static struct placement *
cluster(size_t n, const struct placement_policy *pol, struct prng *prng)
{
	struct placement		*p = placement_new("service:bench", pol);
	struct placement_instance	 in;
	char				 arn[128], id[40];
	size_t				 i, idx, k;

	for (i = 0; i < n; i++) {
		k = (size_t)prng_below(prng, 3);
		id_hex32(prng, id);
		snprintf(arn, sizeof arn, "arn:aws:ecs:us-east-1:000000000000:"
		    "container-instance/bench/%s", id);
		memset(&in, 0, sizeof in);
		in.arn = arn;
		in.id = id;
		in.ec2_instance_id = id;
		in.active = 1;
		in.connected = 1;
		in.cpu = shapes[k][0];
		in.memory = shapes[k][1];
		idx = placement_add_instance(p, &in);
		placement_add_attribute(p, idx, PLACEMENT_ZONE_ATTRIBUTE,
		    zones[i % 3]);
		placement_add_attribute(p, idx, "ecs.instance-type",
		    k == 0 ? "m5.large" : k == 1 ? "m5.xlarge" : "m5.2xlarge");
		placement_add_attribute(p, idx, "ecs.os-type", "linux");
		placement_add_reserved_port(p, idx, 22, 0);
	}
	return p;
}

struct run {
	size_t	instances;
	size_t	placed;
	size_t	failed;
	double	seconds;
};

static const char default_strategy[] = "[{\"type\":\"spread\",\"field\":"
    "\"attribute:ecs.availability-zone\"},{\"type\":\"binpack\","
    "\"field\":\"memory\"}]";

static void
bench(size_t n, size_t tasks, const struct placement_need *need,
    const char *strategy, uint64_t seed, int indexed, int check,
    struct run *out)
{
	struct placement_policy	 pol;
	struct placement	*p;
	struct placement_result	 r;
	struct placement_state	 st;
	struct prng		 prng;
	struct err		 e;
	cJSON			*s;
	double			 t0;
	size_t			 i;

	placement_policy_init(&pol);
	if ((s = cJSON_Parse(strategy)) == NULL) {
		fprintf(stderr, "ecsim-bench-placement: --strategy is not "
		    "JSON\n");
		exit(1);
	}
	if (placement_policy_add_strategies(&pol, s, "--strategy", &e) != 0) {
		fprintf(stderr, "ecsim-bench-placement: %s\n", e.msg);
		exit(1);
	}
	cJSON_Delete(s);
	placement_policy_default(&pol, 1);
	prng_seed(&prng, seed);
	p = cluster(n, &pol, &prng);
	placement_set_indexed(p, indexed);
	memset(out, 0, sizeof *out);
	out->instances = n;
	t0 = now_seconds();
	for (i = 0; i < tasks; i++) {
		placement_choose(p, need, &prng, &r);
		if (r.chosen >= 0)
			out->placed++;
		else
			out->failed++;
	}
	out->seconds = now_seconds() - t0;
	if (check)
		for (i = 0; i < n; i++) {
			placement_get(p, i, &st);
			if (st.memory_free < 0 || st.cpu_free < 0) {
				fprintf(stderr, "ecsim-bench-placement: %s has "
				    "%lld MiB and %lld CPU units left\n", st.id,
				    (long long)st.memory_free,
				    (long long)st.cpu_free);
				exit(1);
			}
		}
	placement_free(p);
	placement_policy_clear(&pol);
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: ecsim-bench-placement [options]\n\n"
"Places a service's tasks on a cluster view of each size (three zones,\n"
"three instance shapes), by default with spread(attribute:ecs.availability-\n"
"zone) then binpack(memory), through the pure placement library only, and\n"
"prints placements per second.\n\n"
"  -i, --instances LIST  cluster sizes, comma-separated (500,1000,2000,5000)\n"
"  -t, --tasks N         tasks to place on each (100000)\n"
"  -c, --cpu N           CPU units a task needs (16)\n"
"  -m, --memory N        MiB a task needs (64)\n"
"  -s, --seed N          PRNG seed for shapes and ties (1)\n"
"  -r, --repeat N        runs of each size; the best is printed (1)\n"
"  -p, --strategy JSON   the placementStrategy, [] for ECS's service default\n"
"                        (spread over zones, then over instances)\n"
"  -S, --scan            also time the simple scan of every instance\n"
"  -h, --help            this text\n");
}

int
main(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "instances",	required_argument,	NULL, 'i' },
		{ "tasks",	required_argument,	NULL, 't' },
		{ "cpu",	required_argument,	NULL, 'c' },
		{ "memory",	required_argument,	NULL, 'm' },
		{ "seed",	required_argument,	NULL, 's' },
		{ "repeat",	required_argument,	NULL, 'r' },
		{ "strategy",	required_argument,	NULL, 'p' },
		{ "scan",	no_argument,		NULL, 'S' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	struct placement_need	 need;
	struct run		 run, best;
	size_t			 sizes[BENCH_MAX_SIZES] = { 500, 1000, 2000, 5000 };
	size_t			 nsizes = 4, tasks = 100000, i;
	uint64_t		 seed = 1;
	long			 repeat = 1, k;
	const char		*strategy = default_strategy;
	char			*list, *tok, *save;
	int			 ch, scan = 0, mode;

	memset(&need, 0, sizeof need);
	need.cpu = 16;
	need.memory = 64;
	while ((ch = getopt_long(argc, argv, "i:t:c:m:s:r:p:Sh", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'i':
			nsizes = 0;
			list = xstrdup(optarg);
			for (tok = strtok_r(list, ",", &save); tok != NULL &&
			    nsizes < BENCH_MAX_SIZES; tok = strtok_r(NULL, ",",
			    &save))
				sizes[nsizes++] = (size_t)strtoull(tok, NULL, 10);
			free(list);
			break;
		case 't':
			tasks = (size_t)strtoull(optarg, NULL, 10);
			break;
		case 'c':
			need.cpu = strtoll(optarg, NULL, 10);
			break;
		case 'm':
			need.memory = strtoll(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			repeat = strtol(optarg, NULL, 10);
			break;
		case 'p':
			strategy = optarg;
			break;
		case 'S':
			scan = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (nsizes == 0 || tasks == 0 || repeat < 1) {
		usage(stderr);
		return 1;
	}
	printf("%-8s %10s %10s %8s %9s %14s\n", "path", "instances",
	    "placed", "failed", "seconds", "placements/s");
	for (mode = 1; mode >= (scan ? 0 : 1); mode--)
		for (i = 0; i < nsizes; i++) {
			for (k = 0; k < repeat; k++) {
				bench(sizes[i], tasks, &need, strategy, seed,
				    mode, k == 0, &run);
				if (k == 0 || run.seconds < best.seconds)
					best = run;
			}
			printf("%-8s %10zu %10zu %8zu %9.3f %14.0f\n",
			    mode ? "indexed" : "scan", best.instances,
			    best.placed, best.failed, best.seconds,
			    (double)tasks / best.seconds);
		}
	return 0;
}
