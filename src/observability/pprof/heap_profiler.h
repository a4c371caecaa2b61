// Live-heap profile from jemalloc's sampling profiler, in pprof's model.
//
// Contract: CaptureHeapProfile dumps jemalloc's samples (prof.dump), un-samples them the way
// jeprof and Go do, symbolizes, and returns sample types alloc_objects, alloc_space,
// inuse_objects, inuse_space (Go's; pprof shows the last, inuse_space, by default). Frames
// inside jemalloc itself are dropped. `purge_first` purges the arenas before (Go's ?gc=1).
// Errors: kUnavailable without jemalloc or when jemalloc was started without prof:true.
// Dumps are serialised; concurrent callers wait.
#pragma once

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

// Parses jemalloc's "heap_v2" dump into an unsymbolized, un-sampled Profile (for tests).
Result<Profile> ParseJemallocHeapProfile(std::string_view text);

}  // namespace fsvc::pprof
