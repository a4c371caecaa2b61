#include "platform/cgroup.h"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace fsvc {
namespace {

std::optional<std::string> ReadFirstLine(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

std::optional<uint64_t> ReadNumber(const std::string& file) {
  auto line = ReadFirstLine(file);
  if (!line || line->empty() || *line == "max") return std::nullopt;
  try {
    return std::stoull(*line);
  } catch (...) {
    return std::nullopt;
  }
}

// v1 reports "no limit" as a huge page-aligned number rather than "max".
std::optional<uint64_t> UnlessHuge(std::optional<uint64_t> v) {
  if (v && *v >= (uint64_t{1} << 60)) return std::nullopt;
  return v;
}

uint64_t ReadMemTotal() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemTotal:") return kib * 1024;
  }
  return 0;
}

// Maps controller name ("" for v2) to the group path from /proc/self/cgroup.
std::optional<std::string> GroupOf(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (controller.empty()) {
      if (controllers.empty()) return path;
      continue;
    }
    std::stringstream list(controllers);
    std::string c;
    while (std::getline(list, c, ',')) {
      if (c == controller) return path;
    }
  }
  return std::nullopt;
}

// Walks from the group up to the root: a limit set on an ancestor binds too.
template <class Reader>
auto MinUpTree(const std::string& mount, std::string group, Reader read)
    -> decltype(read(std::string())) {
  decltype(read(std::string())) best;
  while (true) {
    auto v = read(mount + group);
    if (v && (!best || *v < *best)) best = v;
    if (group.empty() || group == "/") break;
    const auto slash = group.find_last_of('/');
    group = slash == 0 ? "/" : group.substr(0, slash);
  }
  return best;
}

}  // namespace

double MachineLimits::EffectiveCpus() const {
  return cpu_quota_cores ? std::min(*cpu_quota_cores, online_cpus) : online_cpus;
}

uint64_t MachineLimits::EffectiveMemory() const {
  return memory_limit_bytes ? std::min(*memory_limit_bytes, physical_memory_bytes)
                            : physical_memory_bytes;
}

MachineLimits ReadMachineLimits() {
  MachineLimits l;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) l.online_cpus = CPU_COUNT(&set);
  l.physical_memory_bytes = ReadMemTotal();

  if (auto v2 = GroupOf(""); v2 && std::ifstream("/sys/fs/cgroup/cgroup.controllers")) {
    l.cgroup_version = "v2";
    l.cgroup_path = *v2;
    const std::string mount = "/sys/fs/cgroup";
    l.cpu_quota_cores = MinUpTree(mount, *v2, [](const std::string& dir) {
      std::optional<double> cores;
      auto line = ReadFirstLine(dir + "/cpu.max");
      if (!line) return cores;
      std::istringstream in(*line);
      std::string quota;
      double period = 0;
      if (in >> quota >> period && quota != "max" && period > 0) {
        cores = std::stod(quota) / period;
      }
      return cores;
    });
    l.memory_limit_bytes = MinUpTree(
        mount, *v2, [](const std::string& dir) { return ReadNumber(dir + "/memory.max"); });
    return l;
  }
  auto cpu = GroupOf("cpu");
  auto mem = GroupOf("memory");
  if (!cpu && !mem) {
    l.cgroup_version = "none";
    return l;
  }
  l.cgroup_version = "v1";
  l.cgroup_path = mem ? *mem : *cpu;
  if (cpu) {
    const std::string mount = std::ifstream("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us")
                                  ? "/sys/fs/cgroup/cpu,cpuacct"
                                  : "/sys/fs/cgroup/cpu";
    l.cpu_quota_cores = MinUpTree(mount, *cpu, [](const std::string& dir) {
      std::optional<double> cores;
      auto quota = ReadFirstLine(dir + "/cpu.cfs_quota_us");
      auto period = ReadNumber(dir + "/cpu.cfs_period_us");
      if (quota && period && *period > 0 && !quota->empty() && (*quota)[0] != '-') {
        cores = std::stod(*quota) / static_cast<double>(*period);
      }
      return cores;
    });
  }
  if (mem) {
    l.memory_limit_bytes = MinUpTree("/sys/fs/cgroup/memory", *mem, [](const std::string& dir) {
      return UnlessHuge(ReadNumber(dir + "/memory.limit_in_bytes"));
    });
  }
  return l;
}

std::optional<uint64_t> ReadCgroupMemoryUsage(const MachineLimits& limits) {
  if (limits.cgroup_version == "v2") {
    return ReadNumber("/sys/fs/cgroup" + limits.cgroup_path + "/memory.current");
  }
  if (limits.cgroup_version == "v1") {
    return ReadNumber("/sys/fs/cgroup/memory" + limits.cgroup_path + "/memory.usage_in_bytes");
  }
  return std::nullopt;
}

}  // namespace fsvc
