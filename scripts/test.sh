#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the whole test suite:
# installs what is missing (test tools included), builds everything, and runs
# the lints, a quick pass of the load suite, the image end to end on a
# Docker engine, the fuzzers (time-bounded), the
# suite again under AddressSanitizer + UndefinedBehaviorSanitizer and its
# concurrency-heavy part under ThreadSanitizer, the S3 client against a real
# Ceph RGW, and last ctest (unit and integration tests against the real binary).
#   FUZZ_SECONDS   seconds per fuzz target (30: nine targets; the Docker and capacity
#                  suites took the time the fuzzers gave up)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/lint-docker.sh
scripts/build.sh
# The load suite end to end, every scenario scaled to seconds, the service
# under t3.micro limits: results, report and profiles land in
# stress-tests/results/ and profiles/ (both ignored by git).
stress-tests/run.sh all --quick --instance t3-micro
# The capacity answer for t3.micro (burst and baseline), each search step scaled to seconds;
# then its JSON and the report's capacity section are checked (shapes and the SLO it claims).
stress-tests/run.sh capacity --quick --instance t3-micro
python3 stress-tests/lib/capacity_check.py stress-tests/results --instance t3-micro
# What TLS costs under t3.micro limits (one round of a second per measure): the report's TLS section.
stress-tests/run.sh tls --quick --instance t3-micro
# The image and docker-compose.stress.yml on a real Docker engine (started
# here if none runs), the load suite once against its t3-micro container.
tests/docker/compose_e2e.sh
# Every parser that sees client bytes, from the committed seed corpora.
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
# Any sanitizer report fails the run (build-asan/, build-tsan/).
scripts/sanitize.sh all
# The S3 client against a real single-node Ceph RGW, started and stopped here.
tests/s3/run.sh build
# Last, so its summary line closes the output (label s3 needs the Ceph above).
(cd build && ctest -LE s3 --output-on-failure --timeout 900 -j1)
