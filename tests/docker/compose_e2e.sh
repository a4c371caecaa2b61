#!/usr/bin/env bash
# docker-compose.stress.yml and the Dockerfile on a real Docker engine, as a
# new user meets them: engine, base image, build, then for the t3-micro and
# t3-micro-baseline profiles: up, healthy, /health's limits and the
# container's cgroup limits against the profile table, a 5 MiB round trip
# (sha256), a signed link, a CPU profile, /metrics/memory's cgroup usage,
# down. Then the service itself in a container below its configured need,
# driven over its limit, killed by the OOM killer (exit 137, OOMKilled).
# Then the replicas profile: two replicas behind nginx on a real Ceph RGW.
# Also the k6 `loadtest` profile's results folder, and once, the load suite
# (stress-tests/run.sh --quick) against the t3-micro container, its results
# and report written on the host. Prints `compose_e2e: N passed, M failed`.
#
# Engine: a running one, else (as root) `dockerd --storage-driver=overlay2`
# started here and stopped afterwards by PID. Base image: a local or pullable
# debian:bookworm-slim, else one made with mmdebstrap (Debian's mirror) and
# `docker import`ed under that tag, which the next run reuses. Where no engine
# can run, it says why and fails when CI=true (else exits 0, skipped).
#   E2E_LOAD=0         skip the load-suite run
#   FSVC_E2E_KEEP=1    leave the image's predecessor and the dockerd log
# Exit status: 0 when every check passed (or skipped outside CI), 1 otherwise.
# shellcheck disable=SC2317 # cleanup is reached through the EXIT trap
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
# Debian's CLI: a newer static `docker` earlier on PATH may lack buildx,
# which DOCKER_BUILDKIT=1 needs.
DOCKER=/usr/bin/docker
[[ -x $DOCKER ]] || DOCKER=$(command -v docker || echo docker)
if command -v docker-compose >/dev/null; then COMPOSE=(docker-compose); else COMPOSE=("$DOCKER" compose); fi
BASE=debian:bookworm-slim
IMAGE=file-service:local  # the compose file's image
# Its own project: a user's `file-service` project (and its data volume) is left alone.
export COMPOSE_PROJECT_NAME=fsvc-e2e
WORK=$(mktemp -d /tmp/fsvc-compose-e2e.XXXXXX)
T_START=$SECONDS

PASSED=0 FAILED=0 DOCKERD_PID="" UP_PROFILE="" CEPH_DIR=""
say() { printf 'compose_e2e: %s\n' "$*"; }
pass() { PASSED=$((PASSED + 1)); printf 'compose_e2e: PASS %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'compose_e2e: FAIL %s\n' "$*"; }
# check DESCRIPTION COMMAND...: one pass or fail.
check() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; return 1; fi
}
loud() {
  printf '\ncompose_e2e: !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
  printf 'compose_e2e: !!! %s\n' "$@"
  printf 'compose_e2e: !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n'
}
compose() { "${COMPOSE[@]}" "$@"; }

