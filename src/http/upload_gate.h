// Admission for uploads: at most max_uploads at once, and at most max_bytes
// declared (Content-Length) by the uploads in progress.
//
// Uploads stream to disk, but each one holds a thread, write buffers and
// dirty page cache (charged to the cgroup) until it is synced; bounding both
// figures keeps any mix of clients under the memory limit. A lone upload is
// always admitted, however large (the upload size limit bounds it), so the
// byte budget never makes a big file impossible. Chunked uploads (no length)
// count against the slot limit only. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "util/mutex.h"

namespace fsvc {

class UploadGate {
 public:
  struct Limits {
    uint64_t max_uploads = 64;
    uint64_t max_bytes = uint64_t{512} << 20;
  };
  struct Figures {
    uint64_t uploads = 0;
    uint64_t bytes = 0;
    uint64_t refused = 0;
    Limits limits;
  };

  // Returns its slot and bytes when destroyed.
  class Permit {
   public:
    Permit(Permit&& o) noexcept : gate_(o.gate_), bytes_(o.bytes_) { o.gate_ = nullptr; }
    Permit& operator=(Permit&& o) noexcept {
      Permit old(std::move(o));  // releases what this held when it goes
      std::swap(gate_, old.gate_);
      std::swap(bytes_, old.bytes_);
      return *this;
    }
    Permit(const Permit&) = delete;
    ~Permit();

   private:
    friend class UploadGate;
    Permit(UploadGate* gate, uint64_t bytes) : gate_(gate), bytes_(bytes) {}
    UploadGate* gate_;
    uint64_t bytes_;
  };

  explicit UploadGate(Limits limits) : limits_(limits) {}

  // A permit for an upload declaring `bytes` (0: unknown), or nullopt when
  // admitting it would pass a limit.
  std::optional<Permit> TryAcquire(uint64_t bytes);
  Figures Snapshot() const;

 private:
  void Release(uint64_t bytes);

  const Limits limits_;
  mutable Mutex mu_;
  uint64_t uploads_ GUARDED_BY(mu_) = 0;
  uint64_t bytes_ GUARDED_BY(mu_) = 0;
  uint64_t refused_ GUARDED_BY(mu_) = 0;
};

}  // namespace fsvc
