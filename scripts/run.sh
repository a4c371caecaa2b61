#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running service:
# installs what is missing, builds, and serves on PORT (8080) with SQLite and
# a local data folder (DATA_DIR, default ./data). Flags are passed through:
#   scripts/run.sh --port=9090 --enable-profiling
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DFSVC_BUILD_TESTS=OFF -DFSVC_BUILD_BENCH=OFF
export DATA_DIR="${DATA_DIR:-./data}"
# The local quick start serves without API keys unless told otherwise; the
# service says so loudly at start. Set AUTH=on and API_KEYS_FILE to require keys.
export AUTH="${AUTH:-off}"
exec build/file-service "$@"
