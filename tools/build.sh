#!/usr/bin/env bash
# Builds ecsim with profile-guided optimization (gcc): first an instrumented
# ecsim, which replays the shipped scenarios (scenarios/*.yaml) and records
# which way its branches go and which functions are hot, then everything
# again, compiled for what was recorded. About 4 % fewer instructions in a
# replay than the same build without profiles (docs/performance.md). With
# another compiler, or -DECSIM_SANITIZE=ON, it is a plain build.
#
# usage: tools/build.sh [-t TARGET] BUILD_DIR [CMAKE_ARGS...]
#   e.g. tools/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   -t TARGET   build only that target (the benchmark wants ecsim alone),
#               not the tests and tools too
# ECSIM_PGO=0 in the environment builds without profiles.
set -euo pipefail

usage() {
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}
TARGET=()
if [ $# -ge 2 ] && [ "$1" = -t ]; then
	TARGET=(--target "$2")
	shift 2
fi
if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	usage
	[ $# -ge 1 ] && exit 0
	exit 2
fi
BUILD=$1
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

pgo=${ECSIM_PGO:-1}
cc=${CC:-cc}
case "$*" in
*ECSIM_SANITIZE=ON*) pgo=0 ;;
esac
if ! "$cc" -v 2>&1 | grep -q '^gcc version'; then
	pgo=0
fi

if [ "$pgo" = 1 ]; then
	# The instrumented build writes its counts under BUILD/pgo.
	rm -rf "$BUILD/pgo"
	cmake -S "$ROOT" -B "$BUILD" "$@" -DECSIM_PGO=generate >/dev/null
	cmake --build "$BUILD" -j"$JOBS" --target ecsim
	for f in "$ROOT"/scenarios/*.yaml; do
		"$BUILD/ecsim" run "$f" >/dev/null 2>&1 ||
		    echo "tools/build.sh: training run of $f did not pass" >&2
	done
	cmake -S "$ROOT" -B "$BUILD" "$@" -DECSIM_PGO=use
else
	cmake -S "$ROOT" -B "$BUILD" "$@" -DECSIM_PGO=
fi
cmake --build "$BUILD" -j"$JOBS" "${TARGET[@]}"
