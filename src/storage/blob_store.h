// File contents on local disk, written so that a crash never exposes a
// partial file.
//
// Layout under the data folder: tmp/ holds uploads in progress, blobs/xx/ID
// holds published contents (ID: 32 random hex digits, xx its first two),
// segments/ holds small blobs packed together (storage/segment_store.h), and
// spare-space is a pre-allocated file given back to the filesystem when the
// disk is full so that deletes (which need a little room in SQLite's WAL)
// still work. A BlobWriter hashes SHA-256 on the way and keeps the bytes in
// memory until they reach options.segment_blob_bytes: a blob that never does
// is appended to a segment by Publish() and never touches tmp/; a larger one
// streams on into a temp file through a large buffer, which Publish() moves
// into blobs/ without ever replacing an existing blob. Publish does not sync:
// SyncAll() makes every published blob durable at once (one fdatasync per
// segment appended to, one syncfs if any file blob was published), so a group
// of uploads pays for one sync (storage/commit_group.h), and the caller must
// run it before any row names the blob. An unpublished writer deletes its
// temp file when destroyed. While sync is on, a writer starts the kernel's
// write-back of every kWriteBehind bytes as they are written, so a large
// upload neither piles up dirty pages (charged to the cgroup) nor leaves
// them all for the group's sync.
// Blobs are immutable: an overwrite publishes a new blob, so a reader holding
// the old one's fd keeps reading consistent bytes.
//
// Free-space reserve: uploads are refused (kInsufficientStorage) when they
// would leave less than reserve_bytes free; a running upload re-checks every
// kSpaceCheckInterval bytes, so the space overshoot is bounded per upload.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/storage.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace fsvc {

// Fills `out` with `size` cryptographically random bytes; false on failure.
using RandomBytesFn = bool (*)(unsigned char* out, size_t size);

struct BlobStoreOptions {
  uint64_t reserve_bytes = 0;      // free space uploads must leave untouched
  RandomBytesFn random = nullptr;  // null: OpenSSL RAND_bytes (tests inject faults)
  bool sync = true;                // false (DURABILITY=none): SyncAll does nothing
  // Blobs smaller than this go to segments (at most SegmentStore::kMaxBlobBytes); 0: every
  // blob is a file (tests of the file path).
  uint64_t segment_blob_bytes = uint64_t{256} << 10;
};

struct BlobDigest {
  uint64_t size = 0;
  std::string sha256_hex;
};

class BlobWriter {
 public:
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter& operator=(BlobWriter&&) noexcept;
  ~BlobWriter();

  // Appends bytes. kPayloadTooLarge past the writer's limit,
  // kInsufficientStorage on ENOSPC/EDQUOT/EFBIG or when the next
  // kSpaceCheckInterval bytes would eat into the reserve, kInternal on other
  // errors.
  Status Write(std::string_view data);
  uint64_t size() const;

 private:
  friend class BlobStore;
  struct State;
  explicit BlobWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

// An open, immutable blob: its bytes are [offset, offset + size) of fd (a
// segment holds others around them), read with pread. While the handle
// lives, removing the blob does not take its bytes away.
struct BlobHandle {
  UniqueFd fd;
  uint64_t offset = 0;
  uint64_t size = 0;
  std::shared_ptr<const void> pin;  // a segment blob's hold on its range
};

class BlobStore;
class SegmentStore;

// A published blob that no metadata row names yet. It is removed when
// destroyed unless Keep() was called once its row is committed, so a failed
// request leaves nothing behind.
class PendingBlob {
 public:
  PendingBlob(BlobStore* store, std::string id, BlobDigest digest)
      : store_(store), id_(std::move(id)), digest_(std::move(digest)) {}
  PendingBlob(PendingBlob&& o) noexcept
      : store_(std::exchange(o.store_, nullptr)), id_(std::move(o.id_)), digest_(o.digest_) {}
  PendingBlob& operator=(PendingBlob&&) = delete;
  PendingBlob(const PendingBlob&) = delete;
  ~PendingBlob();

  const std::string& id() const { return id_; }
  const BlobDigest& digest() const { return digest_; }
  void Keep() { store_ = nullptr; }

