#!/usr/bin/env bash
# The scenario benchmark (docs/performance.md): writes a one-hour scenario of
# 1,000 instances and 200 services of 100 tasks (20,000 tasks), each service
# deployed twice more by a rolling deploy spread over the hour, and replays it
# with 'ecsim run' under /usr/bin/time -v, reporting wall time and peak RSS
# against the targets (under 10 s, under 500 MB).
#
# usage: tools/bench/scenario-bench.sh [-n] [-k] [-c] [-s SERVICES] [-t TASKS] [-i INSTANCES]
#   -n            do not (re)build the Release build ($ECSIM_BUILD, default
#                 build-release/)
#   -k            keep the scenario file and print its path
#   -c            count the instructions the run takes (valgrind's callgrind,
#                 about 80 times slower) instead of timing it: they do not
#                 vary from run to run as times do; use a small size
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

while getopts "nkcs:t:i:h" opt; do
	case $opt in
	n) BUILD_IT=0 ;;
	k) KEEP=1 ;;
	c) COUNT=1 ;;
	s) SERVICES=$OPTARG ;;
	t) TASKS=$OPTARG ;;
	i) INSTANCES=$OPTARG ;;
	h) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done

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
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" \
	    --target ecsim >/dev/null
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
set +e
if [ "$COUNT" = 1 ]; then
	valgrind --tool=callgrind --callgrind-out-file="$DIR/callgrind.out" \
	    "$BUILD/ecsim" run "$FILE" >"$DIR/out" 2>"$DIR/valgrind"
	status=$?
	set -e
	tail -n 1 "$DIR/out"
	echo "instructions $(sed -n 's/.*I *refs: *//p' "$DIR/valgrind")"
	[ "$KEEP" = 1 ] && echo "scenario kept: $FILE" &&
	    echo "callgrind_annotate --inclusive=yes $DIR/callgrind.out"
	if [ "$status" != 0 ]; then
		echo "scenario-bench: ecsim run failed (exit $status)" >&2
		exit 1
	fi
	exit 0
fi
/usr/bin/time -v -o "$DIR/time" "$BUILD/ecsim" run "$FILE" >"$DIR/out"
status=$?
set -e
tail -n 1 "$DIR/out"
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$DIR/time")
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$DIR/time")
user=$(sed -n 's/.*User time (seconds): //p' "$DIR/time")
echo "wall time $wall (target < 10 s), peak RSS $((rss / 1024)) MB (target < 500 MB)," \
    "CPU ${user} s user"
if [ "$status" != 0 ]; then
	echo "scenario-bench: ecsim run failed (exit $status):" >&2
	grep -v '^  PASS' "$DIR/out" >&2
	exit 1
fi
[ "$KEEP" = 1 ] && echo "scenario kept: $FILE"
exit 0
