#!/usr/bin/env bash
# The five concurrency goals of issue 3, measured on this machine under the
# t3.micro limits: the service pinned to one core (taskset) and, where cgroups
# are usable, inside stress-tests/instance.sh t3-micro (1 GiB, no swap); the
# load generators pinned to another core. Everything listens on 127.0.0.1.
#
#   stress-tests/concurrency.sh [GOAL...]     goals 1..5 (default: all)
# Tools: wrk, hey, curl, taskset, python3 (lib/conn_storm.py), nginx and go
# for the peers (lib/peers.sh).
#
#   1  5,000 keep-alive connections on GET /ping (wrk): 0 socket errors,
#      0 non-2xx, p99 < 150 ms, peak RSS < 100 MB
#   2  throughput against nginx and a Go net/http peer on the same core, each
#      figure the median of ROUNDS interleaved rounds: ping (50 and 300
#      connections) and 100 KiB GET (50) >= 1.0x Go; ping >= 0.65x nginx
#      `return 200`, 100 KiB GET >= 0.9x nginx; 100 KiB PUT at 20 connections
#      >= 1.3x the fsyncing Go peer and >= 0.8x the Go peer without fsync;
#      multipart POST /upload at 20 >= 1.0x the Go peer of the same
#      durability; with DURABILITY=none, PUT and multipart >= 1.0x the Go peer
#      without fsync. Uploads are also run over one connection (latency), and
#      the table shows req/s, p99 and the server's CPU per request
#   3  20 clients downloading 50 MiB at 100 KB/s: RSS grows < 1 MiB, no reading
#      client dropped, /ping p99 < 20 ms meanwhile
#   4  1,000 connections sending one header byte per second: /ping p99 < 50 ms,
#      each closed within the header deadline
#   5  20,000 connection attempts in a burst: under the memory limit, every
#      attempt answered or refused fast, normal answers within 1 s afterwards
#
# Prints "goal | figure | PASS/FAIL" per goal (and keeps the raw tool output
# in stress-tests/results/concurrency-TIMESTAMP/). Exit status: 0 when every
# goal run passed, 1 otherwise, 2 on a usage or set-up error.
# Environment: FSVC_BIN (default build/file-service, built if missing),
# SERVER_CPU (0), LOAD_CPU (1), DURATION (seconds per wrk run, 10), ROUNDS (goal 2's
# rounds per server, 3; medians are compared),
# USE_INSTANCE (1: use instance.sh t3-micro when cgroups allow; 0: taskset only).
# shellcheck disable=SC2317,SC2034 # functions are reached through traps and "goal$g"; goal 2's
# tables are read through the nameref in median()
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/peers.sh
source "$HERE/lib/peers.sh"

SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
USE_INSTANCE=${USE_INSTANCE:-1}
BIN=${FSVC_BIN:-$ROOT/build/file-service}
STORM="$HERE/lib/conn_storm.py"

say() { printf 'concurrency.sh: %s\n' "$*" >&2; }

