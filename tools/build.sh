#!/usr/bin/env bash
# Builds ecsim with profile-guided optimization (gcc): first an instrumented
# ecsim, which replays the shipped scenarios (scenarios/*.yaml) and records
# which way its branches go and which functions are hot, then everything
# again, compiled for what was recorded. About 4 % fewer instructions in a
# replay than the same build without profiles (docs/performance.md). With
# another compiler, or -DECSIM_SANITIZE=ON, it is a plain build.
#
# usage: tools/build.sh BUILD_DIR [CMAKE_ARGS...]
#   e.g. tools/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
# ECSIM_PGO=0 in the environment builds without profiles.
set -euo pipefail

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
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
cmake --build "$BUILD" -j"$JOBS"
