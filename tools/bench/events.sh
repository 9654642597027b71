#!/usr/bin/env bash
# The events benchmark (docs/events.md, docs/performance.md):
#  1. what the outbox costs the engine: the CPU time (the median of RUNS
#     runs) of ecsim serve placing a workload and deploying it again, and
#     of the scenario benchmark (scenario-bench.sh, whose runner also reads
#     every event for its checks), each with events appended and with
#     the outbox turned off (ECSIM_BENCH_NO_EVENTS=1: events are still
#     built, numbered and told to the runner, but not stored), and how
#     much slower the outbox makes it (target: under 10 %);
#  2. events per second through each sink of ecsim serve: a JSON-lines
#     file, a webhook and the server-sent-events stream, each catching up
#     with an outbox filled by a large workload (events_sinks.py).
#
# usage: tools/bench/events.sh [-n] [-c] [-r RUNS] [-s SERVICES] [-t TASKS] [-i INSTANCES]
#   -n            do not (re)build the Release build ($ECSIM_BUILD, default
#                 build-release/)
#   -c            also count the instructions of ecsim run with the outbox
#                 and without (valgrind's callgrind, one run each: counts
#                 do not vary from run to run as times do)
#   -r RUNS       runs of each kind for part 1 (default 3)
#   -s SERVICES   services (default 40)
#   -t TASKS      tasks per service (default 50)
#   -i INSTANCES  instances (default 200)
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${ECSIM_BUILD:-$ROOT/build-release}
BUILD_IT=1
COUNT=0
RUNS=3
SERVICES=40
TASKS=50
INSTANCES=200

while getopts "ncr:s:t:i:h" opt; do
	case $opt in
	n) BUILD_IT=0 ;;
	c) COUNT=1 ;;
	r) RUNS=$OPTARG ;;
	s) SERVICES=$OPTARG ;;
	t) TASKS=$OPTARG ;;
	i) INSTANCES=$OPTARG ;;
	h) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done

if [ "$BUILD_IT" = 1 ]; then
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" \
	    --target ecsim >/dev/null
fi

# The user CPU time of one scenario-bench run.
run_cpu() {
	ECSIM_BUILD=$BUILD "$ROOT/tools/bench/scenario-bench.sh" -n \
	    -s "$SERVICES" -t "$TASKS" -i "$INSTANCES" 2>/dev/null |
	    sed -n 's/.*CPU \([0-9.]*\) s user.*/\1/p'
}

# The instructions of one scenario-bench run.
run_instructions() {
	ECSIM_BUILD=$BUILD "$ROOT/tools/bench/scenario-bench.sh" -n -c \
	    -s "$SERVICES" -t "$TASKS" -i "$INSTANCES" 2>/dev/null |
	    sed -n 's/^instructions \([0-9,]*\).*/\1/p' | tr -d ,
}

# The CPU time of ecsim serve placing the workload and deploying it again.
serve_cpu() {
	/usr/bin/python3 "$ROOT/tools/bench/events_sinks.py" --fill-only \
	    --ecsim "$BUILD/ecsim" --services "$SERVICES" --tasks "$TASKS" \
	    --instances "$INSTANCES"
}

median() {
	tr ' ' '\n' | grep . | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# compare WHAT FN: RUNS runs of FN with events and without.
compare() {
	local on="" off="" r
	for ((r = 1; r <= RUNS; r++)); do
		on="$on $($2)"
		off="$off $(ECSIM_BENCH_NO_EVENTS=1 $2)"
	done
	awk -v what="$1" -v on="$(echo $on | median)" \
	    -v off="$(echo $off | median)" -v a="$on" -v b="$off" 'BEGIN {
		printf("%s: events on %.2f s CPU (median of%s), off %.2f s " \
		    "(of%s): %+.1f %% (target: under 10 %%)\n", what, on, a,
		    off, b, (on - off) * 100 / off)
	}'
}

echo "events-bench: the outbox's cost, $INSTANCES instances, $SERVICES" \
    "services x $TASKS tasks, $RUNS runs each"
compare "ecsim serve, placed and deployed once more" serve_cpu
compare "ecsim run, 2 rolling deploys (its checks told every event)" run_cpu
if [ "$COUNT" = 1 ]; then
	on=$(run_instructions)
	off=$(ECSIM_BENCH_NO_EVENTS=1 run_instructions)
	awk -v on="$on" -v off="$off" 'BEGIN {
		printf("ecsim run, instructions: outbox on %s, off %s: " \
		    "%+.1f %%\n", on, off, (on - off) * 100 / off)
	}'
fi

echo "events-bench: events per second through each sink"
/usr/bin/python3 "$ROOT/tools/bench/events_sinks.py" --ecsim "$BUILD/ecsim" \
    --services "$SERVICES" --tasks "$TASKS" --instances "$INSTANCES"
