// The storage facade the API handlers use: files and folders by path.
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
#include <string>
#include <string_view>
#include <vector>

#include "storage/blob_store.h"
#include "storage/commit_group.h"
#include "storage/metadata_store.h"
#include "util/error.h"

namespace fsvc {

struct FileInfo {
  int64_t id = 0;
  std::string path;
  uint64_t size = 0;
  std::string sha256;
  std::string content_type;
  int64_t created_ms = 0;
  int64_t modified_ms = 0;

  // Strong validator: the content hash, quoted as RFC 9110 wants.
  std::string ETag() const { return "\"" + sha256 + "\""; }
};

// A file opened for reading: its metadata and a descriptor of the exact
// content the metadata describes (an overwrite cannot change it under us).
struct OpenFile {
  FileInfo info;
  std::shared_ptr<const BlobHandle> blob;
};

struct FileList {
  std::vector<FileInfo> files;
  std::string next_cursor;  // empty when this is the last page
};

struct FolderList {
  std::vector<std::string> folders;  // full paths
  std::string next_cursor;
};

struct StoreStats {
  size_t removed_temp_files = 0;
  size_t removed_orphan_blobs = 0;
  size_t removed_dangling_rows = 0;
  size_t reclaimed_segment_ranges = 0;  // segment bytes no row named, given back
};

class FileStore {
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
  ~FileStore();
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  // An upload in three steps: write the bytes, Seal them (durable, but named
  // by no path yet), Commit them under a path. A batch seals every part
  // before it commits any; whatever is not committed vanishes.
  // kInsufficientStorage when free space minus `declared_size` (the
  // Content-Length, 0 if unknown) is below the reserve; the writer re-checks
  // every BlobStore::kSpaceCheckInterval bytes.
  Result<BlobWriter> BeginUpload(uint64_t max_bytes, uint64_t declared_size = 0) {
    return blobs_->NewWriter(max_bytes, declared_size);
  }
  Result<PendingBlob> Seal(BlobWriter upload) { return blobs_->Publish(std::move(upload)); }
  // The bytes of a sealed upload, before its commit: a client's checksum
  // other than SHA-256 is verified against them.
  Result<BlobHandle> OpenSealed(const PendingBlob& blob) const {
    return blobs_->OpenBlob(blob.id());
  }
  struct Committed {
    FileInfo info;
    bool created = false;  // false: an existing file was replaced
  };
  // `path` must be normalised already. `guard` (see WriteGuard) decides,
  // inside the commit, whether the file there may be replaced.
  Result<Committed> Commit(PendingBlob blob, const std::string& path,
                           const std::string& content_type, const WriteGuard& guard = nullptr);

  struct Staged {
    PendingBlob blob;
    std::string path;  // normalised
    std::string content_type;
  };
  // All or nothing: every entry is committed in one SQLite transaction, or
  // none is and every staged blob is removed (no blob without its row, no
  // row of the batch visible). Results are in input order. Two entries
  // naming the same path are refused up front with kInvalidArgument (which
  // content should win is the client's mistake, not ours to guess); a path
  // that conflicts with a folder, or with another entry (a file "a" and a
  // file "a/b"), is kConflict for the whole batch. An empty batch commits
  // nothing and returns no results.
  // `guard`, when set, is asked about every entry's current row.
  Result<std::vector<Committed>> CommitAll(std::vector<Staged> staged,
                                           const WriteGuard& guard = nullptr);
  // How many groups the commits so far travelled in.
  CommitGroup::Stats commit_stats() const { return commits_.stats(); }

  Result<OpenFile> OpenPath(const std::string& path);
  Result<FileInfo> Stat(const std::string& path);
  // `guard`, when set, decides inside the delete's transaction.
  Status Delete(const std::string& path, const WriteGuard& guard = nullptr);

  Result<bool> CreateFolder(const std::string& path);
  // Returns the number of files removed with the folder.
  Result<size_t> DeleteFolder(const std::string& path);
  // Renames a file or a folder (see MetadataStore::Move): one transaction,
  // no byte copied; replaced content is removed once the rename committed.
  // Signed links to the old paths stop working: they sign the path.
  Result<MoveResult> Move(const std::string& from, const std::string& to, bool replace);
  Result<FileList> List(const std::string& folder, const std::string& cursor, int limit);
  Result<FolderList> ListFolders(const std::string& folder, const std::string& cursor, int limit);

  // Readiness probes: the database answers; the data folder takes writes.
  // Neither writes anything (health is polled).
  Status CheckDatabase();
  // Writable for us and not on a read-only mount. A disk below the reserve
  // is still ready (reads and deletes work); see Space() for that.
  Status CheckDataDir();
  // Free bytes on the data folder's filesystem and whether the reserve is
  // met, from statvfs only.
  Result<DiskSpace> Space() const { return blobs_->Space(); }
  const StoreStats& recovery() const { return recovery_; }
  const std::string& data_dir() const { return blobs_->root(); }

  // Called with a path after its content changed or it was deleted.
  void AddChangeListener(std::function<void(std::string_view path)> listener);

 private:
  Status Recover();
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
