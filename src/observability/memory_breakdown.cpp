#include "observability/memory_breakdown.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace fsvc {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// "key value" lines (memory.stat) or "Key:  value kB" lines (/proc/self/status), in bytes.
std::map<std::string, uint64_t, std::less<>> ReadKeyValues(const std::string& path) {
  std::map<std::string, uint64_t, std::less<>> out;
  std::istringstream in(ReadText(path));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string key, unit;
    uint64_t value = 0;
    if (!(fields >> key >> value)) continue;
    if (!key.empty() && key.back() == ':') key.pop_back();
    fields >> unit;
    out[key] = unit == "kB" ? value * 1024 : value;
  }
  return out;
}

std::optional<uint64_t> Find(const std::map<std::string, uint64_t, std::less<>>& m,
                             std::string_view key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> ReadNumberFile(const std::string& path) {
  std::ifstream in(path);
  uint64_t v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

// Appends `other` so that the parts add up to `total`.
void CloseWithOther(std::vector<MemoryPart>& parts, uint64_t total) {
  int64_t named = 0;
  for (const MemoryPart& p : parts) named += p.bytes;
  parts.push_back({"other", static_cast<int64_t>(total) - named});
}

std::vector<MemoryPart> SplitCgroup(const MachineLimits& limits, uint64_t usage) {
  std::vector<MemoryPart> parts;
  auto add = [&parts](const char* name, std::optional<uint64_t> v) {
    if (v) parts.push_back({name, static_cast<int64_t>(*v)});
  };
  // Called only with a usage, so with the group's directory (cgroup.cpp's memory_dir).
  const std::string& dir = limits.memory_dir;
  const auto stat = ReadKeyValues(dir + "/memory.stat");
  if (limits.cgroup_version == "v2") {
    add("anon", Find(stat, "anon"));
    add("page_cache", Find(stat, "file"));
    // "kernel" (5.18+) is every kernel use but sockets; older kernels list its parts.
    std::optional<uint64_t> kernel = Find(stat, "kernel");
    if (!kernel) {
      uint64_t sum = 0;
      for (const char* k : {"kernel_stack", "pagetables", "percpu", "slab"}) {
        sum += Find(stat, k).value_or(0);
      }
      kernel = sum;
    }
    add("kernel", kernel);
    add("socket_buffers", Find(stat, "sock"));
  } else {
    add("anon", Find(stat, "rss"));
    add("page_cache", Find(stat, "cache"));
    // Charged to usage_in_bytes only where kmem accounting is on; 0 elsewhere.
    add("kernel", ReadNumberFile(dir + "/memory.kmem.usage_in_bytes"));
  }
  CloseWithOther(parts, usage);
  return parts;
}

std::optional<uint64_t> NetnsTcpBufferBytes() {
  // "TCP: inuse 5 orphan 0 tw 0 alloc 7 mem 3": mem is in pages.
  std::istringstream in(ReadText("/proc/net/sockstat"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("TCP:", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    std::string key;
    uint64_t value = 0;
    while (fields >> key >> value) {
      if (key == "mem") return value * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    }
  }
  return std::nullopt;
}

}  // namespace

SmapsParts ReadSmapsParts(std::string_view smaps) {
  enum class Kind { kOther, kStack, kLibraryBss, kLibraryFile, kHeap };
  SmapsParts parts;
  uint64_t prev_end = 0;
  bool prev_guard = false;  // the previous mapping was anonymous and inaccessible
  bool prev_file = false;   // the previous mapping was of a file (the binary, a library)
  Kind kind = Kind::kOther;
  std::istringstream in{std::string(smaps)};
  for (std::string line; std::getline(in, line);) {
    const size_t dash = line.find('-');
    const size_t space = line.find(' ');
    if (dash != std::string::npos && space != std::string::npos && dash < space &&
        line.find(':') > space) {  // a mapping's header: "start-end perms offset dev inode path"
      std::istringstream fields(line);
      std::string range, perms, offset, dev, inode, path;
      fields >> range >> perms >> offset >> dev >> inode;
      std::getline(fields >> std::ws, path);
      const uint64_t start = std::strtoull(range.c_str(), nullptr, 16);
      const uint64_t end = std::strtoull(range.c_str() + dash + 1, nullptr, 16);
      const bool anonymous = inode == "0" && path.empty();
      const bool adjacent = prev_end == start;
      const bool rw = perms.rfind("rw", 0) == 0;
      if (path == "[stack]" || (anonymous && rw && prev_guard && adjacent)) {
        kind = Kind::kStack;
      } else if (anonymous && rw && prev_file && adjacent) {
        kind = Kind::kLibraryBss;  // the loader maps .bss past the file's last page
      } else if (inode != "0" && !path.empty()) {
        kind = Kind::kLibraryFile;
      } else if (anonymous || path == "[heap]") {
        kind = Kind::kHeap;
      } else {
        kind = Kind::kOther;
      }
      prev_guard = anonymous && perms.rfind("---", 0) == 0;
      prev_file = kind == Kind::kLibraryFile;
      prev_end = end;
      continue;
    }
    auto kb = [&line](std::string_view key) {
      return line.rfind(key, 0) == 0 ? std::strtoull(line.c_str() + key.size(), nullptr, 10) * 1024
                                     : 0;
    };
    switch (kind) {
      case Kind::kStack:
        parts.thread_stacks += kb("Rss:");
        break;
      case Kind::kLibraryBss:
        parts.library_data += kb("Rss:");
        break;
      case Kind::kLibraryFile:
        // Pages written since they were mapped (relocations, .data): private copies,
        // counted in RssAnon, not in RssFile.
        parts.library_data += kb("Anonymous:");
        break;
      case Kind::kHeap:
        parts.heap_mappings += kb("Rss:");
        break;
      case Kind::kOther:
        break;
    }
  }
  return parts;
}

MemoryBreakdown ReadMemoryBreakdown(const MachineLimits& limits,
                                    const std::optional<JemallocStats>& jemalloc,
                                    std::optional<uint64_t> sqlite_bytes) {
  MemoryBreakdown b;
  const auto status = ReadKeyValues("/proc/self/status");
  const auto anon = Find(status, "RssAnon");
  const auto file = Find(status, "RssFile");
  const auto shmem = Find(status, "RssShmem");
  if (anon && file) b.rss_bytes = *anon + *file + shmem.value_or(0);
  if (b.rss_bytes) {
    auto add = [&b](const char* name, uint64_t v) {
      b.process.push_back({name, static_cast<int64_t>(v)});
    };
    const SmapsParts smaps = ReadSmapsParts(ReadText("/proc/self/smaps"));
    if (jemalloc) {
      // An extent's pages count as allocated or dirty from its allocation, touched or not
      // (a buffer reserved but half filled): the kernel's resident total of the heap
      // mappings bounds the four figures, which keep their proportions.
      const uint64_t counted = jemalloc->active + jemalloc->dirty;
      const double scale =
          counted > smaps.heap_mappings ? static_cast<double>(smaps.heap_mappings) / counted : 1.0;
      b.heap_not_resident = counted - std::min(counted, smaps.heap_mappings);
      auto resident = [scale](uint64_t v) { return static_cast<uint64_t>(v * scale); };
      const uint64_t sqlite = std::min(sqlite_bytes.value_or(0), jemalloc->allocated);
      add("heap_allocated", resident(jemalloc->allocated - sqlite));
      if (sqlite_bytes) add("sqlite", resident(sqlite));
      add("heap_fragmentation", resident(jemalloc->active - jemalloc->allocated));
      // Neither resident - active nor stats.metadata: both count the allocator's reserved
      // metadata pages whether touched or not (measured: ~3 MB over RSS at start), so its
      // resident metadata is left to `other`.
      add("heap_dirty", resident(jemalloc->dirty));
    }
    add("thread_stacks", smaps.thread_stacks);
    add("library_data", smaps.library_data);
    add("mapped_files", *file + shmem.value_or(0));
    CloseWithOther(b.process, *b.rss_bytes);
  }
  b.cgroup_usage_bytes = ReadCgroupMemoryUsage(limits);
  if (b.cgroup_usage_bytes) b.cgroup = SplitCgroup(limits, *b.cgroup_usage_bytes);
  b.tcp_socket_buffers_netns = NetnsTcpBufferBytes();
  return b;
}

nlohmann::json BreakdownJson(const MemoryBreakdown& b) {
  auto parts = [](const std::vector<MemoryPart>& v) {
    nlohmann::json j = nlohmann::json::object();
    for (const MemoryPart& p : v) j[p.name] = p.bytes;
    return j;
  };
  auto or_null = [](const std::optional<uint64_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {{"rss_bytes", or_null(b.rss_bytes)},
          {"process", parts(b.process)},
          {"heap_not_resident_bytes", or_null(b.heap_not_resident)},
          {"cgroup_usage_bytes", or_null(b.cgroup_usage_bytes)},
          {"cgroup", parts(b.cgroup)},
          {"tcp_socket_buffers_netns_bytes", or_null(b.tcp_socket_buffers_netns)}};
}

void WritePrometheus(const MemoryBreakdown& b, PrometheusText& out) {
  using T = PrometheusText::Type;
  auto family = [&out](const char* name, const char* help, const std::vector<MemoryPart>& parts) {
    if (parts.empty()) return;
    out.Family(name, T::kGauge, help);
    for (const MemoryPart& p : parts) out.Sample(static_cast<double>(p.bytes), {{"part", p.name}});
  };
  family("fsvc_memory_breakdown_bytes", "The process's RSS by part (other: what no part explains).",
         b.process);
  family("fsvc_cgroup_memory_breakdown_bytes",
         "The cgroup's memory usage by part (other: what no part explains).", b.cgroup);
  if (b.heap_not_resident) {
    out.Family("fsvc_memory_heap_not_resident_bytes", T::kGauge,
               "Heap bytes jemalloc counts whose pages are not resident (never touched).");
    out.Sample(static_cast<double>(*b.heap_not_resident));
  }
  if (b.tcp_socket_buffers_netns) {
    out.Family("fsvc_netns_tcp_socket_buffer_bytes", T::kGauge,
               "Kernel memory in TCP socket buffers of the whole network namespace.");
    out.Sample(static_cast<double>(*b.tcp_socket_buffers_netns));
  }
}

}  // namespace fsvc
