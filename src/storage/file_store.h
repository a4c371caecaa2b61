// The storage facade the API handlers use: files and folders by path.
//
// It owns the blob store and the metadata store and keeps them consistent:
//   upload:    bytes -> temp file -> fsync -> rename (blob) -> row committed
//   overwrite: new blob, row switched in one transaction, old blob removed
//   delete:    row removed, then blob removed
// A crash between steps leaves at most an unreferenced blob or temp file,
// which Open() removes; no row ever points at a missing blob. Listeners are
// told of every path whose content changed or vanished (link cache
// invalidation).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/blob_store.h"
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
};

class FileStore {
 public:
  struct Options {
    std::string data_dir;
    int read_connections = 4;
  };
  // Opens (creating) the data folder and database, then recovers from any
  // crash: temp files, orphan blobs and dangling rows are removed.
  static Result<std::unique_ptr<FileStore>> Open(const Options& options);

  FileStore(std::unique_ptr<BlobStore> blobs, std::unique_ptr<MetadataStore> meta);

  // An upload in three steps: write the bytes, Seal them (durable, but named
  // by no path yet), Commit them under a path. A batch seals every part
  // before it commits any; whatever is not committed vanishes.
  Result<BlobWriter> BeginUpload(uint64_t max_bytes) { return blobs_->NewWriter(max_bytes); }
  Result<PendingBlob> Seal(BlobWriter upload) { return blobs_->Publish(std::move(upload)); }
  struct Committed {
    FileInfo info;
    bool created = false;  // false: an existing file was replaced
  };
  // `path` must be normalised already.
  Result<Committed> Commit(PendingBlob blob, const std::string& path,
                           const std::string& content_type);

  Result<OpenFile> OpenPath(const std::string& path);
  Result<OpenFile> OpenById(int64_t id);
  Result<FileInfo> Stat(const std::string& path);
  Status Delete(const std::string& path);

  Result<bool> CreateFolder(const std::string& path);
  // Returns the number of files removed with the folder.
  Result<size_t> DeleteFolder(const std::string& path);
  Result<FileList> List(const std::string& folder, const std::string& cursor, int limit);
  Result<FolderList> ListFolders(const std::string& folder, const std::string& cursor, int limit);

  // Readiness probes: the database answers; the data folder takes writes.
  Status CheckDatabase();
  Status CheckDataDir();
  const StoreStats& recovery() const { return recovery_; }
  const std::string& data_dir() const { return blobs_->root(); }

  // Called with a path after its content changed or it was deleted.
  void AddChangeListener(std::function<void(std::string_view path)> listener);

 private:
  Status Recover();
  void NotifyChanged(std::string_view path);
  Result<OpenFile> OpenRecord(const std::function<Result<FileRecord>()>& lookup);

  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<MetadataStore> meta_;
  std::vector<std::function<void(std::string_view)>> listeners_;
  StoreStats recovery_;
};

FileInfo ToFileInfo(const FileRecord& r);

}  // namespace fsvc