cleanup() {
  if [[ -n $UP_PROFILE ]]; then compose --profile "$UP_PROFILE" down -v >/dev/null 2>&1; fi
  "$DOCKER" rm -f -v fsvc-e2e-oom >/dev/null 2>&1
  [[ -n $CEPH_DIR ]] && tests/s3/ceph.sh stop "$CEPH_DIR" >/dev/null 2>&1
  if [[ -n $DOCKERD_PID ]]; then
    kill -TERM "$DOCKERD_PID" 2>/dev/null
    local i
    for ((i = 0; i < 200; i++)); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$DOCKERD_PID" 2>/dev/null && kill -KILL "$DOCKERD_PID" 2>/dev/null
    wait "$DOCKERD_PID" 2>/dev/null
    say "stopped the dockerd started here (pid $DOCKERD_PID)"
  fi
  [[ ${FSVC_E2E_KEEP:-0} == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() {
  say "took $((SECONDS - T_START)) s"
  say "$PASSED passed, $FAILED failed"
  ((FAILED == 0))
  exit
}
# No engine: loud, and a failure in CI (these machines can run one).
no_engine() {
  loud "NO DOCKER ENGINE: $1" "the image and docker-compose.stress.yml were NOT run." \
    "Fix: scripts/install-deps.sh --test (docker.io), then run this as root or with a running dockerd."
  if [[ ${CI:-} == true ]]; then
    fail "a Docker engine runs ($1)"
    finish
  fi
  say "0 passed, 0 failed, 1 skipped"
  exit 0
}

# --- engine -------------------------------------------------------------------------------
engine() {
  command -v "$DOCKER" >/dev/null || no_engine "no docker CLI"
  if "$DOCKER" info >/dev/null 2>&1; then
    say "engine: the running one ($("$DOCKER" info -f '{{.ServerVersion}}, {{.Driver}}, cgroup v{{.CgroupVersion}}'))"
    return
  fi
  command -v dockerd >/dev/null || no_engine "no engine answers and dockerd is not installed"
  [[ $(id -u) == 0 ]] || no_engine "no engine answers and starting dockerd needs root"
  local t0=$SECONDS i
  dockerd --storage-driver=overlay2 >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for ((i = 0; i < 300; i++)); do
    "$DOCKER" info >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! "$DOCKER" info >/dev/null 2>&1; then
    tail -n 20 "$WORK/dockerd.log" | sed 's/^/  dockerd: /'
    DOCKERD_PID=""
    no_engine "dockerd did not start (log above)"
  fi
  say "engine: started dockerd (pid $DOCKERD_PID), ready in $((SECONDS - t0)) s"
}

# --- base image ---------------------------------------------------------------------------
base_image() {
  if "$DOCKER" image inspect "$BASE" >/dev/null 2>&1; then
    say "base image: $BASE is local"
    return 0
  fi
  if timeout 60 "$DOCKER" pull -q "$BASE" >/dev/null 2>&1; then
    say "base image: pulled $BASE"
    return 0
  fi
  command -v mmdebstrap >/dev/null || {
    say "no $BASE locally, none pullable, and mmdebstrap is missing (install-deps.sh --test)"
    return 1
  }
  local t0=$SECONDS mirror=http://deb.debian.org/debian
  say "base image: no registry answers; making $BASE with mmdebstrap (minbase, bookworm)"
  mmdebstrap --variant=minbase --quiet bookworm "$WORK/base.tar" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" >"$WORK/mmdebstrap.log" 2>&1 ||
    { sed 's/^/  mmdebstrap: /' "$WORK/mmdebstrap.log" | tail -n 20; return 1; }
  "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' --message "mmdebstrap --variant=minbase bookworm" \
    "$WORK/base.tar" "$BASE" >/dev/null || return 1
  rm -f "$WORK/base.tar"
  say "base image: made and imported in $((SECONDS - t0)) s"
}

# --- build --------------------------------------------------------------------------------
# BuildKit caches each stage's apt layer until scripts/install-deps.sh (build
# stage) or the Dockerfile's package line (runtime stage) changes.
build_image() {
  local t0=$SECONDS old
  old=$("$DOCKER" image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null)
  if ! DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain -t "$IMAGE" . >"$WORK/build.log" 2>&1; then
    tail -n 40 "$WORK/build.log" | sed 's/^/  build: /'
    return 1
  fi
  local new
  new=$("$DOCKER" image inspect -f '{{.Id}}' "$IMAGE")
  # The previous build, now untagged: its layers are not the cache (BuildKit keeps that).
  if [[ -n $old && $old != "$new" && ${FSVC_E2E_KEEP:-0} != 1 ]]; then
    "$DOCKER" image rm "$old" >/dev/null 2>&1
  fi
  say "build: $IMAGE in $((SECONDS - t0)) s ($(grep -c ' CACHED$' "$WORK/build.log") steps cached)," \
    "$(("$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE")" / 1000000)) MB"
}

# --- one profile --------------------------------------------------------------------------
# Table figures for PROFILE from stress-tests/instance.sh --list: "cpus memory swap".
table_row() {
  stress-tests/instance.sh --list | awk -v p="$1" '$1 == p {print $2, $3, $4}'
}
# The compose file's pids_limit for PROFILE, as compose resolves it.
compose_pids() {
  compose config 2>/dev/null | "$PY" -c 'import sys, yaml
print(yaml.safe_load(sys.stdin)["services"][sys.argv[1]].get("pids_limit", ""))' "$1"
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_healthy() {
  local cid=$1 i status=""
  for ((i = 0; i < 180; i++)); do
    status=$("$DOCKER" inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$cid" 2>/dev/null)
    [[ $status == "running healthy" ]] && return 0
    [[ $status == running* ]] || break
    sleep 0.5
  done
  say "container state: ${status:-gone}"
  "$DOCKER" logs --tail 20 "$cid" 2>&1 | sed 's/^/  log: /'
  return 1
}

# JSON field (dotted path) of FILE, printed as Python prints it.
jfield() {
  "$PY" -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k] if isinstance(v, dict) else None
print(v)' "$1" "$2" 2>/dev/null
}
same_number() { "$PY" -c 'import sys; sys.exit(abs(float(sys.argv[1]) - float(sys.argv[2])) > 1e-6)' "$1" "$2" 2>/dev/null; }

# The container's own cgroup files: "cpus memory_limit pids_max" (v1 or v2).
container_cgroup() {
  # shellcheck disable=SC2016 # expanded by the container's sh
  "$DOCKER" exec "$1" sh -c '
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
      set -- $(cat /sys/fs/cgroup/cpu.max); q=$1 p=$2
      m=$(cat /sys/fs/cgroup/memory.max); s=$(cat /sys/fs/cgroup/memory.swap.max)
      n=$(cat /sys/fs/cgroup/pids.max)
      echo "$q $p $m $s $n v2"
    else
      q=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us)
      p=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || cat /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us)
      m=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
      s=$(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo "?")
      n=$(cat /sys/fs/cgroup/pids/pids.max)
      echo "$q $p $m $s $n v1"
    fi'
}

