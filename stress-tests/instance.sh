#!/usr/bin/env bash
# Runs a command under an AWS t3 instance's CPU quota and memory limit, using
# cgroups directly: the same limits docker-compose.stress.yml gives a
# container, for machines where no Docker engine runs.
#
#   instance.sh --list                 the profile table (stress-tests/profiles.sh)
#   instance.sh --check                exit 0 if cgroups can be created here, else say why (exit 3)
#   instance.sh PROFILE [--vcpus N] [credit options] -- COMMAND [ARG...]
#
# Uses cgroup v2 where it is mounted with the cpu and memory controllers
# (cpu.max, memory.max, memory.swap.max = 0), else v1 (cpu.cfs_quota_us /
# cpu.cfs_period_us, memory.limit_in_bytes, memory.memsw.limit_in_bytes where
# present). The group is made in (v1) or beside (v2) this script's own group, removed
# afterwards (also on INT/TERM/HUP, which are passed on to the command), and
# instance.sh exits with the command's status (128+N when killed by signal N;
# an OOM kill is reported as such).
#
# --vcpus N models N of the instance's vCPUs: the CPU quotas (burst and baseline) and the
# credit earnings and cap are scaled by N / the instance's vCPUs; memory is not scaled.
# (`run.sh capacity` runs the service on one vCPU of quota, pinned to one core, so
# the load generator has the other core; it scales the result per vCPU.)
#
# Credit options (model T3 "standard" mode CPU credits):
#   --credits               start bursting on all vCPUs with a credit balance, spend it by
#                           the CPU the group uses (cpu.stat usage_usec / cpuacct.usage),
#                           earn at the instance's rate, drop the quota to the baseline
#                           when the balance is 0 and raise it again once credits are back
#   --initial-credits N     starting balance (default: the 24 h maximum AWS allows)
#   --recover-credits N     balance needed to burst again after exhaustion (default 1)
#   --time-scale N          simulated seconds per real second (default 1)
#   --interval SECONDS      accounting tick in real seconds (default 1)
#   --log FILE              CSV of the balance over time
#                           (default stress-tests/results/credits-PROFILE-TIMESTAMP.csv)
# Exit status: the command's; 2 for a usage error; 3 when cgroups are unusable.
# shellcheck disable=SC2317 # cleanup and remove_group are reached through traps
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=profiles.sh
source "$HERE/profiles.sh"

readonly PERIOD_US=100000
readonly GROUP_PREFIX=fsvc-instance

say() { printf 'instance.sh: %s\n' "$*" >&2; }
die_usage() {
  say "$*"
  say "usage: instance.sh --list | --check | PROFILE [--credits [--time-scale N] [--initial-credits N]] -- COMMAND..."
  exit 2
}
die_cgroup() {
  say "cgroups are not usable here: $*"
  say "run as root on a machine whose cgroup filesystem is writable (in a container: --privileged" \
    "with --cgroupns=private), or use 'docker compose --profile PROFILE up' instead"
  exit 3
}

