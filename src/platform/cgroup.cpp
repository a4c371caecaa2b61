#include "platform/cgroup.h"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

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

uint64_t ReadMemTotal(const std::string& root) {
  std::ifstream in(root + "/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemTotal:") return kib * 1024;
  }
  return 0;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

// Maps controller name ("" for v2) to the group path from /proc/self/cgroup.
std::optional<std::string> GroupOf(const std::string& root, const std::string& controller) {
  std::ifstream in(root + "/proc/self/cgroup");
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
    for (const auto& c : Split(controllers, ',')) {
      if (c == controller) return path;
    }
  }
  return std::nullopt;
}

// One cgroup mount from /proc/self/mountinfo: which group of the hierarchy
// (`group_root`) appears at which directory.
struct CgroupMount {
  std::string group_root;
  std::string mount_point;
};

// The first mount of the v1 hierarchy holding `controller`, or of the v2
// hierarchy when `controller` is empty. Fields: id, parent, dev, root, mount
// point, options, optional fields up to "-", then fstype, source, superblock
// options (which name a v1 hierarchy's controllers).
std::optional<CgroupMount> MountOf(const std::string& root, const std::string& controller) {
  std::ifstream in(root + "/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto fields = Split(line, ' ');
    const auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || fields.end() - dash < 4) continue;
    const std::string& fstype = *(dash + 1);
    if (controller.empty()) {
      if (fstype == "cgroup2") return CgroupMount{fields[3], fields[4]};
      continue;
    }
    if (fstype != "cgroup") continue;
    for (const auto& opt : Split(*(dash + 3), ',')) {
      if (opt == controller) return CgroupMount{fields[3], fields[4]};
    }
  }
  return std::nullopt;
}

// Where `group` can be read under `mount`: the mount directory plus the
// group's path below the mounted root ("/" for the mount itself), if the
// group lies in what is mounted.
struct GroupDir {
  std::string mount_dir;
  std::string below;  // "/" or "/a/b"
};
std::optional<GroupDir> Locate(const std::string& root, const CgroupMount& mount,
                               const std::string& group) {
  if (mount.group_root == "/") return GroupDir{root + mount.mount_point, group};
  if (group == mount.group_root) return GroupDir{root + mount.mount_point, "/"};
  if (group.starts_with(mount.group_root + "/")) {
    return GroupDir{root + mount.mount_point, group.substr(mount.group_root.size())};
  }
  return std::nullopt;
}

std::optional<GroupDir> Find(const std::string& root, const std::string& controller,
                             const std::optional<std::string>& group) {
  if (!group) return std::nullopt;
  auto mount = MountOf(root, controller);
  if (!mount) return std::nullopt;
  return Locate(root, *mount, *group);
}

std::string Path(const GroupDir& d) {
  return d.below == "/" ? d.mount_dir : d.mount_dir + d.below;
}

// Walks from the group up to the top of what is mounted: a limit set on an
// ancestor binds too.
template <class Reader>
auto MinUpTree(GroupDir dir, Reader read) -> decltype(read(std::string())) {
  decltype(read(std::string())) best;
  while (true) {
    auto v = read(Path(dir));
    if (v && (!best || *v < *best)) best = v;
    if (dir.below == "/") break;
    const auto slash = dir.below.find_last_of('/');
    dir.below = slash == 0 ? "/" : dir.below.substr(0, slash);
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

MachineLimits ReadMachineLimits(const std::string& root) {
  MachineLimits l;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) l.online_cpus = CPU_COUNT(&set);
  l.physical_memory_bytes = ReadMemTotal(root);

  // v1 where its cpu or memory controller is mounted: a hybrid host also
  // mounts an empty v2 hierarchy, which holds no limits.
  const auto cpu_group = GroupOf(root, "cpu");
  const auto mem_group = GroupOf(root, "memory");
  const auto cpu_v1 = Find(root, "cpu", cpu_group);
  const auto mem_v1 = Find(root, "memory", mem_group);
  if (cpu_v1 || mem_v1) {
    l.cgroup_version = "v1";
    l.cgroup_path = mem_v1 ? *mem_group : *cpu_group;
    if (cpu_v1) {
      l.cpu_quota_cores = MinUpTree(*cpu_v1, [](const std::string& dir) {
        std::optional<double> cores;
        auto quota = ReadFirstLine(dir + "/cpu.cfs_quota_us");
        auto period = ReadNumber(dir + "/cpu.cfs_period_us");
        if (quota && period && *period > 0 && !quota->empty() && (*quota)[0] != '-') {
          cores = std::stod(*quota) / static_cast<double>(*period);
        }
        return cores;
      });
    }
    if (mem_v1) {
      l.memory_dir = Path(*mem_v1);
      l.memory_limit_bytes = MinUpTree(*mem_v1, [](const std::string& dir) {
        return UnlessHuge(ReadNumber(dir + "/memory.limit_in_bytes"));
      });
    }
    return l;
  }
  const auto v2_group = GroupOf(root, "");
  const auto v2 = Find(root, "", v2_group);
  if (!v2) {
    l.cgroup_version = "none";
    return l;
  }
  l.cgroup_version = "v2";
  l.cgroup_path = *v2_group;
  l.memory_dir = Path(*v2);
  l.cpu_quota_cores = MinUpTree(*v2, [](const std::string& dir) {
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
  l.memory_limit_bytes =
      MinUpTree(*v2, [](const std::string& dir) { return ReadNumber(dir + "/memory.max"); });
  return l;
}

std::optional<uint64_t> ReadCgroupMemoryUsage(const MachineLimits& limits) {
  if (limits.memory_dir.empty()) return std::nullopt;
  if (limits.cgroup_version == "v2") return ReadNumber(limits.memory_dir + "/memory.current");
  return ReadNumber(limits.memory_dir + "/memory.usage_in_bytes");
}

}  // namespace fsvc
