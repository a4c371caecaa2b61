#!/usr/bin/env bash
# The load suite: drives scenarios at a running file-service (or one it starts itself under
# an AWS t3 profile), collects results, memory curves and profiles, compares them with the
# tracked baselines and renders stress-tests/results/report.html.
#
#   stress-tests/run.sh [SCENARIO...] [options]
#   SCENARIO: ping upload read batch soak breaking slow compare bench all (default: all)
#   stress-tests/run.sh capacity [--instance t3-micro|t3-small|t3-medium|all] [--slo p95=200ms]
#                      [--mix ping=20,read=60,upload=15,batch=5] [--think 1s] [--quick]
#                      [--recheck]
#                          the capacity answer (lib/capacity.py): per instance (default all)
#                          and form (burst, -baseline) the highest open-model rate and closed-
#                          model user count meeting the SLO with < 0.1 % errors, and the limit
#                          that stops it; writes results/capacity.json and the report's first
#                          section. Runs alone; starts its own services (cgroups needed).
#                          --recheck re-runs each found rate twice and 1.5x it twice.
#                          See docs/capacity.md.
#   stress-tests/run.sh tls [--instance PROFILE] [--quick]
#                          what TLS costs (tls_cost.sh): a plain and a TLS service side by side
#                          (under PROFILE's limits on one vCPU when given), handshakes/s, ping
#                          and 100 KiB GET with and without TLS, RSS per idle connection;
#                          writes results/tls.json and the report's TLS section. Runs alone.
#   --instance PROFILE     start build/file-service under stress-tests/instance.sh PROFILE
#                          (fresh data folder, DISABLE_RATE_LIMITER=true,
#                          MAX_BODIES_PER_CLIENT=0, ENABLE_PROFILING=true)
#                          and stop it afterwards; otherwise BASE_URL is used
#   --storage local|s3     with --instance: the backend the started service stores on; s3
#                          starts a single-node Ceph RGW (tests/s3/ceph.sh, its own folder,
#                          stopped afterwards) outside the instance's limits, one bucket
#                          (default local)
#   --quick                every scenario scaled to seconds (CI)
#   --loadgen k6|wrk|auto  load generator (auto: k6 when installed, else wrk + curl)
#   --update-baseline      store this run's results as stress-tests/baselines/<scenario>.json
#   --fail-on-regression   exit 1 when the comparison with the baselines finds a failure
# Environment: BASE_URL (default http://127.0.0.1:8080), FSVC_API_KEY (sent as
# "Authorization: Bearer KEY"; an admin key, for /metrics/reset and /debug/pprof; with
# --instance a fresh one is made), FILE_SIZE_KB, SOAK_SECONDS,
# SLOW_SECONDS, SLOW_FILE_MB, SLOW_RATE, SLOW_UPLOADERS, SLOW_UPLOAD_SECONDS, SLOW_UPLOAD_P99_MS,
# BREAK_ERROR_RATE, BREAK_P95_MS, K6 (k6 binary),
# FSVC_BENCH (the microbenchmark binary, default build/bench/fsvc_bench), SERVER_PID (pid of
# a local server at BASE_URL: memory from /proc when /metrics/memory is missing),
# FSVC_RESULTS_DIR, FSVC_PROFILES_DIR, FSVC_BASELINES_DIR (default stress-tests/results,
# profiles, stress-tests/baselines).
# Exit status: 0 all scenarios ran and passed their checks (and no regression failure with
# --fail-on-regression); 1 a check or (with --fail-on-regression) a regression failed;
# 2 usage error, missing tool, or a server that does not answer / a scenario that could not run.
# shellcheck disable=SC2317 # cleanup and its helpers are reached through the EXIT trap
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
LIB=$HERE/lib
RESULTS=${FSVC_RESULTS_DIR:-$HERE/results}
PROFILES=${FSVC_PROFILES_DIR:-$REPO/profiles}
BASELINES=${FSVC_BASELINES_DIR:-$HERE/baselines}
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
ALL=(ping upload read batch soak breaking slow compare bench)

