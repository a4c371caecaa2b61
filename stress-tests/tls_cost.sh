#!/usr/bin/env bash
# What TLS costs: two services side by side on 127.0.0.1, one plain and one
# with TLS_CERT_FILE/TLS_KEY_FILE (a P-256 certificate made here), driven by
# wrk in interleaved rounds (plain, tls, plain, tls, ...) so drift in the
# machine's load falls on both. Measures
#   - new connections per second (a full TLS handshake each on the TLS side):
#     GET /ping by hey with keep-alive off (wrk does not reconnect after
#     "Connection: close"; hey's Go client keeps no session cache, so no
#     resumption);
#   - GET /ping and GET of a 100 KiB file on keep-alive connections;
#   - memory per idle keep-alive connection: the services' RSS before and
#     after IDLE_CONNS connections that each made one request (python3).
# Prints each round and the medians with the ratios tls / plain.
#
#   stress-tests/tls_cost.sh            (or: stress-tests/run.sh tls [--instance P] [--quick])
# Environment: FSVC_BIN (default build/file-service), ROUNDS (3), DURATION
# (seconds per wrk/hey run, 3), CONNECTIONS (wrk's, 50), THREADS (wrk threads, 2),
# IDLE_CONNS (500), SIDE_INSTANCE (an instance profile: both services under
# its limits on one vCPU, core 0, the clients on core 1; see
# lib/side_by_side.sh), TLS_JSON (also write the medians there as JSON,
# schema fsvc-tls/1).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${FSVC_BIN:-$ROOT/build/file-service}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-3}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
IDLE_CONNS=${IDLE_CONNS:-500}
# shellcheck source=lib/side_by_side.sh
source "$ROOT/stress-tests/lib/side_by_side.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1

plain_port=$(side_start plain)
tls_port=$(side_start tls --tls-cert-file="$WORK/cert.pem" --tls-key-file="$WORK/key.pem")
declare -A url=([plain]="http://127.0.0.1:$plain_port" [tls]="https://127.0.0.1:$tls_port")
head -c 102400 /dev/urandom >"$WORK/100k"
for side in plain tls; do
  curl -sSf -k -o /dev/null -T "$WORK/100k" "${url[$side]}/files/bench/100k"
done

rps() {
  "${CLIENT[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "$@" | awk '/Requests\/sec/ {print $2}'
}

tests=(conn ping get100k)
for round in $(seq "$ROUNDS"); do
  line="round $round:"
  for t in "${tests[@]}"; do
    for side in plain tls; do
      case $t in
        conn) r=$("${CLIENT[@]}" hey -disable-keepalive -c 20 -z "${DURATION}s" "${url[$side]}/ping" |
          awk '/Requests\/sec/ {print $2}') ;;
        ping) r=$(rps "${url[$side]}/ping") ;;
        get100k) r=$(rps "${url[$side]}/files/bench/100k") ;;
      esac
      echo "$r" >>"$WORK/$t.$side"
      line+=" $t/$side $r"
    done
  done
  echo "$line req/s"
done
for t in "${tests[@]}"; do
  p=$(median <"$WORK/$t.plain")
  s=$(median <"$WORK/$t.tls")
  echo "median $t: plain $p req/s, tls $s req/s, ratio tls/plain $(
    awk -v a="$s" -v b="$p" 'BEGIN {printf "%.3f", a / b}')"
done

# Memory per idle keep-alive connection: IDLE_CONNS connections, each after
# one GET /ping (so its handshake and first request are done), held open
# while the service's RSS is read.
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$(side_pid "$1")/status"; }
for side in plain tls; do
  port=$plain_port
  [[ $side == tls ]] && port=$tls_port
  before=$(rss_kb "$side")
  "${CLIENT[@]}" python3 - "$port" "$side" "$IDLE_CONNS" "$WORK/$side/held" <<'PY' &
import socket, ssl, sys, time, os
port, side, n, flag = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conns = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    if side == "tls":
        s = ctx.wrap_socket(s)
    s.sendall(b"GET /ping HTTP/1.1\r\nHost: b\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got:
        got += s.recv(4096)
    conns.append(s)
open(flag, "w").close()
time.sleep(3)
PY
  for _ in $(seq 300); do [[ -e $WORK/$side/held ]] && break; sleep 0.1; done
  sleep 1
  after=$(rss_kb "$side")
  wait
  each=$(awk -v a="$after" -v b="$before" -v n="$IDLE_CONNS" 'BEGIN {printf "%.1f", (a - b) / n}')
  echo "$each" >"$WORK/idle.$side"
  echo "idle $side: RSS $before -> $after KiB over $IDLE_CONNS connections, $each KiB each"
done

[[ -n ${TLS_JSON:-} ]] || exit 0
python3 - "$WORK" "$TLS_JSON" "${SIDE_INSTANCE:-}" "$ROUNDS" "$DURATION" "$CONNECTIONS" \
  "$IDLE_CONNS" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'PY'
import json, statistics, sys, time
work, out, instance, rounds, duration, conns, idle, commit = sys.argv[1:]
def values(name):
    with open("%s/%s" % (work, name)) as f:
        return [float(x) for x in f.read().split()]
tests = {}
for t in ("conn", "ping", "get100k"):
    plain, tls = statistics.median(values(t + ".plain")), statistics.median(values(t + ".tls"))
    tests[t] = {"plain_rps": plain, "tls_rps": tls, "ratio": tls / plain if plain else None,
                "rounds_plain": values(t + ".plain"), "rounds_tls": values(t + ".tls")}
doc = {"schema": "fsvc-tls/1", "instance": instance or None, "rounds": int(rounds),
       "duration_s": float(duration), "connections": int(conns), "idle_connections": int(idle),
       "tests": tests,
       "idle_kib_per_connection": {"plain": values("idle.plain")[0], "tls": values("idle.tls")[0]},
       "git_commit": commit, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
PY
echo "tls_cost.sh: $TLS_JSON"
