// How fast jemalloc hands freed memory back to the OS, sized for the box.
//
// jemalloc keeps freed ("dirty") pages for dirty_decay_ms before returning
// them, which saves page faults but counts against a cgroup limit all that
// time. On a small instance memory is the scarce thing, so the default is
// derived from the memory limit: 1 s up to 2 GiB, 5 s up to 8 GiB, then
// jemalloc's own 10 s. Muzzy decay is 0 (no lazily-freed second stage).
#pragma once

#include <cstdint>

#include "util/error.h"

namespace fsvc {

int64_t DeriveDirtyDecayMs(uint64_t memory_bytes);

// Sets the decay of every existing arena and of arenas created later.
// kUnavailable in builds without jemalloc.
Status ApplyAllocatorDecay(int64_t dirty_decay_ms);

}  // namespace fsvc