goals=("$@")
((${#goals[@]})) || goals=(1 2 3 4 5)
for g in "${goals[@]}"; do
  [[ $g =~ ^[1-5]$ ]] || { say "unknown goal '$g' (1..5)"; exit 2; }
done
for tool in wrk hey curl taskset python3; do
  command -v "$tool" >/dev/null || { say "$tool is required"; exit 2; }
done
if [[ ! -x $BIN ]]; then
  [[ -z ${FSVC_BIN:-} ]] || { say "FSVC_BIN=$FSVC_BIN is not an executable"; exit 2; }
  say "building $BIN (scripts/build.sh)"
  "$ROOT/scripts/build.sh" >&2 || { say "build failed"; exit 2; }
fi

RESULTS="$ROOT/stress-tests/results/concurrency-$(date +%Y%m%d-%H%M%S)"
WORK=$(mktemp -d /tmp/fsvc-concurrency.XXXXXX)
mkdir -p "$RESULTS"
PIDFILES=()
SAMPLER=""
cleanup() {
  [[ -n $SAMPLER ]] && kill "$SAMPLER" 2>/dev/null
  local f
  for f in "${PIDFILES[@]}"; do [[ -f $f ]] && peer_stop "$f"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

WRAP=()
if [[ $USE_INSTANCE == 1 ]] && "$HERE/instance.sh" --check >/dev/null 2>&1; then
  WRAP=("$HERE/instance.sh" t3-micro --)
  LIMITS="instance.sh t3-micro (1 GiB) + taskset -c $SERVER_CPU"
else
  LIMITS="taskset -c $SERVER_CPU only (no cgroup: memory limit not enforced)"
fi
say "service: $LIMITS; load on CPU $LOAD_CPU; results in $RESULTS"

# --- the service under test ----------------------------------------------------------
SERVER_PID=""  # the file-service process itself (RSS is read from it)

# The file-service process among PID and its descendants (instance.sh forks it).
find_service_pid() {
  local pid=$1 child
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == file-service ]] && { echo "$pid"; return 0; }
  local children
  children=$(cat /proc/"$pid"/task/*/children 2>/dev/null)
  for child in $children; do
    find_service_pid "$child" && return 0
  done
  return 1
}

# start_service NAME PORT [FLAG...]: starts file-service pinned; sets SERVER_PID.
start_service() {
  local name=$1 port=$2
  shift 2
  local dir="$WORK/$name"
  mkdir -p "$dir/data"
  "${WRAP[@]}" taskset -c "$SERVER_CPU" "$BIN" --host=127.0.0.1 --port="$port" \
    --data-dir="$dir/data" --auth=off --disable-rate-limiter=true --max-bodies-per-client=0 \
    --log-level=warn "$@" \
    >"$dir/service.log" 2>&1 &
  echo $! >"$dir/service.pid"
  PIDFILES+=("$dir/service.pid")
  peer_wait_ready "$port" 20 || { say "file-service did not start:"; cat "$dir/service.log" >&2; return 1; }
  SERVER_PID=$(find_service_pid "$(<"$dir/service.pid")") || { say "no file-service pid"; return 1; }
}
stop_last() {
  local f=${PIDFILES[-1]}
  peer_stop "$f"
  unset 'PIDFILES[-1]'
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# Samples VmRSS of PID every 100 ms into FILE (its maximum on the last line).
start_sampler() {
  local pid=$1 file=$2
  (
    max=0
    while kill -0 "$pid" 2>/dev/null; do
      r=$(rss_kb "$pid")
      ((r > max)) && max=$r && echo "$max" >>"$file"
      sleep 0.1
    done
  ) &
  SAMPLER=$!
}
stop_sampler() {
  kill "$SAMPLER" 2>/dev/null
  wait "$SAMPLER" 2>/dev/null
  SAMPLER=""
}

# --- wrk and its figures ---------------------------------------------------------------
# run_wrk OUT CONNS SECONDS URL [SCRIPT]: wrk pinned to LOAD_CPU, output into OUT.
run_wrk() {
  local out=$1 conns=$2 secs=$3 url=$4 script=${5:-}
  local args=(-t1 -c"$conns" -d"${secs}s" --latency --timeout 5s)
  [[ -n $script ]] && args+=(-s "$script")
  echo "\$ wrk ${args[*]} $url" >"$out"
  timeout $((secs + 30)) taskset -c "$LOAD_CPU" wrk "${args[@]}" "$url" >>"$out" 2>&1
}
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
wrk_p99_ms() {
  awk '$1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1;
        printf "%.2f\n", v * f}' "$1"
}
wrk_socket_errors() {
  awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10; found = 1}
       END {if (!found) print 0}' "$1"
}
wrk_non2xx() { awk '/Non-2xx or 3xx responses:/ {print $5; found = 1} END {if (!found) print 0}' "$1"; }
wrk_requests() { awk '/requests in/ {print $1}' "$1"; }

# float comparisons: ge A B / lt A B
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a + 0 >= b + 0)}'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a + 0 < b + 0)}'; }

SUMMARY=()
FAILED=0
report() {  # report GOAL PASS(0/1) FIGURE
  local verdict=PASS
  [[ $2 == 1 ]] || { verdict=FAIL; FAILED=1; }
  SUMMARY+=("$(printf 'goal %s | %-6s | %s' "$1" "$verdict" "$3")")
  printf 'goal %s | %-6s | %s\n' "$1" "$verdict" "$3"
}

# upload_script put|multipart: a wrk script uploading 100 KiB bodies, written once:
# PUT /files/up-N, or POST /upload?path=mp with one file part mp-N (N cycles, so
# most uploads replace a file).
upload_script() {
  local f="$WORK/upload-$1.lua"
  [[ -f $f ]] && { echo "$f"; return; }
  case $1 in
    put) cat >"$f" <<'EOF'
local body = string.rep("0123456789abcdef", 6400) -- 100 KiB
local n = 0
request = function()
  n = n + 1
  return wrk.format("PUT", "/files/up-" .. (n % 1000), {["Content-Type"] = "application/octet-stream"}, body)
end
EOF
      ;;
    multipart) cat >"$f" <<'EOF'
local data = string.rep("0123456789abcdef", 6400) -- 100 KiB
local boundary = "fsvcbench7d3a9c41"
local headers = {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}
-- Built once: concatenating 100 KiB per request would load the generator's core.
local bodies = {}
for i = 0, 99 do
  bodies[i] = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"mp-" ..
    i .. "\"\r\nContent-Type: application/octet-stream\r\n\r\n" .. data .. "\r\n--" .. boundary .. "--\r\n"
end
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/upload?path=mp", headers, bodies[n % 100])
end
EOF
      ;;
  esac
  echo "$f"
}
put_file() {  # put_file PORT NAME SIZE_BYTES
  head -c "$3" /dev/urandom >"$WORK/payload"
  curl -s -o /dev/null -w '%{http_code}' -T "$WORK/payload" "http://127.0.0.1:$1/files/$2"
}

# --- goal 1 -------------------------------------------------------------------------------
goal1() {
  local port out
  port=$(peer_free_port)
  start_service g1 "$port" || return
  out="$RESULTS/goal1-wrk.txt"
  run_wrk "$out" 5000 "$DURATION" "http://127.0.0.1:$port/ping"
  local errors non2xx p99 rss rps
  errors=$(wrk_socket_errors "$out")
  non2xx=$(wrk_non2xx "$out")
  p99=$(wrk_p99_ms "$out")
  rps=$(wrk_rps "$out")
  rss=$(($(hwm_kb "$SERVER_PID") / 1024))
  curl -s "http://127.0.0.1:$port/health" >"$RESULTS/goal1-health.json"
  stop_last
  local ok=0
  [[ -n $p99 && $errors == 0 && $non2xx == 0 ]] && lt "$p99" 150 && ((rss < 100)) && ok=1
  report 1 "$ok" "5000 conns: ${rps:-?} req/s, socket errors $errors, non-2xx $non2xx, p99 ${p99:-?} ms, peak RSS ${rss} MB"
}

# --- goal 2 -------------------------------------------------------------------------------
# Servers ("kinds"): nginx, the Go peer with and without fsync, and file-service
# in both durability modes. Each kind runs the workloads that apply to it; every
# upload is compared against the peer of the same durability.
declare -A RPS P99 CPU_US
WORKLOADS=(ping50 ping300 get100k put100k put100k-c1 mp100k mp100k-c1)
UPLOADS=(put100k put100k-c1 mp100k mp100k-c1)
KINDS=(nginx go go-nosync fsvc fsvc-none)
kind_workloads() {
  case $1 in
    nginx) echo ping50 ping300 get100k put100k ;;
    go | fsvc) echo "${WORKLOADS[@]}" ;;
    go-nosync | fsvc-none) echo "${UPLOADS[@]}" ;;
  esac
}
# CPU time (user + system, in clock ticks) PID has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# bench_server KIND ROUND: starts one server pinned, runs its workloads, stores
# req/s, p99 (ms) and CPU per request (us) under KIND-workload-ROUND.
bench_server() {
  local kind=$1 round=$2 port pidfile pid
  port=$(peer_free_port)
  case $kind in
    fsvc | fsvc-none)
      local flags=()
      [[ $kind == fsvc-none ]] && flags+=(--durability=none)
      start_service "g2-$kind-$round" "$port" "${flags[@]}" || return
      pid=$SERVER_PID ;;
    go | go-nosync)
      local mode=fsync
      [[ $kind == go-nosync ]] && mode=nosync
      pidfile=$(PEER_WRAP="taskset -c $SERVER_CPU" peer_start_go "$WORK/$kind" "$port" "$mode") || return
      PIDFILES+=("$pidfile")
      peer_wait_ready "$port" || return
      pid=$(<"$pidfile") ;;
    nginx)
      pidfile=$(PEER_WRAP="taskset -c $SERVER_CPU" peer_start_nginx "$WORK/nginx-$round" "$port") || return
      PIDFILES+=("$pidfile")
      peer_wait_ready "$port" || return
      # The worker does the work: the master's only child.
      pid=$(cat /proc/"$(<"$pidfile")"/task/*/children 2>/dev/null | awk '{print $1; exit}') ;;
  esac
  [[ $(put_file "$port" f100k 102400) == 20? ]] || { say "$kind: could not store the 100 KiB file"; }
  local base="http://127.0.0.1:$port" secs=$((DURATION / 2 > 3 ? DURATION / 2 : 3)) w out t0 n
  for w in $(kind_workloads "$kind"); do
    out="$RESULTS/goal2-$kind-$w-r$round.txt"
    t0=$(cpu_ticks "$pid")
    case $w in
      ping50) run_wrk "$out" 50 "$secs" "$base/ping" ;;
      ping300) run_wrk "$out" 300 "$secs" "$base/ping" ;;
      get100k) run_wrk "$out" 50 "$secs" "$base/files/f100k" ;;
      put100k) run_wrk "$out" 20 "$secs" "$base" "$(upload_script put)" ;;
      put100k-c1) run_wrk "$out" 1 "$secs" "$base" "$(upload_script put)" ;;
      mp100k) run_wrk "$out" 20 "$secs" "$base" "$(upload_script multipart)" ;;
      mp100k-c1) run_wrk "$out" 1 "$secs" "$base" "$(upload_script multipart)" ;;
    esac
    n=$(wrk_requests "$out")
    CPU_US[$kind-$w-$round]=$(awk -v t="$(($(cpu_ticks "$pid") - t0))" -v hz="$(getconf CLK_TCK)" \
      -v n="${n:-0}" 'BEGIN {printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0)}')
    # A run with errors or failed responses does not count as throughput.
    if [[ $(wrk_non2xx "$out") != 0 ]]; then
      RPS[$kind-$w-$round]=0
    else
      RPS[$kind-$w-$round]=$(wrk_rps "$out")
    fi
    P99[$kind-$w-$round]=$(wrk_p99_ms "$out")
  done
  stop_last
}
# median ARRAY KIND WORKLOAD: the median over the rounds of RPS, P99 or CPU_US.
median() {
  local -n values_of=$1
  local r values=()
  for ((r = 1; r <= ROUNDS; r++)); do values+=("${values_of[$2-$3-$r]:-0}"); done
  printf '%s\n' "${values[@]}" | sort -g | awk '{v[NR] = $1} END {
    printf "%.6g", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
# check OURS PEER WORKLOAD MIN: appends "workload ours/peer=Rx(>=MIN)" to PARTS and
# clears OK when the ratio of the median req/s is below MIN.
check() {
  local ours peer r
  ours=$(median RPS "$1" "$3")
  peer=$(median RPS "$2" "$3")
  r=$(ratio "$ours" "$peer")
  ge "$r" "$4" || OK=0
  PARTS+=("$3 $1/$2=${r}x(>=$4)")
}
goal2() {
  # The servers take turns, round after round, so that a noisy spell on a
  # shared machine hits all of them; each figure is the median of its rounds.
  local round kind w
  for ((round = 1; round <= ROUNDS; round++)); do
    for kind in "${KINDS[@]}"; do bench_server "$kind" "$round"; done
  done
  OK=1
  PARTS=()
  for w in ping50 ping300 get100k; do check fsvc go "$w" 1.0; done
  check fsvc nginx ping50 0.65
  check fsvc nginx get100k 0.9
  check fsvc go put100k 1.3
  check fsvc go-nosync put100k 0.8
  check fsvc-none go-nosync put100k 1.0
  check fsvc go mp100k 1.0
  check fsvc-none go-nosync mp100k 1.0
  report 2 "$OK" "median req/s of $ROUNDS rounds, ratios: ${PARTS[*]}"
  {
    echo "workload ${KINDS[*]}"
    for w in "${WORKLOADS[@]}"; do
      local row=("$w")
      for kind in "${KINDS[@]}"; do
        if [[ " $(kind_workloads "$kind") " == *" $w "* ]]; then
          row+=("$(median RPS "$kind" "$w")/$(median P99 "$kind" "$w")ms/$(median CPU_US "$kind" "$w")us")
        else
          row+=(-)
        fi
      done
      echo "${row[*]}"
    done
  } | column -t | tee "$RESULTS/goal2-table.txt"
  echo "(each cell: req/s / p99 / server CPU per request, medians of $ROUNDS rounds; -c1: one" \
    "connection, else ping and GET 50 (ping300: 300), uploads 20; every round in" \
    "$RESULTS/goal2-*-r*.txt)"
}

# --- goal 3 -------------------------------------------------------------------------------
goal3() {
  local port
  port=$(peer_free_port)
  start_service g3 "$port" || return
  [[ $(put_file "$port" f50m $((50 << 20))) == 20? ]] || { say "could not store 50 MiB"; return; }
  # Warm-up: 20 full-speed downloads at once and the /ping load, so the
  # baseline already has the threads (stacks, allocator caches) this mix
  # needs; what grows afterwards is buffering.
  local base_kb pids=() i
  for ((i = 0; i < 20; i++)); do
    taskset -c "$LOAD_CPU" curl -s -o /dev/null "http://127.0.0.1:$port/files/f50m" &
    pids+=($!)
  done
  run_wrk "$RESULTS/goal3-warmup-wrk.txt" 10 2 "http://127.0.0.1:$port/ping"
  wait "${pids[@]}"
  pids=()
  sleep 1
  base_kb=$(rss_kb "$SERVER_PID")
  start_sampler "$SERVER_PID" "$WORK/g3-rss"
  for ((i = 0; i < 20; i++)); do
    taskset -c "$LOAD_CPU" curl -s --limit-rate 100K -o /dev/null \
      "http://127.0.0.1:$port/files/f50m" &
    pids+=($!)
  done
  sleep 2
  local out="$RESULTS/goal3-wrk.txt"
  run_wrk "$out" 10 "$DURATION" "http://127.0.0.1:$port/ping"
  local alive=0 p
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && ((alive++)); done
  stop_sampler
  local max_kb growth_kb p99
  max_kb=$(tail -1 "$WORK/g3-rss" 2>/dev/null || echo "$base_kb")
  growth_kb=$((max_kb - base_kb))
  p99=$(wrk_p99_ms "$out")
  curl -s "http://127.0.0.1:$port/health" >"$RESULTS/goal3-health.json"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait "${pids[@]}" 2>/dev/null
  stop_last
  local ok=0
  ((growth_kb < 1024 && alive == 20)) && [[ -n $p99 ]] && lt "$p99" 20 && ok=1
  report 3 "$ok" "20 readers at 100 KB/s: RSS +$((growth_kb / 1024)).$(((growth_kb % 1024) * 10 / 1024)) MB, readers still connected $alive/20, /ping p99 ${p99:-?} ms"
}

# --- goal 4 -------------------------------------------------------------------------------
goal4() {
  local port header_timeout=10
  port=$(peer_free_port)
  start_service g4 "$port" --header-timeout="$header_timeout" || return
  taskset -c "$LOAD_CPU" python3 "$STORM" slowloris --port "$port" --conns 1000 --interval 1 \
    --duration $((header_timeout + 5)) >"$RESULTS/goal4-slowloris.json" &
  local storm=$!
  sleep 2
  local out="$RESULTS/goal4-wrk.txt"
  run_wrk "$out" 10 $((header_timeout - 4)) "http://127.0.0.1:$port/ping"
  wait "$storm"
  curl -s "http://127.0.0.1:$port/health" >"$RESULTS/goal4-health.json"
  stop_last
  local p99 closed max_close
  p99=$(wrk_p99_ms "$out")
  closed=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["closed"])' <"$RESULTS/goal4-slowloris.json")
  max_close=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["max_close_s"])' <"$RESULTS/goal4-slowloris.json")
  local ok=0
  [[ -n $p99 && $closed == 1000 ]] && lt "$p99" 50 && lt "$max_close" $((header_timeout + 1)) && ok=1
  report 4 "$ok" "1000 slowloris: /ping p99 ${p99:-?} ms, closed $closed/1000, last closed after ${max_close}s (deadline ${header_timeout}s)"
}

