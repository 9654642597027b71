#!/usr/bin/env bash
# Builds a Release ecsim, measures its start-up time and idle memory, runs the
# ecsim-bench mixes against one 'ecsim serve --db :memory:' and prints a
# summary against the targets in docs/performance.md.
#
# usage: tools/bench/run.sh [-d SECS] [-c CONNS] [-s STARTS] [-n] [MIX ...]
#   -d SECS    seconds each mix is measured (default 10)
#   -c CONNS   connections (default 8)
#   -s STARTS  start-ups to time (default 20)
#   -n         do not (re)build build-release/
#   MIX        mixes to run, in order (default: health describe-clusters list
#              describe-services mix)
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build-release
DURATION=10
CONNS=8
STARTS=20
BUILD_IT=1

while getopts "d:c:s:nh" opt; do
	case $opt in
	d) DURATION=$OPTARG ;;
	c) CONNS=$OPTARG ;;
	s) STARTS=$OPTARG ;;
	n) BUILD_IT=0 ;;
	h) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -gt 0 ]; then
	MIXES="$*"
else
	MIXES="health describe-clusters list describe-services mix"
fi

ECSIM=$BUILD/ecsim
BENCH=$BUILD/ecsim-bench
TMP=$(mktemp -d)
SERVER_PID=

cleanup() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$BUILD_IT" = 1 ]; then
	echo "== building $BUILD (Release)"
	# -O2 makes GCC's -Wmaybe-uninitialized guess more than -O0 does and
	# the tree builds with -Werror; keep those guesses warnings here (they
	# change no code) so a false positive does not stop the measurement.
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
	    -DCMAKE_C_FLAGS=-Wno-error=maybe-uninitialized >"$TMP/build.log" 2>&1 &&
	cmake --build "$BUILD" -j"$(nproc)" --target ecsim ecsim-bench \
	    >>"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; exit 1; }
	n=$(grep -c 'warning:' "$TMP/build.log" || true)
	[ "$n" = 0 ] || echo "   ($n compiler warnings; see a verbose build)"
fi
[ -x "$ECSIM" ] && [ -x "$BENCH" ] || { echo "no $ECSIM or $BENCH" >&2; exit 1; }

# Microseconds from bash itself ($EPOCHREALTIME, no fork), else date(1).
now_us() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		local t=${EPOCHREALTIME/[.,]/}
		echo "$t"
	else
		echo $(( $(date +%s%N) / 1000 ))
	fi
}

# Starts ecsim on a free port and waits for its port file; sets SERVER_PID,
# PORT and START_US (exec to port file written, busy-waited so the figure
# is not rounded up to a sleep).
start_server() {
	local pf=$TMP/port t0 t1
	rm -f "$pf"
	t0=$(now_us)
	"$ECSIM" serve --db :memory: --listen 127.0.0.1:0 --port-file "$pf" \
	    >"$TMP/serve.log" 2>&1 &
	SERVER_PID=$!
	while [ ! -s "$pf" ]; do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "ecsim serve exited:" >&2
			cat "$TMP/serve.log" >&2
			exit 1
		fi
	done
	t1=$(now_us)
	PORT=$(cat "$pf")
	START_US=$((t1 - t0))
}

stop_server() {
	local rc=0
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID" || rc=$?
	SERVER_PID=
	if [ "$rc" != 0 ]; then
		echo "ecsim serve exited with status $rc on SIGTERM" >&2
		cat "$TMP/serve.log" >&2
		exit 1
	fi
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"
}

hwm_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status"
}

ms() {
	awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'
}

mb() {
	awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'
}

CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "== machine: $(nproc) CPUs, ${CPU:-unknown CPU}, $(uname -sr)"

echo "== start-up: $STARTS starts, exec to port file written"
: >"$TMP/starts"
for _ in $(seq "$STARTS"); do
	start_server
	echo "$START_US" >>"$TMP/starts"
	stop_server
