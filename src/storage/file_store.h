// The local storage backend (storage/storage.h): files and folders by path
// in SQLite and a data folder.
//
// It owns the blob store and the metadata store and keeps them consistent:
//   upload:    bytes -> temp file -> rename (blob) -> sync -> row committed
//              (uploads that commit together share the sync and the SQLite
//              transaction: storage/commit_group.h)
//   overwrite: new blob, row switched in one transaction, old blob removed
//   delete:    row removed, then blob removed
// A crash between steps leaves at most an unreferenced blob or temp file,
// which Open() removes; no row ever points at a missing blob. Listeners are
// told of every path whose content changed or vanished (link cache
// invalidation).
//
// One process per data folder: Open() takes an exclusive flock on
// <data_dir>/LOCK before it looks at anything and holds it for the store's
// lifetime, so recovery (and the temp-file sweep when the store closes)
// never deletes another live instance's files.
//
// Recovery fails closed: if the blob folder cannot be listed, or a blob's
// existence cannot be established, Open() fails and deletes nothing. Only a
// definite ENOENT makes a row dangling, and a missing blobs/ while rows exist
// (an unmounted volume?) refuses to start.
//
// Disk space: uploads and new folders are refused with kInsufficientStorage
// while free space is below options.disk_reserve_bytes; deletes are never
// refused and, should SQLite find the disk full, the store gives back a
// pre-allocated spare file and retries once, so space can always be freed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/blob_store.h"
#include "storage/commit_group.h"
#include "storage/metadata_store.h"
#include "storage/storage.h"
#include "util/error.h"

namespace fsvc {

struct StoreStats {
  size_t removed_temp_files = 0;
  size_t removed_orphan_blobs = 0;
  size_t removed_dangling_rows = 0;
  size_t reclaimed_segment_ranges = 0;  // segment bytes no row named, given back
};

class FileStore final : public Storage {
 public:
  struct Options {
    std::string data_dir;
    int read_connections = 4;
    // Free space uploads and folder creation must leave (DISK_RESERVE_BYTES).
    uint64_t disk_reserve_bytes = 0;
    RandomBytesFn random = nullptr;  // tests only: null is RAND_bytes
    // DURABILITY: true (strict) acknowledges a write once bytes and row would
    // survive a power cut; false skips every fsync (a crash of the process
    // still loses nothing acknowledged, a power cut may).
    bool sync = true;
    // Tests only: see BlobStoreOptions::segment_blob_bytes.
    uint64_t segment_blob_bytes = BlobStoreOptions{}.segment_blob_bytes;
  };
  // Locks the data folder (kUnavailable, naming the holder's pid, if another
  // process has it), opens (creating) it and the database, then recovers
  // from any crash: temp files, orphan blobs and dangling rows are removed.
  static Result<std::unique_ptr<FileStore>> Open(const Options& options);

  // Use Open. `lock` is the held LOCK file.
  FileStore(UniqueFd lock, std::unique_ptr<BlobStore> blobs, std::unique_ptr<MetadataStore> meta);
  // Removes every temp file left in tmp/ (uploads cut off at shutdown): the
  // lock makes them ours alone. Then releases the lock.
  ~FileStore() override;
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  // A batch seals every part before it commits any. BeginUpload is
  // kInsufficientStorage when free space minus `declared_size` is below the
  // reserve; the writer re-checks every BlobStore::kSpaceCheckInterval bytes.
  // A sealed upload is durable once committed (its commit group syncs it).
  Result<std::unique_ptr<UploadWriter>> BeginUpload(uint64_t max_bytes,
                                                    uint64_t declared_size = 0) override;
  Result<std::unique_ptr<SealedUpload>> Seal(std::unique_ptr<UploadWriter> upload) override;
  // Uploads that commit together share the sync and the SQLite transaction.
  Result<Committed> Commit(Staged staged, const FileGuard& guard = nullptr) override;
  Result<std::vector<Committed>> CommitAll(std::vector<Staged> staged) override;
  // How many groups the commits so far travelled in.
  CommitGroup::Stats commit_stats() const { return commits_.stats(); }

  Result<OpenFile> OpenPath(const std::string& path) override;
  Result<FileInfo> Stat(const std::string& path) override;
  Status Delete(const std::string& path, const FileGuard& guard = nullptr) override;

  // A new folder is refused below the disk reserve; an existing one is not.
  Result<bool> CreateFolder(const std::string& path) override;
  Result<size_t> DeleteFolder(const std::string& path) override;
  // One transaction (see MetadataStore::Move), no byte copied; replaced
  // content is removed once the rename committed.
  Result<MoveOutcome> Move(const std::string& from, const std::string& to, bool replace) override;
  Result<FileList> List(const std::string& folder, const std::string& cursor, int limit) override;
  Result<FolderList> ListFolders(const std::string& folder, const std::string& cursor,
                                 int limit) override;

  // "database": SQLite answers; "data_dir": writable for us and not on a
  // read-only mount. A disk below the reserve is still ready (reads and
  // deletes work); Space() says so.
  std::vector<std::pair<std::string, Status>> CheckReady() override;
  // From statvfs only.
  std::optional<DiskSpace> Space() const override;
  const StoreStats& recovery() const { return recovery_; }
  const std::string& data_dir() const { return blobs_->root(); }

  void AddChangeListener(std::function<void(std::string_view path)> listener) override;

 private:
  Status Recover();
  Result<std::vector<Committed>> CommitGuarded(std::vector<Staged> staged, const FileGuard& guard);
  // Makes the group's blobs durable, then commits their rows together.
  void FlushGroup(std::span<CommitGroup::Entry* const> group);
  // Runs `op`; if it hit a full disk, gives back the spare file and runs it
  // once more (deletes must be able to free space).
  template <class T, class Op>
  Result<T> WithSpareOnFull(Op op);
  void NotifyChanged(std::string_view path);
  Result<OpenFile> OpenRecord(const std::function<Result<FileRecord>()>& lookup);

  UniqueFd lock_;  // declared first: released last
  int exit_hook_ = -1;
  bool sweep_tmp_on_close_ = false;  // set once Open() fully succeeded
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<MetadataStore> meta_;
  std::vector<std::function<void(std::string_view)>> listeners_;
  StoreStats recovery_;
  CommitGroup commits_;
};

FileInfo ToFileInfo(const FileRecord& r);

}  // namespace fsvc
