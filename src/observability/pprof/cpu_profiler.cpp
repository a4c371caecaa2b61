#include "observability/pprof/cpu_profiler.h"

#include <cstring>

#include "observability/pprof/capture_window.h"
#include "observability/pprof/symbolizer.h"
#include "observability/pprof/temp_file.h"

#ifdef FSVC_HAVE_PROFILER
#include <gperftools/profiler.h>
#endif

namespace fsvc::pprof {

Result<Profile> ParseGperftoolsProfile(std::string_view data) {
  // Native-endian machine words: header {0, 3, 0, period_us, 0}, then records
  // {count, depth, pc...}, then the trailer {0, 1, 0} and the text of /proc/self/maps.
  const size_t words = data.size() / sizeof(uint64_t);
  auto word = [&](size_t i) {
    uint64_t w;
    std::memcpy(&w, data.data() + i * sizeof(uint64_t), sizeof(w));
    return w;
  };
  if (words < 5 || word(0) != 0 || word(1) != 3 || word(2) != 0 || word(3) == 0) {
    return Error{Errc::kInternal, "not a gperftools CPU profile"};
  }
  Profile p;
  const int64_t period_ns = static_cast<int64_t>(word(3)) * 1000;
  p.sample_types = {{"samples", "count"}, {"cpu", "nanoseconds"}};
  p.period_type = {"cpu", "nanoseconds"};
  p.period = period_ns;
  for (size_t i = 5; i + 2 <= words;) {
    uint64_t count = word(i);
    uint64_t depth = word(i + 1);
    if (count == 0 && depth == 1 && i + 2 < words && word(i + 2) == 0) return p;  // trailer
    if (depth == 0 || i + 2 + depth > words) break;
    Sample s;
    for (uint64_t d = 0; d < depth; ++d) {
      // The first pc is where the signal landed; the others are return addresses, which we
      // move back into the call instruction so that lines and inlining resolve to the call.
      uint64_t pc = word(i + 2 + d);
      s.location_ids.push_back(p.InternLocation(d == 0 ? pc : pc - 1));
    }
    s.values = {static_cast<int64_t>(count), static_cast<int64_t>(count) * period_ns};
    p.samples.push_back(std::move(s));
    i += 2 + depth;
  }
  return Error{Errc::kInternal, "truncated gperftools CPU profile"};
}

#ifdef FSVC_HAVE_PROFILER

bool CpuProfilerAvailable() {
  return true;
}

Result<Profile> CaptureCpuProfile(std::chrono::milliseconds duration,
                                  const std::atomic<bool>* cancel) {
  static std::atomic<bool> busy{false};
  if (busy.exchange(true)) return Error{Errc::kConflict, "a CPU profile is already running"};
  struct Release {
    ~Release() { busy.store(false); }
  } release;
  if (ProfilingIsEnabledForAllThreads()) {
    return Error{Errc::kConflict, "the CPU profiler was started outside the service"};
  }

  auto file = TempFile::Create("fsvc-cpu");
  if (!file.ok()) return file.error();
  ProfilerOptions options{};
  const auto start_wall = std::chrono::system_clock::now();
  const auto start = std::chrono::steady_clock::now();
  if (ProfilerStartWithOptions(file->path().c_str(), &options) == 0) {
    return Error{Errc::kInternal, "ProfilerStart failed"};
  }
  WaitForWindow(start + duration, cancel);
  ProfilerStop();
  const auto elapsed = std::chrono::steady_clock::now() - start;

  auto data = file->ReadAll();
  if (!data.ok()) return data.error();
  auto profile = ParseGperftoolsProfile(*data);
  if (!profile.ok()) return profile;
  profile->time_nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(start_wall.time_since_epoch()).count();
  profile->duration_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  Symbolizer::Global().Symbolize(*profile);
  return profile;
}

#else

bool CpuProfilerAvailable() {
  return false;
}

Result<Profile> CaptureCpuProfile(std::chrono::milliseconds, const std::atomic<bool>*) {
  return Error{Errc::kUnavailable, "this build has no CPU profiler (gperftools not linked)"};
}

#endif

}  // namespace fsvc::pprof