# --- decimals as integers (bash has no floating point) -----------------------
# to_micro 2.5 -> 2500000 ; rejects anything but a non-negative decimal.
to_micro() {
  [[ $1 =~ ^([0-9]+)(\.([0-9]{1,6}))?$ ]] || return 1
  local frac=${BASH_REMATCH[3]:-0}
  while ((${#frac} < 6)); do frac+=0; done
  echo $((10#${BASH_REMATCH[1]} * 1000000 + 10#$frac))
}
# micro_fmt 2500000 3 -> 2.500
micro_fmt() {
  local v=$1 digits=$2 scale=1000000 sign=""
  ((v < 0)) && sign=- && v=$((-v))
  printf '%s%d' "$sign" $((v / scale))
  ((digits > 0)) && printf '.%0*d' "$digits" $((v % scale / 10 ** (6 - digits)))
  return 0
}
now_us() { echo "${EPOCHREALTIME/./}"; }

# --- cgroup discovery -----------------------------------------------------
# Sets MODE (v1|v2) and, per controller, the directory of this process's own
# group: OWN_CPU, OWN_CPUACCT, OWN_MEMORY (v1) or OWN_V2. Mount roots are
# honoured, so it also works inside containers without a cgroup namespace.
MODE=""
OWN_V2="" OWN_CPU="" OWN_CPUACCT="" OWN_MEMORY=""

# own_path HIERARCHY_SPEC: this process's path in a hierarchy from
# /proc/self/cgroup ("" names v2's 0:: line).
own_path() {
  local want=$1 id ctrls path c
  while IFS=: read -r id ctrls path; do
    if [[ -z $want ]]; then
      [[ $id == 0 && -z $ctrls ]] && { echo "$path"; return 0; }
      continue
    fi
    IFS=, read -ra list <<<"$ctrls"
    for c in "${list[@]}"; do [[ $c == "$want" ]] && { echo "$path"; return 0; }; done
  done </proc/self/cgroup
  return 1
}

# join MOUNTPOINT MOUNTROOT PATH: the directory for PATH in that mount.
join() {
  local mnt=$1 root=$2 path=$3
  [[ $root != / && $path == "$root"* ]] && path=${path#"$root"}
  echo "${mnt%/}${path}"
}

detect_cgroups() {
  local line left right mnt root fstype opts
  local v2_mnt="" v2_root=""
  declare -A v1_mnt=() v1_root=()
  while IFS= read -r line; do
    left=${line%% - *}
    right=${line#* - }
    read -r _ _ _ root mnt _ <<<"$left"
    read -r fstype _ opts <<<"$right"
    mnt=$(printf '%b' "$mnt") # mountinfo escapes spaces as \040
    if [[ $fstype == cgroup2 ]]; then
      [[ -z $v2_mnt ]] && v2_mnt=$mnt v2_root=$root
    elif [[ $fstype == cgroup ]]; then
      local o
      IFS=, read -ra olist <<<"$opts"
      for o in "${olist[@]}"; do
        case $o in cpu | cpuacct | memory) [[ -z ${v1_mnt[$o]:-} ]] && v1_mnt[$o]=$mnt v1_root[$o]=$root ;; esac
      done
    fi
  done </proc/self/mountinfo

  # v2 counts only where it carries both controllers (a hybrid host mounts an
  # empty cgroup2 at /sys/fs/cgroup/unified beside the v1 hierarchies).
  if [[ -n $v2_mnt ]] && grep -qw cpu "$v2_mnt/cgroup.controllers" 2>/dev/null &&
    grep -qw memory "$v2_mnt/cgroup.controllers" 2>/dev/null; then
    MODE=v2
    OWN_V2=$(join "$v2_mnt" "$v2_root" "$(own_path "")") || die_cgroup "no 0:: line in /proc/self/cgroup"
    return 0
  fi
  if [[ -n ${v1_mnt[cpu]:-} && -n ${v1_mnt[memory]:-} ]]; then
    MODE=v1
    OWN_CPU=$(join "${v1_mnt[cpu]}" "${v1_root[cpu]}" "$(own_path cpu)")
    OWN_MEMORY=$(join "${v1_mnt[memory]}" "${v1_root[memory]}" "$(own_path memory)")
    if [[ -n ${v1_mnt[cpuacct]:-} ]]; then
      OWN_CPUACCT=$(join "${v1_mnt[cpuacct]}" "${v1_root[cpuacct]}" "$(own_path cpuacct)")
    fi
    return 0
  fi
  die_cgroup "neither cgroup v2 with cpu+memory nor v1 cpu and memory controllers are mounted"
}

# --- the instance's group -------------------------------------------------
GROUP_DIRS=()   # every directory made (v1: one per hierarchy; v2: one)
CPU_DIR="" MEM_DIR="" ACCT_DIR=""

# Removes groups left by an instance.sh that was SIGKILLed (empty, dead pid).
sweep_stale() {
  local parent d pid
  for parent in "$@"; do
    for d in "$parent"/"$GROUP_PREFIX"-*; do
      [[ -d $d ]] || continue
      pid=${d##*-}
      [[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && rmdir "$d" 2>/dev/null
    done
  done
  return 0
}

make_group() {
  local name=$1 parent err
  if [[ $MODE == v2 ]]; then
    # A v2 group holding processes cannot hand controllers to children, so
    # the instance group goes beside ours, under our parent.
    parent=$OWN_V2
    [[ $(own_path "") != / ]] && parent=${OWN_V2%/*}
    if ! grep -qw cpu "$parent/cgroup.subtree_control" 2>/dev/null ||
      ! grep -qw memory "$parent/cgroup.subtree_control" 2>/dev/null; then
      err=$( { echo "+cpu +memory" >"$parent/cgroup.subtree_control"; } 2>&1) ||
        die_cgroup "cannot enable cpu and memory in $parent/cgroup.subtree_control (${err##*: })"
    fi
    sweep_stale "$parent"
    CPU_DIR="$parent/$name" MEM_DIR="$parent/$name" ACCT_DIR="$parent/$name"
    err=$(mkdir "$CPU_DIR" 2>&1) || die_cgroup "mkdir $CPU_DIR: ${err##*: }"
    GROUP_DIRS=("$CPU_DIR")
    return 0
  fi
  # v1: one group per hierarchy, nested in our own group (v1 allows it), so
  # any limit on our group still binds. cpu and cpuacct may share a mount.
  local own
  for own in "$OWN_CPU" "$OWN_MEMORY" ${OWN_CPUACCT:+"$OWN_CPUACCT"}; do
    local dir=${own%/}/$name seen=0 d
    for d in "${GROUP_DIRS[@]}"; do [[ $d == "$dir" ]] && seen=1; done
    ((seen)) && continue
    sweep_stale "${own%/}"
    err=$(mkdir "$dir" 2>&1) || die_cgroup "mkdir $dir: ${err##*: }"
    GROUP_DIRS+=("$dir")
  done
  CPU_DIR=${OWN_CPU%/}/$name
  MEM_DIR=${OWN_MEMORY%/}/$name
  ACCT_DIR=${OWN_CPUACCT:+${OWN_CPUACCT%/}/$name}
}

# write_knob FILE VALUE: writes or dies with the kernel's reason.
write_knob() {
  local err
  err=$( { echo "$2" >"$1"; } 2>&1) || die_cgroup "cannot write '$2' to $1 (${err##*: })"
}

set_cpu_milli() {
  local quota=$(($1 * PERIOD_US / 1000))
  if [[ $MODE == v2 ]]; then
    write_knob "$CPU_DIR/cpu.max" "$quota $PERIOD_US"
  else
    write_knob "$CPU_DIR/cpu.cfs_period_us" "$PERIOD_US"
    write_knob "$CPU_DIR/cpu.cfs_quota_us" "$quota"
  fi
}

# The quota the kernel holds now, in milli-CPUs (what the log reports).
read_cpu_milli() {
  local quota period
  if [[ $MODE == v2 ]]; then
    read -r quota period <"$CPU_DIR/cpu.max"
  else
    quota=$(<"$CPU_DIR/cpu.cfs_quota_us") period=$(<"$CPU_DIR/cpu.cfs_period_us")
  fi
  [[ $quota == max || $quota == -1 ]] && { echo -1; return; }
  echo $((quota * 1000 / period))
}

SWAP_NOTE="no swap"
set_memory() {
  local bytes=$1
  if [[ $MODE == v2 ]]; then
    write_knob "$MEM_DIR/memory.max" "$bytes"
    if [[ -e $MEM_DIR/memory.swap.max ]]; then
      write_knob "$MEM_DIR/memory.swap.max" 0
    else
      SWAP_NOTE="swap not limited: kernel without swap accounting"
    fi
  else
    write_knob "$MEM_DIR/memory.limit_in_bytes" "$bytes"
    if [[ -e $MEM_DIR/memory.memsw.limit_in_bytes ]]; then
      write_knob "$MEM_DIR/memory.memsw.limit_in_bytes" "$bytes"
    else
      write_knob "$MEM_DIR/memory.swappiness" 0
      SWAP_NOTE="swap discouraged (swappiness 0): kernel without memsw accounting"
    fi
  fi
}

# CPU time used by the group so far, in microseconds.
read_usage_us() {
  if [[ $MODE == v2 ]]; then
    local key value
    while read -r key value; do
      [[ $key == usage_usec ]] && { echo "$value"; return 0; }
    done <"$ACCT_DIR/cpu.stat"
    return 1
  fi
  local ns
  ns=$(<"$ACCT_DIR/cpuacct.usage") || return 1
  echo $((ns / 1000))
}

oom_kills() {
  local file key value
  if [[ $MODE == v2 ]]; then file=$MEM_DIR/memory.events; else file=$MEM_DIR/memory.oom_control; fi
  while read -r key value; do
    [[ $key == oom_kill ]] && { echo "$value"; return; }
  done <"$file" 2>/dev/null
  echo 0
}

remove_group() {
  local dir pid tries
  for dir in "${GROUP_DIRS[@]}"; do
    [[ -d $dir ]] || continue
    if [[ -e $dir/cgroup.kill ]]; then
      echo 1 >"$dir/cgroup.kill" 2>/dev/null
    else
      while read -r pid; do kill -KILL "$pid" 2>/dev/null; done <"$dir/cgroup.procs"
    fi
  done
  for dir in "${GROUP_DIRS[@]}"; do
    for ((tries = 0; tries < 50; tries++)); do
      [[ -d $dir ]] || break
      rmdir "$dir" 2>/dev/null && break
      sleep 0.1
    done
    [[ -d $dir ]] && say "could not remove $dir (processes still in it?)"
  done
  GROUP_DIRS=()
}

# --- the credit model -----------------------------------------------------
# Balance in micro-credits. One credit = one vCPU at 100 % for one minute, so
# CPU time u (µs) spends u*scale/60 micro-credits and dt real µs earn
# rate*dt*scale/3600 micro-credits.
credits_monitor() {
  local log=$1 scale=$2 balance=$3 recover=$4 interval=$5
  local max=$((P_MAX_CREDITS * 1000000)) state t0 t prev_t usage prev_usage du dt sleeper
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  state=burst
  ((balance <= 0)) && state=baseline
  t0=$(now_us) prev_t=$t0
  prev_usage=$(read_usage_us) || prev_usage=0
  echo "real_s,simulated_s,cpu_used_cpus,balance_credits,state,quota_cpus" >"$log"
  while :; do
    t=$(now_us)
    usage=$(read_usage_us) || usage=$prev_usage
    du=$((usage - prev_usage)) dt=$((t - prev_t))
    ((dt <= 0)) && dt=1
    balance=$((balance + P_CREDITS_PER_HOUR * dt * scale / 3600 - du * scale / 60))
    ((balance < 0)) && balance=0
    ((balance > max)) && balance=$max
    if [[ $state == burst ]] && ((balance <= 0)); then
      state=baseline
      set_cpu_milli "$P_BASELINE_MILLI"
      say "credits exhausted at simulated $(((t - t0) * scale / 1000000)) s: quota lowered to $(milli_to_cpus "$P_BASELINE_MILLI") CPUs"
    elif [[ $state == baseline ]] && ((balance >= recover)); then
      state=burst
      set_cpu_milli "$P_BURST_MILLI"
      say "credits earned back at simulated $(((t - t0) * scale / 1000000)) s: quota raised to $(milli_to_cpus "$P_BURST_MILLI") CPUs"
    fi
    printf '%s,%s,%s,%s,%s,%s\n' "$(micro_fmt $((t - t0)) 3)" "$(micro_fmt $(((t - t0) * scale)) 0)" \
      "$(micro_fmt $((du * 1000000 / dt)) 3)" "$(micro_fmt "$balance" 3)" "$state" \
      "$(micro_fmt $(($(read_cpu_milli) * 1000)) 3)" >>"$log"
    prev_t=$t prev_usage=$usage
    sleep "$interval" &
    sleeper=$!
    wait "$sleeper"
  done
}

# --- main -------------------------------------------------------------------
CHILD="" MONITOR=""
cleanup() {
  [[ -n $MONITOR ]] && kill "$MONITOR" 2>/dev/null && wait "$MONITOR" 2>/dev/null
  remove_group
}
trap cleanup EXIT

[[ $# -ge 1 ]] || die_usage "missing PROFILE"
case $1 in
  --list) profile_table; exit 0 ;;
  --check)
    detect_cgroups
    make_group "$GROUP_PREFIX-check-$$"
    echo "cgroup $MODE: usable"
    exit 0
    ;;
  -h | --help) sed -n '2,/^# shellcheck/{/^# shellcheck/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
esac

PROFILE=$1
shift
profile_load "$PROFILE" || die_usage "unknown profile '$PROFILE' (known: $(profile_names | tr '\n' ' '))"

CREDITS=0 SCALE=1 INITIAL="" RECOVER="" INTERVAL=1 LOG=""
while [[ $# -gt 0 && $1 != -- ]]; do
  case $1 in
    --vcpus)
      { [[ ${2:-} =~ ^[1-9][0-9]*$ ]] && ((${2} <= P_VCPU)); } ||
        die_usage "--vcpus takes a whole number from 1 to the instance's $P_VCPU vCPUs"
      P_BURST_MILLI=$((P_BURST_MILLI * $2 / P_VCPU)) P_BASELINE_MILLI=$((P_BASELINE_MILLI * $2 / P_VCPU))
      P_CPU_MILLI=$((P_CPU_MILLI * $2 / P_VCPU)) P_CREDITS_PER_HOUR=$((P_CREDITS_PER_HOUR * $2 / P_VCPU))
      P_MAX_CREDITS=$((P_MAX_CREDITS * $2 / P_VCPU)) P_VCPU=$2
      shift
      ;;
    --credits) CREDITS=1 ;;
    --time-scale) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die_usage "--time-scale takes a positive integer"; SCALE=$2; shift ;;
    --initial-credits) INITIAL=$(to_micro "${2:-}") || die_usage "--initial-credits takes a number >= 0"; shift ;;
    --recover-credits) RECOVER=$(to_micro "${2:-}") || die_usage "--recover-credits takes a number >= 0"; shift ;;
    --interval)
      us=$(to_micro "${2:-}") || us=0
      ((us > 0)) || die_usage "--interval takes seconds > 0"
      INTERVAL=$2
      shift
      ;;
    --log) [[ -n ${2:-} ]] || die_usage "--log takes a file"; LOG=$2; shift ;;
    *) die_usage "unknown option '$1'" ;;
  esac
  shift
done
[[ ${1:-} == -- ]] || die_usage "missing -- before the command"
shift
[[ $# -ge 1 ]] || die_usage "missing COMMAND after --"
if ((!CREDITS)) && [[ -n $INITIAL$RECOVER$LOG || $SCALE != 1 || $INTERVAL != 1 ]]; then
  die_usage "the credit options need --credits"
fi
if ((CREDITS)) && [[ $PROFILE == *-baseline ]]; then
  die_usage "--credits models the bursting instance: use ${PROFILE%-baseline} (--initial-credits 0 starts it at the baseline)"
fi
[[ -z $RECOVER ]] && RECOVER=1000000
[[ -z $INITIAL ]] && INITIAL=$((P_MAX_CREDITS * 1000000))

detect_cgroups
for sig in INT TERM HUP; do
  # shellcheck disable=SC2064 # the signal name is bound now on purpose
  trap "[[ -n \$CHILD ]] && kill -s $sig \$CHILD 2>/dev/null" "$sig"
done

make_group "$GROUP_PREFIX-$PROFILE-$$"
set_memory "$P_MEM_BYTES"
if ((CREDITS)); then
  [[ -n $ACCT_DIR ]] || die_cgroup "--credits needs the cpuacct controller (v1) to measure CPU use"
  if ((INITIAL > 0)); then set_cpu_milli "$P_BURST_MILLI"; else set_cpu_milli "$P_BASELINE_MILLI"; fi
  if [[ -z $LOG ]]; then
    mkdir -p "$HERE/results"
    LOG="$HERE/results/credits-$PROFILE-$(date +%Y%m%d-%H%M%S).csv"
  fi
else
  set_cpu_milli "$P_CPU_MILLI"
fi
say "$PROFILE: $(milli_to_cpus "$(read_cpu_milli)") CPUs, $((P_MEM_BYTES >> 20)) MiB, $SWAP_NOTE" \
  "(cgroup $MODE: ${GROUP_DIRS[*]})"

# Background jobs of a non-interactive shell read /dev/null unless told
# otherwise: hand the command our real stdin through fd 3.
{ exec 3<&0; } 2>/dev/null || exec 3</dev/null
(
  for dir in "${GROUP_DIRS[@]}"; do
    echo "$BASHPID" >"$dir/cgroup.procs" || { say "cannot join $dir"; exit 126; }
  done
  exec "$@" <&3 3<&-
) &
CHILD=$!
exec 3<&-

if ((CREDITS)); then
  say "credits: start $(micro_fmt "$INITIAL" 1), earn $P_CREDITS_PER_HOUR/h, time x$SCALE; balance log: $LOG"
  credits_monitor "$LOG" "$SCALE" "$INITIAL" "$RECOVER" "$INTERVAL" &
  MONITOR=$!
fi

# wait returns early (status > 128) when a trapped signal arrives; keep
# waiting until the command itself has ended.
status=0
while :; do
  # (bash's own "Killed" notice would quote our subshell's source: hide it)
  { wait "$CHILD"; } 2>/dev/null
  status=$?
  kill -0 "$CHILD" 2>/dev/null || break
done
if (($(oom_kills) > 0)); then
  say "the command was OOM-killed: it exceeded the $PROFILE memory limit ($((P_MEM_BYTES >> 20)) MiB, $SWAP_NOTE)"
fi
exit "$status"