check_limits() {
  local profile=$1 cid=$2 b=$3 cpus mem swap
  read -r cpus mem swap <<<"$(table_row "$profile")"
  curl -fsS "$b/health" >"$WORK/health.json"
  check "$profile: /health cpu_cores = $cpus (table)" \
    same_number "$(jfield "$WORK/health.json" limits.cpu_cores)" "$cpus"
  check "$profile: /health memory_limit_bytes = $mem (table)" \
    same_number "$(jfield "$WORK/health.json" limits.memory_limit_bytes)" "$mem"

  local pids nano memory memswap pidslimit
  pids=$(compose_pids "$profile")
  read -r nano memory memswap pidslimit <<<"$("$DOCKER" inspect -f \
    '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}}' "$cid")"
  say "$profile: docker inspect: NanoCpus $nano, Memory $memory, MemorySwap $memswap, PidsLimit $pidslimit"
  check "$profile: NanoCpus = $cpus CPUs" same_number "$nano" "$("$PY" -c "print($cpus * 1e9)")"
  check "$profile: Memory = $mem, MemorySwap = memory + $swap swap" \
    test "$memory" = "$mem" -a "$memswap" = $((mem + swap))
  check "$profile: PidsLimit = compose's pids_limit ($pids)" test "$pidslimit" = "$pids"

  local q p m s n v
  read -r q p m s n v <<<"$(container_cgroup "$cid")"
  say "$profile: the container's cgroup ($v): quota $q / period $p, memory $m, memory+swap $s, pids $n"
  check "$profile: cgroup CPU quota = $cpus CPUs" same_number "$("$PY" -c "print($q / $p)" 2>/dev/null)" "$cpus"
  check "$profile: cgroup memory limit = $mem" test "$m" = "$mem"
  if [[ $v == v1 && $s == "?" ]]; then
    say "$profile: memory.memsw.limit_in_bytes not readable (swap accounting off): not checked"
  elif [[ $v == v1 ]]; then
    check "$profile: cgroup memory+swap = $((mem + swap))" test "$s" = $((mem + swap))
  else
    check "$profile: cgroup swap = $swap" test "$s" = "$swap"
  fi
  check "$profile: cgroup pids.max = $pids" test "$n" = "$pids"
}

# Issue 15's first bug: the group's usage must be found inside the container.
check_memory_metrics() {
  local profile=$1 b=$2 usage
  curl -fsS "$b/metrics/memory" >"$WORK/memory.json"
  usage=$(jfield "$WORK/memory.json" cgroup.memory_usage_bytes)
  check "$profile: /metrics/memory cgroup.memory_usage_bytes is a number (${usage})" \
    "$PY" -c 'import sys; sys.exit(not float(sys.argv[1]) > 0)' "$usage"
  curl -fsS "$b/metrics" >"$WORK/metrics.txt"
  check "$profile: /metrics has fsvc_cgroup_memory_usage_bytes" \
    grep -q '^fsvc_cgroup_memory_usage_bytes [0-9]' "$WORK/metrics.txt"
}

