#!/usr/bin/env bash
# Installs what ecsim needs to build and test on Debian 12, then builds it.
# Shared by the README's quick start and .ci/run, so both do the same thing.
#
# usage: tools/setup.sh [--no-install] [--sanitize]
#   --no-install  skip apt-get (the packages are already there)
#   --sanitize    build with ASan + UBSan into build-asan/ (Debug) instead of
#                 the normal build in build/ (RelWithDebInfo)
set -euo pipefail

PACKAGES=(
	build-essential cmake pkg-config	# compiler, CMake >= 3.25
	clang					# CI builds with clang too
	libsqlite3-dev libevent-dev libcjson-dev libyaml-dev liblz4-dev	# the libraries
	libjemalloc-dev				# the allocator (-DECSIM_JEMALLOC)
	check					# unit tests (Check)
	awscli python3 python3-pytest python3-boto3	# end-to-end tests
	time					# /usr/bin/time -v in tools/bench/scenario-bench.sh
)

install=1
sanitize=0
for arg in "$@"; do
	case "$arg" in
	--no-install)	install=0 ;;
	--sanitize)	sanitize=1 ;;
	-h|--help)
		sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
		exit 0 ;;
	*)
		echo "tools/setup.sh: unknown option '$arg' (see --help)" >&2
		exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."

if [ "$install" = 1 ]; then
	if [ "$(id -u)" = 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update
		apt-get install -y "${PACKAGES[@]}"
	elif dpkg-query -W -f='${Status}\n' "${PACKAGES[@]}" 2>/dev/null |
	    grep -qv '^install ok installed$'; then
		echo "tools/setup.sh: some packages are missing; run as root" \
		    "(or: sudo apt-get install ${PACKAGES[*]})" >&2
		exit 1
	else
		echo "tools/setup.sh: packages already installed (not root:" \
		    "skipping apt-get)"
	fi
fi

jobs="$(nproc 2>/dev/null || echo 2)"
if [ "$sanitize" = 1 ]; then
	cmake -S . -B build-asan -DECSIM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-asan -j"$jobs"
	echo "tools/setup.sh: built build-asan/ecsim (ASan + UBSan)"
else
	# Profile-guided: an instrumented ecsim replays the shipped scenarios
	# first (tools/build.sh).
	bash tools/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	echo "tools/setup.sh: built build/ecsim"
fi