done
sort -n "$TMP/starts" >"$TMP/starts.sorted"
START_MIN=$(head -1 "$TMP/starts.sorted")
START_MAX=$(tail -1 "$TMP/starts.sorted")
START_MED=$(awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' \
    "$TMP/starts.sorted")
echo "   min $(ms "$START_MIN") ms, median $(ms "$START_MED") ms," \
    "max $(ms "$START_MAX") ms"

echo "== benchmark: ${DURATION}s per mix, $CONNS connections"
start_server
sleep 1
RSS_START=$(rss_kb)
echo "   ecsim pid $SERVER_PID on port $PORT, idle RSS $(mb "$RSS_START") MB"
: >"$TMP/results"
CRASHED=
for mix in $MIXES; do
	echo "-- $mix"
	if "$BENCH" -p "$PORT" --server-pid "$SERVER_PID" -m "$mix" \
	    -d "$DURATION" -c "$CONNS" >"$TMP/out" 2>&1; then
		status=ok
	else
		status=FAILED
	fi
	sed 's/^/   /' "$TMP/out"
	line=$(grep '^RESULT ' "$TMP/out" || true)
	if [ -z "$line" ]; then
		msg=$(grep '^ecsim-bench: ' "$TMP/out" | tail -1 | cut -c14-80)
		line="RESULT mix=$mix failed=\"$msg\""
		status=FAILED
	fi
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		# A crash is a finding, not a reason to skip the other mixes.
		wait "$SERVER_PID" 2>/dev/null || true
		echo "   ecsim died during the $mix mix; its log ends:"
		tail -5 "$TMP/serve.log" | sed 's/^/   | /'
		line="RESULT mix=$mix failed=\"ecsim crashed during this mix\""
		status=FAILED
		CRASHED="$CRASHED $mix"
		start_server
		sleep 1
		echo "   restarted: ecsim pid $SERVER_PID on port $PORT"
	fi
	echo "$line status=$status" >>"$TMP/results"
done
sleep 1
RSS_END=$(rss_kb)
RSS_PEAK=$(hwm_kb)
stop_server

field() {
	echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'
}

verdict() {
	if [ "$1" = 1 ]; then echo PASS; else echo FAIL; fi
}

echo
echo "== summary ($(nproc) CPUs, ${CPU:-unknown CPU}; $CONNS connections," \
    "${DURATION}s per mix)"
printf "%-18s %9s %8s %8s %8s %8s %8s %10s\n" mix "req/s" "p50 ms" \
    "p90 ms" "p99 ms" "max ms" "non-200" "server us"
while read -r line; do
	mix=$(field "$line" mix)
	if [ "$(field "$line" status)" != ok ] &&
	    [ -z "$(field "$line" rps)" ]; then
		printf "%-18s %s\n" "$mix" "failed: $(echo "$line" |
		    sed -n 's/.*failed="\(.*\)".*/\1/p')"
		continue
	fi
	printf "%-18s %9s %8s %8s %8s %8s %8s %10s\n" "$mix" \
	    "$(field "$line" rps)" "$(field "$line" p50_ms)" \
	    "$(field "$line" p90_ms)" "$(field "$line" p99_ms)" \
	    "$(field "$line" max_ms)" \
	    "$(( $(field "$line" non200) + $(field "$line" errors) ))" \
	    "$(field "$line" server_us_per_req)"
done <"$TMP/results"
echo "(server us: the server's CPU time a request, user + system, from"
echo " /proc/PID/stat; it does not depend on what else the machine runs)"
echo
ok=$(awk -v m="$START_MED" 'BEGIN { print (m < 100000) }')
printf "%-34s %-22s %s\n" "start-up median $(ms "$START_MED") ms" \
    "target < 100 ms" "$(verdict "$ok")"
ok=$(awk -v a="$RSS_START" -v b="$RSS_END" \
    'BEGIN { print (a < 20480 && b < 20480) }')
printf "%-34s %-22s %s\n" \
    "idle RSS $(mb "$RSS_START") MB, after $(mb "$RSS_END") MB" \
    "target < 20 MB" "$(verdict "$ok")"
echo "   (peak RSS during the run $(mb "$RSS_PEAK") MB)"
if [ -n "$CRASHED" ]; then
	echo "   ecsim crashed during:$CRASHED (restarted after each; the" \
	    "RSS after is of the last server)"
fi
line=$(grep 'mix=describe-services ' "$TMP/results" || true)
if [ -n "$line" ] && [ -n "$(field "$line" rps)" ]; then
	ok=$(awk -v r="$(field "$line" rps)" -v p="$(field "$line" p99_ms)" \
	    -v n="$(field "$line" non200)" -v e="$(field "$line" errors)" \
	    'BEGIN { print (r >= 10000 && p < 5 && n == 0 && e == 0) }')
	printf "%-34s %-22s %s\n" \
	    "DescribeServices $(field "$line" rps)/s p99 $(field "$line" p99_ms)" \
	    ">= 10000/s, p99 < 5ms" "$(verdict "$ok")"
else
	printf "%-34s %-22s %s\n" "DescribeServices not measured" \
	    ">= 10000/s, p99 < 5ms" "FAIL"
fi
