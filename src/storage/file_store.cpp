#include "storage/file_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "platform/signals.h"
#include "storage/path.h"
#include "storage/segment_store.h"

namespace fsvc {
namespace {

// The first line of LOCK names the holder, for the refusal message only:
// the flock, not the pid, is what excludes (a stale pid is harmless).
std::string LockHolder(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  std::string pid(buf, n > 0 ? static_cast<size_t>(n) : 0);
  pid.erase(std::find_if(pid.begin(), pid.end(), [](char c) { return c < '0' || c > '9'; }),
            pid.end());
  return pid.empty() ? "unknown" : pid;
}

// LevelDB's LOCK: an exclusive flock held as long as the descriptor is open.
// flock (unlike fcntl locks) belongs to the open file description, so a
// second FileStore in the same process is refused too, and closing some
// other descriptor of the file does not drop it.
Result<UniqueFd> LockDataDir(const std::string& root) {
  const std::string path = root + "/LOCK";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return Error{Errc::kInternal, "cannot open " + path + ": " + std::strerror(errno)};
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Error{Errc::kUnavailable, "data folder " + root +
                                           " is in use by another file-service (pid " +
                                           LockHolder(fd.get()) + ")"};
    }
    return Error{Errc::kInternal, "cannot lock " + path + ": " + std::strerror(errno)};
  }
  // Overwrite in place, then trim: on a full disk the old content's block is
  // reused, and the pid is only informational, so a failure is not fatal.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::pwrite(fd.get(), pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size())) {
    (void)::ftruncate(fd.get(), static_cast<off_t>(pid.size()));
  }
  return fd;
}

// The local backend's upload, sealed upload and content: a BlobWriter, a
// PendingBlob and a BlobHandle behind the Storage interface.
class LocalUpload final : public UploadWriter {
 public:
  explicit LocalUpload(BlobWriter writer) : writer_(std::move(writer)) {}
  Status Write(std::string_view data) override { return writer_.Write(data); }
  uint64_t size() const override { return writer_.size(); }
  BlobWriter& writer() { return writer_; }

 private:
  BlobWriter writer_;
};

class LocalContent final : public FileContent {
 public:
  explicit LocalContent(BlobHandle blob) : blob_(std::move(blob)) {}
  uint64_t size() const override { return blob_.size; }
  std::optional<LocalRange> local_range() const override {
    return LocalRange{blob_.fd.get(), blob_.offset};
  }
  Status Read(uint64_t offset, uint64_t length, const ByteSink& sink) const override {
    if (offset > blob_.size || length > blob_.size - offset) {
      return Error{Errc::kInternal, "read past the end of a stored file"};
    }
    std::string buf(std::min<uint64_t>(length, uint64_t{1} << 16), '\0');
    for (uint64_t done = 0; done < length;) {
      // Never past the blob: a segment goes on with other blobs' bytes.
      const ssize_t n =
          ::pread(blob_.fd.get(), buf.data(), std::min<uint64_t>(buf.size(), length - done),
                  static_cast<off_t>(blob_.offset + offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return Error{Errc::kInternal, std::string("reading a stored file: ") +
                                          (n < 0 ? std::strerror(errno) : "short file")};
      }
      if (auto st = sink({buf.data(), static_cast<size_t>(n)}); !st) return st;
      done += static_cast<uint64_t>(n);
    }
    return OkStatus();
  }

 private:
  BlobHandle blob_;
};

class LocalSealed final : public SealedUpload {
 public:
  LocalSealed(PendingBlob blob, const BlobStore& blobs) : blob_(std::move(blob)), blobs_(blobs) {}
  uint64_t size() const override { return blob_.digest().size; }
  const std::string& sha256_hex() const override { return blob_.digest().sha256_hex; }
  Result<std::shared_ptr<const FileContent>> Open() const override {
    auto handle = blobs_.OpenBlob(blob_.id());
    if (!handle) return handle.error();
    return std::shared_ptr<const FileContent>(std::make_shared<LocalContent>(std::move(*handle)));
  }
  PendingBlob& blob() { return blob_; }