say() { printf 'run.sh: %s\n' "$*" >&2; }
usage() {
  sed -n '2,46p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

# --- arguments -----------------------------------------------------------------------------
SCENARIOS=() INSTANCE="" STORAGE_BACKEND=local QUICK=0 LOADGEN=auto UPDATE=0 FAIL_ON_REGRESSION=0 CAPACITY=()
ARGS=("$@")
while (($#)); do
  case $1 in
    capacity | tls) SCENARIOS+=("$1") ;;
    --slo | --mix | --think) CAPACITY+=("$1" "${2:-}"); shift ;;
    --recheck) CAPACITY+=("$1") ;;
    --slo=* | --mix=* | --think=*) CAPACITY+=("$1") ;;
    -h | --help) usage 0 ;;
    --instance) INSTANCE=${2:-}; shift ;;
    --instance=*) INSTANCE=${1#*=} ;;
    --storage) STORAGE_BACKEND=${2:-}; shift ;;
    --storage=*) STORAGE_BACKEND=${1#*=} ;;
    --quick) QUICK=1 ;;
    --loadgen) LOADGEN=${2:-}; shift ;;
    --loadgen=*) LOADGEN=${1#*=} ;;
    --update-baseline) UPDATE=1 ;;
    --fail-on-regression) FAIL_ON_REGRESSION=1 ;;
    all) SCENARIOS+=("${ALL[@]}") ;;
    ping | upload | read | batch | soak | breaking | slow | compare | bench) SCENARIOS+=("$1") ;;
    *) say "unknown argument: $1"; usage ;;
  esac
  shift
done
((${#SCENARIOS[@]})) || SCENARIOS=("${ALL[@]}")
case $STORAGE_BACKEND in
  local) ;;
  s3) [[ -n $INSTANCE ]] || { say "--storage s3 needs --instance (the suite starts that service)"; exit 2; } ;;
  *) say "--storage takes local or s3"; exit 2 ;;
esac
if [[ " ${SCENARIOS[*]} " == *" capacity "* ]]; then
  ((${#SCENARIOS[@]} == 1)) || { say "capacity runs alone (it starts its own services)"; exit 2; }
  case ${INSTANCE:-all} in
    all) INSTANCE=t3-micro,t3-small,t3-medium ;;
    t3-micro | t3-small | t3-medium) ;;
    *) say "capacity: --instance takes t3-micro, t3-small, t3-medium or all"; exit 2 ;;
  esac
  command -v wrk >/dev/null || { say "wrk is missing: apt-get install wrk"; exit 2; }
  "$HERE/instance.sh" --check >/dev/null || { say "capacity needs cgroups (instance.sh --check)"; exit 2; }
  ((QUICK)) && CAPACITY+=(--quick)
  ulimit -n "$(ulimit -Hn)" 2>/dev/null
  "$PY" "$LIB/capacity.py" --instances "$INSTANCE" --results-dir "$RESULTS" \
    --command "stress-tests/run.sh ${ARGS[*]}" "${CAPACITY[@]}"
  status=$?
  ((status == 0)) && "$PY" "$LIB/report.py" --results "$RESULTS" && say "report: $RESULTS/report.html"
  exit "$status"
fi

