#!/usr/bin/env bash
# The S3 tests against a real single-node Ceph RGW: starts one with
# tests/s3/ceph.sh, runs the ctest label s3 (tests/s3/s3_client_test.cpp)
# with its endpoint and keys in the environment, and stops it on the way
# out, failed or not.
#   tests/s3/run.sh [BUILD_DIR]   (default build/; the tests must be built)
# Label s3 holds the client's tests and the HTTP suite's core on the s3
# backend (FSVC_TEST_STORAGE=s3), the replica test among them.
# CEPH_STORE_BYTES sizes the memstore, which keeps everything in RAM: 4 GiB
# here, for the 1 GiB streaming upload (staged, then copied to its path).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
[[ -x "$build/tests/s3_tests" ]] || { echo "run.sh: $build/tests/s3_tests not built" >&2; exit 1; }

export CEPH_STORE_BYTES=${CEPH_STORE_BYTES:-$((4 << 30))}
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
