// Small blobs appended to shared segment files, so that a commit group's bytes become durable
// with one fdatasync per segment instead of a file, an inode and a folder entry per blob
// (bench/group_sync_bench.cpp: 8-13x cheaper for 20 blobs of 100 KiB than either an fsync
// per file or one syncfs).
//
// Layout: <data>/segments/NNNNNNNN (the segment number, 8 decimal digits), each at most
// kSegmentBytes long. A blob is a range of one segment; its id is "s<segment>-<offset>-<size>"
// (decimal), so the metadata row that names it is all the index there is. Ranges start on
// kAlign boundaries, so a deleted blob's blocks go back to the filesystem
// (FALLOC_FL_PUNCH_HOLE) without touching a neighbour's.
//
// Contract:
// - Append writes only. Sync makes every Append that returned before it was called durable:
//   one fdatasync per segment appended to since the previous Sync (none when sync is off).
//   A new segment's folder entry is made durable when the segment is created, so no row can
//   name a segment a power cut would lose.
// - A process appends only to segments it created (each Open starts a new one on the first
//   Append), so a tail torn by a crash is never written over or read.
// - Remove gives a blob's range back at once, unless a reader holds it (Read): then when the
//   last reader lets go, so an open download never reads zeros where its bytes were. The
//   caller removes a blob only once no row names it; removals() counts Remove calls, so a
//   reader that found an id in a row and then read it can tell whether a removal may have
//   come between (see FileStore::OpenRecord).
// - Reclaim (recovery, under the data folder's lock) gives back every range that no
//   referenced id covers: bytes appended but never committed, or removed with the punch lost.
// - Thread-safe. Handles returned by Read may outlive the store.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/blob_store.h"
#include "util/error.h"

namespace fsvc {

struct SegmentRange {
  uint32_t segment = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

// The range an id names, or nullopt when `id` is not a segment id (a file blob's).
std::optional<SegmentRange> ParseSegmentId(std::string_view id);
std::string SegmentId(const SegmentRange& range);

class SegmentStore {
 public:
  static constexpr uint64_t kMaxBlobBytes = uint64_t{256} << 10;
  static constexpr uint64_t kSegmentBytes = uint64_t{256} << 20;
  static constexpr uint64_t kAlign = 4096;

  // Opens <root>/segments, creating it if missing, and learns the segments there.
  static Result<std::unique_ptr<SegmentStore>> Open(const std::string& root, bool sync);
  ~SegmentStore();
  SegmentStore(const SegmentStore&) = delete;
  SegmentStore& operator=(const SegmentStore&) = delete;

  // Writes `bytes` (at most kMaxBlobBytes) at the end of this process's segment; the id
  // names them. Not durable until Sync(). kInsufficientStorage on a full disk.
  Result<std::string> Append(std::string_view bytes);
  Status Sync();
  // kNotFound when the segment does not exist or is shorter than the range.
  Result<BlobHandle> Read(const SegmentRange& range) const;
  void Remove(const SegmentRange& range);
  uint64_t removals() const { return removals_.load(std::memory_order_acquire); }
  // true when the segment exists and holds the whole range; false only for definite
  // answers (no such segment, or shorter), else an error.
  Result<bool> Exists(const SegmentRange& range) const;
  // Punches every range no id in `referenced` covers, and removes segments none covers;
  // ids that are not segment ids are ignored. Returns how many gaps that still held data
  // were punched (bytes of blobs never committed, or punches lost in a crash). Recovery
  // only: before any other call.
  Result<size_t> Reclaim(const std::vector<std::string>& referenced);
  // The folder did not exist when Open looked (a fresh data folder, one from before
  // segments, or a lost volume: the caller tells them apart by what its rows name).
  bool folder_was_missing() const;

 private:
  struct Shared;
  explicit SegmentStore(std::shared_ptr<Shared> shared);
  std::shared_ptr<Shared> s_;
  std::atomic<uint64_t> removals_{0};
};

}  // namespace fsvc
