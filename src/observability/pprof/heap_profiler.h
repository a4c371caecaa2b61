// Live-heap profile from jemalloc's sampling profiler, in pprof's model.
//
// Contract: CaptureHeapProfile dumps jemalloc's samples (prof.dump), un-samples them the way
// jeprof and Go do, symbolizes, and returns sample types alloc_objects, alloc_space,
// inuse_objects, inuse_space (Go's; pprof shows the last, inuse_space, by default). Frames
// inside jemalloc itself are dropped. `purge_first` purges the arenas before (Go's ?gc=1).
// Errors: kUnavailable without jemalloc or when jemalloc was started without prof:true.
// Dumps are serialised; concurrent callers wait.
#pragma once

#include <atomic>
#include <chrono>
#include <string_view>

#include "observability/pprof/profile_proto.h"
#include "util/error.h"

namespace fsvc::pprof {

struct HeapSampling {
  bool active = false;
  int lg_sample = 0;  // mean bytes between samples = 2^lg_sample
};

Result<HeapSampling> GetHeapSampling();
// Turns sampling on/off; a new lg_sample also resets the collected samples (prof.reset).
Status SetHeapSampling(bool active, int lg_sample);

Result<Profile> CaptureHeapProfile(bool purge_first);

// What the heap did during `window` (cut short when *cancel becomes true), as Go's
// heap?seconds=N: the difference of a profile taken at the end and one taken at the start,
// so alloc_* are the allocations made within the window and inuse_* how much of the live
// heap it added (negative where more was freed), with duration_nanos set to the window.
Result<Profile> CaptureHeapGrowth(std::chrono::milliseconds window,
                                  const std::atomic<bool>* cancel = nullptr);

// Parses jemalloc's "heap_v2" dump into an unsymbolized, un-sampled Profile (for tests).
Result<Profile> ParseJemallocHeapProfile(std::string_view text);

}  // namespace fsvc::pprof
