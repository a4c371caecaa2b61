// The store the API handlers see: files and folders by path, whatever keeps
// the bytes. The local backend (storage/file_store.h: SQLite and a data
// folder) is the only one today; everything a handler may rely on is stated
// here, so that a second backend keeps the same promises.
//
// Promises every backend keeps (CommitAll's atomicity is qualified below):
// - An upload goes in three steps: write the bytes (BeginUpload), Seal them
//   (complete, named by no path yet), Commit them under a path. A sealed or
//   unsealed upload that is dropped uncommitted leaves nothing behind.
// - A file appears complete or not at all, and an opened file's bytes are
//   the exact version its FileInfo describes, even if it is overwritten or
//   deleted while they are read.
// - Every file has its SHA-256 and content type.
// - Listeners hear of every path whose content changed or vanished.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// Gets bytes as they are read; an error stops the read and is returned.
using ByteSink = std::function<Status(std::string_view bytes)>;

// The bytes of one stored version, immutable while this lives.
class FileContent {
 public:
  virtual ~FileContent() = default;
  virtual uint64_t size() const = 0;

  // Where the bytes are [offset, offset + size()) of an open local file (the
  // descriptor lives as long as this object), so the server can sendfile(2)
  // them; nullopt when they must be read through Read().
  struct LocalRange {
    int fd = -1;
    uint64_t offset = 0;
  };
  virtual std::optional<LocalRange> local_range() const = 0;

  // Streams bytes [offset, offset + length) into `sink`. kInternal (or the
  // backend's error) when they cannot all be read.
  virtual Status Read(uint64_t offset, uint64_t length, const ByteSink& sink) const = 0;
};

// A file opened for reading: its metadata and the exact content it describes.
struct OpenFile {
  FileInfo info;
  std::shared_ptr<const FileContent> content;
};

struct FileList {
  std::vector<FileInfo> files;
  std::string next_cursor;  // empty when this is the last page
};

struct FolderList {
  std::vector<std::string> folders;  // full paths
  std::string next_cursor;
};

struct MoveOutcome {
  bool folder = false;    // a folder moved, with everything below it
  size_t files = 0;       // files whose path changed
  bool replaced = false;  // something stood at the target and was removed
};

struct DiskSpace {
  uint64_t free_bytes = 0;     // available to this (unprivileged) process
  uint64_t reserve_bytes = 0;  // the configured reserve
  bool reserve_met() const { return free_bytes >= reserve_bytes; }
};

// Asked, inside a write, about the file the path holds now (null: none);
// a non-OK Status refuses the write with that error (a precondition).
using FileGuard = std::function<Status(const FileInfo* current)>;

// Bytes of an upload as they arrive. Write: kPayloadTooLarge past the
// upload's limit, kInsufficientStorage when the store has no room left.
class UploadWriter {
 public:
  virtual ~UploadWriter() = default;
  virtual Status Write(std::string_view data) = 0;
  virtual uint64_t size() const = 0;
};

// A complete upload that no path names yet; removed when dropped.
class SealedUpload {
 public:
  virtual ~SealedUpload() = default;
  virtual uint64_t size() const = 0;
  virtual const std::string& sha256_hex() const = 0;
  // Its bytes, so that a client's checksum other than SHA-256 can be
  // verified before the commit.
  virtual Result<std::shared_ptr<const FileContent>> Open() const = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // kInsufficientStorage when the store cannot take `declared_size` bytes
  // (the Content-Length, 0 if unknown); `max_bytes` bounds the upload.
  virtual Result<std::unique_ptr<UploadWriter>> BeginUpload(uint64_t max_bytes,
                                                            uint64_t declared_size = 0) = 0;
  // The writer is spent either way.
  virtual Result<std::unique_ptr<SealedUpload>> Seal(std::unique_ptr<UploadWriter> upload) = 0;

  struct Committed {
    FileInfo info;
    bool created = false;  // false: an existing file was replaced
  };
  struct Staged {
    std::unique_ptr<SealedUpload> upload;
    std::string path;  // normalised
    std::string content_type;
  };
  // `path` must be normalised already. `guard` decides, inside the commit,
  // whether the file there may be replaced.
  virtual Result<Committed> Commit(Staged staged, const FileGuard& guard = nullptr) = 0;
  // All or nothing: every entry is committed, or none is and every upload is
  // removed. Results are in input order. Two entries naming the same path
  // are kInvalidArgument up front; a path that conflicts with a folder, or
  // with another entry (a file "a" and a file "a/b"), is kConflict for the
  // whole batch. An empty batch commits nothing and returns no results.
  // A backend that cannot commit a batch atomically (s3) checks every entry
  // first, so a client's mistake still stores nothing; only the store
  // failing midway leaves the entries before it, and the error names them.
  virtual Result<std::vector<Committed>> CommitAll(std::vector<Staged> staged) = 0;

  virtual Result<OpenFile> OpenPath(const std::string& path) = 0;
  virtual Result<FileInfo> Stat(const std::string& path) = 0;
  // `guard`, when set, decides inside the delete.
  virtual Status Delete(const std::string& path, const FileGuard& guard = nullptr) = 0;

  // true if created, false if it already existed (or is the root).
  virtual Result<bool> CreateFolder(const std::string& path) = 0;
  // Returns the number of files removed with the folder.
  virtual Result<size_t> DeleteFolder(const std::string& path) = 0;
  // Renames a file or a folder; kConflict when `to` exists and !replace.
  // Signed links to the old paths stop working: they sign the path.
  virtual Result<MoveOutcome> Move(const std::string& from, const std::string& to,
                                   bool replace) = 0;
  // kNotFound when the folder does not exist.
  virtual Result<FileList> List(const std::string& folder, const std::string& cursor,
                                int limit) = 0;
  virtual Result<FolderList> ListFolders(const std::string& folder, const std::string& cursor,
                                         int limit) = 0;

  // Readiness: each part the store depends on, by name, and whether it
  // answers. Nothing is written (health is polled).
  virtual std::vector<std::pair<std::string, Status>> CheckReady() = 0;
  // Free space and the reserve where the store has a disk of its own.
  virtual std::optional<DiskSpace> Space() const = 0;

  // Whether other processes change the same files (replicas on one
  // bucket): then listeners hear only this process's changes, and a cache
  // must check the store before it answers.
  virtual bool shared() const { return false; }

  // Called with a path after its content changed or it was deleted (by this
  // process: see shared()); with "folder/" when a folder and everything
  // below it went.
  virtual void AddChangeListener(std::function<void(std::string_view path)> listener) = 0;
};

}  // namespace fsvc