check_round_trip() {
  local profile=$1 b=$2 sum got code url
  head -c $((5 << 20)) /dev/urandom >"$WORK/in.bin"
  sum=$(sha256sum "$WORK/in.bin" | cut -d' ' -f1)
  code=$(curl -sS -o "$WORK/put.json" -w '%{http_code}' -T "$WORK/in.bin" "$b/files/e2e/five.bin")
  check "$profile: PUT 5 MiB -> 201 ($code)" test "$code" = 201
  got=$(curl -fsS "$b/files/e2e/five.bin" | sha256sum | cut -d' ' -f1)
  check "$profile: GET returns the same 5 MiB (sha256 ${sum:0:12}…)" test "$got" = "$sum"
  curl -fsS "$b/download?path=e2e/five.bin" >"$WORK/link.json"
  url=$(jfield "$WORK/link.json" url)
  got=$(curl -fsS "$b$url" | sha256sum | cut -d' ' -f1)
  check "$profile: the signed link ($url) serves the same bytes" \
    test "${url:0:3}" = "/d/" -a "$got" = "$sum"
  code=$(curl -s -o /dev/null -w '%{http_code}' "$b${url}x")
  check "$profile: a forged link is refused (403: $code)" test "$code" = 403
}

check_profile() {
  local profile=$1 b=$2 code size
  code=$(curl -sS -o "$WORK/cpu.pb.gz" -w '%{http_code}' "$b/debug/pprof/profile?seconds=2")
  size=$(stat -c %s "$WORK/cpu.pb.gz" 2>/dev/null)
  check "$profile: /debug/pprof/profile answers 200 with a gzip'd profile ($code, $size bytes)" \
    sh -c "test '$code' = 200 && gzip -t '$WORK/cpu.pb.gz'"
}

# The service itself over its memory: the image run with a 48 MiB limit
# (memory-swap equal: no swap to spill into) but configured for more than
# that, so it cannot size itself down: 256 threads, 1024 uploads, no
# per-client or body-rate limits. It starts and answers /health (~36 MiB),
# then 400 uploads held open over 127.0.0.1, each with 128 KiB sent (a 64 KiB
# read buffer filled per upload, a thread each), need ~90 MiB. The kernel
# kills it: the container's PID 1 is file-service, so exit 137 with
# OOMKilled=true means the service was the process killed.
OOM_LIMIT=48m OOM_UPLOADS=400
check_oom() {
  local port t0 i health state=""
  port=$(free_port)
  "$DOCKER" run -d --name fsvc-e2e-oom -m "$OOM_LIMIT" --memory-swap "$OOM_LIMIT" \
    -p "127.0.0.1:$port:8080" -e AUTH=off -e DISABLE_RATE_LIMITER=true \
    -e MAX_BODIES_PER_CLIENT=0 -e MIN_BODY_RATE=0 -e THREADS=256 \
    -e MAX_CONCURRENT_UPLOADS=1024 -e MAX_UPLOAD_INFLIGHT_BYTES=4G -e MAX_CONNECTIONS=4096 \
    -e ADMISSION_QUEUE=4096 -e URL_CACHE_MAX_BYTES=256M -e ALLOC_DECAY_MS=10000 \
    "$IMAGE" >"$WORK/oom.log" 2>&1
  for ((i = 0; i < 60; i++)); do
    health=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/health")
    [[ $health == 200 ]] && break
    sleep 0.5
  done
  check "OOM: the service starts in $OOM_LIMIT configured for more (THREADS=256, 1024 uploads): /health $health" \
    test "$health" = 200
  t0=$SECONDS
  timeout 60 "$PY" - "$port" "$OOM_UPLOADS" >>"$WORK/oom.log" 2>&1 <<'EOF'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
conns = []
for i in range(n):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        c.sendall(b"PUT /files/oom/%d HTTP/1.1\r\nHost: e2e\r\n"
                  b"Content-Length: 1048576\r\n\r\n" % i + b"x" * 131072)
        c.setblocking(False)
        conns.append(c)
    except OSError as e:
        print("upload", i, e)
        break
print("opened", len(conns), "uploads")
end = time.time() + 30  # a trickle until the server goes away
while conns and time.time() < end:
    for c in list(conns):
        try:
            c.send(b"x" * 1024)
        except BlockingIOError:
            pass
        except OSError:
            conns.remove(c)
    time.sleep(0.5)
print("still open:", len(conns))
EOF
  for ((i = 0; i < 40; i++)); do
    state=$("$DOCKER" inspect -f '{{.State.Status}} {{.State.OOMKilled}} {{.State.ExitCode}}' fsvc-e2e-oom 2>/dev/null)
    [[ $state == exited* ]] && break
    sleep 0.5
  done
  if [[ $state == "exited true 137" ]]; then
    say "OOM: the service (file-service, PID 1) in a $OOM_LIMIT container was killed by the kernel's OOM killer under $OOM_UPLOADS held uploads after $((SECONDS - t0)) s (exit 137, OOMKilled=true)"
  else
    sed 's/^/  oom: /' "$WORK/oom.log" | tail -n 10
    "$DOCKER" logs --tail 10 fsvc-e2e-oom 2>&1 | sed 's/^/  log: /'
  fi
  "$DOCKER" rm -f -v fsvc-e2e-oom >/dev/null 2>&1
  check "OOM: the service over $OOM_LIMIT -> OOM-killed (status/OOMKilled/exit: ${state:-?})" \
    test "$state" = "exited true 137"
}

