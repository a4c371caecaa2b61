#include "observability/pprof/heap_profiler.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <sstream>

#include "observability/jemalloc_conf.h"
#include "observability/memory_stats.h"
#include "observability/pprof/capture_window.h"
#include "observability/pprof/symbolizer.h"
#include "observability/pprof/temp_file.h"

#ifdef FSVC_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace fsvc::pprof {
namespace {

// jemalloc samples an allocation of `size` bytes with probability 1 - exp(-size/period);
// dividing by that probability estimates the true counts (jeprof's and Go's correction).
std::pair<int64_t, int64_t> Unsample(double objects, double bytes, double period) {
  if (objects <= 0 || bytes <= 0) return {0, 0};
  double scale = 1.0 / (1.0 - std::exp(-(bytes / objects) / period));
  return {std::llround(objects * scale), std::llround(bytes * scale)};
}

}  // namespace

Result<Profile> ParseJemallocHeapProfile(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line) || line.rfind("heap_v2/", 0) != 0) {
    return Error{Errc::kInternal, "not a jemalloc heap_v2 profile"};
  }
  const double period = std::strtod(line.c_str() + 8, nullptr);
  if (period <= 0) return Error{Errc::kInternal, "bad heap_v2 sample period"};

  Profile p;
  p.sample_types = {{"alloc_objects", "count"},
                    {"alloc_space", "bytes"},
                    {"inuse_objects", "count"},
                    {"inuse_space", "bytes"}};
  p.period_type = {"space", "bytes"};
  p.period = static_cast<int64_t>(period);
  std::vector<uint64_t> stack;
  while (std::getline(in, line)) {
    if (line.rfind("MAPPED_LIBRARIES:", 0) == 0) break;
    if (line.rfind("@ ", 0) == 0) {
      stack.clear();
      std::istringstream addrs(line.substr(2));
      std::string a;
      // All frames are return addresses: move them back into the call instruction.
      while (addrs >> a) stack.push_back(std::strtoull(a.c_str(), nullptr, 16) - 1);
      continue;
    }
    // "  t*: <inuse objs>: <inuse bytes> [<alloc objs>: <alloc bytes>]" totals the stack's
    // per-thread "tN:" lines that follow.
    size_t t = line.find("t*:");
    if (t == std::string::npos || stack.empty()) continue;
    double cur_objs = 0, cur_bytes = 0, acc_objs = 0, acc_bytes = 0;
    if (std::sscanf(line.c_str() + t, "t*: %lf: %lf [%lf: %lf]", &cur_objs, &cur_bytes, &acc_objs,
                    &acc_bytes) != 4) {
      return Error{Errc::kInternal, "bad heap_v2 count line: " + line};
    }
    auto [inuse_objs, inuse_bytes] = Unsample(cur_objs, cur_bytes, period);
    auto [alloc_objs, alloc_bytes] = Unsample(acc_objs, acc_bytes, period);
    Sample s;
    for (uint64_t address : stack) s.location_ids.push_back(p.InternLocation(address));
    s.values = {alloc_objs, alloc_bytes, inuse_objs, inuse_bytes};
    p.samples.push_back(std::move(s));
    stack.clear();
  }
  return p;
}

#ifdef FSVC_HAVE_JEMALLOC
namespace {

// jemalloc's own frames (malloc, prof_backtrace...) head every stack and say nothing.
void DropAllocatorFrames(Profile& p) {
  auto in_allocator = [&](uint64_t location_id) {
    uint64_t m = p.locations[location_id - 1].mapping_id;
    return m != 0 && p.mappings[m - 1].file.find("libjemalloc") != std::string::npos;
  };
  for (Sample& s : p.samples) {
    size_t skip = 0;
    while (skip + 1 < s.location_ids.size() && in_allocator(s.location_ids[skip])) ++skip;
    s.location_ids.erase(s.location_ids.begin(), s.location_ids.begin() + skip);
  }
}

}  // namespace

Result<HeapSampling> GetHeapSampling() {
  bool enabled = false;
  size_t len = sizeof(enabled);
  if (mallctl("opt.prof", &enabled, &len, nullptr, 0) != 0 || !enabled) {
    return Error{Errc::kUnavailable, std::string("jemalloc heap profiling is off (malloc_conf: ") +
                                         EmbeddedMallocConf() + ")"};
  }
  HeapSampling s;
  len = sizeof(s.active);
  size_t lg = 0;
  size_t lg_len = sizeof(lg);
  if (mallctl("prof.active", &s.active, &len, nullptr, 0) != 0 ||
      mallctl("prof.lg_sample", &lg, &lg_len, nullptr, 0) != 0) {
    return Error{Errc::kInternal, "cannot read jemalloc profiling state"};
  }
  s.lg_sample = static_cast<int>(lg);
  return s;
}

Status SetHeapSampling(bool active, int lg_sample) {
  auto current = GetHeapSampling();
  if (!current.ok()) return current.error();
  if (lg_sample < 0 || lg_sample > 40) {
    return Error{Errc::kInvalidArgument, "lg_sample must be within 0..40"};
  }
  if (lg_sample != current->lg_sample) {
    size_t lg = static_cast<size_t>(lg_sample);
    if (mallctl("prof.reset", nullptr, nullptr, &lg, sizeof(lg)) != 0) {
      return Error{Errc::kInternal, "jemalloc prof.reset failed"};
    }
  }
  if (mallctl("prof.active", nullptr, nullptr, &active, sizeof(active)) != 0) {
    return Error{Errc::kInternal, "jemalloc prof.active failed"};
  }
  return OkStatus();
}

Result<Profile> CaptureHeapProfile(bool purge_first) {
  if (auto sampling = GetHeapSampling(); !sampling.ok()) return sampling.error();
  if (purge_first) {
    if (auto st = PurgeArenas(); !st.ok()) return st.error();
  }
  static std::mutex dump_mutex;
  std::string text;
  {
    std::lock_guard<std::mutex> lock(dump_mutex);
    auto file = TempFile::Create("fsvc-heap");
    if (!file.ok()) return file.error();
    const char* path = file->path().c_str();
    if (mallctl("prof.dump", nullptr, nullptr, &path, sizeof(path)) != 0) {
      return Error{Errc::kInternal, "jemalloc prof.dump failed"};
    }
    auto data = file->ReadAll();
    if (!data.ok()) return data.error();
    text = std::move(*data);
  }
  auto profile = ParseJemallocHeapProfile(text);
  if (!profile.ok()) return profile;
  profile->time_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  Symbolizer::Global().Symbolize(*profile);
  DropAllocatorFrames(*profile);
  return profile;
}

Result<Profile> CaptureHeapGrowth(std::chrono::milliseconds window,
                                  const std::atomic<bool>* cancel) {
  return CaptureDelta([] { return CaptureHeapProfile(false); }, window, cancel);
}

#else

Result<Profile> CaptureHeapGrowth(std::chrono::milliseconds, const std::atomic<bool>*) {
  return GetHeapSampling().error();
}

Result<HeapSampling> GetHeapSampling() {
  return Error{Errc::kUnavailable, "this build does not use jemalloc"};
}
Status SetHeapSampling(bool, int) {
  return GetHeapSampling().error();
}
Result<Profile> CaptureHeapProfile(bool) {
  return GetHeapSampling().error();
}

#endif

}  // namespace fsvc::pprof