 private:
  BlobStore* store_;
  std::string id_;
  BlobDigest digest_;
};

class BlobStore {
 public:
  static constexpr uint64_t kSpaceCheckInterval = uint64_t{1} << 20;
  static constexpr uint64_t kSpareBytes = uint64_t{1} << 20;
  static constexpr uint64_t kWriteBehind = uint64_t{4} << 20;

  // Creates the data folder and tmp/ if needed, but not blobs/: whether a
  // missing blobs/ is a fresh start or a lost volume is for the caller to
  // decide (see CreateBlobsFolder). kInternal if the folder is unusable.
  // (Construct through Open: the constructor does no I/O.)
  static Result<std::unique_ptr<BlobStore>> Open(const std::string& data_dir,
                                                 BlobStoreOptions options = {});

  // kInsufficientStorage when free space minus `declared_size` (0 when
  // unknown) is below the reserve.
  Result<BlobWriter> NewWriter(uint64_t max_bytes, uint64_t declared_size = 0);
  // Appends a small writer's bytes to a segment, or flushes and moves a large
  // one's file into place under a fresh random id, never replacing an
  // existing blob (a colliding id is retried once, then kInternal). kInternal
  // if no random id can be drawn. The writer is spent either way. Not durable
  // until SyncAll() returns.
  Result<PendingBlob> Publish(BlobWriter writer);
  // Makes every blob published so far durable: an fdatasync of each segment
  // appended to, and, if any file blob was published since the last call, one
  // syncfs(2) of the data folder's filesystem (bytes, inodes and folder
  // entries together, one journal commit however many). A no-op when
  // options.sync is off.
  Status SyncAll();
  Result<BlobHandle> OpenBlob(std::string_view id) const;
  // Removes a published blob; a missing blob is not an error. A segment
  // blob's bytes stay while a handle to it is open.
  void Remove(std::string_view id);
  // Counts segment blob removals: a reader that saw the count unchanged from
  // before it read a row to after it opened the row's blob knows the blob
  // was not removed in between (file blobs tell by ENOENT instead).
  uint64_t removals() const;

  // Deletes every temp file in tmp/ (uploads in flight when the process
  // died or was cut off). Only for the holder of the data folder's lock.
  // Returns how many were removed; an error if tmp/ cannot be listed.
  Result<size_t> RemoveTempFiles();
  // Every published file blob's id, for reconciling with the metadata.
  // kNotFound only when blobs/ itself does not exist; any other I/O error is
  // kInternal, never a shorter list. Segment blobs are reconciled by
  // ReclaimSegments.
  Result<std::vector<std::string>> ListBlobIds() const;
  // Gives back every segment range that no id in `referenced` names (see
  // SegmentStore::Reclaim); returns how many.
  Result<size_t> ReclaimSegments(const std::vector<std::string>& referenced);
  // segments/ did not exist when the store opened.
  bool segments_folder_was_missing() const;
  // true/false for a definite answer (false only on ENOENT), else an error.
  Result<bool> BlobExists(std::string_view id) const;
  // Creates blobs/ and makes its entry durable.
  Status CreateBlobsFolder();

  // No side effects: the folders are writable for us and the filesystem is
  // not read-only.
  Status CheckWritable() const;
  Result<DiskSpace> Space() const;
  // kInsufficientStorage when free space minus `needed` is below the reserve.
  Status CheckReserve(uint64_t needed) const;

  // The spare file: ReleaseSpare() frees its space (true if there was one);
  // EnsureSpare() allocates it again when the disk has room to spare.
  bool ReleaseSpare();
  void EnsureSpare();

  const std::string& root() const { return root_; }
  BlobStore(std::string root, UniqueFd root_fd, BlobStoreOptions options,
            std::unique_ptr<SegmentStore> segments);
  ~BlobStore();

 private:
  std::string BlobPath(std::string_view id) const;
  Result<std::string> NewId() const;

  std::string root_;
  UniqueFd root_fd_;  // the data folder, for syncfs
  BlobStoreOptions options_;
  std::unique_ptr<SegmentStore> segments_;
  // A file blob was published since the last SyncAll began.
  std::atomic<bool> files_unsynced_{false};
};

}  // namespace fsvc