# Issue 15's second bug: the k6 profile writes its summaries as K6_UID into
# stress-tests/results/k6/, which it makes its own first (dockerd would make
# a missing folder root's). The grafana/k6 image needs a registry, so the
# probe runs k6's service definition (user, volumes, environment, the
# results-folder step before it) with this image and a shell in place of k6.
check_k6_results() {
  local uid=54321 rc
  cat >"$WORK/k6-probe.yml" <<'EOF'
services:
  k6:
    image: file-service:local
    entrypoint: ["sh", "-c", "touch \"$$RESULTS_DIR/e2e-probe\" && id -u"]
EOF
  rm -f stress-tests/results/k6/e2e-probe
  K6_UID=$uid K6_GID=$uid compose -f docker-compose.stress.yml -f "$WORK/k6-probe.yml" \
    --profile loadtest run -T --rm k6 >"$WORK/k6.log" 2>&1
  rc=$?
  check "loadtest: k6's service (uid $uid) writes stress-tests/results/k6/ (exit $rc)" \
    test "$rc" = 0 -a "$(stat -c %u stress-tests/results/k6/e2e-probe 2>/dev/null)" = "$uid"
  ((rc == 0)) || sed 's/^/  k6: /' "$WORK/k6.log" | tail -n 10
  rm -f stress-tests/results/k6/e2e-probe
  compose --profile loadtest down -v >/dev/null 2>&1
}

# The load suite against the container, as from another machine: results,
# report and profiles on the host in stress-tests/results/docker-t3-micro/. Exit 1 is a
# scenario's own check (latency, memory slope) failing on this shared box;
# it is reported, and only a suite that could not run (2) fails here.
run_load_suite() {
  local b=$1 t0=$SECONDS rc
  local results=$ROOT/stress-tests/results/docker-t3-micro
  local profiles=$results/profiles
  say "load suite: stress-tests/run.sh ping upload read batch soak breaking slow compare --quick, BASE_URL=$b"
  BASE_URL=$b FSVC_RESULTS_DIR=$results FSVC_PROFILES_DIR=$profiles \
    stress-tests/run.sh ping upload read batch soak breaking slow compare --quick \
    >"$WORK/load.log" 2>&1
  rc=$?
  grep -E '^run.sh: (===|server at|scenarios took)|PASS|FAIL' "$WORK/load.log" | sed 's/^/  load: /' | tail -n 40
  say "load suite: exit $rc in $((SECONDS - t0)) s; report $results/report.html"
  ((rc == 1)) && say "load suite: some scenario checks FAILED against the container (above)"
  check "load suite ran against the container (exit $rc), report on the host" \
    test "$rc" -le 1 -a -s "$results/report.html"
}