# --- goal 5 -------------------------------------------------------------------------------
# hey_count FILE PATTERN: responses (status code lines) or errors matching PATTERN.
hey_status() { awk -v code="[$2]" '$1 == code {print $2; found = 1} END {if (!found) print 0}' "$1"; }
hey_errors() {  # hey_errors FILE REGEX: errors whose text matches REGEX
  awk -v re="$2" '/^Error distribution:/ {on = 1; next}
    on && /^ *\[[0-9]+\]/ && $0 ~ re {gsub(/[][]/, "", $1); n += $1} END {print n + 0}' "$1"
}
goal5() {
  local port
  port=$(peer_free_port)
  start_service g5 "$port" || return
  # Two hey processes of 10,000 one-shot connections each (each within its own
  # fd limit), all opened at once; 10 s client timeout.
  local i pids=()
  for i in 1 2; do
    timeout 60 taskset -c "$LOAD_CPU" hey -n 10000 -c 10000 -t 10 -disable-keepalive \
      "http://127.0.0.1:$port/ping" >"$RESULTS/goal5-hey$i.txt" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  local t0 t1 recovered_ms=""
  t0=$(date +%s%N)
  for ((i = 0; i < 100; i++)); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/ping") == 200 ]]; then
      t1=$(date +%s%N)
      recovered_ms=$(((t1 - t0) / 1000000))
      break
    fi
    sleep 0.05
  done
  local alive=0 peak_mb
  kill -0 "$SERVER_PID" 2>/dev/null && alive=1
  peak_mb=$(($(hwm_kb "$SERVER_PID") / 1024))
  curl -s "http://127.0.0.1:$port/health" >"$RESULTS/goal5-health.json"
  stop_last
  local ok200=0 r503=0 refused=0 timeouts=0 errors=0 f
  for f in "$RESULTS"/goal5-hey[12].txt; do
    ok200=$((ok200 + $(hey_status "$f" 200)))
    r503=$((r503 + $(hey_status "$f" 503)))
    # Closed or reset without an answer, or refused by the kernel: fast refusals.
    refused=$((refused + $(hey_errors "$f" 'reset|refused|EOF|server closed')))
    timeouts=$((timeouts + $(hey_errors "$f" 'context deadline exceeded|i/o timeout')))
    errors=$((errors + $(hey_errors "$f" '.')))
  done
  local other=$((errors - refused - timeouts)) answered=$((ok200 + r503 + refused))
  local ok=0
  ((alive == 1 && peak_mb < 1024 && answered == 20000 && timeouts == 0 && other == 0)) &&
    [[ -n $recovered_ms ]] && ((recovered_ms < 1000)) && ok=1
  report 5 "$ok" "20000-connection burst: 200 $ok200, 503 $r503, closed/refused $refused, timed out $timeouts, other errors $other; peak RSS ${peak_mb} MB; alive $alive; first normal answer ${recovered_ms:-never} ms after"
}

for g in "${goals[@]}"; do "goal$g"; done
{
  echo "# stress-tests/concurrency.sh ${goals[*]} ($(date -u +%FT%TZ), $LIMITS)"
  printf '%s\n' "${SUMMARY[@]}"
} >"$RESULTS/summary.txt"
exit $FAILED
