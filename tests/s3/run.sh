#!/usr/bin/env bash
# The S3 tests against a real single-node Ceph RGW: starts one with
# tests/s3/ceph.sh, runs the ctest label s3 (tests/s3/s3_client_test.cpp)
# with its endpoint and keys in the environment, and stops it on the way
# out, failed or not.
#   tests/s3/run.sh [BUILD_DIR]   (default build/; the tests must be built)
# CEPH_STORE_BYTES sizes the memstore (ceph.sh's default, 1 GiB, holds the
# largest test object, 22 MiB, many times over).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
[[ -x "$build/tests/s3_tests" ]] || { echo "run.sh: $build/tests/s3_tests not built" >&2; exit 1; }

ceph_dir=$(mktemp -d /tmp/ceph-test.XXXXXX)
trap '"$root/tests/s3/ceph.sh" stop "$ceph_dir" || true' EXIT
# ceph.sh prints shell assignments: S3_ENDPOINT, S3_ACCESS_KEY, ...
env_lines=$("$root/tests/s3/ceph.sh" start "$ceph_dir")
set -a
eval "$env_lines"
set +a
echo "run.sh: Ceph RGW at $S3_ENDPOINT (state in $ceph_dir)"
cd "$build"
ctest -L s3 --output-on-failure --timeout 600