 private:
  PendingBlob blob_;
  const BlobStore& blobs_;
};

// Uploads reach a backend only from its own BeginUpload/Seal.
template <class Local, class Base>
Local& Ours(Base& upload) {
  return dynamic_cast<Local&>(upload);
}

WriteGuard RowGuard(const FileGuard& guard) {
  if (!guard) return nullptr;
  return [guard](const FileRecord* row) -> Status {
    if (!row) return guard(nullptr);
    const FileInfo current = ToFileInfo(*row);
    return guard(&current);
  };
}

Error RecoveryError(const Error& e) {
  return Error{e.code == Errc::kNotFound ? Errc::kInternal : e.code,
               "start-up recovery aborted, nothing was deleted: " + e.message};
}

}  // namespace

FileInfo ToFileInfo(const FileRecord& r) {
  return FileInfo{r.id, r.path, r.size, r.sha256, r.content_type, r.created_ms, r.modified_ms};
}

FileStore::FileStore(UniqueFd lock, std::unique_ptr<BlobStore> blobs,
                     std::unique_ptr<MetadataStore> meta)
    : lock_(std::move(lock)),
      blobs_(std::move(blobs)),
      meta_(std::move(meta)),
      commits_([this](std::span<CommitGroup::Entry* const> group) { FlushGroup(group); }) {}

FileStore::~FileStore() {
  if (exit_hook_ >= 0) RemoveForcedExitHook(exit_hook_);
  // Only a store that opened fully sweeps tmp/: one whose recovery failed
  // must leave the folder exactly as it found it. And only the lock holder:
  // another instance's uploads would be in there otherwise.
  if (sweep_tmp_on_close_ && lock_.valid()) (void)blobs_->RemoveTempFiles();
}

Result<std::unique_ptr<FileStore>> FileStore::Open(const Options& options) {
  // The lock comes before anything else touches the folder: a second
  // instance must change nothing, least of all run recovery.
  std::error_code ec;
  const std::string root =
      std::filesystem::absolute(options.data_dir, ec).lexically_normal().string();
  std::filesystem::create_directories(root, ec);
  if (ec) return Error{Errc::kInternal, "cannot create " + root + ": " + ec.message()};
  auto lock = LockDataDir(root);
  if (!lock) return lock.error();

  // Opening the database needs a little space (WAL index, WAL); on a full
  // disk the spare provides it, and is taken back below if there is room.
  auto blobs = BlobStore::Open(
      root, {options.disk_reserve_bytes, options.random, options.sync, options.segment_blob_bytes});
  if (!blobs) return blobs.error();
  (*blobs)->ReleaseSpare();
  auto meta = MetadataStore::Open((*blobs)->root() + "/metadata.db",
                                  std::max(1, options.read_connections), options.sync);
  if (!meta) return meta.error();
  auto store = std::make_unique<FileStore>(std::move(*lock), std::move(*blobs), std::move(*meta));
  if (auto st = store->Recover(); !st) return st.error();
  // A WAL left large by a full disk gives its space back here; failing to is
  // not fatal (the next checkpoint will).
  (void)store->meta_->Checkpoint();
  store->blobs_->EnsureSpare();
  // A forced exit at the end of the shutdown grace runs no destructor; the
  // hook gives its cut-off uploads the same cleanup as ~FileStore.
  store->sweep_tmp_on_close_ = true;
  BlobStore* blobs_ptr = store->blobs_.get();
  store->exit_hook_ = AddForcedExitHook([blobs_ptr] { (void)blobs_ptr->RemoveTempFiles(); });
  return store;
}

