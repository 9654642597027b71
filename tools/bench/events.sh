#!/usr/bin/env bash
# The events benchmark (docs/events.md, docs/performance.md):
#  1. what the outbox costs the engine: the CPU time (RUNS pairs of runs)
#     of ecsim serve placing a workload and deploying it again, and
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
#   -r RUNS       pairs of runs for part 1 (default 3; the machine this was
#                 measured on needed 80 to tell a few percent apart)
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
	h) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# compare WHAT FN: RUNS runs of FN with events and without, in pairs, the
# order turned around every other pair so that a slow stretch of the
# machine meets both kinds. One run's time varies by a fifth here, so the
# cost is given three ways: the ratio of the sums, the median of the pairs'
# ratios and the ratio of the medians.
compare() {
	local on="" off="" a b r
	for ((r = 1; r <= RUNS; r++)); do
		if ((r % 2)); then
			a=$($2); b=$(ECSIM_BENCH_NO_EVENTS=1 $2)
		else
			b=$(ECSIM_BENCH_NO_EVENTS=1 $2); a=$($2)
		fi
		on="$on $a"
		off="$off $b"
	done
	echo "$on" "|" "$off" | awk -v what="$1" '
	function median(v, n,   i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	{
		n = 0
		for (i = 1; $i != "|"; i++) { a[++n] = $i; sa += $i }
		for (k = 1; k <= n; k++) { b[k] = $(i + k); sb += b[k]
			q[k] = b[k] > 0 ? a[k] / b[k] : 1 }
		printf("%s, %d pairs: events on %.2f s CPU, off %.2f s " \
		    "(medians): %+.1f %%; sums %+.1f %%, median of the pairs " \
		    "%+.1f %% (target: under 10 %%)\n", what, n, median(a, n),
		    median(b, n), (median(a, n) / median(b, n) - 1) * 100,
		    (sb > 0 ? sa / sb - 1 : 0) * 100, (median(q, n) - 1) * 100)
	}'
}

echo "events-bench: the outbox's cost, $INSTANCES instances, $SERVICES" \
    "services x $TASKS tasks, $RUNS pairs of runs"
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
