// CPU profile of every thread of the process, taken with gperftools' profiler.
//
// Contract: CaptureCpuProfile blocks for `duration` (or until *cancel becomes true), then
// returns a symbolized Profile (sample types samples/count and cpu/nanoseconds, as Go's).
// One capture at a time in the process: a concurrent call gets Errc::kConflict, also when the
// profiler was started outside us (CPUPROFILE=...). Builds without gperftools
// (FSVC_HAVE_PROFILER undefined, e.g. sanitizer builds) get Errc::kUnavailable.
//
// gperftools samples with setitimer(ITIMER_PROF), a process-wide timer whose SIGPROF the
// kernel delivers to the thread that is running, so all threads are covered without
// ProfilerRegisterThread; that call only matters with CPUPROFILE_PER_THREAD_TIMERS set, which
// we do not use. The rate is gperftools' CPUPROFILE_FREQUENCY (default 100 Hz), read once at
// program start.
#pragma once

#include <atomic>
#include <chrono>
#include <string_view>

#include "observability/pprof/profile_proto.h"
#include "util/error.h"

namespace fsvc::pprof {

bool CpuProfilerAvailable();

Result<Profile> CaptureCpuProfile(std::chrono::milliseconds duration,
                                  const std::atomic<bool>* cancel = nullptr);

// Parses gperftools' legacy binary CPU profile into an unsymbolized Profile (exposed for tests).
Result<Profile> ParseGperftoolsProfile(std::string_view data);

}  // namespace fsvc::pprof
