#!/usr/bin/env bash
# A single-node Ceph with an S3 gateway for tests: one monitor, one memstore
# OSD and radosgw (beast on 127.0.0.1), all state, logs and sockets in one
# folder. No mgr and no systemd: nothing outside that folder is touched, and
# stop kills only the PIDs that start recorded there.
#   ceph.sh start [DIR]   start (DIR: a new temp folder by default), print
#                         CEPH_DIR=..., S3_ENDPOINT=..., S3_ACCESS_KEY=...,
#                         S3_SECRET_KEY=..., S3_REGION=... (shell syntax)
#   ceph.sh env DIR       print those lines again
#   ceph.sh bucket DIR NAME   create bucket NAME
#   ceph.sh stop DIR      kill the recorded PIDs and remove DIR
# CEPH_STORE_BYTES sizes the memstore (default 1 GiB; it must hold the
# largest test upload, and memstore keeps it all in RAM). CEPH_RGW_ADDR is
# the address the gateway listens on (default 127.0.0.1; containers reach
# the host on the Docker bridge's gateway instead). The monitor and the OSD
# stay on loopback.
set -euo pipefail

die() { echo "ceph.sh: $*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Polls until "$@" succeeds; Ceph daemons answer within a second or two, so
# 30 s means something is broken and the logs in DIR/log say what.
wait_for() {
  local what=$1; shift
  for _ in $(seq 300); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "$what did not come up; see $dir/log"
}

spawn() {  # spawn NAME CMD...: start a daemon in the foreground mode, record its PID
  local name=$1; shift
  "$@" >"$dir/log/$name.out" 2>&1 &
  echo "$!" >>"$dir/pids"
}

stop() {
  [[ -f "$dir/pids" ]] || die "$dir/pids: no such file (not started by ceph.sh?)"
  # SIGKILL: the state is thrown away with DIR, and the daemons take ~5 s to
  # honour SIGTERM.
  local p
  while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$dir/pids"
  while read -r p; do
    while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
  done <"$dir/pids"
  rm -rf "$dir"
}

start() {
  for b in monmaptool ceph-mon ceph-osd radosgw radosgw-admin ceph; do
    command -v "$b" >/dev/null || die "$b not found (scripts/install-deps.sh --test installs Ceph)"
  done
  mkdir -p "$dir"/{mon,osd,run,log}
  : >"$dir/pids"
  local mon_port rgw_port fsid osd_uuid
  mon_port=$(free_port)
  rgw_port=$(free_port)
  local rgw_addr=${CEPH_RGW_ADDR:-127.0.0.1}
  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$dir/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
# Without cephx the monitor client must not ask for a secure mode, or
# radosgw loops on "get_initial_auth_request returned -13".
ms mon client mode = crc
# The default (1 s) makes every map change wait; start-up takes ~13 s with it.
paxos propose interval = 0.05
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd objectstore = memstore
memstore device bytes = ${CEPH_STORE_BYTES:-1073741824}
mon data = $dir/mon
osd data = $dir/osd
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
keyring = $dir/keyring
[client.rgw]
# Without tcp_nodelay keep-alive GETs stall on Nagle (54 vs 716 req/s).
rgw frontends = beast endpoint=$rgw_addr:$rgw_port tcp_nodelay=1
rgw data = $dir/rgw
CONF
  local c=(-c "$dir/ceph.conf")
  : >"$dir/keyring"
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
  ceph-mon "${c[@]}" --mkfs -i a --monmap "$dir/monmap" >"$dir/log/mkfs-mon.out" 2>&1
  spawn mon ceph-mon "${c[@]}" -i a -f
  local id
  id=$(timeout 30 ceph "${c[@]}" osd new "$osd_uuid")
  ceph-osd "${c[@]}" -i "$id" --mkfs --osd-uuid "$osd_uuid" >"$dir/log/mkfs-osd.out" 2>&1
  spawn osd ceph-osd "${c[@]}" -i "$id" -f
  spawn rgw radosgw "${c[@]}" -n client.rgw -f
  local access secret
  access=$(head -c 10 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
  secret=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
  timeout 60 radosgw-admin "${c[@]}" user create --uid=test --display-name=test \
    --access-key="$access" --secret="$secret" >"$dir/log/user.out" 2>&1 ||
    die "radosgw-admin user create failed; see $dir/log/user.out"
  wait_for radosgw curl -sf -o /dev/null "http://$rgw_addr:$rgw_port/"
  cat >"$dir/env" <<ENV
CEPH_DIR=$dir
S3_ENDPOINT=http://$rgw_addr:$rgw_port
S3_ACCESS_KEY=$access
S3_SECRET_KEY=$secret
S3_REGION=us-east-1
ENV
  cat "$dir/env"
}

bucket() {  # bucket NAME: a PUT signed with the keys start made
  local S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY S3_REGION
  eval "$(grep '^S3_' "$dir/env")"
  # An empty body's SHA-256: RGW wants the payload hash header that curl leaves out.
  curl -fsS -o /dev/null -X PUT --aws-sigv4 "aws:amz:$S3_REGION:s3" \
    --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$S3_ENDPOINT/$1" || die "cannot create bucket $1 at $S3_ENDPOINT"
}

cmd=${1:-}
case "$cmd" in
  start)
    dir=${2:-$(mktemp -d /tmp/ceph-test.XXXXXX)}
    dir=$(realpath -m "$dir")
    # A start that fails half way leaves no daemon behind.
    started=0
    trap '[[ $started == 1 ]] || stop 2>/dev/null || true' EXIT
    start
    started=1
    ;;
  stop | env)
    [[ -n "${2:-}" ]] || die "usage: ceph.sh $cmd DIR"
    dir=$(realpath -m "$2")
    if [[ $cmd == stop ]]; then stop; else cat "$dir/env"; fi
    ;;
  bucket)
    [[ -n "${2:-}" && -n "${3:-}" ]] || die "usage: ceph.sh bucket DIR NAME"
    dir=$(realpath -m "$2")
    bucket "$3"
    ;;
  *) die "usage: ceph.sh start [DIR] | env DIR | bucket DIR NAME | stop DIR" ;;
esac
