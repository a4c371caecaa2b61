#include "observability/allocator_tuning.h"

#include <string>

#ifdef FSVC_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace fsvc {

int64_t DeriveDirtyDecayMs(uint64_t memory_bytes) {
  constexpr uint64_t kGiB = uint64_t{1} << 30;
  if (memory_bytes <= 2 * kGiB) return 1000;
  if (memory_bytes <= 8 * kGiB) return 5000;
  return 10000;
}

Status ApplyAllocatorDecay(int64_t dirty_decay_ms) {
#ifdef FSVC_HAVE_JEMALLOC
  ssize_t dirty = dirty_decay_ms;
  ssize_t muzzy = 0;
  auto set = [](const std::string& name, ssize_t value) {
    return mallctl(name.c_str(), nullptr, nullptr, &value, sizeof value) == 0;
  };
  if (!set("arenas.dirty_decay_ms", dirty) || !set("arenas.muzzy_decay_ms", muzzy)) {
    return Error{Errc::kInternal, "jemalloc refused the decay settings"};
  }
  unsigned narenas = 0;
  size_t len = sizeof narenas;
  if (mallctl("arenas.narenas", &narenas, &len, nullptr, 0) != 0) {
    return Error{Errc::kInternal, "jemalloc: cannot read arenas.narenas"};
  }
  for (unsigned i = 0; i < narenas; ++i) {
    // Arenas not initialised yet refuse the call; they take the arenas.* default.
    set("arena." + std::to_string(i) + ".dirty_decay_ms", dirty);
    set("arena." + std::to_string(i) + ".muzzy_decay_ms", muzzy);
  }
  return OkStatus();
#else
  (void)dirty_decay_ms;
  return Error{Errc::kUnavailable, "built without jemalloc"};
#endif
}

}  // namespace fsvc
