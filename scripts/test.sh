#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the whole test suite:
# installs what is missing (test tools included), builds everything, and runs
# ctest (unit and integration tests against the real binary) plus the lints.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/lint-docker.sh
scripts/build.sh
(cd build && ctest --output-on-failure --timeout 900 -j1)
