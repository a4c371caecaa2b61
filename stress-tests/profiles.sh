# shellcheck shell=bash disable=SC2034 # sourced: its P_* variables are for the caller
# The instance profiles: the one table of AWS t3 figures this repository uses.
#
# Sourced by instance.sh (cgroup limits, credit model, --list); the compose
# file's services and tests/integration/instance_test.cpp are checked against
# it through `instance.sh --list`. Each instance yields two profiles: NAME
# (bursting on all its vCPUs, as T3 "unlimited" mode or while credits last)
# and NAME-baseline (credits exhausted in "standard" mode). Memory allows no
# swap. Figures: AWS EC2 T3 documentation (vCPU, RAM, baseline per vCPU,
# CPU credits earned per hour; one credit = one vCPU at 100 % for a minute).

# instance   vcpu  mem_mib  baseline_pct_per_vcpu  credits_per_hour
FSVC_INSTANCES=(
  "t3-micro   2  1024  10  12"
  "t3-small   2  2048  20  24"
  "t3-medium  2  4096  20  24"
)

# AWS caps the balance at 24 hours of earnings.
FSVC_MAX_CREDIT_HOURS=24

# profile_names: every profile name, one per line.
profile_names() {
  local row name
  for row in "${FSVC_INSTANCES[@]}"; do
    read -r name _ <<<"$row"
    printf '%s\n%s-baseline\n' "$name" "$name"
  done
}

# profile_load NAME: sets P_NAME, P_VCPU, P_MEM_BYTES,
# P_BURST_MILLI and P_BASELINE_MILLI (CPUs x 1000), P_CPU_MILLI (the quota this
# profile starts with), P_CREDITS_PER_HOUR and P_MAX_CREDITS. Returns 1 for an
# unknown name.
profile_load() {
  local want=$1 row name vcpu mem pct rate
  for row in "${FSVC_INSTANCES[@]}"; do
    read -r name vcpu mem pct rate <<<"$row"
    if [[ $want == "$name" || $want == "$name-baseline" ]]; then
      P_NAME=$want
      P_VCPU=$vcpu
      P_MEM_BYTES=$((mem * 1024 * 1024))
      P_BURST_MILLI=$((vcpu * 1000))
      P_BASELINE_MILLI=$((vcpu * pct * 10))
      P_CREDITS_PER_HOUR=$rate
      P_MAX_CREDITS=$((rate * FSVC_MAX_CREDIT_HOURS))
      if [[ $want == *-baseline ]]; then
        P_CPU_MILLI=$P_BASELINE_MILLI
      else
        P_CPU_MILLI=$P_BURST_MILLI
      fi
      return 0
    fi
  done
  return 1
}

# milli_to_cpus 200 -> 0.20
milli_to_cpus() {
  printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10))
}

# profile_table: the table as whitespace-separated columns with a header line
# (read by people and by instance_test.cpp alike).
profile_table() {
  local p
  printf '%-20s %5s %12s %10s %5s %13s %13s %16s %11s\n' profile cpus memory_bytes swap_bytes vcpu \
    burst_cpus baseline_cpus credits_per_hour max_credits
  while read -r p; do
    profile_load "$p"
    printf '%-20s %5s %12d %10d %5d %13s %13s %16d %11d\n' "$P_NAME" "$(milli_to_cpus "$P_CPU_MILLI")" \
      "$P_MEM_BYTES" 0 "$P_VCPU" "$(milli_to_cpus "$P_BURST_MILLI")" \
      "$(milli_to_cpus "$P_BASELINE_MILLI")" "$P_CREDITS_PER_HOUR" "$P_MAX_CREDITS"
  done < <(profile_names)
}
