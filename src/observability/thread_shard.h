// A small number fixed per thread, handed out round-robin, for picking a shard of a
// counter so that threads rarely touch the same cache line.
#pragma once

#include <atomic>
#include <cstddef>

namespace fsvc {

inline size_t ThisThreadShard(size_t shards) {
  static std::atomic<size_t> next{0};
  thread_local const size_t ticket = next.fetch_add(1, std::memory_order_relaxed);
  return ticket % shards;
}

}  // namespace fsvc
