#include "observability/memory_stats.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#ifdef FSVC_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace fsvc {
namespace {

// A "Key:   123 kB" line of /proc/self/status, in bytes (or the bare number for counts).
std::optional<uint64_t> StatusField(const std::string& status, const std::string& key) {
  size_t pos = status.find("\n" + key + ":");
  if (pos == std::string::npos) return std::nullopt;
  std::istringstream in(status.substr(pos + key.size() + 2));
  uint64_t value = 0;
  std::string unit;
  if (!(in >> value)) return std::nullopt;
  in >> unit;
  return unit == "kB" ? value * 1024 : value;
}

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::optional<int64_t> CountOpenFds() {
  std::error_code ec;
  int64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  if (ec) return std::nullopt;
  return n - 1;  // the iterator's own descriptor on /proc/self/fd
}

std::optional<double> ProcessUptimeSeconds() {
  // Field 22 of /proc/self/stat is the start time in clock ticks since boot; the command
  // name (field 2) may hold spaces, so count fields after its closing parenthesis.
  std::string stat = ReadFile("/proc/self/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  double boot_uptime = 0;
  if (!(std::istringstream(ReadFile("/proc/uptime")) >> boot_uptime)) return std::nullopt;
  const double start = std::strtod(field.c_str(), nullptr) / sysconf(_SC_CLK_TCK);
  return boot_uptime > start ? boot_uptime - start : 0.0;
}

template <class T>
nlohmann::json OrNull(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json MemoryStatsJson(const MemoryStats& s) {
  nlohmann::json j;
  j["rss_bytes"] = OrNull(s.rss_bytes);
  j["peak_rss_bytes"] = OrNull(s.peak_rss_bytes);
  if (s.jemalloc) {
    j["jemalloc"] = {
        {"allocated_bytes", s.jemalloc->allocated}, {"active_bytes", s.jemalloc->active},
        {"resident_bytes", s.jemalloc->resident},   {"mapped_bytes", s.jemalloc->mapped},
        {"retained_bytes", s.jemalloc->retained},   {"metadata_bytes", s.jemalloc->metadata},
        {"dirty_bytes", s.jemalloc->dirty}};
  } else {
    j["jemalloc"] = nullptr;
  }
  j["threads"] = OrNull(s.threads);
  j["open_fds"] = OrNull(s.open_fds);
  j["uptime_seconds"] = OrNull(s.uptime_seconds);
  j["cgroup"] = {{"version", s.cgroup.version},
                 {"memory_limit_bytes", OrNull(s.cgroup.limit_bytes)},
                 {"memory_usage_bytes", OrNull(s.cgroup.usage_bytes)}};
  return j;
}

#ifdef FSVC_HAVE_JEMALLOC

std::optional<JemallocStats> ReadJemallocStats() {
  uint64_t epoch = 1;
  size_t len = sizeof(epoch);
  // Stats are a snapshot taken at the last epoch bump.
  if (mallctl("epoch", &epoch, &len, &epoch, sizeof(epoch)) != 0) return std::nullopt;
  JemallocStats s;
  struct {
    const char* name;
    uint64_t* out;
  } fields[] = {{"stats.allocated", &s.allocated}, {"stats.active", &s.active},
                {"stats.resident", &s.resident},   {"stats.mapped", &s.mapped},
                {"stats.retained", &s.retained},   {"stats.metadata", &s.metadata}};
  for (auto& f : fields) {
    size_t value = 0;
    len = sizeof(value);
    if (mallctl(f.name, &value, &len, nullptr, 0) != 0) return std::nullopt;
    *f.out = value;
  }
  const std::string pdirty = "stats.arenas." + std::to_string(MALLCTL_ARENAS_ALL) + ".pdirty";
  size_t pages = 0;
  len = sizeof(pages);
  if (mallctl(pdirty.c_str(), &pages, &len, nullptr, 0) == 0) {
    s.dirty = pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  }
  return s;
}

Status PurgeArenas() {
  const std::string name = "arena." + std::to_string(MALLCTL_ARENAS_ALL) + ".purge";
  if (mallctl(name.c_str(), nullptr, nullptr, nullptr, 0) != 0) {
    return Error{Errc::kInternal, "jemalloc arena purge failed"};
  }
  return OkStatus();
}

#else

std::optional<JemallocStats> ReadJemallocStats() {
  return std::nullopt;
}

Status PurgeArenas() {
  return Error{Errc::kUnavailable, "this build does not use jemalloc"};
}

#endif

CgroupMemory ReadCgroupMemory(const MachineLimits& limits) {
  return {limits.cgroup_version, limits.memory_limit_bytes, ReadCgroupMemoryUsage(limits)};
}

MemoryStats ReadMemoryStats(const CgroupMemory& cgroup) {
  MemoryStats s;
  const std::string status = "\n" + ReadFile("/proc/self/status");
  s.rss_bytes = StatusField(status, "VmRSS");
  s.peak_rss_bytes = StatusField(status, "VmHWM");
  if (auto threads = StatusField(status, "Threads")) s.threads = static_cast<int64_t>(*threads);
  s.jemalloc = ReadJemallocStats();
  s.open_fds = CountOpenFds();
  s.uptime_seconds = ProcessUptimeSeconds();
  s.cgroup = cgroup;
  return s;
}

std::string ToJson(const MemoryStats& stats) {
  return MemoryStatsJson(stats).dump();
}

void WritePrometheus(const MemoryStats& s, PrometheusText& out) {
  using T = PrometheusText::Type;
  auto gauge = [&out](const char* name, const char* help, auto value) {
    if (!value) return;  // absent figures are left out rather than reported as 0
    out.Family(name, T::kGauge, help);
    out.Sample(static_cast<double>(*value));
  };
  gauge("fsvc_process_resident_memory_bytes", "Resident set size (VmRSS).", s.rss_bytes);
  gauge("fsvc_process_resident_memory_peak_bytes", "Peak resident set size (VmHWM).",
        s.peak_rss_bytes);
  gauge("fsvc_process_threads", "Threads in the process.", s.threads);
  gauge("fsvc_process_open_fds", "Open file descriptors.", s.open_fds);
  gauge("fsvc_process_uptime_seconds", "Seconds since the process started.", s.uptime_seconds);
  gauge("fsvc_cgroup_memory_limit_bytes", "Memory limit of the cgroup.", s.cgroup.limit_bytes);
  gauge("fsvc_cgroup_memory_usage_bytes", "Memory usage charged to the cgroup.",
        s.cgroup.usage_bytes);
  if (s.jemalloc) {
    out.Family("fsvc_jemalloc_bytes", T::kGauge,
               "jemalloc statistics: allocated, active, resident, mapped, retained.");
    out.Sample(s.jemalloc->allocated, {{"kind", "allocated"}});
    out.Sample(s.jemalloc->active, {{"kind", "active"}});
    out.Sample(s.jemalloc->resident, {{"kind", "resident"}});
    out.Sample(s.jemalloc->mapped, {{"kind", "mapped"}});
    out.Sample(s.jemalloc->retained, {{"kind", "retained"}});
  }
}

Result<PurgeReport> PurgeAndReport(const std::function<CgroupMemory()>& read_cgroup) {
  PurgeReport report;
  report.before = ReadMemoryStats(read_cgroup());
  if (auto st = PurgeArenas(); !st.ok()) return st.error();
  report.after = ReadMemoryStats(read_cgroup());
  return report;
}

std::string ToJson(const PurgeReport& report) {
  nlohmann::json j;
  j["before"] = MemoryStatsJson(report.before);
  j["after"] = MemoryStatsJson(report.after);
  auto rss = [](const MemoryStats& s) { return static_cast<int64_t>(s.rss_bytes.value_or(0)); };
  j["rss_released_bytes"] = rss(report.before) - rss(report.after);
  return j.dump();
}

}  // namespace fsvc