run_profile() {
  local profile=$1 port cid t0=$SECONDS b
  port=$(free_port)
  export FSVC_PORT=$port
  say "=== $profile (127.0.0.1:$port) ==="
  if ! compose --profile "$profile" up -d --no-build >"$WORK/up.log" 2>&1; then
    sed 's/^/  up: /' "$WORK/up.log"
    fail "$profile: up"
    return
  fi
  UP_PROFILE=$profile
  cid=$(compose --profile "$profile" ps -q "$profile")
  if ! wait_healthy "$cid"; then
    fail "$profile: healthy"
    compose --profile "$profile" down -v >/dev/null 2>&1
    UP_PROFILE=""
    return
  fi
  pass "$profile: up and healthy in $((SECONDS - t0)) s"
  b=http://127.0.0.1:$port
  check_limits "$profile" "$cid" "$b"
  check_memory_metrics "$profile" "$b"
  check_round_trip "$profile" "$b"
  check_profile "$profile" "$b"
  [[ $profile == t3-micro && ${E2E_LOAD:-1} != 0 ]] && run_load_suite "$b"
  t0=$SECONDS
  compose --profile "$profile" down -v >/dev/null 2>&1
  UP_PROFILE=""
  check "$profile: down in $((SECONDS - t0)) s, container gone" \
    sh -c "! '$DOCKER' inspect '$cid' >/dev/null 2>&1"
}

# --- the replicas profile -----------------------------------------------------------------
# sha256 of what `curl ARGS...` prints ("-" when curl fails).
curl_sum() {
  local out
  out=$(curl -fsS "$@" | sha256sum) || { echo -; return; }
  echo "${out%% *}"
}
# sha256 of what the replica-NAME container serves at PATH on its own port.
replica_sum() {
  local out
  out=$(compose --profile replicas exec -T "replica-$1" curl -fsS "http://127.0.0.1:8080$2" | sha256sum) ||
    { echo -; return; }
  echo "${out%% *}"
}
replica_code() {
  compose --profile replicas exec -T "replica-$1" \
    curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:8080$2"
}