Status FileStore::Recover() {
  // Everything is decided before anything is deleted: an I/O error anywhere
  // aborts with the data folder exactly as found.
  auto referenced = meta_->AllBlobIds();
  if (!referenced) return RecoveryError(referenced.error());
  auto on_disk = blobs_->ListBlobIds();
  if (!on_disk) {
    if (on_disk.error().code != Errc::kNotFound) return RecoveryError(on_disk.error());
    if (!referenced->empty()) {
      return Error{Errc::kInternal,
                   blobs_->root() + "/blobs is missing but the database lists " +
                       std::to_string(referenced->size()) +
                       " files: refusing to start rather than forget them (is the volume "
                       "mounted?)"};
    }
    if (auto st = blobs_->CreateBlobsFolder(); !st) return st;
    on_disk = std::vector<std::string>();
  }
  if (blobs_->segments_folder_was_missing()) {
    const size_t in_segments = static_cast<size_t>(
        std::count_if(referenced->begin(), referenced->end(),
                      [](const std::string& id) { return ParseSegmentId(id).has_value(); }));
    if (in_segments > 0) {
      return Error{Errc::kInternal,
                   blobs_->root() + "/segments was missing but the database lists " +
                       std::to_string(in_segments) +
                       " files stored there: refusing to start rather than forget them (is the "
                       "volume mounted?)"};
    }
  }
  const std::unordered_set<std::string> disk_set(on_disk->begin(), on_disk->end());
  const std::unordered_set<std::string> ref_set(referenced->begin(), referenced->end());

  // Row without blob: only if someone removed files by hand; such a row can
  // never be served, so it goes, but only on a definite "no such file".
  std::vector<std::string> dangling;
  for (const auto& id : *referenced) {
    if (disk_set.count(id)) continue;
    auto exists = blobs_->BlobExists(id);
    if (!exists) return RecoveryError(exists.error());
    if (!*exists) dangling.push_back(id);
  }

  auto temps = blobs_->RemoveTempFiles();
  if (!temps) return RecoveryError(temps.error());
  recovery_.removed_temp_files = *temps;
  // Blob without row: the process died after rename, before commit (or
  // after an overwrite's commit, before the old blob's removal).
  for (const auto& id : *on_disk) {
    if (!ref_set.count(id)) {
      blobs_->Remove(id);
      ++recovery_.removed_orphan_blobs;
    }
  }
  // Segment ranges without a row: appended, then the process died before the
  // group's commit (or a removal's punch was lost).
  auto reclaimed = blobs_->ReclaimSegments(*referenced);
  if (!reclaimed) return RecoveryError(reclaimed.error());
  recovery_.reclaimed_segment_ranges = *reclaimed;
  if (!dangling.empty()) {
    if (auto st = meta_->DeleteFilesWithBlobs(dangling); !st) return st;
    recovery_.removed_dangling_rows = dangling.size();
  }
  return OkStatus();
}

template <class T, class Op>
Result<T> FileStore::WithSpareOnFull(Op op) {
  Result<T> result = op();
  if (!result && result.error().code == Errc::kInsufficientStorage && blobs_->ReleaseSpare()) {
    result = op();
  }
  return result;
}

Result<std::unique_ptr<UploadWriter>> FileStore::BeginUpload(uint64_t max_bytes,
                                                             uint64_t declared_size) {
  auto writer = blobs_->NewWriter(max_bytes, declared_size);
  if (!writer) return writer.error();
  return std::unique_ptr<UploadWriter>(std::make_unique<LocalUpload>(std::move(*writer)));
}

Result<std::unique_ptr<SealedUpload>> FileStore::Seal(std::unique_ptr<UploadWriter> upload) {
  auto blob = blobs_->Publish(std::move(Ours<LocalUpload>(*upload).writer()));
  if (!blob) return blob.error();
  return std::unique_ptr<SealedUpload>(std::make_unique<LocalSealed>(std::move(*blob), *blobs_));
}

Result<Storage::Committed> FileStore::Commit(Staged staged, const FileGuard& guard) {
  std::vector<Staged> one;
  one.push_back(std::move(staged));
  auto done = CommitGuarded(std::move(one), guard);
  if (!done) return done.error();
  return std::move(done->front());
}