if [[ " ${SCENARIOS[*]} " == *" tls "* ]]; then
  ((${#SCENARIOS[@]} == 1)) || { say "tls runs alone (it starts its own services)"; exit 2; }
  for tool in wrk hey openssl; do
    command -v $tool >/dev/null || { say "$tool is missing: scripts/install-deps.sh --test"; exit 2; }
  done
  if [[ -n $INSTANCE ]]; then
    "$HERE/instance.sh" --check >/dev/null || { say "--instance needs cgroups (instance.sh --check)"; exit 2; }
  fi
  mkdir -p "$RESULTS"
  quick=()
  ((QUICK)) && quick=(ROUNDS=1 DURATION=1 IDLE_CONNS=200)
  env "${quick[@]}" SIDE_INSTANCE="$INSTANCE" TLS_JSON="$RESULTS/tls.json" \
    FSVC_BIN="${FSVC_BIN:-$REPO/build/file-service}" "$HERE/tls_cost.sh" || exit 2
  "$PY" "$LIB/report.py" --results "$RESULTS" && say "report: $RESULTS/report.html"
  exit 0
fi

case $LOADGEN in
  auto) if command -v "${K6:-k6}" >/dev/null; then LOADGEN=k6; else LOADGEN=wrk; fi ;;
  k6) command -v "${K6:-k6}" >/dev/null || { say "k6 is not installed (see https://k6.io, or" \
    "run the scripts with 'docker compose -f docker-compose.stress.yml --profile loadtest run k6');" \
    "--loadgen wrk needs only Debian packages"; exit 2; } ;;
  wrk) ;;
  *) say "--loadgen must be k6, wrk or auto"; exit 2 ;;
esac
for tool in wrk curl; do
  command -v $tool >/dev/null || { say "$tool is missing: apt-get install $tool"; exit 2; }
