#!/usr/bin/env bash
# What each profiler costs while it runs: ping throughput with it on vs off, in interleaved
# rounds so that load from other processes hits every configuration alike.
#   stress-tests/profiler-overhead.sh [BINARY] [ROUNDS] [SECONDS]
#     (defaults: build/file-service 5 4)
# Two servers from the same binary, both with profiling on: "off" times no mutex waits
# (--mutex-profile-rate=0), "mutex" times 1 in 10 (the default). Each round runs
# `wrk -t2 -c32 -dSECONDSs /ping` against: off; mutex; off while a wall-clock profile
# (100 Hz, every thread) runs; off while a heap-growth window (heap?seconds=N) runs.
# Prints every round, then per configuration the median of the per-round ratios to "off"
# and their spread (min..max). Targets only 127.0.0.1; the servers are stopped at the end.
# With two or more cores the servers are pinned to core 0 and wrk to core 1 (PIN=0: not),
# so the generator does not take the servers' CPU and rounds vary less.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-$HERE/../build/file-service}
ROUNDS=${2:-5}
SECS=${3:-4}
command -v wrk >/dev/null || { echo "needs wrk (scripts/install-deps.sh --test)" >&2; exit 1; }
SERVE=() LOAD=()
if [[ ${PIN:-1} == 1 ]] && (($(nproc) >= 2)); then
  SERVE=(taskset -c 0) LOAD=(taskset -c 1)
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start() {  # name extra-flags... ; sets PORT_<name>
  local name=$1 dir=$WORK/$1
  shift
  mkdir -p "$dir"
  "${SERVE[@]}" "$BIN" --host=127.0.0.1 --port=0 --data-dir="$dir" --auth=off --disable-rate-limiter=true \
    --enable-profiling=true --pprof-max-seconds=600 "$@" >"$dir/log" 2>&1 &
  PIDS+=($!)
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$dir/log")
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { echo "server $name did not start" >&2; cat "$dir/log" >&2; exit 1; }
  printf -v "PORT_$name" '%s' "$port"
}
rps() { "${LOAD[@]}" wrk -t2 -c32 -d"${SECS}s" "http://127.0.0.1:$1/ping" | awk '/Requests\/sec/ {print $2}'; }
# rps while `path` (a profile covering the run) is fetched from the same server.
rps_during() {
  local port=$1 path=$2
  curl -s -o /dev/null "http://127.0.0.1:$port$path" &
  local curl_pid=$!
  sleep 0.3
  local r
  r=$(rps "$port")
  wait "$curl_pid"
  echo "$r"
}

start off --mutex-profile-rate=0
start mutex --mutex-profile-rate=10
for p in "$PORT_off" "$PORT_mutex"; do wrk -t1 -c8 -d1s "http://127.0.0.1:$p/ping" >/dev/null; done

RATIOS=$WORK/ratios
for r in $(seq "$ROUNDS"); do
  off=$(rps "$PORT_off")
  mutex=$(rps "$PORT_mutex")
  wall=$(rps_during "$PORT_off" "/debug/pprof/wall?seconds=$((SECS + 1))&hz=100")
  growth=$(rps_during "$PORT_off" "/debug/pprof/heap?seconds=$((SECS + 1))")
  echo "round $r off=$off mutex_sampling=$mutex wall_profile=$wall heap_growth=$growth"
  awk -v o="$off" -v m="$mutex" -v w="$wall" -v g="$growth" \
    'BEGIN { printf "mutex_sampling %.4f\nwall_profile %.4f\nheap_growth %.4f\n", m/o, w/o, g/o }' \
    >>"$RATIOS"
done
echo "throughput vs off: median of per-round ratios (min..max) over $ROUNDS rounds"
for k in mutex_sampling wall_profile heap_growth; do
  awk -v k="$k" '$1 == k { print $2 }' "$RATIOS" | sort -n |
    awk -v k="$k" '{ v[NR] = $1 } END {
      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%-15s %.3f (%.3f..%.3f)\n", k, m, v[1], v[NR] }'
done
