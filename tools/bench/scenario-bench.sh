#!/usr/bin/env bash
# The scenario benchmark (docs/performance.md): writes a one-hour scenario of
# 1,000 instances and 200 services of 100 tasks (20,000 tasks), each service
# deployed twice more by a rolling deploy spread over the hour, and replays it
# with 'ecsim run' under /usr/bin/time, reporting wall time and peak RSS
# against the targets (under 10 s, under 500 MB).
#
# usage: tools/bench/scenario-bench.sh [-n] [-k] [-c] [-r RUNS] [-b OTHER]
#            [-s SERVICES] [-t TASKS] [-i INSTANCES]
#   -n            do not (re)build the Release build ($ECSIM_BUILD, default
#                 build-release/; profile-guided, by tools/build.sh)
#   -k            keep the scenario file and print its path
#   -c            count the instructions the run takes (valgrind's callgrind,
#                 about 80 times slower) instead of timing it: they do not
#                 vary from run to run as times do; use a small size
#   -r RUNS       time RUNS runs and print their medians (default 1)
#   -b OTHER      also time another ecsim binary on the same file, each run
#                 of it right after one of this build's, so that both meet
#                 the same load on the machine (with -c: count both)
#   -s SERVICES   services (default 200)
#   -t TASKS      tasks per service (default 100)
#   -i INSTANCES  instances (default 1000)
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${ECSIM_BUILD:-$ROOT/build-release}
BUILD_IT=1
KEEP=0
SERVICES=200
TASKS=100
INSTANCES=1000

COUNT=0
RUNS=1
OTHER=""

while getopts "nkcr:b:s:t:i:h" opt; do
	case $opt in
	n) BUILD_IT=0 ;;
	k) KEEP=1 ;;
	c) COUNT=1 ;;
	r) RUNS=$OPTARG ;;
	b) OTHER=$OPTARG ;;
	s) SERVICES=$OPTARG ;;
	t) TASKS=$OPTARG ;;
	i) INSTANCES=$OPTARG ;;
	h) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done

case $RUNS in
''|*[!0-9]*|0) echo "scenario-bench: -r wants a number of runs above 0," \
    "not '$RUNS'" >&2; exit 2 ;;
esac
if [ -n "$OTHER" ] && [ ! -x "$OTHER" ]; then
	echo "scenario-bench: -b $OTHER is not an executable file" >&2
	exit 2
fi

if [ "$COUNT" = 1 ] && ! command -v valgrind >/dev/null; then
	echo "scenario-bench: -c needs valgrind (apt-get install valgrind)" >&2
	exit 2
fi
if [ ! -x /usr/bin/time ]; then
	echo "scenario-bench: /usr/bin/time is missing (apt-get install time," \
	    "or tools/setup.sh)" >&2
	exit 2
fi
if [ "$BUILD_IT" = 1 ]; then
	# As tools/setup.sh builds: profile-guided (tools/build.sh).
	bash "$ROOT/tools/build.sh" -t ecsim "$BUILD" \
	    -DCMAKE_BUILD_TYPE=Release >/dev/null
fi

DIR=$(mktemp -d)
[ "$KEEP" = 1 ] || trap 'rm -rf "$DIR"' EXIT
FILE=$DIR/scenario-bench.yaml

# Each service is created at the start; its first deploy falls in minutes
# 5-25 and its second in minutes 30-50, one service after another, so
# about ten deploys overlap at any time. Every deploy must complete.
{
	cat <<YAML
name: scenario-bench
description: >
  $INSTANCES instances, $SERVICES services of $TASKS tasks, two rolling
  deploys of every service over one hour.
seed: 1
settle: 10m

cluster:
  name: bench
  instances:
    - {name: node, count: $INSTANCES, type: m5.xlarge, zones: [a, b, c]}

task_definitions:
  - family: app
    containerDefinitions:
      - {name: app, image: "app:1", cpu: 64, memory: 256}

timeline:
YAML
	for ((s = 1; s <= SERVICES; s++)); do
		echo "  - {at: 0s, call: CreateService, with: {serviceName: svc-$s, taskDefinition: app, desiredCount: $TASKS}}"
	done
	for round in 0 1; do
		for ((s = 1; s <= SERVICES; s++)); do
			at=$(( (300 + round * 1500) * 1000 + (s - 1) * 1200000 / SERVICES ))
			echo "  - {at: ${at}ms, call: UpdateService, with: {service: svc-$s, forceNewDeployment: true}}"
		done
	done
	cat <<YAML

expect:
  - tasks: {lastStatus: RUNNING}
    count: $((SERVICES * TASKS))
  - events: {detail-type: ECS Deployment State Change, eventName: SERVICE_DEPLOYMENT_COMPLETED}
    count: $((SERVICES * 3))
YAML
} >"$FILE"

echo "scenario-bench: $INSTANCES instances, $SERVICES services x $TASKS tasks," \
    "2 rolling deploys each ($FILE)"
BINS=("$BUILD/ecsim")
[ -n "$OTHER" ] && BINS+=("$OTHER")
failed=0

if [ "$COUNT" = 1 ]; then
	for n in "${!BINS[@]}"; do
		set +e
		valgrind --tool=callgrind \
		    --callgrind-out-file="$DIR/callgrind.out.$n" \
		    "${BINS[$n]}" run "$FILE" >"$DIR/out" 2>"$DIR/valgrind"
		status=$?
		set -e
		tail -n 1 "$DIR/out"
		echo "instructions $(sed -n 's/.*I *refs: *//p' \
		    "$DIR/valgrind") (${BINS[$n]})"
		[ "$KEEP" = 1 ] && echo "callgrind_annotate --inclusive=yes" \
		    "$DIR/callgrind.out.$n"
		if [ "$status" != 0 ]; then
			echo "scenario-bench: ${BINS[$n]} run failed" \
			    "(exit $status)" >&2
			failed=1
		fi
	done
	[ "$KEEP" = 1 ] && echo "scenario kept: $FILE"
	exit "$failed"
fi

# One timed run of a binary: prints its result and appends its wall time
# to the file $DIR/wall.N (N: the binary's place in BINS).
timed() {
	local bin=$1 n=$2 status wall rss user
	set +e
	/usr/bin/time -f '%e %M %U' -o "$DIR/time" "$bin" run "$FILE" \
	    >"$DIR/out"
	status=$?
	set -e
	read -r wall rss user < <(tail -n 1 "$DIR/time")
	tail -n 1 "$DIR/out"
	echo "wall time $wall s (target < 10 s), peak RSS $((rss / 1024)) MB" \
	    "(target < 500 MB), CPU $user s user ($bin)"
	echo "$wall" >>"$DIR/wall.$n"
	if [ "$status" != 0 ]; then
		echo "scenario-bench: ecsim run failed (exit $status):" >&2
		grep -v '^  PASS' "$DIR/out" >&2
		failed=1
	fi
}

for ((r = 1; r <= RUNS; r++)); do
	for n in "${!BINS[@]}"; do
		timed "${BINS[$n]}" "$n"
	done
done
if [ "$RUNS" -gt 1 ] || [ -n "$OTHER" ]; then
	for n in "${!BINS[@]}"; do
		sort -n "$DIR/wall.$n" | awk -v b="${BINS[$n]}" \
		    '{ v[NR] = $1 } END { printf("median wall time of %d: " \
		    "%s s (%s)\n", NR, v[int((NR + 1) / 2)], b) }'
	done
fi
[ "$KEEP" = 1 ] && echo "scenario kept: $FILE"
exit "$failed"