done
# breaking opens 5,000 connections at once
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# --- the service: ours (--instance) or BASE_URL --------------------------------------------
BASE_URL=${BASE_URL:-http://127.0.0.1:8080}
BASE_URL=${BASE_URL%/}
SERVER_PID=${SERVER_PID:-} INSTANCE_PID="" DATA_DIR="" PEER_DIR="" PEER_PIDFILES=()

stop_instance() {
  [[ -n $INSTANCE_PID ]] || return 0
  kill -TERM "$INSTANCE_PID" 2>/dev/null
  local i
  for ((i = 0; i < 100; i++)); do kill -0 "$INSTANCE_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$INSTANCE_PID" 2>/dev/null && kill -KILL "$INSTANCE_PID" 2>/dev/null
  wait "$INSTANCE_PID" 2>/dev/null
  INSTANCE_PID=""
}
stop_peers() {
  local f
  for f in "${PEER_PIDFILES[@]}"; do peer_stop "$f"; done
  PEER_PIDFILES=()
}
cleanup() {
  ((${#PEER_PIDFILES[@]})) && stop_peers
  stop_instance
  [[ -n $DATA_DIR && -d $DATA_DIR/ceph ]] && "$REPO/tests/s3/ceph.sh" stop "$DATA_DIR/ceph"
  [[ -n $DATA_DIR ]] && rm -rf "$DATA_DIR"
  [[ -n $PEER_DIR ]] && rm -rf "$PEER_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A single-node Ceph RGW for --storage s3, state in $DATA_DIR/ceph (memstore: RAM), and
# the bucket "load"; exports what the service reads (S3_*, LINK_SECRET).
start_ceph() {
  local env_lines
  env_lines=$(CEPH_STORE_BYTES=${CEPH_STORE_BYTES:-$((4 << 30))} \
    "$REPO/tests/s3/ceph.sh" start "$DATA_DIR/ceph") || { say "Ceph did not start"; exit 2; }
  set -a
  eval "$env_lines"
  set +a
  LINK_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
  export LINK_SECRET
  "$REPO/tests/s3/ceph.sh" bucket "$DATA_DIR/ceph" load || { say "no bucket at $S3_ENDPOINT"; exit 2; }
  say "Ceph RGW at $S3_ENDPOINT, bucket load"
}

start_instance() {
  local bin=$REPO/build/file-service log
  [[ -x $bin ]] || { say "$bin is missing: build it with scripts/build.sh"; exit 2; }
  "$HERE/instance.sh" --check >/dev/null || { say "cgroups are not usable here (instance.sh" \
    "--check); run without --instance against a server you started (BASE_URL)"; exit 2; }
  DATA_DIR=$(mktemp -d /tmp/fsvc-load-data.XXXXXX)
  log=$DATA_DIR.log
  # A fresh admin key: the suite exercises the service as deployed, auth included.
  FSVC_API_KEY=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  export FSVC_API_KEY
  local storage=()
  [[ $STORAGE_BACKEND == s3 ]] && start_ceph && storage=(--storage s3 --s3-bucket load)
  # Every load client comes from 127.0.0.1: one "client" to the per-client body limit.
  API_KEYS="admin:$FSVC_API_KEY" DISABLE_RATE_LIMITER=true MAX_BODIES_PER_CLIENT=0 \
    ENABLE_PROFILING=true \
    "$HERE/instance.sh" "$INSTANCE" -- "$bin" --host 127.0.0.1 --port 0 \
    --data-dir "$DATA_DIR/data" "${storage[@]}" >"$log" 2>&1 &
  INSTANCE_PID=$!
  local i port=""
  for ((i = 0; i < 200; i++)); do
    port=$(sed -n 's/^file-service listening on .*:\([0-9][0-9]*\)$/\1/p' "$log")
    [[ -n $port ]] && break
    kill -0 "$INSTANCE_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $port ]]; then
    say "the service did not start under instance.sh $INSTANCE:"
    sed 's/^/  /' "$log" >&2
    exit 2
  fi
  # instance.sh runs the service as its one child; its pid lets us read /proc when
  # /metrics/memory is missing.
  SERVER_PID=$(awk '{print $1}' "/proc/$INSTANCE_PID/task/$INSTANCE_PID/children" 2>/dev/null)
  BASE_URL=http://127.0.0.1:$port
  say "started build/file-service under $INSTANCE at $BASE_URL (pid ${SERVER_PID:-?}; log $log)"
}

# curl with the API key, when there is one.
acurl() {
  if [[ -n ${FSVC_API_KEY:-} ]]; then
    curl -H "Authorization: Bearer $FSVC_API_KEY" "$@"
  else
    curl "$@"
  fi
}

check_server() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE_URL/ping")
  if [[ $code != 200 ]]; then
    say "no file-service answers at $BASE_URL/ping (got ${code:-nothing})."
    say "start one:  scripts/build.sh && ENABLE_PROFILING=true DISABLE_RATE_LIMITER=true MAX_BODIES_PER_CLIENT=0 build/file-service --port 8080"
    say "or let the suite start it under a t3 profile:  stress-tests/run.sh ${SCENARIOS[*]} --instance t3-micro"
    say "or point it elsewhere:  BASE_URL=http://HOST:PORT stress-tests/run.sh ..."
    exit 2
  fi
  local limits
  limits=$(curl -s --max-time 5 "$BASE_URL/health" | "$PY" -c 'import json,sys
try:
    h = json.load(sys.stdin); l = h.get("limits", {})
    print("version %s, %s CPUs, memory limit %s, cgroup %s" % (h.get("version"), l.get("cpu_cores"),
          l.get("memory_limit_bytes"), l.get("cgroup")))
except Exception:
    print("no /health details")' 2>/dev/null)
  say "server at $BASE_URL answers ($limits)"
  code=$(acurl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE_URL/list?path=")
  if [[ $code == 401 || $code == 403 ]]; then
    say "the server wants an API key ($code on /list): set FSVC_API_KEY to an admin key" \
      "(or start the server with AUTH=off)"
    exit 2
  fi
  if [[ $(acurl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE_URL/debug/pprof/") == 404 ]]; then
    say "note: /debug/pprof is off or missing: profiles will be recorded as unavailable" \
      "(start the server with ENABLE_PROFILING=true)"
  fi
}

start_peers() {
  # shellcheck source-path=SCRIPTDIR source=lib/peers.sh
  source "$LIB/peers.sh"
  PEER_DIR=$(mktemp -d /tmp/fsvc-peers.XXXXXX)
  local wrap=""
  [[ -n $INSTANCE ]] && wrap="$HERE/instance.sh $INSTANCE --"
  local port pidfile
  port=$(peer_free_port)
  if pidfile=$(PEER_WRAP=$wrap peer_start_nginx "$PEER_DIR/nginx" "$port") &&
    PEER_PIDFILES+=("$pidfile") && peer_wait_ready "$port"; then
    export FSVC_PEER_NGINX_URL=http://127.0.0.1:$port FSVC_PEER_NGINX_DIR=$PEER_DIR/nginx
  else
    say "nginx peer unavailable: compare runs without it"
  fi
  port=$(peer_free_port)
  if pidfile=$(PEER_WRAP=$wrap peer_start_go "$PEER_DIR/go" "$port") &&
    PEER_PIDFILES+=("$pidfile") && peer_wait_ready "$port" 30; then
    export FSVC_PEER_GO_URL=http://127.0.0.1:$port FSVC_PEER_GO_DIR=$PEER_DIR/go
  else
    say "Go net/http peer unavailable: compare runs without it"
  fi
}

run_bench() {
  local bin=${FSVC_BENCH:-$REPO/build/bench/fsvc_bench}
  if [[ ! -x $bin ]]; then
    say "$bin is missing: configure with benchmarks on and build it, e.g." \
      "scripts/build.sh -DFSVC_BUILD_BENCH=ON (or set FSVC_BENCH=path/to/fsvc_bench)"
    return 2
  fi
  local args=(--benchmark_out="$RESULTS/bench_fsvc_bench.json" --benchmark_out_format=json)
  ((QUICK)) && args+=(--benchmark_min_time=0.01)
  say "bench: $bin ${args[*]}"
  "$bin" "${args[@]}" || return 2
  echo "  result: $RESULTS/bench_fsvc_bench.json"
}

# --- run -----------------------------------------------------------------------------------
mkdir -p "$RESULTS" "$PROFILES"
if [[ -n $INSTANCE ]]; then start_instance; fi
check_server

RUN_ID=$(date +%Y%m%d-%H%M%S)-$$
COMMON=(--base-url "$BASE_URL" --loadgen "$LOADGEN" --results-dir "$RESULTS"
  --profiles-dir "$PROFILES" --run-id "$RUN_ID")
((QUICK)) && COMMON+=(--quick)
[[ -n $INSTANCE ]] && COMMON+=(--instance "$INSTANCE")
[[ -n $SERVER_PID ]] && COMMON+=(--pid "$SERVER_PID")

status=0 ran=()
T0=$SECONDS
for s in "${SCENARIOS[@]}"; do
  say "=== $s ($([[ $s == bench ]] && echo fsvc_bench || echo "$LOADGEN")$( ((QUICK)) && echo ", quick")$([[ -n $INSTANCE ]] && echo ", $INSTANCE")) ==="
  if [[ $s == bench ]]; then
    run_bench || status=2
    continue
  fi
  [[ $s == compare ]] && start_peers
  "$PY" "$LIB/scenario.py" "$s" "${COMMON[@]}"
  rc=$?
  [[ $s == compare ]] && stop_peers
  ((rc == 0)) && ran+=("$s")
  ((rc == 1)) && ran+=("$s") && ((status == 0)) && status=1
  ((rc > 1)) && status=2
  if ! kill -0 "${INSTANCE_PID:-$$}" 2>/dev/null; then
    say "the service under $INSTANCE has stopped (see ${DATA_DIR}.log)"
    status=2
    break
  fi
done
say "scenarios took $((SECONDS - T0)) s"

if ((${#ran[@]})); then
  cmp_args=(--results "$RESULTS" --baselines "$BASELINES")
  ((UPDATE)) && cmp_args+=(--update)
  "$PY" "$LIB/baseline.py" "${cmp_args[@]}" "${ran[@]}"
  cmp_rc=$?
  if ((cmp_rc == 1 && FAIL_ON_REGRESSION)) && ((status == 0)); then status=1; fi
  "$PY" "$LIB/report.py" --results "$RESULTS" && say "report: $RESULTS/report.html"
fi
exit "$status"
