// File and folder metadata in SQLite.
//
// One writer connection (SQLite admits one writer at a time anyway) and a
// small pool of read-only connections, so reads run in parallel under WAL.
// Every mutation is one IMMEDIATE transaction. Folders are explicit rows;
// writing a file creates its missing ancestor folders. A path is either a
// file or a folder, never both (kConflict otherwise). The schema version is
// kept in PRAGMA user_version and migrated forward at open.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/sqlite.h"
#include "util/error.h"

namespace fsvc {

struct FileRecord {
  int64_t id = 0;
  std::string path;
  std::string blob_id;
  uint64_t size = 0;
  std::string sha256;
  std::string content_type;
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
};

struct FolderRecord {
  std::string path;
  int64_t created_ms = 0;
};

// Decides, inside a write's transaction and so atomically with respect to
// every other writer, whether the write may go ahead, given the row it would
// replace or remove (null: none). An error aborts the write with nothing
// changed. Conditional requests (If-Match...) are such guards.
using WriteGuard = std::function<Status(const FileRecord* current)>;

// One all-or-nothing write of a group (see MetadataStore::PutBatches).
struct PutBatch {
  std::vector<FileRecord> records;
  WriteGuard guard;  // may be empty
};

struct PutResult {
  FileRecord record;
  std::optional<std::string> replaced_blob;  // the overwritten content, now garbage
};

struct MoveResult {
  bool folder = false;                      // a folder moved, with everything below it
  size_t files = 0;                         // files whose path changed
  bool replaced = false;                    // something stood at the target and was removed
  std::vector<std::string> replaced_blobs;  // of what stood at the target, now garbage
};

class MetadataStore {
 public:
  // `sync`: commits are fsynced (synchronous=FULL); false leaves that to
  // the OS (DURABILITY=none: a crash of the process loses nothing, a power
  // cut may lose the last commits).
  static Result<std::unique_ptr<MetadataStore>> Open(const std::string& db_file, int readers,
                                                     bool sync = true);
  MetadataStore() = default;  // no I/O; use Open
  ~MetadataStore();

  // Inserts or replaces the file at record.path (id and created_ms are kept on
  // overwrite). Creates ancestor folders.
  Result<PutResult> PutFile(FileRecord record);
  // PutFile for each record, in order, in one transaction: all or none. A
  // later record may replace an earlier one's row (its replaced_blob then
  // names the earlier record's blob). `guard`, when set, is asked about each
  // record's current row before it is written.
  Result<std::vector<PutResult>> PutFiles(std::vector<FileRecord> records,
                                          const WriteGuard& guard = nullptr);
  // PutFiles for each batch, every batch in one transaction (one commit,
  // one WAL sync for a group of uploads). A batch that fails on its own (a
  // conflict, its guard's refusal) is rolled back to its savepoint and fails
  // alone; a failed commit, or an error that ends the transaction, fails
  // every batch. Results are in input order.
  std::vector<Result<std::vector<PutResult>>> PutBatches(std::vector<PutBatch> batches);
  Result<FileRecord> GetFile(const std::string& path);
  Result<FileRecord> GetFileById(int64_t id);
  // Removes the row; returns its blob id for the caller to delete. kNotFound
  // when there is none; `guard`, when set, is asked about the row first.
  Result<std::string> DeleteFile(const std::string& path, const WriteGuard& guard = nullptr);

  // true if created, false if it already existed.
  Result<bool> CreateFolder(const std::string& path);
  Result<bool> FolderExists(const std::string& path);
  // Removes the folder, its sub-folders and their files; returns the blobs.
  Result<std::vector<std::string>> DeleteFolder(const std::string& path);

  // Renames the file or folder at `from` to `to` in one transaction: rows
  // change their path (and modified_ms: the content at the new path is new
  // there), no byte is copied. Creates `to`'s missing ancestors. kNotFound
  // without a source; kConflict when something is at `to` (unless
  // `replace`: then it is removed, its blobs returned) or a file stands
  // where an ancestor of `to` must go; kInvalidArgument when `to` is `from`,
  // below it or above it.
  Result<MoveResult> Move(const std::string& from, const std::string& to, bool replace);

  // Files directly in `folder` with name > after, by name, at most `limit`.
  Result<std::vector<FileRecord>> ListFiles(const std::string& folder, const std::string& after,
                                            int limit);
  Result<std::vector<FolderRecord>> ListFolders(const std::string& parent, const std::string& after,
                                                int limit);

  // Every referenced blob id, and removal of rows whose blob is gone: used
  // at start-up to reconcile with the blob store.
  Result<std::vector<std::string>> AllBlobIds();
  Status DeleteFilesWithBlobs(const std::vector<std::string>& blob_ids);

  Status Ping();
  // Moves the WAL into the database and truncates it, giving its space back
  // (start-up: a WAL that grew on a full disk must not stay large).
  Status Checkpoint();

 private:
  class ReaderLease;
  Result<ReaderLease> AcquireReader();
  // Inside a transaction.
  Result<PutResult> PutFileLocked(FileRecord record, const WriteGuard& guard);
  Status EnsureFoldersLocked(const std::string& folder, int64_t now_ms);
  // Removes the folder and its subtree, appending the files' blobs; false
  // when there was no folder. Inside a transaction.
  Result<bool> DeleteFolderLocked(const std::string& path, std::vector<std::string>& blobs);

  std::mutex write_mu_;
  std::unique_ptr<sqlite::Db> writer_;
  std::mutex read_mu_;
  std::condition_variable read_cv_;
  std::vector<std::unique_ptr<sqlite::Db>> idle_readers_;
};

int64_t NowMillis();

}  // namespace fsvc