Result<std::vector<Storage::Committed>> FileStore::CommitAll(std::vector<Staged> staged) {
  return CommitGuarded(std::move(staged), nullptr);
}

Result<std::vector<Storage::Committed>> FileStore::CommitGuarded(std::vector<Staged> staged,
                                                                 const FileGuard& guard) {
  std::unordered_set<std::string_view> seen;
  for (const auto& s : staged) {
    if (!seen.insert(s.path).second) {
      return Error{Errc::kInvalidArgument, "'" + s.path + "' appears more than once in the batch"};
    }
  }
  std::vector<FileRecord> records;
  records.reserve(staged.size());
  const int64_t now = NowMillis();
  for (const auto& s : staged) {
    const PendingBlob& blob = Ours<LocalSealed>(*s.upload).blob();
    FileRecord rec;
    rec.path = s.path;
    rec.blob_id = blob.id();
    rec.size = blob.digest().size;
    rec.sha256 = blob.digest().sha256_hex;
    rec.content_type = s.content_type;
    rec.created_ms = rec.modified_ms = now;
    records.push_back(std::move(rec));
  }
  auto put = commits_.Commit(PutBatch{std::move(records), RowGuard(guard)});
  if (!put) return put.error();  // the pending blobs remove themselves
  std::vector<Committed> out;
  out.reserve(put->size());
  for (size_t i = 0; i < put->size(); ++i) {
    Ours<LocalSealed>(*staged[i].upload).blob().Keep();
    PutResult& r = (*put)[i];
    if (r.replaced_blob) {
      blobs_->Remove(*r.replaced_blob);
      NotifyChanged(staged[i].path);
    }
    out.push_back(Committed{ToFileInfo(r.record), !r.replaced_blob.has_value()});
  }
  return out;
}

void FileStore::FlushGroup(std::span<CommitGroup::Entry* const> group) {
  // Bytes first: a row must never become durable before the blob it names.
  if (auto st = blobs_->SyncAll(); !st) {
    for (CommitGroup::Entry* e : group) e->result = st.error();
    return;
  }
  std::vector<PutBatch> batches;
  batches.reserve(group.size());
  for (CommitGroup::Entry* e : group) batches.push_back(std::move(e->batch));
  auto results = meta_->PutBatches(std::move(batches));
  for (size_t i = 0; i < group.size(); ++i) group[i]->result = std::move(results[i]);
}

Result<OpenFile> FileStore::OpenRecord(const std::function<Result<FileRecord>()>& lookup) {
  // An overwrite or delete may remove the blob between reading the row and
  // opening the blob; the row read again then names the current content.
  // A segment blob's range is given back at once when nobody holds it, so a
  // removal that came between the row and the open means the bytes may be
  // gone: then the row is read again, and must still name this blob.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const uint64_t removals = blobs_->removals();
    auto rec = lookup();
    if (!rec) return rec.error();
    auto blob = blobs_->OpenBlob(rec->blob_id);
    if (blob && blobs_->removals() != removals) {
      auto again = lookup();
      if (!again || again->blob_id != rec->blob_id) continue;
    }
    if (blob) {
      return OpenFile{ToFileInfo(*rec), std::make_shared<const LocalContent>(std::move(*blob))};
    }
    if (blob.error().code != Errc::kNotFound) return blob.error();
  }
  return Error{Errc::kUnavailable, "the file is changing too fast to be read; try again"};
}

Result<OpenFile> FileStore::OpenPath(const std::string& path) {
  return OpenRecord([&] { return meta_->GetFile(path); });
}

Result<FileInfo> FileStore::Stat(const std::string& path) {
  auto rec = meta_->GetFile(path);
  if (!rec) return rec.error();
  return ToFileInfo(*rec);
}

Status FileStore::Delete(const std::string& path, const FileGuard& guard) {
  const WriteGuard row_guard = RowGuard(guard);
  auto blob = WithSpareOnFull<std::string>([&] { return meta_->DeleteFile(path, row_guard); });
  if (!blob) return blob.error();
  blobs_->Remove(*blob);
  blobs_->EnsureSpare();
  NotifyChanged(path);
  return OkStatus();
}

