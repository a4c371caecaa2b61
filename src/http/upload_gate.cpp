#include "http/upload_gate.h"

namespace fsvc {

UploadGate::Permit::~Permit() {
  if (gate_) gate_->Release(bytes_);
}

std::optional<UploadGate::Permit> UploadGate::TryAcquire(uint64_t bytes) {
  MutexLock lock(mu_);
  const bool slot = uploads_ < limits_.max_uploads;
  const bool budget = uploads_ == 0 || bytes_ + bytes <= limits_.max_bytes;
  if (!slot || !budget) {
    ++refused_;
    return std::nullopt;
  }
  ++uploads_;
  bytes_ += bytes;
  return Permit(this, bytes);
}

void UploadGate::Release(uint64_t bytes) {
  MutexLock lock(mu_);
  --uploads_;
  bytes_ -= bytes;
}

UploadGate::Figures UploadGate::Snapshot() const {
  MutexLock lock(mu_);
  return {uploads_, bytes_, refused_, limits_};
}

}  // namespace fsvc
