# shellcheck shell=bash
# Services started side by side on 127.0.0.1 for a cost comparison, and the
# helpers such a script needs. Source this file after setting BIN (the
# file-service binary); it makes WORK (a temp folder, removed on exit, with
# every service it started stopped by its pid first).
#   side_start NAME [FLAGS...]  starts a service (auth and rate limiter off, a
#                               free port, data in WORK/NAME) and prints its
#                               port; its pid (or instance.sh's) is in WORK/NAME/pid
#   side_pid NAME               the service's own pid
#   CLIENT                      the prefix for load generators (an array)
#   median                      the median of the numbers on stdin
# With SIDE_INSTANCE=PROFILE (t3-micro, ...) each service runs under
# stress-tests/instance.sh PROFILE --vcpus 1, pinned to core 0, and CLIENT
# pins the load generators to core 1, as `run.sh capacity` does: the
# figures are one vCPU of that instance's.

SIDE__HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLIENT=()
[[ -n ${SIDE_INSTANCE:-} ]] && CLIENT=(taskset -c 1)
WORK=$(mktemp -d)
side__cleanup() {
  local pid
  while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$WORK/pids"
  while read -r pid; do
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  done <"$WORK/pids"
  rm -rf "$WORK"
}
: >"$WORK/pids"
trap side__cleanup EXIT

# Runs in a command substitution (a subshell): the pids go to files, not to
# variables the subshell would keep to itself.
side_start() {
  local name=$1
  shift
  mkdir -p "$WORK/$name"
  local run=()
  if [[ -n ${SIDE_INSTANCE:-} ]]; then
    run=("$SIDE__HERE/../instance.sh" "$SIDE_INSTANCE" --vcpus 1 -- taskset -c 0)
  fi
  "${run[@]}" "$BIN" --host=127.0.0.1 --port=0 --data-dir="$WORK/$name/data" --auth=off \
    --disable-rate-limiter=true "$@" >"$WORK/$name/out" 2>"$WORK/$name/err" &
  echo "$!" >"$WORK/$name/pid"
  echo "$!" >>"$WORK/pids"
  for _ in $(seq 100); do
    if grep -q "listening on" "$WORK/$name/out"; then
      grep -o "listening on [^ ]*" "$WORK/$name/out" | sed 's/.*://'
      return
    fi
    sleep 0.1
  done
  echo "the $name service did not start" >&2
  exit 2
}

side_pid() {
  local pid
  pid=$(cat "$WORK/$1/pid")
  if [[ -n ${SIDE_INSTANCE:-} ]]; then
    # instance.sh's child: taskset, which became the service by exec.
    pgrep -P "$pid" -x file-service
  else
    echo "$pid"
  fi
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
