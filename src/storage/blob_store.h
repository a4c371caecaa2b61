// File contents on local disk, written so that a crash never exposes a
// partial file.
//
// Layout under the data folder: tmp/ holds uploads in progress, blobs/xx/ID
// holds published contents (ID: 32 random hex digits, xx its first two).
// A BlobWriter streams into a temp file through a large buffer, hashing
// SHA-256 on the way; Publish() fsyncs it, renames it into blobs/ and fsyncs
// the folder. An unpublished writer deletes its temp file when destroyed.
// Blobs are immutable: an overwrite publishes a new blob, so a reader holding
// the old one's fd keeps reading consistent bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

namespace fsvc {

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
  // kInsufficientStorage on ENOSPC/EDQUOT/EFBIG, kInternal on other errors.
  Status Write(std::string_view data);
  uint64_t size() const;

 private:
  friend class BlobStore;
  struct State;
  explicit BlobWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

// An open, immutable blob: read it with pread at any offset.
struct BlobHandle {
  UniqueFd fd;
  uint64_t size = 0;
};

class BlobStore;

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
  // Creates the folders if needed. kInternal if the folder is unusable.
  // (Construct through Open: the constructor does no I/O.)
  static Result<std::unique_ptr<BlobStore>> Open(const std::string& data_dir);

  Result<BlobWriter> NewWriter(uint64_t max_bytes);
  // Flushes, fsyncs and renames the writer's file into place. The writer is
  // spent either way.
  Result<PendingBlob> Publish(BlobWriter writer);
  Result<BlobHandle> OpenBlob(std::string_view id) const;
  // Removes a published blob; a missing blob is not an error.
  void Remove(std::string_view id);

  // Start-up recovery: deletes every leftover temp file (uploads that were
  // in flight when the process died). Returns how many were removed.
  size_t RemoveTempFiles();
  // Every published blob id, for reconciling with the metadata.
  std::vector<std::string> ListBlobIds() const;

  // Writes and deletes a probe file: is the data folder writable now?
  Status CheckWritable() const;

  const std::string& root() const { return root_; }
  explicit BlobStore(std::string root) : root_(std::move(root)) {}

 private:
  std::string BlobPath(std::string_view id) const;

  std::string root_;
};

}  // namespace fsvc
