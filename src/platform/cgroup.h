// The CPU and memory limits this process actually runs under.
//
// Reads the cgroup (v1 cpu/memory controllers where mounted, else the v2
// unified hierarchy) that /proc/self/cgroup names, falling back to the
// machine's figures where no limit is set. The group's directory comes from
// /proc/self/mountinfo: inside a container the group is mounted as the root
// of /sys/fs/cgroup/..., not at the host's path that /proc/self/cgroup shows. Defaults for threads,
// caches and upload concurrency are derived from these numbers, so a container or `instance.sh`
// profile sizes the service without flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace fsvc {

struct MachineLimits {
  std::string cgroup_version;                  // "v2", "v1" or "none"
  std::string cgroup_path;                     // as named in /proc/self/cgroup
  std::string memory_dir;                      // the memory group's directory, "" if none
  double online_cpus = 1;                      // sched_getaffinity count
  std::optional<double> cpu_quota_cores;       // cpu.max / cfs_quota, if limited
  std::optional<uint64_t> memory_limit_bytes;  // memory.max / limit_in_bytes
  uint64_t physical_memory_bytes = 0;          // MemTotal

  // The CPUs the process can use: quota if set, else the affinity mask.
  double EffectiveCpus() const;
  // The memory the process can use: cgroup limit if set, else MemTotal.
  uint64_t EffectiveMemory() const;
};

// Reads the limits now; never fails (missing files mean "no limit"). `root`
// prefixes every /proc and /sys path read, so tests can hand in a fake tree.
MachineLimits ReadMachineLimits(const std::string& root = "");

// Current memory usage charged to this process's cgroup (memory_dir), if readable.
std::optional<uint64_t> ReadCgroupMemoryUsage(const MachineLimits& limits);

}  // namespace fsvc
