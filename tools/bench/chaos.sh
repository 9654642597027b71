#!/usr/bin/env bash
# The chaos benchmark (docs/performance.md, docs/chaos.md): runs
# 'ecsim chaos scenarios/chaos/cluster-20x10.yaml' (20 instances, 10
# services, 30 minutes of faults, default rates) over a range of seeds on one
# core and reports seeds per minute against the target (at least 100).
#
# usage: tools/bench/chaos.sh [-n] [-s SEEDS] [-f FILE]
#   -n         do not (re)build the Release build ($ECSIM_BUILD, default
#              build-release/)
#   -s SEEDS   seeds to run (default 1-200)
#   -f FILE    the chaos scenario (default scenarios/chaos/cluster-20x10.yaml)
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${ECSIM_BUILD:-$ROOT/build-release}
BUILD_IT=1
SEEDS=1-200
FILE=$ROOT/scenarios/chaos/cluster-20x10.yaml
TARGET=100

while getopts "ns:f:h" opt; do
	case $opt in
	n) BUILD_IT=0 ;;
	s) SEEDS=$OPTARG ;;
	f) FILE=$OPTARG ;;
	h) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done

if [ "$BUILD_IT" = 1 ]; then
	echo "== building $BUILD (Release)"
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
	    -DCMAKE_C_FLAGS=-Wno-error=maybe-uninitialized >/dev/null
	cmake --build "$BUILD" -j"$(nproc)" --target ecsim >/dev/null
fi

case $SEEDS in
*-*) N=$(( ${SEEDS#*-} - ${SEEDS%-*} + 1 )) ;;
*) N=1 ;;
esac

# One core: the target is for one.
PIN=
if command -v taskset >/dev/null; then
	PIN="taskset -c 0"
fi
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
echo "== $PIN $BUILD/ecsim chaos $FILE --seeds $SEEDS --quiet"
START=$(date +%s.%N)
set +e
$PIN "$BUILD/ecsim" chaos "$FILE" --seeds "$SEEDS" --quiet >"$OUT"
RC=$?
set -e
END=$(date +%s.%N)
cat "$OUT"
awk -v s="$START" -v e="$END" -v n="$N" -v t="$TARGET" 'BEGIN {
	w = e - s; r = n * 60 / w
	printf "%d seeds in %.1f s: %.0f seeds per minute (target >= %d): %s\n",
	    n, w, r, t, (r >= t ? "met" : "NOT met")
}'
exit $RC
