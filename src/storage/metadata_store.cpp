#include "storage/metadata_store.h"

#include <chrono>

#include "observability/request_phases.h"
#include "storage/path.h"

namespace fsvc {
namespace {

constexpr int kSchemaVersion = 1;

// Folder subtree bounds: every descendant path of P sorts in [P + "/", P + "0")
// because '0' is the byte after '/'. This keeps subtree queries on the index.
std::string SubtreeLow(const std::string& p) {
  return p + "/";
}
std::string SubtreeHigh(const std::string& p) {
  return p + "0";
}

constexpr const char* kFileColumns =
    "id, path, blob, size, sha256, content_type, created_ms, modified_ms";

FileRecord ReadFile(const sqlite::Stmt& s) {
  FileRecord r;
  r.id = s.Int(0);
  r.path = s.Text(1);
  r.blob_id = s.Text(2);
  r.size = static_cast<uint64_t>(s.Int(3));
  r.sha256 = s.Text(4);
  r.content_type = s.Text(5);
  r.created_ms = s.Int(6);
  r.modified_ms = s.Int(7);
  return r;
}

Status Migrate(sqlite::Db& db) {
  auto st = db.Prepare("PRAGMA user_version");
  if (!st) return st.error();
  auto row = st->Step();
  if (!row) return row.error();
  const int64_t version = *row ? st->Int(0) : 0;
  if (version > kSchemaVersion) {
    return Error{Errc::kInternal, "database schema version " + std::to_string(version) +
                                      " is newer than this build understands (" +
                                      std::to_string(kSchemaVersion) + ")"};
  }
  if (version < 1) {
    return db.Exec(R"sql(
      BEGIN;
      CREATE TABLE IF NOT EXISTS folders (
        path TEXT PRIMARY KEY,
        parent TEXT NOT NULL,
        created_ms INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS folders_by_parent ON folders(parent, path);
      CREATE TABLE IF NOT EXISTS files (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        folder TEXT NOT NULL,
        name TEXT NOT NULL,
        blob TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        content_type TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX IF NOT EXISTS files_by_folder ON files(folder, name);
      PRAGMA user_version = 1;
      COMMIT;)sql");
  }
  return OkStatus();
}

}  // namespace

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Borrows a read-only connection and returns it to the pool when done.
class MetadataStore::ReaderLease {
 public:
  ReaderLease(MetadataStore* store, std::unique_ptr<sqlite::Db> db)
      : store_(store), db_(std::move(db)) {}
  ReaderLease(ReaderLease&&) = default;
  ~ReaderLease() {
    if (!db_) return;
    std::lock_guard lock(store_->read_mu_);
    store_->idle_readers_.push_back(std::move(db_));
    store_->read_cv_.notify_one();
  }
  sqlite::Db& operator*() { return *db_; }
  sqlite::Db* operator->() { return db_.get(); }

 private:
  MetadataStore* store_;
  std::unique_ptr<sqlite::Db> db_;
};

Result<std::unique_ptr<MetadataStore>> MetadataStore::Open(const std::string& db_file, int readers,
                                                           bool sync) {
  auto store = std::make_unique<MetadataStore>();
  auto writer = sqlite::Db::Open(db_file, /*read_only=*/false, sync);
  if (!writer) return writer.error();
  store->writer_ = std::move(*writer);
  if (auto st = Migrate(*store->writer_); !st) return st.error();
  for (int i = 0; i < readers; ++i) {
    auto r = sqlite::Db::Open(db_file, /*read_only=*/true);
    if (!r) return r.error();
    store->idle_readers_.push_back(std::move(*r));
  }
  return store;
}

MetadataStore::~MetadataStore() = default;

Result<MetadataStore::ReaderLease> MetadataStore::AcquireReader() {
  std::unique_lock lock(read_mu_);
  read_cv_.wait(lock, [&] { return !idle_readers_.empty(); });
  auto db = std::move(idle_readers_.back());
  idle_readers_.pop_back();
  return ReaderLease(this, std::move(db));
}

Status MetadataStore::EnsureFoldersLocked(const std::string& folder, int64_t now_ms) {
  if (folder.empty()) return OkStatus();
  // A file standing where a folder must go is a conflict, at every level.
  auto file_at = writer_->Prepare("SELECT 1 FROM files WHERE path = ?1");
  if (!file_at) return file_at.error();
  auto insert = writer_->Prepare(
      "INSERT OR IGNORE INTO folders(path, parent, created_ms) VALUES (?1, ?2, ?3)");
  if (!insert) return insert.error();
  for (size_t end = folder.find('/');; end = folder.find('/', end + 1)) {
    const std::string prefix = folder.substr(0, end);
    auto is_file = file_at->Bind(1, prefix).Step();
    file_at->Reset();
    if (!is_file) return is_file.error();
    if (*is_file) return Error{Errc::kConflict, "'" + prefix + "' is a file, not a folder"};
    auto st = insert->Bind(1, prefix).Bind(2, ParentFolder(prefix)).Bind(3, now_ms).Run();
    insert->Reset();
    if (!st) return st;
    if (end == std::string::npos) return OkStatus();
  }
}

Result<PutResult> MetadataStore::PutFile(FileRecord record) {
  std::vector<FileRecord> one;
  one.push_back(std::move(record));
  auto put = PutFiles(std::move(one));
  if (!put) return put.error();
  return std::move(put->front());
}

Result<std::vector<PutResult>> MetadataStore::PutFiles(std::vector<FileRecord> records,
                                                       const WriteGuard& guard) {
  std::vector<PutBatch> one;
  one.push_back(PutBatch{std::move(records), guard});
  return std::move(PutBatches(std::move(one)).front());
}

std::vector<Result<std::vector<PutResult>>> MetadataStore::PutBatches(
    std::vector<PutBatch> batches) {
  ScopedPhase timed(Phase::kMetadata);
  std::vector<Result<std::vector<PutResult>>> out;
  out.reserve(batches.size());
  const auto fail_all = [&](const Error& e) {
    out.assign(batches.size(), Result<std::vector<PutResult>>(e));
    return std::move(out);
  };
  std::lock_guard lock(write_mu_);
  auto tx = sqlite::Transaction::Begin(*writer_);
  if (!tx) return fail_all(tx.error());
  for (auto& batch : batches) {
    if (auto st = writer_->Exec("SAVEPOINT batch"); !st) return fail_all(st.error());
    std::vector<PutResult> results;
    results.reserve(batch.records.size());
    std::optional<Error> failed;
    for (auto& record : batch.records) {
      auto put = PutFileLocked(std::move(record), batch.guard);
      if (!put) {
        failed = put.error();
        break;
      }
      results.push_back(std::move(*put));
    }
    // SQLite ends the whole transaction itself on some errors (a full disk,
    // an I/O error): then nothing of the group can be committed.
    if (!writer_->InTransaction()) return fail_all(failed.value_or(writer_->LastError("put")));
    const char* end = failed ? "ROLLBACK TO batch; RELEASE batch" : "RELEASE batch";
    if (auto st = writer_->Exec(end); !st) return fail_all(st.error());
    if (failed) {
      out.emplace_back(std::move(*failed));
    } else {
      out.emplace_back(std::move(results));
    }
  }
  if (auto st = tx->Commit(); !st) return fail_all(st.error());
  return out;
}

Result<PutResult> MetadataStore::PutFileLocked(FileRecord record, const WriteGuard& guard) {
  const std::string folder(ParentFolder(record.path));
  if (auto st = EnsureFoldersLocked(folder, record.modified_ms); !st) return st.error();
  {
    auto is_folder = writer_->Prepare("SELECT 1 FROM folders WHERE path = ?1");
    if (!is_folder) return is_folder.error();
    auto row = is_folder->Bind(1, record.path).Step();
    if (!row) return row.error();
    if (*row) return Error{Errc::kConflict, "'" + record.path + "' is a folder"};
  }
  PutResult result;
  {
    auto old =
        writer_->Prepare("SELECT " + std::string(kFileColumns) + " FROM files WHERE path = ?1");
    if (!old) return old.error();
    auto row = old->Bind(1, record.path).Step();
    if (!row) return row.error();
    std::optional<FileRecord> prev;
    if (*row) prev = ReadFile(*old);
    if (guard) {
      if (auto st = guard(prev ? &*prev : nullptr); !st) return st.error();
    }
    if (prev) {
      record.id = prev->id;
      record.created_ms = prev->created_ms;
      result.replaced_blob = prev->blob_id;
    }
  }
  auto upsert = writer_->Prepare(
      "INSERT INTO files(path, folder, name, blob, size, sha256, content_type, created_ms,"
      " modified_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
      " ON CONFLICT(path) DO UPDATE SET blob = excluded.blob, size = excluded.size,"
      " sha256 = excluded.sha256, content_type = excluded.content_type,"
      " modified_ms = excluded.modified_ms RETURNING id");
  if (!upsert) return upsert.error();
  upsert->Bind(1, record.path)
      .Bind(2, folder)
      .Bind(3, BaseName(record.path))
      .Bind(4, record.blob_id)
      .Bind(5, static_cast<int64_t>(record.size))
      .Bind(6, record.sha256)
      .Bind(7, record.content_type)
      .Bind(8, record.created_ms)
      .Bind(9, record.modified_ms);
  auto row = upsert->Step();
  if (!row) return row.error();
  record.id = upsert->Int(0);
  upsert->Reset();
  result.record = std::move(record);
  return result;
}

Result<FileRecord> MetadataStore::GetFile(const std::string& path) {
  ScopedPhase timed(Phase::kMetadata);
  auto db = AcquireReader();
  if (!db) return db.error();
  auto st = (*db)->Prepare("SELECT " + std::string(kFileColumns) + " FROM files WHERE path = ?1");
  if (!st) return st.error();
  auto row = st->Bind(1, path).Step();
  if (!row) return row.error();
  if (!*row) return Error{Errc::kNotFound, "no file at '" + path + "'"};
  return ReadFile(*st);
}

Result<FileRecord> MetadataStore::GetFileById(int64_t id) {
  ScopedPhase timed(Phase::kMetadata);
  auto db = AcquireReader();
  if (!db) return db.error();
  auto st = (*db)->Prepare("SELECT " + std::string(kFileColumns) + " FROM files WHERE id = ?1");
  if (!st) return st.error();
  auto row = st->Bind(1, id).Step();
  if (!row) return row.error();
  if (!*row) return Error{Errc::kNotFound, "the file no longer exists"};
  return ReadFile(*st);
}

Result<std::string> MetadataStore::DeleteFile(const std::string& path, const WriteGuard& guard) {
  ScopedPhase timed(Phase::kMetadata);
  std::lock_guard lock(write_mu_);
  if (guard) {
    // The row is read and removed in one transaction: no writer can change
    // it between the guard's verdict and the delete.
    auto tx = sqlite::Transaction::Begin(*writer_);
    if (!tx) return tx.error();
    auto get =
        writer_->Prepare("SELECT " + std::string(kFileColumns) + " FROM files WHERE path = ?1");
    if (!get) return get.error();
    auto row = get->Bind(1, path).Step();
    if (!row) return row.error();
    if (!*row) return Error{Errc::kNotFound, "no file at '" + path + "'"};
    const FileRecord current = ReadFile(*get);
    get->Reset();
    if (auto st = guard(&current); !st) return st.error();
    auto del = writer_->Prepare("DELETE FROM files WHERE path = ?1");
    if (!del) return del.error();
    if (auto st = del->Bind(1, path).Run(); !st) return st.error();
    if (auto st = tx->Commit(); !st) return st.error();
    return current.blob_id;
  }
  auto st = writer_->Prepare("DELETE FROM files WHERE path = ?1 RETURNING blob");
  if (!st) return st.error();
  auto row = st->Bind(1, path).Step();
  if (!row) return row.error();
  if (!*row) return Error{Errc::kNotFound, "no file at '" + path + "'"};
  std::string blob = st->Text(0);
  if (auto done = st->Run(); !done) return done.error();
  return blob;
}

Result<bool> MetadataStore::CreateFolder(const std::string& path) {
  ScopedPhase timed(Phase::kMetadata);
  std::lock_guard lock(write_mu_);
  auto tx = sqlite::Transaction::Begin(*writer_);
  if (!tx) return tx.error();
  auto exists = writer_->Prepare("SELECT 1 FROM folders WHERE path = ?1");
  if (!exists) return exists.error();
  auto row = exists->Bind(1, path).Step();
  if (!row) return row.error();
  exists->Reset();
  if (*row) return false;
  if (auto st = EnsureFoldersLocked(path, NowMillis()); !st) return st.error();
  if (auto st = tx->Commit(); !st) return st.error();
  return true;
}

Result<bool> MetadataStore::FolderExists(const std::string& path) {
  ScopedPhase timed(Phase::kMetadata);
  if (path.empty()) return true;
  auto db = AcquireReader();
  if (!db) return db.error();
  auto st = (*db)->Prepare("SELECT 1 FROM folders WHERE path = ?1");
  if (!st) return st.error();
  return st->Bind(1, path).Step();
}

Result<std::vector<std::string>> MetadataStore::DeleteFolder(const std::string& path) {
  ScopedPhase timed(Phase::kMetadata);
  std::lock_guard lock(write_mu_);
  auto tx = sqlite::Transaction::Begin(*writer_);
  if (!tx) return tx.error();
  std::vector<std::string> blobs;
  auto found = DeleteFolderLocked(path, blobs);
  if (!found) return found.error();
  if (!*found) return Error{Errc::kNotFound, "no folder at '" + path + "'"};
  if (auto st = tx->Commit(); !st) return st.error();
  return blobs;
}

Result<bool> MetadataStore::DeleteFolderLocked(const std::string& path,
                                               std::vector<std::string>& blobs) {
  {
    auto files = writer_->Prepare(
        "DELETE FROM files WHERE folder = ?1 OR (folder >= ?2 AND folder < ?3) RETURNING blob");
    if (!files) return files.error();
    files->Bind(1, path).Bind(2, SubtreeLow(path)).Bind(3, SubtreeHigh(path));
    while (true) {
      auto row = files->Step();
      if (!row) return row.error();
      if (!*row) break;
      blobs.push_back(files->Text(0));
    }
  }
  auto folders =
      writer_->Prepare("DELETE FROM folders WHERE path = ?1 OR (path >= ?2 AND path < ?3)");
  if (!folders) return folders.error();
  if (auto st = folders->Bind(1, path).Bind(2, SubtreeLow(path)).Bind(3, SubtreeHigh(path)).Run();
      !st) {
    return st.error();
  }
  return writer_->Changes() > 0;
}

Result<MoveResult> MetadataStore::Move(const std::string& from, const std::string& to,
                                       bool replace) {
  ScopedPhase timed(Phase::kMetadata);
  if (from.empty() || to.empty()) {
    return Error{Errc::kInvalidArgument, "the root folder cannot be moved or replaced"};
  }
  if (from == to || to.starts_with(SubtreeLow(from)) || from.starts_with(SubtreeLow(to))) {
    return Error{Errc::kInvalidArgument,
                 "cannot move '" + from + "' to '" + to + "': one contains the other"};
  }
  std::lock_guard lock(write_mu_);
  auto tx = sqlite::Transaction::Begin(*writer_);
  if (!tx) return tx.error();
  const auto exists = [this](const char* sql, const std::string& path) -> Result<bool> {
    auto st = writer_->Prepare(sql);
    if (!st) return st.error();
    return st->Bind(1, path).Step();
  };
  constexpr const char* kFileAt = "SELECT 1 FROM files WHERE path = ?1";
  constexpr const char* kFolderAt = "SELECT 1 FROM folders WHERE path = ?1";
  MoveResult result;
  auto is_file = exists(kFileAt, from);
  if (!is_file) return is_file.error();
  if (!*is_file) {
    auto is_folder = exists(kFolderAt, from);
    if (!is_folder) return is_folder.error();
    if (!*is_folder) return Error{Errc::kNotFound, "nothing at '" + from + "'"};
    result.folder = true;
  }

  // What stands at the target goes only when the client asked for it.
  auto file_there = exists(kFileAt, to);
  if (!file_there) return file_there.error();
  auto folder_there = exists(kFolderAt, to);
  if (!folder_there) return folder_there.error();
  if ((*file_there || *folder_there) && !replace) {
    return Error{Errc::kConflict, "'" + to + "' exists (ask to replace it)"};
  }
  result.replaced = *file_there || *folder_there;
  if (*file_there) {
    auto del = writer_->Prepare("DELETE FROM files WHERE path = ?1 RETURNING blob");
    if (!del) return del.error();
    auto row = del->Bind(1, to).Step();
    if (!row) return row.error();
    result.replaced_blobs.push_back(del->Text(0));
  }
  if (*folder_there) {
    if (auto st = DeleteFolderLocked(to, result.replaced_blobs); !st) return st.error();
  }
  const int64_t now = NowMillis();
  const std::string to_parent(ParentFolder(to));
  if (auto st = EnsureFoldersLocked(to_parent, now); !st) return st.error();

  if (!result.folder) {
    auto move = writer_->Prepare(
        "UPDATE files SET path = ?2, folder = ?3, name = ?4, modified_ms = ?5 WHERE path = ?1");
    if (!move) return move.error();
    move->Bind(1, from).Bind(2, to).Bind(3, to_parent).Bind(4, BaseName(to)).Bind(5, now);
    if (auto st = move->Run(); !st) return st.error();
    result.files = 1;
  } else {
    // length() and substr() count characters on both sides, so UTF-8 names
    // keep their suffix intact.
    auto folders = writer_->Prepare(
        "UPDATE folders SET path = ?2 || substr(path, length(?1) + 1),"
        " parent = CASE WHEN path = ?1 THEN ?3 ELSE ?2 || substr(parent, length(?1) + 1) END"
        " WHERE path = ?1 OR (path >= ?4 AND path < ?5)");
    if (!folders) return folders.error();
    folders->Bind(1, from).Bind(2, to).Bind(3, to_parent).Bind(4, SubtreeLow(from));
    folders->Bind(5, SubtreeHigh(from));
    if (auto st = folders->Run(); !st) return st.error();
    auto files = writer_->Prepare(
        "UPDATE files SET path = ?2 || substr(path, length(?1) + 1),"
        " folder = ?2 || substr(folder, length(?1) + 1), modified_ms = ?5"
        " WHERE folder = ?1 OR (folder >= ?3 AND folder < ?4)");
    if (!files) return files.error();
    files->Bind(1, from).Bind(2, to).Bind(3, SubtreeLow(from)).Bind(4, SubtreeHigh(from));
    files->Bind(5, now);
    if (auto st = files->Run(); !st) return st.error();
    result.files = static_cast<size_t>(writer_->Changes());
  }
  if (auto st = tx->Commit(); !st) return st.error();
  return result;
}

Result<std::vector<FileRecord>> MetadataStore::ListFiles(const std::string& folder,
                                                         const std::string& after, int limit) {
  ScopedPhase timed(Phase::kMetadata);
  auto db = AcquireReader();
  if (!db) return db.error();
  auto st = (*db)->Prepare("SELECT " + std::string(kFileColumns) +
                           " FROM files WHERE folder = ?1 AND name > ?2 ORDER BY name LIMIT ?3");
  if (!st) return st.error();
  st->Bind(1, folder).Bind(2, after).Bind(3, int64_t{limit});
  std::vector<FileRecord> out;
  while (true) {
    auto row = st->Step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(ReadFile(*st));
  }
  return out;
}

Result<std::vector<FolderRecord>> MetadataStore::ListFolders(const std::string& parent,
                                                             const std::string& after, int limit) {
  ScopedPhase timed(Phase::kMetadata);
  auto db = AcquireReader();
  if (!db) return db.error();
  auto st = (*db)->Prepare(
      "SELECT path, created_ms FROM folders WHERE parent = ?1 AND path > ?2 ORDER BY path"
      " LIMIT ?3");
  if (!st) return st.error();
  st->Bind(1, parent).Bind(2, after).Bind(3, int64_t{limit});
  std::vector<FolderRecord> out;
  while (true) {
    auto row = st->Step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back({st->Text(0), st->Int(1)});
  }
  return out;
}

Result<std::vector<std::string>> MetadataStore::AllBlobIds() {
  std::lock_guard lock(write_mu_);
  auto st = writer_->Prepare("SELECT blob FROM files");
  if (!st) return st.error();
  std::vector<std::string> out;
  while (true) {
    auto row = st->Step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(st->Text(0));
  }
  return out;
}

Status MetadataStore::DeleteFilesWithBlobs(const std::vector<std::string>& blob_ids) {
  std::lock_guard lock(write_mu_);
  auto tx = sqlite::Transaction::Begin(*writer_);
  if (!tx) return tx.error();
  auto st = writer_->Prepare("DELETE FROM files WHERE blob = ?1");
  if (!st) return st.error();
  for (const auto& id : blob_ids) {
    auto done = st->Bind(1, id).Run();
    st->Reset();
    if (!done) return done;
  }
  return tx->Commit();
}

Status MetadataStore::Checkpoint() {
  std::lock_guard lock(write_mu_);
  return writer_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

Status MetadataStore::Ping() {
  auto db = AcquireReader();
  if (!db) return db.error();
  auto st = (*db)->Prepare("SELECT count(*) FROM folders WHERE path = ''");
  if (!st) return st.error();
  auto row = st->Step();
  if (!row) return row.error();
  return OkStatus();
}

}  // namespace fsvc