# Two replicas and nginx pointed at a real S3 store given in the environment:
# a single-node Ceph RGW on the Docker bridge's gateway (the containers' way
# to the host), its own bucket. A file uploaded through nginx is served by
# each replica on its own and lies in the bucket; nginx spreads requests
# over both; a signed link made by one verifies on the other; with one
# replica killed the other goes on serving, and a delete through it is seen
# by the first once it is back; with both killed nginx answers 503 in the
# service's JSON envelope.
run_replicas() {
  local gw env_lines cid t0=$SECONDS b sum url port
  gw=$("$DOCKER" network inspect bridge -f '{{(index .IPAM.Config 0).Gateway}}' 2>/dev/null)
  say "=== replicas (Ceph RGW on the bridge gateway ${gw:-?}) ==="
  env_lines=$(CEPH_RGW_ADDR=$gw tests/s3/ceph.sh start "$WORK/ceph" 2>"$WORK/ceph.log")
  if [[ -z $gw || -z $env_lines ]]; then
    sed 's/^/  ceph: /' "$WORK/ceph.log" | tail -n 10
    fail "replicas: a Ceph RGW at the bridge gateway"
    return
  fi
  CEPH_DIR=$WORK/ceph
  local S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY S3_REGION
  eval "$(grep '^S3_' <<<"$env_lines")"
  check "replicas: bucket at $S3_ENDPOINT" tests/s3/ceph.sh bucket "$CEPH_DIR" replicas || return
  export S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY S3_REGION S3_BUCKET=replicas
  LINK_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
  export LINK_SECRET
  port=$(free_port)
  export FSVC_PORT=$port
  if ! compose --profile replicas build nginx >"$WORK/nginx-build.log" 2>&1; then
    tail -n 20 "$WORK/nginx-build.log" | sed 's/^/  build: /'
    fail "replicas: build the nginx image (deploy/nginx/)"
    return
  fi
  if ! compose --profile replicas up -d --no-build >"$WORK/up.log" 2>&1; then
    sed 's/^/  up: /' "$WORK/up.log"
    fail "replicas: up"
    compose --profile replicas down -v >/dev/null 2>&1
    return
  fi
  UP_PROFILE=replicas
  cid=$(compose --profile replicas ps -q nginx)
  check "replicas: two replicas and nginx up and healthy in $((SECONDS - t0)) s" wait_healthy "$cid" ||
    return
  b=http://127.0.0.1:$port

  head -c $((5 << 20)) /dev/urandom >"$WORK/in.bin"
  sum=$(sha256sum "$WORK/in.bin" | cut -d' ' -f1)
  check "replicas: PUT 5 MiB through nginx -> 201" \
    test "$(curl -sS -o /dev/null -w '%{http_code}' -T "$WORK/in.bin" "$b/files/e2e/five.bin")" = 201
  check "replicas: GET through nginx returns it" test "$(curl_sum "$b/files/e2e/five.bin")" = "$sum"
  check "replicas: replica-a serves it on its own" test "$(replica_sum a /files/e2e/five.bin)" = "$sum"
  check "replicas: replica-b serves it on its own" test "$(replica_sum b /files/e2e/five.bin)" = "$sum"
  # The bucket itself, read with the store's keys: the object at its path.
  check "replicas: the object is in bucket replicas at e2e/five.bin" test "$(curl_sum \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$S3_ENDPOINT/replicas/e2e/five.bin")" = "$sum"

  check_profile replicas "$b"

  local i upstreams
  for ((i = 0; i < 10; i++)); do curl -fsS -o /dev/null "$b/health"; done
  upstreams=$(compose --profile replicas logs --no-color nginx 2>/dev/null |
    grep -o 'upstream=[0-9.:]*' | sort -u | wc -l)
  check "replicas: nginx spread the requests over both replicas ($upstreams upstream addresses)" \
    test "$upstreams" -ge 2

  curl -fsS "$b/download?path=e2e/five.bin" >"$WORK/link.json"
  url=$(jfield "$WORK/link.json" url)
  check "replicas: the signed link ($url) serves the file on replica-a and on replica-b" \
    test "${url:0:3}" = /d/ -a "$(replica_sum a "$url")" = "$sum" -a "$(replica_sum b "$url")" = "$sum"

  compose --profile replicas kill replica-a >/dev/null 2>&1
  local ok=0
  for ((i = 0; i < 6; i++)); do [[ $(curl_sum "$b/files/e2e/five.bin") == "$sum" ]] && ok=$((ok + 1)); done
  check "replicas: replica-a killed, nginx serves the file from replica-b ($ok of 6 GETs)" test "$ok" = 6
  check "replicas: DELETE through nginx (replica-b) -> 200" \
    test "$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$b/files/e2e/five.bin")" = 200
  compose --profile replicas start replica-a >/dev/null 2>&1
  wait_healthy "$(compose --profile replicas ps -q replica-a)" >/dev/null
  check "replicas: replica-a, back, finds the file and its link gone (404, 404)" \
    test "$(replica_code a /files/e2e/five.bin) $(replica_code a "$url")" = "404 404"
  compose --profile replicas kill replica-a replica-b >/dev/null 2>&1
  local code
  code=$(curl -sS -D "$WORK/lb-headers" -o "$WORK/lb-body" -w '%{http_code}' "$b/files/e2e/five.bin")
  check "replicas: both killed, nginx answers the service's 503 (JSON, Retry-After): $code" \
    test "$code" = 503 -a "$(jfield "$WORK/lb-body" error.code)" = unavailable \
    -a "$(grep -ci '^retry-after: 1' "$WORK/lb-headers")" = 1

  t0=$SECONDS
  compose --profile replicas down -v >/dev/null 2>&1
  UP_PROFILE=""
  tests/s3/ceph.sh stop "$CEPH_DIR" >/dev/null 2>&1
  CEPH_DIR=""
  check "replicas: down in $((SECONDS - t0)) s, Ceph stopped" test -z "$(compose --profile replicas ps -q)"
}

# --- run ----------------------------------------------------------------------------------
engine
check "base image $BASE" base_image || finish
check "build $IMAGE from the Dockerfile" build_image || finish
# The compose file asks nofile 65536; dockerd cannot give a container more
# than its own hard limit without CAP_SYS_RESOURCE ("error setting rlimit type 7").
hard=$(ulimit -Hn)
if [[ $hard != unlimited ]] && ((hard < 65536)); then
  export FSVC_NOFILE=$hard
  say "nofile: this host's hard limit is $hard < 65536: FSVC_NOFILE=$hard"
fi
check_k6_results
run_profile t3-micro
run_profile t3-micro-baseline
check_oom
run_replicas
finish
