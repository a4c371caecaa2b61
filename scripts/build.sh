#!/usr/bin/env bash
# Configures and builds into build/ (Release with debug info: the profiler
# needs symbols). Extra arguments go to CMake, e.g. -DFSVC_BUILD_TESTS=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
ninja -C build -j"$(nproc)"
