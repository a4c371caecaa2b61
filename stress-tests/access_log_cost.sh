#!/usr/bin/env bash
# What the access log costs on GET /ping: two services side by side on
# 127.0.0.1, one with ACCESS_LOG=off and one writing to a file, driven by
# wrk in interleaved rounds (off, on, off, on, ...) so drift in the
# machine's load falls on both. Prints each round's requests/s and the
# ratio of the medians (on / off).
#
#   stress-tests/access_log_cost.sh
# Environment: FSVC_BIN (default build/file-service), ROUNDS (5), DURATION
# (seconds per wrk run, 5), CONNECTIONS (50), THREADS (wrk threads, 2),
# ON_LOG (where the logging service writes: a file in a temp folder;
# /dev/null separates formatting from the file system's cost).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${FSVC_BIN:-$ROOT/build/file-service}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
# shellcheck source=lib/side_by_side.sh
source "$ROOT/stress-tests/lib/side_by_side.sh"

rps() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$1/ping" |
    awk '/Requests\/sec/ {print $2}'
}

off_port=$(side_start off --access-log=off)
ON_LOG=${ON_LOG:-$WORK/on/access.log}
mkdir -p "$WORK/on"
on_port=$(side_start on --access-log="$ON_LOG")
: >"$WORK/off.rps"
: >"$WORK/on.rps"
for round in $(seq "$ROUNDS"); do
  off=$(rps "$off_port")
  on=$(rps "$on_port")
  echo "$off" >>"$WORK/off.rps"
  echo "$on" >>"$WORK/on.rps"
  echo "round $round: off $off req/s, on $on req/s"
done
off_median=$(median <"$WORK/off.rps")
on_median=$(median <"$WORK/on.rps")
echo "median: off $off_median req/s, on $on_median req/s, ratio on/off $(
  awk -v a="$on_median" -v b="$off_median" 'BEGIN {printf "%.3f", a / b}'
) (log: $ON_LOG)"
