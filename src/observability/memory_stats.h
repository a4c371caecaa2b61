// Process memory figures for /metrics/memory, /metrics and POST /debug/purge.
//
// Contract: ReadMemoryStats never fails; a figure the platform cannot give is reported as
// absent (std::nullopt -> JSON null), never as 0. jemalloc figures are refreshed through its
// "epoch" first, so they are current. Cgroup figures are read by src/platform and passed in.
// PurgeArenas returns dirty pages of every jemalloc arena to the OS (kUnavailable without
// jemalloc).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "observability/prometheus_text.h"
#include "platform/cgroup.h"
#include "util/error.h"

namespace fsvc {

struct CgroupMemory {
  std::string version = "none";  // "v2", "v1" or "none"
  std::optional<uint64_t> limit_bytes;
  std::optional<uint64_t> usage_bytes;
};

struct JemallocStats {
  uint64_t allocated = 0;  // bytes the application holds
  uint64_t active = 0;     // bytes in active pages (allocated + fragmentation)
  uint64_t resident = 0;   // bytes in physically resident pages the allocator holds
  uint64_t mapped = 0;     // bytes in active extents mapped by the allocator
  uint64_t retained = 0;   // virtual memory kept for reuse, not resident
  uint64_t metadata = 0;   // bytes of the allocator's own metadata
  uint64_t dirty = 0;      // bytes in freed pages not yet returned to the OS (all arenas)
};

struct MemoryStats {
  std::optional<uint64_t> rss_bytes;       // VmRSS
  std::optional<uint64_t> peak_rss_bytes;  // VmHWM
  std::optional<JemallocStats> jemalloc;
  std::optional<int64_t> threads;
  std::optional<int64_t> open_fds;
  std::optional<double> uptime_seconds;
  CgroupMemory cgroup;
};

// The cgroup's memory limit and current usage, as `limits` (read at start) locate them.
CgroupMemory ReadCgroupMemory(const MachineLimits& limits);

MemoryStats ReadMemoryStats(const CgroupMemory& cgroup);
std::optional<JemallocStats> ReadJemallocStats();
nlohmann::json MemoryStatsJson(const MemoryStats& stats);
std::string ToJson(const MemoryStats& stats);
void WritePrometheus(const MemoryStats& stats, PrometheusText& out);

Status PurgeArenas();

struct PurgeReport {
  MemoryStats before;
  MemoryStats after;
};
// Purges and reports the figures around it: the counterpart of Go's debug.FreeOSMemory.
// `read_cgroup` is called before and after, so the cgroup usage moves with the purge.
Result<PurgeReport> PurgeAndReport(const std::function<CgroupMemory()>& read_cgroup);
std::string ToJson(const PurgeReport& report);

}  // namespace fsvc
