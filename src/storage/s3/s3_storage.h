// The s3 storage backend (storage/storage.h): files and folders in one
// bucket of an S3-compatible store, so that any number of replicas serve
// the same files (docs/s3.md).
//
// Layout: a file is the object under its own path ("docs/a.txt"), its
// SHA-256 in x-amz-meta-sha256, its creation time in x-amz-meta-created-ms
// and its content type as the object's. An empty folder is a zero-byte
// marker "<folder>/"; a folder with something below it needs none, and one
// whose last file goes gets a marker then. Keys
// beginning with '/' are this backend's own (no path can begin so):
// "/staging/<id>" holds large uploads between Seal and Commit.
//
// Uploads: the bytes are hashed as they arrive and buffered up to
// part_bytes. An upload that ends within one part is sent at Commit with
// one PutObject. A larger one becomes a multipart upload to a staging key,
// one part in flight at a time (memory: one part buffer per upload); Seal
// completes it, Commit copies it server-side to its path with its final
// metadata, then the staging object goes. Either way a file appears
// complete or not at all, and an upload that fails or is dropped aborts its
// multipart upload and removes its staging object. What a crashed replica
// leaves is swept at start: multipart uploads and staging objects under
// "/staging/" older than stale_after.
//
// What S3 cannot promise, and this backend therefore does not:
// - CommitAll is not atomic: every entry is checked first (names, folders,
//   conflicts), then committed one after another; the store failing midway
//   leaves the earlier ones stored, and the error says which.
// - Guards (If-Match, If-Unmodified-Since) and conflicts with folders are
//   checked with a HEAD just before the write, not inside it: two replicas
//   racing on one path end with one complete version, the later write's.
//   If-None-Match: * is S3's own condition and holds exactly for uploads
//   within one part (RGW 16.2 ignores it on the copy of a larger one).
// - Listings come from ListObjectsV2, which carries neither SHA-256 nor
//   content type: /list leaves them empty; a file's own routes have them.
// - Move copies, then deletes the source: not atomic, and a moved folder
//   costs a copy per file.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/s3/client.h"
#include "storage/storage.h"

namespace fsvc {

struct S3StorageOptions {
  s3::Config s3;
  // Upload part size: S3 wants at least 5 MiB for all parts but the last.
  uint64_t part_bytes = uint64_t{8} << 20;
  // Staged uploads and multipart uploads older than this are another
  // replica's leftovers (it died mid-upload) and are removed at start.
  std::chrono::seconds stale_after{24 * 3600};
};

class S3Storage final : public Storage {
 public:
  // Connects nothing but the client; the sweep of stale uploads is
  // best-effort (a store that is down now may be up by the first request).
  static Result<std::unique_ptr<S3Storage>> Open(const S3StorageOptions& options);
  // Use Open.
  S3Storage(std::unique_ptr<s3::Client> client, S3StorageOptions options);
  ~S3Storage() override;
  S3Storage(const S3Storage&) = delete;
  S3Storage& operator=(const S3Storage&) = delete;

  Result<std::unique_ptr<UploadWriter>> BeginUpload(uint64_t max_bytes,
                                                    uint64_t declared_size = 0) override;
  Result<std::unique_ptr<SealedUpload>> Seal(std::unique_ptr<UploadWriter> upload) override;
  Result<Committed> Commit(Staged staged, const FileGuard& guard = nullptr) override;
  Result<std::vector<Committed>> CommitAll(std::vector<Staged> staged) override;

  Result<OpenFile> OpenPath(const std::string& path) override;
  Result<FileInfo> Stat(const std::string& path) override;
  Status Delete(const std::string& path, const FileGuard& guard = nullptr) override;

  Result<bool> CreateFolder(const std::string& path) override;
  Result<size_t> DeleteFolder(const std::string& path) override;
  Result<MoveOutcome> Move(const std::string& from, const std::string& to, bool replace) override;
  Result<FileList> List(const std::string& folder, const std::string& cursor, int limit) override;
  Result<FolderList> ListFolders(const std::string& folder, const std::string& cursor,
                                 int limit) override;

  // "bucket": a one-key listing answers.
  std::vector<std::pair<std::string, Status>> CheckReady() override;
  std::optional<DiskSpace> Space() const override { return std::nullopt; }

  bool shared() const override { return true; }
  void AddChangeListener(std::function<void(std::string_view path)> listener) override;

  // Removes staged and multipart uploads older than options.stale_after;
  // returns how many.
  Result<size_t> SweepStale();

 private:
  // kConflict when a folder stands at `path` or a file at one of its
  // ancestors.
  Status CheckFileSlot(const std::string& path);
  // Stores an entry whose slot CheckFileSlot has passed: the guard against
  // the current file, then PutObject or the copy from staging.
  Result<Committed> Write(Staged& staged, const FileGuard& guard);
  // The file at `path`, or nullopt when there is none.
  Result<std::optional<FileInfo>> Current(const std::string& path);
  Result<bool> FolderExists(const std::string& folder);
  // The files (or, with `folders`, the sub-folders, keys without their '/')
  // right below `folder` whose names sort after `after`, at most `limit`;
  // `more` tells whether another follows. kNotFound without the folder.
  Result<std::vector<s3::ListEntry>> ListChildren(const std::string& folder,
                                                  const std::string& after, int limit, bool folders,
                                                  bool& more);
  // Every key at or below `prefix`.
  Result<std::vector<std::string>> KeysUnder(const std::string& prefix);
  Status DeleteKeys(const std::vector<std::string>& keys);
  // A folder that lost its last key stays, as on the local backend: its
  // marker is (re)written.
  Status KeepFolder(std::string_view folder);
  Result<MoveOutcome> MoveFolder(const std::string& from, const std::string& to, bool replace);
  void NotifyChanged(std::string_view path);

  std::unique_ptr<s3::Client> client_;
  const S3StorageOptions options_;
  std::vector<std::function<void(std::string_view)>> listeners_;
};

}  // namespace fsvc