Result<bool> FileStore::CreateFolder(const std::string& path) {
  if (path.empty()) return false;  // the root always exists
  // An existing folder is a no-op, full disk or not; a new one is data, and
  // data is not added to a disk below its reserve.
  auto exists = meta_->FolderExists(path);
  if (!exists) return exists.error();
  if (*exists) return false;
  if (auto st = blobs_->CheckReserve(0); !st) return st.error();
  return meta_->CreateFolder(path);
}

Result<size_t> FileStore::DeleteFolder(const std::string& path) {
  if (path.empty()) return Error{Errc::kInvalidArgument, "the root folder cannot be deleted"};
  auto blobs = WithSpareOnFull<std::vector<std::string>>([&] { return meta_->DeleteFolder(path); });
  if (!blobs) return blobs.error();
  for (const auto& id : *blobs) blobs_->Remove(id);
  blobs_->EnsureSpare();
  // Paths of the removed files are not kept; listeners get the folder prefix.
  NotifyChanged(path + "/");
  return blobs->size();
}

Result<MoveOutcome> FileStore::Move(const std::string& from, const std::string& to, bool replace) {
  auto moved = WithSpareOnFull<MoveResult>([&] { return meta_->Move(from, to, replace); });
  if (!moved) return moved.error();
  for (const auto& id : moved->replaced_blobs) blobs_->Remove(id);
  blobs_->EnsureSpare();
  // A folder's listeners get its prefix, as for DeleteFolder.
  const std::string suffix = moved->folder ? "/" : "";
  NotifyChanged(from + suffix);
  NotifyChanged(to);
  // Whatever was below a replaced folder is gone too.
  if (moved->folder || moved->replaced) NotifyChanged(to + "/");
  return MoveOutcome{moved->folder, moved->files, moved->replaced};
}

Result<FileList> FileStore::List(const std::string& folder, const std::string& cursor, int limit) {
  auto exists = meta_->FolderExists(folder);
  if (!exists) return exists.error();
  if (!*exists) return Error{Errc::kNotFound, "no folder at '" + folder + "'"};
  // One row more than asked tells whether another page follows.
  auto rows = meta_->ListFiles(folder, cursor, limit + 1);
  if (!rows) return rows.error();
  FileList out;
  const bool more = rows->size() > static_cast<size_t>(limit);
  if (more) rows->pop_back();
  for (const auto& r : *rows) out.files.push_back(ToFileInfo(r));
  if (more) out.next_cursor = std::string(BaseName(out.files.back().path));
  return out;
}

Result<FolderList> FileStore::ListFolders(const std::string& folder, const std::string& cursor,
                                          int limit) {
  auto exists = meta_->FolderExists(folder);
  if (!exists) return exists.error();
  if (!*exists) return Error{Errc::kNotFound, "no folder at '" + folder + "'"};
  const std::string after = cursor.empty() ? std::string() : JoinPath(folder, cursor);
  auto rows = meta_->ListFolders(folder, after, limit + 1);
  if (!rows) return rows.error();
  FolderList out;
  const bool more = rows->size() > static_cast<size_t>(limit);
  if (more) rows->pop_back();
  for (const auto& r : *rows) out.folders.push_back(r.path);
  if (more) out.next_cursor = std::string(BaseName(out.folders.back()));
  return out;
}

std::vector<std::pair<std::string, Status>> FileStore::CheckReady() {
  return {{"database", meta_->Ping()}, {"data_dir", blobs_->CheckWritable()}};
}

std::optional<DiskSpace> FileStore::Space() const {
  auto space = blobs_->Space();
  if (!space) return std::nullopt;
  return *space;
}

void FileStore::AddChangeListener(std::function<void(std::string_view)> listener) {
  listeners_.push_back(std::move(listener));
}

void FileStore::NotifyChanged(std::string_view path) {
  for (const auto& l : listeners_) l(path);
}

}  // namespace fsvc
